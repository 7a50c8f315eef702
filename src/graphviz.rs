//! Drawings of the computational graph of a value: Graphviz `dot`, a
//! TikZ picture for LaTeX documents and an SVG picture for web pages
//! (`graphviz/svg.rs`).
//!
//! Both draw the step graph of `steps` (a named definition is one node, a
//! product `A B C` is `A (B C)`), so the nodes carry the same names as the
//! lines of `--steps`; a shared subexpression is one node (in TikZ, an
//! operand far below a consumer is drawn again beside it, dashed: see
//! `graphviz/layout.rs`). Inputs are ovals
//! (ellipses in dot, round-ended boxes in TikZ), the parameter (`--wrt`) an
//! oval filled blue with a thick outline, operations boxes labelled with
//! their operator (`+`, `×`, `(·)ᵀ`, `σ`, …), the loss a filled red double
//! box, constants plain text; edges point from an operand to the operation
//! that uses it.

use std::fmt::Write as _;

use crate::ir::{ExprId, FastMap, Graph, Node, Role, SymbolId};
use crate::print::latex::{self, Latex};
use crate::print::text::Unicode;
use crate::print::{render_spelled, Spellings};
use crate::steps::{body, representative, step_graph, StepGraph};

mod layout;
mod svg;

pub use svg::svg;

/// What a node of the drawing is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Loss,
    Parameter,
    Input,
    Constant,
    Operation,
}

struct Drawing {
    root: ExprId,
    steps: StepGraph,
}

fn drawing(graph: &mut Graph, root: ExprId) -> Drawing {
    let root = representative(graph, root);
    let steps = step_graph(graph, root, None);
    Drawing { root, steps }
}

fn kind(graph: &Graph, id: ExprId, root: ExprId, wrt: Option<SymbolId>) -> Kind {
    if id == root {
        return Kind::Loss;
    }
    match graph.node(id) {
        Node::Var(s) if Some(*s) == wrt => Kind::Parameter,
        Node::Var(s) if !matches!(graph.symbol(*s).role, Role::Definition(_)) => Kind::Input,
        Node::Const(_)
        | Node::Identity(_)
        | Node::Ones(_)
        | Node::Zero(_)
        | Node::Commutation(..)
        | Node::Duplication(_) => Kind::Constant,
        _ => Kind::Operation,
    }
}

/// The operation a node applies, in Unicode and in LaTeX (`None` for
/// leaves); `·` stands for the operand, so that a postfix operator such as
/// the transpose reads `(·)ᵀ` rather than a lone superscript.
fn operation(graph: &Graph, id: ExprId) -> Option<(String, String)> {
    let b = body(graph, id);
    let pair = |u: &str, l: &str| Some((u.to_string(), l.to_string()));
    match graph.node(b) {
        Node::Const(_)
        | Node::Var(_)
        | Node::Identity(_)
        | Node::Ones(_)
        | Node::Zero(_)
        | Node::Commutation(..)
        | Node::Duplication(_) => None,
        Node::Kron(..) => pair("⊗", "\\otimes"),
        Node::Add(_) => pair("+", "+"),
        Node::Mul(_) => pair("×", "\\times"),
        Node::Scale(c, _) => {
            if *c == crate::coeff::int(-1) {
                pair("−(·)", "-(\\cdot)")
            } else {
                let text = crate::coeff::display(c);
                let tex =
                    if c.is_integer() { text.clone() } else { format!("\\frac{{{}}}{{{}}}", c.numer(), c.denom()) };
                Some((format!("× {text}"), format!("\\times {tex}")))
            }
        }
        Node::Hadamard(_) => pair("⊙", "\\odot"),
        Node::Pow(_, e) => match graph.node(*e) {
            Node::Const(c) => {
                let text = crate::coeff::display(c);
                Some((format!("(·)^{text}"), format!("(\\cdot)^{{{text}}}")))
            }
            _ => pair("(·)^(·)", "(\\cdot)^{(\\cdot)}"),
        },
        Node::Transpose(_) => pair("(·)ᵀ", "(\\cdot)^\\top"),
        Node::Inverse(_) => pair("(·)⁻¹", "(\\cdot)^{-1}"),
        Node::Apply(f, _) => {
            let (text, tex) = crate::ops::notation(*f).graph_label(f.name());
            Some((text.to_string(), tex.to_string()))
        }
        Node::Opaque(s, _) => {
            let name = graph.symbol(*s).name.clone();
            Some((name.clone(), latex::name(&name, crate::shape::Shape::SCALAR)))
        }
        Node::Upstream { .. } => pair("∂", "\\partial"),
    }
}

/// Escapes text for a Graphviz HTML-like label.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A node whose expression has more operations than this, written out, is
/// labelled `…` (with its operation): written out in full, the labels of a
/// graph built through definitions grow exponentially.
const MAX_LABEL_NODES: usize = 200;

/// The computational graph of `root` in Graphviz `dot`; `wrt` is drawn as
/// the parameter. Each operation's node shows its value and, smaller and
/// grey below it, the operation.
pub fn dot(graph: &mut Graph, root: ExprId, wrt: Option<SymbolId>) -> String {
    let d = drawing(graph, root);
    // Nodes are numbered by their place in the drawing, not by arena id, so
    // the text does not depend on how the graph was built.
    let index: FastMap<ExprId, usize> = d.steps.order.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut out = String::from("digraph computation {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
    // One spelling of the names for every label: made per label, it read
    // every symbol each time (quadratic in a deep net).
    let spellings = Spellings::new(graph, &Unicode);
    for &n in &d.steps.order {
        let expr = if graph.tree_size(n, MAX_LABEL_NODES) > MAX_LABEL_NODES {
            "…".to_string()
        } else {
            html_escape(&render_spelled(graph, n, &Unicode, &spellings, usize::MAX))
        };
        let label = match operation(graph, n) {
            Some((op, _)) => {
                format!("{expr}<BR/><FONT POINT-SIZE=\"12\" COLOR=\"#444444\">{}</FONT>", html_escape(&op))
            }
            None => expr,
        };
        let style = match kind(graph, n, d.root, wrt) {
            Kind::Loss => "shape=box, peripheries=2, style=filled, fillcolor=\"#f4b6b6\"",
            Kind::Parameter => "shape=ellipse, style=filled, fillcolor=\"#b6d4f4\", color=\"#1f4e8c\", penwidth=2.5",
            Kind::Input => "shape=ellipse",
            Kind::Constant => "shape=plaintext",
            Kind::Operation => "shape=box, style=rounded",
        };
        let _ = writeln!(out, "  n{} [label=<{label}>, {style}];", index[&n]);
    }
    for &n in &d.steps.order {
        for c in d.steps.children.get(&n).into_iter().flatten() {
            if let Some(from) = index.get(c) {
                let _ = writeln!(out, "  n{from} -> n{};", index[&n]);
            }
        }
    }
    out.push('}');
    out
}

/// The computational graph of `root` as a `tikzpicture` (needs only
/// `\usepackage{tikz}` and `amsmath`): the loss on top, each operation one
/// row above its highest operand, each input one row below its lowest
/// consumer, rows ordered to avoid crossings (see `graphviz/layout.rs`).
pub fn tikz(graph: &mut Graph, root: ExprId, wrt: Option<SymbolId>, notation: &Latex) -> String {
    let d = drawing(graph, root);
    let index: FastMap<ExprId, usize> = d.steps.order.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut nodes = Vec::with_capacity(d.steps.order.len());
    let mut labels = Vec::with_capacity(d.steps.order.len());
    let latex_spellings = Spellings::new(graph, notation);
    let unicode_spellings = Spellings::new(graph, &Unicode);
    for &n in &d.steps.order {
        let long = graph.tree_size(n, MAX_LABEL_NODES) > MAX_LABEL_NODES;
        let expr = if long {
            "\\ldots".to_string()
        } else {
            latex::render_spelled(graph, n, notation, &latex_spellings, None, usize::MAX)
        };
        let op = operation(graph, n);
        let unicode =
            if long { "…".to_string() } else { render_spelled(graph, n, &Unicode, &unicode_spellings, usize::MAX) };
        let width = expression_width(&unicode);
        let op_width = op.as_ref().map_or(0.0, |(text, _)| operator_width(text));
        let children = d.steps.children.get(&n).into_iter().flatten().filter_map(|c| index.get(c).copied()).collect();
        nodes.push(layout::Node { children, left: width / 2.0 + op_width, right: width / 2.0 });
        labels.push((expr, op.map(|(_, tex)| tex)));
    }
    let at = layout::layout(&nodes);
    let mut out = String::from(
        "\\begin{tikzpicture}[x=1cm, y=1.6cm,\n  \
         input/.style={draw, rounded corners=7pt, inner sep=3pt, minimum height=14pt, minimum width=14pt},\n  \
         param/.style={input, very thick, draw=blue!60!black, fill=blue!15},\n  \
         loss/.style={draw, double, fill=red!15, inner sep=3pt},\n  \
         op/.style={draw, inner sep=3pt},\n  \
         const/.style={inner sep=2pt}]\n",
    );
    for (i, &n) in d.steps.order.iter().enumerate() {
        let style = match kind(graph, n, d.root, wrt) {
            Kind::Loss => "loss",
            Kind::Parameter => "param",
            Kind::Input => "input",
            Kind::Constant => "const",
            Kind::Operation => "op",
        };
        let (expr, op) = &labels[i];
        let label = match op {
            Some(op) => format!(", label={{[font=\\scriptsize, gray]left:${op}$}}"),
            None => String::new(),
        };
        let (x, y) = at.pos[i];
        let _ = writeln!(out, "  \\node[{style}{label}] (n{i}) at ({x:.2}, {y}) {{${expr}$}};");
    }
    // Operands far below a consumer are drawn again beside it, dashed.
    let mut reference_of: FastMap<(usize, usize), usize> = FastMap::default();
    for (r, reference) in at.references.iter().enumerate() {
        let i = reference.node;
        let style = match kind(graph, d.steps.order[i], d.root, wrt) {
            Kind::Parameter => "param",
            Kind::Constant => "const",
            _ => "input",
        };
        let (x, y) = reference.pos;
        let _ = writeln!(out, "  \\node[{style}, dashed] (r{r}) at ({x:.2}, {y}) {{${}$}};", labels[i].0);
        reference_of.insert((reference.parent, reference.slot), r);
    }
    for (p, node) in nodes.iter().enumerate() {
        for (k, &c) in node.children.iter().enumerate() {
            if let Some(r) = reference_of.get(&(p, k)) {
                let _ = writeln!(out, "  \\draw[->] (r{r}) -- (n{p});");
                continue;
            }
            let (from, to) = (c, p);
            let bends = &at.bends[p][k];
            if bends.is_empty() {
                let _ = writeln!(out, "  \\draw[->] (n{from}) -- (n{to});");
            } else {
                let path: String = bends.iter().map(|(x, y)| format!(" -- ({x:.2}, {y})")).collect();
                let _ = writeln!(out, "  \\draw[->, rounded corners=12pt] (n{from}){path} -- (n{to});");
            }
        }
    }
    out.push_str("\\end{tikzpicture}");
    out
}

/// The width in cm of an expression typeset in math mode, estimated from its
/// Unicode text (its node includes 3pt of padding each side).
fn expression_width(text: &str) -> f64 {
    let body: f64 = text
        .chars()
        .map(|c| match c {
            ' ' => 0.0,
            '0'..='9' | 'ᵀ' | '⁻' | '¹' | '²' | '‖' | '(' | ')' | '[' | ']' => 0.15,
            '+' | '−' | '-' | '=' | '×' | '⊙' | '·' | '*' | '/' => 0.45,
            _ => 0.27,
        })
        .sum();
    body + 0.3
}

/// The width in cm of an operator label (script size, left of its node).
fn operator_width(text: &str) -> f64 {
    text.chars().count() as f64 * 0.18 + 0.15
}
