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

use crate::ir::{ExprId, FastMap, Graph, Node};

/// The printed size of `root`, or `limit + 1` if it is larger than `limit`
/// (a small graph can stand for an exponentially long text).
pub fn printed_size(graph: &Graph, root: ExprId, limit: usize) -> usize {
    let mut sizes: FastMap<ExprId, usize> = FastMap::default();
    let mut stack = vec![root];
    let mut order = Vec::new();
    while let Some(id) = stack.pop() {
        if sizes.insert(id, 0).is_some() {
            continue;
        }
        order.push(id);
        if order.len() > limit {
            return limit.saturating_add(1);
        }
        if !matches!(graph.node(id), Node::Var(_)) {
            stack.extend(graph.children(id));
        }
    }
    // Children have smaller ids than their parents.
    order.sort();
    let cap = limit.saturating_add(1);
    for id in order {
        let size = node_size(graph, id, &sizes).min(cap);
        sizes.insert(id, size);
    }
    sizes[&root]
}

/// The size of `id` given the sizes of its children.
fn node_size(graph: &Graph, id: ExprId, sizes: &FastMap<ExprId, usize>) -> usize {
    let of = |c: &ExprId| sizes.get(c).copied().unwrap_or(0);
    match graph.node(id) {
        Node::Const(c) => 1 + usize::from(c.is_negative()),
        Node::Var(_) | Node::Identity(_) | Node::Ones(_) | Node::Zero(_) | Node::Upstream { .. } => 1,
        Node::Add(terms) => {
            let body: usize = terms.iter().map(|t| unsigned_size(graph, *t, sizes)).sum();
            let leading_minus = terms.first().is_some_and(|t| is_negative(graph, *t));
            body.saturating_add(terms.len() - 1).saturating_add(usize::from(leading_minus))
        }
        Node::Scale(c, e) => {
            let sign = usize::from(c.is_negative());
            if c.abs().is_one() {
                1 + of(e)
            } else {
                2usize.saturating_add(of(e)).saturating_add(sign)
            }
        }
        Node::Mul(factors) | Node::Hadamard(factors) => {
            // `a / b`: the divisor's `/` takes the place of the product.
            let mut total = factors.len() - 1;
            let mut numerators = 0;
            for f in factors.iter() {
                match reciprocal_of(graph, *f) {
                    Some(base) => total = total.saturating_add(of(&base)),
                    None => {
                        numerators += 1;
                        total = total.saturating_add(of(f));
                    }
                }
            }
            // `1 / x`: the 1 is written.
            total + usize::from(numerators == 0)
        }
        Node::Pow(b, e) => match graph.node(*e) {
            Node::Const(_) => of(b).saturating_add(2),
            _ => of(b).saturating_add(1).saturating_add(of(e)),
        },
        Node::Transpose(a) | Node::Inverse(a) | Node::Apply(_, a) | Node::Opaque(_, a) => 1 + of(a),
    }
}

/// The base of a reciprocal `b .^ -1`.
fn reciprocal_of(graph: &Graph, id: ExprId) -> Option<ExprId> {
    match graph.node(id) {
        Node::Pow(b, e) if graph.as_const(*e).is_some_and(|c| (-c).is_one()) => Some(*b),
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
fn unsigned_size(graph: &Graph, id: ExprId, sizes: &FastMap<ExprId, usize>) -> usize {
    let of = |c: &ExprId| sizes.get(c).copied().unwrap_or(0);
    match graph.node(id) {
        Node::Const(c) if c.is_negative() => 1,
        Node::Scale(c, e) if c.is_negative() => {
            if (-c).is_one() {
                of(e)
            } else {
                2usize.saturating_add(of(e))
            }
        }
        _ => of(&id),
    }
}
