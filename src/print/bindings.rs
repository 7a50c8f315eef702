//! Printing large results with their shared subterms named once: a result
//! whose tree is much larger than its graph is printed as definitions
//! (`t1 = …`) followed by the expression, which is itself a valid program,
//! so printed size stays linear in the graph's size.

use std::collections::HashMap;

use super::{render, Notation};
use crate::ir::{ExprId, Graph, Node, Role, Symbol};

/// Results whose expanded tree has at most this many nodes print inline.
pub const INLINE_TREE_SIZE: usize = 400;

/// Renders `id`; if its expanded tree exceeds [`INLINE_TREE_SIZE`] nodes and
/// sharing would shrink it, shared subterms become definitions `t1 = …`.
pub fn render_shared(graph: &mut Graph, id: ExprId, notation: &dyn Notation, width: usize) -> String {
    let order = graph.reachable_without_definitions(id);
    let mut tree_size: HashMap<ExprId, usize> = HashMap::new();
    let mut uses: HashMap<ExprId, usize> = HashMap::new();
    for &n in &order {
        let children = if matches!(graph.node(n), Node::Var(_)) { Vec::new() } else { graph.children(n) };
        let size = children.iter().fold(1usize, |s, c| s.saturating_add(tree_size[c]));
        tree_size.insert(n, size);
        for c in children {
            *uses.entry(c).or_default() += 1;
        }
    }
    if tree_size[&id] <= INLINE_TREE_SIZE || tree_size[&id] <= 2 * order.len() {
        return render(graph, id, notation, width);
    }
    // Temporary definitions go into a copy, so the program's symbols stay as they are.
    let mut scratch = graph.clone();
    let shared: Vec<ExprId> = order
        .iter()
        .copied()
        .filter(|n| *n != id && uses.get(n).copied().unwrap_or(0) >= 2 && tree_size[n] >= 4 && worth_naming(graph, *n))
        .collect();
    let mut replacement: HashMap<ExprId, ExprId> = HashMap::new();
    let mut lines = Vec::new();
    let mut counter = 0;
    for n in shared {
        let value = substitute(&mut scratch, n, &replacement);
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
        let text = render(&mut scratch, value, notation, width);
        lines.push(format!("{} = {}", notation.name(&name, shape), text));
        replacement.insert(n, var);
    }
    let root = substitute(&mut scratch, id, &replacement);
    lines.push(render(&mut scratch, root, notation, width));
    lines.join("\n")
}

fn worth_naming(graph: &Graph, id: ExprId) -> bool {
    !matches!(
        graph.node(id),
        Node::Const(_) | Node::Var(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) | Node::Transpose(_)
    )
}

/// `id` with every node in `replacement` (other than `id` itself) replaced.
fn substitute(graph: &mut Graph, id: ExprId, replacement: &HashMap<ExprId, ExprId>) -> ExprId {
    let mut replace = |_: &mut Graph, n: ExprId| -> Option<ExprId> {
        if n == id {
            None
        } else {
            replacement.get(&n).copied()
        }
    };
    graph.rewrite(id, &mut replace)
}
