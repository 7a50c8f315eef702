//! Every input the fuzz targets found (`tests/fuzz_cases/`), replayed
//! through the same checks as the targets: `pipeline/` through
//! `checks::pipeline` (no panic, no hang: each case within a time bound),
//! `structured/` through `checks::structured` (round trip, value, gradients).

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

mod common;

use std::path::PathBuf;
use std::time::Duration;

/// CPU time per case, generous for a debug build; the bugs these cases found took minutes to hours.
const TIME_BOUND: Duration = Duration::from_secs(20);

fn cases(kind: &str) -> Vec<(PathBuf, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_cases").join(kind);
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let bytes = std::fs::read(&path).expect("a readable case");
            (path, String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no cases in {}", dir.display());
    out
}

#[test]
fn pipeline_cases_neither_panic_nor_hang() {
    for (path, source) in cases("pipeline") {
        // The fuzz target runs on the main thread (8 MiB); test threads get
        // 2 MiB by default, so give this one the target's stack. The bound
        // is on the worker's CPU time, which a busy machine does not stretch.
        let name = path.display().to_string();
        let worker = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || common::within_cpu_time(TIME_BOUND, &name, || checks::pipeline(&source)));
        worker.expect("a thread").join().unwrap_or_else(|_| panic!("{} panicked or took too long", path.display()));
    }
}

#[test]
fn structured_cases_keep_their_invariants() {
    for (path, case) in cases("structured") {
        if let Err(message) = checks::structured(&case) {
            panic!("{}:\n{case}\n{message}", path.display());
        }
    }
}
