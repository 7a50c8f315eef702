//! matcalc's errors as Python exceptions: one class per kind of error under
//! `MatcalcError`, each carrying the message, the line and column, the help
//! line and the caret rendering of the source.

use matcalc::{Error, ErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(
    matcalc,
    MatcalcError,
    PyValueError,
    "An error in a matcalc program (or a claim), with its place in the source."
);
create_exception!(matcalc, ParseError, MatcalcError, "A syntax error: the text does not follow matcalc's grammar.");
create_exception!(matcalc, ShapeError, MatcalcError, "Operands whose shapes do not fit the operation.");
create_exception!(matcalc, UnknownNameError, MatcalcError, "A name that is neither declared, defined nor a built-in.");
create_exception!(matcalc, ArityError, MatcalcError, "A call with the wrong number or kind of arguments.");
create_exception!(
    matcalc,
    RedefinitionError,
    MatcalcError,
    "A declaration or definition that clashes with an earlier one."
);
create_exception!(matcalc, DifferentiationError, MatcalcError, "A derivative that matcalc cannot express.");
create_exception!(
    matcalc,
    InvalidValueError,
    MatcalcError,
    "A value matcalc does not accept (division by zero, huge powers, ...)."
);
create_exception!(
    matcalc,
    LimitError,
    MatcalcError,
    "Input or work beyond matcalc's limits (size, nesting depth, work budget)."
);
create_exception!(matcalc, EvaluationError, MatcalcError, "A numeric check that could not be carried out.");

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("MatcalcError", py.get_type::<MatcalcError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("ShapeError", py.get_type::<ShapeError>())?;
    m.add("UnknownNameError", py.get_type::<UnknownNameError>())?;
    m.add("ArityError", py.get_type::<ArityError>())?;
    m.add("RedefinitionError", py.get_type::<RedefinitionError>())?;
    m.add("DifferentiationError", py.get_type::<DifferentiationError>())?;
    m.add("InvalidValueError", py.get_type::<InvalidValueError>())?;
    m.add("LimitError", py.get_type::<LimitError>())?;
    m.add("EvaluationError", py.get_type::<EvaluationError>())?;
    Ok(())
}

/// The short name of an error kind, as the exceptions' `kind` says it.
fn kind_name(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Syntax => "syntax",
        ErrorKind::Shape => "shape",
        ErrorKind::UnknownName => "unknown name",
        ErrorKind::Arity => "arity",
        ErrorKind::Redefinition => "redefinition",
        ErrorKind::Differentiation => "differentiation",
        ErrorKind::Value => "value",
        ErrorKind::Limit => "limit",
        ErrorKind::Evaluation => "evaluation",
    }
}

/// The Python exception for `error`, whose spans refer to `source`: its
/// `str()` is the caret rendering; attributes `message`, `kind`, `title`,
/// `line`, `column` (1-based, `None` without a position), `help`, `caret`
/// and `source`.
pub fn to_py(error: &Error, source: &str) -> PyErr {
    let caret = error.render(source);
    let shown = caret.trim_end().to_string();
    let err = match error.kind {
        ErrorKind::Syntax => ParseError::new_err(shown),
        ErrorKind::Shape => ShapeError::new_err(shown),
        ErrorKind::UnknownName => UnknownNameError::new_err(shown),
        ErrorKind::Arity => ArityError::new_err(shown),
        ErrorKind::Redefinition => RedefinitionError::new_err(shown),
        ErrorKind::Differentiation => DifferentiationError::new_err(shown),
        ErrorKind::Value => InvalidValueError::new_err(shown),
        ErrorKind::Limit => LimitError::new_err(shown),
        ErrorKind::Evaluation => EvaluationError::new_err(shown),
    };
    Python::attach(|py| {
        let value = err.value(py);
        let (line, column) = error.line_column(source).unzip();
        let attributes = || -> PyResult<()> {
            value.setattr("message", &error.message)?;
            value.setattr("kind", kind_name(&error.kind))?;
            value.setattr("title", error.title())?;
            value.setattr("line", line)?;
            value.setattr("column", column)?;
            value.setattr("help", error.help.as_deref())?;
            value.setattr("caret", &caret)?;
            value.setattr("source", source)?;
            Ok(())
        };
        match attributes() {
            Ok(()) => err,
            Err(e) => e,
        }
    })
}
