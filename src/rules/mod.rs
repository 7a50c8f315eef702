//! Rules as data: every identity beyond the constructors' canonical laws is
//! a named [`Rule`] in a rule set, written as a pattern in matcalc's own
//! syntax with `?name` metavariables (`sigmoid(-?z) => 1 - sigmoid(?z)`).
//!
//! - [`table`] holds the rules, one entry each;
//! - [`pattern`] compiles a rule's two sides with the real parser and
//!   lowering, at each declared shape of its metavariables, and checks that
//!   both sides have one shape (a rule that does not is refused when the
//!   table loads);
//! - [`matcher`] matches a compiled left side against the graph's canonical
//!   nodes and builds the right side through the graph's constructors;
//! - [`collect`] and [`size`] are the native rule that collects a
//!   polynomial after expanding it, and the printed-size measure it keeps
//!   its result by;
//! - [`factor`] is the native rule that takes a factor common to terms of
//!   a sum out of them, on either side of their products;
//! - [`norms`] is the native rule that writes the square root of a squared
//!   norm as the norm (`sqrt(tr(A A^T))` is `norm(A)`);
//! - [`sigmoid`] holds the native rules that merge a sigmoid with an
//!   exponential of its argument (`e^-u σ(u)` is `1 − σ(u)`) and write
//!   swish′ with the user's name for swish;
//! - [`softmax`] is the native rule that writes `p ⊙ g − (gᵀp) p` as the
//!   softmax Jacobian applied to `g`, `(diag(p) − p pᵀ) g`;
//! - [`distribute`] is the native rule that distributes a Hadamard
//!   product over a sum factor where that cancels factors;
//! - [`mod@products`] holds the native rules that merge a diagonal matrix
//!   into a neighbouring vector and write an inner product with a Hadamard
//!   side as a sum;
//! - [`sums`] is the native rule that merges the diagonal matrices of a
//!   sum into one;
//! - [`diagonals`] holds the native rules that write elementwise
//!   operations on diagonal matrices as matrix operations and the diagonal
//!   of one as its vector;
//! - [`signs`] is the native rule that absorbs a leading minus into a
//!   difference, at the root of a result;
//! - [`driver`] applies a rule set bottom-up, memoised per node, to a fixed
//!   point bounded by a count of rewrites, and records a [`Trace`];
//!
//! Every rule is oriented so that it removes a construct (a negated
//! argument, a function of a function, a term), so rewriting terminates; the
//! driver still bounds the rewrites at one node and in all, and the trace
//! says when a bound stopped it.

pub mod collect;
pub mod diagonals;
pub mod distribute;
pub mod driver;
pub mod factor;
pub mod funcs;
pub mod matcher;
pub mod norms;
pub mod pattern;
pub mod products;
pub mod sigmoid;
pub mod signs;
pub mod size;
pub mod softmax;
pub mod sums;
pub mod table;

use std::sync::OnceLock;

use crate::ir::{ExprId, Graph};

pub use funcs::FuncSet;

pub use driver::{normalise, Trace, TraceEntry};
pub use pattern::CompiledRule;

/// What a rule does to a node.
#[derive(Clone, Copy, Debug)]
pub enum Body {
    /// A rewrite `lhs => rhs` of patterns in matcalc's syntax.
    Pattern {
        /// The left side, with `?name` metavariables.
        lhs: &'static str,
        /// The right side, over the left side's metavariables.
        rhs: &'static str,
    },
    /// A rewrite that is not a pattern.
    Native {
        /// The operators of the nodes it looks at.
        heads: &'static [matcher::Head],
        /// The node's replacement, or `None` where the rule does not apply.
        apply: fn(&mut Graph, ExprId) -> Option<ExprId>,
        /// Programs over the metavariables of [`Rule::shapes`] on which the
        /// rule applies: the soundness tests instantiate them with random
        /// terms and compare the rewritten value with the original. A
        /// template may begin with definitions, each ending in `; `.
        templates: &'static [&'static str],
    },
}

/// One named identity.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// The rule's name, as `--trace` prints it.
    pub name: &'static str,
    /// The rule set it belongs to.
    pub set: &'static str,
    /// One line on what it says.
    pub doc: &'static str,
    /// The rewrite.
    pub body: Body,
    /// Shapes of the metavariables, as declarations in matcalc's syntax
    /// (`?x: vector(n); ?c: scalar`): the rule is compiled, shape-checked and
    /// tested at each, and matches terms whose metavariables have the same
    /// kind (scalar, vector, row or matrix) with consistent dimensions.
    pub shapes: &'static [&'static str],
    /// A condition on the match, `?c is scalar` or `?c is constant`, or "".
    pub guard: &'static str,
    /// Programs whose simplified value shows the rule at work.
    pub examples: &'static [&'static str],
}

/// A rule set compiled and checked, indexed by the head of each left side.
#[derive(Debug)]
pub struct RuleSet {
    /// The compiled rules in table order.
    pub rules: Vec<CompiledRule>,
    index: matcher::HeadIndex,
}

impl RuleSet {
    /// Compiles `rules`, or says which rule is wrong and why.
    pub fn compile(rules: &[Rule]) -> Result<RuleSet, String> {
        let mut compiled = Vec::new();
        for rule in rules {
            compiled.push(CompiledRule::compile(rule).map_err(|e| format!("rule `{}`: {e}", rule.name))?);
        }
        let index = matcher::HeadIndex::new(&compiled);
        Ok(RuleSet { rules: compiled, index })
    }

    /// The first rule (in table order) that rewrites `id`, with the result;
    /// `under` holds the functions applied under `id` (rules needing
    /// others are not tried).
    pub fn rewrite_once(&self, graph: &mut Graph, id: ExprId, under: FuncSet) -> Option<(usize, ExprId)> {
        let candidates = self.index.candidates(graph, id);
        self.first_rewrite(candidates, graph, id, under)
    }

    /// The first rule for the whole result ([`matcher::Head::Root`]) that
    /// rewrites `root`, with the result.
    pub fn rewrite_root(&self, graph: &mut Graph, root: ExprId) -> Option<(usize, ExprId)> {
        self.first_rewrite(self.index.root_candidates(), graph, root, FuncSet::ALL)
    }

    /// The first of `candidates` that rewrites `id`, with the result.
    fn first_rewrite(
        &self,
        candidates: &[usize],
        graph: &mut Graph,
        id: ExprId,
        under: FuncSet,
    ) -> Option<(usize, ExprId)> {
        for &i in candidates {
            if !under.has_all(self.rules[i].needs) {
                continue;
            }
            if let Some(new) = self.rules[i].apply(graph, id) {
                if new != id {
                    return Some((i, new));
                }
            }
        }
        None
    }
}

/// The rules applied to every result: [`table::RULES`], compiled once.
pub fn standard() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| match RuleSet::compile(table::RULES) {
        Ok(set) => set,
        // The table is part of the program, not input; the test suite
        // loads it, so a wrong rule never ships.
        Err(e) => panic!("the rule table does not load: {e}"),
    })
}

/// The rules of set `products` alone (a diagonal into a vector, an inner
/// product with a Hadamard side as a sum, a Hadamard product distributed
/// where that cancels, the diagonals of a sum merged): the readability
/// rules that were part of the constructors, which `--steps` applies to the
/// value of each line it writes.
pub fn products() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| {
        let rules: Vec<Rule> = table::RULES.iter().filter(|r| r.set == "products").copied().collect();
        match RuleSet::compile(&rules) {
            Ok(set) => set,
            Err(e) => panic!("the rule table does not load: {e}"),
        }
    })
}

/// `root` rewritten by the standard rules, with the trace of what applied.
pub fn apply_standard(graph: &mut Graph, root: ExprId) -> (ExprId, Trace) {
    normalise(graph, root, standard())
}
