//! Derivatives: Matrix Cookbook identities (by equation number) and ML
//! gradients. Every result is snapshotted as text AND checked against
//! finite differences at random points, so a snapshot cannot freeze a
//! wrong answer unnoticed.

mod common;

use common::cases::{COOKBOOK, EXTRA, FUNCTIONS, JACOBIANS_AND_HESSIANS, JACOBIANS_THROUGH_MATRICES, KRONECKER, ML};

use matcalc::{analyze, check, DerivativeKind, Format, Layout};

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
    let expression = program.rsplit(';').next().unwrap_or(program).trim();
    let row = format!("{label:<8} d/d{wrt} {expression}\n         = {text}\n");
    // The printed text parses back to the same graph.
    let reparsed = analysis.lower_claim(&text).unwrap_or_else(|e| panic!("{label}: {text}: {}", e.render(&text)));
    assert_eq!(reparsed, derivative.result, "{label}: `{text}` does not parse back to the same expression");
    row
}

#[test]
fn matrix_cookbook_identities() {
    let mut table = String::new();
    for (label, program, wrt) in COOKBOOK {
        table.push_str(&derive_checked(label, program, wrt));
    }
    assert!(COOKBOOK.len() >= 40);
    common::snapshots(|| insta::assert_snapshot!("cookbook", table));
}

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
    // The homework's `W (r x^T + x r^T)` with `r = W^T W x - x` (rule factor-common).
    assert_eq!(text, "t1 = (W^T W x - x) x^T\nW (t1 + t1^T)");
    let net = "ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)";
    assert_eq!(common::diff_text(net, "W1"), "((W2^T grad(L, z2)) .* (sigmoid(z) .* (1 - h1) + h1)) x^T");
    assert_eq!(common::diff_text(net, "b1"), "(W2^T grad(L, z2)) .* (sigmoid(z) .* (1 - h1) + h1)");
    assert_eq!(common::diff_text(net, "W2"), "grad(L, z2) h1^T");
    assert_eq!(common::diff_text(net, "b2"), "grad(L, z2)");
}

#[test]
fn symmetric_quadratic_form_gives_two_a_x() {
    assert_eq!(common::diff_text("A: symmetric(n); x: vector(n); x^T A x", "x"), "2 A x");
}

#[test]
fn jacobians() {
    let mut table = String::new();
    for (label, program, wrt) in JACOBIANS_AND_HESSIANS.iter().chain(JACOBIANS_THROUGH_MATRICES) {
        table.push_str(&derive_checked(label, program, wrt));
    }
    common::snapshots(|| insta::assert_snapshot!("jacobians", table));
}

/// Jacobians of matrices and with respect to matrices in Kronecker form,
/// each against central finite differences of vec(F) in column-major order.
#[test]
fn kronecker_jacobians() {
    let mut table = String::new();
    for (label, program, wrt) in KRONECKER {
        table.push_str(&derive_checked(label, program, wrt));
    }
    common::snapshots(|| insta::assert_snapshot!("kronecker", table));
}

/// `--layout denominator`: every Jacobian is the transpose of the numerator
/// layout's (∂vec(F)ᵀ/∂vec(X), of the transposed shape), prints so that it
/// reads back, and once transposed back agrees with finite differences of
/// vec(F) in column-major order; a gradient does not change.
#[test]
fn denominator_layout_jacobians() {
    let (mut jacobians, mut gradients) = (0, 0);
    let tables = [KRONECKER, JACOBIANS_AND_HESSIANS, JACOBIANS_THROUGH_MATRICES, ML, FUNCTIONS];
    for (label, program, wrt) in tables.concat() {
        let mut analysis = analyze(program).unwrap_or_else(|e| panic!("{label}: {}", e.render(program)));
        let Ok(numerator) = analysis.derivative(None, wrt) else { continue };
        let denominator =
            analysis.derivative_in(None, wrt, Layout::Denominator).expect("the numerator layout's exists");
        if numerator.kind == DerivativeKind::Gradient {
            assert_eq!(denominator.result, numerator.result, "{label}: a gradient has one layout");
            assert_eq!(denominator.layout, Layout::Numerator, "{label}");
            gradients += 1;
            continue;
        }
        let graph = analysis.graph();
        assert_eq!(graph.shape(denominator.result), graph.shape(numerator.result).transpose(), "{label}");
        assert_eq!(denominator.layout, Layout::Denominator, "{label}");
        let text = analysis.print(denominator.result, Format::Text);
        let back = analysis.lower_claim(&text).unwrap_or_else(|e| panic!("{label}: {text}: {}", e.render(&text)));
        let transposed_back = analysis.graph_mut().transpose(back);
        let comparison = check::compare_with_finite_differences(
            analysis.graph(),
            denominator.of,
            denominator.wrt,
            transposed_back,
            true,
            3,
            11,
        )
        .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(
            comparison.relative_error < 1e-6,
            "{label}: the denominator-layout Jacobian {text} disagrees with finite differences ({:.2e})",
            comparison.relative_error
        );
        jacobians += 1;
    }
    eprintln!("{jacobians} Jacobians in denominator layout checked, {gradients} gradients unchanged");
    assert!(jacobians >= 40 && gradients >= 20, "{jacobians} Jacobians, {gradients} gradients");
}

/// Gradients through a Kronecker product agree with finite differences and
/// read back. Not a snapshot: where the adjoint is not a Kronecker product
/// the forms are right but long.
#[test]
fn gradients_through_kronecker_products() {
    let cases = [
        ("sum_kron_A", "A: matrix(m, n); B: matrix(p, q); sum(kron(A, B))", "A"),
        ("sum_kron_B", "A: matrix(m, n); B: matrix(p, q); sum(kron(A, B))", "B"),
        ("tr_kron", "A: matrix(n, n); B: matrix(p, p); tr(kron(A, B))", "A"),
        ("inner_kron", "A: matrix(m, n); B: matrix(p, q); C: matrix(m p, n q); tr(C^T kron(A, B))", "A"),
        ("norm_kron", "A: matrix(m, n); B: matrix(p, q); norm2(kron(A, B))", "B"),
        ("norm_kron_xy", "x: vector(n); y: vector(m); norm2(kron(x, y))", "x"),
        ("norm_kron_XX", "X: matrix(m, n); norm2(kron(X, X))", "X"),
        ("kron_vec", "A: matrix(m, n); x: vector(n); y: vector(p); b: vector(m p); b^T kron(A, y) x", "A"),
    ];
    for (label, program, wrt) in cases {
        derive_checked(label, program, wrt);
    }
    // An adjoint that is a Kronecker product itself (ones and identities
    // of product size included) gives the textbook form.
    let short = [
        ("A: matrix(m, n); B: matrix(p, q); sum(kron(A, B))", "A", "sum(B) ones(m, n)"),
        ("A: matrix(n, n); B: matrix(p, p); tr(kron(A, B))", "A", "tr(B) I(n)"),
        ("A: matrix(m, n); B: matrix(p, q); norm2(kron(A, B))", "B", "2 tr(A A^T) B"),
        ("X: matrix(m, n); norm2(kron(X, X))", "X", "4 tr(X X^T) X"),
        ("A, B: matrix(n, n); tr(kron(A, B) kron(B, A))", "A", "2 tr(A B) B^T"),
    ];
    for (program, wrt, expected) in short {
        let row = derive_checked(expected, program, wrt);
        assert!(row.ends_with(&format!("= {expected}\n")), "{program} wrt {wrt}: {row}");
    }
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
        ("x, y: vector(n); sum(exp(x y^T))", "x"),
        ("A: matrix(n, n); x: vector(n); x^T (A .* (x x^T)) x", "x"),
        ("x: vector(n); sum(erf(x))", "x"),
        ("a: vector(n); x: vector(n); a^T gelu(x)", "x"),
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

#[test]
fn more_functions_and_operators() {
    let mut table = String::new();
    for (label, program, wrt) in EXTRA {
        table.push_str(&derive_checked(label, program, wrt));
    }
    common::snapshots(|| insta::assert_snapshot!("extra", table));
}

/// With respect to a definition its inputs are held fixed (as `--steps`
/// writes ∂L/∂z): the definition itself has derivative 1 or I, whatever
/// definition or value is differentiated.
#[test]
fn derivatives_with_respect_to_definitions_hold_their_inputs_fixed() {
    let program = "A: matrix(m, n); x: vector(n); z = A x; L = z^T z";
    let cases: &[(Option<&str>, &str, &str)] = &[
        (None, "z", "2 z"),
        (None, "L", "1"),
        (None, "x", "2 A^T z"),
        (Some("z"), "z", "I(m)"),
        (Some("z"), "x", "A"),
        (Some("z"), "L", "zeros(m)"),
        (Some("L"), "L", "1"),
    ];
    for (of, wrt, expected) in cases {
        let mut analysis = analyze(program).unwrap();
        let derivative = analysis.derivative(*of, wrt).unwrap();
        let text = analysis.print(derivative.result, Format::Text);
        assert_eq!(&text, expected, "d{}/d{wrt}", of.unwrap_or("L"));
        let comparison = check::compare_with_finite_differences(
            analysis.graph(),
            derivative.of,
            derivative.wrt,
            derivative.result,
            derivative.kind == DerivativeKind::Jacobian,
            3,
            5,
        )
        .unwrap();
        assert!(comparison.relative_error < 1e-6, "d{}/d{wrt} = {text}: {comparison:?}", of.unwrap_or("L"));
    }
}

/// The functions added by issue 15 (`log_softmax`, `mean`, `erf`, `gelu`,
/// ...): every derivative checked against finite differences, read back and
/// snapshotted; the textbook forms asserted.
#[test]
fn added_functions_have_derivatives_checked_numerically() {
    let mut table = String::new();
    for (label, program, wrt) in FUNCTIONS {
        table.push_str(&derive_checked(label, program, wrt));
    }
    for want in [
        "y - sum(y) softmax(x)",
        "2/3 * x",
        "exp(-x .^ 2) / arctan(1)^(1/2)",
        "diag(step(x - y))",
        "diag(step(y - x))",
        "1/2 * (1 + erf(x / 2^(1/2))) + (x .* exp(-1/2 * x .^ 2)) / (2^(3/2) arctan(1)^(1/2))",
    ] {
        assert!(table.contains(want), "{want} not in\n{table}");
    }
    common::snapshots(|| insta::assert_snapshot!("functions", table));
}

/// `max` and `min` take their arguments in a canonical order (a constant,
/// then a scalar, second), so the order written does not matter, and with a
/// zero they are relu's.
#[test]
fn max_and_min_are_symmetric_and_relu_against_zero() {
    let cases = [
        ("x, y: vector(n); max(x, y) - max(y, x)", "zeros(n)"),
        ("x, y: vector(n); min(x, y) - min(y, x)", "zeros(n)"),
        ("x: vector(n); max(x, 0)", "relu(x)"),
        ("x: vector(n); max(0, x)", "relu(x)"),
        ("x: vector(n); min(0, x)", "-relu(-x)"),
        ("x: vector(n); c: scalar; max(c, x)", "relu(x - c) + c"),
    ];
    assert_simplified(&cases);
    assert_eq!(common::diff_text("x: vector(n); c: scalar; sum(max(c, x))", "x"), "step(x - c)");
}

/// `x .^ y` with an array exponent is `exp(y .* log(x))` and prints as it
/// was written; an undeclared exponent is still a scalar.
#[test]
fn array_powers_print_as_written_and_undeclared_exponents_are_scalars() {
    let cases = [
        ("x, y: vector(n); x .^ y", "x .^ y"),
        ("x: vector(n); a: scalar; a .^ x", "a .^ x"),
        ("x: vector(n); 2 .^ x", "2 .^ x"),
        ("x, y: vector(n); x .^ y - exp(y .* log(x))", "zeros(n)"),
        ("x: vector(n); 1 .^ x", "ones(n)"),
        ("sum(x .^ k)", "sum(x .^ k)"),
    ];
    assert_simplified(&cases);
    assert!(analyze("sum(x .^ k)").unwrap().types().contains("k: scalar"));
    assert_eq!(common::diff_text("x, y: vector(n); sum(x .^ y)", "y"), "log(x) .* x .^ y");
}

/// `log_softmax(x)` is `x - logsumexp(x)`, which neither underflows (its
/// value at `1000 x` is finite) nor differs from `log(softmax(x))`.
#[test]
fn log_softmax_is_x_minus_logsumexp() {
    assert_simplified(&[
        ("x: vector(n); log_softmax(x)", "x - logsumexp(x)"),
        ("x: vector(n); log_softmax(x) - log(softmax(x))", "zeros(n)"),
    ]);
    let mut analysis = analyze("x: vector(2); log_softmax(1000 x)").unwrap();
    let value = analysis.simplified(None).unwrap();
    let x = analysis.graph().find_symbol("x").unwrap();
    let mut env = matcalc::eval::Env::default();
    env.values.insert(x, matcalc::eval::Matrix { rows: 2, cols: 1, data: vec![0.0, 1.0] });
    let got = matcalc::eval::evaluate(analysis.graph(), value, &env).unwrap();
    assert!(got.data[0] == -1000.0 && got.data[1] == 0.0, "{got:?}");
}

/// Each program simplifies to the text beside it.
#[track_caller]
fn assert_simplified(cases: &[(&str, &str)]) {
    for (program, want) in cases {
        assert_eq!(common::simplify_text(program), *want, "{program}");
    }
}

/// A Jacobian read off the differential leaves no trace of its direction
/// `dx`: the program's names and the graph's size after it are those a
/// second, identical derivative finds.
#[test]
fn a_jacobian_leaves_no_trace_of_its_direction() {
    let program = "x, y: vector(n); sin(x y^T) y";
    let mut analysis = analyze(program).unwrap();
    let names = |a: &matcalc::Analysis| a.symbol_types().into_iter().map(|t| t.name).collect::<Vec<_>>();
    let before = names(&analysis);
    let first = analysis.derivative(None, "x").unwrap().result;
    assert_eq!(names(&analysis), before);
    let size = analysis.graph().len();
    let second = analysis.derivative(None, "x").unwrap().result;
    assert_eq!(first, second);
    assert_eq!(analysis.graph().len(), size, "the second derivative built new nodes");
    assert_eq!(analysis.print(first, Format::Text), "diag(cos(x y^T) y .^ 2)");
}

/// With respect to a `symmetric(n)` matrix of a named size the Jacobian
/// has n(n+1)/2 columns, a dimension of its own that prints as
/// `n (n + 1)/2` and reads back; `D(n)` of a named size is n² × n(n+1)/2.
/// The size of a symmetric matrix that is a product (`symmetric(m n)`)
/// has no such dimension: a limit error that says so. A program's own `D`
/// shadows the duplication matrix.
#[test]
fn symmetric_jacobians_and_duplication_of_named_sizes() {
    assert_eq!(common::diff_text("S: symmetric(n); x: vector(n); S x", "S"), "kron(x^T, I(n)) D(n)");
    assert_eq!(common::diff_text("S: symmetric(n); A: matrix(m, m); 2 A", "S"), "zeros(m m, n (n + 1)/2)");
    // The gradient of a scalar is the symmetric gradient, as before.
    assert_eq!(common::diff_text("S: symmetric(n); a: vector(n); a^T S a", "S"), "a a^T");
    let program = "S: symmetric(m n); x: vector(m n); S x";
    let mut analysis = analyze(program).unwrap();
    let error = analysis.derivative(None, "S").expect_err("the triangle of a product is no dimension");
    assert_eq!(error.kind, matcalc::ErrorKind::Limit);
    assert!(error.message.contains("n(n+1)/2"), "{}", error.message);
    let program = "x: vector(n); y: vector(n n); y^T D(n) x";
    let error = analyze(program).expect_err("D(n) has n(n+1)/2 columns, not n");
    assert_eq!(error.kind, matcalc::ErrorKind::Shape);
    assert!(error.message.contains("n·(n+1)/2"), "{}", error.message);
    // Declarations take triangular sizes, as printed and in any order of their factors.
    for (program, wrt, expected) in [
        ("x: vector(n (n + 1)/2); y: vector(n n); y^T D(n) x", "x", "D(n)^T y"),
        ("S: symmetric(n); v: vector(n (n + 1)/2); norm2(D(n) v - vec(S))", "v", "2 D(n)^T (D(n) v - vec(S))"),
        ("A: matrix(2 m, (n + 1) n/2); x: vector(n n); y: vector(2 m); y^T A D(n)^T x", "x", "D(n) A^T y"),
        ("A: matrix(m n (n + 1)/2, 3 n (n + 1)/2); a: vector(3 n (n + 1)/2); A a", "a", "A"),
    ] {
        assert_eq!(derive_checked("triangle", program, wrt).rsplit("= ").next().unwrap().trim(), expected, "{program}");
        // The kinds print as declarations that declare the same shapes.
        let types = analyze(program).unwrap().symbol_types();
        let declared: Vec<String> = types.iter().map(|t| format!("{}: {}", t.name, t.kind)).collect();
        let again = analyze(&format!("{}; {wrt}", declared.join("; "))).unwrap().symbol_types();
        assert_eq!(types, again, "{program}: {declared:?}");
    }
    for (odd, written) in [
        ("v: vector(n (n + 1)/4)", "n (n + 1)/4"),
        ("v: vector(n (m + 1)/2)", "n (m + 1)/2"),
        ("v: vector(3 (n + 1)/2)", "3 (n + 1)/2"),
        ("v: vector(n (n + 1)/0)", "n (n + 1)/0"),
        ("A: matrix(m, n n/3)", "n n/3"),
    ] {
        let error = analyze(odd).expect_err(odd);
        assert_eq!(error.kind, matcalc::ErrorKind::Value, "{odd}");
        let span = error.span.expect("an error with a span");
        assert_eq!(&odd[span.start..span.end], written, "{odd}");
    }
    let kinds = |program: &str| -> Vec<String> {
        analyze(program).unwrap().symbol_types().into_iter().map(|t| t.kind).collect()
    };
    assert_eq!(
        kinds("v: vector(n (n + 1)/2); A: matrix(2 n, n (n + 1)); v"),
        ["vector(n (n + 1)/2)", "matrix(2 n, n (n + 1))"]
    );
    // The Unicode symbols take triangular sizes too, and read back.
    let mut analysis = analyze("S: symmetric(n); A: matrix(m, p); 2 A").unwrap();
    let zero = analysis.derivative(None, "S").unwrap().result;
    let unicode = analysis.print(zero, Format::Unicode);
    assert_eq!(unicode, "𝟎(m p×n (n + 1)/2)");
    assert_eq!(analysis.lower_claim(&unicode).unwrap(), zero);
    let mut analysis = analyze("S: symmetric(n); y: vector(n n); y^T D(n) ones(n (n + 1)/2)").unwrap();
    let value = analysis.simplified(None).unwrap();
    let unicode = analysis.print(value, Format::Unicode);
    assert_eq!(unicode, "𝟙(n (n + 1)/2)ᵀ D(n)ᵀ y");
    assert_eq!(analysis.lower_claim(&unicode).unwrap(), value);
    let program = "y: vector(n n); y^T D(n) ones(n (n + 1)/2)";
    assert_eq!(common::simplify_text(program), "ones(n (n + 1)/2)^T D(n)^T y");
    let program = "y: vector(m n); y^T D(m n) ones(3)";
    assert_eq!(analyze(program).expect_err("D of a product").kind, matcalc::ErrorKind::Limit);
    // jacobian(F, S) in a program has the vech(S) columns in inference too.
    let program = "S: symmetric(3); x, y: vector(3); z: vector(6); J = jacobian(S x, S); y^T J z";
    assert_eq!(common::simplify_text(program), "y^T J z");
    let program = "S: symmetric(3); x, y: vector(3); z: vector(9); J = jacobian(S x, S); y^T J z";
    assert_eq!(analyze(program).expect_err("6 columns, not 9").kind, matcalc::ErrorKind::Shape);
    assert_eq!(common::diff_text("D: matrix(3, 3); x: vector(3); D x", "x"), "D");
    assert_eq!(common::diff_text("v: vector(6); sum(D(3) v)", "v"), "D(3)^T ones(9)");
    // Sizes with triangular numbers read back in any order of their factors.
    let program = "zeros(3, m n (n + 1)/2) + zeros(3, (1 + n) m n / 2) + zeros(3, 2 m (n + 1) n / 4)";
    assert_eq!(common::simplify_text(program), "zeros(3, m n (n + 1)/2)");
    for odd in ["zeros(3, n (n + 1)/4)", "zeros(3, n (m + 1)/2)", "zeros(3, (n + 1)/2)"] {
        assert_eq!(analyze(odd).expect_err(odd).kind, matcalc::ErrorKind::Value, "{odd}");
    }
}

/// `hessian(f, S)` for a symmetric S is the Hessian with respect to
/// vech(S) both ways, ∂²f/∂vech(S)∂vech(S)ᵀ = D(n)ᵀ ∂vec(G)/∂vech(S)ᵀ (G
/// the gradient): square, symmetric, n(n+1)/2 each way; against second
/// central differences of f along vech(S) (an off-diagonal coordinate moves
/// an entry and its mirror), at numeric and named sizes, read back.
#[test]
fn symmetric_hessians_are_with_respect_to_vech_both_ways() {
    let cases = [
        ("S: symmetric(n); A: matrix(n, n)", "tr(S A S)"),
        ("S: symmetric(n); a: vector(n)", "(a^T S a)^2"),
        ("S: symmetric(n)", "sum(exp(S))"),
        ("S: symmetric(n); x: vector(n)", "x^T inv(S) x"),
        ("S: symmetric(3); A: matrix(3, 3)", "tr(S A S)"),
        ("S: symmetric(n); a: vector(n)", "a^T S a"),
    ];
    let mut table = String::new();
    for (declarations, f) in cases {
        let program = format!("{declarations}; hessian({f}, S)");
        let mut analysis = analyze(&program).unwrap_or_else(|e| panic!("{}", e.render(&program)));
        let hessian = analysis.simplified(None).unwrap();
        let text = analysis.print(hessian, Format::Text);
        let shape = analysis.graph().shape(hessian);
        assert!(shape.is_square(), "{f}: {text}");
        let back = analysis.lower_claim(&text).unwrap_or_else(|e| panic!("{text}: {}", e.render(&text)));
        assert_eq!(back, hessian, "{f}: `{text}` does not read back");
        let function = analyze(&format!("{declarations}; {f}")).unwrap();
        let root = function.value(None).unwrap();
        let graph = function.graph();
        let s = graph.find_symbol("S").unwrap();
        for seed in 0..3 {
            let mut rng = check::Rng::new(seed + 17);
            let mut env = check::random_env(graph, &mut rng, check::Sampling::Positive);
            let base = env.values[&s].clone();
            let n = base.rows;
            // An invertible, well-conditioned S.
            let mut well = base.clone();
            for i in 0..n {
                well.data[i * n + i] += n as f64;
            }
            let pairs: Vec<(usize, usize)> = (0..n).flat_map(|j| (j..n).map(move |i| (i, j))).collect();
            let value_at = |env: &mut matcalc::eval::Env, moves: &[(usize, f64)]| {
                let mut x = well.clone();
                for &(k, step) in moves {
                    let (i, j) = pairs[k];
                    x.data[i * n + j] += step;
                    if i != j {
                        x.data[j * n + i] += step;
                    }
                }
                env.values.insert(s, x);
                matcalc::eval::evaluate(graph, root, env).unwrap().data[0]
            };
            let h = 1e-4;
            let t = pairs.len();
            let mut numeric = matcalc::eval::Matrix::filled(t, t, 0.0);
            for a in 0..t {
                for b in 0..t {
                    let f = |sa: f64, sb: f64, env: &mut matcalc::eval::Env| value_at(env, &[(a, sa * h), (b, sb * h)]);
                    let second = (f(1.0, 1.0, &mut env) - f(1.0, -1.0, &mut env) - f(-1.0, 1.0, &mut env)
                        + f(-1.0, -1.0, &mut env))
                        / (4.0 * h * h);
                    numeric.data[a * t + b] = second;
                }
            }
            let mut env_h = matcalc::eval::Env { dims: env.dims.clone(), ..Default::default() };
            for (sid, symbol) in analysis.graph().symbols() {
                if let Some(other) = graph.find_symbol(&symbol.name) {
                    if let Some(v) = env.values.get(&other) {
                        env_h.values.insert(sid, if other == s { well.clone() } else { v.clone() });
                    }
                }
            }
            let symbolic = matcalc::eval::evaluate(analysis.graph(), hessian, &env_h).unwrap();
            let error = if numeric.max_abs() < 1e-6 && symbolic.max_abs() == 0.0 {
                0.0
            } else {
                check::relative_error(&symbolic, &numeric)
            };
            assert!(error < 1e-5, "hessian of {f} wrt vech(S): {text} (relative error {error:.2e})");
            assert!(check::relative_error(&symbolic, &symbolic.transpose()) < 1e-12, "{f}: {text} is not symmetric");
        }
        table.push_str(&format!("{program}\n  H = {text}\n"));
    }
    common::snapshots(|| insta::assert_snapshot!("symmetric_hessians", table));
}

/// `check` finds points inside narrow domains: arcsin and arccos of a
/// matrix (whose diagonal the random points make dominant, above 1) and of
/// a trace, and exp(tr(X))^tr(X), which overflows at the first points'
/// size, are compared at smaller points drawn after the first tries.
#[test]
fn check_finds_points_inside_narrow_domains() {
    for (program, wrt) in [
        ("X: matrix(n, n); arcsin(X)", "X"),
        ("X: matrix(n, n); arccos(tr(X))", "X"),
        ("X: matrix(n, n); exp(tr(X)) .^ tr(X)", "X"),
        ("S: symmetric(n); y: vector(n); arcsin(S y)", "S"),
        ("W: matrix(m, n); X: matrix(n, n); grad(arccos(sum(W X)), X)", "X"),
    ] {
        let mut analysis = analyze(program).unwrap();
        let report =
            check::check_derivative(&mut analysis, None, wrt, 5, 1).unwrap_or_else(|e| panic!("{program}: {e}"));
        assert_eq!(report.comparison.points, 5, "{program}");
        assert!(report.comparison.relative_error < 1e-6, "{program}: {:?}", report.comparison.relative_error);
    }
}

/// `hessian(F, x)` of a vector or matrix F is a shape error whose help
/// writes its second derivative as the Jacobian of its Jacobian, which is
/// formed and agrees with finite differences of the Jacobian.
#[test]
fn the_second_derivative_of_a_vector_is_the_jacobian_of_its_jacobian() {
    for (program, value, wrt) in [("x: vector(n)", "softmax(x)", "x"), ("X: matrix(n, n)", "inv(X)", "X")] {
        let error = analyze(&format!("{program}; hessian({value}, {wrt})")).expect_err("not a scalar");
        assert_eq!(error.kind, matcalc::ErrorKind::Shape);
        let suggested = format!("jacobian(jacobian({value}, {wrt}), {wrt})");
        assert!(error.help.as_deref().is_some_and(|h| h.contains(&suggested)), "{:?}", error.help);
        let mut analysis = analyze(&format!("{program}; jacobian({value}, {wrt})")).unwrap();
        let report = check::check_derivative(&mut analysis, None, wrt, 3, 1).unwrap();
        assert!(report.comparison.relative_error < 1e-6, "{value}: {}", report.derivative);
        assert!(analyze(&format!("{program}; {suggested}")).is_ok(), "{suggested}");
    }
}
