//! Tab completion: the session's names, the built-in functions, the
//! commands, the formats after `:format`, and the keywords of commands.

use super::{COMMANDS, FORMATS};

/// Commands that take `EXPR wrt X`.
const WITH_WRT: &[&str] = &[":diff", ":check", ":steps", ":latex", ":graph", ":verify"];

/// Completions of the word before byte `pos` of `line` among `names`, the
/// built-in functions and the commands: where the word starts and the
/// candidates, sorted.
pub fn complete(line: &str, pos: usize, names: &[String]) -> (usize, Vec<String>) {
    let mut pos = pos.min(line.len());
    while !line.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &line[..pos];
    let trimmed = before.trim_start();
    if trimmed.starts_with(':') && !trimmed.contains(char::is_whitespace) {
        let start = before.len() - trimmed.len();
        let found = COMMANDS.iter().filter(|c| c.starts_with(trimmed)).map(|c| c.to_string()).collect();
        return (start, found);
    }
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &before[word_start..];
    if let Some(rest) = trimmed.strip_prefix(":format") {
        if rest.starts_with(char::is_whitespace) {
            let found = FORMATS.iter().filter(|f| f.starts_with(word)).map(|f| f.to_string()).collect();
            return (word_start, found);
        }
    }
    if let Some(rest) = trimmed.strip_prefix(":help") {
        if rest.starts_with(char::is_whitespace) {
            let found = COMMANDS.iter().map(|c| &c[1..]).filter(|c| c.starts_with(word)).map(str::to_string).collect();
            return (word_start, found);
        }
    }
    if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
        return (pos, Vec::new());
    }
    let with_wrt = WITH_WRT.iter().any(|c| trimmed.starts_with(c));
    let with_claim = trimmed.starts_with(":verify");
    let mut found: Vec<String> = names
        .iter()
        .map(String::as_str)
        .chain(matcalc::ops::names().map(|name| -> &str { name }))
        .chain(with_wrt.then_some("wrt"))
        .chain(with_claim.then_some("claim"))
        .filter(|n| n.starts_with(word))
        .map(str::to_string)
        .collect();
    found.sort();
    found.dedup();
    (word_start, found)
}
