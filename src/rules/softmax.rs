//! The native rule `softmax-jacobian`: the softmax Jacobian applied to a
//! vector written as the textbook writes it. A vector sum with a term
//! `c (g^T p) p` (an inner product with `p` at one end, times `p`) and terms
//! that add up to `-c p ⊙ g` is `-c (diag(p) - p p^T) g`, since `p ⊙ g -
//! (g^T p) p = (diag(p) - p p^T) g`: so `a ⊙ (V r) - (r^T V^T a) a` is
//! `(diag(a) - a a^T) V r`, which writes `g` once instead of twice.
//!
//! The terms `-c p ⊙ g` are found by building `c p ⊙ g` through the
//! constructors (which may distribute it, `p ⊙ (p − y)` being `p .^ 2 − p ⊙
//! y` in some sums) and adding it to the other terms: it applies when that
//! sum has fewer terms than the other terms had, the identity holding
//! whatever cancelled. Kept only when the result reads shorter by
//! [`printed_size`] and has no more nodes as a tree (the measure the
//! simplifier's final check keeps a rewritten answer by). Bounded: at most
//! [`MAX_TERMS`] terms, each of at most [`MAX_TERM_SIZE`] nodes as a tree,
//! each inner product read at both ends.

use num_traits::One;

use crate::coeff::Coeff;
use crate::ir::{ExprId, Func, Graph, Node};

use super::size::printed_size;

/// Most terms of a sum looked at.
pub const MAX_TERMS: usize = 16;
/// Largest term (nodes written as a tree) read as `c (g^T p) p`.
pub const MAX_TERM_SIZE: usize = 256;
/// Sizes are compared up to this many symbols.
const MAX_COMPARED: usize = 4096;

/// The rule's function: `id` with a term `c (g^T p) p` and the terms equal
/// to `-c p ⊙ g` written as `-c (diag(p) - p p^T) g`, or `None` where that
/// does not apply or is not shorter.
pub fn softmax_jacobian(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Add(terms) = graph.node(id) else { return None };
    let shape = graph.shape(id);
    if terms.len() < 2 || terms.len() > MAX_TERMS || !shape.is_column() {
        return None;
    }
    let terms = terms.to_vec();
    let mut measured: Option<(usize, usize)> = None;
    let mut best: Option<(ExprId, usize)> = None;
    for (i, &term) in terms.iter().enumerate() {
        for (coeff, scalars, p, g) in readings(graph, term) {
            let others: Vec<ExprId> = terms.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, t)| *t).collect();
            let Some(candidate) = rewrite(graph, &others, &coeff, &scalars, p, g) else { continue };
            if graph.shape(candidate) != shape {
                continue;
            }
            let (before, nodes) = *measured
                .get_or_insert_with(|| (printed_size(graph, id, MAX_COMPARED), graph.tree_size(id, MAX_COMPARED)));
            let size = printed_size(graph, candidate, MAX_COMPARED);
            let shorter = size < before && best.is_none_or(|(_, s)| size < s);
            if shorter && graph.tree_size(candidate, MAX_COMPARED) <= nodes {
                best = Some((candidate, size));
            }
        }
    }
    best.map(|(b, _)| b)
}

/// The readings of `term` as `coeff · scalars · (g^T p) p`: its coefficient,
/// its other scalar factors, the vector `p` (its matrix chain) and the
/// vector `g`, once for each end of an inner product factor that is `p`.
fn readings(graph: &mut Graph, term: ExprId) -> Vec<(Coeff, Vec<ExprId>, ExprId, ExprId)> {
    let base = match graph.node(term) {
        Node::Scale(_, b) => *b,
        _ => term,
    };
    let Node::Mul(factors) = graph.node(base) else { return Vec::new() };
    // A reading needs an inner product (a scalar factor): most terms have none.
    if !factors.iter().any(|f| graph.is_inner_product(*f)) {
        return Vec::new();
    }
    let factors = factors.to_vec();
    let coeff = match graph.node(term) {
        Node::Scale(c, _) => c.clone(),
        _ => Coeff::one(),
    };
    let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) = factors.iter().partition(|f| graph.shape(**f).is_scalar());
    if chain.is_empty() {
        return Vec::new();
    }
    // Transposing a term walks it as a tree: only small terms are read.
    if !scalars.iter().any(|s| graph.is_inner_product(*s)) || graph.tree_size(term, MAX_TERM_SIZE) > MAX_TERM_SIZE {
        return Vec::new();
    }
    let p = graph.mul(chain.clone());
    let p_row = graph.transpose(p);
    let row_chain = chain_of(graph, p_row);
    let mut out = Vec::new();
    for (k, &s) in scalars.iter().enumerate() {
        if !graph.is_inner_product(s) {
            continue;
        }
        let inner = chain_of(graph, s);
        let rest: Vec<ExprId> = scalars.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, f)| *f).collect();
        // `... p`: g is the transpose of the rest; `p^T ...`: g is the rest.
        if inner.len() > chain.len() && inner.ends_with(&chain) {
            let row = graph.mul(inner[..inner.len() - chain.len()].to_vec());
            let g = graph.transpose(row);
            out.push((coeff.clone(), rest.clone(), p, g));
        }
        if inner.len() > row_chain.len() && inner.starts_with(&row_chain) {
            let g = graph.mul(inner[row_chain.len()..].to_vec());
            out.push((coeff.clone(), rest, p, g));
        }
    }
    out
}

/// The factors of a product, or the term itself as one factor.
fn chain_of(graph: &Graph, id: ExprId) -> Vec<ExprId> {
    match graph.node(id) {
        Node::Mul(factors) => factors.to_vec(),
        _ => vec![id],
    }
}

/// The sum of `others` and `coeff · scalars · (g^T p) p` rewritten, if
/// `coeff · scalars · p ⊙ g` cancels terms of `others`.
fn rewrite(
    graph: &mut Graph,
    others: &[ExprId],
    coeff: &Coeff,
    scalars: &[ExprId],
    p: ExprId,
    g: ExprId,
) -> Option<ExprId> {
    if graph.shape(g) != graph.shape(p) {
        return None;
    }
    let elementwise = graph.hadamard(vec![p, g]);
    let mut factors = scalars.to_vec();
    factors.push(elementwise);
    let elementwise = graph.mul(factors);
    let elementwise = graph.scale(coeff.clone(), elementwise);
    let mut remaining = others.to_vec();
    remaining.push(elementwise);
    let remaining = graph.add(remaining);
    let count = match graph.node(remaining) {
        Node::Add(t) => t.len(),
        _ if graph.is_zero(remaining) => 0,
        _ => 1,
    };
    if count >= others.len() {
        return None;
    }
    // (diag(p) - p p^T) g, with the term's scalars and the opposite sign.
    let jacobian = softmax_jacobian_of(graph, p);
    let mut factors = scalars.to_vec();
    factors.extend([jacobian, g]);
    let applied = graph.mul(factors);
    let applied = graph.scale(-coeff.clone(), applied);
    Some(graph.add(vec![remaining, applied]))
}

/// The rule `log-softmax-jacobian`'s function: in a product, `diag(s .^ -1)
/// (diag(s) - s s^T)` (the Jacobian of `log(s)` times that of the softmax
/// `s`) is `I - ones s^T`, or `None` where no two adjacent factors are so.
pub fn log_softmax_jacobian(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Mul(factors) = graph.node(id) else { return None };
    let diagonal = |f: &ExprId| matches!(graph.node(*f), Node::Apply(Func::DiagMat, _));
    if !factors[..factors.len().saturating_sub(1)].iter().any(diagonal) {
        return None;
    }
    let factors = factors.to_vec();
    for i in 0..factors.len().saturating_sub(1) {
        let Node::Apply(Func::DiagMat, reciprocal) = *graph.node(factors[i]) else { continue };
        let Node::Pow(s, e) = *graph.node(reciprocal) else { continue };
        if graph.as_const(e) != Some(&-Coeff::one()) || factors[i + 1] != softmax_jacobian_of(graph, s) {
            continue;
        }
        let n = graph.shape(s).rows;
        let identity = graph.identity(n);
        let ones = graph.ones(crate::shape::Shape::column(n));
        let s_row = graph.transpose(s);
        let outer = graph.mul(vec![ones, s_row]);
        let outer = graph.neg(outer);
        let replacement = graph.add(vec![identity, outer]);
        let mut rewritten = factors[..i].to_vec();
        rewritten.push(replacement);
        rewritten.extend_from_slice(&factors[i + 2..]);
        return Some(graph.mul(rewritten));
    }
    None
}

/// `diag(p) - p p^T`.
fn softmax_jacobian_of(graph: &mut Graph, p: ExprId) -> ExprId {
    let diagonal = graph.apply(Func::DiagMat, p);
    let p_row = graph.transpose(p);
    let outer = graph.mul(vec![p, p_row]);
    let outer = graph.neg(outer);
    graph.add(vec![diagonal, outer])
}
