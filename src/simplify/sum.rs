//! Sums: flattening, bracketed (scaled) sums, like terms, and sums kept
//! whole inside their neighbours (`keep_shared_sums`). Diagonals merged and
//! factors taken out of a sum are rules of the rule set (`merge-diagonals`,
//! `factor-common`), applied to results.

use num_traits::Zero;

use crate::coeff::Coeff;
use crate::ir::{ExprId, FastMap, FastSet, Graph, Node};
use crate::shape::Shape;

/// Nodes looked at when checking whether a sum occurs inside another term
/// of the same sum (rule `keep_shared_sums`).
const SHARED_SUM_SEARCH_NODES: usize = 256;

impl Graph {
    /// `a - b`.
    pub fn sub(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let nb = self.neg(b);
        self.add(vec![a, nb])
    }

    /// The sum of `terms`: flattened, like terms merged, zeros dropped,
    /// sorted (constants first, negative terms last). Scalar terms in a
    /// non-scalar sum broadcast.
    pub fn add(&mut self, terms: Vec<ExprId>) -> ExprId {
        if let [single] = terms[..] {
            // A lone term is already canonical; `2 (x - y)` stays factored.
            return single;
        }
        let shape = terms.iter().map(|t| self.shape(*t)).find(|s| !s.is_scalar()).unwrap_or(Shape::SCALAR);
        let mut flat = Vec::with_capacity(terms.len());
        let mut groups: Vec<(Coeff, ExprId)> = Vec::new();
        let kept_whole = self.shared_sums(&terms);
        let mut stack: Vec<ExprId> = terms.into_iter().rev().collect();
        let mut expanded: Vec<(Coeff, ExprId)> = Vec::new();
        // A scaled sum `c (a + b)` stays bracketed (`W^T W r - r`) unless one
        // of its terms is like a term outside it, where expanding merges them.
        // Expanded terms are flattened again (a bracketed sum inside may now
        // collide too), so expanding runs to its fixpoint: each round removes
        // a bracket, and a bracket that collides keeps colliding, so the
        // result does not depend on the order the terms came in.
        loop {
            while let Some(t) = stack.pop() {
                match self.node(t).clone() {
                    Node::Add(_) if kept_whole.contains(&t) => flat.push(t),
                    Node::Add(children) => stack.extend(children.iter().rev().copied()),
                    Node::Scale(c, b) if matches!(self.node(b), Node::Add(_)) => groups.push((c, b)),
                    _ if self.is_zero(t) => {}
                    _ => flat.push(t),
                }
            }
            if groups.is_empty() {
                break;
            }
            let base_of = |g: &mut Graph, t: ExprId| g.split_coeff(t).1;
            let mut outside: FastSet<ExprId> = FastSet::default();
            for &t in &flat {
                let b = base_of(self, t);
                outside.insert(b);
            }
            let group_bases: Vec<Vec<ExprId>> = groups
                .iter()
                .map(|(_, sum)| {
                    let Node::Add(children) = self.node(*sum).clone() else { return Vec::new() };
                    children.iter().map(|t| base_of(self, *t)).collect()
                })
                .collect();
            let mut bracketed = Vec::new();
            for (i, (c, sum)) in std::mem::take(&mut groups).into_iter().enumerate() {
                let collides = group_bases[i].iter().any(|b| outside.contains(b))
                    || group_bases
                        .iter()
                        .enumerate()
                        .any(|(j, other)| j != i && other.iter().any(|b| group_bases[i].contains(b)));
                if collides {
                    let Node::Add(children) = self.node(sum).clone() else { continue };
                    for child in children.iter().rev() {
                        stack.push(self.scale(c.clone(), *child));
                    }
                    expanded.push((c, sum));
                } else {
                    bracketed.push((c, sum));
                }
            }
            if stack.is_empty() {
                for (c, sum) in bracketed {
                    flat.push(self.scale(c, sum));
                }
                break;
            }
            groups = bracketed;
        }
        // Merge like terms, keeping first-seen order for determinism. A
        // definition is like its value (`z - W x` with `z = W x` is 0); the
        // merged term keeps the name.
        // Beside a matrix of ones of the sum's shape a broadcast constant is
        // like it (`2 + ones(n)` is `3 ones(n)`, however the terms met).
        let ones = (!shape.is_scalar()
            && flat.iter().any(|t| {
                let base = match self.node(*t) {
                    Node::Scale(_, b) => *b,
                    _ => *t,
                };
                matches!(self.node(base), Node::Ones(s) if *s == shape)
            }))
        .then(|| self.ones(shape));
        let mut order: Vec<ExprId> = Vec::new();
        let mut sums: FastMap<ExprId, (Coeff, ExprId)> = FastMap::default();
        for t in flat {
            let (c, mut base) = self.split_coeff(t);
            if let Some(ones) = ones.filter(|_| matches!(self.node(t), Node::Const(_))) {
                base = ones;
            }
            let value = self.like_term_value(base);
            match sums.get_mut(&value) {
                Some((total, written)) => {
                    *total += c;
                    if self.names_before(base, *written) {
                        *written = base;
                    }
                }
                None => {
                    order.push(value);
                    sums.insert(value, (c, base));
                }
            }
        }
        let mut kept: Vec<ExprId> = self.bracket_again(&expanded, &mut sums);
        for value in order {
            let Some((c, base)) = sums.remove(&value) else { continue };
            if !c.is_zero() {
                kept.push(self.scale(c, base));
            }
        }
        // Only scalars left of a broadcast sum (`zeros(n) + s + t`): their sum
        // times ones. Decided before any regrouping or factoring, which
        // build a sum from `kept` alone and would lose the shape.
        if !shape.is_scalar() && !kept.is_empty() && kept.iter().all(|t| self.shape(*t).is_scalar()) {
            let scalar = self.add(kept);
            let ones = self.ones(shape);
            return self.mul(vec![scalar, ones]);
        }
        // A sum kept whole for a term that then merged away is flattened after all.
        let orphan = kept.iter().enumerate().find_map(|(i, &t)| match self.node(t) {
            Node::Add(terms)
                if !kept.iter().any(|&other| other != t && self.occurs_within(t, other, SHARED_SUM_SEARCH_NODES)) =>
            {
                Some((i, terms.clone()))
            }
            _ => None,
        });
        if let Some((i, terms)) = orphan {
            kept.splice(i..=i, terms.iter().copied());
            return self.add(kept);
        }
        if kept.len() >= 3 && self.regroup_shared_sums(&mut kept) {
            // Whole again, the sum may now merge with a bracketed term (`s - (t - s)`).
            return self.add(kept);
        }
        match kept.len() {
            0 => self.zero(shape),
            1 => kept[0],
            _ => {
                kept.sort_by(|a, b| self.term_order(*a, *b));
                self.intern(Node::Add(kept.into()), shape)
            }
        }
    }

    /// A bracket expanded for a like term whose terms came out of the
    /// merge unchanged (the like term cancelled elsewhere: `(s - s) - s`
    /// built at once) is put back (`-s`, as `0 - s` built in two steps
    /// gives): its terms are taken out of `sums` and returned bracketed.
    /// Brackets sharing a term are left expanded, whatever their order.
    pub(super) fn bracket_again(
        &mut self,
        expanded: &[(Coeff, ExprId)],
        sums: &mut FastMap<ExprId, (Coeff, ExprId)>,
    ) -> Vec<ExprId> {
        let mut candidates: Vec<(Coeff, ExprId, Vec<ExprId>)> = Vec::new();
        for (c, sum) in expanded {
            if candidates.iter().any(|(d, s, _)| d == c && s == sum) {
                continue;
            }
            let Node::Add(children) = self.node(*sum).clone() else { continue };
            let mut values = Vec::with_capacity(children.len());
            let unchanged = children.iter().all(|&t| {
                let (d, base) = self.split_coeff(t);
                let value = self.like_term_value(base);
                values.push(value);
                sums.get(&value).is_some_and(|(total, written)| *total == c.clone() * d && *written == base)
            });
            if unchanged {
                candidates.push((c.clone(), *sum, values));
            }
        }
        let mut bracketed = Vec::new();
        for (i, (c, sum, values)) in candidates.iter().enumerate() {
            let overlaps =
                candidates.iter().enumerate().any(|(j, other)| j != i && other.2.iter().any(|v| values.contains(v)));
            if overlaps {
                continue;
            }
            for v in values {
                sums.remove(v);
            }
            bracketed.push(self.scale(c.clone(), *sum));
        }
        bracketed
    }

    /// The sums among `terms` that also occur inside another of `terms`
    /// (`s + W^T (f .* s)` with `s = a + b`): they stay whole instead of
    /// being flattened, so a chain of such sums (the adjoints of a residual
    /// network) grows linearly and prints as one binding per sum (rule
    /// `keep_shared_sums`).
    pub(super) fn shared_sums(&mut self, terms: &[ExprId]) -> Vec<ExprId> {
        let mut shared = Vec::new();
        for &t in terms {
            let Node::Add(inner) = self.node(t).clone() else { continue };
            if !terms.iter().any(|&other| other != t && self.occurs_within(t, other, SHARED_SUM_SEARCH_NODES)) {
                continue;
            }
            // A term like one outside (`s + W s + a` with `a` in `s`) merges:
            // flattening wins, as for bracketed scaled sums.
            let outside = self.term_bases(terms.iter().copied().filter(|&o| o != t));
            if inner.iter().any(|&u| outside.contains(&self.split_coeff(u).1)) {
                continue;
            }
            shared.push(t);
        }
        shared
    }

    /// The bases (terms without their coefficients) of `terms` with sums
    /// among them, scaled or not, flattened.
    pub(super) fn term_bases(&mut self, terms: impl Iterator<Item = ExprId>) -> FastSet<ExprId> {
        let mut bases = FastSet::default();
        let mut stack: Vec<ExprId> = terms.collect();
        while let Some(t) = stack.pop() {
            match self.node(t).clone() {
                Node::Add(children) => stack.extend(children.iter().copied()),
                Node::Scale(_, sum) if matches!(self.node(sum), Node::Add(_)) => stack.push(sum),
                _ => {
                    let (_, base) = self.split_coeff(t);
                    bases.insert(base);
                }
            }
        }
        bases
    }

    /// Puts back together the terms of a sum that also occurs inside another
    /// term (`a + b + W (a + b)` → `(a + b) + W (a + b)`), however the sum
    /// was built (rule `keep_shared_sums`, for sums that were flattened
    /// before they met the term that contains them, as in parsing); `true`
    /// if it did.
    pub(super) fn regroup_shared_sums(&mut self, kept: &mut Vec<ExprId>) -> bool {
        let present: FastSet<ExprId> = kept.iter().copied().collect();
        let mut stack = Vec::new();
        for &holder in kept.iter() {
            stack.clear();
            self.push_children(holder, &mut stack);
            let mut seen = 0;
            while let Some(id) = stack.pop() {
                seen += 1;
                if seen > SHARED_SUM_SEARCH_NODES {
                    break;
                }
                if let Node::Add(terms) = self.node(id).clone() {
                    if terms.len() < kept.len() && terms.iter().all(|t| present.contains(t) && *t != holder) {
                        let inner: FastSet<ExprId> = terms.iter().copied().collect();
                        let rest: Vec<ExprId> = kept.iter().copied().filter(|t| !inner.contains(t)).collect();
                        // As in `shared_sums`: a term like one outside would merge instead.
                        let outside = self.term_bases(rest.iter().copied());
                        if terms.iter().any(|&u| outside.contains(&self.split_coeff(u).1)) {
                            continue;
                        }
                        *kept = rest;
                        kept.push(id);
                        return true;
                    }
                }
                self.push_children(id, &mut stack);
            }
        }
        false
    }

    /// Pushes the children of `id` onto `stack` (without allocating, unlike
    /// [`Graph::children`]; definitions' names have none).
    pub(super) fn push_children(&self, id: ExprId, stack: &mut Vec<ExprId>) {
        match self.node(id) {
            Node::Add(c) | Node::Mul(c) | Node::Hadamard(c) => stack.extend(c.iter().copied()),
            Node::Scale(_, a)
            | Node::Transpose(a)
            | Node::Inverse(a)
            | Node::Apply(_, a)
            | Node::Opaque(_, a)
            | Node::Upstream { arg: a, .. } => stack.push(*a),
            Node::Pow(a, b) | Node::Kron(a, b) => {
                stack.push(*a);
                stack.push(*b);
            }
            Node::Const(_)
            | Node::Var(_)
            | Node::Identity(_)
            | Node::Ones(_)
            | Node::Zero(_)
            | Node::Commutation(..)
            | Node::Duplication(_) => {}
        }
    }

    /// Whether `needle` is a proper subterm of `haystack`, looking at no
    /// more than `budget` nodes (definitions' names are not entered).
    pub(super) fn occurs_within(&self, needle: ExprId, haystack: ExprId, budget: usize) -> bool {
        let mut stack = Vec::new();
        self.push_children(haystack, &mut stack);
        let mut seen = 0;
        while let Some(id) = stack.pop() {
            if id == needle {
                return true;
            }
            seen += 1;
            if seen > budget {
                return false;
            }
            // A subterm is built before the terms containing it.
            if id > needle {
                self.push_children(id, &mut stack);
            }
        }
        false
    }
}
