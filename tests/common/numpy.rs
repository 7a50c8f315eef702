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
    let python = std::env::var("MATCALC_JAX_PYTHON")
        .unwrap_or_else(|_| super::repo_root().join("target/jax-venv/bin/python").to_string_lossy().into_owned());
    if Command::new(&python).args(["-c", "import jax"]).output().is_ok_and(|o| o.status.success()) {
        return Some(python);
    }
    super::skip(test, "no Python with jax (python3 -m venv target/jax-venv; pip install jax==0.10.2 jaxlib==0.10.2)");
    None
}

/// [`run_cases`] with another Python and checker options (`--jax`).
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
