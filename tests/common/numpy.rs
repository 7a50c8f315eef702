//! Running generated NumPy: the cases (the generated function, its
//! arguments at a point, bound through the function's own parameter list,
//! and the value it must return) are built by the fuzz crate's
//! `numpy_exec.rs`; here `tests/numpy_check.py` executes a batch of them in
//! one Python process.

use std::io::Write;
use std::process::{Command, Stdio};

#[path = "../../fuzz/src/numpy_exec.rs"]
mod exec;

#[allow(unused_imports)] // each test binary uses a part
pub use exec::{case_json, evaluated_case, json_string, numpy_matches};

/// Whether `python3` with numpy runs here; outside CI a missing numpy skips
/// (with a notice), under CI it fails.
pub fn numpy_available(test: &str) -> bool {
    if Command::new("python3").args(["-c", "import numpy"]).output().is_ok_and(|o| o.status.success()) {
        return true;
    }
    super::skip(test, "python3 with numpy not found (pip install numpy==2.4.6)");
    false
}

/// The checker's report on `cases` (one Python process): the failing lines,
/// or an empty list when all `cases.len()` passed.
pub fn run_cases(cases: &[String]) -> Vec<String> {
    run_cases_with("python3", &[], cases)
}

/// The Python with jax (`MATCALC_JAX_PYTHON`, else the virtual environment
/// `target/jax-venv` that CI makes); outside CI a missing one skips (with a
/// notice), under CI it fails.
#[allow(dead_code)] // each test binary uses a part
pub fn jax_python(test: &str) -> Option<String> {
    let found = python_with("jax", "MATCALC_JAX_PYTHON", "target/jax-venv");
    if found.is_none() {
        super::skip(
            test,
            "no Python with jax (python3 -m venv target/jax-venv; pip install jax==0.10.2 jaxlib==0.10.2)",
        );
    }
    found
}

/// The Python with torch (`MATCALC_TORCH_PYTHON`, else the virtual
/// environment `target/torch-venv`). Torch is kept out of CI (it pulls
/// several GB), so a missing one skips with a notice, under CI too.
#[allow(dead_code)] // each test binary uses a part
pub fn torch_python(test: &str) -> Option<String> {
    let found = python_with("torch", "MATCALC_TORCH_PYTHON", "target/torch-venv");
    if found.is_none() {
        super::notice_skipped(
            test,
            "no Python with torch (set MATCALC_TORCH_PYTHON, or python3 -m venv target/torch-venv; pip install torch)",
        );
    }
    found
}

/// The Python that `variable` names, else the virtual environment `venv`
/// below the repository, if it imports `module`.
fn python_with(module: &str, variable: &str, venv: &str) -> Option<String> {
    let python = std::env::var(variable)
        .unwrap_or_else(|_| super::repo_root().join(venv).join("bin/python").to_string_lossy().into_owned());
    let imports = Command::new(&python).args(["-c", &format!("import {module}")]).output();
    imports.is_ok_and(|o| o.status.success()).then_some(python)
}

/// [`run_cases`] with another Python and checker options (`--jax`, `--torch`).
pub fn run_cases_with(python: &str, options: &[&str], cases: &[String]) -> Vec<String> {
    let input = format!("[{}]", cases.join(",\n"));
    let script = super::repo_root().join("tests/numpy_check.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(options)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut failures: Vec<String> = stdout.lines().filter(|l| l.starts_with("FAIL")).map(String::from).collect();
    if !output.status.success() && failures.is_empty() || !stdout.contains(&format!("{} passed, 0 failed", cases.len()))
    {
        failures.push(format!(
            "checker did not pass all {} cases:\n{stdout}\n{}",
            cases.len(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    failures
}
