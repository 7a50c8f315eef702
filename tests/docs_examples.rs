//! Every `matcalc diff '…' --wrt X` example in README.md and docs/*.md is
//! a derivative that agrees with finite differences (a differential,
//! `--differential`, with the central differences along its direction).

mod common;

use matcalc::{analyze, check, DerivativeKind};

/// A documented `matcalc diff 'PROGRAM' --wrt X` example.
struct Example {
    file: String,
    program: String,
    wrt: String,
    /// `--of NAME`, if given.
    of: Option<String>,
    /// Printed as a differential (`--differential`).
    differential: bool,
}

/// The flag's value after `flag` in `rest`: a name.
fn flag_value(rest: &str, flag: &str) -> Option<String> {
    let at = rest.find(flag)?;
    Some(rest[at + flag.len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
}

/// Every `matcalc diff 'PROGRAM' --wrt X` example.
fn examples() -> Vec<Example> {
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
            let flags = &rest[end..];
            let Some(wrt) = flag_value(flags, "--wrt ") else { continue };
            let of = flag_value(flags, "--of ");
            let differential = flags.contains("--differential");
            found.push(Example { file: file.clone(), program: program.to_string(), wrt, of, differential });
        }
    }
    found
}

#[test]
fn documented_derivatives_pass_the_numeric_check() {
    let examples = examples();
    assert!(examples.len() >= 3, "found only {} examples", examples.len());
    for Example { file, program, wrt, of, differential } in examples {
        let mut analysis = analyze(&program).unwrap_or_else(|e| panic!("{file}: {}", e.render(&program)));
        if differential {
            let d = analysis.differential(of.as_deref(), &wrt).unwrap_or_else(|e| panic!("{file}: {program}: {e}"));
            let (error, points) = common::directional::compare(analysis.graph(), d.of, d.wrt, d.direction, d.result);
            assert!(points > 0 && error < 1e-6, "{file}: d{wrt} {program}: {error:.2e} at {points} points");
            continue;
        }
        let d = analysis.derivative(of.as_deref(), &wrt).unwrap_or_else(|e| panic!("{file}: {program}: {e}"));
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

/// The lines of each code block of `text` that opens with "```" + `tag`.
fn code_blocks(text: &str, tag: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in text.lines() {
        let fence = line.trim_start();
        if let Some(block) = current.as_mut() {
            if fence.starts_with("```") {
                blocks.push(current.take().unwrap());
            } else {
                block.push(line.to_string());
            }
        } else if fence.strip_prefix("```").is_some_and(|rest| rest == tag) {
            current = Some(Vec::new());
        }
    }
    blocks
}

#[test]
fn the_readme_rust_example_is_the_crates_first_doc_test() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let example = code_blocks(&readme, "rust").into_iter().next().expect("README.md has a ```rust block");
    assert!(example.iter().any(|l| l.contains("matcalc::diff(")), "{example:?}");
    let lib = std::fs::read_to_string(format!("{root}/src/lib.rs")).unwrap();
    let front: String =
        lib.lines().filter_map(|l| l.strip_prefix("//!")).map(|l| format!("{}\n", l.trim_start_matches(' '))).collect();
    // The doc test compiles and runs (`cargo test --doc`); hidden `# ` lines
    // are its checks.
    let doc_test: Vec<String> =
        code_blocks(&front, "").into_iter().next().unwrap().into_iter().filter(|l| !l.starts_with("# ")).collect();
    assert_eq!(example, doc_test, "README.md's Rust example differs from src/lib.rs's first doc test");
}

/// Every printer, named as the front page and the README name it (a new
/// [`matcalc::Format`] does not compile until it is listed here).
fn printer_name(format: matcalc::Format) -> &'static str {
    use matcalc::Format;
    match format {
        Format::Text => "Text",
        Format::Unicode => "Unicode",
        Format::Numpy => "Numpy",
        Format::Jax => "Jax",
        Format::Torch => "Torch",
        Format::Latex => "Latex",
        Format::Dot => "Dot",
        Format::Tikz => "Tikz",
    }
}

#[test]
fn the_front_page_and_the_readme_list_every_printer() {
    use matcalc::Format;
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let lib = std::fs::read_to_string(format!("{root}/src/lib.rs")).unwrap();
    let front: String = lib.lines().filter_map(|l| l.strip_prefix("//!")).collect::<Vec<_>>().join("\n");
    let listing = readme.split("shows the crate's front page").nth(1).expect("README.md describes the front page");
    let listing = &listing[..listing.find("\n\n").unwrap_or(listing.len())];
    let all = [
        Format::Text,
        Format::Unicode,
        Format::Numpy,
        Format::Jax,
        Format::Torch,
        Format::Latex,
        Format::Dot,
        Format::Tikz,
    ];
    for format in all {
        let name = format!("`{}`", printer_name(format));
        assert!(front.contains(&name), "src/lib.rs's front page does not list {name}");
        assert!(listing.contains(&name), "README.md's list of the front page's printers lacks {name}");
    }
}
