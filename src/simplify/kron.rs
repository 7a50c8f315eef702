//! The Kronecker product, the commutation matrix and vec: `kron(A, B)`
//! with a 1×1 factor a scaling, coefficients outside, identities and ones
//! merged (`kron(I(m), I(n)) = I(m n)`), and a zero absorbing; `K(m, n)`
//! the identity where a size is 1; `vec` of a column the column itself, of
//! a row its transpose. A product of sizes the dimension type cannot hold
//! marks the graph (see [`Graph::oversized_dimension`]).

use crate::ir::{ExprId, Func, Graph, Node};
use crate::shape::{Dim, Shape};

impl Graph {
    /// `a · b` for dimensions, marking the graph where the product has
    /// more factors than a dimension holds.
    pub(crate) fn dim_times(&mut self, a: Dim, b: Dim) -> Dim {
        match a.times(b) {
            Some(d) => d,
            None => {
                self.mark_oversized_dimension();
                Dim::ONE
            }
        }
    }

    /// The triangular number n(n+1)/2 of a dimension, marking the graph
    /// where it is not a dimension (n a product).
    pub(crate) fn dim_triangle(&mut self, n: Dim) -> Dim {
        match n.triangle() {
            Some(d) => d,
            None => {
                self.mark_oversized_dimension();
                Dim::ONE
            }
        }
    }

    /// The Kronecker product `kron(a, b)`.
    pub fn kron(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let (sa, sb) = (self.shape(a), self.shape(b));
        if sa.is_scalar() || sb.is_scalar() {
            return self.mul(vec![a, b]);
        }
        let rows = self.dim_times(sa.rows, sb.rows);
        let cols = self.dim_times(sa.cols, sb.cols);
        let shape = Shape::new(rows, cols);
        match (self.node(a).clone(), self.node(b).clone()) {
            (Node::Zero(_), _) | (_, Node::Zero(_)) => self.zero(shape),
            (Node::Scale(c, x), _) => {
                let k = self.kron(x, b);
                self.scale(c, k)
            }
            (_, Node::Scale(c, y)) => {
                let k = self.kron(a, y);
                self.scale(c, k)
            }
            (Node::Identity(_), Node::Identity(_)) => self.identity(rows),
            (Node::Ones(_), Node::Ones(_)) => self.ones(shape),
            _ => self.intern(Node::Kron(a, b), shape),
        }
    }

    /// The commutation matrix `K(m, n)`, of size m n × m n.
    pub fn commutation(&mut self, m: Dim, n: Dim) -> ExprId {
        let mn = self.dim_times(m, n);
        if m == Dim::ONE || n == Dim::ONE {
            return self.identity(mn);
        }
        self.intern(Node::Commutation(m, n), Shape::square(mn))
    }

    /// The duplication matrix `D(n)`, of size n² × n(n+1)/2 (the identity
    /// for n = 1); `None` where n(n+1)/2 is not a dimension (n a product of
    /// sizes, or too large).
    pub fn duplication(&mut self, n: Dim) -> Option<ExprId> {
        let columns = n.triangle()?;
        if n == Dim::ONE {
            return Some(self.identity(columns));
        }
        let rows = self.dim_times(n, n);
        Some(self.intern(Node::Duplication(n), Shape::new(rows, columns)))
    }

    /// `vec(a)`: the columns of `a` stacked into one column.
    pub fn vec(&mut self, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        if shape.cols == Dim::ONE {
            return a;
        }
        if shape.rows == Dim::ONE {
            return self.transpose(a);
        }
        let column = Shape::column(self.dim_times(shape.rows, shape.cols));
        match self.node(a).clone() {
            Node::Zero(_) => self.zero(column),
            Node::Ones(_) => self.ones(column),
            Node::Scale(c, b) => {
                let v = self.vec(b);
                self.scale(c, v)
            }
            _ => self.intern(Node::Apply(Func::Vec, a), column),
        }
    }

    /// The mixed-product law in a chain: adjacent `(A ⊗ B)(C ⊗ D)` with
    /// conforming factors become `A C ⊗ B D`. Terminates: each merge makes
    /// the chain one factor shorter.
    pub(super) fn merge_kronecker_factors(&mut self, chain: &mut Vec<ExprId>) {
        let mut i = 0;
        while i + 1 < chain.len() {
            let (Node::Kron(a, b), Node::Kron(c, d)) = (self.node(chain[i]).clone(), self.node(chain[i + 1]).clone())
            else {
                i += 1;
                continue;
            };
            if self.shape(a).cols != self.shape(c).rows || self.shape(b).cols != self.shape(d).rows {
                i += 1;
                continue;
            }
            let (left, right) = (self.mul(vec![a, c]), self.mul(vec![b, d]));
            chain[i] = self.kron(left, right);
            chain.remove(i + 1);
        }
    }
}
