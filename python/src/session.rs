//! `matcalc.Session`: declarations and definitions kept from one call to
//! the next, as at the REPL, on the library's incremental
//! [`matcalc::Session`]. Each call adds its statements all or nothing: a
//! call that fails leaves the session as it was. A statement that declares
//! or defines a name the session has replaces the old one, as at the REPL
//! (the same statement again changes nothing, so a notebook cell can run
//! twice). This file converts; the session's logic is the library's.

use std::sync::Mutex;

use matcalc::session::{Added, ErrorText, SessionError, Value};
use matcalc::verify::ClaimError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::to_py;
use crate::result::MatcalcResult;

/// An incremental session: declarations and definitions accumulate.
#[pyclass(module = "matcalc", name = "Session", frozen)]
pub struct Session {
    state: Mutex<matcalc::Session>,
}

/// A session error as a Python exception, against the text its spans
/// point into (the call's source, or the session analysed as a whole).
fn session_error(e: SessionError, source: &str) -> PyErr {
    match &e.text {
        ErrorText::Source => to_py(&e.error, source),
        ErrorText::Program { program, .. } => to_py(&e.error, program),
    }
}

/// Why a call failed: in the session, or in converting its answer.
enum Failed {
    Session(SessionError),
    Python(PyErr),
}

impl From<SessionError> for Failed {
    fn from(e: SessionError) -> Failed {
        Failed::Session(e)
    }
}

impl Session {
    /// Adds the statements of `source`, then runs `then` on the last one's
    /// value; if either fails, the session returns to where it was.
    fn transact<R>(&self, source: &str, then: impl FnOnce(Value<'_>, &Added) -> PyResult<R>) -> PyResult<R> {
        let result = self.lock().transaction(source, |value, added| then(value, added).map_err(Failed::Python));
        result.map_err(|failed| match failed {
            Failed::Session(e) => session_error(e, source),
            Failed::Python(e) => e,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, matcalc::Session> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The notes on the statements of a call, rendered against its source.
fn notes(added: &Added, source: &str) -> Vec<String> {
    added.notes.iter().map(|n| n.render(source).trim_end().to_string()).collect()
}

#[pymethods]
impl Session {
    #[new]
    fn new() -> Session {
        Session { state: Mutex::new(matcalc::Session::new()) }
    }

    /// Adds declarations, definitions and expressions (separated by `;` or
    /// newlines); returns the simplified value of a final expression (a
    /// `Result`), else `None`. All or nothing: on an error nothing is added.
    fn run(&self, py: Python<'_>, statements: &str) -> PyResult<Option<Py<MatcalcResult>>> {
        self.transact(statements, |mut value, added| {
            if !added.is_expression() {
                return Ok(None);
            }
            let analysis = value.analysis(|a| a.clone());
            crate::simplified(py, analysis, value.of(), statements, notes(added, statements)).map(Some)
        })
    }

    /// The derivative of `expression` (after any statements before it; a
    /// definition's name stands for its value) with respect to `wrt`, one
    /// name or several, as `matcalc.diff`.
    #[pyo3(signature = (expression, wrt, *, layout = "numerator"))]
    fn diff(&self, py: Python<'_>, expression: &str, wrt: &Bound<'_, PyAny>, layout: &str) -> PyResult<Py<PyAny>> {
        let layout = crate::parse_layout(layout)?;
        let (names, several) = crate::variables(wrt)?;
        self.transact(expression, |mut value, added| {
            let analysis = value.analysis(|a| a.clone());
            let notes = notes(added, expression);
            crate::derivatives(py, analysis, value.of(), (&names, several, layout), expression, notes)
        })
    }

    /// The value of `expression`, simplified, as `matcalc.simplify`.
    fn simplify(&self, py: Python<'_>, expression: &str) -> PyResult<Py<MatcalcResult>> {
        self.transact(expression, |mut value, added| {
            let analysis = value.analysis(|a| a.clone());
            crate::simplified(py, analysis, value.of(), expression, notes(added, expression))
        })
    }

    /// Whether `claim` is the derivative of `expression` with respect to `wrt`.
    fn verify(&self, expression: &str, wrt: &str, claim: &str) -> PyResult<crate::reports::Verdict> {
        self.transact(expression, |mut value, _| match value.verify(wrt, claim) {
            Ok(report) => Ok(crate::reports::Verdict::new(report)),
            Err(ClaimError::Program(e)) => Err(to_py(&e, expression)),
            Err(ClaimError::Claim(e)) => Err(to_py(&e, claim)),
        })
    }

    /// The derivative of `expression` compared with finite differences.
    #[pyo3(signature = (expression, wrt, *, points = 5, seed = 1))]
    fn check(&self, expression: &str, wrt: &str, points: usize, seed: u64) -> PyResult<crate::reports::Check> {
        self.transact(expression, |mut value, _| {
            let report = value.check(wrt, points, seed).map_err(|e| to_py(&e, expression))?;
            Ok(crate::reports::Check::new(report))
        })
    }

    /// The kind and shape of every name of the session.
    fn types<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for symbol in self.lock().program_value().types() {
            dict.set_item(symbol.name, symbol.kind)?;
        }
        Ok(dict)
    }

    /// The session's declarations, definitions and the expressions that
    /// taught it a name or a shape, one statement a line.
    #[getter]
    fn program(&self) -> String {
        self.lock().texts().join("\n")
    }

    fn __repr__(&self) -> String {
        format!("<matcalc.Session of {} statements>", self.lock().texts().len())
    }
}
