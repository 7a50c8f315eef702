//! Step-by-step derivations, as a graded homework solution writes them:
//! one line `∂L/∂(node) = chain rule = value` per node of the computational
//! graph, from the loss back to the variable, where several paths into a
//! node are summed (the total derivative).
//!
//! This module owns the *step graph*, the view of the expression graph
//! that both the derivation and the drawings in `graphviz` use: a named
//! definition is one node (its name, not its value), and a product of three
//! or more factors `A B C` is the binary tree `A (B C)`, so that `W^T W x`
//! has the node `W x` of the homework's graph. It works on a copy of the
//! graph and never changes the caller's; the result of the last line is the
//! one `diff::gradient` computes.

use crate::ir::FastMap;

pub mod differential;
mod trace_form;

use crate::diff;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{ExprId, Graph, Node, Role, Symbol, SymbolId};
use crate::print::latex::{self, Latex};
use crate::print::text::{Text, Unicode};
use crate::print::{Doc, Format, Notation, Prec, Printer, Spellings};
use crate::shape::Shape;

/// The nodes of the step graph under a root, parents before children.
#[derive(Clone, Debug, Default)]
pub struct StepGraph {
    /// Every node, the root first, each after all its parents.
    pub order: Vec<ExprId>,
    /// The distinct children of each node, in order.
    pub children: FastMap<ExprId, Vec<ExprId>>,
}

/// The step graph of `root`: every node when `target` is `None`, else only
/// the nodes that depend on `target`.
pub fn step_graph(graph: &mut Graph, root: ExprId, target: Option<ExprId>) -> StepGraph {
    let mut depends = Dependence::new(graph, root, target);
    let mut children: FastMap<ExprId, Vec<ExprId>> = FastMap::default();
    let mut stack = vec![root];
    let mut parents: FastMap<ExprId, usize> = FastMap::default();
    while let Some(n) = stack.pop() {
        if children.contains_key(&n) {
            continue;
        }
        let mut kids: Vec<ExprId> = Vec::new();
        for c in step_children(graph, n) {
            if !kids.contains(&c) && depends.get(graph, c) {
                kids.push(c);
            }
        }
        for &c in &kids {
            *parents.entry(c).or_default() += 1;
            stack.push(c);
        }
        children.insert(n, kids);
    }
    // Kahn's algorithm from the root: a node comes after all its parents.
    let mut order = Vec::new();
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(n) = queue.pop_front() {
        order.push(n);
        for c in children.get(&n).cloned().unwrap_or_default() {
            let count = parents.entry(c).or_default();
            *count = count.saturating_sub(1);
            if *count == 0 {
                queue.push_back(c);
            }
        }
    }
    StepGraph { order, children }
}

/// Which nodes depend on the variable (all of them without a variable).
struct Dependence {
    target: Option<ExprId>,
    memo: FastMap<ExprId, bool>,
}

impl Dependence {
    fn new(graph: &Graph, root: ExprId, target: Option<ExprId>) -> Dependence {
        let mut memo = FastMap::default();
        if let Some(t) = target {
            for id in graph.reachable(root) {
                let d = id == t || graph.children(id).iter().any(|c| memo.get(c).copied().unwrap_or(false));
                memo.insert(id, d);
            }
        }
        Dependence { target, memo }
    }

    fn get(&mut self, graph: &Graph, id: ExprId) -> bool {
        let Some(t) = self.target else { return true };
        if let Some(&d) = self.memo.get(&id) {
            return d;
        }
        let d = graph.reachable(id).contains(&t);
        self.memo.insert(id, d);
        d
    }
}

/// What a node stands for: a definition's value when it has one worth a
/// line of its own (not a bare name or number), else the node itself.
pub fn body(graph: &Graph, id: ExprId) -> ExprId {
    if let Node::Var(s) = graph.node(id) {
        if let Some(value) = graph.definition_value(*s) {
            if !matches!(graph.node(value), Node::Var(_) | Node::Const(_)) {
                return value;
            }
        }
    }
    id
}

/// The node a value is drawn as: the name of the definition it is the value
/// of, if any.
pub fn representative(graph: &mut Graph, id: ExprId) -> ExprId {
    if matches!(graph.node(id), Node::Var(_) | Node::Const(_)) {
        return id;
    }
    match graph.definition_of(id) {
        Some(sid) => graph.var(sid),
        None => id,
    }
}

/// The children of `id` in the step graph (definitions expanded, long
/// products split as `A (B C)`), as representatives.
pub fn step_children(graph: &mut Graph, id: ExprId) -> Vec<ExprId> {
    let b = body(graph, id);
    let raw = match graph.node(b).clone() {
        Node::Mul(factors) if factors.len() >= 3 => {
            let rest = graph.mul(factors[1..].to_vec());
            vec![factors[0], rest]
        }
        _ => graph.children(b),
    };
    raw.into_iter().map(|c| representative(graph, c)).collect()
}

/// The contributions `(child, part)` the adjoint `adjoint` of step node `id`
/// sends to its children that satisfy `depends`: the transposed local maps
/// of the differential (`diff::contributions`), over the step graph's
/// children.
fn local(
    graph: &mut Graph,
    id: ExprId,
    adjoint: ExprId,
    depends: &dyn Fn(ExprId) -> bool,
) -> Result<Vec<(ExprId, ExprId)>> {
    let b = body(graph, id);
    let raw = match graph.node(b).clone() {
        // The product as the step graph groups it, `A (B C)`.
        Node::Mul(factors) if factors.len() >= 3 => {
            let rest = graph.mul(factors[1..].to_vec());
            diff::product_contributions(graph, &[factors[0], rest], adjoint, depends)?
        }
        _ => diff::contributions(graph, b, adjoint, depends)?,
    };
    Ok(raw.into_iter().map(|(c, part)| (representative(graph, c), part)).collect())
}

/// One line of a derivation: `∂L/∂(node) = form = value`.
#[derive(Clone, Debug)]
pub struct Line {
    /// The node differentiated with respect to.
    pub node: ExprId,
    /// The chain rule in terms of the parents' upstream gradients.
    pub form: ExprId,
    /// The gradient itself.
    pub value: ExprId,
    /// How many paths (parents) meet at the node.
    pub paths: usize,
}

/// A derivation ready to print.
#[derive(Clone, Debug)]
pub struct Derivation {
    graph: Graph,
    loss: SymbolId,
    placeholder: SymbolId,
    wrt: SymbolId,
    /// The lines, from the loss back to the variable; the last is the variable's.
    pub lines: Vec<Line>,
}

/// How a line writes `value`: with the rules of set `products` applied
/// (the constructors keep diagonals beside vectors and inner products of
/// Hadamard products as written; a line reads as a result does) where that
/// is no longer, and with the user's names.
fn shown_value(g: &mut Graph, value: ExprId) -> ExprId {
    let rewritten = with_product_rules(g, value);
    g.rename_definitions(rewritten, None)
}

/// `id` with the rules of set `products` applied, where that is no longer.
pub(crate) fn with_product_rules(g: &mut Graph, id: ExprId) -> ExprId {
    let (rewritten, _) = crate::rules::normalise(g, id, crate::rules::products());
    if rewritten != id && g.tree_size(rewritten, MAX_SHOWN_SIZE) <= g.tree_size(id, MAX_SHOWN_SIZE) {
        rewritten
    } else {
        id
    }
}

/// Largest value (nodes written as a tree) [`shown_value`] compares.
const MAX_SHOWN_SIZE: usize = 100_000;

/// Derives the gradient of the scalar `root` with respect to `wrt` step by
/// step; `result` is the simplified gradient the last line ends with, and
/// `loss_name` the name the value is called by. The derivation stops with
/// an [`Error`] of kind [`ErrorKind::Limit`] once its lines (chain-rule
/// forms and values, each written out in full) would write out more than
/// `max_written` operations in all.
pub fn derive(
    graph: &Graph,
    root: ExprId,
    wrt: SymbolId,
    result: ExprId,
    loss_name: &str,
    max_written: usize,
) -> Result<Derivation> {
    if !graph.shape(root).is_scalar() {
        return Err(Error::bare(
            ErrorKind::Differentiation,
            "--steps needs a scalar value (a gradient, not a Jacobian)",
        )
        .with_help(
            "a Jacobian is derived by differentials: `matcalc diff --steps --differential` writes dF, \
             then vec(dF) = J vec(dX), and reads J off",
        ));
    }
    let mut g = graph.clone();
    // The value as a result reads, so the derivation starts from it.
    let root = with_product_rules(&mut g, root);
    let loss = match g.find_symbol(loss_name) {
        Some(s) => s,
        None => g.add_symbol(Symbol { name: loss_name.to_string(), shape: Shape::SCALAR, role: Role::Function }),
    };
    let placeholder = g.add_symbol(Symbol { name: "∂".to_string(), shape: Shape::SCALAR, role: Role::Function });
    let target = g.var(wrt);
    let steps = step_graph(&mut g, root, Some(target));
    let mut depends = Dependence::new(&g, root, Some(target));
    for &n in &steps.order {
        depends.get(&g, n);
    }
    let mut lines = Vec::new();
    // Per node: (parent, form part, value part) contributions received.
    let mut received: FastMap<ExprId, Vec<(ExprId, ExprId, ExprId)>> = FastMap::default();
    let mut adjoints: FastMap<ExprId, ExprId> = FastMap::default();
    let mut written = 0usize;
    if root == target || !steps.order.contains(&target) {
        let form = if root == target { g.int(1) } else { result };
        lines.push(Line { node: target, form, value: result, paths: 0 });
        return Ok(Derivation { graph: g, loss, placeholder, wrt, lines });
    }
    for &n in &steps.order {
        let (adjoint, placeholder_doc) = if n == root {
            let one = g.int(1);
            (one, one)
        } else {
            let parts = received.remove(&n).unwrap_or_default();
            let paths = {
                let mut ps: Vec<ExprId> = parts.iter().map(|p| p.0).collect();
                ps.dedup();
                ps.len()
            };
            let forms: Vec<ExprId> = parts.iter().map(|p| p.1).collect();
            let values: Vec<ExprId> = parts.iter().map(|p| p.2).collect();
            let form = g.add(forms);
            let form = with_product_rules(&mut g, form);
            let value = g.add(values);
            let shown = if n == target { result } else { shown_value(&mut g, value) };
            let trivial = g.as_const(value).is_some() && n != target;
            if !trivial {
                lines.push(Line { node: n, form, value: shown, paths });
                written = written.saturating_add(g.tree_size(form, max_written));
                written = written.saturating_add(g.tree_size(shown, max_written));
                if written > max_written {
                    return Err(Error::bare(
                        ErrorKind::Limit,
                        format!("its lines write out more than {max_written} operations in all"),
                    ));
                }
            }
            let stand_in = if trivial { value } else { g.upstream(loss, placeholder, n) };
            (value, stand_in)
        };
        adjoints.insert(n, adjoint);
        if n == target {
            break;
        }
        let memo = &depends.memo;
        let dep = |x: ExprId| memo.get(&x).copied().unwrap_or(false) || x == target;
        let values = local(&mut g, n, adjoint, &dep)?;
        let forms = local(&mut g, n, placeholder_doc, &dep)?;
        for ((child, value), (_, form)) in values.into_iter().zip(forms) {
            received.entry(child).or_default().push((n, form, value));
        }
    }
    Ok(Derivation { graph: g, loss, placeholder, wrt, lines })
}

impl Derivation {
    /// The derivation in `format` (text, Unicode or LaTeX) at `width` columns.
    pub fn render(&mut self, format: Format, latex: &Latex, width: usize) -> String {
        let notation: &dyn Notation = match format {
            Format::Unicode => &Unicode,
            Format::Latex => latex,
            _ => &Text,
        };
        let is_latex = format == Format::Latex;
        let mut rows = Vec::new();
        let count = self.lines.len();
        let spellings = Spellings::new(&self.graph, notation);
        for (i, line) in self.lines.clone().into_iter().enumerate() {
            let last = i + 1 == count;
            let lhs_id = self.graph.upstream(self.loss, self.placeholder, line.node);
            let mut printer = Printer::new(&mut self.graph, notation, &spellings, true);
            let lhs = printer.doc(lhs_id, Prec::Sum);
            let form = printer.doc(line.form, Prec::Sum);
            let value = printer.doc(line.value, Prec::Sum);
            let lhs_text = latex::flat(lhs.clone());
            let form_text = latex::flat(form.clone());
            let value_text = latex::flat(value.clone());
            if !last && value_text == lhs_text {
                continue;
            }
            let lhs = if is_latex && last {
                let symbol = self.graph.symbol(self.wrt);
                let loss = self.graph.symbol(self.loss);
                latex::tex(latex::derivative_lhs(
                    &spellings,
                    &loss.name,
                    Shape::SCALAR,
                    &symbol.name,
                    symbol.shape,
                    false,
                ))
            } else {
                lhs
            };
            let equals = if is_latex { latex::tex(" &= ") } else { Doc::text(" = ") };
            // A long line breaks between the chain rule and the value.
            let second_equals = if is_latex {
                latex::tex(" \\\\").append(Doc::hardline()).append(latex::tex("&= ")).flat_alt(latex::tex(" = "))
            } else {
                Doc::line().append(Doc::text("= ")).nest(2)
            };
            let rhs = if form_text != value_text && form_text != lhs_text {
                form.append(second_equals).append(value).group()
            } else {
                value
            };
            rows.push((lhs, equals.append(rhs)));
        }
        let mut rendered = Vec::new();
        if is_latex {
            // LaTeX aligns every row at its `&=`: each right side (and each
            // row it breaks into) starts where the widest left side ends.
            let lefts: Vec<String> = rows.iter().map(|(lhs, _)| latex::flat(lhs.clone())).collect();
            let column = lefts.iter().map(|l| latex::visual_width(l)).max().unwrap_or(0);
            let page = latex::width::page(width);
            let right_width = page.saturating_sub(column).max(page / 3).max(1);
            for (left, (_, rhs)) in lefts.into_iter().zip(rows) {
                let mut out = left;
                let _ = rhs.render_fmt(right_width, &mut out);
                rendered.push(out);
            }
        } else {
            for (lhs, rhs) in rows {
                let mut out = String::new();
                let _ = lhs.append(rhs).render_fmt(width.max(1), &mut out);
                rendered.push(out);
            }
        }
        if is_latex {
            format!("\\begin{{aligned}}\n{}\n\\end{{aligned}}", rendered.join(" \\\\\n"))
        } else {
            rendered.join("\n")
        }
    }
}
