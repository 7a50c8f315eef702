//! Criterion benchmarks of the inputs at matcalc's limits: how long it takes
//! to reach each limit's error, and to handle input just within one. The
//! tests (`tests/input_limits.rs`, `tests/limits.rs`) bound the same cases
//! by counts; the times are measured here.
//!
//! Run with `cargo bench --bench limits`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

/// The simplified value of `program` as text, or its error rendered.
fn simplify(program: &str) -> String {
    match matcalc::analyze(program).and_then(|mut a| {
        let v = a.simplified(None)?;
        Ok(a.print(v, matcalc::Format::Text))
    }) {
        Ok(text) => text,
        Err(e) => e.render(program),
    }
}

/// The gradient of `program` with respect to `wrt` as text, or its error rendered.
fn gradient(program: &str, wrt: &str) -> String {
    match matcalc::analyze(program).and_then(|mut a| {
        let d = a.derivative(None, wrt)?;
        Ok(a.print(d.result, matcalc::Format::Text))
    }) {
        Ok(text) => text,
        Err(e) => e.render(program),
    }
}

fn bench_limits(c: &mut Criterion) {
    let mut group = c.benchmark_group("limits");
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2)).sample_size(10);
    let tower = format!("A: matrix(n, n); A{}", "^2".repeat(21));
    group.bench_function("power_tower_21", |b| b.iter(|| simplify(black_box(&tower))));
    group.bench_function("power_16_16_16_gradient", |b| b.iter(|| gradient(black_box("x^T A^16^16^16 x"), "A")));
    let nested = format!(
        "x: vector(n); grad(sum(grad(sum(hessian(sum({}x{}), x)), x)), x)",
        "softmax(".repeat(10),
        ")".repeat(10)
    );
    group.bench_function("nested_derivatives_over_budget", |b| b.iter(|| simplify(black_box(&nested))));
    let loss: Vec<String> = (1..=2000).map(|i| format!("x{i}^T A x{i}")).collect();
    let loss = loss.join(" + ");
    group.bench_function("flat_sum_2000_gradient", |b| b.iter(|| gradient(black_box(&loss), "A")));
    let commented = format!("{}\nx\n", "# a comment line of some length\n".repeat(65_536));
    group.bench_function("comments_2_mib", |b| b.iter(|| simplify(black_box(&commented))));
    let brackets = format!("k: scalar; {}k{}", "k (".repeat(199), ")".repeat(199));
    group.bench_function("nested_brackets_199", |b| b.iter(|| simplify(black_box(&brackets))));
    let literals = vec!["1e10000"; 100].join(" * ");
    group.bench_function("huge_constants_100", |b| b.iter(|| simplify(black_box(&literals))));
    group.finish();
}

criterion_group!(benches, bench_limits);
criterion_main!(benches);
