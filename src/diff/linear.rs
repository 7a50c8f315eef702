//! The local linearisation of every node kind, the one place that knows
//! how each node's differential depends on its children's.
//!
//! For a node and each child that depends on the variable, [`local_maps`]
//! gives the linear map taking the child's differential to its part of the
//! node's (d(A B) = dA B + A dB: the maps dA ↦ dA B and dB ↦ A dB). Each
//! map is a [`Linear`] primitive of a small closed vocabulary (products,
//! Hadamard products and Kronecker products with fixed factors, transpose,
//! broadcast of a scalar, inner product with a fixed matrix, a function of
//! the operator table), followed by a coefficient. Forward mode applies a
//! map to the child's differential ([`LocalMap::apply`]); reverse mode
//! applies its transpose to the node's adjoint ([`LocalMap::transpose`]).
//! The transposition rules are one per primitive, not one per operator:
//! a new node kind or function needs only its local maps.

use crate::coeff::{self, Coeff};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{ExprId, Func, Graph, Node};
use crate::ops;
use crate::shape::{Dim, Shape};

use super::check_budget;

/// A linear primitive: how the differential dA of a child enters the
/// node's differential, with every other operand fixed.
pub(crate) enum Linear<'a> {
    /// dA.
    Identity,
    /// The matrix product `L dA R` of the fixed factors `left` and `right`
    /// (a 1×1 dA scales the product of the others).
    Product { left: &'a [ExprId], right: &'a [ExprId] },
    /// The elementwise product `L ⊙ dA ⊙ R` of the fixed factors.
    Hadamard { left: &'a [ExprId], right: &'a [ExprId] },
    /// dAᵀ.
    Transpose,
    /// A scalar dA spread over a non-scalar sum it is a term of (forward,
    /// the sum broadcasts it; reverse, the adjoint is summed).
    Broadcast,
    /// `dP ⊗ Q` (`changes_left`) or `P ⊗ dQ` for the node `P ⊗ Q`.
    Kron { p: ExprId, q: ExprId, changes_left: bool },
    /// The scalar ⟨G, dA⟩ for the fixed G.
    Inner(ExprId),
    /// f(dA) for the node `y = f(b)` of a function the table calls linear
    /// (`tr`, `sum`, `diag`, `vec`); its transpose is the table's adjoint step.
    Function { f: Func, y: ExprId, b: ExprId },
    /// The table's adjoint step of `y = f(b)` in both directions, for a
    /// function the table says has a symmetric Jacobian (softmax).
    SelfAdjoint { f: Func, y: ExprId, b: ExprId },
    /// ⟨G, dA⟩ for a scalar function `y = f(b)` of a whole argument, G its
    /// gradient (the table's adjoint step of 1); the transpose is the
    /// adjoint step itself.
    Gradient { f: Func, y: ExprId, b: ExprId },
}

/// The linear map from a child's differential to its part of the node's:
/// the primitive, then (if any) a coefficient.
pub(crate) struct LocalMap<'a> {
    /// The primitive applied first.
    pub linear: Linear<'a>,
    /// The coefficient applied after it (`None` for 1).
    pub scale: Option<Coeff>,
}

impl<'a> LocalMap<'a> {
    fn of(linear: Linear<'a>) -> LocalMap<'a> {
        LocalMap { linear, scale: None }
    }

    fn scaled(scale: Coeff, linear: Linear<'a>) -> LocalMap<'a> {
        LocalMap { linear, scale: Some(scale) }
    }

    /// The map applied to the child's differential `d` (forward mode).
    pub fn apply(&self, g: &mut Graph, d: ExprId) -> ExprId {
        let mapped = match self.linear {
            Linear::Identity | Linear::Broadcast => d,
            Linear::Product { left, right } => g.mul(around(left, d, right)),
            Linear::Hadamard { left, right } => g.hadamard(around(left, d, right)),
            Linear::Transpose => g.transpose(d),
            Linear::Kron { p, q, changes_left } => {
                if changes_left {
                    g.kron(d, q)
                } else {
                    g.kron(p, d)
                }
            }
            Linear::Inner(fixed) => g.inner(fixed, d),
            Linear::Function { f, .. } => g.apply(f, d),
            Linear::SelfAdjoint { f, y, b } => table_adjoint(f)(g, y, b, d),
            Linear::Gradient { f, y, b } => {
                let one = g.int(1);
                let gradient = table_adjoint(f)(g, y, b, one);
                g.inner(gradient, d)
            }
        };
        self.rescale(g, mapped)
    }

    /// The transposed map applied to the node's adjoint `a`: the child
    /// `child`'s part of its adjoint (reverse mode).
    pub fn transpose(&self, g: &mut Graph, child: ExprId, a: ExprId) -> ExprId {
        let mapped = match self.linear {
            Linear::Identity => a,
            Linear::Product { left, right } => transposed_product(g, left, child, right, a),
            Linear::Hadamard { left, right } => {
                let mut parts = Vec::with_capacity(1 + left.len() + right.len());
                parts.push(a);
                parts.extend_from_slice(left);
                parts.extend_from_slice(right);
                g.hadamard(parts)
            }
            Linear::Transpose => g.transpose(a),
            Linear::Broadcast => g.apply(Func::Sum, a),
            Linear::Kron { p, q, changes_left } => kron_adjoint(g, p, q, a, changes_left),
            Linear::Inner(fixed) => g.mul(vec![a, fixed]),
            Linear::Function { f, y, b } | Linear::SelfAdjoint { f, y, b } | Linear::Gradient { f, y, b } => {
                table_adjoint(f)(g, y, b, a)
            }
        };
        self.rescale(g, mapped)
    }

    /// The one fixed Hadamard factor the map multiplies by, with no
    /// coefficient (reverse mode passes such an adjoint on unbuilt).
    pub fn lone_hadamard_factor(&self) -> Option<ExprId> {
        match (&self.linear, &self.scale) {
            (Linear::Hadamard { left: [factor], right: [] }, None)
            | (Linear::Hadamard { left: [], right: [factor] }, None) => Some(*factor),
            _ => None,
        }
    }

    /// Whether the map is the identity.
    pub fn is_identity(&self) -> bool {
        matches!((&self.linear, &self.scale), (Linear::Identity, None))
    }

    fn rescale(&self, g: &mut Graph, x: ExprId) -> ExprId {
        match &self.scale {
            Some(c) => g.scale(c.clone(), x),
            None => x,
        }
    }
}

/// `left`, then `middle`, then `right`, as one list.
fn around(left: &[ExprId], middle: ExprId, right: &[ExprId]) -> Vec<ExprId> {
    let mut all = Vec::with_capacity(left.len() + 1 + right.len());
    all.extend_from_slice(left);
    all.push(middle);
    all.extend_from_slice(right);
    all
}

/// The transpose of dA ↦ L dA R applied to `a`: Lᵀ a Rᵀ (scalar factors
/// of L and R kept in front), or ⟨a, L R⟩ for a 1×1 `child`.
fn transposed_product(g: &mut Graph, left: &[ExprId], child: ExprId, right: &[ExprId], a: ExprId) -> ExprId {
    let others = left.iter().chain(right);
    let scalar = |g: &Graph, f: &ExprId| g.shape(*f).is_scalar();
    if g.shape(child).is_scalar() {
        let mut rest: Vec<ExprId> = others.clone().filter(|f| scalar(g, f)).copied().collect();
        rest.extend(others.filter(|f| !scalar(g, f)));
        let rest = if let [single] = rest[..] { single } else { g.mul(rest) };
        return g.inner(a, rest);
    }
    let mut parts: Vec<ExprId> = others.filter(|f| scalar(g, f)).copied().collect();
    let left_chain: Vec<ExprId> = left.iter().filter(|f| !scalar(g, f)).copied().collect();
    let right_chain: Vec<ExprId> = right.iter().filter(|f| !scalar(g, f)).copied().collect();
    for (chain, is_left) in [(left_chain, true), (right_chain, false)] {
        if !is_left {
            parts.push(a);
        }
        if chain.is_empty() {
            continue;
        }
        let product = if let [single] = chain[..] { single } else { g.mul(chain) };
        parts.push(g.transpose(product));
    }
    g.mul(parts)
}

/// The table's adjoint step of a function that is not elementwise.
fn table_adjoint(f: Func) -> ops::AdjointStep {
    match ops::of(f).derivative.and_then(ops::Derivative::adjoint_step) {
        Some(step) => step,
        None => unreachable!("`{f:?}` has no adjoint step"),
    }
}

/// Calls `visit(graph, child, map)` for each child of `node` that
/// `depends` on the variable, with the local map of that child, in the
/// order of the node's children; the node kind's one statement of its
/// derivative.
pub(crate) fn local_maps(
    g: &mut Graph,
    node: ExprId,
    depends: &dyn Fn(ExprId) -> bool,
    visit: &mut dyn FnMut(&mut Graph, ExprId, LocalMap<'_>) -> Result<()>,
) -> Result<()> {
    let node_shape = g.shape(node);
    match g.node(node).clone() {
        Node::Const(_)
        | Node::Identity(_)
        | Node::Ones(_)
        | Node::Zero(_)
        | Node::Commutation(..)
        | Node::Duplication(_) => {}
        Node::Var(s) => {
            if let Some(value) = g.definition_value(s).filter(|v| depends(*v)) {
                visit(g, value, LocalMap::of(Linear::Identity))?;
            }
        }
        Node::Add(terms) => {
            for &t in terms.iter().filter(|t| depends(**t)) {
                let broadcast = g.shape(t).is_scalar() && !node_shape.is_scalar();
                visit(g, t, LocalMap::of(if broadcast { Linear::Broadcast } else { Linear::Identity }))?;
            }
        }
        Node::Scale(c, b) => {
            if depends(b) {
                visit(g, b, LocalMap::scaled(c, Linear::Identity))?;
            }
        }
        Node::Mul(factors) => product_maps(g, &factors, depends, visit)?,
        Node::Hadamard(factors) => {
            for (i, &f) in factors.iter().enumerate().filter(|(_, f)| depends(**f)) {
                check_budget(g)?;
                visit(g, f, LocalMap::of(Linear::Hadamard { left: &factors[..i], right: &factors[i + 1..] }))?;
            }
        }
        Node::Pow(base, exponent) => {
            if depends(base) {
                let local = power_derivative(g, base, exponent);
                visit(g, base, LocalMap::of(Linear::Hadamard { left: &[local], right: &[] }))?;
            }
            if depends(exponent) {
                // d(b .^ e) = (b .^ e ⊙ log b) de for the scalar e.
                let log = g.apply(Func::Log, base);
                let local = g.hadamard(vec![node, log]);
                visit(g, exponent, LocalMap::of(Linear::Product { left: &[], right: &[local] }))?;
            }
        }
        Node::Transpose(b) => {
            if depends(b) {
                visit(g, b, LocalMap::of(Linear::Transpose))?;
            }
        }
        Node::Inverse(b) => {
            // d(A⁻¹) = −A⁻¹ dA A⁻¹.
            if depends(b) {
                visit(g, b, LocalMap::scaled(coeff::int(-1), Linear::Product { left: &[node], right: &[node] }))?;
            }
        }
        Node::Apply(f, b) => {
            if depends(b) {
                let linear = function_map(g, f, node, b)?;
                match linear {
                    FunctionMap::Entrywise(local) => {
                        visit(g, b, LocalMap::of(Linear::Hadamard { left: &[local], right: &[] }))?
                    }
                    FunctionMap::Other(linear) => visit(g, b, LocalMap::of(linear))?,
                }
            }
        }
        Node::Opaque(function, b) => {
            if depends(b) {
                let loss = g.definition_of(node).unwrap_or(function);
                let upstream = g.upstream(loss, function, b);
                visit(g, b, LocalMap::of(Linear::Inner(upstream)))?;
            }
        }
        Node::Kron(p, q) => {
            for (child, changes_left) in [(p, true), (q, false)] {
                if depends(child) {
                    visit(g, child, LocalMap::of(Linear::Kron { p, q, changes_left }))?;
                }
            }
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

/// Calls `visit(graph, factor, map)` for each of `factors` that `depends`
/// on the variable, with its local map in the matrix product of `factors`
/// (a `Mul` node's, or the grouping `A (B C)` the step graph draws).
pub(crate) fn product_maps(
    g: &mut Graph,
    factors: &[ExprId],
    depends: &dyn Fn(ExprId) -> bool,
    visit: &mut dyn FnMut(&mut Graph, ExprId, LocalMap<'_>) -> Result<()>,
) -> Result<()> {
    for (i, &f) in factors.iter().enumerate().filter(|(_, f)| depends(**f)) {
        check_budget(g)?;
        visit(g, f, LocalMap::of(Linear::Product { left: &factors[..i], right: &factors[i + 1..] }))?;
    }
    Ok(())
}

/// The local map of a function's argument, by the kind of derivative its
/// table entry gives: elementwise, the Hadamard product with f'(b); else
/// the primitive of that kind.
enum FunctionMap {
    Entrywise(ExprId),
    Other(Linear<'static>),
}

/// The local map of `b` in `y = f(b)`, from the operator table alone.
fn function_map(g: &mut Graph, f: Func, y: ExprId, b: ExprId) -> Result<FunctionMap> {
    Ok(match ops::of(f).derivative {
        Some(ops::Derivative::Entrywise(_)) => FunctionMap::Entrywise(elementwise_derivative(g, f, b)),
        Some(ops::Derivative::Linear(_)) => FunctionMap::Other(Linear::Function { f, y, b }),
        Some(ops::Derivative::Symmetric(_)) => FunctionMap::Other(Linear::SelfAdjoint { f, y, b }),
        Some(ops::Derivative::Adjoint(_)) => FunctionMap::Other(Linear::Gradient { f, y, b }),
        None => {
            return Err(Error::bare(
                ErrorKind::Differentiation,
                format!("matcalc has no differential of `{}` yet", f.name()),
            ))
        }
    })
}

/// ∂(base .^ exponent)/∂base, elementwise.
pub(crate) fn power_derivative(g: &mut Graph, base: ExprId, exponent: ExprId) -> ExprId {
    if let Some(e) = g.as_const(exponent).cloned() {
        let lowered = g.powc(base, e.clone() - coeff::int(1));
        return g.scale(e, lowered);
    }
    let one = g.int(1);
    let e_minus_one = g.sub(exponent, one);
    let lowered = g.pow(base, e_minus_one);
    g.mul(vec![exponent, lowered])
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
    let (one, theirs) = (Dim::ONE, if changes_left { qs } else { ps });
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
    let block = |g: &mut Graph, blocks: Dim, size: Dim| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{random_env, relative_error, Rng, Sampling};
    use crate::eval::evaluate;
    use crate::ir::{Role, Symbol};

    /// Programs whose nodes take every node kind and every kind of
    /// function step (positive points keep logs and log-determinants defined).
    const PROGRAMS: &[&str] = &[
        "A: matrix(m, n); X: matrix(n, p); k: scalar; x: vector(p); k * (x^T x) * A X x",
        "X, Y: matrix(m, n); k: scalar; (X .* Y) .* exp(X) + k + X .^ k + sqrt(Y) .^ 3",
        "X: matrix(n, n); A: matrix(n, n); inv(X) A^T + 2 X^T",
        "X: matrix(n, n); x: vector(n); tr(X) + sum(X) + det(X) + logdet(X) + norm(X) + norm2(X x)",
        "X: matrix(n, n); x: vector(n); diag(X) + diag(x) x + diag(x x^T X) .* x",
        "X: matrix(n, n); x: vector(n); vec(X) .* vec(x x^T) + vec(X^T X)",
        "x: vector(n); A: matrix(n, n); softmax(A x) + logsumexp(x) x",
        "ell: function; W: matrix(n, n); x: vector(n); z = tanh(W x); L = ell(W z)",
        "A: matrix(m, n); B: matrix(p, q); kron(A, B) + kron(A, B .* B)",
        "W: matrix(n, n); x: vector(n); z = W x; h = sigmoid(z); h .* z + W h",
    ];

    /// The primitive's name.
    fn kind(linear: &Linear) -> &'static str {
        match linear {
            Linear::Identity => "identity",
            Linear::Product { .. } => "product",
            Linear::Hadamard { .. } => "hadamard",
            Linear::Transpose => "transpose",
            Linear::Broadcast => "broadcast",
            Linear::Kron { .. } => "kron",
            Linear::Inner(_) => "inner",
            Linear::Function { .. } => "function",
            Linear::SelfAdjoint { .. } => "self-adjoint",
            Linear::Gradient { .. } => "gradient",
        }
    }

    #[test]
    fn every_local_map_and_its_transpose_satisfy_the_adjoint_identity() {
        // ⟨a, M(d)⟩ = ⟨Mᵀ(a), d⟩ for random a and d, at each child of each node.
        let mut rng = Rng::new(46);
        let mut checked = 0;
        let mut kinds = std::collections::HashSet::new();
        for program in PROGRAMS {
            let mut analysis = crate::analyze(program).unwrap_or_else(|e| panic!("{}", e.render(program)));
            let root = analysis.value(None).expect("a value");
            let g = analysis.graph_mut();
            let mut pairs = Vec::new();
            for node in g.reachable(root) {
                local_maps(g, node, &|_| true, &mut |g, child, map| {
                    let k = pairs.len();
                    kinds.insert((kind(&map.linear), map.scale.is_some()));
                    let fresh = |g: &mut Graph, name: String, of: ExprId| {
                        let shape = g.shape(of);
                        let symbol = g.add_symbol(Symbol { name, shape, role: Role::Input { symmetric: false } });
                        g.var(symbol)
                    };
                    let d = fresh(g, format!("change_{k}"), child);
                    let a = fresh(g, format!("adjoint_{k}"), node);
                    let image = map.apply(g, d);
                    let forward = g.inner(a, image);
                    let pulled = map.transpose(g, child, a);
                    let backward = g.inner(pulled, d);
                    pairs.push((node, forward, backward));
                    Ok(())
                })
                .expect("every node here has local maps");
            }
            let env = random_env(g, &mut rng, Sampling::Positive);
            for (node, forward, backward) in pairs {
                let (f, b) = (evaluate(g, forward, &env).unwrap(), evaluate(g, backward, &env).unwrap());
                let error = relative_error(&f, &b);
                assert!(error < 1e-9, "{program}: node {:?}: ⟨a, M d⟩ = {f:?}, ⟨Mᵀ a, d⟩ = {b:?}", g.node(node));
                checked += 1;
            }
        }
        assert!(checked >= 100, "only {checked} maps checked");
        // Every primitive, and a coefficient after the identity and after a product.
        assert_eq!(kinds.len(), 12, "kinds of map checked");
    }
}
