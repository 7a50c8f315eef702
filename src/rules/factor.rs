//! Common factors on either side (rule `factor-common`): terms of a sum
//! that are products sharing a left factor, a right factor or scalar
//! factors are written once with the factors (and the terms' common
//! coefficient) taken out, so `B x + B^T x` is `(B + B^T) x`, `X c b^T + X
//! b c^T` is `X (c b^T + b c^T)`, `P A Q + P A^T Q` is `P (A + A^T) Q`,
//! `-2 A x / s^3 - 2 A^T x / s^3` is `-2 (A + A^T) x / s^3` and `A x / s^3 +
//! B x / s^2` is `(A / s + B) x / s^2`.
//!
//! Each term is read as a coefficient, its scalar factors (which commute;
//! each a base with an integer power, so `1 / s^3` is `s` to the −3) and
//! its matrix chain (which does not): a left factor is a prefix of the
//! chain of every term it is taken from, a right factor a suffix, a scalar
//! factor a power of a base each term has to a power of the same sign at
//! least as large. Only a term of the sum's own shape has a chain to share:
//! a scalar broadcast in a vector or matrix sum shares scalar factors
//! alone. In a scalar sum an inner product (`x^T A y`) is its chain, read
//! in either orientation (`y^T A^T x` is the same number), so `x^T A y +
//! y^T A x` is `x^T (A + A^T) y`. Each pair of terms proposes what they
//! share (their longest common prefix and suffix, their common scalar
//! factors, and parts of these); the terms that share it are factored, the
//! others stay. A term that is all factor is factored only beside others
//! that are (`s A x + t A x` is `(s + t) A x`, but `A B x + B x` is not
//! `(A + I) B x`), and a coefficient alone is not taken out. Of all proposals
//! the shortest result by [`printed_size`] is kept, only when it is
//! strictly shorter than the sum and has no more nodes as a tree (the
//! measure the simplifier's final check keeps a rewritten answer by).
//! Proposals are tried in the order of the sum's terms (which is
//! canonical), and ties keep the first, so the result does not depend on
//! ids or hashes. Bounded: at most [`MAX_TERMS`] terms and
//! [`MAX_PROPOSALS`] proposals.

use num_traits::{One, Signed};

use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, Graph, Node};

use super::size::printed_size;

/// Most terms of a sum looked at.
pub const MAX_TERMS: usize = 16;
/// Most distinct proposals (shared factors) tried at one sum.
pub const MAX_PROPOSALS: usize = 32;
/// Sizes are compared up to this many symbols.
const MAX_COMPARED: usize = 4096;

/// A scalar factor: a base and its nonzero integer power.
type Power = (ExprId, i64);

/// A term of the sum read as `coeff · scalars · chain`.
struct Term {
    /// The term as it stands in the sum.
    id: ExprId,
    /// Its exact coefficient.
    coeff: Coeff,
    /// Its scalar factors, in the product's order.
    scalars: Vec<Power>,
    /// Its matrix chain, in order (empty for a scalar term of a non-scalar sum).
    chain: Vec<ExprId>,
    /// In a scalar sum, the chain of the term's transpose (the same
    /// number), when the chain is an inner product; else empty.
    flipped: Vec<ExprId>,
}

impl Term {
    /// The orientation of the chain that has what `p` proposes to take
    /// out, if one has (the chain as written first).
    fn chain_for(&self, p: &Proposal) -> Option<&[ExprId]> {
        let fits = |chain: &[ExprId]| {
            chain.len() >= p.prefix.len() + p.suffix.len() && chain.starts_with(&p.prefix) && chain.ends_with(&p.suffix)
        };
        if fits(&self.chain) {
            Some(&self.chain)
        } else if !self.flipped.is_empty() && fits(&self.flipped) {
            Some(&self.flipped)
        } else {
            None
        }
    }

    /// The orientations of the chain: as written, then flipped.
    fn chains(&self) -> impl Iterator<Item = &[ExprId]> {
        std::iter::once(&self.chain[..]).chain((!self.flipped.is_empty()).then_some(&self.flipped[..]))
    }
}

/// What a group of terms shares.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Proposal {
    /// The left factor: a prefix of each chain.
    prefix: Vec<ExprId>,
    /// The right factor: a suffix of each chain.
    suffix: Vec<ExprId>,
    /// Scalar factors each term has (to at least these powers).
    scalars: Vec<Power>,
}

/// The rule's function: `id` with a common factor taken out of some of its
/// terms, or `None` where that is not shorter.
pub fn factor_common(graph: &mut Graph, id: ExprId) -> Option<ExprId> {
    let Node::Add(children) = graph.node(id) else { return None };
    if children.len() < 2 || children.len() > MAX_TERMS {
        return None;
    }
    let children = children.to_vec();
    let shape = graph.shape(id);
    let terms: Vec<Term> = children.iter().map(|&t| read_term(graph, t, shape)).collect();
    let proposals = propose(&terms);
    if proposals.is_empty() {
        return None;
    }
    // The sum's printed size is needed only once there is a candidate, its
    // node count only once a candidate reads shorter (most sums have neither).
    let (mut before, mut nodes) = (None, None);
    let mut best: Option<(ExprId, usize)> = None;
    for proposal in &proposals {
        let sided = !proposal.prefix.is_empty() || !proposal.suffix.is_empty();
        // Terms that are all factor (`s A x` beside `t A x`) are factored
        // apart from the others, which would leave an identity
        // (`A B x + B x` is not `(A + I) B x`).
        let whole = proposal.prefix.len() + proposal.suffix.len();
        let (whole, rest): (Vec<usize>, Vec<usize>) = (0..terms.len())
            .filter(|&i| shares(&terms[i], proposal))
            .partition(|&i| sided && terms[i].chain_for(proposal).is_some_and(|c| c.len() == whole));
        for group in [rest, whole] {
            if group.len() < 2 {
                continue;
            }
            for content in contents(&terms, &group) {
                let candidate = build(graph, &terms, &group, proposal, &content);
                if candidate == id || graph.shape(candidate) != shape {
                    continue;
                }
                let size = printed_size(graph, candidate, MAX_COMPARED);
                let before = *before.get_or_insert_with(|| printed_size(graph, id, MAX_COMPARED));
                let shorter = size < before && best.is_none_or(|(_, s)| size < s);
                if shorter
                    && graph.tree_size(candidate, MAX_COMPARED)
                        <= *nodes.get_or_insert_with(|| graph.tree_size(id, MAX_COMPARED))
                {
                    best = Some((candidate, size));
                }
            }
        }
    }
    best.map(|(b, _)| b)
}

/// `t`, a term of a sum of shape `sum`, read as coefficient, scalar
/// factors and chain.
fn read_term(graph: &mut Graph, t: ExprId, sum: crate::shape::Shape) -> Term {
    let (coeff, base) = match graph.node(t) {
        Node::Scale(c, b) => (c.clone(), *b),
        Node::Const(c) => (c.clone(), t),
        _ => (Coeff::one(), t),
    };
    let mut term = Term { id: t, coeff, scalars: Vec::new(), chain: Vec::new(), flipped: Vec::new() };
    let mut scalars = Vec::new();
    match graph.node(base) {
        Node::Const(_) => {}
        Node::Mul(factors) if graph.is_inner_product(base) => term.chain = factors.to_vec(),
        Node::Mul(factors) => {
            for &f in factors.iter() {
                if graph.shape(f).is_scalar() {
                    scalars.push(f);
                } else {
                    term.chain.push(f);
                }
            }
        }
        _ if graph.shape(base).is_scalar() => scalars.push(base),
        _ => term.chain.push(base),
    }
    if sum.is_scalar() {
        // An inner product among the scalar factors of a scalar term is its chain.
        if term.chain.is_empty() {
            let inner: Vec<usize> = (0..scalars.len()).filter(|&i| graph.is_inner_product(scalars[i])).collect();
            if let [i] = inner[..] {
                let product = scalars.remove(i);
                if let Node::Mul(factors) = graph.node(product) {
                    term.chain = factors.to_vec();
                }
            }
        }
        if term.chain.len() >= 2 {
            let chain = term.chain.clone();
            term.flipped = chain.iter().rev().map(|&f| graph.transpose(f)).collect();
        }
    } else if !term.chain.is_empty() && graph.shape(base) != sum {
        // A scalar broadcast (`a^T x` in a vector sum) has no chain to share.
        let chain = std::mem::take(&mut term.chain);
        scalars.push(if chain.len() == 1 { chain[0] } else { graph.mul(chain) });
    }
    term.scalars = merged(scalars.into_iter().map(|f| power(graph, f)));
    term
}

/// `powers` with the powers of one base added into one (`u^u u^u` is `u^u`
/// squared), in the order of their first appearance, zero powers dropped:
/// taking a factor out of a term then takes it once.
fn merged(powers: impl Iterator<Item = Power>) -> Vec<Power> {
    let mut out: Vec<Power> = Vec::new();
    for (base, e) in powers {
        match out.iter_mut().find(|(b, _)| *b == base) {
            Some((_, total)) => *total += e,
            None => out.push((base, e)),
        }
    }
    out.retain(|&(_, e)| e != 0);
    out
}

/// `f` as a base and an integer power (`s^-3` is `(s, -3)`, `s` is `(s, 1)`).
fn power(graph: &Graph, f: ExprId) -> Power {
    if let Node::Pow(base, e) = graph.node(f) {
        if let Some(e) = graph.as_const(*e).and_then(coeff::to_i64) {
            if e != 0 {
                return (*base, e);
            }
        }
    }
    (f, 1)
}

/// What pairs of terms share, each proposal once, in the order of the terms.
fn propose(terms: &[Term]) -> Vec<Proposal> {
    let mut out: Vec<Proposal> = Vec::new();
    let mut push = |p: Proposal| {
        if out.len() < MAX_PROPOSALS && !out.contains(&p) {
            out.push(p);
        }
    };
    for (i, a) in terms.iter().enumerate() {
        for b in &terms[i + 1..] {
            let scalars = common_scalars(&a.scalars, &b.scalars);
            for other in b.chains() {
                let shortest = a.chain.len().min(other.len());
                let prefix = a.chain.iter().zip(other).take_while(|(x, y)| x == y).count();
                let suffix = a.chain.iter().rev().zip(other.iter().rev()).take_while(|(x, y)| x == y).count();
                let after_prefix = suffix.min(shortest - prefix);
                for (p, s) in [(prefix, after_prefix), (prefix, 0), (0, suffix)] {
                    if p == 0 && s == 0 {
                        continue;
                    }
                    let proposal = |scalars: Vec<Power>| Proposal {
                        prefix: a.chain[..p].to_vec(),
                        suffix: a.chain[a.chain.len() - s..].to_vec(),
                        scalars,
                    };
                    if !scalars.is_empty() {
                        push(proposal(scalars.clone()));
                    }
                    push(proposal(Vec::new()));
                }
            }
            if !scalars.is_empty() {
                push(Proposal { prefix: Vec::new(), suffix: Vec::new(), scalars });
            }
        }
    }
    out
}

/// The scalar factors both `a` and `b` have: each base of both to a power
/// of one sign, to the smaller power.
fn common_scalars(a: &[Power], b: &[Power]) -> Vec<Power> {
    let mut common = Vec::new();
    for &(x, e) in a {
        if let Some(&(_, f)) = b.iter().find(|(y, f)| *y == x && f.signum() == e.signum()) {
            common.push((x, e.signum() * e.abs().min(f.abs())));
        }
    }
    common
}

/// `scalars` with the powers `taken` (all present) divided out.
fn without(scalars: &[Power], taken: &[Power]) -> Vec<Power> {
    scalars
        .iter()
        .map(|&(x, e)| (x, e - taken.iter().find(|(y, _)| *y == x).map_or(0, |(_, f)| *f)))
        .filter(|&(_, e)| e != 0)
        .collect()
}

/// Whether `t` has what `p` proposes to take out.
fn shares(t: &Term, p: &Proposal) -> bool {
    t.chain_for(p).is_some() && common_scalars(&p.scalars, &t.scalars) == p.scalars
}

/// The largest positive rational `g` with `a / g` and `b / g` integers
/// (negative when both are), as collect's common coefficient.
fn gcd(a: &Coeff, b: &Coeff) -> Coeff {
    let g = coeff::common_divisor(a, b);
    if a.is_negative() && b.is_negative() {
        -g
    } else {
        g
    }
}

/// The coefficients to take out of `group`: its common coefficient, and
/// the sign alone when that is not ±1.
fn contents(terms: &[Term], group: &[usize]) -> Vec<Coeff> {
    let mut g = terms[group[0]].coeff.clone();
    for &i in &group[1..] {
        g = gcd(&g, &terms[i].coeff);
    }
    let sign = if g.is_negative() { -Coeff::one() } else { Coeff::one() };
    if g == sign {
        vec![g]
    } else {
        vec![g, sign]
    }
}

/// The factors `powers` stand for.
fn factors_of(graph: &mut Graph, powers: &[Power]) -> Vec<ExprId> {
    powers.iter().map(|&(base, e)| if e == 1 { base } else { graph.powc(base, coeff::int(e)) }).collect()
}

/// The sum with `p` and `content` taken out of the terms of `group`
/// (whose middles, between the left and the right factor, are all empty
/// or all not).
fn build(graph: &mut Graph, terms: &[Term], group: &[usize], p: &Proposal, content: &Coeff) -> ExprId {
    let mut remainders = Vec::with_capacity(group.len());
    for &i in group {
        let t = &terms[i];
        let chain = t.chain_for(p).unwrap_or(&t.chain);
        let mut factors = factors_of(graph, &without(&t.scalars, &p.scalars));
        factors.extend_from_slice(&chain[p.prefix.len()..chain.len() - p.suffix.len()]);
        let product = match factors.len() {
            0 => graph.int(1),
            1 => factors[0],
            _ => graph.mul(factors),
        };
        remainders.push(graph.scale(coeff::div(&t.coeff, content), product));
    }
    let inner = graph.add(remainders);
    let mut factors = factors_of(graph, &p.scalars);
    factors.extend_from_slice(&p.prefix);
    factors.push(inner);
    factors.extend_from_slice(&p.suffix);
    let product = if factors.len() == 1 { inner } else { graph.mul(factors) };
    let factored = graph.scale(content.clone(), product);
    let mut all: Vec<ExprId> = (0..terms.len()).filter(|i| !group.contains(i)).map(|i| terms[i].id).collect();
    if all.is_empty() {
        return factored;
    }
    all.push(factored);
    graph.add(all)
}
