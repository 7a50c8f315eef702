//! The computational graph as a standalone SVG picture, for places where
//! neither Graphviz nor LaTeX is there to draw it (a web page). It is the
//! TikZ drawing's picture: the same step graph, the same layout
//! (`graphviz/layout.rs`), the same kinds of node, with Unicode labels.

use std::fmt::Write as _;

use super::{drawing, kind, layout, operation, Kind, MAX_LABEL_NODES};
use crate::ir::{ExprId, FastMap, Graph, SymbolId};
use crate::print::text::Unicode;

/// Pixels per centimetre of the layout.
const SCALE: f64 = 32.0;
/// Pixels between two rows (the layout's rows are 1.6 cm apart).
const ROW_HEIGHT: f64 = 1.6 * SCALE;
/// Height of a node's box.
const BOX_HEIGHT: f64 = 22.0;
/// Space around the drawing.
const MARGIN: f64 = 12.0;

/// The width in pixels of `text` in a sans-serif font of `size` pixels,
/// estimated per character (a little generous, so labels stay inside
/// their boxes), plus `padding`.
fn text_width(text: &str, size: f64, padding: f64) -> f64 {
    let ems: f64 = text
        .chars()
        .map(|c| match c {
            ' ' | '(' | ')' | '[' | ']' | '|' | '‖' | '.' | ',' | '·' | '\'' => 0.36,
            'ᵀ' | '⁻' | '¹' | '²' | '₁' | 'i' | 'j' | 'l' | 't' | 'f' | 'r' => 0.4,
            '+' | '−' | '-' | '=' | '×' | '⊙' | '*' | '/' | '√' | '∂' => 0.72,
            'm' | 'w' | 'M' | 'W' => 0.9,
            _ => 0.64,
        })
        .sum();
    ems * size + padding
}

/// Escapes text for SVG (XML) content and attribute values.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The class and the word screen readers say for a kind of node.
fn class(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Loss => ("loss", "value"),
        Kind::Parameter => ("parameter", "variable"),
        Kind::Input => ("input", "input"),
        Kind::Constant => ("constant", "constant"),
        Kind::Operation => ("operation", "operation"),
    }
}

/// Draws one node's shape and label centred at `(x, y)`, `width` wide.
fn node(out: &mut String, kind: Kind, x: f64, y: f64, width: f64, label: &str, dashed: bool) {
    let (left, top) = (x - width / 2.0, y - BOX_HEIGHT / 2.0);
    let dash = if dashed { " stroke-dasharray=\"4 3\"" } else { "" };
    match kind {
        Kind::Loss => {
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f4b6b6\" stroke=\"#222\"{dash}/>\
                 <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"#222\"{dash}/>",
                left - 3.0,
                top - 3.0,
                width + 6.0,
                BOX_HEIGHT + 6.0,
                left,
                top,
                width,
                BOX_HEIGHT
            );
        }
        Kind::Parameter => {
            let _ = write!(
                out,
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{width:.1}\" height=\"{BOX_HEIGHT:.1}\" rx=\"11\" \
                 fill=\"#b6d4f4\" stroke=\"#1f4e8c\" stroke-width=\"2.5\"{dash}/>"
            );
        }
        Kind::Input => {
            let _ = write!(
                out,
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{width:.1}\" height=\"{BOX_HEIGHT:.1}\" rx=\"11\" \
                 fill=\"#fff\" stroke=\"#222\"{dash}/>"
            );
        }
        Kind::Operation => {
            let _ = write!(
                out,
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{width:.1}\" height=\"{BOX_HEIGHT:.1}\" \
                 fill=\"#fff\" stroke=\"#222\"{dash}/>"
            );
        }
        Kind::Constant => {}
    }
    let _ = write!(out, "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>", y + 5.0, xml_escape(label));
}

/// The computational graph of `root` as an SVG document: the loss (a red
/// double box) on top, operations as boxes with their operator in grey on
/// the left, inputs as rounded boxes, `wrt` filled blue with a thick
/// outline, constants as plain text, an arrow from each operand to the
/// operation using it; an operand far below a consumer is drawn again
/// beside it, dashed. Each node is a `<g>` with class `node` and its kind
/// (`loss`, `parameter`, `input`, `constant`, `operation`) and a `<title>`.
pub fn svg(graph: &mut Graph, root: ExprId, wrt: Option<SymbolId>) -> String {
    let d = drawing(graph, root);
    let index: FastMap<ExprId, usize> = d.steps.order.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut nodes = Vec::with_capacity(d.steps.order.len());
    let mut labels = Vec::with_capacity(d.steps.order.len());
    let mut kinds = Vec::with_capacity(d.steps.order.len());
    let spellings = crate::print::Spellings::new(graph, &Unicode);
    for &n in &d.steps.order {
        let long = graph.tree_size(n, MAX_LABEL_NODES) > MAX_LABEL_NODES;
        let text = if long {
            "…".to_string()
        } else {
            crate::print::render_spelled(graph, n, &Unicode, &spellings, usize::MAX)
        };
        let op = operation(graph, n).map(|(text, _)| text);
        let width = text_width(&text, 14.0, 12.0);
        let op_width = op.as_ref().map_or(0.0, |text| text_width(text, 11.0, 6.0));
        let children = d.steps.children.get(&n).into_iter().flatten().filter_map(|c| index.get(c).copied()).collect();
        // The layout works in cm.
        nodes.push(layout::Node { children, left: (width / 2.0 + op_width) / SCALE, right: width / 2.0 / SCALE });
        labels.push((text, op, width));
        kinds.push(kind(graph, n, d.root, wrt));
    }
    let at = layout::layout(&nodes);
    let top_row = at.pos.iter().map(|p| p.1).chain(at.references.iter().map(|r| r.pos.1)).max().unwrap_or(0);
    let mut min_x: f64 = 0.0;
    let mut max_x: f64 = 0.0;
    for (i, &(x, _)) in at.pos.iter().enumerate() {
        min_x = min_x.min((x - nodes[i].left) * SCALE);
        max_x = max_x.max((x + nodes[i].right) * SCALE);
    }
    for reference in &at.references {
        let (x, _) = reference.pos;
        let n = &nodes[reference.node];
        min_x = min_x.min((x - n.right) * SCALE);
        max_x = max_x.max((x + n.right) * SCALE);
    }
    let shift = MARGIN + 4.0 - min_x;
    let px = |x: f64| x * SCALE + shift;
    let py = |row: usize| (top_row - row) as f64 * ROW_HEIGHT + MARGIN + BOX_HEIGHT / 2.0 + 4.0;
    let width = max_x - min_x + 2.0 * (MARGIN + 4.0);
    let height = top_row as f64 * ROW_HEIGHT + BOX_HEIGHT + 2.0 * (MARGIN + 4.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.1} {height:.1}\" width=\"{width:.1}\" \
         height=\"{height:.1}\" font-family=\"sans-serif\" font-size=\"14\" role=\"img\">\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" \
         orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n"
    );
    // Edges first, under the nodes: from the operand's top to the consumer's bottom.
    let mut reference_of: FastMap<(usize, usize), usize> = FastMap::default();
    for (r, reference) in at.references.iter().enumerate() {
        reference_of.insert((reference.parent, reference.slot), r);
    }
    out.push_str("<g class=\"edges\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.2\">\n");
    for (p, node) in nodes.iter().enumerate() {
        let (x1, y1) = (px(at.pos[p].0), py(at.pos[p].1) + BOX_HEIGHT / 2.0 + 1.0);
        for (k, &c) in node.children.iter().enumerate() {
            let (x0, y0, bends): (f64, f64, &[(f64, usize)]) = match reference_of.get(&(p, k)) {
                Some(&r) => {
                    let (x, row) = at.references[r].pos;
                    (px(x), py(row) - BOX_HEIGHT / 2.0, &[])
                }
                None => (px(at.pos[c].0), py(at.pos[c].1) - BOX_HEIGHT / 2.0, &at.bends[p][k]),
            };
            let mut points = format!("{x0:.1},{y0:.1}");
            for &(x, row) in bends {
                let _ = write!(points, " {:.1},{:.1}", px(x), py(row));
            }
            let _ = write!(points, " {x1:.1},{y1:.1}");
            let _ = writeln!(out, "<polyline points=\"{points}\" marker-end=\"url(#arrow)\"/>");
        }
    }
    out.push_str("</g>\n");
    for (i, &(x, row)) in at.pos.iter().enumerate() {
        let (text, op, text_width) = &labels[i];
        let (class, role) = class(kinds[i]);
        let title = match op {
            Some(op) => format!("{role} {op}: {text}"),
            None => format!("{role} {text}"),
        };
        let _ = write!(out, "<g class=\"node {class}\"><title>{}</title>", xml_escape(&title));
        node(&mut out, kinds[i], px(x), py(row), *text_width, text, false);
        if let Some(op) = op {
            // Clear of the box (and of the loss's outer frame).
            let gap = if kinds[i] == Kind::Loss { 7.0 } else { 4.0 };
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">{}</text>",
                px(x) - text_width / 2.0 - gap,
                py(row) + 4.0,
                xml_escape(op)
            );
        }
        out.push_str("</g>\n");
    }
    for reference in &at.references {
        let i = reference.node;
        let (text, _, text_width) = &labels[i];
        let kind = match kinds[i] {
            Kind::Parameter => Kind::Parameter,
            Kind::Constant => Kind::Constant,
            _ => Kind::Input,
        };
        let (class, role) = class(kind);
        let _ = write!(
            out,
            "<g class=\"node reference {class}\"><title>{} (drawn again)</title>",
            xml_escape(&format!("{role} {text}"))
        );
        let (x, row) = reference.pos;
        node(&mut out, kind, px(x), py(row), *text_width, text, true);
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}
