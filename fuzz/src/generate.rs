//! The structured target's generator: well-shaped programs over
//! `A, B: matrix(n, n); x, y: vector(n); k: scalar`, built from every
//! operator and function of the language, driven by the fuzzer's bytes,
//! then renamed from the pool of colliding names in `names.rs`.

use arbitrary::{Result, Unstructured};

use crate::names;

/// The declarations every generated program starts with (before renaming).
pub const HEADER: &str = "A, B: matrix(n, n); x, y: vector(n); k: scalar";

/// Deepest generated expression.
const MAX_DEPTH: usize = 6;

/// A generated program: `# seed N` (the seed of the random points), the
/// header, up to two definitions, and an expression (scalar, vector or
/// matrix), its variables, definitions and dimension renamed from
/// [`names::POOL`]. The seed line is a comment, so the whole case is a program.
pub fn case(u: &mut Unstructured<'_>) -> Result<String> {
    let seed: u16 = u.arbitrary()?;
    let mut g = Generator { u, definitions: Vec::new() };
    let mut out = format!("# seed {seed}\n{HEADER}\n");
    let definitions = g.u.int_in_range(0..=2)?;
    for i in 0..definitions {
        let (kind, text) = match g.u.int_in_range(0..=1)? {
            0 => ('s', g.scalar(3)?),
            _ => ('v', g.vector(3)?),
        };
        let name = format!("{}{i}", if kind == 's' { "alpha" } else { "z" });
        out.push_str(&format!("{name} = {text}\n"));
        g.definitions.push((kind, name));
    }
    let body = match g.u.int_in_range(0..=5)? {
        0..=2 => g.scalar(MAX_DEPTH)?,
        3 | 4 => g.vector(MAX_DEPTH)?,
        _ => g.matrix(MAX_DEPTH)?,
    };
    out.push_str(&body);
    Ok(rename_from_pool(g.u, &out, &g.definitions))
}

/// `program` with its variables and definitions renamed to distinct names of
/// the pool and its dimension to one more (which may equal a variable's).
fn rename_from_pool(u: &mut Unstructured<'_>, program: &str, definitions: &[(char, String)]) -> String {
    let mut plain: Vec<&str> = vec!["A", "B", "x", "y", "k"];
    plain.extend(definitions.iter().map(|(_, name)| name.as_str()));
    let mut choose = |len: usize| u.choose_index(len).unwrap_or(0);
    let mut mapping: Vec<(&str, String)> =
        plain.iter().copied().zip(names::distinct_names(plain.len(), &mut choose)).collect();
    mapping.extend(names::distinct_names(1, &mut choose).into_iter().map(|name| ("n", name)));
    names::rename(program, &mapping)
}

struct Generator<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    definitions: Vec<(char, String)>,
}

const NUMBERS: &[&str] = &["2", "(1/2)", "3", "0.25", "1", "(-1)", "0", "1e-3", "(2/3)"];

/// Every elementwise function of the operator table, by its name and by
/// each alias (`σ`), so a function added to the table is generated too.
fn elementwise() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        matcalc::ops::BUILTINS
            .iter()
            .filter(|b| matches!(b.meaning, matcalc::ops::Meaning::Apply(f) if f.is_elementwise()))
            .flat_map(|b| std::iter::once(b.name).chain(b.aliases.iter().copied()))
            .collect()
    })
}

impl Generator<'_, '_> {
    fn pick<'s>(&mut self, options: &[&'s str]) -> Result<&'s str> {
        Ok(options[self.u.choose_index(options.len())?])
    }

    fn defined(&mut self, kind: char) -> Result<Option<String>> {
        let names: Vec<&String> = self.definitions.iter().filter(|(k, _)| *k == kind).map(|(_, n)| n).collect();
        if names.is_empty() || !self.u.arbitrary::<bool>()? {
            return Ok(None);
        }
        Ok(Some(names[self.u.choose_index(names.len())?].clone()))
    }

    fn scalar(&mut self, depth: usize) -> Result<String> {
        if depth == 0 || self.u.is_empty() {
            if let Some(name) = self.defined('s')? {
                return Ok(name);
            }
            return Ok(self.pick(&["k", "k", "2", "(1/2)", "k", "3", "0.25"])?.to_string());
        }
        let d = depth - 1;
        Ok(match self.u.int_in_range(0..=34)? {
            0 => self.scalar(0)?,
            1 => format!("({} + {})", self.scalar(d)?, self.scalar(d)?),
            2 => format!("({} - {})", self.scalar(d)?, self.scalar(d)?),
            3 => format!("({} * {})", self.scalar(d)?, self.scalar(d)?),
            4 => format!("({} {})", self.scalar(d)?, self.scalar(d)?),
            5 => format!("(-{})", self.scalar(d)?),
            6 => format!("({}^T {})", self.vector(d)?, self.vector(d)?),
            7 => format!("tr({})", self.matrix(d)?),
            8 => format!("sum({})", self.vector(d)?),
            9 => format!("sum({})", self.matrix(d)?),
            10 => format!("norm2({})", self.vector(d)?),
            11 => format!("norm2({})", self.matrix(d)?),
            12 => format!("norm({})", self.vector(d)?),
            13 => format!("norm1({})", self.vector(d)?),
            14 => format!("logsumexp({})", self.vector(d)?),
            15 => format!("{}({})", self.pick(elementwise())?, self.scalar(d)?),
            16 => format!("({} / {})", self.scalar(d)?, self.pick(NUMBERS)?),
            17 => format!("({} / (2 + {} ^ 2))", self.scalar(d)?, self.scalar(d)?),
            18 => format!("det({})", self.matrix(d)?),
            19 => format!("logdet({})", self.matrix(d)?),
            20 => format!("({})^{}", self.scalar(d)?, self.pick(&["2", "3", "(-1)", "(1/2)", "0", "1", "{-2}"])?),
            21 => format!("({} ^ {})", self.scalar(d)?, self.scalar(d.min(1))?),
            22 => format!("({}^T {} {})", self.vector(d)?, self.matrix(d)?, self.vector(d)?),
            23 => format!("({} * {})", self.pick(NUMBERS)?, self.scalar(d)?),
            24 => format!("({} .* {})", self.scalar(d)?, self.scalar(d)?),
            25 => format!("({} ./ {})", self.scalar(d)?, self.scalar(d)?),
            26 => format!("({})'", self.scalar(d)?),
            27 => format!("(({})^T)", self.scalar(d)?),
            28 => format!("(({}) .^ {})", self.scalar(d)?, self.pick(&["2", "3", "(1/2)", "(-1)"])?),
            29 => format!("tr({} {}^T)", self.vector(d)?, self.vector(d)?),
            30 => format!("(x^T inv({}) y)", self.matrix(d)?),
            31 => format!("(x^T {}^{{-1}} x)", self.matrix(d)?),
            32 => format!("sum(diag({}))", self.matrix(d)?),
            33 => format!("sum(softmax({}))", self.vector(d)?),
            _ => format!("(ones(n)^T {})", self.vector(d)?),
        })
    }

    fn vector(&mut self, depth: usize) -> Result<String> {
        if depth == 0 || self.u.is_empty() {
            if let Some(name) = self.defined('v')? {
                return Ok(name);
            }
            return Ok(self.pick(&["x", "y", "x", "y", "(A x)", "ones"])?.to_string());
        }
        let d = depth - 1;
        Ok(match self.u.int_in_range(0..=24)? {
            0 => self.vector(0)?,
            1 => format!("({} + {})", self.vector(d)?, self.vector(d)?),
            2 => format!("({} - {})", self.vector(d)?, self.vector(d)?),
            3 => format!("({} {})", self.matrix(d)?, self.vector(d)?),
            4 => format!("({} * {})", self.scalar(d)?, self.vector(d)?),
            5 => format!("({} {})", self.vector(d)?, self.scalar(d)?),
            6 => format!("({} .* {})", self.vector(d)?, self.vector(d)?),
            7 => format!("({} ⊙ {})", self.vector(d)?, self.vector(d)?),
            8 => format!("({} ./ (2 + {} .^ 2))", self.vector(d)?, self.vector(d)?),
            9 => format!("({} ./ {})", self.vector(d)?, self.vector(d)?),
            10 => format!("({} / {})", self.vector(d)?, self.pick(NUMBERS)?),
            11 => format!("{}({})", self.pick(elementwise())?, self.vector(d)?),
            12 => format!("softmax({})", self.vector(d)?),
            13 => format!("diag({})", self.matrix(d)?),
            14 => format!("(-{})", self.vector(d)?),
            15 => format!("({} .^ {})", self.vector(d)?, self.pick(&["2", "3", "(1/2)", "(-1)", "0", "k"])?),
            16 => format!("({}^T {})", self.matrix(d)?, self.vector(d)?),
            17 => format!("(inv({}) {})", self.matrix(d)?, self.vector(d)?),
            18 => format!("({}^-1 {})", self.matrix(d)?, self.vector(d)?),
            19 => format!("(({})^T)^T", self.vector(d)?),
            20 => format!("({} + {})", self.vector(d)?, self.scalar(d)?),
            21 => format!("({} ⊙ {})", self.scalar(d)?, self.vector(d)?),
            22 => format!("(I {})", self.vector(d)?),
            23 => format!("grad({}, x)", self.scalar(d.min(2))?),
            _ => format!("(A^2 {})", self.vector(d)?),
        })
    }

    fn matrix(&mut self, depth: usize) -> Result<String> {
        if depth == 0 || self.u.is_empty() {
            return Ok(self.pick(&["A", "B", "A^T", "B", "I", "A'", "I(n)"])?.to_string());
        }
        let d = depth - 1;
        Ok(match self.u.int_in_range(0..=26)? {
            0 => self.matrix(0)?,
            1 => format!("({} + {})", self.matrix(d)?, self.matrix(d)?),
            2 => format!("({} - {})", self.matrix(d)?, self.matrix(d)?),
            3 => format!("({} {})", self.matrix(d)?, self.matrix(d)?),
            4 => format!("({} * {})", self.matrix(d)?, self.matrix(d)?),
            5 => format!("({})^T", self.matrix(d)?),
            6 => format!("({})'", self.matrix(d)?),
            7 => format!("({} * {})", self.scalar(d)?, self.matrix(d)?),
            8 => format!("({} .* {})", self.matrix(d)?, self.matrix(d)?),
            9 => format!("({} ./ {})", self.matrix(d)?, self.matrix(d)?),
            10 => format!("diag({})", self.vector(d)?),
            11 => format!("({} {}^T)", self.vector(d)?, self.vector(d)?),
            12 => format!("{}({})", self.pick(elementwise())?, self.matrix(d)?),
            13 => format!("inv({})", self.matrix(d)?),
            14 => format!("({})^-1", self.matrix(d)?),
            15 => format!("({})^{{-1}}", self.matrix(d)?),
            16 => format!("({})^-T", self.matrix(d)?),
            17 => format!("({})^{}", self.matrix(d)?, self.pick(&["2", "3", "0", "1", "(-2)"])?),
            18 => format!("({} .^ {})", self.matrix(d)?, self.pick(&["2", "(1/2)", "(-1)"])?),
            19 => format!("(-{})", self.matrix(d)?),
            20 => format!("({} + {})", self.matrix(d)?, self.scalar(d)?),
            21 => format!("({} / {})", self.matrix(d)?, self.pick(NUMBERS)?),
            22 => format!("grad({}, A)", self.scalar(d.min(2))?),
            23 => format!("jacobian({}, x)", self.vector(d.min(2))?),
            24 => format!("hessian({}, x)", self.scalar(d.min(2))?),
            25 => format!("({} {})", self.matrix(d)?, self.scalar(d)?),
            _ => format!("({} ⊙ {})", self.scalar(d)?, self.matrix(d)?),
        })
    }
}
