//! Printing large results with their shared subterms named once: a result
//! whose tree is much larger than its graph is printed as definitions
//! (`t1 = …`) followed by the expression, which is itself a valid program,
//! so printed size stays linear in the graph's size.

use super::{render, Notation};
use crate::ir::{ExprId, FastMap, FastSet, Graph, Node, Role, Symbol};

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
            let mut lines = Vec::with_capacity(shared.bindings.len() + 1);
            for (name, value) in &shared.bindings {
                let shape = graph.shape(*value);
                let text = render(graph, *value, notation, width);
                lines.push(format!("{} = {}", notation.name(name, shape), text));
            }
            lines.push(render(graph, shared.root, notation, width));
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
/// [`with_shared`] does).
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
        return None;
    }
    let shared: FastSet<ExprId> = order
        .iter()
        .copied()
        .filter(|n| *n != id && uses[n.0 as usize] >= 2 && tree_size[n.0 as usize] >= 4 && worth_naming(graph, *n))
        .collect();
    // One pass in id order (children first): each node written with the
    // names of the shared nodes under it, each shared node then named.
    let mut written: FastMap<ExprId, ExprId> = FastMap::default();
    let mut bindings = Vec::new();
    let mut counter = 0;
    for &n in &order {
        let value = rewritten(graph, n, &written);
        if !shared.contains(&n) {
            if value != n {
                written.insert(n, value);
            }
            continue;
        }
        let name = loop {
            counter += 1;
            let candidate = format!("t{counter}");
            if graph.find_symbol(&candidate).is_none() {
                break candidate;
            }
        };
        let shape = graph.shape(value);
        let sid = graph.add_symbol(Symbol { name: name.clone(), shape, role: Role::Definition(value) });
        let var = graph.var(sid);
        bindings.push((name, value));
        written.insert(n, var);
    }
    let root = written.get(&id).copied().unwrap_or(id);
    Some(Shared { bindings, root })
}

/// The expanded tree size of every node of `order` (children first) and
/// how many parents in `order` use it, indexed by node.
fn sizes_and_uses(graph: &Graph, order: &[ExprId]) -> (Vec<usize>, Vec<u32>) {
    let mut tree_size = vec![0usize; graph.len()];
    let mut uses = vec![0u32; graph.len()];
    for &n in order {
        let children = if matches!(graph.node(n), Node::Var(_)) { Vec::new() } else { graph.children(n) };
        let size = children.iter().fold(1usize, |s, c| s.saturating_add(tree_size[c.0 as usize]));
        tree_size[n.0 as usize] = size;
        for c in children {
            uses[c.0 as usize] += 1;
        }
    }
    (tree_size, uses)
}

/// `n` with its children replaced as `written` says (`n` itself when none is).
fn rewritten(graph: &mut Graph, n: ExprId, written: &FastMap<ExprId, ExprId>) -> ExprId {
    if written.is_empty() || matches!(graph.node(n), Node::Var(_)) {
        return n;
    }
    if graph.children(n).iter().any(|c| written.contains_key(c)) {
        graph.rebuild_with(n, written)
    } else {
        n
    }
}

fn worth_naming(graph: &Graph, id: ExprId) -> bool {
    !matches!(
        graph.node(id),
        Node::Const(_) | Node::Var(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) | Node::Transpose(_)
    )
}
