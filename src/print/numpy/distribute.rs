//! Products distributed over sums before NumPy is generated. Always for a
//! sum with an inverse, a diagonal matrix or an outer product among its
//! terms (each is then applied by a solve, by broadcasting, or after the
//! product); for a sum of matrix products (`W (E X^T + X E^T)`) only where
//! it is cheaper, which `cost` decides from the shapes or, where the sizes
//! decide, at run time.

use crate::ir::{ExprId, FastSet, Func, Graph, Node, SymbolId};
use crate::shape::Dim;

use super::cost::{verdict, Cost, Verdict};
use super::plan::{Sizes, NAMED_SIZE};
use super::Emitter;

/// Rounds of distributing sums with applied terms.
const MAX_ROUNDS: usize = 4;

/// Sums of matrix products considered for distribution in one function.
pub(super) const MAX_SITES: usize = 8;

impl Emitter<'_> {
    /// Emits the body computing `definitions` and `results` with each sum of
    /// matrix products distributed where that is cheaper at every plausible
    /// size, and returns what the function returns. Where the sizes decide
    /// (one such sum at most), both forms are emitted behind a comparison
    /// of their costs at the arguments' sizes (shapes, static under
    /// `jax.jit`): `if m * n * n + n * n * B <= 3 * m * n * B:`. A
    /// distributed form is planned at the sizes where it is cheapest
    /// (one named size an eighth or eight times the others).
    pub(super) fn emit_chosen_form(&mut self, definitions: &[SymbolId], results: &[ExprId]) -> String {
        let sites = sites(self.graph, results);
        let uniform = Sizes::default();
        if sites.is_empty() {
            return self.emit_body(definitions, results, &uniform);
        }
        let mut chosen = (FastSet::default(), uniform.clone());
        let mut cost = self.form_cost(definitions, results, &chosen.0, &chosen.1);
        let mut depends = None;
        for &site in &sites {
            let mut with = chosen.0.clone();
            with.insert(site);
            let (found, sizes, c) = self.best_plan(definitions, results, &with, &cost);
            match found {
                Verdict::First => {}
                Verdict::Second => (chosen, cost) = ((with, sizes), c),
                Verdict::Depends(_) => depends = depends.or(Some(site)),
            }
        }
        let mut branch = None;
        if let Some(site) = depends {
            let mut with = chosen.0.clone();
            with.insert(site);
            let (found, sizes, _) = self.best_plan(definitions, results, &with, &cost);
            match found {
                Verdict::First => {}
                Verdict::Second => chosen = (with, sizes),
                Verdict::Depends(difference) if difference.dims().iter().all(|d| self.size_known(*d)) => {
                    branch = Some((with, sizes, difference));
                }
                // A size no argument carries: decided at the model's sizes.
                Verdict::Depends(difference) => {
                    if difference.at(&|_| NAMED_SIZE) > 0.0 {
                        chosen = (with, sizes);
                    }
                }
            }
        }
        let first = distributed_at(self.graph, results, &chosen.0);
        let Some((with, sizes, difference)) = branch else { return self.emit_body(definitions, &first, &chosen.1) };
        let second = distributed_at(self.graph, results, &with);
        // `first - second = positive - negative`: the first where it costs no more.
        let (positive, negative) = difference.parts();
        let positive = positive.python(&mut |d| self.size_name(d));
        let negative = negative.python(&mut |d| self.size_name(d));
        let outer = std::mem::take(&mut self.lines);
        let saved = (self.names.clone(), self.expr_names.clone(), self.pending_dims.clone());
        let returned_first = self.emit_body(definitions, &first, &chosen.1);
        let first_lines = std::mem::take(&mut self.lines);
        // The second form's names start again; the helpers stay defined.
        (self.names, self.expr_names, self.pending_dims) = saved;
        let helpers: Vec<String> = self.helpers.values().cloned().collect();
        for helper in helpers {
            self.names.fresh(&helper);
        }
        let returned_second = self.emit_body(definitions, &second, &sizes);
        let second_lines = std::mem::take(&mut self.lines);
        self.lines = outer;
        self.lines.push(format!("if {positive} <= {negative}:"));
        self.lines.extend(first_lines.iter().map(|l| format!("    {l}")));
        self.lines.push(format!("    return {returned_first}"));
        self.lines.extend(second_lines);
        returned_second
    }

    /// The best plan of `results` with the products `with` distributed,
    /// against the form costing `current`: planned at the model's sizes or
    /// with one named size an eighth or eight times the others, the first
    /// plan never costlier than `current`, else the first one cheaper at
    /// some sizes; its verdict, assumed sizes and cost.
    fn best_plan(
        &mut self,
        definitions: &[SymbolId],
        results: &[ExprId],
        with: &FastSet<ExprId>,
        current: &Cost,
    ) -> (Verdict, Sizes, Cost) {
        let mut candidates = vec![Sizes::default()];
        for d in current.dims() {
            for factor in [0.125, 8.0] {
                candidates.push(std::iter::once((d, NAMED_SIZE * factor)).collect());
            }
        }
        let mut best: Option<(Verdict, Sizes, Cost)> = None;
        for sizes in candidates {
            let c = self.form_cost(definitions, results, with, &sizes);
            let found = verdict(current, &c);
            let better = matches!(
                (&found, &best),
                (_, None)
                    | (Verdict::Second, Some((Verdict::Depends(_) | Verdict::First, ..)))
                    | (Verdict::Depends(_), Some((Verdict::First, ..)))
            );
            if better {
                let second = found == Verdict::Second;
                best = Some((found, sizes, c));
                if second {
                    break;
                }
            }
        }
        best.expect("one plan at least")
    }

    /// The cost of computing `results` with the products `chosen` distributed,
    /// planned assuming the sizes `assumed`.
    fn form_cost(
        &mut self,
        definitions: &[SymbolId],
        results: &[ExprId],
        chosen: &FastSet<ExprId>,
        assumed: &Sizes,
    ) -> Cost {
        let form = distributed_at(self.graph, results, chosen);
        let steps = self.planned_steps(definitions, &form, assumed);
        self.planned_cost(&steps)
    }

    /// Whether the function knows the size `d`: named already, or read from
    /// an argument's shape.
    fn size_known(&self, d: Dim) -> bool {
        self.dim_names.contains_key(&d) || self.dimension_source(d).is_some()
    }

    /// The Python name of the size `d`, read from an argument (`m = W.shape[0]`)
    /// if it has none yet.
    fn size_name(&mut self, d: Dim) -> String {
        if !self.dim_names.contains_key(&d) {
            if let (Dim::Named(id), Some(source)) = (d, self.dimension_source(d)) {
                let name = self.names.fresh(&self.graph.dim_names()[id.0 as usize].clone());
                self.lines.push(format!("{name} = {source}"));
                self.dim_names.insert(d, name);
            }
        }
        self.dim(d)
    }
}

/// `root` with each sum that has an inverse, a diagonal matrix or a
/// product through a vector (an outer product) among its terms distributed
/// over its neighbour in a product, the one to its right if that is a
/// matrix or vector (`(S^-1 + S^-T) v` is computed as `S^-1 v + S^-T v`,
/// `M (diag(v) + A)` as `M diag(v) + M A`, `B^T (C + diag(v)) B` as
/// `B^T (C B + diag(v) B)`, `W (r x^T + x r^T)` as `W r x^T + W x r^T`), so
/// that each inverse is applied by a solve, each diagonal by broadcasting
/// and each outer product after the product rather than formed; the rules
/// take such common factors out for the printed answer (rule
/// `factor-common`). Again on the result, a few times, for a sum between
/// two such neighbours (`A^-T (b c^T + u v^T) A^-T`, whose terms are outer
/// products once the right one is in). Definitions' values are left as
/// they are.
pub(super) fn applied_factors_distributed(graph: &mut Graph, root: ExprId) -> ExprId {
    let mut current = root;
    for _ in 0..MAX_ROUNDS {
        let next = graph.rewrite(current, &mut |graph, n| distributed(graph, n, has_applied));
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// The products among `results`' subterms (definitions' values aside) with
/// a sum of matrix products that distributing could make cheaper, at most
/// [`MAX_SITES`], in evaluation order.
pub(super) fn sites(graph: &mut Graph, results: &[ExprId]) -> Vec<ExprId> {
    let mut found = Vec::new();
    let mut seen = FastSet::default();
    for &root in results {
        for n in graph.reachable_without_definitions(root) {
            if found.len() < MAX_SITES && seen.insert(n) && distributable_at(graph, n) {
                found.push(n);
            }
        }
    }
    found
}

/// `results` with the products `chosen` (from [`sites`]) distributed over
/// their sum of matrix products.
pub(super) fn distributed_at(graph: &mut Graph, results: &[ExprId], chosen: &FastSet<ExprId>) -> Vec<ExprId> {
    if chosen.is_empty() {
        return results.to_vec();
    }
    let rewritten = |graph: &mut Graph, root: ExprId| {
        graph.rewrite(root, &mut |graph, n| {
            if chosen.contains(&n) {
                distributed(graph, n, has_products)
            } else {
                None
            }
        })
    };
    results.iter().map(|&r| rewritten(graph, r)).collect()
}

/// Whether the product `n` has a sum of matrix products to distribute.
fn distributable_at(graph: &Graph, n: ExprId) -> bool {
    neighbour(graph, n, has_products).is_some()
}

/// The factor `i` of the product `n` that is a sum `wanted` accepts, and the
/// neighbour `j` it is distributed over (the right one if that is a matrix
/// or vector, else the left one).
fn neighbour(graph: &Graph, n: ExprId, wanted: fn(&Graph, ExprId) -> bool) -> Option<(usize, usize)> {
    let Node::Mul(factors) = graph.node(n) else { return None };
    let matrix = |j: Option<usize>| j.filter(|&j| j < factors.len() && !graph.shape(factors[j]).is_scalar());
    (0..factors.len())
        .filter(|&i| wanted(graph, factors[i]))
        .find_map(|i| matrix(Some(i + 1)).or(matrix(i.checked_sub(1))).map(|j| (i, j)))
}

/// The product `n` with its first sum that `wanted` accepts distributed
/// over its neighbour.
fn distributed(graph: &mut Graph, n: ExprId, wanted: fn(&Graph, ExprId) -> bool) -> Option<ExprId> {
    let (i, j) = neighbour(graph, n, wanted)?;
    let Node::Mul(factors) = graph.node(n) else { return None };
    let factors = factors.to_vec();
    let Node::Add(terms) = graph.node(factors[i]).clone() else { return None };
    let distributed: Vec<ExprId> =
        terms.iter().map(|&t| graph.mul(if j > i { vec![t, factors[j]] } else { vec![factors[j], t] })).collect();
    let sum = graph.add(distributed);
    let (first, last) = (i.min(j), i.max(j));
    let mut product = factors[..first].to_vec();
    product.push(sum);
    product.extend_from_slice(&factors[last + 1..]);
    Some(if product.len() == 1 { sum } else { graph.mul(product) })
}

/// The terms of a sum whose terms all have its shape (a sum with a
/// broadcast scalar term, `M + s`, is never distributed: `s` stands for
/// `s ones`, and `s A` is not `(s ones) A`), each without its coefficient.
fn same_shape_terms(graph: &Graph, id: ExprId) -> Option<Vec<ExprId>> {
    let Node::Add(terms) = graph.node(id) else { return None };
    let shape = graph.shape(id);
    if !terms.iter().all(|t| graph.shape(*t) == shape) {
        return None;
    }
    Some(
        terms
            .iter()
            .map(|&t| match graph.node(t) {
                Node::Scale(_, b) => *b,
                _ => t,
            })
            .collect(),
    )
}

/// Whether `id` is a sum with an inverse, a diagonal matrix or an outer
/// product among its terms.
fn has_applied(graph: &Graph, id: ExprId) -> bool {
    let Some(terms) = same_shape_terms(graph, id) else { return false };
    terms
        .iter()
        .any(|&t| matches!(graph.node(t), Node::Inverse(_) | Node::Apply(Func::DiagMat, _)) || low_rank(graph, t))
}

/// Whether `id` is a matrix that is a sum of products of matrices (and
/// nothing [`has_applied`] distributes).
fn has_products(graph: &Graph, id: ExprId) -> bool {
    let shape = graph.shape(id);
    if shape.rows == Dim::ONE || shape.cols == Dim::ONE || has_applied(graph, id) {
        return false;
    }
    let Some(terms) = same_shape_terms(graph, id) else { return false };
    terms.iter().all(|&t| match graph.node(t) {
        Node::Mul(factors) => factors.iter().filter(|f| !graph.shape(**f).is_scalar()).count() >= 2,
        _ => false,
    })
}

/// Whether `t` is a matrix that is a product through a vector (`u v^T`,
/// `A u v^T B`): multiplied into a matrix it is cheaper distributed, `M u
/// v^T` as `np.outer(M @ u, v)` rather than `M @ np.outer(u, v)`.
fn low_rank(graph: &Graph, t: ExprId) -> bool {
    let shape = graph.shape(t);
    let Node::Mul(factors) = graph.node(t) else { return false };
    let chain: Vec<ExprId> = factors.iter().copied().filter(|f| !graph.shape(*f).is_scalar()).collect();
    shape.rows != Dim::ONE
        && shape.cols != Dim::ONE
        && chain.iter().take(chain.len().saturating_sub(1)).any(|f| graph.shape(*f).cols == Dim::ONE)
}
