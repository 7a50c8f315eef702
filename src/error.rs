//! Source spans and the one error type of matcalc, rendered with a caret
//! under the offending source like rustc.

use std::fmt;

/// A byte range `start..end` in the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// What went wrong, in the user's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// Operands whose shapes do not fit the operation.
    Shape,
    /// A name that is neither declared, defined nor a built-in.
    UnknownName,
    /// A call with the wrong number or kind of arguments.
    Arity,
    /// A declaration or definition that clashes with an earlier one.
    Redefinition,
    /// A derivative that matcalc cannot express.
    Differentiation,
    /// A value outside what matcalc accepts (division by zero, huge powers, ...).
    Value,
    /// Input beyond matcalc's limits (nesting depth, size).
    Limit,
    /// Evaluation failed (a numeric check could not be carried out).
    Evaluation,
}

impl ErrorKind {
    fn title(&self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax error",
            ErrorKind::Shape => "shape error",
            ErrorKind::UnknownName => "unknown name",
            ErrorKind::Arity => "wrong arguments",
            ErrorKind::Redefinition => "redefinition",
            ErrorKind::Differentiation => "cannot differentiate",
            ErrorKind::Value => "invalid value",
            ErrorKind::Limit => "input too large",
            ErrorKind::Evaluation => "evaluation error",
        }
    }
}

/// A labelled span: where, and what is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The source range.
    pub span: Span,
    /// A short note printed beside the carets.
    pub note: String,
}

/// An error with a message, the primary span, extra labels and optional help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The class of error.
    pub kind: ErrorKind,
    /// One lowercase line without a trailing period.
    pub message: String,
    /// Where the error is; `None` for errors without a source position.
    pub span: Option<Span>,
    /// Secondary places worth pointing at.
    pub labels: Vec<Label>,
    /// A hint on how to fix it.
    pub help: Option<String>,
}

/// The result type of every fallible matcalc function.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `kind` at `span`.
    pub fn new(kind: ErrorKind, message: impl Into<String>, span: Span) -> Error {
        Error { kind, message: message.into(), span: Some(span), labels: Vec::new(), help: None }
    }

    /// An error without a source position.
    pub fn bare(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), span: None, labels: Vec::new(), help: None }
    }

    /// Adds a labelled secondary span.
    pub fn with_label(mut self, span: Span, note: impl Into<String>) -> Error {
        self.labels.push(Label { span, note: note.into() });
        self
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Error {
        self.help = Some(help.into());
        self
    }

    /// Attaches a span if the error has none.
    pub fn or_span(mut self, span: Span) -> Error {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    /// The 1-based line and column (in characters) where the error's span
    /// starts in `source`; `None` for an error without a position.
    pub fn line_column(&self, source: &str) -> Option<(usize, usize)> {
        let start = floor_char_boundary(source, self.span?.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        Some((line_of(source, start) + 1, source[line_start..start].chars().count() + 1))
    }

    /// The error's title: `syntax error`, `shape error`, `unknown name`, ...
    pub fn title(&self) -> &'static str {
        self.kind.title()
    }

    /// Renders the error against its source: message, the source line and
    /// carets under the span, labels and help.
    pub fn render(&self, source: &str) -> String {
        let mut out = format!("error: {}: {}\n", self.kind.title(), self.message);
        if let Some(span) = self.span {
            out.push_str(&underline(source, span, "", '^'));
        }
        for label in &self.labels {
            let same_line = self.span.is_some_and(|s| line_of(source, s.start) == line_of(source, label.span.start));
            let block = underline(source, label.span, &label.note, '-');
            if same_line {
                // Only the marker line: the source line is already shown.
                out.push_str(block.lines().nth(2).unwrap_or(""));
                out.push('\n');
            } else {
                out.push_str(&block);
            }
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("  = help: {help}\n"));
        }
        out
    }
}

/// A remark on a program that is not an error: an assumption matcalc made
/// that changes the answer (a name's kind chosen by its spelling), or a
/// likely slip (`norm2(e)^2`). Printed on standard error with a caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// One lowercase line without a trailing period.
    pub message: String,
    /// Where in the source it applies.
    pub span: Span,
    /// What to write to decide otherwise.
    pub help: Option<String>,
}

impl Note {
    /// A note at `span` with a help line.
    pub fn new(message: impl Into<String>, span: Span, help: impl Into<String>) -> Note {
        Note { message: message.into(), span, help: Some(help.into()) }
    }

    /// The note with its source line and a caret, like an [`Error`].
    pub fn render(&self, source: &str) -> String {
        let mut out = format!("note: {}\n", self.message);
        out.push_str(&underline(source, self.span, "", '^'));
        if let Some(help) = &self.help {
            out.push_str(&format!("  = help: {help}\n"));
        }
        out
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.title(), self.message)
    }
}

impl std::error::Error for Error {}

fn line_of(source: &str, offset: usize) -> usize {
    source.get(..offset.min(source.len())).map_or(0, |s| s.matches('\n').count())
}

/// The source line holding `span` with `mark` characters under the span.
fn underline(source: &str, span: Span, note: &str, mark: char) -> String {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let end = floor_char_boundary(source, span.end.min(source.len())).max(start);
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
    let line_number = source[..start].matches('\n').count() + 1;
    let line = &source[line_start..line_end];
    const MAX_WIDTH: usize = 200;
    let (shown, offset) = clip_line(line, start - line_start, MAX_WIDTH);
    let column = source[line_start..start].chars().count() - offset;
    let width = source[start..end.min(line_end)].chars().count().max(1);
    let gutter = line_number.to_string().len();
    let pad = " ".repeat(gutter);
    let marks: String = std::iter::repeat_n(mark, width.min(MAX_WIDTH)).collect();
    let note = if note.is_empty() { String::new() } else { format!(" {note}") };
    format!("{pad} |\n{line_number} | {shown}\n{pad} | {}{marks}{note}\n", " ".repeat(column))
}

/// Shows at most `max` characters of a long line around byte `focus`;
/// returns the text and how many characters were cut at the front.
fn clip_line(line: &str, focus: usize, max: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= max {
        return (line.to_string(), 0);
    }
    let focus_char = line[..floor_char_boundary(line, focus)].chars().count();
    let first = focus_char.saturating_sub(max / 2).min(chars.len() - max);
    (chars[first..first + max].iter().collect(), first)
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}
