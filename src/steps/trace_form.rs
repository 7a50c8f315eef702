//! Bringing a scalar differential df, linear in dX, to the form
//! `tr(Gᵀ dX)` (`gᵀ dx` for a vector X, `g dk` for a scalar) by the trace
//! rules, a line per round: distribute the products over the sums
//! (linearity), write each scalar term as its own trace, move dX out of a
//! Hadamard product (tr(Uᵀ(V ⊙ P)) = tr((U ⊙ V)ᵀ P)), a diagonal or a sum,
//! turn a transposed dXᵀ round (tr(Uᵀ) = tr(U)), rotate dX to the end
//! (tr(U V) = tr(V U)), then collect the terms (linearity of the trace)
//! and read off G.
//!
//! Each term is a coefficient, scalar factors without dX, and a chain of
//! factors with exactly one (the core) holding dX; the lines are built
//! from them without the constructors' canonical trace rotation and
//! product orientation, so they print as the rules leave them.

use num_traits::One;

use super::differential::{Builder, Line, Reason};

mod reasons;

use crate::coeff::Coeff;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{ExprId, FastMap, Func, Graph, Node, Role};
use crate::shape::{Dim, Shape};
use reasons::*;

/// What the variable is: the form the derivation ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Scalar,
    Vector,
    Matrix,
}

/// A term of df: `coeff · scalars · chain`, under a trace if `traced`.
#[derive(Clone, Debug, PartialEq)]
struct Term {
    coeff: Coeff,
    scalars: Vec<ExprId>,
    chain: Vec<ExprId>,
    traced: bool,
}

/// Most rounds of trace rules (each moves every term's dX one rule on).
const MAX_ROUNDS: usize = 24;

/// The lines that take df (`d`, free of d(E) symbols) to `tr(Gᵀ dX)` for
/// the gradient `gradient`, and the reason G is read off the last.
pub(super) fn to_trace_form(b: &mut Builder, d: ExprId, gradient: ExprId) -> Result<(Vec<Line>, Reason)> {
    let shape = b.g.symbol(b.wrt).shape;
    let kind = if shape.is_scalar() {
        Kind::Scalar
    } else if shape.cols == Dim::ONE {
        Kind::Vector
    } else {
        Kind::Matrix
    };
    let mut lines = Vec::new();
    if b.g.is_zero(d) {
        return Ok((lines, Reason::named("df = 0: the gradient is zero")));
    }
    let mut terms = Vec::new();
    for (coeff, chain) in split(b, d) {
        let mut t = Term { coeff, scalars: Vec::new(), chain, traced: false };
        normalize(b, &mut t, kind)?;
        terms.push(t);
    }
    let shown = display(b, &terms);
    let top = match b.g.node(d) {
        Node::Add(ts) => ts.len(),
        _ => 1,
    };
    if shown != d && terms.len() != top {
        lines.push(Line { expr: shown, reasons: vec![Reason::named("linearity")] });
    }
    for _ in 0..MAX_ROUNDS {
        let mut reasons: Vec<Reason> = Vec::new();
        let mut next = Vec::new();
        let mut changed = false;
        for t in terms {
            match rewrite(b, &t, kind)? {
                Some((rewritten, why)) => {
                    changed = true;
                    for r in why {
                        if !reasons.contains(&r) {
                            reasons.push(r);
                        }
                    }
                    for mut n in rewritten {
                        normalize(b, &mut n, kind)?;
                        next.push(n);
                    }
                }
                None => next.push(t),
            }
        }
        terms = next;
        if !changed {
            break;
        }
        let expr = display(b, &terms);
        lines.push(Line { expr, reasons });
    }
    if !terms.iter().all(|t| done(b, t, kind)) {
        return Err(unsupported());
    }
    // Collect the terms: Σ cᵢ tr(Mᵢ dX) = tr((Σ cᵢ Mᵢ) dX).
    let mut prefixes = Vec::new();
    for t in &terms {
        let mut factors = t.scalars.clone();
        factors.extend(t.chain[..t.chain.len() - 1].iter().copied());
        let product = b.g.mul(factors);
        prefixes.push(b.g.scale(t.coeff.clone(), product));
    }
    let collected = b.g.add(prefixes);
    // The terms collected, in the form the gradient takes (simplified as it is).
    let wanted = if kind == Kind::Scalar { gradient } else { b.g.transpose(gradient) };
    let linearity = Reason::named(if kind == Kind::Matrix { "linearity of the trace" } else { "linearity" });
    let symmetric = b.g.symbol(b.wrt).role == (Role::Input { symmetric: true });
    if symmetric && collected != wanted {
        // tr(M dX) = tr(M^T dX) for a symmetric dX: the gradient is the symmetric part.
        if terms.len() > 1 {
            let expr = form(b, collected, kind);
            lines.push(Line { expr, reasons: vec![linearity] });
        }
        let expr = form(b, wanted, kind);
        lines.push(Line { expr, reasons: vec![Reason::named("a symmetric variable: the symmetric part")] });
    } else if terms.len() > 1 || canonical(&mut b.g, collected) != wanted {
        let reason = if terms.len() > 1 { linearity } else { Reason::named("simplifying") };
        let expr = form(b, wanted, kind);
        lines.push(Line { expr, reasons: vec![reason] });
    }
    Ok((lines, Reason::named("first identification theorem")))
}

/// The error for a differential whose dX sits where no trace rule reaches.
fn unsupported() -> Error {
    Error::bare(
        ErrorKind::Differentiation,
        "the derivation cannot bring this differential to the form tr(G^T dX): dX appears inside a function without a trace rule",
    )
    .with_help("drop --steps for the differential and the gradient, or drop --differential for the chain-rule derivation")
}

/// Whether `f` holds dX.
fn holds(b: &Builder, f: ExprId) -> bool {
    f == b.dtarget || b.g.reachable(f).contains(&b.dtarget)
}

/// `d` as a sum of terms (coefficient, factors) with no sum on the way to dX.
fn split(b: &mut Builder, d: ExprId) -> Vec<(Coeff, Vec<ExprId>)> {
    if !holds(b, d) {
        return vec![(Coeff::one(), vec![d])];
    }
    match b.g.node(d).clone() {
        Node::Add(terms) => {
            // A scalar term of an array's sum is broadcast: s ones(m, n).
            let shape = b.g.shape(d);
            let mut out = Vec::new();
            for t in terms.iter() {
                let broadcast = !shape.is_scalar() && b.g.shape(*t).is_scalar();
                for (c, mut fs) in split(b, *t) {
                    if broadcast {
                        fs.push(b.g.ones(shape));
                    }
                    out.push((c, fs));
                }
            }
            out
        }
        Node::Scale(c, x) => split(b, x).into_iter().map(|(k, f)| (k * c.clone(), f)).collect(),
        Node::Mul(factors) => {
            let mut out = vec![(Coeff::one(), Vec::new())];
            for (i, f) in factors.iter().enumerate() {
                if holds(b, *f) {
                    // A 1×1 factor whose terms do not conform with its
                    // neighbours (x^T dx beside M) stays one factor.
                    let whole = b.g.shape(*f).is_scalar() && !splices(b, &factors, i);
                    let parts: Vec<(Coeff, Vec<ExprId>)> = split(b, *f)
                        .into_iter()
                        .map(|(c, fs)| if whole { (c, vec![raw_mul(&mut b.g, fs)]) } else { (c, fs) })
                        .collect();
                    let mut next = Vec::new();
                    for (c, fs) in &out {
                        for (k, gs) in &parts {
                            let mut all = fs.clone();
                            all.extend(gs.iter().copied());
                            next.push((c.clone() * k.clone(), all));
                        }
                    }
                    out = next;
                } else {
                    for (_, fs) in &mut out {
                        fs.push(*f);
                    }
                }
            }
            out
        }
        Node::Hadamard(factors) => {
            let Some(i) = factors.iter().position(|f| holds(b, *f)) else { return vec![(Coeff::one(), vec![d])] };
            let parts = split(b, factors[i]);
            if parts.len() == 1 && parts[0].1.len() == 1 && parts[0].0.is_one() {
                return vec![(Coeff::one(), vec![d])];
            }
            parts
                .into_iter()
                .map(|(c, fs)| {
                    let mut all = factors.to_vec();
                    all[i] = b.g.mul(fs);
                    (c, vec![b.g.hadamard(all)])
                })
                .collect()
        }
        Node::Apply(f @ (Func::Trace | Func::Sum | Func::DiagMat | Func::DiagVec | Func::Vec), x) => {
            let parts = split(b, x);
            if parts.len() == 1 && parts[0].0.is_one() {
                return vec![(Coeff::one(), vec![d])];
            }
            parts
                .into_iter()
                .map(|(c, fs)| {
                    let inner = raw_mul(&mut b.g, fs);
                    let applied = if f == Func::Trace { raw_trace(&mut b.g, inner) } else { b.g.apply(f, inner) };
                    (c, vec![applied])
                })
                .collect()
        }
        Node::Kron(p, q) => {
            // Bilinearity: the factor holding dX split into its terms, (U + V) ⊗ Q = U ⊗ Q + V ⊗ Q.
            let left = holds(b, p);
            let parts = split(b, if left { p } else { q });
            if parts.len() == 1 && parts[0].0.is_one() {
                return vec![(Coeff::one(), vec![d])];
            }
            parts
                .into_iter()
                .map(|(c, fs)| {
                    let changed = raw_mul(&mut b.g, fs);
                    let (p, q) = if left { (changed, q) } else { (p, changed) };
                    (c, vec![b.g.kron(p, q)])
                })
                .collect()
        }
        _ => vec![(Coeff::one(), vec![d])],
    }
}

/// Whether the 1×1 product `chain[i]` (a row times … a column) may be
/// written into the chain factor by factor: the matrices beside it are a
/// column on its left and a row on its right (or none).
fn splices(b: &Builder, chain: &[ExprId], i: usize) -> bool {
    let matrix = |f: &&ExprId| !b.g.shape(**f).is_scalar();
    let left = chain[..i].iter().rev().find(matrix).is_none_or(|f| b.g.shape(*f).cols == Dim::ONE);
    let right = chain[i + 1..].iter().find(matrix).is_none_or(|f| b.g.shape(*f).rows == Dim::ONE);
    left && right
}

/// The index of the factor holding dX.
fn core_index(b: &Builder, t: &Term) -> Result<usize> {
    t.chain.iter().position(|f| holds(b, *f)).ok_or_else(unsupported)
}

/// Opens products and scalings at the core, moves scalar factors without
/// dX to the front, and takes a trace at the core as the term's own.
fn normalize(b: &mut Builder, t: &mut Term, kind: Kind) -> Result<()> {
    for _ in 0..64 {
        let i = core_index(b, t)?;
        let core = t.chain[i];
        match b.g.node(core).clone() {
            // A 1×1 product that does not conform with its neighbours is moved out whole (below).
            Node::Mul(fs) if !b.g.shape(core).is_scalar() || splices(b, &t.chain, i) => {
                t.chain.splice(i..=i, fs.iter().copied());
                continue;
            }
            Node::Scale(c, x) => {
                t.coeff = t.coeff.clone() * c;
                t.chain[i] = x;
                continue;
            }
            _ => {}
        }
        let chain = std::mem::take(&mut t.chain);
        for f in chain {
            if f != core && b.g.shape(f).is_scalar() {
                t.scalars.push(f);
            } else {
                t.chain.push(f);
            }
        }
        if b.g.shape(core).is_scalar() && t.chain.len() > 1 {
            // tr(s M) = s tr(M) for the scalar s around dX.
            let others: Vec<ExprId> = t.chain.iter().copied().filter(|f| *f != core).collect();
            let product = raw_mul(&mut b.g, others);
            let product =
                if t.traced && !b.g.shape(product).is_scalar() { raw_trace(&mut b.g, product) } else { product };
            t.scalars.push(product);
            t.chain = vec![core];
        }
        if t.chain.len() == 1 && b.g.shape(core).is_scalar() && t.traced {
            t.traced = false;
            continue;
        }
        if t.chain.len() == 1 && !t.traced {
            if let Node::Apply(Func::Trace, u) = b.g.node(core).clone() {
                t.traced = true;
                t.chain = vec![u];
                continue;
            }
        }
        if t.traced && kind != Kind::Matrix && raw_shape(&b.g, &t.chain).is_scalar() {
            t.traced = false;
        }
        if !t.traced && t.chain.len() > 1 {
            // A 1×1 product on either side of the scalar around dX is a scalar factor.
            let i = core_index(b, t)?;
            let n = t.chain.len();
            if let Some(j) = (i..n - 1).find(|&j| raw_shape(&b.g, &t.chain[..=j]).is_scalar()) {
                let rest = t.chain.split_off(j + 1);
                let product = raw_mul(&mut b.g, rest);
                t.scalars.push(product);
                continue;
            }
            if let Some(k) = (1..=i).rev().find(|&k| raw_shape(&b.g, &t.chain[k..]).is_scalar()) {
                let rest: Vec<ExprId> = t.chain.drain(..k).collect();
                let product = raw_mul(&mut b.g, rest);
                t.scalars.push(product);
                continue;
            }
        }
        return Ok(());
    }
    Err(unsupported())
}

/// Whether the term is `tr(M dX)` (`m dx`, `s dk`).
fn done(b: &Builder, t: &Term, kind: Kind) -> bool {
    t.chain.last() == Some(&b.dtarget) && t.traced == (kind == Kind::Matrix)
}

/// One trace rule applied to the term, or `None` if it is in its final form.
fn rewrite(b: &mut Builder, t: &Term, kind: Kind) -> Result<Option<(Vec<Term>, Vec<Reason>)>> {
    let i = core_index(b, t)?;
    let core = t.chain[i];
    let (left, right) = (t.chain[..i].to_vec(), t.chain[i + 1..].to_vec());
    let with =
        |chain: Vec<ExprId>, traced: bool| Term { coeff: t.coeff.clone(), scalars: t.scalars.clone(), chain, traced };
    let core_shape = b.g.shape(core);
    let node = b.g.node(core).clone();
    // vec(R)ᵀ vec(M) = tr(Rᵀ M), and tr(Aᵀ (P ⊗ M)) = tr(Gᵀ M) block by
    // block: the factors around the core, rotated (a scalar is its own
    // trace), read as Rᵀ or Aᵀ.
    let around: Vec<ExprId> = right.iter().chain(left.iter()).copied().collect();
    let rotation = |b: &mut Builder| {
        let mut why = Vec::new();
        if !t.traced && !right.is_empty() {
            why.push(Reason::named("a scalar is its own trace"));
        }
        if !right.is_empty() {
            why.push(cyclic_reason(b, kind));
        }
        why
    };
    match node {
        Node::Apply(Func::Vec, m) if !around.is_empty() => {
            let row = b.g.mul(around);
            let column = b.g.transpose(row);
            let shape = b.g.shape(m);
            let r = crate::ops::unvec(&mut b.g, shape, column);
            let rt = raw_transpose(&mut b.g, r);
            let mut why = rotation(b);
            why.push(vec_reason(b, shape));
            return Ok(Some((vec![with(vec![rt, m], true)], why)));
        }
        Node::Kron(p, q) if holds(b, p) != holds(b, q) => {
            let a = if around.is_empty() {
                b.g.identity(core_shape.rows)
            } else {
                let m = b.g.mul(around);
                b.g.transpose(m)
            };
            let changes_left = holds(b, p);
            let adjoint = crate::diff::kron_adjoint(&mut b.g, p, q, a, changes_left);
            let gt = raw_transpose(&mut b.g, adjoint);
            let changed = if changes_left { p } else { q };
            let mut why = rotation(b);
            why.push(Reason::named("a Kronecker product block by block"));
            return Ok(Some((vec![with(vec![gt, changed], true)], why)));
        }
        _ => {}
    }
    // Rules that leave the trace.
    match node {
        Node::Apply(Func::Sum, h) if matches!(b.g.node(h), Node::Hadamard(_)) => {
            let Node::Hadamard(factors) = b.g.node(h).clone() else { unreachable!("matched above") };
            let Some(j) = factors.iter().position(|f| holds(b, *f)) else { return Err(unsupported()) };
            let c = factors[j];
            let others: Vec<ExprId> = factors.iter().enumerate().filter(|(k, _)| *k != j).map(|(_, f)| *f).collect();
            let rest = b.g.hadamard(others);
            let row = raw_transpose(&mut b.g, rest);
            let traced = !b.g.shape(c).is_column() && !b.g.shape(c).is_row();
            let reason = sum_hadamard_reason(b, b.g.shape(h), traced);
            return Ok(Some((vec![with(vec![row, c], traced)], vec![reason])));
        }
        Node::Apply(Func::Sum, inner) if scalar_change_factor(b, inner).is_some() => {
            // sum(s U) = s sum(U) for the scalar s that holds dX.
            let Some((j, factors)) = scalar_change_factor(b, inner) else { unreachable!("matched above") };
            let rest: Vec<ExprId> = factors.iter().enumerate().filter(|(k, _)| *k != j).map(|(_, f)| *f).collect();
            let product = b.g.mul(rest);
            let summed = b.g.apply(Func::Sum, product);
            let mut term = with(vec![factors[j]], false);
            term.scalars.push(summed);
            let reason = sum_scale_reason(b, b.g.shape(inner));
            return Ok(Some((vec![term], vec![reason])));
        }
        Node::Apply(Func::Sum, inner) if scaled_hadamard(b, inner).is_some() => {
            // sum(s (U .* V)) = s sum(U .* V) for scalars s without dX.
            let Some((scalars, h)) = scaled_hadamard(b, inner) else { unreachable!("matched above") };
            let summed = b.g.apply(Func::Sum, h);
            let mut chain = left.clone();
            chain.push(summed);
            chain.extend(right.iter().copied());
            let mut term = with(chain, t.traced);
            term.scalars.extend(scalars);
            let reason = sum_scale_reason(b, b.g.shape(inner));
            return Ok(Some((vec![term], vec![reason])));
        }
        Node::Apply(Func::Sum, u) => {
            let s = b.g.shape(u);
            let chain = ones_around(&mut b.g, u);
            let reason = sum_reason(b, s);
            return Ok(Some((vec![with(chain, false)], vec![reason])));
        }
        Node::Apply(Func::DiagMat, v) => {
            if t.traced {
                let rotated: Vec<ExprId> = right.iter().chain(left.iter()).copied().collect();
                let m = b.g.mul(rotated);
                let diagonal = b.g.apply(Func::DiagVec, m);
                let row = b.g.transpose(diagonal);
                let mut why = vec![diag_trace_reason(b)];
                if !right.is_empty() {
                    why.insert(0, cyclic_reason(b, kind));
                }
                return Ok(Some((vec![with(vec![row, v], false)], why)));
            }
            if left.is_empty() || right.is_empty() {
                return Err(unsupported());
            }
            let l = b.g.mul(left);
            let a = b.g.transpose(l);
            let r = b.g.mul(right);
            let h = b.g.hadamard(vec![a, r]);
            let row = raw_transpose(&mut b.g, h);
            return Ok(Some((vec![with(vec![row, v], false)], vec![diag_reason(b)])));
        }
        Node::Apply(Func::DiagVec, m) => {
            let row: Vec<ExprId> =
                if t.traced { right.iter().chain(left.iter()).copied().collect() } else { left.clone() };
            if row.is_empty() || (!t.traced && !right.is_empty()) {
                return Err(unsupported());
            }
            let l = b.g.mul(row);
            let a = b.g.transpose(l);
            let diagonal = b.g.apply(Func::DiagMat, a);
            let mut why = vec![diag_vec_reason(b)];
            if t.traced && !right.is_empty() {
                why.insert(0, cyclic_reason(b, kind));
            }
            return Ok(Some((vec![with(vec![diagonal, m], true)], why)));
        }
        _ => {}
    }
    // A transposed vector holding dX (not dX itself): the scalar turned round.
    if let Node::Transpose(inner) = node {
        if !t.traced && inner != b.dtarget {
            let mut chain: Vec<ExprId> = right.iter().rev().map(|f| b.g.transpose(*f)).collect();
            chain.push(inner);
            chain.extend(left.iter().rev().map(|f| b.g.transpose(*f)).collect::<Vec<_>>());
            return Ok(Some((vec![with(chain, false)], vec![scalar_transpose_reason(b)])));
        }
    }
    // A scalar is its own trace: every term of a matrix's differential, and
    // a term whose dX sits in a matrix-valued Hadamard product.
    let matrix_hadamard =
        matches!(node, Node::Hadamard(_)) && core_shape.rows != Dim::ONE && core_shape.cols != Dim::ONE;
    if !t.traced && (kind == Kind::Matrix || matrix_hadamard) {
        return Ok(Some((vec![with(t.chain.clone(), true)], vec![Reason::named("a scalar is its own trace")])));
    }
    if let Node::Hadamard(factors) = node {
        let Some(j) = factors.iter().position(|f| holds(b, *f)) else { return Err(unsupported()) };
        let c = factors[j];
        let others: Vec<ExprId> = factors.iter().enumerate().filter(|(k, _)| *k != j).map(|(_, f)| *f).collect();
        let bb = b.g.hadamard(others);
        if t.traced {
            let rotated: Vec<ExprId> = right.iter().chain(left.iter()).copied().collect();
            let m = if rotated.is_empty() {
                b.g.identity(core_shape.rows)
            } else {
                let p = b.g.mul(rotated);
                b.g.transpose(p)
            };
            let h = b.g.hadamard(vec![m, bb]);
            let row = raw_transpose(&mut b.g, h);
            let mut why = vec![hadamard_reason(b, kind, true)];
            if !right.is_empty() {
                why.insert(0, cyclic_reason(b, kind));
            }
            return Ok(Some((vec![with(vec![row, c], true)], why)));
        }
        if core_shape.cols == Dim::ONE && !left.is_empty() && right.is_empty() {
            let l = b.g.mul(left);
            let a = b.g.transpose(l);
            let h = b.g.hadamard(vec![a, bb]);
            let row = raw_transpose(&mut b.g, h);
            return Ok(Some((vec![with(vec![row, c], false)], vec![hadamard_reason(b, kind, false)])));
        }
        if core_shape.rows == Dim::ONE && left.is_empty() && !right.is_empty() {
            let r = b.g.mul(right);
            let rt = b.g.transpose(r);
            let h = b.g.hadamard(vec![bb, rt]);
            let column = raw_transpose(&mut b.g, h);
            return Ok(Some((vec![with(vec![c, column], false)], vec![hadamard_reason(b, kind, false)])));
        }
        return Err(unsupported());
    }
    let dxt = b.g.transpose(b.dtarget);
    if core == dxt && core != b.dtarget {
        let before: Vec<ExprId> = right.iter().rev().map(|f| b.g.transpose(*f)).collect();
        let after: Vec<ExprId> = left.iter().rev().map(|f| b.g.transpose(*f)).collect();
        if t.traced && !after.is_empty() {
            // tr(L dXᵀ R) = tr(Rᵀ dX Lᵀ) = tr(Lᵀ Rᵀ dX): turned round and rotated in one line.
            let mut chain = after;
            chain.extend(before);
            chain.push(b.dtarget);
            let why = vec![transpose_reason(b, kind), cyclic_reason(b, kind)];
            return Ok(Some((vec![with(chain, true)], why)));
        }
        let mut chain = before;
        chain.push(b.dtarget);
        chain.extend(after);
        let reason = if t.traced { transpose_reason(b, kind) } else { scalar_transpose_reason(b) };
        return Ok(Some((vec![with(chain, t.traced)], vec![reason])));
    }
    if core == b.dtarget {
        if right.is_empty() {
            return Ok(None);
        }
        if t.traced {
            let mut chain = right.clone();
            chain.extend(left.iter().copied());
            chain.push(b.dtarget);
            return Ok(Some((vec![with(chain, true)], vec![cyclic_reason(b, kind)])));
        }
    }
    Err(unsupported())
}

/// `1ᵀ u 1`, the factors of sum(u) as a product (`1ᵀ u` for a column).
pub(super) fn ones_around(g: &mut Graph, u: ExprId) -> Vec<ExprId> {
    let s = g.shape(u);
    let mut chain = Vec::new();
    if s.rows != Dim::ONE {
        let ones = g.ones(Shape { rows: s.rows, cols: Dim::ONE });
        chain.push(g.transpose(ones));
    }
    chain.push(u);
    if s.cols != Dim::ONE {
        chain.push(g.ones(Shape { rows: s.cols, cols: Dim::ONE }));
    }
    chain
}

/// A product of `factors` as written (no reordering or rotation).
pub(super) fn raw_mul(g: &mut Graph, factors: Vec<ExprId>) -> ExprId {
    if factors.len() == 1 {
        return factors[0];
    }
    if factors.is_empty() {
        return g.int(1);
    }
    let shape = raw_shape(g, &factors);
    g.intern(Node::Mul(factors.into()), shape)
}

/// The shape of the product of `factors`.
fn raw_shape(g: &Graph, factors: &[ExprId]) -> Shape {
    let chain: Vec<Shape> = factors.iter().map(|f| g.shape(*f)).filter(|s| !s.is_scalar()).collect();
    match (chain.first(), chain.last()) {
        (Some(first), Some(last)) => Shape { rows: first.rows, cols: last.cols },
        _ => Shape::SCALAR,
    }
}

/// `tr(a)` as written (no rotation).
pub(super) fn raw_trace(g: &mut Graph, a: ExprId) -> ExprId {
    g.intern(Node::Apply(Func::Trace, a), Shape::SCALAR)
}

/// `aᵀ` as written (not pushed to the leaves): `(u ⊙ v)ᵀ`.
pub(super) fn raw_transpose(g: &mut Graph, a: ExprId) -> ExprId {
    match g.node(a) {
        Node::Var(_) | Node::Hadamard(_) | Node::Add(_) | Node::Mul(_) => {
            let shape = g.shape(a).transpose();
            if shape.is_scalar() {
                return a;
            }
            g.intern(Node::Transpose(a), shape)
        }
        _ => g.transpose(a),
    }
}

/// `c · a` as written.
pub(super) fn raw_scale(g: &mut Graph, c: Coeff, a: ExprId) -> ExprId {
    if c.is_one() {
        return a;
    }
    if g.as_const(a).is_some_and(|k| k.is_one()) {
        return g.constant(c);
    }
    let shape = g.shape(a);
    g.intern(Node::Scale(c, a), shape)
}

/// The line showing `terms`.
fn display(b: &mut Builder, terms: &[Term]) -> ExprId {
    let mut shown = Vec::new();
    for t in terms {
        let mut factors = t.scalars.clone();
        if t.traced {
            let inner = raw_mul(&mut b.g, t.chain.clone());
            factors.push(raw_trace(&mut b.g, inner));
        } else {
            factors.extend(t.chain.iter().copied());
        }
        let body = raw_mul(&mut b.g, factors);
        shown.push(raw_scale(&mut b.g, t.coeff.clone(), body));
    }
    if shown.len() == 1 {
        return shown[0];
    }
    let shape = b.g.shape(shown[0]);
    b.g.intern(Node::Add(shown.into()), shape)
}

/// `tr(M dX)` (`m dx`, `m dk`) for the collected prefix `m`, its
/// coefficient and scalar factors in front (`det(X) tr(X^-1 dX)`).
fn form(b: &mut Builder, m: ExprId, kind: Kind) -> ExprId {
    let (c, rest) = b.g.split_coeff(m);
    let factors: Vec<ExprId> = match b.g.node(rest).clone() {
        Node::Mul(fs) => fs.to_vec(),
        _ if b.g.as_const(rest).is_some_and(|k| k.is_one()) => Vec::new(),
        _ => vec![rest],
    };
    let (mut scalars, mut chain): (Vec<ExprId>, Vec<ExprId>) =
        factors.into_iter().partition(|f| b.g.shape(*f).is_scalar() && kind != Kind::Scalar);
    if kind == Kind::Scalar {
        scalars = std::mem::take(&mut chain);
    }
    chain.push(b.dtarget);
    let body = raw_mul(&mut b.g, chain);
    let body = if kind == Kind::Matrix { raw_trace(&mut b.g, body) } else { body };
    scalars.push(body);
    let product = raw_mul(&mut b.g, scalars);
    raw_scale(&mut b.g, c, product)
}

/// A Hadamard product as written.
pub(super) fn raw_hadamard(g: &mut Graph, factors: Vec<ExprId>) -> ExprId {
    let shape = g.shape(factors[0]);
    g.intern(Node::Hadamard(factors.into()), shape)
}

/// `id` rebuilt through the constructors at every node (the canonical
/// form of a term built as written).
fn canonical(g: &mut Graph, id: ExprId) -> ExprId {
    let mut memo: FastMap<ExprId, ExprId> = FastMap::default();
    for n in g.reachable_without_definitions(id) {
        let m = |x: &ExprId| *memo.get(x).unwrap_or(x);
        let rebuilt = match g.node(n).clone() {
            Node::Add(c) => g.add(c.iter().map(m).collect()),
            Node::Mul(c) => g.mul(c.iter().map(m).collect()),
            Node::Hadamard(c) => g.hadamard(c.iter().map(m).collect()),
            Node::Scale(c, a) => g.scale(c, m(&a)),
            Node::Pow(a, e) => g.pow(m(&a), m(&e)),
            Node::Transpose(a) => g.transpose(m(&a)),
            Node::Inverse(a) => g.inverse(m(&a)),
            Node::Apply(f, a) => g.apply(f, m(&a)),
            Node::Kron(a, c) => g.kron(m(&a), m(&c)),
            _ => n,
        };
        if rebuilt != n {
            memo.insert(n, rebuilt);
        }
    }
    *memo.get(&id).unwrap_or(&id)
}

/// The scalar factors without dX of the product `id` and its one other
/// factor, a Hadamard product holding dX (`c (U .* dV)`).
fn scaled_hadamard(b: &Builder, id: ExprId) -> Option<(Vec<ExprId>, ExprId)> {
    let Node::Mul(factors) = b.g.node(id) else { return None };
    let (scalars, rest): (Vec<ExprId>, Vec<ExprId>) =
        factors.iter().partition(|f| b.g.shape(**f).is_scalar() && !holds(b, **f));
    match rest[..] {
        [h] if matches!(b.g.node(h), Node::Hadamard(_)) && holds(b, h) && !scalars.is_empty() => Some((scalars, h)),
        _ => None,
    }
}

/// The position of the one scalar factor of the product `id` that holds
/// dX (no other factor holding it), and the factors.
fn scalar_change_factor(b: &Builder, id: ExprId) -> Option<(usize, Vec<ExprId>)> {
    let Node::Mul(factors) = b.g.node(id) else { return None };
    let j = factors.iter().position(|f| b.g.shape(*f).is_scalar() && holds(b, *f))?;
    let alone = factors.iter().enumerate().all(|(k, f)| k == j || !holds(b, *f));
    alone.then(|| (j, factors.to_vec()))
}
