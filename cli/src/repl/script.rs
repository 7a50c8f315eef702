//! The loop over piped input: no prompts, no colours; results to standard
//! output, notes and errors to standard error.

use std::io::{BufRead, Write};

use super::{Outcome, Session};

/// Runs a session over piped input, results to `out`, errors to `err`.
/// Returns `true` if every statement succeeded.
pub fn run_script(input: &mut dyn BufRead, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let mut session = Session::new();
    let mut ok = true;
    let mut buffer = Vec::new();
    let mut number = 0usize;
    loop {
        number += 1;
        let too_long = match read_line(input, &mut buffer, matcalc::syntax::MAX_SOURCE_BYTES) {
            Ok(None) => break,
            Ok(Some(too_long)) => too_long,
            Err(e) => {
                let _ = writeln!(err, "error: cannot read standard input: {e}");
                return false;
            }
        };
        let outcome = if too_long {
            session.cancel();
            let limit = matcalc::syntax::MAX_SOURCE_BYTES;
            Outcome::fail(format!("error: input too large: line {number} is longer than {limit} bytes\n"))
        } else {
            match std::str::from_utf8(&buffer) {
                Ok(line) => session.feed(line),
                Err(e) => {
                    session.cancel();
                    let at = e.valid_up_to();
                    Outcome::fail(format!("error: line {number} is not UTF-8 text (byte {} is not valid)\n", at + 1))
                }
            }
        };
        match report(&outcome, out, err, false) {
            Ok(fine) => ok &= fine,
            Err(()) => return false,
        }
        if outcome.quit {
            return ok;
        }
    }
    if let Some(outcome) = session.finish() {
        match report(&outcome, out, err, false) {
            Ok(fine) => ok &= fine,
            Err(()) => return false,
        }
    }
    ok
}

/// Reads one line (with its newline) into `buffer`, keeping at most `limit`
/// bytes of it: `None` at the end of the input, `Some(true)` if the line was
/// longer (the rest of it is skipped).
fn read_line(input: &mut dyn BufRead, buffer: &mut Vec<u8>, limit: usize) -> std::io::Result<Option<bool>> {
    buffer.clear();
    let mut read_any = false;
    let mut too_long = false;
    loop {
        let available = match input.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read_any.then_some(too_long));
        }
        read_any = true;
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let used = chunk.len();
        if !too_long {
            if buffer.len() + chunk.len() > limit + 1 {
                too_long = true;
                buffer.clear();
            } else {
                buffer.extend_from_slice(chunk);
            }
        }
        input.consume(used);
        if done {
            return Ok(Some(too_long));
        }
    }
}

/// Writes an outcome; returns `Ok(false)` if it was an error, `Err` (after
/// saying so on `err`) if the results could not be written.
pub(super) fn report(outcome: &Outcome, out: &mut dyn Write, err: &mut dyn Write, colour: bool) -> Result<bool, ()> {
    let written = outcome.output.iter().try_for_each(|text| writeln!(out, "{text}")).and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(err, "error: could not write the output: {e}");
        }
        return Err(());
    }
    for note in &outcome.notes {
        let note = if colour { format!("\x1b[1;36mnote\x1b[0m: {note}") } else { format!("note: {note}") };
        let _ = writeln!(err, "{note}");
    }
    let _ = err.flush();
    match &outcome.error {
        Some(text) => {
            let text = if colour { colour_error(text) } else { text.clone() };
            let _ = write!(err, "{text}");
            let _ = err.flush();
            Ok(false)
        }
        None => Ok(true),
    }
}

/// Makes the `error:` and `help:` words of a rendered error bold and coloured.
fn colour_error(text: &str) -> String {
    text.replacen("error:", "\x1b[1;31merror\x1b[0m:", 1).replace("= help:", "= \x1b[1;36mhelp\x1b[0m:")
}
