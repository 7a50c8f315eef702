//! Property tests over random well-shaped expressions (every operator and
//! function, depth 5): the text round trip, value preservation by the
//! simplifier (against a direct evaluation of the parse tree, which no
//! simplification touches), derivatives against finite differences, and
//! `verify` on matcalc's own answers and corrupted ones.

mod common;

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use matcalc::ast::Statement;
use matcalc::check::{self, Rng, Sampling};
use matcalc::eval::{self, Env, Matrix};
use matcalc::{analyze, DerivativeKind, ErrorKind, Format};
use proptest::prelude::*;
use std::collections::HashMap;

use common::generate::{generate, HEADER};

// ---------------------------------------------------------------------------
// A direct evaluator of the parse tree (no simplification involved)
// ---------------------------------------------------------------------------

fn finite(m: &Matrix) -> bool {
    m.data.iter().all(|x| x.is_finite() && x.abs() < 1e8)
}

/// The program's value: parse tree evaluation vs the simplified graph.
fn check_value(source: &str, seed: u64) -> Result<(), TestCaseError> {
    let mut analysis = analyze(source).map_err(|e| TestCaseError::fail(e.render(source)))?;
    let value = analysis.simplified(None).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let program = matcalc::syntax::parse_program(source).unwrap();
    let Some(Statement::Expr(expr)) = program.statements.last() else { unreachable!() };
    let graph = analysis.graph();
    let mut rng = Rng::new(seed);
    let env = check::random_env(graph, &mut rng, Sampling::Mixed);
    let n = env.size(graph.symbol(graph.find_symbol("x").unwrap()).shape.rows);
    let values: HashMap<String, Matrix> =
        env.values.iter().map(|(sid, m)| (graph.symbol(*sid).name.clone(), m.clone())).collect();
    if let Ok(all) = eval::evaluate_all(graph, value, &env) {
        if all.values().any(|m| m.max_abs() > 1e4) {
            // Rounding in huge intermediates (exp of exp) is not a simplifier bug.
            return Ok(());
        }
    }
    let direct = checks::eval_ast(expr, &values, n);
    let simplified = eval::evaluate(graph, value, &env).ok();
    if let (Some(direct), Some(simplified)) = (direct, simplified) {
        if finite(&direct) && finite(&simplified) {
            let error = check::relative_error_above(&simplified, &direct, 1e-10 * direct.max_abs().max(1.0));
            prop_assert!(
                error < 1e-8,
                "{source}\nsimplified: {}\nerror {error:.2e}",
                analysis.print(value, Format::Text)
            );
        }
    }
    Ok(())
}

/// Printing the simplified value and parsing it back gives the same node.
fn check_round_trip(source: &str) -> Result<(), TestCaseError> {
    let mut analysis = analyze(source).map_err(|e| TestCaseError::fail(e.render(source)))?;
    let value = analysis.simplified(None).unwrap();
    let text = analysis.print_width(value, Format::Text, 1000);
    let reparsed =
        analysis.lower_claim(&text).map_err(|e| TestCaseError::fail(format!("{source}\n{}", e.render(&text))))?;
    prop_assert_eq!(reparsed, value, "{}\nprinted: {}", source, text);
    let again = analysis.print_width(reparsed, Format::Text, 1000);
    prop_assert_eq!(again, text);
    Ok(())
}

/// Gradients (scalar values) and Jacobians (vector and matrix values)
/// against finite differences.
fn check_derivative(source: &str, wrt: &str, seed: u64) -> Result<(), TestCaseError> {
    let mut analysis = analyze(source).map_err(|e| TestCaseError::fail(e.render(source)))?;
    let derivative = match analysis.derivative(None, wrt) {
        Ok(d) => d,
        Err(e) if e.kind == ErrorKind::Differentiation => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(format!("{source}: {e}"))),
    };
    for width in [1000, 40] {
        checks::reads_back(&mut analysis, derivative.result, width, seed)
            .map_err(|e| TestCaseError::fail(format!("{source}\nd/d{wrt}: {e}")))?;
    }
    let jacobian = derivative.kind == DerivativeKind::Jacobian;
    // Skip points where intermediate values are huge: there the numeric
    // evaluation itself (determinants, inverses) is ill-conditioned.
    let mut rng = Rng::new(seed);
    let env = check::random_env(analysis.graph(), &mut rng, Sampling::Mixed);
    if let Ok(values) = eval::evaluate_all(analysis.graph(), derivative.of, &env) {
        if values.values().any(|m| m.max_abs() > 1e4) {
            return Ok(());
        }
    }
    let Ok(comparison) = check::compare_with_finite_differences(
        analysis.graph(),
        derivative.of,
        derivative.wrt,
        derivative.result,
        jacobian,
        1,
        seed,
    ) else {
        return Ok(());
    };
    if let Some((_, numeric)) = &comparison.worst {
        if !finite(numeric) {
            return Ok(());
        }
    }
    prop_assert!(
        comparison.relative_error < 1e-5,
        "{source}\nd/d{wrt} = {}\nrelative error {:.2e}",
        analysis.print(derivative.result, Format::Text),
        comparison.relative_error
    );
    Ok(())
}

/// A row-vector sum sharing a right factor (`y^T A^-T - softmax(x)^T A^-T`)
/// was left unfactored while its printed transpose, read back, factored
/// (`(A^-1 (y - softmax(x)) + …)^T`): two terms for one printed text. Found
/// by `text_round_trip`.
#[test]
fn a_row_sum_sharing_a_right_factor_reads_back_as_itself() {
    let source = format!(
        "{HEADER}((softmax((cos((swish((sqrt(1 + (A x) .^ 2)))))))) ((((((inv(A)) (softmax(x))) - \
         (((softmax(y)) + (inv(A) y))))) - (diag((diag((inv(A) (A x))))))))^T)"
    );
    check_round_trip(&source).unwrap();
    check_round_trip(&format!("{HEADER}x^T A + y^T A + x^T B")).unwrap();
}

proptest! {
    #![proptest_config(common::repeatable(1000))]

    #[test]
    fn text_round_trip(seed in any::<u64>(), kind in prop::sample::select(vec!['s', 'v', 'm'])) {
        check_round_trip(&generate(seed, kind, false))?;
    }

    #[test]
    fn simplify_preserves_value(seed in any::<u64>(), kind in prop::sample::select(vec!['s', 'v', 'm'])) {
        check_value(&generate(seed, kind, false), seed)?;
    }

    #[test]
    fn gradients_match_finite_differences(seed in any::<u64>(), wrt in prop::sample::select(vec!["x", "A", "k", "R"])) {
        check_derivative(&generate(seed, 's', false), wrt, seed)?;
    }

    #[test]
    fn jacobians_match_finite_differences(seed in any::<u64>(), wrt in prop::sample::select(vec!["x", "y"])) {
        check_derivative(&generate(seed, 'v', false), wrt, seed)?;
    }

    /// Jacobians in Kronecker form, ∂vec(F)/∂vec(X)ᵀ, of random
    /// matrix- and vector-valued expressions with respect to matrices,
    /// vectors and scalars, against finite differences in vec order.
    #[test]
    fn matrix_jacobians_match_finite_differences(
        seed in any::<u64>(),
        kind in prop::sample::select(vec!['m', 'v']),
        wrt in prop::sample::select(vec!["A", "R", "x", "k"]),
    ) {
        check_derivative(&generate(seed, kind, false), wrt, seed)?;
    }

    #[test]
    fn polynomial_gradients_match(seed in any::<u64>(), wrt in prop::sample::select(vec!["x", "A", "k"])) {
        check_derivative(&generate(seed, 's', true), wrt, seed)?;
    }
}

proptest! {
    #![proptest_config(common::repeatable(300))]

    /// Hessians with respect to matrices (and vectors, scalars),
    /// ∂²f/∂vec(X)∂vec(X)ᵀ, as the Jacobian of `grad(f, X)`, against finite
    /// differences of the gradient.
    #[test]
    fn hessians_match_finite_differences(seed in any::<u64>(), wrt in prop::sample::select(vec!["A", "R", "x", "k"])) {
        let program = generate(seed, 's', false);
        let body = &program[HEADER.len()..];
        check_derivative(&format!("{HEADER}grad({body}, {wrt})"), wrt, seed)?;
    }

    /// `verify` accepts matcalc's own printed gradient or Jacobian and never
    /// calls it correct scaled by 1.01, negated, with a term dropped or
    /// transposed (see `checks::verify_own_answer`).
    #[test]
    fn verify_accepts_own_answers_and_rejects_corruptions(
        seed in any::<u64>(),
        kind in prop::sample::select(vec!['s', 'v']),
        wrt in prop::sample::select(vec!["x", "y", "A", "R", "u", "k", "c"]),
    ) {
        let mut counts = checks::VerifyCounts::default();
        checks::verify_own_answer(&generate(seed, kind, false), wrt, seed, &mut counts).map_err(TestCaseError::fail)?;
    }
}

/// A random vector expression over the functions added by issue 15 (erf,
/// gelu, log_softmax, max, min, mean, array powers), of depth `depth`; a
/// generator of its own, so the other properties' programs do not change.
fn added_vector(rng: &mut Rng, depth: usize) -> String {
    const LEAVES: [&str; 6] = ["x", "y", "A x", "A^T y", "k x", "x - y"];
    if depth == 0 {
        return LEAVES[rng.range(0, LEAVES.len() - 1)].to_string();
    }
    let inner = |rng: &mut Rng| {
        let below = rng.range(0, depth - 1);
        added_vector(rng, below)
    };
    match rng.range(0, 7) {
        0 => format!("erf({})", inner(rng)),
        1 => format!("gelu({})", inner(rng)),
        2 => format!("log_softmax({})", inner(rng)),
        3 => format!("max({}, {})", inner(rng), inner(rng)),
        4 => format!("min({}, mean({}))", inner(rng), inner(rng)),
        5 => format!("exp(({}) / 4) .^ ({})", inner(rng), inner(rng)),
        6 => format!("(1 + k^2) .^ tanh({})", inner(rng)),
        _ => format!("({}) .* erf({})", inner(rng), inner(rng)),
    }
}

/// A program whose value is a scalar (`'s'`) or a vector of
/// [`added_vector`]'s expressions.
fn added_program(seed: u64, kind: char) -> String {
    let mut rng = Rng::new(seed);
    let e = added_vector(&mut rng, 3);
    let body = match (kind, rng.range(0, 3)) {
        ('v', _) => e,
        (_, 0) => format!("sum({e})"),
        (_, 1) => format!("y^T ({e})"),
        (_, 2) => format!("mean(({e}) .* ({e}))"),
        _ => format!("norm2({e})"),
    };
    format!("A: matrix(n, n); x, y: vector(n); k: scalar; {body}")
}

proptest! {
    #![proptest_config(common::repeatable(300))]

    /// The printed value reads back as the same value. Not always as the
    /// same node: a sum beside a function of a part of it
    /// (`y^T (x - y - logsumexp(x - y))`, the form of `y^T log_softmax(x - y)`)
    /// prints the part bracketed, `((x - y) - logsumexp(x - y))^T y`, and that
    /// grouping reads back with the sum's signs flipped.
    #[test]
    fn added_functions_read_back(seed in any::<u64>(), kind in prop::sample::select(vec!['s', 'v'])) {
        let source = added_program(seed, kind);
        let mut analysis = analyze(&source).map_err(|e| TestCaseError::fail(e.render(&source)))?;
        let value = analysis.simplified(None).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for width in [1000, 40] {
            checks::reads_back(&mut analysis, value, width, seed).map_err(|e| TestCaseError::fail(format!("{source}\n{e}")))?;
        }
    }

    #[test]
    fn added_functions_gradients_match_finite_differences(
        seed in any::<u64>(),
        wrt in prop::sample::select(vec!["x", "y", "A", "k"]),
    ) {
        check_derivative(&added_program(seed, 's'), wrt, seed)?;
    }

    #[test]
    fn added_functions_jacobians_match_finite_differences(seed in any::<u64>(), wrt in prop::sample::select(vec!["x", "k"])) {
        check_derivative(&added_program(seed, 'v'), wrt, seed)?;
    }
}

/// Hessians: the Jacobian of the gradient, against finite differences of
/// the gradient.
#[test]
fn hessians_match_finite_differences_of_the_gradient() {
    let mut checked = 0;
    for seed in 0..300u64 {
        let source = generate(seed, 's', false);
        let body = &source[HEADER.len()..];
        let program = format!("{HEADER}hessian({body}, x)");
        let mut analysis = match analyze(&program) {
            Ok(a) => a,
            Err(e) if e.kind == ErrorKind::Differentiation => continue,
            Err(e) => panic!("{}", e.render(&program)),
        };
        let Ok(hessian) = analysis.simplified(None) else { continue };
        let mut gradient_analysis = analyze(&source).unwrap();
        let gradient = gradient_analysis.derivative(None, "x").unwrap();
        let graph = gradient_analysis.graph();
        let mut rng = Rng::new(seed);
        let env = check::random_env(graph, &mut rng, Sampling::Mixed);
        if check::near_kink(graph, gradient.of, &env, 1e-2) {
            continue;
        }
        let Ok(numeric) = check::finite_difference(graph, gradient.result, gradient.wrt, &env, true) else { continue };
        let mut env_h = Env { dims: env.dims.clone(), ..Env::default() };
        for (sid, symbol) in analysis.graph().symbols() {
            if let Some(other) = graph.find_symbol(&symbol.name) {
                if let Some(v) = env.values.get(&other) {
                    env_h.values.insert(sid, v.clone());
                }
            }
        }
        let Ok(symbolic) = eval::evaluate(analysis.graph(), hessian, &env_h) else { continue };
        if !finite(&numeric) || !finite(&symbolic) {
            continue;
        }
        let error = check::relative_error_above(&symbolic, &numeric, 1e-8);
        assert!(error < 1e-5, "{program}\nH = {}\nerror {error:.2e}", analysis.print(hessian, Format::Text));
        checked += 1;
    }
    assert!(checked > 200, "only {checked} Hessians checked");
}

// ---------------------------------------------------------------------------
// Exact checks with rationals on polynomial expressions
// ---------------------------------------------------------------------------

mod exact {
    use matcalc::coeff::Coeff;
    use matcalc::ir::{ExprId, Func, Graph, Node, Role, SymbolId};
    use num_bigint::BigInt;
    use num_traits::{One, Zero};
    use std::collections::HashMap;

    /// A dense matrix of exact rationals.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Exact {
        pub rows: usize,
        pub cols: usize,
        pub data: Vec<Coeff>,
    }

    impl Exact {
        pub fn filled(rows: usize, cols: usize, v: Coeff) -> Exact {
            Exact { rows, cols, data: vec![v; rows * cols] }
        }
        fn scalar(v: Coeff) -> Exact {
            Exact::filled(1, 1, v)
        }
        fn is_scalar(&self) -> bool {
            self.rows == 1 && self.cols == 1
        }
        fn zip(&self, o: &Exact, f: impl Fn(&Coeff, &Coeff) -> Coeff) -> Exact {
            if self.is_scalar() && !o.is_scalar() {
                return Exact {
                    rows: o.rows,
                    cols: o.cols,
                    data: o.data.iter().map(|y| f(&self.data[0], y)).collect(),
                };
            }
            if o.is_scalar() {
                return Exact {
                    rows: self.rows,
                    cols: self.cols,
                    data: self.data.iter().map(|x| f(x, &o.data[0])).collect(),
                };
            }
            Exact {
                rows: self.rows,
                cols: self.cols,
                data: self.data.iter().zip(&o.data).map(|(x, y)| f(x, y)).collect(),
            }
        }
        fn matmul(&self, o: &Exact) -> Exact {
            if self.is_scalar() || o.is_scalar() {
                return self.zip(o, |x, y| x * y);
            }
            let mut out = Exact::filled(self.rows, o.cols, Coeff::zero());
            for i in 0..self.rows {
                for k in 0..self.cols {
                    for j in 0..o.cols {
                        out.data[i * o.cols + j] += &self.data[i * self.cols + k] * &o.data[k * o.cols + j];
                    }
                }
            }
            out
        }
        fn transpose(&self) -> Exact {
            let mut t = Exact::filled(self.cols, self.rows, Coeff::zero());
            for i in 0..self.rows {
                for j in 0..self.cols {
                    t.data[j * self.rows + i] = self.data[i * self.cols + j].clone();
                }
            }
            t
        }
    }

    /// Exact value of `id`, or `None` outside the polynomial fragment.
    pub fn evaluate(
        g: &Graph,
        id: ExprId,
        values: &HashMap<SymbolId, Exact>,
        sizes: &dyn Fn(matcalc::shape::Dim) -> usize,
    ) -> Option<Exact> {
        let mut memo: HashMap<ExprId, Exact> = HashMap::new();
        for n in g.reachable(id) {
            let get = |x: &ExprId| memo.get(x).cloned();
            let s = g.shape(n);
            let (r, c) = (sizes(s.rows), sizes(s.cols));
            let v = match g.node(n) {
                Node::Const(k) => Exact::scalar(k.clone()),
                Node::Var(sym) => match g.symbol(*sym).role {
                    Role::Definition(v) => get(&v)?,
                    _ => values.get(sym)?.clone(),
                },
                Node::Identity(_) => {
                    let mut m = Exact::filled(r, r, Coeff::zero());
                    for i in 0..r {
                        m.data[i * r + i] = Coeff::one();
                    }
                    m
                }
                Node::Ones(_) => Exact::filled(r, c, Coeff::one()),
                Node::Zero(_) => Exact::filled(r, c, Coeff::zero()),
                Node::Add(ts) => {
                    let mut acc = Exact::filled(r, c, Coeff::zero());
                    for t in ts.iter() {
                        acc = acc.zip(&get(t)?, |x, y| x + y);
                    }
                    acc
                }
                Node::Scale(k, a) => get(a)?.zip(&Exact::scalar(k.clone()), |x, y| x * y),
                Node::Mul(fs) => {
                    let (scalars, chain): (Vec<&ExprId>, Vec<&ExprId>) =
                        fs.iter().partition(|f| g.shape(**f).is_scalar());
                    let mut acc: Option<Exact> = None;
                    for f in chain {
                        acc = Some(match acc {
                            None => get(f)?,
                            Some(m) => m.matmul(&get(f)?),
                        });
                    }
                    let mut out = acc.unwrap_or(Exact::scalar(Coeff::one()));
                    for s in scalars {
                        out = out.zip(&get(s)?, |x, y| x * y);
                    }
                    out
                }
                Node::Hadamard(fs) => {
                    let mut acc = get(&fs[0])?;
                    for f in &fs[1..] {
                        acc = acc.zip(&get(f)?, |x, y| x * y);
                    }
                    acc
                }
                Node::Pow(b, e) => {
                    let k = matcalc::coeff::to_i64(g.as_const(*e)?)?;
                    if !(0..=16).contains(&k) {
                        return None;
                    }
                    let base = get(b)?;
                    Exact {
                        rows: base.rows,
                        cols: base.cols,
                        data: base.data.iter().map(|x| num_traits::pow(x.clone(), k as usize)).collect(),
                    }
                }
                Node::Transpose(a) => get(a)?.transpose(),
                Node::Apply(f, a) => {
                    let a = get(a)?;
                    match f {
                        Func::Trace => Exact::scalar((0..a.rows).map(|i| a.data[i * a.cols + i].clone()).sum()),
                        Func::Sum => Exact::scalar(a.data.iter().cloned().sum()),
                        Func::Norm2 => Exact::scalar(a.data.iter().map(|x| x * x).sum()),
                        Func::DiagMat => {
                            let mut m = Exact::filled(a.rows, a.rows, Coeff::zero());
                            for i in 0..a.rows {
                                m.data[i * a.rows + i] = a.data[i].clone();
                            }
                            m
                        }
                        Func::DiagVec => Exact {
                            rows: a.rows,
                            cols: 1,
                            data: (0..a.rows).map(|i| a.data[i * a.cols + i].clone()).collect(),
                        },
                        _ => return None,
                    }
                }
                _ => return None,
            };
            memo.insert(n, v);
        }
        memo.remove(&id)
    }

    /// Polynomial degree of `id` in the variable node `target` (None if not polynomial).
    pub fn degree(g: &Graph, id: ExprId, target: ExprId) -> Option<u32> {
        let mut memo: HashMap<ExprId, u32> = HashMap::new();
        for n in g.reachable(id) {
            let get = |x: &ExprId| memo.get(x).copied();
            let d = if n == target {
                1
            } else {
                match g.node(n) {
                    Node::Var(s) => match g.symbol(*s).role {
                        Role::Definition(v) => get(&v)?,
                        _ => 0,
                    },
                    Node::Add(ts) => ts.iter().map(&get).collect::<Option<Vec<_>>>()?.into_iter().max().unwrap_or(0),
                    Node::Mul(fs) | Node::Hadamard(fs) => fs.iter().map(&get).sum::<Option<u32>>()?,
                    Node::Scale(_, a) | Node::Transpose(a) => get(a)?,
                    Node::Pow(b, e) => get(b)? * matcalc::coeff::to_i64(g.as_const(*e)?)?.max(0) as u32,
                    Node::Apply(Func::Norm2, a) => 2 * get(a)?,
                    Node::Apply(_, a) => get(a)?,
                    _ => 0,
                }
            };
            memo.insert(n, d);
        }
        memo.get(&id).copied()
    }

    /// f'(0) from the exact values f(0), f(1), …, f(d) of a polynomial of degree ≤ d.
    pub fn derivative_at_zero(values: &[Coeff]) -> Coeff {
        let points: Vec<Coeff> = (0..values.len()).map(|t| Coeff::from_integer(BigInt::from(t))).collect();
        let mut total = Coeff::zero();
        for (j, fj) in values.iter().enumerate() {
            // L_j'(0) = Σ_{m≠j} 1/(t_j − t_m) Π_{k≠j,m} (0 − t_k)/(t_j − t_k)
            let mut dl = Coeff::zero();
            for m in 0..points.len() {
                if m == j {
                    continue;
                }
                let mut term = (&points[j] - &points[m]).recip();
                for k in 0..points.len() {
                    if k != j && k != m {
                        term *= -&points[k] / (&points[j] - &points[k]);
                    }
                }
                dl += term;
            }
            total += fj * dl;
        }
        total
    }
}

/// The directional derivative of a random polynomial expression, computed
/// exactly (rationals) from its values along a line, equals ⟨gradient, E⟩
/// evaluated exactly.
fn check_exact(source: &str, wrt: &str, seed: u64) -> Result<bool, TestCaseError> {
    use matcalc::coeff::Coeff;
    use num_bigint::BigInt;
    let mut analysis = analyze(source).map_err(|e| TestCaseError::fail(e.render(source)))?;
    let derivative = analysis.derivative(None, wrt).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let graph = analysis.graph();
    let target = graph.find_symbol(wrt).unwrap();
    let target_node = (0..graph.len())
        .map(|i| matcalc::ExprId(i as u32))
        .find(|id| matches!(graph.node(*id), matcalc::ir::Node::Var(s) if *s == target));
    let Some(target_node) = target_node else { return Ok(false) };
    let Some(d) = exact::degree(graph, derivative.of, target_node) else { return Ok(false) };
    if d > 24 {
        return Ok(false);
    }
    let mut rng = Rng::new(seed);
    let dims: Vec<usize> = (0..graph.dim_names().len()).map(|_| rng.range(2, 3)).collect();
    let sizes = |dim: matcalc::shape::Dim| dim.size(|id| dims[id.0 as usize] as u64).unwrap_or(0) as usize;
    let int = |rng: &mut Rng, lo: i64, hi: i64| {
        Coeff::from_integer(BigInt::from(lo + rng.range(0, (hi - lo) as usize) as i64))
    };
    let mut values = HashMap::new();
    for (sid, symbol) in graph.symbols() {
        if matches!(symbol.role, matcalc::ir::Role::Input { .. }) {
            let (r, c) = (sizes(symbol.shape.rows), sizes(symbol.shape.cols));
            let data = (0..r * c).map(|_| int(&mut rng, -3, 3)).collect();
            values.insert(sid, exact::Exact { rows: r, cols: c, data });
        }
    }
    let base = values[&target].clone();
    let direction: Vec<Coeff> = (0..base.data.len()).map(|_| int(&mut rng, -2, 2)).collect();
    let mut along = Vec::new();
    for t in 0..=d as i64 {
        let mut point = values.clone();
        let moved =
            base.data.iter().zip(&direction).map(|(x, e)| x + e * Coeff::from_integer(BigInt::from(t))).collect();
        point.insert(target, exact::Exact { rows: base.rows, cols: base.cols, data: moved });
        let Some(v) = exact::evaluate(graph, derivative.of, &point, &sizes) else { return Ok(false) };
        along.push(v.data[0].clone());
    }
    let numeric = exact::derivative_at_zero(&along);
    let Some(gradient) = exact::evaluate(graph, derivative.result, &values, &sizes) else {
        return Err(TestCaseError::fail(format!("{source}: gradient leaves the polynomial fragment")));
    };
    let symbolic: Coeff = gradient.data.iter().zip(&direction).map(|(g, e)| g * e).sum();
    prop_assert_eq!(symbolic, numeric, "{}\nd/d{} = {}", source, wrt, analysis.print(derivative.result, Format::Text));
    Ok(true)
}

proptest! {
    #![proptest_config(common::repeatable(1000))]

    #[test]
    fn polynomial_gradients_are_exact(seed in any::<u64>(), wrt in prop::sample::select(vec!["x", "A", "k", "y"])) {
        check_exact(&generate(seed, 's', true), wrt, seed)?;
    }
}

/// Most polynomial cases really are compared exactly (not skipped).
#[test]
fn exact_checks_are_not_vacuous() {
    let compared = (0..200u64)
        .filter(|seed| {
            check_exact(&generate(*seed, 's', true), ["x", "A", "k"][*seed as usize % 3], *seed)
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .count();
    assert!(compared >= 150, "only {compared} of 200 exact checks ran");
}

/// Every Jacobian of a random matrix- or vector-valued expression with
/// respect to a matrix, a vector or a scalar is formed (none refused).
#[test]
fn matrix_jacobians_are_formed() {
    let mut refused = Vec::new();
    for seed in 0..200u64 {
        for kind in ['m', 'v'] {
            for wrt in ["A", "R", "x", "k"] {
                let source = generate(seed, kind, false);
                let mut analysis = analyze(&source).unwrap_or_else(|e| panic!("{}", e.render(&source)));
                if let Err(e) = analysis.derivative(None, wrt) {
                    refused.push(format!("d/d{wrt} {source}: {e}"));
                }
            }
        }
    }
    assert!(
        refused.is_empty(),
        "{} of 1600 refused, the first:\n{}",
        refused.len(),
        refused.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Every Hessian of a random scalar with respect to a matrix, a vector or
/// a scalar (the Jacobian of its gradient) is formed.
#[test]
fn hessians_are_formed() {
    let mut refused = Vec::new();
    for seed in 0..200u64 {
        for wrt in ["A", "R", "x", "k"] {
            let program = generate(seed, 's', false);
            let source = format!("{HEADER}grad({}, {wrt})", &program[HEADER.len()..]);
            let mut analysis = analyze(&source).unwrap_or_else(|e| panic!("{}", e.render(&source)));
            if let Err(e) = analysis.derivative(None, wrt) {
                refused.push(format!("d/d{wrt} {source}: {e}"));
            }
        }
    }
    assert!(
        refused.is_empty(),
        "{} of 800 refused, the first:\n{}",
        refused.len(),
        refused.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}

// ---------------------------------------------------------------------------
// With respect to a symmetric matrix of named size
// ---------------------------------------------------------------------------

/// `source` with `A` declared `symmetric(n)`: its Jacobians are with
/// respect to vech(A), its Hessians with respect to vech(A) both ways.
fn with_symmetric_a(source: &str) -> String {
    let rest = source.strip_prefix("A, B: matrix(n, n); ").expect("the header declares A and B first");
    format!("A: symmetric(n); B: matrix(n, n); {rest}")
}

/// The Hessian of a scalar with respect to the symmetric `A`,
/// ∂²f/∂vech(A)∂vech(A)ᵀ, against D(n)ᵀ times the finite differences of the
/// gradient along vech(A) (an off-diagonal coordinate moves an entry and its
/// mirror): square, n(n+1)/2 each way, symmetric, and read back; `false`
/// where the point was skipped.
fn check_symmetric_hessian(source: &str, seed: u64) -> Result<bool, TestCaseError> {
    let (header, body) = source.split_at(source.find("k, c: scalar; ").expect("the header") + "k, c: scalar; ".len());
    let program = format!("{header}hessian({body}, A)");
    let mut analysis = match analyze(&program) {
        Ok(a) => a,
        Err(e) if e.kind == ErrorKind::Differentiation => return Ok(false),
        Err(e) => return Err(TestCaseError::fail(e.render(&program))),
    };
    let hessian = analysis.simplified(None).map_err(|e| TestCaseError::fail(format!("{program}: {e}")))?;
    checks::reads_back(&mut analysis, hessian, 1000, seed)
        .map_err(|e| TestCaseError::fail(format!("{program}: {e}")))?;
    let mut gradient_analysis = analyze(source).map_err(|e| TestCaseError::fail(e.render(source)))?;
    let gradient =
        gradient_analysis.derivative(None, "A").map_err(|e| TestCaseError::fail(format!("{source}: {e}")))?;
    let graph = gradient_analysis.graph();
    let mut rng = Rng::new(seed);
    let env = check::random_env(graph, &mut rng, Sampling::Mixed);
    if check::near_kink(graph, gradient.of, &env, 1e-2)
        || check::near_singular(graph, gradient.of, &env, check::SINGULAR_RATIO)
    {
        return Ok(false);
    }
    match eval::evaluate_all(graph, gradient.of, &env) {
        Ok(values) if values.values().all(|m| m.max_abs() <= 1e4) => {}
        _ => return Ok(false),
    }
    // Unsettled estimates of the gradient's change tell nothing (`check` skips them too).
    let Ok((jacobian, true)) = check::finite_difference_settling(graph, gradient.result, gradient.wrt, &env, true)
    else {
        return Ok(false);
    };
    let n = env.values[&gradient.wrt].rows;
    let pairs: Vec<(usize, usize)> = (0..n).flat_map(|j| (j..n).map(move |i| (i, j))).collect();
    let t = pairs.len();
    // D(n)ᵀ vec(M) = vech(M + Mᵀ − I ⊙ M), column by column.
    let mut numeric = Matrix::filled(t, t, 0.0);
    for (row, &(i, j)) in pairs.iter().enumerate() {
        for col in 0..t {
            let entry = |i: usize, j: usize| jacobian.data[(j * n + i) * t + col];
            numeric.data[row * t + col] = if i == j { entry(i, i) } else { entry(i, j) + entry(j, i) };
        }
    }
    let mut env_h = Env { dims: env.dims.clone(), ..Env::default() };
    for (sid, symbol) in analysis.graph().symbols() {
        if let Some(other) = graph.find_symbol(&symbol.name) {
            if let Some(v) = env.values.get(&other) {
                env_h.values.insert(sid, v.clone());
            }
        }
    }
    let symbolic = eval::evaluate(analysis.graph(), hessian, &env_h)
        .map_err(|e| TestCaseError::fail(format!("{program}: {e}")))?;
    if !finite(&numeric) || !finite(&symbolic) {
        return Ok(false);
    }
    let text = analysis.print(hessian, Format::Text);
    prop_assert_eq!((symbolic.rows, symbolic.cols), (t, t), "{}\nH = {}", program, text);
    let error = check::relative_error_above(&symbolic, &numeric, 1e-8);
    prop_assert!(error < 1e-5, "{}\nH = {}\nrelative error {:.2e}", program, text, error);
    let asymmetry = check::relative_error_above(&symbolic, &symbolic.transpose(), 1e-8);
    prop_assert!(asymmetry < 1e-9, "{}\nH = {} is not symmetric", program, text);
    Ok(true)
}

proptest! {
    #![proptest_config(common::repeatable(300))]

    /// Jacobians of random matrix-, vector- and scalar-valued expressions
    /// with respect to a symmetric A of named size, ∂vec(F)/∂vech(A)ᵀ
    /// (gradients: the symmetric gradient), against finite differences
    /// along vech(A).
    #[test]
    fn symmetric_jacobians_match_finite_differences(seed in any::<u64>(), kind in prop::sample::select(vec!['m', 'v', 's'])) {
        check_derivative(&with_symmetric_a(&generate(seed, kind, false)), "A", seed)?;
    }

    /// Hessians of random scalars with respect to a symmetric A of named
    /// size, ∂²f/∂vech(A)∂vech(A)ᵀ (see `check_symmetric_hessian`).
    #[test]
    fn symmetric_hessians_match_finite_differences(seed in any::<u64>()) {
        check_symmetric_hessian(&with_symmetric_a(&generate(seed, 's', false)), seed)?;
    }
}

/// Most random Hessians with respect to a symmetric matrix are compared,
/// not skipped.
#[test]
fn symmetric_hessian_checks_are_not_vacuous() {
    let compared = (0..100u64)
        .filter(|&seed| check_symmetric_hessian(&with_symmetric_a(&generate(seed, 's', false)), seed).unwrap())
        .count();
    assert!(compared >= 80, "only {compared} of 100 compared");
}

/// Every Jacobian and Hessian of a random expression with respect to a
/// symmetric matrix of named size is formed (none refused).
#[test]
fn symmetric_jacobians_and_hessians_are_formed() {
    let mut refused = Vec::new();
    for seed in 0..200u64 {
        for kind in ['m', 'v', 's'] {
            let source = with_symmetric_a(&generate(seed, kind, false));
            let mut analysis = analyze(&source).unwrap_or_else(|e| panic!("{}", e.render(&source)));
            if let Err(e) = analysis.derivative(None, "A") {
                refused.push(format!("d/dA {source}: {e}"));
            }
        }
        let source = with_symmetric_a(&generate(seed, 's', false));
        let (header, body) = source.split_at(source.find("k, c: scalar; ").unwrap() + "k, c: scalar; ".len());
        let program = format!("{header}hessian({body}, A)");
        if let Err(e) = analyze(&program).and_then(|mut a| a.simplified(None)) {
            refused.push(format!("{program}: {e}"));
        }
    }
    assert!(
        refused.is_empty(),
        "{} of 800 refused, the first:\n{}",
        refused.len(),
        refused.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}
