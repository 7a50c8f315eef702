//! Solves of one matrix against several vectors, computed together: NumPy
//! has no factorisation to keep, so `A^-1 b + c^T A^-1 d` solves `A` once
//! against the stacked right-hand sides (`t1 = np.linalg.solve(A,
//! np.column_stack([b, d]))`, then `t1[:, 0]` and `t1[:, 1]`). JAX and
//! PyTorch keep an LU factorisation: a matrix solved both as itself and as
//! its transpose (`a^T X^-1 b`: `X^-T a` and `X^-1 b`) is factorised once
//! (`jax.scipy.linalg.lu_factor`, `torch.linalg.lu_factor`) and each of its
//! solves is an `lu_solve` (with `trans=1`, `adjoint=True` for the transpose).

use crate::ir::{ExprId, Node, Role};
use crate::shape::Dim;

use super::plan::{Split, Step};
use super::{Emitter, Library};

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
    /// The matrix is factorised for every solve with it or its transpose
    /// (JAX, PyTorch; `matrix` is then the untransposed one).
    factorised: bool,
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

    /// The solve that the planned product `id` is, if it is one: the
    /// matrix solved, the right-hand side, and whether that is a vector.
    fn planned_solve(&mut self, id: ExprId) -> Option<(Solved, ExprId, bool)> {
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
            return Some((self.solved_orientation(a, false), self.norm(right), rs.cols == Dim::ONE));
        }
        if let Some(a) = self.solved_matrix(right) {
            return Some((self.solved_orientation(a, true), self.norm(left), ls.rows == Dim::ONE));
        }
        None
    }

    /// The matrix a solve's system has, untransposed, and whether the
    /// system is its transpose (`(A, true)` for `A^T x = b`).
    pub(super) fn factored(&self, (matrix, transposed): Solved) -> (ExprId, bool) {
        let base = self.inverse_base(matrix);
        (base, transposed != (base != matrix))
    }

    /// The solves against vectors among `steps`, grouped by the matrix
    /// solved (groups of two or more); for JAX and PyTorch, a matrix solved
    /// as itself and as its transpose (against vectors or matrices) is one
    /// factorised group.
    pub(super) fn solve_groups(&mut self, steps: &[Step]) -> Vec<SolveGroup> {
        let mut solves: Vec<(usize, Solved, ExprId, bool)> = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let Step::Node(id) = *step else { continue };
            if let Some((matrix, rhs, vector)) = self.planned_solve(id) {
                solves.push((i, matrix, rhs, vector));
            }
        }
        let mut groups: Vec<SolveGroup> = Vec::new();
        if self.library != Library::Numpy {
            let systems: Vec<(ExprId, bool)> = solves.iter().map(|&(_, m, _, _)| self.factored(m)).collect();
            for (&(i, ..), &(base, transposed)) in solves.iter().zip(&systems) {
                let both = systems.contains(&(base, !transposed));
                if both && !groups.iter().any(|g| g.matrix.0 == base) {
                    let matrix = (base, false);
                    groups.push(SolveGroup { step: i, matrix, right_hand_sides: Vec::new(), factorised: true });
                }
            }
        }
        for (i, matrix, rhs, _) in solves.into_iter().filter(|s| s.3) {
            let base = self.factored(matrix).0;
            if groups.iter().any(|g| g.factorised && g.matrix.0 == base) {
                continue;
            }
            match groups.iter_mut().find(|g| g.matrix == matrix) {
                Some(g) if !g.right_hand_sides.contains(&rhs) => g.right_hand_sides.push(rhs),
                Some(_) => {}
                None => groups.push(SolveGroup { step: i, matrix, right_hand_sides: vec![rhs], factorised: false }),
            }
        }
        groups.retain(|g| g.factorised || g.right_hand_sides.len() >= 2);
        groups
    }

    /// Emits the LU factorisation of `matrix` (JAX, PyTorch) and records
    /// its name for the solves with it.
    fn emit_factorisation(&mut self, matrix: ExprId) {
        let text = self.expr(matrix, 0);
        let name = match self.library {
            Library::Torch => {
                let (lu, pivots) = (self.names.temporary(), self.names.temporary());
                self.lines.push(format!("{lu}, {pivots} = torch.linalg.lu_factor({text})"));
                format!("{lu}, {pivots}")
            }
            _ => {
                let lu = self.names.temporary();
                self.lines.push(format!("{lu} = jax.scipy.linalg.lu_factor({text})"));
                self.scipy_linalg = true;
                lu
            }
        };
        self.plan.factorised.insert(matrix, name);
    }

    /// The solve of the system `solved` against `rhs` (a vector if
    /// `vector`, else a matrix) by the factorisation of its matrix, if it
    /// has one (JAX, PyTorch).
    pub(super) fn factorised_solve(&mut self, solved: Solved, rhs: &str, vector: bool) -> Option<String> {
        let (base, transposed) = self.factored(solved);
        let lu = self.plan.factorised.get(&base)?.clone();
        Some(match (self.library, vector) {
            (Library::Torch, true) => {
                let adjoint = if transposed { ", adjoint=True" } else { "" };
                format!("torch.linalg.lu_solve({lu}, {rhs}[:, None]{adjoint})[:, 0]")
            }
            (Library::Torch, false) => {
                let adjoint = if transposed { ", adjoint=True" } else { "" };
                format!("torch.linalg.lu_solve({lu}, {rhs}{adjoint})")
            }
            _ => {
                let trans = if transposed { ", trans=1" } else { "" };
                format!("jax.scipy.linalg.lu_solve({lu}, {rhs}{trans})")
            }
        })
    }

    /// Emits, before step `i`, each group's solve against its stacked
    /// right-hand sides, and records the column that is each solve (or
    /// the group's LU factorisation, for the solves to use).
    pub(super) fn emit_stacked_solves(&mut self, groups: &[SolveGroup], i: usize) {
        for group in groups.iter().filter(|g| g.step == i) {
            if group.factorised {
                self.emit_factorisation(group.matrix.0);
                continue;
            }
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
