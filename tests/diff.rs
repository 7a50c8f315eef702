//! Derivatives: Matrix Cookbook identities (by equation number) and ML
//! gradients. Every result is snapshotted as text AND checked against
//! finite differences at random points, so a snapshot cannot freeze a
//! wrong answer unnoticed.

mod common;

use matcalc::{analyze, check, DerivativeKind, Format};

/// Derives `program` with respect to `wrt`, asserts agreement with finite
/// differences, and returns a table row.
#[track_caller]
fn derive_checked(label: &str, program: &str, wrt: &str) -> String {
    let mut analysis = analyze(program).unwrap_or_else(|e| panic!("{label}: {}", e.render(program)));
    let derivative = analysis.derivative(None, wrt).unwrap_or_else(|e| panic!("{label}: {}", e.render(program)));
    let text = analysis.print(derivative.result, Format::Text);
    let comparison = check::compare_with_finite_differences(
        analysis.graph(),
        derivative.of,
        derivative.wrt,
        derivative.result,
        derivative.kind == DerivativeKind::Jacobian,
        3,
        11,
    )
    .unwrap_or_else(|e| panic!("{label}: {e}"));
    assert!(
        comparison.relative_error < 1e-6,
        "{label}: d/d{wrt} of `{program}` = {text} disagrees with finite differences (relative error {:.2e})",
        comparison.relative_error
    );
    // The printed text parses back to the same graph.
    let reparsed = analysis.lower_claim(&text).unwrap_or_else(|e| panic!("{label}: {text}: {}", e.render(&text)));
    assert_eq!(reparsed, derivative.result, "{label}: `{text}` does not parse back to the same expression");
    let expression = program.rsplit(';').next().unwrap_or(program).trim();
    format!("{label:<8} d/d{wrt} {expression}\n         = {text}\n")
}

const COOKBOOK: &[(&str, &str, &str)] = &[
    ("(49)", "X: matrix(n, n); det(X)", "X"),
    ("(50)", "A, X, B: matrix(n, n); det(A X B)", "X"),
    ("(55)", "X: matrix(m, n); logdet(X^T X)", "X"),
    ("(57)", "X: matrix(n, n); logdet(X)", "X"),
    ("(61)", "a, b: vector(n); X: matrix(n, n); a^T X^-1 b", "X"),
    ("(63)", "X: matrix(n, n); det(X^-1)", "X"),
    ("(64)", "A: matrix(p, n); X: matrix(n, n); B: matrix(n, p); tr(A X^-1 B)", "X"),
    ("(69)", "a, x: vector(n); x^T a", "x"),
    ("(69')", "a, x: vector(n); a^T x", "x"),
    ("(70)", "a: vector(m); X: matrix(m, n); b: vector(n); a^T X b", "X"),
    ("(71)", "a: vector(n); X: matrix(m, n); b: vector(m); a^T X^T b", "X"),
    ("(72)", "a: vector(n); X: matrix(n, n); a^T X a", "X"),
    ("(72')", "a: vector(n); X: matrix(n, n); a^T X^T a", "X"),
    ("(77)", "b, c: vector(n); X: matrix(m, n); b^T X^T X c", "X"),
    ("(78)", "B: matrix(m, n); x: vector(n); b: vector(m); (B x + b)^T (B x + b)", "x"),
    ("(79)", "b: vector(n); X: matrix(m, n); D: matrix(m, m); c: vector(n); b^T X^T D X c", "X"),
    ("(80)", "X: matrix(m, n); b: vector(n); c: vector(m); D: matrix(m, m); (X b + c)^T D (X b + c)", "X"),
    ("(81)", "x: vector(n); B: matrix(n, n); x^T B x", "x"),
    ("(84)", "x, s: vector(n); W: symmetric(n); (x - s)^T W (x - s)", "x"),
    ("(85)", "x, s: vector(n); W: symmetric(n); (x - s)^T W (x - s)", "s"),
    ("(86)", "x: vector(m); A: matrix(m, n); s: vector(n); W: symmetric(m); (x - A s)^T W (x - A s)", "x"),
    ("(87)", "x: vector(m); A: matrix(m, n); s: vector(n); W: symmetric(m); (x - A s)^T W (x - A s)", "s"),
    ("(88)", "x: vector(m); A: matrix(m, n); s: vector(n); W: symmetric(m); (x - A s)^T W (x - A s)", "A"),
    ("(99)", "X: matrix(n, n); tr(X)", "X"),
    ("(100)", "X: matrix(m, n); A: matrix(n, m); tr(X A)", "X"),
    ("(101)", "A: matrix(p, m); X: matrix(m, n); B: matrix(n, p); tr(A X B)", "X"),
    ("(102)", "A: matrix(p, n); X: matrix(m, n); B: matrix(m, p); tr(A X^T B)", "X"),
    ("(103)", "X, A: matrix(m, n); tr(X^T A)", "X"),
    ("(104)", "X, A: matrix(m, n); tr(A X^T)", "X"),
    ("(106)", "X: matrix(n, n); tr(X^2)", "X"),
    ("(107)", "X, B: matrix(n, n); tr(X^2 B)", "X"),
    ("(108)", "X: matrix(m, n); B: matrix(m, m); tr(X^T B X)", "X"),
    ("(109)", "X: matrix(m, n); B: matrix(m, m); tr(B X X^T)", "X"),
    ("(110)", "X: matrix(m, n); B: matrix(m, m); tr(X X^T B)", "X"),
    ("(111)", "X: matrix(m, n); B: matrix(n, n); tr(X B X^T)", "X"),
    ("(112)", "X: matrix(m, n); B: matrix(n, n); tr(B X^T X)", "X"),
    ("(113)", "X: matrix(m, n); B: matrix(n, n); tr(X^T X B)", "X"),
    ("(114)", "A: matrix(n, m); X: matrix(m, n); B: matrix(n, m); tr(A X B X)", "X"),
    ("(115)", "X: matrix(m, n); tr(X^T X)", "X"),
    ("(116)", "B: matrix(n, p); X: matrix(m, n); C: matrix(m, m); tr(B^T X^T C X B)", "X"),
    ("(117)", "X: matrix(m, n); B: matrix(m, m); C: matrix(n, n); tr(X^T B X C)", "X"),
    ("(118)", "A: matrix(p, m); X: matrix(m, n); B: matrix(n, n); C: matrix(m, p); tr(A X B X^T C)", "X"),
    ("(119)", "A: matrix(p, m); X: matrix(m, n); B: matrix(n, q); C: matrix(p, q); tr((A X B + C) (A X B + C)^T)", "X"),
    ("(121)", "X: matrix(n, n); tr(X^3)", "X"),
    ("(124)", "A: matrix(p, n); X: matrix(n, n); B: matrix(n, p); tr(A X^-1 B)", "X"),
    ("(129)", "x, a: vector(n); norm(x - a)", "x"),
    ("(131)", "x: vector(n); norm2(x)", "x"),
    ("(132)", "X: matrix(m, n); norm2(X)", "X"),
    ("(137)", "S: symmetric(n); logdet(S)", "S"),
    ("(138)", "S: symmetric(n); x: vector(n); x^T inv(S) x", "S"),
];

#[test]
fn matrix_cookbook_identities() {
    let mut table = String::new();
    for (label, program, wrt) in COOKBOOK {
        table.push_str(&derive_checked(label, program, wrt));
    }
    assert!(COOKBOOK.len() >= 40);
    common::snapshots(|| insta::assert_snapshot!("cookbook", table));
}

const ML: &[(&str, &str, &str)] = &[
    ("lsq", "X: matrix(m, n); w: vector(n); y: vector(m); 1/2 * norm2(X w - y)", "w"),
    ("ridge", "X: matrix(m, n); w: vector(n); y: vector(m); lambda: scalar; 1/2 * norm2(X w - y) + lambda/2 * norm2(w)", "w"),
    ("logreg", "X: matrix(m, n); w: vector(n); y: vector(m); sum(softplus(X w)) - y^T X w", "w"),
    ("logreg2", "X: matrix(m, n); w: vector(n); y: vector(m); -(y^T log(sigmoid(X w)) + (1 - y)^T log(1 - sigmoid(X w)))", "w"),
    ("softmax", "W: matrix(q, n); b: vector(q); x: vector(n); y: vector(q); -y^T log(softmax(W x + b))", "W"),
    ("lse", "W: matrix(q, n); x: vector(n); y: vector(q); logsumexp(W x) - y^T W x", "W"),
    ("tanh2", "W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); x: vector(n); y: vector(q); 1/2 * norm2(W2 tanh(W1 x + b1) - y)", "W1"),
    ("sigm2", "W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); x: vector(n); y: vector(q); 1/2 * norm2(W2 sigmoid(W1 x + b1) - y)", "W1"),
    ("relu2", "W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); x: vector(n); y: vector(q); 1/2 * norm2(W2 relu(W1 x + b1) - y)", "W1"),
    ("swish2", "W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); x: vector(n); y: vector(q); 1/2 * norm2(W2 swish(W1 x + b1) - y)", "W1"),
    ("splus2", "W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); x: vector(n); y: vector(q); 1/2 * norm2(W2 softplus(W1 x + b1) - y)", "W1"),
    ("out2", "W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); x: vector(n); y: vector(q); 1/2 * norm2(W2 tanh(W1 x + b1) - y)", "W2"),
    ("bias2", "W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); x: vector(n); y: vector(q); 1/2 * norm2(W2 tanh(W1 x + b1) - y)", "b1"),
    ("three", "W1: matrix(p, n); b1: vector(p); W2: matrix(r, p); b2: vector(r); W3: matrix(q, r); x: vector(n); y: vector(q); h1 = tanh(W1 x + b1); h2 = sigmoid(W2 h1 + b2); L = 1/2 * norm2(W3 h2 - y)", "W1"),
    ("three2", "W1: matrix(p, n); b1: vector(p); W2: matrix(r, p); b2: vector(r); W3: matrix(q, r); x: vector(n); y: vector(q); h1 = tanh(W1 x + b1); h2 = sigmoid(W2 h1 + b2); L = 1/2 * norm2(W3 h2 - y)", "W2"),
    ("gauss_mu", "x, mu: vector(n); S: symmetric(n); 1/2 * (x - mu)^T inv(S) (x - mu) + 1/2 * logdet(S)", "mu"),
    ("gauss_S", "x, mu: vector(n); S: symmetric(n); 1/2 * (x - mu)^T inv(S) (x - mu) + 1/2 * logdet(S)", "S"),
    ("gauss_P", "x, mu: vector(n); P: symmetric(n); 1/2 * (x - mu)^T P (x - mu) - 1/2 * logdet(P)", "P"),
    ("batch", "W: matrix(q, n); X: matrix(n, m); Y: matrix(q, m); 1/2 * norm2(W X - Y)", "W"),
    ("seed_W", "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", "W"),
    ("seed_x", "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", "x"),
    ("swish_W1", "ell: function; W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); b2: vector(q); x: vector(n); z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)", "W1"),
    ("swish_b1", "ell: function; W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); b2: vector(q); x: vector(n); z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)", "b1"),
    ("swish_W2", "ell: function; W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); b2: vector(q); x: vector(n); z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)", "W2"),
    ("swish_b2", "ell: function; W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); b2: vector(q); x: vector(n); z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)", "b2"),
];

#[test]
fn machine_learning_gradients() {
    let mut table = String::new();
    for (label, program, wrt) in ML {
        table.push_str(&derive_checked(label, program, wrt));
    }
    common::snapshots(|| insta::assert_snapshot!("ml", table));
}

#[test]
fn seed_answers_match_the_homework() {
    let seed = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)";
    let text = common::diff_text(seed, "W");
    let terms: Vec<&str> = text.split(" + ").collect();
    let mut sorted = terms.clone();
    sorted.sort();
    assert_eq!(sorted, ["W (W^T W x - x) x^T", "W x (W^T W x - x)^T"]);
    let net = "ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)";
    assert_eq!(common::diff_text(net, "W1"), "(sigmoid(z) .* (1 + z .* (1 - sigmoid(z))) .* (W2^T grad(L, z2))) x^T");
    assert_eq!(common::diff_text(net, "b1"), "sigmoid(z) .* (1 + z .* (1 - sigmoid(z))) .* (W2^T grad(L, z2))");
    assert_eq!(common::diff_text(net, "W2"), "grad(L, z2) h1^T");
    assert_eq!(common::diff_text(net, "b2"), "grad(L, z2)");
}

#[test]
fn symmetric_quadratic_form_gives_two_a_x() {
    assert_eq!(common::diff_text("A: symmetric(n); x: vector(n); x^T A x", "x"), "2 A x");
}

const JACOBIANS_AND_HESSIANS: &[(&str, &str, &str)] = &[
    ("jac_Wx", "W: matrix(m, n); x: vector(n); W x", "x"),
    ("jac_tanh", "W: matrix(m, n); x: vector(n); tanh(W x)", "x"),
    ("jac_softmax", "x: vector(n); softmax(x)", "x"),
    ("jac_had", "x, y: vector(n); x .* y", "x"),
    ("jac_diag", "x, y: vector(n); diag(x) y", "x"),
    ("jac_scalar", "x: vector(n); norm2(x) x", "x"),
    ("jac_inv", "A: matrix(n, n); x: vector(n); b: vector(n); inv(A + diag(x)) b", "x"),
    ("jac_k", "k: scalar; x: vector(n); exp(k x)", "k"),
];

#[test]
fn jacobians() {
    let mut table = String::new();
    for (label, program, wrt) in JACOBIANS_AND_HESSIANS {
        table.push_str(&derive_checked(label, program, wrt));
    }
    common::snapshots(|| insta::assert_snapshot!("jacobians", table));
}

/// Hessians are the Jacobian of the gradient: check them against finite
/// differences of the gradient.
#[test]
fn hessians() {
    let cases = [
        ("x: vector(n); A: matrix(n, n); x^T A x", "x"),
        ("x: vector(n); logsumexp(x)", "x"),
        ("x: vector(n); sum(exp(x))", "x"),
        ("a: vector(m); W: matrix(m, n); b: vector(m); x: vector(n); a^T tanh(W x + b)", "x"),
        ("x: vector(n); norm(x)", "x"),
        ("x: vector(n); norm2(x)^2", "x"),
        ("S: symmetric(n); x, mu: vector(n); 1/2 * (x - mu)^T inv(S) (x - mu)", "x"),
        ("A: matrix(m, n); x: vector(n); sum(cos(A x))", "x"),
        ("x: vector(n); sum(sigmoid(x) .* x)", "x"),
    ];
    let mut table = String::new();
    for (program, wrt) in cases {
        let hessian_program = format!("{program}; hessian({}, {wrt})", program.rsplit(';').next().unwrap().trim());
        let prefix: Vec<&str> = program.split(';').collect();
        let hessian_program = if prefix.len() > 1 {
            format!("{}; hessian({}, {wrt})", prefix[..prefix.len() - 1].join(";"), prefix[prefix.len() - 1].trim())
        } else {
            hessian_program
        };
        let mut analysis = analyze(&hessian_program).unwrap_or_else(|e| panic!("{}", e.render(&hessian_program)));
        let hessian = analysis.simplified(None).unwrap();
        let text = analysis.print(hessian, Format::Text);
        // The gradient, numerically differentiated, must equal the Hessian.
        let mut gradient_analysis = analyze(program).unwrap();
        let gradient = gradient_analysis.derivative(None, wrt).unwrap();
        let graph = gradient_analysis.graph();
        let mut rng = check::Rng::new(5);
        let env = check::random_env(graph, &mut rng, check::Sampling::Positive);
        let numeric = check::finite_difference(graph, gradient.result, gradient.wrt, &env, true).unwrap();
        let mut env_h = matcalc::eval::Env { dims: env.dims.clone(), ..Default::default() };
        for (sid, symbol) in analysis.graph().symbols() {
            if let Some(other) = graph.find_symbol(&symbol.name) {
                if let Some(v) = env.values.get(&other) {
                    env_h.values.insert(sid, v.clone());
                }
            }
        }
        let symbolic = matcalc::eval::evaluate(analysis.graph(), hessian, &env_h).unwrap();
        let error = check::relative_error(&symbolic, &numeric);
        assert!(error < 1e-6, "hessian of {program}: {text} (relative error {error:.2e})");
        table.push_str(&format!("{program}\n  H = {text}\n"));
    }
    common::snapshots(|| insta::assert_snapshot!("hessians", table));
}
