//! `matcalc verify`: whether a claimed derivative equals matcalc's own.
//!
//! First symbolically: a claim that lowers to the same canonical node as
//! matcalc's answer, or that prints exactly as it, is correct. Otherwise
//! numerically: both are evaluated at random points (entries of both signs
//! and positive ones, of two scales, square matrices diagonally dominant
//! with diagonals of either sign, every named size drawn anew in 2..=5 at
//! each point) and compared entry by entry with a tolerance relative to the
//! magnitudes involved: [`RELATIVE_TOLERANCE`] of the larger entry, plus
//! the rounding the evaluation itself amplifies, measured by re-evaluating
//! with every intermediate value perturbed by [`PERTURBATION`] (relative).
//! A point counts only where the answer and the claim both evaluate
//! finitely and are not both exactly 0 (a claim undefined where the
//! function and the answer are defined is wrong; a formula that agrees only
//! where the function is defined, as `1 ./ abs(x)` for `sum(log(x))`, is
//! not the derivative's formula either); "correct" needs [`MIN_POINTS`]
//! compared points, else the verdict is "could not decide". So does a
//! term of the answer's or the claim's sum that is negligible beside the
//! others at every point (dropping it would change no digit): sampling goes
//! on at wider scales until each term has mattered at some point.

use crate::check::{bounds, random_point, PointKind, Rng, Sampling};
use crate::error::Result;
use crate::eval::{evaluate, evaluate_adjusted, Env, Matrix};
use crate::ir::{ExprId, Graph, Node};
use crate::{Analysis, Derivative};

/// Points compared before a numeric "correct" stops sampling.
pub const TARGET_POINTS: usize = 12;
/// Fewest compared points for a numeric "correct".
pub const MIN_POINTS: usize = 8;
/// Most random points tried.
pub const MAX_ATTEMPTS: usize = 60;
/// Sizes of named dimensions at the random points.
pub const SIZES: (usize, usize) = (2, 5);
/// Relative difference of two entries above which (beyond measured
/// rounding) they differ.
pub const RELATIVE_TOLERANCE: f64 = 1e-11;
/// Relative perturbation of every intermediate value used to measure the
/// rounding an evaluation amplifies (far above rounding itself, 1e-16).
pub const PERTURBATION: f64 = 1e-12;
/// Measured rounding, relative to the values' magnitude, above which a point
/// is too ill-conditioned to tell anything.
pub const ILL_CONDITIONED: f64 = 1e-6;
/// Entry scales of the points tried after the first `2 *`
/// [`TARGET_POINTS`], while a term has not yet mattered at any point.
pub const WIDER_SCALES: [f64; 5] = [3.0, 0.3, 0.03, 10.0, 0.01];

/// How `verify` decides.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Seed of the random points.
    pub seed: u64,
    /// Accept a claim with the same canonical form without evaluating it
    /// (off only to test the numeric comparison).
    pub symbolic: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { seed: 7, symbolic: true }
    }
}

/// What the random points showed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sampled {
    /// Points where claim and answer were compared.
    pub compared: usize,
    /// Of those, points where some input entry is negative.
    pub compared_mixed: usize,
    /// Points tried.
    pub attempts: usize,
    /// Points skipped because matcalc's answer is not finite there (or the
    /// claim is not, where the function is not).
    pub undefined: usize,
    /// Points skipped because rounding is amplified too much there.
    pub ill_conditioned: usize,
    /// Points skipped because the answer and the claim are both exactly 0
    /// there (nothing to compare).
    pub zero: usize,
    /// The distinct sizes of the named dimensions at the compared points.
    pub sizes: Vec<Vec<usize>>,
    /// The largest size of a named dimension tried: [`SIZES`]`.1`, or less
    /// where evaluating at that size would exceed the numeric work bounds.
    pub largest_size: usize,
    /// Terms of the answer's or the claim's sum too small beside the rest,
    /// at every compared point, for a change in them to show.
    pub unseen_terms: usize,
}

/// The verdict on a claim.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The claim has matcalc's answer's canonical form (or printed form).
    SameForm,
    /// The claim agrees with the answer at every compared point.
    Agrees(Sampled),
    /// The claim has another shape than the derivative.
    WrongShape {
        /// The claim's shape, as text.
        claim: String,
        /// The derivative's shape, as text.
        answer: String,
    },
    /// The claim differs from the answer at a point.
    Differs {
        /// The claim's value there.
        claim: Matrix,
        /// The answer's value there.
        answer: Matrix,
        /// The largest relative difference of an entry.
        relative_error: f64,
        /// The named sizes there, as `n = 3, m = 2`.
        sizes: String,
    },
    /// Too few points could be compared.
    Undecided(Sampled),
}

impl Verdict {
    /// `true` if the claim is correct.
    pub fn correct(&self) -> bool {
        matches!(self, Verdict::SameForm | Verdict::Agrees(_))
    }

    /// The verdict in words, one line each; `sized` if the program has
    /// named sizes (the random points then say how many they tried).
    pub fn describe(&self, sized: bool) -> Vec<String> {
        match self {
            Verdict::SameForm => vec!["correct: the claim is matcalc's answer (the same canonical form)".to_string()],
            Verdict::Agrees(sampled) => {
                let sizes = if sized {
                    format!(", {} size combinations in {}..={}", sampled.sizes.len(), SIZES.0, sampled.largest_size)
                } else {
                    String::new()
                };
                let signs = if sampled.compared_mixed > 0 {
                    format!("{} of them with entries of both signs", sampled.compared_mixed)
                } else {
                    "positive entries only: the function is not defined at the others".to_string()
                };
                vec![format!(
                    "correct: the claim equals matcalc's answer at {} random points ({signs}{sizes}; relative tolerance {RELATIVE_TOLERANCE:.0e} beyond measured rounding)",
                    sampled.compared
                )]
            }
            Verdict::WrongShape { claim, answer } => {
                vec![format!("wrong: the claim has shape {claim}, but the derivative has shape {answer}")]
            }
            Verdict::Differs { claim, answer, relative_error, sizes } => {
                let at = if sizes.is_empty() { String::new() } else { format!(" ({sizes})") };
                let first = if relative_error.is_finite() {
                    format!("wrong: at a random point{at} the claim and the derivative differ (relative error {relative_error:.2e})")
                } else {
                    format!("wrong: at a random point{at} the claim is not finite (or has another size), but the derivative is")
                };
                vec![first, format!("  claim:      {}", claim.compact()), format!("  derivative: {}", answer.compact())]
            }
            Verdict::Undecided(sampled) => {
                let mut reasons = Vec::new();
                if sampled.undefined > 0 {
                    reasons.push(format!(
                        "at {} the derivative (or the claim, where the function is undefined) is not finite",
                        sampled.undefined
                    ));
                }
                if sampled.zero > 0 {
                    reasons.push(format!("at {} both are exactly 0", sampled.zero));
                }
                if sampled.ill_conditioned > 0 {
                    reasons.push(format!("at {} rounding is amplified too much to compare", sampled.ill_conditioned));
                }
                if sampled.unseen_terms > 0 {
                    // Enough points compared, but some term never mattered.
                    return vec![format!(
                        "could not decide: the claim agrees at {} of {} random points, but at every one {} of the \
                         terms of the claim or the derivative is too small beside the others for an error in it to show",
                        sampled.compared, sampled.attempts, sampled.unseen_terms
                    )];
                }
                vec![format!(
                    "could not decide: the claim agrees at {} of {} random points, but {MIN_POINTS} are needed ({})",
                    sampled.compared,
                    sampled.attempts,
                    reasons.join("; ")
                )]
            }
        }
    }
}

/// A verdict on a claim with its reason in words and matcalc's own answer:
/// what `matcalc verify` prints.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, one line or more ([`Verdict::describe`]).
    pub reason: String,
    /// matcalc's derivative, as text.
    pub answer: String,
}

/// Where an error of [`verify_claim`] points: its span is in the program or
/// in the claim's text.
#[derive(Clone, Debug, PartialEq)]
pub enum ClaimError {
    /// An error in the program (or in differentiating it); spans refer to the program's source.
    Program(crate::Error),
    /// An error in the claim; spans refer to the claim's text.
    Claim(crate::Error),
}

/// Decides whether `claim` is the derivative of the value (or of the
/// definition `of`) of `analysis` with respect to `wrt`, as `matcalc
/// verify` does, with the reason and matcalc's own answer.
pub fn verify_claim(
    analysis: &mut Analysis,
    of: Option<&str>,
    wrt: &str,
    claim: &str,
) -> std::result::Result<Report, ClaimError> {
    let derivative = analysis.derivative(of, wrt).map_err(ClaimError::Program)?;
    bounds::bound_fixed_dimensions(analysis.graph(), Some(&analysis.program)).map_err(ClaimError::Program)?;
    let verdict = verify(analysis, &derivative, claim, &Options::default()).map_err(ClaimError::Claim)?;
    let reason = verdict.describe(!analysis.graph().dim_names().is_empty()).join("\n");
    let answer = analysis.print_one_line(derivative.result);
    Ok(Report { verdict, reason, answer })
}

/// Lowers `claim` into the program of `analysis` and decides whether it
/// equals `derivative` (see the module documentation). An error is about
/// the claim's text (an unknown name, a syntax or shape error) or a size
/// too large to evaluate.
pub fn verify(analysis: &mut Analysis, derivative: &Derivative, claim: &str, options: &Options) -> Result<Verdict> {
    let claimed = analysis.lower_claim(claim)?;
    let answer = derivative.result;
    let graph = analysis.graph_mut();
    // `0` stands for the zero of any shape.
    let zero_claim = graph.as_const(claimed).is_some_and(|c| crate::coeff::to_f64(c) == 0.0);
    let (want, got) = (graph.shape(answer), graph.shape(claimed));
    if want != got && !(got.is_scalar() && want.is_scalar()) && !zero_claim {
        return Ok(Verdict::WrongShape {
            claim: crate::print::shape_text(graph, got),
            answer: crate::print::shape_text(graph, want),
        });
    }
    if options.symbolic {
        let same = claimed == answer
            || graph.rename_definitions(claimed, None) == answer
            || (zero_claim && graph.is_zero(answer));
        // Read back, a printed answer may build another node of the same
        // printed form (a `t1 = …` block re-simplified): printed alike is
        // written alike.
        if same || analysis.print(claimed, crate::Format::Text) == analysis.print(answer, crate::Format::Text) {
            return Ok(Verdict::SameForm);
        }
    }
    let graph = analysis.graph();
    bounds::bound_fixed_dimensions(graph, None)?;
    largest_size(graph, derivative.of, answer, claimed)?;
    Ok(compare_at_random_points(graph, derivative.of, answer, claimed, zero_claim, options.seed))
}

/// The largest size of the named dimensions, in [`SIZES`], at which
/// comparing `claimed` with `answer` (the derivative of `function`) stays
/// within the numeric work bounds: per point the function once, answer and
/// claim three times each. An error if even the smallest size exceeds them.
fn largest_size(graph: &Graph, function: ExprId, answer: ExprId, claimed: ExprId) -> Result<usize> {
    let parts = [(function, 1.0), (answer, 3.0), (claimed, 3.0)].map(|(id, n)| (id, n * MAX_ATTEMPTS as f64));
    bounds::largest_affordable_size(graph, SIZES, "verifying", |_| parts.to_vec())
}

/// The numeric comparison of `claimed` with `answer` (the derivative of
/// `function`, all three in `graph`); `zero_claim` makes the claim the zero
/// of the answer's shape. Compared with itself, an answer is undecided
/// exactly where it cannot be evaluated well enough to decide anything.
pub fn compare_at_random_points(
    graph: &Graph,
    function: ExprId,
    answer: ExprId,
    claimed: ExprId,
    zero_claim: bool,
    seed: u64,
) -> Verdict {
    let mut rng = Rng::new(seed);
    let mut noise_rng = Rng::new(seed ^ 0x5DEE_CE66);
    let top = largest_size(graph, function, answer, claimed).unwrap_or(SIZES.0);
    let mut sampled = Sampled { largest_size: top, ..Sampled::default() };
    // A term of either sum that is negligible beside the others at every
    // point is not tested by them (dropping it changes no digit): sampling
    // goes on, at more scales, until each has mattered somewhere.
    let summands = |id: ExprId| match graph.node(id) {
        Node::Add(terms) => terms.to_vec(),
        _ => Vec::new(),
    };
    let mut unseen = summands(answer);
    if !zero_claim {
        unseen.extend(summands(claimed));
    }
    while (sampled.compared < TARGET_POINTS || !unseen.is_empty()) && sampled.attempts < MAX_ATTEMPTS {
        // Of every eight points: five of both signs, three positive; three
        // with entries ten times smaller (sums inside tanh or exp saturate
        // less); half with diagonals of either sign.
        let (sampling, signed_diagonal, scale) = match sampled.attempts % 8 {
            0 | 4 => (Sampling::Mixed, true, 1.0),
            1 => (Sampling::Mixed, false, 1.0),
            2 => (Sampling::Positive, false, 1.0),
            3 => (Sampling::Mixed, true, 0.1),
            5 => (Sampling::Mixed, false, 0.1),
            6 => (Sampling::Positive, false, 0.1),
            _ => (Sampling::Mixed, true, 1.0),
        };
        let scale = if sampled.attempts < 2 * TARGET_POINTS { scale } else { WIDER_SCALES[sampled.attempts % 5] };
        let kind = PointKind { sampling, sizes: (SIZES.0, top), signed_diagonal, scale };
        sampled.attempts += 1;
        let env = random_point(graph, &mut rng, kind);
        let defined = |id: ExprId| evaluate(graph, id, &env).ok().filter(all_finite);
        let Some(a) = defined(answer) else {
            sampled.undefined += 1;
            continue;
        };
        let b = if zero_claim && !graph.shape(answer).is_scalar() {
            Some(Matrix::filled(a.rows, a.cols, 0.0))
        } else {
            defined(claimed).filter(|b| b.rows == a.rows && b.cols == a.cols)
        };
        let Some(b) = b else {
            // Where the function and its derivative are defined, the claim
            // must be too; elsewhere the point tells nothing.
            if defined(function).is_none() {
                sampled.undefined += 1;
                continue;
            }
            let claim = evaluate(graph, claimed, &env).unwrap_or_else(|_| Matrix::filled(a.rows, a.cols, f64::NAN));
            return Verdict::Differs {
                claim,
                answer: a,
                relative_error: f64::INFINITY,
                sizes: sizes_text(graph, &env),
            };
        };
        let (Some(noise_a), Some(noise_b)) = (
            rounding(graph, answer, &env, &a, &mut noise_rng),
            if zero_claim { Some(vec![0.0; a.data.len()]) } else { rounding(graph, claimed, &env, &b, &mut noise_rng) },
        ) else {
            sampled.ill_conditioned += 1;
            continue;
        };
        let scale = a.max_abs().max(b.max_abs());
        if scale == 0.0 {
            // Both exactly 0 (a factor that underflowed, `1 - tanh(100)^2`):
            // the point cannot tell a claim from 1.01 times it.
            sampled.zero += 1;
            continue;
        }
        let noise: Vec<f64> = noise_a.iter().zip(&noise_b).map(|(x, y)| x + y).collect();
        if noise.iter().any(|n| *n > ILL_CONDITIONED * scale) {
            sampled.ill_conditioned += 1;
            continue;
        }
        let mut worst: f64 = 0.0;
        let mut differs = false;
        for ((x, y), n) in a.data.iter().zip(&b.data).zip(&noise) {
            let magnitude = x.abs().max(y.abs());
            let difference = (x - y).abs();
            if difference > RELATIVE_TOLERANCE * magnitude + 4.0 * n {
                differs = true;
            }
            if magnitude > 0.0 {
                worst = worst.max(difference / magnitude);
            }
        }
        if differs {
            return Verdict::Differs { claim: b, answer: a, relative_error: worst, sizes: sizes_text(graph, &env) };
        }
        let largest_noise = noise.iter().fold(0.0f64, |m, n| m.max(*n));
        let shows = 2.0 * (RELATIVE_TOLERANCE * scale + 4.0 * largest_noise);
        unseen.retain(|term| !evaluate(graph, *term, &env).is_ok_and(|t| !all_finite(&t) || t.max_abs() > shows));
        sampled.compared += 1;
        if env.values.values().any(|m| m.data.iter().any(|x| *x < 0.0)) {
            sampled.compared_mixed += 1;
        }
        if !sampled.sizes.contains(&env.dims) {
            sampled.sizes.push(env.dims.clone());
        }
    }
    sampled.unseen_terms = unseen.len();
    if sampled.compared >= MIN_POINTS && unseen.is_empty() {
        Verdict::Agrees(sampled)
    } else {
        Verdict::Undecided(sampled)
    }
}

fn all_finite(m: &Matrix) -> bool {
    m.data.iter().all(|x| x.is_finite())
}

/// Per entry, how far `id`'s value moves (the largest of two tries) when
/// every intermediate value is perturbed by [`PERTURBATION`]: an estimate of
/// the rounding the evaluation amplifies, far above the real one. `None`
/// if a perturbed evaluation is not finite. Exact integers (sizes,
/// exponents) are not perturbed.
fn rounding(graph: &Graph, id: ExprId, env: &Env, value: &Matrix, rng: &mut Rng) -> Option<Vec<f64>> {
    let mut spread = vec![0.0f64; value.data.len()];
    for _ in 0..2 {
        let mut perturb = |node: &Node, m: &mut Matrix| {
            if matches!(node, Node::Const(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_)) {
                return;
            }
            for x in m.data.iter_mut() {
                if x.fract() != 0.0 || x.abs() > 1e9 {
                    *x *= 1.0 + PERTURBATION * rng.uniform(-1.0, 1.0);
                }
            }
        };
        let moved = evaluate_adjusted(graph, id, env, &mut perturb).ok().filter(all_finite)?;
        if moved.data.len() != spread.len() {
            return None;
        }
        for ((s, x), y) in spread.iter_mut().zip(&moved.data).zip(&value.data) {
            *s = s.max((x - y).abs());
        }
    }
    Some(spread)
}

/// The named sizes of a point, as `n = 3, m = 2` (empty if there are none).
pub fn sizes_text(graph: &Graph, env: &Env) -> String {
    graph
        .dim_names()
        .iter()
        .zip(&env.dims)
        .map(|(name, size)| format!("{name} = {size}"))
        .collect::<Vec<_>>()
        .join(", ")
}
