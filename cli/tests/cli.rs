//! The command line: outputs, exit statuses (0 success, 1 a program error or
//! a failed check, 2 misuse), input from arguments, files and stdin.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn matcalc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_matcalc")).args(args).output().expect("matcalc runs")
}

fn matcalc_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_matcalc"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("matcalc runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SEED: &str = "1/2 * norm2(W^T W x - x)";

#[test]
fn seed_example_from_the_readme() {
    let o = matcalc(&["diff", SEED, "--wrt", "W"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "t1 = (W^T W x - x) x^T\nW (t1 + t1^T)\n");
}

#[test]
fn simplify_and_types() {
    assert_eq!(stdout(&matcalc(&["simplify", "(W^T W x - x)^T"])), "x^T W^T W - x^T\n");
    assert_eq!(stdout(&matcalc(&["simplify", "((A^T)^T)^T"])), "A^T\n");
    assert_eq!(stdout(&matcalc(&["types", SEED])), "W: matrix(m, n)  (inferred)\nx: vector(n)  (inferred)\n");
    assert_eq!(stdout(&matcalc(&["simplify", "-x^T"])), "-x^T\n");
}

#[test]
fn program_from_file_and_stdin() {
    let dir = std::env::temp_dir().join(format!("matcalc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("seed.mc");
    std::fs::write(&file, "# the autoencoder\nW: matrix(m, n)\nx: vector(n)\nL = 1/2 * norm2(W^T W x - x)\n").unwrap();
    let o = matcalc(&["diff", "-f", file.to_str().unwrap(), "--wrt", "x"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = matcalc_stdin(&["diff", "-", "--wrt", "X"], "tr(A X B)");
    assert_eq!(stdout(&o), "A^T B^T\n");
    let o = matcalc(&["diff", "-f", "/nonexistent/file.mc", "--wrt", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read"));
}

#[test]
fn program_errors_exit_one_with_a_caret() {
    let o = matcalc(&["simplify", "W: matrix(m, n); y: vector(p); W y"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("cannot multiply W (m×n) by y (p×1)") && err.contains('^'), "{err}");
    let o = matcalc(&["diff", SEED, "--wrt", "V"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no variable `V`"));
    let o = matcalc(&["diff", "W x", "--wrt", "W"]);
    assert_eq!(o.status.code(), Some(0), "a Jacobian with respect to a matrix is in Kronecker form");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "kron(x^T, I(m))");
    let o = matcalc(&["diff", "X: matrix(n, n); diag(X)", "--wrt", "X"]);
    assert_eq!(o.status.code(), Some(0), "the diagonal's Jacobian selects the rows of vec at (i, i)");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "kron(ones(n)^T, I(n)) diag(vec(I(n)))");
    let o = matcalc(&["diff", "S: symmetric(m n); x: vector(m n); S x", "--wrt", "S"]);
    assert_eq!(o.status.code(), Some(1), "no Jacobian with respect to a symmetric matrix of a product size");
    assert!(stderr(&o).contains("the symmetric matrix `S`") && stderr(&o).contains('^'), "{}", stderr(&o));
    assert!(stderr(&o).contains("n(n+1)/2 free entries"), "{}", stderr(&o));
    let o = matcalc(&["diff", "S: symmetric(n); x: vector(n); S x", "--wrt", "S"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "kron(x^T, I(n)) D(n)", "with respect to vech(S)");
    let o = matcalc(&["diff", "S: symmetric(3); x: vector(3); S x", "--wrt", "S"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "kron(x^T, I(3)) D(3)", "with respect to vech(S)");
}

#[test]
fn misuse_exits_two() {
    assert_eq!(matcalc(&["diff", SEED]).status.code(), Some(2), "--wrt is required");
    assert_eq!(matcalc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(matcalc(&["diff", SEED, "--wrt", "W", "--format", "pdf"]).status.code(), Some(2));
    let help = matcalc(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("norm2(r) is the SQUARED norm"));
}

#[test]
fn every_format_prints() {
    for format in ["text", "unicode", "latex", "numpy", "jax", "torch", "dot", "tikz"] {
        let o = matcalc(&["diff", SEED, "--wrt", "W", "--format", format]);
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        assert!(!stdout(&o).trim().is_empty(), "{format}");
    }
    let numpy = stdout(&matcalc(&[
        "diff",
        "X: matrix(m, n); lambda: scalar; lambda * norm2(X)",
        "--wrt",
        "X",
        "--format",
        "numpy",
    ]));
    assert!(numpy.contains("def grad_X(X, lambda_):"), "{numpy}");
}

#[test]
fn check_passes_and_reports() {
    let o = matcalc(&["check", "sum(log(sigmoid(W x)))", "--wrt", "W"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("ok"));
    let o = matcalc(&["check", "x: vector(n); sum(relu(x))", "--wrt", "x", "--points", "20"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // x x^T is singular everywhere: no point to compare at, and check says why.
    let o = matcalc(&["check", "x: vector(n); logdet(x x^T)", "--wrt", "x"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("singular at every point tried"), "{}", stderr(&o));
}

#[test]
fn verify_accepts_the_seed_answer_and_rejects_a_wrong_one() {
    let program = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)";
    let o = matcalc(&["verify", program, "--wrt", "W", "--claim", "W (W^T W x - x) x^T + (W x) (W^T W x - x)^T"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("correct"));
    let o = matcalc(&["verify", program, "--wrt", "W", "--claim", "W (W^T W x - x) x^T"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("wrong") && stdout(&o).contains("matcalc's answer"), "{}", stdout(&o));
    let o = matcalc(&["verify", program, "--wrt", "W", "--claim", "W x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("shape"), "{}", stdout(&o));
}

/// A large result prints its shared parts as `t1 = …` lines; pasted back as
/// a claim it is the same answer, and its names must not clash with the
/// program's.
#[test]
fn verify_reads_claims_with_definitions_of_their_parts() {
    let program = "W1, W2, W3: matrix(n, n); x, y: vector(n); h1 = x + tanh(W1 x); h2 = h1 + tanh(W2 h1); \
                   h3 = h2 + relu(W3 h2); L = 1/2 * norm2(h3 - y)";
    let answer = stdout(&matcalc(&["diff", program, "--wrt", "x"]));
    assert!(answer.starts_with("t1 = h3 - y\n"), "{answer}");
    let o = matcalc(&["verify", program, "--wrt", "x", "--claim", answer.trim_end()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("correct: the claim is matcalc's answer (the same canonical form)"),
        "{}",
        stdout(&o)
    );
    let o = matcalc(&["verify", program, "--wrt", "x", "--claim", "t1 = h3 - y; W1^T t1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("wrong"), "{}", stdout(&o));
    let o = matcalc(&["verify", program, "--wrt", "x", "--claim", "h3 = h2; h3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`h3` is already a name of the program") && stderr(&o).contains('^'), "{}", stderr(&o));
}

#[test]
fn closed_stdout_is_not_a_crash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_matcalc"))
        .args(["simplify", "x"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("internal error"), "{}", stderr(&o));
}

/// A full disk is not a silent success; with standard error discarded an
/// error still exits 1.
#[test]
fn output_that_cannot_be_written_is_an_error() {
    if let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") {
        let o = Command::new(env!("CARGO_BIN_EXE_matcalc")).args(["simplify", "x"]).stdout(full).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("could not write the output"), "{}", stderr(&o));
    }
    let o = Command::new(env!("CARGO_BIN_EXE_matcalc"))
        .args(["simplify", "x +"])
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(o.code(), Some(1));
}

const SWISH_NET: &str = "ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)";

/// `--wrt W1,b1,W2,b2` gives each derivative as `--wrt W1` alone would,
/// one after another under a comment header (the whole output is a
/// program's worth of text that parses); LaTeX as one aligned block.
#[test]
fn several_variables_at_once() {
    let variables = ["W1", "b1", "W2", "b2"];
    let single = |wrt: &str, format: &str| {
        let o = matcalc(&["diff", SWISH_NET, "--wrt", wrt, "--format", format]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o).trim_end().to_string()
    };
    let o = matcalc(&["diff", SWISH_NET, "-w", "W1, b1,W2,b2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expected: Vec<String> = variables.iter().map(|w| format!("# dL/d{w}\n{}", single(w, "text"))).collect();
    assert_eq!(stdout(&o).trim_end(), expected.join("\n\n"));

    let o = matcalc(&["diff", SWISH_NET, "--wrt", "W1,b1,W2,b2", "--format", "latex"]);
    let latex = stdout(&o);
    assert!(latex.starts_with("\\begin{aligned}\n") && latex.trim_end().ends_with("\\end{aligned}"), "{latex}");
    for w in variables {
        let row = single(w, "latex").replacen(" = ", " &= ", 1);
        assert!(latex.contains(&row), "{latex}\nlacks the row\n{row}");
    }
    assert_eq!(latex.matches(" \\\\\n").count(), 3, "{latex}");

    let o = matcalc(&["diff", SWISH_NET, "--wrt", "W2,b2", "--format", "numpy"]);
    let code = stdout(&o);
    assert_eq!(code.matches("import numpy as np").count(), 1, "{code}");
    assert!(code.contains("\ndef grad_W2(") && code.contains("\ndef grad_b2("), "{code}");
    assert!(!code.contains("\n\n\n\n"), "{code}");

    let o = matcalc(&["diff", SWISH_NET, "--wrt", "W2,b2", "--format", "dot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give one --wrt"), "{}", stderr(&o));
    let o = matcalc(&["diff", SWISH_NET, "--wrt", "W2,nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no variable `nope`"), "{}", stderr(&o));
}

/// The `$ matcalc …` examples of `--help` and every subcommand's `--help`,
/// with the indented lines under each.
fn help_examples() -> Vec<(String, Vec<String>)> {
    let mut examples = Vec::new();
    for sub in [None, Some("diff"), Some("simplify"), Some("types"), Some("check"), Some("verify")] {
        let args: Vec<&str> = sub.into_iter().chain(["--help"]).collect();
        let help = stdout(&matcalc(&args));
        let mut lines = help.lines().peekable();
        while let Some(line) = lines.next() {
            let Some(command) = line.strip_prefix("  $ matcalc ") else { continue };
            let mut output = Vec::new();
            while let Some(next) = lines.peek() {
                match next.strip_prefix("    ") {
                    Some(out) if !next.starts_with("  $") => output.push(out.to_string()),
                    _ => break,
                }
                lines.next();
            }
            examples.push((command.to_string(), output));
        }
    }
    examples
}

#[test]
fn help_examples_print_what_they_say() {
    let examples = help_examples();
    assert!(examples.len() >= 12, "only {} examples", examples.len());
    for (command, expected) in examples {
        let script = format!("\"$MATCALC\" {command}");
        let o = Command::new("sh")
            .args(["-c", &script])
            .env("MATCALC", env!("CARGO_BIN_EXE_matcalc"))
            .output()
            .expect("sh runs");
        let printed: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
        // Finite differences print a measured error: the digits may vary.
        let same = printed.len() == expected.len()
            && printed
                .iter()
                .zip(&expected)
                .all(|(p, e)| p == e || (e.starts_with("relative error ") && p.starts_with("relative error ")));
        assert!(same, "matcalc {command}\nprints\n{}\nbut --help says\n{}", printed.join("\n"), expected.join("\n"));
    }
}

#[test]
fn completions_and_manual_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = matcalc(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        assert!(stdout(&o).contains("matcalc") && stdout(&o).contains("--wrt"), "{shell}");
    }
    let o = matcalc(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with(".ie") && stdout(&o).contains(".TH matcalc 1"), "{}", stdout(&o));
    assert_eq!(matcalc(&["completions", "tcsh"]).status.code(), Some(2));
    let o = matcalc(&["diff", SEED, "-w", "W", "-F", "unicode"]);
    assert_eq!(stdout(&o), "t1 = (Wᵀ W x − x) xᵀ\nW (t1 + t1ᵀ)\n");
}

#[test]
fn differentials_print_as_text_unicode_and_latex_only() {
    let o = matcalc(&["diff", "A X B", "--wrt", "X", "--differential", "-F", "latex"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "\\mathrm{d}(\\mathbf{A} \\mathbf{X} \\mathbf{B}) = \\mathbf{A} \\mathrm{d}\\mathbf{X} \\mathbf{B}\n"
    );
    let o = matcalc(&["diff", "L = x^T A x", "--wrt", "x,A", "-d", "-F", "unicode"]);
    assert_eq!(stdout(&o), "dL = xᵀ (A + Aᵀ) dx\ndL = tr(x xᵀ dA)\n");
    for refused in [&["-F", "numpy"][..], &["-F", "jax"], &["-F", "torch"], &["-F", "dot"], &["--steps", "-F", "tikz"]]
    {
        let mut args = vec!["diff", "A X B", "--wrt", "X", "--differential"];
        args.extend_from_slice(refused);
        let o = matcalc(&args);
        assert_eq!(o.status.code(), Some(2), "{refused:?}");
        assert!(stderr(&o).contains("--differential prints text, unicode or latex"), "{}", stderr(&o));
    }
}

/// `--steps --differential`: the derivation of a gradient (of a Jacobian)
/// by differentials; the gradient of an opaque function whose argument
/// depends on the variable is an error with a caret (exit 1).
#[test]
fn steps_by_differentials() {
    let o = matcalc(&["diff", "logdet(X)", "--wrt", "X", "--steps", "--differential"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "df = d(logdet(X))\n   = tr(X^-1 dX)   [chain rule: d(logdet(U)) = tr(U^-1 dU)]\n\
         grad(f, X) = X^-T  [first identification theorem]\n"
    );
    let o = matcalc(&["diff", "A X B", "--wrt", "X", "-s", "-d"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "dF = d(A X B)\n   = A dX B                     [product rule]\n\
         vec(dF) = kron(B^T, A) vec(dX)  [vec(U V P) = kron(P^T, U) vec(V)]\n\
         jacobian(F, X) = kron(B^T, A)   [first identification theorem]\n"
    );
    let o = matcalc(&["diff", "ell: function; x, a: vector(n); a^T grad(ell(x), x)", "--wrt", "x", "-s", "-d"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("second derivative is unknown"), "{}", stderr(&o));
    assert!(stderr(&o).contains("^^^"), "{}", stderr(&o));
}

/// `--layout denominator` transposes Jacobians (and says so in LaTeX);
/// gradients keep the variable's shape.
#[test]
fn layouts() {
    let o = matcalc(&["diff", "W x", "--wrt", "W", "--layout", "denominator"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "kron(x, I(m))\n"), "{}", stderr(&o));
    let o = matcalc(&["diff", "W x", "--wrt", "x", "--layout", "denominator", "-F", "latex"]);
    assert_eq!(stdout(&o), "\\frac{\\partial \\mathbf{f}^\\top}{\\partial \\mathbf{x}} = \\mathbf{W}^\\top\n");
    let o = matcalc(&["diff", "W x", "--wrt", "x", "--layout", "numerator"]);
    assert_eq!(stdout(&o), "W\n");
    let o = matcalc(&["diff", "x^T A x", "--wrt", "x", "--layout", "denominator"]);
    assert_eq!(stdout(&o), "(A + A^T) x\n");
    let o = matcalc(&["diff", "W x", "--wrt", "x", "--layout", "denominator", "-F", "numpy", "--with-value"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("W.T"), "{}", stdout(&o));
    let o = matcalc(&["diff", "W x", "--wrt", "x", "--layout", "sideways"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn standalone_is_for_latex_and_tikz() {
    let o = matcalc(&["diff", SEED, "--wrt", "W", "--standalone"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--standalone makes a LaTeX document"), "{}", stderr(&o));
    let o = matcalc(&["simplify", SEED, "--format", "latex", "--standalone"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("\\begin{document}\n\\[\n\\frac{1}{2}"), "{}", stdout(&o));
}

/// `--trace` names each rule the rule engine applied (`src/rules/`).
#[test]
fn simplify_trace_prints_the_rules_applied() {
    let output = Command::new(env!("CARGO_BIN_EXE_matcalc"))
        .args(["simplify", "--trace", "z: vector(n); x: vector(n); sigmoid(-z) - (1 - sigmoid(z)) + log(sum(exp(x)))"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text,
        "sigmoid-neg: sigmoid(-z) => 1 - sigmoid(z)\nlogsumexp-exp: log(sum(exp(x))) => logsumexp(x)\nlogsumexp(x) ones(n)\n"
    );
}

/// `--trace` names the native rule that collects a polynomial.
#[test]
fn trace_names_the_collect_rule() {
    let output = Command::new(env!("CARGO_BIN_EXE_matcalc"))
        .args(["simplify", "--trace", "z, y: vector(n); sigmoid(z) .* (1 - y) - y .* (1 - sigmoid(z))"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text, "collect: sigmoid(z) .* (1 - y) - y .* (1 - sigmoid(z)) => sigmoid(z) - y\nsigmoid(z) - y\n");
}

/// `--with-value`: one NumPy function returning (value, gradient) that
/// checks its arguments' shapes; executed against the same numbers written
/// by hand; misuse is exit status 2.
#[test]
fn with_value_returns_value_and_gradient_and_checks_shapes() {
    let program = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)";
    let o = matcalc(&["diff", program, "--wrt", "W", "--format", "numpy", "--with-value"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let code = stdout(&o);
    assert!(code.contains("def value_and_grad_W(W, x):"), "{code}");
    let python = Command::new("python3").args(["-c", "import numpy"]).output();
    if python.is_ok_and(|p| p.status.success()) {
        let script = format!(
            "{code}\n\
             rng = np.random.default_rng(1); W = rng.standard_normal((3, 4)); x = rng.standard_normal(4)\n\
             value, grad = value_and_grad_W(W, x)\n\
             r = W.T @ (W @ x) - x\n\
             assert abs(value - 0.5 * r @ r) < 1e-12, value\n\
             assert np.allclose(grad, np.outer(W @ x, r) + np.outer(W @ r, x), rtol=1e-12)\n\
             for bad in [(W, rng.standard_normal(3)), (W, W), (x, x), (W[0], x)]:\n\
             \x20   try:\n\
             \x20       value_and_grad_W(*bad)\n\
             \x20   except AssertionError as e:\n\
             \x20       assert 'must have shape' in str(e), e\n\
             \x20   else:\n\
             \x20       raise SystemExit('accepted a wrong shape')\n\
             print('ok')\n"
        );
        let run = Command::new("python3").args(["-c", &script]).output().unwrap();
        assert_eq!(stdout(&run).trim(), "ok", "{script}\n{}", stderr(&run));
    }
    for args in [&["--format", "latex", "--with-value"][..], &["--format", "numpy", "--with-value", "--steps"]] {
        let o = matcalc(&[&["diff", program, "--wrt", "W"][..], args].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("--with-value"), "{}", stderr(&o));
    }
}

/// `--format jax` and `--format torch`: one import for several `--wrt`, one
/// function each, no NumPy call left, valid Python (compiled, not run: the
/// functions run in tests/jax_output.rs and tests/torch_output.rs); and
/// `--with-value` in each.
#[test]
fn jax_and_torch_print_one_import_and_a_function_per_variable() {
    let program = "W1, W2: matrix(n, n); x, y, b1: vector(n); 1/2 * norm2(W2 tanh(W1 x + b1) - y)";
    for (format, import) in [("jax", "import jax.numpy as jnp"), ("torch", "import torch")] {
        let o = matcalc(&["diff", program, "--wrt", "W1,b1", "--format", format]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let code = stdout(&o);
        assert!(code.starts_with(&format!("{import}\n")), "{code}");
        assert_eq!(code.matches("import").count(), 1, "{code}");
        assert!(code.contains("def grad_W1(") && code.contains("def grad_b1("), "{code}");
        let numpy = |code: &str| code.contains(" np.") || code.contains("(np.");
        assert!(!numpy(&code), "{code}");
        let o = matcalc(&["diff", program, "--wrt", "W1", "--format", format, "--with-value"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let with_value = stdout(&o);
        assert!(with_value.contains("def value_and_grad_W1(") && !numpy(&with_value), "{with_value}");
        for code in [code, with_value] {
            let mut compile = Command::new("python3");
            compile.args(["-c", "import sys; compile(sys.stdin.read(), 'out', 'exec')"]);
            let Ok(mut child) = compile.stdin(Stdio::piped()).stderr(Stdio::piped()).spawn() else { continue };
            child.stdin.take().unwrap().write_all(code.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{code}\n{}", stderr(&out));
        }
    }
}
