//! The order of commutative children: sum terms and commutative factors
//! by a reading rank, then by a total structural order ([`Graph::structural_cmp`])
//! that never looks at ids or hashes, so it does not depend on the order
//! nodes were built in.

use std::cmp::Ordering;

use num_traits::{One, Signed};

use crate::coeff::Coeff;
use crate::ir::{ExprId, Graph, Node};
use crate::shape::Dim;

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
            .then_with(|| natural_cmp(self.leading_name(a), self.leading_name(b)))
            .then_with(|| self.structural_cmp(a, b))
    }

    /// The name a term starts with when printed (`A1` for `A1 x`), so
    /// sums and products come out in an order a reader expects.
    pub(super) fn leading_name(&self, mut id: ExprId) -> &str {
        for _ in 0..64 {
            match self.node(id) {
                Node::Var(s) => return &self.symbol(*s).name,
                Node::Const(_)
                | Node::Identity(_)
                | Node::Ones(_)
                | Node::Zero(_)
                | Node::Commutation(..)
                | Node::Duplication(_) => return "",
                Node::Opaque(s, _) => return &self.symbol(*s).name,
                Node::Upstream { loss, .. } => return &self.symbol(*loss).name,
                Node::Scale(_, a) | Node::Transpose(a) | Node::Inverse(a) | Node::Apply(_, a) | Node::Pow(a, _) => {
                    id = *a
                }
                Node::Add(c) | Node::Mul(c) | Node::Hadamard(c) => id = c[0],
                Node::Kron(a, _) => id = *a,
            }
        }
        ""
    }

    /// Orders sum terms: positive constants, then positive terms, then
    /// negative ones, then negative constants; within each, by leading name and
    /// then structurally.
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
            .then_with(|| natural_cmp(self.leading_name(a), self.leading_name(b)))
            .then_with(|| self.structural_cmp(a, b))
    }

    /// A total order on canonical nodes by their structure alone: a scaled
    /// node by what it scales, then by its coefficient; otherwise the kind
    /// of node, then its data (constants by value, names in their natural
    /// order (`natural_cmp`: `x2` before `x10`), dimensions by their
    /// spelling), then its children from the first. Two nodes compare
    /// equal only if they are the same node. It walks down one path (the
    /// first pair of differing children), so it costs the depth of the
    /// terms at most and needs no recursion.
    pub fn structural_cmp(&self, a: ExprId, b: ExprId) -> Ordering {
        let (mut a, mut b) = (a, b);
        loop {
            if a == b {
                return Ordering::Equal;
            }
            // A scaled term sorts by what it scales, then by coefficient.
            let (ca, sa) = self.unscaled(a);
            let (cb, sb) = self.unscaled(b);
            if sa == sb {
                return ca.cmp(&cb);
            }
            (a, b) = (sa, sb);
            let (x, y) = (self.node(a), self.node(b));
            let by_kind = kind_rank(x).cmp(&kind_rank(y));
            if by_kind != Ordering::Equal {
                return by_kind;
            }
            let name = |s: crate::ir::SymbolId| self.symbol(s).name.as_str();
            // Names first (in their natural order), then the declaration order of equal names.
            let symbols =
                |s: crate::ir::SymbolId, t: crate::ir::SymbolId| natural_cmp(name(s), name(t)).then(s.cmp(&t));
            let next = match (x, y) {
                (Node::Const(c), Node::Const(d)) => return c.cmp(d),
                (Node::Var(s), Node::Var(t)) => return symbols(*s, *t),
                (Node::Identity(m), Node::Identity(n)) | (Node::Duplication(m), Node::Duplication(n)) => {
                    return self.dim_cmp(*m, *n)
                }
                (Node::Commutation(m, n), Node::Commutation(p, q)) => {
                    return self.dim_cmp(*m, *p).then_with(|| self.dim_cmp(*n, *q))
                }
                (Node::Ones(s), Node::Ones(t)) | (Node::Zero(s), Node::Zero(t)) => {
                    return self.dim_cmp(s.rows, t.rows).then_with(|| self.dim_cmp(s.cols, t.cols))
                }
                (Node::Add(p), Node::Add(q))
                | (Node::Mul(p), Node::Mul(q))
                | (Node::Hadamard(p), Node::Hadamard(q)) => match p.iter().zip(q.iter()).find(|(u, v)| u != v) {
                    Some((u, v)) => (*u, *v),
                    None => return p.len().cmp(&q.len()),
                },
                (Node::Pow(u, e), Node::Pow(v, f)) | (Node::Kron(u, e), Node::Kron(v, f)) => {
                    if u == v {
                        (*e, *f)
                    } else {
                        (*u, *v)
                    }
                }
                (Node::Transpose(u), Node::Transpose(v)) | (Node::Inverse(u), Node::Inverse(v)) => (*u, *v),
                (Node::Apply(f, u), Node::Apply(g, v)) => {
                    if f != g {
                        return f.cmp(g);
                    }
                    (*u, *v)
                }
                (Node::Opaque(s, u), Node::Opaque(t, v)) => {
                    if s != t {
                        return symbols(*s, *t);
                    }
                    (*u, *v)
                }
                (Node::Upstream { loss: l, function: f, arg: u }, Node::Upstream { loss: m, function: g, arg: v }) => {
                    if l != m {
                        return symbols(*l, *m);
                    }
                    if f != g {
                        return symbols(*f, *g);
                    }
                    (*u, *v)
                }
                _ => unreachable!("nodes of one kind"),
            };
            a = next.0;
            b = next.1;
        }
    }

    /// The coefficient and base of a scaled node (1 and the node otherwise).
    fn unscaled(&self, id: ExprId) -> (Coeff, ExprId) {
        match self.node(id) {
            Node::Scale(c, b) => (c.clone(), *b),
            _ => (Coeff::one(), id),
        }
    }

    /// Dimensions by size, named ones after fixed ones and by name.
    fn dim_cmp(&self, m: Dim, n: Dim) -> Ordering {
        // The named factors, then the triangular numbers' sizes, by name.
        let names = |d: Dim| -> (Vec<&str>, Vec<&str>) {
            let (_, named, triangles) = d.factors();
            let spell = |ids: Vec<crate::shape::DimId>| -> Vec<&str> {
                let mut v: Vec<&str> = ids.iter().map(|id| self.dim_names()[id.0 as usize].as_str()).collect();
                v.sort_unstable();
                v
            };
            (spell(named), spell(triangles))
        };
        match (m, n) {
            (Dim::Fixed(a), Dim::Fixed(b)) => a.cmp(&b),
            (Dim::Fixed(_), _) => Ordering::Less,
            (_, Dim::Fixed(_)) => Ordering::Greater,
            (Dim::Named(a), Dim::Named(b)) => self.dim_names()[a.0 as usize].cmp(&self.dim_names()[b.0 as usize]),
            // A product after its first factor alone, then by its factors' names and its number.
            _ => names(m).cmp(&names(n)).then_with(|| m.factors().0.cmp(&n.factors().0)),
        }
    }

    /// Compares two chains factor by factor, structurally.
    pub(super) fn chain_cmp(&self, a: &[ExprId], b: &[ExprId]) -> Ordering {
        for (x, y) in a.iter().zip(b) {
            let o = self.structural_cmp(*x, *y);
            if o != Ordering::Equal {
                return o;
            }
        }
        a.len().cmp(&b.len())
    }
}

/// The rank of a node's kind in [`Graph::structural_cmp`].
fn kind_rank(node: &Node) -> u8 {
    match node {
        Node::Const(_) => 0,
        Node::Var(_) => 1,
        Node::Identity(_) => 2,
        Node::Ones(_) => 3,
        Node::Zero(_) => 4,
        Node::Add(_) => 5,
        Node::Mul(_) => 6,
        Node::Hadamard(_) => 7,
        Node::Scale(..) => unreachable!("compared by what it scales"),
        Node::Pow(..) => 9,
        Node::Transpose(_) => 10,
        Node::Inverse(_) => 11,
        Node::Apply(..) => 12,
        Node::Opaque(..) => 13,
        Node::Upstream { .. } => 14,
        Node::Kron(..) => 15,
        Node::Commutation(..) => 16,
        Node::Duplication(_) => 17,
    }
}

/// Names in their natural order: runs of digits compare by their value
/// (`z2` before `z10`, `x9` before `x10`), everything else character by
/// character; names equal so (`x01` and `x1`) by their spelling, so it is a
/// total order on names.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        if x[i].is_ascii_digit() && y[j].is_ascii_digit() {
            let (start_x, start_y) = (i, j);
            while i < x.len() && x[i].is_ascii_digit() {
                i += 1;
            }
            while j < y.len() && y[j].is_ascii_digit() {
                j += 1;
            }
            // By value: without leading zeros, the longer run is larger.
            let trim = |run: &[u8]| -> usize { run.iter().take_while(|d| **d == b'0').count() };
            let run_x = &x[start_x + trim(&x[start_x..i])..i];
            let run_y = &y[start_y + trim(&y[start_y..j])..j];
            let by_value = run_x.len().cmp(&run_y.len()).then_with(|| run_x.cmp(run_y));
            if by_value != Ordering::Equal {
                return by_value;
            }
        } else {
            if x[i] != y[j] {
                return x[i].cmp(&y[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (x.len() - i).cmp(&(y.len() - j)).then_with(|| a.cmp(b))
}
