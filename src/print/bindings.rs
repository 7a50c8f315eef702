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
    match share(graph, id) {
        None => render(graph, id, notation, width),
        Some(mut shared) => {
            let mut lines = Vec::new();
            for (name, value) in shared.bindings.clone() {
                let shape = shared.graph.shape(value);
                let text = render(&mut shared.graph, value, notation, width);
                lines.push(format!("{} = {}", notation.name(&name, shape), text));
            }
            lines.push(render(&mut shared.graph, shared.root, notation, width));
            lines.join("\n")
        }
    }
}

/// A result rewritten over named shared subterms.
pub struct Shared {
    /// A copy of the graph holding the temporary definitions.
    pub graph: Graph,
    /// The definitions `t1 = …`, in order (each uses only earlier ones).
    pub bindings: Vec<(String, ExprId)>,
    /// The result written with the names.
    pub root: ExprId,
}

/// Names the shared subterms of `id` when its tree is large (see
/// [`render_shared`]); `None` when it prints fine inline.
pub fn share(graph: &Graph, id: ExprId) -> Option<Shared> {
    let order = graph.reachable_without_definitions(id);
    let mut tree_size: FastMap<ExprId, usize> = FastMap::default();
    let mut uses: FastMap<ExprId, usize> = FastMap::default();
    for &n in &order {
        let children = if matches!(graph.node(n), Node::Var(_)) { Vec::new() } else { graph.children(n) };
        let size = children.iter().fold(1usize, |s, c| s.saturating_add(tree_size[c]));
        tree_size.insert(n, size);
        for c in children {
            *uses.entry(c).or_default() += 1;
        }
    }
    let tree = tree_size[&id];
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
    // Temporary definitions go into a copy, so the program's symbols stay as they are.
    let mut scratch = graph.clone();
    let shared: Vec<ExprId> = order
        .iter()
        .copied()
        .filter(|n| *n != id && uses.get(n).copied().unwrap_or(0) >= 2 && tree_size[n] >= 4 && worth_naming(graph, *n))
        .collect();
    let shared: FastSet<ExprId> = shared.into_iter().collect();
    // One pass in id order (children first): each node written with the
    // names of the shared nodes under it, each shared node then named.
    let mut written: FastMap<ExprId, ExprId> = FastMap::default();
    let mut bindings = Vec::new();
    let mut counter = 0;
    for &n in &order {
        let value = scratch.rebuild_with(n, &written);
        if !shared.contains(&n) {
            written.insert(n, value);
            continue;
        }
        let name = loop {
            counter += 1;
            let candidate = format!("t{counter}");
            if scratch.find_symbol(&candidate).is_none() {
                break candidate;
            }
        };
        let shape = scratch.shape(value);
        let sid = scratch.add_symbol(Symbol { name: name.clone(), shape, role: Role::Definition(value) });
        let var = scratch.var(sid);
        bindings.push((name, value));
        written.insert(n, var);
    }
    let root = written.get(&id).copied().unwrap_or(id);
    Some(Shared { graph: scratch, bindings, root })
}

fn worth_naming(graph: &Graph, id: ExprId) -> bool {
    !matches!(
        graph.node(id),
        Node::Const(_) | Node::Var(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) | Node::Transpose(_)
    )
}
