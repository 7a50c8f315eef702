//! What a planned function costs, as a polynomial in the named sizes
//! (multiplications of a product, one operation per entry elsewhere, `n^3`
//! for an inverse or a factorisation), and the choice between two forms of
//! it: the one cheaper at every plausible size, or a run-time comparison of
//! the two costs where the sizes decide.

use std::collections::BTreeMap;

use crate::ir::{ExprId, Node};
use crate::shape::{Dim, Shape};

use super::plan::{Split, Step};
use super::Emitter;

/// A polynomial in the named sizes with integer coefficients: each
/// monomial's named dimensions (sorted, repeated for powers) and its
/// coefficient.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Cost(BTreeMap<Vec<Dim>, i128>);

impl Cost {
    /// The product of the sizes `dims` (fixed ones folded into the coefficient).
    fn product(dims: &[Dim]) -> Cost {
        let mut coefficient: i128 = 1;
        let mut named = Vec::new();
        for &d in dims {
            match d {
                Dim::Fixed(n) => coefficient = coefficient.saturating_mul(i128::from(n)),
                Dim::Named(_) => named.push(d),
                Dim::Product(p) => {
                    coefficient = coefficient.saturating_mul(i128::from(p.fixed()));
                    named.extend(p.named().iter().map(|id| Dim::Named(*id)));
                    // A triangular number n(n+1)/2 counted as its bound n²
                    // (the polynomial's coefficients are integers).
                    named.extend(p.triangles().iter().flat_map(|id| [Dim::Named(*id); 2]));
                }
            }
        }
        named.sort();
        let mut out = Cost::default();
        out.add_term(named, coefficient);
        out
    }

    fn add_term(&mut self, monomial: Vec<Dim>, coefficient: i128) {
        if coefficient == 0 {
            return;
        }
        let entry = self.0.entry(monomial.clone()).or_insert(0);
        *entry = entry.saturating_add(coefficient);
        if *entry == 0 {
            self.0.remove(&monomial);
        }
    }

    /// `self + k other`.
    fn add_scaled(&mut self, other: &Cost, k: i128) {
        for (monomial, c) in &other.0 {
            self.add_term(monomial.clone(), c.saturating_mul(k));
        }
    }

    /// `self - other`.
    fn minus(&self, other: &Cost) -> Cost {
        let mut out = self.clone();
        out.add_scaled(other, -1);
        out
    }

    /// The value at the sizes `size` gives each named dimension.
    pub(super) fn at(&self, size: &dyn Fn(Dim) -> f64) -> f64 {
        self.0.iter().map(|(monomial, c)| *c as f64 * monomial.iter().map(|d| size(*d)).product::<f64>()).sum()
    }

    /// The named dimensions the polynomial depends on.
    pub(super) fn dims(&self) -> Vec<Dim> {
        let mut dims: Vec<Dim> = self.0.keys().flatten().copied().collect();
        dims.sort();
        dims.dedup();
        dims
    }

    /// The positive and the negative part (`self = positive - negative`).
    pub(super) fn parts(&self) -> (Cost, Cost) {
        let (mut positive, mut negative) = (Cost::default(), Cost::default());
        for (monomial, &c) in &self.0 {
            if c > 0 {
                positive.add_term(monomial.clone(), c);
            } else {
                negative.add_term(monomial.clone(), -c);
            }
        }
        (positive, negative)
    }

    /// Python for the polynomial, each named size written by `name`
    /// (`3 * m * n + n * n * B`).
    pub(super) fn python(&self, name: &mut dyn FnMut(Dim) -> String) -> String {
        if self.0.is_empty() {
            return "0".to_string();
        }
        let terms: Vec<String> = self
            .0
            .iter()
            .map(|(monomial, c)| {
                let mut factors: Vec<String> = monomial.iter().map(|d| name(*d)).collect();
                if *c != 1 || factors.is_empty() {
                    factors.insert(0, c.to_string());
                }
                factors.join(" * ")
            })
            .collect();
        terms.join(" + ")
    }
}

/// Which of two forms of a function to compute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The first: never costlier at a plausible size.
    First,
    /// The second: cheaper at some plausible size, never costlier.
    Second,
    /// Each is the cheaper at some sizes: the first where `first - second`
    /// (this polynomial) is at most 0.
    Depends(Cost),
}

/// The sizes a named dimension is tried at: all named sizes large, each
/// anywhere from an eighth of the others to eight times them.
const TRIED_SIZES: [f64; 3] = [125.0, 1000.0, 8000.0];
/// Named dimensions beyond this are all tried at one size.
const MAX_TRIED_DIMS: usize = 8;
/// A difference below this share of the first form's cost is a tie.
const TIE: f64 = 1e-3;

/// The verdict between forms costing `first` and `second`.
pub(super) fn verdict(first: &Cost, second: &Cost) -> Verdict {
    let difference = first.minus(second);
    let mut dims = first.dims();
    dims.extend(second.dims());
    dims.sort();
    dims.dedup();
    let varied = dims.len().min(MAX_TRIED_DIMS);
    let (mut first_wins, mut second_wins) = (false, false);
    let points = TRIED_SIZES.len().pow(varied as u32);
    for point in 0..points {
        let size = |d: Dim| {
            let Some(k) = dims.iter().position(|x| *x == d).filter(|k| *k < varied) else { return 1000.0 };
            TRIED_SIZES[(point / TRIED_SIZES.len().pow(k as u32)) % TRIED_SIZES.len()]
        };
        let d = difference.at(&size);
        let tie = TIE * first.at(&size).abs();
        if d > tie {
            second_wins = true;
        } else if d < -tie {
            first_wins = true;
        }
    }
    match (first_wins, second_wins) {
        (_, false) => Verdict::First,
        (false, true) => Verdict::Second,
        (true, true) => Verdict::Depends(difference),
    }
}

impl Emitter<'_> {
    /// The cost of the planned `steps`: each computed subterm once.
    pub(super) fn planned_cost(&mut self, steps: &[Step]) -> Cost {
        let mut total = Cost::default();
        for step in steps {
            if let Step::Node(id) = *step {
                if !self.plan.views.contains_key(&id) {
                    let c = self.node_cost(id);
                    total.add_scaled(&c, 1);
                }
            }
        }
        total
    }

    /// The cost of computing `id` from its planned children.
    fn node_cost(&mut self, id: ExprId) -> Cost {
        let shape = self.graph.shape(id);
        let entries = Cost::product(&[shape.rows, shape.cols]);
        let times = |k: usize| {
            let mut c = Cost::default();
            c.add_scaled(&entries, k as i128);
            c
        };
        match self.graph.node(id).clone() {
            Node::Add(terms) => times(terms.len() - 1),
            Node::Hadamard(factors) => times(factors.len() - 1),
            Node::Scale(..) | Node::Pow(..) | Node::Apply(..) | Node::Opaque(..) => times(1),
            Node::Inverse(_) => Cost::product(&[shape.rows, shape.rows, shape.rows]),
            Node::Mul(_) => {
                let (scalars, chain) = self.chain_parts(id);
                let mut c = times(scalars.len());
                if chain.len() >= 2 {
                    c.add_scaled(&self.chain_cost(id, &chain), 1);
                }
                c
            }
            _ => Cost::default(),
        }
    }

    /// The cost of the product of `chain` (the product `id`'s chain) as planned.
    fn chain_cost(&mut self, id: ExprId, chain: &[ExprId]) -> Cost {
        match self.split(id, chain) {
            Split::MultiDot => {
                let best = self.cheapest(chain, None);
                let mut dims = vec![self.graph.shape(chain[0]).rows];
                dims.extend(chain.iter().map(|f| self.graph.shape(*f).cols));
                order_cost(&best, &dims, 0, chain.len() - 1)
            }
            Split::At(k) => {
                let (left, right) = (self.segment(&chain[..=k]), self.segment(&chain[k + 1..]));
                let (ls, rs) = (self.segment_shape(&chain[..=k]), self.segment_shape(&chain[k + 1..]));
                self.multiply_cost(left, right, ls, rs)
            }
        }
    }

    /// The cost of `left right` with the shapes `ls` and `rs`.
    fn multiply_cost(&self, left: ExprId, right: ExprId, ls: Shape, rs: Shape) -> Cost {
        if ls.is_scalar() || rs.is_scalar() || self.diagonal_of(left).is_some() || self.diagonal_of(right).is_some() {
            return Cost::product(&[ls.rows, rs.cols]);
        }
        // A solve: a factorisation, then each right-hand side.
        let solve = |n: Dim, k: Dim| {
            let mut c = Cost::product(&[n, n, n]);
            c.add_scaled(&Cost::product(&[n, n, k]), 1);
            c
        };
        if self.solved_matrix(left).is_some() {
            return solve(ls.rows, rs.cols);
        }
        if self.solved_matrix(right).is_some() {
            return solve(rs.rows, ls.rows);
        }
        Cost::product(&[ls.rows, ls.cols, rs.cols])
    }
}

/// The cost of the product of factors `i..=j` in the order `best` gives,
/// factor `f` being `dims[f]` by `dims[f + 1]`.
fn order_cost(best: &[Vec<usize>], dims: &[Dim], i: usize, j: usize) -> Cost {
    if i == j {
        return Cost::default();
    }
    let k = best[i][j];
    let mut c = order_cost(best, dims, i, k);
    c.add_scaled(&order_cost(best, dims, k + 1, j), 1);
    c.add_scaled(&Cost::product(&[dims[i], dims[k + 1], dims[j + 1]]), 1);
    c
}
