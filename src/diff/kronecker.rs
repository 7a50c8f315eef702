//! Jacobians in vec/Kronecker form: J = ∂vec(F)/∂vec(X)ᵀ (numerator
//! layout: a row per entry of F, a column per entry of X, vec stacking
//! columns), read off the differential dF (see [`super::differential`]),
//! which is linear in the direction dX, term by term:
//! vec(A dX B) = (Bᵀ ⊗ A) vec(dX), vec(dXᵀ) = K vec(dX) (the commutation
//! matrix), vec(a ⊙ dX) = diag(vec(a)) vec(dX), vec(s B) = vec(B) s for a
//! scalar s, tr(dX) = vec(I)ᵀ vec(dX), sum(dX) = 1ᵀ vec(dX), and
//! diag(L diag(v) R) = (L ⊙ Rᵀ) v. A form without a rule yet is an error.

use super::{differential, identities};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{ExprId, Func, Graph, IdMap, Node, Role, SymbolId};
use crate::shape::{Dim, Shape};

/// The Jacobian ∂vec(e)/∂vec(wrt)ᵀ, of size (entries of e) × (entries of
/// `wrt`); with respect to a symmetric n×n S, ∂vec(e)/∂vech(S)ᵀ = J D(n)
/// (Magnus and Neudecker: the n(n+1)/2 free entries vech(S), the lower
/// triangle stacked by columns, vec(S) = D(n) vech(S)). Nodes made on the
/// way (the differential, the direction) leave no trace in the graph.
pub(super) fn jacobian(graph: &mut Graph, e: ExprId, wrt: SymbolId) -> Result<ExprId> {
    let symmetric = graph.symbol(wrt).role == (Role::Input { symmetric: true });
    let n = graph.symbol(wrt).shape.rows;
    if symmetric && n.triangle().is_none() {
        return Err(refused_vech(graph, wrt));
    }
    let mark = graph.mark();
    let result = read_off(graph, e, wrt).map(|j| match symmetric.then(|| graph.duplication(n)).flatten() {
        Some(d) => graph.mul(vec![j, d]),
        None => j,
    });
    match result {
        Ok(j) => match graph.keep_only_since(mark, j) {
            Some(j) => Ok(j),
            None => Err(Error::bare(ErrorKind::Differentiation, "the Jacobian depends on the direction")),
        },
        Err(error) => {
            graph.rollback(mark);
            Err(error)
        }
    }
}

/// The Hessian with respect to vech(S) from `j`, the Jacobian of the
/// gradient G with respect to a symmetric S: ∂²f/∂vech(S)∂vech(S)ᵀ =
/// D(n)ᵀ j, since ∂f/∂vech(S) = D(n)ᵀ vec(G) (square, n(n+1)/2 each way,
/// and symmetric). Any other variable's `j` is the Hessian itself.
pub(super) fn hessian_of(graph: &mut Graph, j: ExprId, wrt: SymbolId) -> Result<ExprId> {
    let symbol = graph.symbol(wrt);
    if symbol.role != (Role::Input { symmetric: true }) || symbol.shape.rows == Dim::ONE {
        return Ok(j);
    }
    let n = symbol.shape.rows;
    let d = graph.duplication(n).ok_or_else(|| refused_vech(graph, wrt))?;
    let dt = graph.transpose(d);
    Ok(graph.mul(vec![dt, j]))
}

/// The error for a derivative with respect to a symmetric matrix whose
/// size is a product (its n(n+1)/2 free entries are not a dimension).
fn refused_vech(graph: &Graph, wrt: SymbolId) -> Error {
    let symbol = graph.symbol(wrt);
    let n = crate::shape::dim_name(symbol.shape.rows, graph.dim_names());
    Error::bare(
        ErrorKind::Limit,
        format!(
            "the symmetric matrix `{}` of size {n} has n(n+1)/2 free entries for n = {n}, not a size matcalc \
             writes: sizes are products of names and of n (n + 1)/2 for a name n",
            symbol.name
        ),
    )
    .with_help("declare it with one size name, as in symmetric(n), or a matrix for the unconstrained Jacobian")
}

/// The Jacobian ∂vec(e)/∂vec(wrt)ᵀ with every entry of `wrt` free, also
/// for a symmetric S (the J of which [`jacobian`] gives J D(n)): what the
/// derivation by differentials writes in vec(dF) = J vec(dS).
pub(crate) fn unconstrained_jacobian(graph: &mut Graph, e: ExprId, wrt: SymbolId) -> Result<ExprId> {
    read_off(graph, e, wrt)
}

fn read_off(graph: &mut Graph, e: ExprId, wrt: SymbolId) -> Result<ExprId> {
    let shape = graph.symbol(wrt).shape;
    if shape.is_scalar() {
        // dF = J dX for a scalar dX: J is vec(dF) at dX = 1.
        let tangent = differential::unit_tangent(graph, e, wrt)?;
        return Ok(graph.vec(tangent));
    }
    let direction = differential::direction(graph, wrt);
    let d_e = differential::differential(graph, e, wrt, direction)?;
    // The readability rules the constructors once applied (a diagonal into
    // a vector, a Hadamard product distributed where that cancels) before
    // the Jacobian is read off, so it is read from the short form.
    let (d_e, _) = crate::rules::normalise(graph, d_e, crate::rules::products());
    let dx = graph.var(direction);
    let reachable = graph.reachable(d_e);
    graph.charge_derivative_work(reachable.len() as u64);
    let mut linear = IdMap::with_len(d_e.0 as usize + 1);
    for id in reachable {
        let mut has = id == dx;
        graph.for_each_child(id, |c| has |= linear.get(c) == Some(true));
        linear.insert(id, has);
    }
    let entries = size(graph, shape);
    let mut reader = Reader { dx, entries, linear, memo: IdMap::default() };
    reader.jacobian(graph, d_e)
}

/// The number of entries of `shape`, as a dimension.
fn size(graph: &mut Graph, shape: Shape) -> Dim {
    graph.dim_times(shape.rows, shape.cols)
}

/// Terms of a sum with a common Kronecker factor merged:
/// kron(P, A) + kron(P, B) = kron(P, A + B), and kron(A, Q) + kron(B, Q) =
/// kron(A + B, Q) (so the Hessian of tr(Xᵀ A X) is kron(I(n), A + Aᵀ)).
fn merge_kronecker_terms(g: &mut Graph, mut parts: Vec<ExprId>) -> Vec<ExprId> {
    let factors = |g: &Graph, id: ExprId| match g.node(id) {
        Node::Kron(a, b) => Some((*a, *b)),
        _ => None,
    };
    let mut i = 0;
    while i < parts.len() {
        let mut merged = false;
        for j in i + 1..parts.len() {
            let (Some((p, q)), Some((r, s))) = (factors(g, parts[i]), factors(g, parts[j])) else { continue };
            let combined = if p == r {
                let sum = g.add(vec![q, s]);
                g.kron(p, sum)
            } else if q == s {
                let sum = g.add(vec![p, r]);
                g.kron(sum, q)
            } else {
                continue;
            };
            parts[i] = combined;
            parts.remove(j);
            merged = true;
            break;
        }
        if !merged {
            i += 1;
        }
    }
    parts
}

/// Reads the Jacobian off a differential.
struct Reader {
    /// The direction dX.
    dx: ExprId,
    /// The entries of dX.
    entries: Dim,
    /// Whether a node contains dX: every node of the differential, and
    /// each node built since that was asked about.
    linear: IdMap<bool>,
    memo: IdMap<ExprId>,
}

impl Reader {
    /// Whether `id` contains dX; a node built while reading is walked once.
    fn has(&mut self, g: &Graph, id: ExprId) -> bool {
        if let Some(has) = self.linear.get(id) {
            return has;
        }
        let mut stack = vec![(id, false)];
        while let Some((n, expanded)) = stack.pop() {
            if self.linear.contains(n) {
                continue;
            }
            let children = g.children(n);
            if expanded {
                let has = n == self.dx || children.iter().any(|c| self.linear.get(*c) == Some(true));
                self.linear.insert(n, has);
            } else {
                stack.push((n, true));
                stack.extend(children.into_iter().map(|c| (c, false)));
            }
        }
        self.linear.get(id) == Some(true)
    }

    fn unsupported(&self, g: &mut Graph, id: ExprId, what: &str) -> Error {
        let text = crate::print::render(g, id, &crate::print::text::Text, 80);
        Error::bare(
            ErrorKind::Differentiation,
            format!("matcalc cannot yet write the Jacobian through {what} (its differential has the term `{text}`)"),
        )
        .with_help("take the derivative of a scalar function of it, or of a part without this form")
    }

    /// ∂vec(id)/∂vec(dX)ᵀ for a node of the differential.
    fn jacobian(&mut self, g: &mut Graph, id: ExprId) -> Result<ExprId> {
        if let Some(j) = self.memo.get(id) {
            return Ok(j);
        }
        super::check_budget(g)?;
        let shape = g.shape(id);
        let rows = size(g, shape);
        let j = if id == self.dx {
            g.identity(self.entries)
        } else if !self.has(g, id) {
            g.zero(Shape::new(rows, self.entries))
        } else {
            self.step(g, id, shape, rows)?
        };
        self.memo.insert(id, j);
        Ok(j)
    }

    fn step(&mut self, g: &mut Graph, id: ExprId, shape: Shape, rows: Dim) -> Result<ExprId> {
        Ok(match g.node(id).clone() {
            Node::Add(terms) => {
                let mut parts = Vec::new();
                let linear: Vec<ExprId> = terms.iter().copied().filter(|t| self.has(g, *t)).collect();
                for t in linear {
                    let j = self.jacobian(g, t)?;
                    // A scalar term broadcast over the sum's shape.
                    parts.push(if g.shape(t).is_scalar() && !shape.is_scalar() {
                        let ones = g.ones(Shape::column(rows));
                        g.mul(vec![ones, j])
                    } else {
                        j
                    });
                }
                let merged = merge_kronecker_terms(g, parts);
                g.add(merged)
            }
            Node::Scale(c, e) => {
                let j = self.jacobian(g, e)?;
                g.scale(c, j)
            }
            Node::Mul(factors) => self.product(g, id, &factors)?,
            Node::Hadamard(factors) => {
                let (inner, others) = self.split(g, id, &factors, "an elementwise product of two changes")?;
                let a = g.hadamard(others);
                let j = self.jacobian(g, inner)?;
                if g.shape(inner).is_scalar() && !shape.is_scalar() {
                    let v = g.vec(a);
                    g.mul(vec![v, j])
                } else if g.shape(a).is_scalar() {
                    g.mul(vec![a, j])
                } else {
                    let v = g.vec(a);
                    let d = g.apply(Func::DiagMat, v);
                    g.mul(vec![d, j])
                }
            }
            Node::Transpose(e) => {
                let s = g.shape(e);
                let k = g.commutation(s.rows, s.cols);
                let j = self.jacobian(g, e)?;
                g.mul(vec![k, j])
            }
            Node::Apply(f, e) => self.linear_function(g, id, f, e)?,
            Node::Kron(a, b) => self.kronecker(g, id, a, b)?,
            _ => return Err(self.unsupported(g, id, "this form")),
        })
    }

    /// vec(P ⊗ Q) = (I(n) ⊗ K(q, m) ⊗ I(p)) (vec(P) ⊗ vec(Q)) for an m×n P
    /// and a p×q Q, with one of them containing dX: vec(P) ⊗ vec(Q) is
    /// (I ⊗ vec(Q)) vec(P), or (vec(P) ⊗ I) vec(Q).
    fn kronecker(&mut self, g: &mut Graph, id: ExprId, p: ExprId, q: ExprId) -> Result<ExprId> {
        let (ps, qs) = (g.shape(p), g.shape(q));
        let (inner, spread) = match (self.has(g, p), self.has(g, q)) {
            (true, false) => {
                let vq = g.vec(q);
                let entries = size(g, ps);
                let identity = g.identity(entries);
                (p, g.kron(identity, vq))
            }
            (false, true) => {
                let vp = g.vec(p);
                let entries = size(g, qs);
                let identity = g.identity(entries);
                (q, g.kron(vp, identity))
            }
            _ => return Err(self.unsupported(g, id, "a Kronecker product of two changes")),
        };
        let (i_n, i_p) = (g.identity(ps.cols), g.identity(qs.rows));
        let k = g.commutation(qs.cols, ps.rows);
        let left = g.kron(i_n, k);
        let shuffle = g.kron(left, i_p);
        let j = self.jacobian(g, inner)?;
        Ok(g.mul(vec![shuffle, spread, j]))
    }

    /// The factor of `factors` that contains dX and the others; an error
    /// unless exactly one does.
    fn split(&mut self, g: &mut Graph, id: ExprId, factors: &[ExprId], what: &str) -> Result<(ExprId, Vec<ExprId>)> {
        let linear: Vec<usize> = (0..factors.len()).filter(|i| self.has(g, factors[*i])).collect();
        match linear.as_slice() {
            [k] => {
                let others = factors.iter().enumerate().filter(|(i, _)| i != k).map(|(_, f)| *f).collect();
                Ok((factors[*k], others))
            }
            _ => Err(self.unsupported(g, id, what)),
        }
    }

    /// A matrix product with one factor containing dX: vec(c L E R) =
    /// c (Rᵀ ⊗ L) vec(E) with c the 1×1 factors, or vec(s B) = vec(B) s
    /// where the factor is a scalar s.
    fn product(&mut self, g: &mut Graph, id: ExprId, factors: &[ExprId]) -> Result<ExprId> {
        let (inner, _) = self.split(g, id, factors, "a product of two changes")?;
        let whole_scalar = g.shape(id).is_scalar();
        let scalar = |g: &Graph, f: ExprId| g.shape(f).is_scalar() && !whole_scalar;
        if scalar(g, inner) {
            // vec(c s B) = c vec(B) s with the other 1×1 factors c outside vec.
            let (mut all, rest): (Vec<ExprId>, Vec<ExprId>) =
                factors.iter().copied().filter(|f| *f != inner).partition(|f| g.shape(*f).is_scalar());
            let b = g.mul(rest);
            let v = g.vec(b);
            let j = self.jacobian(g, inner)?;
            all.extend([v, j]);
            return Ok(g.mul(all));
        }
        let coefficient: Vec<ExprId> = factors.iter().copied().filter(|f| scalar(g, *f)).collect();
        let chain: Vec<ExprId> = factors.iter().copied().filter(|f| !scalar(g, *f)).collect();
        let k = chain.iter().position(|f| *f == inner).unwrap_or(0);
        let s = g.shape(inner);
        // vec(diag(v) R) = diag(vec(R)) (1 ⊗ I) v and vec(L diag(v)) =
        // diag(vec(L)) (I ⊗ 1) v: R's columns (L's rows) scaled by v.
        if let (Node::Apply(Func::DiagMat, v), 2) = (g.node(inner).clone(), chain.len()) {
            let other = chain[1 - k];
            let n = s.rows;
            let (copies, count) = if k == 0 { (g.shape(other).cols, true) } else { (g.shape(other).rows, false) };
            let ones = g.ones(Shape::column(copies));
            let identity = g.identity(n);
            let spread = if count { g.kron(ones, identity) } else { g.kron(identity, ones) };
            let weights = g.vec(other);
            let scaling = g.apply(Func::DiagMat, weights);
            let j = self.jacobian(g, v)?;
            let mut all = coefficient;
            all.extend([scaling, spread, j]);
            return Ok(g.mul(all));
        }
        let left = if k == 0 { g.identity(s.rows) } else { g.mul(chain[..k].to_vec()) };
        let right = if k + 1 == chain.len() { g.identity(s.cols) } else { g.mul(chain[k + 1..].to_vec()) };
        let mut all = coefficient;
        if g.shape(right).cols == Dim::ONE && s.cols != Dim::ONE {
            if let Some(j) = self.applied(g, inner, right)? {
                all.extend([left, j]);
                return Ok(g.mul(all));
            }
        }
        let rt = g.transpose(right);
        let kron = g.kron(rt, left);
        let j = self.jacobian(g, inner)?;
        all.extend([kron, j]);
        Ok(g.mul(all))
    }

    /// ∂(E v)/∂vec(dX)ᵀ for a matrix E containing dX and a column v free
    /// of it, without a Kronecker product where E is made of forms whose
    /// product with a column is a column again: diag(w) v = diag(v) w,
    /// (C ⊙ a bᵀ) v = diag(C (b ⊙ v)) a = (C ⊙ a vᵀ) b, and sums and
    /// multiples of these; `None` for any other E.
    fn applied(&mut self, g: &mut Graph, e: ExprId, v: ExprId) -> Result<Option<ExprId>> {
        Ok(match g.node(e).clone() {
            Node::Apply(Func::DiagMat, w) => {
                let d = g.apply(Func::DiagMat, v);
                let j = self.jacobian(g, w)?;
                Some(g.mul(vec![d, j]))
            }
            Node::Hadamard(factors) => {
                let linear: Vec<usize> = (0..factors.len()).filter(|i| self.has(g, factors[*i])).collect();
                let [k] = linear[..] else { return Ok(None) };
                let others: Vec<ExprId> =
                    factors.iter().enumerate().filter(|(i, _)| *i != k).map(|(_, f)| *f).collect();
                if others.iter().any(|f| g.shape(*f).is_scalar()) {
                    return Ok(None);
                }
                let c = g.hadamard(others);
                self.masked_outer(g, c, factors[k], v)?
            }
            _ => self.each_term(g, e, |reader, g, term| reader.applied(g, term, v))?,
        })
    }

    /// ∂((C ⊙ S) v)/∂vec(dX)ᵀ for S a sum or multiple of outer products
    /// a bᵀ, one of a, b containing dX; `None` for any other S.
    fn masked_outer(&mut self, g: &mut Graph, c: ExprId, s: ExprId, v: ExprId) -> Result<Option<ExprId>> {
        let Some((a, b)) = identities::outer_factors(g, s) else {
            return self.each_term(g, s, |reader, g, term| reader.masked_outer(g, c, term, v));
        };
        Ok(match (self.has(g, a), self.has(g, b)) {
            (true, false) => {
                let bv = g.hadamard(vec![b, v]);
                let column = g.mul(vec![c, bv]);
                let d = g.apply(Func::DiagMat, column);
                let j = self.jacobian(g, a)?;
                Some(g.mul(vec![d, j]))
            }
            (false, true) => {
                let vt = g.transpose(v);
                let av = g.mul(vec![a, vt]);
                let cav = g.hadamard(vec![c, av]);
                let j = self.jacobian(g, b)?;
                Some(g.mul(vec![cav, j]))
            }
            _ => None,
        })
    }

    /// `read` over the terms of a sum or the inside of a multiple `e`
    /// (terms free of dX contribute nothing), summed or scaled; `None` if
    /// `e` is neither or `read` gives `None` for a term.
    fn each_term(
        &mut self,
        g: &mut Graph,
        e: ExprId,
        mut read: impl FnMut(&mut Self, &mut Graph, ExprId) -> Result<Option<ExprId>>,
    ) -> Result<Option<ExprId>> {
        Ok(match g.node(e).clone() {
            Node::Scale(c, inner) => read(self, g, inner)?.map(|j| g.scale(c, j)),
            Node::Add(terms) if !terms.iter().any(|t| g.shape(*t).is_scalar()) => {
                let mut parts = Vec::new();
                for t in terms.iter() {
                    if self.has(g, *t) {
                        let Some(j) = read(self, g, *t)? else { return Ok(None) };
                        parts.push(j);
                    }
                }
                Some(g.add(parts))
            }
            _ => None,
        })
    }

    /// A linear function of a change: trace, sum, vec and the diagonals.
    fn linear_function(&mut self, g: &mut Graph, id: ExprId, f: Func, e: ExprId) -> Result<ExprId> {
        // f(s B) = f(B) s for a scalar change s.
        if let Node::Mul(factors) = g.node(e).clone() {
            let (inner, rest) = self.split(g, id, &factors, "a product of two changes")?;
            if g.shape(inner).is_scalar() && !g.shape(e).is_scalar() {
                let b = g.mul(rest);
                let fb = g.apply(f, b);
                let v = g.vec(fb);
                let j = self.jacobian(g, inner)?;
                return Ok(g.mul(vec![v, j]));
            }
        }
        let s = g.shape(e);
        Ok(match f {
            // tr(L M R) = vec(Lᵀ Rᵀ)ᵀ vec(M) for the factor M with the change.
            Func::Trace if matches!(g.node(e), Node::Mul(_)) && !s.is_scalar() => {
                let Node::Mul(factors) = g.node(e).clone() else { unreachable!() };
                let (inner, _) = self.split(g, id, &factors, "a product of two changes")?;
                let scalar = |g: &Graph, f: ExprId| f != inner && g.shape(f).is_scalar();
                let mut all: Vec<ExprId> = factors.iter().copied().filter(|f| scalar(g, *f)).collect();
                let chain: Vec<ExprId> = factors.iter().copied().filter(|f| !scalar(g, *f)).collect();
                let k = chain.iter().position(|f| *f == inner).unwrap_or(0);
                let around: Vec<ExprId> = chain[k + 1..].iter().chain(&chain[..k]).copied().collect();
                let weights = if around.is_empty() {
                    g.identity(g.shape(inner).rows)
                } else {
                    let m = g.mul(around);
                    g.transpose(m)
                };
                let v = g.vec(weights);
                let row = g.transpose(v);
                let j = self.jacobian(g, inner)?;
                all.extend([row, j]);
                g.mul(all)
            }
            Func::Trace => {
                let identity = g.identity(s.rows);
                let v = g.vec(identity);
                let row = g.transpose(v);
                let j = self.jacobian(g, e)?;
                g.mul(vec![row, j])
            }
            Func::Sum => {
                let entries = size(g, s);
                let ones = g.ones(Shape::new(Dim::ONE, entries));
                let j = self.jacobian(g, e)?;
                g.mul(vec![ones, j])
            }
            Func::Vec => self.jacobian(g, e)?,
            Func::DiagVec => match self.diagonal_factor(g, e) {
                // diag(L diag(v) R) = (L ⊙ Rᵀ) v; diag(diag(v) R) = diag(diag(R)) v.
                Some((left, v, right)) => {
                    let weights = match (left, right) {
                        (Some(l), Some(r)) => {
                            let rt = g.transpose(r);
                            g.hadamard(vec![l, rt])
                        }
                        (Some(side), None) | (None, Some(side)) => {
                            let diagonal = g.apply(Func::DiagVec, side);
                            g.apply(Func::DiagMat, diagonal)
                        }
                        (None, None) => g.identity(g.shape(v).rows),
                    };
                    let j = self.jacobian(g, v)?;
                    g.mul(vec![weights, j])
                }
                // diag(E) = (1ᵀ ⊗ I) vec(I ⊙ E): the rows of vec(E) at (i, i).
                None if s.rows == s.cols => {
                    let select = diagonal_selection(g, s.rows);
                    let select = g.transpose(select);
                    let j = self.jacobian(g, e)?;
                    g.mul(vec![select, j])
                }
                None => return Err(self.unsupported(g, id, "the diagonal of a matrix")),
            },
            Func::DiagMat => {
                if let Node::Apply(Func::DiagVec, inner) = g.node(e).clone() {
                    // vec(diag(diag(E))) = vec(I ⊙ E) = diag(vec(I)) vec(E).
                    let identity = g.identity(s.rows);
                    let v = g.vec(identity);
                    let mask = g.apply(Func::DiagMat, v);
                    let j = self.jacobian(g, inner)?;
                    g.mul(vec![mask, j])
                } else {
                    // vec(diag(v)) = vec(I ⊙ v 1ᵀ) = diag(vec(I)) (1 ⊗ I) v.
                    let select = diagonal_selection(g, s.rows);
                    let j = self.jacobian(g, e)?;
                    g.mul(vec![select, j])
                }
            }
            _ => return Err(self.unsupported(g, id, "a function of a change")),
        })
    }

    /// For a square `e` = L diag(v) R with v containing dX (L and R free of
    /// it; either may be missing), (L, v, R).
    fn diagonal_factor(&mut self, g: &mut Graph, e: ExprId) -> Option<(Option<ExprId>, ExprId, Option<ExprId>)> {
        let factors: Vec<ExprId> = match g.node(e).clone() {
            Node::Mul(factors) => factors.to_vec(),
            Node::Apply(Func::DiagMat, _) => vec![e],
            _ => return None,
        };
        if factors.iter().any(|f| g.shape(*f).is_scalar()) {
            return None;
        }
        let linear: Vec<usize> = (0..factors.len()).filter(|i| self.has(g, factors[*i])).collect();
        let [k] = linear[..] else { return None };
        let Node::Apply(Func::DiagMat, v) = g.node(factors[k]).clone() else { return None };
        let left = (k > 0).then(|| g.mul(factors[..k].to_vec()));
        let right = (k + 1 < factors.len()).then(|| g.mul(factors[k + 1..].to_vec()));
        Some((left, v, right))
    }
}

/// The n²×n matrix that places a vector on the diagonal, vec(diag(v)) = S v:
/// S = diag(vec(I(n))) kron(ones(n), I(n)); its transpose reads the
/// diagonal off a vec, diag(E) = Sᵀ vec(E).
fn diagonal_selection(g: &mut Graph, n: Dim) -> ExprId {
    let identity = g.identity(n);
    let v = g.vec(identity);
    let mask = g.apply(Func::DiagMat, v);
    let ones = g.ones(Shape::column(n));
    let copies = g.kron(ones, identity);
    g.mul(vec![mask, copies])
}
