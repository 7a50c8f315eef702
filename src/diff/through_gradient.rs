//! Jacobians that forward mode cannot form, because the column passes
//! through a matrix that depends on the variable (`sin(x y^T) y` with
//! respect to `x`, `diag(beta X)` with respect to `beta`), formed from a
//! gradient instead. For a scratch direction `u` with the column's rows,
//! `∇ₓ(uᵀe) = Jᵀu`: reverse mode takes that gradient through any matrix,
//! and what it gives is linear in `u`, so its own Jacobian with respect to
//! `u` (for a scalar variable: its gradient) is `Jᵀ`. The direction leaves
//! no trace in the graph.

use super::{forward_only, reverse_gradient};
use crate::error::Result;
use crate::ir::{ExprId, Graph, Role, Symbol, SymbolId};
use crate::shape::Shape;

/// The scratch direction's name: not one the grammar reads, so it can
/// meet no name of the program.
const DIRECTION: &str = "(direction)";

/// The Jacobian of the column `e` with respect to `wrt` through the
/// gradient of `uᵀe`; `None` if the result is not free of `u` (it always
/// is when both steps succeed, since the gradient is linear in `u`).
pub(super) fn jacobian(graph: &mut Graph, e: ExprId, wrt: SymbolId) -> Result<Option<ExprId>> {
    let mark = graph.mark();
    let shape = Shape::column(graph.shape(e).rows);
    let direction =
        graph.add_symbol(Symbol { name: DIRECTION.to_string(), shape, role: Role::Input { symmetric: false } });
    match transposed_of_gradient(graph, e, wrt, direction) {
        Ok(j) => Ok(graph.keep_only_since(mark, j)),
        Err(error) => {
            graph.rollback(mark);
            Err(error)
        }
    }
}

/// `(∂/∂u ∇ₓ(uᵀe))ᵀ` for the direction `u`.
fn transposed_of_gradient(graph: &mut Graph, e: ExprId, wrt: SymbolId, direction: SymbolId) -> Result<ExprId> {
    let u = graph.var(direction);
    let ut = graph.transpose(u);
    let projected = graph.mul(vec![ut, e]);
    let gradient = reverse_gradient(graph, projected, wrt)?;
    let transposed = forward_only(graph, gradient, direction)?;
    Ok(graph.transpose(transposed))
}
