//! `matcalc.Session`: declarations and definitions kept from one call to
//! the next, as at the REPL. Each call adds its statements to the
//! library's incremental workspace all or nothing: a call that fails
//! leaves the session as it was. A statement that declares or defines a
//! name the session has replaces the old one, as at the REPL: the
//! statements that use the name move after the new one and the session is
//! analysed again (the same statement again changes nothing, so a notebook
//! cell can run twice).

use std::collections::HashSet;
use std::sync::Mutex;

use matcalc::ast::{Expr, ExprKind, Statement};
use matcalc::lower::{Failure, StatementValue, Workspace};
use matcalc::{Error, ErrorKind, Span};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::to_py;
use crate::result::MatcalcResult;

/// What the statements of one call gave: the last one's value, the
/// definition it names (a bare definition name, or a definition), and the
/// notes on them.
struct Added {
    value: Option<StatementValue>,
    of: Option<String>,
    is_expression: bool,
    notes: Vec<String>,
}

/// An incremental session: declarations and definitions accumulate.
#[pyclass(module = "matcalc", name = "Session", frozen)]
pub struct Session {
    state: Mutex<State>,
}

/// The workspace, and how many times a replacement made it anew.
struct State {
    workspace: Workspace,
    generation: u64,
}

/// The statement's text span (a definition's from its name).
fn statement_span(statement: &Statement) -> Span {
    match statement {
        Statement::Declare { span, .. } => *span,
        Statement::Define { name_span, value, .. } => name_span.join(value.span),
        Statement::Expr(e) => e.span,
    }
}

fn failure_to_py(failure: &Failure, source: &str) -> PyErr {
    match failure {
        Failure::Statement(e) => to_py(e, source),
        Failure::Program { error, program, .. } => to_py(error, program),
        Failure::NeedsWholeProgram => PyRuntimeError::new_err("the statement needs the whole session analysed again"),
    }
}

impl Session {
    /// Adds the statements of `source`, then runs `then` on the workspace;
    /// if either fails, the workspace returns to where it was.
    fn transact<R>(&self, source: &str, then: impl FnOnce(&mut Workspace, &Added) -> PyResult<R>) -> PyResult<R> {
        let mut state = self.lock();
        let saved = state.workspace.texts().to_vec();
        let before = (state.workspace.rebuilds(), state.generation);
        let mark = state.workspace.mark();
        let outcome = add_all(&mut state, source).and_then(|added| then(&mut state.workspace, &added));
        if outcome.is_err() {
            if (state.workspace.rebuilds(), state.generation) == before {
                state.workspace.rollback(mark);
            } else if let Ok((restored, _)) = Workspace::from_texts(saved, None) {
                state.workspace = restored;
                state.generation += 1;
            }
        }
        state.workspace.commit();
        outcome
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Adds every statement of `source` to the session.
fn add_all(state: &mut State, source: &str) -> PyResult<Added> {
    let program = matcalc::syntax::parse_program(source).map_err(|e| to_py(&e, source))?;
    state.workspace.set_source(source);
    let mut added = Added { value: None, of: None, is_expression: false, notes: Vec::new() };
    for statement in &program.statements {
        let span = statement_span(statement);
        let text = source.get(span.start..span.end).unwrap_or_default();
        let replaced: Vec<String> =
            defined_names(statement).into_iter().filter(|n| state.workspace.has_name(n)).collect();
        if replaced.is_empty() {
            let outcome = state.workspace.add(statement, text, true).map_err(|f| failure_to_py(&f, source))?;
            added.notes.extend(outcome.notes.iter().map(|n| n.render(source).trim_end().to_string()));
            added.value = outcome.value;
        } else {
            replace(state, statement, text, source, &replaced)?;
            state.workspace.set_source(source);
            // A definition's value is found by its name (`of`).
            added.value = None;
        }
        let workspace = &state.workspace;
        added.is_expression = matches!(statement, Statement::Expr(_));
        added.of = match statement {
            Statement::Expr(e) => match &e.kind {
                ExprKind::Name(n) if workspace.definition(n).is_some() => Some(n.clone()),
                _ => None,
            },
            Statement::Define { name, .. } => Some(name.clone()),
            Statement::Declare { .. } => None,
        };
    }
    Ok(added)
}

#[pymethods]
impl Session {
    #[new]
    fn new() -> Session {
        Session { state: Mutex::new(State { workspace: Workspace::new(), generation: 0 }) }
    }

    /// Adds declarations, definitions and expressions (separated by `;` or
    /// newlines); returns the simplified value of a final expression (a
    /// `Result`), else `None`. All or nothing: on an error nothing is added.
    fn run(&self, py: Python<'_>, statements: &str) -> PyResult<Option<Py<MatcalcResult>>> {
        self.transact(statements, |workspace, added| {
            if !added.is_expression {
                return Ok(None);
            }
            let analysis = workspace.with_analysis(added.value, |a| a.clone());
            crate::simplified(py, analysis, added.of.as_deref(), statements, added.notes.clone()).map(Some)
        })
    }

    /// The derivative of `expression` (after any statements before it; a
    /// definition's name stands for its value) with respect to `wrt`, one
    /// name or several, as `matcalc.diff`.
    fn diff(&self, py: Python<'_>, expression: &str, wrt: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (names, several) = crate::variables(wrt)?;
        self.transact(expression, |workspace, added| {
            let analysis = workspace.with_analysis(added.value, |a| a.clone());
            crate::derivatives(py, analysis, added.of.as_deref(), &names, several, expression, added.notes.clone())
        })
    }

    /// The value of `expression`, simplified, as `matcalc.simplify`.
    fn simplify(&self, py: Python<'_>, expression: &str) -> PyResult<Py<MatcalcResult>> {
        self.transact(expression, |workspace, added| {
            let analysis = workspace.with_analysis(added.value, |a| a.clone());
            crate::simplified(py, analysis, added.of.as_deref(), expression, added.notes.clone())
        })
    }

    /// Whether `claim` is the derivative of `expression` with respect to `wrt`.
    fn verify(&self, expression: &str, wrt: &str, claim: &str) -> PyResult<crate::reports::Verdict> {
        self.transact(expression, |workspace, added| {
            let of = added.of.as_deref();
            workspace
                .with_program_analysis(added.value, |a| crate::verify_in(a, of, wrt, claim, expression))
                .map_err(|e| to_py(&e, expression))?
        })
    }

    /// The derivative of `expression` compared with finite differences.
    #[pyo3(signature = (expression, wrt, *, points = 5, seed = 1))]
    fn check(&self, expression: &str, wrt: &str, points: usize, seed: u64) -> PyResult<crate::reports::Check> {
        self.transact(expression, |workspace, added| {
            let of = added.of.as_deref();
            let report = workspace
                .with_program_analysis(added.value, |a| matcalc::check::check_derivative(a, of, wrt, points, seed))
                .map_err(|e| to_py(&e, expression))?;
            report.map(crate::reports::Check::new).map_err(|e| to_py(&e, expression))
        })
    }

    /// The kind and shape of every name of the session.
    fn types<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.lock().workspace.with_analysis(None, |a| crate::types_of(py, a))
    }

    /// The session's declarations, definitions and the expressions that
    /// taught it a name or a shape, one statement a line.
    #[getter]
    fn program(&self) -> String {
        self.lock().workspace.texts().join("\n")
    }

    fn __repr__(&self) -> String {
        format!("<matcalc.Session of {} statements>", self.lock().workspace.texts().len())
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

/// Every name a statement mentions (variables and called names).
fn used_names(statement: &Statement) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack: Vec<&Expr> = match statement {
        Statement::Declare { .. } => Vec::new(),
        Statement::Define { value, .. } => vec![value],
        Statement::Expr(e) => vec![e],
    };
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

/// A statement (`text`) that declares or defines `replaced`, names the
/// session has: the old statements of those names go, the statements that
/// use them move after the new one, and the session is analysed again. The
/// same statement as before changes nothing.
fn replace(state: &mut State, statement: &Statement, text: &str, source: &str, replaced: &[String]) -> PyResult<()> {
    if let Statement::Define { name, name_span, value } = statement {
        if used_names(&Statement::Expr(value.clone())).contains(name) {
            let e = Error::new(ErrorKind::Redefinition, format!("`{name}` is defined by itself"), *name_span)
                .with_help(format!(
                    "a new definition replaces the old one everywhere `{name}` is used; give this one a new name"
                ));
            return Err(to_py(&e, source));
        }
    }
    let parsed: Vec<(String, Statement)> = state
        .workspace
        .texts()
        .iter()
        .filter_map(|t| {
            let program = matcalc::syntax::parse_program(t).ok()?;
            Some((t.clone(), program.statements.into_iter().next()?))
        })
        .collect();
    if parsed.len() != state.workspace.texts().len() {
        return Err(PyRuntimeError::new_err("the session's statements no longer parse"));
    }
    if parsed.iter().any(|(old, s)| old == text && defined_names(s).iter().any(|d| replaced.contains(d))) {
        return Ok(());
    }
    let mut texts = Vec::new();
    let mut moved = Vec::new();
    let mut tainted: HashSet<String> = replaced.iter().cloned().collect();
    for (old, old_statement) in &parsed {
        let defines = defined_names(old_statement);
        if defines.iter().any(|d| replaced.contains(d)) {
            let others: Vec<String> = defines.into_iter().filter(|d| !replaced.contains(d)).collect();
            texts.extend(declaration_of(old, &others));
        } else if used_names(old_statement).iter().any(|u| tainted.contains(u)) {
            tainted.extend(defines);
            moved.push(old.clone());
        } else {
            texts.push(old.clone());
        }
    }
    texts.push(text.to_string());
    texts.extend(moved);
    match Workspace::from_texts(texts, None) {
        Ok((workspace, _)) => {
            state.workspace = workspace;
            state.generation += 1;
            Ok(())
        }
        Err(failed) => {
            let (e, program) = *failed;
            Err(to_py(&e, &program))
        }
    }
}
