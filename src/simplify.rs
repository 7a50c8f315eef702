//! The simplifier: canonicalising constructors for every node kind.
//!
//! Every node enters the graph through these constructors, so the graph
//! only ever holds canonical forms: transposes pushed to the leaves,
//! coefficients folded into one exact `Scale` in front, like terms merged,
//! zeros and identities removed, commutative children in a structural
//! order. None of them changes a value. `rename_definitions` rewrites a
//! finished result so subterms the user named print by their names.

use std::cmp::Ordering;

use num_traits::{One, Signed, Zero};

use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, FastMap, FastSet, Func, Graph, Node, Role, SymbolId};
use crate::shape::{Dim, Shape};

/// Largest integer exponent folded exactly into a constant.
const MAX_FOLDED_POWER_BITS: u64 = 4096;
/// Nodes looked at when checking whether a sum occurs inside another term
/// of the same sum (rule `keep_shared_sums`).
const SHARED_SUM_SEARCH_NODES: usize = 256;

impl Graph {
    /// The scalar constant `c`.
    pub fn constant(&mut self, c: Coeff) -> ExprId {
        self.intern(Node::Const(c), Shape::SCALAR)
    }

    /// The integer constant `n`.
    pub fn int(&mut self, n: i64) -> ExprId {
        self.constant(coeff::int(n))
    }

    /// The variable node of a symbol. A definition's identity is its value:
    /// a second definition of the same value (`z = W x; u = W x`) is the
    /// node of the first, so `z - u` is 0.
    pub fn var(&mut self, symbol: SymbolId) -> ExprId {
        let symbol = match self.symbol(symbol).role {
            Role::Definition(value) => self.definition_of(value).unwrap_or(symbol),
            _ => symbol,
        };
        let shape = self.symbol(symbol).shape;
        self.intern(Node::Var(symbol), shape)
    }

    /// Zero of the given shape.
    pub fn zero(&mut self, shape: Shape) -> ExprId {
        if shape.is_scalar() {
            self.int(0)
        } else {
            self.intern(Node::Zero(shape), shape)
        }
    }

    /// The n×n identity.
    pub fn identity(&mut self, n: Dim) -> ExprId {
        if n == Dim::ONE {
            self.int(1)
        } else {
            self.intern(Node::Identity(n), Shape::square(n))
        }
    }

    /// All ones of the given shape.
    pub fn ones(&mut self, shape: Shape) -> ExprId {
        if shape.is_scalar() {
            self.int(1)
        } else {
            self.intern(Node::Ones(shape), shape)
        }
    }

    /// `true` if `id` is a zero of any shape.
    pub fn is_zero(&self, id: ExprId) -> bool {
        match self.node(id) {
            Node::Zero(_) => true,
            Node::Const(c) => c.is_zero(),
            _ => false,
        }
    }

    /// The constant value of `id`, if it is a constant.
    pub fn as_const(&self, id: ExprId) -> Option<&Coeff> {
        match self.node(id) {
            Node::Const(c) => Some(c),
            _ => None,
        }
    }

    /// `c · a`.
    pub fn scale(&mut self, c: Coeff, a: ExprId) -> ExprId {
        if c.is_zero() {
            return self.zero(self.shape(a));
        }
        if c.is_one() {
            return a;
        }
        match self.node(a).clone() {
            Node::Const(d) => self.constant(c * d),
            Node::Zero(_) => a,
            Node::Scale(d, b) => self.scale(c * d, b),
            // `-2 (-u - v)` as `2 (u + v)`: one sign for a bracketed sum.
            Node::Add(_) if self.mostly_negative(a) => {
                let flipped = self.neg_terms(a);
                if self.mostly_negative(flipped) {
                    let shape = self.shape(a);
                    return self.intern(Node::Scale(c, a), shape);
                }
                self.scale(-c, flipped)
            }
            _ => {
                let shape = self.shape(a);
                self.intern(Node::Scale(c, a), shape)
            }
        }
    }

    /// `-a`.
    pub fn neg(&mut self, a: ExprId) -> ExprId {
        self.scale(coeff::int(-1), a)
    }

    /// Splits `c · base` (constants are `c · 1`).
    pub fn split_coeff(&mut self, id: ExprId) -> (Coeff, ExprId) {
        match self.node(id).clone() {
            Node::Scale(c, b) => (c, b),
            Node::Const(c) => {
                let one = self.int(1);
                (c, one)
            }
            _ => (Coeff::one(), id),
        }
    }

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
        let mut order: Vec<ExprId> = Vec::new();
        let mut sums: FastMap<ExprId, (Coeff, ExprId)> = FastMap::default();
        for t in flat {
            let (c, base) = self.split_coeff(t);
            let value = self.through_definitions(base);
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
        if kept.len() >= 2 {
            if let Some(merged) = self.merge_diagonals(&kept) {
                return merged;
            }
            if let Some(factored) = self.factor_common(&kept, shape) {
                return factored;
            }
        }
        match kept.len() {
            0 => self.zero(shape),
            1 => kept[0],
            _ => {
                kept.sort_by(|a, b| self.term_order(*a, *b));
                self.intern(Node::Add(kept.into_boxed_slice()), shape)
            }
        }
    }

    /// A bracket expanded for a like term whose terms came out of the
    /// merge unchanged (the like term cancelled elsewhere: `(s - s) - s`
    /// built at once) is put back (`-s`, as `0 - s` built in two steps
    /// gives): its terms are taken out of `sums` and returned bracketed.
    /// Brackets sharing a term are left expanded, whatever their order.
    fn bracket_again(
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
                let value = self.through_definitions(base);
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

    /// The value a definition's name stands for (through chains of
    /// definitions); any other node itself.
    pub fn through_definitions(&self, mut id: ExprId) -> ExprId {
        while let Node::Var(s) = self.node(id) {
            match self.definition_value(*s) {
                Some(value) => id = value,
                None => break,
            }
        }
        id
    }

    /// Of two ways to write one value, whether `a` is the one to keep: a
    /// name before its value, and the first name in alphabetical order.
    fn names_before(&self, a: ExprId, b: ExprId) -> bool {
        match (self.node(a), self.node(b)) {
            (Node::Var(x), Node::Var(y)) => self.symbol(*x).name < self.symbol(*y).name,
            (Node::Var(_), _) => true,
            _ => false,
        }
    }

    /// The sums among `terms` that also occur inside another of `terms`
    /// (`s + W^T (f .* s)` with `s = a + b`): they stay whole instead of
    /// being flattened, so a chain of such sums (the adjoints of a residual
    /// network) grows linearly and prints as one binding per sum (rule
    /// `keep_shared_sums`).
    fn shared_sums(&mut self, terms: &[ExprId]) -> Vec<ExprId> {
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
    fn term_bases(&mut self, terms: impl Iterator<Item = ExprId>) -> FastSet<ExprId> {
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
    fn regroup_shared_sums(&mut self, kept: &mut Vec<ExprId>) -> bool {
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
    fn push_children(&self, id: ExprId, stack: &mut Vec<ExprId>) {
        match self.node(id) {
            Node::Add(c) | Node::Mul(c) | Node::Hadamard(c) => stack.extend(c.iter().copied()),
            Node::Scale(_, a)
            | Node::Transpose(a)
            | Node::Inverse(a)
            | Node::Apply(_, a)
            | Node::Opaque(_, a)
            | Node::Upstream { arg: a, .. } => stack.push(*a),
            Node::Pow(a, b) => {
                stack.push(*a);
                stack.push(*b);
            }
            Node::Const(_) | Node::Var(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) => {}
        }
    }

    /// Whether `needle` is a proper subterm of `haystack`, looking at no
    /// more than `budget` nodes (definitions' names are not entered).
    fn occurs_within(&self, needle: ExprId, haystack: ExprId, budget: usize) -> bool {
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

    /// `a diag(u) + b diag(v) → diag(a u + b v)` (rule `merge_diagonals`).
    fn merge_diagonals(&mut self, terms: &[ExprId]) -> Option<ExprId> {
        let mut diagonals = Vec::new();
        let mut others = Vec::new();
        for &t in terms {
            let (c, base) = self.split_coeff(t);
            match self.node(base).clone() {
                Node::Apply(Func::DiagMat, v) => diagonals.push(self.scale(c, v)),
                _ => others.push(t),
            }
        }
        if diagonals.len() < 2 {
            return None;
        }
        let inner = self.add(diagonals);
        others.push(self.apply(Func::DiagMat, inner));
        Some(self.add(others))
    }

    /// Factors a matrix shared on the left by column-vector terms
    /// (`A u + A v → A (u + v)`), or, in a matrix sum, a row vector shared
    /// on the right (`u x^T + v x^T → (u + v) x^T`) or a column vector
    /// shared on the left (`x u^T + x v^T → x (u + v)^T`), whichever
    /// transposing the sum would pick too (rule `factor_common`).
    fn factor_common(&mut self, terms: &[ExprId], shape: Shape) -> Option<ExprId> {
        let column = shape.cols == Dim::ONE && !shape.is_scalar();
        let matrix = shape.cols != Dim::ONE && shape.rows != Dim::ONE;
        let (left, split, shared) = if column {
            let split = self.split_shared(terms, true, false);
            let shared = self.pick_shared(&split)?;
            (true, split, shared)
        } else if matrix {
            let left_split = self.split_shared(terms, true, true);
            let right_split = self.split_shared(terms, false, true);
            match (self.pick_shared(&left_split), self.pick_shared(&right_split)) {
                (None, None) => return None,
                (Some(l), None) => (true, left_split, l),
                (None, Some(r)) => (false, right_split, r),
                (Some(l), Some(r)) => {
                    // Compared as columns, so that the transposed sum picks the same vector.
                    let r_column = self.transpose(r);
                    if self.key(l) <= self.key(r_column) {
                        (true, left_split, l)
                    } else {
                        (false, right_split, r)
                    }
                }
            }
        } else {
            return None;
        };
        let mut remainders = Vec::new();
        let mut others = Vec::new();
        for (t, parts) in split {
            match parts {
                Some((s, rest)) if s == shared => remainders.push(rest),
                _ => others.push(t),
            }
        }
        let inner = self.add(remainders);
        let product = if left { self.mul(vec![shared, inner]) } else { self.mul(vec![inner, shared]) };
        others.push(product);
        Some(self.add(others))
    }

    /// Each term with its first (`left`) or last matrix-chain factor and the
    /// rest of the term; `vector` asks for a column (left) or row (right)
    /// vector factor.
    #[allow(clippy::type_complexity)]
    fn split_shared(&mut self, terms: &[ExprId], left: bool, vector: bool) -> Vec<(ExprId, Option<(ExprId, ExprId)>)> {
        let mut split = Vec::with_capacity(terms.len());
        for &t in terms {
            let (c, base) = self.split_coeff(t);
            let parts = match self.node(base).clone() {
                Node::Mul(factors) => {
                    let chain_start = factors.iter().position(|f| !self.shape(*f).is_scalar());
                    match chain_start {
                        Some(start) if factors.len() - start >= 2 => {
                            if left {
                                let shared = factors[start];
                                if vector && self.shape(shared).cols != Dim::ONE {
                                    None
                                } else {
                                    let mut rest: Vec<ExprId> = factors[..start].to_vec();
                                    rest.extend(factors[start + 1..].iter().copied());
                                    Some((shared, rest))
                                }
                            } else {
                                let shared = *factors.last().unwrap();
                                if self.shape(shared).rows != Dim::ONE {
                                    None
                                } else {
                                    Some((shared, factors[..factors.len() - 1].to_vec()))
                                }
                            }
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            let parts = match parts {
                Some((shared, rest)) => {
                    let rest = self.mul(rest);
                    Some((shared, self.scale(c, rest)))
                }
                None => None,
            };
            split.push((t, parts));
        }
        split
    }

    /// The factor shared by at least two terms of `split` (the smallest by
    /// structural key if several are).
    fn pick_shared(&self, split: &[(ExprId, Option<(ExprId, ExprId)>)]) -> Option<ExprId> {
        let mut counts: FastMap<ExprId, usize> = FastMap::default();
        for (_, parts) in split {
            if let Some((shared, _)) = parts {
                *counts.entry(*shared).or_default() += 1;
            }
        }
        counts.iter().filter(|(_, n)| **n >= 2).map(|(id, _)| *id).min_by_key(|id| self.key(*id))
    }

    /// Orders commutative factors: names first, then transposed names,
    /// function applications, and compound factors last.
    fn factor_order(&self, a: ExprId, b: ExprId) -> Ordering {
        let rank = |g: &Graph, x: ExprId| -> u8 {
            match g.node(x) {
                Node::Const(_) => 0,
                Node::Var(_) => 1,
                Node::Transpose(_) | Node::Upstream { .. } => 2,
                Node::Apply(..) | Node::Pow(..) | Node::Opaque(..) => 3,
                _ => 4,
            }
        };
        rank(self, a)
            .cmp(&rank(self, b))
            .then_with(|| self.leading_name(a).cmp(self.leading_name(b)))
            .then(self.key(a).cmp(&self.key(b)))
            .then(a.cmp(&b))
    }

    /// The name a term starts with when printed (`A1` for `A1 x`), so
    /// sums and products come out in an order a reader expects.
    fn leading_name(&self, mut id: ExprId) -> &str {
        for _ in 0..64 {
            match self.node(id) {
                Node::Var(s) => return &self.symbol(*s).name,
                Node::Const(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) => return "",
                Node::Opaque(s, _) => return &self.symbol(*s).name,
                Node::Upstream { loss, .. } => return &self.symbol(*loss).name,
                Node::Scale(_, a) | Node::Transpose(a) | Node::Inverse(a) | Node::Apply(_, a) | Node::Pow(a, _) => {
                    id = *a
                }
                Node::Add(c) | Node::Mul(c) | Node::Hadamard(c) => id = c[0],
            }
        }
        ""
    }

    /// Orders sum terms: positive constants, then positive terms, then
    /// negative ones, then negative constants; within each, by structural key.
    fn term_order(&self, a: ExprId, b: ExprId) -> Ordering {
        let rank = |g: &Graph, x: ExprId| -> (u8, u8) {
            let (sign, base) = match g.node(x) {
                // `1 - σ`, but `k + y - 1`.
                Node::Const(c) if c.is_negative() => return (3, 0),
                Node::Const(_) => return (0, 0),
                Node::Scale(c, b) if c.is_negative() => (2, *b),
                Node::Scale(_, b) => (1, *b),
                _ => (1, x),
            };
            let simple = match g.node(base) {
                Node::Var(_) | Node::Transpose(_) | Node::Identity(_) | Node::Ones(_) | Node::Upstream { .. } => 1,
                _ => 0,
            };
            (sign, simple)
        };
        rank(self, a)
            .cmp(&rank(self, b))
            .then_with(|| self.leading_name(a).cmp(self.leading_name(b)))
            .then(self.key(a).cmp(&self.key(b)))
            .then(a.cmp(&b))
    }

    /// The product of `factors` (scalar factors scale; the others form a
    /// matrix chain in order). Coefficients move in front, identities
    /// drop, `A^-1 A` cancels, equal scalar factors become powers, and a
    /// 1×1 chain is written in its canonical orientation.
    pub fn mul(&mut self, factors: Vec<ExprId>) -> ExprId {
        let mut c = Coeff::one();
        let mut scalars: Vec<ExprId> = Vec::new();
        let mut chain: Vec<ExprId> = Vec::new();
        let mut stack: Vec<ExprId> = factors.into_iter().rev().collect();
        let mut zero_shape: Option<()> = None;
        let mut identity_dim: Option<Dim> = None;
        while let Some(f) = stack.pop() {
            let shape = self.shape(f);
            match self.node(f).clone() {
                Node::Const(d) => {
                    c *= d;
                    self.bound_constant(&mut c);
                }
                Node::Scale(d, b) => {
                    c *= d;
                    self.bound_constant(&mut c);
                    stack.push(b);
                }
                Node::Mul(children) if !self.is_inner_product(f) => stack.extend(children.iter().rev().copied()),
                Node::Zero(_) => {
                    zero_shape = Some(());
                    chain.push(f);
                }
                Node::Identity(n) => identity_dim = Some(n),
                Node::Add(_) if self.mostly_negative(f) => {
                    let flipped = self.flip_sign_out(f, &mut c);
                    if shape.is_scalar() {
                        scalars.push(flipped)
                    } else {
                        chain.push(flipped)
                    }
                }
                _ if shape.is_scalar() => scalars.push(f),
                _ => chain.push(f),
            }
        }
        let result_shape = match (chain.first(), chain.last()) {
            (Some(first), Some(last)) => Shape::new(self.shape(*first).rows, self.shape(*last).cols),
            _ => identity_dim.map_or(Shape::SCALAR, Shape::square),
        };
        // Chain rules can enable each other (`diag(u) A A^-1 v`): run to a fixpoint.
        loop {
            let before = chain.clone();
            cancel_inverses(self, &mut chain);
            self.merge_diagonal_factors(&mut chain);
            self.extract_inner_products(&mut chain, &mut scalars);
            if chain == before {
                break;
            }
        }
        // A merge may have produced a scaled factor or a product: flatten again.
        if chain.iter().any(|f| matches!(self.node(*f), Node::Scale(..) | Node::Mul(_) | Node::Const(_))) {
            let mut again = scalars;
            again.push(self.constant(c));
            again.extend(chain);
            return self.mul(again);
        }
        if chain.iter().any(|f| matches!(self.node(*f), Node::Zero(_))) {
            zero_shape = Some(());
        }
        if zero_shape.is_some() || c.is_zero() {
            return self.zero(result_shape);
        }
        if chain.is_empty() && !result_shape.is_scalar() {
            chain.push(self.identity(result_shape.rows));
        }
        let mut scalars = self.merge_scalar_powers(scalars, &mut c);
        if chain.len() >= 2
            && self.shape(chain[0]).rows == Dim::ONE
            && self.shape(*chain.last().unwrap()).cols == Dim::ONE
        {
            let inner = match self.inner_product_as_sum(&chain) {
                Some(sum) => sum,
                None => {
                    let oriented = self.orient_inner_product(chain);
                    // Transposing may have produced scaled factors: hoist them.
                    let mut bare = Vec::with_capacity(oriented.len());
                    for f in oriented {
                        let (d, base) = self.split_coeff(f);
                        c *= d;
                        bare.push(base);
                    }
                    self.intern(Node::Mul(bare.into_boxed_slice()), Shape::SCALAR)
                }
            };
            let (d, inner) = self.split_coeff(inner);
            c *= d;
            if self.as_const(inner).is_none_or(|x| !x.is_one()) {
                scalars.push(inner);
            }
            scalars = self.merge_scalar_powers(scalars, &mut c);
            chain = Vec::new();
        }
        // Merged powers may have made a sum (`sqrt(k - 1)^2`): flip it as above.
        for scalar in scalars.iter_mut() {
            if self.mostly_negative(*scalar) {
                *scalar = self.flip_sign_out(*scalar, &mut c);
            }
        }
        scalars.sort_by(|a, b| self.factor_order(*a, *b));
        let mut all = scalars;
        all.extend(chain);
        let product = match all.len() {
            0 => return self.constant(c),
            1 => all[0],
            _ => {
                let shape = self.product_shape(&all);
                self.intern(Node::Mul(all.into_boxed_slice()), shape)
            }
        };
        self.scale(c, product)
    }

    /// The mostly negative sum `f` as a factor: its negation, with the sign
    /// moved into the coefficient `c`. If negating expands bracketed terms
    /// (`-(a - b)`) and the result is mostly negative too, the sign stays
    /// and the sum comes back expanded, so that printing and parsing back
    /// give the same sum.
    fn flip_sign_out(&mut self, f: ExprId, c: &mut Coeff) -> ExprId {
        let flipped = self.neg_terms(f);
        if self.mostly_negative(flipped) {
            return self.neg_terms(flipped);
        }
        *c = -c.clone();
        flipped
    }

    /// `true` if a sum has more negative than positive terms (or as many,
    /// with a negative constant): it reads better negated.
    fn mostly_negative(&self, id: ExprId) -> bool {
        let Node::Add(terms) = self.node(id) else { return false };
        let negative = |g: &Graph, t: &ExprId| match g.node(*t) {
            Node::Scale(c, _) | Node::Const(c) => c.is_negative(),
            _ => false,
        };
        let n = terms.iter().filter(|t| negative(self, t)).count();
        let p = terms.len() - n;
        n > p || (n == p && terms.iter().any(|t| matches!(self.node(*t), Node::Const(c) if c.is_negative())))
    }

    /// The sum `id` with every term negated (any other node negated).
    fn neg_terms(&mut self, id: ExprId) -> ExprId {
        let Node::Add(terms) = self.node(id).clone() else { return self.neg(id) };
        let negated = terms.iter().map(|t| self.neg(*t)).collect();
        self.add(negated)
    }

    /// In a chain: `diag(u) diag(v) → diag(u ⊙ v)`, `diag(u) v → u ⊙ v`,
    /// `v^T diag(u) → (v ⊙ u)^T` (rule `merge_diagonal_factors`).
    fn merge_diagonal_factors(&mut self, chain: &mut Vec<ExprId>) {
        let mut i = 0;
        while i + 1 < chain.len() {
            let (a, b) = (chain[i], chain[i + 1]);
            let merged = match (self.node(a).clone(), self.node(b).clone()) {
                (Node::Ones(s), Node::Ones(t)) if s.cols == Dim::ONE && t.rows == Dim::ONE => {
                    Some(self.ones(Shape::new(s.rows, t.cols)))
                }
                (Node::Apply(Func::DiagMat, u), Node::Apply(Func::DiagMat, v)) => {
                    let h = self.hadamard(vec![u, v]);
                    Some(self.apply(Func::DiagMat, h))
                }
                (Node::Apply(Func::DiagMat, u), _) if self.shape(b).is_column() => Some(self.hadamard(vec![u, b])),
                (_, Node::Apply(Func::DiagMat, u)) if self.shape(a).is_row() => {
                    let at = self.transpose(a);
                    let h = self.hadamard(vec![at, u]);
                    Some(self.transpose(h))
                }
                _ => None,
            };
            match merged {
                Some(m) => {
                    chain.splice(i..i + 2, [m]);
                    i = i.saturating_sub(1);
                }
                None => i += 1,
            }
        }
    }

    /// Pulls every 1×1 stretch out of a longer chain as a scalar factor:
    /// `x y^T z → (y^T z) x` (rule `extract_inner_products`).
    fn extract_inner_products(&mut self, chain: &mut Vec<ExprId>, scalars: &mut Vec<ExprId>) {
        let mut i = 0;
        while i < chain.len() {
            if self.shape(chain[i]).rows == Dim::ONE {
                if let Some(j) = (i + 1..chain.len()).find(|&j| self.shape(chain[j]).cols == Dim::ONE) {
                    if !(i == 0 && j == chain.len() - 1) {
                        let segment: Vec<ExprId> = chain.drain(i..=j).collect();
                        scalars.push(self.mul(segment));
                        continue;
                    }
                }
            }
            i += 1;
        }
    }

    /// `u^T v` written as `sum(u ⊙ v)` when a side is a Hadamard product:
    /// one form however the factors were split between the sides
    /// (`(s ⊙ x)^T y = x^T (s ⊙ y)`), and cancelling factors
    /// (`(y ⊘ s)^T s = sum(y)`) (rule `inner_product_as_sum`).
    fn inner_product_as_sum(&mut self, chain: &[ExprId]) -> Option<ExprId> {
        if chain.len() != 2 {
            return None;
        }
        let u = self.transpose(chain[0]);
        let v = chain[1];
        let count = |g: &Graph, x: ExprId| -> usize {
            let (_, base) = match g.node(x) {
                Node::Scale(c, b) => (c.clone(), *b),
                _ => (Coeff::one(), x),
            };
            match g.node(base) {
                Node::Hadamard(f) => f.len(),
                _ => 1,
            }
        };
        if count(self, u) + count(self, v) <= 2 {
            return None;
        }
        let h = self.hadamard(vec![u, v]);
        Some(self.apply(Func::Sum, h))
    }

    /// `true` for a 1×1 product whose factors are all non-scalar (`x^T A y`),
    /// which acts as one scalar factor inside other products.
    pub fn is_inner_product(&self, id: ExprId) -> bool {
        match self.node(id) {
            Node::Mul(children) => self.shape(id).is_scalar() && children.iter().all(|c| !self.shape(*c).is_scalar()),
            _ => false,
        }
    }

    fn product_shape(&self, factors: &[ExprId]) -> Shape {
        let chain: Vec<ExprId> = factors.iter().copied().filter(|f| !self.shape(*f).is_scalar()).collect();
        match (chain.first(), chain.last()) {
            (Some(first), Some(last)) if !self.is_inner_product_slice(&chain) => {
                Shape::new(self.shape(*first).rows, self.shape(*last).cols)
            }
            _ => Shape::SCALAR,
        }
    }

    fn is_inner_product_slice(&self, chain: &[ExprId]) -> bool {
        chain.len() >= 2 && self.shape(chain[0]).rows == Dim::ONE && self.shape(*chain.last().unwrap()).cols == Dim::ONE
    }

    /// Combines equal scalar bases: `k k → k^2`, `k k^-1 → 1`.
    fn merge_scalar_powers(&mut self, scalars: Vec<ExprId>, c: &mut Coeff) -> Vec<ExprId> {
        let mut order: Vec<ExprId> = Vec::new();
        let mut exponents: FastMap<ExprId, Coeff> = FastMap::default();
        let mut others = Vec::new();
        for s in scalars {
            let (base, e) = match self.node(s).clone() {
                Node::Pow(b, e) => match self.node(e).clone() {
                    Node::Const(e) => (b, e),
                    _ => {
                        others.push(s);
                        continue;
                    }
                },
                _ => (s, Coeff::one()),
            };
            match exponents.get_mut(&base) {
                Some(total) => *total += e,
                None => {
                    order.push(base);
                    exponents.insert(base, e);
                }
            }
        }
        for base in order {
            let e = exponents.remove(&base).unwrap_or_default();
            if e.is_zero() {
                continue;
            }
            let exponent = self.constant(e);
            let p = self.pow(base, exponent);
            match self.node(p).clone() {
                Node::Const(d) => *c *= d,
                Node::Scale(d, b) => {
                    *c *= d;
                    others.push(b);
                }
                _ => others.push(p),
            }
        }
        others
    }

    /// Picks between a 1×1 chain and its transpose: fewer transposes, then
    /// the structurally smaller.
    fn orient_inner_product(&mut self, chain: Vec<ExprId>) -> Vec<ExprId> {
        let reversed: Vec<ExprId> = chain.iter().rev().map(|f| self.transpose(*f)).collect();
        let count = |g: &Graph, v: &[ExprId]| v.iter().filter(|f| g.has_transpose_mark(**f)).count();
        let keys = |g: &Graph, v: &[ExprId]| v.iter().map(|f| g.key(*f)).collect::<Vec<_>>();
        let a = (count(self, &chain), keys(self, &chain));
        let b = (count(self, &reversed), keys(self, &reversed));
        if b < a {
            reversed
        } else {
            chain
        }
    }

    /// `true` if `id` prints with a transpose mark (`A^T`, `A^-T`).
    pub fn has_transpose_mark(&self, id: ExprId) -> bool {
        match self.node(id) {
            Node::Transpose(_) => true,
            Node::Inverse(a) => matches!(self.node(*a), Node::Transpose(_)),
            Node::Scale(_, a) => self.has_transpose_mark(*a),
            _ => false,
        }
    }

    /// The Hadamard product: flattened, scalars moved out as scaling,
    /// ones dropped, equal factors merged into powers, sorted.
    pub fn hadamard(&mut self, factors: Vec<ExprId>) -> ExprId {
        let shape = factors.iter().map(|f| self.shape(*f)).find(|s| !s.is_scalar()).unwrap_or(Shape::SCALAR);
        if shape.is_scalar() {
            return self.mul(factors);
        }
        let mut c = Coeff::one();
        let mut scalars = Vec::new();
        let mut order: Vec<ExprId> = Vec::new();
        let mut exponents: FastMap<ExprId, Option<Coeff>> = FastMap::default();
        let mut others = Vec::new();
        let mut stack: Vec<ExprId> = factors.into_iter().rev().collect();
        while let Some(f) = stack.pop() {
            match self.node(f).clone() {
                Node::Hadamard(children) => stack.extend(children.iter().rev().copied()),
                Node::Scale(d, b) => {
                    c *= d;
                    self.bound_constant(&mut c);
                    stack.push(b);
                }
                Node::Const(d) => {
                    c *= d;
                    self.bound_constant(&mut c);
                }
                Node::Zero(_) => return self.zero(shape),
                Node::Ones(_) => {}
                Node::Add(_) if self.mostly_negative(f) => {
                    c = -c;
                    let flipped = self.neg_terms(f);
                    stack.push(flipped);
                }
                _ if self.shape(f).is_scalar() => scalars.push(f),
                Node::Pow(b, e) if self.as_const(e).is_some() => {
                    let e = self.as_const(e).cloned();
                    merge_exponent(&mut order, &mut exponents, b, e);
                }
                _ => merge_exponent(&mut order, &mut exponents, f, Some(Coeff::one())),
            }
        }
        for base in order {
            match exponents.remove(&base).flatten() {
                Some(e) if e.is_zero() => {}
                Some(e) => {
                    let exponent = self.constant(e);
                    others.push(self.pow(base, exponent));
                }
                None => others.push(base),
            }
        }
        if let Some(distributed) = self.distribute_hadamard(&others) {
            scalars.push(distributed);
            let result = self.mul(scalars);
            return self.scale(c, result);
        }
        let product = match others.len() {
            0 => self.ones(shape),
            1 => others[0],
            _ => {
                // A factor may have become a product again (powers of scaled terms).
                if others.iter().any(|o| matches!(self.node(*o), Node::Scale(..) | Node::Hadamard(_))) {
                    let again = self.hadamard(others);
                    scalars.push(again);
                    let result = self.mul(scalars);
                    return self.scale(c, result);
                }
                others.sort_by(|a, b| self.factor_order(*a, *b));
                self.intern(Node::Hadamard(others.into_boxed_slice()), shape)
            }
        };
        scalars.push(product);
        let result = self.mul(scalars);
        self.scale(c, result)
    }

    /// A Hadamard factor [`Graph::distribute_hadamard`] may distribute: a
    /// sum of at most four non-scalar terms.
    fn distributable(&self, f: ExprId) -> bool {
        match self.node(f) {
            Node::Add(terms) => terms.len() <= 4 && terms.iter().all(|t| !self.shape(*t).is_scalar()),
            _ => false,
        }
    }

    /// `a ⊙ (b + c) → a ⊙ b + a ⊙ c` when that cancels factors
    /// (`σ ⊙ (1 − σ) ⊙ (u ⊘ (1 − σ) − v ⊘ σ) → σ ⊙ u − (1 − σ) ⊙ v`)
    /// (rule `distribute_hadamard`).
    fn distribute_hadamard(&mut self, factors: &[ExprId]) -> Option<ExprId> {
        if factors.len() < 2 {
            return None;
        }
        // One sum at most: with two, the distributed terms would keep the
        // other, and building such a term on its own (as parsing the printed
        // result does) would distribute it, a different canonical form.
        let candidates: Vec<usize> =
            factors.iter().enumerate().filter(|(_, f)| self.distributable(**f)).map(|(i, _)| i).collect();
        if candidates.len() != 1 {
            return None;
        }
        // Never nested: repeated distribution is exponential (`z ⊙ sin(z)`
        // chains). A product built during a distribution that could itself
        // distribute makes that distribution give up instead, so every
        // product in the graph has the form it has when built on its own.
        if self.distributing {
            self.distribution_blocked = true;
            return None;
        }
        let count = |g: &Graph, x: ExprId| -> usize {
            let base = match g.node(x) {
                Node::Scale(_, b) => *b,
                _ => x,
            };
            match g.node(base) {
                Node::Hadamard(f) => f.len(),
                Node::Const(_) | Node::Ones(_) => 0,
                _ => 1,
            }
        };
        for position in candidates {
            let Node::Add(terms) = self.node(factors[position]).clone() else { continue };
            let rest: Vec<ExprId> =
                factors.iter().enumerate().filter(|(i, _)| *i != position).map(|(_, f)| *f).collect();
            let before: usize = terms.iter().map(|t| rest.len() + count(self, *t)).sum();
            let mut distributed = Vec::with_capacity(terms.len());
            let mut after = 0;
            self.distributing = true;
            self.distribution_blocked = false;
            for t in terms.iter() {
                let mut product = rest.clone();
                product.push(*t);
                let d = self.hadamard(product);
                after += count(self, d);
                distributed.push(d);
            }
            self.distributing = false;
            if self.distribution_blocked {
                return None;
            }
            if after < before {
                return Some(self.add(distributed));
            }
        }
        None
    }

    /// Elementwise power `base .^ exponent` (a scalar power for scalars).
    pub fn pow(&mut self, base: ExprId, exponent: ExprId) -> ExprId {
        let shape = self.shape(base);
        if let Some(e) = self.as_const(exponent).cloned() {
            if e.is_zero() {
                return self.ones(shape);
            }
            if e.is_one() {
                return base;
            }
            let integer = coeff::to_i64(&e);
            match self.node(base).clone() {
                Node::Const(b) => {
                    if let Some(n) = integer {
                        let bits = coeff::digits(&b).saturating_mul(n.unsigned_abs());
                        if bits <= MAX_FOLDED_POWER_BITS && !(b.is_zero() && n < 0) {
                            let magnitude = num_traits::pow(b.clone(), n.unsigned_abs() as usize);
                            return self.constant(if n < 0 { magnitude.recip() } else { magnitude });
                        }
                    } else if b.is_one() {
                        return base;
                    }
                }
                Node::Ones(_) => return base,
                Node::Zero(_) if e.is_positive() => return base,
                Node::Pow(inner, e1) if integer.is_some() => {
                    if let Some(e1) = self.as_const(e1).cloned() {
                        let product = self.constant(e1 * e.clone());
                        return self.pow(inner, product);
                    }
                }
                Node::Scale(c, inner) if integer.is_some() => {
                    let n = integer.unwrap_or(1);
                    let bits = coeff::digits(&c).saturating_mul(n.unsigned_abs());
                    if bits <= MAX_FOLDED_POWER_BITS {
                        let magnitude = num_traits::pow(c.clone(), n.unsigned_abs() as usize);
                        let factor = if n < 0 { magnitude.recip() } else { magnitude };
                        let p = self.pow(inner, exponent);
                        return self.scale(factor, p);
                    }
                }
                Node::Hadamard(children) if integer.is_some() => {
                    let powered: Vec<ExprId> = children.iter().map(|c| self.pow(*c, exponent)).collect();
                    return self.hadamard(powered);
                }
                Node::Mul(children) if integer.is_some() && shape.is_scalar() && !self.is_inner_product(base) => {
                    let powered: Vec<ExprId> = children.iter().map(|c| self.pow(*c, exponent)).collect();
                    return self.mul(powered);
                }
                Node::Apply(Func::Sqrt, inner) if integer.is_some_and(|n| n % 2 == 0) => {
                    let half = self.constant(e / coeff::int(2));
                    return self.pow(inner, half);
                }
                // `(k - 1/2)^-1` as `-(1/2 - k)^-1`, as a product or quotient
                // flips a mostly negative sum: one form however it was built.
                Node::Add(_) if integer.is_some() && self.mostly_negative(base) => {
                    let flipped = self.neg_terms(base);
                    if !self.mostly_negative(flipped) {
                        let p = self.pow(flipped, exponent);
                        return if integer.is_some_and(|n| n % 2 == 0) { p } else { self.neg(p) };
                    }
                }
                _ => {}
            }
        }
        self.intern(Node::Pow(base, exponent), shape)
    }

    /// `base .^ c` for a constant exponent.
    pub fn powc(&mut self, base: ExprId, c: Coeff) -> ExprId {
        let exponent = self.constant(c);
        self.pow(base, exponent)
    }

    /// The transpose, pushed towards the leaves.
    pub fn transpose(&mut self, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        if shape.is_scalar() {
            return a;
        }
        match self.node(a).clone() {
            Node::Const(_) | Node::Identity(_) => a,
            Node::Zero(s) => self.zero(s.transpose()),
            Node::Ones(s) => self.ones(s.transpose()),
            Node::Transpose(b) => b,
            Node::Add(terms) => {
                let t = terms.iter().map(|x| self.transpose(*x)).collect();
                self.add(t)
            }
            Node::Mul(factors) => {
                let t = factors.iter().rev().map(|x| self.transpose(*x)).collect();
                self.mul(t)
            }
            Node::Scale(c, b) => {
                let t = self.transpose(b);
                self.scale(c, t)
            }
            Node::Hadamard(factors) => {
                let t = factors.iter().map(|x| self.transpose(*x)).collect();
                self.hadamard(t)
            }
            Node::Pow(b, e) => {
                let t = self.transpose(b);
                self.pow(t, e)
            }
            Node::Inverse(b) => {
                let t = self.transpose(b);
                self.inverse(t)
            }
            Node::Apply(f, b) if f.is_elementwise() && !self.shape(b).is_column() => {
                let t = self.transpose(b);
                self.apply(f, t)
            }
            _ if self.is_symmetric(a) => a,
            _ => self.intern(Node::Transpose(a), shape.transpose()),
        }
    }

    /// The inverse of a square matrix (`a^-1` for scalars).
    pub fn inverse(&mut self, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        if shape.is_scalar() {
            return self.powc(a, coeff::int(-1));
        }
        match self.node(a).clone() {
            Node::Inverse(b) => b,
            Node::Identity(_) => a,
            Node::Scale(c, b) => {
                let inv = self.inverse(b);
                self.scale(c.recip(), inv)
            }
            Node::Mul(factors) if factors.iter().all(|f| self.shape(*f).is_square()) => {
                let inverses = factors.iter().rev().map(|f| self.inverse(*f)).collect();
                self.mul(inverses)
            }
            _ => self.intern(Node::Inverse(a), shape),
        }
    }

    /// A built-in function applied to `a`.
    pub fn apply(&mut self, f: Func, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        if f.is_elementwise() {
            if let Some(folded) = self.fold_elementwise(f, a) {
                return folded;
            }
            if let Node::Transpose(b) = self.node(a).clone() {
                if self.shape(b).is_column() {
                    let inner = self.apply(f, b);
                    return self.transpose(inner);
                }
            }
            return self.intern(Node::Apply(f, a), shape);
        }
        let node = self.node(a).clone();
        match f {
            Func::Trace => self.trace(a),
            Func::Sum => match node {
                _ if shape.is_scalar() => a,
                Node::Scale(c, b) => {
                    let s = self.apply(Func::Sum, b);
                    self.scale(c, s)
                }
                Node::Add(terms) if terms.iter().all(|t| !self.shape(*t).is_scalar()) => {
                    let sums = terms.iter().map(|t| self.apply(Func::Sum, *t)).collect();
                    self.add(sums)
                }
                Node::Transpose(b) => self.apply(Func::Sum, b),
                Node::Apply(Func::DiagMat, v) => self.apply(Func::Sum, v),
                Node::Zero(_) => self.int(0),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::Norm2 => match node {
                _ if shape.is_scalar() => self.powc(a, coeff::int(2)),
                Node::Scale(c, b) => {
                    let n = self.apply(Func::Norm2, b);
                    self.scale(c.clone() * c, n)
                }
                Node::Transpose(b) => self.apply(Func::Norm2, b),
                Node::Zero(_) => self.int(0),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::Norm | Func::Norm1 => match node {
                _ if shape.is_scalar() => self.apply(Func::Abs, a),
                Node::Scale(c, b) => {
                    let n = self.apply(f, b);
                    self.scale(c.abs(), n)
                }
                Node::Transpose(b) => self.apply(f, b),
                Node::Zero(_) => self.int(0),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::Det => match node {
                _ if shape.is_scalar() => a,
                Node::Transpose(b) => self.apply(Func::Det, b),
                Node::Inverse(b) => {
                    let d = self.apply(Func::Det, b);
                    self.powc(d, coeff::int(-1))
                }
                Node::Identity(_) => self.int(1),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::LogDet => match node {
                _ if shape.is_scalar() => self.apply(Func::Log, a),
                Node::Transpose(b) => self.apply(Func::LogDet, b),
                Node::Inverse(b) => {
                    let d = self.apply(Func::LogDet, b);
                    self.neg(d)
                }
                Node::Identity(_) => self.int(0),
                _ => self.intern(Node::Apply(f, a), Shape::SCALAR),
            },
            Func::DiagMat => match node {
                _ if shape.is_scalar() => a,
                Node::Zero(_) => self.zero(Shape::square(shape.rows)),
                Node::Ones(s) => self.identity(s.rows),
                Node::Scale(c, b) => {
                    let d = self.apply(Func::DiagMat, b);
                    self.scale(c, d)
                }
                Node::Apply(Func::DiagVec, _) if false => a,
                _ => self.intern(Node::Apply(f, a), Shape::square(shape.rows)),
            },
            Func::DiagVec => match node {
                _ if shape.is_scalar() => a,
                // diag(u v^T) = u .* v
                // diag(u v^T) = u .* v, where the chain passes through a vector.
                Node::Mul(factors) if self.column_split(&factors).is_some() => {
                    let j = self.column_split(&factors).unwrap_or_default();
                    let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                        factors.iter().partition(|f| self.shape(**f).is_scalar());
                    let j = j - scalars.len();
                    let u = self.mul(chain[..=j].to_vec());
                    let right = self.mul(chain[j + 1..].to_vec());
                    let v = self.transpose(right);
                    let product = self.hadamard(vec![u, v]);
                    let mut all = scalars;
                    all.push(product);
                    self.mul(all)
                }
                Node::Zero(_) => self.zero(Shape::column(shape.rows)),
                Node::Apply(Func::DiagMat, v) => v,
                Node::Identity(n) => self.ones(Shape::column(n)),
                Node::Transpose(b) => self.apply(Func::DiagVec, b),
                Node::Scale(c, b) => {
                    let d = self.apply(Func::DiagVec, b);
                    self.scale(c, d)
                }
                _ => self.intern(Node::Apply(f, a), Shape::column(shape.rows)),
            },
            Func::Softmax => self.intern(Node::Apply(f, a), shape),
            Func::LogSumExp => self.intern(Node::Apply(f, a), Shape::SCALAR),
            _ => unreachable!("elementwise functions handled above"),
        }
    }

    /// In a product chain, the position of a column-vector factor other
    /// than the last: there the chain is an outer product (`A x y^T B`).
    fn column_split(&self, factors: &[ExprId]) -> Option<usize> {
        let last = factors.len().checked_sub(1)?;
        (0..last).find(|&j| {
            let shape = self.shape(factors[j]);
            !shape.is_scalar() && shape.cols == Dim::ONE
        })
    }

    /// The trace, with the cyclic property used to drop it where the chain
    /// passes through a vector (`tr(x y^T) = y^T x`) and to pick one
    /// canonical rotation.
    fn trace(&mut self, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        match self.node(a).clone() {
            _ if shape.is_scalar() => a,
            Node::Scale(c, b) => {
                let t = self.trace(b);
                self.scale(c, t)
            }
            Node::Add(terms) if terms.iter().all(|t| !self.shape(*t).is_scalar()) => {
                let traces = terms.iter().map(|t| self.trace(*t)).collect();
                self.add(traces)
            }
            Node::Transpose(b) => self.trace(b),
            // tr(A^-T) = tr(A^-1).
            Node::Inverse(b) if matches!(self.node(b), Node::Transpose(_)) => {
                let t = self.transpose(a);
                self.trace(t)
            }
            Node::Apply(Func::DiagMat, v) => self.apply(Func::Sum, v),
            Node::Zero(_) => self.int(0),
            Node::Mul(factors) => {
                let (mut scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                    factors.iter().partition(|f| self.shape(**f).is_scalar());
                let n = chain.len();
                if n == 1 {
                    // `tr(s M)` = s tr(M): no rotation to choose.
                    scalars.push(self.trace(chain[0]));
                    return self.mul(scalars);
                }
                // Rotate to a cut where the chain is a vector: the trace drops.
                for i in 1..n {
                    if self.shape(chain[i - 1]).cols == Dim::ONE {
                        let rotated: Vec<ExprId> = chain[i..].iter().chain(chain[..i].iter()).copied().collect();
                        scalars.push(self.mul(rotated));
                        return self.mul(scalars);
                    }
                }
                let mut best: Option<(usize, Vec<u64>, Vec<ExprId>)> = None;
                let transposed: Vec<ExprId> = chain.iter().rev().map(|f| self.transpose(*f)).collect();
                for candidate in [&chain, &transposed] {
                    for i in 0..n {
                        let rotated: Vec<ExprId> =
                            candidate[i..].iter().chain(candidate[..i].iter()).copied().collect();
                        if self.shape(rotated[0]).rows != self.shape(*rotated.last().unwrap()).cols {
                            continue;
                        }
                        let marks = rotated.iter().filter(|f| self.has_transpose_mark(**f)).count();
                        let keys: Vec<u64> = rotated.iter().map(|f| self.key(*f)).collect();
                        if best.as_ref().is_none_or(|(m, k, _)| (marks, &keys) < (*m, k)) {
                            best = Some((marks, keys, rotated));
                        }
                    }
                }
                let rotated = best.map(|b| b.2).unwrap_or(chain);
                let product = self.mul(rotated);
                let inner = if self.shape(product).is_scalar() {
                    product
                } else if matches!(self.node(product), Node::Mul(_)) {
                    self.trace_node(product)
                } else {
                    self.trace(product)
                };
                scalars.push(inner);
                self.mul(scalars)
            }
            _ => self.trace_node(a),
        }
    }

    /// The opaque node `tr(a)`; `a` must be square (a trace of anything
    /// else neither reads back nor evaluates to a meaningful value).
    fn trace_node(&mut self, a: ExprId) -> ExprId {
        let shape = self.shape(a);
        debug_assert!(shape.rows == shape.cols, "tr of a non-square {shape:?}");
        self.intern(Node::Apply(Func::Trace, a), Shape::SCALAR)
    }

    /// Exact values of elementwise functions at exact points where they
    /// are rational (`exp(0) = 1`, `relu(-2) = 0`, ...).
    fn fold_elementwise(&mut self, f: Func, a: ExprId) -> Option<ExprId> {
        let shape = self.shape(a);
        if let Node::Zero(_) = self.node(a) {
            return match f {
                Func::Sin
                | Func::Tan
                | Func::Tanh
                | Func::Arcsin
                | Func::Arctan
                | Func::Sqrt
                | Func::Abs
                | Func::Sign
                | Func::Swish
                | Func::Relu
                | Func::Step => Some(a),
                Func::Exp | Func::Cos => Some(self.ones(shape)),
                _ => None,
            };
        }
        let c = self.as_const(a)?.clone();
        let value = match f {
            Func::Abs => Some(c.abs()),
            Func::Sign => Some(coeff::int(if c.is_positive() {
                1
            } else if c.is_negative() {
                -1
            } else {
                0
            })),
            Func::Relu => Some(if c.is_positive() { c.clone() } else { Coeff::zero() }),
            Func::Step => Some(coeff::int(if c.is_positive() { 1 } else { 0 })),
            Func::Exp | Func::Cos if c.is_zero() => Some(Coeff::one()),
            Func::Sin | Func::Tan | Func::Tanh | Func::Arcsin | Func::Arctan | Func::Swish if c.is_zero() => {
                Some(Coeff::zero())
            }
            Func::Log if c.is_one() => Some(Coeff::zero()),
            Func::Sigmoid if c.is_zero() => Some(coeff::ratio(1, 2)),
            Func::Sqrt if c.is_zero() || c.is_one() => Some(c.clone()),
            _ => None,
        }?;
        Some(self.constant(value))
    }

    /// An opaque scalar function applied to `a`.
    pub fn opaque(&mut self, function: SymbolId, a: ExprId) -> ExprId {
        self.intern(Node::Opaque(function, a), Shape::SCALAR)
    }

    /// The upstream gradient ∂loss/∂arg.
    pub fn upstream(&mut self, loss: SymbolId, function: SymbolId, arg: ExprId) -> ExprId {
        let shape = self.shape(arg);
        self.intern(Node::Upstream { loss, function, arg }, shape)
    }

    /// The inner product ⟨a, b⟩ = sum(a ⊙ b), written as `a^T b` for
    /// vectors and `tr(a^T b)` for matrices.
    pub fn inner(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let shape = self.shape(a);
        if shape.is_scalar() || self.shape(b).is_scalar() {
            if !shape.is_scalar() {
                let s = self.apply(Func::Sum, a);
                return self.mul(vec![s, b]);
            }
            if !self.shape(b).is_scalar() {
                let s = self.apply(Func::Sum, b);
                return self.mul(vec![a, s]);
            }
            return self.mul(vec![a, b]);
        }
        if shape.is_row() {
            let bt = self.transpose(b);
            return self.mul(vec![a, bt]);
        }
        let at = self.transpose(a);
        let product = self.mul(vec![at, b]);
        self.trace(product)
    }

    /// Rebuilds `id` bottom-up through the constructors with `replace`
    /// applied first at every node (memoised); a node none of whose children
    /// changed is kept as it is.
    pub fn rewrite(&mut self, id: ExprId, replace: &mut dyn FnMut(&mut Graph, ExprId) -> Option<ExprId>) -> ExprId {
        let mut memo: FastMap<ExprId, ExprId> = FastMap::default();
        let mut children = Vec::new();
        let order = self.reachable_without_definitions(id);
        for n in order {
            if let Some(r) = replace(self, n) {
                memo.insert(n, r);
                continue;
            }
            let map = |x: &ExprId| *memo.get(x).unwrap_or(x);
            // A node none of whose children changed stays as it is (it is
            // canonical already; rebuilding it would simplify it again).
            children.clear();
            self.push_children(n, &mut children);
            if children.iter().all(|x| map(x) == *x) {
                continue;
            }
            let rebuilt = match self.node(n).clone() {
                Node::Add(c) => {
                    let c: Vec<ExprId> = c.iter().map(map).collect();
                    self.add(c)
                }
                Node::Mul(c) => {
                    let c: Vec<ExprId> = c.iter().map(map).collect();
                    self.mul(c)
                }
                Node::Hadamard(c) => {
                    let c: Vec<ExprId> = c.iter().map(map).collect();
                    self.hadamard(c)
                }
                Node::Scale(c, a) => self.scale(c, map(&a)),
                Node::Pow(a, b) => self.pow(map(&a), map(&b)),
                Node::Transpose(a) => self.transpose(map(&a)),
                Node::Inverse(a) => self.inverse(map(&a)),
                Node::Apply(f, a) => self.apply(f, map(&a)),
                Node::Opaque(s, a) => self.opaque(s, map(&a)),
                Node::Upstream { loss, function, arg } => self.upstream(loss, function, map(&arg)),
                _ => n,
            };
            memo.insert(n, rebuilt);
        }
        *memo.get(&id).unwrap_or(&id)
    }

    /// The node `n` with each child looked up in `written` (children not
    /// there stay), interned as it is, without simplification: the printers
    /// name shared subterms this way, so what they print is the graph's own
    /// structure (simplifying around a name could take another form).
    pub fn rebuild_with(&mut self, n: ExprId, written: &FastMap<ExprId, ExprId>) -> ExprId {
        let map = |x: &ExprId| *written.get(x).unwrap_or(x);
        let node = match self.node(n).clone() {
            Node::Add(c) => Node::Add(c.iter().map(map).collect()),
            Node::Mul(c) => Node::Mul(c.iter().map(map).collect()),
            Node::Hadamard(c) => Node::Hadamard(c.iter().map(map).collect()),
            Node::Scale(c, a) => Node::Scale(c, map(&a)),
            Node::Pow(a, b) => Node::Pow(map(&a), map(&b)),
            Node::Transpose(a) => Node::Transpose(map(&a)),
            Node::Inverse(a) => Node::Inverse(map(&a)),
            Node::Apply(f, a) => Node::Apply(f, map(&a)),
            Node::Opaque(s, a) => Node::Opaque(s, map(&a)),
            Node::Upstream { loss, function, arg } => Node::Upstream { loss, function, arg: map(&arg) },
            leaf => leaf,
        };
        let shape = self.shape(n);
        self.intern(node, shape)
    }

    /// Nodes reachable from `root` without entering definitions' values.
    pub fn reachable_without_definitions(&self, root: ExprId) -> Vec<ExprId> {
        let mut seen = FastSet::default();
        let mut stack = vec![root];
        let mut out = Vec::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            out.push(id);
            if !matches!(self.node(id), Node::Var(_)) {
                stack.extend(self.children(id));
            }
        }
        out.sort();
        out
    }

    /// Rewrites `id` so that every subterm equal to the value of a
    /// definition among `names` (other than `except`) is written by the
    /// definition's name.
    pub fn rename_definitions(&mut self, id: ExprId, except: Option<SymbolId>) -> ExprId {
        let mut table: FastMap<ExprId, SymbolId> = FastMap::default();
        for (sid, symbol) in self.symbols() {
            if let Role::Definition(value) = symbol.role {
                if Some(sid) != except && !matches!(self.node(value), Node::Var(_) | Node::Const(_)) {
                    table.entry(value).or_insert(sid);
                }
            }
        }
        if table.is_empty() {
            return id;
        }
        let mut replace = |g: &mut Graph, n: ExprId| -> Option<ExprId> {
            let sid = *table.get(&n)?;
            Some(g.var(sid))
        };
        let mut current = id;
        // Renaming can expose new matches (a sum rebuilt into a named value).
        for _ in 0..4 {
            let next = self.rewrite(current, &mut replace);
            if next == current {
                break;
            }
            current = next;
        }
        current
    }
}

fn merge_exponent(
    order: &mut Vec<ExprId>,
    exponents: &mut FastMap<ExprId, Option<Coeff>>,
    base: ExprId,
    e: Option<Coeff>,
) {
    match exponents.get_mut(&base) {
        Some(Some(total)) => {
            if let Some(e) = e {
                *total += e;
            }
        }
        Some(None) => {}
        None => {
            order.push(base);
            exponents.insert(base, e);
        }
    }
}

/// Removes adjacent `A^-1 A` and `A A^-1` pairs from a chain.
fn cancel_inverses(graph: &Graph, chain: &mut Vec<ExprId>) {
    let mut out: Vec<ExprId> = Vec::with_capacity(chain.len());
    for &f in chain.iter() {
        if let Some(&last) = out.last() {
            let cancels = matches!(graph.node(last), Node::Inverse(x) if *x == f)
                || matches!(graph.node(f), Node::Inverse(x) if *x == last);
            if cancels {
                out.pop();
                continue;
            }
        }
        out.push(f);
    }
    *chain = out;
}
