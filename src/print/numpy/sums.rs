//! Sums in generated NumPy. Beside a full matrix term, `b ones(k)^T` is
//! the broadcast `b[:, None]`. Outer products are one matrix product of
//! stacked columns: for
//! NumPy and PyTorch, `u v^T - 2 w x^T` is `np.stack([u, -2.0 * w], 1) @
//! np.stack([v, x])`: one BLAS product with an inner dimension of 2 writes
//! the m×n result once, where `np.outer(u, v) - 2.0 * np.outer(w, x)` makes
//! four m×n arrays (the seed's gradient at m = 256, n = 1024: about 2 ms
//! against 0.07 ms). A scalar factor scales its column, a sign or
//! coefficient too. JAX keeps `np.outer`: XLA fuses the outer products and
//! their sum into one loop, as fast as the stacked product (measured), and
//! so does a matrix of a fixed size under [`MIN_ENTRIES`] entries, for which
//! the two stacks cost more than they save. A lone outer product's
//! coefficient and scalar factors scale its column too (`np.outer(-2.0 * s *
//! u, v)`, not `-2.0 * s * np.outer(u, v)`), in every library.

use num_traits::{One, Signed};

use crate::coeff::Coeff;
use crate::ir::{ExprId, Node};
use crate::shape::Dim;

use super::library::Library;
use super::plan::Split;
use super::Emitter;

/// Entries of a fixed-size matrix below which its outer products stay
/// `np.outer` (measured: the stacked product is slower at 16×16 and faster
/// from about 32×32 on).
const MIN_ENTRIES: u64 = 1024;

/// A term of a sum that is an outer product in its planned form: `coefficient
/// scalars... column row^T`, the row in its product's orientation.
struct RankOne {
    coefficient: Coeff,
    scalars: Vec<ExprId>,
    column: ExprId,
    row: ExprId,
}

impl Emitter<'_> {
    /// Python for the sum `id` of `terms` (binding as a sum): each
    /// subtracted term with `-`, broadcasts beside a full matrix term, the
    /// outer products stacked (first, where they are).
    pub(super) fn sum(&mut self, id: ExprId, terms: &[ExprId]) -> String {
        // A constant is written as a number, which is not a full matrix.
        let signed: Vec<(bool, ExprId)> = terms
            .iter()
            .map(|t| match self.graph.node(*t).clone() {
                Node::Scale(c, b) if c.is_negative() => (true, self.graph.scale(-c, b)),
                Node::Const(c) if c.is_negative() => (true, self.graph.constant(-c)),
                _ => (false, *t),
            })
            .collect();
        let full = signed.iter().any(|&(_, t)| {
            !self.shape(t).is_scalar() && !matches!(self.graph.node(t), Node::Const(_)) && self.broadcast(t).is_none()
        });
        let (mut out, stacked) = match self.stacked_outer_products(id, &signed, full) {
            Some((text, stacked)) => (text, stacked),
            None => (String::new(), Vec::new()),
        };
        for (i, &(negative, positive)) in signed.iter().enumerate() {
            if stacked.contains(&i) {
                continue;
            }
            let text = match self.broadcast(positive) {
                Some((v, along_rows)) if full && !self.expr_names.contains_key(&positive) => {
                    let v = self.expr(v, 4);
                    if along_rows {
                        format!("{v}[None, :]")
                    } else {
                        format!("{v}[:, None]")
                    }
                }
                _ => self.expr(positive, if negative { 1 } else { 0 }),
            };
            if out.is_empty() {
                out = if negative { format!("-{text}") } else { text };
            } else {
                out.push_str(if negative { " - " } else { " + " });
                out.push_str(&text);
            }
        }
        out
    }

    /// The outer products among the terms `signed` of the sum `id` (each
    /// term with whether it is subtracted) as one product of stacked
    /// columns and rows, with the indices of the terms it computes, where
    /// there are two or more and stacking is the cheaper form; `full` says
    /// whether the sum has a full matrix term, beside which a broadcast
    /// (`b ones(k)^T`, computed as `b[:, None]`) is left out.
    pub(super) fn stacked_outer_products(
        &mut self,
        id: ExprId,
        signed: &[(bool, ExprId)],
        full: bool,
    ) -> Option<(String, Vec<usize>)> {
        if self.library == Library::Jax {
            return None;
        }
        let shape = self.shape(id);
        if shape.rows == Dim::ONE || shape.cols == Dim::ONE {
            return None;
        }
        if let (Dim::Fixed(r), Dim::Fixed(c)) = (shape.rows, shape.cols) {
            if r.saturating_mul(c) < MIN_ENTRIES {
                return None;
            }
        }
        let mut found: Vec<(usize, RankOne)> = Vec::new();
        for (i, &(negative, term)) in signed.iter().enumerate() {
            if full && self.broadcast(term).is_some() {
                continue;
            }
            if let Some(mut r) = self.rank_one(term, Coeff::one()) {
                if negative {
                    r.coefficient = -r.coefficient;
                }
                found.push((i, r));
            }
        }
        if found.len() < 2 {
            return None;
        }
        let mut columns = Vec::with_capacity(found.len());
        let mut rows = Vec::with_capacity(found.len());
        for (_, r) in &found {
            columns.push(self.scaled_column(r));
            rows.push(self.expr(r.row, 0));
        }
        let text = format!("(np.stack([{}], 1) @ np.stack([{}]))", columns.join(", "), rows.join(", "));
        Some((text, found.iter().map(|(i, _)| *i).collect()))
    }

    /// An outer product with a coefficient or scalar factors (`-2 s u v^T`)
    /// as `np.outer(-2.0 * s * u, v)`: the factors scale the column, not
    /// the m×n product (a pass over it and a temporary fewer).
    pub(super) fn scaled_outer_product(&mut self, id: ExprId) -> Option<String> {
        if !matches!(self.graph.node(id), Node::Scale(..) | Node::Mul(_)) {
            return None;
        }
        let shape = self.shape(id);
        if shape.rows == Dim::ONE || shape.cols == Dim::ONE {
            return None;
        }
        let r = self.rank_one(id, Coeff::one())?;
        if r.coefficient.is_one() && r.scalars.is_empty() {
            return None;
        }
        let column = self.scaled_column(&r);
        let row = self.expr(r.row, 0);
        Some(format!("np.outer({column}, {row})"))
    }

    /// `term` (times `coefficient`) as an outer product, if it is computed
    /// as one and not already by a name or as a view.
    fn rank_one(&mut self, term: ExprId, coefficient: Coeff) -> Option<RankOne> {
        if self.expr_names.contains_key(&term) || self.plan.views.contains_key(&term) {
            return None;
        }
        match self.graph.node(term).clone() {
            Node::Scale(c, b) => self.rank_one(b, coefficient * c),
            Node::Mul(_) => {
                let (scalars, chain) = self.chain_parts(term);
                if chain.len() < 2 {
                    return None;
                }
                let Split::At(k) = self.split(term, &chain) else { return None };
                let (ls, rs) = (self.segment_shape(&chain[..=k]), self.segment_shape(&chain[k + 1..]));
                if ls.cols != Dim::ONE || rs.rows != Dim::ONE || ls.is_scalar() || rs.is_scalar() {
                    return None;
                }
                let (column, row) = (self.segment(&chain[..=k]), self.segment(&chain[k + 1..]));
                if column == term || row == term {
                    return None;
                }
                Some(RankOne { coefficient, scalars, column, row })
            }
            _ => None,
        }
    }

    /// The column of `r` times its coefficient and scalar factors.
    fn scaled_column(&mut self, r: &RankOne) -> String {
        let mut factors = Vec::new();
        if !r.coefficient.abs().is_one() {
            factors.push(Self::constant(&r.coefficient.abs()).0);
        }
        for s in &r.scalars {
            factors.push(self.expr(*s, 2));
        }
        let negative = r.coefficient.is_negative();
        let prec = if factors.is_empty() && !negative { 0 } else { 2 };
        factors.push(self.expr(r.column, prec));
        let text = factors.join(" * ");
        if negative {
            format!("-{text}")
        } else {
            text
        }
    }
}
