//! `matcalc.Session`: declarations and definitions kept from one call to
//! the next, as at the REPL. Each call adds its statements to the
//! library's incremental workspace all or nothing: a call that fails
//! leaves the session as it was.

use std::sync::Mutex;

use matcalc::ast::{ExprKind, Statement};
use matcalc::lower::StatementValue;
use matcalc::lower::{Failure, Workspace};
use matcalc::Span;
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
    workspace: Mutex<Workspace>,
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
        let mut workspace = self.workspace.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let saved = workspace.texts().to_vec();
        let rebuilds = workspace.rebuilds();
        let mark = workspace.mark();
        let outcome = add_all(&mut workspace, source).and_then(|added| then(&mut workspace, &added));
        match outcome {
            Ok(r) => {
                workspace.commit();
                Ok(r)
            }
            Err(e) => {
                if workspace.rebuilds() == rebuilds {
                    workspace.rollback(mark);
                } else if let Ok((restored, _)) = Workspace::from_texts(saved, None) {
                    *workspace = restored;
                }
                workspace.commit();
                Err(e)
            }
        }
    }
}

/// Adds every statement of `source` to `workspace`.
fn add_all(workspace: &mut Workspace, source: &str) -> PyResult<Added> {
    let program = matcalc::syntax::parse_program(source).map_err(|e| to_py(&e, source))?;
    workspace.set_source(source);
    let mut added = Added { value: None, of: None, is_expression: false, notes: Vec::new() };
    for statement in &program.statements {
        let span = statement_span(statement);
        let text = source.get(span.start..span.end).unwrap_or_default();
        let outcome = workspace.add(statement, text, true).map_err(|f| failure_to_py(&f, source))?;
        added.notes.extend(outcome.notes.iter().map(|n| n.render(source).trim_end().to_string()));
        added.value = outcome.value;
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
        Session { workspace: Mutex::new(Workspace::new()) }
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
        let mut workspace = self.workspace.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        workspace.with_analysis(None, |a| crate::types_of(py, a))
    }

    /// The session's declarations, definitions and the expressions that
    /// taught it a name or a shape, one statement a line.
    #[getter]
    fn program(&self) -> String {
        let workspace = self.workspace.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        workspace.texts().join("\n")
    }

    fn __repr__(&self) -> String {
        let workspace = self.workspace.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        format!("<matcalc.Session of {} statements>", workspace.texts().len())
    }
}
