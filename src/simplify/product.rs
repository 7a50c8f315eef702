//! Products: flattening, coefficients in front, the matrix chain and its
//! rules (`A^-1 A`, diagonals, 1×1 stretches, one orientation of an inner
//! product), scalar powers, and the sign of a mostly negative sum factor.

use num_traits::{One, Signed, Zero};

use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, FastMap, Func, Graph, Node};
use crate::shape::{Dim, Shape};

impl Graph {
    /// The product of `factors` (scalar factors scale; the others form a
    /// matrix chain in order). Coefficients move in front, identities
    /// drop, `A^-1 A` cancels, equal scalar factors become powers, and a
    /// 1×1 chain is written in its canonical orientation.
    pub fn mul(&mut self, factors: Vec<ExprId>) -> ExprId {
        let mut c = Coeff::one();
        let mut scalars: Vec<ExprId> = Vec::with_capacity(factors.len());
        let mut chain: Vec<ExprId> = Vec::with_capacity(factors.len() + 1);
        let mut stack: Vec<ExprId> = Vec::with_capacity(factors.len() + 4);
        stack.extend(factors.into_iter().rev());
        let mut zero_shape: Option<()> = None;
        let mut identity_dim: Option<Dim> = None;
        while let Some(f) = stack.pop() {
            let shape = self.shape(f);
            // Read in place: only a coefficient is copied, into the product's.
            match self.node(f) {
                Node::Const(d) => {
                    c = coeff::mul(&c, d);
                    self.bound_constant(&mut c);
                }
                Node::Scale(d, b) => {
                    let b = *b;
                    c = coeff::mul(&c, d);
                    self.bound_constant(&mut c);
                    stack.push(b);
                }
                Node::Mul(children) if !self.is_inner_product(f) => stack.extend(children.iter().rev().copied()),
                Node::Zero(_) => {
                    zero_shape = Some(());
                    chain.push(f);
                }
                Node::Identity(n) => identity_dim = Some(*n),
                Node::Add(_) if self.mostly_negative(f) => {
                    let flipped = self.flip_sign_out(f, &mut c);
                    if shape.is_scalar() {
                        scalars.push(flipped)
                    } else {
                        chain.push(flipped)
                    }
                }
                _ if shape.is_scalar() => scalars.push(f),
                _ => chain.push(f),
            }
        }
        let result_shape = match (chain.first(), chain.last()) {
            (Some(first), Some(last)) => Shape::new(self.shape(*first).rows, self.shape(*last).cols),
            _ => identity_dim.map_or(Shape::SCALAR, Shape::square),
        };
        // Chain rules can enable each other (`diag(u) A A^-1 v`): run to a
        // fixpoint. Each of them shortens the chain where it applies, so an
        // unchanged length is an unchanged chain.
        loop {
            let before = chain.len();
            cancel_inverses(self, &mut chain);
            self.merge_diagonal_factors(&mut chain);
            self.merge_kronecker_factors(&mut chain);
            self.extract_inner_products(&mut chain, &mut scalars);
            if chain.len() == before {
                break;
            }
        }
        // A merge may have produced a scaled factor or a product: flatten again.
        if chain.iter().any(|f| matches!(self.node(*f), Node::Scale(..) | Node::Mul(_) | Node::Const(_))) {
            let mut again = scalars;
            again.push(self.constant(c));
            again.extend(chain);
            return self.mul(again);
        }
        if chain.iter().any(|f| matches!(self.node(*f), Node::Zero(_))) {
            zero_shape = Some(());
        }
        if zero_shape.is_some() || c.is_zero() {
            return self.zero(result_shape);
        }
        if chain.is_empty() && !result_shape.is_scalar() {
            chain.push(self.identity(result_shape.rows));
        }
        let mut scalars = self.merge_scalar_powers(scalars, &mut c);
        if chain.len() >= 2
            && self.shape(chain[0]).rows == Dim::ONE
            && self.shape(*chain.last().unwrap()).cols == Dim::ONE
        {
            let oriented = self.orient_inner_product(chain);
            // Transposing may have produced scaled factors: hoist them.
            let mut bare = Vec::with_capacity(oriented.len());
            for f in oriented {
                let (d, base) = self.split_coeff(f);
                c = coeff::mul(&c, &d);
                bare.push(base);
            }
            scalars.push(self.intern(Node::Mul(bare.into()), Shape::SCALAR));
            scalars = self.merge_scalar_powers(scalars, &mut c);
            chain = Vec::new();
        }
        // Merged powers may have made a sum (`sqrt(k - 1)^2`): flip it as above.
        for scalar in scalars.iter_mut() {
            if self.mostly_negative(*scalar) {
                *scalar = self.flip_sign_out(*scalar, &mut c);
            }
        }
        scalars.sort_by(|a, b| self.factor_order(*a, *b));
        let mut all = scalars;
        all.extend(chain);
        let product = match all.len() {
            0 => return self.constant(c),
            1 => all[0],
            _ => {
                let shape = self.product_shape(&all);
                self.intern(Node::Mul(all.into()), shape)
            }
        };
        self.scale(c, product)
    }

    /// The mostly negative sum `f` as a factor: its negation, with the sign
    /// moved into the coefficient `c`. If negating expands bracketed terms
    /// (`-(a - b)`) and the result is mostly negative too, the sign stays
    /// and the sum comes back expanded, so that printing and parsing back
    /// give the same sum.
    pub(super) fn flip_sign_out(&mut self, f: ExprId, c: &mut Coeff) -> ExprId {
        let flipped = self.neg_terms(f);
        if self.mostly_negative(flipped) {
            return self.neg_terms(flipped);
        }
        *c = -c.clone();
        flipped
    }

    /// `true` if a sum has more negative than positive terms (or as many,
    /// with a negative constant): it reads better negated.
    pub(crate) fn mostly_negative(&self, id: ExprId) -> bool {
        let Node::Add(terms) = self.node(id) else { return false };
        let negative = |g: &Graph, t: &ExprId| match g.node(*t) {
            Node::Scale(c, _) | Node::Const(c) => c.is_negative(),
            _ => false,
        };
        let n = terms.iter().filter(|t| negative(self, t)).count();
        let p = terms.len() - n;
        n > p || (n == p && terms.iter().any(|t| matches!(self.node(*t), Node::Const(c) if c.is_negative())))
    }

    /// The sum `id` with every term negated (any other node negated).
    pub(super) fn neg_terms(&mut self, id: ExprId) -> ExprId {
        let Node::Add(terms) = self.node(id).clone() else { return self.neg(id) };
        let negated = terms.iter().map(|t| self.neg(*t)).collect();
        self.add(negated)
    }

    /// In a chain: `diag(u) diag(v) → diag(u ⊙ v)` and a column of ones
    /// times a row of ones is a matrix of ones. Only adjacent factors of
    /// one kind merge, so the result is the same however the chain was
    /// grouped (a diagonal beside a vector is the rule
    /// `diagonal-into-vector`, applied to results).
    pub(super) fn merge_diagonal_factors(&mut self, chain: &mut Vec<ExprId>) {
        let mut i = 0;
        while i + 1 < chain.len() {
            let (a, b) = (chain[i], chain[i + 1]);
            let merged = match (self.node(a), self.node(b)) {
                (Node::Ones(s), Node::Ones(t)) if s.cols == Dim::ONE && t.rows == Dim::ONE => {
                    let shape = Shape::new(s.rows, t.cols);
                    Some(self.ones(shape))
                }
                (Node::Apply(Func::DiagMat, u), Node::Apply(Func::DiagMat, v)) => {
                    let h = self.hadamard(vec![*u, *v]);
                    Some(self.apply(Func::DiagMat, h))
                }
                _ => None,
            };
            match merged {
                Some(m) => {
                    chain.splice(i..i + 2, [m]);
                    i = i.saturating_sub(1);
                }
                None => i += 1,
            }
        }
    }

    /// Pulls every 1×1 stretch out of a longer chain as a scalar factor:
    /// `x y^T z → (y^T z) x` (rule `extract_inner_products`).
    pub(super) fn extract_inner_products(&mut self, chain: &mut Vec<ExprId>, scalars: &mut Vec<ExprId>) {
        let mut i = 0;
        while i < chain.len() {
            if self.shape(chain[i]).rows == Dim::ONE {
                if let Some(j) = (i + 1..chain.len()).find(|&j| self.shape(chain[j]).cols == Dim::ONE) {
                    if !(i == 0 && j == chain.len() - 1) {
                        let segment: Vec<ExprId> = chain.drain(i..=j).collect();
                        scalars.push(self.mul(segment));
                        continue;
                    }
                }
            }
            i += 1;
        }
    }

    /// `true` for a 1×1 product whose factors are all non-scalar (`x^T A y`),
    /// which acts as one scalar factor inside other products.
    pub fn is_inner_product(&self, id: ExprId) -> bool {
        match self.node(id) {
            Node::Mul(children) => self.shape(id).is_scalar() && children.iter().all(|c| !self.shape(*c).is_scalar()),
            _ => false,
        }
    }

    pub(super) fn product_shape(&self, factors: &[ExprId]) -> Shape {
        let mut chain = factors.iter().copied().filter(|f| !self.shape(*f).is_scalar());
        let Some(first) = chain.next() else { return Shape::SCALAR };
        let second_or_later = chain.next_back();
        let (rows, cols) = (self.shape(first).rows, self.shape(second_or_later.unwrap_or(first)).cols);
        // A chain of two or more from a row to a column is an inner product.
        if second_or_later.is_some() && rows == Dim::ONE && cols == Dim::ONE {
            return Shape::SCALAR;
        }
        Shape::new(rows, cols)
    }

    /// Combines equal scalar bases: `k k → k^2`, `k k^-1 → 1`.
    pub(super) fn merge_scalar_powers(&mut self, scalars: Vec<ExprId>, c: &mut Coeff) -> Vec<ExprId> {
        let mut order: Vec<ExprId> = Vec::new();
        let mut exponents: FastMap<ExprId, Coeff> = FastMap::default();
        let mut others = Vec::new();
        for s in scalars {
            let (base, e) = match self.node(s).clone() {
                Node::Pow(b, e) => match self.node(e).clone() {
                    Node::Const(e) => (b, e),
                    _ => {
                        others.push(s);
                        continue;
                    }
                },
                _ => (s, Coeff::one()),
            };
            match exponents.get_mut(&base) {
                Some(total) => *total += e,
                None => {
                    order.push(base);
                    exponents.insert(base, e);
                }
            }
        }
        for base in order {
            let e = exponents.remove(&base).unwrap_or_default();
            if e.is_zero() {
                continue;
            }
            let exponent = self.constant(e);
            let p = self.pow(base, exponent);
            match self.node(p).clone() {
                Node::Const(d) => *c = coeff::mul(c, &d),
                Node::Scale(d, b) => {
                    *c = coeff::mul(c, &d);
                    others.push(b);
                }
                _ => others.push(p),
            }
        }
        others
    }

    /// Picks between a 1×1 chain and its transpose: fewer transposes, then
    /// the structurally smaller.
    pub(super) fn orient_inner_product(&mut self, chain: Vec<ExprId>) -> Vec<ExprId> {
        let reversed: Vec<ExprId> = chain.iter().rev().map(|f| self.transpose(*f)).collect();
        let count = |g: &Graph, v: &[ExprId]| v.iter().filter(|f| g.has_transpose_mark(**f)).count();
        let by_marks = count(self, &reversed).cmp(&count(self, &chain));
        if by_marks.then_with(|| self.chain_cmp(&reversed, &chain)) == std::cmp::Ordering::Less {
            reversed
        } else {
            chain
        }
    }

    /// `true` if `id` prints with a transpose mark (`A^T`, `A^-T`).
    pub fn has_transpose_mark(&self, id: ExprId) -> bool {
        match self.node(id) {
            Node::Transpose(_) => true,
            Node::Inverse(a) => matches!(self.node(*a), Node::Transpose(_)),
            Node::Scale(_, a) => self.has_transpose_mark(*a),
            _ => false,
        }
    }
}

/// Removes adjacent `A^-1 A` and `A A^-1` pairs from a chain.
pub(super) fn cancel_inverses(graph: &Graph, chain: &mut Vec<ExprId>) {
    // In place: the kept factors are `chain[..kept]`, never ahead of the one read.
    let mut kept = 0;
    for k in 0..chain.len() {
        let f = chain[k];
        if kept > 0 {
            let last = chain[kept - 1];
            let cancels = matches!(graph.node(last), Node::Inverse(x) if *x == f)
                || matches!(graph.node(f), Node::Inverse(x) if *x == last);
            if cancels {
                kept -= 1;
                continue;
            }
        }
        chain[kept] = f;
        kept += 1;
    }
    chain.truncate(kept);
}
