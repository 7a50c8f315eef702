//! The differential: one forward linearisation of an expression.
//!
//! For an expression F and a variable X, [`differential`] builds dF in the
//! graph, an expression linear in a fresh symbol dX of X's shape (the
//! direction, see [`direction`]): each node's differential is the sum of
//! its children's local maps (`linear.rs`) applied to their differentials
//! (d(A + B) = dA + dB, d(A B) = dA B + A dB, d(Aᵀ) = dAᵀ,
//! d(A⁻¹) = −A⁻¹ dA A⁻¹, d f(A) = f'(A) ⊙ dA for an elementwise f, and for
//! a scalar function of a whole argument dy = ⟨G, dA⟩ with G its gradient,
//! read from the operator table's adjoint: d det(A) = det(A) tr(A⁻¹ dA)).
//!
//! One visit per node in increasing id order (children first), memoised,
//! so dF is linear in the graph's size (a k-layer residual net's
//! differential has O(k) nodes). Forward mode reads every Jacobian off it
//! (`kronecker.rs`; with respect to a scalar, dF at dX = 1 is the
//! derivative itself); `--steps --differential` expands it a rule a line
//! (`tangent_of`).

use crate::error::Result;
use crate::ir::{ExprId, FastMap, Graph, Role, Symbol, SymbolId};
use crate::ops;

use super::{budgeted, check_budget, check_variable, dependence, linear};

/// The direction symbol dX of the variable `wrt`: the one made before for
/// `wrt`, or a new input of its shape (symmetric if `wrt` is) named `d` and
/// the variable's name, or a fresh name (`dX_1`, `dX_2`, …) if the program
/// uses that name or it is a built-in's.
pub fn direction(graph: &mut Graph, wrt: SymbolId) -> SymbolId {
    if let Some(existing) = graph.direction_of(wrt) {
        return existing;
    }
    let variable = graph.symbol(wrt).clone();
    let free = |name: &str| graph.find_symbol(name).is_none() && !ops::is_builtin(name);
    let plain = format!("d{}", variable.name);
    let name = if free(&plain) {
        plain
    } else {
        (1..).map(|k| format!("d{}_{k}", variable.name)).find(|n| free(n)).unwrap_or_default()
    };
    let symmetric = matches!(variable.role, Role::Input { symmetric: true });
    let id = graph.add_symbol(Symbol { name, shape: variable.shape, role: Role::Input { symmetric } });
    graph.set_direction(wrt, id);
    id
}

/// dF for F = `root` with respect to the variable `wrt`, linear in the
/// direction symbol `direction` (from [`direction`]); zero of F's shape
/// where F does not depend on `wrt`. An operator without a differential
/// yet is an [`ErrorKind::Differentiation`](crate::error::ErrorKind::Differentiation) error.
pub fn differential(graph: &mut Graph, root: ExprId, wrt: SymbolId, direction: SymbolId) -> Result<ExprId> {
    budgeted(graph, |graph| {
        let d_target = graph.var(direction);
        linearize(graph, root, wrt, d_target)
    })
}

/// The derivative of `root` with respect to the scalar `wrt`: dF at dX = 1
/// (forward mode with a unit seed), of F's shape.
pub(super) fn unit_tangent(graph: &mut Graph, root: ExprId, wrt: SymbolId) -> Result<ExprId> {
    let one = graph.int(1);
    linearize(graph, root, wrt, one)
}

/// dF with the variable's own differential `d_target` (the direction dX, or
/// 1 for a scalar variable).
fn linearize(graph: &mut Graph, root: ExprId, wrt: SymbolId, d_target: ExprId) -> Result<ExprId> {
    check_variable(graph, wrt)?;
    let target = graph.var(wrt);
    let depends = dependence(graph, root, target);
    let mut order: Vec<ExprId> = depends.keys().copied().collect();
    order.sort_unstable();
    // The differential of every node that depends on the variable; any other
    // node's is zero, and is never built.
    let mut tangents: FastMap<ExprId, ExprId> = FastMap::default();
    for node in order {
        check_budget(graph)?;
        let tangent = if node == target { d_target } else { tangent_of(graph, node, &tangents)? };
        tangents.insert(node, tangent);
    }
    Ok(match tangents.get(&root) {
        Some(&d) => d,
        None => {
            let shape = graph.shape(root);
            graph.zero(shape)
        }
    })
}

/// The differential of `node` from its children's (`tangents` holds those
/// of the children that depend on the variable): the sum of each such
/// child's local map (`linear.rs`) applied to its differential, a scalar
/// sum spread over the node's shape; zero where no child has one.
pub(crate) fn tangent_of(g: &mut Graph, node: ExprId, tangents: &FastMap<ExprId, ExprId>) -> Result<ExprId> {
    let mut parts = Vec::new();
    linear::local_maps(g, node, &|c| tangents.contains_key(&c), &mut |g, child, map| {
        parts.push(map.apply(g, tangents[&child]));
        Ok(())
    })?;
    let shape = g.shape(node);
    let sum = match parts[..] {
        [] => return Ok(g.zero(shape)),
        [single] => single,
        _ => g.add(parts),
    };
    Ok(broadcast(g, sum, shape))
}

/// A scalar differential of an array-valued node (`X + c` with only `c`
/// depending on the variable) spread over the node's shape.
fn broadcast(g: &mut Graph, d: ExprId, shape: crate::shape::Shape) -> ExprId {
    if g.shape(d) == shape {
        return d;
    }
    let ones = g.ones(shape);
    g.mul(vec![d, ones])
}
