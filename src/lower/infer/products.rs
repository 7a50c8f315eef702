//! Dimension products in inference: the sizes of `kron(A, B)`, `vec(X)`,
//! `I(m n)` and of Jacobians with respect to matrices are classes whose
//! value is the product of other classes ([`DimValue::Product`]), compared
//! by their normal form (the fixed factor, and the named and still free
//! factors sorted), so that `m n` and `n m` are one size.

use super::{DimValue, DimVar, Inference};
use crate::error::{Error, ErrorKind, Result, Span};
use crate::shape::MAX_FACTORS;

/// A factor of a product's normal form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(in crate::lower) enum Factor {
    /// A named size.
    Named(String),
    /// A size not known yet (its class's root).
    Free(DimVar),
}

impl Inference {
    /// The dimension `a · b` (one of them where the other is 1); an error
    /// at `span` beyond [`MAX_FACTORS`] factors.
    pub(in crate::lower) fn product(&mut self, a: DimVar, b: DimVar, span: Span) -> Result<DimVar> {
        if self.is_one(a) {
            return Ok(b);
        }
        if self.is_one(b) {
            return Ok(a);
        }
        let v = match (self.value(a), self.value(b)) {
            (DimValue::Fixed(x), DimValue::Fixed(y)) => match x.checked_mul(y) {
                Some(n) => self.fresh(DimValue::Fixed(n)),
                None => return Err(too_large(span)),
            },
            _ => self.fresh(DimValue::Product(vec![a, b])),
        };
        let (fixed, factors) = self.normal_form(v);
        if factors.len() > MAX_FACTORS || (!factors.is_empty() && fixed > u64::from(u32::MAX)) {
            return Err(too_large(span));
        }
        Ok(v)
    }

    /// The fixed factor and the sorted other factors of `v`'s size.
    pub(in crate::lower) fn normal_form(&mut self, v: DimVar) -> (u64, Vec<Factor>) {
        let mut fixed = 1u64;
        let mut factors = Vec::new();
        let mut stack = vec![v];
        while let Some(x) = stack.pop() {
            let root = self.find(x);
            match self.values[root as usize].clone() {
                DimValue::Fixed(n) => fixed = fixed.saturating_mul(n),
                DimValue::Named(name) => factors.push(Factor::Named(name)),
                DimValue::Free => factors.push(Factor::Free(root)),
                DimValue::Product(parts) => stack.extend(parts),
            }
        }
        factors.sort();
        (fixed, factors)
    }

    /// A product's text: its factors side by side (`m n`).
    pub(in crate::lower) fn product_text(&mut self, v: DimVar) -> String {
        let (fixed, factors) = self.normal_form(v);
        let fixed = (fixed != 1).then(|| fixed.to_string());
        let names = factors.into_iter().map(|f| match f {
            Factor::Named(name) => name,
            Factor::Free(_) => "?".to_string(),
        });
        fixed.into_iter().chain(names).collect::<Vec<_>>().join(" ")
    }
}

fn too_large(span: Span) -> Error {
    Error::new(ErrorKind::Limit, format!("a size with more than {MAX_FACTORS} factors, or too large"), span)
        .with_help("matcalc's sizes are products of at most four size names")
}
