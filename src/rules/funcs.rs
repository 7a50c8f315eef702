//! Which built-in functions occur under a term. A pattern matches its
//! left side node by node, so a rule whose left side applies a function
//! that a term does not contain cannot match it: the driver does not try
//! it there (`sigmoid(-?z)` is never tried inside a `tanh` network).

use crate::ir::{ExprId, Graph, IdMap, Node};
use crate::ops::Func;

/// A set of built-in functions, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FuncSet(u128);

impl FuncSet {
    /// Every function: a term nothing is known about.
    pub const ALL: FuncSet = FuncSet(u128::MAX);

    /// `f` alone. A function past the set's width has no bit, so a rule
    /// never needs it and a term never shows it: the filter then lets the
    /// rule be tried, as without it.
    fn of(f: Func) -> FuncSet {
        FuncSet(1u128.checked_shl(f as u32).unwrap_or(0))
    }

    /// Whether every function of `needed` is in the set.
    pub fn has_all(self, needed: FuncSet) -> bool {
        self.0 & needed.0 == needed.0
    }

    /// The functions in both sets.
    pub fn intersection(self, other: FuncSet) -> FuncSet {
        FuncSet(self.0 & other.0)
    }

    /// The function `id` applies at its top, if any.
    fn own(graph: &Graph, id: ExprId) -> FuncSet {
        match graph.node(id) {
            Node::Apply(f, _) => FuncSet::of(*f),
            _ => FuncSet::default(),
        }
    }

    /// The functions applied under `root` in `graph`, not through names (a
    /// rule's left side).
    pub fn applied_under(graph: &Graph, root: ExprId) -> FuncSet {
        let bits = graph.reachable_without_definitions(root).into_iter().fold(0, |acc, n| acc | Self::own(graph, n).0);
        FuncSet(bits)
    }
}

/// The functions under each node of a graph, each node's found once (ids
/// are dense, so a vector indexed by id). A definition's value counts as
/// under its name: more than a pattern can reach, so never a match missed.
#[derive(Default)]
pub struct FuncsUnder(IdMap<FuncSet>);

impl FuncsUnder {
    /// Room for the nodes with ids below `len`.
    pub fn with_len(len: usize) -> FuncsUnder {
        FuncsUnder(IdMap::with_len(len))
    }

    fn known(&self, id: ExprId) -> Option<FuncSet> {
        self.0.get(id)
    }

    fn record(&mut self, id: ExprId, set: FuncSet) {
        self.0.insert(id, set);
    }

    /// The functions applied under `id` (itself included). Children are
    /// done first with an explicit stack, so any depth is safe.
    pub fn of(&mut self, graph: &Graph, id: ExprId) -> FuncSet {
        if let Some(set) = self.known(id) {
            return set;
        }
        // The driver goes children first: theirs are usually known.
        let mut bits = FuncSet::own(graph, id).0;
        let mut children_known = true;
        graph.for_each_child(id, |c| match self.known(c) {
            Some(s) => bits |= s.0,
            None => children_known = false,
        });
        if children_known {
            self.record(id, FuncSet(bits));
            return FuncSet(bits);
        }
        let mut stack = vec![(id, false)];
        while let Some((n, children_done)) = stack.pop() {
            if self.known(n).is_some() {
                continue;
            }
            if children_done {
                let mut bits = FuncSet::own(graph, n).0;
                // A child not yet known (none is, in a graph without cycles)
                // counts as having every function: never a match missed.
                graph.for_each_child(n, |c| bits |= self.known(c).map_or(u128::MAX, |s| s.0));
                self.record(n, FuncSet(bits));
            } else {
                stack.push((n, true));
                graph.for_each_child(n, |c| {
                    if self.known(c).is_none() {
                        stack.push((c, false));
                    }
                });
            }
        }
        self.known(id).unwrap_or(FuncSet::ALL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::standard;

    fn needs_of(rule: &str) -> FuncSet {
        standard().rules.iter().find(|r| r.rule.name == rule).map(|r| r.needs).expect("a rule of the table")
    }

    #[test]
    fn a_pattern_needs_the_functions_of_its_left_side() {
        assert_eq!(needs_of("sigmoid-neg"), FuncSet::of(Func::Sigmoid));
        assert_eq!(needs_of("log-sigmoid"), FuncSet(FuncSet::of(Func::Log).0 | FuncSet::of(Func::Sigmoid).0));
        // A native rule is always tried.
        assert_eq!(needs_of("collect"), FuncSet::default());
    }

    #[test]
    fn the_functions_under_a_term_are_found_at_any_depth() {
        let mut analysis = crate::analyze("x: vector(n); x").expect("a program");
        let mut term = analysis.value(None).expect("a value");
        let graph = analysis.graph_mut();
        for i in 0..100_000 {
            term = graph.apply(if i == 0 { Func::Sigmoid } else { Func::Tanh }, term);
        }
        let under = FuncsUnder::default().of(graph, term);
        assert!(under.has_all(FuncSet(FuncSet::of(Func::Sigmoid).0 | FuncSet::of(Func::Tanh).0)));
        assert!(!under.has_all(FuncSet::of(Func::Exp)));
    }
}
