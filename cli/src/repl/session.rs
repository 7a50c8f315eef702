//! The session state (the library's incremental [`matcalc::Session`] of
//! accepted statements, the partly typed statement, the output format and
//! width) and how typed lines run: statements one at a time, `:load` all
//! or nothing, a replaced definition reported as a note.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::errors::{render, Origin};
use super::{Outcome, OutputFormat, CONTINUATION_PROMPT, DEFAULT_WIDTH, INTERRUPTED, PROMPT};
use matcalc::ast::Statement;
use matcalc::session::{ErrorText, SessionError};

/// The state of one REPL session, with no terminal I/O.
pub struct Session {
    pub(super) core: matcalc::Session,
    pending: String,
    pub(super) format: OutputFormat,
    pub(super) width: usize,
    names: Vec<String>,
    /// The core's generation the names were read at.
    names_read_at: u64,
    /// Bumped whenever names are dropped from `names`.
    names_generation: u64,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

impl Session {
    /// An empty session printing Unicode.
    pub fn new() -> Session {
        Session {
            core: matcalc::Session::new(),
            pending: String::new(),
            format: OutputFormat::Unicode,
            width: DEFAULT_WIDTH,
            names: Vec::new(),
            names_read_at: 0,
            names_generation: 0,
        }
    }

    /// The prompt to show before the next line.
    pub fn prompt(&self) -> &'static str {
        if self.pending.is_empty() {
            PROMPT
        } else {
            CONTINUATION_PROMPT
        }
    }

    /// The current output format.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Sets the width results are broken at (the terminal's width).
    pub fn set_width(&mut self, width: usize) {
        self.width = width.max(20);
    }

    /// The flag that interrupts the computation of the current line when
    /// raised (from a Ctrl-C handler): the line fails with an
    /// "interrupted" error and the session is as it was before it.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.core.interrupt_flag()
    }

    /// How many statements the session has inferred and lowered in all
    /// (a statement analysed again after a replaced definition counts again).
    pub fn statements_analysed(&self) -> u64 {
        self.core.statements_analysed()
    }

    /// Drops a partly typed statement (Ctrl-C).
    pub fn cancel(&mut self) {
        self.pending.clear();
    }

    /// Feeds one line of input. A statement with an open bracket
    /// continues on the next line; a `:command` is always one line.
    pub fn feed(&mut self, line: &str) -> Outcome {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if self.pending.is_empty() {
            self.pending = line.to_string();
        } else {
            self.pending.push('\n');
            self.pending.push_str(line);
        }
        let is_command = self.pending.trim_start().starts_with(':');
        if !is_command && open_brackets(&self.pending) > 0 {
            return Outcome { incomplete: true, ..Outcome::default() };
        }
        let input = std::mem::take(&mut self.pending);
        self.run_guarded(&input)
    }

    /// Ends the input: a statement left open is run as it stands (and
    /// fails with a syntax error pointing at the missing bracket).
    pub fn finish(&mut self) -> Option<Outcome> {
        if self.pending.is_empty() {
            return None;
        }
        let input = std::mem::take(&mut self.pending);
        Some(self.run_guarded(&input))
    }

    /// The session's names (declared, defined or inferred), which Tab
    /// completes along with the built-in functions and the commands.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Completions of the word before byte `pos` of `line`: where the word
    /// starts and the candidates, sorted.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        super::complete::complete(line, pos, &self.names)
    }

    /// The accepted declarations and definitions as a program.
    pub fn program(&self) -> String {
        let mut out = String::from("# matcalc session\n");
        for text in self.core.declarations() {
            out.push_str(text);
            out.push('\n');
        }
        out
    }

    /// Forgets every name.
    pub(super) fn reset(&mut self) {
        self.core.reset();
        self.refresh_names();
    }

    /// Brings the names up to date: appends the new ones (a line costs
    /// what it adds), or starts over if the session was analysed anew.
    fn refresh_names(&mut self) {
        let generation = self.core.generation();
        if generation != self.names_read_at || self.core.name_count() < self.names.len() {
            self.names_read_at = generation;
            self.names.clear();
            self.names_generation += 1;
        }
        let new = self.core.names_from(self.names.len());
        self.names.extend(new);
    }

    /// Changes whenever names were dropped from [`Session::names`] (other
    /// changes only append to it).
    pub fn names_generation(&self) -> u64 {
        self.names_generation
    }

    /// Runs a complete input; an interrupt becomes an error.
    fn run_guarded(&mut self, input: &str) -> Outcome {
        let interrupt = self.core.interrupt_flag();
        interrupt.store(false, Ordering::Relaxed);
        let outcome = match catch_unwind(AssertUnwindSafe(|| self.run(input))) {
            Ok(outcome) => outcome,
            Err(payload) if matcalc::interrupt::is_interrupt(payload.as_ref()) => {
                self.refresh_names();
                Outcome::fail(format!("error: {INTERRUPTED}\n"))
            }
            Err(payload) => resume_unwind(payload),
        };
        interrupt.store(false, Ordering::Relaxed);
        self.core.commit();
        outcome
    }

    /// Runs a complete input: a command or statements.
    fn run(&mut self, input: &str) -> Outcome {
        let trimmed = input.trim();
        if trimmed.starts_with(':') {
            let start = input.len() - input.trim_start().len();
            return self.command(input, start);
        }
        if matches!(trimmed, "quit" | "exit" | "help") && !self.core.has_name(trimmed) {
            let command = if trimmed == "help" { ":help" } else { ":quit" };
            return self.command(command, 0);
        }
        self.statements(input)
    }

    /// Runs the statements of `input` one at a time, as if typed on
    /// separate lines; stops at the first that fails.
    fn statements(&mut self, input: &str) -> Outcome {
        let program = match self.core.parse(input) {
            Ok(p) => p,
            Err(e) => return Outcome::fail(render_error(&e, input)),
        };
        let mut outcome = Outcome::default();
        for statement in &program.statements {
            if !self.add_statement(statement, input, true, &mut outcome) {
                break;
            }
        }
        self.refresh_names();
        outcome
    }

    /// Adds one statement of `source` (the text last parsed), printing an
    /// expression's value if `print`; on failure sets the outcome's error
    /// and returns `false`.
    fn add_statement(&mut self, statement: &Statement, source: &str, print: bool, outcome: &mut Outcome) -> bool {
        let mark = self.core.mark();
        let added = match self.core.add_statement(statement, source) {
            Ok(added) => added,
            Err(e) => {
                outcome.error = Some(render_error(&e, source));
                return false;
            }
        };
        // The outcome's notes carry no `note: ` of their own (the printer adds it).
        let rendered = added.notes.iter().map(|note| note.render(source));
        outcome.notes.extend(rendered.map(|n| n.trim_start_matches("note: ").trim_end().to_string()));
        outcome.notes.extend(added.replacements.iter().map(|r| r.message()));
        if added.is_expression() && print {
            match self.core.value(&added).text(self.format.library(), self.width) {
                Ok(text) => outcome.output.push(text),
                Err(e) => {
                    outcome.error = Some(render(&e, &Origin::line(source), None));
                    self.core.rollback(mark);
                    return false;
                }
            }
        }
        true
    }

    /// Reads a program file into the session, all or nothing.
    pub(super) fn load(&mut self, path: &str) -> Outcome {
        if path.is_empty() {
            return Outcome::fail("error: usage: :load FILE\n");
        }
        let source = match read_file(path) {
            Ok(s) => s,
            Err(e) => return Outcome::fail(format!("error: cannot read {path}: {e}\n")),
        };
        let program = match self.core.parse(&source) {
            Ok(p) => p,
            Err(e) => return Outcome::fail(format!("in {path}:\n{}", render_error(&e, &source))),
        };
        let mark = self.core.checkpoint();
        let mut outcome = Outcome::default();
        for statement in &program.statements {
            if !self.add_statement(statement, &source, false, &mut outcome) {
                self.core.rollback(mark);
                self.refresh_names();
                let error = outcome.error.unwrap_or_default();
                return Outcome::fail(format!("in {path}:\n{error}"));
            }
        }
        self.refresh_names();
        let count = program.statements.len();
        outcome.output.push(format!("loaded {count} statement{} from {path}", if count == 1 { "" } else { "s" }));
        outcome
    }

    /// Writes the declarations and definitions to a file.
    pub(super) fn save(&self, path: &str) -> Outcome {
        if path.is_empty() {
            return Outcome::fail("error: usage: :save FILE\n");
        }
        let program = self.program();
        match std::fs::write(path, &program) {
            Ok(()) => {
                let count = program.lines().count() - 1;
                let plural = if count == 1 { "" } else { "s" };
                Outcome::print(format!("saved {count} statement{plural} to {path}"))
            }
            Err(e) => Outcome::fail(format!("error: cannot write {path}: {e}\n")),
        }
    }
}

/// Renders why a statement of `source` was not added.
fn render_error(e: &SessionError, source: &str) -> String {
    match &e.text {
        ErrorText::Source => render(&e.error, &Origin::line(source), None),
        ErrorText::Program { program, start, end, source_start, replacing } => {
            let origin = Origin { program, start: *start, end: *end, line: source, line_start: *source_start };
            let help = replacing.then_some("a new definition replaces the old one in every statement that uses it");
            render(&e.error, &origin, help)
        }
    }
}

/// A file's text, refused beyond the size limit without reading it all.
fn read_file(path: &str) -> std::io::Result<String> {
    use std::io::Read;
    let limit = matcalc::syntax::MAX_SOURCE_BYTES as u64;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        let message = format!("the file is larger than the input limit of {limit} bytes");
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, message));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// How many brackets are open at the end of `text` (comments skipped).
fn open_brackets(text: &str) -> i64 {
    let mut depth = 0i64;
    let mut in_comment = false;
    for c in text.chars() {
        match c {
            '#' => in_comment = true,
            '\n' => in_comment = false,
            '(' | '{' if !in_comment => depth += 1,
            ')' | '}' if !in_comment => depth -= 1,
            _ => {}
        }
    }
    depth
}
