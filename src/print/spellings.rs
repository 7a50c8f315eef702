//! How a program's names are printed in one notation so that distinct
//! names never print alike. LaTeX writes `x1` and `x_1` both as
//! `\mathbf{x}_1`, and LaTeX and Unicode write `alpha` and `α` both as
//! α: when a program has two such names, the one written most literally
//! (`x_1`, `α`) keeps the notation's spelling and the other is printed as
//! it is typed (`\mathbf{x1}`, `\mathit{alpha}`; `alpha` in Unicode).
//!
//! Invariant: [`Spellings::name`] gives distinct names of the graph
//! distinct printed names.

use std::collections::HashMap;

use super::Notation;
use crate::ir::{Graph, Role};
use crate::shape::Shape;

/// The printed names that differ from the notation's own spelling, by name.
#[derive(Clone, Debug, Default)]
pub struct Spellings(HashMap<String, String>);

impl Spellings {
    /// The spellings of `graph`'s names in `notation` (functions, printed
    /// as calls, are not names here).
    pub fn new(graph: &Graph, notation: &dyn Notation) -> Spellings {
        let mut spellings = Spellings::look_alikes(graph, notation);
        // A differential's direction symbol (`dX`) in the notation's own
        // form of a differential (LaTeX's `\mathrm{d}\mathbf{X}`).
        for (variable, direction) in graph.directions() {
            let variable = graph.symbol(variable);
            let printed = spellings.name(notation, &variable.name, variable.shape);
            if let Some(form) = notation.differential(&printed) {
                spellings.0.insert(graph.symbol(direction).name.clone(), form);
            }
        }
        spellings
    }

    /// The spellings that tell apart names the notation prints alike.
    fn look_alikes(graph: &Graph, notation: &dyn Notation) -> Spellings {
        if notation.literal_name("x", Shape::SCALAR).is_none() {
            return Spellings::default();
        }
        // Each name once (the REPL's graph keeps replaced definitions), in
        // declaration order.
        let mut names: Vec<(&str, Shape)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (_, symbol) in graph.symbols() {
            if symbol.role != Role::Function && !index.contains_key(symbol.name.as_str()) {
                index.insert(&symbol.name, names.len());
                names.push((&symbol.name, symbol.shape));
            }
        }
        // Only names with the same key can print alike: the notation's
        // spelling of the others is never computed (a program has thousands
        // of names, and every result printed asks).
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (name, _)) in names.iter().enumerate() {
            by_key.entry(key(name)).or_default().push(i);
        }
        let mut candidates: Vec<usize> = by_key.into_values().filter(|g| g.len() > 1).flatten().collect();
        // In declaration order: of two equally literal names, the first keeps the notation.
        candidates.sort_unstable();
        if candidates.is_empty() {
            return Spellings::default();
        }
        let names: Vec<(&str, Shape)> = candidates.iter().map(|&i| names[i]).collect();
        let mut printed: Vec<String> = names.iter().map(|(n, s)| notation.name(n, *s)).collect();
        let mut literal = vec![false; names.len()];
        loop {
            let mut by_form: HashMap<&str, Vec<usize>> = HashMap::new();
            for (i, form) in printed.iter().enumerate() {
                by_form.entry(form.as_str()).or_default().push(i);
            }
            let Some(clash) = by_form.into_values().filter(|g| g.len() > 1).min() else { break };
            // The most literally written name keeps the notation's spelling,
            // unless one of them is already printed as typed.
            let keeper = if clash.iter().any(|&i| literal[i]) {
                None
            } else {
                clash.iter().copied().min_by_key(|&i| (implicit_conversions(names[i].0), i))
            };
            for i in clash {
                if Some(i) != keeper && !literal[i] {
                    literal[i] = true;
                    printed[i] =
                        notation.literal_name(names[i].0, names[i].1).unwrap_or_else(|| names[i].0.to_string());
                }
            }
        }
        let respelled = names
            .iter()
            .zip(printed)
            .zip(literal)
            .filter(|(_, literal)| *literal)
            .map(|(((name, _), form), _)| (name.to_string(), form))
            .collect();
        Spellings(respelled)
    }

    /// How `name` (of shape `shape`) is printed in `notation`.
    pub fn name(&self, notation: &dyn Notation, name: &str, shape: Shape) -> String {
        match self.0.get(name) {
            Some(form) => form.clone(),
            None => notation.name(name, shape),
        }
    }
}

/// A key that names printing alike in some notation share: the name
/// without `_`, its Greek letters (and `ℓ`) spelled out (`x_1` and `x1`:
/// `x1`; `σ_2` and `sigma2`: `sigma2`).
fn key(name: &str) -> String {
    if name.is_ascii() {
        return name.replace('_', "");
    }
    let mut out = String::with_capacity(name.len());
    for c in name.chars().filter(|c| *c != '_') {
        match crate::syntax::GREEK_LETTERS.iter().find(|(_, letter)| *letter == c) {
            Some((word, _)) => out.push_str(word),
            None if c == 'ℓ' => out.push_str("ell"),
            None => out.push(c),
        }
    }
    out
}

/// How many of the notations' implicit readings a name relies on: a
/// trailing number as a subscript (`x1`), a spelled-out Greek letter
/// (`alpha`, `ell`).
fn implicit_conversions(name: &str) -> usize {
    let spelled = |part: &str| part == "ell" || crate::syntax::GREEK_LETTERS.iter().any(|(word, _)| *word == part);
    let digits = !name.contains('_') && name.ends_with(|c: char| c.is_ascii_digit());
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let greek = name.split('_').any(spelled) || spelled(stem);
    usize::from(digits) + usize::from(greek)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_readings() {
        assert_eq!(implicit_conversions("x_1"), 0);
        assert_eq!(implicit_conversions("x1"), 1);
        assert_eq!(implicit_conversions("α"), 0);
        assert_eq!(implicit_conversions("alpha"), 1);
        assert_eq!(implicit_conversions("sigma2"), 2);
        assert_eq!(implicit_conversions("x_alpha"), 1);
    }

    #[test]
    fn look_alikes_share_a_key() {
        assert_eq!(key("x_1"), key("x1"));
        assert_eq!(key("x__1"), key("x1_"));
        assert_eq!(key("σ_2"), key("sigma2"));
        assert_eq!(key("ℓ"), key("ell"));
        assert_ne!(key("x1"), key("x2"));
    }
}
