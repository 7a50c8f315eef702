//! The evaluation plan of generated NumPy: the form each subterm is computed
//! in, and how often each is used in that form. A row vector is the
//! transpose of a column (one 1-D array: `x^T W^T` and `W x` are one
//! product); a matrix whose transpose is also computed is a view `.T` of it;
//! a product chain is split where it costs least for its operands' shapes
//! (named dimensions large and alike, vectors thin, a product computed
//! elsewhere anyway amortised over its uses; where only the sizes can decide,
//! `np.linalg.multi_dot` decides at run time); an inverse only applied,
//! with at most two factorisations (one per matrix solved against vectors,
//! one per solve against a matrix), is solves; a diagonal matrix in a product
//! scales rows or columns; `swish(z)` is `z * sigmoid(z)`, sharing the
//! sigmoid with the derivative.

use crate::ir::{ExprId, FastMap, FastSet, Func, Node};
use crate::shape::{Dim, Shape};

use super::Emitter;

/// The size a named dimension stands for in the cost model.
pub(super) const NAMED_SIZE: f64 = 1000.0;
/// Chains longer than this keep a fixed order (right to left when they end
/// in a column, else left to right), so planning stays cheap.
const MAX_CHAIN: usize = 16;
/// Transposed forms built in all (beyond this, rows stay as they are).
const FLIP_BUDGET: usize = 200_000;
/// Nesting a transposed form is built through.
const FLIP_DEPTH: usize = 200;
/// Factorisations of one matrix that are solves rather than one explicit
/// inverse (which costs about three).
const MAX_SOLVES: usize = 2;

/// Sizes assumed for named dimensions in the cost model.
pub(super) type Sizes = FastMap<Dim, f64>;

/// How a product chain is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Split {
    /// `(factors[..=k]) @ (factors[k + 1..])`.
    At(usize),
    /// `np.linalg.multi_dot` over the factors (the order depends on sizes).
    MultiDot,
}

/// One step of the function body, in evaluation order.
#[derive(Clone, Copy, Debug)]
pub(super) enum Step {
    /// A subterm, named if it is used more than once.
    Node(ExprId),
    /// The definition `symbol = value`.
    Definition(crate::ir::SymbolId, ExprId),
}

/// The plan's tables.
#[derive(Default)]
pub(super) struct Plan {
    flips: FastMap<ExprId, ExprId>,
    flip_work: usize,
    /// Matrices computed as the transpose of another subterm.
    pub(super) views: FastMap<ExprId, ExprId>,
    splits: FastMap<ExprId, Split>,
    /// How many chains hold each product as a contiguous segment.
    segments: FastMap<ExprId, usize>,
    /// Subterms reachable in NumPy form (before chains are split).
    present: FastSet<ExprId>,
    /// Uses of each subterm in its planned form.
    pub(super) uses: FastMap<ExprId, usize>,
    /// Each inverse's applications as a side of a product: the matrix
    /// solved (`A` for `A^-1 b`, `A^T` for `b^T A^-1`) and whether the other
    /// side is a vector (solves against vectors share one factorisation).
    applied: FastMap<ExprId, Vec<(ExprId, bool)>>,
    /// The matrices whose inverses are applied by solves.
    pub(super) solved: FastSet<ExprId>,
    /// Solves against vectors computed together (`solves.rs`): the matrix
    /// solved and the right-hand side (in NumPy form), and the column of the
    /// stacked solution that is their solve (`t1[:, 0]`).
    pub(super) stacked: FastMap<(super::solves::Solved, ExprId), String>,
    /// Matrices factorised once for all their solves (JAX, PyTorch), with
    /// the names of their LU factorisation (`t1`; `t1, t2` for PyTorch).
    pub(super) factorised: FastMap<ExprId, String>,
    /// Set during the walk that finds how inverses are used.
    deciding: bool,
    /// Sizes the cost model assumes for some named dimensions (the others
    /// are [`NAMED_SIZE`]).
    pub(super) assumed: Sizes,
}

impl Emitter<'_> {
    /// The form `id` is computed in: a row as its column.
    pub(super) fn norm(&mut self, id: ExprId) -> ExprId {
        if self.graph.shape(id).is_row() {
            self.flip(id, 0).unwrap_or(id)
        } else {
            id
        }
    }

    /// The transpose of `id` as the constructors build it (pushed to the
    /// leaves), memoised, within [`FLIP_BUDGET`] and [`FLIP_DEPTH`].
    pub(super) fn flip(&mut self, id: ExprId, depth: usize) -> Option<ExprId> {
        if let Some(&t) = self.plan.flips.get(&id) {
            return Some(t);
        }
        if depth > FLIP_DEPTH || self.plan.flip_work > FLIP_BUDGET {
            return None;
        }
        self.plan.flip_work += 1;
        let t = if self.graph.shape(id).is_scalar() {
            id
        } else {
            match self.graph.node(id).clone() {
                Node::Add(terms) => {
                    let mut out = Vec::with_capacity(terms.len());
                    for t in terms.iter() {
                        out.push(self.flip(*t, depth + 1)?);
                    }
                    self.graph.add(out)
                }
                Node::Mul(factors) => {
                    let mut out = Vec::with_capacity(factors.len());
                    for f in factors.iter().rev() {
                        out.push(self.flip(*f, depth + 1)?);
                    }
                    self.graph.mul(out)
                }
                Node::Hadamard(factors) => {
                    let mut out = Vec::with_capacity(factors.len());
                    for f in factors.iter() {
                        out.push(self.flip(*f, depth + 1)?);
                    }
                    self.graph.hadamard(out)
                }
                Node::Scale(c, b) => {
                    let t = self.flip(b, depth + 1)?;
                    self.graph.scale(c, t)
                }
                Node::Pow(b, e) => {
                    let t = self.flip(b, depth + 1)?;
                    self.graph.pow(t, e)
                }
                Node::Inverse(b) => {
                    let t = self.flip(b, depth + 1)?;
                    self.graph.inverse(t)
                }
                Node::Kron(a, b) => {
                    let (ta, tb) = (self.flip(a, depth + 1)?, self.flip(b, depth + 1)?);
                    self.graph.kron(ta, tb)
                }
                Node::Apply(f, b) if f.is_elementwise() && !self.graph.shape(b).is_column() => {
                    let t = self.flip(b, depth + 1)?;
                    self.graph.apply(f, t)
                }
                // Leaves and nodes the constructor wraps without recursing.
                _ => self.graph.transpose(id),
            }
        };
        self.plan.flips.insert(id, t);
        Some(t)
    }

    /// A product's scalar factors and its chain (an inner product's factors
    /// are all chain).
    pub(super) fn chain_parts(&self, id: ExprId) -> (Vec<ExprId>, Vec<ExprId>) {
        let Node::Mul(factors) = self.graph.node(id) else { return (Vec::new(), vec![id]) };
        let inner = self.graph.is_inner_product(id);
        factors.iter().partition(|f| self.graph.shape(**f).is_scalar() && !inner)
    }

    /// The product of `factors` (a contiguous part of a chain), in NumPy form.
    pub(super) fn segment(&mut self, factors: &[ExprId]) -> ExprId {
        if factors.len() == 1 {
            return factors[0];
        }
        let product = self.graph.mul(factors.to_vec());
        self.norm(product)
    }

    /// The shape `factors` multiply to (a row stays a row).
    pub(super) fn segment_shape(&self, factors: &[ExprId]) -> Shape {
        Shape::new(self.graph.shape(factors[0]).rows, self.graph.shape(factors[factors.len() - 1]).cols)
    }

    /// The argument of a diagonal matrix `diag(v)`.
    pub(super) fn diagonal_of(&self, id: ExprId) -> Option<ExprId> {
        match self.graph.node(id) {
            Node::Apply(Func::DiagMat, v) => Some(*v),
            _ => None,
        }
    }

    /// `A` for `A` and `A^T`: inverses of both share the factorisation's matrix.
    pub(super) fn inverse_base(&self, a: ExprId) -> ExprId {
        match self.graph.node(a) {
            Node::Transpose(b) => *b,
            _ => a,
        }
    }

    /// The matrix `A` of an inverse `A^-1` applied by solves.
    pub(super) fn solved_matrix(&self, id: ExprId) -> Option<ExprId> {
        match self.graph.node(id) {
            Node::Inverse(a) if self.plan.solved.contains(&self.inverse_base(*a)) => Some(*a),
            _ => None,
        }
    }

    /// Plans the function computing `roots` (definition values, then the
    /// result) and returns its steps in evaluation order.
    pub(super) fn plan(&mut self, roots: &[(ExprId, Option<crate::ir::SymbolId>)]) -> Vec<Step> {
        let roots: Vec<(ExprId, Option<crate::ir::SymbolId>)> =
            roots.iter().map(|(id, s)| (self.norm(*id), *s)).collect();
        self.find_present(&roots);
        self.find_views();
        // First walk: how each inverse is used; then the final walk.
        self.plan.deciding = true;
        let _ = self.walk(&roots);
        self.plan.deciding = false;
        self.choose_solves();
        self.walk(&roots)
    }

    /// Every subterm reachable in NumPy form, and the segments of its chains.
    fn find_present(&mut self, roots: &[(ExprId, Option<crate::ir::SymbolId>)]) {
        let mut stack: Vec<ExprId> = roots.iter().map(|(id, _)| *id).collect();
        let mut chains = Vec::new();
        while let Some(id) = stack.pop() {
            if !self.plan.present.insert(id) {
                continue;
            }
            match self.graph.node(id) {
                Node::Var(_) | Node::Upstream { .. } => continue,
                Node::Mul(_) => chains.push(id),
                _ => {}
            }
            for c in self.graph.children(id) {
                let c = self.norm(c);
                stack.push(c);
            }
        }
        chains.sort();
        chains.retain(|id| (3..=MAX_CHAIN).contains(&self.chain_parts(*id).1.len()));
        // Every contiguous segment of every chain could be computed; then
        // only those the chains' cheapest orders compute count.
        for &id in &chains {
            let (_, chain) = self.chain_parts(id);
            let n = chain.len();
            for i in 0..n {
                for j in i + 1..n {
                    if j - i + 1 < n {
                        let key = self.segment_key(&chain[i..=j]);
                        *self.plan.segments.entry(key).or_default() += 1;
                    }
                }
            }
        }
        let mut counts: FastMap<ExprId, usize> = FastMap::default();
        for &id in &chains {
            let (_, chain) = self.chain_parts(id);
            let best = self.cheapest(&chain, None);
            let mut pending = vec![(0, chain.len() - 1)];
            while let Some((i, j)) = pending.pop() {
                if j > i {
                    if j - i + 1 < chain.len() {
                        let key = self.segment_key(&chain[i..=j]);
                        *counts.entry(key).or_default() += 1;
                    }
                    let k = best[i][j];
                    pending.push((i, k));
                    pending.push((k + 1, j));
                }
            }
        }
        self.plan.segments = counts;
    }

    /// The product of `factors` in the orientation it is counted in.
    fn segment_key(&mut self, factors: &[ExprId]) -> ExprId {
        let s = self.segment(factors);
        self.orientation_key(s)
    }

    /// One of a matrix and its transpose, the same for both: the one with
    /// fewer transpose marks, then the older.
    fn orientation_key(&mut self, id: ExprId) -> ExprId {
        let shape = self.graph.shape(id);
        if shape.rows == Dim::ONE || shape.cols == Dim::ONE {
            return id;
        }
        match self.flip(id, 0) {
            Some(t) if self.preferred(t, id) => t,
            _ => id,
        }
    }

    /// Whether `a` is the orientation to compute rather than `b`.
    fn preferred(&self, a: ExprId, b: ExprId) -> bool {
        (crate::print::marks(self.graph, a), a) < (crate::print::marks(self.graph, b), b)
    }

    /// Matrices that are computed as the transpose of another present one.
    fn find_views(&mut self) {
        let mut present: Vec<ExprId> = self.plan.present.iter().copied().collect();
        present.sort();
        for id in present {
            let shape = self.graph.shape(id);
            if shape.rows == Dim::ONE || shape.cols == Dim::ONE {
                continue;
            }
            let computed = match self.graph.node(id) {
                Node::Add(_) | Node::Mul(_) | Node::Hadamard(_) | Node::Pow(..) | Node::Apply(..) => true,
                Node::Scale(_, b) => !matches!(self.graph.node(*b), Node::Var(_) | Node::Transpose(_)),
                _ => false,
            };
            if !computed {
                continue;
            }
            if let Some(t) = self.flip(id, 0) {
                if t != id && self.plan.present.contains(&t) && self.preferred(t, id) {
                    self.plan.views.insert(id, t);
                }
            }
        }
    }

    /// How the chain `id` is split (memoised).
    pub(super) fn split(&mut self, id: ExprId, chain: &[ExprId]) -> Split {
        if let Some(&s) = self.plan.splits.get(&id) {
            return s;
        }
        let n = chain.len();
        let split = if n <= 2 {
            Split::At(0)
        } else if n > MAX_CHAIN {
            let ends_in_column = self.graph.shape(chain[n - 1]).cols == Dim::ONE;
            if ends_in_column && !self.graph.shape(chain[0]).is_row() {
                Split::At(0)
            } else {
                Split::At(n - 2)
            }
        } else {
            let base = self.cheapest(chain, None)[0][n - 1];
            // Each named size of the chain a little larger, then smaller:
            // if the order changes, only the sizes can decide it.
            let mut named: Vec<Dim> = Vec::new();
            for f in chain {
                let s = self.graph.shape(*f);
                for d in [s.rows, s.cols] {
                    if matches!(d, Dim::Named(_)) && !named.contains(&d) {
                        named.push(d);
                    }
                }
            }
            let same = named
                .iter()
                .all(|d| [1.05, 0.95].iter().all(|factor| self.cheapest(chain, Some((*d, *factor)))[0][n - 1] == base));
            if same || !self.multi_dot_fits(chain) {
                Split::At(base)
            } else {
                Split::MultiDot
            }
        };
        self.plan.splits.insert(id, split);
        split
    }

    /// Whether `np.linalg.multi_dot` computes `chain`: matrices, except a
    /// row first and a column last, and no diagonal or inverse factor.
    fn multi_dot_fits(&self, chain: &[ExprId]) -> bool {
        let n = chain.len();
        chain.iter().enumerate().all(|(i, f)| {
            let s = self.graph.shape(*f);
            let vector_ok = (i == 0 && s.rows == Dim::ONE && s.cols != Dim::ONE)
                || (i == n - 1 && s.cols == Dim::ONE && s.rows != Dim::ONE);
            let matrix = s.rows != Dim::ONE && s.cols != Dim::ONE;
            (matrix || vector_ok) && self.diagonal_of(*f).is_none() && !matches!(self.graph.node(*f), Node::Inverse(_))
        })
    }

    /// The size of `d` in the cost model (an assumed size, else
    /// [`NAMED_SIZE`]), `perturbed` scaling one named size.
    fn size(&self, d: Dim, perturbed: Option<(Dim, f64)>) -> f64 {
        match d {
            Dim::Fixed(n) => n as f64,
            Dim::Named(_) => {
                let size = self.plan.assumed.get(&d).copied().unwrap_or(NAMED_SIZE);
                match perturbed {
                    Some((p, factor)) if p == d => size * factor,
                    _ => size,
                }
            }
            Dim::Product(p) => {
                let named =
                    p.named().iter().fold(p.fixed() as f64, |acc, id| acc * self.size(Dim::Named(*id), perturbed));
                p.triangles().iter().fold(named, |acc, id| {
                    let k = self.size(Dim::Named(*id), perturbed);
                    acc * k * (k + 1.0) / 2.0
                })
            }
        }
    }

    /// The cheapest evaluation order of `chain`: `best[i][j]` is where the
    /// product of factors `i..=j` splits.
    pub(super) fn cheapest(&mut self, chain: &[ExprId], perturbed: Option<(Dim, f64)>) -> Vec<Vec<usize>> {
        let n = chain.len();
        let mut dims = vec![self.size(self.graph.shape(chain[0]).rows, perturbed)];
        let cols: Vec<f64> = chain.iter().map(|f| self.size(self.graph.shape(*f).cols, perturbed)).collect();
        dims.extend(cols);
        let diagonal: Vec<bool> = chain.iter().map(|f| self.diagonal_of(*f).is_some()).collect();
        let mut cost = vec![vec![0.0f64; n]; n];
        let mut best = vec![vec![0usize; n]; n];
        for len in 2..=n {
            for i in 0..=n - len {
                let j = i + len - 1;
                let mut lowest = f64::INFINITY;
                for k in i..j {
                    let multiply = if (k == i && diagonal[i]) || (k + 1 == j && diagonal[j]) {
                        dims[i] * dims[j + 1]
                    } else {
                        dims[i] * dims[k + 1] * dims[j + 1]
                    };
                    let c = cost[i][k] + cost[k + 1][j] + multiply;
                    if c < lowest * (1.0 - 1e-9) {
                        lowest = c;
                        best[i][j] = k;
                    }
                }
                if len < n {
                    // A product computed elsewhere too costs a share of itself.
                    let s = self.segment(&chain[i..=j]);
                    let key = self.orientation_key(s);
                    let elsewhere = usize::from(self.plan.present.contains(&s) || self.plan.present.contains(&key));
                    let count = self.plan.segments.get(&key).copied().unwrap_or(0) + elsewhere;
                    lowest /= count.max(1) as f64;
                }
                cost[i][j] = lowest;
            }
        }
        best
    }

    /// The operands of a planned product, in NumPy form, and whether the
    /// left (`Some(true)`) or right one is an inverse applied.
    fn product_operands(&mut self, left: ExprId, right: ExprId) -> (Vec<ExprId>, Option<(ExprId, bool)>) {
        let mut out = Vec::new();
        let mut applied = None;
        for (operand, is_left) in [(left, true), (right, false)] {
            if let Some(v) = self.diagonal_of(operand) {
                out.push(self.norm(v));
            } else if let Some(a) = self.solved_matrix(operand) {
                let a = if is_left { a } else { self.flip(a, 0).unwrap_or(a) };
                out.push(a);
            } else {
                if applied.is_none() && matches!(self.graph.node(operand), Node::Inverse(_)) {
                    applied = Some((operand, is_left));
                }
                let n = self.norm(operand);
                out.push(n);
            }
        }
        (out, applied)
    }

    /// The children of `id` in its planned form (in NumPy form), and the
    /// inverse it applies, if any, with the matrix solved and whether the
    /// other side is a vector.
    fn planned_children(&mut self, id: ExprId) -> (Vec<ExprId>, Option<(ExprId, ExprId, bool)>) {
        if let Some(&rep) = self.plan.views.get(&id) {
            return (vec![rep], None);
        }
        match self.graph.node(id).clone() {
            Node::Var(_) | Node::Upstream { .. } => (Vec::new(), None),
            Node::Mul(_) => {
                let (scalars, chain) = self.chain_parts(id);
                let mut out: Vec<ExprId> = scalars.iter().map(|s| self.norm(*s)).collect();
                let mut applied = None;
                match chain.len() {
                    0 => {}
                    1 => out.push(self.norm(chain[0])),
                    _ => match self.split(id, &chain) {
                        Split::At(k) => {
                            let left = self.segment(&chain[..=k]);
                            let right = self.segment(&chain[k + 1..]);
                            let (operands, inverse) = self.product_operands(left, right);
                            out.extend(operands);
                            if let Some((v, is_left)) = inverse {
                                let (ls, rs) = (self.segment_shape(&chain[..=k]), self.segment_shape(&chain[k + 1..]));
                                let Node::Inverse(a) = self.graph.node(v).clone() else { unreachable!() };
                                let solved = if is_left { a } else { self.flip(a, 0).unwrap_or(a) };
                                let vector = if is_left { rs.cols == Dim::ONE } else { ls.rows == Dim::ONE };
                                applied = Some((v, solved, vector));
                            }
                        }
                        Split::MultiDot => {
                            for f in chain {
                                out.push(self.norm(f));
                            }
                        }
                    },
                }
                (out, applied)
            }
            Node::Apply(Func::Swish, b) => {
                let s = self.graph.apply(Func::Sigmoid, b);
                (vec![self.norm(b), self.norm(s)], None)
            }
            Node::Inverse(b) => match self.graph.node(b).clone() {
                Node::Transpose(c) if !self.plan.deciding => (vec![self.graph.inverse(c)], None),
                _ => (vec![self.norm(b)], None),
            },
            _ => {
                let children = self.graph.children(id);
                (children.into_iter().map(|c| self.norm(c)).collect(), None)
            }
        }
    }

    /// The subterms in post-order (children first) from the roots in
    /// order, each definition's value followed by its definition; counts
    /// the uses of each in its planned form.
    fn walk(&mut self, roots: &[(ExprId, Option<crate::ir::SymbolId>)]) -> Vec<Step> {
        self.plan.uses.clear();
        self.plan.applied.clear();
        let mut steps = Vec::new();
        let mut done: FastSet<ExprId> = FastSet::default();
        for &(root, symbol) in roots {
            let mut stack: Vec<(ExprId, bool)> = vec![(root, false)];
            while let Some((id, expanded)) = stack.pop() {
                if expanded {
                    steps.push(Step::Node(id));
                    continue;
                }
                if !done.insert(id) {
                    continue;
                }
                let (children, applied) = self.planned_children(id);
                if let Some((v, solved, vector)) = applied {
                    self.plan.applied.entry(v).or_default().push((solved, vector));
                }
                stack.push((id, true));
                for c in children.into_iter().rev() {
                    *self.plan.uses.entry(c).or_default() += 1;
                    stack.push((c, false));
                }
            }
            if let Some(s) = symbol {
                steps.push(Step::Definition(s, root));
            }
        }
        steps
    }

    /// The matrices whose inverses are only ever applied, with at most
    /// [`MAX_SOLVES`] factorisations in all: these become solves. Solves of
    /// one matrix against vectors share a factorisation (their right-hand
    /// sides stacked, `solves.rs`); each against a matrix has its own.
    fn choose_solves(&mut self) {
        let mut groups: FastMap<ExprId, (bool, FastSet<ExprId>, usize)> = FastMap::default();
        let mut inverses: Vec<ExprId> = self.plan.uses.keys().copied().collect();
        inverses.sort();
        for v in inverses {
            let Node::Inverse(a) = self.graph.node(v).clone() else { continue };
            let uses = self.plan.uses[&v];
            let applied = self.plan.applied.get(&v).cloned().unwrap_or_default();
            let group = groups.entry(self.inverse_base(a)).or_insert((true, FastSet::default(), 0));
            group.0 &= uses == applied.len();
            for (solved, vector) in applied {
                if vector {
                    group.1.insert(solved);
                } else {
                    group.2 += 1;
                }
            }
        }
        for (base, (only_applied, against_vectors, against_matrices)) in groups {
            if only_applied && (1..=MAX_SOLVES).contains(&(against_vectors.len() + against_matrices)) {
                self.plan.solved.insert(base);
            }
        }
    }
}
