//! `--standalone` LaTeX compiles with pdflatex and fits the page: the
//! seed homework's derivations and gradients, as complete documents, give
//! no errors and no overfull boxes; so does the graph as TikZ (needs
//! pdflatex and TikZ: Debian's texlive-latex-base and texlive-pictures,
//! which `.ci/run` installs).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;

const AUTOENCODER: &str = "W: matrix(m, n); x: vector(n); L = 1/2 * norm2(W^T W x - x)";
const SWISH_NET: &str = "ell: function; W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); b2: vector(q); \
                         x: vector(n); z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)";

fn matcalc(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_matcalc")).args(args).output().expect("matcalc runs");
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Compiles `document` with pdflatex; the log, or `None` without pdflatex.
fn compile(name: &str, document: &str) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("matcalc-pdflatex-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("doc.tex"), document).unwrap();
    let run = Command::new("pdflatex")
        .args(["-interaction=nonstopmode", "-halt-on-error", "doc.tex"])
        .current_dir(&dir)
        .output();
    let Ok(output) = run else {
        common::skip("pdflatex", "pdflatex not found (apt-get install texlive-latex-base)");
        return None;
    };
    let log = std::fs::read_to_string(dir.join("doc.log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "{name}: pdflatex failed:\n{document}\n{log}");
    Some(log)
}

#[test]
fn the_seed_homework_compiles_without_overfull_boxes() {
    let documents = [
        ("1d_steps", matcalc(&["diff", AUTOENCODER, "--wrt", "W", "--steps", "--format", "latex", "--standalone"])),
        ("1d", matcalc(&["diff", AUTOENCODER, "--wrt", "W", "--format", "latex", "--standalone"])),
        ("3_all", matcalc(&["diff", SWISH_NET, "--wrt", "W1,b1,W2,b2", "--format", "latex", "--standalone"])),
        ("3c_steps", matcalc(&["diff", SWISH_NET, "--wrt", "W1", "--steps", "--format", "latex", "--standalone"])),
        ("3b_steps", matcalc(&["diff", SWISH_NET, "--wrt", "W2", "--steps", "--format", "latex", "--standalone"])),
        (
            "names",
            matcalc(&["simplify", "ℒ: scalar; xℓ: vector(n); ℒ * norm2(xℓ)", "--format", "latex", "--standalone"]),
        ),
    ];
    for (name, document) in documents {
        assert!(document.starts_with("\\documentclass{article}\n\\usepackage{amsmath}\n"), "{document}");
        assert!(document.trim_end().ends_with("\\end{document}"), "{document}");
        let Some(log) = compile(name, &document) else { return };
        assert!(!log.contains("Overfull"), "{name}: an overfull box:\n{document}\n{log}");
    }
}

/// The body of a `--standalone` document: what lies between
/// `\begin{document}` and `\end{document}`.
fn body(document: &str) -> &str {
    let start = document.find("\\begin{document}").map_or(0, |i| i + "\\begin{document}".len());
    let end = document.rfind("\\end{document}").unwrap_or(document.len());
    &document[start..end]
}

#[test]
fn every_case_tables_derivation_fits_the_text_width() {
    // The derivations (`--steps`) and results of every case of the shared
    // tables, piecewise ones (relu, abs) and Hadamard chains among them, as
    // one document: one pdflatex run, and any overfull row named by its case.
    let mut document = String::new();
    let mut preamble = String::new();
    let mut count = 0;
    let tables =
        [common::cases::COOKBOOK, common::cases::ML, common::cases::JACOBIANS_AND_HESSIANS, common::cases::EXTRA];
    for &(label, program, wrt) in tables.iter().flat_map(|t| t.iter()) {
        for steps in [true, false] {
            let mut args = vec!["diff", program, "--wrt", wrt, "--format", "latex", "--standalone"];
            if steps {
                args.push("--steps");
            }
            let o = Command::new(env!("CARGO_BIN_EXE_matcalc")).args(&args).output().expect("matcalc runs");
            if !o.status.success() {
                continue; // cases that are errors by design (a Jacobian's steps)
            }
            let standalone = String::from_utf8_lossy(&o.stdout).into_owned();
            if preamble.is_empty() {
                preamble = standalone[..standalone.find("\\begin{document}").unwrap()].to_string();
            }
            document.push_str(&format!("% case {label} steps={steps}\n\\typeout{{CASE {label} steps={steps}}}\n"));
            document.push_str(body(&standalone));
            count += 1;
        }
    }
    assert!(count > 200, "only {count} documents");
    let document = format!("{preamble}\\begin{{document}}\n{document}\\end{{document}}\n");
    let Some(log) = compile("cases", &document) else { return };
    let mut case = "";
    let mut overfull = Vec::new();
    for line in log.lines() {
        if let Some(name) = line.strip_prefix("CASE ") {
            case = name;
        } else if line.starts_with("Overfull \\hbox") {
            overfull.push(format!("{case}: {line}"));
        }
    }
    assert!(overfull.is_empty(), "rows wider than the text:\n{}", overfull.join("\n"));
}

#[test]
fn the_graph_compiles_with_tikz() {
    let document = matcalc(&["diff", SWISH_NET, "--wrt", "W1", "--format", "tikz", "--standalone"]);
    assert!(document.contains("\\usepackage{tikz}") && document.contains("\\begin{tikzpicture}"), "{document}");
    let has_tikz = Command::new("kpsewhich").arg("tikz.sty").output().is_ok_and(|o| o.status.success());
    if !has_tikz {
        common::skip("the_graph_compiles", "tikz.sty not found (apt-get install texlive-pictures)");
        return;
    }
    let Some(log) = compile("graph", &document) else { return };
    assert!(!log.contains("Overfull \\hbox"), "the graph is wider than the text:\n{log}");
}
