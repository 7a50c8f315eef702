//! Runs the seed pipeline (parse, analyse, differentiate wrt `W`, print text)
//! `N` times in one process, for instruction counts under callgrind.
//!
//! ```text
//! cargo run --release --example seed_loop -- [N] [all|parse|analyze]
//! valgrind --tool=callgrind target/release/examples/seed_loop 1000
//! ```
//!
//! Prints the seed's gradient once at the end, so a run also shows the output.
//! The allocator is the command line's (mimalloc), as in `benches/pipeline.rs`.

use std::hint::black_box;

use matcalc::Format;

/// The command line's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The seed autoencoder loss (as in `benches/common/cases.rs`).
const SEED: &str = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)";

/// The whole pipeline once: the gradient wrt `W`, printed as text.
fn pipeline(source: &str) -> String {
    let mut analysis = matcalc::analyze(source).expect("seed analyses");
    let result = analysis.derivative(None, "W").expect("seed differentiates").result;
    analysis.print(result, Format::Text)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args.first().map_or(1000, |s| s.parse().expect("N is a number"));
    let stage = args.get(1).map_or("all", String::as_str);
    for _ in 0..runs {
        match stage {
            "parse" => drop(black_box(matcalc::syntax::parse_program(black_box(SEED)).expect("parses"))),
            "analyze" => drop(black_box(matcalc::analyze(black_box(SEED)).expect("analyses"))),
            _ => drop(black_box(pipeline(black_box(SEED)))),
        }
    }
    println!("{}", pipeline(SEED));
}
