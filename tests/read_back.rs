//! Every printed result reads back: the text (and the Unicode) of a
//! derivative or a simplified value, parsed after the program's
//! declarations, is the same value (the same node, or equal at random
//! points where the printed form is a different but equal expression).

mod common;

use common::cases::{COOKBOOK, EXTRA, FUNCTIONS, JACOBIANS_AND_HESSIANS, JACOBIANS_THROUGH_MATRICES, KRONECKER, ML};
use matcalc::check::{random_env, Rng, Sampling};
use matcalc::ir::Role;
use matcalc::{analyze, eval, Analysis, ExprId, Format};

/// Programs whose printed results once failed to read back.
const READ_BACK: &[&str] = &[
    "f: function; w: vector(m); f(w)",
    "f: function; w: vector(m); A: matrix(n, m); f(A w)",
    "f: function; w: vector(m); z = A w; f(z)",
    "f: function; w: vector(m); f(2 w) + f(w)",
    "ell: function; W: matrix(n, n); x: vector(n); h = tanh(W x); ell(h + W h) + ell(W h)",
    "x: vector(n); 0 * x",
    "A: matrix(m, n); 0 * A",
    "k: scalar; x: vector(n); k * sum(0 * x)",
    "A: matrix(n, n); inv(A) A",
    "A: matrix(n, n); k: scalar; inv(A) A + k",
    "x: vector(n); ones(n)",
    "X: matrix(m, n); ones(m, n) .* X",
    "x: vector(n); k: scalar; k * ones(n)^T x",
    "A: matrix(n, n); x: vector(n); I(n) x + A x",
    "z = A x; L = z^T z",
    "ell: function; W1, W2, W3: matrix(n, n); x: vector(n); h1 = tanh(W1 x); h2 = tanh(W2 h1 + h1); h3 = tanh(W3 h2 + h2); L = ell(W3 h3 + h3 + h2)",
    "ell: function; W: matrix(n, n); x: vector(n); L = ell(tanh(W x) + W x)",
    "ell: function; W: matrix(n, n); x: vector(n); z = tanh(W x) + W x; L = ell(z) + sum(z)",
    "x: vector(n); y: vector(n); z = x .* y; sum(exp(z)) + sum(z .^ 2)",
    // What the Unicode printer writes: Greek names, norms, ⊘, ⁻ᵀ, 𝟙, 𝟎, ∂L/∂z.
    "alpha: scalar; sigma2: scalar; x: vector(n); alpha * norm2(x) + sigma2 * norm(x) + norm1(x)",
    "sigma: function; phi: function; x: vector(n); sigma(x) + phi(2 x) + sigmoid(x)",
    "lambda: scalar; x: vector(n); y: vector(n); lambda * sum(x ./ y) + norm(x) * norm(y) + norm(x + norm(y) * x)",
    "A: matrix(n, n); x: vector(n); x^T inv(A)^T x + x^T A^-T A^-1 x",
    "X: matrix(m, n); sum(ones(m, n) .* X) + tr(zeros(n, m) X)",
    "x: vector(n); y: vector(n); 1/2 * norm2(x - y) - x^T y / norm(x)",
    // Look-alike names: Unicode writes `alpha` and `α` alike unless told apart.
    "alpha: scalar; α: scalar; sigma2: scalar; σ2: scalar; x: vector(n); alpha * x + 2 * α * x + sigma2 * norm(x) * x + σ2 * x",
    "x1: vector(n); x_1: vector(n); A: matrix(n, n); x1^T A x_1 + norm2(x1 - 2 * x_1)",
    // A deep net's Hessian: its layer Jacobians written over one another.
    "W1, W2, W3, W4, W5, W6, W7, W8: matrix(n, n); x: vector(n); a: vector(n); h1 = tanh(W1 x); h2 = tanh(W2 h1); h3 = tanh(W3 h2); h4 = tanh(W4 h3); h5 = tanh(W5 h4); h6 = tanh(W6 h5); h7 = tanh(W7 h6); h8 = tanh(W8 h7); hessian(a^T h8, x)",
];

/// Numeric agreement of `a` and `b` at a few random points (relative).
fn numerically_equal(analysis: &Analysis, a: ExprId, b: ExprId) -> Result<(), String> {
    let graph = analysis.graph();
    let mut rng = Rng::new(7);
    let mut compared = 0;
    for _ in 0..6 {
        let env = random_env(graph, &mut rng, Sampling::Mixed);
        let (Ok(x), Ok(y)) = (eval::evaluate(graph, a, &env), eval::evaluate(graph, b, &env)) else { continue };
        if x.max_abs() > 1e6 || !x.max_abs().is_finite() {
            continue;
        }
        let error = matcalc::check::relative_error(&x, &y);
        if error.is_nan() || error >= 1e-8 {
            return Err(format!("differ by {error:.2e}: {} vs {}", x.compact(), y.compact()));
        }
        compared += 1;
    }
    if compared == 0 {
        return Err("no point evaluated".into());
    }
    Ok(())
}

/// The formats that parse back.
const FORMATS: [Format; 2] = [Format::Text, Format::Unicode];

/// Prints `id` in `format` at `width` and reads it back into the program.
fn read_back(analysis: &mut Analysis, id: ExprId, format: Format, width: usize, what: &str) -> Result<(), String> {
    let text = analysis.print_width(id, format, width);
    let back =
        analysis.lower_claim(&text).map_err(|e| format!("{what}: printed\n{text}\ndoes not parse back:\n{e}"))?;
    if back != id {
        numerically_equal(analysis, id, back)
            .map_err(|e| format!("{what}: printed\n{text}\nreads back to another value: {e}"))?;
    }
    Ok(())
}

/// Every variable of `program`: its derivative and its simplified value read back.
fn check_program(program: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let Ok(mut analysis) = analyze(program) else { return failures };
    let variables: Vec<String> =
        analysis.graph().symbols().filter(|(_, s)| s.role != Role::Function).map(|(_, s)| s.name.clone()).collect();
    if let Ok(value) = analysis.simplified(None) {
        for (format, width) in FORMATS.into_iter().flat_map(|f| [(f, 100), (f, 20)]) {
            let what = format!("{program} (simplify, {format:?}, width {width})");
            if let Err(e) = read_back(&mut analysis, value, format, width, &what) {
                failures.push(e);
            }
        }
    }
    for wrt in variables {
        let Ok(derivative) = analysis.derivative(None, &wrt) else { continue };
        for (format, width) in FORMATS.into_iter().flat_map(|f| [(f, 100), (f, 20)]) {
            let what = format!("{program} (diff --wrt {wrt}, {format:?}, width {width})");
            if let Err(e) = read_back(&mut analysis, derivative.result, format, width, &what) {
                failures.push(e);
            }
        }
    }
    failures
}

#[test]
fn every_printed_result_reads_back() {
    let mut programs: Vec<&str> = READ_BACK.to_vec();
    for table in [COOKBOOK, ML, JACOBIANS_AND_HESSIANS, EXTRA, JACOBIANS_THROUGH_MATRICES, FUNCTIONS, KRONECKER] {
        programs.extend(table.iter().map(|(_, p, _)| *p));
    }
    programs.dedup();
    let failures: Vec<String> = programs.iter().flat_map(|p| check_program(p)).collect();
    assert!(failures.is_empty(), "{} failures:\n\n{}", failures.len(), failures.join("\n\n"));
}
