//! From the surface tree to the expression graph: shape inference by
//! unification over symbolic dimensions, then lowering through the
//! canonicalising constructors. Shape errors are raised here, where every
//! operand still has its own span.

use std::collections::{HashMap, HashSet};

use crate::ast::{BinaryOp, DimSpec, Expr, ExprKind, Kind, Program, Statement};
use crate::coeff;
use crate::diff;
use crate::error::{Error, ErrorKind, Note, Result, Span};
use crate::hints;
use crate::ir::{ExprId, Func, Graph, Node, Role, Symbol, SymbolId};
use crate::shape::{Dim, Shape};

mod workspace;
pub use workspace::{Added, Failure, ProgramError, Workspace, WorkspaceMark};

/// Largest integer power of a matrix expanded into a product.
pub const MAX_MATRIX_POWER: i64 = 16;

/// A program lowered into a graph.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The graph with every statement's nodes.
    pub graph: Graph,
    /// The value of the program: the last expression, or the value of the
    /// last definition.
    pub value: Option<ExprId>,
    /// The span of the statement that gives the value.
    pub value_span: Option<Span>,
    /// The symbol of the last definition when it gives the value.
    pub value_symbol: Option<SymbolId>,
    /// Where each symbol was declared or first used.
    pub symbol_spans: Vec<Span>,
    /// `true` for symbols whose kind came from the naming convention.
    pub inferred: Vec<bool>,
    /// Undeclared names whose use overrode the naming convention (a
    /// lower-case scalar, a Greek vector).
    pub flipped: Vec<String>,
    /// Assumptions and likely slips worth telling the user (standard error).
    pub notes: Vec<Note>,
}

/// Infers the program's shapes. When the naming convention makes the
/// program ill-shaped, usage decides: each undeclared scalar-or-vector name
/// is tried with the other kind, and the first that makes the program
/// well-shaped wins (`k A` with an undeclared `k`; `X theta` with a vector
/// `theta`).
fn infer_program(program: &Program, source: &str) -> Result<(Inference, Vec<String>)> {
    let attempt = |flipped: &[String]| -> (Inference, Result<()>) {
        let mut inference = Inference::new(source);
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
    fn note(&self, source: &str) -> Note {
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
fn run_together_notes(inference: &mut Inference, from: usize) {
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
fn with_run_together_help(error: Error, inference: &Inference) -> Error {
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
struct ScalarUse {
    name: String,
    span: Span,
    use_span: Span,
    scalar_span: Span,
    verb: &'static str,
}

/// Lowers a parsed program.
pub fn lower_program(program: &Program, source: &str) -> Result<Lowered> {
    let (mut inference, flipped) = infer_program(program, source)?;
    let notes = std::mem::take(&mut inference.notes);
    let mut lowering = Lowering::new(inference);
    let mut value = None;
    let mut value_span = None;
    let mut value_symbol = None;
    for statement in &program.statements {
        if let Some(v) = lowering.statement(statement)? {
            value = Some(v.value);
            value_span = Some(v.span);
            value_symbol = v.symbol;
        }
    }
    Ok(Lowered {
        flipped,
        graph: lowering.graph,
        value,
        value_span,
        value_symbol,
        symbol_spans: lowering.symbol_spans,
        inferred: lowering.inferred,
        notes,
    })
}

/// The value a lowered statement gives: an expression's, or a definition's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatementValue {
    /// The value.
    pub value: ExprId,
    /// The span of the expression or definition body.
    pub span: Span,
    /// The symbol of a definition.
    pub symbol: Option<SymbolId>,
}

/// Lowers one more expression in the context of an already lowered program
/// (used for `verify --claim` and the REPL).
pub fn lower_expr_in(
    lowered: &mut Lowered,
    program: &Program,
    definitions: &[Statement],
    expr: &Expr,
    program_source: &str,
    source: &str,
) -> Result<ExprId> {
    let mut inference = Inference::new(program_source);
    inference.flipped = lowered.flipped.clone();
    for statement in &program.statements {
        inference.statement(statement)?;
    }
    inference.source = source.to_string();
    inference.closed = true;
    inference.known_dims = lowered.graph.dim_names().to_vec();
    for definition in definitions {
        if let Statement::Define { name, name_span, .. } = definition {
            if inference.symbols.contains_key(name) {
                return Err(Error::new(
                    ErrorKind::Redefinition,
                    format!("`{name}` is already a name of the program"),
                    *name_span,
                )
                .with_help("a claim's own definitions need new names (t1, t2, ...)"));
            }
        }
        inference.statement(definition)?;
    }
    inference.infer(expr)?;
    let mut lowering = Lowering::new(inference);
    lowering.graph = std::mem::take(&mut lowered.graph);
    lowering.graph.reset_derivative_work();
    for (sid, symbol) in lowering.graph.symbols() {
        lowering.symbols.insert(symbol.name.clone(), sid);
    }
    lowering.finish_dims();
    let result = lower_with_local_definitions(&mut lowering, definitions, expr);
    lowered.graph = lowering.graph;
    result
}

/// Lowers `expr` with each of `definitions` standing for its value itself
/// (not a new named symbol), so a claim's `t1 = …` lines leave the program
/// unchanged.
fn lower_with_local_definitions(lowering: &mut Lowering, definitions: &[Statement], expr: &Expr) -> Result<ExprId> {
    for definition in definitions {
        if let Statement::Define { name, value, .. } = definition {
            let id = lowering.expr(value)?;
            lowering.locals.insert(name.clone(), id);
        }
    }
    lowering.expr(expr)
}

// ---------------------------------------------------------------------------
// Inference
// ---------------------------------------------------------------------------

type DimVar = u32;

#[derive(Clone, Debug, PartialEq, Eq)]
enum DimValue {
    Free,
    Fixed(u64),
    Named(String),
}

#[derive(Clone, Copy, Debug)]
struct TShape {
    rows: DimVar,
    cols: DimVar,
}

#[derive(Clone, Debug)]
struct SymInfo {
    shape: TShape,
    role: SymRole,
    span: Span,
    inferred: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SymRole {
    Input { symmetric: bool },
    Definition,
    Function,
}

struct Inference {
    source: String,
    parent: Vec<DimVar>,
    values: Vec<DimValue>,
    named_dims: HashMap<String, DimVar>,
    symbols: HashMap<String, SymInfo>,
    order: Vec<String>,
    /// Inferred shapes of `I`, `ones` and similar nodes, keyed by span.
    node_shapes: HashMap<(usize, usize), TShape>,
    depth: usize,
    /// Undeclared names whose kind is the opposite of the naming convention.
    flipped: Vec<String>,
    /// How often a named scalar was broadcast in a sum (`y - X theta` with
    /// a scalar `y`): a reading with fewer is more plausible.
    broadcasts: usize,
    /// Set while inferring a claim: a name or size the program does not
    /// have is an error, not a new variable.
    closed: bool,
    /// The program's size names (with those inference chose), for a closed claim.
    known_dims: Vec<String>,
    /// When set, every change to the union-find and the named dimensions,
    /// so that a [`Workspace`] can undo a statement.
    journal: Option<Vec<Undo>>,
    /// Undeclared vector-by-default names used beside a scalar expression.
    scalar_wanted: Vec<ScalarUse>,
    /// Whether a name flipped to a scalar was broadcast over a vector or
    /// matrix in a sum or elementwise operation (an implausible reading).
    flipped_broadcast: bool,
    /// The shape of the last statement: the program's value.
    value_shape: Option<TShape>,
    /// Whether a scalar was reduced (`sum(k)`, `norm2(k)`) or transposed:
    /// what nobody writes of a number, so an implausible reading.
    scalar_oddity: bool,
    /// Notes for the user.
    notes: Vec<Note>,
}

/// One change to the inference state, as recorded for undoing it.
#[derive(Clone, Debug)]
enum Undo {
    /// `parent[.0]` was `.1`.
    Parent(DimVar, DimVar),
    /// `values[.0]` was `.1`.
    Value(DimVar, DimValue),
    /// The named dimension `.0` was added.
    NamedDim(String),
}

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

/// Names with a built-in meaning.
pub const BUILTIN_FUNCTIONS: &[&str] = &[
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "tanh",
    "arcsin",
    "arccos",
    "arctan",
    "sqrt",
    "abs",
    "sign",
    "sigmoid",
    "σ",
    "swish",
    "relu",
    "step",
    "softplus",
    "norm2",
    "norm",
    "norm1",
    "sum",
    "tr",
    "det",
    "logdet",
    "diag",
    "softmax",
    "logsumexp",
    "inv",
    "I",
    "eye",
    "ones",
    "zeros",
    "grad",
    "jacobian",
    "hessian",
];

fn elementwise(name: &str) -> Option<Func> {
    Some(match name {
        "exp" => Func::Exp,
        "log" => Func::Log,
        "sin" => Func::Sin,
        "cos" => Func::Cos,
        "tan" => Func::Tan,
        "tanh" => Func::Tanh,
        "arcsin" => Func::Arcsin,
        "arccos" => Func::Arccos,
        "arctan" => Func::Arctan,
        "sqrt" => Func::Sqrt,
        "abs" => Func::Abs,
        "sign" => Func::Sign,
        "sigmoid" | "σ" => Func::Sigmoid,
        "swish" => Func::Swish,
        "relu" => Func::Relu,
        "step" => Func::Step,
        "softplus" => Func::Softplus,
        _ => return None,
    })
}

fn reduction(name: &str) -> Option<Func> {
    Some(match name {
        "norm2" => Func::Norm2,
        "norm" => Func::Norm,
        "norm1" => Func::Norm1,
        "sum" => Func::Sum,
        "tr" => Func::Trace,
        "det" => Func::Det,
        "logdet" => Func::LogDet,
        "softmax" => Func::Softmax,
        "logsumexp" => Func::LogSumExp,
        _ => return None,
    })
}

/// `true` for a compound expression over names (`x'*A*x`, `sum(x)`): its
/// kind comes from its structure, not from one name's spelling or a literal.
fn is_structural(e: &Expr) -> bool {
    fn has_name(e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Number(_) => false,
            ExprKind::Name(_) => true,
            ExprKind::Negate(a) | ExprKind::Transpose(a) | ExprKind::InverseTranspose(a) => has_name(a),
            ExprKind::Binary(_, a, b) => has_name(a) || has_name(b),
            ExprKind::Power { base, exponent, .. } => has_name(base) || has_name(exponent),
            ExprKind::Call { .. } => true,
        }
    }
    match &e.kind {
        ExprKind::Number(_) | ExprKind::Name(_) => false,
        ExprKind::Negate(a) => is_structural(a),
        _ => has_name(e),
    }
}

fn snippet(source: &str, span: Span) -> String {
    let text = source.get(span.start..span.end).unwrap_or("").trim();
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(39).collect::<String>())
    } else {
        text
    }
}

impl Inference {
    fn new(source: &str) -> Inference {
        Inference {
            source: source.to_string(),
            parent: Vec::new(),
            values: Vec::new(),
            named_dims: HashMap::new(),
            symbols: HashMap::new(),
            order: Vec::new(),
            node_shapes: HashMap::new(),
            depth: 0,
            flipped: Vec::new(),
            broadcasts: 0,
            closed: false,
            known_dims: Vec::new(),
            journal: None,
            scalar_wanted: Vec::new(),
            flipped_broadcast: false,
            value_shape: None,
            scalar_oddity: false,
            notes: Vec::new(),
        }
    }

    fn record(&mut self, undo: Undo) {
        if let Some(journal) = &mut self.journal {
            journal.push(undo);
        }
    }

    fn set_parent(&mut self, v: DimVar, parent: DimVar) {
        let old = self.parent[v as usize];
        if old != parent {
            self.record(Undo::Parent(v, old));
            self.parent[v as usize] = parent;
        }
    }

    fn fresh(&mut self, value: DimValue) -> DimVar {
        self.parent.push(self.parent.len() as DimVar);
        self.values.push(value);
        self.parent.len() as DimVar - 1
    }

    fn one(&mut self) -> DimVar {
        self.fresh(DimValue::Fixed(1))
    }

    fn scalar(&mut self) -> TShape {
        TShape { rows: self.one(), cols: self.one() }
    }

    fn find(&mut self, mut v: DimVar) -> DimVar {
        while self.parent[v as usize] != v {
            let grand = self.parent[self.parent[v as usize] as usize];
            self.set_parent(v, grand);
            v = grand;
        }
        v
    }

    fn value(&mut self, v: DimVar) -> DimValue {
        let root = self.find(v);
        self.values[root as usize].clone()
    }

    fn is_one(&mut self, v: DimVar) -> bool {
        self.value(v) == DimValue::Fixed(1)
    }

    fn is_scalar(&mut self, s: TShape) -> bool {
        self.is_one(s.rows) && self.is_one(s.cols)
    }

    fn unify(&mut self, a: DimVar, b: DimVar) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        let merged = match (self.values[ra as usize].clone(), self.values[rb as usize].clone()) {
            (DimValue::Free, DimValue::Fixed(1)) | (DimValue::Fixed(1), DimValue::Free) => return false,
            (DimValue::Free, other) | (other, DimValue::Free) => other,
            (x, y) if x == y => x,
            _ => return false,
        };
        // The older variable stays the root, so a class keeps its root as
        // the program grows (a workspace names free dimensions by root).
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.set_parent(child, root);
        if self.values[root as usize] != merged {
            let old = std::mem::replace(&mut self.values[root as usize], merged);
            self.record(Undo::Value(root, old));
        }
        true
    }

    fn dim_text(&mut self, v: DimVar) -> String {
        match self.value(v) {
            DimValue::Fixed(n) => n.to_string(),
            DimValue::Named(name) => name,
            DimValue::Free => "?".to_string(),
        }
    }

    fn shape_text(&mut self, s: TShape) -> String {
        format!("{}×{}", self.dim_text(s.rows), self.dim_text(s.cols))
    }

    fn dim_of_spec(&mut self, spec: &Option<DimSpec>) -> DimVar {
        match spec {
            None => self.fresh(DimValue::Free),
            Some(DimSpec::Fixed(n, _)) => self.fresh(DimValue::Fixed(*n)),
            Some(DimSpec::Named(name, _)) => {
                if let Some(&v) = self.named_dims.get(name) {
                    return v;
                }
                let v = self.fresh(DimValue::Named(name.clone()));
                self.named_dims.insert(name.clone(), v);
                self.record(Undo::NamedDim(name.clone()));
                v
            }
        }
    }

    fn statement(&mut self, statement: &Statement) -> Result<()> {
        match statement {
            Statement::Declare { names, kind, .. } => {
                for (name, span) in names {
                    self.declare(name, kind, *span)?;
                }
                Ok(())
            }
            Statement::Define { name, name_span, value } => {
                self.check_new_name(name, *name_span)?;
                let shape = self.infer(value)?;
                self.symbols.insert(
                    name.clone(),
                    SymInfo { shape, role: SymRole::Definition, span: *name_span, inferred: false },
                );
                self.order.push(name.clone());
                self.value_shape = Some(shape);
                Ok(())
            }
            Statement::Expr(e) => {
                let shape = self.infer(e)?;
                self.value_shape = Some(shape);
                Ok(())
            }
        }
    }

    /// The kind of the program's value (so far): whether its rows and its
    /// columns are one (scalar, row, column or matrix).
    fn value_kind(&mut self) -> Option<(bool, bool)> {
        let shape = self.value_shape?;
        Some((self.is_one(shape.rows), self.is_one(shape.cols)))
    }

    fn check_new_name(&mut self, name: &str, span: Span) -> Result<()> {
        if BUILTIN_FUNCTIONS.contains(&name) {
            // One name, one meaning: `I: matrix(n, n)` would make `I + I` of
            // a result ambiguous.
            let what = match name {
                "I" | "eye" => "the identity matrix, I(n)",
                "ones" => "the all-ones vector or matrix, ones(n)",
                "zeros" => "the zero vector or matrix, zeros(n)",
                _ => "a built-in function",
            };
            return Err(Error::new(ErrorKind::Redefinition, format!("`{name}` is {what}"), span)
                .with_help("choose another name"));
        }
        if let Some(previous) = self.symbols.get(name) {
            let message = if previous.inferred {
                format!("`{name}` is declared after its first use")
            } else {
                format!(
                    "`{name}` is already {}",
                    if previous.role == SymRole::Definition { "defined" } else { "declared" }
                )
            };
            return Err(Error::new(ErrorKind::Redefinition, message, span)
                .with_label(previous.span, "first here")
                .with_help("declare or define each name once, before its first use"));
        }
        Ok(())
    }

    fn declare(&mut self, name: &str, kind: &Kind, span: Span) -> Result<()> {
        self.check_new_name(name, span)?;
        let (shape, role) = match kind {
            Kind::Scalar => (self.scalar(), SymRole::Input { symmetric: false }),
            Kind::Vector(n) => {
                let rows = self.dim_of_spec(n);
                (TShape { rows, cols: self.one() }, SymRole::Input { symmetric: false })
            }
            Kind::Matrix(m, n) => {
                let rows = self.dim_of_spec(m);
                let cols = self.dim_of_spec(n);
                (TShape { rows, cols }, SymRole::Input { symmetric: false })
            }
            Kind::Symmetric(n) => {
                let d = self.dim_of_spec(n);
                (TShape { rows: d, cols: d }, SymRole::Input { symmetric: true })
            }
            Kind::Function => (self.scalar(), SymRole::Function),
        };
        self.symbols.insert(name.to_string(), SymInfo { shape, role, span, inferred: false });
        self.order.push(name.to_string());
        Ok(())
    }

    /// The one undeclared vector-by-default name that makes `e` a vector,
    /// where `e` is that name under elementwise functions and constant
    /// factors (`k`, `exp(k)`, `2 k`, `-k .^ 2`), with its span.
    fn default_vector_leaf(&self, e: &Expr) -> Option<(String, Span)> {
        match &e.kind {
            ExprKind::Name(name) => self.vector_by_default(name).then(|| (name.clone(), e.span)),
            ExprKind::Negate(a) => self.default_vector_leaf(a),
            ExprKind::Call { name, args, .. } if args.len() == 1 && elementwise(name).is_some() => {
                self.default_vector_leaf(&args[0])
            }
            ExprKind::Binary(BinaryOp::Multiply | BinaryOp::Divide, a, b) if matches!(b.kind, ExprKind::Number(_)) => {
                self.default_vector_leaf(a)
            }
            ExprKind::Binary(BinaryOp::Multiply, a, b) if matches!(a.kind, ExprKind::Number(_)) => {
                self.default_vector_leaf(b)
            }
            ExprKind::Power { base, exponent, .. } if matches!(exponent.kind, ExprKind::Number(_)) => {
                self.default_vector_leaf(base)
            }
            _ => None,
        }
    }

    /// `d/dx e` (or `dL/dW`) reads as a division by a product of names;
    /// it is an error that says how matcalc writes a derivative.
    fn refuse_leibniz_notation(&self, a: &Expr, b: &Expr) -> Result<()> {
        fn leftmost(e: &Expr) -> Option<(&str, Span)> {
            match &e.kind {
                ExprKind::Name(name) => Some((name, e.span)),
                ExprKind::Call { name, name_span, .. } => Some((name, *name_span)),
                ExprKind::Binary(BinaryOp::Multiply, a, _) => leftmost(a),
                ExprKind::Transpose(a) => leftmost(a),
                ExprKind::Power { base, .. } => leftmost(base),
                _ => None,
            }
        }
        let ExprKind::Name(top) = &a.kind else { return Ok(()) };
        let Some((bottom, bottom_span)) = leftmost(b) else { return Ok(()) };
        let undeclared = |name: &str| !self.symbols.contains_key(name);
        let Some(variable) = bottom.strip_prefix('d') else { return Ok(()) };
        // `d`, `dL`, `df`, `dy1` over `dx`, `dW`: not `delta/d2`.
        let differential = top.starts_with('d') && top.chars().count() <= 3 && !is_greek_name(top);
        if !differential || variable.is_empty() || !undeclared(top) || !undeclared(bottom) {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Syntax,
            format!("`{top}/{bottom}` is not how matcalc writes a derivative"),
            a.span.join(bottom_span),
        )
        .with_help(format!(
            "differentiate with `matcalc diff PROGRAM --wrt {variable}`, or write `grad(e, {variable})` in the program"
        )))
    }

    /// `true` for an undeclared lower-case name that is a vector only by
    /// the naming convention.
    fn vector_by_default(&self, name: &str) -> bool {
        let lower = name.chars().next().is_some_and(|c| !c.is_uppercase());
        self.symbols.get(name).is_some_and(|info| info.inferred)
            && lower
            && !is_greek_name(name)
            && !self.flipped.iter().any(|f| f == name)
    }

    fn auto_symbol(&mut self, name: &str, span: Span) -> TShape {
        let first = name.chars().next().unwrap_or('x');
        let scalar = is_greek_name(name) != self.flipped.iter().any(|f| f == name);
        let shape = if first.is_uppercase() && !is_greek_name(name) {
            TShape { rows: self.fresh(DimValue::Free), cols: self.fresh(DimValue::Free) }
        } else if scalar {
            self.scalar()
        } else if first.is_uppercase() {
            TShape { rows: self.fresh(DimValue::Free), cols: self.fresh(DimValue::Free) }
        } else {
            TShape { rows: self.fresh(DimValue::Free), cols: self.one() }
        };
        self.symbols.insert(
            name.to_string(),
            SymInfo { shape, role: SymRole::Input { symmetric: false }, span, inferred: true },
        );
        self.order.push(name.to_string());
        shape
    }

    fn shape_error(&mut self, message: String, lhs: (&Expr, TShape), rhs: (&Expr, TShape), span: Span) -> Error {
        let (lt, rt) = (self.shape_text(lhs.1), self.shape_text(rhs.1));
        Error::new(ErrorKind::Shape, message, span).with_label(lhs.0.span, lt).with_label(rhs.0.span, rt)
    }

    fn infer(&mut self, e: &Expr) -> Result<TShape> {
        self.depth += 1;
        if self.depth > crate::syntax::MAX_NESTING * 4 {
            self.depth -= 1;
            return Err(Error::new(ErrorKind::Limit, "expression nested too deeply", e.span));
        }
        let result = self.infer_inner(e);
        self.depth -= 1;
        let shape = result?;
        self.node_shapes.insert((e.span.start, e.span.end), shape);
        Ok(shape)
    }

    fn infer_inner(&mut self, e: &Expr) -> Result<TShape> {
        match &e.kind {
            ExprKind::Number(_) => Ok(self.scalar()),
            ExprKind::Name(name) => self.infer_name(name, e.span),
            ExprKind::Negate(a) => self.infer(a),
            ExprKind::Transpose(a) => {
                let s = self.infer(a)?;
                if self.is_scalar(s) {
                    self.scalar_oddity = true;
                }
                Ok(TShape { rows: s.cols, cols: s.rows })
            }
            ExprKind::InverseTranspose(a) => {
                let s = self.infer(a)?;
                self.require_square(a, s, "invert")?;
                Ok(s)
            }
            ExprKind::Binary(..) => self.infer_chain(e),
            ExprKind::Power { base, exponent, elementwise } => {
                if let ExprKind::Call { name, args, .. } = &base.kind {
                    if name == "norm2" && args.len() == 1 && !self.symbols.contains_key("norm2") {
                        let arg = snippet(&self.source, args[0].span);
                        let power = snippet(&self.source, exponent.span);
                        let value =
                            if power == "2" { format!("‖{arg}‖⁴") } else { format!("(‖{arg}‖²)^{power}") };
                        self.notes.push(Note::new(
                            format!("`norm2` is already the squared norm: `norm2({arg})^{power}` is {value}"),
                            e.span,
                            format!("for ‖{arg}‖² write `norm2({arg})`; for the plain norm, `norm({arg})`"),
                        ));
                    }
                }
                let bs = self.infer(base)?;
                let es = self.infer(exponent)?;
                if !self.is_scalar(es) {
                    let text = self.shape_text(es);
                    let mut err = Error::new(
                        ErrorKind::Shape,
                        format!("the exponent `{}` must be a scalar, not {text}", snippet(&self.source, exponent.span)),
                        exponent.span,
                    );
                    if let ExprKind::Name(name) = &exponent.kind {
                        let braced = self.source[..exponent.span.start].trim_end().ends_with('{');
                        let base_text = snippet(&self.source, base.span);
                        let declared = |n: &str| self.symbols.get(n).is_some_and(|info| !info.inferred);
                        let help = hints::exponent_name(&base_text, name, braced, &declared)
                            .unwrap_or_else(|| format!("declare `{name}: scalar` if it is a number"));
                        err = err.with_help(help);
                    }
                    return Err(err);
                }
                if *elementwise || self.is_scalar(bs) {
                    return Ok(bs);
                }
                if constant_integer(exponent).is_none() {
                    if matches!(&base.kind, ExprKind::Name(n) if n == "e")
                        && self.symbols.get("e").is_none_or(|info| info.inferred)
                    {
                        let help = hints::euler_power(&snippet(&self.source, exponent.span));
                        return Err(Error::new(
                            ErrorKind::Value,
                            "`e^x` is a power of a name `e`, not the exponential",
                            e.span,
                        )
                        .with_help(help));
                    }
                    return Err(Error::new(
                        ErrorKind::Value,
                        format!(
                            "a matrix power needs an integer exponent, not `{}`",
                            snippet(&self.source, exponent.span)
                        ),
                        exponent.span,
                    )
                    .with_help("use `.^` for an elementwise power"));
                }
                self.require_square(base, bs, "raise to a power")?;
                Ok(bs)
            }
            ExprKind::Call { name, name_span, args } => self.infer_call(name, *name_span, args, e.span),
        }
    }

    fn infer_name(&mut self, name: &str, span: Span) -> Result<TShape> {
        if let Some(info) = self.symbols.get(name) {
            if info.role == SymRole::Function {
                return Err(Error::new(
                    ErrorKind::Arity,
                    format!("`{name}` is a function; call it with an argument, as in `{name}(z)`"),
                    span,
                ));
            }
            return Ok(info.shape);
        }
        match name {
            "I" | "eye" => {
                let n = self.fresh(DimValue::Free);
                Ok(TShape { rows: n, cols: n })
            }
            "ones" => {
                let n = self.fresh(DimValue::Free);
                Ok(TShape { rows: n, cols: self.one() })
            }
            _ if BUILTIN_FUNCTIONS.contains(&name) => Err(Error::new(
                ErrorKind::Arity,
                format!("`{name}` is a function; call it with arguments, as in `{name}(x)`"),
                span,
            )),
            _ if self.closed => {
                Err(Error::new(ErrorKind::UnknownName, format!("`{name}` is not a name of the program"), span)
                    .with_help("a claim uses the program's names, and names it defines itself (`t1 = …; …`)"))
            }
            _ => Ok(self.auto_symbol(name, span)),
        }
    }

    fn require_square(&mut self, e: &Expr, s: TShape, verb: &str) -> Result<()> {
        if self.unify(s.rows, s.cols) {
            return Ok(());
        }
        let text = self.shape_text(s);
        Err(Error::new(
            ErrorKind::Shape,
            format!("cannot {verb} `{}` ({text}): it is not square", snippet(&self.source, e.span)),
            e.span,
        ))
    }

    fn require_column(&mut self, e: &Expr, s: TShape, what: &str) -> Result<()> {
        let one = self.one();
        if self.unify(s.cols, one) && !self.is_one(s.rows) {
            return Ok(());
        }
        let text = self.shape_text(s);
        Err(Error::new(
            ErrorKind::Shape,
            format!("{what} needs a column vector, but `{}` is {text}", snippet(&self.source, e.span)),
            e.span,
        ))
    }

    fn infer_binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr, span: Span) -> Result<TShape> {
        if op == BinaryOp::Divide {
            self.refuse_leibniz_notation(a, b)?;
        }
        let sa = self.infer(a)?;
        let sb = self.infer(b)?;
        self.infer_binary_shapes(op, (a, sa), (b, sb), span)
    }

    /// A chain of binary operators (`a + b - c`, `W1 W2 x`), parsed as a
    /// left-deep tree, walked along its left spine without recursion: a
    /// flat sum of thousands of terms is long, not deep.
    fn infer_chain(&mut self, e: &Expr) -> Result<TShape> {
        let spine = binary_spine(e);
        // `d/dx …`: checked before the names are inferred (and so declared).
        if let Some(ExprKind::Binary(BinaryOp::Divide, a, b)) = spine.nodes.last().map(|n| &n.kind) {
            self.refuse_leibniz_notation(a, b)?;
        }
        let mut shape = self.infer(spine.leftmost)?;
        for (i, &node) in spine.nodes.iter().enumerate().rev() {
            let ExprKind::Binary(op, a, b) = &node.kind else { unreachable!("the spine holds binary nodes") };
            let sb = self.infer(b)?;
            shape = self.infer_binary_shapes(*op, (a, shape), (b, sb), node.span)?;
            // `infer` records the shape of the chain's root itself.
            if i > 0 {
                self.node_shapes.insert((node.span.start, node.span.end), shape);
            }
        }
        Ok(shape)
    }

    fn infer_binary_shapes(
        &mut self,
        op: BinaryOp,
        (a, sa): (&Expr, TShape),
        (b, sb): (&Expr, TShape),
        span: Span,
    ) -> Result<TShape> {
        let (a_scalar, b_scalar) = (self.is_scalar(sa), self.is_scalar(sb));
        match op {
            BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Hadamard | BinaryOp::ElementwiseDivide => {
                if a_scalar != b_scalar {
                    let (scalar_side, other) = if a_scalar { (a, b) } else { (b, a) };
                    if let ExprKind::Name(name) = &scalar_side.kind {
                        self.broadcasts += 1;
                        if self.flipped.iter().any(|f| f == name) {
                            self.flipped_broadcast = true;
                        }
                    }
                    if let Some((name, span)) = self.default_vector_leaf(other) {
                        if is_structural(scalar_side) {
                            let verb = if matches!(op, BinaryOp::Add | BinaryOp::Subtract) {
                                "added to"
                            } else {
                                "combined elementwise with"
                            };
                            self.scalar_wanted.push(ScalarUse {
                                name,
                                span,
                                use_span: other.span,
                                scalar_span: scalar_side.span,
                                verb,
                            });
                        }
                    }
                }
                if b_scalar {
                    return Ok(sa);
                }
                if a_scalar {
                    return Ok(sb);
                }
                if self.unify(sa.rows, sb.rows) && self.unify(sa.cols, sb.cols) {
                    return Ok(sa);
                }
                let verb = match op {
                    BinaryOp::Add => "add",
                    BinaryOp::Subtract => "subtract",
                    _ => "combine elementwise",
                };
                let (ta, tb) = (self.shape_text(sa), self.shape_text(sb));
                let (na, nb) = (snippet(&self.source, a.span), snippet(&self.source, b.span));
                let (first, second) = if op == BinaryOp::Subtract { (&nb, &na) } else { (&na, &nb) };
                let (tf, ts) = if op == BinaryOp::Subtract { (&tb, &ta) } else { (&ta, &tb) };
                let joiner = match op {
                    BinaryOp::Add => "to",
                    BinaryOp::Subtract => "from",
                    _ => "with",
                };
                Err(self.shape_error(
                    format!("cannot {verb} {first} ({tf}) {joiner} {second} ({ts}): shapes differ"),
                    (a, sa),
                    (b, sb),
                    span,
                ))
            }
            BinaryOp::Multiply => {
                if a_scalar {
                    return Ok(sb);
                }
                if b_scalar {
                    return Ok(sa);
                }
                if self.unify(sa.cols, sb.rows) {
                    return Ok(TShape { rows: sa.rows, cols: sb.cols });
                }
                let (ta, tb) = (self.shape_text(sa), self.shape_text(sb));
                let (ia, ib) = (self.dim_text(sa.cols), self.dim_text(sb.rows));
                let (na, nb) = (snippet(&self.source, a.span), snippet(&self.source, b.span));
                Err(self
                    .shape_error(
                        format!("cannot multiply {na} ({ta}) by {nb} ({tb}): inner dimensions {ia} and {ib} differ"),
                        (a, sa),
                        (b, sb),
                        span,
                    )
                    .with_help("use `.*` for an elementwise product, or transpose one operand"))
            }
            BinaryOp::Divide => {
                if !b_scalar {
                    let tb = self.shape_text(sb);
                    return Err(Error::new(
                        ErrorKind::Shape,
                        format!("cannot divide by {} ({tb}): `/` divides by a scalar", snippet(&self.source, b.span)),
                        b.span,
                    )
                    .with_help("use `./` for elementwise division, or inv(B) for the inverse"));
                }
                if is_literal_zero(b) {
                    return Err(Error::new(ErrorKind::Value, "division by zero", b.span));
                }
                Ok(sa)
            }
        }
    }

    fn arity(&self, name: &str, args: &[Expr], expected: usize, span: Span) -> Result<()> {
        if args.len() == expected {
            return Ok(());
        }
        let err = Error::new(
            ErrorKind::Arity,
            format!("`{name}` takes {expected} argument{}, got {}", if expected == 1 { "" } else { "s" }, args.len()),
            span,
        );
        if name == "norm" && args.len() == 2 {
            let x = snippet(&self.source, args[0].span);
            return Err(err.with_help(format!(
                "`norm({x})` is the 2-norm; write `norm1({x})` for the 1-norm, `norm2({x})` for the squared 2-norm"
            )));
        }
        Err(err)
    }

    fn infer_call(&mut self, name: &str, name_span: Span, args: &[Expr], span: Span) -> Result<TShape> {
        if let Some(info) = self.symbols.get(name).cloned() {
            if info.role == SymRole::Function {
                self.arity(name, args, 1, span)?;
                self.infer(&args[0])?;
                return Ok(self.scalar());
            }
            // `W(x)` with a variable W: a product.
            self.arity(name, args, 1, span)?;
            let fake = Expr { kind: ExprKind::Name(name.to_string()), span: name_span };
            return self.infer_binary(BinaryOp::Multiply, &fake, &args[0], span);
        }
        if let Some(_f) = elementwise(name) {
            self.arity(name, args, 1, span)?;
            return self.infer(&args[0]);
        }
        if let Some(f) = reduction(name) {
            self.arity(name, args, 1, span)?;
            let s = self.infer(&args[0])?;
            if self.is_scalar(s) {
                self.scalar_oddity = true;
            }
            return match f {
                Func::Trace => {
                    self.require_square(&args[0], s, "take the trace of")?;
                    Ok(self.scalar())
                }
                Func::Det | Func::LogDet => {
                    let what = if f == Func::Det { "take the determinant of" } else { "take the log-determinant of" };
                    self.require_square(&args[0], s, what)?;
                    Ok(self.scalar())
                }
                Func::Softmax => {
                    self.require_column(&args[0], s, "softmax")?;
                    Ok(s)
                }
                Func::LogSumExp => {
                    self.require_column(&args[0], s, "logsumexp")?;
                    Ok(self.scalar())
                }
                _ => Ok(self.scalar()),
            };
        }
        match name {
            "inv" => {
                self.arity(name, args, 1, span)?;
                let s = self.infer(&args[0])?;
                self.require_square(&args[0], s, "invert")?;
                Ok(s)
            }
            "diag" => {
                self.arity(name, args, 1, span)?;
                let s = self.infer(&args[0])?;
                if self.is_scalar(s) {
                    return Ok(s);
                }
                if self.is_one(s.cols) {
                    return Ok(TShape { rows: s.rows, cols: s.rows });
                }
                self.require_square(&args[0], s, "take the diagonal of")?;
                Ok(TShape { rows: s.rows, cols: self.one() })
            }
            "I" | "eye" | "ones" | "zeros" => {
                let vectorlike = matches!(name, "ones" | "zeros");
                if args.is_empty() || args.len() > 2 || (args.len() == 2 && !vectorlike) {
                    let usage = if vectorlike { format!("{name}(n) or {name}(m, n)") } else { "I(n)".to_string() };
                    return Err(Error::new(
                        ErrorKind::Arity,
                        format!("`{name}` takes a dimension: write {usage}"),
                        span,
                    ));
                }
                let mut dims = Vec::new();
                for arg in args {
                    dims.push(self.dimension_argument(arg)?);
                }
                Ok(match (vectorlike, dims.as_slice()) {
                    (true, [n]) => TShape { rows: *n, cols: self.one() },
                    (true, [m, n]) => TShape { rows: *m, cols: *n },
                    (_, [n]) => TShape { rows: *n, cols: *n },
                    _ => unreachable!("arity checked above"),
                })
            }
            "grad" | "jacobian" | "hessian" => {
                self.arity(name, args, 2, span)?;
                // `grad(f, W h + h)`: the gradient of the opaque function `f`
                // at an argument, as matcalc prints an upstream gradient.
                let of_function = name == "grad"
                    && matches!(&args[0].kind, ExprKind::Name(l) if self.symbols.get(l).is_some_and(|s| s.role == SymRole::Function));
                let se = if of_function { self.scalar() } else { self.infer(&args[0])? };
                let sx = self.infer(&args[1])?;
                // `grad(L, W h + h)`: the upstream gradient through an opaque
                // function applied to an unnamed argument (as matcalc prints it).
                let upstream_form = of_function
                    || name == "grad"
                        && matches!(&args[0].kind, ExprKind::Name(l) if self.symbols.get(l).is_some_and(|s| s.role == SymRole::Definition));
                if !matches!(args[1].kind, ExprKind::Name(_)) && !upstream_form {
                    return Err(Error::new(
                        ErrorKind::Differentiation,
                        format!(
                            "`{name}` differentiates with respect to a variable name, not `{}`",
                            snippet(&self.source, args[1].span)
                        ),
                        args[1].span,
                    ));
                }
                let e_text = snippet(&self.source, args[0].span);
                match name {
                    "grad" => {
                        if !self.is_scalar(se) {
                            let t = self.shape_text(se);
                            return Err(Error::new(
                                ErrorKind::Shape,
                                format!("grad needs a scalar expression, but `{e_text}` is {t}"),
                                args[0].span,
                            )
                            .with_help("use jacobian(e, x) for a vector expression"));
                        }
                        Ok(sx)
                    }
                    "jacobian" => {
                        let one = self.one();
                        if !self.is_scalar(se) && !self.unify(se.cols, one) {
                            let t = self.shape_text(se);
                            return Err(Error::new(
                                ErrorKind::Shape,
                                format!("jacobian needs a vector expression, but `{e_text}` is {t}"),
                                args[0].span,
                            ));
                        }
                        self.require_column(&args[1], sx, "jacobian")?;
                        Ok(TShape { rows: se.rows, cols: sx.rows })
                    }
                    _ => {
                        if !self.is_scalar(se) {
                            let t = self.shape_text(se);
                            return Err(Error::new(
                                ErrorKind::Shape,
                                format!("hessian needs a scalar expression, but `{e_text}` is {t}"),
                                args[0].span,
                            ));
                        }
                        self.require_column(&args[1], sx, "hessian")?;
                        Ok(TShape { rows: sx.rows, cols: sx.rows })
                    }
                }
            }
            _ => {
                let mut err = Error::new(ErrorKind::UnknownName, format!("unknown function `{name}`"), name_span);
                let arguments: Vec<String> = args.iter().take(4).map(|a| snippet(&self.source, a.span)).collect();
                if let Some(help) = hints::foreign_function(name, &arguments) {
                    err = err.with_help(help);
                } else if let Some(close) = closest(name, BUILTIN_FUNCTIONS) {
                    err = err.with_help(format!("did you mean `{close}`?"));
                } else {
                    err = err.with_help("declare it with `name: function` for an opaque function");
                }
                Err(err)
            }
        }
    }

    fn dimension_argument(&mut self, arg: &Expr) -> Result<DimVar> {
        match &arg.kind {
            ExprKind::Number(c) => match coeff::to_i64(c) {
                Some(n) if n > 0 => Ok(self.fresh(DimValue::Fixed(n as u64))),
                _ => Err(Error::new(ErrorKind::Value, "a dimension must be a positive integer", arg.span)),
            },
            ExprKind::Name(name) => {
                if self.closed && !self.named_dims.contains_key(name) && !self.known_dims.contains(name) {
                    return Err(Error::new(
                        ErrorKind::UnknownName,
                        format!("`{name}` is not a size of the program"),
                        arg.span,
                    ));
                }
                let spec = Some(DimSpec::Named(name.clone(), arg.span));
                Ok(self.dim_of_spec(&spec))
            }
            _ => Err(Error::new(ErrorKind::Value, "a dimension must be a name or a positive integer", arg.span)),
        }
    }
}

fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
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

/// The left spine of a chain of binary operators: the binary nodes from
/// the root down (`nodes[0]` is the root), and the operand at the bottom.
struct Spine<'a> {
    nodes: Vec<&'a Expr>,
    leftmost: &'a Expr,
}

fn binary_spine(e: &Expr) -> Spine<'_> {
    let mut nodes = Vec::new();
    let mut leftmost = e;
    while let ExprKind::Binary(_, a, _) = &leftmost.kind {
        nodes.push(leftmost);
        leftmost = a;
    }
    Spine { nodes, leftmost }
}

fn is_literal_zero(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number(c) => coeff::is_zero(c),
        ExprKind::Negate(a) => is_literal_zero(a),
        _ => false,
    }
}

fn constant_integer(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Number(c) => coeff::to_i64(c),
        ExprKind::Negate(a) => constant_integer(a).map(|n| -n),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Lowering
// ---------------------------------------------------------------------------

struct Lowering {
    inference: Inference,
    graph: Graph,
    symbols: HashMap<String, SymbolId>,
    symbol_spans: Vec<Span>,
    inferred: Vec<bool>,
    free_names: HashMap<DimVar, String>,
    depth: usize,
    /// A claim's own definitions, standing for their values.
    locals: HashMap<String, ExprId>,
    /// The product of the integer matrix powers around the expression being
    /// lowered (`(A^4)^8` lowers `A` with 32): nested powers flatten into one
    /// product, so they are bounded together by [`MAX_MATRIX_POWER`].
    power_multiplicity: u64,
    /// The outermost of the nested matrix powers being lowered.
    outermost_power: Span,
}

impl Lowering {
    fn new(inference: Inference) -> Lowering {
        let mut lowering = Lowering {
            inference,
            graph: Graph::new(),
            symbols: HashMap::new(),
            symbol_spans: Vec::new(),
            inferred: Vec::new(),
            free_names: HashMap::new(),
            depth: 0,
            locals: HashMap::new(),
            power_multiplicity: 1,
            outermost_power: Span::default(),
        };
        lowering.finish_dims();
        lowering
    }

    /// Names the dimensions left free by inference (`m`, `n`, `p`, ...).
    fn finish_dims(&mut self) {
        // The names a free dimension may get, in order of preference, made
        // only when needed (most programs have no free dimension).
        const LETTERS: [&str; 9] = ["m", "n", "p", "q", "r", "s", "t", "k", "l"];
        const CANDIDATES: usize = LETTERS.len() + 999;
        let candidate = |i: usize| match LETTERS.get(i) {
            Some(letter) => letter.to_string(),
            None => format!("d{}", i - LETTERS.len() + 1),
        };
        let mut used: HashSet<String> = self.inference.named_dims.keys().cloned().collect();
        used.extend(self.inference.symbols.keys().cloned());
        used.extend(self.graph.dim_names().iter().cloned());
        // Candidates before `next` are all used (`used` only grows).
        let mut next = 0;
        let mut chosen_at = HashSet::new();
        let order = self.inference.order.clone();
        for name in order {
            let shape = self.inference.symbols[&name].shape;
            for v in [shape.rows, shape.cols] {
                let root = self.inference.find(v);
                if self.inference.values[root as usize] == DimValue::Free && !self.free_names.contains_key(&root) {
                    while next < CANDIDATES && used.contains(&candidate(next)) {
                        next += 1;
                    }
                    let pick = if next < CANDIDATES {
                        next
                    } else {
                        (0..CANDIDATES).find(|i| !chosen_at.contains(i)).unwrap_or(CANDIDATES + chosen_at.len())
                    };
                    let chosen = candidate(pick);
                    chosen_at.insert(pick);
                    used.insert(chosen.clone());
                    self.free_names.insert(root, chosen);
                }
            }
        }
    }

    fn dim(&mut self, v: DimVar) -> Dim {
        let root = self.inference.find(v);
        match self.inference.values[root as usize].clone() {
            DimValue::Fixed(n) => Dim::Fixed(n),
            DimValue::Named(name) => Dim::Named(self.graph.add_dim(name)),
            DimValue::Free => {
                let name = match self.free_names.get(&root) {
                    Some(n) => n.clone(),
                    None => {
                        let n = format!("d{}", self.free_names.len() + 1);
                        self.free_names.insert(root, n.clone());
                        n
                    }
                };
                Dim::Named(self.graph.add_dim(name))
            }
        }
    }

    fn shape_of(&mut self, s: TShape) -> Shape {
        Shape::new(self.dim(s.rows), self.dim(s.cols))
    }

    fn record_symbol(&mut self, name: &str, sid: SymbolId, span: Span, inferred: bool) {
        self.symbols.insert(name.to_string(), sid);
        while self.symbol_spans.len() <= sid.0 as usize {
            self.symbol_spans.push(Span::default());
            self.inferred.push(false);
        }
        self.symbol_spans[sid.0 as usize] = span;
        self.inferred[sid.0 as usize] = inferred;
    }

    fn declare(&mut self, name: &str, kind: &Kind, span: Span) {
        let info = self.inference.symbols[name].clone();
        let shape = self.shape_of(info.shape);
        let role = match kind {
            Kind::Function => Role::Function,
            Kind::Symmetric(_) => Role::Input { symmetric: true },
            _ => Role::Input { symmetric: false },
        };
        let sid = self.graph.add_symbol(Symbol { name: name.to_string(), shape, role });
        self.record_symbol(name, sid, span, false);
    }

    fn symbol(&mut self, name: &str, span: Span) -> Result<SymbolId> {
        if let Some(&sid) = self.symbols.get(name) {
            return Ok(sid);
        }
        let info = self
            .inference
            .symbols
            .get(name)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::UnknownName, format!("unknown name `{name}`"), span))?;
        let shape = self.shape_of(info.shape);
        let role = match info.role {
            SymRole::Function => Role::Function,
            SymRole::Input { symmetric } => Role::Input { symmetric },
            SymRole::Definition => {
                return Err(Error::new(ErrorKind::UnknownName, format!("`{name}` is used before its definition"), span))
            }
        };
        let sid = self.graph.add_symbol(Symbol { name: name.to_string(), shape, role });
        self.record_symbol(name, sid, info.span, info.inferred);
        Ok(sid)
    }

    /// Lowers one statement; returns the value it gives, if any.
    fn statement(&mut self, statement: &Statement) -> Result<Option<StatementValue>> {
        match statement {
            Statement::Declare { names, kind, .. } => {
                for (name, span) in names {
                    self.declare(name, kind, *span);
                }
                Ok(None)
            }
            Statement::Define { name, name_span, value: body } => {
                let id = self.expr(body)?;
                let shape = self.graph.shape(id);
                let sid = self.graph.add_symbol(Symbol { name: name.clone(), shape, role: Role::Definition(id) });
                self.record_symbol(name, sid, *name_span, false);
                self.graph.var(sid);
                Ok(Some(StatementValue { value: id, span: body.span, symbol: Some(sid) }))
            }
            Statement::Expr(e) => Ok(Some(StatementValue { value: self.expr(e)?, span: e.span, symbol: None })),
        }
    }

    fn node_shape(&mut self, e: &Expr) -> Result<Shape> {
        let s = self
            .inference
            .node_shapes
            .get(&(e.span.start, e.span.end))
            .copied()
            .ok_or_else(|| Error::new(ErrorKind::Shape, "cannot infer the shape of this expression", e.span))?;
        Ok(self.shape_of(s))
    }

    fn expr(&mut self, e: &Expr) -> Result<ExprId> {
        self.depth += 1;
        if self.depth > crate::syntax::MAX_NESTING * 4 {
            self.depth -= 1;
            return Err(Error::new(ErrorKind::Limit, "expression nested too deeply", e.span));
        }
        let result = self.expr_inner(e).map_err(|err| err.or_span(e.span));
        self.depth -= 1;
        result
    }

    fn expr_inner(&mut self, e: &Expr) -> Result<ExprId> {
        match &e.kind {
            ExprKind::Number(c) => Ok(self.graph.constant(c.clone())),
            ExprKind::Name(name) if self.locals.contains_key(name) => Ok(self.locals[name]),
            ExprKind::Name(name) => match name.as_str() {
                "I" | "eye" if !self.symbols.contains_key(name) => {
                    let s = self.node_shape(e)?;
                    Ok(self.graph.identity(s.rows))
                }
                "ones" if !self.symbols.contains_key(name) => {
                    let s = self.node_shape(e)?;
                    Ok(self.graph.ones(s))
                }
                _ => {
                    let sid = self.symbol(name, e.span)?;
                    Ok(self.graph.var(sid))
                }
            },
            ExprKind::Negate(a) => {
                let a = self.expr(a)?;
                Ok(self.graph.neg(a))
            }
            ExprKind::Transpose(a) => {
                let a = self.expr(a)?;
                Ok(self.graph.transpose(a))
            }
            ExprKind::InverseTranspose(a) => {
                let a = self.expr(a)?;
                let t = self.graph.transpose(a);
                Ok(self.graph.inverse(t))
            }
            ExprKind::Binary(BinaryOp::Hadamard | BinaryOp::ElementwiseDivide, ..) => self.hadamard_chain(e),
            ExprKind::Binary(BinaryOp::Add | BinaryOp::Subtract, ..) => self.sum_chain(e),
            ExprKind::Binary(BinaryOp::Multiply | BinaryOp::Divide, ..) => self.product_chain(e),
            ExprKind::Power { base, exponent, elementwise } => {
                let outer = self.power_multiplicity;
                let outer_span = self.outermost_power;
                if outer == 1 {
                    self.outermost_power = e.span;
                }
                if let Some(k) = self.expanded_power(base, exponent, *elementwise) {
                    let total = outer.saturating_mul(k.unsigned_abs().max(1));
                    if total > MAX_MATRIX_POWER.unsigned_abs() {
                        return Err(Error::new(
                            ErrorKind::Limit,
                            format!(
                                "nested matrix powers compound to a power of {total}; matcalc expands powers up to {MAX_MATRIX_POWER} in all"
                            ),
                            self.outermost_power,
                        )
                        .with_help("name the inner power (P = A^4; P^8): a named power is not expanded again"));
                    }
                    self.power_multiplicity = total;
                }
                let b = self.expr(base);
                self.power_multiplicity = outer;
                self.outermost_power = outer_span;
                let b = b?;
                let x = self.expr(exponent)?;
                if *elementwise || self.graph.shape(b).is_scalar() {
                    if self.graph.is_zero(b) && self.graph.as_const(x).is_some_and(num_traits::Signed::is_negative) {
                        return Err(Error::new(ErrorKind::Value, "division by zero: zero to a negative power", e.span));
                    }
                    return Ok(self.graph.pow(b, x));
                }
                let k = constant_integer(exponent).unwrap_or(1);
                if k.abs() > MAX_MATRIX_POWER {
                    return Err(Error::new(
                        ErrorKind::Limit,
                        format!("matrix power {k} is too large; matcalc expands powers up to {MAX_MATRIX_POWER}"),
                        exponent.span,
                    ));
                }
                let n = self.graph.shape(b).rows;
                if k == 0 {
                    return Ok(self.graph.identity(n));
                }
                let factor = if k < 0 { self.graph.inverse(b) } else { b };
                Ok(self.graph.mul(vec![factor; k.unsigned_abs() as usize]))
            }
            ExprKind::Call { name, name_span, args } => self.call(name, *name_span, args, e),
        }
    }

    /// `true` if inference found `e` to be 1×1.
    fn inferred_scalar(&mut self, e: &Expr) -> bool {
        match self.inference.node_shapes.get(&(e.span.start, e.span.end)).copied() {
            Some(shape) => self.inference.is_scalar(shape),
            None => false,
        }
    }

    /// The exponent of `base ^ exponent` if it is a matrix power that is
    /// expanded into a product, whose size must be within its limit: an
    /// integer exponent (within [`MAX_MATRIX_POWER`]; larger is an error of
    /// its own) on a base that inference found not to be a scalar.
    fn expanded_power(&mut self, base: &Expr, exponent: &Expr, elementwise: bool) -> Option<i64> {
        if elementwise {
            return None;
        }
        let k = constant_integer(exponent).filter(|k| k.abs() <= MAX_MATRIX_POWER)?;
        let known = self.inference.node_shapes.contains_key(&(base.span.start, base.span.end));
        (known && !self.inferred_scalar(base)).then_some(k)
    }

    /// The left spine of a chain of the operators `ops` (`a + b - c` is
    /// `(a + b) - c`): its leftmost operand, then each operator with its right
    /// operand in source order. Walked without recursion, so a long flat sum
    /// costs no nesting depth.
    fn left_spine<'e>(e: &'e Expr, ops: &[BinaryOp]) -> (&'e Expr, Vec<(BinaryOp, &'e Expr)>) {
        let mut spine = Vec::new();
        let mut leftmost = e;
        while let ExprKind::Binary(op, a, b) = &leftmost.kind {
            if !ops.contains(op) {
                break;
            }
            spine.push((*op, b.as_ref()));
            leftmost = a;
        }
        spine.reverse();
        (leftmost, spine)
    }

    /// `a + b - c + ...` built by one call of the sum constructor: one sort
    /// and one merge of like terms for the whole chain, where adding term by
    /// term re-sorts the growing sum at every `+` (quadratic in the terms).
    fn sum_chain(&mut self, e: &Expr) -> Result<ExprId> {
        let (leftmost, spine) = Self::left_spine(e, &[BinaryOp::Add, BinaryOp::Subtract]);
        let mut terms = Vec::with_capacity(spine.len() + 1);
        terms.push(self.expr(leftmost)?);
        for (op, operand) in spine {
            let id = self.expr(operand)?;
            terms.push(if op == BinaryOp::Subtract { self.graph.neg(id) } else { id });
        }
        Ok(self.graph.add(terms))
    }

    /// `a b / c d ...` built by one call of the product constructor (a
    /// product built factor by factor flattens the growing chain at every
    /// step: quadratic in the factors). As in shape inference, a 1×1 partial
    /// product (`x^T y` in `x^T y z`) is a scalar factor of the rest: it is
    /// built on its own and joins the scalars.
    fn product_chain(&mut self, e: &Expr) -> Result<ExprId> {
        let (leftmost, spine) = Self::left_spine(e, &[BinaryOp::Multiply, BinaryOp::Divide]);
        let mut scalars = Vec::new();
        let mut chain = Vec::with_capacity(spine.len() + 1);
        // The rows of the chain's first non-scalar factor.
        let mut chain_rows = None;
        let mut operands = vec![(leftmost, BinaryOp::Multiply)];
        operands.extend(spine.into_iter().map(|(op, operand)| (operand, op)));
        for (operand, op) in operands {
            let mut id = self.expr(operand)?;
            if op == BinaryOp::Divide {
                if self.graph.is_zero(id) {
                    return Err(Error::new(ErrorKind::Value, "division by zero", operand.span));
                }
                id = self.graph.powc(id, coeff::int(-1));
            }
            let shape = self.graph.shape(id);
            if shape.is_scalar() {
                scalars.push(id);
                continue;
            }
            chain_rows.get_or_insert(shape.rows);
            chain.push(id);
            if chain_rows == Some(Dim::ONE) && shape.cols == Dim::ONE {
                // A 1×1 partial product of matrices.
                scalars.push(self.graph.mul(std::mem::take(&mut chain)));
                chain_rows = None;
            }
        }
        scalars.append(&mut chain);
        Ok(self.graph.mul(scalars))
    }

    /// `a .* b ./ c .* d` built by one call of the Hadamard constructor, so
    /// that the printed form of a Hadamard product parses back to the same
    /// node (built pairwise, a partial product could simplify differently).
    fn hadamard_chain(&mut self, e: &Expr) -> Result<ExprId> {
        let (leftmost, spine) = Self::left_spine(e, &[BinaryOp::Hadamard, BinaryOp::ElementwiseDivide]);
        let mut factors = vec![self.expr(leftmost)?];
        for (op, operand) in spine {
            let id = self.expr(operand)?;
            if op == BinaryOp::Hadamard {
                factors.push(id);
                continue;
            }
            if self.graph.is_zero(id) {
                return Err(Error::new(ErrorKind::Value, "division by zero", operand.span));
            }
            factors.push(self.graph.powc(id, coeff::int(-1)));
        }
        Ok(self.graph.hadamard(factors))
    }

    /// `grad(L, a)` where `L = f(a)` for an opaque `f` and `a` is not a name:
    /// the upstream gradient ∂L/∂a.
    /// `grad(f, e)` for an opaque function `f`, or `grad(L, e)` where `L`
    /// is defined as `f(e)`: the gradient of `f` at `e` (how an upstream
    /// gradient prints); `None` when `grad` is an ordinary derivative.
    fn upstream_form(&mut self, loss: &Expr, arg: &Expr) -> Result<Option<ExprId>> {
        let ExprKind::Name(loss_name) = &loss.kind else { return Ok(None) };
        let Some(&sid) = self.symbols.get(loss_name.as_str()) else { return Ok(None) };
        if self.graph.symbol(sid).role == Role::Function {
            let arg_id = self.expr(arg)?;
            return Ok(Some(self.graph.upstream(sid, sid, arg_id)));
        }
        let Some(value) = self.graph.definition_value(sid) else { return Ok(None) };
        let Node::Opaque(function, inner) = self.graph.node(value).clone() else { return Ok(None) };
        if !matches!(arg.kind, ExprKind::Name(_)) {
            return Ok(None);
        }
        let arg_id = self.expr(arg)?;
        Ok((arg_id == inner).then(|| self.graph.upstream(sid, function, inner)))
    }

    fn upstream_gradient(&mut self, loss: &Expr, arg: &Expr) -> Result<ExprId> {
        let loss_id = self.expr(loss)?;
        let arg_id = self.expr(arg)?;
        if let Node::Var(sid) = self.graph.node(loss_id).clone() {
            if let Some(value) = self.graph.definition_value(sid) {
                if let Node::Opaque(function, inner) = self.graph.node(value).clone() {
                    if inner == arg_id {
                        return Ok(self.graph.upstream(sid, function, arg_id));
                    }
                }
            }
        }
        Err(Error::new(
            ErrorKind::Differentiation,
            "`grad` differentiates with respect to a variable name, or to the argument of the opaque function that defines its first argument",
            arg.span,
        ))
    }

    fn call(&mut self, name: &str, name_span: Span, args: &[Expr], e: &Expr) -> Result<ExprId> {
        if let Some(&sid) = self.symbols.get(name) {
            let arg = self.expr(&args[0])?;
            if self.graph.symbol(sid).role == Role::Function {
                return Ok(self.graph.opaque(sid, arg));
            }
            let v = self.graph.var(sid);
            return Ok(self.graph.mul(vec![v, arg]));
        }
        if self.inference.symbols.contains_key(name) {
            // A variable first seen here, used as `W(x)`.
            let sid = self.symbol(name, name_span)?;
            let arg = self.expr(&args[0])?;
            let v = self.graph.var(sid);
            return Ok(self.graph.mul(vec![v, arg]));
        }
        if let Some(f) = elementwise(name).or_else(|| reduction(name)) {
            let a = self.expr(&args[0])?;
            return Ok(self.graph.apply(f, a));
        }
        match name {
            "inv" => {
                let a = self.expr(&args[0])?;
                Ok(self.graph.inverse(a))
            }
            "diag" => {
                let a = self.expr(&args[0])?;
                let s = self.graph.shape(a);
                Ok(if s.is_scalar() {
                    a
                } else if s.cols == Dim::ONE {
                    self.graph.apply(Func::DiagMat, a)
                } else {
                    self.graph.apply(Func::DiagVec, a)
                })
            }
            "I" | "eye" => {
                let s = self.node_shape(e)?;
                Ok(self.graph.identity(s.rows))
            }
            "ones" => {
                let s = self.node_shape(e)?;
                Ok(self.graph.ones(s))
            }
            "zeros" => {
                let s = self.node_shape(e)?;
                Ok(self.graph.zero(s))
            }
            "grad" | "jacobian" | "hessian" => {
                if name == "grad" {
                    if let Some(upstream) = self.upstream_form(&args[0], &args[1])? {
                        return Ok(upstream);
                    }
                }
                let ExprKind::Name(var_name) = &args[1].kind else {
                    return self.upstream_gradient(&args[0], &args[1]);
                };
                let body = self.expr(&args[0])?;
                let wrt = self.symbol(var_name, args[1].span)?;
                let result = match name {
                    "grad" => diff::gradient(&mut self.graph, body, wrt),
                    "jacobian" => diff::jacobian(&mut self.graph, body, wrt),
                    _ => diff::hessian(&mut self.graph, body, wrt),
                };
                result.map_err(|err| err.or_span(e.span))
            }
            _ => Err(Error::new(ErrorKind::UnknownName, format!("unknown function `{name}`"), name_span)),
        }
    }
}

/// `true` if `id` is a plain variable node of an input symbol.
pub fn is_input_var(graph: &Graph, id: ExprId) -> bool {
    matches!(graph.node(id), Node::Var(s) if matches!(graph.symbol(*s).role, Role::Input { .. }))
}
