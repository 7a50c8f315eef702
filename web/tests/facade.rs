//! The playground's functions on the host: every example works, results
//! are the library's, errors point at their span in JavaScript's offsets.

use matcalc_web::examples::{EXAMPLES, SEED};
use matcalc_web::json::Json;
use matcalc_web::{examples, playground, verify};

fn at<'a>(value: &'a Json, path: &[&str]) -> &'a Json {
    path.iter().fold(value, |v, key| v.get(key).unwrap_or_else(|| panic!("no `{key}` in {}", v.write())))
}

fn text<'a>(value: &'a Json, path: &[&str]) -> &'a str {
    at(value, path).as_str().unwrap_or_else(|| panic!("{path:?} is not a string in {}", value.write()))
}

#[test]
fn the_seed_gives_the_librarys_gradient_steps_code_and_graph() {
    let page = playground(SEED, "");
    assert_eq!(at(&page, &["ok"]), &Json::Bool(true));
    assert_eq!(text(&page, &["wrt"]), "W");
    let expected = matcalc::diff(SEED, "W", matcalc::Format::Text).unwrap();
    assert_eq!(text(&page, &["derivative", "text"]), expected);
    assert_eq!(text(&page, &["derivative", "text"]), "t1 = (W^T W x - x) x^T\nW (t1 + t1^T)");
    assert_eq!(text(&page, &["derivative", "unicode"]), "t1 = (Wᵀ W x − x) xᵀ\nW (t1 + t1ᵀ)");
    assert!(text(&page, &["derivative", "latex"])
        .contains("\\nabla_{\\mathbf{W}} L &= \\mathbf{W} (\\mathbf{t}_1 + \\mathbf{t}_1^\\top)"));
    assert_eq!(text(&page, &["derivative", "kind"]), "gradient");
    assert_eq!(text(&page, &["derivative", "numpy_name"]), "grad_W");
    assert!(text(&page, &["derivative", "numpy"]).contains("def grad_W(W, x):"));
    let steps = matcalc::analyze(SEED).unwrap().steps(None, "W", matcalc::Format::Unicode, 100).unwrap();
    assert_eq!(text(&page, &["derivative", "steps", "unicode"]), steps);
    assert!(text(&page, &["derivative", "steps", "latex"]).starts_with("\\begin{aligned}"));
    assert!(text(&page, &["svg"]).contains("<g class=\"node parameter\"><title>variable W</title>"));
    let Json::Array(variables) = at(&page, &["variables"]) else { panic!() };
    let listed: Vec<(&str, &str)> = variables.iter().map(|v| (text(v, &["name"]), text(v, &["kind"]))).collect();
    assert_eq!(listed, [("W", "matrix(m, n)"), ("x", "vector(n)"), ("L", "scalar")]);
    assert_eq!(at(&variables[2], &["definition"]), &Json::Bool(true));
}

#[test]
fn another_variable_and_an_unknown_one() {
    let page = playground(SEED, "x");
    assert_eq!(text(&page, &["wrt"]), "x");
    assert_eq!(text(&page, &["derivative", "text"]), matcalc::diff(SEED, "x", matcalc::Format::Text).unwrap());
    assert!(text(&page, &["svg"]).contains("<title>variable x</title>"));
    // A variable the edited program no longer has falls back to its first input.
    assert_eq!(text(&page_of("A: matrix(n, n); y: vector(n); y^T A y", "W"), &["wrt"]), "A");
}

fn page_of(source: &str, wrt: &str) -> Json {
    playground(source, wrt)
}

#[test]
fn every_example_differentiates_with_steps_and_a_graph() {
    let menu = examples();
    let Json::Array(items) = &menu else { panic!() };
    assert_eq!(items.len(), EXAMPLES.len());
    for example in EXAMPLES {
        let page = playground(example.program, example.wrt);
        assert_eq!(at(&page, &["ok"]), &Json::Bool(true), "{}: {}", example.title, page.write());
        assert_eq!(text(&page, &["wrt"]), example.wrt, "{}", example.title);
        assert_eq!(at(&page, &["derivative", "ok"]), &Json::Bool(true), "{}: {}", example.title, page.write());
        let expected = matcalc::diff(example.program, example.wrt, matcalc::Format::Text).unwrap();
        assert_eq!(text(&page, &["derivative", "text"]), expected, "{}", example.title);
        if text(&page, &["derivative", "kind"]) == "gradient" {
            assert!(at(&page, &["derivative", "steps", "latex"]).as_str().is_some(), "{}", example.title);
        } else {
            // The derivation is of gradients; a Jacobian says so.
            assert_eq!(at(&page, &["derivative", "steps"]), &Json::Null);
            assert_eq!(text(&page, &["derivative", "steps_error", "title"]), "cannot differentiate");
        }
        assert!(text(&page, &["svg"]).contains("node parameter"), "{}", example.title);
    }
}

#[test]
fn a_syntax_error_points_at_its_span_in_utf16_offsets() {
    // `∂` and `ᵀ` are one UTF-16 unit and three UTF-8 bytes each.
    let source = "# ∂ of Wᵀ\nW: matrix(m, n)\nx: vector(n)\nW x +* x";
    let page = playground(source, "W");
    assert_eq!(at(&page, &["ok"]), &Json::Bool(false));
    let error = at(&page, &["error"]);
    assert_eq!(text(error, &["title"]), "syntax error");
    assert_eq!(at(error, &["line"]), &Json::Number(4.0));
    let start = match at(error, &["start"]) {
        Json::Number(n) => *n as usize,
        other => panic!("{other:?}"),
    };
    let column = match at(error, &["column"]) {
        Json::Number(n) => *n as usize,
        other => panic!("{other:?}"),
    };
    let star = source.find("+*").unwrap() + 1;
    assert_eq!(start, source[..star].encode_utf16().count());
    assert_eq!(start, star - 2 * 2, "`∂` and `ᵀ` are two units shorter each in UTF-16");
    let line_start = source.rfind('\n').unwrap() + 1;
    assert_eq!(column, star - line_start + 1);
    let rendered = text(error, &["rendered"]);
    assert!(rendered.starts_with("error: syntax error:"), "{rendered}");
    assert!(rendered.contains("4 | W x +* x\n  |      ^"), "{rendered}");
}

#[test]
fn a_matrix_valued_program_lists_its_variables_and_explains_the_derivative_error() {
    // No Jacobian with respect to a symmetric matrix whose size is a
    // product (its n(n+1)/2 columns for n = m k are no size matcalc writes).
    let page = playground("A: symmetric(m k); x: vector(m k); A x", "A");
    assert_eq!(at(&page, &["ok"]), &Json::Bool(true));
    assert_eq!(at(&page, &["derivative", "ok"]), &Json::Bool(false));
    assert_eq!(text(&page, &["derivative", "error", "title"]), "input too large");
    let page = playground("A: symmetric(n); x: vector(n); A x", "A");
    assert_eq!(text(&page, &["derivative", "text"]), "kron(x^T, I(n)) D(n)");
    assert!(text(&page, &["svg"]).starts_with("<svg"));
    // A matrix product's Jacobian with respect to a factor, in Kronecker form.
    let page = playground("A: matrix(m, n); B: matrix(n, k); A B", "A");
    assert_eq!(at(&page, &["derivative", "ok"]), &Json::Bool(true));
}

#[test]
fn verify_right_wrong_and_a_bad_claim() {
    let right = verify(SEED, "W", "W (x (W^T W x - x)^T + (W^T W x - x) x^T)");
    assert_eq!(at(&right, &["correct"]), &Json::Bool(true), "{}", right.write());
    assert_eq!(text(&right, &["kind"]), "same form");
    let numeric = verify(SEED, "W", "W W^T W x x^T - 2 W x x^T + W x x^T W^T W");
    assert_eq!(text(&numeric, &["kind"]), "agrees");
    assert!(text(&numeric, &["reason"]).starts_with("correct: the claim equals matcalc's answer at"));
    let wrong = verify(SEED, "W", "W (W^T W x - x) x^T");
    assert_eq!(at(&wrong, &["correct"]), &Json::Bool(false));
    assert_eq!(text(&wrong, &["kind"]), "differs");
    assert!(text(&wrong, &["reason"]).starts_with("wrong: at a random point"));
    assert_eq!(text(&wrong, &["answer"]), "t1 = (W^T W x - x) x^T; W (t1 + t1^T)");
    let bad = verify(SEED, "W", "W q");
    assert_eq!(at(&bad, &["ok"]), &Json::Bool(false));
    assert_eq!(text(&bad, &["in"]), "claim");
    assert!(text(&bad, &["error", "rendered"]).contains("1 | W q\n  |   ^"), "{}", bad.write());
    let shape = verify(SEED, "W", "x");
    assert_eq!(text(&shape, &["kind"]), "wrong shape");
}
