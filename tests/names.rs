//! Distinct names print distinctly: LaTeX writes both `x1` and `x_1` as
//! `\mathbf{x}_1`, and LaTeX and Unicode both `alpha` and `α` as α, so a
//! program with two such names prints the one written most literally in
//! the notation's spelling and the other as it is typed. Snapshots, and a
//! pool of look-alike names whose printed forms are all different.

mod common;

use common::snapshots;
use matcalc::print::latex::Latex;
use matcalc::{analyze, Format};

/// Names that the notations' readings (a trailing number as a subscript, a
/// spelled-out Greek letter as the letter) make look alike.
const LOOK_ALIKES: &[&str] = &[
    "x1", "x_1", "x__1", "x12", "x_12", "x_1_2", "alpha", "α", "alpha1", "α1", "alpha_1", "α_1", "sigma2", "σ2",
    "sigma_2", "σ_2", "ell", "ℓ", "x_alpha", "x_α", "W1", "W_1", "x1_", "x",
];

/// The printed form of each name of `names` (all declared with `kind`), in
/// `format`.
fn printed_names(names: &[&str], kind: &str, format: Format) -> Vec<String> {
    let declarations: String = names.iter().map(|n| format!("{n}: {kind}; ")).collect();
    names
        .iter()
        .map(|name| {
            let program = format!("{declarations}{name}");
            let mut analysis = analyze(&program).unwrap_or_else(|e| panic!("{}", e.render(&program)));
            let value = analysis.value(None).unwrap();
            match format {
                Format::Latex => analysis.latex(value, &Latex::default(), None, 80),
                _ => analysis.print(value, format),
            }
        })
        .collect()
}

#[test]
fn distinct_names_print_distinctly_in_latex_and_unicode() {
    for kind in ["scalar", "vector(n)", "matrix(m, n)"] {
        for format in [Format::Latex, Format::Unicode, Format::Text] {
            let printed = printed_names(LOOK_ALIKES, kind, format);
            for (i, a) in printed.iter().enumerate() {
                for (j, b) in printed.iter().enumerate().skip(i + 1) {
                    assert_ne!(
                        a, b,
                        "{kind} {format:?}: `{}` and `{}` both print as {a}",
                        LOOK_ALIKES[i], LOOK_ALIKES[j]
                    );
                }
            }
        }
    }
}

#[test]
fn names_without_look_alikes_keep_their_notation() {
    // Alone, `x1` is `\mathbf{x}_1` and `alpha` is α.
    assert_eq!(printed_names(&["x1"], "vector(n)", Format::Latex), ["\\mathbf{x}_1"]);
    assert_eq!(printed_names(&["alpha"], "scalar", Format::Latex), ["\\alpha"]);
    assert_eq!(printed_names(&["alpha"], "scalar", Format::Unicode), ["α"]);
    // With its look-alike, the more literal name keeps it.
    assert_eq!(printed_names(&["x1", "x_1"], "vector(n)", Format::Latex), ["\\mathbf{x1}", "\\mathbf{x}_1"]);
    assert_eq!(printed_names(&["alpha", "α"], "scalar", Format::Unicode), ["alpha", "α"]);
}

fn latex_of(program: &str, wrt: Option<&str>) -> String {
    let mut analysis = analyze(program).unwrap_or_else(|e| panic!("{}", e.render(program)));
    match wrt {
        Some(wrt) => {
            let d = analysis.derivative(None, wrt).unwrap();
            let lhs = analysis.derivative_lhs(&d, None);
            analysis.latex(d.result, &Latex::default(), Some(&lhs), 80)
        }
        None => {
            let v = analysis.simplified(None).unwrap();
            analysis.latex(v, &Latex::default(), None, 80)
        }
    }
}

#[test]
fn look_alike_snapshots() {
    let subscripts = "x1: vector(n); x_1: vector(n); A: matrix(n, n); x1^T A x_1";
    let greek = "alpha: scalar; α: scalar; x: vector(n); alpha * norm2(x) + α * sum(x)";
    snapshots(|| {
        insta::assert_snapshot!("tex_names_subscripts", latex_of(subscripts, None));
        insta::assert_snapshot!("tex_names_subscripts_diff", latex_of(subscripts, Some("x1")));
        insta::assert_snapshot!("tex_names_greek", latex_of(greek, None));
        let mut analysis = analyze(greek).unwrap();
        let v = analysis.simplified(None).unwrap();
        insta::assert_snapshot!("names_greek_unicode", analysis.print(v, Format::Unicode));
        let steps = analyze(subscripts).unwrap().steps(None, "x1", Format::Latex, 80).unwrap();
        insta::assert_snapshot!("tex_names_subscripts_steps", steps);
    });
}
