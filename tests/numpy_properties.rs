//! Property test of the NumPy printer: random programs whose variables,
//! definitions, opaque function and dimensions are named from a pool of
//! colliding names (`t1`, `n`, `alpha`/`α`, `lambda`/`lambda_`, `in`, `def`,
//! `np`, `dL_dz`, `_sigmoid`, …), printed by `simplify` and `diff` as NumPy
//! and executed (one Python process for the whole batch), against matcalc's
//! evaluator of the same results. Needs `python3` with numpy (see
//! `tests/numpy_output.rs`).

mod common;

#[path = "../fuzz/src/names.rs"]
mod names;

use common::numpy::{evaluated_case, numpy_available, numpy_matches, run_cases};
use matcalc::check::{self, Rng, Sampling};
use matcalc::print::python_names::spelling;
use matcalc::{analyze, ErrorKind};

/// Programs in the batch.
const PROGRAMS: u64 = 400;

/// Random expressions over `A, B: matrix(n, n); R: matrix(m, n); x, y:
/// vector(n); u: vector(m); k, c: scalar; f: function`, the definitions `q`
/// (a scalar) and `z` (a vector), a vector `g` named like `f`'s upstream
/// gradient, and a size `p` no variable carries.
struct Generator {
    rng: Rng,
    /// Whether the definitions `q` and `z` exist yet.
    defined: bool,
}

impl Generator {
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.rng.range(0, options.len() - 1)]
    }

    fn choice(&mut self, n: usize) -> usize {
        self.rng.range(0, n - 1)
    }

    fn scalar(&mut self, depth: usize) -> String {
        if depth == 0 {
            let leaves: &[&str] = if self.defined { &["k", "c", "2", "k", "c", "q"] } else { &["k", "c", "2"] };
            return self.pick(leaves).to_string();
        }
        let d = depth - 1;
        match self.choice(18) {
            0 => format!("({} + {})", self.scalar(d), self.scalar(d)),
            1 => format!("({} - {})", self.scalar(d), self.scalar(d)),
            2 => format!("({} * {})", self.scalar(d), self.scalar(d)),
            3 => format!("({}^T {})", self.vector(d), self.vector(d)),
            4 => format!("tr({})", self.matrix(d)),
            5 => format!("sum({})", self.vector(d)),
            6 => format!("norm2({})", self.vector(d)),
            7 => format!("f({})", self.vector(d)),
            8 => format!("(u^T R {})", self.vector(d)),
            9 => format!("logsumexp({})", self.vector(d)),
            10 => format!("{}({})", self.pick(&["sigmoid", "tanh", "softplus", "swish"]), self.scalar(d)),
            11 => format!("({} * sum(ones(p)))", self.scalar(d)),
            12 => format!("({} tr(I(p)))", self.scalar(d)),
            13 => format!("(ones(m)^T u + {})", self.scalar(d)),
            14 => format!("(x^T inv(A) {})", self.vector(d)),
            15 => format!("(g^T {})", self.vector(d)),
            16 => format!("({})^2", self.scalar(d)),
            _ => format!("f({} x)", self.scalar(d)),
        }
    }

    fn vector(&mut self, depth: usize) -> String {
        if depth == 0 {
            let leaves: &[&str] =
                if self.defined { &["x", "y", "z", "(A x)", "g", "x"] } else { &["x", "y", "(A x)", "g"] };
            return self.pick(leaves).to_string();
        }
        let d = depth - 1;
        match self.choice(14) {
            0 => format!("({} + {})", self.vector(d), self.vector(d)),
            1 => format!("({} - {})", self.vector(d), self.vector(d)),
            2 => format!("({} {})", self.matrix(d), self.vector(d)),
            3 => format!("({} * {})", self.scalar(d), self.vector(d)),
            4 => format!("({} .* {})", self.vector(d), self.vector(d)),
            5 => format!("{}({})", self.pick(&["tanh", "sigmoid", "exp", "swish", "softmax"]), self.vector(d)),
            6 => format!("diag({})", self.matrix(d)),
            7 => "(R^T u)".to_string(),
            8 => format!("({} + ones(n))", self.vector(d)),
            9 => format!("({} ones(n))", self.scalar(d)),
            10 => format!("({}^T {})", self.matrix(d), self.vector(d)),
            11 => format!("grad({}, x)", self.scalar(d.min(2))),
            12 => format!("(({}^T {}) {})", self.vector(d), self.vector(d), self.vector(d)),
            _ => format!("(R^T (R {}))", self.vector(d)),
        }
    }

    fn matrix(&mut self, depth: usize) -> String {
        if depth == 0 {
            return self.pick(&["A", "B", "A^T", "I"]).to_string();
        }
        let d = depth - 1;
        match self.choice(10) {
            0 => format!("({} + {})", self.matrix(d), self.matrix(d)),
            1 => format!("({} {})", self.matrix(d), self.matrix(d)),
            2 => format!("({})^T", self.matrix(d)),
            3 => format!("({} * {})", self.scalar(d), self.matrix(d)),
            4 => format!("({} .* {})", self.matrix(d), self.matrix(d)),
            5 => format!("diag({})", self.vector(d)),
            6 => format!("({} {}^T)", self.vector(d), self.vector(d)),
            7 => "(R^T R)".to_string(),
            8 => format!("tanh({})", self.matrix(d)),
            _ => format!("({} + I)", self.matrix(d)),
        }
    }
}

/// The plain names of a generated program, renamed from the pool.
const SYMBOLS: &[&str] = &["A", "B", "R", "x", "y", "u", "k", "c", "f", "q", "z"];
/// Its dimensions, renamed from the pool independently of the symbols.
const DIMENSIONS: &[&str] = &["n", "m", "p"];

/// A random program (kind `s`, `v` or `m`) with pool names; the mapping
/// from plain to pool names.
fn program(seed: u64, kind: char) -> (String, Vec<(&'static str, String)>) {
    let mut g = Generator { rng: Rng::new(seed), defined: false };
    let q = g.scalar(2);
    let z = g.vector(2);
    g.defined = true;
    let body = match kind {
        's' => g.scalar(4),
        'v' => g.vector(4),
        _ => g.matrix(3),
    };
    let plain = format!(
        "A, B: matrix(n, n); R: matrix(m, n); x, y, g: vector(n); u: vector(m); k, c: scalar; f: function\n\
         q = {q}\nz = {z}\n{body}"
    );
    let mut rng = Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    let symbols = names::distinct_names(SYMBOLS.len(), |len| rng.range(0, len - 1));
    let dimensions = names::distinct_names(DIMENSIONS.len(), |len| rng.range(0, len - 1));
    let mut mapping: Vec<(&'static str, String)> = SYMBOLS.iter().copied().zip(symbols).collect();
    mapping.extend(DIMENSIONS.iter().copied().zip(dimensions));
    // `g` is named as the upstream gradient of `f` at `x` would be in Python.
    let name = |plain: &str| mapping.iter().find(|(p, _)| *p == plain).map(|(_, to)| to.clone()).unwrap();
    let mut upstream = format!("d{}_d{}", spelling(&name("f")), spelling(&name("x")));
    if mapping.iter().any(|(p, to)| *to == upstream && !DIMENSIONS.contains(p)) {
        upstream.push_str("_1");
    }
    mapping.push(("g", upstream));
    (names::rename(&plain, &mapping), mapping)
}

#[test]
fn generated_numpy_matches_the_evaluator_whatever_the_names() {
    if !numpy_available("numpy_properties") {
        return;
    }
    let mut cases = Vec::new();
    let mut derivatives = 0;
    for seed in 0..PROGRAMS {
        let kind = ['s', 's', 'v', 'm'][seed as usize % 4];
        let (source, mapping) = program(seed, kind);
        let mut analysis = match analyze(&source) {
            Ok(a) => a,
            Err(e) if matches!(e.kind, ErrorKind::Differentiation | ErrorKind::Value) => continue,
            Err(e) => panic!("{}", e.render(&source)),
        };
        let env = check::random_env(analysis.graph(), &mut Rng::new(seed), Sampling::Mixed);
        let label = format!("seed {seed}: {}", source.replace('\n', "; "));
        let value = analysis.simplified(None).unwrap_or_else(|e| panic!("{}", e.render(&source)));
        cases.extend(evaluated_case(&format!("{label} (value)"), &mut analysis, value, "value", &env));
        if kind == 'm' {
            continue;
        }
        for plain in ["x", "A", "k", "u"] {
            let wrt = &mapping.iter().find(|(p, _)| *p == plain).unwrap().1;
            let Ok(derivative) = analysis.derivative(None, wrt) else { continue };
            let function = format!("grad_{}", matcalc::print::numpy::python_name(wrt));
            if let Some(c) =
                evaluated_case(&format!("{label} (d/d{wrt})"), &mut analysis, derivative.result, &function, &env)
            {
                cases.push(c);
                derivatives += 1;
            }
        }
    }
    // The batch is not vacuous: most programs and derivatives are compared.
    assert!(cases.len() >= 1000 && derivatives >= 700, "{} cases, {derivatives} derivatives", cases.len());
    let failures = run_cases(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every kept structured fuzz case (`tests/fuzz_cases/structured/`), its
/// value and gradients executed as NumPy as the structured target does.
#[test]
fn kept_fuzz_cases_run_as_numpy() {
    if !numpy_available("numpy_properties") {
        return;
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_cases/structured");
    let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    assert!(paths.len() >= 20, "{} cases", paths.len());
    for path in paths {
        let case = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let seed = case.lines().next().and_then(|l| l.strip_prefix("# seed ")).and_then(|s| s.trim().parse().ok());
        if let Err(message) = numpy_matches(&case, seed.unwrap_or(0)) {
            panic!("{}:\n{case}\n{message}", path.display());
        }
    }
}

/// The Jacobians through a matrix that depends on the variable
/// (`tests/common/cases.rs`), printed for NumPy and run against finite
/// differences.
#[test]
fn jacobians_through_matrices_run_in_numpy() {
    run_in_numpy(common::libraries::through_matrices);
}

/// The functions added by issue 15 (`tests/common/cases.rs`: `FUNCTIONS`),
/// printed for NumPy and run against finite differences at points of both
/// signs.
#[test]
fn added_functions_run_in_numpy() {
    run_in_numpy(common::libraries::functions);
}

/// The cases `table` prints for NumPy, run (skipped without numpy).
fn run_in_numpy(table: fn(matcalc::print::numpy::Library) -> Vec<String>) {
    if !numpy_available("numpy_properties") {
        return;
    }
    let failures = run_cases(&table(matcalc::print::numpy::Library::Numpy));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
