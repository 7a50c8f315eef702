//! Native rules on diagonal matrices: elementwise operations on matrices
//! that are diagonal by construction (`diag(v)`, inverses, products and
//! multiples of them, identities) are matrix operations, and their
//! diagonal is a vector written without `diag` twice.
//!
//! - `hadamard-of-diagonals`: D1 ⊙ D2 = D1 D2 (off the diagonal both
//!   sides are 0);
//! - `diagonal-of-diagonal`: diag(D) as the vector it is made of
//!   (diag(diag(x)⁻¹) = x .^ −1).
//!
//! Hessians of functions of `diag(x)` read through Kronecker products give
//! these forms (`2 ((diag(x)^-2) .* diag(x)^-1)` is `2 diag(x)^-3`).

use crate::coeff;
use crate::ir::{ExprId, Func, Graph, Node};

/// `true` if `x` is a square matrix diagonal by construction: `diag(v)`,
/// an identity, or an inverse, product or multiple of such matrices.
fn is_diagonal(graph: &Graph, x: ExprId) -> bool {
    if graph.shape(x).is_scalar() {
        return false;
    }
    match graph.node(x) {
        Node::Apply(Func::DiagMat, _) | Node::Identity(_) => true,
        Node::Inverse(d) | Node::Scale(_, d) => is_diagonal(graph, *d),
        Node::Mul(factors) => factors.iter().all(|f| graph.shape(*f).is_scalar() || is_diagonal(graph, *f)),
        _ => false,
    }
}

/// The rule `hadamard-of-diagonals`: a Hadamard product of diagonal
/// matrices (scalar factors aside) as their matrix product; `None`
/// otherwise.
pub fn hadamard_of_diagonals(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Hadamard(factors) = graph.node(id) else { return None };
    let factors = factors.to_vec();
    let matrices = factors.iter().filter(|f| !graph.shape(**f).is_scalar()).count();
    let diagonal = factors.iter().all(|f| graph.shape(*f).is_scalar() || is_diagonal(graph, *f));
    (matrices >= 2 && diagonal).then(|| graph.mul(factors))
}

/// The rule `diagonal-of-diagonal`: diag(D) for a diagonal matrix D, as
/// the vector D is made of; `None` otherwise.
pub fn diagonal_of_diagonal(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Apply(Func::DiagVec, d) = graph.node(id).clone() else { return None };
    if !is_diagonal(graph, d) {
        return None;
    }
    diagonal_vector(graph, d)
}

/// The diagonal of the diagonal matrix `d` (see [`is_diagonal`]), built
/// only once `is_diagonal` holds (else `None` before building anything).
fn diagonal_vector(graph: &mut Graph, d: ExprId) -> Option<ExprId> {
    Some(match graph.node(d).clone() {
        Node::Apply(Func::DiagMat, v) => v,
        Node::Identity(n) => graph.ones(crate::shape::Shape::column(n)),
        Node::Inverse(inner) => {
            let v = diagonal_vector(graph, inner)?;
            graph.powc(v, coeff::int(-1))
        }
        Node::Scale(c, inner) => {
            let v = diagonal_vector(graph, inner)?;
            graph.scale(c, v)
        }
        Node::Mul(factors) => {
            let mut parts = Vec::with_capacity(factors.len());
            for f in factors.iter() {
                parts.push(if graph.shape(*f).is_scalar() { *f } else { diagonal_vector(graph, *f)? });
            }
            graph.hadamard(parts)
        }
        _ => return None,
    })
}
