//! `matcalc verify` and the numeric bounds of `check` and `verify`: wrong
//! claims that once passed (positive-only points, absolute tolerance,
//! skipped points), claims starting with `-`, zero claims of any shape,
//! unknown names, could-not-decide verdicts, and sizes or point counts too
//! large to evaluate.

use std::process::{Command, Output};

fn matcalc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_matcalc")).args(args).output().expect("matcalc runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `verify` and returns (exit status, stdout, stderr).
fn verify(program: &str, wrt: &str, claim: &str) -> (Option<i32>, String, String) {
    let o = matcalc(&["verify", program, "--wrt", wrt, "--claim", claim]);
    (o.status.code(), stdout(&o), stderr(&o))
}

fn assert_wrong(program: &str, wrt: &str, claim: &str) {
    let (code, out, err) = verify(program, wrt, claim);
    assert_eq!(code, Some(1), "{program} / {claim}: {out}{err}");
    assert!(out.starts_with("wrong"), "{program} / {claim}: {out}{err}");
}

fn assert_correct(program: &str, wrt: &str, claim: &str) -> String {
    let (code, out, err) = verify(program, wrt, claim);
    assert_eq!(code, Some(0), "{program} / {claim}: {out}{err}");
    assert!(out.starts_with("correct"), "{program} / {claim}: {out}{err}");
    out
}

#[test]
fn a_claim_right_only_for_positive_entries_is_wrong() {
    assert_wrong("x: vector(n); norm1(x)", "x", "ones(n)");
    assert_wrong("k: scalar; k^2", "k", "2 abs(k)");
    // Right where log is defined, but not the derivative's formula.
    assert_wrong("x: vector(n); sum(log(x))", "x", "1 ./ abs(x)");
    assert_correct("x: vector(n); norm1(x)", "x", "sign(x)");
}

#[test]
fn the_tolerance_is_relative_to_the_magnitudes() {
    assert_wrong("k: scalar; 1e-17 k^3", "k", "0");
    assert_correct("k: scalar; 1e-17 k^3", "k", "3e-17 k^2");
    assert_wrong("x: vector(n); A: matrix(n, n); x^T A x", "x", "(A + A^T) x + 1e-9 x");
    // An equal form evaluated differently agrees beyond rounding.
    let out = assert_correct("x: vector(n); A: matrix(n, n); x^T A x", "x", "A x + A^T x");
    assert!(out.contains("at 12 random points") && out.contains("both signs"), "{out}");
}

#[test]
fn a_wrong_scale_sign_or_transpose_is_wrong() {
    let program = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)";
    let right = "W ((W^T W x - x) x^T + x (W^T W x - x)^T)";
    assert_correct(program, "W", right);
    assert_correct(program, "W", "W W^T W x x^T - W x x^T + W x x^T W^T W - W x x^T");
    assert_wrong(program, "W", &format!("1.01 * ({right})"));
    assert_wrong(program, "W", &format!("-({right})"));
    assert_wrong(program, "W", "W (W^T W x - x) x^T");
    assert_wrong("X, A: matrix(n, n); tr(X A)", "X", "A");
    assert_correct("X, A: matrix(n, n); tr(X A)", "X", "A^T");
}

#[test]
fn a_claim_may_start_with_a_minus_sign() {
    let program = "X: matrix(n, n); logdet(X)";
    assert_wrong(program, "X", "-X^-T");
    assert_correct(program, "X", "X^-T");
    assert_correct("X: matrix(n, n); -logdet(X)", "X", "-X^-T");
    assert_correct("X: matrix(n, n); -logdet(X)", "X", "-inv(X)^T");
}

#[test]
fn zero_is_the_zero_of_any_shape() {
    assert_correct("A: matrix(m, n); x: vector(n); sum(x)", "A", "0");
    assert_correct("x, y: vector(n); sum(x)", "y", "0");
    assert_correct("x: vector(n); k: scalar; sum(x)", "k", "0");
    assert_wrong("A: matrix(m, n); x: vector(n); sum(A x)", "A", "0");
    assert_wrong("x: vector(n); sum(x)", "x", "0");
}

#[test]
fn a_name_the_program_does_not_have_is_an_error() {
    let (code, out, err) = verify("x: vector(n); sum(x)", "x", "ones(n) + q");
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("`q` is not a name of the program") && err.contains('^'), "{err}");
    assert!(out.is_empty(), "{out}");
    let (code, _, err) = verify("A: matrix(n, n); tr(A)", "A", "Q + I(n)");
    assert_eq!(code, Some(1));
    assert!(err.contains("`Q` is not a name of the program"), "{err}");
    let (code, _, err) = verify("x: vector(n); sum(x)", "x", "ones(p)");
    assert_eq!(code, Some(1));
    assert!(err.contains("`p` is not a size of the program") && err.contains('^'), "{err}");
    // The claim's own definitions are names it has.
    assert_correct("x: vector(n); A: matrix(n, n); x^T A x", "x", "t1 = A x; t2 = A^T x; t1 + t2");
}

#[test]
fn points_where_nothing_can_be_compared_leave_the_claim_undecided() {
    // The derivative is finite only where x x^T is invertible: nowhere.
    let (code, out, err) = verify("x: vector(n); logdet(x x^T)", "x", "2 x ./ norm2(x)");
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.starts_with("could not decide"), "{out}{err}");
    assert!(out.contains("8 are needed") && out.contains("is not finite"), "{out}");
}

#[test]
fn a_claim_undefined_where_the_derivative_is_defined_is_wrong() {
    let (code, out, _) = verify("x: vector(n); sum(x .^ 2)", "x", "2 * exp(log(x))");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("the claim is not finite"), "{out}");
}

#[test]
fn matcalcs_own_answer_is_accepted_even_as_a_block() {
    let program = "W1, W2, W3: matrix(n, n); x, y: vector(n); h1 = x + tanh(W1 x); h2 = h1 + tanh(W2 h1); \
                   h3 = h2 + relu(W3 h2); L = 1/2 * norm2(h3 - y)";
    for wrt in ["x", "W1", "W3"] {
        let answer = stdout(&matcalc(&["diff", program, "--wrt", wrt]));
        assert_correct(program, wrt, answer.trim_end());
    }
}

#[test]
fn declared_sizes_too_large_to_evaluate_are_errors_with_a_span() {
    for size in ["18446744073709551615", "1000000000", "3000"] {
        let program = format!("x: vector({size}); sum(exp(x))");
        for args in [vec!["check", &program, "--wrt", "x"], vec!["verify", &program, "--wrt", "x", "--claim", "exp(x)"]]
        {
            let o = matcalc(&args);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}{}", stdout(&o), stderr(&o));
            let err = stderr(&o);
            assert!(err.contains(&format!("the size {size} is too large to evaluate numerically")), "{err}");
            assert!(err.contains(&"^".repeat(size.len())), "{err}");
            assert!(err.contains("vector(n)"), "{err}");
        }
    }
    // A declared product of sizes is bounded as a product, pointed at whole.
    let o = matcalc(&["check", "x: vector(100000 100000); sum(exp(x))", "--wrt", "x"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("the size 10000000000 is too large to evaluate numerically"), "{err}");
    assert!(err.contains(&"^".repeat("100000 100000".len())), "{err}");
    // A size written in the claim is bounded too.
    let (code, _, err) = verify("x: vector(n); sum(x)", "x", "ones(n) + sum(exp(ones(100000))) / 1e10");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("too large"), "{err}");
    // The limit itself is fine.
    let o = matcalc(&["check", "x: vector(256); sum(exp(x))", "--wrt", "x"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn work_beyond_the_budget_is_an_error_not_a_wait() {
    let o = matcalc(&["check", "W: matrix(200, 200); x: vector(200); norm2(W x)", "--wrt", "W"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("checking would take about") && stderr(&o).contains("fewer --points"),
        "{}",
        stderr(&o)
    );
    let o = matcalc(&["check", "W: matrix(30, 30); x: vector(30); norm2(W x)", "--wrt", "W", "--points", "1000"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("operations; the limit is"), "{}", stderr(&o));
    let o = matcalc(&[
        "verify",
        "x: vector(256); A: matrix(256, 256); x^T inv(A) x",
        "--wrt",
        "x",
        "--claim",
        "inv(A) x + inv(A)^T x",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("verifying would take about"), "{}", stderr(&o));
}

#[test]
fn the_number_of_points_is_bounded() {
    for points in ["18446744073709551615", "1001", "0"] {
        let o = matcalc(&["check", "x: vector(n); sum(exp(x))", "--wrt", "x", "--points", points]);
        assert_eq!(o.status.code(), Some(2), "--points {points}: {}", stderr(&o));
        assert!(stderr(&o).contains("--points") && stderr(&o).contains("1..=1000"), "{}", stderr(&o));
    }
    let o = matcalc(&["check", "x: vector(n); sum(exp(x))", "--wrt", "x", "--points", "1000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("at 1000 random points"), "{}", stdout(&o));
}

#[test]
fn the_library_bounds_points_and_sizes_too() {
    let mut analysis = matcalc::analyze("x: vector(1000000000); sum(x)").unwrap();
    let d = analysis.derivative(None, "x").unwrap();
    let graph = analysis.graph();
    let e = matcalc::check::compare_with_finite_differences(graph, d.of, d.wrt, d.result, false, 5, 1).unwrap_err();
    assert_eq!(e.kind, matcalc::ErrorKind::Limit, "{e:?}");
    let mut analysis = matcalc::analyze("x: vector(n); sum(x)").unwrap();
    let d = analysis.derivative(None, "x").unwrap();
    let graph = analysis.graph();
    let e = matcalc::check::compare_with_finite_differences(graph, d.of, d.wrt, d.result, false, usize::MAX, 1)
        .unwrap_err();
    assert_eq!(e.kind, matcalc::ErrorKind::Limit, "{e:?}");
    let mut analysis = matcalc::analyze("x: vector(18446744073709551615); sum(x)").unwrap();
    let d = analysis.derivative(None, "x").unwrap();
    let e = matcalc::verify::verify(&mut analysis, &d, "2 x", &Default::default()).unwrap_err();
    assert_eq!(e.kind, matcalc::ErrorKind::Limit, "{e:?}");
}

/// Found by the property test: where `tanh` of a large sum rounds to ±1,
/// the gradient is exactly 0, and so is 1.01 times it; such points decide
/// nothing, and points with smaller entries do.
#[test]
fn points_where_both_sides_underflow_to_zero_decide_nothing() {
    let program = "B: matrix(n, n); R: matrix(m, n); u: vector(m); \
                   arcsin(tanh(sum((softmax(R^T u)^T (R^T u)) diag(B .* B))) / 2)";
    for seed in [15194567823503503287, 1, 2, 3] {
        let mut analysis = matcalc::analyze(program).unwrap();
        let d = analysis.derivative(None, "R").unwrap();
        let scaled = analysis.graph_mut().scale(matcalc::coeff::ratio(101, 100), d.result);
        let text = analysis.print(scaled, matcalc::Format::Text);
        let options = matcalc::verify::Options { seed, symbolic: true };
        let verdict = matcalc::verify::verify(&mut analysis, &d, &text, &options).unwrap();
        assert!(matches!(verdict, matcalc::verify::Verdict::Differs { .. }), "seed {seed}: {verdict:?}");
        let answer = analysis.print(d.result, matcalc::Format::Text);
        let options = matcalc::verify::Options { seed, symbolic: false };
        let verdict = matcalc::verify::verify(&mut analysis, &d, &answer, &options).unwrap();
        assert!(verdict.correct(), "seed {seed}: {verdict:?}");
    }
    // Both sides exactly 0 at every point: nothing to compare, and verify says so.
    let (code, out, _) = verify("x: vector(n); sum(relu(-x .^ 2 - 1))", "x", "0");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("could not decide") && out.contains("at 60 both are exactly 0"), "{out}");
}

/// Found by the structured fuzz target: a claim that drops a term too small
/// beside the rest at every random point (so that no digit changes) was
/// called correct. Each term must matter at some point, else the claim is
/// undecided; a term that matters at wider scales is found there.
#[test]
fn a_term_negligible_at_every_point_leaves_the_claim_undecided() {
    let program = "x: vector(n); sum(x) + norm2(x) / 1000000000000000000000000";
    let (code, out, err) = verify(program, "x", "ones(n)");
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.starts_with("could not decide") && out.contains("too small beside the others"), "{out}");
    // The answer itself is accepted, also without the symbolic shortcut.
    assert_correct(program, "x", "ones(n) + x / 500000000000000000000000");
    // A term negligible at entries of size 1 matters at the wider scales
    // tried next: without it the claim is wrong.
    let (code, out, err) =
        verify("x: vector(n); sum(x) + sum(x .^ 30) / 1000000000000000000000000000000", "x", "ones(n)");
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.starts_with("wrong"), "{out}");
}
