//! Construction order does not matter: a random well-shaped term (the
//! property tests' generator) and a random rebuild of it — sums and
//! Hadamard products commuted and reassociated, scalar factors moved,
//! product chains reassociated, subterms transposed twice — get the same
//! `ExprId`; with a subterm made a definition and used by name, the same
//! value (the id once definitions are replaced by their values). The
//! number of cases is `PROPTEST_CASES` (default 256).
//!
//! The properties hold over the whole generator: Hadamard products,
//! quotients and diagonals included. The readability rules whose results
//! depended on the grouping (a diagonal merged into a neighbouring vector,
//! an inner product with a Hadamard side written as a sum, a Hadamard
//! product distributed over a sum) are rules of the rule set, applied to
//! results, no longer part of the constructors; the cases that found them
//! are kept as [`FORMER_FAILURES`].

mod common;

use common::generate::{generate, HEADER};
use matcalc::ast::{BinaryOp, Expr, ExprKind, Statement};
use matcalc::check::Rng;
use matcalc::ir::{Node, Role};
use matcalc::{analyze, ExprId, Format, Graph};
use proptest::prelude::*;

/// A shape as far as rebuilding needs it: rows and columns, each `1`,
/// `n` or `m`; `None` for `I`, whose size its context gives.
type Dims = Option<(char, char)>;

const SCALAR: Dims = Some(('1', '1'));

/// The shape of a generated expression (the generator's names only).
fn dims(e: &Expr) -> Dims {
    match &e.kind {
        ExprKind::Number(_) => SCALAR,
        ExprKind::Name(name) => match name.as_str() {
            "A" | "B" => Some(('n', 'n')),
            "R" => Some(('m', 'n')),
            "x" | "y" => Some(('n', '1')),
            "u" => Some(('m', '1')),
            "k" | "c" => SCALAR,
            _ => None,
        },
        ExprKind::Call { name, args, .. } => match name.as_str() {
            "tr" | "sum" | "norm2" | "norm" | "norm1" | "logsumexp" | "det" | "logdet" => SCALAR,
            "diag" => match dims(&args[0]) {
                Some((r, '1')) => Some((r, r)),
                Some((r, _)) => Some((r, '1')),
                None => None,
            },
            _ => dims(&args[0]),
        },
        ExprKind::Negate(a) => dims(a),
        ExprKind::Transpose(a) | ExprKind::InverseTranspose(a) => dims(a).map(|(r, c)| (c, r)),
        ExprKind::Power { base, .. } => dims(base),
        ExprKind::Binary(op, a, b) => {
            let (da, db) = (dims(a), dims(b));
            match op {
                BinaryOp::Multiply => match (da, db) {
                    (Some(('1', '1')), _) => db,
                    (_, Some(('1', '1'))) => da,
                    (Some((r, _)), Some((_, c))) => Some((r, c)),
                    _ => None,
                },
                BinaryOp::Divide => da,
                _ => match da {
                    Some(('1', '1')) | None => db.or(da),
                    _ => da,
                },
            }
        }
    }
}

/// Writes `e` back as source text, rebuilt at random: commuted,
/// reassociated, transposed twice. `named` is the subterm (by its span)
/// written by the definition's name instead.
struct Rebuild<'a> {
    source: &'a str,
    rng: Rng,
    named: Option<((usize, usize), &'a str)>,
}

impl Rebuild<'_> {
    fn coin(&mut self) -> bool {
        self.rng.range(0, 1) == 1
    }

    fn write(&mut self, e: &Expr) -> String {
        if let Some((span, name)) = self.named {
            if (e.span.start, e.span.end) == span {
                return name.to_string();
            }
        }
        let text = self.write_inner(e);
        if self.rng.range(0, 9) == 0 {
            format!("(({text})^T)^T")
        } else {
            text
        }
    }

    fn write_inner(&mut self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Number(c) => format!("({c})"),
            ExprKind::Name(name) => name.clone(),
            ExprKind::Call { name, args, .. } => {
                let args: Vec<String> = args.iter().map(|a| self.write(a)).collect();
                format!("{name}({})", args.join(", "))
            }
            ExprKind::Negate(a) => format!("(-{})", self.write(a)),
            ExprKind::Transpose(a) => format!("({})^T", self.write(a)),
            ExprKind::InverseTranspose(a) => format!("({})^-T", self.write(a)),
            // The exponent as written: matrix powers take a literal.
            ExprKind::Power { base, exponent, elementwise } => {
                let op = if *elementwise { " .^ " } else { "^" };
                let exponent = match &exponent.kind {
                    ExprKind::Number(c) => format!("({c})"),
                    _ => format!("({})", &self.source[exponent.span.start..exponent.span.end]),
                };
                format!("({}){op}{exponent}", self.write(base))
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b),
        }
    }

    fn binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr) -> String {
        let symbol = op.symbol();
        let commutes = match op {
            BinaryOp::Add | BinaryOp::Hadamard => true,
            BinaryOp::Multiply => dims(a) == SCALAR || dims(b) == SCALAR,
            _ => false,
        };
        // `(p + q) + b` as `p + (q + b)` (and the same for the other
        // associative operators) where the regrouped product is well shaped.
        if let ExprKind::Binary(inner, p, q) = &a.kind {
            if *inner == op && matches!(op, BinaryOp::Add | BinaryOp::Hadamard | BinaryOp::Multiply) && self.coin() {
                let shaped = op != BinaryOp::Multiply || {
                    let (dq, db) = (dims(q), dims(b));
                    dq == SCALAR || db == SCALAR || dq.zip(db).is_some_and(|(q, b)| q.1 == b.0)
                };
                if shaped {
                    let (p, q, b) = (self.write(p), self.write(q), self.write(b));
                    return format!("({p} {symbol} ({q} {symbol} {b}))");
                }
            }
        }
        let (x, y) = (self.write(a), self.write(b));
        match op {
            _ if commutes && self.coin() => format!("({y} {symbol} {x})"),
            // `a - b` as `-b + a`.
            BinaryOp::Subtract if self.coin() => format!("((-{y}) + {x})"),
            _ => format!("({x} {symbol} {y})"),
        }
    }
}

/// Every subterm of `e` that can be named (pre-order; not exponents,
/// not `I`, whose size its context gives).
fn subterms<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if !matches!(&e.kind, ExprKind::Name(n) if n == "I") {
        out.push(e);
    }
    match &e.kind {
        ExprKind::Call { args, .. } => args.iter().for_each(|a| subterms(a, out)),
        ExprKind::Negate(a) | ExprKind::Transpose(a) | ExprKind::InverseTranspose(a) => subterms(a, out),
        ExprKind::Power { base, .. } => subterms(base, out),
        ExprKind::Binary(_, a, b) => {
            subterms(a, out);
            subterms(b, out);
        }
        ExprKind::Number(_) | ExprKind::Name(_) => {}
    }
}

/// `id` with every definition replaced by its value.
fn inline_definitions(graph: &mut Graph, id: ExprId) -> ExprId {
    let mut replace = |g: &mut Graph, n: ExprId| -> Option<ExprId> {
        match g.node(n) {
            Node::Var(s) => match g.symbol(*s).role {
                Role::Definition(value) => Some(value),
                _ => None,
            },
            _ => None,
        }
    };
    let mut current = id;
    for _ in 0..8 {
        let next = graph.rewrite(current, &mut replace);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// Builds the generated term for `seed` and a rebuild of it (with a subterm
/// named if `name`) in one graph and compares them.
fn check_rebuild(seed: u64, kind: char, name: bool) -> Result<(), TestCaseError> {
    let source = generate(seed, kind, false);
    let body = &source[HEADER.len()..];
    let program = matcalc::syntax::parse_program(&source).unwrap();
    let Some(Statement::Expr(expr)) = program.statements.last() else { unreachable!() };
    let mut parts = Vec::new();
    subterms(expr, &mut parts);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let named = name.then(|| parts[rng.range(0, parts.len() - 1)]);
    let definition = match named {
        Some(sub) => format!("t0 = {}; ", Rebuild { source: &source, rng: Rng::new(seed ^ 1), named: None }.write(sub)),
        None => String::new(),
    };
    let mut rebuild = Rebuild { source: &source, rng, named: named.map(|sub| ((sub.span.start, sub.span.end), "t0")) };
    let rebuilt = rebuild.write(expr);
    let both = format!("{HEADER}original = {body}; {definition}rebuilt = {rebuilt}; original");
    let mut analysis = match analyze(&both) {
        Ok(a) => a,
        // The original's own errors (a shape the generator cannot rule out).
        Err(_) if analyze(&source).is_err() => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(format!("{both}\n{}", e.render(&both)))),
    };
    let value = |a: &matcalc::Analysis, n: &str| a.graph().definition_value(a.graph().find_symbol(n).unwrap()).unwrap();
    let original = value(&analysis, "original");
    let mut again = value(&analysis, "rebuilt");
    if name {
        again = inline_definitions(analysis.graph_mut(), again);
    }
    if original != again {
        let (p, q) = (analysis.print(original, Format::Text), analysis.print(again, Format::Text));
        return Err(TestCaseError::fail(format!("{both}\n original: {p}\n rebuilt:  {q}")));
    }
    Ok(())
}

/// The number of cases is `PROPTEST_CASES` or 256; the random seed
/// `PROPTEST_RNG_SEED` or a fixed one, so that a run is repeatable.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() };
    if let Some(n) = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()) {
        config.cases = n;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = proptest::test_runner::RngSeed::Fixed(0x0063_616e_6f6e);
    }
    config
}

proptest! {
    #![proptest_config(config())]

    /// Random terms of every kind the generator writes.
    #[test]
    fn rebuilt_terms_get_the_same_id(seed in any::<u64>(), kind in prop::sample::select(vec!['s', 'v', 'm'])) {
        check_rebuild(seed, kind, false)?;
    }

    /// Random terms with a subterm named.
    #[test]
    fn partly_named_terms_get_the_same_value(seed in any::<u64>(), kind in prop::sample::select(vec!['s', 'v', 'm'])) {
        check_rebuild(seed, kind, true)?;
    }
}

/// The value of `program` as a graph node, and its simplified text.
fn value_of(program: &str) -> (bool, String) {
    let analysis = analyze(program).unwrap();
    let id = analysis.value(None).unwrap();
    let zero = analysis.graph().is_zero(id);
    (zero, common::simplify_text(program))
}

/// A sum kept whole inside another (`x + y` beside `A (x + y)`) cancels
/// against the same sum written in another order.
#[test]
fn shared_sums_cancel_however_they_were_written() {
    let (zero, text) = value_of("A: matrix(n, n); x, y: vector(n); (x + y + A (x + y)) - (x + A (x + y) + y)");
    assert_eq!(text, "zeros(n)");
    assert!(zero, "the graph's own node is zero");
}

/// Two definitions of one value are one node: names are not identity.
#[test]
fn definitions_of_one_value_are_equal() {
    let (zero, text) = value_of("W: matrix(m, n); x: vector(n); z = W x; u = W x; z - u");
    assert_eq!(text, "zeros(m)");
    assert!(zero, "the graph's own node is zero");
    let (zero, text) = value_of("W: matrix(m, n); x: vector(n); z = W x; z - W x");
    assert_eq!(text, "zeros(m)");
    assert!(zero, "a definition cancels against its value in the graph, not only when printed");
    // The user's names still print.
    assert_eq!(common::simplify_text("W: matrix(m, n); x: vector(n); z = W x; u = W x; z + u + x^T x"), "x^T x + 2 z");
    // A transposed name is like its value's transpose, as a row sum and as
    // the column sum that is its transpose.
    let (zero, text) = value_of("n: vector(k); p: scalar; alpha = p n; alpha^T - p n^T");
    assert_eq!(text, "zeros(1, k)");
    assert!(zero, "a transposed name cancels against its value's transpose in the graph");
    let rows = "n, t: vector(k); p: scalar; alpha = p n; (alpha^T + p n^T) t";
    assert_eq!(common::simplify_text(rows), "2 alpha^T t");
    assert_eq!(common::simplify_text("n, t: vector(k); p: scalar; alpha = p n; t^T (alpha + p n)"), "2 alpha^T t");
}

/// Terms whose rebuilds once got another id, each with what went wrong:
/// seed, kind, named, the family. They ran into readability rules inside
/// the constructors (now rules of the rule set) or into laws that missed a
/// form: scalar factors of a product inside a Hadamard product or a power,
/// `diag(s A^T)`, a constant beside `ones(n)`, a power of a transposed
/// square root.
const FORMER_FAILURES: &[(u64, char, bool, &str)] = &[
    (148, 'v', true, "diagonal beside a chain"),
    (596, 'm', true, "diagonal beside a chain"),
    (4353, 's', false, "diagonal in an inner product"),
    (6437, 'm', false, "diagonal in an inner product"),
    (985, 'v', true, "Hadamard factors of an inner product"),
    (38, 'm', true, "Hadamard factors of an inner product"),
    (3337, 'v', false, "a Hadamard product distributed or not by grouping"),
    (1150, 'v', true, "a scalar inside a power of a Hadamard product"),
    (6801, 's', true, "a scalar inside a power of a Hadamard product"),
    (2941, 'v', true, "a scalar inside a Hadamard product"),
    (7883, 'm', true, "a scalar inside a Hadamard product"),
    (2191, 'v', true, "the diagonal of a scaled transpose"),
    (7386, 's', true, "a constant beside ones"),
    (8968, 'v', true, "a constant beside ones"),
    (10082, 'm', true, "a power of a transposed square root"),
];

#[test]
fn former_construction_order_failures_hold() {
    let failing: Vec<String> = FORMER_FAILURES
        .iter()
        .filter_map(|&(seed, kind, named, family)| {
            check_rebuild(seed, kind, named).err().map(|e| format!("{family} (seed {seed}):\n{e}"))
        })
        .collect();
    assert!(failing.is_empty(), "{}", failing.join("\n"));
}

/// Counts the construction-order failures over the first `SURVEY` seeds
/// of each kind (300 unless set), with a subterm named if `NAMED` is set,
/// and prints them.
#[test]
#[ignore = "a survey, run by hand"]
fn survey() {
    let n: u64 = std::env::var("SURVEY").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
    let named = std::env::var_os("NAMED").is_some();
    // With `SPREAD` set, seeds spread over all of u64 as the property
    // tests draw them (splitmix64 of the index).
    let spread = std::env::var_os("SPREAD").is_some();
    let mut failures = 0;
    for seed in 0..n {
        for (i, kind) in ['s', 'v', 'm'].into_iter().enumerate() {
            let seed = seed * 3 + i as u64;
            let seed = if spread { splitmix(seed) } else { seed };
            if let Err(e) = check_rebuild(seed, kind, named) {
                failures += 1;
                eprintln!("FAIL seed {seed} {kind}\n{e}");
            }
        }
    }
    eprintln!("{failures} failures of {}", n * 3);
}

/// A well-spread 64-bit seed for the index `i` (splitmix64).
fn splitmix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Terms that tie on their reading rank and leading name are ordered by
/// structure, not by the order they were built in or a hash (and a common
/// factor taken out of them is too).
#[test]
fn ties_are_ordered_by_structure() {
    let header = "k: scalar; x, y, z: vector(n); ";
    for (bodies, expected) in
        [(["x .* y + x .* z", "x .* z + x .* y"], "x .* y + x .* z"), (["k x + k y", "k y + k x"], "k (x + y)")]
    {
        for body in bodies {
            assert_eq!(common::simplify_text(&format!("{header}{body}")), expected);
        }
    }
}
