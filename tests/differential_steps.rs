//! The Magnus–Neudecker derivation (`diff --steps --differential`): every
//! line of every derivation of the case tables equals df numerically (each
//! d(E) still in a line taken as the differential of E, against central
//! differences of f along a random dX); every line written without a d(E)
//! parses back (dX declared like X) to df; the gradient read off at the
//! end parses back and `verify` accepts it; the examples as
//! snapshots in text, Unicode and LaTeX; values without a gradient are
//! errors with a span.

mod common;

use common::cases::{COOKBOOK, EXTRA, FUNCTIONS, JACOBIANS_AND_HESSIANS, KRONECKER, ML};
use common::directional::compare;
use matcalc::print::latex::Latex;
use matcalc::{analyze, Analysis, Format};

/// The examples and a few more: (label, program, variable).
const EXAMPLES: &[(&str, &str, &str)] = &[
    ("tr_axb", "A: matrix(p, m); X: matrix(m, n); B: matrix(n, p); tr(A X B)", "X"),
    ("quadratic", "x: vector(n); A: matrix(n, n); x^T A x", "x"),
    ("least_squares", "W: matrix(m, n); x: vector(n); y: vector(m); 1/2 * norm2(W x - y)", "W"),
    ("logdet", "X: matrix(n, n); logdet(X)", "X"),
    ("inverse_form", "a, b: vector(n); X: matrix(n, n); a^T X^-1 b", "X"),
    ("seed", "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", "W"),
    ("det", "X: matrix(n, n); det(X)", "X"),
    ("symmetric", "S: symmetric(n); A: matrix(n, n); tr(A S) + logdet(S)", "S"),
    ("tanh_layer", "W: matrix(m, n); x: vector(n); y: vector(m); z = W x; h = tanh(z); L = 1/2 * norm2(h - y)", "W"),
    ("sum_exp", "X: matrix(m, n); sum(exp(X))", "X"),
    ("scalar", "k: scalar; sin(k) k", "k"),
    ("frobenius", "X: matrix(m, n); A: matrix(m, n); norm2(X - A) + tr(X^T X)", "X"),
    // Inside vec and Kronecker products, and through opaque functions.
    ("vec", "X: matrix(m, n); a: vector(m n); a^T vec(X)", "X"),
    ("kron_sum", "A: matrix(m, n); B: matrix(p, q); sum(kron(A, B))", "A"),
    ("kron_trA", "A: matrix(m, n); B: matrix(p, q); C: matrix(m p, n q); tr(C^T kron(A, B))", "A"),
    ("kron_trB", "A: matrix(m, n); B: matrix(p, q); C: matrix(m p, n q); tr(C^T kron(A, B))", "B"),
    ("kron_xy", "x: vector(m); y: vector(n); c: vector(m n); c^T kron(x, y)", "x"),
    ("opaque", "ell: function; W: matrix(n, n); x: vector(n); ell(W x)", "W"),
    ("opaque_gram", "f: function; X: matrix(m, n); f(X^T X)", "X"),
    // A Kronecker factor whose change is a sum: split by bilinearity first.
    ("kron_squares", "X: matrix(n, n); tr(kron(X, X) kron(X, X))", "X"),
    // Jacobians: vec(dF) = J vec(dX), J read off.
    ("jacobian_axb", "A: matrix(p, m); X: matrix(m, n); B: matrix(n, q); A X B", "X"),
    ("jacobian_wx", "W: matrix(m, n); x: vector(n); W x", "W"),
    ("jacobian_tanh", "A: matrix(m, n); x: vector(n); tanh(A x)", "x"),
    ("jacobian_inverse", "X: matrix(n, n); inv(X)", "X"),
    ("jacobian_transpose", "X: matrix(m, n); X^T", "X"),
    ("jacobian_outer", "x: vector(n); x x^T", "x"),
    ("jacobian_symmetric", "S: symmetric(n); x: vector(n); S x", "S"),
];

/// More cases, checked and not snapshotted: Kronecker factors whose
/// changes are sums, and 1×1 factors holding the change inside matrix
/// products (`tr(M^-1 (x^T dx))`), a trace of a change that is zero, a
/// sum of a scaled Hadamard product.
const MORE: &[(&str, &str, &str)] = &[
    ("scaled_hadamard_sum", "x: vector(n); a: vector(m); sum(exp(a x^T) / arctan(1))", "x"),
    ("mean_of_erf", "x: vector(n); a: vector(m); mean(erf(a x^T))", "x"),
    ("trace_of_a_zero_change", "k: scalar; X: matrix(n, n); tr(kron(step(k X), X))", "k"),
    ("scalar_in_logdet", "x: vector(n); A: matrix(n, n); logdet((x^T x) I + A)", "x"),
    ("scalar_in_gram", "x, y: vector(n); logdet((x y^T)^T (x y^T) + I)", "x"),
    ("trace_in_logdet", "X: matrix(n, n); A: matrix(n, n); logdet(tr(X) I + A)", "X"),
    ("trace_in_inverse", "X: matrix(n, n); A: matrix(n, n); tr(inv(tr(X^T X) A + I))", "X"),
    ("kron_sym", "X: matrix(n, n); B: matrix(p, q); C: matrix(n p, n q); tr(C^T kron(X + X^T, B))", "X"),
    ("kron_square", "X: matrix(n, n); B: matrix(p, q); C: matrix(n p, n q); tr(C^T kron(X X, B))", "X"),
    ("kron_right", "X: matrix(n, n); A: matrix(p, q); C: matrix(p n, q n); tr(C^T kron(A, 2 X - X^T X))", "X"),
    ("kron_both", "x: vector(n); c: vector(n n); c^T kron(x + exp(x), x .* x)", "x"),
];

/// Every case: [`EXAMPLES`] and the tables of scalar derivative cases.
fn cases() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut all: Vec<(&str, &str, &str)> = EXAMPLES.to_vec();
    for table in [COOKBOOK, ML, JACOBIANS_AND_HESSIANS, EXTRA, FUNCTIONS, KRONECKER, MORE] {
        all.extend(table.iter().copied());
    }
    all
}

/// Relative error above which a line is not df.
const TOLERANCE: f64 = 1e-6;

/// The kind of `name` as a declaration writes it (`matrix(m, n)`).
fn kind_of(analysis: &Analysis, name: &str) -> String {
    analysis.symbol_types().into_iter().find(|t| t.name == name).expect("the variable has a type").kind
}

#[test]
fn every_line_equals_df() {
    let (mut derived, mut jacobians, mut lines, mut refused) = (0, 0, 0, Vec::new());
    let mut failures = Vec::new();
    for (label, program, wrt) in cases() {
        let mut analysis = analyze(program).unwrap_or_else(|e| panic!("{label}: {}", e.render(program)));
        if !analysis.graph().shape(analysis.value(None).unwrap()).is_scalar() {
            jacobians += 1;
        }
        let mut derivation = match analysis.differential_derivation(None, wrt) {
            Ok(d) => d,
            Err(e) => {
                assert!(e.span.is_some(), "{label}: an error without a span: {}", e.message);
                refused.push(format!("{label}: {}", e.message));
                continue;
            }
        };
        derived += 1;
        if std::env::var_os("MN_DEBUG").is_some() {
            eprintln!("{label}\n{}", derivation.render(Format::Text, &Latex::default(), 100));
        }
        let resolved = derivation.resolved_lines().expect("the lines' differentials exist");
        let (root, wrt_id, direction) = derivation.parts();
        for (i, line) in resolved.into_iter().enumerate() {
            let (error, points) = compare(derivation.graph(), root, wrt_id, direction, line);
            lines += 1;
            if points == 0 || error.is_nan() || error > TOLERANCE {
                let text = derivation.render(Format::Text, &Latex::default(), 100);
                failures.push(format!("{label}, line {i}: {error:.2e} off ({points} points)\n{text}"));
            }
        }
        // vec(dF) = J vec(dX) against the differences of vec(F).
        if let Some((vec_root, line)) = derivation.vec_line_and_value() {
            let (error, points) = compare(derivation.graph(), vec_root, wrt_id, direction, line);
            lines += 1;
            if points == 0 || error.is_nan() || error > TOLERANCE {
                let text = derivation.render(Format::Text, &Latex::default(), 100);
                failures.push(format!("{label}, vec(dF): {error:.2e} off ({points} points)\n{text}"));
            }
        }
    }
    eprintln!("{derived} derivations ({jacobians} Jacobians), {lines} lines compared; refused: {refused:#?}");
    assert!(failures.is_empty(), "{} failures:\n\n{}", failures.len(), failures.join("\n\n"));
    assert!(derived >= 80, "only {derived} derivations");
    assert!(jacobians >= 40, "only {jacobians} Jacobians");
    assert!(refused.is_empty(), "{} refused: {refused:#?}", refused.len());
}

/// The text of a program's value: its last expression, or the name of its last definition.
fn value_text(program: &str) -> &str {
    let last = program.rsplit(';').next().unwrap_or(program).trim();
    last.split_once(" = ").map_or(last, |(name, _)| name.trim())
}

/// The right side of a printed text line `lhs = expr  [reason]`.
fn expression_of(line: &str) -> &str {
    let (_, rest) = line.split_once(" = ").expect("an equation line");
    let rest = rest.rsplit_once("  [").map_or(rest, |(e, _)| e);
    rest.trim_end()
}

#[test]
fn printed_lines_and_gradients_read_back() {
    let (mut gradients, mut read_lines) = (0, 0);
    let mut failures = Vec::new();
    for (label, program, wrt) in cases() {
        let mut analysis = analyze(program).expect("case analyses");
        for format in [Format::Text, Format::Unicode] {
            let Ok(derivation) = analysis.differential_derivation(None, wrt) else { continue };
            let printed = analysis.differential_steps(None, wrt, format, &Latex::default(), 100_000).expect("prints");
            let rows: Vec<&str> = printed.lines().collect();
            // The gradient read off the last line is the gradient.
            let claim = expression_of(rows[rows.len() - 1]);
            let derivative = analysis.derivative(None, wrt).expect("a gradient");
            match matcalc::verify::verify(&mut analysis, &derivative, claim, &Default::default()) {
                Ok(verdict) if verdict.correct() => gradients += 1,
                Ok(verdict) => failures.push(format!("{label}: G = {claim} is not the gradient: {verdict:?}")),
                Err(e) => failures.push(format!("{label}: G = {claim} does not parse: {}", e.render(claim))),
            }
            // Lines without a d(E) are expressions in dX.
            let direction = format!("d{wrt}");
            if analysis.graph().find_symbol(&direction).is_some() {
                continue;
            }
            let declared = format!("{direction}: {}; {program}", kind_of(&analysis, wrt));
            let vec_row = usize::from(derivation.vec_line.is_some());
            assert_eq!(rows.len(), derivation.lines.len() + vec_row + 1, "{label}: a row per line\n{printed}");
            for (i, row) in rows[..rows.len() - 1].iter().enumerate() {
                let expr = expression_of(row);
                if i < derivation.lines.len() && derivation.holds_differentials(i) {
                    continue;
                }
                let mut again = analyze(&declared).expect("the program with dX declared analyses");
                // The row vec(dF) = J vec(dX) is compared with vec(F).
                let root = if i < derivation.lines.len() {
                    again.value(None).unwrap()
                } else {
                    assert!(row.starts_with("vec("), "{label}: {row}");
                    again.lower_claim(&format!("vec({})", value_text(program))).expect("vec(F) reads")
                };
                let back = match again.lower_claim(expr) {
                    Ok(id) => id,
                    Err(e) => {
                        failures.push(format!("{label} ({format:?}): line {row} does not parse: {}", e.render(expr)));
                        continue;
                    }
                };
                let graph = again.graph();
                let (x, dx) = (graph.find_symbol(wrt).unwrap(), graph.find_symbol(&direction).unwrap());
                let (error, points) = compare(again.graph(), root, x, dx, back);
                read_lines += 1;
                if points == 0 || error.is_nan() || error > TOLERANCE {
                    failures.push(format!("{label} ({format:?}): line {row} reads back {error:.2e} away"));
                }
            }
        }
    }
    eprintln!("{gradients} gradients verified, {read_lines} printed lines read back");
    assert!(failures.is_empty(), "{} failures:\n\n{}", failures.len(), failures.join("\n\n"));
    assert!(gradients >= 160, "only {gradients} gradients verified");
    assert!(read_lines >= 300, "only {read_lines} lines read back");
}

#[test]
fn examples() {
    let mut out = String::new();
    for (label, program, wrt) in EXAMPLES {
        let mut analysis = analyze(program).expect("example analyses");
        out.push_str(&format!("# {label}\n$ matcalc diff '{program}' --wrt {wrt} --steps --differential\n"));
        for format in [Format::Text, Format::Unicode, Format::Latex] {
            let printed = analysis
                .differential_steps(None, wrt, format, &Latex::default(), 100)
                .unwrap_or_else(|e| panic!("{label}: {}", e.render(program)));
            out.push_str(&printed);
            out.push('\n');
        }
        out.push('\n');
    }
    common::snapshots(|| insta::assert_snapshot!(out));
}

/// The gradient of an opaque function at an argument that depends on the
/// variable (its differential needs the function's second derivative):
/// errors with a span, never a panic.
#[test]
fn refusals_point_at_the_value() {
    for (program, wrt, message) in [
        ("ell: function; x, a: vector(n); a^T grad(ell(x), x)", "x", "second derivative"),
        ("ell: function; X: matrix(n, n); grad(ell(X), X)", "X", "second derivative"),
    ] {
        let mut analysis = analyze(program).expect("analyses");
        let e = analysis.differential_steps(None, wrt, Format::Text, &Latex::default(), 100).expect_err(program);
        assert!(e.message.contains(message), "{program}: {}", e.message);
        let rendered = e.render(program);
        assert!(rendered.contains('^'), "{program}: no caret:\n{rendered}");
    }
}
