//! The library's plain entry points behind the bindings: `verify_claim`,
//! `check_derivative`, `symbol_types` and `Error::line_column` return
//! values instead of printing them.

use matcalc::verify::{verify_claim, ClaimError, Verdict};
use matcalc::{analyze, ErrorKind};

const SEED: &str = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)";
const SEED_GRADIENT: &str = "t1 = (W^T W x - x) x^T; W (t1 + t1^T)";

#[test]
fn verify_claim_accepts_the_seed_gradient_in_another_form() {
    let mut analysis = analyze(SEED).unwrap();
    let report = verify_claim(&mut analysis, None, "W", "W (W^T W x - x) x^T + (W x) (W^T W x - x)^T").unwrap();
    assert!(report.verdict.correct(), "{report:?}");
    assert!(report.reason.starts_with("correct"), "{}", report.reason);
    assert_eq!(report.answer, SEED_GRADIENT);
}

#[test]
fn verify_claim_rejects_one_path_of_two() {
    let mut analysis = analyze(SEED).unwrap();
    let report = verify_claim(&mut analysis, None, "W", "W (W^T W x - x) x^T").unwrap();
    assert!(matches!(report.verdict, Verdict::Differs { .. }), "{report:?}");
    assert!(report.reason.starts_with("wrong: at a random point"), "{}", report.reason);
    assert_eq!(report.answer, SEED_GRADIENT);
    let report = verify_claim(&mut analysis, None, "W", "x").unwrap();
    assert!(matches!(report.verdict, Verdict::WrongShape { .. }), "{report:?}");
}

#[test]
fn verify_claim_says_whose_text_an_error_is_in() {
    let mut analysis = analyze(SEED).unwrap();
    match verify_claim(&mut analysis, None, "W", "W q") {
        Err(ClaimError::Claim(e)) => {
            assert_eq!(e.kind, ErrorKind::UnknownName, "{e:?}");
            assert_eq!(e.line_column("W q"), Some((1, 3)));
        }
        other => panic!("{other:?}"),
    }
    match verify_claim(&mut analysis, None, "V", "W") {
        Err(ClaimError::Program(e)) => assert_eq!(e.kind, ErrorKind::UnknownName, "{e:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn check_derivative_compares_with_finite_differences() {
    let mut analysis = analyze("sum(log(sigmoid(W x)))").unwrap();
    let report = matcalc::check::check_derivative(&mut analysis, None, "W", 4, 1).unwrap();
    assert_eq!(report.derivative, "(1 - sigmoid(W x)) x^T");
    assert_eq!(report.comparison.points, 4);
    assert!(report.comparison.passed(), "{:?}", report.comparison);
    let too_many = matcalc::check::check_derivative(&mut analysis, None, "W", 100_000, 1).unwrap_err();
    assert_eq!(too_many.kind, ErrorKind::Limit);
}

#[test]
fn symbol_types_are_the_lines_of_types() {
    let analysis = analyze("W: matrix(m, n); z = W x; ell: function; ell(z)").unwrap();
    let types = analysis.symbol_types();
    let lines: Vec<String> =
        types.iter().map(|t| format!("{} {} {} {}", t.name, t.kind, t.definition, t.inferred)).collect();
    assert_eq!(
        lines,
        ["W matrix(m, n) false false", "x vector(n) false true", "z vector(m) true false", "ell function false false"]
    );
    assert_eq!(analysis.types().lines().count(), types.len());
    assert!(analysis.types().contains("z: vector(m)  (definition)\n"));
}

#[test]
fn line_column_counts_lines_and_characters_from_one() {
    let source = "x: vector(n)\nα * x + x x^T";
    let e = analyze(source).unwrap_err();
    let (line, column) = e.line_column(source).expect("a span");
    assert_eq!(line, 2, "{}", e.render(source));
    let caret = e.render(source).lines().nth(3).unwrap().find('^').unwrap() - "  | ".len();
    assert_eq!(column, caret + 1, "{}", e.render(source));
    assert_eq!(matcalc::Error::bare(ErrorKind::Value, "no span").line_column(source), None);
}
