//! Results for Python: a derivative or a simplified value of an analysed
//! program, printed on demand in every format the library has, and several
//! derivatives of one program together.

use std::ffi::CString;
use std::sync::{Arc, Mutex, MutexGuard};

use matcalc::print::latex::Latex;
use matcalc::print::numpy::Library;
use matcalc::{Analysis, Derivative, DerivativeKind, ExprId, Format, Layout};
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::to_py;

/// LaTeX's line width in printed symbols (an article's text width), as
/// the command line's default.
pub const LATEX_WIDTH: usize = 80;
/// Text and Unicode line width.
pub const TEXT_WIDTH: usize = 100;

/// An analysis shared by the results computed from it.
pub type SharedAnalysis = Arc<Mutex<Analysis>>;

/// Locks the analysis (a panic while it was held leaves it usable: every
/// result is computed afresh from the graph, which only grows).
pub fn lock(analysis: &SharedAnalysis) -> MutexGuard<'_, Analysis> {
    analysis.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a result is.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// A gradient or Jacobian.
    Derivative(Derivative),
    /// The program's value, simplified.
    Value(ExprId),
}

/// A derivative or a simplified value; each property prints it in one format.
#[pyclass(module = "matcalc", name = "Result", frozen)]
pub struct MatcalcResult {
    analysis: SharedAnalysis,
    target: Target,
    /// The definition differentiated or simplified, if not the program's value.
    of: Option<String>,
    /// The variable of a derivative.
    wrt: Option<String>,
    /// The text spans of errors refer to (the program, or a session's statement).
    source: String,
    notes: Vec<String>,
}

impl MatcalcResult {
    /// The result `target` of `analysis`.
    pub fn new(
        analysis: SharedAnalysis,
        target: Target,
        of: Option<String>,
        wrt: Option<String>,
        source: String,
        notes: Vec<String>,
    ) -> MatcalcResult {
        MatcalcResult { analysis, target, of, wrt, source, notes }
    }

    fn id(&self) -> ExprId {
        match self.target {
            Target::Derivative(d) => d.result,
            Target::Value(id) => id,
        }
    }

    /// The layout the derivative's Jacobian is written in (numerator for a value).
    fn layout(&self) -> Layout {
        match &self.target {
            Target::Derivative(d) => d.layout,
            Target::Value(_) => Layout::Numerator,
        }
    }

    fn print(&self, format: Format) -> String {
        lock(&self.analysis).print_width(self.id(), format, TEXT_WIDTH)
    }

    /// The NumPy function's name: `grad_W`, `jacobian_x`, or `value`.
    fn function_name(&self) -> String {
        match self.target {
            Target::Derivative(d) => matcalc::print::numpy::derivative_function_name(
                lock(&self.analysis).graph(),
                d.wrt,
                d.kind == DerivativeKind::Jacobian,
            ),
            Target::Value(_) => "value".to_string(),
        }
    }

    fn source_code(&self) -> String {
        let name = self.function_name();
        lock(&self.analysis).numpy(self.id(), &name)
    }

    /// The function in `library`; with `with_value`, the function returning
    /// (value, derivative) from one forward pass, named `value_and_grad_W`.
    fn source_in(&self, library: Library, with_value: bool) -> PyResult<(String, String)> {
        let name = self.function_name();
        if !with_value {
            return Ok((lock(&self.analysis).python_function(self.id(), &name, library).source, name));
        }
        let Some(wrt) = &self.wrt else {
            return Err(PyValueError::new_err("with_value returns a value and its derivative; this result is a value"));
        };
        let layout = self.layout();
        let mut analysis = lock(&self.analysis);
        let function = analysis.python_value_and_derivatives_in(self.of.as_deref(), &[wrt.as_str()], library, layout);
        Ok((function.map_err(|e| to_py(&e, &self.source))?.source, format!("value_and_{name}")))
    }

    /// The LaTeX equation `\nabla_{\mathbf{W}} f = …` (or the value alone).
    fn latex_equation(&self) -> String {
        let mut analysis = lock(&self.analysis);
        match self.target {
            Target::Derivative(d) => {
                let lhs = analysis.derivative_lhs(&d, self.of.as_deref());
                analysis.latex(d.result, &Latex::default(), Some(&lhs), LATEX_WIDTH)
            }
            Target::Value(id) => analysis.latex(id, &Latex::default(), None, LATEX_WIDTH),
        }
    }

    /// A one-line heading of a derivative among several: `# df/dW`.
    fn heading(&self, format: Format) -> String {
        let value = lock(&self.analysis).value_name(self.of.as_deref());
        let wrt = self.wrt.as_deref().unwrap_or_default();
        match format {
            Format::Unicode => format!("# ∂{value}/∂{wrt}"),
            _ => format!("# d{value}/d{wrt}"),
        }
    }
}

/// `format` named as Python passes it.
pub fn parse_format(format: &str, allowed: &[Format]) -> PyResult<Format> {
    let parsed = match format {
        "text" => Format::Text,
        "unicode" => Format::Unicode,
        "latex" => Format::Latex,
        "numpy" => Format::Numpy,
        "jax" => Format::Jax,
        "torch" => Format::Torch,
        "dot" => Format::Dot,
        "tikz" => Format::Tikz,
        other => return Err(PyValueError::new_err(format!("unknown format {other:?}"))),
    };
    if !allowed.contains(&parsed) {
        let names: Vec<&str> = allowed.iter().map(|f| format_name(*f)).collect();
        return Err(PyValueError::new_err(format!("format must be one of {}, not {format:?}", names.join(", "))));
    }
    Ok(parsed)
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Text => "text",
        Format::Unicode => "unicode",
        Format::Latex => "latex",
        Format::Numpy => "numpy",
        Format::Jax => "jax",
        Format::Torch => "torch",
        Format::Dot => "dot",
        Format::Tikz => "tikz",
    }
}

/// The library named as Python passes it.
fn parse_library(library: &str) -> PyResult<Library> {
    match library {
        "numpy" => Ok(Library::Numpy),
        "jax" => Ok(Library::Jax),
        "torch" => Ok(Library::Torch),
        other => Err(PyValueError::new_err(format!("library must be one of numpy, jax, torch, not {other:?}"))),
    }
}

/// Runs generated NumPy `source` and returns its function `name`.
fn exec_function(py: Python<'_>, source: &str, name: &str) -> PyResult<Py<PyAny>> {
    let code = CString::new(source).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    let namespace = PyDict::new(py);
    py.run(&code, Some(&namespace), None)?;
    match namespace.get_item(name)? {
        Some(function) => Ok(function.unbind()),
        None => Err(PyRuntimeError::new_err(format!("the generated code defines no function `{name}`"))),
    }
}

#[pymethods]
impl MatcalcResult {
    /// `"gradient"`, `"jacobian"` or `"value"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.target {
            Target::Derivative(Derivative { kind: DerivativeKind::Gradient, .. }) => "gradient",
            Target::Derivative(_) => "jacobian",
            Target::Value(_) => "value",
        }
    }

    /// The variable of a derivative (`None` for a value).
    #[getter]
    fn wrt(&self) -> Option<String> {
        self.wrt.clone()
    }

    /// The definition differentiated or simplified (`None`: the program's value).
    #[getter]
    fn of(&self) -> Option<String> {
        self.of.clone()
    }

    /// The result in matcalc's input language (it parses back).
    #[getter]
    fn text(&self) -> String {
        self.print(Format::Text)
    }

    /// The result with Unicode symbols (`Wᵀ`, `⊙`, `‖r‖²`, `σ`).
    #[getter]
    fn unicode(&self) -> String {
        self.print(Format::Unicode)
    }

    /// LaTeX: a derivative as the equation `\nabla_{\mathbf{W}} f = …`, a value as itself.
    #[getter]
    fn latex(&self) -> String {
        self.latex_equation()
    }

    /// LaTeX of the right-hand side only.
    #[getter]
    fn latex_bare(&self) -> String {
        let id = self.id();
        lock(&self.analysis).latex(id, &Latex::default(), None, LATEX_WIDTH)
    }

    /// The source of a Python function computing the result with NumPy.
    #[getter]
    fn numpy_source(&self) -> String {
        self.source_code()
    }

    /// The same function in `jax.numpy` (jit-compatible).
    #[getter]
    fn jax_source(&self) -> PyResult<String> {
        Ok(self.source_in(Library::Jax, false)?.0)
    }

    /// The same function in PyTorch (tensors in, tensor out).
    #[getter]
    fn torch_source(&self) -> PyResult<String> {
        Ok(self.source_in(Library::Torch, false)?.0)
    }

    /// The function's source for `library` (`"numpy"`, `"jax"` or
    /// `"torch"`); with `with_value`, the function `value_and_grad_W`
    /// returning (value, derivative) from one forward pass, its arguments'
    /// shapes checked.
    #[pyo3(signature = (library = "numpy", *, with_value = false))]
    fn source(&self, library: &str, with_value: bool) -> PyResult<String> {
        Ok(self.source_in(parse_library(library)?, with_value)?.0)
    }

    /// The name of the function in `numpy_source`.
    #[getter]
    fn numpy_name(&self) -> String {
        self.function_name()
    }

    /// The Python names of the NumPy function's parameters, in order.
    #[getter]
    fn numpy_parameters(&self) -> Vec<String> {
        let name = self.function_name();
        let id = self.id();
        lock(&self.analysis).numpy_function(id, &name).parameters.into_iter().map(|(n, _)| n).collect()
    }

    /// Notes on the program (assumptions that change the answer, likely slips).
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    /// The generated NumPy function, ready to call with arrays; with
    /// `with_value`, the one returning (value, derivative).
    #[pyo3(signature = (*, with_value = false))]
    fn to_numpy(&self, py: Python<'_>, with_value: bool) -> PyResult<Py<PyAny>> {
        let (source, name) = self.source_in(Library::Numpy, with_value)?;
        exec_function(py, &source, &name)
    }

    /// The derivation of a derivative, one line per node of the computational
    /// graph: `format` is `"text"`, `"unicode"` or `"latex"`; `width` the line
    /// width (100, LaTeX 80).
    #[pyo3(signature = (format = "text", width = None))]
    fn steps(&self, format: &str, width: Option<usize>) -> PyResult<String> {
        let format = parse_format(format, &[Format::Text, Format::Unicode, Format::Latex])?;
        let Some(wrt) = &self.wrt else {
            return Err(PyValueError::new_err("steps are the derivation of a derivative; this result is a value"));
        };
        let width = width.unwrap_or(if format == Format::Latex { LATEX_WIDTH } else { TEXT_WIDTH });
        let mut analysis = lock(&self.analysis);
        analysis.steps(self.of.as_deref(), wrt, format, width).map_err(|e| to_py(&e, &self.source))
    }

    /// The computational graph in Graphviz `dot` (a derivative's variable marked).
    fn dot(&self) -> PyResult<String> {
        let mut analysis = lock(&self.analysis);
        analysis.dot(self.of.as_deref(), self.wrt.as_deref()).map_err(|e| to_py(&e, &self.source))
    }

    /// The computational graph as a TikZ picture.
    fn tikz(&self) -> PyResult<String> {
        let mut analysis = lock(&self.analysis);
        analysis.tikz(self.of.as_deref(), self.wrt.as_deref(), &Latex::default()).map_err(|e| to_py(&e, &self.source))
    }

    fn _repr_latex_(&self) -> String {
        format!("$${}$$", self.latex_equation())
    }

    fn _repr_markdown_(&self) -> String {
        format!("$$\n{}\n$$", self.latex_equation())
    }

    fn __str__(&self) -> String {
        self.text()
    }

    fn __repr__(&self) -> String {
        let what = match &self.wrt {
            Some(wrt) => format!("{} with respect to {wrt}", self.kind()),
            None => "value".to_string(),
        };
        format!("<matcalc.Result {what}: {}>", self.print(Format::Text))
    }
}

/// The derivatives of one program with respect to several variables.
#[pyclass(module = "matcalc", name = "Derivatives", frozen, sequence)]
pub struct Derivatives {
    items: Vec<Py<MatcalcResult>>,
}

impl Derivatives {
    /// The derivatives `items`, in the order asked.
    pub fn new(items: Vec<Py<MatcalcResult>>) -> Derivatives {
        Derivatives { items }
    }

    fn joined(&self, py: Python<'_>, format: Format) -> String {
        let parts: Vec<String> = self
            .items
            .iter()
            .map(|item| {
                let item = item.bind(py).get();
                format!("{}\n{}", item.heading(format), item.print(format))
            })
            .collect();
        parts.join("\n\n")
    }

    fn system(&self, py: Python<'_>) -> String {
        let equations: Vec<String> = self.items.iter().map(|item| item.bind(py).get().latex_equation()).collect();
        matcalc::print::latex::system(&equations)
    }
}

#[pymethods]
impl Derivatives {
    /// Each derivative in text, under a heading `# df/dW`.
    #[getter]
    fn text(&self, py: Python<'_>) -> String {
        self.joined(py, Format::Text)
    }

    /// Each derivative with Unicode symbols, under a heading `# ∂f/∂W`.
    #[getter]
    fn unicode(&self, py: Python<'_>) -> String {
        self.joined(py, Format::Unicode)
    }

    /// The equations as one LaTeX `aligned` block.
    #[getter]
    fn latex(&self, py: Python<'_>) -> String {
        self.system(py)
    }

    /// One NumPy function per derivative, after one `import numpy as np`.
    #[getter]
    fn numpy_source(&self, py: Python<'_>) -> PyResult<String> {
        self.source(py, "numpy", false)
    }

    /// One `jax.numpy` function per derivative.
    #[getter]
    fn jax_source(&self, py: Python<'_>) -> PyResult<String> {
        self.source(py, "jax", false)
    }

    /// One PyTorch function per derivative.
    #[getter]
    fn torch_source(&self, py: Python<'_>) -> PyResult<String> {
        self.source(py, "torch", false)
    }

    /// One function per derivative for `library` (`"numpy"`, `"jax"` or
    /// `"torch"`), after one import; with `with_value`, one function
    /// `value_and_grad_W1_grad_b1` returning the value and every derivative.
    #[pyo3(signature = (library = "numpy", *, with_value = false))]
    fn source(&self, py: Python<'_>, library: &str, with_value: bool) -> PyResult<String> {
        let library = parse_library(library)?;
        let items: Vec<&MatcalcResult> = self.items.iter().map(|item| item.bind(py).get()).collect();
        if with_value && !items.is_empty() {
            let wrts: Vec<&str> = items.iter().filter_map(|item| item.wrt.as_deref()).collect();
            let first = items[0];
            let layout = first.layout();
            let mut analysis = lock(&first.analysis);
            let function = analysis.python_value_and_derivatives_in(first.of.as_deref(), &wrts, library, layout);
            return Ok(function.map_err(|e| to_py(&e, &first.source))?.source);
        }
        let parts: PyResult<Vec<String>> = items.iter().map(|item| Ok(item.source_in(library, false)?.0)).collect();
        Ok(matcalc::print::numpy::join_sources(&parts?))
    }

    /// The generated NumPy functions, one per derivative, in order.
    fn to_numpy(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        self.items.iter().map(|item| item.bind(py).get().to_numpy(py, false)).collect()
    }

    /// The derivations one after another (see `Result.steps`).
    #[pyo3(signature = (format = "text", width = None))]
    fn steps(&self, py: Python<'_>, format: &str, width: Option<usize>) -> PyResult<String> {
        let parts: PyResult<Vec<String>> =
            self.items.iter().map(|item| item.bind(py).get().steps(format, width)).collect();
        Ok(parts?.join("\n\n"))
    }

    fn __len__(&self) -> usize {
        self.items.len()
    }

    fn __getitem__(&self, py: Python<'_>, index: isize) -> PyResult<Py<MatcalcResult>> {
        let len = self.items.len() as isize;
        let i = if index < 0 { index + len } else { index };
        if !(0..len).contains(&i) {
            return Err(PyIndexError::new_err("derivative index out of range"));
        }
        Ok(self.items[i as usize].clone_ref(py))
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let items: Vec<Py<MatcalcResult>> = self.items.iter().map(|i| i.clone_ref(py)).collect();
        Ok(PyList::new(py, items)?.try_iter()?.into_any().unbind())
    }

    fn _repr_latex_(&self, py: Python<'_>) -> String {
        format!("$${}$$", self.system(py))
    }

    fn _repr_markdown_(&self, py: Python<'_>) -> String {
        format!("$$\n{}\n$$", self.system(py))
    }

    fn __str__(&self, py: Python<'_>) -> String {
        self.joined(py, Format::Text)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let names: Vec<String> =
            self.items.iter().map(|item| item.bind(py).get().wrt.clone().unwrap_or_default()).collect();
        format!("<matcalc.Derivatives with respect to {}>", names.join(", "))
    }
}
