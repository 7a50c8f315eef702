//! LaTeX output, step-by-step derivations and graph drawings: snapshots of
//! the seed homework answers and other results, and a KaTeX validity check
//! of every LaTeX snapshot plus random expressions (skipped without katex).

mod common;

use common::snapshots;
use matcalc::print::latex::Latex;
use matcalc::{analyze, Format};

const SEED: &str = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)";
const SWISH: &str = "ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)";

/// `\nabla_{X} f = …` for the derivative of `program` with respect to `wrt`.
fn diff_latex(program: &str, wrt: &str, width: usize) -> String {
    match analyze(program).and_then(|mut a| {
        let d = a.derivative(None, wrt)?;
        let lhs = a.derivative_lhs(&d, None);
        Ok(a.latex(d.result, &Latex::default(), Some(&lhs), width))
    }) {
        Ok(text) => text,
        Err(e) => e.render(program),
    }
}

/// The simplified value of `program` in LaTeX.
fn simplify_latex(program: &str, notation: &Latex, width: usize) -> String {
    match analyze(program).and_then(|mut a| {
        let v = a.simplified(None)?;
        Ok(a.latex(v, notation, None, width))
    }) {
        Ok(text) => text,
        Err(e) => e.render(program),
    }
}

/// `\mathrm{d}L = …`, the differential of every case of the shared case
/// tables in LaTeX, at the default width and a narrow one.
fn differential_latex() -> Vec<String> {
    use common::cases::{COOKBOOK, EXTRA, FUNCTIONS, JACOBIANS_AND_HESSIANS, ML};
    let mut out = Vec::new();
    for (_, program, wrt) in [COOKBOOK, ML, JACOBIANS_AND_HESSIANS, EXTRA, FUNCTIONS].concat() {
        let Ok(mut analysis) = analyze(program) else { continue };
        let Ok(differential) = analysis.differential(None, wrt) else { continue };
        for width in [80, 30] {
            if let Ok(text) = analysis.print_differential(&differential, None, Format::Latex, &Latex::default(), width)
            {
                out.push(text);
            }
        }
        // The derivation by differentials (`--steps --differential`).
        if let Ok(text) = analysis.differential_steps(None, wrt, Format::Latex, &Latex::default(), 80) {
            out.push(text);
        }
    }
    out
}

fn steps(program: &str, wrt: &str, format: Format) -> String {
    match analyze(program).and_then(|mut a| a.steps(None, wrt, format, 100)) {
        Ok(text) => text,
        Err(e) => e.render(program),
    }
}

/// Every LaTeX snapshot: (name, text).
fn latex_cases() -> Vec<(&'static str, String)> {
    let wide = 100;
    vec![
        ("seed_autoencoder", diff_latex(SEED, "W", wide)),
        ("seed_swish_w1", diff_latex(SWISH, "W1", wide)),
        ("seed_swish_b1", diff_latex(SWISH, "b1", wide)),
        ("seed_swish_w2", diff_latex(SWISH, "W2", wide)),
        ("seed_swish_b2", diff_latex(SWISH, "b2", wide)),
        ("seed_autoencoder_narrow", diff_latex(SEED, "W", 40)),
        ("quadratic_form", diff_latex("x^T A x", "x", wide)),
        ("symmetric_quadratic_form", diff_latex("S: symmetric(n); 1/2 * x^T S x", "x", wide)),
        ("trace_product", diff_latex("tr(A X B)", "X", wide)),
        ("logdet_symmetric", diff_latex("S: symmetric(n); logdet(S)", "S", wide)),
        ("determinant", diff_latex("X: matrix(n, n); det(X)", "X", wide)),
        ("inverse_trace", diff_latex("X: matrix(n, n); tr(inv(X) A)", "X", wide)),
        ("least_squares", diff_latex("1/2 * norm2(A x - b)", "x", wide)),
        ("ridge_lambda", diff_latex("1/2 * norm2(A x - b) + lambda/2 * norm2(x)", "x", wide)),
        ("ridge_lambda_scalar", diff_latex("1/2 * norm2(A x - b) + lambda/2 * norm2(x)", "lambda", wide)),
        (
            "gaussian_sigma2",
            diff_latex("sigma2, n: scalar; norm2(x - m) / (2 * sigma2) + n/2 * log(sigma2)", "sigma2", wide),
        ),
        ("logistic", diff_latex("sum(log(sigmoid(W x)))", "W", wide)),
        ("softmax_cross_entropy", diff_latex("logsumexp(W x) - y^T W x", "W", wide)),
        ("relu_layer", diff_latex("ell: function; h = relu(W x + b); L = ell(h)", "W", wide)),
        ("two_paths_hadamard", diff_latex("sum(x .* (A x))", "x", wide)),
        ("frobenius_norm", diff_latex("norm(X)", "X", wide)),
        ("exp_over_sum", diff_latex("sum(exp(A x) ./ (1 + y))", "x", wide)),
        ("jacobian", diff_latex("tanh(W x)", "x", wide)),
        ("jacobian_named", diff_latex("y = sigmoid(A x); y", "x", wide)),
        ("long_sum_breaks", diff_latex("x^T A x + x^T B x + x^T C x + x^T D x + x^T E x + x^T F x", "x", 40)),
        ("greek_and_subscripts", simplify_latex("W_1 x_hat + alpha * b2 + beta_1 * z_12", &Latex::default(), wide)),
        ("inverse_transpose", simplify_latex("X: matrix(n, n); (inv(X))^T y", &Latex::default(), wide)),
        ("plain_t", simplify_latex("(A B x)^T y + tr(inv(A^T))", &Latex { plain_t: true }, wide)),
        ("elementwise_power", simplify_latex("x .^ 2 + sqrt(abs(y)) ./ (x + y)", &Latex::default(), wide)),
        (
            "functions",
            simplify_latex("k: scalar; sin(k) + cos(k)^2 + exp(-k) + softplus(k) + arctan(k)", &Latex::default(), wide),
        ),
        ("identity_ones", simplify_latex("A: matrix(n, n); A + I + ones(n) ones(n)^T", &Latex::default(), wide)),
        ("norms", simplify_latex("norm2(x)^2 + norm1(x) + norm(A)", &Latex::default(), wide)),
        ("hessian", simplify_latex("hessian(sum(exp(x)), x)", &Latex::default(), wide)),
        ("upstream_compound", diff_latex("ell: function; L = ell(W2 h1 + b2)", "b2", wide)),
    ]
}

#[test]
fn latex_snapshots() {
    snapshots(|| {
        for (name, text) in latex_cases() {
            insta::assert_snapshot!(format!("tex_{name}"), text);
        }
    });
}

#[test]
fn step_snapshots() {
    snapshots(|| {
        insta::assert_snapshot!("steps_seed_text", steps(SEED, "W", Format::Text));
        insta::assert_snapshot!("steps_seed_unicode", steps(SEED, "W", Format::Unicode));
        insta::assert_snapshot!("tex_steps_seed", steps(SEED, "W", Format::Latex));
        insta::assert_snapshot!("steps_swish_w1_unicode", steps(SWISH, "W1", Format::Unicode));
        insta::assert_snapshot!("tex_steps_swish_w1", steps(SWISH, "W1", Format::Latex));
        insta::assert_snapshot!("tex_steps_swish_b2", steps(SWISH, "b2", Format::Latex));
        insta::assert_snapshot!("steps_swish_w2_text", steps(SWISH, "W2", Format::Text));
        insta::assert_snapshot!("steps_shared_x", steps("x^T A x", "x", Format::Unicode));
        insta::assert_snapshot!("steps_jacobian_error", steps("A x", "x", Format::Text));
    });
}

#[test]
fn graph_snapshots() {
    snapshots(|| {
        let mut seed = analyze(SEED).unwrap();
        insta::assert_snapshot!("dot_seed", seed.dot(None, Some("W")).unwrap());
        insta::assert_snapshot!("tikz_seed", seed.tikz(None, Some("W"), &Latex::default()).unwrap());
        let mut swish = analyze(SWISH).unwrap();
        insta::assert_snapshot!("dot_swish", swish.dot(None, Some("W1")).unwrap());
    });
}

#[test]
fn text_output_is_unchanged_by_latex_hooks() {
    assert_eq!(common::diff_text(SEED, "W"), "t1 = (W^T W x - x) x^T\nW (t1 + t1^T)");
    let mut a = analyze(SWISH).unwrap();
    let d = a.derivative(None, "W1").unwrap();
    assert_eq!(a.print(d.result, Format::Unicode), "((W2ᵀ ∂L/∂z2) ⊙ (σ(z) ⊙ (1 − h1) + h1)) xᵀ");
}

#[test]
fn bad_input_gives_errors_not_panics() {
    for program in ["", "x +", "A x", "f: function; f(x)", "grad(L, z)"] {
        if let Ok(mut a) = analyze(program) {
            let _ = a.steps(None, "x", Format::Latex, 100);
            let _ = a.dot(None, Some("nope"));
            if let Ok(v) = a.value(None) {
                let _ = a.print(v, Format::Latex);
                let _ = a.print(v, Format::Tikz);
            }
        }
    }
}

/// A tiny deterministic generator of well-shaped programs.
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    fn matrix(&mut self, depth: u32) -> String {
        if depth == 0 {
            return ["A", "B", "A^T", "I"][self.next(4) as usize].to_string();
        }
        let d = depth - 1;
        match self.next(10) {
            0 => format!("({} + {})", self.matrix(d), self.matrix(d)),
            1 => format!("({} - {})", self.matrix(d), self.matrix(d)),
            2 => format!("{} {}", self.matrix(d), self.matrix(d)),
            3 => format!("({} .* {})", self.matrix(d), self.matrix(d)),
            4 => format!("inv({})", self.matrix(d)),
            5 => format!("({})^T", self.matrix(d)),
            6 => format!("{} * {}", self.scalar(d), self.matrix(d)),
            7 => format!("{} {}^T", self.vector(d), self.vector(d)),
            8 => format!("sigmoid({})", self.matrix(d)),
            _ => format!("diag({})", self.vector(d)),
        }
    }

    fn vector(&mut self, depth: u32) -> String {
        if depth == 0 {
            return ["x", "y", "x"][self.next(3) as usize].to_string();
        }
        let d = depth - 1;
        match self.next(11) {
            0 => format!("({} + {})", self.vector(d), self.vector(d)),
            1 => format!("({} - {})", self.vector(d), self.vector(d)),
            2 => format!("{} {}", self.matrix(d), self.vector(d)),
            3 => format!("({} .* {})", self.vector(d), self.vector(d)),
            4 => format!("{} * {}", self.scalar(d), self.vector(d)),
            5 => format!("tanh({})", self.vector(d)),
            6 => format!("softmax({})", self.vector(d)),
            7 => format!("exp({}) ./ ({} .^ 2 + 1)", self.vector(d), self.vector(d)),
            8 => format!("-{}", self.vector(d)),
            9 => format!("relu({})", self.vector(d)),
            _ => format!("{} / {}", self.vector(d), self.scalar(d)),
        }
    }

    fn scalar(&mut self, depth: u32) -> String {
        if depth == 0 {
            return ["k", "2", "1/2", "lambda"][self.next(4) as usize].to_string();
        }
        let d = depth - 1;
        match self.next(13) {
            0 => format!("tr({})", self.matrix(d)),
            1 => format!("det({})", self.matrix(d)),
            2 => format!("logdet({})", self.matrix(d)),
            3 => format!("norm2({})", self.vector(d)),
            4 => format!("norm({})", self.matrix(d)),
            5 => format!("{}^T {} {}", self.vector(d), self.matrix(d), self.vector(d)),
            6 => format!("sum({})", self.vector(d)),
            7 => format!("({} + {})", self.scalar(d), self.scalar(d)),
            8 => format!("{} * {}", self.scalar(d), self.scalar(d)),
            9 => format!("{} / ({} + 1)", self.scalar(d), self.scalar(d)),
            10 => format!("logsumexp({})", self.vector(d)),
            11 => format!("({})^2", self.scalar(d)),
            _ => format!("log({})", self.scalar(d)),
        }
    }
}

const DECLARATIONS: &str = "A, B: matrix(n, n); x, y: vector(n); k, lambda: scalar; ";

/// LaTeX of about a thousand random programs: their values and, for
/// scalars, their gradients with respect to A, x and k, with steps.
fn random_latex() -> Vec<String> {
    let mut gen = Gen(2024);
    let mut out = Vec::new();
    for i in 0..1000 {
        let depth = 1 + (i % 4) as u32;
        let body = match gen.next(3) {
            0 => gen.scalar(depth),
            1 => gen.vector(depth),
            _ => gen.matrix(depth),
        };
        let program = format!("{DECLARATIONS}{body}");
        let Ok(mut a) = analyze(&program) else { continue };
        let Ok(v) = a.simplified(None) else { continue };
        out.push(a.print_width(v, Format::Latex, 60));
        if a.graph().shape(v).is_scalar() {
            let wrt = ["A", "x", "k"][i % 3];
            if let Ok(d) = a.derivative(None, wrt) {
                let lhs = a.derivative_lhs(&d, None);
                out.push(a.latex(d.result, &Latex::default(), Some(&lhs), 60));
                if i % 5 == 0 {
                    if let Ok(s) = a.steps(None, wrt, Format::Latex, 80) {
                        out.push(s);
                    }
                }
            }
        }
    }
    out
}

/// The body of every `tex_*` snapshot of this file and of `tests/names.rs`.
fn snapshot_bodies() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots");
    let mut bodies = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return bodies };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if !(name.starts_with("latex__tex_") || name.starts_with("names__tex_")) || !name.ends_with(".snap") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        // The body follows the second `---` line of the header.
        if let Some(body) = text.splitn(3, "---\n").nth(2) {
            bodies.push(body.trim_end().to_string());
        }
    }
    bodies
}

#[test]
fn katex_renders_every_latex_output() {
    let root = env!("CARGO_MANIFEST_DIR");
    if !std::path::Path::new(root).join("node_modules/katex").exists() {
        common::skip(
            "katex_renders_every_latex_output",
            "node_modules/katex is absent (npm ci, or npm install --no-save katex@0.16.22)",
        );
        return;
    }
    let mut items = snapshot_bodies();
    let snapshot_count = items.len();
    assert!(snapshot_count >= 20, "expected the tex_* snapshots, found {snapshot_count}");
    items.extend(latex_cases().into_iter().map(|(_, t)| t));
    items.extend(random_latex());
    let differentials = differential_latex();
    assert!(differentials.len() > 200, "only {} differentials in LaTeX", differentials.len());
    items.extend(differentials);
    let json = format!("[{}]", items.iter().map(|s| common::json_string(s)).collect::<Vec<_>>().join(",\n"));
    let file = std::env::temp_dir().join(format!("matcalc-katex-{}.json", std::process::id()));
    std::fs::write(&file, json).unwrap();
    let output =
        match std::process::Command::new("node").arg(format!("{root}/tests/katex_check.js")).arg(&file).output() {
            Ok(o) => o,
            Err(e) => {
                common::skip("katex_renders_every_latex_output", &format!("cannot run node ({e})"));
                return;
            }
        };
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(output.status.success(), "KaTeX rejected some output ({} items):\n{stdout}", items.len());
    assert!(items.len() > 1000, "only {} LaTeX strings checked", items.len());
}

/// A test whose tool is missing says so in the `cargo test` output, and
/// fails under CI: the KaTeX check, run again with no `node` on the PATH.
#[test]
fn a_missing_tool_is_a_visible_skip_and_a_failure_under_ci() {
    let run = |ci: bool| {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command.args(["katex_renders_every_latex_output", "--exact", "--test-threads=1"]).env("PATH", "/nonexistent");
        if ci {
            command.env("CI", "true");
        } else {
            command.env_remove("CI");
        }
        command.output().expect("the test binary runs")
    };
    let local = run(false);
    let stderr = String::from_utf8_lossy(&local.stderr);
    assert!(local.status.success(), "{stderr}");
    assert!(stderr.contains("SKIPPED katex_renders_every_latex_output: "), "{stderr}");
    let ci = run(true);
    let stdout = String::from_utf8_lossy(&ci.stdout);
    assert!(!ci.status.success(), "{stdout}");
    assert!(stdout.contains("katex_renders_every_latex_output cannot run under CI"), "{stdout}");
}
