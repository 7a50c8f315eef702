//! Criterion benchmarks of the REPL session: pasting N definitions line by
//! line into a fresh `Session` (each line is one statement: `z_i = sin(z_{i-1})`
//! chains, and an MLP of `h_i = tanh(W_i h_{i-1} + b_i)` layers), then one
//! `:diff` at the end. Each line must cost what it holds, so the time grows
//! linearly in N (the number of statements analysed is asserted in
//! `tests/repl.rs`).
//!
//! Run with `cargo bench --bench repl`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use matcalc_cli::repl::Session;

/// The numbers of pasted definitions benchmarked.
const SIZES: [usize; 3] = [300, 1000, 3000];

/// The lines of a chain of `n` definitions.
fn chain(n: usize) -> Vec<String> {
    let mut lines = vec!["x: vector(n)".to_string(), "z0 = x".to_string()];
    lines.extend((1..=n).map(|i| format!("z{i} = sin(z{})", i - 1)));
    lines
}

/// The lines of an MLP of `n` layers (two definitions per layer).
fn mlp(n: usize) -> Vec<String> {
    let mut lines = vec!["h0: vector(d)".to_string()];
    for i in 1..=n / 2 {
        lines.push(format!("W{i}: matrix(d, d); b{i}: vector(d)"));
        lines.push(format!("z{i} = W{i} h{} + b{i}", i - 1));
        lines.push(format!("h{i} = tanh(z{i})"));
    }
    lines
}

fn paste(lines: &[String], last: &str) -> usize {
    let mut session = Session::new();
    for line in lines {
        let outcome = session.feed(line);
        assert!(!outcome.failed(), "{line}: {outcome:?}");
    }
    let outcome = session.feed(last);
    assert!(!outcome.failed(), "{last}: {outcome:?}");
    outcome.output.len()
}

fn bench_paste(c: &mut Criterion) {
    let mut group = c.benchmark_group("repl_paste");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(10));
    for n in SIZES {
        let lines = chain(n);
        group.bench_with_input(BenchmarkId::new("sin_chain", n), &lines, |b, lines| {
            b.iter(|| black_box(paste(lines, ":diff sum(z1) wrt x")))
        });
        let lines = mlp(n);
        group.bench_with_input(BenchmarkId::new("mlp", n), &lines, |b, lines| {
            b.iter(|| black_box(paste(lines, ":diff sum(h1) wrt W1")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_paste);
criterion_main!(benches);
