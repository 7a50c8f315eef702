//! Collect after expanding (rule `collect`): a sum, an elementwise product
//! or a product of scalars is read as a polynomial in its atoms (the
//! factors that are not sums, scalings or elementwise products, with
//! integer powers, a reciprocal being the power −1), with exact rational
//! coefficients; its bracketed sums are expanded and like monomials
//! merged, so `σ(z) ⊙ (1 − y) − y ⊙ (1 − σ(z))` is `σ(z) − y` and
//! `u ⊙ (1 − y) + u ⊙ y` is `u`.
//!
//! A bracketed sum is expanded unless it is also a divisor somewhere in
//! the polynomial, so that it can cancel first (`σ (1 − σ) (1 − y) / (1 −
//! σ)` is `σ (1 − y)`, and then expands); expanding repeats while a sum can
//! be expanded. The result is the collected polynomial written in one of a
//! few forms (the input's common factor kept with the rest collected; the
//! factor common to all its monomials, or its common coefficient, taken
//! out; expanded), the shortest by [`printed_size`], and the node is
//! rewritten only when that is shorter than the node. The polynomial is a
//! function of the atoms alone, so however the sum was written, the same
//! polynomial gives the same result. Bounded: at most [`MAX_TERMS`] terms
//! looked at, [`MAX_MONOMIALS`] monomials at any point, [`MAX_WORK`]
//! monomial products, exponents up to [`MAX_EXPONENT`] and coefficients up
//! to [`MAX_COEFF_BITS`] bits; past a bound the rule does not apply.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, FastMap, Graph, Node};
use crate::shape::Shape;

use super::size::printed_size;

/// Most terms of the node's sum (or factors of its product) looked at.
pub const MAX_TERMS: usize = 16;
/// Most monomials a polynomial may have while it is expanded.
pub const MAX_MONOMIALS: usize = 32;
/// Most products of two monomials one application may form.
pub const MAX_WORK: usize = 2048;
/// Largest integer power read as a power of an atom (and expanded when the
/// atom is a sum).
pub const MAX_EXPONENT: i64 = 4;
/// Largest coefficient, in bits of numerator and denominator.
pub const MAX_COEFF_BITS: u64 = 128;
/// Most rounds of expanding sums.
const MAX_ROUNDS: usize = 8;
/// Sizes are compared up to this many symbols.
const MAX_COMPARED: usize = 4096;
/// Most nodes visited writing a sum's definitions by their values, and
/// compared when an atom has two spellings.
const MAX_INLINED: usize = 32;
/// Most nodes looked at for a repeated atom.
const MAX_SCANNED: usize = 256;
/// Largest printed size of a sum that is expanded.
const MAX_SUM_SIZE: usize = 32;

/// A monomial: atoms (by value) with their nonzero integer exponents, sorted.
type Monomial = Vec<(ExprId, i64)>;
/// A polynomial: monomials with their nonzero coefficients.
type Poly = BTreeMap<Monomial, Coeff>;

/// The rule's function: `id` collected, or `None` where that is not shorter.
pub fn collect(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    if !worth_trying(graph, id) || !could_merge(graph, id) {
        return None;
    }
    let shape = graph.shape(id);
    let mut c = Collector { graph, written: FastMap::default(), merged: false, work: 0 };
    let top = c.read(id, true)?;
    let opened = c.expand(top.clone())?;
    if !c.merged {
        return None;
    }
    // Of forms that read equally long, the first: the input's common
    // factor kept (a bracketed sum among them, `p ⊙ (1 − p) ⊙ (p − y)`),
    // then the collected polynomial's common factor, its common
    // coefficient, and last its plain expansion.
    let mut candidates = Vec::new();
    if let Some((common, rest)) = split_common(&top) {
        if common.iter().any(|(a, _)| c.is_sum(*a)) {
            let rest = c.expand(rest)?;
            let mut factors = c.factors(&common);
            factors.push(c.build_terms(&rest, shape));
            let kept = c.graph.hadamard(factors);
            candidates.push(c.fit(kept, shape));
        }
    }
    if let Some(factored) = c.build_factored(&opened, shape) {
        candidates.push(factored);
    }
    if let Some(content) = c.build_content(&opened, shape) {
        candidates.push(content);
    }
    candidates.push(c.build_sum(&opened, shape));
    let graph = c.graph;
    let before = printed_size(graph, id, MAX_COMPARED);
    let (best, size) = candidates
        .into_iter()
        .filter(|&x| graph.shape(x) == shape)
        .map(|x| (x, printed_size(graph, x, MAX_COMPARED)))
        .min_by_key(|&(_, s)| s)?;
    (size < before && best != id).then_some(best)
}

/// A quick test that `id` has a bracketed sum to expand: most nodes do not,
/// and are passed over without building anything.
fn worth_trying(graph: &Graph, id: ExprId) -> bool {
    let has_sum = |f: ExprId| match graph.node(f) {
        Node::Add(_) => small_sum(graph, f),
        Node::Pow(b, e) => small_sum(graph, *b) && graph.as_const(*e).is_some_and(|c| c.is_positive()),
        _ => false,
    };
    let product_with_sum = |t: ExprId| {
        let t = match graph.node(t) {
            Node::Scale(_, b) => *b,
            _ => t,
        };
        match graph.node(t) {
            Node::Hadamard(fs) => fs.iter().any(|f| has_sum(*f)),
            Node::Mul(fs) => fs.iter().any(|f| graph.shape(*f).is_scalar() && has_sum(*f)),
            Node::Pow(..) => has_sum(t),
            _ => false,
        }
    };
    match graph.node(id) {
        Node::Add(terms) => terms.len() <= MAX_TERMS && terms.iter().any(|t| product_with_sum(*t)),
        Node::Hadamard(fs) => fs.len() <= MAX_TERMS && fs.iter().any(|f| has_sum(*f)),
        Node::Mul(fs) => {
            let scalars = fs.iter().filter(|f| graph.shape(**f).is_scalar()).count();
            fs.len() <= MAX_TERMS && scalars >= 2 && fs.iter().any(|f| graph.shape(*f).is_scalar() && has_sum(*f))
        }
        _ => false,
    }
}

/// Whether expanding `id` could merge two monomials or cancel a power, by
/// where its atoms occur (looking into its products and short sums): two
/// occurrences of an atom can meet in one monomial only if they lie in
/// different terms of one sum, or both inside sums multiplied together; a
/// power cancels only if an atom is also a divisor. Otherwise expanding
/// only distributes, and there is nothing to collect.
fn could_merge(graph: &Graph, id: ExprId) -> bool {
    let mut scan = Scan { occurrences: Vec::with_capacity(16), path: Vec::new(), budget: MAX_SCANNED, power: false };
    scan.visit(graph, id, true, false);
    if scan.budget == 0 || scan.power {
        return true;
    }
    let occurrences = &scan.occurrences;
    occurrences.iter().enumerate().any(|(i, (atom, negative, p))| {
        occurrences[i + 1..].iter().any(|(other, other_negative, q)| {
            if atom != other {
                return false;
            }
            if *negative || *other_negative {
                return true;
            }
            let common = p.iter().zip(q).take_while(|(x, y)| x == y).count();
            common < p.len() && common < q.len()
        })
    })
}

/// The terms of sums (the sum, the term's position) a node lies in, from the root down.
type Branches = Vec<(ExprId, usize)>;

/// The atoms of a term as [`Collector::read`] reads them, each with
/// whether it is a divisor and the sum terms it lies in.
struct Scan {
    /// Atom, divisor, and the (sum, term) pairs from the root down.
    occurrences: Vec<(ExprId, bool, Branches)>,
    /// The (sum, term) pairs above the node visited.
    path: Branches,
    /// Nodes left to look at.
    budget: usize,
    /// Set at a power of a sum, whose expansion merges terms.
    power: bool,
}

impl Scan {
    fn visit(&mut self, graph: &Graph, id: ExprId, open: bool, negative: bool) {
        let Some(left) = self.budget.checked_sub(1) else { return };
        self.budget = left;
        let atom = |scan: &mut Scan, a: ExprId| scan.occurrences.push((a, negative, scan.path.clone()));
        match graph.node(id) {
            Node::Const(_) | Node::Ones(_) | Node::Zero(_) => {}
            Node::Scale(_, e) => self.visit(graph, *e, false, negative),
            Node::Add(terms) if open || small_sum(graph, id) => {
                for (i, t) in terms.iter().enumerate() {
                    self.path.push((id, i));
                    self.visit(graph, *t, false, negative);
                    self.path.pop();
                }
            }
            Node::Hadamard(fs) => {
                for f in fs.iter() {
                    self.visit(graph, *f, false, negative);
                }
            }
            // The factors of a matrix chain stand for the chain, which is one atom.
            Node::Mul(fs) => {
                for f in fs.iter() {
                    if graph.shape(*f).is_scalar() {
                        self.visit(graph, *f, false, negative);
                    } else {
                        atom(self, *f);
                    }
                }
            }
            Node::Pow(b, e) => {
                let k = graph.as_const(*e).and_then(coeff::to_i64).unwrap_or(1);
                if k >= 2 && small_sum(graph, *b) {
                    self.power = true;
                }
                self.visit(graph, *b, false, negative ^ (k < 0));
            }
            Node::Var(_) => atom(self, graph.through_definitions(id)),
            _ => atom(self, id),
        }
    }
}

/// Whether `id` is a sum short enough to expand (a long sum, such as the
/// adjoint of a deep net, is an atom).
fn small_sum(graph: &Graph, id: ExprId) -> bool {
    let mut budget = MAX_SUM_SIZE;
    matches!(graph.node(id), Node::Add(_)) && within(graph, id, &mut budget, false)
}

/// Whether the tree of `id` has at most `budget` nodes (a definition is one
/// node, or with `through` its value's tree), counting them off `budget`.
fn within(graph: &Graph, id: ExprId, budget: &mut usize, through: bool) -> bool {
    let Some(left) = budget.checked_sub(1) else { return false };
    *budget = left;
    match graph.node(id) {
        Node::Var(s) => match graph.definition_value(*s) {
            Some(value) if through => within(graph, value, budget, through),
            _ => true,
        },
        Node::Add(c) | Node::Mul(c) | Node::Hadamard(c) => c.iter().all(|x| within(graph, *x, budget, through)),
        Node::Pow(a, b) => within(graph, *a, budget, through) && within(graph, *b, budget, through),
        Node::Scale(_, a) | Node::Transpose(a) | Node::Inverse(a) | Node::Apply(_, a) => {
            within(graph, *a, budget, through)
        }
        _ => true,
    }
}

/// The factor common to every monomial of `p` (exponents of one sign) and
/// `p` divided by it, or `None` when there is none.
fn split_common(p: &Poly) -> Option<(Monomial, Poly)> {
    if p.len() < 2 {
        return None;
    }
    let (first, _) = p.iter().next()?;
    let mut common: Monomial = Vec::new();
    for &(atom, e) in first {
        let mut g = e;
        for m in p.keys() {
            let f = m.iter().find(|(a, _)| *a == atom).map_or(0, |(_, f)| *f);
            g = if g > 0 && f > 0 {
                g.min(f)
            } else if g < 0 && f < 0 {
                g.max(f)
            } else {
                0
            };
        }
        if g != 0 {
            common.push((atom, g));
        }
    }
    if common.is_empty() {
        return None;
    }
    let inverse: Monomial = common.iter().map(|&(a, e)| (a, -e)).collect();
    let rest = p.iter().map(|(m, c)| (times(m, &inverse).0, c.clone())).collect();
    Some((common, rest))
}

/// The product of two monomials, and whether a power cancelled.
fn times(a: &Monomial, b: &Monomial) -> (Monomial, bool) {
    let mut cancelled = false;
    let mut out: Monomial = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&(x, e)), Some(&(y, f))) if x == y => {
                if e + f != 0 {
                    out.push((x, e + f));
                } else {
                    cancelled = true;
                }
                i += 1;
                j += 1;
            }
            (Some(&(x, e)), Some(&(y, _))) if x < y => {
                out.push((x, e));
                i += 1;
            }
            (Some(&(x, e)), None) => {
                out.push((x, e));
                i += 1;
            }
            (_, Some(&(y, f))) => {
                out.push((y, f));
                j += 1;
            }
            (None, None) => break,
        }
    }
    (out, cancelled)
}

/// Whether `c` is small enough to compute with.
fn small(c: &Coeff) -> bool {
    coeff::digits(c) <= MAX_COEFF_BITS
}

struct Collector<'g> {
    graph: &'g mut Graph,
    /// How each atom (keyed by its value) is written: its shortest spelling.
    written: FastMap<ExprId, ExprId>,
    /// Set when two monomials merged or a power cancelled: otherwise the
    /// expansion only distributes, which never reads shorter.
    merged: bool,
    /// Monomial products formed so far.
    work: usize,
}

impl Collector<'_> {
    /// The atom `id`, keyed by its value (a definition is like its value,
    /// also inside a small sum: `1 - p` with `p = sigmoid(z)` is `1 -
    /// sigmoid(z)`); it is written in its shortest spelling seen.
    fn atom(&mut self, id: ExprId) -> Monomial {
        let key = match self.graph.node(id) {
            Node::Var(_) => self.graph.through_definitions(id),
            Node::Add(_) if within(self.graph, id, &mut MAX_INLINED.clone(), true) => {
                let mut budget = MAX_INLINED;
                inline(self.graph, id, &mut budget, &mut FastMap::default()).unwrap_or(id)
            }
            _ => id,
        };
        match self.written.get(&key) {
            Some(&old) if old == id => {}
            Some(&old) => {
                let shorter = printed_size(self.graph, id, MAX_INLINED) < printed_size(self.graph, old, MAX_INLINED);
                if shorter {
                    self.written.insert(key, id);
                }
            }
            None => {
                self.written.insert(key, id);
            }
        }
        vec![(key, 1)]
    }

    /// Whether the atom keyed `key` is a short bracketed sum written as such.
    fn is_sum(&self, key: ExprId) -> bool {
        let written = self.written.get(&key).copied().unwrap_or(key);
        small_sum(self.graph, written)
    }

    /// `id` as a polynomial; its own sum is opened when `open`, sums below
    /// it are atoms.
    fn read(&mut self, id: ExprId, open: bool) -> Option<Poly> {
        let node = self.graph.node(id).clone();
        let monomial = |m: Monomial| Poly::from([(m, Coeff::one())]);
        Some(match node {
            Node::Const(c) => constant(c),
            Node::Ones(_) => constant(Coeff::one()),
            Node::Zero(_) => Poly::new(),
            Node::Scale(c, e) => {
                let p = self.read(e, false)?;
                scaled(p, &c)?
            }
            Node::Add(terms) if open => {
                if terms.len() > MAX_TERMS {
                    return None;
                }
                let mut sum = Poly::new();
                for t in terms.iter() {
                    let p = self.read(*t, false)?;
                    self.merged |= add_into(&mut sum, p)?;
                }
                sum
            }
            Node::Hadamard(factors) => self.product(&factors)?,
            Node::Mul(factors) => {
                let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                    factors.iter().partition(|f| self.graph.shape(**f).is_scalar());
                if scalars.is_empty() {
                    return Some(monomial(self.atom(id)));
                }
                let mut p = self.product(&scalars)?;
                if !chain.is_empty() {
                    let rest = self.graph.mul(chain);
                    let a = self.atom(rest);
                    p = self.multiply(&p, &monomial(a))?;
                }
                p
            }
            Node::Pow(b, e) => match self.graph.as_const(e).and_then(coeff::to_i64) {
                Some(k) if k != 0 && k.abs() <= MAX_EXPONENT => {
                    let a = self.atom(b);
                    monomial(a.into_iter().map(|(x, _)| (x, k)).collect())
                }
                _ => monomial(self.atom(id)),
            },
            _ => monomial(self.atom(id)),
        })
    }

    /// The product of `factors`, each read with its sums as atoms.
    fn product(&mut self, factors: &[ExprId]) -> Option<Poly> {
        if factors.len() > MAX_TERMS {
            return None;
        }
        let mut p = constant(Coeff::one());
        for f in factors {
            let q = self.read(*f, false)?;
            p = self.multiply(&p, &q)?;
        }
        Some(p)
    }

    /// `a · b`, within the bounds.
    fn multiply(&mut self, a: &Poly, b: &Poly) -> Option<Poly> {
        self.work += a.len() * b.len();
        if self.work > MAX_WORK {
            return None;
        }
        let mut out = Poly::new();
        for (m, c) in a {
            for (n, d) in b {
                let (product, cancelled) = times(m, n);
                self.merged |= cancelled;
                self.merged |= add_term(&mut out, product, c * d)?;
            }
        }
        Some(out)
    }

    /// `p` with every bracketed sum that is not also a divisor expanded,
    /// repeatedly, within the bounds.
    fn expand(&mut self, mut p: Poly) -> Option<Poly> {
        for _ in 0..MAX_ROUNDS {
            let mut open: Vec<ExprId> = Vec::new();
            let mut divisors: Vec<ExprId> = Vec::new();
            for m in p.keys() {
                for &(a, e) in m {
                    if e < 0 {
                        divisors.push(a);
                    } else if self.is_sum(a) && !open.contains(&a) {
                        open.push(a);
                    }
                }
            }
            // A divisor inside a sum about to be expanded counts too: it
            // cancels against its sum before that sum is expanded.
            let mut bodies: FastMap<ExprId, Poly> = FastMap::default();
            loop {
                open.retain(|a| !divisors.contains(a));
                let before = divisors.len();
                for &a in &open {
                    if let std::collections::hash_map::Entry::Vacant(slot) = bodies.entry(a) {
                        let written = self.written.get(&a).copied().unwrap_or(a);
                        slot.insert(self.read(written, true)?);
                    }
                    for m in bodies[&a].keys() {
                        for &(x, e) in m {
                            if e < 0 && !divisors.contains(&x) {
                                divisors.push(x);
                            }
                        }
                    }
                }
                if divisors.len() == before {
                    break;
                }
            }
            if open.is_empty() {
                return Some(p);
            }
            bodies.retain(|a, _| open.contains(a));
            let mut next = Poly::new();
            for (m, c) in p {
                let mut term = Poly::from([(Vec::new(), c)]);
                for (a, e) in m {
                    match bodies.get(&a) {
                        Some(body) => {
                            let body = body.clone();
                            for _ in 0..e {
                                term = self.multiply(&term, &body)?;
                            }
                        }
                        None => term = self.multiply(&term, &Poly::from([(vec![(a, e)], Coeff::one())]))?,
                    }
                }
                self.merged |= add_into(&mut next, term)?;
            }
            p = next;
        }
        Some(p)
    }

    /// The factors of a monomial, as written.
    fn factors(&mut self, m: &Monomial) -> Vec<ExprId> {
        m.iter()
            .map(|&(a, e)| {
                let w = self.written.get(&a).copied().unwrap_or(a);
                if e == 1 {
                    w
                } else {
                    self.graph.powc(w, coeff::int(e))
                }
            })
            .collect()
    }

    /// `p` written as a sum of its monomials, at `shape`.
    fn build_sum(&mut self, p: &Poly, shape: Shape) -> ExprId {
        let sum = self.build_terms(p, shape);
        self.fit(sum, shape)
    }

    /// `p` written as a sum of its monomials (a scalar if they all are;
    /// `shape` is that of a zero).
    fn build_terms(&mut self, p: &Poly, shape: Shape) -> ExprId {
        let mut terms = Vec::with_capacity(p.len());
        for (m, c) in p {
            let factors = self.factors(m);
            let product = match factors.len() {
                0 => self.graph.int(1),
                1 => factors[0],
                _ => self.graph.hadamard(factors),
            };
            terms.push(self.graph.scale(c.clone(), product));
        }
        match terms.len() {
            0 => self.graph.zero(shape),
            1 => terms[0],
            _ => self.graph.add(terms),
        }
    }

    /// `p` with the factor common to all its monomials taken out.
    fn build_factored(&mut self, p: &Poly, shape: Shape) -> Option<ExprId> {
        let (common, rest) = split_common(p)?;
        let mut factors = self.factors(&common);
        factors.push(self.build_terms(&rest, shape));
        let product = self.graph.hadamard(factors);
        Some(self.fit(product, shape))
    }

    /// `p` with the coefficient common to all its monomials taken out.
    fn build_content(&mut self, p: &Poly, shape: Shape) -> Option<ExprId> {
        if p.len() < 2 {
            return None;
        }
        let mut numerator = BigInt::zero();
        let mut denominator = BigInt::one();
        for c in p.values() {
            numerator = numerator.gcd(c.numer());
            denominator = denominator.lcm(c.denom());
        }
        let content = Coeff::new(numerator, denominator);
        if content.is_one() || content.is_zero() {
            return None;
        }
        let rest: Poly = p.iter().map(|(m, c)| (m.clone(), c / &content)).collect();
        let sum = self.build_terms(&rest, shape);
        let scaled = self.graph.scale(content, sum);
        Some(self.fit(scaled, shape))
    }

    /// `id` at `shape`: a scalar standing for a non-scalar node broadcast.
    fn fit(&mut self, id: ExprId, shape: Shape) -> ExprId {
        if self.graph.shape(id) == shape || !self.graph.shape(id).is_scalar() {
            return id;
        }
        let ones = self.graph.ones(shape);
        match self.graph.as_const(id).cloned() {
            Some(c) => self.graph.scale(c, ones),
            None => self.graph.mul(vec![id, ones]),
        }
    }
}

/// The constant polynomial `c`.
fn constant(c: Coeff) -> Poly {
    if c.is_zero() {
        Poly::new()
    } else {
        Poly::from([(Vec::new(), c)])
    }
}

/// `p` times `c`, within the bounds.
fn scaled(p: Poly, c: &Coeff) -> Option<Poly> {
    let mut out = Poly::new();
    for (m, d) in p {
        let e = d * c;
        if !small(&e) {
            return None;
        }
        out.insert(m, e);
    }
    Some(out)
}

/// Adds `q` into `p`, within the bounds; whether two monomials merged.
fn add_into(p: &mut Poly, q: Poly) -> Option<bool> {
    let mut merged = false;
    for (m, c) in q {
        merged |= add_term(p, m, c)?;
    }
    Some(merged)
}

/// Adds `c m` into `p`, within the bounds; whether it merged with a monomial of `p`.
fn add_term(p: &mut Poly, m: Monomial, c: Coeff) -> Option<bool> {
    let merged = match p.entry(m) {
        std::collections::btree_map::Entry::Occupied(mut slot) => {
            let total = slot.get() + c;
            if !small(&total) {
                return None;
            }
            if total.is_zero() {
                slot.remove();
            } else {
                *slot.get_mut() = total;
            }
            true
        }
        std::collections::btree_map::Entry::Vacant(slot) => {
            if !small(&c) {
                return None;
            }
            slot.insert(c);
            false
        }
    };
    (p.len() <= MAX_MONOMIALS).then_some(merged)
}

/// `id` with the definitions in it written by their values, through the
/// constructors, or `None` past `budget` nodes.
fn inline(graph: &mut Graph, id: ExprId, budget: &mut usize, memo: &mut FastMap<ExprId, ExprId>) -> Option<ExprId> {
    if let Some(&done) = memo.get(&id) {
        return Some(done);
    }
    *budget = budget.checked_sub(1)?;
    let node = graph.node(id).clone();
    let mut map = |g: &mut Graph, x: ExprId| inline(g, x, budget, memo);
    let out = match node {
        Node::Var(s) => match graph.definition_value(s) {
            Some(value) => map(graph, value)?,
            None => id,
        },
        Node::Add(c) => {
            let c = c.iter().map(|x| map(graph, *x)).collect::<Option<Vec<_>>>()?;
            graph.add(c)
        }
        Node::Mul(c) => {
            let c = c.iter().map(|x| map(graph, *x)).collect::<Option<Vec<_>>>()?;
            graph.mul(c)
        }
        Node::Hadamard(c) => {
            let c = c.iter().map(|x| map(graph, *x)).collect::<Option<Vec<_>>>()?;
            graph.hadamard(c)
        }
        Node::Scale(c, a) => {
            let a = map(graph, a)?;
            graph.scale(c, a)
        }
        Node::Pow(a, b) => {
            let (a, b) = (map(graph, a)?, map(graph, b)?);
            graph.pow(a, b)
        }
        Node::Transpose(a) => {
            let a = map(graph, a)?;
            graph.transpose(a)
        }
        Node::Inverse(a) => {
            let a = map(graph, a)?;
            graph.inverse(a)
        }
        Node::Apply(f, a) => {
            let a = map(graph, a)?;
            graph.apply(f, a)
        }
        Node::Opaque(..) | Node::Upstream { .. } => id,
        _ => id,
    };
    memo.insert(id, out);
    Some(out)
}
