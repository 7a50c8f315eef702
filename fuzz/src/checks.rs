//! The checks of the fuzz targets, shared with the main crate's
//! `tests/fuzz_regressions.rs` (which includes this file by path), so that
//! every input the fuzzer found is replayed through exactly these checks.

use std::collections::HashMap;

use matcalc::ast::{BinaryOp, Expr, ExprKind, Statement};
use matcalc::check::{self, PointKind, Rng, Sampling};
use matcalc::eval::{self, Matrix};
use matcalc::ir::{ExprId, Func, Graph, Node, Role};
use matcalc::verify::{self, Verdict};
use matcalc::{analyze, Analysis, DerivativeKind, ErrorKind, Format};

const FORMATS: [Format; 6] = [Format::Text, Format::Unicode, Format::Latex, Format::Numpy, Format::Dot, Format::Tikz];

/// The `pipeline` target: any text through parse, simplify, every
/// derivative, every printer, `steps`, the numeric check and `verify` (the REPL is replayed by the fuzz target and `cli/tests/repl.rs`).
/// Errors are fine (and are rendered); a panic, hang or stack overflow is
/// the failure.
pub fn pipeline(source: &str) {
    let mut analysis = match analyze(source) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.render(source);
            return;
        }
    };
    let _ = analysis.types();
    if let Ok(value) = analysis.simplified(None) {
        print_all(&mut analysis, value, source);
        let _ = analysis.dot(None, None);
    }
    let variables: Vec<String> =
        analysis.graph().symbols().filter(|(_, s)| s.role != Role::Function).map(|(_, s)| s.name.clone()).collect();
    for wrt in &variables {
        match analysis.derivative(None, wrt) {
            Ok(d) => {
                print_all(&mut analysis, d.result, source);
                let _ = analysis.derivative_lhs(&d, None);
                let graph = analysis.graph();
                let _ = check::compare_with_finite_differences(
                    graph,
                    d.of,
                    d.wrt,
                    d.result,
                    d.kind == DerivativeKind::Jacobian,
                    1,
                    1,
                );
                // `verify` on matcalc's own printed answer, and on the claim
                // `0` (numeric unless the derivative is 0).
                let text = analysis.print(d.result, Format::Text);
                for claim in [text.as_str(), "0"] {
                    if let Err(e) = verify::verify(&mut analysis, &d, claim, &verify::Options::default()) {
                        let _ = e.render(claim);
                    }
                }
            }
            Err(e) => {
                let _ = e.render(source);
            }
        }
        for format in [Format::Text, Format::Unicode, Format::Latex] {
            if let Err(e) = analysis.steps(None, wrt, format, 80) {
                let _ = e.render(source);
            }
        }
        let _ = analysis.tikz(None, Some(wrt), &Default::default());
    }
}

/// Every printer on `id`; the text must parse back as a claim.
fn print_all(analysis: &mut Analysis, id: matcalc::ExprId, source: &str) {
    for format in FORMATS {
        let _ = analysis.print(id, format);
    }
    let _ = analysis.print_width(id, Format::Latex, 20);
    let text = analysis.print_width(id, Format::Text, 1000);
    if let Err(e) = analysis.lower_claim(&text) {
        let _ = e.render(&text);
        let _ = source;
    }
}

/// The `structured` target's invariants on a generated, well-shaped
/// program (see `generate::case`): it analyses, its printed text parses back
/// to the same node, simplification keeps its value, and its gradients and
/// Jacobians agree with finite differences. `Err` says which failed.
pub fn structured(case: &str) -> Result<(), String> {
    let seed = seed_of(case);
    // A generated division by something identically zero (`./ ((x - x)^T A x)`)
    // is rightly refused; the program is not well-shaped-and-defined.
    if let Err(e) = analyze(case) {
        if e.kind == matcalc::ErrorKind::Value && e.message.contains("division by zero") {
            return Ok(());
        }
        // A derivative operator matcalc rightly declines (a Jacobian of the
        // diagonal of a matrix that depends on the variable): an error, not a
        // broken invariant.
        if e.kind == ErrorKind::Differentiation {
            return Ok(());
        }
        // Beyond a limit (nested matrix powers that compound past A^16, the
        // derivative work budget): refused, not a broken invariant.
        if e.kind == ErrorKind::Limit {
            return Ok(());
        }
    }
    round_trip(case)?;
    value(case, seed)?;
    // The variables, whatever the generator named them.
    let variables: Vec<String> = analysis(case)?
        .graph()
        .symbols()
        .filter(|(_, s)| matches!(s.role, Role::Input { .. }))
        .map(|(_, s)| s.name.clone())
        .collect();
    for wrt in &variables {
        derivative(case, wrt, seed)?;
        verify_own_answer(case, wrt, seed, &mut VerifyCounts::default())?;
    }
    Ok(())
}

/// What [`verify_own_answer`] saw, summed over calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyCounts {
    /// Derivatives whose printed answer was verified.
    pub answers: usize,
    /// Answers `verify` could not decide, nor compare numerically with
    /// themselves (nowhere finite or well-conditioned): not counted in `answers`.
    pub undecidable: usize,
    /// Of those, answers that are 0 (their scaled and negated forms are 0 too).
    pub zero_answers: usize,
    /// Of those, answers accepted numerically (the symbolic shortcut off).
    pub numeric_agrees: usize,
    /// Answers the numeric comparison could not decide (too few points compared; zero answers among them).
    pub numeric_undecided: usize,
    /// Corrupted answers that differ from the answer somewhere.
    pub corruptions: usize,
    /// Of those, the ones `verify` called wrong.
    pub rejected: usize,
    /// Of those, the ones `verify` could not decide (exit 1, not "correct").
    pub undecided: usize,
    /// Corruptions equal to the answer everywhere (a zero scaled, a
    /// symmetric matrix transposed): no test of `verify`.
    pub not_corruptions: usize,
}

/// `verify` on matcalc's own printed answer for the derivative of `source`
/// with respect to `wrt` accepts it (symbolically, and numerically with the
/// symbolic shortcut off), and on corrupted ones (scaled by 1.01, negated, a
/// term dropped, transposed where square) never says "correct". A
/// corruption counts only if it differs from the answer at some random
/// point (a direct evaluation, independent of `verify`'s method).
pub fn verify_own_answer(source: &str, wrt: &str, seed: u64, counts: &mut VerifyCounts) -> Result<(), String> {
    let Ok(mut analysis) = analyze(source) else { return Ok(()) };
    if analysis.graph().find_symbol(wrt).is_none() {
        return Ok(());
    }
    let Ok(derivative) = analysis.derivative(None, wrt) else { return Ok(()) };
    let text = analysis.print(derivative.result, Format::Text);
    let claim = |analysis: &mut Analysis, text: &str, symbolic: bool| {
        let options = verify::Options { seed, symbolic };
        verify::verify(analysis, &derivative, text, &options)
            .map_err(|e| format!("d/d{wrt}: the printed answer does not read back as a claim:\n{}", e.render(text)))
    };
    let verdict = claim(&mut analysis, &text, true)?;
    // Where the answer cannot even be compared with itself (a function
    // defined nowhere, or only as rounding residue), a read-back answer is
    // rightly undecided.
    let hopeless = || {
        let graph = analysis.graph();
        let itself =
            verify::compare_at_random_points(graph, derivative.of, derivative.result, derivative.result, false, seed);
        matches!(itself, Verdict::Undecided(_))
    };
    if matches!(verdict, Verdict::Undecided(_)) && hopeless() {
        counts.undecidable += 1;
        return Ok(());
    }
    if !verdict.correct() {
        return Err(format!("d/d{wrt}: verify rejects matcalc's own answer\n{text}\n{verdict:?}"));
    }
    counts.answers += 1;
    if analysis.graph().is_zero(derivative.result) {
        counts.zero_answers += 1;
    }
    match claim(&mut analysis, &text, false)? {
        Verdict::Agrees(_) => counts.numeric_agrees += 1,
        Verdict::Undecided(_) => counts.numeric_undecided += 1,
        other => {
            return Err(format!(
                "d/d{wrt}: verify's numeric comparison rejects matcalc's own answer\n{text}\n{other:?}"
            ))
        }
    }
    let answer = derivative.result;
    let graph = analysis.graph_mut();
    let mut corrupted =
        vec![("scaled by 1.01", graph.scale(matcalc::coeff::ratio(101, 100), answer)), ("negated", graph.neg(answer))];
    if let Node::Add(terms) = graph.node(answer).clone() {
        let dropped = seed as usize % terms.len();
        let rest = terms.iter().enumerate().filter(|(i, _)| *i != dropped).map(|(_, t)| *t).collect();
        corrupted.push(("a term dropped", graph.add(rest)));
    }
    let shape = graph.shape(answer);
    if shape.rows == shape.cols && !shape.is_scalar() {
        corrupted.push(("transposed", graph.transpose(answer)));
    }
    for (how, wrong) in corrupted {
        if wrong == answer || !differs_somewhere(analysis.graph(), answer, wrong, seed) {
            counts.not_corruptions += 1;
            continue;
        }
        counts.corruptions += 1;
        let wrong_text = analysis.print(wrong, Format::Text);
        match claim(&mut analysis, &wrong_text, true)? {
            Verdict::Undecided(_) => counts.undecided += 1,
            verdict if verdict.correct() => {
                return Err(format!(
                    "d/d{wrt}: verify accepts the answer {how}\nanswer: {text}\nclaim:  {wrong_text}\n{verdict:?}"
                ))
            }
            _ => counts.rejected += 1,
        }
    }
    Ok(())
}

/// `true` if `a` and `b` differ at one of 24 random points where both are
/// finite, by more than 1e-6 of the largest intermediate value of either
/// (a value that is rounding residue of a cancellation, as `1 - sum(softmax(x))`,
/// is 0, and so is 1.01 times it).
fn differs_somewhere(graph: &Graph, a: ExprId, b: ExprId, seed: u64) -> bool {
    let mut rng = Rng::new(seed ^ 0x00C0_FFEE);
    let largest = |id: ExprId, env: &eval::Env| {
        eval::evaluate_all(graph, id, env)
            .map_or(f64::INFINITY, |all| all.values().fold(0.0f64, |m, v| m.max(v.max_abs())))
    };
    (0..24).any(|i| {
        let sampling = if i % 3 == 2 { Sampling::Positive } else { Sampling::Mixed };
        let env = check::random_point(
            graph,
            &mut rng,
            PointKind {
                sampling,
                sizes: (2, 5),
                signed_diagonal: i % 2 == 0,
                scale: if i % 4 == 3 { 0.1 } else { 1.0 },
            },
        );
        match (eval::evaluate(graph, a, &env), eval::evaluate(graph, b, &env)) {
            (Ok(x), Ok(y)) if finite(&x) && finite(&y) && x.rows == y.rows && x.cols == y.cols => {
                let difference = x.data.iter().zip(&y.data).fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
                difference > 1e-6 * largest(a, &env).max(largest(b, &env))
            }
            _ => false,
        }
    })
}

/// The seed of a case: its first line `# seed N`, 0 if it has none.
pub fn seed_of(case: &str) -> u64 {
    case.lines().next().and_then(|l| l.strip_prefix("# seed ")).and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

fn analysis(case: &str) -> Result<Analysis, String> {
    analyze(case).map_err(|e| format!("a well-shaped program failed to analyse:\n{}", e.render(case)))
}

/// Printing the simplified value and parsing it back gives the same node.
fn round_trip(case: &str) -> Result<(), String> {
    let mut analysis = analysis(case)?;
    let value = analysis.simplified(None).map_err(|e| e.render(case))?;
    let text = analysis.print_width(value, Format::Text, 1000);
    let reparsed =
        analysis.lower_claim(&text).map_err(|e| format!("printed text does not parse:\n{}", e.render(&text)))?;
    if reparsed != value {
        return Err(format!(
            "round trip: {text}\nparses back to {}",
            analysis.print_width(reparsed, Format::Text, 1000)
        ));
    }
    Ok(())
}

/// The text of `id`, printed at `width` (narrow widths print shared parts
/// as `t1 = …` blocks), parses back after the program's declarations to the
/// same node or, where the printed form is another way to write it, to an
/// expression equal at random points.
pub fn reads_back(analysis: &mut Analysis, id: ExprId, width: usize, seed: u64) -> Result<(), String> {
    let text = analysis.print_width(id, Format::Text, width);
    let back =
        analysis.lower_claim(&text).map_err(|e| format!("printed result does not parse back:\n{}", e.render(&text)))?;
    if back == id {
        return Ok(());
    }
    let graph = analysis.graph();
    let mut rng = Rng::new(seed);
    for _ in 0..3 {
        let env = check::random_env(graph, &mut rng, Sampling::Mixed);
        let (Ok(a), Ok(b)) = (eval::evaluate(graph, id, &env), eval::evaluate(graph, back, &env)) else { continue };
        if !finite(&a) || a.max_abs() > 1e4 {
            continue;
        }
        let error = check::relative_error_above(&a, &b, 1e-9);
        if error.is_nan() || error >= 1e-7 {
            return Err(format!(
                "printed result reads back to another value:\n{text}\nreads back as {}\nrelative error {error:.2e}",
                analysis.print_width(back, Format::Text, 1000)
            ));
        }
    }
    Ok(())
}

fn finite(m: &Matrix) -> bool {
    m.data.iter().all(|x| x.is_finite() && x.abs() < 1e8)
}

/// The simplified graph's value against a direct evaluation of the parse
/// tree (which no simplification touches).
fn value(case: &str, seed: u64) -> Result<(), String> {
    let mut analysis = analysis(case)?;
    let value = analysis.simplified(None).map_err(|e| e.render(case))?;
    let program = matcalc::syntax::parse_program(case).map_err(|e| e.render(case))?;
    let graph = analysis.graph();
    // A bare `I` or `ones` whose size inference leaves open has a size of
    // its own, which the direct evaluation (every size n) cannot know.
    if graph.dim_names().len() != 1 {
        return Ok(());
    }
    let mut rng = Rng::new(seed);
    let env = check::random_env(graph, &mut rng, Sampling::Mixed);
    let n = env.size(matcalc::shape::Dim::Named(matcalc::shape::DimId(0)));
    let mut values: HashMap<String, Matrix> =
        env.values.iter().map(|(sid, m)| (graph.symbol(*sid).name.clone(), m.clone())).collect();
    let mut direct = None;
    for statement in &program.statements {
        match statement {
            Statement::Define { name, value, .. } => match eval_ast(value, &values, n) {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None => return Ok(()),
            },
            Statement::Expr(e) => direct = eval_ast(e, &values, n),
            _ => {}
        }
    }
    // Huge intermediate values make the two evaluations differ by rounding.
    if let Ok(all) = eval::evaluate_all(graph, value, &env) {
        if all.values().any(|m| m.max_abs() > 1e4) {
            return Ok(());
        }
    }
    let simplified = eval::evaluate(graph, value, &env).ok();
    if let (Some(direct), Some(simplified)) = (direct, simplified) {
        // A bare `I` or `ones` whose size inference leaves open is evaluated
        // at another size than the direct evaluation's n: not comparable.
        let same_shape = direct.rows == simplified.rows && direct.cols == simplified.cols;
        if same_shape && finite(&direct) && finite(&simplified) && direct.max_abs() < 1e4 {
            // Rounding amplified near a singular point of arccos, arcsin or
            // sqrt (`arccos(sum(softmax(v)))` at 1 - 1e-16 gives 2e-8) is
            // noise, not a changed value.
            let error = check::relative_error_above(&simplified, &direct, 1e-7);
            if error >= 1e-7 {
                return Err(format!(
                    "simplify changed the value: {}\nsimplified {:?}\ndirect     {:?}\nrelative error {error:.2e}",
                    analysis.print(value, Format::Text),
                    simplified.data,
                    direct.data
                ));
            }
        }
    }
    Ok(())
}

/// Gradients (scalar values) and Jacobians (vector values) against
/// finite differences, skipping ill-conditioned points as
/// `tests/properties.rs` does.
fn derivative(case: &str, wrt: &str, seed: u64) -> Result<(), String> {
    let mut analysis = analysis(case)?;
    let derivative = match analysis.derivative(None, wrt) {
        Ok(d) => d,
        Err(e) if e.kind == ErrorKind::Differentiation => return Ok(()),
        // The derivative work budget (nested derivative operators): a
        // Limit error with a span is the outcome it promises, as in analysis.
        Err(e) if e.kind == ErrorKind::Limit => return Ok(()),
        Err(e) => return Err(format!("d/d{wrt}: {}", e.render(case))),
    };
    for width in [1000, 40] {
        reads_back(&mut analysis, derivative.result, width, seed).map_err(|e| format!("d/d{wrt}: {e}"))?;
    }
    let jacobian = derivative.kind == DerivativeKind::Jacobian;
    let mut rng = Rng::new(seed);
    let env = check::random_env(analysis.graph(), &mut rng, Sampling::Mixed);
    match eval::evaluate_all(analysis.graph(), derivative.of, &env) {
        Ok(values) if values.values().any(|m| m.max_abs() > 1e4 || m.data.iter().any(|x| !x.is_finite())) => {
            return Ok(())
        }
        Err(_) => return Ok(()),
        Ok(_) => {}
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
    if let Some((symbolic, numeric)) = &comparison.worst {
        if !finite(numeric) || !finite(symbolic) {
            return Ok(());
        }
    }
    if comparison.relative_error >= 1e-5 {
        return Err(format!(
            "d/d{wrt} = {}\nrelative error {:.2e} against finite differences: {:?}",
            analysis.print(derivative.result, Format::Text),
            comparison.relative_error,
            comparison.worst
        ));
    }
    Ok(())
}

fn function(name: &str) -> Option<Func> {
    Func::ALL.iter().copied().find(|f| f.name() == name && *f != Func::DiagVec && *f != Func::DiagMat).or(match name {
        "σ" => Some(Func::Sigmoid),
        _ => None,
    })
}

/// A direct evaluation of the parse tree; `None` where it cannot say
/// (derivative operators, singular or ill-conditioned matrices: any
/// intermediate above 1e4 in magnitude makes the comparison meaningless,
/// since the simplified graph may have cancelled it exactly).
pub fn eval_ast(e: &Expr, values: &HashMap<String, Matrix>, n: usize) -> Option<Matrix> {
    let value = eval_ast_node(e, values, n)?;
    (value.data.iter().all(|x| x.is_finite()) && value.max_abs() <= 1e4).then_some(value)
}

/// One node of [`eval_ast`], its operands evaluated (and bounded) by it.
fn eval_ast_node(e: &Expr, values: &HashMap<String, Matrix>, n: usize) -> Option<Matrix> {
    Some(match &e.kind {
        ExprKind::Number(c) => Matrix::scalar(matcalc::coeff::to_f64(c)),
        ExprKind::Name(name) if name == "I" || name == "eye" => Matrix::identity(n),
        ExprKind::Name(name) if name == "ones" => Matrix::filled(n, 1, 1.0),
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
                BinaryOp::Kron => eval::kron(&a, &b),
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
            match name.as_str() {
                "I" | "eye" => return Some(Matrix::identity(n)),
                "ones" => return Some(Matrix::filled(n, 1, 1.0)),
                _ => {}
            }
            let a = eval_ast(args.first()?, values, n)?;
            // At a kink, rounding decides the side (`step(B^-T B^T)` off the
            // diagonal is step(±1e-17)): no comparison there.
            if matches!(name.as_str(), "step" | "sign" | "relu" | "abs" | "norm1")
                && a.data.iter().any(|x| x.abs() < 1e-6)
            {
                return None;
            }
            // A singular matrix inverted or under det/logdet: both sides are
            // rounding noise (`logdet((k A)^T ./ A)` is singular for n = 2).
            if matches!(name.as_str(), "inv" | "det" | "logdet") && check::hadamard_ratio(&a) < check::SINGULAR_RATIO {
                return None;
            }
            match name.as_str() {
                "inv" => a.inverse().ok()?,
                "diag" if a.cols == 1 => eval::apply(Func::DiagMat, &a).ok()?,
                "diag" => eval::apply(Func::DiagVec, &a).ok()?,
                other => eval::apply(function(other)?, &a).ok()?,
            }
        }
    })
}
