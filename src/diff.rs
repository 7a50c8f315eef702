//! Differentiation directly on the matrix graph.
//!
//! Every derivative comes from one linearisation: `linear.rs` states, for
//! each node kind, the linear map from each child's differential to its
//! part of the node's, in a small closed vocabulary of linear primitives.
//! Gradients of scalars use reverse mode: adjoints flow from the root to
//! the leaves in decreasing id order, each node sending its children its
//! adjoint through their maps' transposes, one visit per node, so the
//! result's graph is linear in the input's (for Y = A B: Ā += Ȳ Bᵀ,
//! B̄ += Aᵀ Ȳ). Jacobians use forward mode: they are read off the
//! differential (`differential.rs`, the maps applied node by node) by
//! `kronecker.rs`, which knows only the linear operators; Hessians are the
//! Jacobian of the gradient. `--steps` prints the reverse steps
//! ([`contributions`]). Every rule is checked against finite differences
//! in `tests/`.

use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::coeff;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{ExprId, FastMap, Graph, Role, SymbolId};

pub mod differential;
mod identities;
mod kronecker;

pub(crate) use kronecker::unconstrained_jacobian;
mod linear;

pub use linear::elementwise_derivative;
pub(crate) use linear::kron_adjoint;

/// Most work the derivative operators of one command may do together
/// (nodes built or looked up, weighted by their number of children, plus
/// nodes visited by dependence walks); beyond it differentiation stops with
/// an [`ErrorKind::Limit`] error instead of running for minutes (about
/// two seconds of work). The gradient of a 4096-layer residual network
/// takes about 225 000.
pub const MAX_DERIVATIVE_WORK: u64 = 5_000_000;

/// The derivative work budget in force (see [`set_derivative_work_limit`]).
static WORK_LIMIT: AtomicU64 = AtomicU64::new(MAX_DERIVATIVE_WORK);

/// Sets the derivative work budget of every command in this process
/// (default [`MAX_DERIVATIVE_WORK`]); a fuzzer that runs many commands per
/// input lowers it to keep each input fast.
pub fn set_derivative_work_limit(limit: u64) {
    WORK_LIMIT.store(limit, Ordering::Relaxed);
}

/// The derivative work budget in force.
pub fn derivative_work_limit() -> u64 {
    WORK_LIMIT.load(Ordering::Relaxed)
}

/// The error when the derivative work budget is spent.
fn over_budget() -> Error {
    Error::bare(ErrorKind::Limit, format!("the derivative needs more than {} steps of work", derivative_work_limit()))
        .with_help("nest fewer derivative operators, or differentiate smaller parts separately")
}

/// An error once the derivative work budget is spent.
fn check_budget(graph: &Graph) -> Result<()> {
    if graph.derivative_work() > derivative_work_limit() {
        return Err(over_budget());
    }
    Ok(())
}

/// Runs the derivative operator `work` with the graph marked as
/// differentiating (so its work counts), checking the budget after it.
fn budgeted(graph: &mut Graph, work: impl FnOnce(&mut Graph) -> Result<ExprId>) -> Result<ExprId> {
    check_budget(graph)?;
    graph.set_differentiating(true);
    let result = work(graph);
    graph.set_differentiating(false);
    let result = result?;
    check_budget(graph)?;
    Ok(result)
}

/// The gradient of the scalar `root` with respect to `wrt`, with the shape
/// of `wrt`. For a symmetric variable it is the symmetric part of the
/// unconstrained gradient.
pub fn gradient(graph: &mut Graph, root: ExprId, wrt: SymbolId) -> Result<ExprId> {
    budgeted(graph, |graph| reverse_gradient(graph, root, wrt))
}

/// An error unless `wrt` is a variable (a function cannot be differentiated by).
fn check_variable(graph: &Graph, wrt: SymbolId) -> Result<()> {
    if graph.symbol(wrt).role == Role::Function {
        return Err(Error::bare(
            ErrorKind::Differentiation,
            format!("`{}` is a function, not a variable", graph.symbol(wrt).name),
        ));
    }
    Ok(())
}

fn reverse_gradient(graph: &mut Graph, root: ExprId, wrt: SymbolId) -> Result<ExprId> {
    if !graph.shape(root).is_scalar() {
        return Err(Error::bare(ErrorKind::Differentiation, "the gradient needs a scalar expression"));
    }
    check_variable(graph, wrt)?;
    let target = graph.var(wrt);
    let depends = dependence(graph, root, target);
    let wrt_shape = graph.symbol(wrt).shape;
    if !depends.contains_key(&root) {
        return Ok(graph.zero(wrt_shape));
    }
    let mut order: Vec<ExprId> = depends.keys().copied().collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let mut adjoints: FastMap<ExprId, Vec<Adjoint>> = FastMap::default();
    let one = graph.int(1);
    adjoints.insert(root, vec![Adjoint::built(one)]);
    let mut result = None;
    for node in order {
        check_budget(graph)?;
        let Some(parts) = adjoints.remove(&node) else { continue };
        if node == target {
            let built: Vec<ExprId> = parts.iter().map(|p| p.build(graph)).collect();
            result = Some(graph.add(built));
            continue;
        }
        let dep = |x: ExprId| depends.contains_key(&x);
        // A lone part flows on unbuilt through a node with one dependent
        // child whose map only passes it on or multiplies it elementwise
        // (a definition's name, `f(b)` for elementwise `f`); every other
        // map takes the adjoint built, once.
        let lone = match &parts[..] {
            [part] if dependent_children(graph, node, &dep) == 1 => Some(part.clone()),
            _ => None,
        };
        let node_is_scalar = graph.shape(node).is_scalar();
        let mut built: Option<ExprId> = None;
        linear::local_maps(graph, node, &dep, &mut |g, child, map| {
            let unbuilt = match &lone {
                Some(part) if map.is_identity() => Some(part.clone()),
                Some(part) if !node_is_scalar => map.lone_hadamard_factor().map(|f| part.times(f)),
                _ => None,
            };
            let contribution = match unbuilt {
                Some(part) => part,
                None => {
                    let adjoint = *built.get_or_insert_with(|| {
                        let terms: Vec<ExprId> = parts.iter().map(|p| p.build(g)).collect();
                        g.add(terms)
                    });
                    Adjoint::built(map.transpose(g, child, adjoint))
                }
            };
            adjoints.entry(child).or_default().push(contribution);
            Ok(())
        })?;
    }
    let gradient = result.unwrap_or_else(|| graph.zero(wrt_shape));
    Ok(symmetrize_if_needed(graph, wrt, gradient))
}

/// An adjoint as `gradient` passes it on: `base ⊙ f1 ⊙ f2 ⊙ …` with the
/// factors not yet multiplied out. Along a chain of elementwise functions
/// (`z2 = sin(z1); z3 = sin(z2); …`) each link adds one factor to a shared
/// list, and the product is built once, where a rule needs it; building it
/// at every link re-flattens the growing product (quadratic in the chain).
#[derive(Clone)]
struct Adjoint {
    base: ExprId,
    factors: Option<Rc<Factors>>,
}

/// A persistent list of Hadamard factors, the latest first.
struct Factors {
    factor: ExprId,
    earlier: Option<Rc<Factors>>,
}

impl Adjoint {
    fn built(base: ExprId) -> Adjoint {
        Adjoint { base, factors: None }
    }

    /// `self ⊙ factor`, unbuilt.
    fn times(&self, factor: ExprId) -> Adjoint {
        Adjoint { base: self.base, factors: Some(Rc::new(Factors { factor, earlier: self.factors.clone() })) }
    }

    /// The product, built by one call of the Hadamard constructor.
    fn build(&self, g: &mut Graph) -> ExprId {
        let Some(mut list) = self.factors.as_deref() else { return self.base };
        let mut factors = vec![list.factor];
        while let Some(earlier) = list.earlier.as_deref() {
            factors.push(earlier.factor);
            list = earlier;
        }
        factors.push(self.base);
        factors.reverse();
        g.hadamard(factors)
    }
}

/// How many children of `node` depend on the variable.
fn dependent_children(graph: &Graph, node: ExprId, depends: &dyn Fn(ExprId) -> bool) -> usize {
    let mut count = 0;
    graph.for_each_child(node, |c| count += usize::from(depends(c)));
    count
}

fn symmetrize_if_needed(graph: &mut Graph, wrt: SymbolId, gradient: ExprId) -> ExprId {
    if graph.symbol(wrt).role != (Role::Input { symmetric: true }) {
        return gradient;
    }
    let transposed = graph.transpose(gradient);
    let sum = graph.add(vec![gradient, transposed]);
    graph.scale(coeff::ratio(1, 2), sum)
}

/// The nodes under `root` that depend on `target` (value: `true`); the
/// walk counts as derivative work.
pub(crate) fn dependence(graph: &mut Graph, root: ExprId, target: ExprId) -> FastMap<ExprId, bool> {
    let mut depends: FastMap<ExprId, bool> = FastMap::default();
    let reachable = graph.reachable(root);
    graph.charge_derivative_work(reachable.len() as u64);
    for id in reachable {
        let mut d = id == target;
        graph.for_each_child(id, |c| d |= depends.contains_key(&c));
        if d {
            depends.insert(id, true);
        }
    }
    depends
}

/// The reverse-mode step: given the adjoint `adjoint` of `node`, the
/// contribution (child, adjoint part) it sends to each child for which
/// `depends` holds, in the order `gradient` accumulates them: each child's
/// local map (`linear.rs`) transposed. A definition's variable sends its
/// adjoint to the definition's value.
pub fn contributions(
    g: &mut Graph,
    node: ExprId,
    adjoint: ExprId,
    depends: &dyn Fn(ExprId) -> bool,
) -> Result<Vec<(ExprId, ExprId)>> {
    transposed(g, adjoint, |g, visit| linear::local_maps(g, node, depends, visit))
}

/// [`contributions`] of the matrix product of `factors`, grouped as given
/// (the step graph's `A (B C)` for the node `A B C`).
pub(crate) fn product_contributions(
    g: &mut Graph,
    factors: &[ExprId],
    adjoint: ExprId,
    depends: &dyn Fn(ExprId) -> bool,
) -> Result<Vec<(ExprId, ExprId)>> {
    transposed(g, adjoint, |g, visit| linear::product_maps(g, factors, depends, visit))
}

/// Each (child, part) of the adjoint `adjoint` that `maps` visits: the
/// child's local map transposed, applied to it.
fn transposed(
    g: &mut Graph,
    adjoint: ExprId,
    maps: impl FnOnce(&mut Graph, &mut dyn FnMut(&mut Graph, ExprId, linear::LocalMap<'_>) -> Result<()>) -> Result<()>,
) -> Result<Vec<(ExprId, ExprId)>> {
    let mut out = Vec::new();
    maps(g, &mut |g, child, map| {
        out.push((child, map.transpose(g, child, adjoint)));
        Ok(())
    })?;
    Ok(out)
}

/// The Jacobian ∂vec(e)/∂vec(wrt)ᵀ of `e` with respect to `wrt`, in
/// numerator layout: a row per entry of `e`, a column per entry of `wrt`,
/// vec stacking columns (for a vector `e` and a vector `wrt` the usual
/// Jacobian; with a matrix on either side in Kronecker form, as
/// `kron(B^T, A)` for `A X B` with respect to `X`).
pub fn jacobian(graph: &mut Graph, e: ExprId, wrt: SymbolId) -> Result<ExprId> {
    budgeted(graph, |graph| kronecker::jacobian(graph, e, wrt))
}

/// The Hessian of the scalar `e` with respect to `wrt`: the Jacobian of
/// the gradient; with respect to a symmetric S, with respect to vech(S)
/// both ways (D(n)ᵀ times it).
pub fn hessian(graph: &mut Graph, e: ExprId, wrt: SymbolId) -> Result<ExprId> {
    budgeted(graph, |graph| {
        let g = gradient(graph, e, wrt)?;
        let j = jacobian(graph, g, wrt)?;
        kronecker::hessian_of(graph, j, wrt)
    })
}
