//! The one driver: a rule set applied bottom-up over a term, each distinct
//! node once (memoised per `ExprId`), rebuilt only through the graph's
//! constructors, with a fixed point at each node bounded by a count of
//! rewrites (never a time), so the result is deterministic. A definition's
//! variable stands for its value: where the rules change the value, the
//! result holds the rewritten value in its place; where they do not, the
//! name stays. Rules for the whole result are tried at the root last.

use crate::ir::{ExprId, FastSet, Graph, IdMap, Node};

use super::funcs::FuncsUnder;
use super::RuleSet;

/// Most rewrites in a row at one node (each rewrite removes a construct, so
/// a longer chain means a rule set that does not terminate).
pub const MAX_REWRITES_PER_NODE: usize = 32;
/// Most rewrites in one run of the driver.
pub const MAX_REWRITES: usize = 10_000;

/// One rewrite: which rule turned which term into which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEntry {
    /// The rule's name.
    pub rule: &'static str,
    /// The term it matched.
    pub before: ExprId,
    /// What it became.
    pub after: ExprId,
}

/// The rewrites of one run, in the order they were made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The rewrites.
    pub entries: Vec<TraceEntry>,
    /// Set when a bound stopped the rewriting (the result is still equal to
    /// the input, only perhaps not fully rewritten).
    pub stopped: Option<&'static str>,
    /// Set when the rewritten form was longer than the input written with
    /// the user's names, so the input was kept.
    pub reverted: bool,
}

impl Trace {
    /// The names of the rules applied, in order.
    pub fn rule_names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.rule).collect()
    }
}

struct Driver<'a> {
    set: &'a RuleSet,
    memo: Memo,
    trace: Trace,
    /// The functions under each node tried (which rules can match it).
    funcs: FuncsUnder,
}

/// The rewritten form of each node done.
type Memo = IdMap<ExprId>;

/// `root` with `set` applied to every subterm until none applies (or a
/// bound is reached), and the trace of the rewrites.
pub fn normalise(graph: &mut Graph, root: ExprId, set: &RuleSet) -> (ExprId, Trace) {
    // Ids under the root are below it (rewrites add a few more).
    let len = root.0 as usize + 1;
    let mut driver =
        Driver { set, memo: Memo::with_len(len), trace: Trace::default(), funcs: FuncsUnder::with_len(len) };
    let mut result = driver.run(graph, root, 0);
    // The rules for the whole result, each rewrite rewritten again.
    let mut rewrites = 0;
    while let Some((rule, next)) = set.rewrite_root(graph, result) {
        if rewrites == MAX_REWRITES_PER_NODE || driver.trace.entries.len() >= MAX_REWRITES {
            driver.trace.stopped = Some("the rewrites at the root reached their bound");
            break;
        }
        rewrites += 1;
        driver.trace.entries.push(TraceEntry { rule: set.rules[rule].rule.name, before: result, after: next });
        result = driver.run(graph, next, 0);
    }
    (result, driver.trace)
}

impl Driver<'_> {
    /// Rewrites every node under `root` not yet seen, children first.
    fn run(&mut self, graph: &mut Graph, root: ExprId, depth: usize) -> ExprId {
        for n in self.pending(graph, root, depth) {
            if self.memo.contains(n) {
                continue;
            }
            let result = self.node(graph, n, depth);
            self.memo.insert(n, result);
            self.memo.insert(result, result);
        }
        self.memo.get(root).unwrap_or(root)
    }

    /// The nodes under `root` (definitions' values included) not yet
    /// rewritten, in increasing id order: children before parents. The
    /// first run marks them in a vector as long as the graph; the runs on
    /// rebuilt nodes (`depth` > 0) reach few new nodes and keep a set.
    fn pending(&self, graph: &Graph, root: ExprId, depth: usize) -> Vec<ExprId> {
        let mut stack = vec![root];
        if depth == 0 {
            let mut seen = vec![false; root.0 as usize + 1];
            while let Some(id) = stack.pop() {
                if self.memo.contains(id) || !crate::ir::mark(&mut seen, id) {
                    continue;
                }
                graph.for_each_child(id, |c| stack.push(c));
            }
            return crate::ir::seen_ids(&seen);
        }
        let mut seen = FastSet::default();
        let mut out = Vec::new();
        while let Some(id) = stack.pop() {
            if self.memo.contains(id) || !seen.insert(id) {
                continue;
            }
            out.push(id);
            graph.for_each_child(id, |c| stack.push(c));
        }
        // Ids are distinct: an unstable sort gives the one order.
        out.sort_unstable();
        out
    }

    /// The rewritten form of `n`, whose children are rewritten already.
    fn node(&mut self, graph: &mut Graph, n: ExprId, depth: usize) -> ExprId {
        let rebuilt = self.rebuild(graph, n);
        if rebuilt != n {
            // The constructors may have built new subterms: rewrite the
            // rebuilt node as a whole (its rewritten children are known).
            return self.again(graph, rebuilt, depth);
        }
        if self.trace.entries.len() >= MAX_REWRITES {
            self.trace.stopped = Some("the rewrites of one run reached their bound");
            return n;
        }
        let under = self.funcs.of(graph, n);
        let Some((rule, next)) = self.set.rewrite_once(graph, n, under) else { return n };
        self.trace.entries.push(TraceEntry { rule: self.set.rules[rule].rule.name, before: n, after: next });
        self.again(graph, next, depth)
    }

    /// `id` (a node just built) rewritten, one level deeper.
    fn again(&mut self, graph: &mut Graph, id: ExprId, depth: usize) -> ExprId {
        if let Some(done) = self.memo.get(id) {
            return done;
        }
        if depth + 1 >= MAX_REWRITES_PER_NODE {
            self.trace.stopped = Some("the rewrites at one node reached their bound");
            return id;
        }
        self.run(graph, id, depth + 1)
    }

    /// `n` with its children replaced by their rewritten forms, through the
    /// constructors; `n` itself when no child changed.
    fn rebuild(&self, graph: &mut Graph, n: ExprId) -> ExprId {
        let map = |x: &ExprId| self.memo.get(*x).unwrap_or(*x);
        // Most nodes keep their children: that is checked without copying anything.
        let mut changed = false;
        graph.for_each_child(n, |c| changed |= map(&c) != c);
        if !changed {
            return n;
        }
        match graph.node(n).clone() {
            // A definition whose value the rules changed: the changed value.
            Node::Var(s) => graph.definition_value(s).map_or(n, |value| map(&value)),
            Node::Add(c) => graph.add(c.iter().map(map).collect()),
            Node::Mul(c) => graph.mul(c.iter().map(map).collect()),
            Node::Hadamard(c) => graph.hadamard(c.iter().map(map).collect()),
            Node::Scale(c, a) => graph.scale(c, map(&a)),
            Node::Pow(a, b) => graph.pow(map(&a), map(&b)),
            Node::Kron(a, b) => graph.kron(map(&a), map(&b)),
            Node::Transpose(a) => graph.transpose(map(&a)),
            Node::Inverse(a) => graph.inverse(map(&a)),
            Node::Apply(f, a) => graph.apply(f, map(&a)),
            Node::Opaque(s, a) => graph.opaque(s, map(&a)),
            Node::Upstream { loss, function, arg } => graph.upstream(loss, function, map(&arg)),
            _ => n,
        }
    }
}
