//! The JAX printer, executed: every derivative case of the NumPy tests, and
//! programs whose NumPy takes each evaluation form (solves, broadcast
//! diagonals, `multi_dot`, views, `--with-value`), printed for JAX and run
//! compiled by `jax.jit` in float64 against finite differences or the
//! evaluator. Needs a Python with jax (`tests/common/numpy.rs`:
//! `jax_python`); skipped with a notice without one, except under CI.

mod common;

use common::cases::{COOKBOOK, EXTRA, JACOBIANS_AND_HESSIANS, ML};
use common::numpy::{case_json, jax_python, run_cases_with};
use matcalc::check::{self, Rng, Sampling};
use matcalc::eval;
use matcalc::print::numpy::{jax_source, PythonFunction};
use matcalc::{analyze, Analysis, DerivativeKind};

/// Programs whose generated code takes the forms chosen for speed.
const FORMS: &[(&str, &str, &str)] = &[
    ("seed_batched", "W: matrix(m, n); X: matrix(n, B); 1/2 * norm2(W^T W X - X)", "W"),
    ("linear_W2", "W1, W2, W3: matrix(n, n); x, y: vector(n); 1/2 * norm2(W3 W2 W1 x - y)", "W2"),
    ("aT_Xinv_b", "a: vector(n); X: matrix(n, n); b: vector(n); a^T inv(X) b", "X"),
    ("nll_mu", "S: matrix(n, n); x, mu: vector(n); 1/2 * logdet(S) + 1/2 * (x - mu)^T inv(S) (x - mu)", "mu"),
    ("nll_S", "S: matrix(n, n); x, mu: vector(n); 1/2 * logdet(S) + 1/2 * (x - mu)^T inv(S) (x - mu)", "S"),
    ("diag", "v: vector(n); M: matrix(m, n); A: matrix(n, n); sum(M diag(v) + M diag(exp(v)) A)", "v"),
    (
        "swish",
        "W1, W2: matrix(n, n); x, y, b1, b2: vector(n); h1 = swish(W1 x + b1); 1/2 * norm2(swish(W2 h1 + b2) - y)",
        "W1",
    ),
    (
        "bias",
        "W: matrix(m, n); X: matrix(n, B); b: vector(m); Y: matrix(m, B); 1/2 * norm2(tanh(W X + b ones(B)^T) - Y)",
        "b",
    ),
];

fn analyzed(label: &str, program: &str) -> Analysis {
    analyze(program).unwrap_or_else(|e| panic!("{label}: {}", e.render(program)))
}

/// `function` for JAX: the source converted, the parameters kept.
fn for_jax(function: PythonFunction) -> PythonFunction {
    let source = jax_source(&function.source);
    assert!(source.starts_with("import jax.numpy as jnp\n"), "{source}");
    assert!(!source.contains(" np.") && !source.contains("(np."), "{source}");
    PythonFunction { source, parameters: function.parameters }
}

/// The derivative of `analysis` with respect to `wrt` at `env`, for JAX,
/// against finite differences.
fn derivative_case(label: &str, analysis: &mut Analysis, wrt: &str, env: &eval::Env) -> String {
    let derivative = analysis.derivative(None, wrt).unwrap_or_else(|e| panic!("{label}: {e}"));
    let function = for_jax(analysis.numpy_function(derivative.result, "d"));
    let graph = analysis.graph();
    let jacobian = derivative.kind == DerivativeKind::Jacobian;
    let mut expected = check::finite_difference(graph, derivative.of, derivative.wrt, env, jacobian).unwrap();
    if jacobian && expected.cols == 1 && graph.shape(derivative.of).is_scalar() {
        expected = expected.transpose();
    }
    case_json(&format!("{label} d/d{wrt}"), graph, &function, "d", env, &expected)
}

#[test]
fn jax_output_matches_finite_differences_under_jit() {
    let mut cases = Vec::new();
    let all = COOKBOOK.iter().chain(ML).chain(JACOBIANS_AND_HESSIANS).chain(EXTRA).copied();
    let forms = FORMS.iter().map(|(l, p, w)| (*l, *p, *w));
    for (i, (label, program, wrt)) in all.chain(forms).enumerate() {
        let mut analysis = analyzed(label, program);
        let env = check::random_env(analysis.graph(), &mut Rng::new(i as u64 + 1), Sampling::Positive);
        cases.push(derivative_case(label, &mut analysis, wrt, &env));
    }
    // The value and gradient from one function: each part of the tuple.
    let (label, program, wrt) = FORMS[3];
    let mut analysis = analyzed(label, program);
    let function = for_jax(analysis.numpy_value_and_derivatives(None, &[wrt]).unwrap());
    let env = check::random_env(analysis.graph(), &mut Rng::new(99), Sampling::Positive);
    let value = analysis.simplified(None).unwrap();
    let expected_value = eval::evaluate(analysis.graph(), value, &env).unwrap();
    let derivative = analysis.derivative(None, wrt).unwrap();
    let expected_gradient =
        check::finite_difference(analysis.graph(), derivative.of, derivative.wrt, &env, false).unwrap();
    let list: Vec<&str> = function.parameters.iter().map(|(n, _)| n.as_str()).collect();
    let list = list.join(", ");
    for (k, expected) in [expected_value, expected_gradient].iter().enumerate() {
        let mut picked = function.clone();
        picked.source.push_str(&format!("\n\ndef pick({list}):\n    return value_and_grad_mu({list})[{k}]\n"));
        cases.push(case_json(&format!("{label} with value {k}"), analysis.graph(), &picked, "pick", &env, expected));
    }
    let Some(python) = jax_python("jax_output") else { return };
    let failures = run_cases_with(&python, &["--jax"], &cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
