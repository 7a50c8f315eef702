//! Presentation of repeated factors as powers: a run of equal factors of a
//! matrix product prints as a power (`X X X` as `X^3`, `X^T X^T` as
//! `(X^2)^T`, `M^-1 M^-1` as `M^-2`, `A B A B` as `(A B)^2`). The graph
//! has no matrix power node; the printed power reads back, through the
//! lowering of `A^k`, as the same product; powers printed inside the base
//! of another are bounded so that their product stays within the limit the
//! lowering expands.

use crate::ir::{ExprId, Graph, Node};

use super::{Doc, Prec, Printer};

/// Longest repeated block of factors looked for (`(A B C D)^2`).
pub const MAX_BLOCK: usize = 4;

/// A run of repeated factors: `count` copies of a block of `len` factors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// Factors in the repeated block.
    pub len: usize,
    /// Copies of the block (at least 2).
    pub count: usize,
}

impl Run {
    /// Factors the run covers.
    pub fn covered(self) -> usize {
        self.len * self.count
    }
}

/// The run of repeated blocks starting at `factors[start]` that covers the
/// most factors (the shortest block on a tie; only blocks that are not
/// themselves repeats of a shorter one), of at most `most` copies, if
/// any block repeats there.
/// Scalar factors never repeat in a canonical product (they merge into a
/// power), so every run is of matrix factors, and a block that repeats
/// next to itself is square.
pub fn run_at(graph: &Graph, factors: &[ExprId], start: usize, most: usize) -> Option<Run> {
    let rest = &factors[start..];
    let mut best: Option<Run> = None;
    for len in 1..=MAX_BLOCK.min(rest.len() / 2) {
        let block = &rest[..len];
        if block.iter().any(|f| graph.shape(*f).is_scalar()) {
            break;
        }
        if !primitive(block) {
            continue;
        }
        let count = rest.chunks_exact(len).take_while(|chunk| *chunk == block).take(most).count();
        if count >= 2 && best.is_none_or(|b| len * count > b.covered()) {
            best = Some(Run { len, count });
        }
    }
    best
}

/// `true` if `block` is not a shorter block repeated (`A A` is `A` twice):
/// a repeated block is written with the shorter one's power inside.
fn primitive(block: &[ExprId]) -> bool {
    (1..block.len()).filter(|d| block.len().is_multiple_of(*d)).all(|d| block.chunks_exact(d).any(|c| c != &block[..d]))
}

impl Printer<'_, '_> {
    /// The document of `count` copies of the product of `block`: `X^k`,
    /// `(X^k)^T` for a transposed factor, `X^-k` for an inverse,
    /// `(X^-k)^T` for an inverse transpose, `(A B)^k` for a longer block.
    pub(super) fn repeated(&mut self, block: &[ExprId], count: usize) -> Doc {
        let room = self.power_room;
        self.power_room = room / count;
        let doc = self.repeated_within(block, count);
        self.power_room = room;
        doc
    }

    /// [`Printer::repeated`], with the room for powers inside the base set.
    fn repeated_within(&mut self, block: &[ExprId], count: usize) -> Doc {
        let n = self.notation;
        let exponent = |negative: bool| n.text(if negative { format!("-{count}") } else { count.to_string() });
        let [factor] = block else {
            let (inner, _) = self.product_over(block, None);
            return n.power(n.parens(inner), exponent(false), false);
        };
        match self.graph.node(*factor).clone() {
            Node::Inverse(b) => match self.graph.node(b).clone() {
                Node::Transpose(c) => {
                    let base = self.doc(c, Prec::Atom);
                    n.transpose(n.parens(n.power(base, exponent(true), false)))
                }
                _ => {
                    let base = self.doc(b, Prec::Atom);
                    n.power(base, exponent(true), false)
                }
            },
            Node::Transpose(b) => {
                let base = self.doc(b, Prec::Atom);
                n.transpose(n.parens(n.power(base, exponent(false), false)))
            }
            _ => {
                let base = self.doc(*factor, Prec::Atom);
                n.power(base, exponent(false), false)
            }
        }
    }
}
