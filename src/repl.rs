//! The interactive session behind `matcalc repl`.
//!
//! [`Session`] is the whole REPL without a terminal: it is fed lines and
//! answers with an [`Outcome`] (results for standard output, a rendered
//! error for standard error). It keeps the source text of the statements
//! it accepted and re-analyses `accepted + new statement` with
//! [`crate::analyze`] each time, so names, shapes and definitions persist
//! exactly as in a program file; a statement that fails is not kept, nor
//! an expression that adds no name or shape (it would only slow every
//! later re-analysis down).
//! Errors are rendered against the line the user typed, never against the
//! hidden accumulated program.
//!
//! [`run_terminal`] (rustyline: history, Tab completion, continuation
//! prompt) and [`run_script`] (piped input, no prompts) are thin loops
//! around it. No mathematics lives here.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use crate::ast::Statement;
use crate::error::{Error, ErrorKind, Span};
use crate::lower::BUILTIN_FUNCTIONS;
use crate::print::Format;
use crate::{analyze, Analysis, DerivativeKind};

/// The prompt for a new statement.
pub const PROMPT: &str = "matcalc> ";
/// The prompt while a bracket is still open.
pub const CONTINUATION_PROMPT: &str = "    ...> ";

/// The REPL commands, as completed by Tab.
pub const COMMANDS: &[&str] = &[
    ":diff", ":latex", ":steps", ":graph", ":types", ":check", ":format", ":reset", ":load", ":save", ":help", ":quit",
];

/// The output formats `:format` accepts.
pub const FORMATS: &[&str] = &["text", "unicode", "latex", "numpy"];

/// The LaTeX printer behind `:latex` and `:format latex`.
const LATEX: Option<Format> = Some(Format::Latex);

/// The Graphviz printer behind `:graph`.
const GRAPH: Option<Format> = Some(Format::Dot);

/// Width of text and Unicode results.
const WIDTH: usize = 100;

const HELP: &str = "\
Type statements as in a matcalc program; they persist for the session:
  W: matrix(m, n)              declare (x: vector(n), k: scalar, S: symmetric(n), f: function)
  z = W x + b                  define a named intermediate
  1/2 * norm2(W^T W x - x)     an expression: prints its simplified value
  grad(e, X), jacobian(e, x), hessian(e, x) are expressions too.
Several statements may share a line, separated by `;`. An open bracket
continues a statement on the next line. norm2(r) is the SQUARED norm.
A command is one line; EXPR may use every name of the session.

Commands:
  :diff EXPR wrt X     gradient (scalar EXPR) or Jacobian (vector EXPR) with respect to X
  :check EXPR wrt X    compare that derivative with finite differences at random points
  :steps EXPR wrt X    the derivation step by step
  :latex EXPR          the simplified value of EXPR in LaTeX
  :graph EXPR          the computational graph of EXPR (Graphviz)
  :types               the inferred kind and shape of every name
  :format F            print results as text, unicode (the default), latex or numpy
  :load FILE           run the statements of a program file
  :save FILE           write the declarations and definitions as a program file
  :reset               forget every name
  :help                this text
  :quit                leave (also Ctrl-D); Ctrl-C cancels the current line";

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// The input language.
    Text,
    /// The input language with Unicode symbols.
    Unicode,
    /// LaTeX (when the build has a LaTeX printer).
    Latex,
    /// NumPy source.
    Numpy,
}

impl OutputFormat {
    /// The library format, or `None` if this build cannot print it.
    fn library(self) -> Option<Format> {
        match self {
            OutputFormat::Text => Some(Format::Text),
            OutputFormat::Unicode => Some(Format::Unicode),
            OutputFormat::Latex => LATEX,
            OutputFormat::Numpy => Some(Format::Numpy),
        }
    }
}

/// What the session says in answer to a line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Results, in order, for standard output.
    pub output: Vec<String>,
    /// The rendered error, for standard error, if the input failed.
    pub error: Option<String>,
    /// The input continues on the next line (a bracket is still open).
    pub incomplete: bool,
    /// The user asked to end the session.
    pub quit: bool,
}

impl Outcome {
    fn print(text: impl Into<String>) -> Outcome {
        Outcome { output: vec![text.into()], ..Outcome::default() }
    }

    fn fail(text: impl Into<String>) -> Outcome {
        Outcome { error: Some(text.into()), ..Outcome::default() }
    }

    /// `true` if the input failed.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }
}

/// What an accepted statement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryKind {
    Declaration,
    Definition,
    Expression,
}

/// An accepted statement.
#[derive(Clone, Debug)]
struct Entry {
    text: String,
    kind: EntryKind,
}

/// The state of one REPL session, with no terminal I/O.
#[derive(Clone, Debug)]
pub struct Session {
    accepted: Vec<Entry>,
    pending: String,
    format: OutputFormat,
    names: Vec<String>,
    /// `Analysis::types` of the accepted statements.
    types: String,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

/// Where a piece of text being analysed came from, to map error spans back.
struct Origin<'a> {
    /// The accepted statements the text was appended to.
    history: &'a str,
    /// Where the text starts in the combined source.
    start: usize,
    /// What the user typed.
    line: &'a str,
    /// Where the text starts in `line`.
    line_start: usize,
}

impl Session {
    /// An empty session printing Unicode.
    pub fn new() -> Session {
        Session {
            accepted: Vec::new(),
            pending: String::new(),
            format: OutputFormat::Unicode,
            names: Vec::new(),
            types: String::new(),
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
        self.run(&input)
    }

    /// Ends the input: a statement left open is run as it stands (and
    /// fails with a syntax error pointing at the missing bracket).
    pub fn finish(&mut self) -> Option<Outcome> {
        if self.pending.is_empty() {
            return None;
        }
        let input = std::mem::take(&mut self.pending);
        Some(self.run(&input))
    }

    /// The session's names (declared, defined or inferred), which Tab
    /// completes along with the built-in functions and the commands.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Completions of the word before byte `pos` of `line`: where the word
    /// starts and the candidates, sorted.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        complete(line, pos, &self.names)
    }

    /// The accepted declarations and definitions as a program.
    pub fn program(&self) -> String {
        let mut out = String::from("# matcalc session\n");
        for entry in &self.accepted {
            if entry.kind != EntryKind::Expression {
                out.push_str(&entry.text);
                out.push('\n');
            }
        }
        out
    }

    fn history(&self) -> String {
        self.accepted.iter().map(|e| e.text.as_str()).collect::<Vec<_>>().join("\n")
    }

    /// Runs a complete input: a command or statements.
    fn run(&mut self, input: &str) -> Outcome {
        let trimmed = input.trim_start();
        if trimmed.starts_with(':') {
            let start = input.len() - trimmed.len();
            return self.command(input, start);
        }
        self.statements(input)
    }

    /// Runs the statements of `input` one at a time, as if typed on
    /// separate lines; stops at the first that fails.
    fn statements(&mut self, input: &str) -> Outcome {
        let program = match crate::syntax::parse_program(input) {
            Ok(p) => p,
            Err(e) => return Outcome::fail(e.render(input)),
        };
        let mut outcome = Outcome::default();
        for statement in &program.statements {
            let (span, kind) = match statement {
                Statement::Declare { span, .. } => (*span, EntryKind::Declaration),
                Statement::Define { name_span, value, .. } => (name_span.join(value.span), EntryKind::Definition),
                Statement::Expr(e) => (e.span, EntryKind::Expression),
            };
            let Some(text) = input.get(span.start..span.end) else { continue };
            let history = self.history();
            let combined = join(&history, text);
            let origin =
                Origin { history: &history, start: combined.len() - text.len(), line: input, line_start: span.start };
            let mut analysis = match analyze(&combined) {
                Ok(a) => a,
                Err(e) => {
                    outcome.error = Some(render(&e, &origin, self.redefinition_help(&e)));
                    return outcome;
                }
            };
            if kind == EntryKind::Expression {
                let bare_name = match statement {
                    Statement::Expr(e) => match &e.kind {
                        crate::ast::ExprKind::Name(n) => Some(n.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                match self.value_text(&mut analysis, bare_name.as_deref()) {
                    Ok(text) => outcome.output.push(text),
                    Err(e) => {
                        outcome.error = Some(render(&e, &origin, None));
                        return outcome;
                    }
                }
            }
            // An expression is kept only if it taught inference something
            // (a new name or shape); otherwise it would only make every
            // later re-analysis slower.
            let types = analysis.types();
            if kind != EntryKind::Expression || types != self.types {
                self.accepted.push(Entry { text: text.to_string(), kind });
                self.names = symbol_names(&analysis);
                self.types = types;
            }
        }
        outcome
    }

    fn redefinition_help(&self, e: &Error) -> Option<String> {
        (e.kind == ErrorKind::Redefinition).then(|| "names are fixed for the session; `:reset` starts over".to_string())
    }

    /// The simplified value of the analysed program in the session format;
    /// a bare definition name shows the definition's value.
    fn value_text(&self, analysis: &mut Analysis, bare_name: Option<&str>) -> Result<String, Error> {
        let format = self.library_format()?;
        let of = bare_name.filter(|n| {
            analysis.graph().find_symbol(n).is_some_and(|s| analysis.graph().definition_value(s).is_some())
        });
        let value = analysis.simplified(of)?;
        Ok(match format {
            Format::Numpy => analysis.numpy(value, "value").trim_end().to_string(),
            format => analysis.print_width(value, format, WIDTH),
        })
    }

    fn library_format(&self) -> Result<Format, Error> {
        self.format.library().ok_or_else(latex_unavailable)
    }

    /// Runs a `:command`; `start` is where it begins in `line`.
    fn command(&mut self, line: &str, start: usize) -> Outcome {
        let text = line[start..].trim_end();
        let name_end = text.find(char::is_whitespace).unwrap_or(text.len());
        let name = &text[..name_end];
        let args = text[name_end..].trim_start();
        let args_start = start + (text.len() - args.len());
        match name {
            ":help" | ":h" | ":?" => Outcome::print(HELP),
            ":quit" | ":q" | ":exit" => Outcome { quit: true, ..Outcome::default() },
            ":reset" => {
                self.accepted.clear();
                self.names.clear();
                self.types.clear();
                Outcome::print("session cleared")
            }
            ":types" => self.types(),
            ":format" => self.set_format(args),
            ":diff" => self.with_wrt(line, args, args_start, ":diff", |s, e, x| s.diff(e, x)),
            ":check" => self.with_wrt(line, args, args_start, ":check", |s, e, x| s.check(e, x)),
            ":steps" => self.with_wrt(line, args, args_start, ":steps", |s, e, x| s.steps(e, x)),
            ":latex" => self.with_expr(line, args, args_start, ":latex", |s, e| s.print_in(e, LATEX, "LaTeX output")),
            ":graph" => self.with_expr(line, args, args_start, ":graph", |s, e| s.print_in(e, GRAPH, "graph output")),
            ":load" => self.load(args),
            ":save" => self.save(args),
            _ => {
                let mut message = format!("error: unknown command `{name}`\n");
                if let Some(close) = COMMANDS.iter().find(|c| crate::lower::edit_distance(c, name) <= 2) {
                    message.push_str(&format!("  = help: did you mean `{close}`?\n"));
                }
                message.push_str("  = help: `:help` lists the commands\n");
                Outcome::fail(message)
            }
        }
    }

    fn types(&self) -> Outcome {
        if self.accepted.is_empty() {
            return Outcome::print("no names yet");
        }
        match analyze(&self.history()) {
            Ok(analysis) => Outcome::print(analysis.types().trim_end()),
            Err(e) => Outcome::fail(e.render(&self.history())),
        }
    }

    fn set_format(&mut self, args: &str) -> Outcome {
        let format = match args {
            "text" => OutputFormat::Text,
            "unicode" => OutputFormat::Unicode,
            "latex" => OutputFormat::Latex,
            "numpy" => OutputFormat::Numpy,
            "" => {
                let current = FORMATS[self.format as usize];
                return Outcome::print(format!("format: {current} (one of {})", FORMATS.join(", ")));
            }
            other => {
                return Outcome::fail(format!(
                    "error: unknown format `{other}`\n  = help: the formats are {}\n",
                    FORMATS.join(", ")
                ))
            }
        };
        if format.library().is_none() {
            return Outcome::fail(unavailable("LaTeX output"));
        }
        self.format = format;
        Outcome::print(format!("format: {args}"))
    }

    /// Splits `EXPR wrt X` and runs `body` on them.
    fn with_wrt(
        &mut self,
        line: &str,
        args: &str,
        args_start: usize,
        command: &str,
        body: impl FnOnce(&mut Session, Piece, Piece) -> Outcome,
    ) -> Outcome {
        let usage = || Outcome::fail(format!("error: usage: {command} EXPR wrt X\n"));
        let Some(wrt) = find_wrt(args) else { return usage() };
        let expr = args[..wrt].trim_end();
        let variable = args[wrt + 3..].trim();
        if expr.is_empty() || variable.is_empty() {
            return usage();
        }
        let variable_start = args_start + (args.len() - args[wrt + 3..].trim_start().len());
        let expr = Piece { text: expr, start: args_start, line };
        let variable = Piece { text: variable, start: variable_start, line };
        body(self, expr, variable)
    }

    fn with_expr(
        &mut self,
        line: &str,
        args: &str,
        args_start: usize,
        command: &str,
        body: impl FnOnce(&mut Session, Piece) -> Outcome,
    ) -> Outcome {
        if args.is_empty() {
            return Outcome::fail(format!("error: usage: {command} EXPR\n"));
        }
        body(self, Piece { text: args, start: args_start, line })
    }

    /// Analyses the accepted statements followed by `expr`, checks that
    /// `variable` (if any) names a variable, and runs `f`.
    fn analyze_piece(
        &self,
        expr: &Piece,
        variable: Option<&Piece>,
        f: impl FnOnce(&mut Analysis) -> Result<Outcome, Error>,
    ) -> Outcome {
        let history = self.history();
        let combined = join(&history, expr.text);
        let origin = Origin {
            history: &history,
            start: combined.len() - expr.text.len(),
            line: expr.line,
            line_start: expr.start,
        };
        let mut analysis = match analyze(&combined) {
            Ok(a) => a,
            Err(e) => return Outcome::fail(render(&e, &origin, None)),
        };
        if let Some(variable) = variable {
            if let Err(e) = analysis.variable(variable.text) {
                return Outcome::fail(e.or_span(variable.span()).render(variable.line));
            }
        }
        match f(&mut analysis) {
            Ok(outcome) => outcome,
            Err(e) => Outcome::fail(render(&e, &origin, None)),
        }
    }

    fn diff(&mut self, expr: Piece, variable: Piece) -> Outcome {
        let format = match self.library_format() {
            Ok(f) => f,
            Err(e) => return Outcome::fail(e.render("")),
        };
        self.analyze_piece(&expr, Some(&variable), |analysis| {
            let derivative = analysis.derivative(None, variable.text)?;
            Ok(Outcome::print(match format {
                Format::Numpy => {
                    let prefix = match derivative.kind {
                        DerivativeKind::Gradient => "grad",
                        DerivativeKind::Jacobian => "jacobian",
                    };
                    let name = format!("{prefix}_{}", crate::print::numpy::python_name(variable.text));
                    analysis.numpy(derivative.result, &name).trim_end().to_string()
                }
                format => analysis.print_width(derivative.result, format, WIDTH),
            }))
        })
    }

    fn check(&mut self, expr: Piece, variable: Piece) -> Outcome {
        self.analyze_piece(&expr, Some(&variable), |analysis| {
            let derivative = analysis.derivative(None, variable.text)?;
            let text = analysis.print_width(derivative.result, Format::Unicode, WIDTH);
            let comparison = crate::check::compare_with_finite_differences(
                analysis.graph(),
                derivative.of,
                derivative.wrt,
                derivative.result,
                derivative.kind == DerivativeKind::Jacobian,
                5,
                1,
            )?;
            let mut output = vec![format!("derivative: {text}")];
            output.extend(comparison.report());
            if comparison.passed() {
                output.push("ok".to_string());
                Ok(Outcome { output, ..Outcome::default() })
            } else {
                let error = "error: MISMATCH: the symbolic derivative disagrees with finite differences\n".to_string();
                Ok(Outcome { output, error: Some(error), ..Outcome::default() })
            }
        })
    }

    /// `:steps`: the derivation. The library has no step printer yet; when
    /// it does, this is the one place to call it.
    fn steps(&mut self, expr: Piece, variable: Piece) -> Outcome {
        // Check the input all the same, so mistakes are reported.
        let format = match self.format {
            OutputFormat::Latex => Format::Latex,
            OutputFormat::Text => Format::Text,
            _ => Format::Unicode,
        };
        self.analyze_piece(&expr, Some(&variable), |analysis| {
            Ok(Outcome::print(analysis.steps(None, variable.text, format, WIDTH)?))
        })
    }

    /// Prints `expr`'s simplified value in `format`, or says the build
    /// lacks that printer.
    fn print_in(&mut self, expr: Piece, format: Option<Format>, what: &str) -> Outcome {
        let Some(format) = format else {
            return Outcome::fail(unavailable(what));
        };
        self.analyze_piece(&expr, None, |analysis| {
            let value = analysis.simplified(None)?;
            Ok(Outcome::print(analysis.print_width(value, format, WIDTH)))
        })
    }

    fn load(&mut self, path: &str) -> Outcome {
        if path.is_empty() {
            return Outcome::fail("error: usage: :load FILE\n");
        }
        let source = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => return Outcome::fail(format!("error: cannot read {path}: {e}\n")),
        };
        let program = match crate::syntax::parse_program(&source) {
            Ok(p) => p,
            Err(e) => return Outcome::fail(format!("in {path}:\n{}", e.render(&source))),
        };
        let mut entries = Vec::new();
        for statement in &program.statements {
            let (span, kind) = match statement {
                Statement::Declare { span, .. } => (*span, EntryKind::Declaration),
                Statement::Define { name_span, value, .. } => (name_span.join(value.span), EntryKind::Definition),
                Statement::Expr(e) => (e.span, EntryKind::Expression),
            };
            if let Some(text) = source.get(span.start..span.end) {
                entries.push(Entry { text: text.to_string(), kind });
            }
        }
        let history = self.history();
        let combined = join(&history, &source);
        let origin = Origin { history: &history, start: combined.len() - source.len(), line: &source, line_start: 0 };
        match analyze(&combined) {
            Ok(analysis) => {
                let count = entries.len();
                self.accepted.extend(entries);
                self.names = symbol_names(&analysis);
                self.types = analysis.types();
                let plural = if count == 1 { "" } else { "s" };
                Outcome::print(format!("loaded {count} statement{plural} from {path}"))
            }
            Err(e) => Outcome::fail(format!("in {path}:\n{}", render(&e, &origin, self.redefinition_help(&e)))),
        }
    }

    fn save(&self, path: &str) -> Outcome {
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

/// Part of a command line: its text and where it starts in the line.
struct Piece<'a> {
    text: &'a str,
    start: usize,
    line: &'a str,
}

impl Piece<'_> {
    /// The piece's span in the line.
    fn span(&self) -> Span {
        Span::new(self.start, self.start + self.text.len())
    }
}

fn latex_unavailable() -> Error {
    Error::bare(ErrorKind::Value, "LaTeX output is not available in this build")
}

/// The message for a format this build cannot print.
fn unavailable(what: &str) -> String {
    format!("error: {what} is not available in this build\n")
}

/// `history` and `text` as one program.
fn join(history: &str, text: &str) -> String {
    if history.is_empty() {
        text.to_string()
    } else {
        format!("{history}\n{text}")
    }
}

/// Renders `e`, raised on the combined source of `origin`, against the
/// line the user typed; spans in earlier statements become notes.
fn render(e: &Error, origin: &Origin<'_>, help: Option<String>) -> String {
    let combined_len = origin.start;
    let to_line = |s: Span| -> Option<Span> {
        (s.start >= combined_len).then(|| {
            Span::new(
                s.start - combined_len + origin.line_start,
                s.end.saturating_sub(combined_len) + origin.line_start,
            )
        })
    };
    let mut mapped = e.clone();
    mapped.labels.clear();
    let mut notes = Vec::new();
    match e.span.map(|s| (s, to_line(s))) {
        Some((_, Some(s))) => mapped.span = Some(s),
        Some((s, None)) => {
            mapped.span = None;
            if let Some(text) = statement_at(origin.history, s) {
                notes.push(format!("in the earlier statement `{text}`"));
            }
        }
        None => {}
    }
    for label in &e.labels {
        match to_line(label.span) {
            Some(s) => mapped.labels.push(crate::error::Label { span: s, note: label.note.clone() }),
            None => {
                if let Some(text) = statement_at(origin.history, label.span) {
                    notes.push(format!("{}: the earlier statement `{text}`", label.note));
                }
            }
        }
    }
    let mut out = mapped.render(origin.line);
    for note in notes {
        out.push_str(&format!("  = note: {note}\n"));
    }
    if let Some(help) = help {
        out.push_str(&format!("  = help: {help}\n"));
    }
    out
}

/// The accepted statement (one per line of `history`) that holds `span`.
fn statement_at(history: &str, span: Span) -> Option<&str> {
    let start = span.start.min(history.len());
    let line_start = history.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = history.get(start..)?.find('\n').map_or(history.len(), |i| start + i);
    history.get(line_start..line_end).map(str::trim)
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

/// Where the keyword `wrt` separating `EXPR wrt X` starts in `args` (the last
/// whitespace-delimited occurrence).
fn find_wrt(args: &str) -> Option<usize> {
    let bytes = args.as_bytes();
    args.rmatch_indices("wrt").map(|(i, _)| i).find(|&i| {
        let before = i > 0 && bytes[i - 1].is_ascii_whitespace();
        let after = bytes.get(i + 3).is_some_and(u8::is_ascii_whitespace);
        before && after
    })
}

/// The names of the analysed program's symbols.
fn symbol_names(analysis: &Analysis) -> Vec<String> {
    analysis.graph().symbols().map(|(_, s)| s.name.clone()).collect()
}

/// Completions of the word before byte `pos` of `line` among `names`, the
/// built-in functions and the commands.
fn complete(line: &str, pos: usize, names: &[String]) -> (usize, Vec<String>) {
    let mut pos = pos.min(line.len());
    while !line.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &line[..pos];
    let trimmed = before.trim_start();
    if trimmed.starts_with(':') && !trimmed.contains(char::is_whitespace) {
        let start = before.len() - trimmed.len();
        let found = COMMANDS.iter().filter(|c| c.starts_with(trimmed)).map(|c| c.to_string()).collect();
        return (start, found);
    }
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &before[word_start..];
    if let Some(rest) = trimmed.strip_prefix(":format") {
        if rest.starts_with(char::is_whitespace) {
            let found = FORMATS.iter().filter(|f| f.starts_with(word)).map(|f| f.to_string()).collect();
            return (word_start, found);
        }
    }
    if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
        return (pos, Vec::new());
    }
    let with_wrt = [":diff", ":check", ":steps"].iter().any(|c| trimmed.starts_with(c));
    let mut found: Vec<String> = names
        .iter()
        .map(String::as_str)
        .chain(BUILTIN_FUNCTIONS.iter().copied())
        .chain(with_wrt.then_some("wrt"))
        .filter(|n| n.starts_with(word))
        .map(str::to_string)
        .collect();
    found.sort();
    found.dedup();
    (word_start, found)
}

// ---------------------------------------------------------------------------
// The loops
// ---------------------------------------------------------------------------

/// Runs a session over piped input: no prompts, no colours, results to
/// `out`, errors to `err`. Returns `true` if every statement succeeded.
pub fn run_script(input: &mut dyn BufRead, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let mut session = Session::new();
    let mut ok = true;
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match input.read_until(b'\n', &mut buffer) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = writeln!(err, "error: cannot read standard input: {e}");
                return false;
            }
        }
        let line = String::from_utf8_lossy(&buffer);
        let outcome = session.feed(&line);
        ok &= report(&outcome, out, err, false);
        if outcome.quit {
            return ok;
        }
    }
    if let Some(outcome) = session.finish() {
        ok &= report(&outcome, out, err, false);
    }
    ok
}

/// Writes an outcome; returns `false` if it was an error.
fn report(outcome: &Outcome, out: &mut dyn Write, err: &mut dyn Write, colour: bool) -> bool {
    for text in &outcome.output {
        let _ = writeln!(out, "{text}");
    }
    let _ = out.flush();
    match &outcome.error {
        Some(text) => {
            let text = if colour { colour_error(text) } else { text.clone() };
            let _ = write!(err, "{text}");
            let _ = err.flush();
            false
        }
        None => true,
    }
}

/// Makes the `error:` and `help:` words of a rendered error bold and coloured.
fn colour_error(text: &str) -> String {
    text.replacen("error:", "\x1b[1;31merror\x1b[0m:", 1).replace("= help:", "= \x1b[1;36mhelp\x1b[0m:")
}

/// The history file: `$XDG_DATA_HOME/matcalc/history` or
/// `~/.local/share/matcalc/history`.
pub fn history_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/share"),
    };
    Some(base.join("matcalc").join("history"))
}

/// Runs the interactive session on the terminal; returns the exit status.
pub fn run_terminal() -> i32 {
    use rustyline::config::{CompletionType, Config};
    use rustyline::error::ReadlineError;

    let config = Config::builder().completion_type(CompletionType::List).auto_add_history(false).build();
    let mut editor =
        match rustyline::Editor::<terminal::Helper, rustyline::history::DefaultHistory>::with_config(config) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: cannot start the line editor: {e}");
                return 1;
            }
        };
    let mut session = Session::new();
    editor.set_helper(Some(terminal::Helper::new(session.names())));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    println!("matcalc {} — `:help` for help, Ctrl-D to leave", env!("CARGO_PKG_VERSION"));
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    loop {
        match editor.readline(session.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let outcome = session.feed(&line);
                report(&outcome, &mut out, &mut err, colour);
                if let Some(helper) = editor.helper_mut() {
                    helper.set_names(session.names());
                }
                if outcome.quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => session.cancel(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    0
}

mod terminal {
    //! The rustyline helper: Tab completion of names, built-ins, commands
    //! and file names after `:load` and `:save`.

    use rustyline::completion::{Completer, FilenameCompleter, Pair};
    use rustyline::highlight::Highlighter;
    use rustyline::hint::Hinter;
    use rustyline::validate::Validator;
    use rustyline::Context;

    /// Completion state for the line editor.
    pub struct Helper {
        names: Vec<String>,
        files: FilenameCompleter,
    }

    impl Helper {
        /// A helper completing `names`.
        pub fn new(names: &[String]) -> Helper {
            Helper { names: names.to_vec(), files: FilenameCompleter::new() }
        }

        /// Replaces the session names.
        pub fn set_names(&mut self, names: &[String]) {
            if self.names != names {
                self.names = names.to_vec();
            }
        }
    }

    impl Completer for Helper {
        type Candidate = Pair;

        fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
            let trimmed = line.trim_start();
            if trimmed.starts_with(":load ") || trimmed.starts_with(":save ") {
                return self.files.complete(line, pos, ctx);
            }
            let (start, found) = super::complete(line, pos, &self.names);
            Ok((start, found.into_iter().map(|s| Pair { display: s.clone(), replacement: s }).collect()))
        }
    }

    impl Hinter for Helper {
        type Hint = String;
    }

    impl Highlighter for Helper {}

    impl Validator for Helper {}

    impl rustyline::Helper for Helper {}
}
