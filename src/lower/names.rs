//! Names with a meaning of their own: the Greek names the naming
//! convention makes scalars, and the nearest name for a "did you mean"
//! suggestion. (Built-in names are the operator table's, [`crate::ops`].)

const GREEK: &[&str] = &[
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu", "xi",
    "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
];

/// `true` if the naming convention makes `name` a scalar (a Greek name,
/// optionally followed by digits or `_...`).
pub fn is_greek_name(name: &str) -> bool {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_');
    let stem = stem.split('_').next().unwrap_or(stem);
    GREEK.contains(&stem) || stem.chars().next().is_some_and(|c| ('α'..='ω').contains(&c) && c != 'σ')
}

/// The candidate nearest to `name`, if it is near enough to be a likely slip.
pub(super) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= if c.len() <= 4 || name.len() <= 4 { 1 } else { 2 } && *d < c.len())
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != b[j])).min(row[j] + 1).min(row[j + 1] + 1);
            previous = current;
        }
    }
    row[b.len()]
}
