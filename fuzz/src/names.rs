//! Names for generated programs, drawn from a pool of the names printers
//! and code generators are most likely to confuse: temporaries (`t1`),
//! dimension names (`n`, `m`), a word and its Greek letter (`alpha`, `α`),
//! a Python keyword and its escaped spelling (`lambda`, `lambda_`, `in`,
//! `def`, `np`), upstream-gradient names (`dL_dz`) and the generated code's
//! helpers (`_sigmoid`). A program is generated with plain names and renamed
//! afterwards, whole names only.

/// The pool every renamed variable, definition and dimension is drawn from.
pub const POOL: &[&str] = &[
    "t1", "t2", "t3", "n", "m", "p", "alpha", "α", "lambda", "lambda_", "λ", "in", "in_", "def", "def_", "np", "np_",
    "dL_dz", "df_dx", "dt1_dx", "dL_dx", "_sigmoid", "_softmax", "e", "t", "top", "x", "A", "k", "value", "grad_x",
    "return", "None", "β", "beta", "β_2", "beta_2",
];

/// Picks `count` distinct names from [`POOL`]; `choose(len)` returns an
/// index below `len` (the caller's source of randomness).
pub fn distinct_names(count: usize, mut choose: impl FnMut(usize) -> usize) -> Vec<String> {
    let mut pool: Vec<&str> = POOL.to_vec();
    let mut out = Vec::new();
    while out.len() < count && !pool.is_empty() {
        let i = choose(pool.len()).min(pool.len() - 1);
        out.push(pool.remove(i).to_string());
    }
    out
}

/// Whether `c` may continue a name (the grammar's `name_char`).
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || (c.is_alphabetic() && c != 'ᵀ')
}

/// `source` with each whole name `from` replaced by its `to` (numbers such
/// as `1e-3` and names not in `mapping` are kept).
pub fn rename(source: &str, mapping: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !name_char(c) {
            out.push(c);
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, d)) = chars.peek() {
            if !name_char(d) {
                break;
            }
            end = i + d.len_utf8();
            chars.next();
        }
        let word = &source[start..end];
        let renamed = if c.is_ascii_digit() { None } else { mapping.iter().find(|(from, _)| *from == word) };
        out.push_str(renamed.map(|(_, to)| to.as_str()).unwrap_or(word));
    }
    out
}
