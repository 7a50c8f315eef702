//! The reasons the trace rules give, each a formula over placeholder
//! names (`tr(U V) = tr(V U)`) built as written.

use super::{ones_around, raw_hadamard, raw_mul, raw_trace, raw_transpose, Kind};
use crate::ir::Func;
use crate::shape::{Dim, Shape};
use crate::steps::differential::{Builder, Reason};

/// The shape of a square placeholder matrix for the trace rules.
pub(super) fn square(b: &Builder, kind: Kind) -> Shape {
    let s = b.g.symbol(b.wrt).shape;
    match kind {
        Kind::Matrix => Shape { rows: s.rows, cols: s.rows },
        _ => Shape { rows: s.rows, cols: s.rows },
    }
}

/// `tr(U V) = tr(V U)`.
pub(super) fn cyclic_reason(b: &mut Builder, kind: Kind) -> Reason {
    let s = b.g.symbol(b.wrt).shape;
    let shape = if kind == Kind::Matrix { s } else { square(b, kind) };
    let u = b.placeholder(shape, 0);
    let v = b.placeholder(Shape { rows: shape.cols, cols: shape.rows }, 1);
    let (u, v) = (b.g.var(u), b.g.var(v));
    let uv = raw_mul(&mut b.g, vec![u, v]);
    let vu = raw_mul(&mut b.g, vec![v, u]);
    let lhs = raw_trace(&mut b.g, uv);
    let rhs = raw_trace(&mut b.g, vu);
    Reason { words: "cyclic rotation", formula: Some((lhs, rhs)) }
}

/// `tr(Uᵀ) = tr(U)`.
pub(super) fn transpose_reason(b: &mut Builder, kind: Kind) -> Reason {
    let shape = square(b, kind);
    let u = b.placeholder(shape, 0);
    let u = b.g.var(u);
    let ut = b.g.transpose(u);
    let lhs = raw_trace(&mut b.g, ut);
    let rhs = raw_trace(&mut b.g, u);
    Reason { words: "transpose", formula: Some((lhs, rhs)) }
}

/// `uᵀ v = vᵀ u`.
pub(super) fn scalar_transpose_reason(b: &mut Builder) -> Reason {
    let s = Shape { rows: b.g.symbol(b.wrt).shape.rows, cols: Dim::ONE };
    let (u, v) = (b.placeholder(s, 0), b.placeholder(s, 1));
    let (u, v) = (b.g.var(u), b.g.var(v));
    let (ut, vt) = (b.g.transpose(u), b.g.transpose(v));
    let lhs = raw_mul(&mut b.g, vec![ut, v]);
    let rhs = raw_mul(&mut b.g, vec![vt, u]);
    Reason { words: "a scalar is its own transpose", formula: Some((lhs, rhs)) }
}

/// `tr(Uᵀ (V ⊙ P)) = tr((U ⊙ V)ᵀ P)` (vectors: `uᵀ (v ⊙ w) = (u ⊙ v)ᵀ w`).
pub(super) fn hadamard_reason(b: &mut Builder, kind: Kind, traced: bool) -> Reason {
    let s = b.g.symbol(b.wrt).shape;
    let shape = if traced {
        if kind == Kind::Matrix {
            s
        } else {
            square(b, kind)
        }
    } else {
        Shape { rows: s.rows, cols: Dim::ONE }
    };
    let (u, v, p) = (b.placeholder(shape, 0), b.placeholder(shape, 1), b.placeholder(shape, 2));
    let (u, v, p) = (b.g.var(u), b.g.var(v), b.g.var(p));
    let ut = b.g.transpose(u);
    let vp = raw_hadamard(&mut b.g, vec![v, p]);
    let uv = raw_hadamard(&mut b.g, vec![u, v]);
    let uvt = raw_transpose(&mut b.g, uv);
    let left = raw_mul(&mut b.g, vec![ut, vp]);
    let right = raw_mul(&mut b.g, vec![uvt, p]);
    let (lhs, rhs) = if traced { (raw_trace(&mut b.g, left), raw_trace(&mut b.g, right)) } else { (left, right) };
    Reason { words: "Hadamard product", formula: Some((lhs, rhs)) }
}

/// `sum(U) = 1ᵀ U 1` (vectors: `sum(u) = 1ᵀ u`).
pub(super) fn sum_reason(b: &mut Builder, s: Shape) -> Reason {
    let u = b.placeholder(s, 0);
    let u = b.g.var(u);
    let lhs = b.g.apply(Func::Sum, u);
    let chain = ones_around(&mut b.g, u);
    let rhs = raw_mul(&mut b.g, chain);
    Reason { words: "", formula: Some((lhs, rhs)) }
}

/// `tr(U diag(u)) = diag(U)ᵀ u`.
pub(super) fn diag_trace_reason(b: &mut Builder) -> Reason {
    let s = b.g.symbol(b.wrt).shape;
    let n = Shape { rows: s.rows, cols: s.rows };
    let (m, v) = (b.placeholder(n, 0), b.placeholder(Shape { rows: s.rows, cols: Dim::ONE }, 0));
    let (m, v) = (b.g.var(m), b.g.var(v));
    let dv = b.g.apply(Func::DiagMat, v);
    let product = raw_mul(&mut b.g, vec![m, dv]);
    let lhs = raw_trace(&mut b.g, product);
    let dm = b.g.apply(Func::DiagVec, m);
    let dmt = b.g.transpose(dm);
    let rhs = raw_mul(&mut b.g, vec![dmt, v]);
    Reason { words: "", formula: Some((lhs, rhs)) }
}

/// `uᵀ diag(v) w = (u ⊙ w)ᵀ v`.
pub(super) fn diag_reason(b: &mut Builder) -> Reason {
    let s = b.g.symbol(b.wrt).shape;
    let col = Shape { rows: s.rows, cols: Dim::ONE };
    let (u, v, w) = (b.placeholder(col, 0), b.placeholder(col, 1), b.placeholder(col, 2));
    let (u, v, w) = (b.g.var(u), b.g.var(v), b.g.var(w));
    let ut = b.g.transpose(u);
    let dv = b.g.apply(Func::DiagMat, v);
    let lhs = raw_mul(&mut b.g, vec![ut, dv, w]);
    let uw = raw_hadamard(&mut b.g, vec![u, w]);
    let uwt = raw_transpose(&mut b.g, uw);
    let rhs = raw_mul(&mut b.g, vec![uwt, v]);
    Reason { words: "", formula: Some((lhs, rhs)) }
}

/// `uᵀ diag(U) = tr(diag(u) U)`.
pub(super) fn diag_vec_reason(b: &mut Builder) -> Reason {
    let s = b.g.symbol(b.wrt).shape;
    let (m, u) = (
        b.placeholder(Shape { rows: s.rows, cols: s.rows }, 0),
        b.placeholder(Shape { rows: s.rows, cols: Dim::ONE }, 0),
    );
    let (m, u) = (b.g.var(m), b.g.var(u));
    let ut = b.g.transpose(u);
    let dm = b.g.apply(Func::DiagVec, m);
    let lhs = raw_mul(&mut b.g, vec![ut, dm]);
    let du = b.g.apply(Func::DiagMat, u);
    let product = raw_mul(&mut b.g, vec![du, m]);
    let rhs = raw_trace(&mut b.g, product);
    Reason { words: "", formula: Some((lhs, rhs)) }
}

/// `sum(U .* V) = tr(U^T V)` (vectors: `sum(u .* v) = u^T v`).
pub(super) fn sum_hadamard_reason(b: &mut Builder, s: Shape, traced: bool) -> Reason {
    let (u, v) = (b.placeholder(s, 0), b.placeholder(s, 1));
    let (u, v) = (b.g.var(u), b.g.var(v));
    let uv = raw_hadamard(&mut b.g, vec![u, v]);
    let lhs = b.g.apply(Func::Sum, uv);
    let ut = b.g.transpose(u);
    let product = raw_mul(&mut b.g, vec![ut, v]);
    let rhs = if traced { raw_trace(&mut b.g, product) } else { product };
    Reason { words: "", formula: Some((lhs, rhs)) }
}

/// `sum(s U) = s sum(U)` (vectors: `sum(s u) = s sum(u)`).
pub(super) fn sum_scale_reason(b: &mut Builder, shape: Shape) -> Reason {
    let (k, u) = (b.placeholder(Shape::SCALAR, 0), b.placeholder(shape, 0));
    let (k, u) = (b.g.var(k), b.g.var(u));
    let ku = raw_mul(&mut b.g, vec![k, u]);
    let lhs = b.g.apply(Func::Sum, ku);
    let su = b.g.apply(Func::Sum, u);
    let rhs = raw_mul(&mut b.g, vec![k, su]);
    Reason { words: "linearity", formula: Some((lhs, rhs)) }
}

/// `vec(U)ᵀ vec(V) = tr(Uᵀ V)`.
pub(super) fn vec_reason(b: &mut Builder, s: Shape) -> Reason {
    let (u, v) = (b.placeholder(s, 0), b.placeholder(s, 1));
    let (u, v) = (b.g.var(u), b.g.var(v));
    let (vu, vv) = (b.g.vec(u), b.g.vec(v));
    let vut = raw_transpose(&mut b.g, vu);
    let lhs = raw_mul(&mut b.g, vec![vut, vv]);
    let ut = b.g.transpose(u);
    let product = raw_mul(&mut b.g, vec![ut, v]);
    let rhs = raw_trace(&mut b.g, product);
    Reason { words: "", formula: Some((lhs, rhs)) }
}
