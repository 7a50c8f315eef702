//! `verify` and `check` on a derivative too large to evaluate at the top
//! named size: a Kronecker-form derivative of a Hessian (n⁴ entries) is
//! compared at smaller sizes, which the verdict names, instead of refused;
//! a wrong claim is still caught there.

use matcalc::verify::{self, Options, Verdict, SIZES};
use matcalc::{analyze, DerivativeKind, Format};

/// The derivative with respect to `D` of a Hessian with respect to `v`
/// (the structured fuzz target's case, renamed): its Kronecker form holds
/// products of n²×n² matrices, too much work at n = 5 for 60 points. If a
/// rule ever shortens it enough, pick a larger derivative: the test is of
/// the size fallback.
const PROGRAM: &str = "D, B: matrix(n, n); v, w: vector(n)
s = sum(diag((diag(v))^-T))
p = 1/8 * (w .* (inv(I(n)) v))
hessian((p^T (D v)) .* s^T, v)";

#[test]
fn verify_compares_at_smaller_sizes_and_says_which() {
    let mut analysis = analyze(PROGRAM).unwrap_or_else(|e| panic!("{}", e.render(PROGRAM)));
    let derivative = analysis.derivative(None, "D").expect("the derivative");
    assert_eq!(derivative.kind, DerivativeKind::Jacobian);
    let text = analysis.print(derivative.result, Format::Text);
    // The numeric comparison alone (the symbolic shortcut off).
    let numeric = Options { seed: 7, symbolic: false };
    let verdict = verify::verify(&mut analysis, &derivative, &text, &numeric).expect("not refused");
    let Verdict::Agrees(sampled) = &verdict else { panic!("{text}\n{verdict:?}") };
    assert!(sampled.largest_size < SIZES.1, "compared up to {}", sampled.largest_size);
    let said = verdict.describe(true).join("\n");
    assert!(said.contains(&format!("in {}..={}", SIZES.0, sampled.largest_size)), "{said}");
    // A claim 1% off is wrong at those sizes too.
    let answer = analysis.print_one_line(derivative.result);
    let scaled = match answer.rsplit_once("; ") {
        Some((bindings, value)) => format!("{bindings}; 101/100 * ({value})"),
        None => format!("101/100 * ({answer})"),
    };
    let verdict = verify::verify(&mut analysis, &derivative, &scaled, &numeric).expect("not refused");
    assert!(matches!(verdict, Verdict::Differs { .. }), "{scaled}\n{verdict:?}");
}

#[test]
fn check_compares_at_smaller_sizes() {
    let mut analysis = analyze(PROGRAM).unwrap_or_else(|e| panic!("{}", e.render(PROGRAM)));
    let derivative = analysis.derivative(None, "D").expect("the derivative");
    let graph = analysis.graph();
    let comparison = matcalc::check::compare_with_finite_differences(
        graph,
        derivative.of,
        derivative.wrt,
        derivative.result,
        true,
        5,
        3,
    )
    .expect("not refused");
    assert!(comparison.points > 0 && comparison.relative_error < 1e-6, "{comparison:?}");
}
