//! Printing a differential as an equation: `d(A X B) = A dX B` for an
//! array-valued expression, and for a scalar L the first identification
//! form `dL = tr(G^T dX)` (a vector: `dL = g^T dx`; a scalar: `dL = g dx`)
//! with G the gradient. Shared parts of the right side are named once
//! (`t1 = …`), as the other printers do.

use super::bindings::with_shared;
use super::latex::{aligned, flat, tex_measured, visual_width, width};
use super::{Doc, Notation, Prec, Printer, Spellings};
use crate::ir::{ExprId, Func, Graph, Node};
use crate::shape::Shape;
use num_traits::{One, Signed};

/// What the left side `d…` is of.
#[derive(Clone, Copy, Debug)]
pub enum Left<'a> {
    /// A definition's name (`dL`), of the definition's shape.
    Name(&'a str, Shape),
    /// An unnamed expression, written out in brackets (`d(A X B)`).
    Expression(ExprId),
}

/// The right side of a differential.
#[derive(Clone, Copy, Debug)]
pub enum Right {
    /// An expression linear in the direction (`A dX B`).
    Linear(ExprId),
    /// ⟨G, dX⟩ for a scalar's gradient G: `tr(G^T dX)` for a matrix
    /// variable, `g^T dx` for a vector, `g dx` for a scalar (`transposed`
    /// is Gᵀ built in the graph, G itself for a scalar).
    Inner {
        /// A scalar factor written in front (`det(X)` of
        /// `det(X) tr(X^-1 dX)`), from [`scalar_factor`].
        scalar: Option<ExprId>,
        /// Gᵀ (or G for a scalar variable), without the scalar factor.
        transposed: ExprId,
        /// The direction dX.
        direction: ExprId,
        /// Whether the product is under a trace (a matrix variable).
        trace: bool,
    },
}

impl Right {
    /// The node whose shared parts are named.
    fn root(self) -> ExprId {
        match self {
            Right::Linear(id) => id,
            Right::Inner { transposed, .. } => transposed,
        }
    }

    /// The right side's document, with `root` standing for [`Right::root`].
    fn doc(self, printer: &mut Printer, root: ExprId) -> Doc {
        match self {
            Right::Linear(_) => printer.doc(root, Prec::Sum),
            Right::Inner { scalar, direction, trace, .. } => {
                let n = printer.notation;
                let direction = printer.doc(direction, Prec::Power);
                // With respect to the value itself G is 1: `dL = dL`.
                let product = if printer.graph.as_const(root).is_some_and(|c| c.is_one()) {
                    direction
                } else {
                    printer.doc(root, Prec::Product).append(n.product_separator()).append(direction)
                };
                let inner = if trace { n.function(Func::Trace, product) } else { product };
                let Some(scalar) = scalar else { return inner };
                let (c, rest) = printer.graph.split_coeff(scalar);
                let sign = if c.is_negative() { n.text(n.minus().to_string()) } else { Doc::nil() };
                let magnitude = printer.graph.scale(c.abs(), rest);
                if printer.graph.as_const(magnitude).is_some_and(|c| c.is_one()) {
                    return sign.append(inner);
                }
                let separator = match printer.graph.as_const(magnitude) {
                    Some(c) => n.coefficient_separator(&c.clone()),
                    None => n.product_separator(),
                };
                sign.append(printer.doc(magnitude, Prec::Product)).append(separator).append(inner)
            }
        }
    }
}

/// `gt` split into a scalar factor to write in front of the trace or
/// product, and the rest: its exact coefficient and the scalar factors of a
/// product other than reciprocals (`det(X) X^-1` gives `det(X)` and
/// `X^-1`; `2 X^T` gives `2` and `X^T`; `x^T / norm(x)` stays whole).
pub fn scalar_factor(graph: &mut Graph, gt: ExprId) -> (Option<ExprId>, ExprId) {
    let (c, rest) = graph.split_coeff(gt);
    let factors: Vec<ExprId> = match graph.node(rest) {
        Node::Mul(factors) => factors.to_vec(),
        _ => vec![rest],
    };
    let reciprocal = |g: &Graph, f: ExprId| match g.node(f) {
        Node::Pow(_, e) => g.as_const(*e).is_some_and(|e| e.is_negative()),
        _ => false,
    };
    let (front, kept): (Vec<ExprId>, Vec<ExprId>) =
        factors.into_iter().partition(|f| graph.shape(*f).is_scalar() && !reciprocal(graph, *f) && *f != rest);
    if (c.is_one() && front.is_empty()) || kept.is_empty() {
        return (None, gt);
    }
    let front = graph.mul(front);
    let scalar = graph.scale(c, front);
    (Some(scalar), graph.mul(kept))
}

/// Renders the equation `left = right` in `notation` (text and Unicode
/// when `latex` is unset) at `width` (LaTeX: printed symbols, see
/// [`width::page`]); the definitions of shared parts of the right side
/// follow (LaTeX: an `aligned` block with a `where` row) or come first
/// (text: lines `t1 = …`, then the equation).
pub fn render(
    graph: &mut Graph,
    left: Left,
    right: Right,
    notation: &dyn Notation,
    latex: bool,
    width: usize,
) -> String {
    let lhs = left_side(graph, left, notation);
    with_shared(graph, right.root(), |graph, shared| {
        let spellings = Spellings::new(graph, notation);
        let root = shared.map_or(right.root(), |s| s.root);
        let bindings: Vec<(String, ExprId)> = shared.map(|s| s.bindings.clone()).unwrap_or_default();
        let mut printer = Printer::new(graph, notation, &spellings, false);
        let body = right.doc(&mut printer, root);
        if latex && !bindings.is_empty() {
            let mut lines = vec![format!("{lhs} &= {}", flat(body))];
            for (i, (name, value)) in bindings.iter().enumerate() {
                let shape = printer.graph.shape(*value);
                let value = flat(printer.doc(*value, Prec::Sum));
                let label = if i == 0 { "\\text{where } " } else { "" };
                lines.push(format!("{label}{} &= {value}", spellings.name(notation, name, shape)));
            }
            return format!("\\begin{{aligned}}\n{}\n\\end{{aligned}}", lines.join(" \\\\\n"));
        }
        if latex {
            let page = width::page(width).max(1);
            let page = page.saturating_sub(visual_width(&lhs)).max(page / 3);
            let doc = tex_measured(format!("{lhs} = "), visual_width(" = ")).append(body);
            let mut out = String::new();
            let _ = doc.render_fmt(page, &mut out);
            return aligned(Some(&lhs), &out);
        }
        let mut lines = Vec::with_capacity(bindings.len() + 1);
        for (name, value) in &bindings {
            let shape = printer.graph.shape(*value);
            let mut text = String::new();
            let _ = printer.doc(*value, Prec::Sum).render_fmt(width, &mut text);
            lines.push(format!("{} = {text}", spellings.name(notation, name, shape)));
        }
        let mut equation = String::new();
        let _ = Doc::text(format!("{lhs} = ")).append(body).render_fmt(width, &mut equation);
        lines.push(equation);
        lines.join("\n")
    })
}

/// `dL`, `d(A X B)` (LaTeX `\mathrm{d}L`, `\mathrm{d}\left(…\right)`).
fn left_side(graph: &mut Graph, left: Left, notation: &dyn Notation) -> String {
    let spellings = Spellings::new(graph, notation);
    let inner = match left {
        Left::Name(name, shape) => spellings.name(notation, name, shape),
        Left::Expression(id) => {
            let mut printer = Printer::new(graph, notation, &spellings, false);
            let doc = printer.doc(id, Prec::Sum);
            flat(notation.parens(doc))
        }
    };
    notation.differential(&inner).unwrap_or_else(|| format!("d{inner}"))
}
