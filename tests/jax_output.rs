//! The JAX printer, executed: the cases of `tests/common/libraries.rs`
//! printed for JAX and run compiled by `jax.jit` in float64. Needs a Python
//! with jax (`tests/common/numpy.rs`: `jax_python`); skipped with a notice
//! without one, except under CI.

mod common;

use common::libraries::cases;
use common::numpy::{jax_python, run_cases_with};
use matcalc::print::numpy::Library;

#[test]
fn jax_output_matches_finite_differences_under_jit() {
    let cases = cases(Library::Jax);
    let Some(python) = jax_python("jax_output") else { return };
    let failures = run_cases_with(&python, &["--jax"], &cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
