//! The native rule `sign-into-difference`: a leading minus is absorbed into
//! a difference among the factors it scales (`-S^-1 (x - mu)` is
//! `S^-1 (mu - x)`), where the minus would be written as a sign of its own:
//! at the root of a result, and in a sum whose terms are all negative
//! (`-A (x - y) - b` is `A (y - x) - b`). Inside a sum with a positive term
//! a negative term's minus is the sum's operator and costs nothing, so
//! there the rule does not apply (a common factor `x - y` stays common).
//! A rewrite is kept only when it reads shorter, and never negates a sum
//! that is the value of one of the user's definitions (its name would be
//! lost).

use num_traits::Signed;

use crate::ir::{ExprId, Graph, Node};

use super::size::printed_size;

/// Terms larger than this are not measured (a rewrite is kept only if the
/// original is at most this long).
const MAX_MEASURED: usize = 10_000;

/// `id` with a leading minus absorbed into a difference, if that reads
/// shorter: a negated product (or sum) at the root, or one negative term of
/// a sum of negative terms.
pub fn sign_into_difference(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let candidate = match graph.node(id).clone() {
        Node::Scale(c, body) if c.is_negative() => {
            let negated = negate_a_difference(graph, body)?;
            graph.scale(-c, negated)
        }
        Node::Add(terms) if terms.iter().all(|t| is_negative(graph, *t)) => {
            let (i, positive) = terms.iter().enumerate().find_map(|(i, t)| {
                let Node::Scale(c, body) = graph.node(*t).clone() else { return None };
                let negated = negate_a_difference(graph, body)?;
                Some((i, graph.scale(-c, negated)))
            })?;
            let mut terms = terms.to_vec();
            terms[i] = positive;
            graph.add(terms)
        }
        _ => return None,
    };
    let before = printed_size(graph, id, MAX_MEASURED);
    (before <= MAX_MEASURED && printed_size(graph, candidate, MAX_MEASURED) < before).then_some(candidate)
}

/// `-body`, written by negating one difference of `body`: `body` itself if
/// it is a sum, or its first sum factor (of a matrix, scalar or Hadamard
/// product) whose negation the constructors keep.
fn negate_a_difference(graph: &mut Graph, body: ExprId) -> Option<ExprId> {
    match graph.node(body).clone() {
        Node::Add(_) => negated_sum(graph, body),
        Node::Mul(factors) | Node::Hadamard(factors) => {
            let elementwise = matches!(graph.node(body), Node::Hadamard(_));
            let (i, negated) = factors.iter().enumerate().find_map(|(i, f)| Some((i, negated_sum(graph, *f)?)))?;
            let mut factors = factors.to_vec();
            factors[i] = negated;
            let product = if elementwise { graph.hadamard(factors) } else { graph.mul(factors) };
            // The constructors take a mostly negative sum's sign out again:
            // then nothing was absorbed.
            (!is_negative(graph, product)).then_some(product)
        }
        _ => None,
    }
}

/// The sum `sum` with every term negated, unless it is a definition's value
/// or its negation still starts with a minus.
fn negated_sum(graph: &mut Graph, sum: ExprId) -> Option<ExprId> {
    let Node::Add(terms) = graph.node(sum).clone() else { return None };
    if graph.definition_of(sum).is_some() {
        return None;
    }
    let negated: Vec<ExprId> = terms.iter().map(|t| graph.neg(*t)).collect();
    let negated = graph.add(negated);
    match graph.node(negated) {
        Node::Add(terms) if !terms.iter().all(|t| is_negative(graph, *t)) => Some(negated),
        _ => None,
    }
}

/// Whether `id` is written with a leading minus.
fn is_negative(graph: &Graph, id: ExprId) -> bool {
    match graph.node(id) {
        Node::Const(c) | Node::Scale(c, _) => c.is_negative(),
        _ => false,
    }
}
