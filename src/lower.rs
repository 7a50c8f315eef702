//! From the surface tree to the expression graph: shape inference by
//! unification over symbolic dimensions, then lowering through the
//! canonicalising constructors. Shape errors are raised here, where every
//! operand still has its own span.
//!
//! This module holds the entry points ([`lower_program`], [`lower_expr_in`])
//! and what they return; the work is in the submodules: `infer` (the
//! union-find over dimensions and the shape of each expression, with
//! `infer/operators.rs` the shape rules of the operators and built-in calls),
//! `readings` (which kind each undeclared name takes, and the notes on it),
//! `names` (Greek names, "did you mean"), `lowering` (the
//! inferred program built into the graph) and `workspace` (a program grown
//! one statement at a time).

use crate::ast::{Expr, Program, Statement};
use crate::error::{Error, ErrorKind, Note, Result, Span};
use crate::ir::{ExprId, Graph, Node, Role, SymbolId};

mod infer;
mod lowering;
mod names;
mod readings;
mod workspace;

use infer::{DimValue, DimVar, Inference, Undo};
use lowering::Lowering;
pub use names::{edit_distance, is_greek_name};
use readings::{infer_program, run_together_notes, with_run_together_help, ScalarUse};
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

/// Nodes reserved in the graph of even the shortest program (the seed's
/// gradient and its printing reach about 40).
const MIN_RESERVED_NODES: usize = 64;

/// Lowers a parsed program.
pub fn lower_program(program: &Program, source: &str) -> Result<Lowered> {
    let (mut inference, flipped) = infer_program(program, source)?;
    let notes = std::mem::take(&mut inference.notes);
    let mut lowering = Lowering::new(inference);
    // About one node per two bytes of source (measured on long programs),
    // and a symbol per statement: reserving once avoids the rehashes of
    // growing tables. A short program's derivative and its printing take a
    // few dozen nodes more.
    lowering.graph.reserve((source.len() / 2).max(MIN_RESERVED_NODES), program.statements.len());
    lowering.symbols.reserve(program.statements.len());
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

/// `true` if `id` is a plain variable node of an input symbol.
pub fn is_input_var(graph: &Graph, id: ExprId) -> bool {
    matches!(graph.node(id), Node::Var(s) if matches!(graph.symbol(*s).role, Role::Input { .. }))
}
