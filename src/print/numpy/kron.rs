//! The Kronecker product and the commutation matrix in generated Python:
//! `np.kron` (vectors, 1-D, reshaped to 2-D where the product is a
//! matrix) and `K(m, n)` as the identity with its rows permuted.

use super::Emitter;
use crate::ir::ExprId;
use crate::shape::{Dim, Shape};

/// The dimensions a dimension's size is written with: a product's named
/// factors, any other dimension itself.
pub(super) fn named_factors(d: Dim) -> Vec<Dim> {
    match d {
        Dim::Product(p) => p.named().iter().map(|id| Dim::Named(*id)).collect(),
        other => vec![other],
    }
}

impl Emitter<'_> {
    /// `K(m, n)` (the node `id`): the rows of the identity permuted.
    pub(super) fn commutation(&mut self, id: ExprId, m: Dim, n: Dim) -> (String, u8) {
        let size = self.graph.shape(id).rows;
        let eye = format!("np.eye({}{})", self.dim(size), self.like());
        let (m, n) = (self.dim(m), self.dim(n));
        (format!("{}({eye}, {m}, {n})", self.helper("commutation")), 4)
    }

    /// `kron(a, b)` of the shape `shape`.
    pub(super) fn kron(&mut self, shape: Shape, a: ExprId, b: ExprId) -> (String, u8) {
        // Vectors are 1-D: a Kronecker product of two vectors of one
        // orientation is NumPy's of the 1-D arrays, any other needs them 2-D.
        let vector = shape.rows == Dim::ONE || shape.cols == Dim::ONE;
        let mut operand = |e: ExprId| {
            let s = self.shape(e);
            let text = self.expr(e, 0);
            match (vector, s.is_column(), s.is_row()) {
                (false, true, _) => format!("np.reshape({text}, (-1, 1))"),
                (false, _, true) => format!("np.reshape({text}, (1, -1))"),
                _ => text,
            }
        };
        let (a, b) = (operand(a), operand(b));
        (format!("np.kron({a}, {b})"), 4)
    }
}
