//! The REPL through the binary: piped standard input, and sessions typed
//! into the real binary through a pseudo-terminal (Ctrl-C, bad bytes, a
//! long paste, history).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
            stdout, "1/2 * ‖Wᵀ W x − x‖²\nformat: text\nt1 = (W^T W x - x) x^T\nW (t1 + t1^T)\nW^T exp(W x)\n",
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
    pty_relay_sized(binary, None)
}

/// [`pty_relay`] on a terminal `columns` wide (`stty cols`), if given.
fn pty_relay_sized(binary: &str, columns: Option<u16>) -> Option<Command> {
    let works = |program: &str, arg: &str| {
        Command::new(program).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    };
    let size = columns.map(|c| format!("stty cols {c}; ")).unwrap_or_default();
    if std::env::var_os("MATCALC_TEST_PTY").is_none_or(|v| v != "script") && works("python3", "--version") {
        let mut command = Command::new("python3");
        let script = "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)";
        if columns.is_some() {
            command.args(["-c", script, "sh", "-c", &format!("{size}exec \"$0\" repl"), binary]);
        } else {
            command.args(["-c", script, binary, "repl"]);
        }
        return Some(command);
    }
    if works("script", "--version") {
        let mut command = Command::new("script");
        command.args(["-qfec", &format!("{size}'{binary}' repl"), "/dev/null"]);
        return Some(command);
    }
    None
}

/// The relay of a REPL on a pseudo-terminal, killed when dropped: a test
/// that fails while the REPL still runs (a timeout, an assertion) leaves no
/// process behind (the REPL ends when its terminal's relay does).
struct Relay(std::process::Child);

impl std::ops::Deref for Relay {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Relay {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if self.0.try_wait().is_ok_and(|status| status.is_none()) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
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
    let mut child = Relay(
        relay
            .env("TERM", "xterm")
            .env("XDG_DATA_HOME", &data)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the relay starts"),
    );
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
    terminal.expect("W (t1 + t1ᵀ)");
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
    terminal.expect("W (t1 + t1ᵀ)");
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

/// A REPL running on a pseudo-terminal: the relay, its input, what it shows.
type Running = (Relay, std::process::ChildStdin, Terminal, std::thread::JoinHandle<()>);

/// Starts the REPL on a pseudo-terminal with its history under `data`.
fn start_terminal(data: &std::path::Path) -> Option<Running> {
    start_terminal_sized(data, None)
}

/// [`start_terminal`] on a terminal `columns` wide, if given.
fn start_terminal_sized(data: &std::path::Path, columns: Option<u16>) -> Option<Running> {
    let binary = env!("CARGO_BIN_EXE_matcalc");
    let mut relay = pty_relay_sized(binary, columns)?;
    let mut child = Relay(
        relay
            .env("TERM", "xterm")
            .env("XDG_DATA_HOME", data)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the relay starts"),
    );
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
fn results_break_at_the_terminals_width() {
    let data = std::env::temp_dir().join(format!("matcalc-repl-pty-width-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let Some((mut child, mut stdin, mut terminal, reader)) = start_terminal_sized(&data, Some(40)) else {
        common::skip("pseudo-terminal tests", "neither python3 nor script(1) is available to make a pseudo-terminal");
        return;
    };
    let mut send = |text: &str| {
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    };
    terminal.expect("matcalc> ");
    send("x: vector(n); A: matrix(n, n)\r");
    terminal.expect("matcalc> ");
    // 70 columns on one line at the default width of 100.
    send("sum(exp(A x)) + sum(tanh(A^T x)) + sum(softplus(A A x)) + norm2(A x)\r");
    terminal.expect("matcalc> ");
    send("quit\r");
    let status = wait_for_exit(&mut child, &terminal);
    drop(stdin);
    reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&data);
    assert!(status.success(), "exit status {status:?}; the terminal shows:\n{}", terminal.screen());
    let screen = terminal.screen();
    // The result, after the echoed line, is broken into lines of at most 40 columns.
    let result: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("norm2(A x)"))
        .skip(1)
        .take_while(|l| !l.contains("matcalc>"))
        .collect();
    assert!(result.len() > 1, "not broken at 40 columns:\n{screen}");
    assert!(result.iter().all(|l| l.chars().count() <= 40), "wider than 40 columns:\n{screen}");
    assert!(result.concat().contains("‖A x‖²"), "{screen}");
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
fn a_terminal_session_survives_bad_bytes_and_long_pastes_and_saves_history_on_ctrl_c() {
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
    // A 200 KB line pasted (as a bracketed paste, which is how terminals send
    // a paste) is inserted at once: the line editor draws it once, so what
    // the REPL writes back grows linearly with the line (typed one character
    // at a time, the editor redraws the whole line at every row it fills).
    let before = terminal.output.lock().unwrap().len();
    let line = format!("x{}", " + x".repeat(49_999));
    send(format!("\x1b[200~{line}\x1b[201~\r").as_bytes());
    terminal.expect("50000 x");
    terminal.expect("matcalc> ");
    let written = terminal.output.lock().unwrap().len() - before;
    assert!(written <= 2 * line.len(), "{written} bytes written back for a pasted line of {} bytes", line.len());
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
    assert!(stdout.starts_with("(A + Aᵀ) x + b\n"), "{stdout}");
    assert!(stdout.contains("c: scalar  (inferred)"), "{stdout}");
    assert!(
        stderr.contains("note: `c` is taken to be a scalar: it is added to the scalar `x'*A*x + b'*x`"),
        "{stderr}"
    );
    assert!(stderr.contains("note: `norm2` is already the squared norm: `norm2(e)^2` is ‖e‖⁴"), "{stderr}");
    assert!(!stderr.contains("note: note:"), "{stderr}");
}
