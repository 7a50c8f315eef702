//! The simplifier: each input's simplified text (reviewed snapshots),
//! idempotence, and the text round trip.

mod common;

use matcalc::{analyze, Format};

const CASES: &[(&str, &str)] = &[
    ("transpose_of_sum", "(W^T W x - x)^T"),
    ("triple_transpose", "((A^T)^T)^T"),
    ("transpose_of_product", "(A B C)^T"),
    ("symmetric_transpose", "S: symmetric(n); S^T"),
    ("inner_products_merge", "x^T y + y^T x"),
    ("scalar_transpose", "(x^T y)^T"),
    ("like_terms", "2 x + 3 x - x"),
    ("cancelling_terms", "W x - W x"),
    ("exact_halves", "1/2 * x + x / 2"),
    ("decimal_coefficients", "0.25 * 4 x"),
    ("exact_decimals", "0.1 + 0.2"),
    ("big_integers", "10^40 x"),
    ("inverse_of_inverse", "inv(inv(A))"),
    ("inverse_transpose", "(A^-1)^T"),
    ("inverse_cancels", "A^-1 A B"),
    ("identity_drops", "I A"),
    ("zero_term_drops", "A + 0 A"),
    ("hadamard_powers", "x .* x"),
    ("hadamard_cancels", "x .* x ./ x"),
    ("double_negation", "-(-x)"),
    ("negated_transpose", "-x^T"),
    ("scalar_powers_cancel", "k: scalar; k k^-1 x"),
    ("trace_transpose", "tr(A^T)"),
    ("trace_cyclic_vector", "tr(x y^T)"),
    ("trace_cyclic", "tr(A B) + tr(B A)"),
    ("det_transpose", "det(A^T)"),
    ("logdet_inverse", "logdet(inv(A))"),
    ("diag_diag", "diag(diag(x))"),
    ("norm_of_scaled", "norm2(2 x)"),
    ("gram_symmetric", "A^T A + (A^T A)^T"),
    ("constant_folding", "exp(0) x + sigmoid(0) y"),
    ("matrix_powers", "A^3 + A^-2 + A^0"),
    ("inverse_of_product", "A, B: matrix(n, n); inv(A B)"),
    ("named_intermediate", "z = W x; z + W x"),
    ("definition_value", "r = A x - b; L = 1/2 * norm2(r)"),
    ("gradient_operator", "grad(x^T A x, x)"),
    ("jacobian_operator", "jacobian(A x, x)"),
    ("hessian_operator", "hessian(x^T A x, x)"),
    ("greek_scalars", "alpha x + beta x"),
    ("negated_sum_factor", "A (1 - y) - A (y - 1)"),
    ("diagonal_of_outer_product", "A, B: matrix(n, n); x, y: vector(n); k: scalar; diag(k A x (B y)^T)"),
    (
        "coefficient_over_denominators",
        "B: matrix(n, n); x: vector(n); k: scalar; 4 k ./ ((k - 1/2) tr(B) k^3) + 3 / k^2",
    ),
    ("shared_sum_kept_whole", "A: matrix(n, n); x, y: vector(n); x + y + A (x + y)"),
    ("hadamard_sum_factor_kept", "p, y: vector(n); (p - y) .* p .* (1 - p)"),
    ("hadamard_distributes_to_cancel", "u, v, s: vector(n); u ./ s .* (s + v)"),
];

#[test]
fn simplified_forms() {
    common::snapshots(|| {
        for (name, source) in CASES {
            let text = common::simplify_text(source);
            assert!(!text.starts_with("error"), "{name}: {text}");
            insta::assert_snapshot!(*name, text, source);
        }
    });
}

/// Simplifying printed output gives the same text, and the text parses
/// back to the very same graph node.
#[test]
fn simplify_is_idempotent_and_round_trips() {
    for (name, source) in CASES {
        let mut analysis = analyze(source).unwrap();
        let value = analysis.simplified(None).unwrap();
        let text = analysis.print(value, Format::Text);
        let reparsed = analysis.lower_claim(&text).unwrap_or_else(|e| panic!("{name}: {}", e.render(&text)));
        let except = analysis.lowered.value_symbol;
        let reparsed = analysis.graph_mut().rename_definitions(reparsed, except);
        let again = analysis.print(reparsed, Format::Text);
        assert_eq!(again, text, "{name}: not idempotent");
        if !text.contains("I(") && text != "0" {
            assert_eq!(reparsed, value, "{name}: `{text}` parses to a different graph");
        }
    }
}

#[test]
fn unicode_output() {
    let cases = [
        "1/2 * norm2(W^T W x - x)",
        "ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2); grad(L, W1)",
        "inv(A)^T B",
        "alpha x + norm(y)",
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|c| {
            let mut a = analyze(c).unwrap();
            let v = a.simplified(None).unwrap();
            format!("{c}\n  {}", a.print(v, Format::Unicode))
        })
        .collect();
    common::snapshots(|| insta::assert_snapshot!("unicode", out.join("\n")));
}

#[test]
fn long_sums_break_at_the_width() {
    let source = "A1 x + A2 x + A3 x + A4 x + A5 x + A6 x + A7 x + A8 x + A9 x + B1 x + B2 x + B3 x + B4 x";
    let mut analysis = analyze(source).unwrap();
    let value = analysis.simplified(None).unwrap();
    let narrow = analysis.print_width(value, Format::Text, 30);
    let wide = analysis.print_width(value, Format::Text, 200);
    assert!(narrow.lines().count() > 1 && narrow.lines().all(|l| l.len() <= 30), "{narrow}");
    assert_eq!(wide.lines().count(), 1);
    common::snapshots(|| insta::assert_snapshot!("narrow", narrow));
}

/// A chain of products is built in one step; a 1×1 partial product in it
/// (`x^T y` in `x^T y z`) is a scalar factor of the rest, as in shape
/// inference, so the chain keeps the shape inference gave it.
#[test]
fn a_one_by_one_partial_product_scales_the_rest() {
    let header = "A: matrix(n, n); x, y, z: vector(n); k: scalar; ";
    let simplified = |body: &str| common::simplify_text(&format!("{header}{body}"));
    assert_eq!(simplified("softmax(x^T y (A z - A z))"), "softmax(zeros(n))");
    assert_eq!(simplified("x^T y z^T A"), "(x^T y) z^T A");
    assert_eq!(simplified("x^T k y z^T A x / k"), "(x^T y) (z^T A x)");
}

/// Scalars left of a broadcast sum (`zeros(n) + s + t`) stay broadcast over
/// ones: the sum is an n-vector, so its outer product with a row is n×n and
/// its trace an inner product (once a scalar, and `tr` of a row vector).
#[test]
fn scalars_left_of_a_broadcast_sum_keep_its_shape() {
    let header = "x, y: vector(n); ";
    let simplified = |body: &str| common::simplify_text(&format!("{header}{body}"));
    // The scalar sum `x^T y + x^T x` is factored, `(x + y)^T x` (rule factor-common).
    assert_eq!(simplified("zeros(n) + x^T y + x^T x"), "((x + y)^T x) ones(n)");
    assert_eq!(simplified("(zeros(n) + x^T y + x^T x) sigmoid(x)^T"), "((x + y)^T x) ones(n) sigmoid(x)^T");
    let trace = simplified("tr((zeros(n) + x^T y + x^T x) sigmoid(x)^T)");
    assert_eq!(trace, "(ones(n)^T sigmoid(x)) ((x + y)^T x)");
    let again = simplified(&trace);
    assert_eq!(again, trace, "the simplified trace reads back");
}
