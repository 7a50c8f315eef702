//! matcalc for Python: `import matcalc` derives gradients and Jacobians,
//! simplifies, infers types, checks and verifies derivatives, and keeps an
//! incremental session as the REPL does. Every answer comes from the
//! `matcalc` library; this crate only converts between Python and Rust.

use std::sync::{Arc, Mutex};

use matcalc::{analyze, Analysis, Layout};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

mod errors;
mod reports;
mod result;
mod session;

use errors::to_py;
use result::{lock, Derivatives, MatcalcResult, SharedAnalysis, Target};

/// The variables of `wrt`: one name, or a list (or tuple) of names; `true`
/// if the answer is to be a `Derivatives` (a list was given).
fn variables(wrt: &Bound<'_, PyAny>) -> PyResult<(Vec<String>, bool)> {
    if let Ok(text) = wrt.cast::<PyString>() {
        let name = text.to_str()?.trim();
        if name.contains(',') {
            return Err(PyValueError::new_err(format!(
                "give several variables as a list: wrt={:?}",
                name.split(',').map(str::trim).collect::<Vec<_>>()
            )));
        }
        if name.is_empty() {
            return Err(PyValueError::new_err("wrt needs a variable name"));
        }
        return Ok((vec![name.to_string()], false));
    }
    let names: Vec<String> =
        wrt.extract().map_err(|_| PyTypeError::new_err("wrt must be a variable name or a list of names"))?;
    if names.is_empty() {
        return Err(PyValueError::new_err("wrt needs at least one variable name"));
    }
    Ok((names, true))
}

/// The notes on an analysed program, rendered against its source.
fn notes_of(analysis: &Analysis) -> Vec<String> {
    analysis.lowered.notes.iter().map(|n| n.render(&analysis.source).trim_end().to_string()).collect()
}

/// The derivatives of `analysis` with respect to each of `names` (`wrt`:
/// the names and whether several were asked for), Jacobians in `layout`:
/// one `Result`, or `Derivatives` if several.
pub(crate) fn derivatives(
    py: Python<'_>,
    analysis: Analysis,
    of: Option<&str>,
    wrt: (&[String], bool, Layout),
    source: &str,
    notes: Vec<String>,
) -> PyResult<Py<PyAny>> {
    let (names, several, layout) = wrt;
    let shared: SharedAnalysis = Arc::new(Mutex::new(analysis));
    let mut items = Vec::new();
    for wrt in names {
        let derivative = lock(&shared).derivative_in(of, wrt, layout).map_err(|e| to_py(&e, source))?;
        let result = MatcalcResult::new(
            Arc::clone(&shared),
            Target::Derivative(derivative),
            of.map(str::to_string),
            Some(wrt.clone()),
            source.to_string(),
            notes.clone(),
        );
        items.push(Py::new(py, result)?);
    }
    if several {
        Ok(Py::new(py, Derivatives::new(items))?.into_any())
    } else {
        Ok(items.remove(0).into_any())
    }
}

/// The simplified value of `analysis` (or of its definition `of`).
pub(crate) fn simplified(
    py: Python<'_>,
    mut analysis: Analysis,
    of: Option<&str>,
    source: &str,
    notes: Vec<String>,
) -> PyResult<Py<MatcalcResult>> {
    let value = analysis.simplified(of).map_err(|e| to_py(&e, source))?;
    let shared = Arc::new(Mutex::new(analysis));
    let result = MatcalcResult::new(shared, Target::Value(value), of.map(str::to_string), None, source.into(), notes);
    Py::new(py, result)
}

/// `{name: kind}` for every symbol of `analysis`.
pub(crate) fn types_of<'py>(py: Python<'py>, analysis: &Analysis) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for symbol in analysis.symbol_types() {
        dict.set_item(symbol.name, symbol.kind)?;
    }
    Ok(dict)
}

/// The derivative of the program's value (or of its definition `of`) with
/// respect to `wrt`: a gradient of a scalar, a Jacobian of a vector. With
/// a list of variables the answer is a `Derivatives` of one `Result` each.
#[pyfunction]
#[pyo3(signature = (program, wrt, *, of = None, layout = "numerator"))]
fn diff(py: Python<'_>, program: &str, wrt: &Bound<'_, PyAny>, of: Option<&str>, layout: &str) -> PyResult<Py<PyAny>> {
    let layout = parse_layout(layout)?;
    let (names, several) = variables(wrt)?;
    let analysis = analyze(program).map_err(|e| to_py(&e, program))?;
    let notes = notes_of(&analysis);
    derivatives(py, analysis, of, (&names, several, layout), program, notes)
}

/// The layout named `name` (`"numerator"` or `"denominator"`).
pub(crate) fn parse_layout(name: &str) -> PyResult<Layout> {
    Layout::parse(name)
        .ok_or_else(|| PyValueError::new_err(format!("layout is 'numerator' or 'denominator', not {name:?}")))
}

/// The program's value (or its definition `of`), simplified, with
/// `grad`, `jacobian` and `hessian` evaluated.
#[pyfunction]
#[pyo3(signature = (program, *, of = None))]
fn simplify(py: Python<'_>, program: &str, of: Option<&str>) -> PyResult<Py<MatcalcResult>> {
    let analysis = analyze(program).map_err(|e| to_py(&e, program))?;
    let notes = notes_of(&analysis);
    simplified(py, analysis, of, program, notes)
}

/// The kind and shape of every name of the program, inferred where not
/// declared: `{"W": "matrix(m, n)", "x": "vector(n)"}`.
#[pyfunction]
fn types<'py>(py: Python<'py>, program: &str) -> PyResult<Bound<'py, PyDict>> {
    let analysis = analyze(program).map_err(|e| to_py(&e, program))?;
    types_of(py, &analysis)
}

/// Whether `claim` is the derivative of the program's value (or of its
/// definition `of`) with respect to `wrt`: a `Verdict`, true if it is.
pub(crate) fn verify_in(
    analysis: &mut Analysis,
    of: Option<&str>,
    wrt: &str,
    claim: &str,
    source: &str,
) -> PyResult<reports::Verdict> {
    match matcalc::verify::verify_claim(analysis, of, wrt, claim) {
        Ok(report) => Ok(reports::Verdict::new(report)),
        Err(matcalc::verify::ClaimError::Program(e)) => Err(to_py(&e, source)),
        Err(matcalc::verify::ClaimError::Claim(e)) => Err(to_py(&e, claim)),
    }
}

/// Whether the hand-derived `claim` is the derivative of the program's
/// value (or of its definition `of`) with respect to `wrt`, decided
/// symbolically or at random points: a `Verdict` with its reason.
#[pyfunction]
#[pyo3(signature = (program, wrt, claim, *, of = None))]
fn verify(program: &str, wrt: &str, claim: &str, of: Option<&str>) -> PyResult<reports::Verdict> {
    let mut analysis = analyze(program).map_err(|e| to_py(&e, program))?;
    verify_in(&mut analysis, of, wrt, claim, program)
}

/// The symbolic derivative with respect to `wrt` compared with finite
/// differences at `points` random points.
#[pyfunction]
#[pyo3(signature = (program, wrt, *, points = 5, seed = 1, of = None))]
fn check(program: &str, wrt: &str, points: usize, seed: u64, of: Option<&str>) -> PyResult<reports::Check> {
    let mut analysis = analyze(program).map_err(|e| to_py(&e, program))?;
    let report =
        matcalc::check::check_derivative(&mut analysis, of, wrt, points, seed).map_err(|e| to_py(&e, program))?;
    Ok(reports::Check::new(report))
}

/// The `matcalc` Python module.
#[pymodule]
#[pyo3(name = "matcalc")]
fn matcalc_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(simplify, m)?)?;
    m.add_function(wrap_pyfunction!(types, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_class::<MatcalcResult>()?;
    m.add_class::<Derivatives>()?;
    m.add_class::<reports::Verdict>()?;
    m.add_class::<reports::Check>()?;
    m.add_class::<session::Session>()?;
    errors::register(m)?;
    // `Derivatives` is a read-only sequence of `Result`s.
    let sequence = m.py().import("collections.abc")?.getattr("Sequence")?;
    sequence.call_method1("register", (m.py().get_type::<Derivatives>(),))?;
    Ok(())
}
