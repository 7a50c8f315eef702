//! Bounds on numeric work: `check` and `verify` evaluate at concrete sizes,
//! so a declared size (`vector(1000000000)`) or a number of points beyond
//! these bounds is an error up front, never an allocation failure or an
//! hour of arithmetic.

use crate::ast::{DimSpec, Expr, ExprKind, Kind, Program, Statement};
use crate::error::{Error, ErrorKind, Result, Span};
use crate::eval::Env;
use crate::ir::{ExprId, Func, Graph, Node};
use crate::ops::{self, Meaning};
use crate::shape::Dim;

/// Largest fixed dimension (`vector(256)`, `I(256)`) evaluated numerically.
/// Named dimensions are sampled at small sizes instead.
pub const MAX_NUMERIC_DIM: u64 = 256;

/// Most random points `check` compares at.
pub const MAX_POINTS: usize = 1000;

/// Most arithmetic operations (estimated) one `check` or `verify` may do
/// in all: about a few seconds of evaluation.
pub const MAX_NUMERIC_WORK: f64 = 1e9;

/// Most matrix entries one evaluation may hold at once (all the values of
/// the graph's nodes together).
pub const MAX_NUMERIC_ENTRIES: f64 = 2e7;

/// An error if a fixed dimension of the program, or of any node of `graph`,
/// exceeds [`MAX_NUMERIC_DIM`], pointing at where the program declares it.
pub fn bound_fixed_dimensions(graph: &Graph, program: Option<&Program>) -> Result<()> {
    let largest = (0..graph.len())
        .flat_map(|i| {
            let s = graph.shape(ExprId(i as u32));
            [s.rows, s.cols]
        })
        .chain(graph.symbols().flat_map(|(_, s)| [s.shape.rows, s.shape.cols]))
        .filter_map(|d| match d {
            Dim::Fixed(n) => Some(n),
            Dim::Named(_) => None,
            Dim::Product(p) => Some(p.fixed()),
        })
        .max()
        .unwrap_or(1);
    if largest <= MAX_NUMERIC_DIM {
        return Ok(());
    }
    let span = program.and_then(|p| span_of_large_dimension(p, MAX_NUMERIC_DIM));
    let message = format!(
        "the size {largest} is too large to evaluate numerically (check and verify evaluate at sizes up to {MAX_NUMERIC_DIM})"
    );
    let help = "declare a named size (`vector(n)`): check and verify then try small random sizes, \
                and the symbolic result is the same for every size";
    let error = match span {
        Some(span) => Error::new(ErrorKind::Limit, message, span),
        None => Error::bare(ErrorKind::Limit, message),
    };
    Err(error.with_help(help))
}

/// Where `program` writes a fixed size above `limit`: a declaration's
/// dimension, or the argument of `I(…)`, `eye(…)` or `ones(…)`.
fn span_of_large_dimension(program: &Program, limit: u64) -> Option<Span> {
    let large = |d: &Option<DimSpec>| d.as_ref().filter(|d| d.fixed_part() > limit).map(DimSpec::span);
    let mut expressions: Vec<&Expr> = Vec::new();
    for statement in &program.statements {
        match statement {
            Statement::Declare { kind, .. } => {
                let found = match kind {
                    Kind::Vector(d) | Kind::Symmetric(d) => large(d),
                    Kind::Matrix(r, c) => large(r).or_else(|| large(c)),
                    Kind::Scalar | Kind::Function => None,
                };
                if found.is_some() {
                    return found;
                }
            }
            Statement::Define { value, .. } => expressions.push(value),
            Statement::Expr(e) => expressions.push(e),
        }
    }
    // Iteratively: a program may nest deeply.
    while let Some(e) = expressions.pop() {
        match &e.kind {
            ExprKind::Number(_) | ExprKind::Name(_) => {}
            ExprKind::Call { name, args, .. } => {
                if matches!(ops::lookup(name).map(|b| b.meaning), Some(Meaning::Identity | Meaning::Ones)) {
                    for arg in args {
                        if let ExprKind::Number(c) = &arg.kind {
                            if crate::coeff::to_f64(c) > limit as f64 {
                                return Some(arg.span);
                            }
                        }
                    }
                }
                expressions.extend(args.iter());
            }
            ExprKind::Negate(a) | ExprKind::Transpose(a) | ExprKind::InverseTranspose(a) => expressions.push(a),
            ExprKind::Binary(_, a, b) => {
                expressions.push(a);
                expressions.push(b);
            }
            ExprKind::Power { base, exponent, .. } => {
                expressions.push(base);
                expressions.push(exponent);
            }
        }
    }
    None
}

/// Estimated arithmetic operations of one evaluation of `roots` at the
/// sizes of `env`, and the matrix entries it holds at once.
pub fn evaluation_cost(graph: &Graph, roots: &[ExprId], env: &Env) -> (f64, f64) {
    let entries = |id: ExprId| {
        let (r, c) = env.shape(graph.shape(id));
        r as f64 * c as f64
    };
    let mut seen = std::collections::HashSet::new();
    let (mut work, mut held) = (0.0, 0.0);
    for root in roots {
        for id in graph.reachable(*root) {
            if !seen.insert(id) {
                continue;
            }
            let own = entries(id);
            held += own;
            let children = graph.children(id);
            let inputs: f64 = children.iter().map(|c| entries(*c)).sum();
            let shape = |c: &ExprId| env.shape(graph.shape(*c));
            work += 1.0
                + match graph.node(id) {
                    // A chain evaluated left to right: r×k times k×c costs r k c.
                    Node::Mul(factors) => {
                        let mut acc: Option<(usize, usize)> = None;
                        let mut cost = inputs;
                        for f in factors.iter() {
                            let (r, c) = shape(f);
                            acc = Some(match acc {
                                Some((ar, ac)) if ac == r && !(ar == 1 && ac == 1) => {
                                    cost += ar as f64 * ac as f64 * c as f64;
                                    (ar, c)
                                }
                                Some((ar, ac)) => {
                                    cost += (ar * ac).max(r * c) as f64;
                                    if ar * ac >= r * c {
                                        (ar, ac)
                                    } else {
                                        (r, c)
                                    }
                                }
                                None => (r, c),
                            });
                        }
                        cost
                    }
                    // LU decompositions: n³.
                    Node::Inverse(a) | Node::Apply(Func::Det | Func::LogDet, a) => {
                        let (n, _) = shape(a);
                        inputs + (n as f64).powi(3)
                    }
                    _ => own + inputs,
                };
        }
    }
    (work, held)
}

/// The largest size of the named dimensions in `lo..=hi` at which
/// evaluating `parts(env)` (at that size for every named dimension) stays
/// within [`bound_work`]'s bounds, the top tried first: a derivative whose
/// form is a large Kronecker product is compared at smaller sizes instead of
/// refused. The bounds' error at `lo` if even that size exceeds them.
pub fn largest_affordable_size(
    graph: &Graph,
    (lo, hi): (usize, usize),
    what: &str,
    parts: impl Fn(&Env) -> Vec<(ExprId, f64)>,
) -> Result<usize> {
    let named = graph.dim_names().len();
    let mut size = hi;
    loop {
        let env = Env { dims: vec![size; named], ..Env::default() };
        match bound_work(graph, &parts(&env), &env, what) {
            Ok(()) => return Ok(size),
            Err(error) if size <= lo || named == 0 => return Err(error),
            Err(_) => size -= 1,
        }
    }
}

/// An error if evaluating each `(root, times)` of `parts` that many times
/// at the sizes of `env` would exceed [`MAX_NUMERIC_WORK`] in all, or one
/// evaluation hold more than [`MAX_NUMERIC_ENTRIES`]; `what` names the
/// task in the message.
pub fn bound_work(graph: &Graph, parts: &[(ExprId, f64)], env: &Env, what: &str) -> Result<()> {
    let mut total = 0.0;
    for (root, times) in parts {
        let (work, held) = evaluation_cost(graph, &[*root], env);
        total += work * times;
        if held > MAX_NUMERIC_ENTRIES {
            return Err(Error::bare(
                ErrorKind::Limit,
                format!("{what} would hold about {held:.1e} numbers at once; the limit is {MAX_NUMERIC_ENTRIES:.0e}"),
            )
            .with_help("declare named sizes (`matrix(m, n)`): check and verify then try small random sizes"));
        }
    }
    if total > MAX_NUMERIC_WORK {
        return Err(Error::bare(
            ErrorKind::Limit,
            format!("{what} would take about {total:.1e} operations; the limit is {MAX_NUMERIC_WORK:.0e}"),
        )
        .with_help(if what == "checking" {
            "use fewer --points, or declare named sizes (`matrix(m, n)`), which are tried at small sizes"
        } else {
            "declare named sizes (`matrix(m, n)`), which are tried at small sizes"
        }));
    }
    Ok(())
}
