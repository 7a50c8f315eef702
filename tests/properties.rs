//! Property tests over random well-shaped expressions (every operator and
//! function, depth 5): the text round trip, value preservation by the
//! simplifier (against a direct evaluation of the parse tree, which no
//! simplification touches), and derivatives against finite differences.

use matcalc::ast::{BinaryOp, Expr, ExprKind, Statement};
use matcalc::check::{self, Rng, Sampling};
use matcalc::eval::{self, Env, Matrix};
use matcalc::ir::Func;
use matcalc::{analyze, DerivativeKind, ErrorKind, Format};
use proptest::prelude::*;
use std::collections::HashMap;

const HEADER: &str = "A, B: matrix(n, n); R: matrix(m, n); x, y: vector(n); u: vector(m); k, c: scalar; ";

/// Random expressions as source text, typed by construction.
struct Generator {
    rng: Rng,
    polynomial: bool,
}

impl Generator {
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.rng.range(0, options.len() - 1)]
    }

    fn choice(&mut self, n: usize) -> usize {
        self.rng.range(0, n - 1)
    }

    fn scalar(&mut self, depth: usize) -> String {
        let inner = self.scalar_inner(depth);
        if depth == 0 {
            inner
        } else {
            format!("({inner})")
        }
    }

    fn scalar_inner(&mut self, depth: usize) -> String {
        if depth == 0 {
            return self.pick(&["k", "c", "2", "(1/2)", "k", "c"]).to_string();
        }
        let d = depth - 1;
        if self.polynomial {
            return match self.choice(9) {
                0 => format!("({} + {})", self.scalar(d), self.scalar(d)),
                1 => format!("({} - {})", self.scalar(d), self.scalar(d)),
                2 => format!("{} * {}", self.scalar(d), self.scalar(d)),
                3 => format!("{}^T {}", self.vector(d), self.vector(d)),
                4 => format!("tr({})", self.matrix(d)),
                5 => format!("sum({})", self.vector(d)),
                6 => format!("norm2({})", self.vector(d)),
                7 => format!("({})^2", self.scalar(d)),
                _ => format!("u^T R {}", self.vector(d)),
            };
        }
        match self.choice(22) {
            0 => format!("({} + {})", self.scalar(d), self.scalar(d)),
            1 => format!("({} - {})", self.scalar(d), self.scalar(d)),
            2 => format!("{} * {}", self.scalar(d), self.scalar(d)),
            3 => format!("{}^T {}", self.vector(d), self.vector(d)),
            4 => format!("tr({})", self.matrix(d)),
            5 => format!("sum({})", self.vector(d)),
            6 => format!("norm2({})", self.vector(d)),
            7 => format!("norm(1 + {} .^ 2)", self.vector(d)),
            8 => format!("logsumexp({})", self.vector(d)),
            9 => {
                let f = self.pick(&["tanh", "sigmoid", "sin", "cos", "arctan", "softplus", "swish"]);
                format!("{f}({})", self.scalar(d))
            }
            10 => format!("log(1 + {} ^ 2)", self.scalar(d)),
            11 => format!("sqrt(2 + {})", self.pick(&["k * k", "norm2(x)", "c ^ 2"])),
            12 => format!("{} / (2 + {} ^ 2)", self.scalar(d), self.scalar(d)),
            13 => "det(A)".to_string(),
            14 => format!("logdet({} {}^T + I)", self.matrix(d), self.matrix(d)),
            15 => format!("u^T R {}", self.vector(d)),
            16 => format!("({})^3", self.scalar(d)),
            17 => format!("exp(tanh({}))", self.scalar(d)),
            18 => format!("{}^T inv(A) {}", self.vector(d), self.vector(d)),
            19 => format!("arcsin(tanh({}) / 2)", self.scalar(d)),
            20 => format!("{}({})", self.pick(&["relu", "abs"]), self.scalar(d)),
            _ => format!("x^T {} y", self.matrix(d)),
        }
    }

    fn vector(&mut self, depth: usize) -> String {
        let inner = self.vector_inner(depth);
        if depth == 0 {
            inner
        } else {
            format!("({inner})")
        }
    }

    fn vector_inner(&mut self, depth: usize) -> String {
        if depth == 0 {
            return self.pick(&["x", "y", "x", "y", "(A x)"]).to_string();
        }
        let d = depth - 1;
        if self.polynomial {
            return match self.choice(7) {
                0 => format!("({} + {})", self.vector(d), self.vector(d)),
                1 => format!("({} - {})", self.vector(d), self.vector(d)),
                2 => format!("{} {}", self.matrix(d), self.vector(d)),
                3 => format!("{} {}", self.scalar(d), self.vector(d)),
                4 => format!("{} .* {}", self.vector(d), self.vector(d)),
                5 => format!("diag({})", self.matrix(d)),
                _ => "R^T u".to_string(),
            };
        }
        match self.choice(14) {
            0 => format!("({} + {})", self.vector(d), self.vector(d)),
            1 => format!("({} - {})", self.vector(d), self.vector(d)),
            2 => format!("{} {}", self.matrix(d), self.vector(d)),
            3 => format!("{} * {}", self.scalar(d), self.vector(d)),
            4 => format!("{} .* {}", self.vector(d), self.vector(d)),
            5 => format!("{} ./ (2 + {} .^ 2)", self.vector(d), self.vector(d)),
            6 => {
                let f = self.pick(&["tanh", "sigmoid", "sin", "cos", "exp", "arctan", "softplus", "swish", "σ"]);
                format!("{f}({})", self.vector(d))
            }
            7 => format!("softmax({})", self.vector(d)),
            8 => format!("diag({})", self.matrix(d)),
            9 => "R^T u".to_string(),
            10 => format!("({}^T {}) {}", self.vector(d), self.vector(d), self.vector(d)),
            11 => format!("sqrt(1 + {} .^ 2)", self.vector(d)),
            12 => format!("log(1 + exp({}))", self.vector(d)),
            _ => format!("inv(A) {}", self.vector(d)),
        }
    }

    fn matrix(&mut self, depth: usize) -> String {
        let inner = self.matrix_inner(depth);
        if depth == 0 {
            inner
        } else {
            format!("({inner})")
        }
    }

    fn matrix_inner(&mut self, depth: usize) -> String {
        if depth == 0 {
            return self.pick(&["A", "B", "A^T", "B"]).to_string();
        }
        let d = depth - 1;
        if self.polynomial {
            return match self.choice(7) {
                0 => format!("({} + {})", self.matrix(d), self.matrix(d)),
                1 => format!("{} {}", self.matrix(d), self.matrix(d)),
                2 => format!("({})^T", self.matrix(d)),
                3 => format!("{} {}", self.scalar(d), self.matrix(d)),
                4 => format!("{} .* {}", self.matrix(d), self.matrix(d)),
                5 => format!("diag({})", self.vector(d)),
                _ => format!("{} {}^T", self.vector(d), self.vector(d)),
            };
        }
        match self.choice(11) {
            0 => format!("({} + {})", self.matrix(d), self.matrix(d)),
            1 => format!("({} - {})", self.matrix(d), self.matrix(d)),
            2 => format!("{} {}", self.matrix(d), self.matrix(d)),
            3 => format!("({})'", self.matrix(d)),
            4 => format!("{} * {}", self.scalar(d), self.matrix(d)),
            5 => format!("{} .* {}", self.matrix(d), self.matrix(d)),
            6 => format!("diag({})", self.vector(d)),
            7 => format!("{} {}^T", self.vector(d), self.vector(d)),
            8 => format!("tanh({})", self.matrix(d)),
            9 => "A^2 + R^T R".to_string(),
            _ => "inv(A)".to_string(),
        }
    }
}

fn generate(seed: u64, kind: char, polynomial: bool) -> String {
    let mut g = Generator { rng: Rng::new(seed), polynomial };
    let depth = 5;
    let body = match kind {
        's' => g.scalar(depth),
        'v' => g.vector(depth),
        _ => g.matrix(depth),
    };
    format!("{HEADER}{body}")
}

// ---------------------------------------------------------------------------
// A direct evaluator of the parse tree (no simplification involved)
// ---------------------------------------------------------------------------

fn function(name: &str) -> Option<Func> {
    Func::ALL.iter().copied().find(|f| f.name() == name && *f != Func::DiagVec && *f != Func::DiagMat).or(match name {
        "σ" => Some(Func::Sigmoid),
        _ => None,
    })
}

fn eval_ast(e: &Expr, values: &HashMap<String, Matrix>, n: usize) -> Option<Matrix> {
    Some(match &e.kind {
        ExprKind::Number(c) => Matrix::scalar(matcalc::coeff::to_f64(c)),
        ExprKind::Name(name) if name == "I" => Matrix::identity(n),
        ExprKind::Name(name) => values.get(name)?.clone(),
        ExprKind::Negate(a) => eval_ast(a, values, n)?.zip(&Matrix::scalar(-1.0), |x, y| x * y).ok()?,
        ExprKind::Transpose(a) => eval_ast(a, values, n)?.transpose(),
        ExprKind::InverseTranspose(a) => eval_ast(a, values, n)?.transpose().inverse().ok()?,
        ExprKind::Binary(op, a, b) => {
            let (a, b) = (eval_ast(a, values, n)?, eval_ast(b, values, n)?);
            match op {
                BinaryOp::Add => a.zip(&b, |x, y| x + y).ok()?,
                BinaryOp::Subtract => a.zip(&b, |x, y| x - y).ok()?,
                BinaryOp::Multiply => a.matmul(&b).ok()?,
                BinaryOp::Hadamard => a.zip(&b, |x, y| x * y).ok()?,
                BinaryOp::Divide | BinaryOp::ElementwiseDivide => a.zip(&b, |x, y| x / y).ok()?,
            }
        }
        ExprKind::Power { base, exponent, elementwise } => {
            let b = eval_ast(base, values, n)?;
            let p = eval_ast(exponent, values, n)?;
            if *elementwise || b.is_scalar() {
                b.zip(&p, eval::powf).ok()?
            } else {
                let k = p.data[0] as i64;
                let mut acc = Matrix::identity(b.rows);
                for _ in 0..k.abs() {
                    acc = acc.matmul(&b).ok()?;
                }
                if k < 0 {
                    acc.inverse().ok()?
                } else {
                    acc
                }
            }
        }
        ExprKind::Call { name, args, .. } => {
            let a = eval_ast(&args[0], values, n)?;
            match name.as_str() {
                "inv" => a.inverse().ok()?,
                "diag" if a.cols == 1 => eval::apply(Func::DiagMat, &a).ok()?,
                "diag" => eval::apply(Func::DiagVec, &a).ok()?,
                other => eval::apply(function(other)?, &a).ok()?,
            }
        }
    })
}

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
    let direct = eval_ast(expr, &values, n);
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
    if text != "0" && !text.contains("I(") {
        prop_assert_eq!(reparsed, value, "{}\nprinted: {}", source, text);
    }
    let again = analysis.print_width(reparsed, Format::Text, 1000);
    prop_assert_eq!(again, text);
    Ok(())
}

/// Gradients (scalar values) and Jacobians (vector values) against
/// finite differences.
fn check_derivative(source: &str, wrt: &str, seed: u64) -> Result<(), TestCaseError> {
    let mut analysis = analyze(source).map_err(|e| TestCaseError::fail(e.render(source)))?;
    let derivative = match analysis.derivative(None, wrt) {
        Ok(d) => d,
        Err(e) if e.kind == ErrorKind::Differentiation => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(format!("{source}: {e}"))),
    };
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

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

    #[test]
    fn polynomial_gradients_match(seed in any::<u64>(), wrt in prop::sample::select(vec!["x", "A", "k"])) {
        check_derivative(&generate(seed, 's', true), wrt, seed)?;
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
