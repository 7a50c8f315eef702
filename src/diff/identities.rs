//! Matrix identities forward mode uses to reach a column through a matrix
//! that depends on the variable: outer products `a bᵀ` and diagonals
//! taken inward.

use crate::ir::{ExprId, Func, Graph, Node};

/// The columns `a`, `b` of a matrix written `a bᵀ` (scalar factors go
/// with `a`), if it is one.
pub(super) fn outer_factors(g: &mut Graph, m: ExprId) -> Option<(ExprId, ExprId)> {
    let Node::Mul(factors) = g.node(m).clone() else { return None };
    let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) = factors.iter().partition(|f| g.shape(**f).is_scalar());
    let [column, row] = chain[..] else { return None };
    if !g.shape(column).is_column() || !g.shape(row).is_row() {
        return None;
    }
    let mut a = scalars;
    a.push(column);
    let a = g.mul(a);
    Some((a, g.transpose(row)))
}

/// `diag(m)` written with the diagonal taken one step further in, where
/// that is simpler: `diag(L diag(v) R) = (L ⊙ Rᵀ) v` (`v ⊙ diag(R)`,
/// `diag(L) ⊙ v` at the ends), `diag(a bᵀ) = a ⊙ b`, `diag(s M) = s diag(M)`, `diag(A ⊙
/// B) = diag(A) ⊙ diag(B)`, `diag(A + B) = diag(A) + diag(B)`, `diag(Mᵀ) =
/// diag(M)`, `diag(diag(v)) = v`; `None` for any other matrix.
pub(super) fn diagonal_inward(g: &mut Graph, m: ExprId) -> Option<ExprId> {
    let diagonal = |g: &mut Graph, x: ExprId| g.apply(Func::DiagVec, x);
    Some(match g.node(m).clone() {
        Node::Var(s) => {
            let value = g.definition_value(s)?;
            diagonal(g, value)
        }
        Node::Apply(Func::DiagMat, v) => v,
        Node::Transpose(a) => diagonal(g, a),
        Node::Scale(c, a) => {
            let d = diagonal(g, a);
            g.scale(c, d)
        }
        Node::Add(terms) => {
            if terms.iter().any(|t| g.shape(*t).is_scalar()) {
                return None;
            }
            let parts: Vec<ExprId> = terms.iter().map(|t| diagonal(g, *t)).collect();
            g.add(parts)
        }
        Node::Hadamard(factors) => {
            let parts: Vec<ExprId> = factors.iter().map(|f| diagonal(g, *f)).collect();
            g.hadamard(parts)
        }
        Node::Mul(factors) => {
            let (mut scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                factors.iter().partition(|f| g.shape(**f).is_scalar());
            if !scalars.is_empty() {
                let rest = g.mul(chain);
                scalars.push(diagonal(g, rest));
                return Some(g.mul(scalars));
            }
            if let Some((a, b)) = outer_factors(g, m) {
                return Some(g.hadamard(vec![a, b]));
            }
            // diag(L diag(v) R) = (L ⊙ Rᵀ) v, with L or R empty at the ends.
            let k = chain.iter().position(|f| matches!(g.node(*f), Node::Apply(Func::DiagMat, _)))?;
            let Node::Apply(Func::DiagMat, v) = *g.node(chain[k]) else { unreachable!("found above") };
            let (left, right) = (&chain[..k], &chain[k + 1..]);
            if left.is_empty() {
                let rest = g.mul(right.to_vec());
                let d = diagonal(g, rest);
                g.hadamard(vec![v, d])
            } else if right.is_empty() {
                let rest = g.mul(left.to_vec());
                let d = diagonal(g, rest);
                g.hadamard(vec![d, v])
            } else {
                let l = g.mul(left.to_vec());
                let r = g.mul(right.to_vec());
                let rt = g.transpose(r);
                let h = g.hadamard(vec![l, rt]);
                g.mul(vec![h, v])
            }
        }
        _ => return None,
    })
}
