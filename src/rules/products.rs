//! Two native rules on products, moved out of the product constructor
//! because their result depended on how the product was grouped (which
//! factors met first, whether a part was a definition's name):
//!
//! - `diagonal-into-vector`: in a matrix chain, `diag(u) v` is `u ⊙ v` and
//!   `v^T diag(u)` is `(v ⊙ u)^T`, where `v` is the neighbouring factor;
//! - `inner-product-as-sum`: an inner product of two factors one of which
//!   is a Hadamard product is the sum of the elementwise product of all
//!   their factors (`(s ⊙ x)^T y` is `sum(s ⊙ x ⊙ y)`), one form however
//!   the factors were split between the sides, and factors cancel
//!   (`(y ⊘ s)^T s` is `sum(y)`).
//!
//! The constructors keep the chain as written (flattened, so every
//! grouping of it is one node); the driver applies these to results.

use crate::ir::{ExprId, Func, Graph, Node};

/// The rule `diagonal-into-vector`: the product `id` with each diagonal
/// matrix next to a column (on its right) or a row (on its left) merged
/// into it as a Hadamard product, or `None` where no diagonal is.
pub fn diagonal_into_vector(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Mul(factors) = graph.node(id) else { return None };
    // Most products have no diagonal: nothing to merge, nothing copied.
    if !factors.iter().any(|f| matches!(graph.node(*f), Node::Apply(Func::DiagMat, _))) {
        return None;
    }
    let factors = factors.to_vec();
    // Scalar factors come first, then the chain.
    let split = factors.iter().position(|f| !graph.shape(*f).is_scalar()).unwrap_or(factors.len());
    let mut chain = factors[split..].to_vec();
    let mut changed = false;
    let mut i = 0;
    while i + 1 < chain.len() {
        let (a, b) = (chain[i], chain[i + 1]);
        let merged = match (graph.node(a).clone(), graph.node(b).clone()) {
            (Node::Apply(Func::DiagMat, u), _) if graph.shape(b).is_column() => Some(graph.hadamard(vec![u, b])),
            (_, Node::Apply(Func::DiagMat, u)) if graph.shape(a).is_row() => {
                let at = graph.transpose(a);
                let h = graph.hadamard(vec![at, u]);
                Some(graph.transpose(h))
            }
            _ => None,
        };
        match merged {
            Some(m) => {
                chain.splice(i..i + 2, [m]);
                changed = true;
                i = i.saturating_sub(1);
            }
            None => i += 1,
        }
    }
    if !changed {
        return None;
    }
    let mut all = factors[..split].to_vec();
    all.extend(chain);
    Some(graph.mul(all))
}

/// The rule `inner-product-as-sum`: the inner product `id` of two factors,
/// one of them a Hadamard product, as `sum(u ⊙ v)`; `None` otherwise.
pub fn inner_product_as_sum(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    if !graph.is_inner_product(id) {
        return None;
    }
    let Node::Mul(chain) = graph.node(id) else { return None };
    let &[first, v] = &chain[..] else { return None };
    // Told before transposing the row (a large term's transpose is costly):
    // a row is a Hadamard product when it is one of rows.
    if count(graph, first) + count(graph, v) <= 2 {
        return None;
    }
    let u = graph.transpose(first);
    if count(graph, u) + count(graph, v) <= 2 {
        return None;
    }
    let h = graph.hadamard(vec![u, v]);
    Some(graph.apply(Func::Sum, h))
}

/// The factors of `x` as a Hadamard product (a coefficient aside), 1 for
/// any other term.
fn count(graph: &Graph, x: ExprId) -> usize {
    let base = match graph.node(x) {
        Node::Scale(_, b) => *b,
        _ => x,
    };
    match graph.node(base) {
        Node::Hadamard(f) => f.len(),
        _ => 1,
    }
}
