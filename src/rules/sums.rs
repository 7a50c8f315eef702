//! The native rule `merge-diagonals`: diagonal matrices in a sum are one
//! diagonal matrix (`a diag(u) + b diag(v)` is `diag(a u + b v)`). It was
//! part of the sum constructor, where its result depended on how the sum
//! was grouped (a bracket or a definition's name kept two diagonals apart);
//! the constructor now keeps the sum's terms as they are (flattened and
//! sorted, so every grouping of them is one node), and the driver applies
//! this to results. Each application leaves fewer terms in the sum, so
//! rewriting ends.

use crate::ir::{ExprId, Func, Graph, Node};

/// The rule `merge-diagonals`: the sum `id` with its diagonal matrices
/// (scaled or not) merged into one, or `None` where it has fewer than two.
pub fn merge_diagonals(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Add(terms) = graph.node(id) else { return None };
    let terms = terms.to_vec();
    let mut diagonals = Vec::new();
    let mut others = Vec::new();
    for t in terms {
        let (c, base) = graph.split_coeff(t);
        match graph.node(base).clone() {
            Node::Apply(Func::DiagMat, v) => diagonals.push(graph.scale(c, v)),
            _ => others.push(t),
        }
    }
    if diagonals.len() < 2 {
        return None;
    }
    let inner = graph.add(diagonals);
    others.push(graph.apply(Func::DiagMat, inner));
    Some(graph.add(others))
}
