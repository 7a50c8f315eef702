//! Input as people write it in Unicode: norm bars (`‖r‖`, `||r||`) told
//! apart as opening or closing before the grammar sees them, and Greek
//! letters (`α`, `σ2`) read as the spelled-out names (`alpha`, `sigma2`)
//! a program uses, so that everything `--format unicode` prints parses back.

use crate::ir::FastSet;

use super::MAX_NESTING;
use crate::ast::{Expr, ExprKind, Kind, Statement};
use crate::error::{Error, ErrorKind, Result, Span};

/// An opening `‖` as the grammar sees it (a private-use character of the
/// same UTF-8 length, 3 bytes).
const NORM_OPEN: char = '\u{E000}';
/// A closing `‖`.
const NORM_CLOSE: char = '\u{E001}';
/// An opening `||` (a C1 private-use control of 2 bytes, one character for
/// the two bars).
const ASCII_NORM_OPEN: char = '\u{91}';
/// A closing `||`.
const ASCII_NORM_CLOSE: char = '\u{92}';

/// Which bars a norm is written with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bars {
    /// `‖`
    Double,
    /// `||`
    Ascii,
}

/// `source` with every norm bar replaced by its opening or closing mark
/// (byte offsets unchanged, so spans still point into `source`).
///
/// A bar closes the innermost open norm of its kind when an operand has
/// just ended (`‖x‖`, `‖W x − y‖²`); otherwise it opens one (`2 ‖x‖`,
/// `‖x‖ ‖y‖`, `‖a + ‖b‖‖`). Linear in the input, so no bar makes parsing
/// backtrack.
pub(super) fn mark_norm_bars(source: &str) -> Result<String> {
    // Every bar but `|` is outside ASCII: most programs are told apart by their bytes.
    let maybe_bars = source.bytes().any(|b| b == b'|' || !b.is_ascii());
    if !maybe_bars || !source.contains(['‖', '|', NORM_OPEN, NORM_CLOSE, ASCII_NORM_OPEN, ASCII_NORM_CLOSE]) {
        return Ok(source.to_string());
    }
    let mut out = String::with_capacity(source.len());
    let mut open: Vec<(Bars, Span)> = Vec::new();
    let mut operand_ended = false;
    let mut in_comment = false;
    let mut chars = source.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_comment {
            in_comment = c != '\n';
            out.push(c);
            continue;
        }
        let bars = match c {
            '‖' => Bars::Double,
            '|' if chars.peek().is_some_and(|&(_, next)| next == '|') => {
                chars.next();
                Bars::Ascii
            }
            NORM_OPEN | NORM_CLOSE | ASCII_NORM_OPEN | ASCII_NORM_CLOSE => {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!("unexpected character U+{:04X}", c as u32),
                    Span::new(i, i + c.len_utf8()),
                ));
            }
            _ => {
                match c {
                    '#' => in_comment = true,
                    '\n' | ';' => unclosed(&open)?,
                    _ => {}
                }
                if !c.is_whitespace() {
                    operand_ended = ends_operand(c);
                }
                out.push(c);
                continue;
            }
        };
        let width = if bars == Bars::Double { '‖'.len_utf8() } else { 2 };
        if operand_ended && open.last().is_some_and(|(kind, _)| *kind == bars) {
            open.pop();
            out.push(if bars == Bars::Double { NORM_CLOSE } else { ASCII_NORM_CLOSE });
            operand_ended = true;
        } else {
            if open.len() >= MAX_NESTING {
                return Err(Error::new(
                    ErrorKind::Limit,
                    format!("norms nested more than {MAX_NESTING} deep"),
                    Span::new(i, i + width),
                ));
            }
            open.push((bars, Span::new(i, i + width)));
            out.push(if bars == Bars::Double { NORM_OPEN } else { ASCII_NORM_OPEN });
            operand_ended = false;
        }
    }
    unclosed(&open)?;
    Ok(out)
}

/// The error for a statement that ends with a norm still open.
fn unclosed(open: &[(Bars, Span)]) -> Result<()> {
    let Some(&(bars, span)) = open.last() else { return Ok(()) };
    let (bar, example) = if bars == Bars::Double { ("‖", "‖x‖") } else { ("||", "||x||") };
    Err(Error::new(ErrorKind::Syntax, format!("this `{bar}` opens a norm that is never closed"), span)
        .with_help(format!("a norm is written {example} (or norm(x)); a bar right after an operand closes one")))
}

/// `true` if `c` can end an operand (a name, a number, a closing bracket,
/// a postfix mark), so that a bar after it closes a norm.
fn ends_operand(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | ')' | '}' | '\'' | 'ᵀ' | '¹' | '²' | '₁' | '𝟙')
}

/// Greek letters and the names they spell, as the Unicode and LaTeX
/// printers write them (`alpha` → `α`, `Sigma` → `Σ`).
pub const GREEK_LETTERS: &[(&str, char)] = &[
    ("alpha", 'α'),
    ("beta", 'β'),
    ("gamma", 'γ'),
    ("delta", 'δ'),
    ("epsilon", 'ε'),
    ("zeta", 'ζ'),
    ("eta", 'η'),
    ("theta", 'θ'),
    ("iota", 'ι'),
    ("kappa", 'κ'),
    ("lambda", 'λ'),
    ("mu", 'μ'),
    ("nu", 'ν'),
    ("xi", 'ξ'),
    ("pi", 'π'),
    ("rho", 'ρ'),
    ("sigma", 'σ'),
    ("tau", 'τ'),
    ("upsilon", 'υ'),
    ("phi", 'φ'),
    ("chi", 'χ'),
    ("psi", 'ψ'),
    ("omega", 'ω'),
    ("Gamma", 'Γ'),
    ("Delta", 'Δ'),
    ("Theta", 'Θ'),
    ("Lambda", 'Λ'),
    ("Xi", 'Ξ'),
    ("Pi", 'Π'),
    ("Sigma", 'Σ'),
    ("Upsilon", 'Υ'),
    ("Phi", 'Φ'),
    ("Psi", 'Ψ'),
    ("Omega", 'Ω'),
];

/// The spelled-out name of a name that starts with a Greek letter followed
/// only by digits and `_` (`σ2` → `sigma2`); `None` for any other name.
pub fn spelled_out(name: &str) -> Option<String> {
    greek_spelling(name).map(|(word, rest)| format!("{word}{rest}"))
}

/// The Greek letter's word and the rest of a name [`spelled_out`] respells.
fn greek_spelling(name: &str) -> Option<(&'static str, &str)> {
    let mut chars = name.chars();
    let first = chars.next()?;
    if first.is_ascii() {
        return None;
    }
    let rest = chars.as_str();
    if !rest.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return None;
    }
    let (word, _) = GREEK_LETTERS.iter().find(|(_, letter)| *letter == first)?;
    Some((word, rest))
}

/// Reads Greek-letter names as the names they spell where the program
/// means them: a name like `α` that is not itself declared or defined is
/// `alpha` when `alpha` is a name the program (or the context `known`)
/// has. `α` and `alpha` stay two names when both are declared.
pub fn respell_greek(statements: &mut [Statement], known: &dyn Fn(&str) -> bool) {
    let greek = |e: &Expr| uses_name(e, &|n| greek_spelling(n).is_some());
    let uses_greek = statements.iter().any(|statement| match statement {
        Statement::Declare { .. } => false,
        Statement::Define { value: e, .. } | Statement::Expr(e) => greek(e),
    });
    if !uses_greek {
        return;
    }
    let mut introduced: FastSet<String> = FastSet::default();
    let mut used: FastSet<String> = FastSet::default();
    for statement in statements.iter() {
        match statement {
            Statement::Declare { names, kind, .. } => {
                introduced.extend(names.iter().map(|(n, _)| n.clone()));
                // Dimension names are the program's own spellings too.
                let dims = match kind {
                    Kind::Vector(d) | Kind::Symmetric(d) => vec![d],
                    Kind::Matrix(m, n) => vec![m, n],
                    Kind::Scalar | Kind::Function => vec![],
                };
                for dim in dims.into_iter().flatten() {
                    introduced.extend(dim.names().into_iter().map(str::to_string));
                }
            }
            Statement::Define { name, value, .. } => {
                introduced.insert(name.clone());
                collect_names(value, &mut used);
            }
            Statement::Expr(e) => collect_names(e, &mut used),
        }
    }
    if !used.iter().any(|n| spelled_out(n).is_some()) {
        return;
    }
    let has = |name: &str| introduced.contains(name) || used.contains(name) || known(name);
    let respelled = |name: &str| -> Option<String> {
        let word = spelled_out(name)?;
        (!introduced.contains(name) && !known(name) && has(&word)).then_some(word)
    };
    for statement in statements.iter_mut() {
        match statement {
            Statement::Declare { .. } => {}
            Statement::Define { value, .. } => respell(value, &respelled),
            Statement::Expr(e) => respell(e, &respelled),
        }
    }
}

/// `true` if `e` uses a name (variable or called function) that `test` accepts.
fn uses_name(e: &Expr, test: &dyn Fn(&str) -> bool) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Name(n) if test(n) => return true,
            ExprKind::Name(_) | ExprKind::Number(_) => {}
            ExprKind::Call { name, args, .. } => {
                if test(name) {
                    return true;
                }
                stack.extend(args.iter());
            }
            ExprKind::Negate(a) | ExprKind::Transpose(a) | ExprKind::InverseTranspose(a) => stack.push(a),
            ExprKind::Binary(_, a, b) => stack.extend([&**a, &**b]),
            ExprKind::Power { base, exponent, .. } => stack.extend([&**base, &**exponent]),
        }
    }
    false
}

/// Every name `e` uses (variables and called functions).
fn collect_names(e: &Expr, out: &mut FastSet<String>) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Name(n) => {
                out.insert(n.clone());
            }
            ExprKind::Call { name, args, .. } => {
                out.insert(name.clone());
                stack.extend(args.iter());
            }
            ExprKind::Number(_) => {}
            ExprKind::Negate(a) | ExprKind::Transpose(a) | ExprKind::InverseTranspose(a) => stack.push(a),
            ExprKind::Binary(_, a, b) => stack.extend([&**a, &**b]),
            ExprKind::Power { base, exponent, .. } => stack.extend([&**base, &**exponent]),
        }
    }
}

/// Renames, in `e`, each name `respelled` gives a new spelling.
fn respell(e: &mut Expr, respelled: &dyn Fn(&str) -> Option<String>) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &mut e.kind {
            ExprKind::Name(n) => {
                if let Some(word) = respelled(n) {
                    *n = word;
                }
            }
            ExprKind::Call { name, args, .. } => {
                // `σ(z)` is the sigmoid (the Unicode printer spells a
                // function named `sigma` out for that reason).
                if let Some(word) = respelled(name).filter(|_| name != "σ") {
                    *name = word;
                }
                stack.extend(args.iter_mut());
            }
            ExprKind::Number(_) => {}
            ExprKind::Negate(a) | ExprKind::Transpose(a) | ExprKind::InverseTranspose(a) => stack.push(a),
            ExprKind::Binary(_, a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::Power { base, exponent, .. } => {
                stack.push(base);
                stack.push(exponent);
            }
        }
    }
}
