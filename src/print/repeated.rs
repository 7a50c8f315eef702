//! Which repeated parts of a short result get a name. A subterm written
//! more than once in the printed result, such as `softmax(W x)` in
//! `W^T (2 softmax(W x) .^ 2 - 2 (softmax(W x)^T softmax(W x)) softmax(W x))`,
//! is printed once as a definition (`t1 = softmax(W x)`) and then by its
//! name, when that makes the whole text shorter by at least
//! [`MIN_SYMBOLS_SAVED`] symbols of the printed-size measure
//! ([`crate::rules::size`]): a part of size `s` written `k` times costs
//! `k s` inline and `s + 1 + k` named (its definition, its name, its uses).
//! A part and its transpose are one part (the graph keeps transposes at
//! the leaves, so `(W^T W x - x)^T` is the node `x^T W^T W - x^T`): the
//! transposed uses are written `t1^T`.
//!
//! A part without a name in it (a constant) is never named.
//!
//! Parts are chosen greedily, the one saving most first (ties: the larger,
//! then the first in id order), and sizes and counts are recomputed after
//! each choice, since naming a part writes what is inside it only once.
//! Deterministic for a given graph; at most [`MAX_NAMES`] names and
//! quadratic only in the size of a short result (large results go through
//! the sharing of [`super::bindings`]).

use crate::ir::{ExprId, FastMap, FastSet, Graph, Node, SmallMap};
use crate::rules::size::node_size;
use crate::shape::Shape;

use super::powers::run_at;

/// A part is named only when the text gets at least this much shorter.
pub const MIN_SYMBOLS_SAVED: usize = 3;
/// Most parts named in one short result.
pub const MAX_NAMES: usize = 8;
/// Results with more nodes than this are not searched for transposed pairs
/// (the comparison is quadratic in the nodes of one kind and shape).
pub const MAX_PAIRED_NODES: usize = 400;

/// The parts of a result to name.
#[derive(Debug, Default)]
pub struct Repeated {
    /// The nodes that become definitions.
    pub named: FastSet<ExprId>,
    /// Nodes written as the transpose of a named node: node → named node.
    pub transposed: FastMap<ExprId, ExprId>,
}

impl Repeated {
    /// Whether nothing is named.
    pub fn is_empty(&self) -> bool {
        self.named.is_empty()
    }
}

/// The place of each node in `order`, indexed by id: `order` is every node
/// under a result, so its ids span no more than the graph the result's
/// `reachable_without_definitions` already walked.
struct Positions(Vec<u32>);

impl Positions {
    /// The positions of the nodes of `order` (increasing ids).
    fn new(order: &[ExprId]) -> Positions {
        let len = order.iter().map(|n| n.0 as usize + 1).max().unwrap_or(0);
        let mut at = vec![u32::MAX; len];
        for (i, n) in order.iter().enumerate() {
            at[n.0 as usize] = i as u32;
        }
        Positions(at)
    }

    /// The position of `n`, which is in `order`.
    fn of(&self, n: ExprId) -> usize {
        let i = self.0[n.0 as usize];
        debug_assert!(i != u32::MAX, "node {n:?} is not in the order");
        i as usize
    }
}

/// How a node of the result is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Written {
    /// Out in full.
    Inline,
    /// By its name (`t1`).
    Named,
    /// As its partner's name transposed (`t1^T`).
    Transposed,
}

/// The repeated parts of `root` worth naming; `order` is every node under
/// `root` (definitions' values excluded), children first.
pub fn repeated_parts(graph: &Graph, root: ExprId, order: &[ExprId]) -> Repeated {
    let position = Positions::new(order);
    let partner = transpose_partners(graph, order);
    // Which products print a run of repeated factors as a power, once for all rounds.
    let runs: Vec<bool> = order.iter().map(|&n| matches!(graph.node(n), Node::Mul(f) if has_run(graph, f))).collect();
    // A constant (`arctan(1)^(1/2)`) reads better written out than named.
    let mut has_name = vec![false; order.len()];
    for (i, &n) in order.iter().enumerate() {
        let mut any = matches!(graph.node(n), Node::Var(_));
        if !any {
            graph.for_each_child(n, |c| any |= has_name[position.of(c)]);
        }
        has_name[i] = any;
    }
    let mut written = vec![Written::Inline; order.len()];
    let mut repeated = Repeated::default();
    while repeated.named.len() < MAX_NAMES {
        let sizes = printed_sizes(graph, order, &position, &written, &runs);
        let counts = written_counts(graph, root, order, &position, &written, &runs);
        let mut best: Option<(usize, usize, usize)> = None;
        for (i, &n) in order.iter().enumerate() {
            if n == root || written[i] != Written::Inline || !has_name[i] || !worth_naming(graph, n) {
                continue;
            }
            let (inline, uses) = match partner[i] {
                // The partner is the name's transpose, so the smaller of the two is named.
                Some(j) if (sizes[j], j) < (sizes[i], i) => continue,
                Some(j) => (
                    counts[i].saturating_mul(sizes[i]).saturating_add(counts[j].saturating_mul(sizes[j])),
                    counts[i].saturating_add(counts[j].saturating_mul(2)),
                ),
                None => (counts[i].saturating_mul(sizes[i]), counts[i]),
            };
            let named = sizes[i].saturating_add(1).saturating_add(uses);
            let saved = inline.saturating_sub(named);
            let better = best.is_none_or(|(_, s, z)| saved > s || (saved == s && sizes[i] > z));
            if counts[i] >= 1 && saved >= MIN_SYMBOLS_SAVED && better {
                best = Some((i, saved, sizes[i]));
            }
        }
        let Some((i, _, _)) = best else { break };
        written[i] = Written::Named;
        repeated.named.insert(order[i]);
        if let Some(j) = partner[i] {
            written[j] = Written::Transposed;
            repeated.transposed.insert(order[j], order[i]);
        }
    }
    repeated
}

/// Whether a node may be named at all: a name for a name, a constant or a
/// transposed leaf would not read shorter.
pub fn worth_naming(graph: &Graph, id: ExprId) -> bool {
    !matches!(
        graph.node(id),
        Node::Const(_) | Node::Var(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) | Node::Transpose(_)
    )
}

/// For each node of `order`, the position of its transpose when that is
/// another node of `order`. Candidates are compared structurally
/// ([`is_transpose`]), never built, and only within groups of the same
/// kind, child count and transposed shape.
fn transpose_partners(graph: &Graph, order: &[ExprId]) -> Vec<Option<usize>> {
    let mut partner = vec![None; order.len()];
    if order.len() > MAX_PAIRED_NODES {
        return partner;
    }
    let mut groups: FastMap<(std::mem::Discriminant<Node>, usize, Shape), Vec<usize>> =
        FastMap::with_capacity_and_hasher(order.len(), Default::default());
    for (i, &n) in order.iter().enumerate() {
        let shape = graph.shape(n);
        if worth_naming(graph, n) && !shape.is_scalar() {
            groups.entry((std::mem::discriminant(graph.node(n)), child_count(graph, n), shape)).or_default().push(i);
        }
    }
    let mut memo = SmallMap::default();
    for (i, &n) in order.iter().enumerate() {
        if partner[i].is_some() || !worth_naming(graph, n) || graph.shape(n).is_scalar() {
            continue;
        }
        let key = (std::mem::discriminant(graph.node(n)), child_count(graph, n), graph.shape(n).transpose());
        let Some(candidates) = groups.get(&key) else { continue };
        if let Some(&j) = candidates
            .iter()
            .find(|&&j| j != i && partner[j].is_none() && is_transpose(graph, n, order[j], &mut memo, 0))
        {
            partner[i] = Some(j);
            partner[j] = Some(i);
        }
    }
    partner
}

/// The number of children of `n` (a name counts none).
fn child_count(graph: &Graph, n: ExprId) -> usize {
    let mut count = 0;
    if !matches!(graph.node(n), Node::Var(_)) {
        graph.for_each_child(n, |_| count += 1);
    }
    count
}

/// Deepest nesting [`is_transpose`] compares.
const MAX_TRANSPOSE_DEPTH: usize = 64;

/// Whether `t` is the transpose of `a`, by structure: each case is a law of
/// the transpose (`(A + B)^T = A^T + B^T`, `(A B)^T = B^T A^T`, `(A^-1)^T
/// = (A^T)^-1`, `f(A)^T = f(A^T)` elementwise, a scalar is its own
/// transpose), so a `true` is always right; anything else is `false`.
fn is_transpose(
    graph: &Graph,
    a: ExprId,
    t: ExprId,
    memo: &mut SmallMap<(ExprId, ExprId), bool>,
    depth: usize,
) -> bool {
    let (sa, st) = (graph.shape(a), graph.shape(t));
    if sa.transpose() != st {
        return false;
    }
    if sa.is_scalar() {
        return a == t;
    }
    if depth > MAX_TRANSPOSE_DEPTH {
        return false;
    }
    if let Some(known) = memo.get((a, t)) {
        return known;
    }
    let mut pair = |x: ExprId, y: ExprId| is_transpose(graph, x, y, memo, depth + 1);
    let answer = match (graph.node(a), graph.node(t)) {
        (Node::Transpose(b), _) => *b == t,
        (_, Node::Transpose(b)) => *b == a,
        (Node::Identity(_), Node::Identity(_)) | (Node::Zero(_), Node::Zero(_)) | (Node::Ones(_), Node::Ones(_)) => {
            true
        }
        (Node::Scale(c, x), Node::Scale(d, y)) => c == d && pair(*x, *y),
        (Node::Pow(x, e), Node::Pow(y, f)) => e == f && pair(*x, *y),
        (Node::Inverse(x), Node::Inverse(y)) => pair(*x, *y),
        (Node::Apply(f, x), Node::Apply(g, y)) => f == g && f.is_elementwise() && pair(*x, *y),
        (Node::Add(xs), Node::Add(ys)) | (Node::Hadamard(xs), Node::Hadamard(ys)) => {
            matched_as_multisets(xs, ys, &mut pair)
        }
        (Node::Mul(xs), Node::Mul(ys)) if xs.len() == ys.len() => {
            let scalars = |fs: &[ExprId]| fs.iter().take_while(|f| graph.shape(**f).is_scalar()).count();
            let (k, l) = (scalars(xs), scalars(ys));
            k == l && xs[..k] == ys[..l] && xs[k..].iter().zip(ys[l..].iter().rev()).all(|(x, y)| pair(*x, *y))
        }
        _ => false,
    };
    memo.insert((a, t), answer);
    answer
}

/// Whether each of `xs` pairs with a different one of `ys` under `pair`.
fn matched_as_multisets(xs: &[ExprId], ys: &[ExprId], pair: &mut dyn FnMut(ExprId, ExprId) -> bool) -> bool {
    if xs.len() != ys.len() {
        return false;
    }
    let mut taken = vec![false; ys.len()];
    xs.iter().all(|&x| match (0..ys.len()).find(|&j| !taken[j] && pair(x, ys[j])) {
        Some(j) => {
            taken[j] = true;
            true
        }
        None => false,
    })
}

/// The printed size of each node of `order` as written (a name counts 1,
/// a transposed name 2).
fn printed_sizes(
    graph: &Graph,
    order: &[ExprId],
    position: &Positions,
    written: &[Written],
    runs: &[bool],
) -> Vec<usize> {
    let mut sizes = vec![0usize; order.len()];
    for (i, &n) in order.iter().enumerate() {
        let of = |c: ExprId| {
            let j = position.of(c);
            match written[j] {
                Written::Inline => sizes[j],
                Written::Named => 1,
                Written::Transposed => 2,
            }
        };
        let size = match graph.node(n) {
            Node::Var(_) => 1,
            Node::Mul(factors) if runs[i] => {
                // Each run is written once, with its power (2 symbols).
                let (once, runs) = written_factors(graph, factors);
                let body = once.iter().fold(0usize, |acc, f| acc.saturating_add(of(*f)));
                body.saturating_add(once.len() - 1).saturating_add(2 * runs)
            }
            _ => node_size(graph, n, &of),
        };
        sizes[i] = size;
    }
    sizes
}

/// How many times each node of `order` is written in the printed result
/// (a named node's parts once, in its definition; a transposed name's
/// parts not at all).
fn written_counts(
    graph: &Graph,
    root: ExprId,
    order: &[ExprId],
    position: &Positions,
    written: &[Written],
    runs: &[bool],
) -> Vec<usize> {
    let mut counts = vec![0usize; order.len()];
    counts[position.of(root)] = 1;
    for (i, &n) in order.iter().enumerate().rev() {
        if counts[i] == 0 || matches!(graph.node(n), Node::Var(_)) {
            continue;
        }
        let each = match written[i] {
            Written::Inline => counts[i],
            Written::Named => 1,
            Written::Transposed => 0,
        };
        let add = |c: ExprId| {
            let j = position.of(c);
            counts[j] = counts[j].saturating_add(each);
        };
        match graph.node(n) {
            Node::Mul(factors) if runs[i] => written_factors(graph, factors).0.into_iter().for_each(add),
            _ => graph.for_each_child(n, add),
        }
    }
    counts
}

/// Whether the product of `factors` prints a repeated run as a power.
fn has_run(graph: &Graph, factors: &[ExprId]) -> bool {
    (0..factors.len()).any(|i| run_at(graph, factors, i, usize::MAX).is_some())
}

/// The factors of a product as the printer writes them, each run of
/// repeated blocks once (`X X X` is `X^3`), and the number of runs.
fn written_factors(graph: &Graph, factors: &[ExprId]) -> (Vec<ExprId>, usize) {
    let mut once = Vec::with_capacity(factors.len());
    let mut runs = 0;
    let mut i = 0;
    while i < factors.len() {
        match run_at(graph, factors, i, usize::MAX) {
            Some(run) => {
                once.extend_from_slice(&factors[i..i + run.len]);
                runs += 1;
                i += run.covered();
            }
            None => {
                once.push(factors[i]);
                i += 1;
            }
        }
    }
    (once, runs)
}
