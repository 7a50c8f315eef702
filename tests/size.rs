//! Deterministic size tests: the gradients of the k-layer tanh MLP loss and
//! of the k-layer residual net loss (`benches/common/cases.rs`, wrt `W1`)
//! have graphs whose node count grows linearly in k, and printed texts whose
//! length grows like k·log k (the layer indices get longer), far from
//! quadratic.
//!
//! Measured (the same on every run): for the MLP, `Graph::size` is 9 for
//! k = 1 and 12 k − 1 for k ≥ 2; the text is 16, 42, 94, 200, 429, 889,
//! 1807, 3700, 7626 characters for k = 1, 2, 4, …, 256. Run with
//! `--nocapture` to see the tables.

#[path = "../benches/common/cases.rs"]
mod cases;

/// The depths measured.
const DEPTHS: [usize; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/// Decimal digits of `k`.
fn digits(k: usize) -> usize {
    k.to_string().len()
}

/// (k, node count, printed length) for every depth.
fn measurements(net: fn(usize) -> cases::Case) -> Vec<(usize, usize, usize)> {
    DEPTHS
        .iter()
        .map(|&k| {
            let (nodes, text) = net(k).measure();
            eprintln!("k = {k:4}: {nodes:6} nodes, {:7} characters", text.chars().count());
            (k, nodes, text.chars().count())
        })
        .collect()
}

#[test]
fn mlp_gradient_size_is_linear_and_text_nearly_linear() {
    assert_linear_growth(&measurements(cases::mlp));
}

/// Each layer's adjoint `a(i-1) = a(i) + Wi^T (a(i) .* tanh'(...))` uses
/// `a(i)` twice; flattening the sum into the next would make it quadratic.
#[test]
fn residual_net_gradient_size_is_linear_and_text_nearly_linear() {
    assert_linear_growth(&measurements(cases::resnet));
}

fn assert_linear_growth(m: &[(usize, usize, usize)]) {
    let at = |k: usize| *m.iter().find(|r| r.0 == k).expect("measured depth");

    // Nodes: fit size = c k + d on k = 2 and k = 4, then verify it bounds every k.
    let (_, s2, _) = at(2);
    let (_, s4, _) = at(4);
    assert!(s4 > s2, "deeper nets have bigger gradients: {s2} then {s4}");
    let c = (s4 - s2) / 2;
    let d = s2 as i64 - 2 * c as i64;
    for &(k, nodes, _) in m {
        assert!(
            nodes as i64 <= (c * k) as i64 + d,
            "k = {k}: {nodes} nodes exceeds the linear fit {c} k + {d} = {}",
            (c * k) as i64 + d
        );
        assert!(nodes >= k, "k = {k}: only {nodes} nodes for {k} weight matrices");
    }

    // Text: every doubling of k at most ~doubles the length (growth exponent
    // <= log2 2.25 ≈ 1.17: the extra is the digits of the layer indices)...
    for pair in m.windows(2).filter(|p| p[0].0 >= 4) {
        let ratio = pair[1].2 as f64 / pair[0].2 as f64;
        assert!(
            ratio <= 2.25,
            "k = {} -> {}: printed length {} -> {} (x{ratio:.2}) grows faster than k log k",
            pair[0].0,
            pair[1].0,
            pair[0].2,
            pair[1].2
        );
    }
    // ...and the length is bounded by a k·digits(k) law fitted on k <= 8.
    let slope = m.iter().filter(|r| r.0 <= 8).map(|r| r.2 as f64 / (r.0 * digits(r.0)) as f64).fold(0.0, f64::max);
    for &(k, _, len) in m {
        let bound = slope * (k * digits(k)) as f64;
        assert!(len as f64 <= bound, "k = {k}: printed length {len} exceeds {slope:.2} k digits(k) = {bound:.0}");
    }
}
