//! Drawings of the computational graph of a value: Graphviz `dot` and a
//! TikZ picture for LaTeX documents.
//!
//! Both draw the step graph of `steps` (a named definition is one node, a
//! product `A B C` is `A (B C)`), so the nodes carry the same names as the
//! lines of `--steps`; a shared subexpression is one node. Inputs are ovals
//! (ellipses in dot, round-ended boxes in TikZ), the parameter (`--wrt`) an
//! oval filled blue with a thick outline, operations boxes labelled with
//! their operator (`+`, `×`, `(·)ᵀ`, `σ`, …), the loss a filled red double
//! box, constants plain text; edges point from an operand to the operation
//! that uses it.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::ir::{ExprId, Func, Graph, Node, Role, SymbolId};
use crate::print::latex::{self, Latex};
use crate::print::text::Unicode;
use crate::steps::{body, representative, step_graph, StepGraph};

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
        Node::Const(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) => Kind::Constant,
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
        Node::Const(_) | Node::Var(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) => None,
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
            let (text, tex) = match f {
                Func::Sigmoid => ("σ".to_string(), "\\sigma".to_string()),
                Func::Norm2 => ("‖·‖²".to_string(), "\\|\\cdot\\|^2".to_string()),
                Func::Norm => ("‖·‖".to_string(), "\\|\\cdot\\|".to_string()),
                Func::Norm1 => ("‖·‖₁".to_string(), "\\|\\cdot\\|_1".to_string()),
                Func::Sqrt => ("√·".to_string(), "\\sqrt{\\cdot}".to_string()),
                Func::Abs => ("|·|".to_string(), "|\\cdot|".to_string()),
                Func::Det => ("det".to_string(), "\\det".to_string()),
                Func::LogDet => ("log det".to_string(), "\\log\\det".to_string()),
                Func::Exp | Func::Log | Func::Sin | Func::Cos | Func::Tan | Func::Tanh => {
                    (f.name().to_string(), format!("\\{}", f.name()))
                }
                _ => (f.name().to_string(), format!("\\operatorname{{{}}}", f.name())),
            };
            Some((text, tex))
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

/// The computational graph of `root` in Graphviz `dot`; `wrt` is drawn as
/// the parameter. Each operation's node shows its value and, smaller and
/// grey below it, the operation.
pub fn dot(graph: &mut Graph, root: ExprId, wrt: Option<SymbolId>) -> String {
    let d = drawing(graph, root);
    let mut out = String::from("digraph computation {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
    for &n in &d.steps.order {
        let expr = html_escape(&crate::print::render(graph, n, &Unicode, usize::MAX));
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
        let _ = writeln!(out, "  n{} [label=<{label}>, {style}];", n.0);
    }
    for &n in &d.steps.order {
        for c in d.steps.children.get(&n).into_iter().flatten() {
            let _ = writeln!(out, "  n{} -> n{};", c.0, n.0);
        }
    }
    out.push('}');
    out
}

/// The computational graph of `root` as a `tikzpicture` (needs only
/// `\usepackage{tikz}` and `amsmath`): leaves at the bottom, the loss on top.
pub fn tikz(graph: &mut Graph, root: ExprId, wrt: Option<SymbolId>, notation: &Latex) -> String {
    let d = drawing(graph, root);
    // Level: the longest path down to a leaf.
    let mut level: HashMap<ExprId, usize> = HashMap::new();
    for &n in d.steps.order.iter().rev() {
        let l = d.steps.children.get(&n).into_iter().flatten().map(|c| level.get(c).copied().unwrap_or(0) + 1).max();
        level.insert(n, l.unwrap_or(0));
    }
    let mut rows: Vec<Vec<ExprId>> = Vec::new();
    for &n in d.steps.order.iter().rev() {
        let l = level.get(&n).copied().unwrap_or(0);
        if rows.len() <= l {
            rows.resize(l + 1, Vec::new());
        }
        rows[l].push(n);
    }
    let mut out = String::from(
        "\\begin{tikzpicture}[x=3.2cm, y=1.6cm,\n  \
         input/.style={draw, rounded corners=7pt, inner sep=3pt, minimum height=14pt, minimum width=14pt},\n  \
         param/.style={input, very thick, draw=blue!60!black, fill=blue!15},\n  \
         loss/.style={draw, double, fill=red!15, inner sep=3pt},\n  \
         op/.style={draw, inner sep=3pt},\n  \
         const/.style={inner sep=2pt}]\n",
    );
    for (y, row) in rows.iter().enumerate() {
        let offset = (row.len() as f64 - 1.0) / 2.0;
        for (i, &n) in row.iter().enumerate() {
            let expr = latex::render(graph, n, notation, None, usize::MAX);
            let style = match kind(graph, n, d.root, wrt) {
                Kind::Loss => "loss",
                Kind::Parameter => "param",
                Kind::Input => "input",
                Kind::Constant => "const",
                Kind::Operation => "op",
            };
            let label = match operation(graph, n) {
                Some((_, op)) => format!(", label={{[font=\\scriptsize, gray]left:${op}$}}"),
                None => String::new(),
            };
            let x = i as f64 - offset;
            let _ = writeln!(out, "  \\node[{style}{label}] (n{}) at ({x:.1}, {y}) {{${expr}$}};", n.0);
        }
    }
    for &n in &d.steps.order {
        for c in d.steps.children.get(&n).into_iter().flatten() {
            let _ = writeln!(out, "  \\draw[->] (n{}) -- (n{});", c.0, n.0);
        }
    }
    out.push_str("\\end{tikzpicture}");
    out
}
