//! Transpose (pushed to the leaves), inverse, the built-in functions with
//! their exact folding, trace rotation, opaque functions and upstream
//! gradients, and the inner product.

use num_traits::{One, Signed, Zero};

use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, Func, Graph, Node, SmallMap, SymbolId};
use crate::shape::{Dim, Shape};

impl Graph {
    /// The transpose, pushed towards the leaves. A subterm shared within
    /// `a` is transposed once (a deep net's differential shares each
    /// layer's; transposing it path by path took time exponential in the
    /// depth).
    pub fn transpose(&mut self, a: ExprId) -> ExprId {
        self.transpose_shared(a, &mut SmallMap::default())
    }

    /// [`Graph::transpose`], with the transposes of `a`'s subterms made so
    /// far in `done`.
    fn transpose_shared(&mut self, a: ExprId, done: &mut SmallMap<ExprId, ExprId>) -> ExprId {
        let shape = self.shape(a);
        if shape.is_scalar() {
            return a;
        }
        if let Some(t) = done.get(a) {
            return t;
        }
        let t = self.transpose_step(a, shape, done);
        done.insert(a, t);
        t
    }

    /// The transpose of the non-scalar `a` (of shape `shape`), its children's from `done`.
    fn transpose_step(&mut self, a: ExprId, shape: Shape, done: &mut SmallMap<ExprId, ExprId>) -> ExprId {
        match self.node(a).clone() {
            Node::Const(_) | Node::Identity(_) => a,
            Node::Zero(s) => self.zero(s.transpose()),
            Node::Ones(s) => self.ones(s.transpose()),
            Node::Transpose(b) => b,
            Node::Add(terms) => {
                let t = terms.iter().map(|x| self.transpose_shared(*x, done)).collect();
                self.add(t)
            }
            Node::Mul(factors) => {
                let t = factors.iter().rev().map(|x| self.transpose_shared(*x, done)).collect();
                self.mul(t)
            }
            Node::Scale(c, b) => {
                let t = self.transpose_shared(b, done);
                self.scale(c, t)
            }
            Node::Hadamard(factors) => {
                let t = factors.iter().map(|x| self.transpose_shared(*x, done)).collect();
                self.hadamard(t)
            }
            Node::Pow(b, e) => {
                let t = self.transpose_shared(b, done);
                self.pow(t, e)
            }
            Node::Inverse(b) => {
                let t = self.transpose_shared(b, done);
                self.inverse(t)
            }
            Node::Kron(x, y) => {
                let (tx, ty) = (self.transpose_shared(x, done), self.transpose_shared(y, done));
                self.kron(tx, ty)
            }
            Node::Commutation(m, n) => self.commutation(n, m),
            Node::Apply(f, b) if f.is_elementwise() && !self.shape(b).is_column() => {
                let t = self.transpose_shared(b, done);
                self.apply(f, t)
            }
            _ if self.is_symmetric(a) => a,
            _ => self.intern(Node::Transpose(a), shape.transpose()),
        }
    }

    /// The inverse of a square matrix (`a^-1` for scalars).
    pub fn inverse(&mut self, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        if shape.is_scalar() {
            return self.powc(a, coeff::int(-1));
        }
        match self.node(a).clone() {
            Node::Inverse(b) => b,
            Node::Identity(_) => a,
            Node::Scale(c, b) => {
                let inv = self.inverse(b);
                self.scale(c.recip(), inv)
            }
            Node::Mul(factors) if factors.iter().all(|f| self.shape(*f).is_square()) => {
                let inverses = factors.iter().rev().map(|f| self.inverse(*f)).collect();
                self.mul(inverses)
            }
            _ => self.intern(Node::Inverse(a), shape),
        }
    }

    /// A built-in function applied to `a`.
    pub fn apply(&mut self, f: Func, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        if f.is_elementwise() {
            if let Some(folded) = self.fold_elementwise(f, a) {
                return folded;
            }
            if let Node::Transpose(b) = self.node(a).clone() {
                if self.shape(b).is_column() {
                    let inner = self.apply(f, b);
                    return self.transpose(inner);
                }
            }
            return self.intern(Node::Apply(f, a), shape);
        }
        let node = self.node(a).clone();
        match f {
            Func::Trace => self.trace(a),
            Func::Vec => self.vec(a),
            Func::Sum => match node {
                _ if shape.is_scalar() => a,
                Node::Scale(c, b) => {
                    let s = self.apply(Func::Sum, b);
                    self.scale(c, s)
                }
                Node::Add(terms) if terms.iter().all(|t| !self.shape(*t).is_scalar()) => {
                    let sums = terms.iter().map(|t| self.apply(Func::Sum, *t)).collect();
                    self.add(sums)
                }
                Node::Transpose(b) => self.apply(Func::Sum, b),
                Node::Apply(Func::DiagMat, v) => self.apply(Func::Sum, v),
                Node::Zero(_) => self.int(0),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::Norm2 => match node {
                _ if shape.is_scalar() => self.powc(a, coeff::int(2)),
                Node::Scale(c, b) => {
                    let n = self.apply(Func::Norm2, b);
                    self.scale(c.clone() * c, n)
                }
                Node::Transpose(b) => self.apply(Func::Norm2, b),
                Node::Zero(_) => self.int(0),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::Norm | Func::Norm1 => match node {
                _ if shape.is_scalar() => self.apply(Func::Abs, a),
                Node::Scale(c, b) => {
                    let n = self.apply(f, b);
                    self.scale(c.abs(), n)
                }
                Node::Transpose(b) => self.apply(f, b),
                Node::Zero(_) => self.int(0),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::Det => match node {
                _ if shape.is_scalar() => a,
                Node::Transpose(b) => self.apply(Func::Det, b),
                Node::Inverse(b) => {
                    let d = self.apply(Func::Det, b);
                    self.powc(d, coeff::int(-1))
                }
                Node::Identity(_) => self.int(1),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::LogDet => match node {
                _ if shape.is_scalar() => self.apply(Func::Log, a),
                Node::Transpose(b) => self.apply(Func::LogDet, b),
                Node::Inverse(b) => {
                    let d = self.apply(Func::LogDet, b);
                    self.neg(d)
                }
                Node::Identity(_) => self.int(0),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::DiagMat => match node {
                _ if shape.is_scalar() => a,
                Node::Zero(_) => self.zero(Shape::square(shape.rows)),
                Node::Ones(s) => self.identity(s.rows),
                Node::Scale(c, b) => {
                    let d = self.apply(Func::DiagMat, b);
                    self.scale(c, d)
                }
                Node::Apply(Func::DiagVec, _) if false => a,
                _ => self.intern(Node::Apply(f, a), Shape::square(shape.rows)),
            },
            Func::DiagVec => match node {
                _ if shape.is_scalar() => a,
                // diag(M^T) = diag(M): one orientation of the argument.
                _ if self.transposed_reads_better(a) => {
                    let t = self.transpose(a);
                    self.apply(Func::DiagVec, t)
                }
                // diag(u v^T) = u .* v
                // diag(u v^T) = u .* v, where the chain passes through a vector.
                Node::Mul(factors) if self.column_split(&factors).is_some() => {
                    let j = self.column_split(&factors).unwrap_or_default();
                    let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                        factors.iter().partition(|f| self.shape(**f).is_scalar());
                    let j = j - scalars.len();
                    let u = self.mul(chain[..=j].to_vec());
                    let right = self.mul(chain[j + 1..].to_vec());
                    let v = self.transpose(right);
                    let product = self.hadamard(vec![u, v]);
                    let mut all = scalars;
                    all.push(product);
                    self.mul(all)
                }
                // diag(s M) = s diag(M), so diag(s A^T) is s diag(A).
                Node::Mul(factors) if factors.iter().any(|f| self.shape(*f).is_scalar()) => {
                    let (mut scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                        factors.iter().partition(|f| self.shape(**f).is_scalar());
                    let matrix = self.mul(chain);
                    scalars.push(self.apply(Func::DiagVec, matrix));
                    self.mul(scalars)
                }
                Node::Zero(_) => self.zero(Shape::column(shape.rows)),
                Node::Apply(Func::DiagMat, v) => v,
                Node::Identity(n) => self.ones(Shape::column(n)),
                Node::Transpose(b) => self.apply(Func::DiagVec, b),
                Node::Scale(c, b) => {
                    let d = self.apply(Func::DiagVec, b);
                    self.scale(c, d)
                }
                _ => self.intern(Node::Apply(f, a), Shape::column(shape.rows)),
            },
            Func::Softmax => self.intern(Node::Apply(f, a), shape),
            Func::LogSumExp => self.intern(Node::Apply(f, a), Shape::SCALAR),
            _ => unreachable!("elementwise functions handled above"),
        }
    }

    /// Whether the transpose of the square `a` is the orientation to keep
    /// where only its diagonal counts: fewer transpose marks among its
    /// factors or terms, then the structurally smaller. A strict order on
    /// the two, so the transpose's transpose is never preferred again.
    fn transposed_reads_better(&mut self, a: ExprId) -> bool {
        let t = self.transpose(a);
        if t == a || self.transpose(t) != a {
            return false;
        }
        let marks = |g: &Graph, x: ExprId| match g.node(x) {
            Node::Mul(parts) | Node::Add(parts) => parts.iter().filter(|p| g.has_transpose_mark(**p)).count(),
            _ => usize::from(g.has_transpose_mark(x)),
        };
        marks(self, t).cmp(&marks(self, a)).then_with(|| self.structural_cmp(t, a)) == std::cmp::Ordering::Less
    }

    /// In a product chain, the position of a column-vector factor other
    /// than the last: there the chain is an outer product (`A x y^T B`).
    pub(super) fn column_split(&self, factors: &[ExprId]) -> Option<usize> {
        let last = factors.len().checked_sub(1)?;
        (0..last).find(|&j| {
            let shape = self.shape(factors[j]);
            !shape.is_scalar() && shape.cols == Dim::ONE
        })
    }

    /// The trace, with the cyclic property used to drop it where the chain
    /// passes through a vector (`tr(x y^T) = y^T x`) and to pick one
    /// canonical rotation.
    pub(super) fn trace(&mut self, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        match self.node(a).clone() {
            _ if shape.is_scalar() => a,
            Node::Scale(c, b) => {
                let t = self.trace(b);
                self.scale(c, t)
            }
            Node::Add(terms) if terms.iter().all(|t| !self.shape(*t).is_scalar()) => {
                let traces = terms.iter().map(|t| self.trace(*t)).collect();
                self.add(traces)
            }
            Node::Transpose(b) => self.trace(b),
            // tr(M^T) = tr(M): one orientation of an elementwise argument
            // (`tr(tanh(B^T))` is `tr(tanh(B))`); a product's is its rotation.
            Node::Apply(..) | Node::Hadamard(_) | Node::Pow(..) if self.transposed_reads_better(a) => {
                let t = self.transpose(a);
                self.trace(t)
            }
            // tr(A^-T) = tr(A^-1).
            Node::Inverse(b) if matches!(self.node(b), Node::Transpose(_)) => {
                let t = self.transpose(a);
                self.trace(t)
            }
            Node::Apply(Func::DiagMat, v) => self.apply(Func::Sum, v),
            Node::Zero(_) => self.int(0),
            Node::Mul(factors) => {
                let (mut scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                    factors.iter().partition(|f| self.shape(**f).is_scalar());
                let n = chain.len();
                if n == 1 {
                    // `tr(s M)` = s tr(M): no rotation to choose.
                    scalars.push(self.trace(chain[0]));
                    return self.mul(scalars);
                }
                // Rotate to a cut where the chain is a vector: the trace drops.
                for i in 1..n {
                    if self.shape(chain[i - 1]).cols == Dim::ONE {
                        let rotated: Vec<ExprId> = chain[i..].iter().chain(chain[..i].iter()).copied().collect();
                        scalars.push(self.mul(rotated));
                        return self.mul(scalars);
                    }
                }
                let mut best: Option<(usize, Vec<ExprId>)> = None;
                let transposed: Vec<ExprId> = chain.iter().rev().map(|f| self.transpose(*f)).collect();
                for candidate in [&chain, &transposed] {
                    for i in 0..n {
                        let rotated: Vec<ExprId> =
                            candidate[i..].iter().chain(candidate[..i].iter()).copied().collect();
                        if self.shape(rotated[0]).rows != self.shape(*rotated.last().unwrap()).cols {
                            continue;
                        }
                        let marks = rotated.iter().filter(|f| self.has_transpose_mark(**f)).count();
                        let better = best.as_ref().is_none_or(|(m, b)| {
                            marks.cmp(m).then_with(|| self.chain_cmp(&rotated, b)) == std::cmp::Ordering::Less
                        });
                        if better {
                            best = Some((marks, rotated));
                        }
                    }
                }
                let rotated = best.map(|b| b.1).unwrap_or(chain);
                let product = self.mul(rotated);
                let inner = if self.shape(product).is_scalar() {
                    product
                } else if matches!(self.node(product), Node::Mul(_)) {
                    self.trace_node(product)
                } else {
                    self.trace(product)
                };
                scalars.push(inner);
                self.mul(scalars)
            }
            _ => self.trace_node(a),
        }
    }

    /// The opaque node `tr(a)`; `a` must be square (a trace of anything
    /// else neither reads back nor evaluates to a meaningful value).
    pub(super) fn trace_node(&mut self, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        debug_assert!(shape.rows == shape.cols, "tr of a non-square {shape:?}");
        self.intern(Node::Apply(Func::Trace, a), Shape::SCALAR)
    }

    /// Exact values of elementwise functions at exact points where they
    /// are rational (`exp(0) = 1`, `relu(-2) = 0`, ...).
    pub(super) fn fold_elementwise(&mut self, f: Func, a: ExprId) -> Option<ExprId> {
        let shape = self.shape(a);
        if let Node::Zero(_) = self.node(a) {
            return match f {
                Func::Sin
                | Func::Tan
                | Func::Tanh
                | Func::Arcsin
                | Func::Arctan
                | Func::Sqrt
                | Func::Abs
                | Func::Sign
                | Func::Swish
                | Func::Relu
                | Func::Step
                | Func::Erf
                | Func::Gelu => Some(a),
                Func::Exp | Func::Cos => Some(self.ones(shape)),
                _ => None,
            };
        }
        let c = self.as_const(a)?.clone();
        let value = match f {
            Func::Abs => Some(c.abs()),
            Func::Sign => Some(coeff::int(if c.is_positive() {
                1
            } else if c.is_negative() {
                -1
            } else {
                0
            })),
            Func::Relu => Some(if c.is_positive() { c.clone() } else { Coeff::zero() }),
            Func::Step => Some(coeff::int(if c.is_positive() { 1 } else { 0 })),
            Func::Exp | Func::Cos if c.is_zero() => Some(Coeff::one()),
            Func::Sin | Func::Tan | Func::Tanh | Func::Arcsin | Func::Arctan | Func::Swish | Func::Erf | Func::Gelu
                if c.is_zero() =>
            {
                Some(Coeff::zero())
            }
            Func::Log if c.is_one() => Some(Coeff::zero()),
            Func::Sigmoid if c.is_zero() => Some(coeff::ratio(1, 2)),
            Func::Sqrt if c.is_zero() || c.is_one() => Some(c.clone()),
            _ => None,
        }?;
        Some(self.constant(value))
    }

    /// An opaque scalar function applied to `a`.
    pub fn opaque(&mut self, function: SymbolId, a: ExprId) -> ExprId {
        self.intern(Node::Opaque(function, a), Shape::SCALAR)
    }

    /// The upstream gradient ∂loss/∂arg.
    pub fn upstream(&mut self, loss: SymbolId, function: SymbolId, arg: ExprId) -> ExprId {
        let shape = self.shape(arg);
        self.intern(Node::Upstream { loss, function, arg }, shape)
    }

    /// The inner product ⟨a, b⟩ = sum(a ⊙ b), written as `a^T b` for
    /// vectors and `tr(a^T b)` for matrices.
    pub fn inner(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let shape = self.shape(a);
        if shape.is_scalar() || self.shape(b).is_scalar() {
            if !shape.is_scalar() {
                let s = self.apply(Func::Sum, a);
                return self.mul(vec![s, b]);
            }
            if !self.shape(b).is_scalar() {
                let s = self.apply(Func::Sum, b);
                return self.mul(vec![a, s]);
            }
            return self.mul(vec![a, b]);
        }
        if shape.is_row() {
            let bt = self.transpose(b);
            return self.mul(vec![a, bt]);
        }
        let at = self.transpose(a);
        let product = self.mul(vec![at, b]);
        self.trace(product)
    }
}
