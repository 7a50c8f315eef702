//! Errors rendered against the line the user typed: an error raised on a
//! piece of a command, or on the whole program when the session had to
//! analyse it again, points at the typed text; spans in earlier statements
//! become notes naming those statements.

use matcalc::error::{Error, Label, Span};

/// Where the text an error's spans refer to came from.
pub struct Origin<'a> {
    /// The text the spans refer to (the whole program, or the line).
    pub program: &'a str,
    /// Where the typed text starts in `program`.
    pub start: usize,
    /// Where it ends in `program`.
    pub end: usize,
    /// What the user typed.
    pub line: &'a str,
    /// Where the typed text starts in `line`.
    pub line_start: usize,
}

impl<'a> Origin<'a> {
    /// Spans that refer to `line` itself.
    pub fn line(line: &'a str) -> Origin<'a> {
        Origin { program: line, start: 0, end: line.len(), line, line_start: 0 }
    }

    /// Spans that refer to `piece`, which starts at `start` in `line`.
    pub fn piece(line: &'a str, piece: &'a str, start: usize) -> Origin<'a> {
        Origin { program: piece, start: 0, end: piece.len(), line, line_start: start }
    }

    fn to_line(&self, s: Span) -> Option<Span> {
        (s.start >= self.start && s.start <= self.end).then(|| {
            let end = s.end.clamp(s.start, self.end);
            Span::new(s.start - self.start + self.line_start, end - self.start + self.line_start)
        })
    }
}

/// Renders `e` against the typed line, with `help` added if given. An
/// error wholly inside one earlier statement is drawn under that statement.
pub fn render(e: &Error, origin: &Origin<'_>, help: Option<&str>) -> String {
    if let Some(out) = render_in_earlier_statement(e, origin, help) {
        return out;
    }
    let mut mapped = e.clone();
    mapped.labels.clear();
    let mut notes = Vec::new();
    match e.span.map(|s| (s, origin.to_line(s))) {
        Some((_, Some(s))) => mapped.span = Some(s),
        Some((s, None)) => {
            mapped.span = None;
            if let Some(text) = statement_at(origin.program, s) {
                notes.push(format!("in the earlier statement `{text}`"));
            }
        }
        None => {}
    }
    for label in &e.labels {
        match origin.to_line(label.span) {
            Some(s) => mapped.labels.push(Label { span: s, note: label.note.clone() }),
            None => {
                if let Some(text) = statement_at(origin.program, label.span) {
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

/// `e` drawn under the earlier statement of `origin.program` that holds
/// all its spans, if there is one.
fn render_in_earlier_statement(e: &Error, origin: &Origin<'_>, help: Option<&str>) -> Option<String> {
    let span = e.span?;
    if origin.to_line(span).is_some() || origin.program.len() == origin.line.len() && origin.start == 0 {
        return None;
    }
    let program = origin.program;
    let start = span.start.min(program.len());
    let line_start = program.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = program.get(start..)?.find('\n').map_or(program.len(), |i| start + i);
    let inside = |s: Span| s.start >= line_start && s.end <= line_end;
    if !inside(span) || !e.labels.iter().all(|l| inside(l.span)) {
        return None;
    }
    let shift = |s: Span| Span::new(s.start - line_start, s.end - line_start);
    let mut mapped = e.clone();
    mapped.span = Some(shift(span));
    mapped.labels = e.labels.iter().map(|l| Label { span: shift(l.span), note: l.note.clone() }).collect();
    let mut out = mapped.render(&program[line_start..line_end]);
    out.push_str("  = note: in an earlier statement, which this line changes\n");
    if let Some(help) = help {
        out.push_str(&format!("  = help: {help}\n"));
    }
    Some(out)
}

/// The statement (one per line of `program`) that holds `span`.
fn statement_at(program: &str, span: Span) -> Option<&str> {
    let start = span.start.min(program.len());
    let line_start = program.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = program.get(start..)?.find('\n').map_or(program.len(), |i| start + i);
    program.get(line_start..line_end).map(str::trim)
}
