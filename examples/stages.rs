//! Times each stage of one program: parse, analyse (parse, shape inference
//! and lowering), differentiate, print, and the dot and TikZ drawings.
//!
//! ```text
//! cargo run --release --example stages -- FILE WRT [--runs N] [--format text|tikz|dot]
//! ```
//!
//! Prints the median and minimum wall time of each stage over `N` runs
//! (default 5) and the size of the printed result.

use std::hint::black_box;
use std::time::{Duration, Instant};

use matcalc::Format;

/// The median and minimum of `samples`.
fn median_min(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort_unstable();
    (samples[samples.len() / 2], samples[0])
}

/// Times `work` `runs` times.
fn time<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, Duration) {
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(work());
            start.elapsed()
        })
        .collect();
    median_min(samples)
}

/// The value following flag `name` in `args`, if present.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(file), Some(wrt)) = (args.first(), args.get(1)) else {
        eprintln!("usage: stages FILE WRT [--runs N] [--format text|tikz|dot]");
        std::process::exit(2);
    };
    let runs: usize = flag(&args, "--runs").map_or(5, |s| s.parse().expect("--runs takes a number"));
    let format = flag(&args, "--format").unwrap_or("text");
    let source = std::fs::read_to_string(file).expect("a readable program");
    let report = |stage: &str, (median, min): (Duration, Duration)| {
        println!("{stage:>10}: median {:9.2} ms, min {:9.2} ms", median.as_secs_f64() * 1e3, min.as_secs_f64() * 1e3);
    };
    report("parse", time(runs, || matcalc::syntax::parse_program(&source).expect("parses")));
    report("analyze", time(runs, || matcalc::analyze(&source).expect("analyses")));
    let analysed = matcalc::analyze(&source).expect("analyses");
    let mut samples = Vec::new();
    for _ in 0..runs {
        let mut fresh = analysed.clone();
        let start = Instant::now();
        black_box(fresh.derivative(None, wrt).expect("differentiates"));
        samples.push(start.elapsed());
    }
    report("diff", median_min(samples));
    let mut done = analysed.clone();
    let derivative = done.derivative(None, wrt).expect("differentiates");
    let mut samples = Vec::new();
    let mut out = String::new();
    for _ in 0..runs {
        let mut fresh = done.clone();
        let start = Instant::now();
        out = match format {
            "dot" => fresh.dot(None, Some(wrt)).expect("draws"),
            "tikz" => fresh.tikz(None, Some(wrt), &Default::default()).expect("draws"),
            _ => fresh.print(derivative.result, Format::Text),
        };
        samples.push(start.elapsed());
    }
    report(format, median_min(samples));
    println!("{:>10}: {} bytes, {} lines", "output", out.len(), out.lines().count());
}
