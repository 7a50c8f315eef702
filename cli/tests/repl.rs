//! The REPL as a library: whole-session transcripts of `Session`
//! (snapshots), Tab completion, a session that forgives and one that stays
//! fast (work counted, not timed). `tests/repl_binary.rs` runs the binary.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;

use common::snapshots;
use matcalc_cli::repl::Session;

/// Feeds `lines` to a fresh session and writes what a user would see:
/// the prompt and the line, then the results and errors.
fn transcript(lines: &[&str]) -> String {
    let mut session = Session::new();
    run(&mut session, lines)
}

fn run(session: &mut Session, lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines {
        out.push_str(session.prompt());
        out.push_str(line);
        out.push('\n');
        let outcome = session.feed(line);
        for text in &outcome.output {
            out.push_str(text);
            out.push('\n');
        }
        for note in &outcome.notes {
            out.push_str(&format!("note: {note}\n"));
        }
        if let Some(error) = &outcome.error {
            out.push_str(error);
        }
        if outcome.quit {
            out.push_str("(session ended)\n");
            return out;
        }
    }
    if let Some(outcome) = session.finish() {
        out.push_str("(end of input)\n");
        out.push_str(outcome.error.as_deref().unwrap_or_default());
    }
    out
}

#[track_caller]
fn check(name: &str, lines: &[&str]) {
    let text = transcript(lines);
    snapshots(|| insta::assert_snapshot!(name, text));
}

#[test]
fn seed_example_and_its_gradient() {
    check(
        "seed",
        &[
            "W: matrix(m, n); x: vector(n)",
            "1/2 * norm2(W^T W x - x)",
            "grad(1/2 * norm2(W^T W x - x), W)",
            ":diff 1/2 * norm2(W^T W x - x) wrt W",
            ":diff 1/2 * norm2(W^T W x - x) wrt x",
        ],
    );
}

#[test]
fn definitions_persist_and_print_by_name() {
    check(
        "definitions",
        &[
            "W: matrix(m, n); x: vector(n)",
            "r = W^T W x - x",
            "L = 1/2 * norm2(r)",
            "L",
            "r",
            "grad(L, W)",
            "grad(L, x)",
            "jacobian(W x, x)",
            "hessian(1/2 * x^T x, x)",
            "hessian(sum(exp(x)), x)",
        ],
    );
}

#[test]
fn backpropagation_through_an_opaque_loss() {
    check(
        "backprop",
        &[
            "ell: function",
            "z = W1 x + b1",
            "h1 = swish(z)",
            "z2 = W2 h1 + b2",
            "L = ell(z2)",
            ":diff L wrt W1",
            ":diff L wrt b2",
        ],
    );
}

#[test]
fn errors_in_the_middle_point_at_the_typed_line() {
    check(
        "errors",
        &[
            "W: matrix(m, n); x: vector(n); y: vector(p)",
            "r = W x",
            "W y + 1",
            "norm2(r) + x x",
            "z: vector(n); W   y",
            "2 * foo(x)",
            "W x +",
            "r = x",
            "x: scalar",
            "nrom2(r)",
            "1/2 * norm2(r)",
            ":types",
        ],
    );
}

#[test]
fn multi_line_input_continues_an_open_bracket() {
    check(
        "multiline",
        &[
            "W: matrix(m, n); x: vector(n)",
            "grad(1/2 * norm2(",
            "    W^T W x - x),",
            "  W)",
            "L = sum(exp(",
            "  W x)  # a comment with a ( bracket",
            ")",
            "L",
            "norm2(x",
        ],
    );
}

#[test]
fn every_command() {
    check(
        "commands",
        &[
            ":help",
            ":types",
            "A: symmetric(n); x: vector(n); k: scalar",
            "q = x^T A x + k",
            ":types",
            ":diff q wrt x",
            ":diff q wrt A",
            ":diff A x wrt x",
            ":diff q wrt k",
            ":check q wrt x",
            ":check sum(log(sigmoid(A x))) wrt A",
            ":steps q wrt x",
            ":latex q",
            ":graph q",
            ":format",
            ":format text",
            "q",
            ":diff q wrt x",
            ":format numpy",
            "q",
            ":diff q wrt x",
            ":format jax",
            ":diff q wrt x",
            ":format torch",
            "q",
            ":diff q wrt x",
            ":format latex",
            ":format matlab",
            ":format unicode",
            "q",
            ":reset",
            ":types",
            "q",
            ":quit",
            "q",
        ],
    );
}

#[test]
fn command_mistakes() {
    check(
        "command_mistakes",
        &[
            "W: matrix(m, n); x: vector(n)",
            ":dif W x wrt x",
            ":frobnicate",
            ":diff W x",
            ":diff wrt x",
            ":diff W x wrt",
            ":diff W x wrt z",
            ":diff W x wrt  W",
            ":diff W wrt W",
            ":diff W (x wrt x",
            ":diff W y wrt y",
            ":check W x wrt q",
            ":steps W x wrt q",
            ":latex",
            ":latex W +",
            ":load",
            ":save",
            ":load /nonexistent/matcalc/file.mc",
            ":save /nonexistent/matcalc/file.mc",
            ":format",
        ],
    );
}

#[test]
fn save_then_load_round_trips() {
    let dir = std::env::temp_dir().join(format!("matcalc-repl-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("session.mc");
    let path = file.to_str().unwrap().to_string();
    let save = format!(":save {path}");
    let load = format!(":load {path}");
    let lines = [
        "W: matrix(m, n); x: vector(n)",
        "1/2 * norm2(W x)",
        "r = W^T W x - x",
        "L = 1/2 * norm2(r)",
        save.as_str(),
        ":reset",
        load.as_str(),
        ":types",
        ":diff L wrt W",
        load.as_str(),
    ];
    let text = transcript(&lines).replace(&path, "FILE");
    let saved = std::fs::read_to_string(&file).unwrap();
    // The saved program is one that `matcalc -f` reads back.
    let cli = Command::new(env!("CARGO_BIN_EXE_matcalc"))
        .args(["diff", "-f", &path, "--wrt", "W"])
        .output()
        .expect("the binary runs");
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{text}\n--- FILE ---\n{saved}\n--- matcalc diff -f FILE --wrt W ---\n{}",
        String::from_utf8_lossy(&cli.stdout)
    );
    snapshots(|| insta::assert_snapshot!("save_load", text));
}

#[test]
fn load_reports_errors_in_the_file() {
    let dir = std::env::temp_dir().join(format!("matcalc-repl-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.mc");
    std::fs::write(&file, "# a program\nW: matrix(m, n)\ny: vector(p)\nW y\n").unwrap();
    let path = file.to_str().unwrap().to_string();
    let text = transcript(&[&format!(":load {path}"), ":types"]).replace(&path, "FILE");
    let _ = std::fs::remove_dir_all(&dir);
    snapshots(|| insta::assert_snapshot!("load_error", text));
}

#[test]
fn ctrl_c_cancels_a_partial_statement() {
    let mut session = Session::new();
    assert!(session.feed("grad(norm2(x),").incomplete);
    assert_eq!(session.prompt(), matcalc_cli::repl::CONTINUATION_PROMPT);
    session.cancel();
    assert_eq!(session.prompt(), matcalc_cli::repl::PROMPT);
    let outcome = session.feed("2 x + x");
    assert_eq!(outcome.output, vec!["3 x".to_string()]);
    assert!(session.finish().is_none());
}

#[test]
fn tab_completes_names_builtins_and_commands() {
    let mut session = Session::new();
    session.feed("weights: vector(n); W: matrix(m, n); alpha_decay: scalar");
    let complete = |session: &Session, line: &str| session.complete(line, line.len());
    assert_eq!(complete(&session, "wei"), (0, vec!["weights".to_string()]));
    assert_eq!(complete(&session, "2 * alpha_d"), (4, vec!["alpha_decay".to_string()]));
    assert_eq!(complete(&session, "norm"), (0, vec!["norm".to_string(), "norm1".to_string(), "norm2".to_string()]));
    assert_eq!(complete(&session, "soft"), (0, vec!["softmax".to_string(), "softplus".to_string()]));
    assert_eq!(complete(&session, ":di"), (0, vec![":diff".to_string()]));
    assert_eq!(complete(&session, ":"), (0, matcalc_cli::repl::COMMANDS.iter().map(|c| c.to_string()).collect()));
    assert_eq!(complete(&session, ":format un"), (8, vec!["unicode".to_string()]));
    assert_eq!(complete(&session, ":diff W weights w"), (16, vec!["weights".to_string(), "wrt".to_string()]));
    assert_eq!(complete(&session, "W weights + "), (12, vec![]));
    assert_eq!(complete(&session, "σ"), (0, vec!["σ".to_string()]));
    // In the middle of a line: the word before the cursor.
    assert_eq!(session.complete("tr(W) + wei + 1", 11), (8, vec!["weights".to_string()]));
    // Out-of-range or mid-character positions do not panic.
    assert_eq!(session.complete("σx", 1).0, 0);
    assert_eq!(session.complete("x", 99).0, 0);
    // Names from a failed statement are not offered.
    assert!(session.feed("zzz_top = weights weights").failed());
    assert_eq!(complete(&session, "zzz"), (0, vec![]));
    session.feed(":reset");
    assert_eq!(complete(&session, "wei"), (0, vec![]));
}

#[test]
fn statements_before_a_failing_one_are_kept() {
    let mut session = Session::new();
    let outcome = session.feed("y: vector(p); 2 y; W: matrix(m, n); W y; 3 y");
    assert_eq!(outcome.output, vec!["2 y".to_string()]);
    assert!(outcome.failed());
    let outcome = session.feed("y + W^T W y");
    assert!(outcome.failed(), "W is m×n with n ≠ p: {outcome:?}");
    assert!(!session.feed(":types").failed());
    assert_eq!(session.feed("norm2(y)").output, vec!["‖y‖²".to_string()]);
}

#[test]
fn expressions_that_teach_inference_are_kept() {
    let mut session = Session::new();
    session.feed("x: vector(n); y: vector(p)");
    assert_eq!(session.feed("W x").output, vec!["W x".to_string()]);
    // `W x` made W an m×n matrix; that persists.
    assert!(session.feed("W y").failed());
    assert_eq!(
        session.feed(":types").output,
        vec!["x: vector(n)\ny: vector(p)\nW: matrix(m, n)  (inferred)".to_string()]
    );
    // An expression over known names adds nothing, and is not replayed.
    assert_eq!(session.feed("2 W x").output, vec!["2 W x".to_string()]);
    assert_eq!(session.program(), "# matcalc session\nx: vector(n); y: vector(p)\n".replace("; ", "\n"));
}

#[test]
fn no_input_panics() {
    let mut session = Session::new();
    let nasty = [
        "",
        " ",
        ":",
        "::",
        ": ",
        ":diff",
        ":diff wrt",
        ":diff  wrt  ",
        "wrt",
        ")",
        "))",
        "(((",
        "}",
        "{",
        "é",
        "\0",
        "\u{feff}",
        ":load",
        ":save",
        ":format ",
        ":diff x wrt wrt wrt",
        ":check wrt wrt x",
        "#",
        "# (",
        "x #",
        ";;;",
        "x;;",
        "=",
        "x =",
        "= x",
        "x: ",
        ": vector",
        "ᵀ",
        "x⁻¹",
        "^T",
        "1/0",
        "0^0",
        "x .^ (1/0)",
        "W^99999999999999999999",
        ":latex (",
        ":graph )",
        ":steps x wrt",
        "σ(x)",
        "\r",
        "x\r\n",
        ":quit now",
    ];
    for line in nasty {
        let _ = session.feed(line);
        session.cancel();
    }
    for line in nasty {
        let mut fresh = Session::new();
        let _ = fresh.feed(line);
        let _ = fresh.finish();
        let _ = fresh.complete(line, line.len() / 2);
    }
}

proptest::proptest! {
    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec("[ -~σᵀ⊙\n]{0,24}", 1..6)) {
        let mut session = Session::new();
        for line in &lines {
            let _ = session.feed(line);
            let _ = session.complete(line, line.len());
        }
        let _ = session.finish();
    }
}

// ---------------------------------------------------------------------------
// A session that forgives: replaced definitions, bare words, `wrt` everywhere
// ---------------------------------------------------------------------------

#[test]
fn a_new_definition_replaces_the_old_one() {
    check(
        "redefinitions",
        &[
            "W: matrix(m, n); x: vector(n); y: vector(m); b: vector(m)",
            "r = W x - y",
            "L = 1/2 * norm2(r)",
            ":diff L wrt W",
            "r = W x + b - y",
            "L",
            ":diff L wrt b",
            "r = W x + b - y",
            "r = r + 1",
            "y: vector(p)",
            "L",
            "x: scalar",
            ":types",
            "k x",
            "z = W x; z = 2 z",
        ],
    );
}

#[test]
fn a_replaced_definition_is_saved_in_order() {
    let mut session = Session::new();
    for line in ["x: vector(n)", "r = x", "L = norm2(r)", "q = sum(x)", "r = 3 q x"] {
        let outcome = session.feed(line);
        assert!(!outcome.failed(), "{line}: {outcome:?}");
    }
    // The new r uses q, defined after the old r: it comes after q, and L after it.
    assert_eq!(session.program(), "# matcalc session\nx: vector(n)\nq = sum(x)\nr = 3 q x\nL = norm2(r)\n");
    assert_eq!(session.feed("L").output, vec!["‖r‖²".to_string()]);
    assert_eq!(session.feed(":diff L wrt q").output, vec!["6 rᵀ x".to_string()]);
}

#[test]
fn bare_quit_exit_and_help() {
    for word in ["quit", "exit", " quit "] {
        let mut session = Session::new();
        assert!(session.feed(word).quit, "{word:?}");
    }
    let mut session = Session::new();
    let help = session.feed("help");
    assert!(help.output[0].contains("Commands"), "{help:?}");
    // A declared name is a name.
    session.feed("quit: scalar; help = 2 quit");
    assert_eq!(session.feed("quit").output, vec!["quit".to_string()]);
    assert_eq!(session.feed("help").output, vec!["2 quit".to_string()]);
    assert!(!session.feed("exit").failed());
    assert!(session.feed("exit").quit);
}

#[test]
fn commands_understand_wrt_and_name_definitions() {
    check(
        "commands_wrt",
        &[
            "W: matrix(m, n); x: vector(n); y: vector(m)",
            "L = 1/2 * norm2(W x - y)",
            ":latex L",
            ":latex L wrt W",
            ":latex W x wrt x",
            ":latex 2 L",
            ":steps L wrt W",
            ":steps 2 L wrt x",
            ":graph L wrt W",
            ":graph L wrt z",
            ":diff L wrt",
            ":latex L wrt",
            ":graph >",
            ":verify L wrt W claim (W x - y) x^T",
            ":verify L wrt W claim t1 = W x - y; t1 x^T",
            ":verify L wrt W claim x (W x - y)^T",
            ":verify L wrt W claim W x y^T",
            ":verify L wrt W claim (W x + y) x^T",
            ":verify L wrt W claim q x^T",
            ":verify L wrt W",
            ":help graph",
            ":help :steps",
            ":help verify",
            ":help frobnicate",
            ":types",
        ],
    );
}

#[test]
fn graph_writes_dot_and_tikz_files() {
    let dir = std::env::temp_dir().join(format!("matcalc-repl-graph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dot = dir.join("loss.dot");
    let tikz = dir.join("loss.tex");
    let mut session = Session::new();
    session.feed("W: matrix(m, n); x: vector(n); L = sum(exp(W x))");
    let outcome = session.feed(&format!(":graph L wrt W > {}", dot.display()));
    assert_eq!(outcome.output, vec![format!("wrote the graph of L (dot) to {}", dot.display())]);
    let outcome = session.feed(&format!(":graph L wrt W > {}", tikz.display()));
    assert_eq!(outcome.output, vec![format!("wrote the graph of L (TikZ) to {}", tikz.display())]);
    let dot_text = std::fs::read_to_string(&dot).unwrap();
    let tikz_text = std::fs::read_to_string(&tikz).unwrap();
    // The file holds what `:graph` prints, and what `matcalc diff --format dot|tikz` prints.
    let printed = session.feed(":graph L wrt W").output.concat();
    assert_eq!(dot_text.trim_end(), printed.trim_end());
    for (format, text) in [("dot", &dot_text), ("tikz", &tikz_text)] {
        let cli = Command::new(env!("CARGO_BIN_EXE_matcalc"))
            .args(["diff", "W: matrix(m, n); x: vector(n); L = sum(exp(W x))", "--wrt", "W", "--format", format])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&cli.stdout).trim_end(), text.trim_end(), "{format}");
    }
    assert!(tikz_text.contains("\\begin{tikzpicture}"), "{tikz_text}");
    let failed = session.feed(":graph L > /nonexistent/matcalc/loss.dot");
    assert!(failed.error.as_deref().is_some_and(|e| e.starts_with("error: cannot write")), "{failed:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn results_break_at_the_session_width() {
    let mut session = Session::new();
    session.feed("x: vector(n); A: matrix(n, n)");
    let line = "sum(exp(A x)) + sum(log(sigmoid(A x))) + sum(tanh(A^T x)) + sum(softplus(A A x)) + norm2(A x)";
    let wide = session.feed(line).output.concat();
    assert!(!wide.contains('\n'), "{wide}");
    session.set_width(40);
    let narrow = session.feed(line).output.concat();
    assert!(narrow.lines().count() > 1, "{narrow}");
    assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
    assert_eq!(narrow.split_whitespace().collect::<String>(), wide.split_whitespace().collect::<String>());
}

// ---------------------------------------------------------------------------
// A session that stays fast: each line costs what it holds
// ---------------------------------------------------------------------------

#[test]
fn pasting_definitions_analyses_each_once() {
    let mut session = Session::new();
    session.feed("x: vector(n)");
    session.feed("z0 = x");
    let before = session.statements_analysed();
    for i in 1..=1000 {
        let outcome = session.feed(&format!("z{i} = sin(z{})", i - 1));
        assert!(!outcome.failed(), "{outcome:?}");
    }
    // One analysis per statement: the history is not analysed again.
    assert_eq!(session.statements_analysed() - before, 1000);
    assert_eq!(session.feed("z1000").output, vec!["sin(z999)".to_string()]);
    let gradient = session.feed(":diff sum(z3) wrt x").output.concat();
    assert_eq!(gradient, "cos(z0) ⊙ cos(z1) ⊙ cos(z2)", "{gradient}");
    // Failed lines cost their own statement only, and leave no trace.
    let count = session.statements_analysed();
    assert!(session.feed("z1000 z1000").failed());
    assert!(session.feed("q = x x").failed());
    assert_eq!(session.statements_analysed() - count, 2);
    assert_eq!(session.names().len(), 1002);
}

#[test]
fn pasting_a_network_analyses_each_statement_once() {
    let mut session = Session::new();
    session.feed("h0: vector(d)");
    let before = session.statements_analysed();
    for i in 1..=300 {
        for line in [
            format!("W{i}: matrix(d, d); b{i}: vector(d)"),
            format!("z{i} = W{i} h{} + b{i}", i - 1),
            format!("h{i} = tanh(z{i})"),
        ] {
            let outcome = session.feed(&line);
            assert!(!outcome.failed(), "{line}: {outcome:?}");
        }
    }
    // Sizes that meet (two 1s, two d's) settle nothing: no statement is analysed twice.
    assert_eq!(session.statements_analysed() - before, 300 * 4);
    assert_eq!(session.feed(":diff sum(h300) wrt b300").output, vec!["1 − h300 .^ 2".to_string()]);
}

#[test]
fn settling_a_free_dimension_analyses_the_program_again() {
    let mut session = Session::new();
    assert_eq!(session.feed("z = W x").output, Vec::<String>::new());
    assert_eq!(
        session.feed(":types").output,
        vec!["W: matrix(m, n)  (inferred)\nx: vector(n)  (inferred)\nz: vector(m)  (definition)".to_string()]
    );
    let before = session.statements_analysed();
    // y fixes W's columns to p: the earlier statement's shapes change.
    session.feed("y: vector(p)");
    assert!(!session.feed("W y").failed());
    assert_eq!(session.statements_analysed() - before, 2 + 2);
    assert_eq!(
        session.feed(":types").output,
        vec!["W: matrix(m, p)  (inferred)\nx: vector(p)  (inferred)\nz: vector(m)  (definition)\ny: vector(p)"
            .to_string()]
    );
    assert_eq!(session.feed(":diff norm2(z) wrt x").output, vec!["2 Wᵀ z".to_string()]);
}

/// Every input the pipeline fuzz target kept (`tests/fuzz_cases/pipeline/`),
/// piped into the REPL as the target does: no panic, and every line
/// answered with a result or an error.
#[test]
fn fuzz_cases_piped_into_the_repl_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz_cases/pipeline");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let bytes = std::fs::read(entry.expect("a directory entry").path()).expect("a readable case");
        if bytes.len() > 4096 {
            continue;
        }
        let source = String::from_utf8_lossy(&bytes).into_owned();
        let replay = std::thread::Builder::new().stack_size(8 << 20).spawn(move || {
            let mut input = source.as_bytes();
            let (mut out, mut err) = (Vec::new(), Vec::new());
            matcalc_cli::repl::run_script(&mut input, &mut out, &mut err);
        });
        replay.expect("a thread starts").join().expect("the REPL does not panic");
        replayed += 1;
    }
    assert!(replayed > 0, "no pipeline cases under {}", dir.display());
}

/// The REPL prints Unicode by default; what it prints can be pasted back
/// in (Greek names, norms, `−`, `ᵀ`) and means the same.
#[test]
fn unicode_results_paste_back_in() {
    let mut session = Session::new();
    let declared = session.feed("W: matrix(m, n); x: vector(n); alpha: scalar");
    assert!(declared.error.is_none(), "{:?}", declared.error);
    for input in ["alpha/2 * norm2(W^T W x - x) + norm(x)", ":diff alpha/2 * norm2(W^T W x - x) wrt W"] {
        let shown = session.feed(input).output.join("\n");
        assert!(shown.contains('‖') || shown.contains('ᵀ'), "{input}: {shown}");
        let expression = shown.trim_start_matches(":diff ");
        let again = session.feed(expression);
        assert!(again.error.is_none(), "{expression}: {:?}", again.error);
        if !input.starts_with(":diff") {
            let difference = session.feed(&format!("({expression}) - ({input})"));
            assert_eq!(difference.output.join(""), "0", "{expression}");
        }
        // A result that names a repeated part (`t1 = …` lines first)
        // defines that name when pasted back: the session then prints the
        // last line, written with it.
        let last = shown.lines().last().unwrap_or_default();
        assert_eq!(again.output.join("\n"), last, "{expression}");
    }
    assert!(session.feed("α x").error.is_none());
    let types = session.feed(":types").output.join("\n");
    // W, x, alpha and the pasted definition t1: α is alpha, not a new name.
    assert_eq!(types.lines().count(), 4, "α is alpha, not a new name: {types}");
    assert!(types.contains("t1: matrix(n, n)  (definition)"), "{types}");
}

#[test]
fn names_run_together_get_a_note_or_a_help_line() {
    // `Ax` is one new name: a note where the session accepts it, the help
    // line of the shape error where it does not.
    check("run_together_names", &["A: matrix(n, n); x: vector(n); b: vector(n)", "tr(Ax)", "Ax + b", "A x + b"]);
}
