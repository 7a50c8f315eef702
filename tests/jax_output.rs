//! The JAX printer, executed: the cases of `tests/common/libraries.rs`
//! printed for JAX and run compiled by `jax.jit` in float64. Needs a Python
//! with jax (`tests/common/numpy.rs`: `jax_python`); skipped with a notice
//! without one, except under CI. Also: the one LU factorisation JAX and
//! PyTorch share between a matrix and its transpose (no Python needed).

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

/// A matrix solved as itself and as its transpose is factorised once for
/// JAX and PyTorch (NumPy keeps no factorisation: two solves); the numbers
/// are checked above and in `tests/torch_output.rs` (`FORMS`: `aT_Xinv_b`,
/// `nll_mu`, `lu_*`).
#[test]
fn a_matrix_and_its_transpose_share_one_lu_factorisation() {
    let programs = [
        ("a: vector(n); X: matrix(n, n); b: vector(n); a^T inv(X) b", "X", 2),
        ("S: matrix(n, n); x, mu: vector(n); 1/2 * logdet(S) + 1/2 * (x - mu)^T inv(S) (x - mu)", "mu", 2),
        ("A: matrix(n, n); M: matrix(m, n); b, c: vector(n); b^T inv(A) c + sum(M inv(A) b)", "A", 4),
        ("A: matrix(n, n); B: matrix(n, n); tr(A B^-1 A^T)", "B", 2),
    ];
    for (program, wrt, solves) in programs {
        let mut analysis = matcalc::analyze(program).unwrap();
        let derivative = analysis.derivative(None, wrt).unwrap();
        for (library, factor, solve) in [
            (Library::Jax, "jax.scipy.linalg.lu_factor(", "jax.scipy.linalg.lu_solve("),
            (Library::Torch, "torch.linalg.lu_factor(", "torch.linalg.lu_solve("),
        ] {
            let source = analysis.python_function(derivative.result, "d", library).source;
            assert_eq!(source.matches(factor).count(), 1, "{program}:\n{source}");
            assert_eq!(source.matches(solve).count(), solves, "{program}:\n{source}");
            assert!(!source.contains("linalg.solve(") && !source.contains("linalg.inv("), "{program}:\n{source}");
            assert_eq!(source.contains("import jax.scipy.linalg\n"), library == Library::Jax, "{source}");
        }
        let numpy = analysis.python_function(derivative.result, "d", Library::Numpy).source;
        assert!(!numpy.contains("lu_"), "{program}:\n{numpy}");
    }
}
