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

/// The arena footprint (nodes plus child references, `cases::footprint`)
/// after analysing and differentiating `case`, and the printed length.
/// Runs on a thread with a 64 MiB stack: shape inference recurses along a
/// chain of operators, deeper than a test thread's 2 MiB allow in a debug build.
fn footprint_after_derivative(case: &cases::Case) -> (usize, usize) {
    let case = case.clone();
    let worker = std::thread::Builder::new().stack_size(64 << 20).spawn(move || {
        let mut analysis = matcalc::analyze(&case.program).expect("case analyses");
        let result = case.result(&mut analysis);
        let text = analysis.print(result, matcalc::Format::Text);
        (cases::footprint(analysis.graph()), text.len())
    });
    worker.expect("a thread").join().expect("no panic")
}

/// Asserts that `measure(k)` is bounded by the line through its values at the
/// two smallest sizes (plus 10 %) for every size in `sizes`.
fn assert_linear(what: &str, sizes: &[usize], measure: impl Fn(usize) -> usize) {
    let values: Vec<(usize, usize)> = sizes.iter().map(|&k| (k, measure(k))).collect();
    for (k, v) in &values {
        eprintln!("{what}: k = {k:5}: {v:8}");
    }
    let (k0, v0) = values[0];
    let (k1, v1) = values[1];
    let slope = (v1 as f64 - v0 as f64) / (k1 - k0) as f64;
    for &(k, v) in &values {
        let bound = 1.1 * (v0 as f64 + slope * (k - k0) as f64) + 10.0;
        assert!(
            v as f64 <= bound,
            "{what}: {v} at k = {k} exceeds the linear bound {bound:.0} fitted on k = {k0}, {k1}"
        );
    }
}

/// A flat sum is lowered by one call of the sum constructor: built term by
/// term, the arena kept every partial sum (k²/2 child references).
#[test]
fn long_sums_lower_and_differentiate_linearly() {
    let sizes = [50, 100, 200, 400, 700];
    assert_linear("sum footprint", &sizes, |k| footprint_after_derivative(&cases::long_sum(k, 0)).0);
    for k in sizes {
        // `x12 x12^T` and the separator `\n  + ` per term.
        let (_, text) = footprint_after_derivative(&cases::long_sum(k, 0));
        assert!(text <= k * (2 * digits(k) + 12), "k = {k}: the gradient prints in {text} characters");
    }
    // 2,000 terms, bracketed in groups of 400 (one long chain is deeper than
    // the analysis accepts).
    let (grouped, _) = footprint_after_derivative(&cases::long_sum(2000, 400));
    let (flat, _) = footprint_after_derivative(&cases::long_sum(400, 0));
    assert!(grouped <= 6 * flat, "2000 terms: footprint {grouped}, 400 terms: {flat}");
}

/// A product chain is lowered by one call of the product constructor.
#[test]
fn long_products_lower_and_differentiate_linearly() {
    let sizes = [50, 100, 200, 400, 700];
    assert_linear("product footprint", &sizes, |k| footprint_after_derivative(&cases::product_chain(k)).0);
}

/// The gradient through a chain of elementwise definitions (`z2 = sin(z1)`)
/// is one Hadamard product of the k derivatives, built once: built link by
/// link, the arena held every partial product (k²/2 child references).
#[test]
fn elementwise_chains_differentiate_linearly() {
    let sizes = [50, 100, 200, 400, 800];
    assert_linear("sine chain footprint", &sizes, |k| footprint_after_derivative(&cases::sin_chain(k)).0);
    for k in sizes {
        // `cos(z12)` and ` .* ` per factor, lines broken at the width.
        let (_, text) = footprint_after_derivative(&cases::sin_chain(k));
        assert!(text <= k * (digits(k) + 12), "k = {k}: the gradient prints in {text} characters");
    }
}

/// The TikZ drawing of a k-layer net's gradient grows linearly: the forward
/// values the gradient reuses far above are drawn again there instead of
/// by edges crossing every row (which made the drawing quadratic in k).
#[test]
fn gradient_drawings_grow_linearly() {
    let drawing = |k: usize| {
        let worker = std::thread::Builder::new().stack_size(64 << 20).spawn(move || {
            let program = format!("{}G = grad(L, W1)\n", cases::mlp_program(k));
            let mut analysis = matcalc::analyze(&program).expect("analyses");
            let tikz = analysis.tikz(None, Some("W1"), &Default::default()).expect("draws");
            // Bend points: one ` -- (x, y)` per row an edge is routed through.
            let bends = tikz.lines().map(|l| l.matches(" -- (").count().saturating_sub(1)).sum::<usize>();
            (tikz.len(), bends)
        });
        worker.expect("a thread").join().expect("no panic")
    };
    let sizes = [8, 16, 32, 64];
    assert_linear("tikz bytes / digits", &sizes, |k| drawing(k).0 / (digits(k) + 1));
    assert_linear("tikz bend points", &sizes, |k| drawing(k).1);
}

/// The Hessian of a k-layer net, `Σ Ji^T Di Ji` over the layer Jacobians
/// `Ji = Wi D(i-1) J(i-1)`, prints in length linear in k (up to the digits
/// of the names): each Jacobian is written once over the one before it
/// (`t30 = W7 t20 t29`), where written out in full the k nested Jacobians
/// took k²/2 factors (28,386 characters at k = 64, 3.6 times k = 32).
/// (`tests/read_back.rs` reads an 8-layer one back.)
#[test]
fn hessians_of_deep_nets_print_in_linear_length() {
    let printed = |k: usize| {
        let case = cases::hessian_net(k);
        let worker = std::thread::Builder::new().stack_size(64 << 20).spawn(move || case.run());
        worker.expect("a thread").join().expect("no panic")
    };
    // The names `t123`, `W64`, `h63` get longer with k: divide by their digits.
    let sizes = [8, 16, 32, 64, 128];
    assert_linear("hessian text / digits", &sizes, |k| printed(k).len() / (digits(4 * k) + 1));
}

/// The arena a residual net's gradient leaves behind, per layer: the
/// adjoint step `a(i-1) = a(i) + Wi^T ((1 - tanh(..) .^ 2) .* a(i))` builds
/// its Hadamard product once. The constructor used to try distributing it
/// over the sum `a(i)` (two trial products per layer, never kept), which
/// no base shared between the two sides can make shorter.
#[test]
fn residual_gradient_builds_no_trial_products() {
    let per_layer = |k: usize| footprint_after_derivative(&cases::resnet(k)).0;
    let (small, large) = (per_layer(32), per_layer(64));
    eprintln!("residual arena: k = 32: {small}, k = 64: {large}, per layer {}", (large - small) / 32);
    assert!(large - small <= 32 * MAX_RESIDUAL_FOOTPRINT_PER_LAYER, "{} per layer", (large - small) / 32);
}

/// Child references plus nodes per layer of the residual net's gradient
/// arena, as measured (what the forward pass, the adjoint and the rules
/// build once per layer; 36 while the trial products were built).
const MAX_RESIDUAL_FOOTPRINT_PER_LAYER: usize = 30;
