//! Limits that compose and measure the right thing: nested matrix powers
//! are bounded together, derivative operators share a work budget, input
//! is bounded while it is read, comments count toward no limit but the
//! total size, flat sums are long and not deep, and every way out reports a
//! failed write. Each bound is asserted by counts (bytes read, nodes, work
//! done), never by time.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};

use common::{diff_text, simplify_text};
use matcalc::diff::MAX_DERIVATIVE_WORK;
use matcalc::input::MAX_INPUT_BYTES;
use matcalc::ErrorKind;

fn matcalc(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_matcalc"));
    command.args(args);
    command
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = matcalc(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn nested_matrix_powers_are_bounded_together() {
    let tower = format!("A: matrix(n, n); A{}", "^2".repeat(21));
    let rendered = simplify_text(&tower);
    assert!(rendered.contains("nested matrix powers compound to a power of 32"), "{rendered}");
    // The caret is under the whole tower.
    assert!(rendered.contains(&format!("| {}{}\n", " ".repeat(17), "^".repeat(43))), "{rendered}");
    let rendered = diff_text("x^T A^16^16^16 x", "A");
    assert!(rendered.contains("compound to a power of 256"), "{rendered}");
    // Within the total they expand: A^2^2^2^2 is A^16 (the product of 16
    // factors, printed as their power).
    assert_eq!(simplify_text("A: matrix(n, n); A^2^2^2^2"), "A^16");
    assert_eq!(simplify_text("A: matrix(n, n); (A^4)^-4"), "A^-16");
    assert_eq!(simplify_text("A: matrix(n, n); A^2^2^2^2 A"), "A^16 A");
    // A named power is a name: it is not expanded again.
    assert_eq!(simplify_text("A: matrix(n, n); P = A^16; P^16"), "P^16");
    // Scalar powers do not expand and do not compound.
    assert!(!simplify_text("x: vector(n); A: matrix(n, n); (x^T A^16 x)^16").starts_with("error"));
}

/// `grad(grad(hessian(...softmax(softmax(...))...)))`: the derivatives of
/// nested operators grow geometrically; their shared budget ends them (at
/// twenty-eight softmaxes: with the Jacobian read off the differential,
/// twenty-six stay within it).
#[test]
fn nested_derivative_operators_end_in_a_limit_error() {
    let softmaxes = format!("{}x{}", "softmax(".repeat(28), ")".repeat(28));
    let program = format!("x: vector(n); grad(sum(grad(sum(hessian(sum({softmaxes}), x)), x)), x)");
    assert!(program.len() < 324);
    let error = matcalc::analyze(&program).expect_err("over the budget");
    assert_eq!(error.kind, ErrorKind::Limit);
    assert!(error.message.contains(&format!("more than {MAX_DERIVATIVE_WORK} steps")), "{}", error.message);
    assert!(error.span.is_some(), "the error points at the operator");
    assert!(error.render(&program).contains("^^^^"));
}

/// The budget is far above what real networks need: the gradient of a
/// residual network does work linear in its depth.
#[test]
fn derivative_work_is_linear_in_depth() {
    let work = |layers: usize| {
        let mut lines = vec!["x: vector(n); y: vector(n)".to_string(), "h0 = x".to_string()];
        for i in 1..=layers {
            lines.push(format!("W{i}: matrix(n, n)"));
            lines.push(format!("h{i} = h{} + tanh(W{i} h{})", i - 1, i - 1));
        }
        lines.push(format!("L = 1/2 * norm2(h{layers} - y)"));
        let source = lines.join("\n");
        common::with_big_stack(move || {
            let mut analysis = matcalc::analyze(&source).expect("analyses");
            analysis.derivative(None, "W1").expect("differentiates");
            analysis.graph().derivative_work()
        })
    };
    let (small, large) = (work(64), work(256));
    assert!(large < 5 * small, "work {small} at 64 layers, {large} at 256");
    assert!(large * 100 < MAX_DERIVATIVE_WORK, "{large}");
}

#[test]
fn a_long_flat_sum_is_not_nesting() {
    let loss: Vec<String> = (1..=2000).map(|i| format!("x{i}^T A x{i}")).collect();
    let loss = loss.join(" + ");
    let gradient = common::with_big_stack(move || diff_text(&loss, "A"));
    assert!(!gradient.starts_with("error"), "{}", &gradient[..gradient.len().min(300)]);
    assert_eq!(gradient.matches("^T").count(), 2000);
    // A flat product, and a flat sum with subtractions and divisions.
    let product = vec!["A"; 3000].join(" ");
    let (nodes, text) = common::with_big_stack(move || {
        let mut analysis = matcalc::analyze(&product).expect("analyses");
        let value = analysis.simplified(None).expect("simplifies");
        (analysis.graph().len(), analysis.print(value, matcalc::Format::Text))
    });
    // Printed as powers within the limit the lowering expands.
    assert_eq!(text, format!("{} A^8", vec!["A^16"; 187].join(" ")));
    // One product node, not one partial product per factor.
    assert!(nodes < 10, "{nodes} nodes");
    let sum: Vec<String> = (1..=3000).map(|i| format!("x{i} / 2 - y{i}")).collect();
    let sum = sum.join(" + ");
    let nodes = common::with_big_stack(move || matcalc::analyze(&sum).expect("analyses").graph().len());
    assert!(nodes < 6 * 3000 + 10, "{nodes} nodes for 6000 terms");
}

#[test]
fn deep_nesting_is_still_an_error() {
    let brackets = format!("{}x{}", "(".repeat(201), ")".repeat(201));
    assert!(simplify_text(&brackets).contains("brackets nested more than 200 deep"));
    let transposes = format!("x{}", "'".repeat(1000));
    assert!(simplify_text(&transposes).contains("nested too deeply"));
    let powers = format!("k: scalar; k{}", "^1".repeat(1000));
    assert!(simplify_text(&powers).contains("nested too deeply"));
}

/// A tree of a quarter of a million terms is dropped without recursion on a
/// thread with a small stack.
#[test]
fn a_huge_flat_sum_drops_on_a_small_stack() {
    let sum = vec!["x"; 250_000].join("+");
    let small = std::thread::Builder::new().stack_size(256 << 10);
    let text = small
        .spawn(move || {
            let program = matcalc::syntax::parse_program(&sum).expect("parses");
            drop(program);
            simplify_text("x + x")
        })
        .unwrap()
        .join()
        .expect("no overflow");
    assert_eq!(text, "2 x");
}

#[test]
fn comments_count_toward_no_limit_but_the_total() {
    let url = format!("x  # see https://example.com/{}", "a".repeat(300));
    assert_eq!(simplify_text(&url), "x");
    let rule = format!("#{}\nx + x\n#{}", "-".repeat(201), "+".repeat(500));
    assert_eq!(simplify_text(&rule), "2 x");
    let brackets = format!("x # {}", "(".repeat(500));
    assert_eq!(simplify_text(&brackets), "x");
    // 2 MiB of comments around a small program are fine ...
    let commented = format!("{}\nx\n", "# a comment line of some length\n".repeat(65_536));
    assert!(commented.len() > 2 << 20);
    assert_eq!(simplify_text(&commented), "x");
    // ... but the whole input has a bound, and so has the code outside comments.
    let too_long = "#".repeat(MAX_INPUT_BYTES + 1);
    assert!(simplify_text(&too_long).contains(&format!("more than {MAX_INPUT_BYTES} bytes")));
    let code = format!("x{}", " + x".repeat(300_000));
    assert!(simplify_text(&code).contains("bytes outside comments; the limit is 1048576"));
}

#[test]
fn numbers_run_together_are_syntax_errors() {
    for (source, literal) in
        [("1.2.3", "1.2.3"), ("0x10", "0x10"), ("x + 2y", "2y"), ("1e5e5", "1e5e5"), ("3..4", "3..4")]
    {
        let error = matcalc::analyze(source).expect_err(source);
        assert_eq!(error.kind, ErrorKind::Syntax, "{source}");
        assert!(error.message.contains(&format!("malformed number `{literal}`")), "{source}: {}", error.message);
        let span = error.span.expect("a span");
        assert_eq!(&source[span.start..span.end], literal);
    }
    for (source, value) in
        [("1.5 x", "3/2 * x"), ("2.*x", "2 x"), ("1e-3 x", "1/1000 * x"), ("x1 .5", "1/2 * x1"), ("2 x", "2 x")]
    {
        assert_eq!(simplify_text(source), value, "{source}");
    }
}

#[test]
fn a_byte_order_mark_is_skipped() {
    assert_eq!(simplify_text("\u{feff}x + x"), "2 x");
    let o = run_with_stdin(&["simplify", "-"], b"\xef\xbb\xbfx + x\n");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "2 x\n");
    let o = run_with_stdin(&["simplify", "-"], b"x + \xff");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not valid UTF-8"), "{}", stderr(&o));
}

/// An endless standard input is read up to the limit and no further: the
/// writer sees the pipe close after a few MiB.
#[test]
fn an_endless_input_is_not_read_into_memory() {
    for args in [&["simplify", "-"][..], &["repl"][..]] {
        let mut child =
            matcalc(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let chunk = vec![b'x'; 1 << 16];
            let mut written = 0usize;
            // Up to 1.5 GB, unless matcalc stops reading first.
            while written < 1_500_000_000 {
                match stdin.write(&chunk) {
                    Ok(n) => written += n,
                    Err(_) => break,
                }
            }
            written
        });
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let status = child.wait().unwrap();
        let written = writer.join().unwrap();
        assert_eq!(status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&format!("{MAX_INPUT_BYTES} bytes")), "{args:?}: {err}");
        assert!(written < 2 * MAX_INPUT_BYTES + (4 << 20), "{args:?}: matcalc read {written} bytes");
    }
    if std::path::Path::new("/dev/zero").exists() {
        let o = matcalc(&["simplify", "-f", "/dev/zero"]).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("input too large"), "{}", stderr(&o));
    }
}

#[test]
fn a_failed_write_exits_one_on_every_path() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("note: no /dev/full here; skipping");
        return;
    }
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    for args in [&["--help"][..], &["--version"][..], &["simplify", "x"][..], &["diff", "x^T x", "--wrt", "x"][..]] {
        let o = matcalc(args).stdout(full()).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("could not write"), "{args:?}: {}", stderr(&o));
    }
    let mut child = matcalc(&["repl"]).stdin(Stdio::piped()).stdout(full()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"x + x\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "piped repl: {}", stderr(&o));
    // A closed pipe is still not an error.
    let mut child =
        matcalc(&["repl"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    child.stdin.take().unwrap().write_all(b"x + x\ny + y\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "closed pipe: {}", stderr(&o));
}
