//! The parser: precedence and associativity as a MATLAB/NumPy user
//! expects, shown as fully bracketed trees.

mod common;

use matcalc::ast::{BinaryOp, Expr, ExprKind, Statement};
use matcalc::syntax::parse_program;

fn tree(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(c) => matcalc::coeff::display(c),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Call { name, args, .. } => {
            format!("{name}({})", args.iter().map(tree).collect::<Vec<_>>().join(", "))
        }
        ExprKind::Negate(a) => format!("(neg {})", tree(a)),
        ExprKind::Binary(op, a, b) => {
            let op = match op {
                BinaryOp::Multiply => "*",
                other => other.symbol(),
            };
            format!("({} {op} {})", tree(a), tree(b))
        }
        ExprKind::Transpose(a) => format!("(T {})", tree(a)),
        ExprKind::InverseTranspose(a) => format!("(-T {})", tree(a)),
        ExprKind::Power { base, exponent, elementwise } => {
            format!("({} {} {})", tree(base), if *elementwise { ".^" } else { "^" }, tree(exponent))
        }
    }
}

fn statements(source: &str) -> String {
    match parse_program(source) {
        Ok(program) => program
            .statements
            .iter()
            .map(|s| match s {
                Statement::Declare { names, kind, .. } => {
                    let names: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
                    format!("declare {} : {kind:?}", names.join(", "))
                }
                Statement::Define { name, value, .. } => format!("define {name} = {}", tree(value)),
                Statement::Expr(e) => tree(e),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => e.render(source),
    }
}

const CASES: &[(&str, &str)] = &[
    ("juxtaposition", "W x"),
    ("juxtaposition_chain", "W^T W x - x"),
    ("negated_transpose", "-x^T"),
    ("transpose_binds_tight", "A^T B"),
    ("coefficient", "2 x"),
    ("half", "1/2 * x"),
    ("divide", "x / 2"),
    ("left_associative", "a - b - c"),
    ("mixed_products", "a .* b * c ./ d"),
    ("prime_transpose", "A' B'"),
    ("inverse_forms", "A^-1 + A^{-1} + inv(A) + A^-T + A⁻¹"),
    ("powers", "k^2 + x .^ 3 + (k k + 1)^1.5 + A^(2)"),
    ("unicode_operators", "x ⊙ σ(x) + Wᵀ y"),
    ("unary_minus_power", "-2^2"),
    ("call_versus_product", "W (x) + f(x)"),
    ("decimal_exact", "0.1 x + 1e-3 y + .5 z"),
    ("derivative_operators", "grad(e, X) + jacobian(f, x) + hessian(g, x)"),
    ("identity_and_ones", "I + I(n) + eye(3) + ones(m)^T + ones(m, n)"),
    (
        "statements",
        "W: matrix(m, n); x, y: vector(n); k: scalar\nS: symmetric(3)\nell: function # opaque\nz = W x\nell(z)",
    ),
    ("multiline_brackets", "norm2(W x\n  - y)"),
    ("comments_and_blank_lines", "# header\n\nx: vector(n)  # a vector\n\nx^T x\n"),
];

#[test]
fn parse_trees() {
    common::snapshots(|| {
        for (name, source) in CASES {
            let out = statements(source);
            assert!(!out.starts_with("error"), "{name}: {out}");
            insta::assert_snapshot!(*name, out, source);
        }
    });
}

#[test]
fn numbers_stay_exact() {
    let digits = "7".repeat(250);
    let program = parse_program(&format!("{digits} x")).unwrap();
    let Statement::Expr(e) = &program.statements[0] else { panic!() };
    assert!(tree(e).contains(&digits));
}
