//! The cases the JAX and PyTorch printers are executed on: every derivative
//! case of the NumPy tests, programs whose NumPy takes each evaluation form
//! (solves, broadcast diagonals, `multi_dot`, views, constants), kinks at
//! points of both signs, and
//! `--with-value` functions' values and derivatives, each against finite
//! differences or the evaluator.

use super::cases::{
    COOKBOOK, EXTRA, FUNCTIONS, JACOBIANS_AND_HESSIANS, JACOBIANS_THROUGH_MATRICES, KRONECKER, KRON_APPLIED, ML,
};
use super::numpy::case_json;
use matcalc::check::{self, Rng, Sampling};
use matcalc::eval;
use matcalc::print::numpy::{Library, PythonFunction};
use matcalc::{analyze, Analysis, DerivativeKind};

/// Programs whose generated code takes the forms chosen for speed, and
/// derivatives that are constants (a number, `I`, `ones`).
pub const FORMS: &[(&str, &str, &str)] = &[
    ("seed_batched", "W: matrix(m, n); X: matrix(n, B); 1/2 * norm2(W^T W X - X)", "W"),
    ("linear_W2", "W1, W2, W3: matrix(n, n); x, y: vector(n); 1/2 * norm2(W3 W2 W1 x - y)", "W2"),
    ("aT_Xinv_b", "a: vector(n); X: matrix(n, n); b: vector(n); a^T inv(X) b", "X"),
    ("nll_mu", "S: matrix(n, n); x, mu: vector(n); 1/2 * logdet(S) + 1/2 * (x - mu)^T inv(S) (x - mu)", "mu"),
    ("nll_S", "S: matrix(n, n); x, mu: vector(n); 1/2 * logdet(S) + 1/2 * (x - mu)^T inv(S) (x - mu)", "S"),
    ("diag", "v: vector(n); M: matrix(m, n); A: matrix(n, n); sum(M diag(v) + M diag(exp(v)) A)", "v"),
    ("stacked_solves", "A: matrix(n, n); b, c, u, v: vector(n); b^T inv(A) c + u^T inv(A) v + c^T inv(A) u", "A"),
    ("stacked_solves_b", "A: matrix(n, n); b, c, u, v: vector(n); b^T inv(A) c + u^T inv(A) v + c^T inv(A) u", "b"),
    // JAX and PyTorch: one LU factorisation for solves with `A` and `A^T`,
    // against vectors and against matrices (from the left and the right).
    ("lu_shared", "A: matrix(n, n); M: matrix(m, n); b, c: vector(n); b^T inv(A) c + sum(M inv(A) b)", "A"),
    ("lu_shared_b", "A: matrix(n, n); M: matrix(m, n); b, c: vector(n); b^T inv(A) c + sum(M inv(A) b)", "b"),
    ("lu_matrices", "A: matrix(n, n); B: matrix(n, n); tr(A B^-1 A^T)", "B"),
    (
        "swish",
        "W1, W2: matrix(n, n); x, y, b1, b2: vector(n); h1 = swish(W1 x + b1); 1/2 * norm2(swish(W2 h1 + b2) - y)",
        "W1",
    ),
    (
        "bias",
        "W: matrix(m, n); X: matrix(n, B); b: vector(m); Y: matrix(m, B); 1/2 * norm2(tanh(W X + b ones(B)^T) - Y)",
        "b",
    ),
    // Sums of outer products: stacked columns for PyTorch, `outer` for JAX.
    (
        "outer_sum_gradient",
        "W: matrix(m, n); a, c: vector(m); b, d: vector(n); k: scalar; (a^T W b)^2 + k * c^T W d + tanh(a^T W d)",
        "W",
    ),
    ("outer_sum_transposed", "W: matrix(n, n); a, b: vector(n); a^T W W b", "W"),
    ("outer_sum_seed", "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", "W"),
    ("constant", "k: scalar; 3 * k", "k"),
    ("identity", "x: vector(n); x", "x"),
    ("ones", "X: matrix(m, n); sum(X)", "X"),
    ("module_names", "torch, np, jnp: vector(n); sum(exp(torch) .* np) + jnp^T torch", "torch"),
];

/// Programs with kinks, at points with entries of both signs.
const MIXED: &[(&str, &str, &str)] = &[
    ("relu_step", "x: vector(n); sum(softplus(x) + relu(x) .* x + step(x) .* x .^ 2)", "x"),
    (
        "relu_net",
        "W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); x: vector(n); y: vector(q); 1/2 * norm2(W2 relu(W1 x + b1) - y)",
        "W1",
    ),
];

/// Programs for `--with-value`: the value and derivatives of each, returned
/// together by one function (a scalar argument, a fixed size, two variables).
const WITH_VALUE: &[(&str, &str, &[&str])] = &[
    ("nll", "S: matrix(n, n); x, mu: vector(n); 1/2 * logdet(S) + 1/2 * (x - mu)^T inv(S) (x - mu)", &["mu", "S"]),
    (
        "mlp_tanh",
        "W1, W2: matrix(n, n); x, y, b1, b2: vector(n); h1 = tanh(W1 x + b1); z = W2 h1 + b2; 1/2 * norm2(z - y)",
        &["W1", "b2"],
    ),
    ("exp_shares_the_value", "x: vector(n); k: scalar; exp(k * sum(x))", &["x", "k"]),
    ("sized", "S: symmetric(n); x: vector(n); c: vector(3); x^T S x + sum(ones(n)) * norm2(c)", &["x", "c"]),
];

fn analyzed(label: &str, program: &str) -> Analysis {
    analyze(program).unwrap_or_else(|e| panic!("{label}: {}", e.render(program)))
}

/// `function` checked to be written for `library` alone.
fn written_for(library: Library, function: PythonFunction) -> PythonFunction {
    let source = &function.source;
    assert!(source.starts_with(&format!("{}\n", library.import())), "{source}");
    if library != Library::Numpy {
        assert!(!source.contains(" np.") && !source.contains("(np."), "{source}");
    }
    function
}

/// The derivative of `analysis` with respect to `wrt` at `env`, for
/// `library`, against finite differences.
fn derivative_case(library: Library, label: &str, analysis: &mut Analysis, wrt: &str, env: &eval::Env) -> String {
    let derivative = analysis.derivative(None, wrt).unwrap_or_else(|e| panic!("{label}: {e}"));
    let function = written_for(library, analysis.python_function(derivative.result, "d", library));
    let graph = analysis.graph();
    let jacobian = derivative.kind == DerivativeKind::Jacobian;
    let mut expected = check::finite_difference(graph, derivative.of, derivative.wrt, env, jacobian).unwrap();
    if jacobian && expected.cols == 1 && graph.shape(derivative.of).is_scalar() {
        expected = expected.transpose();
    }
    case_json(&format!("{label} d/d{wrt}"), graph, &function, "d", env, &expected)
}

/// Every case, printed for `library` (NumPy's own tests run the derivative
/// cases; here each is in another library's source).
pub fn cases(library: Library) -> Vec<String> {
    let mut cases = Vec::new();
    let all = COOKBOOK.iter().chain(ML).chain(JACOBIANS_AND_HESSIANS).chain(EXTRA).copied();
    let forms = FORMS.iter().map(|(l, p, w)| (*l, *p, *w));
    for (i, (label, program, wrt)) in all.chain(forms).enumerate() {
        let mut analysis = analyzed(label, program);
        let env = check::random_env(analysis.graph(), &mut Rng::new(i as u64 + 1), Sampling::Positive);
        cases.push(derivative_case(library, label, &mut analysis, wrt, &env));
    }
    for (i, (label, program, wrt)) in MIXED.iter().enumerate() {
        let mut analysis = analyzed(label, program);
        let env = check::random_env(analysis.graph(), &mut Rng::new(500 + i as u64), Sampling::Mixed);
        cases.push(derivative_case(library, label, &mut analysis, wrt, &env));
    }
    for (i, (label, program, wrts)) in WITH_VALUE.iter().enumerate() {
        cases.extend(with_value_cases(library, label, program, wrts, 900 + i as u64));
    }
    cases.extend(through_matrices(library));
    cases.extend(table_cases(library, KRONECKER, 1000, Sampling::Positive));
    for (i, (label, program, wrt)) in KRON_APPLIED.iter().enumerate() {
        cases.extend(with_value_cases(library, label, program, &[wrt], 1100 + i as u64));
    }
    cases.extend(functions(library));
    cases.extend(branch_cases(library));
    cases
}

/// The Jacobians through matrices (`cases::JACOBIANS_THROUGH_MATRICES`),
/// printed for `library`.
pub fn through_matrices(library: Library) -> Vec<String> {
    table_cases(library, JACOBIANS_THROUGH_MATRICES, 700, Sampling::Positive)
}

/// The added functions (`cases::FUNCTIONS`), printed for `library`, at
/// points with entries of both signs.
pub fn functions(library: Library) -> Vec<String> {
    table_cases(library, FUNCTIONS, 800, Sampling::Mixed)
}

/// The derivative cases of `table` printed for `library`, the i-th at a
/// point drawn from the seed `first_seed + i`.
fn table_cases(library: Library, table: &[(&str, &str, &str)], first_seed: u64, sampling: Sampling) -> Vec<String> {
    let mut cases = Vec::new();
    for (i, (label, program, wrt)) in table.iter().enumerate() {
        let mut analysis = analyzed(label, program);
        let env = check::random_env(analysis.graph(), &mut Rng::new(first_seed + i as u64), sampling);
        cases.push(derivative_case(library, label, &mut analysis, wrt, &env));
    }
    cases
}

/// One case per part of the value-and-derivatives function's tuple: the
/// value against the evaluator, each derivative against finite differences.
fn with_value_cases(library: Library, label: &str, program: &str, wrts: &[&str], seed: u64) -> Vec<String> {
    let mut analysis = analyzed(label, program);
    let function = written_for(library, analysis.python_value_and_derivatives(None, wrts, library).unwrap());
    let name = function.source.lines().find_map(|l| l.strip_prefix("def ")).unwrap().split('(').next().unwrap();
    let env = check::random_env(analysis.graph(), &mut Rng::new(seed), Sampling::Positive);
    let value = analysis.simplified(None).unwrap();
    let mut expected = vec![eval::evaluate(analysis.graph(), value, &env).unwrap()];
    for wrt in wrts {
        let derivative = analysis.derivative(None, wrt).unwrap();
        let jacobian = derivative.kind == DerivativeKind::Jacobian;
        let graph = analysis.graph();
        expected.push(check::finite_difference(graph, derivative.of, derivative.wrt, &env, jacobian).unwrap());
    }
    let list: Vec<&str> = function.parameters.iter().map(|(n, _)| n.as_str()).collect();
    let list = list.join(", ");
    let mut cases = Vec::new();
    for (k, expected) in expected.iter().enumerate() {
        let mut picked = function.clone();
        picked.source.push_str(&format!("\n\ndef pick({list}):\n    return {name}({list})[{k}]\n"));
        cases.push(case_json(&format!("{label} with value {k}"), analysis.graph(), &picked, "pick", &env, expected));
    }
    cases
}

/// Named sizes of a point: each dimension's name and size.
pub type Sizes = &'static [(&'static str, usize)];

/// What a generated function must return at a point.
type Expected = Box<dyn Fn(&mut Analysis, &eval::Env) -> eval::Matrix>;

/// Programs whose generated code compares two forms' costs at the
/// arguments' sizes (a sum of matrix products distributed over its
/// neighbour where that is cheaper), the derivative with respect to the
/// variable (the value if empty), and sizes at which each form is the cheaper
/// one (the first form, then the distributed one).
pub const BRANCHES: &[(&str, &str, &str, [Sizes; 2])] = &[
    (
        "seed_batched",
        "W: matrix(m, n); X: matrix(n, B); 1/2 * norm2(W^T W X - X)",
        "W",
        [&[("m", 8), ("n", 2), ("B", 8)], &[("m", 2), ("n", 8), ("B", 2)]],
    ),
    (
        "two_products",
        "A: matrix(m, n); B: matrix(n, m); C: matrix(m, n); D: matrix(n, m); M: matrix(p, m); M (A B + C D)",
        "",
        [&[("m", 2), ("n", 8), ("p", 8)], &[("m", 8), ("n", 2), ("p", 2)]],
    ),
];

/// A random point (positive entries) with the named sizes `sizes` (3 for a
/// dimension not listed).
pub fn sized_env(analysis: &Analysis, sizes: &[(&str, usize)], seed: u64) -> eval::Env {
    let graph = analysis.graph();
    let mut env = check::random_env(graph, &mut Rng::new(seed), Sampling::Positive);
    env.dims = graph.dim_names().iter().map(|d| sizes.iter().find(|(n, _)| n == d).map_or(3, |s| s.1)).collect();
    let mut rng = Rng::new(seed + 1);
    for (sid, symbol) in graph.symbols() {
        if !matches!(symbol.role, matcalc::ir::Role::Input { .. }) {
            continue;
        }
        let (rows, cols) = env.shape(symbol.shape);
        let mut m = eval::Matrix::filled(rows, cols, 0.0);
        for x in m.data.iter_mut() {
            *x = rng.uniform(0.3, 1.2);
        }
        env.values.insert(sid, m);
    }
    env
}

/// `source` with its one size comparison (`if … <= …:`) replaced by
/// `if {taken}:`, so that the first (`True`) or second form runs whatever
/// the sizes.
pub fn forced(source: &str, taken: bool) -> String {
    let lines: Vec<String> = source
        .lines()
        .map(|l| match l.starts_with("    if ") && l.contains(" <= ") {
            true => format!("    if {}:", if taken { "True" } else { "False" }),
            false => l.to_string(),
        })
        .collect();
    lines.join("\n") + "\n"
}

/// The [`BRANCHES`] printed for `library`: each at sizes taking each form,
/// and each form forced at both sizes, against finite differences (or the
/// evaluator for a value).
pub fn branch_cases(library: Library) -> Vec<String> {
    let mut cases = Vec::new();
    for (i, (label, program, wrt, sizes)) in BRANCHES.iter().enumerate() {
        let mut analysis = analyzed(label, program);
        let (function, expected_at): (PythonFunction, Expected) = if wrt.is_empty() {
            let value = analysis.simplified(None).unwrap();
            let function = analysis.python_function(value, "d", library);
            (
                function,
                Box::new(move |a: &mut Analysis, env: &eval::Env| eval::evaluate(a.graph(), value, env).unwrap()),
            )
        } else {
            let derivative = analysis.derivative(None, wrt).unwrap();
            let function = analysis.python_function(derivative.result, "d", library);
            let expected = move |a: &mut Analysis, env: &eval::Env| {
                check::finite_difference(a.graph(), derivative.of, derivative.wrt, env, false).unwrap()
            };
            (function, Box::new(expected))
        };
        let function = written_for(library, function);
        let comparisons = function.source.lines().filter(|l| l.starts_with("    if ") && l.contains(" <= ")).count();
        assert_eq!(comparisons, 1, "{label}: one size comparison\n{}", function.source);
        for (k, sizes) in sizes.iter().enumerate() {
            let env = sized_env(&analysis, sizes, 1000 + 10 * i as u64 + k as u64);
            let expected = expected_at(&mut analysis, &env);
            let graph = analysis.graph();
            cases.push(case_json(&format!("{label} at sizes {sizes:?}"), graph, &function, "d", &env, &expected));
            for taken in [true, false] {
                let mut form = function.clone();
                form.source = forced(&function.source, taken);
                let name = format!("{label} at sizes {sizes:?}, first form {taken}");
                cases.push(case_json(&name, graph, &form, "d", &env, &expected));
            }
        }
    }
    cases
}
