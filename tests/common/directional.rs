//! Checking a differential numerically: an expression linear in a
//! direction symbol dX against the central differences of the function
//! along dX.

use matcalc::check::{near_kink, near_singular, random_env, relative_error_above, Rng, Sampling, SINGULAR_RATIO};
use matcalc::eval::{evaluate, evaluate_all, Env, Matrix};
use matcalc::{ExprId, Graph, SymbolId};

/// (F(X + h dX) − F(X − h dX)) / 2h, extrapolated (Richardson) from h and
/// h/2, at `env` (which holds the direction `direction` of `wrt`).
pub fn directional_difference(graph: &Graph, root: ExprId, wrt: SymbolId, direction: SymbolId, env: &Env) -> Matrix {
    let base = env.values[&wrt].clone();
    let dx = env.values[&direction].clone();
    let central = |h: f64| -> Matrix {
        let at = |sign: f64| {
            let mut env = env.clone();
            let moved = base.zip(&dx, |x, d| x + sign * h * d).expect("direction has the variable's shape");
            env.values.insert(wrt, moved);
            evaluate(graph, root, &env).expect("the function evaluates near the point")
        };
        let (plus, minus) = (at(1.0), at(-1.0));
        plus.zip(&minus, |p, m| (p - m) / (2.0 * h)).expect("same shapes")
    };
    let (coarse, fine) = (central(1e-3), central(5e-4));
    fine.zip(&coarse, |f, c| (4.0 * f - c) / 3.0).expect("same shapes")
}

/// The largest relative error of `candidate` (an expression linear in the
/// direction) against the central differences of `root` at random points
/// (several tried; kinks, singular matrices and huge values skipped), and
/// the number of points compared.
pub fn compare(graph: &Graph, root: ExprId, wrt: SymbolId, direction: SymbolId, candidate: ExprId) -> (f64, usize) {
    let mut rng = Rng::new(11);
    let (mut worst, mut points) = (0.0f64, 0);
    for attempt in 0..40 {
        if points == 4 {
            break;
        }
        let sampling = if attempt % 2 == 0 { Sampling::Mixed } else { Sampling::Positive };
        let env = random_env(graph, &mut rng, sampling);
        let Ok(value) = evaluate(graph, root, &env) else { continue };
        if value.data.iter().any(|x| !x.is_finite())
            || near_kink(graph, root, &env, 1e-2)
            || near_singular(graph, root, &env, SINGULAR_RATIO)
        {
            continue;
        }
        let largest =
            evaluate_all(graph, root, &env).map_or(0.0, |all| all.values().fold(0.0f64, |m, v| m.max(v.max_abs())));
        if largest > 1e4 {
            continue;
        }
        let symbolic = evaluate(graph, candidate, &env).expect("the differential evaluates where the function does");
        let numeric = directional_difference(graph, root, wrt, direction, &env);
        if numeric.data.iter().any(|x| !x.is_finite()) {
            continue;
        }
        let noise = 1e-7 * largest.max(1.0);
        worst = worst.max(relative_error_above(&symbolic, &numeric, noise));
        points += 1;
    }
    (worst, points)
}
