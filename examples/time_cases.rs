//! Times matcalc on the shared performance cases (`benches/common/cases.rs`) and prints
//! one JSON object per case, for `benches/sympy_compare.py`.
//!
//! ```text
//! cargo run --release --example time_cases -- [--runs N] [--cases a,b,...] [--depths 1,4,16]
//! ```
//!
//! For each case it reports the median (and minimum) wall time in nanoseconds of
//! the differentiation stage alone (`Analysis::derivative`
//! on a fresh clone of the analysed program, the clone not timed; for a
//! `hessian(...)` program, which is differentiated while it is lowered, lowering
//! plus `Analysis::simplified`), which is what SymPy's `.diff()` is
//! timed against, and of the whole pipeline (parse, analyse, differentiate,
//! print text), plus the result's node count (`Graph::size`) and printed length.
//! Each value is the median of `N` runs (default 101), after one warm-up run.

#[path = "../benches/common/cases.rs"]
mod cases;

use std::hint::black_box;
use std::time::Instant;

use cases::{Case, Mode};
use matcalc::{Analysis, Format};

/// The median and minimum of `samples` (nanoseconds); sorts them.
fn median_min(samples: &mut [u128]) -> (u128, u128) {
    samples.sort_unstable();
    (samples[samples.len() / 2], samples[0])
}

/// Times the differentiation stage of `case` `runs` times. A `hessian(...)`
/// program is differentiated while it is lowered, so for [`Mode::Simplify`] the
/// stage is lowering (shape inference included) plus `Analysis::simplified`.
fn time_diff(case: &Case, runs: usize) -> Vec<u128> {
    let analysed = matcalc::analyze(&case.program).expect("case analyses");
    if case.mode == Mode::Simplify {
        return (0..runs)
            .map(|_| {
                let (source, program) = (analysed.source.clone(), analysed.program.clone());
                let start = Instant::now();
                let lowered = matcalc::lower::lower_program(&program, &source).expect("case lowers");
                let mut fresh = Analysis { source, program, lowered };
                let result = case.result(&mut fresh);
                let elapsed = start.elapsed().as_nanos();
                black_box((result, fresh));
                elapsed
            })
            .collect();
    }
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut fresh = analysed.clone();
        let start = Instant::now();
        let result = case.result(&mut fresh);
        out.push(start.elapsed().as_nanos());
        black_box((result, fresh));
    }
    out
}

/// Times the whole pipeline of `case` `runs` times.
fn time_full(case: &Case, runs: usize) -> Vec<u128> {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(case.run());
            start.elapsed().as_nanos()
        })
        .collect()
}

/// Escapes `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The value following flag `name` in `args`, if present.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = flag(&args, "--runs").map(|s| s.parse().expect("--runs takes a number")).unwrap_or(101);
    let depths: Vec<usize> = flag(&args, "--depths")
        .map(|s| s.split(',').map(|d| d.trim().parse().expect("--depths takes numbers")).collect())
        .unwrap_or_else(|| vec![1, 4, 16]);
    let wanted: Option<Vec<&str>> = flag(&args, "--cases").map(|s| s.split(',').collect());
    let selected: Vec<Case> = cases::all(&depths)
        .into_iter()
        .filter(|c| wanted.as_ref().is_none_or(|w| w.contains(&c.name.as_str())))
        .collect();
    let mut lines = Vec::new();
    for case in &selected {
        // Warm-up (and the result to report).
        let mut analysis = matcalc::analyze(&case.program).expect("case analyses");
        let result = case.result(&mut analysis);
        let text = analysis.print(result, Format::Text);
        let nodes = analysis.graph().size(result);
        let (diff_median, diff_min) = median_min(&mut time_diff(case, runs));
        let (full_median, full_min) = median_min(&mut time_full(case, runs));
        lines.push(format!(
            "  {}: {{\"diff_median_ns\": {diff_median}, \"diff_min_ns\": {diff_min}, \"full_median_ns\": {full_median}, \
             \"full_min_ns\": {full_min}, \"runs\": {runs}, \"nodes\": {nodes}, \"printed_len\": {}, \"text\": {}}}",
            json_string(&case.name),
            text.chars().count(),
            json_string(&text)
        ));
    }
    println!("{{\n{}\n}}", lines.join(",\n"));
}
