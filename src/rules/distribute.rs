//! The native rule `distribute-hadamard`: a Hadamard product with one sum
//! among its factors is distributed over the sum where that cancels
//! factors (`σ ⊙ (1 − σ) ⊙ (u ⊘ (1 − σ) − v ⊘ σ)` is `σ ⊙ u − (1 − σ) ⊙
//! v`). It was part of the Hadamard constructor, where its result depended
//! on which factors met first (`(a + b) ⊙ c` distributed on its own, but
//! not beside another sum); the constructor now keeps the product, and the
//! driver applies this to results. Each application lowers the count of
//! factors (integer powers counted with their exponent), so rewriting ends.

use crate::coeff;
use crate::ir::{ExprId, Graph, Node};

/// Most terms of a sum distributed over.
const MAX_TERMS: usize = 4;

/// The rule's function: the Hadamard product `id` distributed over its one
/// sum factor, or `None` where that cancels nothing.
pub fn distribute_hadamard(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Hadamard(factors) = graph.node(id) else { return None };
    let factors = factors.to_vec();
    // One sum at most: with two, the distributed terms would keep the
    // other, which could distribute again, term by term.
    let mut candidates = factors.iter().enumerate().filter(|(_, f)| distributable(graph, **f)).map(|(i, _)| i);
    let (Some(position), None) = (candidates.next(), candidates.next()) else { return None };
    let Node::Add(terms) = graph.node(factors[position]).clone() else { return None };
    let rest: Vec<ExprId> = factors.iter().enumerate().filter(|(i, _)| *i != position).map(|(_, f)| *f).collect();
    if !may_cancel(graph, &rest, &terms) {
        return None;
    }
    let before: usize = terms.iter().map(|t| rest.len() + count(graph, *t)).sum();
    let mut distributed = Vec::with_capacity(terms.len());
    let mut after = 0;
    for t in terms.iter() {
        let mut product = rest.clone();
        product.push(*t);
        let d = graph.hadamard(product);
        after += count(graph, d);
        distributed.push(d);
    }
    (after < before).then(|| graph.add(distributed))
}

/// A Hadamard factor the rule may distribute over: a sum of at most
/// [`MAX_TERMS`] non-scalar terms.
fn distributable(graph: &Graph, f: ExprId) -> bool {
    match graph.node(f) {
        Node::Add(terms) => terms.len() <= MAX_TERMS && terms.iter().all(|t| !graph.shape(*t).is_scalar()),
        _ => false,
    }
}

/// The factors `x` counts as (`p .^ 2` is two factors), so that merging
/// equal factors into a power is not a cancellation: `(p - y) .* p` stays,
/// `u ./ s .* (s + v)` distributes.
fn count(graph: &Graph, x: ExprId) -> usize {
    let base = match graph.node(x) {
        Node::Scale(_, b) => *b,
        _ => x,
    };
    match graph.node(base) {
        Node::Hadamard(f) => f.iter().map(|f| multiplicity(graph, *f)).sum(),
        Node::Const(_) | Node::Ones(_) => 0,
        _ => multiplicity(graph, base),
    }
}

/// How many factors `f` counts as in a product: an integer power of a
/// base its exponent's size (up to 64), any other factor one.
fn multiplicity(graph: &Graph, f: ExprId) -> usize {
    match graph.node(f) {
        Node::Pow(_, e) => graph
            .as_const(*e)
            .and_then(coeff::to_i64)
            .map_or(1, |k| usize::try_from(k.unsigned_abs().clamp(1, 64)).unwrap_or(64)),
        _ => 1,
    }
}

/// Whether distributing `rest` over `terms` could cancel a factor: only
/// the exponents of one base merging can lower the count, so some term
/// must share a base with `rest`. A mostly negative sum is flipped when
/// multiplied, so it may meet a sum of the other side under another id:
/// two sides with sums are not ruled out. A cheap test that spares the
/// trial products.
fn may_cancel(graph: &Graph, rest: &[ExprId], terms: &[ExprId]) -> bool {
    let mut rest_bases = Vec::new();
    for f in rest {
        hadamard_bases(graph, *f, &mut rest_bases);
    }
    let is_sum = |b: &ExprId| matches!(graph.node(*b), Node::Add(_));
    let rest_has_sum = rest_bases.iter().any(is_sum);
    let mut term_bases = Vec::new();
    terms.iter().any(|t| {
        term_bases.clear();
        hadamard_bases(graph, *t, &mut term_bases);
        term_bases.iter().any(|b| {
            rest_bases.contains(b)
                || (rest_has_sum && is_sum(b) && graph.mostly_negative(*b))
                || (is_sum(b) && rest_bases.iter().any(|r| is_sum(r) && graph.mostly_negative(*r)))
        })
    })
}

/// The bases whose exponents a Hadamard product of `f` merges: `f` without
/// its coefficient, each factor of a Hadamard product, a power with a
/// constant exponent by its base.
fn hadamard_bases(graph: &Graph, f: ExprId, out: &mut Vec<ExprId>) {
    match graph.node(f) {
        Node::Scale(_, b) => hadamard_bases(graph, *b, out),
        Node::Hadamard(children) => {
            for c in children.iter() {
                hadamard_bases(graph, *c, out);
            }
        }
        Node::Pow(b, e) if graph.as_const(*e).is_some() => out.push(*b),
        _ => out.push(f),
    }
}
