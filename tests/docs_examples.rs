//! Every `matcalc diff '…' --wrt X` example in README.md and docs/*.md is
//! a derivative that agrees with finite differences.

use matcalc::{analyze, check, DerivativeKind};

/// (file, program, variable) for each `matcalc diff 'PROGRAM' --wrt X` example.
fn examples() -> Vec<(String, String, String)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = vec![format!("{root}/README.md")];
    if let Ok(entries) = std::fs::read_dir(format!("{root}/docs")) {
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "md") {
                files.push(e.path().display().to_string());
            }
        }
    }
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let Some(start) = line.find("matcalc diff '") else { continue };
            let rest = &line[start + "matcalc diff '".len()..];
            let Some(end) = rest.find('\'') else { continue };
            let program = &rest[..end];
            let Some(wrt_at) = rest[end..].find("--wrt ") else { continue };
            let wrt: String =
                rest[end + wrt_at + 6..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            found.push((file.clone(), program.to_string(), wrt));
        }
    }
    found
}

#[test]
fn documented_derivatives_pass_the_numeric_check() {
    let examples = examples();
    assert!(examples.len() >= 3, "found only {} examples", examples.len());
    for (file, program, wrt) in examples {
        let mut analysis = analyze(&program).unwrap_or_else(|e| panic!("{file}: {}", e.render(&program)));
        let d = analysis.derivative(None, &wrt).unwrap_or_else(|e| panic!("{file}: {program}: {e}"));
        let comparison = check::compare_with_finite_differences(
            analysis.graph(),
            d.of,
            d.wrt,
            d.result,
            d.kind == DerivativeKind::Jacobian,
            3,
            1,
        )
        .unwrap_or_else(|e| panic!("{file}: {program}: {e}"));
        assert!(comparison.relative_error < 1e-6, "{file}: d/d{wrt} {program}: {:.2e}", comparison.relative_error);
    }
}
