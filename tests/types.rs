//! Shape inference: what `matcalc types` reports for declared, inferred
//! and usage-decided names (one reviewed snapshot per program).

mod common;

use matcalc::analyze;

const CASES: &[(&str, &str)] = &[
    ("seed_inferred", "1/2 * norm2(W^T W x - x)"),
    ("seed_declared", "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)"),
    ("partial_declarations", "W1, W2: matrix; x: vector(n); W2 tanh(W1 x)"),
    ("swish_net", "ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)"),
    ("greek_scalars", "sigma2 * norm2(x) + alpha * sum(x) + lambda"),
    ("usage_makes_a_scalar", "k A + B"),
    ("usage_makes_a_vector", "L = 1/2 * norm2(y - X theta)"),
    ("symmetric_and_fixed", "S: symmetric(3); x: vector(3); x^T S x"),
    ("identity_and_ones", "A + I; ones(m)^T A ones(m)"),
    ("definitions", "r = A x - b; L = 1/2 * norm2(r)"),
    ("square_by_use", "det(X) + tr(Y Y)"),
];

#[test]
fn inferred_types() {
    common::snapshots(|| {
        for (name, source) in CASES {
            let text = match analyze(source) {
                Ok(a) => a.types(),
                Err(e) => e.render(source),
            };
            assert!(!text.starts_with("error"), "{name}: {text}");
            insta::assert_snapshot!(*name, text, source);
        }
    });
}
