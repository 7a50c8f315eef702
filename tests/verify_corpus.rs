//! `verify` over a corpus of derivatives: the structured fuzz target's
//! generator driven by fixed bytes, plus every case table of the snapshot
//! tests. For each (program, variable), matcalc's own printed answer must be
//! accepted (also by the numeric comparison alone), and corrupted answers
//! (scaled by 1.01, negated, a term dropped, transposed) must never be
//! called correct. Deterministic: the same corpus on every run.

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;
#[path = "../fuzz/src/generate.rs"]
#[allow(dead_code)]
mod generate;
#[path = "../fuzz/src/names.rs"]
#[allow(dead_code)]
mod names;

mod common;

use checks::VerifyCounts;
use matcalc::check::Rng;
use matcalc::ir::Role;

/// Generated programs tried (some analyse to errors or have no variable).
const GENERATED: u64 = 300;

/// The corpus: (program, variable, seed).
fn corpus() -> Vec<(String, String, u64)> {
    let mut pairs = Vec::new();
    for seed in 0..GENERATED {
        let mut rng = Rng::new(seed + 1);
        let bytes: Vec<u8> = (0..96).map(|_| rng.next_u64() as u8).collect();
        let Ok(case) = generate::case(&mut arbitrary::Unstructured::new(&bytes)) else { continue };
        let Ok(analysis) = matcalc::analyze(&case) else { continue };
        let variables: Vec<String> = analysis
            .graph()
            .symbols()
            .filter(|(_, s)| matches!(s.role, Role::Input { .. }))
            .map(|(_, s)| s.name.clone())
            .collect();
        for wrt in variables {
            pairs.push((case.clone(), wrt, seed));
        }
    }
    let tables = [
        common::cases::COOKBOOK,
        common::cases::ML,
        common::cases::JACOBIANS_AND_HESSIANS,
        common::cases::EXTRA,
        common::cases::JACOBIANS_THROUGH_MATRICES,
        common::cases::FUNCTIONS,
    ];
    for (i, (_, program, wrt)) in tables.iter().flat_map(|t| t.iter()).enumerate() {
        pairs.push((program.to_string(), wrt.to_string(), i as u64));
    }
    pairs
}

#[test]
fn verify_accepts_every_own_answer_and_rejects_every_corruption() {
    let pairs = corpus();
    let mut counts = VerifyCounts::default();
    let mut failures = Vec::new();
    for (program, wrt, seed) in &pairs {
        if let Err(message) = checks::verify_own_answer(program, wrt, *seed, &mut counts) {
            failures.push(format!("{program}\n--wrt {wrt}: {message}"));
        }
    }
    eprintln!("{} (program, variable) pairs: {counts:?}", pairs.len());
    assert!(failures.is_empty(), "{} failures:\n\n{}", failures.len(), failures.join("\n\n"));
    // Not vacuous: most pairs have a derivative, and most corruptions are real.
    let nonzero = counts.answers - counts.zero_answers;
    assert!(nonzero >= 500, "{counts:?}");
    assert!(2 * counts.corruptions >= 3 * nonzero, "{counts:?}");
    // The numeric comparison alone decides most nonzero answers (a zero
    // answer is exactly 0 at every point: nothing to compare numerically).
    assert!(counts.numeric_agrees * 10 >= nonzero * 7, "{counts:?}");
    assert_eq!(counts.rejected + counts.undecided, counts.corruptions);
}
