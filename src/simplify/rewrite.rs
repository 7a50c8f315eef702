//! Rebuilding through the constructors: `rewrite` (bottom-up, memoised),
//! `rebuild_with` (no simplification, for printers), and
//! `rename_definitions`, which writes named values by their names.

use crate::ir::{ExprId, FastMap, Graph, Node, Role, SymbolId};

impl Graph {
    /// Rebuilds `id` bottom-up through the constructors with `replace`
    /// applied first at every node (memoised); a node none of whose children
    /// changed is kept as it is.
    pub fn rewrite(&mut self, id: ExprId, replace: &mut dyn FnMut(&mut Graph, ExprId) -> Option<ExprId>) -> ExprId {
        let mut memo: FastMap<ExprId, ExprId> = FastMap::default();
        let mut children = Vec::new();
        let order = self.reachable_without_definitions(id);
        for n in order {
            if let Some(r) = replace(self, n) {
                memo.insert(n, r);
                continue;
            }
            let map = |x: &ExprId| *memo.get(x).unwrap_or(x);
            // A node none of whose children changed stays as it is (it is
            // canonical already; rebuilding it would simplify it again).
            children.clear();
            self.push_children(n, &mut children);
            if children.iter().all(|x| map(x) == *x) {
                continue;
            }
            let rebuilt = match self.node(n).clone() {
                Node::Add(c) => {
                    let c: Vec<ExprId> = c.iter().map(map).collect();
                    self.add(c)
                }
                Node::Mul(c) => {
                    let c: Vec<ExprId> = c.iter().map(map).collect();
                    self.mul(c)
                }
                Node::Hadamard(c) => {
                    let c: Vec<ExprId> = c.iter().map(map).collect();
                    self.hadamard(c)
                }
                Node::Scale(c, a) => self.scale(c, map(&a)),
                Node::Pow(a, b) => self.pow(map(&a), map(&b)),
                Node::Transpose(a) => self.transpose(map(&a)),
                Node::Inverse(a) => self.inverse(map(&a)),
                Node::Apply(f, a) => self.apply(f, map(&a)),
                Node::Opaque(s, a) => self.opaque(s, map(&a)),
                Node::Upstream { loss, function, arg } => self.upstream(loss, function, map(&arg)),
                Node::Kron(a, b) => self.kron(map(&a), map(&b)),
                Node::Const(_)
                | Node::Var(_)
                | Node::Identity(_)
                | Node::Ones(_)
                | Node::Zero(_)
                | Node::Commutation(..)
                | Node::Duplication(_) => n,
            };
            memo.insert(n, rebuilt);
        }
        *memo.get(&id).unwrap_or(&id)
    }

    /// The node `n` with each child looked up in `written` (children not
    /// there stay), interned as it is, without simplification: the printers
    /// name shared subterms this way, so what they print is the graph's own
    /// structure (simplifying around a name could take another form).
    pub fn rebuild_with(&mut self, n: ExprId, written: &FastMap<ExprId, ExprId>) -> ExprId {
        self.rebuild_mapped(n, |x| *written.get(&x).unwrap_or(&x))
    }

    /// [`Graph::rebuild_with`], each child `c` replaced by `written(c)`.
    pub fn rebuild_mapped(&mut self, n: ExprId, written: impl Fn(ExprId) -> ExprId) -> ExprId {
        let node = self.node(n).clone().map_children(written);
        let shape = self.shape(n);
        self.intern(node, shape)
    }

    /// Nodes reachable from `root` without entering definitions' values.
    pub fn reachable_without_definitions(&self, root: ExprId) -> Vec<ExprId> {
        // Children have smaller ids than their parents, so `root` bounds
        // them, except a definition's value built after its name's node.
        let mut seen = vec![false; root.0 as usize + 1];
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if !crate::ir::mark(&mut seen, id) {
                continue;
            }
            if !matches!(self.node(id), Node::Var(_)) {
                self.for_each_child(id, |c| stack.push(c));
            }
        }
        crate::ir::seen_ids(&seen)
    }

    /// Rewrites `id` so that every subterm equal to the value of a
    /// definition among `names` (other than `except`) is written by the
    /// definition's name.
    pub fn rename_definitions(&mut self, id: ExprId, except: Option<SymbolId>) -> ExprId {
        let mut table: FastMap<ExprId, SymbolId> = FastMap::default();
        for (sid, symbol) in self.symbols() {
            if let Role::Definition(value) = symbol.role {
                if Some(sid) != except && !matches!(self.node(value), Node::Var(_) | Node::Const(_)) {
                    table.entry(value).or_insert(sid);
                }
            }
        }
        if table.is_empty() {
            return id;
        }
        let mut replace = |g: &mut Graph, n: ExprId| -> Option<ExprId> {
            let sid = *table.get(&n)?;
            Some(g.var(sid))
        };
        let mut current = id;
        // Renaming can expose new matches (a sum rebuilt into a named value).
        for _ in 0..4 {
            let next = self.rewrite(current, &mut replace);
            if next == current {
                break;
            }
            current = next;
        }
        current
    }
}
