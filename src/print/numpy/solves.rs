//! Solves of one matrix against several vectors, computed together: NumPy
//! has no factorisation to keep, so `A^-1 b + c^T A^-1 d` solves `A` once
//! against the stacked right-hand sides (`t1 = np.linalg.solve(A,
//! np.column_stack([b, d]))`, then `t1[:, 0]` and `t1[:, 1]`).

use crate::ir::{ExprId, Node, Role};
use crate::shape::Dim;

use super::plan::{Split, Step};
use super::Emitter;

/// A matrix solved: the matrix, and whether its transpose is (`(A, true)`
/// is `A^T` where no transposed node could be built).
pub(super) type Solved = (ExprId, bool);

/// Solves of one matrix against vectors: the step at which they are
/// computed (the first one's), the matrix, and each right-hand side (in
/// NumPy form) in step order.
pub(super) struct SolveGroup {
    step: usize,
    matrix: Solved,
    right_hand_sides: Vec<ExprId>,
}

impl Emitter<'_> {
    /// The matrix solved for `a^-1` applied from the left (`transposed`
    /// false) or the right.
    pub(super) fn solved_orientation(&mut self, a: ExprId, transposed: bool) -> Solved {
        if !transposed {
            return (a, false);
        }
        match self.flip(a, 0) {
            Some(t) if t != a => (t, false),
            _ => (a, true),
        }
    }

    /// The solve against a vector that the planned product `id` is, if it
    /// is one: the matrix solved and the right-hand side.
    fn vector_solve(&mut self, id: ExprId) -> Option<(Solved, ExprId)> {
        if self.plan.views.contains_key(&id) || !matches!(self.graph.node(id), Node::Mul(_)) {
            return None;
        }
        let (_, chain) = self.chain_parts(id);
        if chain.len() < 2 {
            return None;
        }
        let Split::At(k) = self.split(id, &chain) else { return None };
        let (left, right) = (self.segment(&chain[..=k]), self.segment(&chain[k + 1..]));
        let (ls, rs) = (self.segment_shape(&chain[..=k]), self.segment_shape(&chain[k + 1..]));
        if ls.is_scalar() || rs.is_scalar() || left == id || right == id {
            return None;
        }
        if let Some(a) = self.solved_matrix(left) {
            return (rs.cols == Dim::ONE).then(|| (self.solved_orientation(a, false), self.norm(right)));
        }
        if let Some(a) = self.solved_matrix(right) {
            return (ls.rows == Dim::ONE).then(|| (self.solved_orientation(a, true), self.norm(left)));
        }
        None
    }

    /// The solves against vectors among `steps`, grouped by the matrix
    /// solved (groups of two or more).
    pub(super) fn solve_groups(&mut self, steps: &[Step]) -> Vec<SolveGroup> {
        let mut groups: Vec<SolveGroup> = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let Step::Node(id) = *step else { continue };
            let Some((matrix, rhs)) = self.vector_solve(id) else { continue };
            match groups.iter_mut().find(|g| g.matrix == matrix) {
                Some(g) if !g.right_hand_sides.contains(&rhs) => g.right_hand_sides.push(rhs),
                Some(_) => {}
                None => groups.push(SolveGroup { step: i, matrix, right_hand_sides: vec![rhs] }),
            }
        }
        groups.retain(|g| g.right_hand_sides.len() >= 2);
        groups
    }

    /// Emits, before step `i`, each group's solve against its stacked
    /// right-hand sides, and records the column that is each solve.
    pub(super) fn emit_stacked_solves(&mut self, groups: &[SolveGroup], i: usize) {
        for group in groups.iter().filter(|g| g.step == i) {
            // The first right-hand side is computed by now; each other one
            // must not need this factorisation or a definition not yet made.
            let mut members = vec![group.right_hand_sides[0]];
            for &rhs in &group.right_hand_sides[1..] {
                if self.computable_now(rhs, group.matrix.0) {
                    members.push(rhs);
                }
            }
            if members.len() < 2 {
                continue;
            }
            let mut texts = Vec::new();
            for &rhs in &members {
                // A right-hand side used again is named here, once.
                let uses = self.plan.uses.get(&rhs).copied().unwrap_or(0);
                if uses >= 2 && self.worth_naming(rhs) && !self.expr_names.contains_key(&rhs) {
                    let text = self.expr(rhs, 0);
                    let name = self.names.temporary();
                    self.lines.push(format!("{name} = {text}"));
                    self.expr_names.insert(rhs, name);
                }
                texts.push(self.expr(rhs, 0));
            }
            let matrix = match group.matrix {
                (a, false) => self.expr(a, 0),
                (a, true) => format!("{}.T", self.expr(a, 4)),
            };
            let name = self.names.temporary();
            self.lines.push(format!("{name} = np.linalg.solve({matrix}, np.column_stack([{}]))", texts.join(", ")));
            for (j, &rhs) in members.iter().enumerate() {
                self.plan.stacked.insert((group.matrix, rhs), format!("{name}[:, {j}]"));
            }
        }
    }

    /// Whether `rhs` can be computed before the solves of `matrix`: it has
    /// no inverse of `matrix` (or its transpose) in it, and every definition
    /// it uses is made.
    fn computable_now(&self, rhs: ExprId, matrix: ExprId) -> bool {
        let base = self.inverse_base(matrix);
        self.graph.reachable(rhs).into_iter().all(|n| match self.graph.node(n) {
            Node::Inverse(b) => self.inverse_base(*b) != base,
            Node::Var(s) => {
                !matches!(self.graph.symbol(*s).role, Role::Definition(_)) || self.expr_names.contains_key(&n)
            }
            _ => true,
        })
    }

    /// The column of a stacked solution that is `matrix^-1 rhs`, if the
    /// solve was computed with others.
    pub(super) fn stacked_solve(&self, matrix: Solved, rhs: ExprId) -> Option<String> {
        self.plan.stacked.get(&(matrix, rhs)).cloned()
    }
}
