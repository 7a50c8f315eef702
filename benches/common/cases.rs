//! The performance cases shared by `benches/pipeline.rs`, `examples/time_cases.rs`
//! and `tests/size.rs` (included with `#[path]`, so the three always measure the
//! same programs).
//!
//! A case is a program, a variable, and how its result is obtained: a
//! gradient/Jacobian through [`matcalc::Analysis::derivative`], or the value of a
//! program that contains a derivative operator (`hessian(...)`) through
//! [`matcalc::Analysis::simplified`].

#![allow(dead_code)]

use matcalc::{Analysis, ExprId, Format};

/// How a case's result is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `Analysis::derivative(None, wrt)`.
    Derivative,
    /// `Analysis::simplified(None)`: the program's value contains `hessian(...)`.
    Simplify,
}

/// One benchmark case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Short identifier (also the key in the SymPy comparison).
    pub name: String,
    /// The program text.
    pub program: String,
    /// The variable (unused for [`Mode::Simplify`]).
    pub wrt: String,
    /// How the result is computed.
    pub mode: Mode,
}

impl Case {
    fn derivative(name: &str, program: &str, wrt: &str) -> Case {
        Case { name: name.to_string(), program: program.to_string(), wrt: wrt.to_string(), mode: Mode::Derivative }
    }

    fn simplify(name: &str, program: &str) -> Case {
        Case { name: name.to_string(), program: program.to_string(), wrt: String::new(), mode: Mode::Simplify }
    }

    /// Computes the case's result on an already analysed program (the "diff" stage).
    pub fn result(&self, analysis: &mut Analysis) -> ExprId {
        match self.mode {
            Mode::Derivative => analysis.derivative(None, &self.wrt).expect("case differentiates").result,
            Mode::Simplify => analysis.simplified(None).expect("case simplifies"),
        }
    }

    /// The whole pipeline: analyse, differentiate, print as text.
    pub fn run(&self) -> String {
        let mut analysis = matcalc::analyze(&self.program).expect("case analyses");
        let result = self.result(&mut analysis);
        analysis.print(result, Format::Text)
    }

    /// The whole pipeline, returning the result's node count and printed text.
    pub fn measure(&self) -> (usize, String) {
        let mut analysis = matcalc::analyze(&self.program).expect("case analyses");
        let result = self.result(&mut analysis);
        let text = analysis.print(result, Format::Text);
        (analysis.graph().size(result), text)
    }
}

/// The seed autoencoder loss, wrt `W`.
pub fn seed() -> Case {
    Case::derivative("seed", "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", "W")
}

/// The swish net with an opaque loss, wrt `W1`.
pub fn swish() -> Case {
    Case::derivative("swish", "ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)", "W1")
}

/// The swish layer under a linear read-out instead of an opaque loss (SymPy
/// has no opaque function of a matrix expression), wrt `W`.
pub fn swish_linear() -> Case {
    Case::derivative("swish_linear", "W: matrix(m, n); x: vector(n); b: vector(m); W2: matrix(p, m); b2: vector(p); c: vector(p); c^T (W2 swish(W x + b) + b2)", "W")
}

/// Ten Matrix Cookbook identities.
pub fn cookbook() -> Vec<Case> {
    vec![
        Case::derivative("tr_AXB", "A: matrix(p, m); X: matrix(m, n); B: matrix(n, p); tr(A X B)", "X"),
        Case::derivative("xT_A_x", "A: matrix(n, n); x: vector(n); x^T A x", "x"),
        Case::derivative("logdet_X", "X: matrix(n, n); logdet(X)", "X"),
        Case::derivative("aT_Xinv_b", "X: matrix(n, n); a: vector(n); b: vector(n); a^T X^-1 b", "X"),
        Case::derivative("det_X", "X: matrix(n, n); det(X)", "X"),
        Case::derivative("tr_XAXT", "X: matrix(m, n); A: matrix(n, n); tr(X A X^T)", "X"),
        Case::derivative("norm2_Xw_y", "X: matrix(m, n); w: vector(n); y: vector(m); norm2(X w - y)", "X"),
        Case::derivative("aT_X_b", "X: matrix(m, n); a: vector(m); b: vector(n); a^T X b", "X"),
        Case::derivative("tr_XTX", "X: matrix(m, n); tr(X^T X)", "X"),
        Case::derivative("tr_Xinv_A", "X: matrix(n, n); A: matrix(n, n); tr(X^-1 A)", "X"),
    ]
}

/// The program of a `k`-layer tanh MLP with a squared loss (declared shapes):
/// `h0 = x; h1 = tanh(W1 h0 + b1); ...; L = 1/2 * norm2(Wk h(k-1) - y)`.
pub fn mlp_program(k: usize) -> String {
    assert!(k >= 1);
    let mut s = String::with_capacity(64 * k);
    s.push_str("x: vector(n0); y: vector(d)\n");
    for i in 1..k {
        s.push_str(&format!("W{i}: matrix(n{i}, n{}); b{i}: vector(n{i})\n", i - 1));
    }
    s.push_str(&format!("W{k}: matrix(d, n{})\n", k - 1));
    s.push_str("h0 = x\n");
    for i in 1..k {
        s.push_str(&format!("h{i} = tanh(W{i} h{} + b{i})\n", i - 1));
    }
    s.push_str(&format!("L = 1/2 * norm2(W{k} h{} - y)\n", k - 1));
    s
}

/// The `k`-layer MLP loss, wrt `W1`.
pub fn mlp(k: usize) -> Case {
    Case::derivative(&format!("mlp_{k}"), &mlp_program(k), "W1")
}

/// The program of a `k`-layer residual tanh net with a squared loss:
/// `h0 = x; h1 = h0 + tanh(W1 h0); ...; L = 1/2 * norm2(hk - y)`.
pub fn resnet_program(k: usize) -> String {
    assert!(k >= 1);
    let mut s = String::with_capacity(64 * k);
    s.push_str("x: vector(n); y: vector(n)\n");
    for i in 1..=k {
        s.push_str(&format!("W{i}: matrix(n, n)\n"));
    }
    s.push_str("h0 = x\n");
    for i in 1..=k {
        s.push_str(&format!("h{i} = h{} + tanh(W{i} h{})\n", i - 1, i - 1));
    }
    s.push_str(&format!("L = 1/2 * norm2(h{k} - y)\n"));
    s
}

/// The `k`-layer residual net loss, wrt `W1`.
pub fn resnet(k: usize) -> Case {
    Case::derivative(&format!("resnet_{k}"), &resnet_program(k), "W1")
}

/// A loss that is one flat sum of `k` quadratic forms,
/// `x1^T A x1 + x2^T A x2 + ... + xk^T A xk`; with `group` > 0 the terms are
/// bracketed in groups of `group` (`(x1^T A x1 + ...) + (...)`), which keeps
/// each bracket a short chain.
pub fn long_sum_program(k: usize, group: usize) -> String {
    assert!(k >= 1);
    let terms: Vec<String> = (1..=k).map(|i| format!("x{i}^T A x{i}")).collect();
    if group == 0 {
        return terms.join(" + ");
    }
    terms.chunks(group).map(|c| format!("({})", c.join(" + "))).collect::<Vec<_>>().join(" + ")
}

/// The `k`-term sum of quadratic forms, wrt `A` (gradient `x1 x1^T + ...`).
pub fn long_sum(k: usize, group: usize) -> Case {
    Case::derivative(&format!("long_sum_{k}"), &long_sum_program(k, group), "A")
}

/// A product of `k` matrices between two vectors, `x^T A1 A2 ... Ak y`.
pub fn product_chain_program(k: usize) -> String {
    let factors: Vec<String> = (1..=k).map(|i| format!("A{i}")).collect();
    format!("x^T {} y", factors.join(" "))
}

/// The `k`-matrix product, wrt `A1`.
pub fn product_chain(k: usize) -> Case {
    Case::derivative(&format!("product_chain_{k}"), &product_chain_program(k), "A1")
}

/// `k` chained definitions `z1 = sin(x); z2 = sin(z1); ...; L = sum(zk)`.
pub fn sin_chain_program(k: usize) -> String {
    assert!(k >= 1);
    let mut s = String::with_capacity(20 * k);
    s.push_str("x: vector(n)\nz1 = sin(x)\n");
    for i in 2..=k {
        s.push_str(&format!("z{i} = sin(z{})\n", i - 1));
    }
    s.push_str(&format!("L = sum(z{k})\n"));
    s
}

/// The chain of `k` sines, wrt `x` (gradient `cos(x) .* cos(z1) .* ...`).
pub fn sin_chain(k: usize) -> Case {
    Case::derivative(&format!("sin_chain_{k}"), &sin_chain_program(k), "x")
}

/// The nodes of `graph`'s arena plus the child references they hold: the
/// memory the graph takes, up to a constant factor, and a count of the work
/// done to build it (every node is hashed and compared child by child).
pub fn footprint(graph: &matcalc::Graph) -> usize {
    (0..graph.len()).map(|i| 1 + graph.children(ExprId(i as u32)).len()).sum()
}

/// Hessians of small nets, through `simplified(None)`.
pub fn hessians() -> Vec<Case> {
    vec![
        Case::simplify(
            "hess_aT_tanh",
            "W: matrix(m, n); x: vector(n); b: vector(m); a: vector(m); hessian(a^T tanh(W x + b), x)",
        ),
        Case::simplify(
            "hess_aT_sigmoid",
            "W: matrix(m, n); x: vector(n); b: vector(m); a: vector(m); hessian(a^T sigmoid(W x + b), x)",
        ),
        Case::simplify(
            "hess_2layer",
            "W1: matrix(m, n); W2: matrix(p, m); x: vector(n); a: vector(p); hessian(a^T tanh(W2 tanh(W1 x)), x)",
        ),
    ]
}

/// The program of the Hessian of a `k`-layer tanh net read out by `a`:
/// `h0 = x; h1 = tanh(W1 h0); ...; hessian(a^T hk, x)`.
pub fn hessian_net_program(k: usize) -> String {
    assert!(k >= 1);
    let mut s = String::with_capacity(48 * k);
    s.push_str("x: vector(n); a: vector(n)\n");
    for i in 1..=k {
        s.push_str(&format!("W{i}: matrix(n, n)\n"));
    }
    s.push_str("h0 = x\n");
    for i in 1..=k {
        s.push_str(&format!("h{i} = tanh(W{i} h{})\n", i - 1));
    }
    s.push_str(&format!("hessian(a^T h{k}, x)\n"));
    s
}

/// The Hessian of the `k`-layer net, through `simplified(None)`.
pub fn hessian_net(k: usize) -> Case {
    Case::simplify(&format!("hessian_net_{k}"), &hessian_net_program(k))
}

/// Every fixed-size case: seed, swish (and its linear read-out variant),
/// cookbook, Hessians, and the MLP for the given depths.
pub fn all(depths: &[usize]) -> Vec<Case> {
    let mut out = vec![seed(), swish(), swish_linear()];
    out.extend(cookbook());
    out.extend(hessians());
    out.extend(depths.iter().map(|&k| mlp(k)));
    out
}
