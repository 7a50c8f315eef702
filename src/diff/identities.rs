//! Matrix identities the Jacobian reader uses to keep a column's Jacobian
//! in matrix form: outer products `a bᵀ`.

use crate::ir::{ExprId, Graph, Node};

/// The columns `a`, `b` of a matrix written `a bᵀ` (scalar factors go
/// with `a`), if it is one.
pub(super) fn outer_factors(g: &mut Graph, m: ExprId) -> Option<(ExprId, ExprId)> {
    let Node::Mul(factors) = g.node(m).clone() else { return None };
    let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) = factors.iter().partition(|f| g.shape(**f).is_scalar());
    let [column, row] = chain[..] else { return None };
    if !g.shape(column).is_column() || !g.shape(row).is_row() {
        return None;
    }
    let mut a = scalars;
    a.push(column);
    let a = g.mul(a);
    Some((a, g.transpose(row)))
}
