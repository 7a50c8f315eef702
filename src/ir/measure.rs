//! How large a term is written out as a tree: its node count
//! ([`Graph::tree_size`]) and its printed size ([`crate::rules::size`]),
//! a shared subterm counting once per use and a name as one node. Both are
//! folds over the children, so each node's measures are kept as it is
//! interned, from its children's: measuring a term is a lookup. The
//! measures saturate (a small graph can stand for an exponentially large
//! tree), and every measure of a node is at least each child measure it
//! reads and grows with them, so the kept value capped at a limit is what
//! the fold capped node by node gives.

use super::{ExprId, Graph, Node};

/// A measure of a node given the measures of its children (see
/// [`Graph::tree_measure`]).
pub type NodeMeasure = dyn Fn(&Graph, ExprId, &dyn Fn(ExprId) -> usize) -> usize;

/// The measures of one node as a tree, saturating at `u32::MAX`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Measures {
    /// Nodes of the tree.
    tree: u32,
    /// Symbols of its text ([`crate::rules::size::node_size`]).
    printed: u32,
}

impl Graph {
    /// Keeps the measures of `id`, just interned (its children's are kept).
    pub(super) fn push_measures(&mut self, id: ExprId) {
        let of = |c: ExprId| self.measures[c.0 as usize];
        let tree = if matches!(self.node(id), Node::Var(_)) {
            1
        } else {
            let mut acc = 1u32;
            self.for_each_child(id, |c| acc = acc.saturating_add(of(c).tree));
            acc
        };
        let printed = crate::rules::size::node_size(self, id, &|c| of(c).printed as usize);
        let printed = u32::try_from(printed).unwrap_or(u32::MAX);
        self.measures.push(Measures { tree, printed });
    }

    /// How many nodes `root` has when written out as a tree (as the
    /// printers do: a shared subexpression counts once per use; a name
    /// counts as one node), counted up to `limit` and saturating above it.
    pub fn tree_size(&self, root: ExprId, limit: usize) -> usize {
        if limit < u32::MAX as usize {
            return (self.measures[root.0 as usize].tree as usize).min(limit + 1);
        }
        self.tree_measure(root, limit, &|graph, id, of| {
            if matches!(graph.node(id), Node::Var(_)) {
                return 1;
            }
            let mut acc = 1usize;
            graph.for_each_child(id, |c| acc = acc.saturating_add(of(c)));
            acc
        })
    }

    /// The printed size of `root` ([`crate::rules::size::printed_size`]).
    pub(crate) fn printed_size(&self, root: ExprId, limit: usize) -> usize {
        let kept = self.measures[root.0 as usize];
        // A tree within the limit has no more distinct nodes than that, so
        // the walk would not stop early.
        if limit < u32::MAX as usize && kept.tree as usize <= limit {
            return (kept.printed as usize).min(limit + 1);
        }
        self.tree_measure(root, limit, &crate::rules::size::node_size)
    }

    /// A measure of `root` written out as a tree, folded bottom-up over its
    /// distinct nodes (a name is a leaf): `node(graph, id, of)` is the
    /// measure of `id` given `of`, the measures of its children. Counted up
    /// to `limit` (at least one per distinct node) and saturating above it.
    pub fn tree_measure(&self, root: ExprId, limit: usize, node: &NodeMeasure) -> usize {
        // Children have smaller ids than their parents (a name is a leaf),
        // so a max-heap hands out every node after all of its parents: each
        // distinct node once, its copies one after another, in decreasing
        // id order, without a set of the nodes seen.
        let mut heap = std::collections::BinaryHeap::with_capacity(32);
        heap.push(root);
        let mut order: Vec<ExprId> = Vec::with_capacity(32);
        while let Some(id) = heap.pop() {
            if order.last() == Some(&id) {
                continue;
            }
            order.push(id);
            // The tree is at least as large as its distinct nodes.
            if order.len() > limit {
                return limit.saturating_add(1);
            }
            if !matches!(self.node(id), Node::Var(_)) {
                self.for_each_child(id, |c| heap.push(c));
            }
        }
        order.reverse();
        let cap = limit.saturating_add(1);
        let mut sizes: Vec<usize> = Vec::with_capacity(order.len());
        for &id in &order {
            // The children come earlier in `order`, their sizes already known.
            let of = |c: ExprId| order.binary_search(&c).map_or(0, |i| sizes[i]);
            let size = node(self, id, &of).min(cap);
            sizes.push(size);
        }
        sizes.last().copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{ExprId, Node};
    use crate::rules::size::node_size;

    /// The kept measures of every node are the walks' over its distinct
    /// nodes, at every limit, for programs with shared subterms, names,
    /// reciprocals, negative terms and powers (an exponentially large tree).
    #[test]
    fn kept_measures_are_the_walks() {
        let programs = [
            "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)",
            "A: matrix(n, n); x: vector(n); s: scalar; -2 A x / s^3 - 2 A^T x / s^3 + x / s",
            "x: vector(n); y1 = x .* x; y2 = y1 .* y1; y3 = y2 .* y2; y4 = y3 .* y3; sum(exp(y4 + y3 - y2))",
            "X: matrix(n, n); a: vector(n); a^T inv(X) a - log(det(X)) + tr(X X^T X)",
        ];
        for source in programs {
            let mut analysis = crate::analyze(source).expect("analyses");
            let wrt = if source.starts_with("W") {
                "W"
            } else if source.starts_with("X") {
                "X"
            } else {
                "x"
            };
            analysis.derivative(None, wrt).expect("differentiates");
            let graph = analysis.graph();
            let tree = |graph: &crate::ir::Graph, id: ExprId, of: &dyn Fn(ExprId) -> usize| {
                if matches!(graph.node(id), Node::Var(_)) {
                    return 1;
                }
                let mut acc = 1usize;
                graph.for_each_child(id, |c| acc = acc.saturating_add(of(c)));
                acc
            };
            for id in (0..graph.len()).map(|i| ExprId(i as u32)) {
                for limit in [0, 1, 2, 3, 5, 8, 13, 40, 4096] {
                    assert_eq!(graph.tree_size(id, limit), graph.tree_measure(id, limit, &tree), "{source}: {id:?}");
                    assert_eq!(
                        graph.printed_size(id, limit),
                        graph.tree_measure(id, limit, &node_size),
                        "{source}: {id:?}"
                    );
                }
            }
        }
    }
}
