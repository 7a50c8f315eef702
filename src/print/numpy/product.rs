//! A product of two factors as generated code: scalars scale, diagonal
//! matrices broadcast, inverses are solves, a column times a row is an
//! outer product, and a product with ones is a sum.

use crate::ir::{ExprId, Node};
use crate::shape::{Dim, Shape};

use super::Emitter;

impl Emitter<'_> {
    /// `left right`, with the shapes the two have in the product (a row is
    /// a 1-D array in NumPy): scalars scale, a diagonal matrix scales rows
    /// or columns, an inverse is applied by a solve where the plan says so,
    /// a column times a row is an outer product.
    pub(super) fn product(&mut self, left: ExprId, right: ExprId, (ls, rs): (Shape, Shape)) -> (String, u8) {
        if ls.is_scalar() || rs.is_scalar() {
            return (format!("{} * {}", self.expr(left, 2), self.expr(right, 2)), 1);
        }
        if let Some(applied) = self.kron_applied(left, right, rs) {
            return applied;
        }
        if let Some(v) = self.diagonal_of(left) {
            let v = self.expr(v, 4);
            let r = self.expr(right, 2);
            let text = if rs.cols == Dim::ONE { format!("{v} * {r}") } else { format!("{v}[:, None] * {r}") };
            return (text, 1);
        }
        if let Some(v) = self.diagonal_of(right) {
            return (format!("{} * {}", self.expr(left, 2), self.expr(v, 2)), 1);
        }
        if let Some(a) = self.solved_matrix(left) {
            if rs.cols == Dim::ONE {
                let (matrix, rhs) = (self.solved_orientation(a, false), self.norm(right));
                if let Some(column) = self.stacked_solve(matrix, rhs) {
                    return (column, 4);
                }
            }
            // The right side is written once (its solves nest: writing it
            // twice took time exponential in their depth).
            let (rhs, own) = self.expr_with_prec(right);
            if let Some(text) = self.factorised_solve((a, false), &bracketed(rhs.clone(), own, 4), rs.cols == Dim::ONE)
            {
                return (text, 4);
            }
            return (format!("np.linalg.solve({}, {rhs})", self.expr(a, 0)), 4);
        }
        if let Some(a) = self.solved_matrix(right) {
            // A row on the left is written once, as above.
            let mut row = None;
            if ls.rows == Dim::ONE {
                let (matrix, rhs) = (self.solved_orientation(a, true), self.norm(left));
                if let Some(column) = self.stacked_solve(matrix, rhs) {
                    return (column, 4);
                }
                let (text, own) = self.expr_with_prec(left);
                if let Some(solved) = self.factorised_solve(matrix, &bracketed(text.clone(), own, 4), true) {
                    return (solved, 4);
                }
                row = Some(text);
            }
            let transposed = self.flip(a, 0).unwrap_or(a);
            let a_t = if transposed == a { format!("{}.T", self.expr(a, 4)) } else { self.expr(transposed, 0) };
            let text = if let Some(row) = row {
                format!("np.linalg.solve({a_t}, {row})")
            } else {
                let left_t = self.flip(left, 0).map(|t| self.expr(t, 4));
                let left_t = left_t.unwrap_or_else(|| format!("{}.T", self.expr(left, 4)));
                let solved = self.solved_orientation(a, true);
                match self.factorised_solve(solved, &left_t, false) {
                    Some(text) => format!("{text}.T"),
                    None => format!("np.linalg.solve({a_t}, {left_t}).T"),
                }
            };
            return (text, 4);
        }
        // A product with ones is a sum: `M ones(k)` over each row, `ones(k)^T M` over each column.
        if matches!(self.graph.node(right), Node::Ones(_)) && rs.cols == Dim::ONE {
            let l = self.expr(left, 0);
            let axis = self.axis_keyword();
            return (if ls.rows == Dim::ONE { format!("np.sum({l})") } else { format!("np.sum({l}, {axis}=1)") }, 4);
        }
        if matches!(self.graph.node(left), Node::Ones(_)) && ls.rows == Dim::ONE {
            let r = self.expr(right, 0);
            let axis = self.axis_keyword();
            return (if rs.cols == Dim::ONE { format!("np.sum({r})") } else { format!("np.sum({r}, {axis}=0)") }, 4);
        }
        // `W^T v` as `v @ W`: the same product for NumPy, and XLA (JAX) would
        // copy `W.T` first.
        if let Node::Transpose(w) = self.graph.node(left).clone() {
            if rs.is_column() && !self.shape(w).is_row() && !self.shape(w).is_column() {
                return (format!("({} @ {})", self.expr(right, 4), self.expr(w, 4)), 4);
            }
        }
        let (l, r) = (self.expr(left, 4), self.expr(right, 4));
        if ls.cols == Dim::ONE && rs.rows == Dim::ONE {
            (format!("np.outer({l}, {r})"), 4)
        } else {
            (format!("({l} @ {r})"), 4)
        }
    }
}

/// `text` of precedence `own` in a context that needs `prec`: bracketed if looser.
pub(super) fn bracketed(text: String, own: u8, prec: u8) -> String {
    if own < prec {
        format!("({text})")
    } else {
        text
    }
}
