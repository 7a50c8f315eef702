//! The native rule `norm-of-square`: a squared norm under a square root,
//! or under a power that is an odd multiple of one half, is written with
//! the norm (the Frobenius norm of a matrix): `sqrt(tr(A A^T))` is
//! `norm(A)`, `sqrt(x^T x)` is `norm(x)`, `(x^T A^T A x)^(3/2)` is `norm(A
//! x)^3`, `sqrt(sum(A .^ 2))` and `sqrt(norm2(A))` are `norm(A)`.
//!
//! A squared norm is `norm2(v)`, `sum(v .^ 2)`, an inner product `u^T u`
//! (a chain whose first factors are the transpose of the rest) or the
//! trace of a product `B B^T` or `B^T B` (the same split of its chain).
//! Integer powers of a squared norm (`(x^T x)^2`) are left as written,
//! unless the norm itself is a factor of the same product (`sum(x .^ 2)
//! norm(x)` is `norm(x)^3`).

use num_integer::Integer;

use crate::coeff;
use crate::ir::{ExprId, Func, Graph, Node};

/// Largest squared norm (nodes written as a tree) looked into.
pub const MAX_SIZE: usize = 256;

/// The rule's function: `id` written with a norm, or `None` where it is not
/// the square root (or a half-integer power) of a squared norm.
pub fn norm_of_square(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    if let Node::Mul(factors) = graph.node(id) {
        // Most products have no norm among their factors: nothing copied.
        if !factors.iter().any(|f| norm_argument(graph, *f).is_some()) {
            return None;
        }
        let factors = factors.to_vec();
        return beside_its_norm(graph, &factors);
    }
    match graph.node(id).clone() {
        Node::Apply(Func::Sqrt, arg) => {
            let v = squared_norm_of(graph, arg)?;
            Some(graph.apply(Func::Norm, v))
        }
        Node::Pow(base, e) => {
            // An odd multiple of 1/2 (in lowest terms, a denominator of 2),
            // told before any arithmetic: most powers here are `.^ 2`.
            let c = graph.as_const(e)?;
            if !c.denom().is_even() || *c.denom() != num_bigint::BigInt::from(2) {
                return None;
            }
            let doubled = coeff::Coeff::from_integer(c.numer().clone());
            let v = squared_norm_of(graph, base)?;
            let norm = graph.apply(Func::Norm, v);
            Some(graph.powc(norm, doubled))
        }
        _ => None,
    }
}

/// The product of `factors` with a squared norm of `v` (or an integer power
/// of it) written as `norm(v)^2` where `norm(v)` is a factor too, so the
/// powers merge (`sum(x .^ 2) norm(x)` is `norm(x)^3`).
fn beside_its_norm(graph: &mut Graph, factors: &[ExprId]) -> Option<ExprId> {
    let normed: Vec<ExprId> = factors.iter().filter_map(|f| norm_argument(graph, *f)).collect();
    if normed.is_empty() {
        return None;
    }
    let mut changed = false;
    let mut rewritten = Vec::with_capacity(factors.len());
    for &f in factors {
        let (base, k) = match graph.node(f) {
            Node::Pow(b, e) => match graph.as_const(*e).and_then(coeff::to_i64) {
                Some(k) => (*b, k),
                None => (f, 1),
            },
            _ => (f, 1),
        };
        match squared_norm_of(graph, base) {
            Some(v) if graph.shape(f).is_scalar() && normed.contains(&v) => {
                let norm = graph.apply(Func::Norm, v);
                rewritten.push(graph.powc(norm, coeff::int(2 * k)));
                changed = true;
            }
            _ => rewritten.push(f),
        }
    }
    changed.then(|| graph.mul(rewritten))
}

/// `v` where the factor `f` is `norm(v)` or a power of it.
fn norm_argument(graph: &Graph, f: ExprId) -> Option<ExprId> {
    let base = match graph.node(f) {
        Node::Pow(b, _) => *b,
        _ => f,
    };
    match graph.node(base) {
        Node::Apply(Func::Norm, v) => Some(*v),
        _ => None,
    }
}

/// `v` where `id` is the squared norm of `v`.
fn squared_norm_of(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    // Splitting a chain transposes its parts, a walk of them as a tree.
    if graph.tree_size(id, MAX_SIZE) > MAX_SIZE {
        return None;
    }
    match graph.node(id).clone() {
        Node::Apply(Func::Norm2, v) => Some(v),
        Node::Apply(Func::Sum, arg) => match graph.node(arg).clone() {
            Node::Pow(v, e) if graph.as_const(e).is_some_and(|c| *c == coeff::int(2)) => Some(v),
            _ => None,
        },
        Node::Apply(Func::Trace, arg) => match graph.node(arg) {
            Node::Mul(_) => gram_factor(graph, arg),
            _ => None,
        },
        Node::Mul(_) if graph.is_inner_product(id) => gram_factor(graph, id),
        _ => None,
    }
}

/// `B` where the product `id` is `B^T B` (its chain split where the first
/// part is the transpose of the rest).
fn gram_factor(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Mul(chain) = graph.node(id) else { return None };
    let chain = chain.to_vec();
    if chain.iter().any(|f| graph.shape(*f).is_scalar()) {
        return None;
    }
    for i in 1..chain.len() {
        let left = graph.mul(chain[..i].to_vec());
        let right = graph.mul(chain[i..].to_vec());
        if graph.transpose(right) == left {
            return Some(right);
        }
    }
    None
}
