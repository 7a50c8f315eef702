//! Presentation choices of the printers (issue 14): repeated factors as
//! powers. Each case's text, Unicode and LaTeX are a reviewed snapshot; the
//! text and the Unicode read back to the very same node, and the text is
//! writes fewer names than the factors written out.

mod common;

use matcalc::{analyze, Format};

/// Products with repeated factors, and the same factors written out.
const POWERS: &[(&str, &str)] = &[
    ("X: matrix(n, n); X X X", "X X X"),
    ("X: matrix(n, n); det(X^3)", "det(X X X)"),
    ("X: matrix(n, n); (X^2)^T", "X^T X^T"),
    ("M: matrix(n, n); inv(M) inv(M)", "M^-1 M^-1"),
    ("X: matrix(n, n); X^-T X^-T X^-T", "X^-T X^-T X^-T"),
    ("A, B: matrix(n, n); (A + B) (A + B)", "(A + B) (A + B)"),
    ("A, B: matrix(n, n); A B A B A B", "A B A B A B"),
    ("A, B: matrix(n, n); A A B A A B", "A A B A A B"),
    ("A, B: matrix(n, n); x: vector(n); x^T A A x + x^T B x", "x^T A A x + x^T B x"),
    ("a, b: vector(n); X: matrix(n, n); grad(a^T X^3 b, X)", ""),
];

/// Matrix sums with transposed terms, and the same sums written out.
const OUTER_TRANSPOSE: &[(&str, &str)] = &[
    ("X, B: matrix(n, n); grad(tr(X^2 B), X)", "B^T X^T + X^T B^T"),
    ("A, X: matrix(n, n); inv(A^T + X^T)", "(A^T + X^T)^-1"),
    ("A, X: matrix(n, n); -(A^T X^T + X^T A^T)", "-(A^T X^T + X^T A^T)"),
    ("A, X, C: matrix(n, n); 2 C (A^T X^T + X^T A^T)", "2 C (A^T X^T + X^T A^T)"),
    ("A, X: matrix(n, n); A^T X^T + X^T", "A^T X^T + X^T"),
    ("P, Q: matrix(m, n); A: matrix(n, n); A^T P^T + Q^T", "A^T P^T + Q^T"),
    // One mark either way: written as it is.
    ("A, X: matrix(n, n); A^T + X", ""),
    ("A, X: matrix(n, n); A^T X + X^T A", ""),
];

/// Text, Unicode and LaTeX of each program's simplified value.
fn printed(cases: &[(&str, &str)]) -> String {
    let mut out = Vec::new();
    for (program, _) in cases {
        let mut analysis = analyze(program).unwrap();
        let value = analysis.simplified(None).unwrap();
        out.push(program.to_string());
        for format in [Format::Text, Format::Unicode, Format::Latex] {
            out.push(format!("  {}", analysis.print(value, format)));
        }
    }
    out.join("\n")
}

/// Every case's text and Unicode read back as the same node.
fn reads_back_as_itself(cases: &[(&str, &str)]) {
    for (program, _) in cases {
        let mut analysis = analyze(program).unwrap();
        let value = analysis.simplified(None).unwrap();
        for format in [Format::Text, Format::Unicode] {
            let text = analysis.print(value, format);
            let back = analysis.lower_claim(&text).unwrap_or_else(|e| panic!("{program}: {}", e.render(&text)));
            assert_eq!(back, value, "{program}: `{text}` reads back as another node");
        }
    }
}

/// Names written in `text` (function names too; not the `T` of `^T`):
/// a power writes its base once where the product wrote it every time.
fn names(text: &str) -> usize {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|t| t.starts_with(|c: char| c.is_alphabetic()) && *t != "T")
        .count()
}

#[test]
fn repeated_factors_print_as_powers() {
    common::snapshots(|| insta::assert_snapshot!("powers", printed(POWERS)));
    reads_back_as_itself(POWERS);
    for (program, written_out) in POWERS.iter().filter(|(_, w)| !w.is_empty()) {
        let mut analysis = analyze(program).unwrap();
        let value = analysis.simplified(None).unwrap();
        let text = analysis.print(value, Format::Text);
        assert!(
            names(&text) < names(written_out),
            "{program}: `{text}` does not write fewer names than `{written_out}`"
        );
    }
}

/// A run longer than the powers matcalc expands prints as several powers,
/// and a power inside the base of another leaves room for the outer one:
/// the text reads back within the limit.
#[test]
fn powers_stay_within_the_expansion_limit() {
    let long = format!("A: matrix(n, n); {}", vec!["A"; 40].join(" "));
    let nested = "A, B: matrix(n, n); A A A B A A A B A A A B A A A B A A A B A A A B";
    let cases = [(long.as_str(), ""), (nested, "")];
    reads_back_as_itself(&cases);
    let text = common::simplify_text(&long);
    assert_eq!(text, "A^16 A^16 A^8");
    let text = common::simplify_text(nested);
    assert!(!text.contains("^18") && !text.contains("^6)"), "{text}");
}

#[test]
fn a_sum_of_transposes_prints_as_one_outer_transpose() {
    common::snapshots(|| insta::assert_snapshot!("outer_transpose", printed(OUTER_TRANSPOSE)));
    reads_back_as_itself(OUTER_TRANSPOSE);
    let marks = |text: &str| text.matches("^T").count() + text.matches("^-T").count();
    for (program, written_out) in OUTER_TRANSPOSE {
        let text = common::simplify_text(program);
        if written_out.is_empty() {
            assert!(!text.starts_with('('), "{program}: `{text}`");
        } else {
            assert!(marks(&text) < marks(written_out), "{program}: `{text}` has no fewer marks than `{written_out}`");
        }
    }
}

/// A scalar quotient of a lone product brackets the product once, and the
/// text reads back as the same node.
#[test]
fn a_quotient_of_one_product_has_one_bracket() {
    for (program, expected) in [
        ("x, y: vector(n); k: scalar; (x^T y) / k", "(x^T y) / k"),
        ("x, y: vector(n); (x^T y) / norm(x)", "(x^T y) / norm(x)"),
        ("A: matrix(n, n); x: vector(n); k: scalar; (A x) / k", "A x / k"),
    ] {
        let text = common::simplify_text(program);
        assert_eq!(text, expected, "{program}");
        let declarations = &program[..program.rfind(';').expect("declarations")];
        let again = common::simplify_text(&format!("{declarations}; {text}"));
        assert_eq!(again, text, "{program}: the text reads back as itself");
    }
}

/// A broadcast scalar in a Hadamard product is a scalar factor: the
/// gradient of `log(sum(exp(x)))` is `softmax(x)`.
#[test]
fn a_broadcast_scalar_in_a_hadamard_product_is_a_factor() {
    assert_eq!(common::simplify_text("x: vector(n); k: scalar; (k ones(n)) .* x"), "k x");
    assert_eq!(common::simplify_text("x: vector(n); grad(log(sum(exp(x))), x)"), "softmax(x)");
}
