//! Reading programs with bounded memory: a source is read up to its size
//! limit and no further (a huge or endless input, such as `/dev/zero`, is
//! an error after [`MAX_INPUT_BYTES`] + 1 bytes, never read whole), a line
//! read by [`LineLimit`] is bounded the same way, and a leading byte-order
//! mark is skipped.

use std::io::{self, BufRead, Read};

use crate::error::{Error, ErrorKind, Span};

/// Most bytes of input read for one program or one line, comments
/// included; the program text outside comments has its own, smaller limit
/// ([`crate::syntax::MAX_SOURCE_BYTES`]).
pub const MAX_INPUT_BYTES: usize = 4 << 20;

/// The UTF-8 byte-order mark some editors write at the start of a file.
const BYTE_ORDER_MARK: &str = "\u{feff}";

/// Why a source could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The reader failed (an unreadable file, a directory).
    Io(io::Error),
    /// The input is beyond a limit or is not UTF-8: an error in the
    /// program, with the text to render it against.
    Program {
        /// The error.
        error: Box<Error>,
        /// The input read, lossily decoded (the span points into it).
        text: String,
    },
}

/// The error for an input longer than [`MAX_INPUT_BYTES`].
pub fn too_large() -> Error {
    Error::bare(ErrorKind::Limit, format!("the input is more than {MAX_INPUT_BYTES} bytes (comments included)"))
        .with_help("split the program into smaller files")
}

/// Reads a whole source from `reader`, stopping after one byte more than
/// [`MAX_INPUT_BYTES`] (which is an error); decodes it as UTF-8 and drops a
/// leading byte-order mark.
pub fn read_source(reader: &mut dyn Read) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    reader.take(MAX_INPUT_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ReadError::Program { error: Box::new(too_large()), text: String::new() });
    }
    decode(bytes)
}

/// Decodes `bytes` as UTF-8 without a leading byte-order mark; invalid
/// UTF-8 is a syntax error at the first bad byte.
pub fn decode(bytes: Vec<u8>) -> Result<String, ReadError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(strip_byte_order_mark(text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let error = Error::new(ErrorKind::Syntax, "the input is not valid UTF-8", Span::new(at, at + 1))
                .with_help("save the file as UTF-8");
            Err(ReadError::Program { error: Box::new(error), text })
        }
    }
}

/// `text` without a leading byte-order mark.
pub fn strip_byte_order_mark(text: String) -> String {
    match text.strip_prefix(BYTE_ORDER_MARK) {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// A [`BufRead`] that fails with [`io::ErrorKind::InvalidData`] once a line
/// grows beyond `limit` bytes, so that `read_until(b'\n', …)` and
/// `read_line` on an endless line stop instead of exhausting memory.
pub struct LineLimit<R> {
    inner: R,
    limit: usize,
    /// Bytes consumed since the last newline.
    line: usize,
}

impl<R: BufRead> LineLimit<R> {
    /// Wraps `inner`, allowing lines of at most [`MAX_INPUT_BYTES`].
    pub fn new(inner: R) -> LineLimit<R> {
        LineLimit::with_limit(inner, MAX_INPUT_BYTES)
    }

    /// Wraps `inner`, allowing lines of at most `limit` bytes.
    pub fn with_limit(inner: R, limit: usize) -> LineLimit<R> {
        LineLimit { inner, limit, line: 0 }
    }
}

impl<R: BufRead> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineLimit<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.line > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line longer than the limit of {} bytes", self.limit),
            ));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buffer) = self.inner.fill_buf() {
            let consumed = &buffer[..amount.min(buffer.len())];
            self.line = match consumed.iter().rposition(|b| *b == b'\n') {
                Some(i) => consumed.len() - i - 1,
                None => self.line.saturating_add(consumed.len()),
            };
        }
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_input_stops_at_the_limit() {
        let mut endless = io::repeat(b'x');
        match read_source(&mut endless) {
            Err(ReadError::Program { error, .. }) => assert_eq!(error.kind, ErrorKind::Limit),
            other => panic!("expected a limit error, got {other:?}"),
        }
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let mut input: &[u8] = b"\xef\xbb\xbfx + y";
        assert_eq!(read_source(&mut input).expect("reads"), "x + y");
    }

    #[test]
    fn invalid_utf8_is_a_syntax_error_at_the_byte() {
        let mut input: &[u8] = b"x + \xff";
        match read_source(&mut input) {
            Err(ReadError::Program { error, .. }) => {
                assert_eq!(error.kind, ErrorKind::Syntax);
                assert_eq!(error.span, Some(Span::new(4, 5)));
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn an_endless_line_is_an_error_and_short_lines_pass() {
        let mut lines = LineLimit::with_limit(io::BufReader::with_capacity(7, io::repeat(b'x')), 100);
        let mut buffer = Vec::new();
        let error = lines.read_until(b'\n', &mut buffer).expect_err("too long");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(buffer.len() <= 100 + 7, "read {} bytes", buffer.len());
        let text = "a\nbb\n".repeat(1000);
        let mut lines = LineLimit::with_limit(text.as_bytes(), 3);
        let mut count = 0;
        loop {
            buffer.clear();
            match lines.read_until(b'\n', &mut buffer).expect("short lines pass") {
                0 => break,
                _ => count += 1,
            }
        }
        assert_eq!(count, 2000);
    }
}
