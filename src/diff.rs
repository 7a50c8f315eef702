//! Differentiation directly on the matrix graph.
//!
//! Gradients of scalars use reverse mode: adjoints flow from the root to
//! the leaves in decreasing id order, one visit per node, so the result's
//! graph is linear in the input's (for Y = A B: Ā += Ȳ Bᵀ, B̄ += Aᵀ Ȳ).
//! Jacobians use forward mode: they are read off the differential
//! (`differential.rs`, the one place besides the operator table that knows
//! each operator's derivative) by `kronecker.rs`, which knows only the
//! linear operators; Hessians are the Jacobian of the gradient. Every rule
//! is checked against finite differences in `tests/`.

use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::coeff;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{ExprId, FastMap, Func, Graph, Node, Role, SymbolId};
use crate::ops;
use crate::shape::Shape;

pub mod differential;
mod identities;
mod kronecker;

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
        let Some(mut parts) = adjoints.remove(&node) else { continue };
        let dep = |x: ExprId| depends.contains_key(&x);
        // A lone part flows on unbuilt where the rule only multiplies it elementwise.
        if parts.len() == 1 && node != target {
            if let Some(sent) = elementwise_contributions(graph, node, &parts[0], &dep) {
                for (child, contribution) in sent {
                    adjoints.entry(child).or_default().push(contribution);
                }
                continue;
            }
        }
        let built: Vec<ExprId> = parts.drain(..).map(|p| p.build(graph)).collect();
        let adjoint = graph.add(built);
        if node == target {
            result = Some(adjoint);
            continue;
        }
        for (child, contribution) in contributions(graph, node, adjoint, &dep)? {
            adjoints.entry(child).or_default().push(Adjoint::built(contribution));
        }
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

/// The contributions of `node` whose rule multiplies its adjoint `a`
/// elementwise (a definition's name passes it on, `f(b)` for elementwise
/// `f` multiplies by `f'(b)`), left unbuilt; `None` for every other rule.
fn elementwise_contributions(
    g: &mut Graph,
    node: ExprId,
    a: &Adjoint,
    depends: &dyn Fn(ExprId) -> bool,
) -> Option<Vec<(ExprId, Adjoint)>> {
    match g.node(node).clone() {
        Node::Var(s) => {
            let value = g.definition_value(s)?;
            Some(if depends(value) { vec![(value, a.clone())] } else { Vec::new() })
        }
        Node::Apply(f, b) if f.is_elementwise() && !g.shape(node).is_scalar() => {
            let local = elementwise_derivative(g, f, b);
            Some(vec![(b, a.times(local))])
        }
        _ => None,
    }
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

/// The adjoint of the left (`changes_left`) or right factor of `P ⊗ Q`
/// (P m×n, Q p×q) from the adjoint `a` of the product, block by block:
/// entry (i, j) of P's is ⟨a_ij, Q⟩ for the p×q block a_ij, and Q's is
/// Σ P_ij a_ij.
pub(crate) fn kron_adjoint(g: &mut Graph, p: ExprId, q: ExprId, a: ExprId, changes_left: bool) -> ExprId {
    let (ps, qs) = (g.shape(p), g.shape(q));
    let (changed, other) = if changes_left { (ps, q) } else { (qs, p) };
    // The map is linear in `a`; an adjoint that is itself a Kronecker
    // product G1 ⊗ G2 (ones and identities of product size are ones ⊗ ones
    // and I ⊗ I) gives ⟨G2, Q⟩ G1, or ⟨G1, P⟩ G2, without the shuffle.
    let rows = g.dim_times(ps.rows, qs.rows);
    let cols = g.dim_times(ps.cols, qs.cols);
    match g.node(a).clone() {
        Node::Add(terms) => {
            let parts = terms.iter().map(|t| kron_adjoint(g, p, q, *t, changes_left)).collect();
            return g.add(parts);
        }
        Node::Scale(c, inner) => {
            let part = kron_adjoint(g, p, q, inner, changes_left);
            return g.scale(c, part);
        }
        Node::Kron(g1, g2) if g.shape(g1) == ps && g.shape(g2) == qs => {
            let (mine, theirs) = if changes_left { (g1, g2) } else { (g2, g1) };
            let weight = g.inner(theirs, other);
            return g.mul(vec![weight, mine]);
        }
        Node::Ones(s) if s == Shape::new(rows, cols) => {
            let weight = g.apply(Func::Sum, other);
            let ones = g.ones(changed);
            return g.mul(vec![weight, ones]);
        }
        Node::Identity(d) if d == rows && ps.rows == ps.cols && qs.rows == qs.cols => {
            let weight = g.apply(Func::Trace, other);
            let identity = g.identity(changed.rows);
            return g.mul(vec![weight, identity]);
        }
        _ => {}
    }
    // A vector or row factor reads its blocks off one product: with Q a
    // column, P's adjoint is (I(m) ⊗ Qᵀ) a; with P a column, Q's is
    // (Pᵀ ⊗ I(p)) a (rows: a (I(n) ⊗ Qᵀ) and a (Pᵀ ⊗ I(q))).
    let (one, theirs) = (crate::shape::Dim::ONE, if changes_left { qs } else { ps });
    if theirs.cols == one || theirs.rows == one {
        let t = g.transpose(other);
        let column = theirs.cols == one;
        let identity = match (changes_left, column) {
            (true, true) => g.identity(ps.rows),
            (true, false) => g.identity(ps.cols),
            (false, true) => g.identity(qs.rows),
            (false, false) => g.identity(qs.cols),
        };
        let map = if changes_left { g.kron(identity, t) } else { g.kron(t, identity) };
        return if column { g.mul(vec![map, a]) } else { g.mul(vec![a, map]) };
    }
    // Block (i, j) of `a`, a_ij (p×q), weighs P_ij: P's adjoint is
    // [⟨a_ij, Q⟩] = (I(m) ⊗ 1(p))ᵀ (a ⊙ (1(m, n) ⊗ Q)) (I(n) ⊗ 1(q)), and
    // Q's is Σ P_ij a_ij = (1(m) ⊗ I(p))ᵀ (a ⊙ (P ⊗ 1(p, q))) (1(n) ⊗ I(q)).
    let block = |g: &mut Graph, blocks: crate::shape::Dim, size: crate::shape::Dim| {
        if changes_left {
            let (identity, ones) = (g.identity(blocks), g.ones(Shape::column(size)));
            g.kron(identity, ones)
        } else {
            let (ones, identity) = (g.ones(Shape::column(blocks)), g.identity(size));
            g.kron(ones, identity)
        }
    };
    let left = block(g, ps.rows, qs.rows);
    let right = block(g, ps.cols, qs.cols);
    let spread = if changes_left {
        let ones = g.ones(ps);
        g.kron(ones, q)
    } else {
        let ones = g.ones(qs);
        g.kron(p, ones)
    };
    let masked = g.hadamard(vec![a, spread]);
    let gather = g.transpose(left);
    g.mul(vec![gather, masked, right])
}

/// The reverse-mode hook: given the adjoint `adjoint` of `node`, the
/// contribution (child, adjoint part) it sends to each child for which
/// `depends` holds, in the order `gradient` accumulates them. A definition's
/// variable sends its adjoint to the definition's value.
pub fn contributions(
    g: &mut Graph,
    node: ExprId,
    adjoint: ExprId,
    depends: &dyn Fn(ExprId) -> bool,
) -> Result<Vec<(ExprId, ExprId)>> {
    let mut out = Vec::new();
    propagate(g, node, adjoint, depends, &mut out)?;
    Ok(out)
}

/// Sends the adjoint `a` of `node` to the children that depend on the variable.
fn propagate(
    g: &mut Graph,
    node: ExprId,
    a: ExprId,
    depends: &dyn Fn(ExprId) -> bool,
    adjoints: &mut Vec<(ExprId, ExprId)>,
) -> Result<()> {
    let dep = |x: &ExprId| depends(*x);
    let push = |out: &mut Vec<(ExprId, ExprId)>, child: ExprId, contribution: ExprId| out.push((child, contribution));
    let shape = g.shape(node);
    match g.node(node).clone() {
        Node::Const(_)
        | Node::Identity(_)
        | Node::Ones(_)
        | Node::Zero(_)
        | Node::Commutation(..)
        | Node::Duplication(_) => {}
        Node::Kron(p, q) => {
            for (child, changes_left) in [(p, true), (q, false)] {
                if dep(&child) {
                    let contribution = kron_adjoint(g, p, q, a, changes_left);
                    push(adjoints, child, contribution);
                }
            }
        }
        Node::Var(s) => {
            if let Some(value) = g.definition_value(s) {
                if dep(&value) {
                    push(adjoints, value, a);
                }
            }
        }
        Node::Add(terms) => {
            for t in terms.iter().filter(|t| dep(t)) {
                let contribution =
                    if g.shape(*t).is_scalar() && !shape.is_scalar() { g.apply(Func::Sum, a) } else { a };
                push(adjoints, *t, contribution);
            }
        }
        Node::Scale(c, b) => {
            let contribution = g.scale(c, a);
            push(adjoints, b, contribution);
        }
        Node::Mul(factors) => {
            let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) = factors.iter().partition(|f| g.shape(**f).is_scalar());
            let inner_product = chain.len() >= 2 && scalars.is_empty() && shape.is_scalar();
            for (i, f) in scalars.iter().enumerate() {
                if !dep(f) {
                    continue;
                }
                let mut rest: Vec<ExprId> =
                    scalars.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, x)| *x).collect();
                rest.extend(chain.iter().copied());
                let others = g.mul(rest);
                let contribution = g.inner(a, others);
                push(adjoints, *f, contribution);
            }
            for (i, f) in chain.iter().enumerate() {
                if !dep(f) {
                    continue;
                }
                check_budget(g)?;
                let mut parts: Vec<ExprId> = scalars.clone();
                if i > 0 {
                    let left = g.mul(chain[..i].to_vec());
                    parts.push(g.transpose(left));
                }
                parts.push(a);
                if i + 1 < chain.len() {
                    let right = g.mul(chain[i + 1..].to_vec());
                    parts.push(g.transpose(right));
                }
                let _ = inner_product;
                let contribution = g.mul(parts);
                push(adjoints, *f, contribution);
            }
        }
        Node::Hadamard(factors) => {
            for (i, f) in factors.iter().enumerate() {
                if !dep(f) {
                    continue;
                }
                check_budget(g)?;
                let mut parts = vec![a];
                parts.extend(factors.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, x)| *x));
                let contribution = g.hadamard(parts);
                push(adjoints, *f, contribution);
            }
        }
        Node::Pow(base, exponent) => {
            if dep(&base) {
                let local = power_derivative(g, base, exponent);
                let contribution = g.hadamard(vec![a, local]);
                push(adjoints, base, contribution);
            }
            if dep(&exponent) {
                let log = g.apply(Func::Log, base);
                let local = g.hadamard(vec![node, log]);
                let contribution = g.inner(a, local);
                push(adjoints, exponent, contribution);
            }
        }
        Node::Transpose(b) => {
            let contribution = g.transpose(a);
            push(adjoints, b, contribution);
        }
        Node::Inverse(b) => {
            let t = g.transpose(node);
            let product = g.mul(vec![t, a, t]);
            let contribution = g.neg(product);
            push(adjoints, b, contribution);
        }
        Node::Apply(f, b) => {
            let contribution = apply_adjoint(g, f, node, b, a)?;
            push(adjoints, b, contribution);
        }
        Node::Opaque(function, b) => {
            let loss = g.definition_of(node).unwrap_or(function);
            let upstream = g.upstream(loss, function, b);
            let contribution = g.mul(vec![a, upstream]);
            push(adjoints, b, contribution);
        }
        Node::Upstream { loss, arg, .. } => {
            return Err(Error::bare(
                ErrorKind::Differentiation,
                format!(
                    "grad({}, …) depends on the variable through an opaque function, whose second derivative is unknown",
                    g.symbol(loss).name
                ),
            )
            .with_help(format!(
                "its argument `{}` depends on the variable",
                crate::print::render(g, arg, &crate::print::text::Text, usize::MAX)
            )));
        }
    }
    Ok(())
}

/// ∂(base .^ exponent)/∂base, elementwise.
fn power_derivative(g: &mut Graph, base: ExprId, exponent: ExprId) -> ExprId {
    if let Some(e) = g.as_const(exponent).cloned() {
        let lowered = g.powc(base, e.clone() - coeff::int(1));
        return g.scale(e, lowered);
    }
    let one = g.int(1);
    let e_minus_one = g.sub(exponent, one);
    let lowered = g.pow(base, e_minus_one);
    g.mul(vec![exponent, lowered])
}

/// The adjoint of the argument of `f(b)` (node `y`) given the adjoint `a` of
/// `y`, from the operator table.
fn apply_adjoint(g: &mut Graph, f: Func, y: ExprId, b: ExprId, a: ExprId) -> Result<ExprId> {
    Ok(match ops::of(f).derivative {
        Some(ops::Derivative::Entrywise(_)) => {
            let local = elementwise_derivative(g, f, b);
            g.hadamard(vec![a, local])
        }
        Some(ops::Derivative::Adjoint(adjoint)) => adjoint(g, y, b, a),
        None => unreachable!("every function's entry has a derivative"),
    })
}

/// f'(b) for an elementwise f, from the operator table (written with the
/// functions themselves, so that it can be differentiated again).
pub fn elementwise_derivative(g: &mut Graph, f: Func, b: ExprId) -> ExprId {
    // The constant 1 is interned first, whether the derivative uses it or
    // not, so nodes are created in the order they always were.
    g.int(1);
    match ops::of(f).derivative {
        Some(ops::Derivative::Entrywise(derivative)) => derivative(g, b),
        _ => unreachable!("not an elementwise function: {f:?}"),
    }
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
