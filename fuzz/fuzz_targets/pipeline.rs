//! Arbitrary bytes through the whole pipeline (`checks::pipeline`: parse,
//! simplify, every derivative, every printer, steps, verify), the REPL's piped loop,
//! then `matcalc check` and `matcalc verify` as the command line runs them:
//! declared sizes bounded, the derivative against finite differences at a
//! few points, and claims that are wrong (the negated answer), malformed or
//! a whole program. Must never panic, hang or overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matcalc::{DerivativeKind, Format};

/// Random points `check` compares at: few, so that a run stays fast.
const CHECK_POINTS: usize = 2;

/// Variables `check` and `verify` run with respect to (the first ones).
const VARIABLES: usize = 3;

/// The derivative work budget here: an input runs a dozen derivatives
/// (every variable, the steps, check and verify), each under the
/// sanitizer, within libFuzzer's `-timeout`; the command line's budget is
/// twenty times larger.
const DERIVATIVE_WORK: u64 = 250_000;

fuzz_target!(|data: &[u8]| {
    matcalc::diff::set_derivative_work_limit(DERIVATIVE_WORK);
    let source = String::from_utf8_lossy(data);
    matcalc_fuzz::checks::pipeline(&source);
    repl_script(&source);
    check_and_verify(&source);
});

/// Most input bytes replayed through the REPL (each line is a statement,
/// so a long input costs every printer per line).
const REPL_BYTES: usize = 4096;

/// `source` piped into the REPL, line by line, as `matcalc repl < file` runs it.
fn repl_script(source: &str) {
    if source.len() <= REPL_BYTES {
        let mut input = source.as_bytes();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let _ = matcalc_cli::repl::run_script(&mut input, &mut out, &mut err);
    }
}

/// `matcalc check --points 2` and `matcalc verify` with a few claims, with
/// respect to the first [`VARIABLES`] variables of `source`; errors are fine.
fn check_and_verify(source: &str) {
    let Ok(mut analysis) = matcalc::analyze(source) else { return };
    let variables: Vec<String> = analysis
        .graph()
        .symbols()
        .filter(|(_, s)| s.role != matcalc::ir::Role::Function)
        .map(|(_, s)| s.name.clone())
        .collect();
    // A few variables: each one costs a derivative, a check and three verifies.
    for wrt in variables.iter().take(VARIABLES) {
        let Ok(derivative) = analysis.derivative(None, wrt) else { continue };
        if let Err(e) = matcalc::check::bounds::bound_fixed_dimensions(analysis.graph(), Some(&analysis.program)) {
            let _ = e.render(source);
            continue;
        }
        match matcalc::check::compare_with_finite_differences(
            analysis.graph(),
            derivative.of,
            derivative.wrt,
            derivative.result,
            derivative.kind == DerivativeKind::Jacobian,
            CHECK_POINTS,
            1,
        ) {
            Ok(comparison) => {
                let _ = comparison.report();
            }
            Err(e) => {
                let _ = e.render(source);
            }
        }
        let negated = format!("-({})", analysis.print_width(derivative.result, Format::Text, usize::MAX));
        let options = matcalc::verify::Options::default();
        for claim in [negated.as_str(), "2 * (", source] {
            if let Err(e) = matcalc::verify::verify(&mut analysis, &derivative, claim, &options) {
                let _ = e.render(claim);
            }
        }
    }
}
