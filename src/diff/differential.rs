//! The differential: one forward linearisation of an expression.
//!
//! For an expression F and a variable X, [`differential`] builds dF in the
//! graph, an expression linear in a fresh symbol dX of X's shape (the
//! direction, see [`direction`]): d(A + B) = dA + dB, d(A B) = dA B + A dB,
//! d(Aᵀ) = dAᵀ, d(A⁻¹) = −A⁻¹ dA A⁻¹, d f(A) = f'(A) ⊙ dA for an
//! elementwise f, and for a scalar function of a whole argument
//! dy = ⟨G, dA⟩ with G its gradient, read from the operator table's adjoint
//! (d det(A) = det(A) tr(A⁻¹ dA), d logdet(A) = tr(A⁻¹ dA)). The linear
//! functions (`tr`, `sum`, `diag`) are applied to dA itself, and softmax,
//! whose Jacobian is symmetric, takes its adjoint step on dA.
//!
//! One visit per node in increasing id order (children first), memoised,
//! so dF is linear in the graph's size (a k-layer residual net's
//! differential has O(k) nodes). Forward mode reads every Jacobian off it
//! (`kronecker.rs`; with respect to a scalar, dF at dX = 1 is the
//! derivative itself); reverse mode and `--steps` (in `diff.rs` and
//! `steps.rs` today) are still to be read from it.

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{ExprId, FastMap, Func, Graph, Node, Role, Symbol, SymbolId};
use crate::ops;

use super::{budgeted, check_budget, check_variable, dependence, elementwise_derivative, power_derivative};

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
/// yet is an [`ErrorKind::Differentiation`] error.
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
/// of the children that depend on the variable).
pub(crate) fn tangent_of(g: &mut Graph, node: ExprId, tangents: &FastMap<ExprId, ExprId>) -> Result<ExprId> {
    let d = |x: &ExprId| tangents.get(x).copied();
    let shape = g.shape(node);
    Ok(match g.node(node).clone() {
        Node::Const(_)
        | Node::Identity(_)
        | Node::Ones(_)
        | Node::Zero(_)
        | Node::Commutation(..)
        | Node::Duplication(_) => g.zero(shape),
        Node::Kron(a, b) => {
            let mut parts = Vec::new();
            if let Some(da) = d(&a) {
                parts.push(g.kron(da, b));
            }
            if let Some(db) = d(&b) {
                parts.push(g.kron(a, db));
            }
            g.add(parts)
        }
        Node::Var(s) => match g.definition_value(s).and_then(|v| d(&v)) {
            Some(dv) => dv,
            None => g.zero(shape),
        },
        Node::Add(terms) => {
            let parts: Vec<ExprId> = terms.iter().filter_map(d).collect();
            let sum = g.add(parts);
            broadcast(g, sum, shape)
        }
        Node::Scale(c, b) => {
            let Some(db) = d(&b) else { return Ok(g.zero(shape)) };
            g.scale(c, db)
        }
        Node::Mul(factors) => {
            let sum = product_rule(g, &factors, &d, Graph::mul)?;
            broadcast(g, sum, shape)
        }
        Node::Hadamard(factors) => {
            let sum = product_rule(g, &factors, &d, Graph::hadamard)?;
            broadcast(g, sum, shape)
        }
        Node::Pow(base, exponent) => {
            let mut parts = Vec::new();
            if let Some(db) = d(&base) {
                let local = power_derivative(g, base, exponent);
                parts.push(g.hadamard(vec![local, db]));
            }
            if let Some(de) = d(&exponent) {
                let log = g.apply(Func::Log, base);
                let local = g.hadamard(vec![node, log]);
                parts.push(g.mul(vec![de, local]));
            }
            let sum = g.add(parts);
            broadcast(g, sum, shape)
        }
        Node::Transpose(b) => {
            let Some(db) = d(&b) else { return Ok(g.zero(shape)) };
            g.transpose(db)
        }
        Node::Inverse(b) => {
            let Some(db) = d(&b) else { return Ok(g.zero(shape)) };
            let product = g.mul(vec![node, db, node]);
            g.neg(product)
        }
        Node::Apply(f, b) => {
            let Some(db) = d(&b) else { return Ok(g.zero(shape)) };
            apply_tangent(g, f, node, b, db)?
        }
        Node::Opaque(function, b) => {
            let Some(db) = d(&b) else { return Ok(g.zero(shape)) };
            let loss = g.definition_of(node).unwrap_or(function);
            let upstream = g.upstream(loss, function, b);
            g.inner(upstream, db)
        }
        Node::Upstream { loss, .. } => {
            return Err(Error::bare(
                ErrorKind::Differentiation,
                format!(
                "grad({}, …) depends on the variable through an opaque function, whose second derivative is unknown",
                g.symbol(loss).name
            ),
            ))
        }
    })
}

/// The product rule, for a matrix or an elementwise product of `factors`:
/// the sum over the factors that depend on the variable of the product
/// with that factor replaced by its differential.
fn product_rule(
    g: &mut Graph,
    factors: &[ExprId],
    d: &dyn Fn(&ExprId) -> Option<ExprId>,
    product: fn(&mut Graph, Vec<ExprId>) -> ExprId,
) -> Result<ExprId> {
    let mut parts = Vec::new();
    for (i, f) in factors.iter().enumerate() {
        let Some(df) = d(f) else { continue };
        check_budget(g)?;
        let mut replaced = factors.to_vec();
        replaced[i] = df;
        parts.push(product(g, replaced));
    }
    Ok(g.add(parts))
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

/// d f(b) for the node `y = f(b)` and the differential `db` of `b`.
fn apply_tangent(g: &mut Graph, f: Func, y: ExprId, b: ExprId, db: ExprId) -> Result<ExprId> {
    Ok(match (f, ops::of(f).derivative) {
        (_, Some(ops::Derivative::Entrywise(_))) => {
            let local = elementwise_derivative(g, f, b);
            g.hadamard(vec![local, db])
        }
        // Linear functions: their differential is the function of the change.
        (Func::Trace | Func::Sum | Func::DiagMat | Func::DiagVec | Func::Vec, _) => g.apply(f, db),
        // The Jacobian diag(s) − s sᵀ is symmetric: the adjoint step is the tangent step.
        (Func::Softmax, Some(ops::Derivative::Adjoint(adjoint))) => adjoint(g, y, b, db),
        // A scalar of a whole argument: dy = ⟨G, db⟩ with G the adjoint of a unit change of y.
        (_, Some(ops::Derivative::Adjoint(adjoint))) if g.shape(y).is_scalar() => {
            let one = g.int(1);
            let gradient = adjoint(g, y, b, one);
            g.inner(gradient, db)
        }
        _ => {
            return Err(Error::bare(
                ErrorKind::Differentiation,
                format!("matcalc has no differential of `{}` yet", f.name()),
            ))
        }
    })
}
