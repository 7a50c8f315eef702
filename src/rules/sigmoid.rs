//! The native rules of the logistic function.
//!
//! `sigmoid-exp-product`: the logistic function beside an
//! exponential of the same argument, as a chain rule through `log(1 +
//! exp(-u))` leaves it, is one sigmoid: `e^-u σ(u) = 1 − σ(u)` and `e^u (1 −
//! σ(u)) = σ(u)` (σ(u) = e^u / (1 + e^u)). Among the scalar factors of a
//! product, or the factors of an elementwise product, the two factors are
//! replaced by the one; the result is always shorter.
//!
//! `swish-derivative`: where the user named `h = swish(z)`, the derivative
//! `σ(z) ⊙ (1 + z ⊙ (1 − σ(z)))` the chain rule builds is written `h + σ(z)
//! ⊙ (1 − h)` (σ + zσ − zσ² = zσ + σ (1 − zσ)), which the user's name
//! makes shorter.

use crate::ir::{ExprId, Func, Graph, Node};

/// The rule's function: `id` with a factor `exp(-u)` and a factor
/// `sigmoid(u)` written as `1 - sigmoid(u)`, or `exp(u)` and `1 -
/// sigmoid(u)` as `sigmoid(u)`; `None` where no two factors are so.
pub fn sigmoid_exp_product(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let (factors, elementwise) = match graph.node(id) {
        Node::Mul(f) | Node::Hadamard(f) if !f.iter().any(|e| matches!(graph.node(*e), Node::Apply(Func::Exp, _))) => {
            return None
        }
        Node::Mul(f) => (f.to_vec(), false),
        Node::Hadamard(f) => (f.to_vec(), true),
        _ => return None,
    };
    let is_scalar = |graph: &Graph, f: ExprId| graph.shape(f).is_scalar();
    for (i, &e) in factors.iter().enumerate() {
        let Node::Apply(Func::Exp, arg) = *graph.node(e) else { continue };
        if !elementwise && !is_scalar(graph, e) {
            continue;
        }
        // e^-u σ(u) = 1 - σ(u), with -u = arg.
        let u = graph.neg(arg);
        let sigmoid_u = graph.apply(Func::Sigmoid, u);
        // e^u (1 - σ(u)) = σ(u), with u = arg.
        let sigmoid_arg = graph.apply(Func::Sigmoid, arg);
        let complement = one_minus(graph, sigmoid_arg);
        let found = factors.iter().enumerate().find_map(|(j, &f)| {
            if j == i {
                None
            } else if f == sigmoid_u {
                Some((j, None))
            } else if f == complement {
                Some((j, Some(sigmoid_arg)))
            } else {
                None
            }
        });
        let Some((j, replacement)) = found else { continue };
        let replacement = match replacement {
            Some(s) => s,
            None => one_minus(graph, sigmoid_u),
        };
        let mut rest: Vec<ExprId> =
            factors.iter().enumerate().filter(|(k, _)| *k != i && *k != j).map(|(_, f)| *f).collect();
        rest.push(replacement);
        return Some(if elementwise { graph.hadamard(rest) } else { graph.mul(rest) });
    }
    None
}

/// `1 - s`.
fn one_minus(graph: &mut Graph, s: ExprId) -> ExprId {
    let one = graph.int(1);
    let minus = graph.neg(s);
    graph.add(vec![one, minus])
}

/// The rule `swish-derivative`'s function: where the user named `h =
/// swish(z)`, the factors `sigmoid(z)` and `1 + z .* (1 - sigmoid(z))` of a
/// product (swish′(z)) are written `h + sigmoid(z) .* (1 - h)`; `None`
/// elsewhere.
pub fn swish_derivative(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let (factors, elementwise) = match graph.node(id) {
        Node::Mul(f) | Node::Hadamard(f)
            if !f.iter().any(|e| matches!(graph.node(*e), Node::Apply(Func::Sigmoid, _))) =>
        {
            return None
        }
        Node::Mul(f) => (f.to_vec(), false),
        Node::Hadamard(f) => (f.to_vec(), true),
        _ => return None,
    };
    for (i, &s) in factors.iter().enumerate() {
        let Node::Apply(Func::Sigmoid, z) = *graph.node(s) else { continue };
        if !elementwise && !graph.shape(s).is_scalar() {
            continue;
        }
        let swish = graph.apply(Func::Swish, z);
        if graph.definition_of(swish).is_none() {
            continue;
        }
        // 1 + z .* (1 - sigmoid(z)), as the chain rule builds it.
        let one = graph.int(1);
        let complement = one_minus(graph, s);
        let slope = graph.hadamard(vec![z, complement]);
        let derivative = graph.add(vec![one, slope]);
        let Some(j) = factors.iter().position(|&f| f == derivative) else { continue };
        let rest_of_h = one_minus(graph, swish);
        let part = graph.hadamard(vec![s, rest_of_h]);
        let replacement = graph.add(vec![swish, part]);
        let mut rest: Vec<ExprId> =
            factors.iter().enumerate().filter(|(k, _)| *k != i && *k != j).map(|(_, f)| *f).collect();
        rest.push(replacement);
        return Some(if elementwise { graph.hadamard(rest) } else { graph.mul(rest) });
    }
    None
}
