//! Elementwise products and powers: flattening, equal factors merged into
//! powers, folding of constant powers.

use num_traits::{One, Signed, Zero};

use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, FastMap, Func, Graph, Node};
use crate::shape::Shape;

/// Largest integer exponent folded exactly into a constant.
const MAX_FOLDED_POWER_BITS: u64 = 4096;

impl Graph {
    /// The Hadamard product: flattened, scalars moved out as scaling,
    /// ones dropped, equal factors merged into powers, sorted.
    pub fn hadamard(&mut self, factors: Vec<ExprId>) -> ExprId {
        let shape = factors.iter().map(|f| self.shape(*f)).find(|s| !s.is_scalar()).unwrap_or(Shape::SCALAR);
        if shape.is_scalar() {
            return self.mul(factors);
        }
        let mut c = Coeff::one();
        let mut scalars = Vec::new();
        let mut order: Vec<ExprId> = Vec::new();
        let mut exponents: FastMap<ExprId, Option<Coeff>> = FastMap::default();
        let mut others = Vec::new();
        let mut stack: Vec<ExprId> = factors.into_iter().rev().collect();
        while let Some(f) = stack.pop() {
            match self.node(f).clone() {
                Node::Hadamard(children) => stack.extend(children.iter().rev().copied()),
                Node::Scale(d, b) => {
                    c = coeff::mul(&c, &d);
                    self.bound_constant(&mut c);
                    stack.push(b);
                }
                Node::Const(d) => {
                    c = coeff::mul(&c, &d);
                    self.bound_constant(&mut c);
                }
                Node::Zero(_) => return self.zero(shape),
                Node::Ones(_) => {}
                // A broadcast scalar (`s ones(n)`, the gradient of `sum`
                // scaled) is a scalar factor: `exp(x) .* (ones(n) / s)` is
                // `exp(x) / s`.
                Node::Mul(children) if self.is_broadcast_scalar(&children) => {
                    scalars.extend(children.iter().copied().filter(|c| self.shape(*c).is_scalar()));
                }
                // Scalar factors of a matrix product move out, as from a
                // scaled term: `(k v) .* w` is `k (v .* w)`.
                Node::Mul(children)
                    if !self.shape(f).is_scalar() && children.iter().any(|c| self.shape(*c).is_scalar()) =>
                {
                    let (s, chain): (Vec<ExprId>, Vec<ExprId>) =
                        children.iter().partition(|c| self.shape(**c).is_scalar());
                    scalars.extend(s);
                    stack.push(self.mul(chain));
                }
                Node::Add(_) if self.mostly_negative(f) => {
                    c = -c;
                    let flipped = self.neg_terms(f);
                    stack.push(flipped);
                }
                _ if self.shape(f).is_scalar() => scalars.push(f),
                Node::Pow(b, e) if self.as_const(e).is_some() => {
                    let e = self.as_const(e).cloned();
                    merge_exponent(&mut order, &mut exponents, b, e);
                }
                _ => merge_exponent(&mut order, &mut exponents, f, Some(Coeff::one())),
            }
        }
        for base in order {
            match exponents.remove(&base).flatten() {
                Some(e) if e.is_zero() => {}
                Some(e) => {
                    let exponent = self.constant(e);
                    others.push(self.pow(base, exponent));
                }
                None => others.push(base),
            }
        }
        let product = match others.len() {
            0 => self.ones(shape),
            1 => others[0],
            _ => {
                // A factor may have become a product again (powers of scaled terms).
                if others.iter().any(|o| matches!(self.node(*o), Node::Scale(..) | Node::Hadamard(_))) {
                    let again = self.hadamard(others);
                    scalars.push(again);
                    let result = self.mul(scalars);
                    return self.scale(c, result);
                }
                others.sort_by(|a, b| self.factor_order(*a, *b));
                self.intern(Node::Hadamard(others.into()), shape)
            }
        };
        scalars.push(product);
        let result = self.mul(scalars);
        self.scale(c, result)
    }

    /// Whether a product's `children` are scalars and one matrix of ones.
    fn is_broadcast_scalar(&self, children: &[ExprId]) -> bool {
        let mut arrays = children.iter().filter(|c| !self.shape(**c).is_scalar());
        matches!((arrays.next(), arrays.next()), (Some(a), None) if matches!(self.node(*a), Node::Ones(_)))
    }

    /// Elementwise power `base .^ exponent` (a scalar power for scalars).
    pub fn pow(&mut self, base: ExprId, exponent: ExprId) -> ExprId {
        let shape = self.shape(base);
        if let Some(e) = self.as_const(exponent).cloned() {
            if e.is_zero() {
                return self.ones(shape);
            }
            if e.is_one() {
                return base;
            }
            let integer = coeff::to_i64(&e);
            match self.node(base).clone() {
                Node::Const(b) => {
                    if let Some(n) = integer {
                        let bits = coeff::digits(&b).saturating_mul(n.unsigned_abs());
                        if bits <= MAX_FOLDED_POWER_BITS && !(b.is_zero() && n < 0) {
                            let magnitude = num_traits::pow(b.clone(), n.unsigned_abs() as usize);
                            return self.constant(if n < 0 { magnitude.recip() } else { magnitude });
                        }
                    } else if b.is_one() {
                        return base;
                    }
                }
                Node::Ones(_) => return base,
                Node::Zero(_) if e.is_positive() => return base,
                Node::Pow(inner, e1) if integer.is_some() => {
                    if let Some(e1) = self.as_const(e1).cloned() {
                        let product = self.constant(e1 * e.clone());
                        return self.pow(inner, product);
                    }
                }
                Node::Scale(c, inner) if integer.is_some() => {
                    let n = integer.unwrap_or(1);
                    let bits = coeff::digits(&c).saturating_mul(n.unsigned_abs());
                    if bits <= MAX_FOLDED_POWER_BITS {
                        let magnitude = num_traits::pow(c.clone(), n.unsigned_abs() as usize);
                        let factor = if n < 0 { magnitude.recip() } else { magnitude };
                        let p = self.pow(inner, exponent);
                        return self.scale(factor, p);
                    }
                }
                Node::Hadamard(children) if integer.is_some() => {
                    let powered: Vec<ExprId> = children.iter().map(|c| self.pow(*c, exponent)).collect();
                    return self.hadamard(powered);
                }
                // `(k v) .^ 2` is `k^2 v .^ 2`, as for a coefficient, so
                // that a power of a Hadamard product of scaled terms is one
                // form however the scalars were grouped.
                Node::Mul(children)
                    if integer.is_some()
                        && !shape.is_scalar()
                        && children.iter().any(|c| self.shape(*c).is_scalar()) =>
                {
                    let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                        children.iter().partition(|c| self.shape(**c).is_scalar());
                    let mut powered: Vec<ExprId> = scalars.iter().map(|s| self.pow(*s, exponent)).collect();
                    let matrix = self.mul(chain);
                    powered.push(self.pow(matrix, exponent));
                    return self.mul(powered);
                }
                Node::Mul(children) if integer.is_some() && shape.is_scalar() && !self.is_inner_product(base) => {
                    let powered: Vec<ExprId> = children.iter().map(|c| self.pow(*c, exponent)).collect();
                    return self.mul(powered);
                }
                // A power of a transposed column that simplifies
                // (`sqrt(v)^T .^ 2` is `v^T`) is the transpose of that power.
                Node::Transpose(inner) => {
                    let p = self.pow(inner, exponent);
                    if *self.node(p) != Node::Pow(inner, exponent) {
                        return self.transpose(p);
                    }
                }
                Node::Apply(Func::Sqrt, inner) if integer.is_some_and(|n| n % 2 == 0) => {
                    let half = self.constant(e / coeff::int(2));
                    return self.pow(inner, half);
                }
                // `(k - 1/2)^-1` as `-(1/2 - k)^-1`, as a product or quotient
                // flips a mostly negative sum: one form however it was built.
                Node::Add(_) if integer.is_some() && self.mostly_negative(base) => {
                    let flipped = self.neg_terms(base);
                    if !self.mostly_negative(flipped) {
                        let p = self.pow(flipped, exponent);
                        return if integer.is_some_and(|n| n % 2 == 0) { p } else { self.neg(p) };
                    }
                }
                _ => {}
            }
        }
        self.intern(Node::Pow(base, exponent), shape)
    }

    /// `base .^ c` for a constant exponent.
    pub fn powc(&mut self, base: ExprId, c: Coeff) -> ExprId {
        let exponent = self.constant(c);
        self.pow(base, exponent)
    }
}

pub(super) fn merge_exponent(
    order: &mut Vec<ExprId>,
    exponents: &mut FastMap<ExprId, Option<Coeff>>,
    base: ExprId,
    e: Option<Coeff>,
) {
    match exponents.get_mut(&base) {
        Some(Some(total)) => {
            if let Some(e) = e {
                *total += e;
            }
        }
        Some(None) => {}
        None => {
            order.push(base);
            exponents.insert(base, e);
        }
    }
}
