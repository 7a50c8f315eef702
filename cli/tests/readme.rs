//! The documentation prints what matcalc prints: every `$ matcalc …`
//! example in README.md and docs/*.md, run by the shell, writes the lines
//! under it (and the exit status a following `$ echo $?` shows), and every
//! REPL transcript in README.md (`matcalc> ` lines), fed to `matcalc repl`,
//! answers as shown. (`--help` examples: `cli/tests/cli.rs`.)

use std::path::Path;
use std::process::{Command, Stdio};

/// README.md and docs/*.md, with their text.
fn documents() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut paths = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths.into_iter().map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap())).collect()
}

/// The lines of each fenced code block of `text`.
fn code_blocks(text: &str) -> Vec<Vec<&str>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        if line.starts_with("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => current = Some(Vec::new()),
            }
        } else if let Some(block) = current.as_mut() {
            block.push(line);
        }
    }
    blocks
}

/// A `$ command` of a block, the lines under it and the exit status a
/// following `$ echo $?` shows.
struct Example {
    command: String,
    output: Vec<String>,
    status: Option<i32>,
}

fn examples(block: &[&str]) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut lines = block.iter().peekable();
    while let Some(line) = lines.next() {
        let Some(command) = line.strip_prefix("$ ") else { continue };
        let mut output = Vec::new();
        while let Some(next) = lines.peek().filter(|l| !l.starts_with("$ ")) {
            output.push(next.to_string());
            lines.next();
        }
        while output.last().is_some_and(|l| l.is_empty()) {
            output.pop();
        }
        if command == "echo $?" {
            if let Some(last) = examples.last_mut() {
                last.status = output.first().and_then(|s| s.parse().ok());
            }
        } else if command.starts_with("matcalc ") {
            examples.push(Example { command: command.to_string(), output, status: None });
        }
    }
    examples
}

#[test]
fn documented_commands_print_what_the_documents_show() {
    let dir = std::env::temp_dir().join(format!("matcalc-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for (path, text) in documents() {
        for example in code_blocks(&text).iter().flat_map(|b| examples(b)) {
            // A command piped into another tool shows no output of its own.
            if example.command.rsplit('\'').next().is_some_and(|tail| tail.contains('|')) {
                continue;
            }
            let script = format!("\"$MATCALC\" {} 2>&1", &example.command["matcalc ".len()..]);
            let o = Command::new("sh")
                .args(["-c", &script])
                .env("MATCALC", env!("CARGO_BIN_EXE_matcalc"))
                .current_dir(&dir)
                .output()
                .expect("sh runs");
            let printed: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect();
            assert_eq!(
                printed.join("\n"),
                example.output.join("\n"),
                "{path}: `{}` prints otherwise than documented",
                example.command
            );
            if let Some(status) = example.status {
                assert_eq!(o.status.code(), Some(status), "{path}: `{}`", example.command);
            }
            checked += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked >= 25, "only {checked} documented commands found");
}

#[test]
fn readme_repl_transcripts_are_what_the_repl_answers() {
    let dir = std::env::temp_dir().join(format!("matcalc-readme-repl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_, readme) = documents().remove(0);
    let mut checked = 0;
    for block in code_blocks(&readme) {
        if !block.iter().any(|l| l.starts_with("matcalc> ")) {
            continue;
        }
        let input: String =
            block.iter().filter_map(|l| l.strip_prefix("matcalc> ")).map(|l| format!("{l}\n")).collect();
        let expected: Vec<&str> = block.iter().copied().filter(|l| !l.starts_with("matcalc> ")).collect();
        let mut child = Command::new(env!("CARGO_BIN_EXE_matcalc"))
            .arg("repl")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("matcalc runs");
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
        let o = child.wait_with_output().unwrap();
        let printed = String::from_utf8_lossy(&o.stdout);
        assert_eq!(printed.trim_end(), expected.join("\n"), "README.md: the session\n{input}");
        assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
        checked += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked >= 2, "only {checked} REPL transcripts found");
}
