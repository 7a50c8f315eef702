//! Numeric checks of symbolic results: random well-conditioned points,
//! central finite differences with Richardson extrapolation, and the
//! comparison behind `matcalc check` and `matcalc verify`.

use crate::error::{Error, ErrorKind, Result};
use crate::eval::{evaluate, Env, Matrix};
use crate::ir::{ExprId, Graph, Node, Role, SymbolId};
use crate::ops::{self, Irregular};

pub mod bounds;
pub use bounds::{MAX_NUMERIC_DIM, MAX_POINTS};

/// A small deterministic random generator (xorshift64*).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next raw value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    /// Uniform integer in [lo, hi].
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
}

/// How values are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Entries of both signs.
    Mixed,
    /// Positive entries only (for log, sqrt and friends).
    Positive,
}

/// How a random point is drawn: its entries, the range of sizes of named
/// dimensions, and whether the diagonals of square matrices may be negative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointKind {
    /// The entries' signs.
    pub sampling: Sampling,
    /// Sizes of named dimensions, drawn uniformly in `sizes.0..=sizes.1`.
    pub sizes: (usize, usize),
    /// Square matrices get diagonals of random sign (still diagonally
    /// dominant, so invertible, but not positive definite).
    pub signed_diagonal: bool,
    /// Every entry is scaled by this (1: magnitudes 0.3 to 1.2 off the
    /// diagonal; 0.1 keeps `tanh` and `exp` of sums from saturating).
    pub scale: f64,
}

/// Sizes of named dimensions at `check`'s random points (smaller where a
/// derivative would be too much work to evaluate at the top size).
pub const CHECK_SIZES: (usize, usize) = (2, 4);

/// A random point: dimension sizes in [`CHECK_SIZES`], square matrices made
/// diagonally dominant (invertible; symmetric ones positive definite).
pub fn random_env(graph: &Graph, rng: &mut Rng, sampling: Sampling) -> Env {
    random_point(graph, rng, PointKind { sampling, sizes: CHECK_SIZES, signed_diagonal: false, scale: 1.0 })
}

/// A random point drawn as `kind` says. Fixed dimensions keep their sizes
/// (see [`bounds::bound_fixed_dimensions`] before calling this on a
/// program that may declare huge ones).
pub fn random_point(graph: &Graph, rng: &mut Rng, kind: PointKind) -> Env {
    let (lo, hi) = kind.sizes;
    let mut env = Env { dims: (0..graph.dim_names().len()).map(|_| rng.range(lo, hi)).collect(), ..Env::default() };
    for (sid, symbol) in graph.symbols() {
        let Role::Input { symmetric } = symbol.role else { continue };
        let (rows, cols) = env.shape(symbol.shape);
        let mut m = Matrix::filled(rows, cols, 0.0);
        for x in m.data.iter_mut() {
            *x = match kind.sampling {
                Sampling::Mixed => {
                    let magnitude = rng.uniform(0.3, 1.2);
                    if rng.next_u64().is_multiple_of(2) {
                        magnitude
                    } else {
                        -magnitude
                    }
                }
                Sampling::Positive => rng.uniform(0.3, 1.2),
            } * kind.scale;
        }
        if rows == cols && rows > 1 {
            if symmetric {
                let t = m.transpose();
                for (x, y) in m.data.iter_mut().zip(&t.data) {
                    *x = 0.5 * (*x + y);
                }
            }
            for i in 0..rows {
                let dominant = m.data[i * cols + i].abs() + rows as f64 * kind.scale;
                let negative = kind.signed_diagonal && rng.next_u64().is_multiple_of(2);
                m.data[i * cols + i] = if negative { -dominant } else { dominant };
            }
        }
        env.values.insert(sid, m);
    }
    for (sid, symbol) in graph.symbols() {
        if symbol.role != Role::Function {
            continue;
        }
        for id in 0..graph.len() {
            let id = ExprId(id as u32);
            if let Node::Opaque(f, arg) = graph.node(id) {
                if *f == sid {
                    let (rows, cols) = env.shape(graph.shape(*arg));
                    let mut g = Matrix::filled(rows, cols, 0.0);
                    for x in g.data.iter_mut() {
                        *x = rng.uniform(-1.0, 1.0);
                    }
                    env.opaque_gradients.insert((sid, rows, cols), g);
                }
            }
        }
    }
    env
}

/// The result of comparing a symbolic derivative with finite differences.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// max |symbolic − numeric| / max(|numeric|, tiny) over all points,
    /// counting as 0 a difference below the rounding floor of finite
    /// differences (1e-8 |f|, or [`FD_ROUNDING`] times the largest
    /// intermediate value); this decides pass or fail.
    pub relative_error: f64,
    /// The same without the rounding floor, for reports.
    pub raw_error: f64,
    /// Points compared.
    pub points: usize,
    /// Points skipped because an argument of relu, abs, sign or step (or
    /// the whole argument of norm) was too close to 0, where the derivative
    /// is undefined.
    pub skipped_near_kinks: usize,
    /// Points skipped because a matrix that is inverted or whose
    /// determinant is taken was numerically singular there.
    pub skipped_singular: usize,
    /// Points skipped because finite differences did not settle there (the
    /// function varies faster than any step resolves).
    pub skipped_unsettled: usize,
    /// The worst point's symbolic and numeric values.
    pub worst: Option<(Matrix, Matrix)>,
}

impl Comparison {
    /// `true` if the derivative agrees with finite differences.
    pub fn passed(&self) -> bool {
        self.relative_error <= TOLERANCE
    }

    /// The report lines: the error, and notes on rounding and kinks.
    pub fn report(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "relative error {:.2e} at {} random points (tolerance {TOLERANCE:.0e})",
            self.raw_error, self.points
        )];
        if self.raw_error > TOLERANCE && self.passed() {
            lines.push("note: the differences are below the rounding floor of finite differences (1e-8 × |f|, or 5e-9 × the largest intermediate value)".into());
        }
        if self.skipped_near_kinks > 0 {
            lines.push(format!(
                "warning: skipped {} points near a kink (relu, abs, sign, step or sqrt at 0, norm of 0, arcsin or arccos at ±1), where the derivative is undefined",
                self.skipped_near_kinks
            ));
        }
        if self.skipped_singular > 0 {
            lines.push(format!(
                "warning: skipped {} points where a matrix that is inverted or whose determinant is taken is singular",
                self.skipped_singular
            ));
        }
        if self.skipped_unsettled > 0 {
            lines.push(format!(
                "warning: skipped {} points where finite differences do not settle (the function varies too fast there)",
                self.skipped_unsettled
            ));
        }
        lines
    }
}

/// Absolute noise of finite differences per unit of the largest
/// intermediate value: about 1e-14 (a few ulps, amplified by Richardson
/// extrapolation) over the smallest step, 2e-6.
pub const FD_ROUNDING: f64 = 5e-9;

/// Relative error below which a derivative counts as right.
pub const TOLERANCE: f64 = 1e-6;

/// `matcalc check` as a value: the derivative and its comparison with
/// finite differences.
#[derive(Clone, Debug)]
pub struct Report {
    /// The symbolic derivative, as text.
    pub derivative: String,
    /// How it compares with finite differences.
    pub comparison: Comparison,
}

/// Differentiates the value (or the definition `of`) of `analysis` with
/// respect to `wrt` and compares the derivative with finite differences at
/// `points` random points drawn from `seed`, as `matcalc check` does.
pub fn check_derivative(
    analysis: &mut crate::Analysis,
    of: Option<&str>,
    wrt: &str,
    points: usize,
    seed: u64,
) -> Result<Report> {
    let derivative = analysis.derivative(of, wrt)?;
    bounds::bound_fixed_dimensions(analysis.graph(), Some(&analysis.program))?;
    let text = analysis.print(derivative.result, crate::Format::Text);
    let comparison = compare_with_finite_differences(
        analysis.graph(),
        derivative.of,
        derivative.wrt,
        derivative.result,
        derivative.kind == crate::DerivativeKind::Jacobian,
        points,
        seed,
    )?;
    Ok(Report { derivative: text, comparison })
}

/// Compares the symbolic derivative `derivative` of `root` with respect to
/// `wrt` (gradient, or Jacobian if `jacobian`) with finite differences at
/// `points` random points.
pub fn compare_with_finite_differences(
    graph: &Graph,
    root: ExprId,
    wrt: SymbolId,
    derivative: ExprId,
    jacobian: bool,
    points: usize,
    seed: u64,
) -> Result<Comparison> {
    if points > MAX_POINTS {
        return Err(Error::bare(ErrorKind::Limit, format!("{points} points; check compares at most {MAX_POINTS}")));
    }
    bounds::bound_fixed_dimensions(graph, None)?;
    let mut rng = Rng::new(seed);
    // The work at the largest sizes a point may have: per point, one
    // evaluation of the derivative, and up to 24 of the function per entry
    // of the variable. Where that is too much at size 4, smaller sizes.
    let top = bounds::largest_affordable_size(graph, CHECK_SIZES, "checking", |largest| {
        let (rows, cols) = largest.shape(graph.symbol(wrt).shape);
        let per_point = 24.0 * rows as f64 * cols as f64 + 4.0;
        vec![(root, per_point * points as f64), (derivative, points as f64)]
    })?;
    let mut comparison = Comparison {
        relative_error: 0.0,
        raw_error: 0.0,
        points: 0,
        skipped_near_kinks: 0,
        skipped_singular: 0,
        skipped_unsettled: 0,
        worst: None,
    };
    let mut attempts = 0;
    while comparison.points < points && attempts < points * 20 {
        attempts += 1;
        let sampling = if attempts % 2 == 1 { Sampling::Mixed } else { Sampling::Positive };
        // Entries up to 1.2 and diagonals above the size put arcsin(X),
        // arcsin(tr(X)) or exp(tr(X)^2) out of reach: after the first
        // tries, smaller points are drawn too.
        let scale = if attempts > points * 4 { [1.0, 0.1, 0.02][attempts % 3] } else { 1.0 };
        let kind = PointKind { sampling, sizes: (CHECK_SIZES.0, top), signed_diagonal: false, scale };
        let env = random_point(graph, &mut rng, kind);
        let Ok(value) = evaluate(graph, root, &env) else { continue };
        if value.data.iter().any(|x| !x.is_finite()) {
            continue;
        }
        if near_kink(graph, root, &env, 1e-3) {
            comparison.skipped_near_kinks += 1;
            continue;
        }
        if near_singular(graph, root, &env, SINGULAR_RATIO) {
            comparison.skipped_singular += 1;
            continue;
        }
        // Huge intermediate values (exp of exp, sin of a large determinant)
        // make finite differences meaningless: try another point.
        let largest = crate::eval::evaluate_all(graph, root, &env)
            .map_or(0.0, |all| all.values().fold(0.0f64, |m, v| m.max(v.max_abs())));
        if largest > 1e5 {
            continue;
        }
        let symbolic = evaluate(graph, derivative, &env)?;
        let (numeric, settled) = finite_difference_settling(graph, root, wrt, &env, jacobian)?;
        if numeric.data.iter().any(|x| !x.is_finite()) {
            continue;
        }
        if !settled {
            comparison.skipped_unsettled += 1;
            continue;
        }
        let (symbolic, numeric) = (as_gradient_layout(&symbolic, &numeric), numeric);
        // Finite differences lose about 1e-10 |f| to rounding; below that
        // floor a difference is noise, not a wrong derivative. Where large
        // intermediates cancel (`det(sum(softmax(x)) A)`, whose gradient in
        // x is 0), the rounding is theirs: a few ulps of the largest,
        // divided by the smallest step (about 2e-6).
        let noise = (1e-8 * value.max_abs().max(1.0)).max(FD_ROUNDING * largest);
        let error = relative_error_above(&symbolic, &numeric, noise);
        comparison.raw_error = comparison.raw_error.max(relative_error(&symbolic, &numeric));
        if error >= comparison.relative_error {
            comparison.relative_error = error;
            comparison.worst = Some((symbolic, numeric));
        }
        comparison.points += 1;
    }
    if comparison.points == 0 {
        let reason = if comparison.skipped_singular > 0 {
            " (a matrix it inverts or takes the determinant of was singular at every point tried)"
        } else if comparison.skipped_unsettled > 0 {
            " (finite differences did not settle at the points tried)"
        } else {
            ""
        };
        return Err(Error::bare(
            ErrorKind::Evaluation,
            format!("could not find a point where the expression is finite and differentiable{reason}"),
        ));
    }
    Ok(comparison)
}

fn as_gradient_layout(symbolic: &Matrix, numeric: &Matrix) -> Matrix {
    if symbolic.rows == numeric.rows && symbolic.cols == numeric.cols {
        symbolic.clone()
    } else if symbolic.data.len() == numeric.data.len() {
        Matrix { rows: numeric.rows, cols: numeric.cols, data: symbolic.data.clone() }
    } else {
        symbolic.clone()
    }
}

/// max |a − b| / max(max |b|, 1e-8); infinite on a shape mismatch.
pub fn relative_error(a: &Matrix, b: &Matrix) -> f64 {
    if a.rows != b.rows || a.cols != b.cols {
        return f64::INFINITY;
    }
    let diff = a.data.iter().zip(&b.data).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    diff / b.max_abs().max(1e-8)
}

/// Like [`relative_error`], ignoring absolute differences below `noise`.
pub fn relative_error_above(a: &Matrix, b: &Matrix, noise: f64) -> f64 {
    if a.rows != b.rows || a.cols != b.cols {
        return f64::INFINITY;
    }
    let diff = a.data.iter().zip(&b.data).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    if diff <= noise {
        return 0.0;
    }
    diff / b.max_abs().max(1e-8)
}

/// `true` if a function under `root` is near where the operator table says
/// it is irregular, at this point: an argument of relu, abs, sign, step,
/// norm1 or sqrt within `margin` of 0 (or the whole argument of norm), or an
/// argument of arcsin or arccos within `margin` of ±1.
pub fn near_kink(graph: &Graph, root: ExprId, env: &Env, margin: f64) -> bool {
    graph.reachable(root).into_iter().any(|id| match graph.node(id) {
        Node::Apply(f, a) => {
            let near = |test: &dyn Fn(&Matrix) -> bool| evaluate(graph, *a, env).is_ok_and(|m| test(&m));
            match ops::of(*f).irregular {
                Irregular::AtZeroEntry => near(&|m| m.data.iter().any(|x| x.abs() < margin)),
                Irregular::AtZero => near(&|m| m.max_abs() < margin),
                Irregular::AtUnitEntry => near(&|m| m.data.iter().any(|x| (x.abs() - 1.0).abs() < margin)),
                Irregular::Nowhere | Irregular::AtSingular => false,
            }
        }
        _ => false,
    })
}

/// Hadamard ratio `|det M| / Π ‖row i‖` (in [0, 1]) below which a matrix
/// counts as singular for [`near_singular`].
pub const SINGULAR_RATIO: f64 = 1e-8;

/// `true` if a matrix that is inverted, or whose determinant or log
/// determinant is taken, under `root` is numerically singular at this
/// point: its Hadamard ratio `|det M| / Π ‖row i‖` is below `ratio`. There
/// the function is undefined or its derivative is dominated by rounding
/// (the simplifier may have cancelled the inverse exactly).
pub fn near_singular(graph: &Graph, root: ExprId, env: &Env, ratio: f64) -> bool {
    graph.reachable(root).into_iter().any(|id| match graph.node(id) {
        Node::Inverse(a) => evaluate(graph, *a, env).is_ok_and(|m| hadamard_ratio(&m) < ratio),
        Node::Apply(f, a) if ops::of(*f).irregular == Irregular::AtSingular => {
            evaluate(graph, *a, env).is_ok_and(|m| hadamard_ratio(&m) < ratio)
        }
        _ => false,
    })
}

/// `|det M| / Π ‖row i‖`: 1 for orthogonal rows, 0 for a singular matrix.
pub fn hadamard_ratio(m: &Matrix) -> f64 {
    let norms = (0..m.rows).fold(1.0, |p, i| p * (0..m.cols).map(|j| m.at(i, j).powi(2)).sum::<f64>().sqrt());
    if norms == 0.0 || !norms.is_finite() {
        return 0.0;
    }
    m.det().abs() / norms
}

/// Central differences with Richardson extrapolation. For a gradient: the
/// shape of `wrt` (symmetric variables perturbed symmetrically, giving
/// the symmetric gradient); for a Jacobian: outputs × inputs (in vec
/// order; for a symmetric variable its vech(S), an entry and its mirror
/// perturbed together).
pub fn finite_difference(graph: &Graph, root: ExprId, wrt: SymbolId, env: &Env, jacobian: bool) -> Result<Matrix> {
    finite_difference_settling(graph, root, wrt, env, jacobian).map(|(estimate, _)| estimate)
}

/// Relative disagreement of successive finite-difference estimates above
/// which they have not settled (the function varies faster than any step
/// resolves, as `tan(1000 x)` near a pole): the point tells nothing.
pub const UNSETTLED: f64 = 1e-4;

/// [`finite_difference`], with whether every entry's estimates settled
/// (successive refinements agreeing within [`UNSETTLED`]); where they did
/// not, the point tells nothing about the derivative.
pub fn finite_difference_settling(
    graph: &Graph,
    root: ExprId,
    wrt: SymbolId,
    env: &Env,
    jacobian: bool,
) -> Result<(Matrix, bool)> {
    let mut settled = true;
    let base = match (env.values.get(&wrt), graph.definition_value(wrt)) {
        (Some(value), _) => value.clone(),
        // A definition is perturbed as a variable of its own, its inputs fixed.
        (None, Some(definition)) => evaluate(graph, definition, env)?,
        (None, None) => return Err(Error::bare(ErrorKind::Evaluation, "the variable has no value")),
    };
    let symmetric = graph.symbol(wrt).role == (Role::Input { symmetric: true });
    let value = evaluate(graph, root, env)?;
    let outputs = value.data.len();
    // The Jacobian's rows and columns are the entries in vec order
    // (column-major); values are stored row by row.
    let vec_index = |rows: usize, cols: usize, k: usize| (k % cols) * rows + k / cols;
    let entries = base.data.len();
    // With respect to a symmetric S, the Jacobian's columns are vech(S):
    // the lower triangle stacked by columns, each perturbed with its mirror.
    let columns = if symmetric { base.rows * (base.rows + 1) / 2 } else { entries };
    let column_of = |k: usize| {
        let (i, j) = (k / base.cols, k % base.cols);
        if symmetric {
            crate::eval::vech_index(base.rows, i.max(j), i.min(j))
        } else {
            vec_index(base.rows, base.cols, k)
        }
    };
    let mut result =
        if jacobian { Matrix::filled(outputs, columns, 0.0) } else { Matrix::filled(base.rows, base.cols, 0.0) };
    let mut env = env.clone();
    let at = |env: &mut Env, k: usize, step: f64| -> Result<Vec<f64>> {
        let mut x = base.clone();
        x.data[k] += step;
        if symmetric {
            let (i, j) = (k / base.cols, k % base.cols);
            if i != j {
                x.data[j * base.cols + i] += step;
            }
        }
        env.values.insert(wrt, x);
        Ok(evaluate(graph, root, env)?.data)
    };
    for k in 0..entries {
        if symmetric && k / base.cols > k % base.cols {
            continue;
        }
        let mut central = |step: f64| -> Result<Vec<f64>> {
            let plus = at(&mut env, k, step)?;
            let minus = at(&mut env, k, -step)?;
            Ok(plus.iter().zip(&minus).map(|(p, m)| (p - m) / (2.0 * step)).collect())
        };
        let mut richardson = |h: f64| -> Result<Vec<f64>> {
            let d1 = central(h)?;
            let d2 = central(h / 2.0)?;
            let d4 = central(h / 4.0)?;
            // Two rounds of Richardson extrapolation: error O(h^6).
            let r1: Vec<f64> = d1.iter().zip(&d2).map(|(a, b)| (4.0 * b - a) / 3.0).collect();
            let r2: Vec<f64> = d2.iter().zip(&d4).map(|(a, b)| (4.0 * b - a) / 3.0).collect();
            Ok(r1.iter().zip(&r2).map(|(a, b)| (16.0 * b - a) / 15.0).collect())
        };
        // Shrink the step until two estimates agree (fast-varying functions
        // need small steps; smooth ones stop at once).
        // Estimates at shrinking steps; the answer is where two successive
        // estimates agree best (too coarse: truncation error; too fine:
        // rounding noise). Smooth functions agree at once and stop early.
        let mut h = 1e-3 * base.data[k].abs().max(1.0);
        let mut previous = richardson(h)?;
        let mut d = previous.clone();
        let mut best_change = f64::INFINITY;
        // Three refinements at most: below h ≈ 2e-6 rounding makes the
        // estimates meaningless (and at the extreme identical, so falsely agreeing).
        for _ in 0..3 {
            h /= 8.0;
            let finer = richardson(h)?;
            let scale = finer.iter().fold(1e-12f64, |m, x| m.max(x.abs()));
            let change = previous.iter().zip(&finer).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            if change < best_change {
                best_change = change;
                d = finer.clone();
            }
            if change <= 1e-9 * scale {
                break;
            }
            previous = finer;
        }
        let scale = d.iter().fold(1e-8f64, |m, x| m.max(x.abs()));
        if best_change > UNSETTLED * scale {
            settled = false;
        }
        if jacobian {
            let column = column_of(k);
            for (output, slope) in d.iter().enumerate() {
                result.data[vec_index(value.rows, value.cols, output) * columns + column] = *slope;
            }
        } else {
            let (i, j) = (k / base.cols, k % base.cols);
            if symmetric && i != j {
                // d/dt f(X + t(E_ij + E_ji)) = G_ij + G_ji = 2 G_ij for symmetric G.
                result.data[k] = d[0] / 2.0;
                result.data[j * base.cols + i] = d[0] / 2.0;
            } else {
                result.data[k] = d[0];
            }
        }
    }
    Ok((result, settled))
}
