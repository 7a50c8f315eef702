//! Large results print with shared subterms named once (`t1 = …` lines
//! before the expression), so the printed size stays linear in the depth of
//! a network, and the printed program means the same as the result.

mod common;

use matcalc::check::{self, Rng, Sampling};
use matcalc::eval::{self, Env};
use matcalc::{analyze, Format};

/// A k-layer tanh network with a squared-error loss.
fn network(k: usize) -> String {
    let mut lines = vec!["x: vector(n0)".to_string(), format!("y: vector(n{k})")];
    for i in 1..=k {
        lines.push(format!("W{i}: matrix(n{i}, n{}); b{i}: vector(n{i})", i - 1));
    }
    let mut h = "x".to_string();
    for i in 1..k {
        h = format!("tanh(W{i} {h} + b{i})");
    }
    lines.push(format!("1/2 * norm2(W{k} {h} + b{k} - y)"));
    lines.join("\n")
}

#[test]
fn printed_gradient_size_is_linear_in_depth() {
    common::with_big_stack(printed_sizes);
}

fn printed_sizes() {
    let sizes: Vec<usize> = [16, 32, 64, 128]
        .iter()
        .map(|&k| {
            let mut analysis = analyze(&network(k)).unwrap();
            let d = analysis.derivative(None, "W1").unwrap();
            analysis.print(d.result, Format::Text).len()
        })
        .collect();
    for pair in sizes.windows(2) {
        let ratio = pair[1] as f64 / pair[0] as f64;
        assert!(ratio < 2.3, "printed sizes {sizes:?} grow faster than linearly");
    }
}

#[test]
fn printed_bindings_mean_the_result() {
    let source = network(12);
    let mut analysis = analyze(&source).unwrap();
    let d = analysis.derivative(None, "W1").unwrap();
    let text = analysis.print(d.result, Format::Text);
    assert!(text.starts_with("t1 = tanh(W1 x + b1)\n"), "{text}");
    // The printed text is a program over the same variables.
    let declarations: Vec<&str> = source.lines().filter(|l| l.contains(':')).collect();
    let printed = format!("{}\n{text}", declarations.join("\n"));
    let mut reread = analyze(&printed).unwrap_or_else(|e| panic!("{}", e.render(&printed)));
    let value = reread.simplified(None).unwrap();
    let mut rng = Rng::new(3);
    let env = check::random_env(analysis.graph(), &mut rng, Sampling::Mixed);
    let mut env2 = Env { dims: vec![0; reread.graph().dim_names().len()], ..Env::default() };
    for (i, name) in reread.graph().dim_names().iter().enumerate() {
        let j = analysis.graph().dim_names().iter().position(|n| n == name).unwrap();
        env2.dims[i] = env.dims[j];
    }
    for (sid, symbol) in reread.graph().symbols() {
        if let Some(other) = analysis.graph().find_symbol(&symbol.name) {
            if let Some(v) = env.values.get(&other) {
                env2.values.insert(sid, v.clone());
            }
        }
    }
    let expected = eval::evaluate(analysis.graph(), d.result, &env).unwrap();
    let got = eval::evaluate(reread.graph(), value, &env2).unwrap();
    assert!(check::relative_error(&got, &expected) < 1e-12);
}

#[test]
fn large_latex_results_use_a_where_block() {
    common::with_big_stack(|| {
        let mut analysis = analyze(&network(12)).unwrap();
        let d = analysis.derivative(None, "W1").unwrap();
        let latex = analysis.print(d.result, Format::Latex);
        assert!(latex.starts_with("\\begin{aligned}\n"), "{latex}");
        assert!(
            latex.contains("\\text{where } \\mathbf{t}_1 &= \\tanh(\\mathbf{W}_1 \\mathbf{x} + \\mathbf{b}_1)"),
            "{latex}"
        );
        assert!(latex.len() < 4000, "{} characters", latex.len());
    });
}
