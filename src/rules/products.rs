//! Two native rules on products, moved out of the product constructor
//! because their result depended on how the product was grouped (which
//! factors met first, whether a part was a definition's name):
//!
//! - `diagonal-into-vector`: in a matrix chain, `diag(u) v` is `u ⊙ v` and
//!   `v^T diag(u)` is `(v ⊙ u)^T`, where `v` is the neighbouring factor;
//! - `inner-product-as-sum`: an inner product of two factors one of which
//!   is a Hadamard product is the sum of the elementwise product of all
//!   their factors (`(s ⊙ x)^T y` is `sum(s ⊙ x ⊙ y)`), one form however
//!   the factors were split between the sides, and factors cancel
//!   (`(y ⊘ s)^T s` is `sum(y)`).
//!
//! The constructors keep the chain as written (flattened, so every
//! grouping of it is one node); the driver applies these to results.

use crate::ir::{ExprId, Func, Graph, Node};
use crate::shape::{Dim, Shape};

/// The rule `diagonal-into-vector`: the product `id` with each diagonal
/// matrix next to a column (on its right) or a row (on its left) merged
/// into it as a Hadamard product, or `None` where no diagonal is.
pub fn diagonal_into_vector(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Mul(factors) = graph.node(id) else { return None };
    // Most products have no diagonal: nothing to merge, nothing copied.
    if !factors.iter().any(|f| matches!(graph.node(*f), Node::Apply(Func::DiagMat, _))) {
        return None;
    }
    let factors = factors.to_vec();
    // Scalar factors come first, then the chain.
    let split = factors.iter().position(|f| !graph.shape(*f).is_scalar()).unwrap_or(factors.len());
    let mut chain = factors[split..].to_vec();
    let mut changed = false;
    let mut i = 0;
    while i + 1 < chain.len() {
        let (a, b) = (chain[i], chain[i + 1]);
        let merged = match (graph.node(a).clone(), graph.node(b).clone()) {
            (Node::Apply(Func::DiagMat, u), _) if graph.shape(b).is_column() => Some(graph.hadamard(vec![u, b])),
            (_, Node::Apply(Func::DiagMat, u)) if graph.shape(a).is_row() => {
                let at = graph.transpose(a);
                let h = graph.hadamard(vec![at, u]);
                Some(graph.transpose(h))
            }
            _ => None,
        };
        match merged {
            Some(m) => {
                chain.splice(i..i + 2, [m]);
                changed = true;
                i = i.saturating_sub(1);
            }
            None => i += 1,
        }
    }
    if !changed {
        return None;
    }
    let mut all = factors[..split].to_vec();
    all.extend(chain);
    Some(graph.mul(all))
}

/// The rule `inner-product-as-sum`: the inner product `id` of two factors,
/// one of them a Hadamard product, as `sum(u ⊙ v)`; `None` otherwise.
pub fn inner_product_as_sum(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    if !graph.is_inner_product(id) {
        return None;
    }
    let Node::Mul(chain) = graph.node(id) else { return None };
    let &[first, v] = &chain[..] else { return None };
    // Told before transposing the row (a large term's transpose is costly):
    // a row is a Hadamard product when it is one of rows.
    if count(graph, first) + count(graph, v) <= 2 {
        return None;
    }
    let u = graph.transpose(first);
    if count(graph, u) + count(graph, v) <= 2 {
        return None;
    }
    let h = graph.hadamard(vec![u, v]);
    Some(graph.apply(Func::Sum, h))
}

/// The factors of `x` as a Hadamard product (a coefficient aside), 1 for
/// any other term.
fn count(graph: &Graph, x: ExprId) -> usize {
    let base = match graph.node(x) {
        Node::Scale(_, b) => *b,
        _ => x,
    };
    match graph.node(base) {
        Node::Hadamard(f) => f.len(),
        _ => 1,
    }
}

/// The rule `diagonal-of-kronecker`: in a matrix chain, the window
/// `kron(1(m)ᵀ, I(m)) diag(vec(I(m))) M diag(vec(I(n))) kron(1(n), I(n))`,
/// which reads entry ((k, k), (l, l)) of M into (k, l) (S = kron(1ᵀ, I)
/// diag(vec(I)) is the Jacobian of diag(X), so it arises wherever a
/// function of diag(x) is differentiated twice), with M a combination of
/// Kronecker products of m×n factors, is the same combination of their
/// Hadamard products: S kron(A, B) Sᵀ = A ⊙ B. `None` where no such
/// window is.
pub fn diagonal_of_kronecker(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Mul(factors) = graph.node(id) else { return None };
    let factors = factors.to_vec();
    let start = (0..factors.len().saturating_sub(4)).find(|&i| {
        let (m, n) = (graph.shape(factors[i]).rows, graph.shape(factors[i + 4]).cols);
        is_selector(graph, factors[i], factors[i + 1], m, false)
            && is_selector(graph, factors[i + 3], factors[i + 4], n, true)
    })?;
    let shape = Shape::new(graph.shape(factors[start]).rows, graph.shape(factors[start + 4]).cols);
    let selected = select_diagonal_entries(graph, factors[start + 2], shape)?;
    let mut all = factors[..start].to_vec();
    all.push(selected);
    all.extend_from_slice(&factors[start + 5..]);
    Some(graph.mul(all))
}

/// `true` if `a b` is S = kron(1(n)ᵀ, I(n)) diag(vec(I(n))), or with
/// `transposed`, Sᵀ = diag(vec(I(n))) kron(1(n), I(n)).
fn is_selector(graph: &Graph, a: ExprId, b: ExprId, n: Dim, transposed: bool) -> bool {
    let (mask, spread) = if transposed { (a, b) } else { (b, a) };
    let is_identity = |x: ExprId| matches!(graph.node(x), Node::Identity(d) if *d == n);
    let is_mask = match graph.node(mask) {
        Node::Apply(Func::DiagMat, v) => matches!(graph.node(*v), Node::Apply(Func::Vec, i) if is_identity(*i)),
        _ => false,
    };
    // kron(1(n)ᵀ, I(n)), or kron(1(n), I(n)) transposed.
    let ones = if transposed { Shape::column(n) } else { Shape::column(n).transpose() };
    let is_spread = match graph.node(spread) {
        Node::Kron(p, q) => matches!(graph.node(*p), Node::Ones(s) if *s == ones) && is_identity(*q),
        _ => false,
    };
    is_mask && is_spread
}

/// Entry ((k, k), (l, l)) of `m` at (k, l), where `m` is a sum of
/// multiples of Kronecker products of two factors of `shape`; `None`
/// otherwise.
fn select_diagonal_entries(graph: &mut Graph, m: ExprId, shape: Shape) -> Option<ExprId> {
    match graph.node(m).clone() {
        Node::Kron(a, b) => (graph.shape(a) == shape && graph.shape(b) == shape).then(|| graph.hadamard(vec![a, b])),
        Node::Scale(c, inner) => {
            let selected = select_diagonal_entries(graph, inner, shape)?;
            Some(graph.scale(c, selected))
        }
        Node::Add(terms) => {
            let selected =
                terms.iter().map(|t| select_diagonal_entries(graph, *t, shape)).collect::<Option<Vec<_>>>()?;
            Some(graph.add(selected))
        }
        _ => None,
    }
}
