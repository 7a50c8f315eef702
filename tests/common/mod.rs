//! Shared test helpers: the snapshot location and small runners.
#![allow(dead_code)]

pub mod cases;
pub mod directional;
pub mod generate;
pub mod libraries;
pub mod numpy;

use matcalc::{analyze, Format};

/// The repository's root: the core package's directory, which the command
/// line's tests (in `cli/tests/`, sharing these helpers) sit below.
pub fn repo_root() -> std::path::PathBuf {
    let package = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if package.join("snapshots").is_dir() {
        package.to_path_buf()
    } else {
        package.join("..")
    }
}

/// The repository's `snapshots/` directory (the core's tests and the
/// command line's share it).
pub fn snapshot_dir() -> std::path::PathBuf {
    repo_root().join("snapshots")
}

/// Runs `body` with insta writing snapshots to the top-level `snapshots/`.
pub fn snapshots<R>(body: impl FnOnce() -> R) -> R {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshot_dir());
    settings.set_prepend_module_to_snapshot(true);
    settings.bind(body)
}

/// Runs `body` on a thread with a 256 MiB stack, as the `matcalc` binary
/// does: deep networks recurse deeper than a test thread's 2 MiB allow in
/// debug builds.
pub fn with_big_stack<R: Send + 'static>(body: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new().stack_size(256 << 20).spawn(body).unwrap().join().unwrap()
}

/// The simplified value of `program` in text, or the rendered error.
pub fn simplify_text(program: &str) -> String {
    match analyze(program).and_then(|mut a| {
        let v = a.simplified(None)?;
        Ok(a.print(v, Format::Text))
    }) {
        Ok(text) => text,
        Err(e) => e.render(program),
    }
}

/// The derivative of `program` with respect to `wrt` in text, or the rendered error.
pub fn diff_text(program: &str, wrt: &str) -> String {
    match analyze(program).and_then(|mut a| {
        let d = a.derivative(None, wrt)?;
        Ok(a.print(d.result, Format::Text))
    }) {
        Ok(text) => text,
        Err(e) => e.render(program),
    }
}

/// Skips `test` because a tool it needs is missing: under CI (`CI` set, as
/// `.ci/run` does) that is a failure; elsewhere the notice goes straight to
/// the terminal (libtest captures `println!` of passing tests), so the
/// `cargo test` output says what did not run.
pub fn skip(test: &str, why: &str) {
    assert!(std::env::var_os("CI").is_none(), "{test} cannot run under CI: {why} (see .ci/run)");
    notice_skipped(test, why);
}

/// Says on the terminal that `test` did not run, and why (for a tool CI
/// does not install either, so never a failure).
pub fn notice_skipped(test: &str, why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// `s` as a JSON string literal (for the Python and node checkers).
#[allow(unused_imports)] // only some test binaries use it
pub use numpy::json_string;

/// A proptest configuration of `cases` cases whose random seed is
/// `PROPTEST_RNG_SEED` if set, else a fixed one: `cargo test` is
/// repeatable (an ill-conditioned random point cannot fail one run in a
/// hundred), and another seed is one variable away.
pub fn repeatable(cases: u32) -> proptest::test_runner::Config {
    let mut config = proptest::test_runner::Config { cases, failure_persistence: None, ..Default::default() };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = proptest::test_runner::RngSeed::Fixed(0x0070_726f_7073);
    }
    config
}
