//! A small layered (Sugiyama-style) layout for the TikZ drawing, where dot
//! is not there to place the nodes.
//!
//! 1. Rows: an operation sits one row above its highest operand (longest
//!    path down to a leaf); a leaf sits one row below its lowest consumer,
//!    next to it rather than on the bottom row.
//! 2. An edge spanning several rows gets a bend point in each row it
//!    crosses, so it has a slot of its own and passes through no node; it
//!    is drawn straight when the straight line clears those rows' nodes.
//!    An edge spanning more than [`MAX_SPAN`] rows is not drawn: its operand
//!    is drawn again, as a reference, one row below the consumer (the
//!    forward values a deep net's gradient reuses would otherwise cross
//!    every row, and the drawing would grow quadratically in the depth).
//! 3. Order within a row: barycentre sweeps up and down, keeping the order
//!    with the fewest crossings.
//! 4. Positions: each vertex pulled towards the mean position of its
//!    neighbours, rows kept in order and apart by the nodes' widths.
//!
//! Everything is deterministic: ties keep the order of the input.

/// A node of the drawing: its operands and its extent left and right of its
/// centre (in cm).
pub struct Node {
    /// Indices of the operands, each greater than this node's index.
    pub children: Vec<usize>,
    /// Extent left of the centre, in cm.
    pub left: f64,
    /// Extent right of the centre, in cm.
    pub right: f64,
}

/// Where the nodes go.
#[derive(Debug, PartialEq)]
pub struct Layout {
    /// Each node's centre: x in cm (the root at 0) and its row (0 the bottom).
    pub pos: Vec<(f64, usize)>,
    /// For each node and each of its children, the bend points of the edge
    /// between them, from the child up (none: a straight line, or an edge
    /// from a reference).
    pub bends: Vec<Vec<Vec<(f64, usize)>>>,
    /// The operands drawn again below a distant consumer.
    pub references: Vec<Reference>,
}

/// An operand drawn a second time, just below a consumer far above it; the
/// edge to that consumer starts here.
#[derive(Debug, PartialEq)]
pub struct Reference {
    /// The node drawn again.
    pub node: usize,
    /// The consumer, and the place of the operand among its children.
    pub parent: usize,
    /// The place of the operand among the consumer's children.
    pub slot: usize,
    /// Where the reference goes: x in cm and its row.
    pub pos: (f64, usize),
}

/// Longest edge drawn, in rows; an operand further below its consumer is
/// drawn again as a [`Reference`].
pub const MAX_SPAN: usize = 6;

/// Space between two nodes side by side; less next to a bend point.
const GAP: f64 = 0.6;
const BEND_GAP: f64 = 0.3;
/// How far a straight edge keeps from a node's side; the height of a row
/// and of a node (cm).
const CLEARANCE: f64 = 0.15;
const ROW: f64 = 1.6;
const NODE_HEIGHT: f64 = 0.6;
const SWEEPS: usize = 4;
const SMOOTHING: usize = 12;

/// Lays out the nodes; node 0 is the root, and every child has a greater
/// index than its parents.
pub fn layout(nodes: &[Node]) -> Layout {
    let n = nodes.len();
    if n == 0 {
        return Layout { pos: Vec::new(), bends: Vec::new(), references: Vec::new() };
    }
    // 1. Rows.
    let mut row = vec![0usize; n];
    for i in (0..n).rev() {
        row[i] = nodes[i].children.iter().map(|&c| row[c] + 1).max().unwrap_or(0);
    }
    let mut lowest_consumer = vec![usize::MAX; n];
    for (p, node) in nodes.iter().enumerate() {
        for &c in &node.children {
            lowest_consumer[c] = lowest_consumer[c].min(row[p]);
        }
    }
    for i in 0..n {
        if nodes[i].children.is_empty() && lowest_consumer[i] != usize::MAX {
            row[i] = lowest_consumer[i] - 1;
        }
    }
    let top = row.iter().copied().max().unwrap_or(0);

    // 2. Vertices: the nodes, then one bend point per edge per row crossed.
    let mut vertices: Vec<Vertex> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| Vertex { row: row[i], left: node.left, right: node.right, bend: false })
        .collect();
    let mut up: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut down: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut bend_ids: Vec<Vec<Vec<usize>>> = Vec::with_capacity(n);
    // (node, parent, slot, vertex)
    let mut references: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (p, node) in nodes.iter().enumerate() {
        let mut per_child = Vec::with_capacity(node.children.len());
        for (slot, &c) in node.children.iter().enumerate() {
            if row[p] - row[c] > MAX_SPAN {
                let v = vertices.len();
                vertices.push(Vertex { row: row[p] - 1, left: nodes[c].left, right: nodes[c].right, bend: false });
                up.push(Vec::new());
                down.push(Vec::new());
                link(&mut up, &mut down, v, p, &vertices);
                references.push((c, p, slot, v));
                per_child.push(Vec::new());
                continue;
            }
            let mut chain = Vec::new();
            let mut below = c;
            for r in row[c] + 1..row[p] {
                let v = vertices.len();
                vertices.push(Vertex { row: r, left: 0.0, right: 0.0, bend: true });
                up.push(Vec::new());
                down.push(Vec::new());
                link(&mut up, &mut down, below, v, &vertices);
                chain.push(v);
                below = v;
            }
            link(&mut up, &mut down, below, p, &vertices);
            per_child.push(chain);
        }
        bend_ids.push(per_child);
    }

    // Rows of vertices, first in the order they were made (the root's
    // breadth-first order, operands in order).
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); top + 1];
    for (v, vertex) in vertices.iter().enumerate() {
        rows[vertex.row].push(v);
    }

    // 3. Order within rows.
    let mut best = rows.clone();
    let mut best_crossings = crossings(&rows, &up, vertices.len());
    for _ in 0..SWEEPS {
        for r in (0..top).rev() {
            reorder(&mut rows, r, r + 1, &up, vertices.len());
        }
        for r in 1..=top {
            reorder(&mut rows, r, r - 1, &down, vertices.len());
        }
        let c = crossings(&rows, &up, vertices.len());
        if c < best_crossings {
            best_crossings = c;
            best = rows.clone();
        }
    }
    let rows = best;

    // 4. Positions: start packed and centred, then smooth.
    let mut x = vec![0.0; vertices.len()];
    for r in &rows {
        let mut at = 0.0;
        for (k, &v) in r.iter().enumerate() {
            if k > 0 {
                at += separation(&vertices[r[k - 1]], &vertices[v]);
            }
            x[v] = at;
        }
        let shift = at / 2.0;
        for &v in r {
            x[v] -= shift;
        }
    }
    for _ in 0..SMOOTHING {
        for r in (0..top).rev().chain(1..=top) {
            place(&rows[r], &vertices, &up, &down, &mut x);
        }
    }
    // An edge whose straight line clears every node of the rows it crosses
    // is drawn straight.
    let clear = |chain: &[usize], from: usize, to: usize, x: &[f64]| {
        let (x0, y0, x1, y1) = (x[from], vertices[from].row as f64, x[to], vertices[to].row as f64);
        // Horizontal run of the line over a node's half height.
        let slant = (x1 - x0).abs() / ((y1 - y0) * ROW) * NODE_HEIGHT / 2.0;
        chain.iter().all(|&b| {
            let r = vertices[b].row;
            let at = x0 + (r as f64 - y0) / (y1 - y0) * (x1 - x0);
            rows[r].iter().all(|&v| {
                let w = &vertices[v];
                w.bend || at < x[v] - w.left - CLEARANCE - slant || at > x[v] + w.right + CLEARANCE + slant
            })
        })
    };
    for (p, node) in nodes.iter().enumerate() {
        for (k, &c) in node.children.iter().enumerate() {
            if !bend_ids[p][k].is_empty() && clear(&bend_ids[p][k], c, p, &x) {
                bend_ids[p][k].clear();
            }
        }
    }
    let origin = x[0];
    let at = |v: usize, x: &[f64]| ((x[v] - origin) * 100.0).round() / 100.0 + 0.0;
    Layout {
        pos: (0..n).map(|i| (at(i, &x), row[i])).collect(),
        bends: bend_ids
            .iter()
            .map(|per_child| {
                per_child.iter().map(|chain| chain.iter().map(|&v| (at(v, &x), vertices[v].row)).collect()).collect()
            })
            .collect(),
        references: references
            .into_iter()
            .map(|(node, parent, slot, v)| Reference { node, parent, slot, pos: (at(v, &x), vertices[v].row) })
            .collect(),
    }
}

struct Vertex {
    row: usize,
    left: f64,
    right: f64,
    bend: bool,
}

/// Links `below` to `above` (adjacent rows); edges between bend points
/// weigh more, so long edges come out straight.
fn link(up: &mut [Vec<(usize, f64)>], down: &mut [Vec<(usize, f64)>], below: usize, above: usize, vertices: &[Vertex]) {
    let weight = match (vertices[below].bend, vertices[above].bend) {
        (true, true) => 8.0,
        (false, false) => 1.0,
        _ => 2.0,
    };
    up[below].push((above, weight));
    down[above].push((below, weight));
}

fn separation(a: &Vertex, b: &Vertex) -> f64 {
    a.right + b.left + if a.bend || b.bend { BEND_GAP } else { GAP }
}

/// Sorts row `r` by the mean index of each vertex's neighbours in row
/// `other`; a vertex without any keeps its index. The sort is stable.
fn reorder(rows: &mut [Vec<usize>], r: usize, other: usize, neighbours: &[Vec<(usize, f64)>], count: usize) {
    let mut index = vec![0.0; count];
    for (k, &v) in rows[other].iter().enumerate() {
        index[v] = k as f64;
    }
    let keys: Vec<(usize, f64)> = rows[r]
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let near = &neighbours[v];
            let key = if near.is_empty() {
                k as f64
            } else {
                near.iter().map(|&(u, _)| index[u]).sum::<f64>() / near.len() as f64
            };
            (v, key)
        })
        .collect();
    let mut sorted = keys;
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    rows[r] = sorted.into_iter().map(|(v, _)| v).collect();
}

/// The number of edge crossings between adjacent rows: for each row, the
/// pairs of edges whose ends are in opposite orders, counted as inversions
/// with a Fenwick tree (E log E, where comparing every pair was quadratic in
/// the edges of a row).
fn crossings(rows: &[Vec<usize>], up: &[Vec<(usize, f64)>], count: usize) -> usize {
    let mut index = vec![0usize; count];
    for r in rows {
        for (k, &v) in r.iter().enumerate() {
            index[v] = k;
        }
    }
    let mut total = 0;
    let mut tree: Vec<usize> = Vec::new();
    for r in rows {
        // Edges by their lower end's place (rows are in that order already).
        let edges: Vec<(usize, usize)> = r
            .iter()
            .flat_map(|&v| up[v].iter().map(move |&(u, _)| (v, u)))
            .map(|(v, u)| (index[v], index[u]))
            .collect();
        let width = edges.iter().map(|e| e.1 + 1).max().unwrap_or(0);
        tree.clear();
        tree.resize(width + 1, 0);
        let mut inserted = 0;
        let mut group = 0;
        while group < edges.len() {
            // Edges from one vertex never cross each other: count them all
            // against the earlier vertices' edges, then insert them.
            let end = (group..edges.len()).find(|&j| edges[j].0 != edges[group].0).unwrap_or(edges.len());
            for e in &edges[group..end] {
                // Earlier edges ending strictly right of this one.
                let mut at_most = 0;
                let mut i = e.1 + 1;
                while i > 0 {
                    at_most += tree[i];
                    i &= i - 1;
                }
                total += inserted - at_most;
            }
            for e in &edges[group..end] {
                let mut i = e.1 + 1;
                while i <= width {
                    tree[i] += 1;
                    i += i & i.wrapping_neg();
                }
                inserted += 1;
            }
            group = end;
        }
    }
    total
}

/// Moves the vertices of a row as close as the separations allow to the
/// weighted mean of their neighbours (least squares, by pooling adjacent
/// violators), keeping their order.
fn place(row: &[usize], vertices: &[Vertex], up: &[Vec<(usize, f64)>], down: &[Vec<(usize, f64)>], x: &mut [f64]) {
    // x[k] = u[k] + offset[k], with u non-decreasing.
    let mut offset = Vec::with_capacity(row.len());
    let mut at = 0.0;
    for (k, &v) in row.iter().enumerate() {
        if k > 0 {
            at += separation(&vertices[row[k - 1]], &vertices[v]);
        }
        offset.push(at);
    }
    // Blocks of (weighted mean of u, total weight, length).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for (k, &v) in row.iter().enumerate() {
        let near = up[v].iter().chain(&down[v]);
        let weight: f64 = near.clone().map(|&(_, w)| w).sum();
        let (target, weight) =
            if weight > 0.0 { (near.map(|&(u, w)| w * x[u]).sum::<f64>() / weight, weight) } else { (x[v], 1.0) };
        blocks.push((target - offset[k], weight, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (b, wb, lb) = blocks.pop().unwrap_or_default();
            let (a, wa, la) = blocks.pop().unwrap_or_default();
            blocks.push(((a * wa + b * wb) / (wa + wb), wa + wb, la + lb));
        }
    }
    let mut k = 0;
    for (u, _, len) in blocks {
        for _ in 0..len {
            x[row[k]] = u + offset[k];
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(children: &[usize]) -> Node {
        Node { children: children.to_vec(), left: 0.5, right: 0.5 }
    }

    /// The swish net: L = ell(z2), z2 = W2 h1 + b2, h1 = swish(z),
    /// z = W1 x + b1.
    fn swish() -> Vec<Node> {
        vec![
            node(&[1]),     // 0 L
            node(&[2, 3]),  // 1 z2
            node(&[4, 5]),  // 2 W2 h1
            node(&[]),      // 3 b2
            node(&[]),      // 4 W2
            node(&[6]),     // 5 h1
            node(&[7, 8]),  // 6 z
            node(&[9, 10]), // 7 W1 x
            node(&[]),      // 8 b1
            node(&[]),      // 9 W1
            node(&[]),      // 10 x
        ]
    }

    #[test]
    fn leaves_sit_just_below_their_lowest_consumer() {
        let l = layout(&swish());
        let rows: Vec<usize> = l.pos.iter().map(|p| p.1).collect();
        assert_eq!(rows, [6, 5, 4, 4, 3, 3, 2, 1, 1, 0, 0]);
        // b1 is beside W1 x, not on top of it.
        assert!((l.pos[8].0 - l.pos[7].0).abs() >= 1.0 + GAP - 1e-9);
        assert!(l.bends.iter().flatten().all(Vec::is_empty));
        assert_eq!(l.pos[0].0, 0.0);
    }

    #[test]
    fn long_edges_bend_around_nodes_and_layout_is_deterministic() {
        // 0 = 1 + 3, 1 = f(2), 2 = g(3), 3 = h(4): the edge 3 → 0 spans two
        // rows and must not pass through 2 or 1.
        let nodes = vec![node(&[1, 3]), node(&[2]), node(&[3]), node(&[4]), node(&[])];
        let l = layout(&nodes);
        assert_eq!(l.pos.iter().map(|p| p.1).collect::<Vec<_>>(), [4, 3, 2, 1, 0]);
        // The edge, straight or bent, passes no other node of rows 2 and 3.
        let (from, to) = (l.pos[3], l.pos[0]);
        let bends = &l.bends[0][1];
        for (r, other) in [(2, 2), (3, 1)] {
            let at = match bends.iter().find(|b| b.1 == r) {
                Some(b) => b.0,
                None => from.0 + (r - from.1) as f64 / (to.1 - from.1) as f64 * (to.0 - from.0),
            };
            assert!((at - l.pos[other].0).abs() >= 0.5 + CLEARANCE - 1e-9, "{l:?}");
        }
        assert_eq!(layout(&nodes), l);
    }

    #[test]
    fn an_operand_far_below_is_drawn_again_below_its_consumer() {
        // 0 = 1 + 9 over a chain 1 → 2 → … → 9: the edge 9 → 0 spans 8 rows.
        let mut nodes: Vec<Node> = (1..9).map(|i| node(&[i + 1])).collect();
        nodes.insert(0, node(&[1, 9]));
        nodes.push(node(&[]));
        let l = layout(&nodes);
        assert_eq!(l.pos[0].1, 9);
        assert_eq!(l.references.len(), 1);
        let r = &l.references[0];
        assert_eq!((r.node, r.parent, r.slot, r.pos.1), (9, 0, 1, 8));
        assert!(l.bends[0][1].is_empty());
        // Beside node 1, the other operand, not on it.
        assert!((r.pos.0 - l.pos[1].0).abs() >= 1.0 + GAP - 1e-9, "{l:?}");
    }

    /// Every pair of edges between two rows, compared.
    fn crossings_by_pairs(rows: &[Vec<usize>], up: &[Vec<(usize, f64)>], count: usize) -> usize {
        let mut index = vec![0usize; count];
        for r in rows {
            for (k, &v) in r.iter().enumerate() {
                index[v] = k;
            }
        }
        let mut total = 0;
        for r in rows {
            let edges: Vec<(usize, usize)> = r
                .iter()
                .flat_map(|&v| up[v].iter().map(move |&(u, _)| (v, u)))
                .map(|(v, u)| (index[v], index[u]))
                .collect();
            for (i, a) in edges.iter().enumerate() {
                for b in &edges[i + 1..] {
                    if (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1) {
                        total += 1;
                    }
                }
            }
        }
        total
    }

    #[test]
    fn crossings_are_counted_as_by_comparing_every_pair() {
        // Two rows of 12 vertices (0..12 below, 12..24 above), edges from a
        // fixed pseudo-random pattern with repeated ends.
        let mut state = 7u64;
        for _ in 0..50 {
            let mut up: Vec<Vec<(usize, f64)>> = vec![Vec::new(); 24];
            for (v, edges) in up.iter_mut().enumerate().take(12) {
                for _ in 0..(v % 3) + 1 {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    edges.push((12 + (state >> 33) as usize % 12, 1.0));
                }
            }
            let mut below: Vec<usize> = (0..12).collect();
            let mut above: Vec<usize> = (12..24).collect();
            below.rotate_left((state >> 40) as usize % 12);
            above.reverse();
            let rows = vec![below, above];
            assert_eq!(crossings(&rows, &up, 24), crossings_by_pairs(&rows, &up, 24));
        }
    }
}
