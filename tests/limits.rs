//! Input beyond matcalc's limits is a clear error, never a crash or a
//! hang; input within them still works. The work each takes is bounded by
//! counts (nodes, printed size, derivative work); how long it takes is
//! measured by `benches/pipeline.rs` (group `limits`).

mod common;

use common::simplify_text;
use matcalc::Format;

#[test]
fn a_long_literal_prints_exactly() {
    let digits = "1".repeat(5000);
    assert_eq!(simplify_text(&digits), digits);
    let too_long = "1".repeat(10_001);
    assert!(simplify_text(&too_long).contains("a number of 10001 bytes; the limit is 10000"));
}

#[test]
fn long_names_are_an_error() {
    let name = "a".repeat(300);
    assert!(simplify_text(&name).contains("a name of 300 bytes; the limit is 256"));
}

#[test]
fn huge_powers_stay_symbolic_or_are_errors() {
    assert_eq!(simplify_text("x: vector(n); 2^100000000 * x"), "2^100000000 x");
    assert_eq!(simplify_text("x: vector(n); x .^ 1000000000"), "x .^ 1000000000");
    assert_eq!(simplify_text("(10^4000)^4000"), "10^16000000");
    assert!(simplify_text("A^1000000000").contains("matcalc expands powers up to 16"));
    assert!(simplify_text("A: matrix(n, n); A^-1000000000").contains("expands powers up to 16"));
    assert_eq!(simplify_text("10^10^10"), format!("1{}", "0".repeat(100)));
}

#[test]
fn products_of_huge_constants_are_an_error() {
    // Folding stops at the first product beyond the limit, however many
    // factors follow.
    for factors in [8, 100] {
        let product = vec!["1e10000"; factors].join(" * ");
        let rendered = simplify_text(&product);
        assert!(rendered.contains("a number with more than"), "{rendered}");
    }
    let powers = vec!["2^4000"; 100].join(" * ");
    assert_eq!(simplify_text(&powers), "2^400000");
}

#[test]
fn derivations_too_long_to_write_out_are_an_error() {
    // Each definition doubles the derivative written out as a tree: the
    // printers write shared subterms once, `--steps` refuses. (13, not
    // more: computing this derivative itself still takes time exponential
    // in the number of definitions, about 1.5 s at 12 in a debug build.)
    let mut program = String::from("x: vector(n); z0 = x");
    for i in 1..=13 {
        program.push_str(&format!("; z{i} = z{} .* sin(z{})", i - 1, i - 1));
    }
    program.push_str("; sum(z13)");
    let mut analysis = matcalc::analyze(&program).expect("a valid program");
    let derivative = analysis.derivative(None, "x").expect("a gradient");
    let text = analysis.print(derivative.result, matcalc::Format::Text);
    assert!(text.contains("t1 = "), "{text}");
    // Shared subterms are written once: the text is small though the tree
    // is over 2^13 operations.
    assert!(text.len() < 20_000, "{} bytes", text.len());
    let steps = analysis.steps(None, "x", matcalc::Format::Text, 100).map_err(|e| e.render(&program));
    let rendered = steps.expect_err("too long to write out");
    assert!(rendered.contains("the derivation is too long to write out"), "{rendered}");
}

#[test]
fn definitions_and_dimensions_are_checked() {
    assert!(simplify_text("z = z + 1; z").contains("used before its definition"));
    assert!(simplify_text("z = 1; z = 2").contains("already defined"));
    assert!(simplify_text("x: vector(0); x").contains("a dimension must be positive"));
    assert!(simplify_text("x: matrix(3, -2); x").starts_with("error: syntax error"));
    assert!(simplify_text("x: vector(99999999999999999999999); x").contains("dimension too large"));
}

/// A network thousands of layers deep (each layer a named definition, so
/// the nesting limit does not apply) goes through every entry point on a
/// thread with a small stack: the library moves deep work to a large stack
/// of its own instead of overflowing the caller's.
#[test]
fn deep_programs_need_no_large_stack_from_the_caller() {
    const LAYERS: usize = 1500;
    let mut lines = vec!["x: vector(n); y: vector(n)".to_string(), "h0 = x".to_string()];
    for i in 1..=LAYERS {
        lines.push(format!("W{i}: matrix(n, n)"));
        lines.push(format!("h{i} = tanh(W{i} h{})", i - 1));
    }
    lines.push(format!("L = 1/2 * norm2(h{LAYERS} - y)"));
    let source = lines.join("\n");
    let small_stack = std::thread::Builder::new().stack_size(512 << 10);
    let printed = small_stack
        .spawn(move || {
            let mut analysis = matcalc::analyze(&source).expect("the deep program analyses");
            let derivative = analysis.derivative(None, "W1").expect("and differentiates");
            let mut printed = Vec::new();
            for format in [Format::Text, Format::Unicode, Format::Latex, Format::Numpy, Format::Dot] {
                printed.push(analysis.print(derivative.result, format));
            }
            let steps = analysis.steps(None, "W1", Format::Text, 100);
            (printed, steps.map(|s| s.len()).map_err(|e| e.kind))
        })
        .expect("a thread starts")
        .join()
        .expect("no overflow, no panic");
    let (printed, steps) = printed;
    assert!(printed[0].contains(&format!("W{LAYERS}^T")), "{}", &printed[0][..200]);
    assert!(printed.iter().all(|p| !p.is_empty()));
    // The derivation writes each line out in full: too long here, an error.
    assert_eq!(steps, Err(matcalc::ErrorKind::Limit));
}
