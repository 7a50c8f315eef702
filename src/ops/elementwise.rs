//! The elementwise functions' numeric values and derivatives, one pair per
//! table entry of [`super::BUILTINS`]: `value` is f at one entry (for the
//! evaluator), `derivative` builds f'(b) in the graph, written with the
//! functions themselves so that it can be differentiated again.

use crate::coeff;
use crate::ir::{ExprId, Func, Graph};

/// The logistic function, as tanh (no overflow for large |x|).
pub fn sigmoid(x: f64) -> f64 {
    0.5 * (1.0 + (0.5 * x).tanh())
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
