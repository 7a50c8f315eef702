//! The loop on a terminal: the line editor (history, Tab completion,
//! continuation prompt), results at the terminal's width, and Ctrl-C: it
//! drops the line being typed, interrupts a computation (the session stays
//! as it was before the line), and, pressed twice at an empty prompt,
//! leaves. The history file is written after every line and on every way
//! out.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{ConditionalEventHandler, Editor, Event, EventContext, EventHandler, KeyEvent, RepeatCount};

use super::script::report;
use super::{Session, PROMPT};

/// The history file: `$XDG_DATA_HOME/matcalc/history` or
/// `~/.local/share/matcalc/history`.
pub fn history_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/share"),
    };
    Some(base.join("matcalc").join("history"))
}

/// The line editor and the history file it writes to.
struct LineEditor {
    editor: Editor<Helper, DefaultHistory>,
    history: Option<PathBuf>,
}

impl LineEditor {
    /// Writes the lines added since the last write to the history file.
    fn save_history(&mut self) {
        if let Some(path) = &self.history {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = self.editor.append_history(path);
        }
    }
}

impl Drop for LineEditor {
    /// The history is saved however the loop ends.
    fn drop(&mut self) {
        self.save_history();
    }
}

/// Notes whether the line was empty when Ctrl-C was pressed, and lets the
/// editor go on as usual (it returns [`ReadlineError::Interrupted`]).
struct CtrlC {
    on_empty_line: Arc<AtomicBool>,
}

impl ConditionalEventHandler for CtrlC {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<rustyline::Cmd> {
        self.on_empty_line.store(ctx.line().is_empty(), Ordering::Relaxed);
        None
    }
}

/// Runs the interactive session on the terminal; returns the exit status.
pub fn run_terminal() -> i32 {
    let config = Config::builder().completion_type(CompletionType::List).auto_add_history(false).build();
    let editor = match Editor::<Helper, DefaultHistory>::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            say(format_args!("error: cannot start the line editor: {e}"));
            return 1;
        }
    };
    let mut session = Session::new();
    // While a line is computed the terminal is not in raw mode, and Ctrl-C
    // is a signal: it raises the session's interrupt flag, and a second one
    // before the computation stops ends matcalc as usual.
    #[cfg(unix)]
    {
        use signal_hook::consts::SIGINT;
        let _ = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, session.interrupt_flag());
        let _ = signal_hook::flag::register(SIGINT, session.interrupt_flag());
    }
    let mut line_editor = LineEditor { editor, history: history_path() };
    let editor = &mut line_editor.editor;
    editor.set_helper(Some(Helper::new(session.names())));
    let on_empty_line = Arc::new(AtomicBool::new(false));
    editor.bind_sequence(
        KeyEvent::ctrl('C'),
        EventHandler::Conditional(Box::new(CtrlC { on_empty_line: Arc::clone(&on_empty_line) })),
    );
    if let Some(path) = &line_editor.history {
        let _ = line_editor.editor.load_history(path);
    }
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let version = env!("CARGO_PKG_VERSION");
    let _ = writeln!(std::io::stdout(), "matcalc {version} — `:help` for help, Ctrl-D or `quit` to leave");
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let mut leaving = false;
    let mut status = 0;
    loop {
        if let Some((columns, _)) = line_editor.editor.dimensions() {
            session.set_width(columns);
        }
        match line_editor.editor.readline(session.prompt()) {
            Ok(line) => {
                leaving = false;
                if !line.trim().is_empty() {
                    let _ = line_editor.editor.add_history_entry(line.as_str());
                    line_editor.save_history();
                }
                let outcome = session.feed(&line);
                if report(&outcome, &mut out, &mut err, colour).is_err() {
                    status = 1;
                    break;
                }
                if let Some(helper) = line_editor.editor.helper_mut() {
                    helper.update_names(&session);
                }
                if outcome.quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {
                if session.prompt() != PROMPT || !on_empty_line.load(Ordering::Relaxed) {
                    session.cancel();
                    leaving = false;
                } else if leaving {
                    break;
                } else {
                    say(format_args!("(to leave, press Ctrl-C again or Ctrl-D, or type quit)"));
                    leaving = true;
                }
            }
            Err(ReadlineError::Eof) => break,
            Err(ReadlineError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                say(format_args!("error: the input is not UTF-8 text; the line was dropped"));
            }
            Err(e) => {
                say(format_args!("error: {e}"));
                status = 1;
                break;
            }
        }
    }
    status
}

/// Writes a line to standard error (which may be closed).
fn say(text: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// The rustyline helper: Tab completion of names, built-ins, commands
/// and file names after `:load`, `:save` and `>`.
struct Helper {
    names: Vec<String>,
    generation: u64,
    files: rustyline::completion::FilenameCompleter,
}

impl Helper {
    /// A helper completing `names`.
    fn new(names: &[String]) -> Helper {
        Helper { names: names.to_vec(), generation: 0, files: rustyline::completion::FilenameCompleter::new() }
    }

    /// Catches up with the session's names (copying only the new ones).
    fn update_names(&mut self, session: &Session) {
        let names = session.names();
        if self.generation != session.names_generation() || names.len() < self.names.len() {
            self.names.clear();
            self.generation = session.names_generation();
        }
        self.names.extend_from_slice(&names[self.names.len()..]);
    }
}

impl rustyline::completion::Completer for Helper {
    type Candidate = rustyline::completion::Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<rustyline::completion::Pair>)> {
        let trimmed = line.trim_start();
        if trimmed.starts_with(":load ")
            || trimmed.starts_with(":save ")
            || line.get(..pos).is_some_and(|before| before.contains('>'))
        {
            return self.files.complete(line, pos, ctx);
        }
        let (start, found) = super::complete::complete(line, pos, &self.names);
        let pairs = found.into_iter().map(|s| rustyline::completion::Pair { display: s.clone(), replacement: s });
        Ok((start, pairs.collect()))
    }
}

impl rustyline::hint::Hinter for Helper {
    type Hint = String;
}

impl rustyline::highlight::Highlighter for Helper {}

impl rustyline::validate::Validator for Helper {}

impl rustyline::Helper for Helper {}
