//! The values and derivatives of the built-in functions that are not
//! elementwise (traces, determinants, sums, norms, diagonals, softmax,
//! logsumexp): for each, its value on a whole matrix and the adjoint of its
//! argument, named in its entry of the operator table.

use crate::coeff;
use crate::eval::Matrix;
use crate::ir::{ExprId, Func, Graph, Node};

/// The largest entry (−∞ for none).
fn top(a: &Matrix) -> f64 {
    a.data.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
}

pub(super) fn trace(a: &Matrix) -> Matrix {
    Matrix::scalar((0..a.rows.min(a.cols)).map(|i| a.at(i, i)).sum())
}

pub(super) fn det(a: &Matrix) -> Matrix {
    Matrix::scalar(a.det())
}

pub(super) fn logdet(a: &Matrix) -> Matrix {
    Matrix::scalar(a.det().ln())
}

pub(super) fn sum(a: &Matrix) -> Matrix {
    Matrix::scalar(a.data.iter().sum())
}

pub(super) fn norm2(a: &Matrix) -> Matrix {
    Matrix::scalar(a.data.iter().map(|x| x * x).sum())
}

pub(super) fn norm(a: &Matrix) -> Matrix {
    Matrix::scalar(a.data.iter().map(|x| x * x).sum::<f64>().sqrt())
}

pub(super) fn norm1(a: &Matrix) -> Matrix {
    Matrix::scalar(a.data.iter().map(|x| x.abs()).sum())
}

/// `diag`: a column vector's diagonal matrix, or a square matrix's diagonal
/// (the two agree on a 1×1 argument).
pub(super) fn diag(a: &Matrix) -> Matrix {
    if a.cols == 1 {
        let n = a.rows;
        let mut m = Matrix::filled(n, n, 0.0);
        for i in 0..n {
            m.data[i * n + i] = a.data[i];
        }
        m
    } else {
        Matrix { rows: a.rows, cols: 1, data: (0..a.rows).map(|i| a.at(i, i)).collect() }
    }
}

/// `vec`: the entries in column-major order, as one column.
pub(super) fn vec(a: &Matrix) -> Matrix {
    let data = (0..a.cols).flat_map(|j| (0..a.rows).map(move |i| (i, j))).map(|(i, j)| a.at(i, j)).collect();
    Matrix { rows: a.rows * a.cols, cols: 1, data }
}

pub(super) fn softmax(a: &Matrix) -> Matrix {
    let top = top(a);
    let e: Vec<f64> = a.data.iter().map(|x| (x - top).exp()).collect();
    let total: f64 = e.iter().sum();
    Matrix { rows: a.rows, cols: a.cols, data: e.iter().map(|x| x / total).collect() }
}

pub(super) fn logsumexp(a: &Matrix) -> Matrix {
    let top = top(a);
    Matrix::scalar(top + a.data.iter().map(|x| (x - top).exp()).sum::<f64>().ln())
}

// The adjoints: for `y = f(b)` and the adjoint `a` of `y`, the adjoint of `b`
// (a row vector times the derivative for a scalar `y`).

/// The adjoint of `vec(b)` for an m×n `b` is the adjoint `a` (m n × 1)
/// reshaped: `(vec(I(n))^T ⊗ I(m)) (I(n) ⊗ a)`.
pub(super) fn d_vec(g: &mut Graph, _y: ExprId, b: ExprId, a: ExprId) -> ExprId {
    unvec(g, g.shape(b), a)
}

/// The matrix of shape `shape` whose vec is the column `a`: read off `a`'s
/// form where it is a vec (`vec(M)` is `M`, `(P ⊗ Q) r` is `Q unvec(r) Pᵀ`),
/// through sums and scalar factors; else the identity
/// unvec(a) = (vec(I)ᵀ ⊗ I) (I ⊗ a).
pub(crate) fn unvec(g: &mut Graph, shape: crate::shape::Shape, a: ExprId) -> ExprId {
    match g.node(a).clone() {
        Node::Apply(Func::Vec, m) if g.shape(m) == shape => return m,
        Node::Scale(c, inner) => {
            let inner = unvec(g, shape, inner);
            return g.scale(c, inner);
        }
        Node::Add(terms) => {
            let terms = terms.iter().map(|t| unvec(g, shape, *t)).collect();
            return g.add(terms);
        }
        // (P ⊗ Q) r = vec(Q R Pᵀ) where r = vec(R), R of Q's columns by P's.
        Node::Mul(factors) if factors.len() >= 2 => {
            if let Node::Kron(p, q) = g.node(factors[0]).clone() {
                let (ps, qs) = (g.shape(p), g.shape(q));
                if qs.rows == shape.rows && ps.rows == shape.cols {
                    let rest = g.mul(factors[1..].to_vec());
                    let inner = unvec(g, crate::shape::Shape { rows: qs.cols, cols: ps.cols }, rest);
                    let pt = g.transpose(p);
                    return g.mul(vec![q, inner, pt]);
                }
            }
        }
        _ => {}
    }
    let column = a;
    let (i_m, i_n) = (g.identity(shape.rows), g.identity(shape.cols));
    let vec_i = g.vec(i_n);
    let row = g.transpose(vec_i);
    let left = g.kron(row, i_m);
    let right = g.kron(i_n, column);
    g.mul(vec![left, right])
}

pub(super) fn d_trace(g: &mut Graph, _y: ExprId, b: ExprId, a: ExprId) -> ExprId {
    let identity = g.identity(g.shape(b).rows);
    g.mul(vec![a, identity])
}

pub(super) fn d_det(g: &mut Graph, y: ExprId, b: ExprId, a: ExprId) -> ExprId {
    let t = g.transpose(b);
    let inv = g.inverse(t);
    g.mul(vec![a, y, inv])
}

pub(super) fn d_logdet(g: &mut Graph, _y: ExprId, b: ExprId, a: ExprId) -> ExprId {
    let t = g.transpose(b);
    let inv = g.inverse(t);
    g.mul(vec![a, inv])
}

pub(super) fn d_sum(g: &mut Graph, _y: ExprId, b: ExprId, a: ExprId) -> ExprId {
    let ones = g.ones(g.shape(b));
    g.mul(vec![a, ones])
}

pub(super) fn d_norm2(g: &mut Graph, _y: ExprId, b: ExprId, a: ExprId) -> ExprId {
    let m = g.mul(vec![a, b]);
    g.scale(coeff::int(2), m)
}

pub(super) fn d_norm(g: &mut Graph, y: ExprId, b: ExprId, a: ExprId) -> ExprId {
    let inv = g.powc(y, coeff::int(-1));
    g.mul(vec![a, inv, b])
}

pub(super) fn d_norm1(g: &mut Graph, _y: ExprId, b: ExprId, a: ExprId) -> ExprId {
    let sign = g.apply(Func::Sign, b);
    g.mul(vec![a, sign])
}

/// The adjoint of a diagonal matrix's vector is the adjoint's diagonal, and
/// the other way round (`y` says which of the two `diag` is).
pub(super) fn d_diag(g: &mut Graph, y: ExprId, _b: ExprId, a: ExprId) -> ExprId {
    match g.node(y) {
        Node::Apply(Func::DiagMat, _) => g.apply(Func::DiagVec, a),
        _ => g.apply(Func::DiagMat, a),
    }
}

/// `(diag(s) - s sᵀ) a` with `s = softmax(b)`, written `s ⊙ a − (sᵀ a) s`.
pub(super) fn d_softmax(g: &mut Graph, y: ExprId, _b: ExprId, a: ExprId) -> ExprId {
    let first = g.hadamard(vec![y, a]);
    let st = g.transpose(y);
    let sta = g.mul(vec![st, a]);
    let second = g.mul(vec![sta, y]);
    g.sub(first, second)
}

pub(super) fn d_logsumexp(g: &mut Graph, _y: ExprId, b: ExprId, a: ExprId) -> ExprId {
    let s = g.apply(Func::Softmax, b);
    g.mul(vec![a, s])
}
