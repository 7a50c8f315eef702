//! The Magnus–Neudecker derivation of a gradient (`diff --steps
//! --differential`), as a homework solution writes it: take the
//! differential of the scalar f, apply the product and chain rules one
//! level at a time (each line names the rules it used), bring the result
//! to `tr(Gᵀ dX)` (`gᵀ dx` for a vector, `g dk` for a scalar) by the trace
//! rules (`steps::trace_form`), and read off G, the gradient
//! [`crate::Analysis::derivative`] gives.
//!
//! While a line still holds the differential d(E) of a subexpression, d(E)
//! is a fresh symbol of E's shape that the printer writes as `d(E)` (see
//! [`crate::print::Printer::with_differentials`]); a line expands every
//! such symbol by one rule, through the differential's own rules
//! ([`crate::diff::differential`]). Lines of the trace form are built
//! without the constructors' canonical rotation of traces and orientation
//! of products, so they print as the rule left them. The work is done on a
//! copy of the graph.

use crate::coeff::Coeff;
use crate::diff::{self, differential as linear};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{ExprId, FastMap, Func, Graph, Node, Role, Symbol, SymbolId};
use crate::print::latex::{self, Latex};
use crate::print::text::{Text, Unicode};
use crate::print::{Doc, Format, Notation, Prec, Printer, Spellings};
use crate::shape::{Dim, Shape};
use num_traits::One;

use super::trace_form;

mod vec_form;

/// Why a line follows from the one before: a rule's name, its equation, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reason {
    /// The rule's name (`product rule`), or empty.
    pub words: &'static str,
    /// The rule as an equation `lhs = rhs` over placeholders (`U`, `u`).
    pub formula: Option<(ExprId, ExprId)>,
}

impl Reason {
    /// A rule known by its name only.
    pub fn named(words: &'static str) -> Reason {
        Reason { words, formula: None }
    }
}

/// One line of the derivation: `= expr` and why.
#[derive(Clone, Debug)]
pub struct Line {
    /// The right side: df written another way.
    pub expr: ExprId,
    /// The rules that took the previous line to this one.
    pub reasons: Vec<Reason>,
}

/// The derivation of the gradient of a scalar f with respect to X, ready to print.
#[derive(Clone, Debug)]
pub struct Derivation {
    graph: Graph,
    /// The symbols standing for d(E), by symbol: E.
    differentials: FastMap<SymbolId, ExprId>,
    loss: SymbolId,
    placeholder: SymbolId,
    loss_name: String,
    wrt: SymbolId,
    direction: SymbolId,
    root: ExprId,
    /// The lines of df, the first `d(f)`; the last is `tr(Gᵀ dX)` (or `gᵀ
    /// dx`, `g dk`), for a Jacobian dF expanded (`J dx` for a column F).
    pub lines: Vec<Line>,
    /// The Jacobian of any other F: the line `vec(dF) = J vec(dX)`.
    pub vec_line: Option<Line>,
    /// The gradient G (the Jacobian J) read off the last line.
    pub gradient: ExprId,
    /// Why G is read off the last line.
    pub identification: Reason,
}

/// The state of a derivation being built.
pub(super) struct Builder {
    /// The copy of the graph the derivation is built in.
    pub g: Graph,
    /// The variable X.
    pub wrt: SymbolId,
    /// X as a node.
    pub target: ExprId,
    /// dX as a node.
    pub dtarget: ExprId,
    depends: FastMap<ExprId, bool>,
    pending_of: FastMap<ExprId, ExprId>,
    differentials: FastMap<SymbolId, ExprId>,
    placeholders: FastMap<(Shape, usize), SymbolId>,
    /// The placeholder names free in the program: scalars, vectors, matrices.
    free_names: [Vec<String>; 3],
}

impl Builder {
    fn depends(&self, id: ExprId) -> bool {
        id == self.target || self.depends.get(&id).copied().unwrap_or(false)
    }

    /// The symbol standing for d(`e`), made once per `e`.
    fn pending(&mut self, e: ExprId) -> ExprId {
        if let Some(&p) = self.pending_of.get(&e) {
            return p;
        }
        let shape = self.g.shape(e);
        let name = format!("d\u{1}{}", self.differentials.len());
        let sid = self.g.add_symbol(Symbol { name, shape, role: Role::Input { symmetric: false } });
        let p = self.g.var(sid);
        self.differentials.insert(sid, e);
        self.pending_of.insert(e, p);
        p
    }

    /// d(`c`) as the next line writes it before expanding it: dX for the
    /// variable, through transposes and scalings (d(2 Aᵀ) = 2 d(A)ᵀ), and
    /// through a definition that names a bare name.
    fn pend(&mut self, c: ExprId) -> ExprId {
        if c == self.target {
            return self.dtarget;
        }
        match self.g.node(c).clone() {
            Node::Var(s) => match self.g.definition_value(s) {
                Some(v) if matches!(self.g.node(v), Node::Var(_) | Node::Const(_)) => self.pend(v),
                _ => self.pending(c),
            },
            Node::Transpose(b) => {
                let p = self.pend(b);
                self.g.transpose(p)
            }
            Node::Scale(k, b) => {
                let p = self.pend(b);
                self.g.scale(k, p)
            }
            _ => self.pending(c),
        }
    }

    /// d(`e`) by one rule at `e` (linear steps, through sums, scalings,
    /// transposes and definitions, taken with it), the children's
    /// differentials left as d(child); the rules used are added to `reasons`.
    fn expand(&mut self, e: ExprId, reasons: &mut Vec<Reason>) -> Result<ExprId> {
        if e == self.target {
            return Ok(self.dtarget);
        }
        let node = self.g.node(e).clone();
        let linear = matches!(node, Node::Add(_) | Node::Scale(..) | Node::Transpose(_));
        match node {
            Node::Var(s) => match self.g.definition_value(s) {
                Some(v) => return self.expand(v, reasons),
                None => {
                    let shape = self.g.shape(e);
                    return Ok(self.g.zero(shape));
                }
            },
            Node::Upstream { .. } => {
                return Err(Error::bare(
                    ErrorKind::Differentiation,
                    "the derivation cannot be written through the gradient of an opaque function",
                ))
            }
            _ => {}
        }
        let mut tangents = FastMap::default();
        for c in self.g.children(e) {
            if self.depends(c) && !tangents.contains_key(&c) {
                let d = if linear { self.expand(c, reasons)? } else { self.pend(c) };
                tangents.insert(c, d);
            }
        }
        let result = linear::tangent_of(&mut self.g, e, &tangents)?;
        let result = if matches!(self.g.node(e), Node::Apply(..)) { self.orient(result, &[]) } else { result };
        if !linear {
            let reason = self.reason(e)?;
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        Ok(result)
    }

    /// The rule that differentiates the node `e`.
    fn reason(&mut self, e: ExprId) -> Result<Reason> {
        let node = self.g.node(e).clone();
        let words = match node {
            Node::Mul(_) | Node::Hadamard(_) | Node::Kron(..) => return Ok(Reason::named("product rule")),
            Node::Apply(f, _) if f.is_elementwise() => "chain rule",
            Node::Apply(f, _) if matches!(crate::ops::of(f).derivative, Some(crate::ops::Derivative::Linear(_))) => "",
            Node::Apply(..) | Node::Opaque(..) => "chain rule",
            Node::Pow(..) => "chain rule",
            _ => "",
        };
        // The rule over placeholders: `e` with each child that depends on X replaced.
        let mut replaced = FastMap::default();
        let mut tangents = FastMap::default();
        for (k, c) in self.g.children(e).into_iter().enumerate() {
            if self.depends(c) && !replaced.contains_key(&c) {
                let shape = self.g.shape(c);
                let u = self.placeholder(shape, k);
                let du = self.placeholder_direction(u);
                let (u, du) = (self.g.var(u), self.g.var(du));
                replaced.insert(c, u);
                tangents.insert(u, du);
            }
        }
        let generic = self.g.rebuild_through(e, &replaced);
        let rhs = linear::tangent_of(&mut self.g, generic, &tangents)?;
        let changes: Vec<ExprId> = tangents.values().copied().collect();
        let mut rhs = self.orient(rhs, &changes);
        for du in tangents.values().copied().collect::<Vec<_>>() {
            rhs = self.orient_rule(rhs, du);
        }
        let lhs = self.pending(generic);
        Ok(Reason { words, formula: Some((lhs, rhs)) })
    }

    /// A placeholder symbol of `shape` (the `k`-th of the rule): `U`, `V`,
    /// … for a matrix, `u`, `v`, … for a vector, `s`, `t`, … for a scalar,
    /// none of the program's names.
    pub fn placeholder(&mut self, shape: Shape, k: usize) -> SymbolId {
        let shape = if shape.is_row() { shape.transpose() } else { shape };
        if let Some(&s) = self.placeholders.get(&(shape, k)) {
            return s;
        }
        let class = if shape.is_scalar() {
            0
        } else if shape.cols == Dim::ONE {
            1
        } else {
            2
        };
        let name =
            self.free_names[class].get(k).cloned().unwrap_or_else(|| format!("{}{k}", self.free_names[class][0]));
        let sid = self.g.add_symbol(Symbol { name, shape, role: Role::Input { symmetric: false } });
        self.placeholders.insert((shape, k), sid);
        sid
    }

    /// The direction `dU` of the placeholder `u` (placeholders of one name
    /// and several shapes share the name of their direction).
    fn placeholder_direction(&mut self, u: SymbolId) -> SymbolId {
        if let Some(d) = self.g.direction_of(u) {
            return d;
        }
        let symbol = self.g.symbol(u).clone();
        let name = format!("d{}", symbol.name);
        let d = self.g.add_symbol(Symbol { name, shape: symbol.shape, role: Role::Input { symmetric: false } });
        self.g.set_direction(u, d);
        d
    }

    /// Whether `id` holds dX, a d(E) symbol or one of `changes`.
    fn holds_change(&self, id: ExprId, changes: &[ExprId]) -> bool {
        self.g.reachable(id).into_iter().any(|n| {
            n == self.dtarget
                || changes.contains(&n)
                || matches!(self.g.node(n), Node::Var(s) if self.differentials.contains_key(s))
        })
    }

    /// `id` with the d(E) symbols replaced as `map` says, products spliced
    /// as written (`(h - y)^T ((1 - h .^ 2) .* dz)` stays a product) and
    /// traces not rotated; the rest through the constructors.
    fn substitute(&mut self, id: ExprId, map: &FastMap<ExprId, ExprId>) -> ExprId {
        let mut memo: FastMap<ExprId, ExprId> = FastMap::default();
        for n in self.g.reachable_without_definitions(id) {
            if let Some(&r) = map.get(&n) {
                memo.insert(n, r);
                continue;
            }
            let children = self.g.children(n);
            if matches!(self.g.node(n), Node::Var(_)) || children.iter().all(|c| !memo.contains_key(c)) {
                continue;
            }
            let m = |x: &ExprId| *memo.get(x).unwrap_or(x);
            let rebuilt = match self.g.node(n).clone() {
                Node::Mul(fs) => {
                    let mapped: Vec<ExprId> = fs.iter().map(m).collect();
                    self.splice(mapped)
                }
                Node::Apply(Func::Trace, a) if !self.g.shape(m(&a)).is_scalar() && !self.g.is_zero(m(&a)) => {
                    let (c, inner) = self.g.split_coeff(m(&a));
                    let trace = trace_form::raw_trace(&mut self.g, inner);
                    trace_form::raw_scale(&mut self.g, c, trace)
                }
                _ => self.g.rebuild_through(n, &memo),
            };
            memo.insert(n, rebuilt);
        }
        *memo.get(&id).unwrap_or(&id)
    }

    /// The product of `factors` as written: nested products spliced in
    /// (a 1×1 one as a scalar factor, `(x^T dx) M`), coefficients and
    /// scalar factors in front.
    fn splice(&mut self, factors: Vec<ExprId>) -> ExprId {
        if factors.iter().any(|f| self.g.is_zero(*f)) || factors.iter().all(|f| self.g.shape(*f).is_scalar()) {
            return self.g.mul(factors);
        }
        let mut coeff = Coeff::one();
        let (mut scalars, mut chain) = (Vec::new(), Vec::new());
        let mut stack: Vec<ExprId> = factors.into_iter().rev().collect();
        while let Some(f) = stack.pop() {
            match self.g.node(f).clone() {
                Node::Mul(_) if self.g.shape(f).is_scalar() => scalars.push(f),
                Node::Mul(inner) => stack.extend(inner.iter().rev().copied()),
                Node::Scale(c, x) => {
                    coeff *= c;
                    stack.push(x);
                }
                Node::Const(c) => coeff *= c,
                _ if self.g.shape(f).is_scalar() => scalars.push(f),
                Node::Identity(_) => {}
                _ => chain.push(f),
            }
        }
        scalars.extend(chain);
        let product = trace_form::raw_mul(&mut self.g, scalars);
        trace_form::raw_scale(&mut self.g, coeff, product)
    }

    /// `id` with each trace rotated (as written, not canonically) so that
    /// the factor holding the change comes last: `tr(X^-1 dX)`, not `tr(dX X^-1)`.
    pub fn orient(&mut self, id: ExprId, changes: &[ExprId]) -> ExprId {
        let mut written: FastMap<ExprId, ExprId> = FastMap::default();
        for n in self.g.reachable_without_definitions(id) {
            let rebuilt = self.g.rebuild_with(n, &written);
            let turned = match self.g.node(rebuilt).clone() {
                Node::Apply(Func::Trace, inner) => match self.g.node(inner).clone() {
                    Node::Mul(fs) => {
                        let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                            fs.iter().partition(|f| self.g.shape(**f).is_scalar());
                        let at = chain.iter().rposition(|f| self.holds_change(*f, changes));
                        let transposed = at.is_some_and(|k| matches!(self.g.node(chain[k]), Node::Transpose(c) if changes.contains(c) || *c == self.dtarget));
                        let (chain, at) = if transposed && scalars.is_empty() {
                            let turned: Vec<ExprId> = chain.iter().rev().map(|f| self.g.transpose(*f)).collect();
                            let at = turned.iter().rposition(|f| self.holds_change(*f, changes));
                            (turned, at)
                        } else {
                            (chain, at)
                        };
                        match at {
                            Some(k) if scalars.is_empty() && (k + 1 < chain.len() || transposed) => {
                                let rotated: Vec<ExprId> =
                                    chain[k + 1..].iter().chain(chain[..=k].iter()).copied().collect();
                                let product = trace_form::raw_mul(&mut self.g, rotated);
                                trace_form::raw_trace(&mut self.g, product)
                            }
                            _ => rebuilt,
                        }
                    }
                    _ => rebuilt,
                },
                _ => rebuilt,
            };
            if turned != n {
                written.insert(n, turned);
            }
        }
        *written.get(&id).unwrap_or(&id)
    }

    /// A rule's right side with a scalar product that starts with the
    /// transposed change `du^T` turned round (`2 u^T du`, not `2 du^T u`).
    fn orient_rule(&mut self, id: ExprId, du: ExprId) -> ExprId {
        let (c, rest) = self.g.split_coeff(id);
        let Node::Mul(fs) = self.g.node(rest).clone() else { return id };
        let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) = fs.iter().partition(|f| self.g.shape(**f).is_scalar());
        let dut = self.g.transpose(du);
        if chain.first() != Some(&dut) || !self.g.shape(rest).is_scalar() || chain.len() < 2 {
            return id;
        }
        let mut factors = scalars;
        factors.extend(chain.iter().rev().map(|f| self.g.transpose(*f)).collect::<Vec<_>>());
        let product = trace_form::raw_mul(&mut self.g, factors);
        if c.is_one() {
            return product;
        }
        let shape = self.g.shape(product);
        self.g.intern(Node::Scale(c, product), shape)
    }

    /// The symbols d(E) in `id`, in id order.
    fn pendings_in(&self, id: ExprId) -> Vec<ExprId> {
        let mut found: Vec<ExprId> = self
            .g
            .reachable(id)
            .into_iter()
            .filter(|n| matches!(self.g.node(*n), Node::Var(s) if self.differentials.contains_key(s)))
            .collect();
        found.sort_unstable();
        found
    }
}

impl Graph {
    /// `e` rebuilt through the constructors with its children looked up in `replaced`.
    fn rebuild_through(&mut self, e: ExprId, replaced: &FastMap<ExprId, ExprId>) -> ExprId {
        let map = |x: &ExprId| *replaced.get(x).unwrap_or(x);
        match self.node(e).clone() {
            Node::Add(c) => self.add(c.iter().map(map).collect()),
            Node::Mul(c) => self.mul(c.iter().map(map).collect()),
            Node::Hadamard(c) => self.hadamard(c.iter().map(map).collect()),
            Node::Scale(c, a) => self.scale(c, map(&a)),
            Node::Pow(a, b) => self.pow(map(&a), map(&b)),
            Node::Transpose(a) => self.transpose(map(&a)),
            Node::Inverse(a) => self.inverse(map(&a)),
            Node::Apply(f, a) => self.apply(f, map(&a)),
            Node::Kron(a, b) => self.kron(map(&a), map(&b)),
            Node::Opaque(f, a) => self.opaque(f, map(&a)),
            _ => e,
        }
    }
}

/// Derives the gradient of the scalar `root` (the Jacobian of a vector or
/// matrix `root`) with respect to `wrt` by differentials; `gradient` is the
/// simplified gradient (Jacobian) the derivation ends with, `loss_name` the
/// name f is called by. More than `max_written` operations written out in
/// all is an [`ErrorKind::Limit`] error.
pub fn derive(
    graph: &Graph,
    root: ExprId,
    wrt: SymbolId,
    gradient: ExprId,
    loss_name: &str,
    max_written: usize,
) -> Result<Derivation> {
    let mut g = graph.clone();
    let direction = linear::direction(&mut g, wrt);
    let loss = match g.find_symbol(loss_name) {
        Some(s) => s,
        None => g.add_symbol(Symbol { name: loss_name.to_string(), shape: Shape::SCALAR, role: Role::Function }),
    };
    let placeholder = g.add_symbol(Symbol { name: "∂".to_string(), shape: Shape::SCALAR, role: Role::Function });
    let target = g.var(wrt);
    let dtarget = g.var(direction);
    let root = g.through_definitions(root);
    // The value as a result reads (see `steps::with_product_rules`).
    let root = crate::steps::with_product_rules(&mut g, root);
    let depends = diff::dependence(&mut g, root, target);
    let mut b = Builder {
        g,
        wrt,
        target,
        dtarget,
        depends,
        pending_of: FastMap::default(),
        differentials: FastMap::default(),
        placeholders: FastMap::default(),
        free_names: [vec![], vec![], vec![]],
    };
    for (class, names) in [
        &["s", "t", "a", "b", "c", "e"][..],
        &["u", "v", "w", "p", "q", "r", "z"],
        &["U", "V", "P", "Q", "R", "S", "T", "M"],
    ]
    .into_iter()
    .enumerate()
    {
        let free = |n: &str| {
            b.g.find_symbol(n).is_none() && b.g.find_symbol(&format!("d{n}")).is_none() && !crate::ops::is_builtin(n)
        };
        let mut chosen: Vec<String> = names.iter().filter(|n| free(n)).map(|n| n.to_string()).collect();
        let mut k = 1;
        while chosen.len() < 3 {
            let n = format!("{}{k}", names[0]);
            if b.g.find_symbol(&n).is_none() {
                chosen.push(n);
            }
            k += 1;
        }
        b.free_names[class] = chosen;
    }
    let first = if root == target {
        b.dtarget
    } else if b.depends(root) {
        b.pending(root)
    } else {
        let shape = b.g.shape(root);
        b.g.zero(shape)
    };
    let mut lines = vec![Line { expr: first, reasons: Vec::new() }];
    let mut written = b.g.tree_size(first, max_written);
    let mut current = first;
    loop {
        let pendings = b.pendings_in(current);
        if pendings.is_empty() {
            break;
        }
        let mut reasons = Vec::new();
        let mut expanded: FastMap<ExprId, ExprId> = FastMap::default();
        for p in pendings {
            let Node::Var(s) = b.g.node(p).clone() else { continue };
            let e = b.differentials[&s];
            let d = b.expand(e, &mut reasons)?;
            let d = b.g.rename_definitions(d, None);
            expanded.insert(p, d);
        }
        current = b.substitute(current, &expanded);
        written = written.saturating_add(b.g.tree_size(current, max_written));
        if written > max_written {
            return Err(too_long(max_written));
        }
        if reasons.is_empty() {
            reasons.push(Reason::named("linearity"));
        }
        lines.push(Line { expr: current, reasons });
    }
    let (tail, vec_line, identification) = if b.g.shape(root).is_scalar() {
        let (tail, identification) = trace_form::to_trace_form(&mut b, current, gradient)?;
        (tail, None, identification)
    } else {
        let form = vec_form::to_vec_form(&mut b, root, current, gradient)?;
        (form.line.into_iter().collect(), form.vec_line, form.identification)
    };
    for line in tail.iter().chain(&vec_line) {
        written = written.saturating_add(b.g.tree_size(line.expr, max_written));
        if written > max_written {
            return Err(too_long(max_written));
        }
    }
    lines.extend(tail);
    Ok(Derivation {
        graph: b.g,
        differentials: b.differentials,
        loss,
        placeholder,
        loss_name: loss_name.to_string(),
        wrt,
        direction,
        root,
        lines,
        vec_line,
        gradient,
        identification,
    })
}

fn too_long(max_written: usize) -> Error {
    Error::bare(ErrorKind::Limit, format!("its lines write out more than {max_written} operations in all"))
}

impl Derivation {
    /// The graph the lines live in.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// f, the variable X and the direction dX.
    pub fn parts(&self) -> (ExprId, SymbolId, SymbolId) {
        (self.root, self.wrt, self.direction)
    }

    /// Whether line `i` still holds a d(E) (`d(W x - y)`, `dz`): not an
    /// expression of the program and dX alone.
    pub fn holds_differentials(&self, i: usize) -> bool {
        let expr = self.lines[i].expr;
        self.graph
            .reachable(expr)
            .into_iter()
            .any(|n| matches!(self.graph.node(n), Node::Var(s) if self.differentials.contains_key(s)))
    }

    /// For the Jacobian of a matrix F: vec(F) and the line `J vec(dX)`,
    /// which equals vec(dF) (to check it).
    pub fn vec_line_and_value(&mut self) -> Option<(ExprId, ExprId)> {
        let line = self.vec_line.as_ref()?.expr;
        Some((self.graph.vec(self.root), line))
    }

    /// Every line with each d(E) it holds replaced by the differential of
    /// E: expressions linear in dX, each equal to df (to check them).
    pub fn resolved_lines(&mut self) -> Result<Vec<ExprId>> {
        let mut values: FastMap<ExprId, ExprId> = FastMap::default();
        let pairs: Vec<(SymbolId, ExprId)> = self.differentials.iter().map(|(s, e)| (*s, *e)).collect();
        for (s, e) in pairs {
            let d = linear::differential(&mut self.graph, e, self.wrt, self.direction)?;
            let v = self.graph.var(s);
            values.insert(v, d);
        }
        let mut out = Vec::new();
        for line in self.lines.clone() {
            out.push(self.graph.rewrite(line.expr, &mut |_, n| values.get(&n).copied()));
        }
        Ok(out)
    }

    /// The derivation in `format` (text, Unicode or LaTeX) at `width` columns.
    pub fn render(&mut self, format: Format, latex: &Latex, width: usize) -> String {
        let notation: &dyn Notation = match format {
            Format::Unicode => &Unicode,
            Format::Latex => latex,
            _ => &Text,
        };
        let is_latex = format == Format::Latex;
        let spellings = Spellings::new(&self.graph, notation);
        let value_shape = self.graph.shape(self.root);
        let loss_printed = spellings.name(notation, &self.loss_name, value_shape);
        let df = notation.differential(&loss_printed).unwrap_or_else(|| format!("d{loss_printed}"));
        let target = self.graph.var(self.wrt);
        let symbol = self.graph.symbol(self.wrt).clone();
        let gradient_lhs = if !value_shape.is_scalar() && is_latex {
            let wrt = (symbol.name.as_str(), symbol.shape, symbol.role == (Role::Input { symmetric: true }));
            latex::jacobian_lhs(&spellings, &self.loss_name, value_shape, wrt, crate::Layout::Numerator)
        } else if !value_shape.is_scalar() {
            let wrt = spellings.name(notation, &symbol.name, symbol.shape);
            format!("jacobian({loss_printed}, {wrt})")
        } else if is_latex {
            latex::derivative_lhs(&spellings, &self.loss_name, Shape::SCALAR, &symbol.name, symbol.shape, false)
        } else {
            let id = self.graph.upstream(self.loss, self.placeholder, target);
            let mut printer = Printer::new(&mut self.graph, notation, &spellings, false);
            latex::flat(printer.doc(id, Prec::Sum))
        };
        let mut rows: Vec<(String, Doc, String)> = Vec::new();
        let lines = self.lines.clone();
        let reasons_of = |graph: &mut Graph, reasons: &[Reason], differentials: &FastMap<SymbolId, ExprId>| {
            let parts: Vec<String> = reasons
                .iter()
                .map(|r| {
                    let mut printer =
                        Printer::new(graph, notation, &spellings, false).with_differentials(differentials);
                    reason_text(&mut printer, r, is_latex)
                })
                .collect();
            parts.join(if is_latex { ";\\ " } else { "; " })
        };
        for (i, line) in lines.iter().enumerate() {
            let lhs = if i == 0 { df.clone() } else { String::new() };
            let mut printer =
                Printer::new(&mut self.graph, notation, &spellings, false).with_differentials(&self.differentials);
            let doc = printer.doc(line.expr, Prec::Sum);
            let why = reasons_of(&mut self.graph, &line.reasons, &self.differentials);
            rows.push((lhs, doc, why));
        }
        if let Some(line) = self.vec_line.clone() {
            let lhs = if is_latex { format!("\\operatorname{{vec}}({df})") } else { format!("vec({df})") };
            let mut printer = Printer::new(&mut self.graph, notation, &spellings, false);
            let doc = printer.doc(line.expr, Prec::Sum);
            let why = reasons_of(&mut self.graph, &line.reasons, &self.differentials);
            rows.push((lhs, doc, why));
        }
        let mut printer = Printer::new(&mut self.graph, notation, &spellings, false);
        let g = printer.doc(self.gradient, Prec::Sum);
        let why = reasons_of(&mut self.graph, &[self.identification], &self.differentials);
        rows.push((gradient_lhs, g, why));
        if is_latex {
            let body: Vec<String> = rows
                .into_iter()
                .map(|(lhs, doc, why)| {
                    let why = if why.is_empty() { String::new() } else { format!(" && ({why})") };
                    format!("{lhs} &= {}{why}", latex::flat(doc))
                })
                .collect();
            return format!("\\begin{{aligned}}\n{}\n\\end{{aligned}}", body.join(" \\\\\n"));
        }
        let indent = df.chars().count();
        let mut rendered: Vec<(String, String)> = Vec::new();
        for (lhs, doc, why) in rows {
            let pad = if lhs.is_empty() { " ".repeat(indent) } else { lhs };
            let mut out = String::new();
            let room = width.saturating_sub(pad.chars().count() + 3).max(20);
            let _ = doc.render_fmt(room, &mut out);
            let continued = out.replace('\n', &format!("\n{}   ", " ".repeat(pad.chars().count())));
            rendered.push((format!("{pad} = {continued}"), why));
        }
        // The reasons start in one column where the lines leave room.
        let column = rendered
            .iter()
            .filter(|(l, w)| !l.contains('\n') && l.chars().count() + w.chars().count() + 4 <= width)
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = Vec::new();
        for (text, why) in rendered {
            if why.is_empty() {
                out.push(text);
                continue;
            }
            let last = text.rsplit('\n').next().unwrap_or("").chars().count();
            let fits = !text.contains('\n') && column + why.chars().count() + 4 <= width;
            if fits {
                out.push(format!("{text}{}  [{why}]", " ".repeat(column.saturating_sub(last))));
            } else {
                out.push(format!("{text}  [{why}]"));
            }
        }
        out.join("\n")
    }
}

/// A reason in the printer's notation: `product rule`, `d tr(U) = tr(dU)`,
/// `chain rule: d exp(U) = dU .* exp(U)` (LaTeX: `\text{…}` around the words).
fn reason_text(printer: &mut Printer, reason: &Reason, latex: bool) -> String {
    let words = if reason.words.is_empty() {
        String::new()
    } else if latex {
        format!("\\text{{{}}}", reason.words)
    } else {
        reason.words.to_string()
    };
    let Some((lhs, rhs)) = reason.formula else { return words };
    let l = latex::flat(printer.doc(lhs, Prec::Sum));
    let r = latex::flat(printer.doc(rhs, Prec::Sum));
    let formula = format!("{l} = {r}");
    match (words.is_empty(), latex) {
        (true, _) => formula,
        (false, true) => format!("{words}\\text{{: }} {formula}"),
        (false, false) => format!("{words}: {formula}"),
    }
}
