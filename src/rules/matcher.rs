//! Matching a compiled left side against the graph's canonical nodes, and
//! building the right side through the graph's constructors.
//!
//! A pattern node matches a node of the same kind with matching children;
//! sums, elementwise products and the scalar factors of a product match in
//! any order, and a metavariable among a sum's or an elementwise product's
//! children takes the terms no other child matched (`?x + ?c` matches
//! `x + y + 3` with `?x = x + y`). A scaled pattern `-?z` matches a scaled
//! term of the same sign (`-2 w`, with `?z = 2 w`). A metavariable matches a
//! term of its declared kind (scalar, vector, row, matrix), with the
//! dimensions of all metavariables consistent.

use crate::coeff::Coeff;
use crate::ir::{ExprId, FastMap, Func, Graph, Node};
use crate::shape::{Dim, DimId, Shape};
use num_traits::{One, Signed};

use super::pattern::{CompiledRule, Guard, Variant};
use super::Body;

/// The operator at the top of a node, by which rules are indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Head {
    /// A built-in function.
    Apply(Func),
    /// A sum.
    Add,
    /// A matrix or scalar product.
    Mul,
    /// An elementwise product.
    Hadamard,
    /// An elementwise power.
    Pow,
    /// A scaled term.
    Scale,
    /// A transpose.
    Transpose,
    /// An inverse.
    Inverse,
    /// Anything else (leaves, opaque functions).
    Other,
    /// The whole result, where no sum or other term surrounds it: a rule
    /// listing it is tried at the root once the rest is rewritten (no node's
    /// head is `Root`).
    Root,
}

/// The head of `id`.
pub fn head(graph: &Graph, id: ExprId) -> Head {
    match graph.node(id) {
        Node::Apply(f, _) => Head::Apply(*f),
        Node::Add(_) => Head::Add,
        Node::Mul(_) => Head::Mul,
        Node::Hadamard(_) => Head::Hadamard,
        Node::Pow(..) => Head::Pow,
        Node::Scale(..) => Head::Scale,
        Node::Transpose(_) => Head::Transpose,
        Node::Inverse(_) => Head::Inverse,
        _ => Head::Other,
    }
}

/// Rules by the heads of their left sides, in table order.
#[derive(Debug, Default)]
pub struct HeadIndex {
    by_head: FastMap<Head, Vec<usize>>,
}

impl HeadIndex {
    /// Indexes `rules`.
    pub fn new(rules: &[CompiledRule]) -> HeadIndex {
        let mut index = HeadIndex::default();
        for (i, rule) in rules.iter().enumerate() {
            let mut heads: Vec<Head> = match rule.rule.body {
                Body::Native { heads, .. } => heads.to_vec(),
                Body::Pattern { .. } => rule.variants.iter().map(|v| head(&v.graph, v.lhs)).collect(),
            };
            heads.dedup();
            for h in heads {
                let list = index.by_head.entry(h).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
        }
        index
    }

    /// The rules whose left side could match `id`.
    pub fn candidates(&self, graph: &Graph, id: ExprId) -> &[usize] {
        self.by_head.get(&head(graph, id)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The rules for the whole result ([`Head::Root`]).
    pub fn root_candidates(&self) -> &[usize] {
        self.by_head.get(&Head::Root).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// What the metavariables and the pattern's dimensions stand for.
#[derive(Clone, Debug, Default)]
struct Bindings {
    values: Vec<Option<ExprId>>,
    dims: Vec<(DimId, Dim)>,
}

impl Bindings {
    fn dim(&mut self, pattern: Dim, target: Dim) -> bool {
        match pattern {
            Dim::Fixed(_) | Dim::Product(_) => target == pattern,
            Dim::Named(id) => match self.dims.iter().find(|(p, _)| *p == id) {
                Some((_, bound)) => *bound == target,
                None => {
                    self.dims.push((id, target));
                    true
                }
            },
        }
    }

    fn map_dim(&self, pattern: Dim) -> Option<Dim> {
        match pattern {
            Dim::Fixed(n) => Some(Dim::Fixed(n)),
            Dim::Named(id) => self.dims.iter().find(|(p, _)| *p == id).map(|(_, d)| *d),
            Dim::Product(p) => {
                let named = p
                    .named()
                    .iter()
                    .try_fold(Dim::Fixed(p.fixed()), |acc, id| acc.times(self.map_dim(Dim::Named(*id))?))?;
                p.triangles().iter().try_fold(named, |acc, id| acc.times(self.map_dim(Dim::Named(*id))?.triangle()?))
            }
        }
    }

    fn map_shape(&self, s: Shape) -> Option<Shape> {
        Some(Shape::new(self.map_dim(s.rows)?, self.map_dim(s.cols)?))
    }
}

/// Scalar, column, row or matrix.
fn kind(s: Shape) -> u8 {
    match (s.rows == Dim::ONE, s.cols == Dim::ONE) {
        (true, true) => 0,
        (false, true) => 1,
        (true, false) => 2,
        (false, false) => 3,
    }
}

impl CompiledRule {
    /// `id` rewritten by this rule, or `None` where it does not apply.
    pub fn apply(&self, graph: &mut Graph, id: ExprId) -> Option<ExprId> {
        if let Body::Native { apply, .. } = self.rule.body {
            return apply(graph, id);
        }
        for variant in &self.variants {
            let mut matcher = Matcher { variant, graph: &mut *graph };
            let Some(bindings) = matcher.matches(variant.lhs, id, Bindings::default()) else { continue };
            if !self.guard_holds(variant, graph, &bindings) {
                continue;
            }
            let Some(new) = instantiate(variant, graph, &bindings) else { continue };
            // The constructors may broadcast differently than the pattern's
            // declared shapes; a rewrite never changes the shape.
            if graph.shape(new) == graph.shape(id) {
                return Some(new);
            }
        }
        None
    }

    fn guard_holds(&self, variant: &Variant, graph: &Graph, bindings: &Bindings) -> bool {
        let Some(value) = variant.meta_named(&self.guard_var).and_then(|i| bindings.values[i]) else {
            return self.guard == Guard::None;
        };
        match self.guard {
            Guard::None => true,
            Guard::Scalar => graph.shape(value).is_scalar(),
            Guard::Constant => graph.as_const(value).is_some(),
        }
    }
}

/// What to do once every pattern child has its term (the bindings, and
/// which terms were taken).
type Continuation<'c, M> = dyn FnMut(&mut M, Bindings, &[bool]) -> Option<Bindings> + 'c;

struct Matcher<'a> {
    variant: &'a Variant,
    graph: &'a mut Graph,
}

impl Matcher<'_> {
    fn pattern(&self) -> &Graph {
        &self.variant.graph
    }

    /// The bindings under which pattern node `p` matches `t`, extending `b`.
    fn matches(&mut self, p: ExprId, t: ExprId, mut b: Bindings) -> Option<Bindings> {
        if b.values.is_empty() {
            b.values = vec![None; self.variant.metas.len()];
        }
        let pattern = self.pattern().node(p).clone();
        let target = self.graph.node(t).clone();
        match (pattern, target) {
            (Node::Var(s), _) => {
                let i = self.variant.meta_of(s)?;
                if let Some(bound) = b.values[i] {
                    return (bound == t).then_some(b);
                }
                let declared = self.variant.metas[i].shape;
                let actual = self.graph.shape(t);
                if kind(declared) != kind(actual)
                    || !b.dim(declared.rows, actual.rows)
                    || !b.dim(declared.cols, actual.cols)
                {
                    return None;
                }
                b.values[i] = Some(t);
                Some(b)
            }
            (Node::Const(c), Node::Const(d)) => (c == d).then_some(b),
            (Node::Identity(d), Node::Identity(e)) => b.dim(d, e).then_some(b),
            (Node::Ones(s), Node::Ones(u)) | (Node::Zero(s), Node::Zero(u)) => {
                (b.dim(s.rows, u.rows) && b.dim(s.cols, u.cols)).then_some(b)
            }
            (Node::Apply(f, a), Node::Apply(g, x)) if f == g => self.matches(a, x, b),
            (Node::Transpose(a), Node::Transpose(x)) | (Node::Inverse(a), Node::Inverse(x)) => self.matches(a, x, b),
            (Node::Pow(a, e), Node::Pow(x, y)) => {
                let b = self.matches(a, x, b)?;
                self.matches(e, y, b)
            }
            (Node::Scale(k, a), _) => {
                let inner = self.unscaled(&k, t)?;
                self.matches(a, inner, b)
            }
            (Node::Add(ps), Node::Add(ts)) => self.commutative(&ps, &ts, b, Head::Add),
            (Node::Hadamard(ps), Node::Hadamard(ts)) => self.commutative(&ps, &ts, b, Head::Hadamard),
            (Node::Mul(ps), Node::Mul(ts)) => {
                let (p_scalars, p_chain) = self.split(&ps, true);
                let (t_scalars, t_chain) = self.split(&ts, false);
                if p_chain.len() != t_chain.len() || p_scalars.len() != t_scalars.len() {
                    return None;
                }
                let mut b = self.commutative(&p_scalars, &t_scalars, b, Head::Mul)?;
                for (p, t) in p_chain.iter().zip(&t_chain) {
                    b = self.matches(*p, *t, b)?;
                }
                Some(b)
            }
            _ => None,
        }
    }

    /// `t / k` when `t` is scaled by a coefficient of the same sign as `k`.
    fn unscaled(&mut self, k: &Coeff, t: ExprId) -> Option<ExprId> {
        let (c, inner) = match self.graph.node(t).clone() {
            Node::Scale(c, inner) => (c, Some(inner)),
            Node::Const(c) => (c, None),
            _ => return None,
        };
        let ratio = c / k.clone();
        if !ratio.is_positive() {
            return None;
        }
        Some(match inner {
            Some(inner) if ratio.is_one() => inner,
            Some(inner) => self.graph.scale(ratio, inner),
            None => self.graph.constant(ratio),
        })
    }

    /// The scalar factors and the matrix chain of a product's children.
    fn split(&self, children: &[ExprId], in_pattern: bool) -> (Vec<ExprId>, Vec<ExprId>) {
        let graph = if in_pattern { self.pattern() } else { &*self.graph };
        children.iter().partition(|c| graph.shape(**c).is_scalar())
    }

    /// Matches children in any order; for a sum or an elementwise product a
    /// metavariable child may take several terms.
    fn commutative(&mut self, ps: &[ExprId], ts: &[ExprId], b: Bindings, op: Head) -> Option<Bindings> {
        if ps.len() == ts.len() {
            let mut used = vec![false; ts.len()];
            return self.injection(ps, ts, &mut used, b, &mut |_, b, _| Some(b));
        }
        if ps.len() > ts.len() || op == Head::Mul {
            return None;
        }
        // One metavariable takes what the other children leave.
        for j in 0..ps.len() {
            if !matches!(self.pattern().node(ps[j]), Node::Var(_)) {
                continue;
            }
            let others: Vec<ExprId> = ps.iter().enumerate().filter(|(i, _)| *i != j).map(|(_, p)| *p).collect();
            let absorber = ps[j];
            let mut used = vec![false; ts.len()];
            let found = self.injection(&others, ts, &mut used, b.clone(), &mut |m, b, used| {
                let rest: Vec<ExprId> = ts.iter().zip(used).filter(|(_, u)| !**u).map(|(t, _)| *t).collect();
                let rest = match op {
                    Head::Add => m.graph.add(rest),
                    _ => m.graph.hadamard(rest),
                };
                m.matches(absorber, rest, b)
            });
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Matches each of `ps` to a distinct unused `ts`, then calls `done`;
    /// backtracks over the choices until `done` succeeds.
    fn injection(
        &mut self,
        ps: &[ExprId],
        ts: &[ExprId],
        used: &mut Vec<bool>,
        b: Bindings,
        done: &mut Continuation<'_, Self>,
    ) -> Option<Bindings> {
        let Some((&first, rest)) = ps.split_first() else {
            return done(self, b, used);
        };
        for i in 0..ts.len() {
            if used[i] {
                continue;
            }
            let Some(next) = self.matches(first, ts[i], b.clone()) else { continue };
            used[i] = true;
            let found = self.injection(rest, ts, used, next, done);
            used[i] = false;
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// The right side with the metavariables replaced by their bindings, built
/// bottom-up through the graph's constructors.
fn instantiate(variant: &Variant, graph: &mut Graph, b: &Bindings) -> Option<ExprId> {
    let pattern = &variant.graph;
    let mut built: FastMap<ExprId, ExprId> = FastMap::default();
    for p in pattern.reachable_without_definitions(variant.rhs) {
        let map = |x: &ExprId| built[x];
        let id = match pattern.node(p).clone() {
            Node::Var(s) => b.values[variant.meta_of(s)?]?,
            Node::Const(c) => graph.constant(c),
            Node::Identity(d) => graph.identity(b.map_dim(d)?),
            Node::Ones(s) => graph.ones(b.map_shape(s)?),
            Node::Zero(s) => graph.zero(b.map_shape(s)?),
            Node::Add(c) => graph.add(c.iter().map(map).collect()),
            Node::Mul(c) => graph.mul(c.iter().map(map).collect()),
            Node::Hadamard(c) => graph.hadamard(c.iter().map(map).collect()),
            Node::Scale(c, a) => graph.scale(c, map(&a)),
            Node::Pow(a, e) => graph.pow(map(&a), map(&e)),
            Node::Transpose(a) => graph.transpose(map(&a)),
            Node::Inverse(a) => graph.inverse(map(&a)),
            Node::Apply(f, a) => graph.apply(f, map(&a)),
            Node::Kron(a, c) => graph.kron(map(&a), map(&c)),
            Node::Commutation(m, n) => graph.commutation(b.map_dim(m)?, b.map_dim(n)?),
            Node::Duplication(n) => graph.duplication(b.map_dim(n)?)?,
            Node::Opaque(..) | Node::Upstream { .. } => return None,
        };
        built.insert(p, id);
    }
    built.get(&variant.rhs).copied()
}
