//! The session state (the workspace of accepted statements, the partly
//! typed statement, the output format and width) and how typed statements
//! run, including a new definition of a name, which replaces the old one:
//! the statements that use the name move after the new definition and are
//! analysed again with it, so every result and `:save` agree with it.

use std::collections::HashSet;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::errors::{render, Origin};
use super::{Outcome, OutputFormat, CONTINUATION_PROMPT, DEFAULT_WIDTH, INTERRUPTED, PROMPT};
use matcalc::ast::{Expr, ExprKind, Statement};
use matcalc::error::{Error, ErrorKind, Span};
use matcalc::lower::{Failure, StatementValue, Workspace};
use matcalc::Format;

/// What a kept statement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EntryKind {
    Declaration,
    Definition,
    Expression,
}

/// What the session knows of a kept statement (its text is the workspace's).
#[derive(Clone, Debug)]
pub(super) struct Entry {
    kind: EntryKind,
    /// The names it declares or defines.
    defines: Vec<String>,
    /// The names it uses.
    uses: Vec<String>,
}

/// The state of one REPL session, with no terminal I/O.
pub struct Session {
    pub(super) workspace: Workspace,
    /// One per text of the workspace.
    entries: Vec<Entry>,
    pending: String,
    pub(super) format: OutputFormat,
    pub(super) width: usize,
    names: Vec<String>,
    pub(super) interrupt: Arc<AtomicBool>,
    /// Statements analysed by workspaces that were replaced.
    analysed_before: u64,
    /// Bumped whenever the workspace is replaced by a new one.
    generation: u64,
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
        let interrupt = Arc::new(AtomicBool::new(false));
        let mut workspace = Workspace::new();
        workspace.set_interrupt(Some(Arc::clone(&interrupt)));
        Session {
            workspace,
            entries: Vec::new(),
            pending: String::new(),
            format: OutputFormat::Unicode,
            width: DEFAULT_WIDTH,
            names: Vec::new(),
            interrupt,
            analysed_before: 0,
            generation: 0,
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
        Arc::clone(&self.interrupt)
    }

    /// How many statements the session has inferred and lowered in all
    /// (a statement analysed again after a replaced definition counts again).
    pub fn statements_analysed(&self) -> u64 {
        self.analysed_before + self.workspace.statements_analysed()
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
        for (text, entry) in self.workspace.texts().iter().zip(&self.entries) {
            if entry.kind != EntryKind::Expression {
                out.push_str(text);
                out.push('\n');
            }
        }
        out
    }

    /// Forgets every name.
    pub(super) fn reset(&mut self) {
        self.replace_workspace(Workspace::new(), Vec::new());
    }

    fn replace_workspace(&mut self, mut workspace: Workspace, entries: Vec<Entry>) {
        self.analysed_before += self.workspace.statements_analysed();
        workspace.set_interrupt(Some(Arc::clone(&self.interrupt)));
        self.workspace = workspace;
        self.entries = entries;
        self.generation += 1;
        self.names.clear();
        self.names_generation += 1;
        self.refresh_names();
    }

    /// Brings the names up to date: appends the new ones (a line costs
    /// what it adds), or starts over if the workspace lost some.
    fn refresh_names(&mut self) {
        let count = self.workspace.symbol_count();
        if count < self.names.len() {
            self.names.clear();
            self.names_generation += 1;
        }
        let new = self.workspace.names_from(self.names.len());
        self.names.extend(new);
    }

    /// Changes whenever names were dropped from [`Session::names`] (other
    /// changes only append to it).
    pub fn names_generation(&self) -> u64 {
        self.names_generation
    }

    /// Runs a complete input; an interrupt becomes an error.
    fn run_guarded(&mut self, input: &str) -> Outcome {
        self.interrupt.store(false, Ordering::Relaxed);
        let outcome = match catch_unwind(AssertUnwindSafe(|| self.run(input))) {
            Ok(outcome) => outcome,
            Err(payload) if matcalc::interrupt::is_interrupt(payload.as_ref()) => {
                self.refresh_names();
                Outcome::fail(format!("error: {INTERRUPTED}\n"))
            }
            Err(payload) => resume_unwind(payload),
        };
        self.interrupt.store(false, Ordering::Relaxed);
        self.workspace.commit();
        outcome
    }

    /// Runs a complete input: a command or statements.
    fn run(&mut self, input: &str) -> Outcome {
        let trimmed = input.trim();
        if trimmed.starts_with(':') {
            let start = input.len() - input.trim_start().len();
            return self.command(input, start);
        }
        if matches!(trimmed, "quit" | "exit" | "help") && !self.workspace.has_name(trimmed) {
            let command = if trimmed == "help" { ":help" } else { ":quit" };
            return self.command(command, 0);
        }
        self.statements(input)
    }

    /// Runs the statements of `input` one at a time, as if typed on
    /// separate lines; stops at the first that fails.
    fn statements(&mut self, input: &str) -> Outcome {
        let program = match matcalc::syntax::parse_program(input) {
            Ok(p) => p,
            Err(e) => return Outcome::fail(e.render(input)),
        };
        let mut outcome = Outcome::default();
        self.workspace.set_source(input);
        for statement in &program.statements {
            if !self.add_statement(statement, input, true, &mut outcome) {
                break;
            }
        }
        self.refresh_names();
        outcome
    }

    /// Adds one statement of `source` (the text last given to the
    /// workspace), printing an expression's value if `print`; on failure
    /// sets the outcome's error and returns `false`.
    pub(super) fn add_statement(
        &mut self,
        statement: &Statement,
        source: &str,
        print: bool,
        outcome: &mut Outcome,
    ) -> bool {
        let (span, kind) = statement_span(statement);
        let Some(text) = source.get(span.start..span.end) else { return true };
        let replaced: Vec<String> =
            defined_names(statement).into_iter().filter(|n| self.workspace.has_name(n)).collect();
        if !replaced.is_empty() {
            let ok = self.replace(statement, text, span, source, &replaced, outcome);
            self.workspace.set_source(source);
            return ok;
        }
        let mark = self.workspace.mark();
        let before = (self.generation, self.workspace.rebuilds());
        let added = match self.workspace.add(statement, text, true) {
            Ok(added) => added,
            Err(failure) => {
                outcome.error = Some(render_failure(&failure, source, span));
                return false;
            }
        };
        // The outcome's notes carry no `note: ` of their own (the printer adds it).
        let rendered = added.notes.iter().map(|note| note.render(source));
        outcome.notes.extend(rendered.map(|n| n.trim_start_matches("note: ").trim_end().to_string()));
        if kind == EntryKind::Expression && print {
            match self.value_text(added.value, bare_name(statement)) {
                Ok(text) => outcome.output.push(text),
                Err(e) => {
                    outcome.error = Some(render(&e, &Origin::line(source), None));
                    if before == (self.generation, self.workspace.rebuilds()) {
                        self.workspace.rollback(mark);
                        return false;
                    }
                }
            }
        }
        if added.kept {
            self.entries.push(entry_of(statement, kind));
        }
        outcome.error.is_none()
    }

    /// The simplified value of an expression in the session format; a bare
    /// definition name shows the definition's value.
    fn value_text(&mut self, value: Option<StatementValue>, bare_name: Option<String>) -> Result<String, Error> {
        let format = self.format.library();
        let width = self.width;
        self.workspace.with_analysis(value, |analysis| {
            let of = bare_name.filter(|n| {
                analysis.graph().find_symbol(n).is_some_and(|s| analysis.graph().definition_value(s).is_some())
            });
            let value = analysis.simplified(of.as_deref())?;
            Ok(match format {
                Format::Numpy => analysis.numpy(value, "value").trim_end().to_string(),
                format => analysis.print_width(value, format, width),
            })
        })
    }

    /// A statement that declares or defines `replaced`, names the session
    /// has: the old statements of those names go, the statements that use
    /// them move after the new one, and the program is analysed again.
    fn replace(
        &mut self,
        statement: &Statement,
        text: &str,
        span: Span,
        source: &str,
        replaced: &[String],
        outcome: &mut Outcome,
    ) -> bool {
        if let Statement::Define { name, name_span, value } = statement {
            if names_in(value).contains(name) {
                let e = Error::new(ErrorKind::Redefinition, format!("`{name}` is defined by itself"), *name_span)
                    .with_help(format!(
                        "a new definition replaces the old one everywhere `{name}` is used; give this one a new name"
                    ));
                outcome.error = Some(e.render(source));
                return false;
            }
        }
        let (_, kind) = statement_span(statement);
        let same = self
            .workspace
            .texts()
            .iter()
            .zip(&self.entries)
            .any(|(old, entry)| old == text && entry.defines.iter().any(|d| replaced.contains(d)));
        if same && matches!(statement, Statement::Define { .. } | Statement::Declare { .. }) {
            // The statement as it stands: nothing changes.
            return true;
        }
        let mut texts = Vec::new();
        let mut entries = Vec::new();
        let mut moved = Vec::new();
        let mut old = Vec::new();
        let mut tainted: HashSet<&str> = replaced.iter().map(String::as_str).collect();
        for (old_text, entry) in self.workspace.texts().iter().zip(&self.entries) {
            if entry.defines.iter().any(|d| replaced.contains(d)) {
                old.push(old_text.clone());
                let others: Vec<String> = entry.defines.iter().filter(|d| !replaced.contains(d)).cloned().collect();
                if let Some(rest) = declaration_of(old_text, &others) {
                    texts.push(rest);
                    entries.push(Entry { kind: EntryKind::Declaration, defines: others, uses: Vec::new() });
                }
                continue;
            }
            if entry.uses.iter().any(|u| tainted.contains(u.as_str())) {
                tainted.extend(entry.defines.iter().map(String::as_str));
                moved.push((old_text.clone(), entry.clone()));
            } else {
                texts.push(old_text.clone());
                entries.push(entry.clone());
            }
        }
        let start: usize = texts.iter().map(|t| t.len() + 1).sum();
        texts.push(text.to_string());
        entries.push(entry_of(statement, kind));
        let dependents: Vec<String> = moved.iter().flat_map(|(_, e)| e.defines.clone()).collect();
        for (t, e) in moved {
            texts.push(t);
            entries.push(e);
        }
        match Workspace::from_texts(texts, Some(Arc::clone(&self.interrupt))) {
            Ok((workspace, _)) => {
                self.replace_workspace(workspace, entries);
                let mut note = match old.as_slice() {
                    [] => format!("`{}` was inferred from its use; now it is declared", replaced.join("`, `")),
                    old => format!("this replaces `{}`", old.join("`, `")),
                };
                if !dependents.is_empty() {
                    note.push_str(&format!("; {} now use{} the new one", dependents.join(", "), plural_s(&dependents)));
                }
                outcome.notes.push(note);
                true
            }
            Err(failed) => {
                let (e, program) = *failed;
                let origin =
                    Origin { program: &program, start, end: start + text.len(), line: source, line_start: span.start };
                outcome.error = Some(render(
                    &e,
                    &origin,
                    Some("a new definition replaces the old one in every statement that uses it"),
                ));
                false
            }
        }
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
        let program = match matcalc::syntax::parse_program(&source) {
            Ok(p) => p,
            Err(e) => return Outcome::fail(format!("in {path}:\n{}", e.render(&source))),
        };
        let saved = (self.workspace.texts().to_vec(), self.entries.clone());
        let before = (self.generation, self.workspace.rebuilds());
        let mark = self.workspace.mark();
        let mut outcome = Outcome::default();
        self.workspace.set_source(&source);
        for statement in &program.statements {
            if !self.add_statement(statement, &source, false, &mut outcome) {
                if before == (self.generation, self.workspace.rebuilds()) {
                    self.workspace.rollback(mark);
                } else if let Ok((workspace, _)) = Workspace::from_texts(saved.0, Some(Arc::clone(&self.interrupt))) {
                    self.replace_workspace(workspace, saved.1);
                }
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

/// Renders why a statement of `source` at `span` was not added.
pub(super) fn render_failure(failure: &Failure, source: &str, span: Span) -> String {
    match failure {
        Failure::Statement(e) => render(e, &Origin::line(source), None),
        Failure::Program { error, program, start } => {
            let origin = Origin { program, start: *start, end: program.len(), line: source, line_start: span.start };
            render(error, &origin, None)
        }
        Failure::NeedsWholeProgram => "error: the statement needs the whole session analysed again\n".to_string(),
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

fn plural_s(names: &[String]) -> &'static str {
    if names.len() == 1 {
        "s"
    } else {
        ""
    }
}

/// The statement's span (for a definition, from its name) and kind.
fn statement_span(statement: &Statement) -> (Span, EntryKind) {
    match statement {
        Statement::Declare { span, .. } => (*span, EntryKind::Declaration),
        Statement::Define { name_span, value, .. } => (name_span.join(value.span), EntryKind::Definition),
        Statement::Expr(e) => (e.span, EntryKind::Expression),
    }
}

/// The names a statement declares or defines.
fn defined_names(statement: &Statement) -> Vec<String> {
    match statement {
        Statement::Declare { names, .. } => names.iter().map(|(n, _)| n.clone()).collect(),
        Statement::Define { name, .. } => vec![name.clone()],
        Statement::Expr(_) => Vec::new(),
    }
}

fn entry_of(statement: &Statement, kind: EntryKind) -> Entry {
    let uses = match statement {
        Statement::Declare { .. } => Vec::new(),
        Statement::Define { value, .. } => names_in(value),
        Statement::Expr(e) => names_in(e),
    };
    Entry { kind, defines: defined_names(statement), uses }
}

/// The name of a statement that is a bare name.
fn bare_name(statement: &Statement) -> Option<String> {
    match statement {
        Statement::Expr(Expr { kind: ExprKind::Name(n), .. }) => Some(n.clone()),
        _ => None,
    }
}

/// Every name an expression mentions (variables and called names).
fn names_in(expr: &Expr) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Number(_) => {}
            ExprKind::Name(n) => names.push(n.clone()),
            ExprKind::Call { name, args, .. } => {
                names.push(name.clone());
                stack.extend(args.iter());
            }
            ExprKind::Negate(a) | ExprKind::Transpose(a) | ExprKind::InverseTranspose(a) => stack.push(a),
            ExprKind::Binary(_, a, b) => stack.extend([a.as_ref(), b.as_ref()]),
            ExprKind::Power { base, exponent, .. } => stack.extend([base.as_ref(), exponent.as_ref()]),
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The declaration `text` (`a, b: vector(n)`) narrowed to `names`.
fn declaration_of(text: &str, names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let (_, kind) = text.split_once(':')?;
    Some(format!("{}: {}", names.join(", "), kind.trim()))
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
