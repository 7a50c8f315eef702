//! Notes on standard error: where a naming default (not usage) decided a
//! kind that changes the answer, and likely slips. Each case's notes and
//! derivative are one reviewed snapshot; the derivative is also checked
//! against finite differences, and declared programs get no notes.

mod common;

use common::cases::{COOKBOOK, EXTRA, FUNCTIONS, JACOBIANS_AND_HESSIANS, JACOBIANS_THROUGH_MATRICES, ML};
use matcalc::{analyze, check, DerivativeKind, Format};

const CASES: &[(&str, &str, &str)] = &[
    ("constant_term_is_scalar", "x'*A*x + b'*x + c", "x"),
    ("bias_is_scalar", "w^T x + b", "w"),
    ("function_of_name_is_scalar", "exp(k) + sum(x)", "x"),
    ("greek_offset", "norm2(x - mu)", "x"),
    ("norm2_squared", "norm2(e)^2", "e"),
    ("seed_undeclared", "1/2 * norm2(W^T W x - x)", "W"),
    ("run_together_names", "w: vector(n); x: vector(n); b: scalar; w^T x + bx", "w"),
    ("labels_stay_vectors", "-y^T log(sigmoid(X w)) - (1 - y)^T log(1 - sigmoid(X w))", "w"),
];

#[test]
fn notes_say_what_spelling_decided() {
    common::snapshots(|| {
        for (name, program, wrt) in CASES {
            let mut analysis = analyze(program).unwrap_or_else(|e| panic!("{name}: {}", e.render(program)));
            let mut out: String = analysis.lowered.notes.iter().map(|n| n.render(program)).collect();
            let derivative = analysis.derivative(None, wrt).unwrap();
            out.push_str(&format!("d/d{wrt} = {}\n", analysis.print(derivative.result, Format::Text)));
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
            assert!(comparison.relative_error < 1e-6, "{name}: {comparison:?}");
            insta::assert_snapshot!(*name, out, program);
        }
    });
}

#[test]
fn an_undeclared_constant_term_makes_a_gradient_not_a_jacobian() {
    let mut analysis = analyze("x'*A*x + b'*x + c").unwrap();
    let derivative = analysis.derivative(None, "x").unwrap();
    assert_eq!(derivative.kind, DerivativeKind::Gradient);
    assert_eq!(analysis.print(derivative.result, Format::Text), "(A + A^T) x + b");
    assert!(analysis.types().contains("c: scalar  (inferred)"), "{}", analysis.types());
}

#[test]
fn declared_programs_get_no_notes() {
    for table in [COOKBOOK, ML, JACOBIANS_AND_HESSIANS, EXTRA, JACOBIANS_THROUGH_MATRICES, FUNCTIONS] {
        for (label, program, _) in table.iter() {
            let analysis = analyze(program).unwrap();
            let notes: Vec<String> = analysis.lowered.notes.iter().map(|n| n.render(program)).collect();
            assert!(notes.is_empty(), "{label}: {}", notes.join(""));
        }
    }
}
