//! The end of a Jacobian's derivation by differentials: dF, linear in dX,
//! written as vec(dF) = J vec(dX) (`dF = J dx` for a column F), and J read
//! off by the first identification theorem (Magnus and Neudecker: vec(dF)
//! = A vec(dX) for every dX means ∂vec(F)/∂vec(X)ᵀ = A). J is the Jacobian
//! `diff` prints; with respect to a symmetric S the line holds the
//! unconstrained J, and vec(dS) = D(n) vech(dS) gives J D(n).

use super::{Builder, Line, Reason};
use crate::error::Result;
use crate::ir::{ExprId, Func, Node, Role};
use crate::shape::{Dim, Shape};
use crate::steps::trace_form::{raw_hadamard, raw_mul, raw_scale, raw_transpose};

/// The end of a Jacobian's derivation.
pub(super) struct VecForm {
    /// `J dx` for a column F: one more line of dF (none where dF is that already).
    pub line: Option<Line>,
    /// `J vec(dX)` for any other F: the line `vec(dF) = …`.
    pub vec_line: Option<Line>,
    /// Why J is read off.
    pub identification: Reason,
}

/// The lines that take `d` (dF, free of d(E) symbols) to `J vec(dX)`, for
/// `jacobian` the Jacobian of `root`.
pub(super) fn to_vec_form(b: &mut Builder, root: ExprId, d: ExprId, jacobian: ExprId) -> Result<VecForm> {
    if b.g.is_zero(d) {
        let identification = Reason::named("dF = 0: the Jacobian is zero");
        return Ok(VecForm { line: None, vec_line: None, identification });
    }
    let symbol = b.g.symbol(b.wrt).clone();
    let x = symbol.shape;
    let symmetric = symbol.role == (Role::Input { symmetric: true }) && x.rows != Dim::ONE;
    let j = if symmetric { crate::diff::unconstrained_jacobian(&mut b.g, root, b.wrt)? } else { jacobian };
    let f = b.g.shape(root);
    let dx = b.g.vec(b.dtarget);
    // J vec(dX) as written, J's coefficient in front and its factors spliced in.
    let (c, rest) = b.g.split_coeff(j);
    let mut factors = match b.g.node(rest) {
        Node::Mul(fs) => fs.to_vec(),
        _ => vec![rest],
    };
    factors.push(dx);
    let product = raw_mul(&mut b.g, factors);
    let expr = raw_scale(&mut b.g, c, product);
    let mut reasons = vec_reasons(b, d, f, x);
    if reasons.is_empty() {
        reasons.push(Reason::named("linearity"));
    }
    let line = Line { expr, reasons };
    let identification = Reason::named(if symmetric {
        "first identification theorem in the free entries: vec(dU) = D vech(dU) for a symmetric dU"
    } else {
        "first identification theorem"
    });
    let (line, vec_line) = match (f.cols == Dim::ONE, expr == d) {
        (true, true) => (None, None),
        (true, false) => (Some(line), None),
        (false, _) => (None, Some(line)),
    };
    Ok(VecForm { line, vec_line, identification })
}

/// The vec rules that bring the terms of `d` (the differential of an F of
/// shape `f`) to J vec(dX): a product's, `vec(U V P) = (Pᵀ ⊗ U) vec(V)`
/// (for a column `vec(U v wᵀ) = (w ⊗ U) v`), where dX sits in a product
/// with a matrix on its right; the commutation matrix's, `vec(Vᵀ) = K
/// vec(V)`, where dXᵀ appears; a trace's, `tr(U V) = vec(Uᵀ)ᵀ vec(V)`; a
/// Hadamard product's, `vec(U ⊙ V) = diag(vec(U)) vec(V)`, where dX sits
/// in one.
fn vec_reasons(b: &mut Builder, d: ExprId, f: Shape, x: Shape) -> Vec<Reason> {
    let matrix = x.rows != Dim::ONE && x.cols != Dim::ONE;
    let dxt = b.g.transpose(b.dtarget);
    let (mut product, mut hadamard, mut traced) = (false, false, false);
    let reachable = b.g.reachable(d);
    let transposed = matrix && dxt != b.dtarget && reachable.contains(&dxt);
    let holds = |b: &Builder, id: ExprId| id == b.dtarget || b.g.reachable(id).contains(&b.dtarget);
    for &n in &reachable {
        match b.g.node(n).clone() {
            Node::Mul(fs) => {
                // A change with a matrix after it: vec(A dX B), vec(dx yᵀ).
                let chain: Vec<ExprId> = fs.iter().copied().filter(|c| !b.g.shape(*c).is_scalar()).collect();
                product |= chain.iter().position(|c| holds(b, *c)).is_some_and(|k| k + 1 < chain.len());
            }
            Node::Hadamard(fs) => hadamard |= !x.is_scalar() && fs.iter().any(|c| holds(b, *c)),
            Node::Apply(Func::Trace, a) => traced |= matrix && holds(b, a),
            _ => {}
        }
    }
    let mut reasons = Vec::new();
    // For a column F and a column x, dF is J dx as it stands.
    if product && !x.is_scalar() && (matrix || f.cols != Dim::ONE) {
        let formula = if matrix {
            let (u, v, p) =
                (b.placeholder(Shape::square(x.rows), 0), b.placeholder(x, 1), b.placeholder(Shape::square(x.cols), 2));
            let (u, v, p) = (b.g.var(u), b.g.var(v), b.g.var(p));
            let uvp = raw_mul(&mut b.g, vec![u, v, p]);
            let lhs = b.g.vec(uvp);
            let pt = raw_transpose(&mut b.g, p);
            let k = b.g.kron(pt, u);
            let vv = b.g.vec(v);
            (lhs, raw_mul(&mut b.g, vec![k, vv]))
        } else {
            let column = |rows| Shape { rows, cols: Dim::ONE };
            let (u, v, w) =
                (b.placeholder(Shape::square(x.rows), 0), b.placeholder(x, 1), b.placeholder(column(f.cols), 2));
            let (u, v, w) = (b.g.var(u), b.g.var(v), b.g.var(w));
            let wt = raw_transpose(&mut b.g, w);
            let uvw = raw_mul(&mut b.g, vec![u, v, wt]);
            let lhs = b.g.vec(uvw);
            let k = b.g.kron(w, u);
            (lhs, raw_mul(&mut b.g, vec![k, v]))
        };
        reasons.push(Reason { words: "", formula: Some(formula) });
    }
    if transposed {
        let v = b.placeholder(x, 1);
        let v = b.g.var(v);
        let vt = raw_transpose(&mut b.g, v);
        let lhs = b.g.vec(vt);
        let k = b.g.commutation(x.rows, x.cols);
        let vv = b.g.vec(v);
        reasons.push(Reason { words: "", formula: Some((lhs, raw_mul(&mut b.g, vec![k, vv]))) });
    }
    if traced {
        let (u, v) = (b.placeholder(Shape { rows: x.cols, cols: x.rows }, 0), b.placeholder(x, 1));
        let (u, v) = (b.g.var(u), b.g.var(v));
        let uv = raw_mul(&mut b.g, vec![u, v]);
        let lhs = crate::steps::trace_form::raw_trace(&mut b.g, uv);
        let ut = raw_transpose(&mut b.g, u);
        let vut = b.g.vec(ut);
        let row = raw_transpose(&mut b.g, vut);
        let vv = b.g.vec(v);
        reasons.push(Reason { words: "", formula: Some((lhs, raw_mul(&mut b.g, vec![row, vv]))) });
    }
    if hadamard {
        let (u, v) = (b.placeholder(x, 0), b.placeholder(x, 1));
        let (u, v) = (b.g.var(u), b.g.var(v));
        let uv = raw_hadamard(&mut b.g, vec![u, v]);
        let lhs = b.g.vec(uv);
        let vu = b.g.vec(u);
        let diagonal = b.g.apply(Func::DiagMat, vu);
        let vv = b.g.vec(v);
        reasons.push(Reason { words: "", formula: Some((lhs, raw_mul(&mut b.g, vec![diagonal, vv]))) });
    }
    reasons
}
