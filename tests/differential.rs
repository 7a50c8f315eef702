//! Differentials (`diff --differential`): the linearisation dF, evaluated at
//! random points X and random directions dX, equals the central difference
//! (F(X + h dX) − F(X − h dX)) / 2h; the printed right side reads back (dX
//! declared like X) to the same value; the examples as snapshots;
//! and a deep residual net's differential stays linear in the depth.

mod common;

use common::cases::{COOKBOOK, EXTRA, FUNCTIONS, JACOBIANS_AND_HESSIANS, JACOBIANS_THROUGH_MATRICES, ML};
use common::directional::compare;
use matcalc::print::latex::Latex;
use matcalc::{analyze, Analysis, Format};

/// Matrix- and vector-valued expressions, and the scalar ones of the issue:
/// (label, program, variable).
const ARRAYS: &[(&str, &str, &str)] = &[
    ("AXB", "A: matrix(p, m); X: matrix(m, n); B: matrix(n, q); A X B", "X"),
    ("inv", "X: matrix(n, n); X^-1", "X"),
    ("gram", "X: matrix(m, n); X^T X", "X"),
    ("Wx", "W: matrix(m, n); x: vector(n); W x", "W"),
    ("Wx_x", "W: matrix(m, n); x: vector(n); W x", "x"),
    ("exp", "X: matrix(m, n); exp(X)", "X"),
    ("outer", "x: vector(n); x x^T", "x"),
    ("tr", "A, X: matrix(n, n); tr(A X)", "X"),
    ("det", "X: matrix(n, n); det(X)", "X"),
    ("logdet", "X: matrix(n, n); logdet(X)", "X"),
    ("seed", "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", "W"),
    ("inv_sum", "A, X: matrix(n, n); inv(A + X) X", "X"),
    ("tanh_layer", "W: matrix(m, n); b: vector(m); x: vector(n); tanh(W x + b)", "W"),
    ("hadamard", "X, Y: matrix(m, n); (X .* Y) .* X + sigmoid(X)", "X"),
    ("power", "X: matrix(n, n); X^3 - 2 X^2", "X"),
    ("elementwise_power", "X: matrix(m, n); Y: matrix(m, n); exp(X) .^ Y", "X"),
    ("softmax", "x: vector(n); softmax(2 x)", "x"),
    ("diag", "x: vector(n); A: matrix(n, n); diag(x) A diag(x) x + diag(A x) x", "x"),
    ("diag_of_matrix", "X: matrix(n, n); diag(X X^T)", "X"),
    ("scalar_times", "k: scalar; X: matrix(m, n); k^2 X + sin(k) ones(m, n)", "k"),
    ("broadcast", "k: scalar; X: matrix(m, n); X + k^2", "k"),
    ("norms", "X: matrix(m, n); norm(X) X + norm1(X) X", "X"),
    ("symmetric", "S: symmetric(n); A: matrix(n, n); S A S + inv(S)", "S"),
    ("opaque", "ell: function; W: matrix(n, n); x: vector(n); z = tanh(W x); L = ell(W z)", "W"),
    ("definitions", "W: matrix(n, n); x: vector(n); z = W x; h = tanh(z); h .* z + W h", "W"),
    ("lse", "x: vector(n); A: matrix(n, n); logsumexp(A x) x", "x"),
];

/// Every case: the tables of derivative cases and [`ARRAYS`].
fn cases() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut all: Vec<(&str, &str, &str)> = ARRAYS.to_vec();
    for table in [COOKBOOK, ML, JACOBIANS_AND_HESSIANS, JACOBIANS_THROUGH_MATRICES, EXTRA, FUNCTIONS] {
        all.extend(table.iter().copied());
    }
    all
}

/// Relative error above which a differential is wrong.
const TOLERANCE: f64 = 1e-6;

#[test]
fn differentials_agree_with_central_differences() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for (label, program, wrt) in cases() {
        let mut analysis = analyze(program).unwrap_or_else(|e| panic!("{label}: {}", e.render(program)));
        let differential = match analysis.differential(None, wrt) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{label}: {}", e.render(program)));
                continue;
            }
        };
        // The pass's own result, before the rules, and the simplified one.
        let graph = analysis.graph_mut();
        let raw =
            matcalc::diff::differential::differential(graph, differential.of, differential.wrt, differential.direction)
                .expect("the pass succeeded once");
        for (what, candidate) in [("raw", raw), ("simplified", differential.result)] {
            let (error, points) =
                compare(analysis.graph(), differential.of, differential.wrt, differential.direction, candidate);
            if points == 0 {
                failures.push(format!("{label} ({what}): no point compared"));
            } else if error.is_nan() || error > TOLERANCE {
                let text = analysis.print(candidate, Format::Text);
                failures.push(format!("{label} ({what}): relative error {error:.2e}: d = {text}"));
            }
            compared += points;
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(compared > 400, "only {compared} points compared");
}

/// The kind of `name` as a declaration writes it (`matrix(m, n)`).
fn kind_of(analysis: &Analysis, name: &str) -> String {
    analysis.symbol_types().into_iter().find(|t| t.name == name).expect("the variable has a type").kind
}

/// The printed equation's right side as a claim: the definitions' lines
/// (`t1 = …`) before the equation, then what follows the equation's first
/// ` = ` (the equation is the line that starts with its left side `d…`).
fn right_side(printed: &str) -> String {
    let lines: Vec<&str> = printed.lines().collect();
    let at = lines.iter().position(|l| l.starts_with('d')).expect("an equation");
    let equation = lines[at..].join("\n");
    let (_, rhs) = equation.split_once(" = ").expect("an equation");
    lines[..at].iter().copied().chain([rhs]).collect::<Vec<_>>().join("\n")
}

#[test]
fn printed_differentials_read_back() {
    let mut failures = Vec::new();
    for (label, program, wrt) in cases() {
        let mut analysis = analyze(program).expect("case analyses");
        let Ok(differential) = analysis.differential(None, wrt) else { continue };
        let direction = analysis.graph().symbol(differential.direction).name.clone();
        let declared = format!("{direction}: {}; {program}", kind_of(&analysis, wrt));
        for format in [Format::Text, Format::Unicode] {
            let printed = analysis
                .print_differential(&differential, None, format, &Latex::default(), 100)
                .expect("text and unicode print");
            let claim = right_side(&printed);
            let mut again = analyze(&declared).unwrap_or_else(|e| panic!("{label}: {}", e.render(&declared)));
            let back = match again.lower_claim(&claim) {
                Ok(id) => id,
                Err(e) => {
                    failures.push(format!(
                        "{label} ({format:?}): printed\n{printed}\ndoes not parse back:\n{}",
                        e.render(&claim)
                    ));
                    continue;
                }
            };
            let graph = again.graph();
            let (wrt, direction) =
                (graph.find_symbol(wrt).expect("variable"), graph.find_symbol(&direction).expect("dX"));
            let root = again.value(None).expect("the program has a value");
            let (error, points) = compare(again.graph(), root, wrt, direction, back);
            if points == 0 || error.is_nan() || error > TOLERANCE {
                failures.push(format!(
                    "{label} ({format:?}): printed\n{printed}\nreads back {error:.2e} away ({points} points)"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// The direction's name when the program already uses `dX`: a fresh one,
/// printed apart from the program's `dX` in every format.
#[test]
fn a_taken_name_gives_a_fresh_direction() {
    let program = "dX: matrix(n, n); X: matrix(n, n); dX X";
    let mut analysis = analyze(program).expect("analyses");
    let differential = analysis.differential(None, "X").expect("differential");
    assert_eq!(analysis.graph().symbol(differential.direction).name, "dX_1");
    let text = analysis.print_differential(&differential, None, Format::Text, &Latex::default(), 100).unwrap();
    assert_eq!(text, "d(dX X) = dX dX_1");
    let latex = analysis.print_differential(&differential, None, Format::Latex, &Latex::default(), 80).unwrap();
    assert_eq!(latex, "\\mathrm{d}(\\mathbf{dX} \\mathbf{X}) = \\mathbf{dX} \\mathrm{d}\\mathbf{X}");
}

/// A built-in's name is never a direction's (`d` + `iag` would be `diag`).
#[test]
fn a_builtin_name_is_never_a_direction() {
    let mut analysis = analyze("iag: vector(n); sum(exp(iag))").expect("analyses");
    let differential = analysis.differential(None, "iag").expect("differential");
    assert_eq!(analysis.graph().symbol(differential.direction).name, "diag_1");
}

#[test]
fn other_formats_are_refused() {
    let mut analysis = analyze("A X B").expect("analyses");
    let differential = analysis.differential(None, "X").expect("differential");
    for format in [Format::Numpy, Format::Jax, Format::Torch, Format::Dot, Format::Tikz] {
        let refused = analysis.print_differential(&differential, None, format, &Latex::default(), 100);
        assert!(refused.is_err(), "{format:?} printed a differential");
    }
}

/// The examples in text, Unicode and LaTeX.
#[test]
fn examples() {
    let examples: &[(&str, &str, Option<&str>)] = &[
        ("A X B", "X", None),
        ("X^-1", "X", None),
        ("X^T X", "X", None),
        ("W x", "W", None),
        ("x x^T", "x", None),
        ("exp(X)", "X", None),
        ("det(X)", "X", None),
        ("logdet(X)", "X", None),
        ("L = tr(A X)", "X", None),
        ("L = x^T A x", "x", None),
        ("L = 1/2 * norm2(W^T W x - x)", "W", None),
        ("W: matrix(m, n); x: vector(n); z = W x; h = tanh(z); L = 1/2 * norm2(h)", "W", Some("h")),
        ("k: scalar; L = sin(k) k", "k", None),
        ("k: scalar; L = sin(k) k", "L", None),
    ];
    let mut out = String::new();
    for (program, wrt, of) in examples {
        let mut analysis = analyze(program).expect("example analyses");
        let differential = analysis.differential(*of, wrt).expect("example differentiates");
        let of_flag = of.map(|o| format!(" --of {o}")).unwrap_or_default();
        out.push_str(&format!("$ matcalc diff '{program}' --wrt {wrt}{of_flag} --differential\n"));
        for format in [Format::Text, Format::Unicode, Format::Latex] {
            let printed = analysis.print_differential(&differential, *of, format, &Latex::default(), 100).unwrap();
            out.push_str(&printed);
            out.push('\n');
        }
        out.push('\n');
    }
    common::snapshots(|| insta::assert_snapshot!(out));
}

/// The program of a `k`-layer residual net `h_i = h_{i-1} + tanh(W_i h_{i-1})`,
/// its value the output `hk`, or with `loss` the loss `L = 1/2 * norm2(hk - y)`.
fn residual_net(k: usize, loss: bool) -> String {
    let mut s = String::from("x, y: vector(n)\n");
    for i in 1..=k {
        s.push_str(&format!("W{i}: matrix(n, n)\n"));
    }
    s.push_str("h0 = x\n");
    for i in 1..=k {
        s.push_str(&format!("h{i} = h{} + tanh(W{i} h{})\n", i - 1, i - 1));
    }
    if loss {
        s.push_str(&format!("L = 1/2 * norm2(h{k} - y)\n"));
    }
    s
}

/// The differential of a k-layer residual net's output and of its loss,
/// with respect to its input and to its first layer's weights, has a node
/// count linear in k (and stays within the derivative work budget: the
/// loss's last inner product once transposed the whole shared differential
/// path by path): each layer adds the same few nodes (measured: 11 k + 3 nodes with
/// respect to x, 11 k + 2 with respect to W1, for the loss 13 k + 10 and
/// 13 k + 9, the net's own nodes among them).
#[test]
fn residual_net_differential_is_linear_in_depth() {
    common::with_big_stack(|| {
        for (wrt, loss) in [("x", false), ("W1", false), ("x", true), ("W1", true)] {
            let sizes: Vec<(usize, usize)> = [16, 32, 64, 128, 256]
                .iter()
                .map(|&k| {
                    let mut analysis = analyze(&residual_net(k, loss)).expect("net analyses");
                    let differential = analysis.differential(None, wrt).expect("net differentiates");
                    let nodes = analysis.graph().size(differential.result);
                    eprintln!("wrt {wrt}, loss {loss}, k = {k:3}: {nodes} nodes");
                    (k, nodes)
                })
                .collect();
            let per_layer = (sizes[1].1 - sizes[0].1) / 16;
            let offset = sizes[0].1 as i64 - 16 * per_layer as i64;
            for &(k, nodes) in &sizes {
                assert!(
                    nodes as i64 <= (per_layer * k) as i64 + offset,
                    "wrt {wrt} (loss {loss}), k = {k}: {nodes} nodes exceeds the linear fit {per_layer} k + {offset}"
                );
            }
            assert!(per_layer <= 16, "wrt {wrt} (loss {loss}): {per_layer} nodes per layer");
        }
    });
}
