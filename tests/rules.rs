//! Tests generated from the rule table (`src/rules/table.rs`), one loop
//! each, no code per rule: the table loads; each rule's examples are one
//! reviewed snapshot (`rules__<name>.snap`: input ⇒ output and the trace),
//! equal in value and showing the rule at work; each rule is sound at
//! random well-shaped instances of its metavariables (both sides and the
//! driver's result evaluated at random points); `simplify --trace` prints
//! the rules' names.

mod common;

use matcalc::check::{random_env, Rng, Sampling};
use matcalc::eval::evaluate;
use matcalc::rules::{self, table::RULES, Body, RuleSet};
use matcalc::{analyze, ExprId, Format, Graph};

/// Random instances per declaration of a rule's metavariables.
const INSTANCES: usize = 12;
/// Random points per instance.
const POINTS: u64 = 3;

/// The variables random instances are built from (`m`, `n` are the
/// dimension names the table's declarations use).
const BASE: &str = "s, t: scalar; a, b: vector(n); A: matrix(n, n); P, Q: matrix(m, n)";

#[test]
fn the_table_loads_with_unique_names_and_documented_rules() {
    let set = RuleSet::compile(RULES).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.rules.len(), RULES.len());
    for (i, rule) in RULES.iter().enumerate() {
        assert!(RULES[..i].iter().all(|r| r.name != rule.name), "two rules named {}", rule.name);
        assert!(!rule.doc.is_empty() && !rule.doc.contains('\n'), "{}: one line of doc", rule.name);
        assert!(!rule.examples.is_empty(), "{}: no examples", rule.name);
    }
}

#[test]
fn a_rule_whose_sides_differ_in_shape_is_refused() {
    let mut wrong = RULES[0];
    wrong.body = Body::Pattern { lhs: "sum(sigmoid(-?z))", rhs: "1 - sigmoid(?z)" };
    wrong.shapes = &["?z: vector(n)"];
    let err = RuleSet::compile(&[wrong]).unwrap_err();
    assert!(err.contains("different shapes"), "{err}");
    wrong.body = Body::Pattern { lhs: "sigmoid(-?z)", rhs: "?w" };
    assert!(RuleSet::compile(&[wrong]).unwrap_err().contains("no declared shape"));
}

/// The largest relative difference of `a` and `b` at random points of `graph`.
fn difference(graph: &Graph, a: ExprId, b: ExprId, seed: u64) -> f64 {
    let mut rng = Rng::new(seed);
    let mut worst: f64 = 0.0;
    for _ in 0..POINTS {
        let env = random_env(graph, &mut rng, Sampling::Mixed);
        let x = evaluate(graph, a, &env).expect("evaluates");
        let y = evaluate(graph, b, &env).expect("evaluates");
        let scale = x.max_abs().max(y.max_abs()).max(1.0);
        let diff = x.zip(&y, |p, q| p - q).expect("same shape (or broadcast)").max_abs();
        worst = worst.max(diff / scale);
    }
    worst
}

#[test]
fn every_rule_example_is_a_reviewed_snapshot() {
    for rule in RULES {
        let mut out = String::new();
        let mut fired = false;
        for (k, example) in rule.examples.iter().enumerate() {
            let mut analysis = analyze(example).unwrap_or_else(|e| panic!("{}: {}", rule.name, e.render(example)));
            let input = analysis.value(None).unwrap();
            let (output, trace) = analysis.simplified_traced(None).unwrap();
            assert!(trace.stopped.is_none(), "{}: {example}: {:?}", rule.name, trace.stopped);
            fired |= trace.rule_names().contains(&rule.name);
            let diff = difference(analysis.graph(), input, output, k as u64 + 1);
            assert!(diff < 1e-9, "{}: {example} changed value by {diff}", rule.name);
            let printed = analysis.print(output, Format::Text);
            out.push_str(&format!("{example}\n=> {printed}\n"));
            for line in analysis.trace_lines(&trace) {
                out.push_str(&format!("   {line}\n"));
            }
            out.push('\n');
        }
        assert!(fired, "{}: no example applies the rule", rule.name);
        common::snapshots(|| insta::assert_snapshot!(rule.name, out));
    }
}

/// A random term of `shape` (`scalar`, `vector(n)`, `matrix(m, n)`) over [`BASE`].
fn random_term(rng: &mut Rng, shape: &str, depth: usize) -> String {
    let atoms: &[&str] = match shape {
        "scalar" => &["s", "t", "(a^T b)", "(2 s)"],
        "vector(n)" => &["a", "b", "(A a)", "(s a)"],
        _ => &["P", "Q", "(P A)", "(s Q)"],
    };
    if depth == 0 || rng.range(0, 2) == 0 {
        return atoms[rng.range(0, atoms.len() - 1)].to_string();
    }
    let x = random_term(rng, shape, depth - 1);
    let y = random_term(rng, shape, depth - 1);
    match rng.range(0, 5) {
        0 => format!("({x} + {y})"),
        1 => format!("({x} - {y})"),
        2 => format!("({x} .* {y})"),
        3 => format!("(-{x})"),
        4 => format!("(3 {x})"),
        _ => format!("tanh({x})"),
    }
}

/// `pattern` with each `?name` replaced by its term.
fn instantiate(pattern: &str, terms: &[(String, String)]) -> String {
    let mut out = pattern.to_string();
    // Longer names first, so `?x` does not replace part of `?xy`.
    let mut sorted: Vec<&(String, String)> = terms.iter().collect();
    sorted.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    for (name, term) in sorted {
        out = out.replace(&format!("?{name}"), &format!("({term})"));
    }
    out
}

/// A random term for each metavariable the declarations `shapes` name.
fn random_terms(rng: &mut Rng, shapes: &str) -> Vec<(String, String)> {
    shapes
        .split(';')
        .flat_map(|decl| {
            let (names, kind) = decl.split_once(':').expect("a declaration");
            let kind = kind.trim().to_string();
            names.split(',').map(move |n| (n.trim().trim_start_matches('?').to_string(), kind.clone()))
        })
        .map(|(name, kind)| {
            let term = random_term(rng, &kind, 2);
            (name, term)
        })
        .collect()
}

#[test]
fn every_pattern_rule_is_sound_at_random_instances() {
    let mut rng = Rng::new(14);
    for rule in RULES {
        let Body::Pattern { lhs, rhs } = rule.body else { continue };
        let mut fired = 0;
        for shapes in rule.shapes {
            for _ in 0..INSTANCES {
                // Each declaration `?v: kind` gets a random term of its kind.
                let terms = random_terms(&mut rng, shapes);
                let program =
                    format!("{BASE}\nlhs = {}\nrhs = {}\nlhs", instantiate(lhs, &terms), instantiate(rhs, &terms));
                let mut analysis =
                    analyze(&program).unwrap_or_else(|e| panic!("{}: {}", rule.name, e.render(&program)));
                let graph = analysis.graph_mut();
                let side = |g: &Graph, name: &str| g.definition_value(g.find_symbol(name).unwrap()).unwrap();
                let (l, r) = (side(graph, "lhs"), side(graph, "rhs"));
                let identity = difference(graph, l, r, rng.next_u64());
                assert!(identity < 1e-7, "{}: {program}: the two sides differ by {identity}", rule.name);
                let (rewritten, trace) = rules::apply_standard(graph, l);
                assert!(trace.stopped.is_none(), "{}: {program}: {:?}", rule.name, trace.stopped);
                if trace.rule_names().contains(&rule.name) {
                    fired += 1;
                }
                let driven = difference(graph, l, rewritten, rng.next_u64());
                assert!(driven < 1e-7, "{}: {program}: the rewritten form differs by {driven}", rule.name);
            }
        }
        assert!(fired > 0, "{}: the rule applied at none of its random instances", rule.name);
    }
}

/// A rule whose body is native code is checked on its templates: each
/// instantiated with random terms at every declared shape, rewritten by the
/// driver, equal in value at random points; and each template rewritten by
/// the rule at some instance.
#[test]
fn every_native_rule_is_sound_on_its_templates() {
    let mut rng = Rng::new(15);
    for rule in RULES {
        let Body::Native { templates, .. } = rule.body else { continue };
        assert!(!templates.is_empty(), "{}: a native rule needs templates", rule.name);
        for template in templates {
            let mut fired = 0;
            for shapes in rule.shapes {
                for _ in 0..INSTANCES {
                    let terms = random_terms(&mut rng, shapes);
                    // A template may begin with definitions (`h = swish(?x); ...`).
                    let (prelude, body) = template.rsplit_once("; ").unwrap_or(("", template));
                    let program =
                        format!("{BASE}\n{}\nlhs = {}\nlhs", instantiate(prelude, &terms), instantiate(body, &terms));
                    let mut analysis =
                        analyze(&program).unwrap_or_else(|e| panic!("{}: {}", rule.name, e.render(&program)));
                    let graph = analysis.graph_mut();
                    let input = graph.definition_value(graph.find_symbol("lhs").unwrap()).unwrap();
                    let (rewritten, trace) = rules::apply_standard(graph, input);
                    assert!(trace.stopped.is_none(), "{}: {program}: {:?}", rule.name, trace.stopped);
                    if trace.rule_names().contains(&rule.name) {
                        fired += 1;
                    }
                    let driven = difference(graph, input, rewritten, rng.next_u64());
                    assert!(driven < 1e-7, "{}: {program}: the rewritten form differs by {driven}", rule.name);
                }
            }
            assert!(fired > 0, "{}: `{template}` was rewritten at none of its random instances", rule.name);
        }
    }
}

/// The cross-entropy of logistic regression, however it is written (with
/// log σ, log(1 − σ), σ(−z), softplus; a sum of elementwise products or
/// inner products; named or not), has one gradient, and it is the short
/// form; so has the one-sample loss.
#[test]
fn the_logistic_gradient_is_one_short_form_however_the_loss_is_written() {
    let batch = "X: matrix(m, n); w: vector(n); y: vector(m)";
    let losses = [
        "-(y^T log(sigmoid(X w)) + (1 - y)^T log(1 - sigmoid(X w)))",
        "-y^T log(sigmoid(X w)) - (1 - y)^T log(1 - sigmoid(X w))",
        "-sum(y .* log(sigmoid(X w)) + (1 - y) .* log(1 - sigmoid(X w)))",
        "-(y^T log(sigmoid(X w)) + (1 - y)^T log(sigmoid(-X w)))",
        "sum(softplus(X w)) - y^T X w",
        "sum(softplus(X w) - y .* (X w))",
        "y^T softplus(-X w) + (1 - y)^T softplus(X w)",
    ];
    let single = "w, x: vector(n); y: scalar";
    let one_sample = [
        "-(y * log(sigmoid(w^T x)) + (1 - y) * log(1 - sigmoid(w^T x)))",
        "-(y log(sigmoid(x^T w)) + (1 - y) log(sigmoid(-x^T w)))",
        "softplus(w^T x) - y w^T x",
        "y softplus(-w^T x) + (1 - y) softplus(w^T x)",
    ];
    for (declarations, losses, expected) in
        [(batch, &losses[..], "X^T (sigmoid(X w) - y)"), (single, &one_sample[..], "(sigmoid(w^T x) - y) x")]
    {
        for loss in losses {
            let program = format!("{declarations}; {loss}");
            let mut analysis = analyze(&program).unwrap_or_else(|e| panic!("{}", e.render(&program)));
            let report = matcalc::check::check_derivative(&mut analysis, None, "w", 4, 7).unwrap();
            assert_eq!(report.derivative, expected, "{program}");
            assert!(report.comparison.passed(), "{program}: {:?}", report.comparison.report());
        }
    }
    // Named parts keep their names.
    let program = format!("{batch}; z = X w; p = sigmoid(z); -(y^T log(p) + (1 - y)^T log(1 - p))");
    let mut analysis = analyze(&program).unwrap();
    let derivative = analysis.derivative(None, "w").unwrap();
    assert_eq!(analysis.print(derivative.result, Format::Text), "X^T (p - y)");
}

/// The rules reach inside Kronecker products: the driver rebuilds a
/// product whose factors it rewrote.
#[test]
fn rules_apply_inside_kronecker_products() {
    let program = "Z: matrix(m, n); A: matrix(p, q); kron(sigmoid(-Z) + sigmoid(Z), A)";
    let mut analysis = analyze(program).unwrap_or_else(|e| panic!("{}", e.render(program)));
    let value = analysis.simplified(None).unwrap();
    assert_eq!(analysis.print(value, Format::Text), "kron(ones(m, n), A)");
}
