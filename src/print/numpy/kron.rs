//! The Kronecker product, the commutation matrix and the duplication
//! matrix in generated Python: `np.kron` (vectors, 1-D, reshaped to 2-D
//! where the product is a matrix), `K(m, n)` as the identity with its rows
//! permuted and `D(n)` as columns of the identity combined; a Kronecker
//! product applied to a vector as vec(Q R Pᵀ), never formed, and the unvec
//! identity as a reshape.

use super::{Emitter, Library};
use crate::ir::{ExprId, Func, Node};
use crate::shape::{Dim, Shape};

/// The dimensions a dimension's size is written with: a product's named
/// factors (and the sizes of its triangular numbers), any other dimension
/// itself.
pub(super) fn named_factors(d: Dim) -> Vec<Dim> {
    match d {
        Dim::Product(p) => p.named().iter().chain(p.triangles()).map(|id| Dim::Named(*id)).collect(),
        other => vec![other],
    }
}

impl Emitter<'_> {
    /// `K(m, n)` (the node `id`): the rows of the identity permuted.
    pub(super) fn commutation(&mut self, id: ExprId, m: Dim, n: Dim) -> (String, u8) {
        let size = self.graph.shape(id).rows;
        let eye = format!("np.eye({}{})", self.dim(size), self.like());
        let (m, n) = (self.dim(m), self.dim(n));
        (format!("{}({eye}, {m}, {n})", self.helper("commutation")), 4)
    }

    /// `D(n)`: the duplication matrix, built by its helper.
    pub(super) fn duplication(&mut self, id: ExprId, n: Dim) -> (String, u8) {
        let size = self.graph.shape(id).rows;
        let eye = format!("np.eye({}{})", self.dim(size), self.like());
        let n = self.dim(n);
        (format!("{}({eye}, {n})", self.helper("duplication")), 4)
    }

    /// `kron(a, b)` of the shape `shape`.
    pub(super) fn kron(&mut self, shape: Shape, a: ExprId, b: ExprId) -> (String, u8) {
        // Vectors are 1-D: a Kronecker product of two vectors of one
        // orientation is NumPy's of the 1-D arrays, any other needs them 2-D.
        let vector = shape.rows == Dim::ONE || shape.cols == Dim::ONE;
        // PyTorch calls a method of each operand (below): atomic there.
        let prec = if self.library == Library::Torch { 4 } else { 0 };
        let mut operand = |e: ExprId| {
            let s = self.shape(e);
            let text = self.expr(e, prec);
            match (vector, s.is_column(), s.is_row()) {
                (false, true, _) => format!("np.reshape({text}, (-1, 1))"),
                (false, _, true) => format!("np.reshape({text}, (1, -1))"),
                _ => text,
            }
        };
        let (a, b) = (operand(a), operand(b));
        if self.library == Library::Torch {
            // torch.kron views its operands: a transposed one must be laid out first.
            return (format!("torch.kron({a}.contiguous(), {b}.contiguous())"), 4);
        }
        (format!("np.kron({a}, {b})"), 4)
    }

    /// `left right` without forming a Kronecker product: (P ⊗ Q) r as
    /// vec(Q R Pᵀ) with r = vec(R), and (vec(I(n))ᵀ ⊗ I(m)) (I(n) ⊗ a), the
    /// matrix whose vec is a, as a reshape. `None` for any other product.
    pub(super) fn kron_applied(&mut self, left: ExprId, right: ExprId, rs: Shape) -> Option<(String, u8)> {
        if let Some(text) = self.unvec_pair(left, right) {
            return Some((text, 4));
        }
        let Node::Kron(p, q) = self.graph.node(left).clone() else { return None };
        let identity = |e: &Emitter, id: ExprId| matches!(e.graph.node(id), Node::Identity(_));
        let (ps, qs) = (self.shape(p), self.shape(q));
        // A column P, or a vector Q, would need 2-D vectors: `np.kron` does.
        let vector = |s: Shape| s.rows == Dim::ONE || s.cols == Dim::ONE;
        if rs.cols != Dim::ONE || ps.cols == Dim::ONE || (vector(qs) && !identity(self, q)) {
            return None;
        }
        let mut text = match *self.graph.node(right) {
            // unvec(vec(X)) = X.
            Node::Apply(Func::Vec, x) if self.shape(x) == Shape::new(qs.cols, ps.cols) => self.expr(x, 4),
            _ => {
                let r = self.expr(right, 4);
                self.unvec_text(&r, qs.cols, ps.cols)
            }
        };
        if !identity(self, q) {
            text = format!("{} @ {text}", self.expr(q, 4));
        }
        if !identity(self, p) {
            // A row P is a 1-D array, its transpose the same array.
            let pt = match self.flip(p, 0) {
                _ if ps.rows == Dim::ONE => self.expr(p, 4),
                Some(t) if t != p => self.expr(t, 4),
                _ => format!("{}.T", self.expr(p, 4)),
            };
            text = format!("{text} @ {pt}");
        }
        if ps.rows == Dim::ONE {
            return Some((format!("({text})"), 4));
        }
        // vec from the operator table's template, as `vec(M)` prints.
        let shape = Shape::column(self.graph.dim_times(qs.rows, ps.rows));
        let matrix = if self.template(Func::Vec).starts_with("$0") { format!("({text})") } else { text };
        Some((self.function(Func::Vec, matrix, shape), 4))
    }

    /// A chain with the factors of an unvec side by side, printed with the
    /// reshape in their place (the rest as planned products).
    pub(super) fn chain_with_unvec(&mut self, chain: &[ExprId]) -> Option<(String, u8)> {
        let k = (0..chain.len().saturating_sub(1)).find(|k| self.is_unvec_pair(chain[*k], chain[*k + 1]))?;
        let mut parts = Vec::new();
        if k > 0 {
            let left = self.segment(&chain[..k]);
            parts.push(self.expr(left, 4));
        }
        parts.push(self.unvec_pair(chain[k], chain[k + 1])?);
        if k + 2 < chain.len() {
            let right = self.segment(&chain[k + 2..]);
            parts.push(self.expr(right, 4));
        }
        Some((format!("({})", parts.join(" @ ")), 4))
    }

    fn is_unvec_pair(&self, left: ExprId, right: ExprId) -> bool {
        self.unvec_parts(left, right).is_some()
    }

    /// (vec(I(n))ᵀ ⊗ I(m)) (I(n) ⊗ a) for a column a of m·n entries: the
    /// m×n matrix whose vec is a, as a reshape.
    fn unvec_pair(&mut self, left: ExprId, right: ExprId) -> Option<String> {
        let (a, m, n) = self.unvec_parts(left, right)?;
        let a = self.expr(a, 4);
        Some(self.unvec_text(&a, m, n))
    }

    /// The column a and the sizes m, n of an unvec pair (see [`Self::unvec_pair`]).
    fn unvec_parts(&self, left: ExprId, right: ExprId) -> Option<(ExprId, Dim, Dim)> {
        let Node::Kron(p, q) = *self.graph.node(left) else { return None };
        let Node::Identity(m) = *self.graph.node(q) else { return None };
        let Node::Transpose(vec_i) = *self.graph.node(p) else { return None };
        let Node::Apply(Func::Vec, i_n) = *self.graph.node(vec_i) else { return None };
        let Node::Identity(n) = *self.graph.node(i_n) else { return None };
        let Node::Kron(ri, a) = *self.graph.node(right) else { return None };
        if *self.graph.node(ri) != Node::Identity(n) || !self.shape(a).is_column() {
            return None;
        }
        Some((a, m, n))
    }

    /// The `rows`×`cols` matrix whose column-major vec is the 1-D `column`.
    fn unvec_text(&mut self, column: &str, rows: Dim, cols: Dim) -> String {
        let (r, c) = (self.dim(rows), self.dim(cols));
        match self.library {
            Library::Torch => format!("{column}.reshape({c}, {r}).T"),
            _ => format!("np.reshape({column}, ({r}, {c}), order=\"F\")"),
        }
    }
}
