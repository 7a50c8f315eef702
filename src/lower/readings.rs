//! Which kind each undeclared name takes (its reading) and the notes on
//! it: the naming convention first, then usage where the convention makes
//! the program ill-shaped (`k A` with an undeclared `k`), scalars where only
//! scalars fit, and notes where spelling alone decided a kind or where a
//! name is other names run together.

use super::infer::{snippet, Inference, SymRole};
use super::names::is_greek_name;
use crate::ast::Program;
use crate::error::{Error, ErrorKind, Note, Result, Span};
use crate::hints;

/// Infers the program's shapes. When the naming convention makes the
/// program ill-shaped, usage decides: each undeclared scalar-or-vector name
/// is tried with the other kind, and the first that makes the program
/// well-shaped wins (`k A` with an undeclared `k`; `X theta` with a vector
/// `theta`).
pub(super) fn infer_program(program: &Program, source: &str) -> Result<(Inference, Vec<String>)> {
    let attempt = |flipped: &[String]| -> (Inference, Result<()>) {
        let mut inference = Inference::new(source);
        // A symbol and a few shaped subexpressions per statement, room made once.
        inference.symbols.reserve(program.statements.len());
        inference.node_shapes.reserve(3 * program.statements.len());
        inference.flipped = flipped.to_vec();
        let mut outcome = Ok(());
        for statement in &program.statements {
            if let Err(e) = inference.statement(statement) {
                outcome = Err(e);
                break;
            }
        }
        (inference, outcome)
    };
    let (first, outcome) = attempt(&[]);
    let error = match outcome {
        Ok(()) => return Ok(scalars_where_only_scalars_fit(first, Vec::new(), &attempt)),
        Err(e) if e.kind == ErrorKind::Shape => e,
        Err(e) => return Err(e),
    };
    let candidates: Vec<String> = first
        .order
        .iter()
        .filter(|name| {
            let info = &first.symbols[*name];
            info.inferred && !name.chars().next().is_some_and(char::is_uppercase)
        })
        .cloned()
        .collect();
    // Among the readings that work, prefer the one that broadcasts a named
    // scalar over a vector or matrix least, then Greek names flipped first.
    let mut best: Option<(usize, bool, Inference, Vec<String>)> = None;
    for name in candidates.into_iter().take(16) {
        let greek = is_greek_name(&name);
        let flipped = vec![name];
        let (inference, outcome) = attempt(&flipped);
        if outcome.is_ok() {
            let better = match &best {
                None => true,
                Some((b, g, _, _)) => (inference.broadcasts, !greek) < (*b, !*g),
            };
            if better {
                best = Some((inference.broadcasts, greek, inference, flipped));
            }
        }
    }
    match best {
        Some((_, _, inference, flipped)) => Ok(scalars_where_only_scalars_fit(inference, flipped, &attempt)),
        None => Err(with_run_together_help(error, &first)),
    }
}

/// One inference of the program with the given names' kinds flipped.
type Attempt<'a> = dyn Fn(&[String]) -> (Inference, Result<()>) + 'a;

/// An undeclared lower-case name added to (or combined elementwise with) a
/// scalar expression is a scalar: in `x'*A*x + b'*x + c`, `c` is a number,
/// not a vector the scalar is broadcast over. Broadcasting is for
/// expressions known to be scalar; it never makes a name a vector. Each
/// name so decided gets a note saying how to declare it otherwise.
fn scalars_where_only_scalars_fit(
    mut inference: Inference,
    mut flipped: Vec<String>,
    attempt: &Attempt,
) -> (Inference, Vec<String>) {
    let mut decided: Vec<ScalarUse> = Vec::new();
    for _ in 0..4 {
        let mut wanted: Vec<ScalarUse> = Vec::new();
        for wish in &inference.scalar_wanted {
            if !flipped.contains(&wish.name) && !wanted.iter().any(|w| w.name == wish.name) {
                wanted.push(wish.clone());
            }
        }
        if wanted.is_empty() {
            break;
        }
        let mut trial = flipped.clone();
        trial.extend(wanted.iter().map(|w| w.name.clone()));
        let (next, outcome) = attempt(&trial);
        if outcome.is_err() {
            break;
        }
        inference = next;
        flipped = trial;
        decided.extend(wanted);
    }
    spelling_notes(&mut inference, &flipped, attempt);
    run_together_notes(&mut inference, 0);
    for wish in decided {
        let note = wish.note(&inference.source);
        inference.notes.push(note);
    }
    (inference, flipped)
}

impl ScalarUse {
    /// The note that says the name was taken to be a scalar, and how to
    /// declare it otherwise.
    pub(super) fn note(&self, source: &str) -> Note {
        let scalar_text = snippet(source, self.scalar_span);
        let use_text = snippet(source, self.use_span);
        let subject = if use_text == self.name { "it".to_string() } else { format!("`{use_text}`") };
        Note::new(
            format!("`{}` is taken to be a scalar: {subject} is {} the scalar `{scalar_text}`", self.name, self.verb),
            self.span,
            format!("declare `{}: vector(n)` (or a matrix) to broadcast the scalar over it", self.name),
        )
    }
}

/// Undeclared names from `inference.order[from..]` that are other names
/// run together: in `x'Ax` with `A` and `x` declared, `Ax` is one new name,
/// not `A x`. Each with its span and the product it was likely meant as.
fn run_together(inference: &Inference, from: usize) -> Vec<(String, Span, String)> {
    let known = |name: &str| inference.symbols.get(name).is_some_and(|info| !info.inferred);
    // Short names only: splitting tries every prefix of what is left.
    let candidates = inference.order[from.min(inference.order.len())..]
        .iter()
        .filter(|n| inference.symbols[*n].inferred && n.len() <= 32);
    candidates
        .take(64)
        .filter_map(|name| {
            let parts = hints::split_into_names(name, &known)?;
            Some((name.clone(), inference.symbols[name].span, parts.join(" ")))
        })
        .collect()
}

/// Notes for the undeclared names of `inference.order[from..]` that are
/// other names run together (see [`run_together`]).
pub(super) fn run_together_notes(inference: &mut Inference, from: usize) {
    for (name, span, spaced) in run_together(inference, from) {
        inference.notes.push(Note::new(
            format!("`{name}` is read as one new name, not the product `{spaced}`"),
            span,
            format!("write `{spaced}` with a space for the product (or declare `{name}` to keep this name)"),
        ));
    }
}

/// `error` with a help line and a label for the first undeclared name that
/// is other names run together and is written inside the error's span: a
/// shape error in `Ax + x` comes from reading `Ax` as one name.
pub(super) fn with_run_together_help(error: Error, inference: &Inference) -> Error {
    let Some(within) = error.span else { return error };
    let source = inference.source.as_str();
    let found = run_together(inference, 0).into_iter().find_map(|(name, _, spaced)| {
        let text = source.get(within.start..within.end)?;
        let at = word_occurrence(text, &name)?;
        let end = within.start + at + name.len();
        Some((name, Span::new(within.start + at, end), spaced))
    });
    let Some((name, span, spaced)) = found else { return error };
    let help = format!("`{name}` is read as one new name, not the product `{spaced}`: write `{spaced}` with a space");
    let help = match &error.help {
        Some(old) => format!("{help}; {old}"),
        None => help,
    };
    let labelled = error.labels.iter().any(|l| l.span == span);
    let error = if labelled { error } else { error.with_label(span, "one name") };
    error.with_help(help)
}

/// Where `name` occurs in `text` as a whole name (not inside a longer one).
fn word_occurrence(text: &str, name: &str) -> Option<usize> {
    let continues = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).map(|(i, _)| i).find(|&i| {
        !text[..i].chars().next_back().is_some_and(continues)
            && !text[i + name.len()..].chars().next().is_some_and(continues)
    })
}

/// Most statements for which the other reading of every undeclared name is
/// tried (one more inference each), to say where spelling decided a kind.
const SPELLING_CHECK_STATEMENTS: usize = 200;

/// Notes for the undeclared names whose kind only their spelling decided,
/// where the other kind gives a program as plausible (the same kind of
/// value, no name broadcast) but another derivative: `mu` in
/// `norm2(x - mu)` is a scalar because it is Greek; as a vector the
/// gradient changes.
fn spelling_notes(inference: &mut Inference, flipped: &[String], attempt: &Attempt) {
    if inference.order.len() > SPELLING_CHECK_STATEMENTS {
        return;
    }
    let value_kind = inference.value_kind();
    let candidates: Vec<String> = inference
        .order
        .iter()
        .filter(|name| {
            let info = &inference.symbols[*name];
            info.inferred
                && info.role == (SymRole::Input { symmetric: false })
                && !name.chars().next().is_some_and(char::is_uppercase)
                && !flipped.contains(name)
        })
        .take(8)
        .cloned()
        .collect();
    for name in candidates {
        let mut trial = flipped.to_vec();
        trial.push(name.clone());
        let (mut other, outcome) = attempt(&trial);
        if outcome.is_err() || other.flipped_broadcast || other.scalar_oddity || !other.scalar_wanted.is_empty() {
            continue;
        }
        if other.value_kind() != value_kind {
            continue;
        }
        let span = inference.symbols[&name].span;
        let note = if is_greek_name(&name) {
            Note::new(
                format!("`{name}` is a scalar because its name is Greek; as a vector it would have another derivative"),
                span,
                format!("declare `{name}: vector(n)` if it is a vector, or `{name}: scalar` to keep this reading"),
            )
        } else {
            Note::new(
                format!(
                    "`{name}` is a vector because its name is lower case; as a scalar it would have another derivative"
                ),
                span,
                format!("declare `{name}: scalar` if it is a number, or `{name}: vector(n)` to keep this reading"),
            )
        };
        inference.notes.push(note);
    }
}

/// An undeclared name of default (vector) kind used beside a scalar
/// expression, where only a scalar fits without broadcasting.
#[derive(Clone, Debug)]
pub(super) struct ScalarUse {
    pub(super) name: String,
    pub(super) span: Span,
    pub(super) use_span: Span,
    pub(super) scalar_span: Span,
    pub(super) verb: &'static str,
}
