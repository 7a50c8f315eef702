//! Every input the fuzz targets found (`tests/fuzz_cases/`), replayed
//! through the same checks as the targets: `pipeline/` through
//! `checks::pipeline` (no panic; no hang: each case's graph and derivative
//! work stay within counted bounds), `structured/` through
//! `checks::structured` (round trip, value, gradients).

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::path::PathBuf;

/// Most nodes a case's graph may hold after differentiating with respect to
/// every variable; the bugs these cases found built millions.
const NODE_BOUND: usize = 200_000;

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
        // 2 MiB by default, so give this one the target's stack.
        let worker = std::thread::Builder::new().stack_size(8 << 20).spawn(move || {
            checks::pipeline(&source);
            work_done(&source)
        });
        let (nodes, work) = worker.expect("a thread").join().unwrap_or_else(|_| panic!("{} panicked", path.display()));
        assert!(nodes <= NODE_BOUND, "{}: {nodes} nodes", path.display());
        // Over the budget, differentiation stops within one step of it.
        assert!(work <= 2 * matcalc::diff::MAX_DERIVATIVE_WORK, "{}: derivative work {work}", path.display());
    }
}

/// The size of `source`'s graph after differentiating it with respect to
/// each of its variables, and the most derivative work one of them did.
fn work_done(source: &str) -> (usize, u64) {
    let Ok(mut analysis) = matcalc::analyze(source) else { return (0, 0) };
    let mut work = analysis.graph().derivative_work();
    let names: Vec<String> = analysis.graph().symbols().map(|(_, s)| s.name.clone()).collect();
    for name in names {
        let _ = analysis.derivative(None, &name);
        work = work.max(analysis.graph().derivative_work());
    }
    (analysis.graph().len(), work)
}

#[test]
fn structured_cases_keep_their_invariants() {
    for (path, case) in cases("structured") {
        if let Err(message) = checks::structured(&case) {
            panic!("{}:\n{case}\n{message}", path.display());
        }
    }
}
