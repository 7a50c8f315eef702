//! The elementwise functions' numeric values and derivatives, one pair per
//! table entry of [`super::BUILTINS`]: `value` is f at one entry (for the
//! evaluator), `derivative` builds f'(b) in the graph, written with the
//! functions themselves so that it can be differentiated again.

use crate::coeff;
use crate::ir::{ExprId, Func, Graph};

/// The logistic function, to full relative precision in both tails and
/// without overflow: e^(−|x|) is at most 1. (Written as tanh, σ(−40) was
/// exactly 0, so e^40 σ(−40) evaluated to 0 instead of 1.)
pub fn sigmoid(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    if x >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// -1, 0 or 1.
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// x σ(x).
pub fn swish(x: f64) -> f64 {
    x * sigmoid(x)
}

/// max(0, x).
pub fn relu(x: f64) -> f64 {
    x.max(0.0)
}

/// 1 where x > 0, else 0.
pub fn step(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// log(1 + e^x), without overflow for large x.
pub fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x
    } else {
        x.exp().ln_1p()
    }
}

/// The error function 2/√π ∫₀ˣ e^(−t²) dt, from its series of positive
/// terms e^(−x²) Σ (2x²)ⁿ x / (1·3·…·(2n+1)) (no cancellation; about x² + 40
/// terms), and ±1 where |x| ≥ 6 (erfc(6) < 10⁻¹⁶).
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x.abs() >= 6.0 {
        return x.signum();
    }
    let two_x2 = 2.0 * x * x;
    let mut term = x;
    let mut total = x;
    let mut n = 0.0;
    while term.abs() > total.abs() * 1e-17 {
        n += 1.0;
        term *= two_x2 / (2.0 * n + 1.0);
        total += term;
    }
    std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp() * total
}

/// The exact GELU x Φ(x) = x/2 (1 + erf(x/√2)).
pub fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + erf(x * std::f64::consts::FRAC_1_SQRT_2))
}

/// exp' = exp.
pub fn d_exp(g: &mut Graph, b: ExprId) -> ExprId {
    g.apply(Func::Exp, b)
}

/// log'(b) = b^-1.
pub fn d_log(g: &mut Graph, b: ExprId) -> ExprId {
    g.powc(b, coeff::int(-1))
}

/// sin' = cos.
pub fn d_sin(g: &mut Graph, b: ExprId) -> ExprId {
    g.apply(Func::Cos, b)
}

/// cos' = -sin.
pub fn d_cos(g: &mut Graph, b: ExprId) -> ExprId {
    let s = g.apply(Func::Sin, b);
    g.neg(s)
}

/// tan' = 1 + tan².
pub fn d_tan(g: &mut Graph, b: ExprId) -> ExprId {
    let one = g.int(1);
    let t = g.apply(Func::Tan, b);
    let t2 = g.powc(t, coeff::int(2));
    g.add(vec![one, t2])
}

/// tanh' = 1 - tanh².
pub fn d_tanh(g: &mut Graph, b: ExprId) -> ExprId {
    let one = g.int(1);
    let t = g.apply(Func::Tanh, b);
    let t2 = g.powc(t, coeff::int(2));
    g.sub(one, t2)
}

/// (1 - b²)^(-1/2), arcsin' (and minus arccos').
fn inverse_root_of_one_minus_square(g: &mut Graph, b: ExprId) -> ExprId {
    let one = g.int(1);
    let b2 = g.powc(b, coeff::int(2));
    let d = g.sub(one, b2);
    g.powc(d, coeff::ratio(-1, 2))
}

/// arcsin'(b) = (1 - b²)^(-1/2).
pub fn d_arcsin(g: &mut Graph, b: ExprId) -> ExprId {
    inverse_root_of_one_minus_square(g, b)
}

/// arccos'(b) = -(1 - b²)^(-1/2).
pub fn d_arccos(g: &mut Graph, b: ExprId) -> ExprId {
    let r = inverse_root_of_one_minus_square(g, b);
    g.neg(r)
}

/// arctan'(b) = (1 + b²)^-1.
pub fn d_arctan(g: &mut Graph, b: ExprId) -> ExprId {
    let one = g.int(1);
    let b2 = g.powc(b, coeff::int(2));
    let d = g.add(vec![one, b2]);
    g.powc(d, coeff::int(-1))
}

/// sqrt'(b) = 1/2 sqrt(b)^-1.
pub fn d_sqrt(g: &mut Graph, b: ExprId) -> ExprId {
    let s = g.apply(Func::Sqrt, b);
    let inv = g.powc(s, coeff::int(-1));
    g.scale(coeff::ratio(1, 2), inv)
}

/// abs' = sign.
pub fn d_abs(g: &mut Graph, b: ExprId) -> ExprId {
    g.apply(Func::Sign, b)
}

/// sign' = step' = 0 (almost everywhere).
pub fn d_constant(g: &mut Graph, b: ExprId) -> ExprId {
    g.zero(g.shape(b))
}

/// relu' = step.
pub fn d_relu(g: &mut Graph, b: ExprId) -> ExprId {
    g.apply(Func::Step, b)
}

/// σ' = σ ⊙ (1 - σ).
pub fn d_sigmoid(g: &mut Graph, b: ExprId) -> ExprId {
    let one = g.int(1);
    let s = g.apply(Func::Sigmoid, b);
    let complement = g.sub(one, s);
    g.hadamard(vec![s, complement])
}

/// swish'(b) = σ(b) ⊙ (1 + b ⊙ (1 − σ(b))).
pub fn d_swish(g: &mut Graph, b: ExprId) -> ExprId {
    let one = g.int(1);
    let s = g.apply(Func::Sigmoid, b);
    let complement = g.sub(one, s);
    let inner = g.hadamard(vec![b, complement]);
    let bracket = g.add(vec![one, inner]);
    g.hadamard(vec![s, bracket])
}

/// softplus' = σ.
pub fn d_softplus(g: &mut Graph, b: ExprId) -> ExprId {
    g.apply(Func::Sigmoid, b)
}

/// erf'(b) = 2/√π e^(−b²), with π = 4 arctan(1) (the language has exact
/// rationals and no π), so 2/√π = arctan(1)^(−1/2).
pub fn d_erf(g: &mut Graph, b: ExprId) -> ExprId {
    let one = g.int(1);
    let quarter_pi = g.apply(Func::Arctan, one);
    let factor = g.powc(quarter_pi, coeff::ratio(-1, 2));
    let square = g.powc(b, coeff::int(2));
    let minus_square = g.neg(square);
    let gauss = g.apply(Func::Exp, minus_square);
    g.mul(vec![factor, gauss])
}

/// gelu'(b) = Φ(b) + b φ(b) = 1/2 (1 + erf(b/√2)) + b e^(−b²/2)/√(2π), with
/// √(2π) = 2^(3/2) arctan(1)^(1/2).
pub fn d_gelu(g: &mut Graph, b: ExprId) -> ExprId {
    let two = g.int(2);
    let inverse_root_two = g.powc(two, coeff::ratio(-1, 2));
    let u = g.mul(vec![inverse_root_two, b]);
    let one = g.int(1);
    let e = g.apply(Func::Erf, u);
    let bracket = g.add(vec![one, e]);
    let cdf = g.scale(coeff::ratio(1, 2), bracket);
    let quarter_pi = g.apply(Func::Arctan, one);
    let inverse_root_quarter_pi = g.powc(quarter_pi, coeff::ratio(-1, 2));
    let inverse_root_eight = g.powc(two, coeff::ratio(-3, 2));
    let square = g.powc(b, coeff::int(2));
    let minus_half_square = g.scale(coeff::ratio(-1, 2), square);
    let gauss = g.apply(Func::Exp, minus_half_square);
    let density = g.mul(vec![inverse_root_eight, inverse_root_quarter_pi, gauss]);
    let second = g.hadamard(vec![b, density]);
    g.add(vec![cdf, second])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_keeps_its_relative_precision_in_both_tails() {
        for x in [-700.0, -40.0, -1.0, 0.0, 1.0, 40.0, 700.0] {
            let exact = 1.0 / (1.0 + f64::exp(-x));
            assert!((sigmoid(x) - exact).abs() <= 1e-15 * exact, "{x}");
        }
        // e^40 σ(−40) = 1 − σ(40), which is close to 1.
        assert!((f64::exp(40.0) * sigmoid(-40.0) - 1.0).abs() < 1e-15);
        assert!(sigmoid(f64::NEG_INFINITY) == 0.0 && sigmoid(f64::INFINITY) == 1.0);
    }

    #[test]
    fn erf_matches_tabulated_values() {
        // Values to 16 digits (Abramowitz and Stegun's table, extended).
        let table = [
            (0.0, 0.0),
            (0.1, 0.1124629160182849),
            (0.5, 0.5204998778130465),
            (1.0, 0.8427007929497149),
            (2.0, 0.9953222650189527),
            (3.0, 0.9999779095030014),
            (4.5, 0.9999999998033839),
            (7.0, 1.0),
        ];
        for (x, want) in table {
            for (x, want) in [(x, want), (-x, -want)] {
                let got = erf(x);
                assert!((got - want).abs() <= 4.0 * f64::EPSILON * (1.0 + want.abs()), "erf({x}) = {got}, want {want}");
            }
        }
        assert!(erf(f64::NAN).is_nan());
    }

    #[test]
    fn gelu_is_x_times_the_normal_cdf() {
        assert_eq!(gelu(0.0), 0.0);
        assert!((gelu(1.0) - 0.8413447460685429).abs() < 1e-15);
        assert!((gelu(-1.0) + 0.15865525393145707).abs() < 1e-15);
        assert!(gelu(-40.0).abs() < 1e-300 && gelu(40.0) == 40.0);
    }
}
