//! An incremental session: a program grown one statement at a time (the
//! REPL's and the Python module's), on a [`Workspace`]. A statement that
//! declares or defines a name the session has replaces the old statement
//! of that name: the statements that use the name move after the new one
//! and the session is analysed again, so every later answer agrees with
//! it; the same statement again changes nothing. A statement that fails
//! leaves the session as it was, and [`Session::add`] adds a whole source
//! all or nothing. Results are plain values (texts, verdicts, reports);
//! errors are [`SessionError`]s, which say which text their spans point
//! into.

use std::collections::HashSet;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::ast::{Expr, ExprKind, Program, Statement};
use crate::error::{Error, ErrorKind, Note, Span};
use crate::lower::{Failure, StatementValue, Workspace, WorkspaceMark};
use crate::{check, verify, Analysis, DerivativeKind, Format};

/// What a statement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementKind {
    /// `x: vector(n)`.
    Declaration,
    /// `z = W x`.
    Definition,
    /// An expression.
    Expression,
}

/// A statement that replaced the statements of names the session had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    /// The names declared or defined again.
    pub names: Vec<String>,
    /// The old statements of those names (none if they were only inferred).
    pub old: Vec<String>,
    /// The names defined by statements that moved after the new one.
    pub dependents: Vec<String>,
}

impl Replacement {
    /// The note on it: `this replaces `z = W x`; y now uses the new one`.
    pub fn message(&self) -> String {
        let mut note = match self.old.as_slice() {
            [] => format!("`{}` was inferred from its use; now it is declared", self.names.join("`, `")),
            old => format!("this replaces `{}`", old.join("`, `")),
        };
        if !self.dependents.is_empty() {
            let s = if self.dependents.len() == 1 { "s" } else { "" };
            note.push_str(&format!("; {} now use{s} the new one", self.dependents.join(", ")));
        }
        note
    }
}

/// What adding a statement (or the statements of a source) gave.
#[derive(Clone, Debug, Default)]
pub struct Added {
    /// The last statement's kind (`None` for a source without statements).
    pub kind: Option<StatementKind>,
    /// The last statement's value, when it is not found by name (`of`).
    pub value: Option<StatementValue>,
    /// The definition the last statement names: a definition, or an
    /// expression that is a definition's bare name.
    pub of: Option<String>,
    /// Notes on the statements, with spans in their source.
    pub notes: Vec<Note>,
    /// What the statements replaced.
    pub replacements: Vec<Replacement>,
}

impl Added {
    /// The last statement was an expression.
    pub fn is_expression(&self) -> bool {
        self.kind == Some(StatementKind::Expression)
    }
}

/// The text the spans of a [`SessionError`] point into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorText {
    /// The source given (the statements or the expression).
    Source,
    /// The session's statements and the new one analysed as one program,
    /// one statement a line; the new statement is `program[start..end]` and
    /// starts at `source_start` in the source.
    Program {
        /// The whole program.
        program: String,
        /// Where the new statement starts in `program`.
        start: usize,
        /// Where it ends in `program`.
        end: usize,
        /// Where it starts in the source.
        source_start: usize,
        /// The program was analysed because the statement replaced another.
        replacing: bool,
    },
}

/// Why a statement was refused, and which text the error's spans point into.
#[derive(Clone, Debug)]
pub struct SessionError {
    /// The error.
    pub error: Box<Error>,
    /// The text its spans point into.
    pub text: ErrorText,
}

impl From<Error> for SessionError {
    fn from(error: Error) -> SessionError {
        SessionError { error: Box::new(error), text: ErrorText::Source }
    }
}

/// What the session knows of a kept statement (its text is the workspace's).
#[derive(Clone, Debug)]
struct Entry {
    kind: StatementKind,
    defines: Vec<String>,
    uses: Vec<String>,
}

/// A state of a [`Session`] to return to with [`Session::rollback`].
#[derive(Clone, Debug)]
pub struct SessionMark {
    workspace: WorkspaceMark,
    version: (u64, u64),
    saved: Option<(Vec<String>, Vec<Entry>)>,
}

/// A program grown statement by statement.
pub struct Session {
    workspace: Workspace,
    /// One per text of the workspace.
    entries: Vec<Entry>,
    interrupt: Arc<AtomicBool>,
    /// Statements analysed by workspaces that were replaced.
    analysed_before: u64,
    /// Bumped whenever the workspace is replaced by a new one.
    generation: u64,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

impl Session {
    /// An empty session.
    pub fn new() -> Session {
        let interrupt = Arc::new(AtomicBool::new(false));
        let mut workspace = Workspace::new();
        workspace.set_interrupt(Some(Arc::clone(&interrupt)));
        Session { workspace, entries: Vec::new(), interrupt, analysed_before: 0, generation: 0 }
    }

    /// The flag that interrupts the current work when raised: the work
    /// unwinds with [`crate::interrupt`]'s payload, and the statement being
    /// added leaves no trace.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// Statements inferred and lowered in all (a statement analysed again
    /// after a replacement counts again).
    pub fn statements_analysed(&self) -> u64 {
        self.analysed_before + self.workspace.statements_analysed()
    }

    /// Changes whenever the session was analysed anew (a replacement, a
    /// reset, a restore) or a whole-program analysis was needed.
    pub fn generation(&self) -> u64 {
        self.generation + self.workspace.rebuilds()
    }

    /// The kept statements, one text each, in order.
    pub fn texts(&self) -> &[String] {
        self.workspace.texts()
    }

    /// The kept declarations and definitions (not expressions).
    pub fn declarations(&self) -> Vec<&str> {
        let texts = self.workspace.texts().iter().zip(&self.entries);
        texts.filter(|(_, e)| e.kind != StatementKind::Expression).map(|(t, _)| t.as_str()).collect()
    }

    /// Whether the session knows `name` (declared, defined or inferred).
    pub fn has_name(&self, name: &str) -> bool {
        self.workspace.has_name(name)
    }

    /// Whether `name` is a definition of the session.
    pub fn is_definition(&self, name: &str) -> bool {
        self.workspace.definition(name).is_some()
    }

    /// How many names the session has.
    pub fn name_count(&self) -> usize {
        self.workspace.symbol_count()
    }

    /// The session's names from the `from`-th on, in order.
    pub fn names_from(&self, from: usize) -> Vec<String> {
        self.workspace.names_from(from)
    }

    /// Forgets every statement.
    pub fn reset(&mut self) {
        self.replace_workspace(Workspace::new(), Vec::new());
    }

    /// Forgets the undo journal (after each complete input): marks taken
    /// before cannot be returned to.
    pub fn commit(&mut self) {
        self.workspace.commit();
    }

    /// A state to return to; cheap, but [`Session::rollback`] cannot return
    /// to it across a whole-program analysis.
    pub fn mark(&self) -> SessionMark {
        SessionMark { workspace: self.workspace.mark(), version: self.version(), saved: None }
    }

    /// A state to return to in every case (it copies the statements' texts).
    pub fn checkpoint(&self) -> SessionMark {
        let saved = Some((self.workspace.texts().to_vec(), self.entries.clone()));
        SessionMark { saved, ..self.mark() }
    }

    /// Returns to `mark`; `false` if it could not (a cheap mark taken before
    /// a whole-program analysis).
    pub fn rollback(&mut self, mark: SessionMark) -> bool {
        if mark.version == self.version() {
            self.workspace.rollback(mark.workspace);
            return true;
        }
        let Some((texts, entries)) = mark.saved else { return false };
        match Workspace::from_texts(texts, Some(Arc::clone(&self.interrupt))) {
            Ok((workspace, _)) => {
                self.replace_workspace(workspace, entries);
                true
            }
            Err(_) => false,
        }
    }

    fn version(&self) -> (u64, u64) {
        (self.generation, self.workspace.rebuilds())
    }

    fn replace_workspace(&mut self, mut workspace: Workspace, entries: Vec<Entry>) {
        self.analysed_before += self.workspace.statements_analysed();
        workspace.set_interrupt(Some(Arc::clone(&self.interrupt)));
        self.workspace = workspace;
        self.entries = entries;
        self.generation += 1;
    }

    /// Parses `source` for [`Session::add_statement`], which its statements
    /// then refer to.
    pub fn parse(&mut self, source: &str) -> Result<Program, SessionError> {
        let program = crate::syntax::parse_program(source)?;
        self.workspace.set_source(source);
        Ok(program)
    }

    /// Adds the statements of `source`, all or nothing: on an error the
    /// session is as it was.
    pub fn add(&mut self, source: &str) -> Result<Added, SessionError> {
        self.transaction(source, |_, added| Ok(added.clone()))
    }

    /// Adds the statements of `source`, then runs `then` on the value of
    /// the last one; if either fails, the session is as it was.
    pub fn transaction<R, E: From<SessionError>>(
        &mut self,
        source: &str,
        then: impl FnOnce(Value<'_>, &Added) -> Result<R, E>,
    ) -> Result<R, E> {
        let mark = self.checkpoint();
        let result = self.add_all(source).map_err(E::from).and_then(|added| {
            let value = Value { workspace: &mut self.workspace, value: added.value, of: added.of.clone() };
            then(value, &added)
        });
        if result.is_err() {
            self.rollback(mark);
        }
        self.commit();
        result
    }

    fn add_all(&mut self, source: &str) -> Result<Added, SessionError> {
        let program = self.parse(source)?;
        let mut all = Added::default();
        for statement in &program.statements {
            let added = self.add_statement(statement, source)?;
            all.notes.extend(added.notes);
            all.replacements.extend(added.replacements);
            (all.kind, all.value, all.of) = (added.kind, added.value, added.of);
        }
        Ok(all)
    }

    /// Adds one statement of the source last given to [`Session::parse`];
    /// on an error it leaves no trace.
    pub fn add_statement(&mut self, statement: &Statement, source: &str) -> Result<Added, SessionError> {
        let (span, kind) = statement_span(statement);
        let text = source.get(span.start..span.end).unwrap_or_default();
        let of = match statement {
            Statement::Expr(Expr { kind: ExprKind::Name(n), .. }) if self.is_definition(n) => Some(n.clone()),
            Statement::Define { name, .. } => Some(name.clone()),
            _ => None,
        };
        let replaced: Vec<String> = defined_names(statement).into_iter().filter(|n| self.has_name(n)).collect();
        if !replaced.is_empty() {
            let replacement = self.replace(statement, text, span, &replaced);
            self.workspace.set_source(source);
            let replacements = replacement?.into_iter().collect();
            return Ok(Added { kind: Some(kind), value: None, of, notes: Vec::new(), replacements });
        }
        let added = self.workspace.add(statement, text, true).map_err(|f| failure_error(f, span))?;
        if added.kept {
            self.entries.push(entry_of(statement, kind));
        }
        Ok(Added { kind: Some(kind), value: added.value, of, notes: added.notes, replacements: Vec::new() })
    }

    /// The value `added` gave, to ask questions of.
    pub fn value(&mut self, added: &Added) -> Value<'_> {
        Value { workspace: &mut self.workspace, value: added.value, of: added.of.clone() }
    }

    /// The value of the session's whole program (no value: for the names).
    pub fn program_value(&mut self) -> Value<'_> {
        Value { workspace: &mut self.workspace, value: None, of: None }
    }

    /// Runs `body` on what `expression` stands for: the definition it names,
    /// or its value analysed in the session and forgotten afterwards.
    pub fn on_expression<R, E: From<SessionError>>(
        &mut self,
        expression: &str,
        body: impl FnOnce(Value<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let name = expression.trim();
        if self.is_definition(name) && crate::syntax::parse_program(name).is_ok() {
            return body(Value { workspace: &mut self.workspace, value: None, of: Some(name.to_string()) });
        }
        let program = crate::syntax::parse_program(expression).map_err(SessionError::from)?;
        let [statement @ Statement::Expr(_)] = program.statements.as_slice() else {
            let error = Error::bare(ErrorKind::Syntax, "a command takes one expression here")
                .or_span(Span::new(0, expression.len()))
                .with_help("declare and define names on their own lines first");
            return Err(SessionError::from(error).into());
        };
        let mark = self.workspace.mark();
        let interrupt = Arc::clone(&self.interrupt);
        self.workspace.set_source(expression);
        let workspace = &mut self.workspace;
        let result = catch_unwind(AssertUnwindSafe(|| match workspace.add(statement, expression, false) {
            Ok(added) => body(Value { workspace, value: added.value, of: None }),
            Err(Failure::NeedsWholeProgram) => {
                // The expression settles a dimension the session left free:
                // analyse the session with it as one program, aside.
                let mut texts = workspace.texts().to_vec();
                let start: usize = texts.iter().map(|t| t.len() + 1).sum();
                texts.push(expression.to_string());
                match Workspace::from_texts(texts, Some(interrupt)) {
                    Ok((mut aside, value)) => body(Value { workspace: &mut aside, value, of: None }),
                    Err(failed) => {
                        let (error, program) = *failed;
                        let end = program.len();
                        let text = ErrorText::Program { program, start, end, source_start: 0, replacing: false };
                        Err(SessionError { error: Box::new(error), text }.into())
                    }
                }
            }
            Err(failure) => Err(failure_error(failure, Span::new(0, expression.len())).into()),
        }));
        self.workspace.rollback(mark);
        result.unwrap_or_else(|payload| resume_unwind(payload))
    }

    /// A statement that declares or defines `replaced`, names the session
    /// has: the old statements of those names go, the statements that use
    /// them move after the new one, and the program is analysed again.
    fn replace(
        &mut self,
        statement: &Statement,
        text: &str,
        span: Span,
        replaced: &[String],
    ) -> Result<Option<Replacement>, SessionError> {
        if let Statement::Define { name, name_span, value } = statement {
            if names_in(value).contains(name) {
                let e = Error::new(ErrorKind::Redefinition, format!("`{name}` is defined by itself"), *name_span)
                    .with_help(format!(
                        "a new definition replaces the old one everywhere `{name}` is used; give this one a new name"
                    ));
                return Err(e.into());
            }
        }
        let (_, kind) = statement_span(statement);
        let history = self.workspace.texts().iter().zip(&self.entries);
        if history.clone().any(|(old, entry)| old == text && entry.defines.iter().any(|d| replaced.contains(d))) {
            // The statement as it stands: nothing changes.
            return Ok(None);
        }
        let (mut texts, mut entries, mut moved, mut old) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut tainted: HashSet<&str> = replaced.iter().map(String::as_str).collect();
        for (old_text, entry) in history {
            if entry.defines.iter().any(|d| replaced.contains(d)) {
                old.push(old_text.clone());
                let others: Vec<String> = entry.defines.iter().filter(|d| !replaced.contains(d)).cloned().collect();
                if let Some(rest) = declaration_of(old_text, &others) {
                    texts.push(rest);
                    entries.push(Entry { kind: StatementKind::Declaration, defines: others, uses: Vec::new() });
                }
            } else if entry.uses.iter().any(|u| tainted.contains(u.as_str())) {
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
                Ok(Some(Replacement { names: replaced.to_vec(), old, dependents }))
            }
            Err(failed) => {
                let (error, program) = *failed;
                let end = start + text.len();
                let text = ErrorText::Program { program, start, end, source_start: span.start, replacing: true };
                Err(SessionError { error: Box::new(error), text })
            }
        }
    }
}

/// A value of the session (a statement's, a definition's or the
/// program's), lent to answer questions about it.
pub struct Value<'a> {
    workspace: &'a mut Workspace,
    value: Option<StatementValue>,
    of: Option<String>,
}

impl Value<'_> {
    /// The definition the value is, if it is one (found by name).
    pub fn of(&self) -> Option<&str> {
        self.of.as_deref()
    }

    /// Runs `f` on an [`Analysis`] whose value is this one.
    pub fn analysis<R>(&mut self, f: impl FnOnce(&mut Analysis) -> R) -> R {
        self.workspace.with_analysis(self.value, f)
    }

    /// [`Value::analysis`] with the session's statements as the analysis's
    /// program and source (which claims need; it costs what the history costs).
    pub fn program_analysis<R>(&mut self, f: impl FnOnce(&mut Analysis) -> R) -> Result<R, Error> {
        self.workspace.with_program_analysis(self.value, f)
    }

    /// The value simplified, in `format` at `width` columns (NumPy, JAX and
    /// PyTorch: a function named `value`).
    pub fn text(&mut self, format: Format, width: usize) -> Result<String, Error> {
        let of = self.of.clone();
        self.analysis(|analysis| {
            let value = analysis.simplified(of.as_deref())?;
            Ok(match format.python_library() {
                Some(library) => analysis.python_function(value, "value", library).source.trim_end().to_string(),
                None => analysis.print_width(value, format, width),
            })
        })
    }

    /// The derivative with respect to `wrt`, in `format` at `width` columns
    /// (NumPy, JAX and PyTorch: a function named `grad_W` or `jacobian_x`).
    pub fn derivative_text(&mut self, wrt: &str, format: Format, width: usize) -> Result<String, Error> {
        let of = self.of.clone();
        self.analysis(|analysis| {
            let derivative = analysis.derivative(of.as_deref(), wrt)?;
            Ok(match format.python_library() {
                Some(library) => {
                    let jacobian = derivative.kind == DerivativeKind::Jacobian;
                    let name =
                        crate::print::numpy::derivative_function_name(analysis.graph(), derivative.wrt, jacobian);
                    analysis.python_function(derivative.result, &name, library).source.trim_end().to_string()
                }
                None => analysis.print_width(derivative.result, format, width),
            })
        })
    }

    /// The differential with respect to `wrt` as the equation `dF = …`, in
    /// text, Unicode or LaTeX at `width` (see
    /// [`Analysis::print_differential`]). The direction symbol `dX` is the
    /// answer's alone: the session's names stay as they were.
    pub fn differential_text(&mut self, wrt: &str, format: Format, width: usize) -> Result<String, Error> {
        let of = self.of.clone();
        self.analysis(|analysis| {
            let mark = analysis.graph().mark();
            let printed = analysis.differential(of.as_deref(), wrt).and_then(|differential| {
                analysis.print_differential(&differential, of.as_deref(), format, &Default::default(), width)
            });
            analysis.graph_mut().rollback(mark);
            printed
        })
    }

    /// Whether `claim` is the derivative with respect to `wrt`.
    pub fn verify(&mut self, wrt: &str, claim: &str) -> Result<verify::Report, verify::ClaimError> {
        let of = self.of.clone();
        let checked = self.program_analysis(|analysis| verify::verify_claim(analysis, of.as_deref(), wrt, claim));
        checked.map_err(verify::ClaimError::Program)?
    }

    /// The derivative with respect to `wrt` compared with finite differences
    /// at `points` random points.
    pub fn check(&mut self, wrt: &str, points: usize, seed: u64) -> Result<check::Report, Error> {
        let of = self.of.clone();
        self.program_analysis(|analysis| check::check_derivative(analysis, of.as_deref(), wrt, points, seed))?
    }

    /// The kind and shape of every name, in the order of the program.
    pub fn types(&mut self) -> Vec<crate::SymbolType> {
        self.analysis(|analysis| analysis.symbol_types())
    }
}

/// The error of a statement at `span` of its source that was not added.
fn failure_error(failure: Failure, span: Span) -> SessionError {
    match failure {
        Failure::Statement(error) => error.into(),
        Failure::Program { error, program, start } => {
            let end = program.len();
            SessionError {
                error,
                text: ErrorText::Program { program, start, end, source_start: span.start, replacing: false },
            }
        }
        Failure::NeedsWholeProgram => {
            Error::bare(ErrorKind::Limit, "the statement needs the whole session analysed again").or_span(span).into()
        }
    }
}

/// The statement's span (for a definition, from its name) and kind.
fn statement_span(statement: &Statement) -> (Span, StatementKind) {
    match statement {
        Statement::Declare { span, .. } => (*span, StatementKind::Declaration),
        Statement::Define { name_span, value, .. } => (name_span.join(value.span), StatementKind::Definition),
        Statement::Expr(e) => (e.span, StatementKind::Expression),
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

fn entry_of(statement: &Statement, kind: StatementKind) -> Entry {
    let uses = match statement {
        Statement::Declare { .. } => Vec::new(),
        Statement::Define { value, .. } => names_in(value),
        Statement::Expr(e) => names_in(e),
    };
    Entry { kind, defines: defined_names(statement), uses }
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
