//! Python names for generated code, all chosen by one rule in one place:
//! the program's own names are reserved first (spelled as written where that
//! is a Python identifier), then every name the generator needs (dimension
//! sizes, temporaries, upstream-gradient parameters, helpers) is derived so
//! that it differs from every name already taken. Two different things never
//! get one Python name, and no generated name shadows a user's.

use crate::ir::{FastMap, FastSet, Graph, SymbolId};

/// Words a Python function cannot use as a local name: the keywords, and
/// `np`, `jnp`, `jax` and `torch`, the modules the generated code calls.
const RESERVED: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "np", "jnp", "jax", "torch",
];

/// Greek letters and their ASCII names, as matcalc spells them in text.
const GREEK: &[(char, &str)] = &[
    ('α', "alpha"),
    ('β', "beta"),
    ('γ', "gamma"),
    ('δ', "delta"),
    ('ε', "epsilon"),
    ('ζ', "zeta"),
    ('η', "eta"),
    ('θ', "theta"),
    ('ι', "iota"),
    ('κ', "kappa"),
    ('λ', "lambda"),
    ('μ', "mu"),
    ('ν', "nu"),
    ('ξ', "xi"),
    ('π', "pi"),
    ('ρ', "rho"),
    ('σ', "sigma"),
    ('τ', "tau"),
    ('υ', "upsilon"),
    ('φ', "phi"),
    ('χ', "chi"),
    ('ψ', "psi"),
    ('ω', "omega"),
];

/// Whether `name` is usable as written: ASCII letters, digits and `_`, not
/// starting with a digit, and not reserved.
fn usable_as_written(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&name)
}

/// The ASCII spelling of a matcalc name: Greek letters by their names
/// (`α` → `alpha`), other non-ASCII characters by their code point
/// (`u0177`), and a trailing `_` on a reserved word (`lambda` → `lambda_`).
/// Different names may share a spelling; [`PythonNames`] tells them apart.
pub fn spelling(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if let Some((_, word)) = GREEK.iter().find(|(l, _)| *l == c) {
            out.push_str(word);
        } else if let Some((_, word)) = GREEK.iter().find(|(l, _)| c.to_lowercase().eq([*l])) {
            // A capital Greek letter: `Σ` → `Sigma`.
            let mut chars = word.chars();
            out.extend(chars.next().map(|f| f.to_ascii_uppercase()));
            out.push_str(chars.as_str());
        } else {
            out.push_str(&format!("u{:04x}", c as u32));
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// The names of one generated Python function.
#[derive(Clone, Debug, Default)]
pub struct PythonNames {
    taken: FastSet<String>,
    symbols: FastMap<SymbolId, String>,
    next_temporary: usize,
}

impl PythonNames {
    /// Reserves a Python name for every symbol of `graph`: first the names
    /// that are Python identifiers as written (each keeps its name), then, in
    /// declaration order, the others by [`spelling`] made distinct by
    /// [`PythonNames::fresh`] (`alpha` and `α` become `alpha` and `alpha_2`).
    pub fn for_graph(graph: &Graph) -> PythonNames {
        let mut names = PythonNames { next_temporary: 1, ..PythonNames::default() };
        for word in RESERVED {
            names.taken.insert((*word).to_string());
        }
        let mut respelled = Vec::new();
        for (sid, symbol) in graph.symbols() {
            if usable_as_written(&symbol.name) && names.taken.insert(symbol.name.clone()) {
                names.symbols.insert(sid, symbol.name.clone());
            } else {
                respelled.push(sid);
            }
        }
        for sid in respelled {
            let name = names.fresh(&spelling(&graph.symbol(sid).name));
            names.symbols.insert(sid, name);
        }
        names
    }

    /// The Python name of the program's symbol `sid`.
    pub fn symbol(&self, sid: SymbolId) -> &str {
        self.symbols.get(&sid).map(String::as_str).unwrap_or("_")
    }

    /// Takes and returns `base` if it is free, otherwise the first free one of
    /// `base_2`, `base_3`, … (`lambda_2` when `base` already ends in `_`).
    pub fn fresh(&mut self, base: &str) -> String {
        let base = spelling(base);
        if self.taken.insert(base.clone()) {
            return base;
        }
        let separator = if base.ends_with('_') { "" } else { "_" };
        let mut k = 2;
        loop {
            let candidate = format!("{base}{separator}{k}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            k += 1;
        }
    }

    /// Takes and returns the next free temporary name of `t1`, `t2`, …
    pub fn temporary(&mut self) -> String {
        loop {
            let candidate = format!("t{}", self.next_temporary);
            self.next_temporary += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(spelling("α"), "alpha");
        assert_eq!(spelling("Σ2"), "Sigma2");
        assert_eq!(spelling("lambda"), "lambda_");
        assert_eq!(spelling("np"), "np_");
        assert_eq!(spelling("torch"), "torch_");
        assert_eq!(spelling("x_1"), "x_1");
        assert_eq!(spelling("ŷ"), "u0177");
    }

    #[test]
    fn fresh_names_differ_from_taken_ones() {
        let mut names = PythonNames::default();
        assert_eq!(names.fresh("n"), "n");
        assert_eq!(names.fresh("n"), "n_2");
        assert_eq!(names.fresh("n_2"), "n_2_2");
        assert_eq!(names.fresh("in"), "in_");
        assert_eq!(names.fresh("in"), "in_2");
        names.taken.insert("t1".into());
        names.next_temporary = 1;
        assert_eq!(names.temporary(), "t2");
        assert_eq!(names.temporary(), "t3");
    }
}
