//! Criterion benchmarks of matcalc's pipeline, stage by stage and end to end.
//!
//! Stages: `parse` (`syntax::parse_program`), `analyze` (`matcalc::analyze`:
//! parse, shape inference and lowering), `diff` (`Analysis::derivative` on a
//! fresh clone of the analysed program; the clone is not timed), `print`
//! (`Analysis::print` with `Format::Text` on a fresh clone of the differentiated
//! program), and `end_to_end` (all of them from the source text).
//!
//! Cases (`benches/common/cases.rs`): the seed autoencoder, the swish net, ten Matrix
//! Cookbook identities, k-layer tanh MLP losses (k = 1, 4, 16, 64, 256, 1024;
//! gradient wrt `W1`), Hessians of small nets, and long inputs (`long/*`:
//! flat sums and products of hundreds of terms, long chains of definitions)
//! end to end. A `hessian(...)` program is
//! differentiated while it is lowered, so for those the stages are `analyze`,
//! `simplified` (`Analysis::simplified(None)`) and `end_to_end`.
//!
//! The allocator is mimalloc, as in the command line (`cli/src/main.rs`):
//! with glibc's malloc the seed pipeline costs about a fifth more instructions.
//!
//! Run all with `cargo bench --bench pipeline` (about three minutes on two
//! cores), or a part with a filter, e.g. `cargo bench --bench pipeline -- seed/`.

#[path = "common/cases.rs"]
mod cases;

use std::hint::black_box;
use std::time::Duration;

use cases::Case;
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode};
use matcalc::{Analysis, ExprId, Format};

/// The command line's allocator, so the benchmarks measure what it runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The MLP depths benchmarked.
const DEPTHS: [usize; 6] = [1, 4, 16, 64, 256, 1024];

/// The analysed program of `case`, for the stages after analysis.
fn analysed(case: &Case) -> Analysis {
    matcalc::analyze(&case.program).expect("case analyses")
}

/// The analysed and differentiated program of `case`, for the print stage.
fn differentiated(case: &Case) -> (Analysis, ExprId) {
    let mut analysis = analysed(case);
    let result = case.result(&mut analysis);
    (analysis, result)
}

/// Benchmarks every stage of `case` in `group`, labelled by `id` (a stage name
/// is the function id, `id` the parameter). `batch` is the batch size for the
/// stages that need a fresh clone per iteration.
fn stages(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case, id: &str, batch: BatchSize) {
    group.bench_with_input(BenchmarkId::new("parse", id), &case.program, |b, src| {
        b.iter(|| matcalc::syntax::parse_program(black_box(src)).expect("parses"))
    });
    group.bench_with_input(BenchmarkId::new("analyze", id), &case.program, |b, src| {
        b.iter(|| matcalc::analyze(black_box(src)).expect("analyses"))
    });
    let base = analysed(case);
    group.bench_function(BenchmarkId::new("diff", id), |b| {
        b.iter_batched(
            || base.clone(),
            |mut a| {
                let r = case.result(&mut a);
                (a, r)
            },
            batch,
        )
    });
    let done = differentiated(case);
    group.bench_function(BenchmarkId::new("print", id), |b| {
        b.iter_batched(
            || done.clone(),
            |(mut a, r)| {
                let text = a.print(r, Format::Text);
                (a, text)
            },
            batch,
        )
    });
    group.bench_function(BenchmarkId::new("end_to_end", id), |b| b.iter(|| case.run()));
}

/// A group with short warm-up and measurement times (the cases are µs-scale).
fn quick_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1)).sample_size(50);
    group
}

/// Every stage of the seed autoencoder and of the swish net.
fn bench_seed_and_swish(c: &mut Criterion) {
    for case in [cases::seed(), cases::swish()] {
        let mut group = quick_group(c, &case.name);
        stages(&mut group, &case, &case.name, BatchSize::SmallInput);
        group.finish();
    }
}

/// The differentiation stage and the whole pipeline of the Cookbook identities.
fn bench_cookbook(c: &mut Criterion) {
    let mut group = quick_group(c, "cookbook");
    group.sample_size(30).measurement_time(Duration::from_millis(500)).warm_up_time(Duration::from_millis(200));
    for case in cases::cookbook() {
        let base = analysed(&case);
        group.bench_function(BenchmarkId::new("diff", &case.name), |b| {
            b.iter_batched(
                || base.clone(),
                |mut a| {
                    let r = case.result(&mut a);
                    (a, r)
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function(BenchmarkId::new("end_to_end", &case.name), |b| b.iter(|| case.run()));
    }
    group.finish();
}

/// Hessians: analysis (which evaluates `hessian(...)`), `simplified`, and the
/// whole pipeline.
fn bench_hessians(c: &mut Criterion) {
    let mut group = quick_group(c, "hessian");
    group.sample_size(30).measurement_time(Duration::from_millis(500)).warm_up_time(Duration::from_millis(200));
    for case in cases::hessians() {
        group.bench_with_input(BenchmarkId::new("analyze", &case.name), &case.program, |b, src| {
            b.iter(|| matcalc::analyze(black_box(src)).expect("analyses"))
        });
        let base = analysed(&case);
        group.bench_function(BenchmarkId::new("simplified", &case.name), |b| {
            b.iter_batched(
                || base.clone(),
                |mut a| {
                    let r = case.result(&mut a);
                    (a, r)
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function(BenchmarkId::new("end_to_end", &case.name), |b| b.iter(|| case.run()));
    }
    group.finish();
}

/// Every stage of the k-layer tanh MLP, with fewer samples for deep nets.
fn bench_mlp(c: &mut Criterion) {
    bench_depths(c, "mlp", cases::mlp);
}

/// Every stage of the k-layer residual net (each adjoint used twice).
fn bench_resnet(c: &mut Criterion) {
    bench_depths(c, "resnet", cases::resnet);
}

/// Every stage of the net `net(k)` for every depth in `DEPTHS`.
fn bench_depths(c: &mut Criterion, name: &str, net: fn(usize) -> cases::Case) {
    let mut group = c.benchmark_group(name);
    for k in DEPTHS {
        let case = net(k);
        if k >= 64 {
            group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .warm_up_time(Duration::from_millis(200))
                .measurement_time(Duration::from_secs(if k >= 1024 { 2 } else { 1 }));
        } else {
            group
                .sampling_mode(SamplingMode::Auto)
                .sample_size(30)
                .warm_up_time(Duration::from_millis(200))
                .measurement_time(Duration::from_secs(1));
        }
        let batch = if k >= 64 { BatchSize::PerIteration } else { BatchSize::SmallInput };
        stages(&mut group, &case, &k.to_string(), batch);
    }
    group.finish();
}

/// Long inputs whose cost must stay linear: a flat sum of quadratic forms
/// (700 terms in one chain, 2,000 bracketed in groups of 400), a product of
/// 700 matrices, chains of 1,000 and 10,000 definitions `z2 = sin(z1)`, the
/// gradient of a 4096-layer residual net and the Hessian of a 64-layer net:
/// the whole pipeline (analyse, differentiate, print); and the TikZ drawing
/// of a 1000-layer net's gradient graph.
fn bench_long_inputs(c: &mut Criterion) {
    let mut group = c.benchmark_group("long");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(200));
    group.measurement_time(Duration::from_secs(1));
    let cases = [
        ("sum_700", cases::long_sum(700, 0)),
        ("sum_2000", cases::long_sum(2000, 400)),
        ("product_700", cases::product_chain(700)),
        ("sin_chain_1000", cases::sin_chain(1000)),
        ("sin_chain_10000", cases::sin_chain(10_000)),
        ("resnet_4096", cases::resnet(4096)),
        ("hessian_net_64", cases::hessian_net(64)),
    ];
    for (id, case) in cases {
        group.bench_function(BenchmarkId::new("end_to_end", id), |b| b.iter(|| case.run()));
    }
    // The TikZ drawing of a 1000-layer MLP's gradient graph (analysis included).
    let program = format!("{}G = grad(L, W1)\n", cases::mlp_program(1000));
    group.bench_function(BenchmarkId::new("tikz", "mlp_gradient_1000"), |b| {
        b.iter(|| {
            let mut analysis = matcalc::analyze(black_box(&program)).expect("analyses");
            analysis.tikz(None, Some("W1"), &Default::default()).expect("draws")
        })
    });
    // The same graph in Graphviz dot: each label once spelled the names of
    // every symbol (1.3 s at 1000 layers, quadratic in k).
    group.bench_function(BenchmarkId::new("dot", "mlp_gradient_1000"), |b| {
        b.iter(|| {
            let mut analysis = matcalc::analyze(black_box(&program)).expect("analyses");
            analysis.dot(None, Some("W1")).expect("draws")
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_seed_and_swish,
    bench_cookbook,
    bench_hessians,
    bench_mlp,
    bench_resnet,
    bench_long_inputs
);
criterion_main!(benches);
