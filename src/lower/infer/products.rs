//! Dimension products in inference: the sizes of `kron(A, B)`, `vec(X)`,
//! `I(m n)` and of Jacobians with respect to matrices are classes whose
//! value is the product of other classes ([`DimValue::Product`]), compared
//! by their normal form (the fixed factor, and the named and still free
//! factors sorted), so that `m n` and `n m` are one size. The size of
//! vech(S) for a symmetric n×n S, n(n+1)/2, is a class of its own
//! ([`DimValue::Triangle`]), a factor of products like a name.

use super::{DimValue, DimVar, Inference};
use crate::error::{Error, ErrorKind, Result, Span};
use crate::shape::{product_spelling, triangular, MAX_FACTORS};

/// A factor of a product's normal form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(in crate::lower) enum Factor {
    /// A named size.
    Named(String),
    /// A size not known yet (its class's root).
    Free(DimVar),
    /// The triangular number n(n+1)/2 of a named size n.
    NamedTriangle(String),
    /// The triangular number of a size not known yet (its class's root).
    Triangle(DimVar),
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

    /// The size n(n+1)/2 of vech(S) for a symmetric n×n S: a number for a
    /// number, a factor of its own for a name or a size not known yet; a
    /// limit error at `span` for a product (`m n (m n + 1)/2` is not a
    /// product of sizes and triangular numbers).
    pub(in crate::lower) fn triangle(&mut self, n: DimVar, span: Span) -> Result<DimVar> {
        match self.value(n) {
            DimValue::Fixed(k) => match triangular(k) {
                Some(t) => Ok(self.fresh(DimValue::Fixed(t))),
                None => Err(too_large(span)),
            },
            DimValue::Named(_) | DimValue::Free => Ok(self.fresh(DimValue::Triangle(n))),
            DimValue::Product(_) | DimValue::Triangle(_) => {
                let text = self.dim_text(n);
                Err(Error::new(
                    ErrorKind::Limit,
                    format!(
                        "the {text} × {text} symmetric matrix has a triangular number of free entries that is not \
                         a product of sizes: matcalc's sizes are products of names and of n(n+1)/2 for a name n"
                    ),
                    span,
                )
                .with_help("declare the symmetric matrix with one size name, as in symmetric(n)"))
            }
        }
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
                DimValue::Triangle(n) => {
                    let inner = self.find(n);
                    match self.values[inner as usize].clone() {
                        DimValue::Fixed(k) => fixed = fixed.saturating_mul(triangular(k).unwrap_or(u64::MAX)),
                        DimValue::Named(name) => factors.push(Factor::NamedTriangle(name)),
                        _ => factors.push(Factor::Triangle(inner)),
                    }
                }
            }
        }
        factors.sort();
        (fixed, factors)
    }

    /// A product's text: its factors with `between` between them (`m n`,
    /// `n (n + 1)/2` with `plus` in n + 1), as the graph's sizes print.
    pub(in crate::lower) fn product_text(&mut self, v: DimVar, between: &str, plus: &str) -> String {
        let (fixed, factors) = self.normal_form(v);
        let (mut names, mut triangles) = (Vec::new(), Vec::new());
        for f in factors {
            match f {
                Factor::Named(name) => names.push(name),
                Factor::Free(_) => names.push("?".to_string()),
                Factor::NamedTriangle(name) => triangles.push(name),
                Factor::Triangle(_) => triangles.push("?".to_string()),
            }
        }
        product_spelling(fixed, names, triangles, (between, plus))
    }
}

fn too_large(span: Span) -> Error {
    Error::new(ErrorKind::Limit, format!("a size with more than {MAX_FACTORS} factors, or too large"), span)
        .with_help("matcalc's sizes are products of at most four size names")
}
