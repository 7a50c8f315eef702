//! `matcalc check` and `matcalc verify`: a derivative compared with finite
//! differences, and a hand-derived answer compared with matcalc's.

use std::process::ExitCode;

use matcalc::{DerivativeKind, Format};

use crate::{analyze_noted, program_text, Input};

/// Runs `check`: the derivative, then its comparison with finite differences.
pub(crate) fn check(input: &Input, wrt: &str, points: usize, seed: u64, of: Option<&str>) -> ExitCode {
    let source = match program_text(input) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let outcome = analyze_noted(&source).and_then(|mut analysis| {
        let derivative = analysis.derivative(of, wrt)?;
        matcalc::check::bounds::bound_fixed_dimensions(analysis.graph(), Some(&analysis.program))?;
        let text = analysis.print(derivative.result, Format::Text);
        let comparison = matcalc::check::compare_with_finite_differences(
            analysis.graph(),
            derivative.of,
            derivative.wrt,
            derivative.result,
            derivative.kind == DerivativeKind::Jacobian,
            points,
            seed,
        )?;
        Ok((text, comparison))
    });
    match outcome {
        Ok((text, comparison)) => {
            println!("derivative: {text}");
            for line in comparison.report() {
                println!("{line}");
            }
            if comparison.passed() {
                println!("ok");
                ExitCode::SUCCESS
            } else {
                println!("MISMATCH: the symbolic derivative disagrees with finite differences");
                if let Some((symbolic, numeric)) = comparison.worst {
                    println!("  symbolic: {}", symbolic.compact());
                    println!("  numeric:  {}", numeric.compact());
                }
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprint!("{}", e.render(&source));
            ExitCode::from(1)
        }
    }
}

/// Runs `verify`: the claim against matcalc's derivative.
pub(crate) fn verify(input: &Input, wrt: &str, claim: &str, of: Option<&str>) -> ExitCode {
    let source = match program_text(input) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let prepared = analyze_noted(&source).and_then(|mut analysis| {
        let derivative = analysis.derivative(of, wrt)?;
        matcalc::check::bounds::bound_fixed_dimensions(analysis.graph(), Some(&analysis.program))?;
        Ok((analysis, derivative))
    });
    let (mut analysis, derivative) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprint!("{}", e.render(&source));
            return ExitCode::from(1);
        }
    };
    let verdict = match matcalc::verify::verify(&mut analysis, &derivative, claim, &Default::default()) {
        Ok(v) => v,
        Err(e) => {
            eprint!("{}", e.render(claim));
            return ExitCode::from(1);
        }
    };
    let ours = analysis.print_one_line(derivative.result);
    for line in verdict.describe(!analysis.graph().dim_names().is_empty()) {
        println!("{line}");
    }
    println!("matcalc's answer: {ours}");
    if verdict.correct() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
