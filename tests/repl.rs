//! The REPL: whole-session transcripts of `Session` (snapshots), Tab
//! completion, piped standard input through the binary, and one session
//! typed into the real binary through a pseudo-terminal.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::snapshots;
use matcalc::repl::Session;

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
    assert_eq!(session.prompt(), matcalc::repl::CONTINUATION_PROMPT);
    session.cancel();
    assert_eq!(session.prompt(), matcalc::repl::PROMPT);
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
    assert_eq!(complete(&session, ":"), (0, matcalc::repl::COMMANDS.iter().map(|c| c.to_string()).collect()));
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
// The binary with piped standard input
// ---------------------------------------------------------------------------

fn pipe(args: &[&str], input: &str) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_matcalc"))
        .args(args)
        .env("XDG_DATA_HOME", std::env::temp_dir().join("matcalc-repl-piped"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

#[test]
fn piped_stdin_prints_one_result_per_expression() {
    let script = "W: matrix(m, n); x: vector(n)\n1/2 * norm2(W^T W x - x)\n:format text\n\
                  grad(1/2 * norm2(W^T W x - x), W)\nL = sum(exp(\n  W x))\n:diff L wrt x\n";
    for args in [&["repl"][..], &[][..]] {
        let (stdout, stderr, status) = pipe(args, script);
        assert_eq!(
            stdout, "1/2 * ‖Wᵀ W x − x‖²\nformat: text\nW x (W^T W x - x)^T + W (W^T W x - x) x^T\nW^T exp(W x)\n",
            "args {args:?}"
        );
        assert_eq!(stderr, "", "args {args:?}");
        assert_eq!(status, 0, "args {args:?}");
        assert!(!stdout.contains("matcalc>"), "no prompts when piped");
    }
}

#[test]
fn piped_stdin_reports_errors_and_exits_1() {
    let script = "x: vector(n)\nx x\n2 x\n";
    let (stdout, stderr, status) = pipe(&["repl"], script);
    assert_eq!(stdout, "2 x\n");
    assert!(stderr.starts_with("error: shape error"), "{stderr}");
    assert!(stderr.contains("1 | x x\n"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "no colours when piped: {stderr:?}");
    assert_eq!(status, 1);

    let (stdout, stderr, status) = pipe(&["repl"], "2 x\nnorm2(x\n");
    assert_eq!(stdout, "2 x\n");
    assert!(stderr.contains("syntax error"), "an unclosed bracket at the end is an error: {stderr}");
    assert_eq!(status, 1);

    let (stdout, _, status) = pipe(&[], "2 x\n:quit\nnot reached +\n");
    assert_eq!((stdout.as_str(), status), ("2 x\n", 0));

    let (stdout, stderr, status) = pipe(&["repl"], "");
    assert_eq!((stdout.as_str(), stderr.as_str(), status), ("", "", 0));

    let (_, _, status) = pipe(&["repl"], "\u{fffd}\u{0}\n");
    assert_eq!(status, 1);
}

// ---------------------------------------------------------------------------
// The binary on a pseudo-terminal
// ---------------------------------------------------------------------------

/// A command that runs the REPL on a pseudo-terminal and relays its
/// standard input and output: python3's `pty` module, else util-linux `script`
/// (`MATCALC_TEST_PTY=script` forces the latter).
fn pty_relay(binary: &str) -> Option<Command> {
    let works = |program: &str, arg: &str| {
        Command::new(program).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    };
    if std::env::var_os("MATCALC_TEST_PTY").is_none_or(|v| v != "script") && works("python3", "--version") {
        let mut command = Command::new("python3");
        command.args(["-c", "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)", binary, "repl"]);
        return Some(command);
    }
    if works("script", "--version") {
        let mut command = Command::new("script");
        command.args(["-qfec", &format!("'{binary}' repl"), "/dev/null"]);
        return Some(command);
    }
    None
}

/// Removes terminal escape sequences and carriage returns.
fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' | '\x07' => {}
            c => out.push(c),
        }
    }
    out
}

struct Terminal {
    output: Arc<Mutex<Vec<u8>>>,
    seen: usize,
}

impl Terminal {
    fn screen(&self) -> String {
        strip_escapes(&String::from_utf8_lossy(&self.output.lock().unwrap()))
    }

    /// Waits until `needle` appears after what was already matched.
    fn expect(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if let Some(i) = screen.get(self.seen..).and_then(|rest| rest.find(needle)) {
                self.seen += i + needle.len();
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {needle:?}; the terminal shows:\n{screen}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn a_session_on_a_terminal() {
    let binary = env!("CARGO_BIN_EXE_matcalc");
    let Some(mut relay) = pty_relay(binary) else {
        common::skip("pseudo-terminal tests", "neither python3 nor script(1) is available to make a pseudo-terminal");
        return;
    };
    let data = std::env::temp_dir().join(format!("matcalc-repl-pty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut child = relay
        .env("TERM", "xterm")
        .env("XDG_DATA_HOME", &data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the relay starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let output = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&output);
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buffer[..n]);
        }
    });
    let mut terminal = Terminal { output, seen: 0 };
    let mut send = |text: &str| {
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    };

    terminal.expect("matcalc> ");
    send("W: matrix(m, n); x: vector(n); alpha_decay: scalar\r");
    terminal.expect("matcalc> ");
    send("1/2 * norm2(W^T W x - x)\r");
    terminal.expect("1/2 * ‖Wᵀ W x − x‖²");
    terminal.expect("matcalc> ");
    // An error in the middle: the caret sits under the typed line.
    send("W x x\r");
    terminal.expect("cannot multiply");
    terminal.expect("1 | W x x");
    terminal.expect("^");
    terminal.expect("matcalc> ");
    // Tab completes a command and a declared name.
    send(":di\t");
    terminal.expect(":diff");
    send(" 1/2 * norm2(W^T W x - x) wrt W\r");
    terminal.expect("W x (Wᵀ W x − x)ᵀ + W (Wᵀ W x − x) xᵀ");
    terminal.expect("matcalc> ");
    send("alpha_d\t");
    terminal.expect("alpha_decay");
    send(" x\r");
    terminal.expect("alpha_decay x");
    terminal.expect("matcalc> ");
    // An open bracket continues on the next line.
    send("grad(1/2 * norm2(W^T W x - x),\r");
    terminal.expect("...> ");
    send("W)\r");
    terminal.expect("W x (Wᵀ W x − x)ᵀ + W (Wᵀ W x − x) xᵀ");
    terminal.expect("matcalc> ");
    // Ctrl-C drops the line; the session goes on.
    send("norm2(x\x03");
    terminal.expect("matcalc> ");
    send("2 x + x\r");
    terminal.expect("3 x");
    terminal.expect("matcalc> ");
    // Ctrl-D leaves with status 0.
    send("\x04");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the REPL did not exit on Ctrl-D:\n{}", terminal.screen());
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    reader.join().unwrap();
    assert!(status.success(), "exit status {status:?}; the terminal shows:\n{}", terminal.screen());
    let history = std::fs::read_to_string(data.join("matcalc").join("history")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&data);
    assert!(history.contains("alpha_decay x"), "history file: {history:?}");
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
    assert_eq!(session.feed(":diff L wrt q").output, vec!["6 xᵀ r".to_string()]);
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

/// Starts the REPL on a pseudo-terminal with its history under `data`.
fn start_terminal(
    data: &std::path::Path,
) -> Option<(std::process::Child, std::process::ChildStdin, Terminal, std::thread::JoinHandle<()>)> {
    let binary = env!("CARGO_BIN_EXE_matcalc");
    let mut relay = pty_relay(binary)?;
    let mut child = relay
        .env("TERM", "xterm")
        .env("XDG_DATA_HOME", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the relay starts");
    let stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let output = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&output);
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buffer[..n]);
        }
    });
    Some((child, stdin, Terminal { output, seen: 0 }, reader))
}

fn wait_for_exit(child: &mut std::process::Child, terminal: &Terminal) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the REPL did not exit:\n{}", terminal.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_interrupts_a_computation_and_the_session_goes_on() {
    let data = std::env::temp_dir().join(format!("matcalc-repl-pty-interrupt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    // A deep network: checking its gradient numerically takes long.
    let layers = 3000;
    let mut program = String::from("W: matrix(n, n); h0: vector(n)\n");
    for i in 1..=layers {
        program.push_str(&format!("h{i} = tanh(W h{})\n", i - 1));
    }
    let file = data.join("deep.mc");
    std::fs::write(&file, program).unwrap();
    let Some((mut child, mut stdin, mut terminal, reader)) = start_terminal(&data) else {
        common::skip("pseudo-terminal tests", "neither python3 nor script(1) is available to make a pseudo-terminal");
        return;
    };
    let mut send = |text: &str| {
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    };
    terminal.expect("matcalc> ");
    send(&format!(":load {}\r", file.display()));
    terminal.expect(&format!("loaded {} statements", layers + 2));
    terminal.expect("matcalc> ");
    send(&format!(":check sum(h{layers}) wrt W\r"));
    // Let the computation start (the line editor has handed the line over).
    std::thread::sleep(Duration::from_millis(1500));
    send("\x03");
    terminal.expect("interrupted");
    terminal.expect("matcalc> ");
    // The session is intact.
    send("h2\r");
    terminal.expect("tanh(W h1)");
    terminal.expect("matcalc> ");
    send("quit\r");
    let status = wait_for_exit(&mut child, &terminal);
    drop(stdin);
    reader.join().unwrap();
    assert!(status.success(), "exit status {status:?}; the terminal shows:\n{}", terminal.screen());
    let history = std::fs::read_to_string(data.join("matcalc").join("history")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&data);
    assert!(history.contains(&format!(":check sum(h{layers}) wrt W")), "history file: {history:?}");
    assert!(history.contains("h2"), "history file: {history:?}");
}

#[test]
fn a_terminal_session_survives_bad_bytes_and_saves_history_on_ctrl_c() {
    let data = std::env::temp_dir().join(format!("matcalc-repl-pty-bytes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let Some((mut child, mut stdin, mut terminal, reader)) = start_terminal(&data) else {
        common::skip("pseudo-terminal tests", "neither python3 nor script(1) is available to make a pseudo-terminal");
        return;
    };
    let mut send = |bytes: &[u8]| {
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    };
    terminal.expect("matcalc> ");
    send(b"x: vector(n)\r");
    terminal.expect("matcalc> ");
    // A byte that is not UTF-8: an error, and the session goes on.
    send(b"\xff");
    terminal.expect("not UTF-8");
    terminal.expect("matcalc> ");
    send(b"2 x + x\r");
    terminal.expect("3 x");
    terminal.expect("matcalc> ");
    // Ctrl-C twice at an empty prompt leaves, saving the history.
    send(b"\x03");
    terminal.expect("press Ctrl-C again");
    send(b"\x03");
    let status = wait_for_exit(&mut child, &terminal);
    drop(stdin);
    reader.join().unwrap();
    assert!(status.success(), "exit status {status:?}; the terminal shows:\n{}", terminal.screen());
    let history = std::fs::read_to_string(data.join("matcalc").join("history")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&data);
    assert!(history.contains("2 x + x"), "history file: {history:?}");
}

#[test]
fn piped_lines_that_are_not_utf8_are_errors() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_matcalc"))
        .arg("repl")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"x: vector(n)\n2 \xff x\n3 x\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "3 x\n");
    assert_eq!(stderr, "error: line 2 is not UTF-8 text (byte 3 is not valid)\n");
    assert_eq!(output.status.code(), Some(1));
}

/// The REPL reads undeclared names as a whole program does: a name added to
/// a scalar is a scalar (with a note on standard error), so the gradient is
/// a gradient; `norm2(e)^2` gets its note too.
#[test]
fn undeclared_names_are_read_as_in_a_program() {
    let script = "q = x'*A*x + b'*x + c\n:diff q wrt x\n:types\nnorm2(e)^2\n";
    let (stdout, stderr, status) = pipe(&["repl"], script);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.starts_with("A x + Aᵀ x + b\n"), "{stdout}");
    assert!(stdout.contains("c: scalar  (inferred)"), "{stdout}");
    assert!(
        stderr.contains("note: `c` is taken to be a scalar: it is added to the scalar `x'*A*x + b'*x`"),
        "{stderr}"
    );
    assert!(stderr.contains("note: `norm2` is already the squared norm: `norm2(e)^2` is ‖e‖⁴"), "{stderr}");
    assert!(!stderr.contains("note: note:"), "{stderr}");
}
