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
    ("dimension_products", "v: vector(m n); A: matrix(2 n, m n n); I(m n) v"),
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

/// Input as people type it and as `--format unicode` prints it: each
/// Unicode spelling is the same value as its ASCII one.
#[test]
fn unicode_spellings_mean_their_ascii_forms() {
    const DECLARATIONS: &str = "W: matrix(m, n); A: matrix(n, n); x, y: vector(n); alpha, sigma2: scalar; \
                                f, phi: function;";
    const PAIRS: &[(&str, &str)] = &[
        ("‖x‖²", "norm2(x)"),
        ("||x||^2", "norm2(x)"),
        ("‖x‖^2", "norm2(x)"),
        ("‖x‖", "norm(x)"),
        ("||x||", "norm(x)"),
        ("‖x‖₁", "norm1(x)"),
        ("1/2 * ‖Wᵀ W x − x‖²", "1/2 * norm2(W^T W x - x)"),
        ("2 ‖x‖ ‖y‖", "2 * norm(x) * norm(y)"),
        ("‖x + ‖y‖ x‖", "norm(x + norm(y) * x)"),
        ("‖‖x‖ y‖", "norm(norm(x) * y)"),
        ("−x · 3", "-x * 3"),
        ("x − A⋅x", "x - A * x"),
        ("A⁻ᵀ x + A⁻¹ x", "A^-T x + A^-1 x"),
        ("x ⊘ y ⊙ x", "x ./ y .* x"),
        ("𝟙ᵀ x + sum(𝟙(n) ⊙ x)", "ones(n)^T x + sum(ones(n) .* x)"),
        ("sum(𝟙(m×n) ⊙ W) + sum(𝟎(n×m) W)", "sum(ones(m, n) .* W) + sum(zeros(n, m) W)"),
        ("α ‖x‖ + σ2", "alpha * norm(x) + sigma2"),
        ("σ(x) + φ(x)", "sigmoid(x) + phi(x)"),
        ("Wᵀ ∂f/∂(W x) + ∂f/∂x", "W^T grad(f, W x) + grad(f, x)"),
    ];
    for (unicode, ascii) in PAIRS {
        let value = |expression: &str| {
            let program = format!("{DECLARATIONS} {expression}");
            let mut analysis = matcalc::analyze(&program).unwrap_or_else(|e| panic!("{}", e.render(&program)));
            let value = analysis.simplified(None).expect("simplifies");
            analysis.print(value, matcalc::Format::Text)
        };
        assert_eq!(value(unicode), value(ascii), "{unicode} should mean {ascii}");
    }
}

/// A Greek letter is its spelled-out name unless the program declares the
/// letter itself; an unclosed norm bar is an error at the bar.
#[test]
fn greek_letters_and_unclosed_bars() {
    let types = matcalc::analyze("alpha: scalar; x: vector(n); α x").expect("analyses").types();
    assert_eq!(types, "alpha: scalar\nx: vector(n)\n");
    let both = matcalc::analyze("alpha, α: scalar; x: vector(n); α x + alpha x").expect("analyses").types();
    assert_eq!(both, "alpha: scalar\nα: scalar\nx: vector(n)\n");
    for (source, bar) in [("x: vector(n); ‖x", 14), ("x: vector(n); x‖ + 1", 15), ("x: vector(n); ||x", 14)] {
        let error = matcalc::analyze(source).expect_err(source);
        assert!(error.message.contains("never closed"), "{source}: {}", error.message);
        assert_eq!(error.span.map(|s| s.start), Some(bar), "{source}");
    }
}

#[test]
fn every_whitespace_is_a_space() {
    // Tabs, carriage returns and no-break spaces separate tokens as a
    // space does, in and out of brackets and comments, and errors still
    // point at the right bytes.
    // Spans differ where a replacement is longer than a space.
    let without_spans = |text: String| {
        text.split("Span {")
            .enumerate()
            .map(|(i, part)| if i == 0 { part } else { &part[part.find('}').map_or(0, |k| k + 1)..] })
            .collect::<String>()
    };
    let spaced = without_spans(statements("W: matrix(m, n); x: vector(n)\nz = W x - 2 x # c\nz^T z"));
    for (from, to) in [(" ", "\t"), (" ", "\u{00A0}"), ("\n", "\r\n"), (" ", " \t\u{00A0} ")] {
        let source = "W: matrix(m, n); x: vector(n)\nz = W x - 2 x # c\nz^T z".replace(from, to);
        assert_eq!(without_spans(statements(&source)), spaced, "{source:?}");
    }
    assert_eq!(statements("norm2(W\tx\r\n\u{00A0}- y)"), statements("norm2(W x - y)"));
    let error = parse_program("x\u{00A0}+\t*").unwrap_err();
    let span = error.span.expect("a syntax error has a span");
    assert_eq!(span.start, "x\u{00A0}+\t".len());
}

#[test]
fn a_declared_product_of_sizes_is_checked_factor_by_factor() {
    let error = parse_program("v: vector(m 0 n)").unwrap_err();
    assert_eq!(error.message, "a dimension must be positive");
    assert_eq!(error.span.expect("a span").start, "v: vector(m ".len());
    let Err(error) = matcalc::analyze("v: vector(m n); w: vector(n); v + w") else { panic!("m·n is not n") };
    assert!(error.message.contains("m·n"), "{}", error.message);
    // Products past the bound on factors or on a fixed size are Limit
    // errors at the product, not overflows.
    for source in ["v: vector(a b c d e); sum(v)", "v: vector(18446744073709551615 2); sum(v)"] {
        let Err(error) = matcalc::analyze(source) else { panic!("{source} is too large") };
        assert_eq!(error.kind, matcalc::ErrorKind::Limit, "{source}: {}", error.message);
        assert_eq!(error.span.expect("a span").start, "v: vector(".len(), "{source}");
    }
}
