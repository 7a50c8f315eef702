//! How long a term reads: the number of symbols (atoms and operators) of
//! its text form, estimated from the graph without printing it. Every
//! name, number and function name counts 1, every binary operator (an
//! implicit product too), unary minus and postfix operator 1, brackets 0;
//! a numeric exponent counts with its operator as 2, `ones(n)` and `I(n)`
//! as 1, and a definition's name as 1. A negative term of a sum is written
//! after a minus that replaces the plus, and a reciprocal factor after a
//! `/` that replaces the product. Rules use it to keep a rewrite only when
//! it reads shorter.

use num_traits::{One, Signed};

use crate::coeff::Coeff;

use crate::ir::{ExprId, Graph, Node};

/// The printed size of `root`, or `limit + 1` if it is larger than `limit`
/// (a small graph can stand for an exponentially long text). The graph
/// keeps every node's printed size as it interns it, so this is a lookup.
pub fn printed_size(graph: &Graph, root: ExprId, limit: usize) -> usize {
    graph.printed_size(root, limit)
}

/// The printed size of `id` given the printed sizes of its children (`of`).
pub fn node_size(graph: &Graph, id: ExprId, of: &dyn Fn(ExprId) -> usize) -> usize {
    match graph.node(id) {
        Node::Const(c) => 1 + usize::from(c.is_negative()),
        Node::Var(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) | Node::Upstream { .. } => 1,
        Node::Commutation(..) | Node::Duplication(_) => 1,
        Node::Kron(a, b) => of(*a).saturating_add(of(*b)).saturating_add(1),
        Node::Add(terms) => {
            let body = terms.iter().fold(0usize, |acc, t| acc.saturating_add(unsigned_size(graph, *t, of)));
            let leading_minus = terms.first().is_some_and(|t| is_negative(graph, *t));
            body.saturating_add(terms.len() - 1).saturating_add(usize::from(leading_minus))
        }
        Node::Scale(c, e) => {
            let sign = usize::from(c.is_negative());
            if is_unit(c) {
                of(*e).saturating_add(1)
            } else {
                of(*e).saturating_add(2 + sign)
            }
        }
        Node::Mul(factors) | Node::Hadamard(factors) => {
            // `a / b`: the divisor's `/` takes the place of the product.
            let mut total = factors.len() - 1;
            let mut numerators = 0;
            for f in factors.iter() {
                match reciprocal_of(graph, *f) {
                    Some(base) => total = total.saturating_add(of(base)),
                    None => {
                        numerators += 1;
                        total = total.saturating_add(of(*f));
                    }
                }
            }
            // `1 / x`: the 1 is written.
            total.saturating_add(usize::from(numerators == 0))
        }
        Node::Pow(b, e) => match graph.node(*e) {
            Node::Const(_) => of(*b).saturating_add(2),
            _ => of(*b).saturating_add(1).saturating_add(of(*e)),
        },
        Node::Transpose(a) | Node::Inverse(a) | Node::Apply(_, a) | Node::Opaque(_, a) => of(*a).saturating_add(1),
    }
}

/// The base of a reciprocal `b .^ -1`.
fn reciprocal_of(graph: &Graph, id: ExprId) -> Option<ExprId> {
    match graph.node(id) {
        Node::Pow(b, e) if graph.as_const(*e).is_some_and(|c| c.is_negative() && is_unit(c)) => Some(*b),
        _ => None,
    }
}

/// Whether `id` is written with a leading minus.
fn is_negative(graph: &Graph, id: ExprId) -> bool {
    match graph.node(id) {
        Node::Const(c) | Node::Scale(c, _) => c.is_negative(),
        _ => false,
    }
}

/// The size of `id` with its minus sign (written as the sum's operator) left out.
fn unsigned_size(graph: &Graph, id: ExprId, of: &dyn Fn(ExprId) -> usize) -> usize {
    match graph.node(id) {
        Node::Const(c) if c.is_negative() => 1,
        Node::Scale(c, e) if c.is_negative() => {
            if is_unit(c) {
                of(*e)
            } else {
                of(*e).saturating_add(2)
            }
        }
        _ => of(id),
    }
}

/// Whether `c` is 1 or −1 (without building `|c|` or `−c`).
fn is_unit(c: &Coeff) -> bool {
    c.denom().is_one() && c.numer().magnitude().is_one()
}
