//! The NumPy printer, executed: every derivative case's generated Python
//! runs under numpy and must match finite differences of the program
//! (computed here in Rust, independently of the symbolic derivative), and
//! programs whose names collide with the generator's own (`t1`, a scalar
//! `n` beside the dimension `n`, `df_dz`, `alpha` and `α`, Python keywords)
//! run through both `simplify` and `diff`. Needs `python3` with numpy;
//! skipped with a notice without them, except under CI (`CI` set), where it
//! fails.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::cases::{COOKBOOK, EXTRA, JACOBIANS_AND_HESSIANS, KRONECKER, KRON_APPLIED, ML};
use common::libraries::branch_cases;
use common::numpy::{case_json, numpy_available, run_cases};
use matcalc::check::{self, Rng, Sampling};
use matcalc::eval::{self, Env, Matrix};
use matcalc::print::numpy::{python_name, Parameter};
use matcalc::{analyze, Analysis, DerivativeKind};

/// Programs whose names the generated code must keep apart from its own.
const HYGIENE: &[(&str, &str, &[&str])] = &[
    ("temporary_t1", "t1, x: vector(n); sum(t1 .* exp(x)) + sum(exp(x))", &["x", "t1"]),
    ("definition_t1", "A: matrix(n, n); x: vector(n); t1 = sum(x); t1 * sum(exp(A x)) + norm2(exp(A x))", &["x", "A"]),
    ("temporaries_t1_t2", "t1, t2: scalar; x: vector(n); t1 * sum(exp(t2 x)) + t2 * norm2(exp(t2 x))", &["x", "t2"]),
    ("scalar_n", "n: scalar; x: vector(n); n * norm2(x) + ones(n)^T x + sum(ones(n))", &["x", "n"]),
    ("vector_n", "n: vector(n); sum(n) * sum(ones(n))", &["n"]),
    ("upstream_df_dw", "f: function; w: vector(m); df_dw: vector(m); f(w) + df_dw^T w", &["w", "df_dw"]),
    (
        "upstream_dL_dz",
        "f: function; W: matrix(m, n); x: vector(n); dL_dz: vector(m); z = W x; L = f(z); L + dL_dz^T z",
        &["W", "x"],
    ),
    ("opaque_value", "f: function; w: vector(m); k: scalar; k * f(w) + f(w)^2", &["w", "k"]),
    ("alpha_α", "alpha, α: scalar; x: vector(n); alpha * sum(x) + α * norm2(x)", &["x", "alpha", "α"]),
    ("lambda_lambda_", "lambda, lambda_: scalar; x: vector(n); lambda * sum(x) + lambda_ * norm2(x)", &["lambda"]),
    ("in_in_", "in, in_: scalar; x: vector(n); in * sum(sigmoid(x)) + in_ * norm2(x)", &["x", "in", "in_"]),
    ("dimension_parameter", "alpha: scalar; alpha * sum(ones(n))", &["alpha"]),
    ("dimension_parameters", "k: scalar; k * sum(ones(n)) + k^2 * tr(I(m))", &["k"]),
    ("helper_names", "_sigmoid, np, np_: scalar; x: vector(n); _sigmoid * sum(sigmoid(x)) + np * np_", &["x", "np"]),
    ("greek_capital", "Σ, Sigma: matrix(n, n); x: vector(n); x^T Σ x + sum(Sigma x)", &["x", "Σ"]),
];

/// A case for the simplified value of `analysis`, compared with matcalc's evaluator.
fn value_case(label: &str, analysis: &mut Analysis, env: &Env) -> String {
    let value = analysis.simplified(None).unwrap();
    let function = analysis.numpy_function(value, "value");
    let expected = eval::evaluate(analysis.graph(), value, env).unwrap_or_else(|e| panic!("{label}: {e}"));
    case_json(&format!("{label} value"), analysis.graph(), &function, "value", env, &expected)
}

/// A case for the derivative with respect to `wrt`, compared with finite differences.
fn derivative_case(label: &str, analysis: &mut Analysis, wrt: &str, env: &Env) -> String {
    let derivative = analysis.derivative(None, wrt).unwrap_or_else(|e| panic!("{label}: {e}"));
    let name = format!("d_{}", python_name(wrt));
    let function = analysis.numpy_function(derivative.result, &name);
    let graph = analysis.graph();
    let jacobian = derivative.kind == DerivativeKind::Jacobian;
    let mut expected = check::finite_difference(graph, derivative.of, derivative.wrt, env, jacobian).unwrap();
    if jacobian && expected.cols == 1 && graph.shape(derivative.of).is_scalar() {
        expected = expected.transpose();
    }
    case_json(&format!("{label} d/d{wrt}"), graph, &function, &name, env, &expected)
}

fn analyzed(label: &str, program: &str) -> Analysis {
    analyze(program).unwrap_or_else(|e| panic!("{label}: {}", e.render(program)))
}

#[test]
fn numpy_output_matches_finite_differences() {
    if !numpy_available("numpy_output") {
        return;
    }
    let mut cases = Vec::new();
    for (i, (label, program, wrt)) in COOKBOOK.iter().chain(ML).chain(JACOBIANS_AND_HESSIANS).chain(EXTRA).enumerate() {
        let mut analysis = analyzed(label, program);
        let env = check::random_env(analysis.graph(), &mut Rng::new(i as u64 + 1), Sampling::Positive);
        cases.push(derivative_case(label, &mut analysis, wrt, &env));
    }
    assert!(cases.len() >= 30);
    let failures = run_cases(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Jacobians in Kronecker form, generated as NumPy returning the 2-D
/// Jacobian (`np.kron`, vec as `reshape(-1, order="F")`, the commutation
/// matrix as a permuted identity), against finite differences of vec(F)
/// in column-major order, at two points each.
#[test]
fn numpy_kronecker_jacobians_match_finite_differences() {
    if !numpy_available("numpy_output") {
        return;
    }
    let mut cases = Vec::new();
    for (i, (label, program, wrt)) in KRONECKER.iter().enumerate() {
        let mut analysis = analyzed(label, program);
        for (seed, sampling) in [(0, Sampling::Positive), (1, Sampling::Mixed)] {
            let env = check::random_env(analysis.graph(), &mut Rng::new(300 + 2 * i as u64 + seed), sampling);
            cases.push(derivative_case(label, &mut analysis, wrt, &env));
        }
    }
    let failures = run_cases(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A Kronecker product applied to a vector is computed as vec(Q R Pᵀ), and
/// the unvec of a gradient as a reshape: no `np.kron` of a matrix, and the
/// numbers right (values against the evaluator, gradients and Jacobians
/// against finite differences).
#[test]
fn kronecker_products_applied_to_vectors_are_not_formed() {
    let mut cases = Vec::new();
    for (i, (label, program, wrt)) in KRON_APPLIED.iter().enumerate() {
        let mut analysis = analyzed(label, program);
        let value = analysis.simplified(None).unwrap();
        let derivative = analysis.derivative(None, wrt).unwrap();
        let unvec = label.starts_with("unvec");
        let shown = if unvec { derivative.result } else { value };
        let source = analysis.numpy_function(shown, "f").source;
        // Only the vector kron(w, v) is formed, never a matrix.
        let vectors = usize::from(*label == "applied_kron");
        assert_eq!(source.matches("np.kron(").count(), vectors, "{label}: a Kronecker product is formed:\n{source}");
        for (seed, sampling) in [(0, Sampling::Positive), (1, Sampling::Mixed)] {
            let env = check::random_env(analysis.graph(), &mut Rng::new(400 + 2 * i as u64 + seed), sampling);
            cases.push(value_case(label, &mut analysis, &env));
            cases.push(derivative_case(label, &mut analysis, wrt, &env));
        }
    }
    if !numpy_available("numpy_output") {
        return;
    }
    let failures = run_cases(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generated_names_never_collide_with_the_programs() {
    if !numpy_available("numpy_output") {
        return;
    }
    let mut cases = Vec::new();
    for (i, (label, program, wrts)) in HYGIENE.iter().enumerate() {
        let mut analysis = analyzed(label, program);
        for seed in 0..2 {
            let sampling = if seed == 0 { Sampling::Positive } else { Sampling::Mixed };
            let env = check::random_env(analysis.graph(), &mut Rng::new(100 + 2 * i as u64 + seed), sampling);
            cases.push(value_case(label, &mut analysis, &env));
            for wrt in *wrts {
                cases.push(derivative_case(label, &mut analysis, wrt, &env));
            }
        }
    }
    let failures = run_cases(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The example as reported: at x = (0, 1), t1 = (1, 2) the value is
/// 1 + 2e + 1 + e = 2 + 3e ≈ 10.155.
#[test]
fn a_variable_named_t1_keeps_its_value() {
    if !numpy_available("numpy_output") {
        return;
    }
    let program = "t1, x: vector(n); sum(t1 .* exp(x)) + sum(exp(x))";
    let mut analysis = analyzed("t1", program);
    let mut env = check::random_env(analysis.graph(), &mut Rng::new(7), Sampling::Positive);
    env.dims = vec![2];
    let graph = analysis.graph();
    let t1 = graph.find_symbol("t1").unwrap();
    let x = graph.find_symbol("x").unwrap();
    env.values.insert(t1, Matrix { rows: 2, cols: 1, data: vec![1.0, 2.0] });
    env.values.insert(x, Matrix { rows: 2, cols: 1, data: vec![0.0, 1.0] });
    let value = analysis.simplified(None).unwrap();
    let function = analysis.numpy_function(value, "value");
    let expected = Matrix::scalar(2.0 + 3.0 * std::f64::consts::E);
    let case = case_json("t1 at (1, 2)", analysis.graph(), &function, "value", &env, &expected);
    let failures = run_cases(&[case]);
    assert!(failures.is_empty(), "{}\n{}", failures.join("\n"), function.source);
}

/// Parameter lists: distinct names, the program's own where they are
/// Python identifiers, and every size no argument carries as a parameter.
#[test]
fn parameters_are_distinct_and_carry_every_size() {
    for (label, program, _) in HYGIENE {
        let mut analysis = analyzed(label, program);
        let value = analysis.simplified(None).unwrap();
        let function = analysis.numpy_function(value, "value");
        let mut names: Vec<&str> = function.parameters.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "{label}: {:?}", function.parameters);
        for (name, parameter) in &function.parameters {
            if let Parameter::Input(s) = parameter {
                let own = &analysis.graph().symbol(*s).name;
                if own.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !["in", "lambda", "np"].contains(&own.as_str())
                {
                    assert_eq!(name, own, "{label}");
                }
            }
        }
    }
    let mut analysis = analyzed("sizes", "alpha: scalar; alpha * sum(ones(n))");
    let value = analysis.simplified(None).unwrap();
    let function = analysis.numpy_function(value, "value");
    let names: Vec<&str> = function.parameters.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["alpha", "n"], "{}", function.source);
    assert!(function.source.contains("n: the size n (an integer)"), "{}", function.source);
    let mut analysis = analyzed("greek", "alpha, α: scalar; alpha * α");
    let value = analysis.simplified(None).unwrap();
    let function = analysis.numpy_function(value, "value");
    assert!(function.source.contains("def value(alpha, alpha_2):"), "{}", function.source);
    assert!(function.source.contains("alpha_2: α"), "{}", function.source);
}

/// The command line's `simplify --format numpy` and `diff --format numpy`
/// on the reported program, executed at x = (0, 1), t1 = (1, 2) against the
/// same function written by hand in numpy.
#[test]
fn command_line_numpy_keeps_a_variable_named_t1() {
    if !numpy_available("numpy_output") {
        return;
    }
    let program = "t1, x: vector(n); sum(t1 .* exp(x)) + sum(exp(x))";
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_matcalc")).args(args).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let value = run(&["simplify", program, "--format", "numpy"]);
    let gradient = run(&["diff", program, "--wrt", "x", "--format", "numpy"]);
    let script = format!(
        "{value}\n{gradient}\n\
         t1 = np.array([1.0, 2.0]); x = np.array([0.0, 1.0])\n\
         assert abs(value(t1, x) - (np.sum(t1 * np.exp(x)) + np.sum(np.exp(x)))) < 1e-12, value(t1, x)\n\
         assert abs(value(t1, x) - 10.154845485377136) < 1e-12\n\
         assert np.allclose(grad_x(t1, x), t1 * np.exp(x) + np.exp(x), rtol=1e-12), grad_x(t1, x)\n\
         print('ok')\n"
    );
    let output = std::process::Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).trim() == "ok",
        "{script}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Derivatives with respect to `alpha` and `α` in one output are two
/// functions with two names, each computing its own derivative.
#[test]
fn functions_for_different_variables_have_different_names() {
    if !numpy_available("numpy_output") {
        return;
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_matcalc"))
        .args(["diff", "alpha, α: scalar; alpha * α^2", "--wrt", "alpha,α", "--format", "numpy"])
        .output()
        .unwrap();
    let code = String::from_utf8(output.stdout).unwrap();
    assert!(
        code.contains("def grad_alpha(alpha, alpha_2):") && code.contains("def grad_alpha_2(alpha, alpha_2):"),
        "{code}"
    );
    let script = format!("{code}\nassert grad_alpha(3.0, 2.0) == 4.0\nassert grad_alpha_2(3.0, 2.0) == 12.0\n");
    let run = std::process::Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(run.status.success(), "{script}\n{}", String::from_utf8_lossy(&run.stderr));
}

/// A program whose generated NumPy takes a form chosen for speed: the
/// derivative with respect to `wrt` (the value if `wrt` is empty), pieces
/// its source must contain and must not, and the number of matrix products
/// (`@`) it may compute at most (in the first form, where the sizes decide
/// between two), and in the second form, if there is one.
struct Form {
    label: &'static str,
    program: &'static str,
    wrt: &'static str,
    contains: &'static [&'static str],
    absent: &'static [&'static str],
    products: Option<usize>,
    second_products: Option<usize>,
}

const LINEAR_NET: &str = "W1, W2, W3: matrix(n, n); x, y: vector(n); 1/2 * norm2(W3 W2 W1 x - y)";
const GAUSSIAN_NLL: &str = "S: matrix(n, n); x, mu: vector(n); 1/2 * logdet(S) + 1/2 * (x - mu)^T inv(S) (x - mu)";

const FORMS: &[Form] = &[
    // `x^T W^T W` is `W^T (W x)`: three matrix-vector products, then the
    // sum of the two outer products `(W x) r^T + (W r) x^T` as one product
    // of stacked columns (m×2 times 2×n), four products in all.
    Form {
        label: "seed",
        program: "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)",
        wrt: "W",
        contains: &["(np.stack([t1, (W @ t2)], 1) @ np.stack([t2, x]))"],
        absent: &["W.T @ W", "np.outer("],
        products: Some(4),
        second_products: None,
    },
    // No Gram matrix. Where the n×n matrix `(W^T W X - X) X^T` is cheap
    // (n small), `W` factored out of the two terms, whose product is shared
    // with its transpose (a view); else `W` distributed, `(W E) X^T + (W X)
    // E^T` with `W X` shared by `E = W^T (W X) - X`: three products, then
    // five, behind a comparison of their costs.
    Form {
        label: "seed_batched",
        program: "W: matrix(m, n); X: matrix(n, B); 1/2 * norm2(W^T W X - X)",
        wrt: "W",
        contains: &["(t1 + t1.T)", ".T)", "np.linalg.multi_dot([", " <= ", "(W @ X)"],
        absent: &["W.T @ W", "X.T @ W.T"],
        products: Some(3),
        second_products: Some(5),
    },
    // A product with a vector is distributed over a sum of products.
    Form {
        label: "sum_of_products_times_a_vector",
        program: "A: matrix(m, n); B: matrix(n, m); C: matrix(m, n); D: matrix(n, m); x: vector(m); (A B + C D) x",
        wrt: "",
        contains: &["(B @ x)", "(D @ x)"],
        absent: &["(A @ B)", " <= "],
        products: Some(4),
        second_products: None,
    },
    // An outer product is never multiplied into a matrix.
    Form {
        label: "linear_W1",
        program: LINEAR_NET,
        wrt: "W1",
        contains: &["np.outer("],
        absent: &["W2.T @ W3.T"],
        products: Some(5),
        second_products: None,
    },
    Form {
        label: "linear_W2",
        program: LINEAR_NET,
        wrt: "W2",
        contains: &["np.outer(", "(W1 @ x)"],
        absent: &["@ W1.T"],
        products: Some(4),
        second_products: None,
    },
    Form {
        label: "linear_W3",
        program: LINEAR_NET,
        wrt: "W3",
        contains: &["np.outer("],
        absent: &["@ W1.T", "@ W2.T"],
        products: Some(3),
        second_products: None,
    },
    // Applied inverses are solves, from the left and from the right.
    Form {
        label: "aT_Xinv_b",
        program: "a: vector(n); X: matrix(n, n); b: vector(n); a^T inv(X) b",
        wrt: "X",
        contains: &["np.outer(-np.linalg.solve(X.T, a), np.linalg.solve(X, b))"],
        absent: &["inv(", "* np.outer("],
        products: None,
        second_products: None,
    },
    Form {
        label: "nll_mu",
        program: GAUSSIAN_NLL,
        wrt: "mu",
        contains: &["np.linalg.solve("],
        absent: &["inv("],
        products: None,
        second_products: None,
    },
    // The inverse is part of the result: computed once, its transpose a view.
    Form {
        label: "nll_S",
        program: GAUSSIAN_NLL,
        wrt: "S",
        contains: &["np.linalg.inv(S)", "np.outer(1 / 2 * "],
        absent: &["inv(S.T)", "* np.outer("],
        products: Some(2),
        second_products: None,
    },
    Form {
        label: "nll_value",
        program: GAUSSIAN_NLL,
        wrt: "",
        contains: &["np.linalg.slogdet(S)", "np.linalg.solve(S, "],
        absent: &["inv("],
        products: None,
        second_products: None,
    },
    Form {
        label: "solve_from_the_right",
        program: "B: matrix(m, n); X: matrix(n, n); C: matrix(n, m); x: vector(n); tr(B inv(X) C) + sum(B inv(X) x)",
        wrt: "B",
        contains: &["np.linalg.solve("],
        absent: &["inv("],
        products: None,
        second_products: None,
    },
    Form {
        label: "solve_matrix_from_the_left",
        program: "A: matrix(n, n); B: matrix(n, m); tr(inv(A) B B^T)",
        wrt: "B",
        contains: &["np.linalg.solve("],
        absent: &["inv("],
        products: None,
        second_products: None,
    },
    // Solves of one matrix against vectors share one factorisation, the
    // right-hand sides stacked; three of them are no longer an inverse.
    Form {
        label: "stacked_solves",
        program: "A: matrix(n, n); b, c, u, v: vector(n); b^T inv(A) c + u^T inv(A) v",
        wrt: "",
        contains: &["np.column_stack([", "[:, 1]"],
        absent: &["inv("],
        products: None,
        second_products: None,
    },
    Form {
        label: "three_stacked_solves",
        program: "A: matrix(n, n); b, c, u, v, w: vector(n); b^T inv(A) c + u^T inv(A) v + w^T inv(A) w",
        wrt: "",
        contains: &["np.column_stack([", "[:, 2]"],
        absent: &["inv("],
        products: None,
        second_products: None,
    },
    // Solves from both sides: one factorisation of `A` (two right-hand
    // sides), one of `A^T`; the definition is made before the stack.
    Form {
        label: "stacked_solves_both_sides",
        program: "A: matrix(n, n); b, c, u: vector(n); h = tanh(u); b^T inv(A) c + sum(inv(A) h) + h^T inv(A) b",
        wrt: "",
        contains: &["np.column_stack(["],
        absent: &["inv("],
        products: None,
        second_products: None,
    },
    // The gradient -A^-T b c^T A^-T - A^-T u v^T A^-T: two factorisations,
    // each against two vectors, rather than an inverse.
    Form {
        label: "stacked_solves_gradient",
        program: "A: matrix(n, n); b, c, u, v: vector(n); b^T inv(A) c + u^T inv(A) v",
        wrt: "A",
        contains: &[],
        absent: &["inv("],
        products: None,
        second_products: None,
    },
    // Diagonal matrices scale rows or columns.
    Form {
        label: "diag_rows",
        program: "v: vector(n); M: matrix(n, m); diag(v) M",
        wrt: "",
        contains: &["v[:, None] * M"],
        absent: &["np.diag"],
        products: Some(0),
        second_products: None,
    },
    Form {
        label: "diag_columns",
        program: "v: vector(n); M: matrix(m, n); A: matrix(n, n); M diag(v) + M diag(exp(v)) A",
        wrt: "",
        contains: &["M * v"],
        absent: &["np.diag"],
        products: Some(1),
        second_products: None,
    },
    Form {
        label: "diag_vector",
        program: "v, u: vector(n); A: matrix(n, n); diag(v) u + diag(v) A u",
        wrt: "",
        contains: &["v * "],
        absent: &["np.diag"],
        products: Some(1),
        second_products: None,
    },
    Form {
        label: "hessian_2layer",
        program: "W1: matrix(m, n); W2: matrix(p, m); x: vector(n); a: vector(p); hessian(a^T tanh(W2 tanh(W1 x)), x)",
        wrt: "",
        contains: &["[:, None] * "],
        absent: &["np.diag"],
        // Three matrix-vector and three matrix-matrix products, as by hand;
        // where `p` is large, `W1^T` distributed (no product with `W2` of
        // an m×n matrix), and one more.
        products: Some(6),
        second_products: Some(7),
    },
    // A bias broadcasts; a product with ones is a sum.
    Form {
        label: "bias",
        program: "W: matrix(m, n); X: matrix(n, B); b: vector(m); Y: matrix(m, B); \
                  1/2 * norm2(tanh(W X + b ones(B)^T) - Y) + ones(m)^T tanh(W X) ones(B)",
        wrt: "b",
        contains: &["b[:, None]", "axis=1)"],
        absent: &["np.outer(", "np.ones("],
        products: Some(2),
        second_products: None,
    },
    // Beside a constant only, `u ones(m)^T` is a whole matrix: NumPy would
    // broadcast `1 / 2 - u[:, None]` to a column.
    Form {
        label: "broadcast_beside_a_constant",
        program: "u, v: vector(m); (1/2 - u ones(m)^T) v",
        wrt: "",
        contains: &[],
        absent: &["u[:, None]"],
        products: None,
        second_products: None,
    },
    Form {
        label: "column_sums",
        program: "M: matrix(m, n); v: vector(n); ones(m)^T M + v^T",
        wrt: "",
        contains: &["np.sum(M.T, axis=1)"],
        absent: &["np.ones("],
        products: Some(0),
        second_products: None,
    },
    // swish(z) = z sigmoid(z): each layer's sigmoid is computed once.
    Form {
        label: "swish_mlp",
        program:
            "W1, W2: matrix(n, n); x, y, b1, b2: vector(n); h1 = swish(W1 x + b1); 1/2 * norm2(swish(W2 h1 + b2) - y)",
        wrt: "W1",
        contains: &["np.outer("],
        absent: &["lambda"],
        products: Some(3),
        second_products: None,
    },
    // Sums of outer products, each one product of stacked columns and rows:
    // a scalar factor, a sign or a coefficient scales its column.
    Form {
        label: "outer_sum_scalar_factors",
        program: "u, w: vector(m); v, x: vector(n); s: scalar; s * u v^T - 2 * w x^T",
        wrt: "",
        contains: &["np.stack([s * u, -2.0 * w], 1) @ np.stack([v, x])"],
        absent: &["np.outer("],
        products: Some(1),
        second_products: None,
    },
    // Three terms, two of them through matrices and one written transposed:
    // `A u v^T B` is `(A u) (B^T v)^T`.
    Form {
        label: "outer_sum_three_terms",
        program: "A: matrix(m, m); B: matrix(n, n); u, w: vector(m); v, x: vector(n); k: scalar; \
                  A u v^T B - 1/2 * (B^T x w^T A^T)^T + exp(k) * u x^T",
        wrt: "",
        contains: &["np.stack([(A @ u), np.exp(k) * u, -1 / 2 * (A @ w)], 1) @ "],
        absent: &["np.outer("],
        // `A u`, `A w`, `B^T v`, `B^T x` and the stacked product.
        products: Some(5),
        second_products: None,
    },
    // A gradient that is a sum of outer products with scalar factors
    // (`(… a + k c) d^T + 2 (a^T W b) a b^T`, after the rules group the
    // terms in `d^T`).
    Form {
        label: "outer_sum_gradient",
        program: "W: matrix(m, n); a, c: vector(m); b, d: vector(n); k: scalar; \
                  (a^T W b)^2 + k * c^T W d + tanh(a^T W d)",
        wrt: "W",
        contains: &["* a + k * c, 2.0 * (t1 @ b) * a], 1) @ np.stack([d, b])"],
        absent: &["np.outer("],
        products: Some(4),
        second_products: None,
    },
    // `(W b a^T + b a^T W)^T`: both terms transposed.
    Form {
        label: "outer_sum_transposed",
        program: "W: matrix(n, n); a, b: vector(n); a^T W W b",
        wrt: "W",
        contains: &["np.stack([(a @ W), a], 1) @ np.stack([b, (W @ b)])"],
        absent: &["np.outer("],
        products: Some(3),
        second_products: None,
    },
    // Beside a full matrix a bias stays a broadcast, outside the stack.
    Form {
        label: "outer_sum_beside_a_broadcast",
        program: "W: matrix(m, n); b, u, w: vector(m); v, x: vector(n); W + b ones(n)^T + u v^T - w x^T",
        wrt: "",
        contains: &["b[:, None]", "np.stack([u, -w], 1) @ np.stack([v, x])"],
        absent: &["np.outer(", "np.ones("],
        products: Some(1),
        second_products: None,
    },
    // One outer product: its coefficient and scalar factors scale the column.
    Form {
        label: "scaled_outer_product",
        program: "u: vector(m); v: vector(n); s: scalar; A: matrix(m, n); A - 3 * s * u v^T",
        wrt: "",
        contains: &["A - np.outer(3.0 * s * u, v)"],
        absent: &["* np.outer("],
        products: Some(0),
        second_products: None,
    },
    // A small matrix of fixed size keeps its outer products: two stacks
    // cost more than they save.
    Form {
        label: "outer_sum_small",
        program: "u, w: vector(3); v, x: vector(4); u v^T + w x^T",
        wrt: "",
        contains: &["np.outer("],
        absent: &["np.stack("],
        products: Some(0),
        second_products: None,
    },
];

/// The forms above: each source has its pieces, at most its products, and
/// computes the derivative (against finite differences) or value (against
/// the evaluator) it stands for, at two points.
#[test]
fn evaluation_forms_are_taken_and_compute_the_right_numbers() {
    let mut cases = Vec::new();
    for (i, form) in FORMS.iter().enumerate() {
        let mut analysis = analyzed(form.label, form.program);
        let (source, name) = if form.wrt.is_empty() {
            let value = analysis.simplified(None).unwrap();
            (analysis.numpy_function(value, "value").source, None)
        } else {
            let derivative = analysis.derivative(None, form.wrt).unwrap();
            (analysis.numpy_function(derivative.result, "d").source, Some(form.wrt))
        };
        for piece in form.contains {
            assert!(source.contains(piece), "{}: no `{piece}` in\n{source}", form.label);
        }
        for piece in form.absent {
            assert!(!source.contains(piece), "{}: `{piece}` in\n{source}", form.label);
        }
        // The first form is the comparison's indented block, the second what follows it.
        let (first, second) = match source.find("\n    if ") {
            Some(start) => {
                let end = source[start..].find("\n        return ").map(|e| start + e).unwrap_or(source.len());
                let end = source[end + 1..].find('\n').map_or(source.len(), |e| end + 1 + e);
                (&source[start..end], Some(&source[end..]))
            }
            None => (&source[..], None),
        };
        if let Some(products) = form.products {
            let found = first.matches(" @ ").count();
            assert!(found <= products, "{}: {found} products, expected at most {products}:\n{source}", form.label);
        }
        match (form.second_products, second) {
            (Some(products), Some(second)) => {
                let found = second.matches(" @ ").count();
                assert!(found <= products, "{}: {found} products in the second form:\n{source}", form.label);
            }
            (None, None) => {}
            _ => panic!("{}: a second form expected: {:?}\n{source}", form.label, form.second_products),
        }
        if form.label.starts_with("stacked") || form.label.starts_with("three_stacked") {
            let factorisations = source.matches("np.linalg.solve(").count();
            let expected = if form.label.ends_with("both_sides") || form.label.ends_with("gradient") { 2 } else { 1 };
            assert!(factorisations <= expected, "{}: {factorisations} solves:\n{source}", form.label);
        }
        if form.label == "swish_mlp" {
            assert_eq!(source.matches("_sigmoid(").count(), 3, "one definition, one call per layer:\n{source}");
        }
        for seed in 0..2 {
            let env = check::random_env(analysis.graph(), &mut Rng::new(500 + 2 * i as u64 + seed), Sampling::Positive);
            cases.push(match name {
                None => value_case(form.label, &mut analysis, &env),
                Some(wrt) => derivative_case(form.label, &mut analysis, wrt, &env),
            });
        }
    }
    if !numpy_available("numpy_output") {
        return;
    }
    let failures = run_cases(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Programs for `--with-value`: the value and derivatives of each, returned
/// together by one function.
const WITH_VALUE: &[(&str, &str, &[&str])] = &[
    ("seed", "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", &["W"]),
    (
        "mlp_tanh",
        "W1, W2: matrix(n, n); x, y, b1, b2: vector(n); h1 = tanh(W1 x + b1); z = W2 h1 + b2; 1/2 * norm2(z - y)",
        &["W1", "b2"],
    ),
    ("gaussian_nll", GAUSSIAN_NLL, &["S", "mu"]),
    ("seed_batched_compares_sizes", "W: matrix(m, n); X: matrix(n, B); 1/2 * norm2(W^T W X - X)", &["W"]),
    ("logistic", "X: matrix(N, d); y: vector(N); w: vector(d); sum(softplus(X w)) - y^T X w", &["w"]),
    ("exp_shares_the_value", "x: vector(n); k: scalar; exp(k * sum(x))", &["x", "k"]),
    (
        "symmetric_and_sized",
        "S: symmetric(n); x: vector(n); c: vector(3); x^T S x + sum(ones(n)) * norm2(c)",
        &["x", "c"],
    ),
];

/// `numpy_value_and_derivatives`: the value (against the evaluator) and
/// each derivative (against finite differences), each taken from the one
/// function's tuple, at two points; the forward pass is written once.
#[test]
fn value_and_derivatives_come_from_one_function() {
    let mut cases = Vec::new();
    for (i, (label, program, wrts)) in WITH_VALUE.iter().enumerate() {
        let mut analysis = analyzed(label, program);
        let function = analysis.numpy_value_and_derivatives(None, wrts).unwrap();
        let name = function.source.lines().find_map(|l| l.strip_prefix("def ")).unwrap().split('(').next().unwrap();
        let top_level = function.source.lines().filter(|l| l.starts_with("def ")).count();
        assert_eq!(top_level, 1, "{label}: one function\n{}", function.source);
        assert!(function.source.contains("assert np."), "{label}: arguments checked\n{}", function.source);
        if *label == "mlp_tanh" {
            assert_eq!(function.source.matches("np.tanh(").count(), 1, "one forward pass:\n{}", function.source);
        }
        let parameters: Vec<&str> = function.parameters.iter().map(|(n, _)| n.as_str()).collect();
        let graph = analysis.graph().clone();
        for seed in 0..2 {
            let env = check::random_env(&graph, &mut Rng::new(700 + 2 * i as u64 + seed), Sampling::Positive);
            let value = analysis.simplified(None).unwrap();
            let mut expected = vec![eval::evaluate(&graph, value, &env).unwrap()];
            for wrt in *wrts {
                let derivative = analysis.derivative(None, wrt).unwrap();
                let jacobian = derivative.kind == DerivativeKind::Jacobian;
                let g = analysis.graph();
                expected.push(check::finite_difference(g, derivative.of, derivative.wrt, &env, jacobian).unwrap());
            }
            for (k, expected) in expected.iter().enumerate() {
                let pick = format!("pick_{k}");
                let mut picked = function.clone();
                let list = parameters.join(", ");
                picked.source.push_str(&format!("\n\ndef {pick}({list}):\n    return {name}({list})[{k}]\n"));
                cases.push(case_json(&format!("{label} result {k}"), analysis.graph(), &picked, &pick, &env, expected));
            }
        }
    }
    if !numpy_available("numpy_output") {
        return;
    }
    let failures = run_cases(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Where the sizes decide between two forms (`common::libraries::BRANCHES`),
/// each form is right: at sizes taking each, and forced at both.
#[test]
fn forms_chosen_by_size_compute_the_right_numbers() {
    let cases = branch_cases(matcalc::print::numpy::Library::Numpy);
    if !numpy_available("numpy_output") {
        return;
    }
    let failures = run_cases(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
