//! Printing large results with their shared subterms named once: a result
//! whose tree is much larger than its graph is printed as definitions
//! (`t1 = …`) followed by the expression, which is itself a valid program,
//! so printed size stays linear in the graph's size.

use super::repeated::{self, worth_naming, Repeated};
use super::{render, render_spelled, Notation, Spellings};
use crate::ir::{ExprId, FastMap, FastSet, Graph, IdMap, Node, Role, Symbol};
use crate::shape::Shape;

/// Results whose expanded tree has at most this many nodes print inline,
/// unless it repeats itself (see [`REPETITIVE_TREE_SIZE`]).
pub const INLINE_TREE_SIZE: usize = 400;
/// Results whose expanded tree has more nodes than this and is more than
/// three times their graph (the same subterms written out again and again)
/// print with shared subterms named, as do results where a sum is kept whole
/// inside another (a residual net's backpropagated errors).
pub const REPETITIVE_TREE_SIZE: usize = 60;

/// Renders `id`; if its expanded tree exceeds [`INLINE_TREE_SIZE`] nodes and
/// sharing would shrink it, or it is repetitive, shared subterms become
/// definitions `t1 = …`.
pub fn render_shared(graph: &mut Graph, id: ExprId, notation: &dyn Notation, width: usize) -> String {
    with_shared(graph, id, |graph, shared| match shared {
        None => render(graph, id, notation, width),
        Some(shared) => {
            // One spelling of the names for every line.
            let spellings = Spellings::new(graph, notation);
            let mut lines = Vec::with_capacity(shared.bindings.len() + 1);
            for (name, value) in &shared.bindings {
                let shape = graph.shape(*value);
                let text = render_spelled(graph, *value, notation, &spellings, width);
                lines.push(format!("{} = {}", spellings.name(notation, name, shape), text));
            }
            lines.push(render_spelled(graph, shared.root, notation, &spellings, width));
            lines.join("\n")
        }
    })
}

/// Runs `print` on `graph` with the shared subterms of `id` named (see
/// [`share`]; `None` when it prints fine inline). The temporary definitions
/// and every node built meanwhile are forgotten afterwards, so the
/// program's symbols stay as they are and nothing is copied.
pub fn with_shared<R>(graph: &mut Graph, id: ExprId, print: impl FnOnce(&mut Graph, Option<&Shared>) -> R) -> R {
    let mark = graph.mark();
    match share(graph, id) {
        None => {
            graph.rollback(mark);
            print(graph, None)
        }
        Some(shared) => {
            let out = print(graph, Some(&shared));
            graph.rollback(mark);
            out
        }
    }
}

/// A result rewritten over named shared subterms (the definitions live in
/// the graph until [`with_shared`] forgets them).
pub struct Shared {
    /// The definitions `t1 = …`, in order (each uses only earlier ones).
    pub bindings: Vec<(String, ExprId)>,
    /// The result written with the names.
    pub root: ExprId,
}

/// Names the shared subterms of `id` when its tree is large (see
/// [`render_shared`]); `None` when it prints fine inline. The definitions
/// are added to `graph` (callers forget them with [`Graph::rollback`], as
/// [`with_shared`] does). Products that end in the same factors are first
/// written over one product of those factors (see [`share_chain_ends`]).
pub fn share(graph: &mut Graph, id: ExprId) -> Option<Shared> {
    let order = graph.reachable_without_definitions(id);
    let (tree_size, uses) = sizes_and_uses(graph, &order);
    let tree = tree_size[id.0 as usize];
    // A sum kept whole inside another (`W^T (d .* f) + d` with `d = h - y`) is
    // a backpropagated error used twice: naming it reads as a derivation.
    let nested_sum = order.iter().any(|&n| match graph.node(n) {
        Node::Add(terms) => terms.iter().any(|t| matches!(graph.node(*t), Node::Add(_))),
        _ => false,
    });
    let repetitive = (tree > REPETITIVE_TREE_SIZE && tree > 3 * order.len()) || (nested_sum && tree > order.len());
    if !repetitive && (tree <= INLINE_TREE_SIZE || tree <= 2 * order.len()) {
        // A short result: only the parts it writes more than once, where
        // naming them makes it shorter.
        let parts = repeated::repeated_parts(graph, id, &order);
        return (!parts.is_empty()).then(|| bind(graph, id, &order, &parts));
    }
    let (id, chain_ends) = share_chain_ends(graph, id, &order);
    let (order, (tree_size, uses)) = if chain_ends.is_empty() {
        (order, (tree_size, uses))
    } else {
        let order = graph.reachable_without_definitions(id);
        let counts = sizes_and_uses(graph, &order);
        (order, counts)
    };
    let mut shared: FastSet<ExprId> = order
        .iter()
        .copied()
        .filter(|n| {
            *n != id
                && uses[n.0 as usize] >= 2
                && (tree_size[n.0 as usize] >= 4 || chain_ends.contains(n))
                && worth_naming(graph, *n)
        })
        .collect();
    name_deep_sums(graph, id, &order, &mut shared);
    Some(bind(graph, id, &order, &Repeated { named: shared, transposed: FastMap::default() }))
}

/// `id` written over definitions of the nodes of `parts.named` (`order`
/// is every node under `id`, children first), each node of
/// `parts.transposed` as the transpose of its partner's name: the
/// definitions are added to `graph`, named `t1`, `t2`, … (names the program
/// uses are skipped).
fn bind(graph: &mut Graph, id: ExprId, order: &[ExprId], parts: &Repeated) -> Shared {
    let len = order.last().map_or(0, |n| n.0 as usize + 1);
    let mut binder = Binder { written: IdMap::with_len(len), done: vec![false; len], bindings: Vec::new(), counter: 0 };
    // One pass in id order (children first): each node written with the
    // names of the shared nodes under it, each shared node then named. A
    // transposed use that comes before its partner (a smaller id) has the
    // partner, and all under it, written first.
    for &n in order {
        if let Some(&partner) = parts.transposed.get(&n) {
            if !binder.done.get(partner.0 as usize).copied().unwrap_or(false) {
                for m in graph.reachable_without_definitions(partner) {
                    binder.visit(graph, m, parts);
                }
            }
        }
        binder.visit(graph, n, parts);
    }
    let root = binder.written.get(id).unwrap_or(id);
    Shared { bindings: binder.bindings, root }
}

/// The state of [`bind`]'s pass.
struct Binder {
    /// Each node rewritten so far, where it changed: its new form.
    written: IdMap<ExprId>,
    /// The nodes visited, indexed by id.
    done: Vec<bool>,
    /// The definitions made, in order.
    bindings: Vec<(String, ExprId)>,
    /// The number of the last name tried.
    counter: usize,
}

impl Binder {
    /// Writes `n` (its children already written) with the names under it;
    /// names it if it is shared, or writes it as its partner's name
    /// transposed.
    fn visit(&mut self, graph: &mut Graph, n: ExprId, parts: &Repeated) {
        if !crate::ir::mark(&mut self.done, n) {
            return;
        }
        if let Some(&partner) = parts.transposed.get(&n) {
            // The partner is visited first, so it has its name.
            let name = self.written.get(partner).unwrap_or(partner);
            let transposed = graph.transpose(name);
            self.written.insert(n, transposed);
            return;
        }
        let value = rewritten(graph, n, &self.written);
        if !parts.named.contains(&n) {
            if value != n {
                self.written.insert(n, value);
            }
            return;
        }
        let name = loop {
            self.counter += 1;
            let candidate = format!("t{}", self.counter);
            if graph.find_symbol(&candidate).is_none() {
                break candidate;
            }
        };
        let shape = graph.shape(value);
        let sid = graph.add_symbol(Symbol { name: name.clone(), shape, role: Role::Definition(value) });
        let var = graph.var(sid);
        self.bindings.push((name, value));
        self.written.insert(n, var);
    }
}

/// Sums printed more than this many inside one another are named.
pub const MAX_SUM_NESTING: usize = 3;

/// Adds to `shared` the sums that would print nested more than
/// [`MAX_SUM_NESTING`] deep inside other sums (a named node prints as its
/// name): each level of a sum indents its continuation lines by two more
/// columns, so k nested sums (the backward recursion of a deep net's
/// Hessian) written out took k² columns of indentation.
fn name_deep_sums(graph: &Graph, id: ExprId, order: &[ExprId], shared: &mut FastSet<ExprId>) {
    // How deep the sums of each node's printed form nest, named children counting none.
    let mut nesting: IdMap<usize> = IdMap::with_len(order.last().map_or(0, |n| n.0 as usize + 1));
    for &n in order {
        let mut below = 0;
        if !matches!(graph.node(n), Node::Var(_)) {
            graph.for_each_child(n, |c| {
                if !shared.contains(&c) {
                    below = below.max(nesting.get(c).unwrap_or(0));
                }
            });
        }
        let mut depth = below + usize::from(matches!(graph.node(n), Node::Add(_)));
        if depth > MAX_SUM_NESTING && n != id && matches!(graph.node(n), Node::Add(_)) {
            shared.insert(n);
            depth = 0;
        }
        nesting.insert(n, depth);
    }
}

/// The expanded tree size of every node of `order` (children first) and
/// how many parents in `order` use it, indexed by node.
fn sizes_and_uses(graph: &Graph, order: &[ExprId]) -> (Vec<usize>, Vec<u32>) {
    let mut tree_size = vec![0usize; graph.len()];
    let mut uses = vec![0u32; graph.len()];
    for &n in order {
        if matches!(graph.node(n), Node::Var(_)) {
            tree_size[n.0 as usize] = 1;
            continue;
        }
        let mut size = 1usize;
        graph.for_each_child(n, |c| {
            size = size.saturating_add(tree_size[c.0 as usize]);
            uses[c.0 as usize] += 1;
        });
        tree_size[n.0 as usize] = size;
    }
    (tree_size, uses)
}

/// `n` with its children replaced as `written` says (`n` itself when none is).
fn rewritten(graph: &mut Graph, n: ExprId, written: &IdMap<ExprId>) -> ExprId {
    if written.is_empty() || matches!(graph.node(n), Node::Var(_)) {
        return n;
    }
    let mut touched = false;
    graph.for_each_child(n, |c| touched |= written.contains(c));
    if touched {
        graph.rebuild_mapped(n, |c| written.get(c).unwrap_or(c))
    } else {
        n
    }
}

/// Products whose factors end alike, such as the layer Jacobians
/// `W3 D2 W2 D1 W1` and `W2 D1 W1` of a deep net's Hessian, are written over
/// one product of their common last factors (`W3 D2 (W2 D1 W1)`), so that
/// each such product is printed once however many products end with it:
/// written out in full, k nested Jacobians take k²/2 factors. Returns the
/// rewritten `id` and the products of common ends built; nothing changes
/// (and the set is empty) when no two products of three or more factors end
/// in the same two or more factors.
///
/// The products' factor lists, read from the end, form a trie; a trie node
/// that two or more products reach and where they part (or one ends) is a
/// common end. Each product is rebuilt as its own factors followed by its
/// longest proper common end, and each common end likewise over the next
/// shorter one. Factors that are scalars stop the trie (they commute, and
/// the end of a product must have the shape of its first and last factors).
/// Work and the nodes built are linear in the products' factors.
pub fn share_chain_ends(graph: &mut Graph, id: ExprId, order: &[ExprId]) -> (ExprId, FastSet<ExprId>) {
    struct TrieNode {
        factor: ExprId,
        parent: usize,
        depth: usize,
        reached: usize,
        children: usize,
        full_child: bool,
    }
    let mut trie = vec![TrieNode { factor: id, parent: 0, depth: 0, reached: 0, children: 0, full_child: false }];
    let mut edges: FastMap<(usize, ExprId), usize> = FastMap::default();
    // The trie node where each product's factor list ends.
    let mut ends: Vec<(ExprId, usize)> = Vec::new();
    for &n in order {
        let Node::Mul(factors) = graph.node(n) else { continue };
        if factors.len() < 3 {
            continue;
        }
        let mut at = 0;
        for &f in factors.iter().rev() {
            if graph.shape(f).is_scalar() {
                break;
            }
            at = match edges.get(&(at, f)) {
                Some(&next) => next,
                None => {
                    let next = trie.len();
                    trie.push(TrieNode {
                        factor: f,
                        parent: at,
                        depth: trie[at].depth + 1,
                        reached: 0,
                        children: 0,
                        full_child: false,
                    });
                    trie[at].children += 1;
                    edges.insert((at, f), next);
                    next
                }
            };
            trie[at].reached += 1;
        }
        ends.push((n, at));
    }
    for t in 1..trie.len() {
        let parent = trie[t].parent;
        if trie[t].reached == trie[parent].reached {
            trie[parent].full_child = true;
        }
    }
    // A common end: two or more factors, reached by two or more products,
    // which part there or of which one ends there.
    let is_end = |t: &TrieNode| t.depth >= 2 && t.reached >= 2 && !(t.children == 1 && t.full_child);
    if !trie.iter().any(is_end) {
        return (id, FastSet::default());
    }
    // The nearest common end at or above trie node `t` that is shorter than
    // `len` factors, and the factors (first to last) passed on the way.
    let nearest_end = |trie: &[TrieNode], mut t: usize, len: usize| {
        let mut passed = Vec::new();
        while t != 0 && (trie[t].depth >= len || !is_end(&trie[t])) {
            passed.push(trie[t].factor);
            t = trie[t].parent;
        }
        (if t == 0 { None } else { Some(t) }, passed)
    };
    // The product of each common end, built from the shortest (trie nodes
    // are numbered parents first): its own factors over the next shorter end.
    let mut built: FastMap<usize, ExprId> = FastMap::default();
    let mut chain_ends = FastSet::default();
    for t in 1..trie.len() {
        if !is_end(&trie[t]) {
            continue;
        }
        let (below, mut factors) = nearest_end(&trie, t, trie[t].depth);
        let last = below.map_or(factors[factors.len() - 1], |b| built[&b]);
        if let Some(b) = below {
            factors.push(built[&b]);
        }
        let shape = Shape { rows: graph.shape(factors[0]).rows, cols: graph.shape(last).cols };
        let product = graph.intern(Node::Mul(factors.into()), shape);
        built.insert(t, product);
        chain_ends.insert(product);
    }
    let mut written: IdMap<ExprId> = IdMap::with_len(order.last().map_or(0, |n| n.0 as usize + 1));
    for (n, end) in ends {
        let Node::Mul(factors) = graph.node(n) else { continue };
        let len = factors.len();
        let product = if trie[end].depth == len && is_end(&trie[end]) {
            built[&end]
        } else {
            let (Some(below), _) = nearest_end(&trie, end, len) else { continue };
            let mut factors = factors[..len - trie[below].depth].to_vec();
            factors.push(built[&below]);
            let shape = graph.shape(n);
            graph.intern(Node::Mul(factors.into()), shape)
        };
        if product != n {
            written.insert(n, product);
        }
    }
    for &n in order {
        let value = rewritten(graph, n, &written);
        if value != n && !written.contains(n) {
            written.insert(n, value);
        }
    }
    (written.get(id).unwrap_or(id), chain_ends)
}
