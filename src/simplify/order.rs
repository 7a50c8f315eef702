//! The order of commutative children: sum terms and commutative factors.

use std::cmp::Ordering;

use num_traits::Signed;

use crate::ir::{ExprId, Graph, Node};

impl Graph {
    /// Orders commutative factors: names first, then transposed names,
    /// function applications, and compound factors last.
    pub(super) fn factor_order(&self, a: ExprId, b: ExprId) -> Ordering {
        let rank = |g: &Graph, x: ExprId| -> u8 {
            match g.node(x) {
                Node::Const(_) => 0,
                Node::Var(_) => 1,
                Node::Transpose(_) | Node::Upstream { .. } => 2,
                Node::Apply(..) | Node::Pow(..) | Node::Opaque(..) => 3,
                _ => 4,
            }
        };
        rank(self, a)
            .cmp(&rank(self, b))
            .then_with(|| self.leading_name(a).cmp(self.leading_name(b)))
            .then(self.key(a).cmp(&self.key(b)))
            .then(a.cmp(&b))
    }

    /// The name a term starts with when printed (`A1` for `A1 x`), so
    /// sums and products come out in an order a reader expects.
    pub(super) fn leading_name(&self, mut id: ExprId) -> &str {
        for _ in 0..64 {
            match self.node(id) {
                Node::Var(s) => return &self.symbol(*s).name,
                Node::Const(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) => return "",
                Node::Opaque(s, _) => return &self.symbol(*s).name,
                Node::Upstream { loss, .. } => return &self.symbol(*loss).name,
                Node::Scale(_, a) | Node::Transpose(a) | Node::Inverse(a) | Node::Apply(_, a) | Node::Pow(a, _) => {
                    id = *a
                }
                Node::Add(c) | Node::Mul(c) | Node::Hadamard(c) => id = c[0],
            }
        }
        ""
    }

    /// Orders sum terms: positive constants, then positive terms, then
    /// negative ones, then negative constants; within each, by structural key.
    pub(super) fn term_order(&self, a: ExprId, b: ExprId) -> Ordering {
        let rank = |g: &Graph, x: ExprId| -> (u8, u8) {
            let (sign, base) = match g.node(x) {
                // `1 - σ`, but `k + y - 1`.
                Node::Const(c) if c.is_negative() => return (3, 0),
                Node::Const(_) => return (0, 0),
                Node::Scale(c, b) if c.is_negative() => (2, *b),
                Node::Scale(_, b) => (1, *b),
                _ => (1, x),
            };
            let simple = match g.node(base) {
                Node::Var(_) | Node::Transpose(_) | Node::Identity(_) | Node::Ones(_) | Node::Upstream { .. } => 1,
                _ => 0,
            };
            (sign, simple)
        };
        rank(self, a)
            .cmp(&rank(self, b))
            .then_with(|| self.leading_name(a).cmp(self.leading_name(b)))
            .then(self.key(a).cmp(&self.key(b)))
            .then(a.cmp(&b))
    }
}
