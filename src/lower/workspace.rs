//! A program that grows one statement at a time (the REPL's session). Each
//! statement is inferred and lowered into the state the earlier ones left,
//! so adding one costs what that statement costs, not what the history
//! costs. A statement that fails, or is interrupted, leaves no trace: the
//! inference state keeps a journal of its changes and the graph a mark, and
//! both are rolled back.
//!
//! One case is not incremental: a statement that settles a dimension an
//! earlier statement left free (`W x` with both shapes unknown, then `W y`
//! with a declared `y`), or takes a name the workspace gave a free
//! dimension. The earlier statements' nodes carry the old shapes, so the
//! whole program is analysed again ([`Workspace::from_texts`]), as a
//! program file would be.

use crate::ir::FastSet;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::{
    infer_program, is_greek_name, run_together_notes, with_run_together_help, DimValue, DimVar, Inference, Lowered,
    Lowering, ScalarUse, StatementValue, Undo,
};
use crate::ast::{Program, Statement};
use crate::error::{Error, ErrorKind, Note, Result};
use crate::ir::{GraphMark, SymbolId};
use crate::Analysis;

/// Names a free dimension may get, in order of preference (then `d1`, `d2`, ...).
const LETTERS: [&str; 9] = ["m", "n", "p", "q", "r", "s", "t", "k", "l"];

/// The name of free-dimension candidate `i`.
fn candidate(i: usize) -> String {
    match LETTERS.get(i) {
        Some(letter) => letter.to_string(),
        None => format!("d{}", i - LETTERS.len() + 1),
    }
}

/// A program analysed statement by statement.
pub struct Workspace {
    lowering: Lowering,
    /// The source text of each statement kept (declarations, definitions and
    /// expressions that taught inference a name or a shape), in order.
    texts: Vec<String>,
    /// Names given to free dimensions.
    free_chosen: FastSet<String>,
    /// Candidates before this one are taken.
    next_candidate: usize,
    /// Roots named since the last [`Workspace::commit`].
    free_log: Vec<DimVar>,
    /// Statements inferred and lowered so far, counting those analysed again.
    analysed: u64,
    /// Whole-program analyses (see the module documentation).
    rebuilds: u64,
    interrupt: Option<Arc<AtomicBool>>,
}

/// A state of a [`Workspace`] to return to with [`Workspace::rollback`].
#[derive(Clone, Copy, Debug)]
pub struct WorkspaceMark {
    graph: GraphMark,
    dims: usize,
    order: usize,
    journal: usize,
    free_log: usize,
    next_candidate: usize,
    broadcasts: usize,
    flipped: usize,
    texts: usize,
}

/// An error in a whole program, with the program's text.
pub type ProgramError = (Error, String);

/// What adding a statement did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Added {
    /// The statement's value (an expression's or a definition's).
    pub value: Option<StatementValue>,
    /// The statement was kept in the workspace's history (everything but an
    /// expression that taught inference nothing).
    pub kept: bool,
    /// Notes on the statement (a name taken to be a scalar, `norm2(e)^2`),
    /// with spans in the text given to [`Workspace::set_source`].
    pub notes: Vec<Note>,
}

/// Why a statement was not added.
#[derive(Clone, Debug)]
pub enum Failure {
    /// An error in the statement; spans refer to its source.
    Statement(Error),
    /// An error found when the whole program was analysed again; spans
    /// refer to `program`, where the new statement starts at `start`.
    Program {
        /// The error.
        error: Box<Error>,
        /// The history and the new statement, joined by newlines.
        program: String,
        /// Where the new statement starts in `program`.
        start: usize,
    },
    /// The statement needs the whole program analysed again, which the
    /// caller did not allow.
    NeedsWholeProgram,
}

impl Default for Workspace {
    fn default() -> Workspace {
        Workspace::new()
    }
}

impl Workspace {
    /// An empty workspace.
    pub fn new() -> Workspace {
        Workspace::with_lowering(Lowering::new(Inference::new("")), Vec::new(), 0)
    }

    fn with_lowering(mut lowering: Lowering, texts: Vec<String>, analysed: u64) -> Workspace {
        lowering.inference.journal = Some(Vec::new());
        let free_chosen = lowering.free_names.values().cloned().collect();
        Workspace {
            lowering,
            texts,
            free_chosen,
            next_candidate: 0,
            free_log: Vec::new(),
            analysed,
            rebuilds: 0,
            interrupt: None,
        }
    }

    /// The workspace of the program made of `texts` (one statement each),
    /// analysed as a whole, and the value of its last statement; on error,
    /// the error and the joined program. `interrupt` as for
    /// [`Workspace::set_interrupt`].
    pub fn from_texts(
        texts: Vec<String>,
        interrupt: Option<Arc<AtomicBool>>,
    ) -> std::result::Result<(Workspace, Option<StatementValue>), Box<ProgramError>> {
        let program = texts.join("\n");
        let (lowering, value) =
            whole_program(&program, interrupt.clone()).map_err(|e| Box::new((e, program.clone())))?;
        let count = texts.len() as u64;
        let mut workspace = Workspace::with_lowering(lowering, texts, count);
        workspace.set_interrupt(interrupt);
        if let Some(v) = value {
            workspace.check_constants(v).map_err(|e| Box::new((e, program)))?;
        }
        Ok((workspace, value))
    }

    /// Statements inferred and lowered since the workspace was made
    /// (a statement analysed again by a whole-program analysis counts again).
    pub fn statements_analysed(&self) -> u64 {
        self.analysed
    }

    /// Whole-program analyses since the workspace was made.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds
    }

    /// The source texts of the statements kept, in order.
    pub fn texts(&self) -> &[String] {
        &self.texts
    }

    /// Makes work on the workspace stop when `flag` is raised (see
    /// [`crate::interrupt`]).
    pub fn set_interrupt(&mut self, flag: Option<Arc<AtomicBool>>) {
        self.lowering.graph.set_interrupt(flag.clone());
        self.interrupt = flag;
    }

    /// The names of the workspace's symbols from the `from`-th on, in order.
    pub fn names_from(&self, from: usize) -> Vec<String> {
        self.lowering.graph.symbols().skip(from).map(|(_, s)| s.name.clone()).collect()
    }

    /// How many symbols the workspace has.
    pub fn symbol_count(&self) -> usize {
        self.lowering.graph.mark().symbols()
    }

    /// `true` if `name` is a name of the program (declared, defined or
    /// inferred from its use).
    pub fn has_name(&self, name: &str) -> bool {
        self.lowering.inference.symbols.contains_key(name)
    }

    /// The symbol of the definition `name`, if it is one.
    pub fn definition(&self, name: &str) -> Option<SymbolId> {
        let sid = *self.lowering.symbols.get(name)?;
        self.lowering.graph.definition_value(sid).map(|_| sid)
    }

    /// The current state, to return to with [`Workspace::rollback`].
    pub fn mark(&self) -> WorkspaceMark {
        let inference = &self.lowering.inference;
        WorkspaceMark {
            graph: self.lowering.graph.mark(),
            dims: inference.parent.len(),
            order: inference.order.len(),
            journal: inference.journal.as_ref().map_or(0, Vec::len),
            free_log: self.free_log.len(),
            next_candidate: self.next_candidate,
            broadcasts: inference.broadcasts,
            flipped: inference.flipped.len(),
            texts: self.texts.len(),
        }
    }

    /// Returns to `mark`, taken since the last [`Workspace::commit`].
    pub fn rollback(&mut self, mark: WorkspaceMark) {
        self.rollback_inference(&mark);
        let lowering = &mut self.lowering;
        for (sid, symbol) in lowering.graph.symbols().skip(mark.graph_symbols()) {
            if lowering.symbols.get(&symbol.name) == Some(&sid) {
                lowering.symbols.remove(&symbol.name);
            }
        }
        lowering.symbol_spans.truncate(mark.graph_symbols());
        lowering.inferred.truncate(mark.graph_symbols());
        lowering.graph.rollback(mark.graph);
        for root in self.free_log.drain(mark.free_log..) {
            if let Some(name) = lowering.free_names.remove(&root) {
                self.free_chosen.remove(&name);
            }
        }
        let stale: Vec<DimVar> = lowering.free_names.keys().copied().filter(|&k| k as usize >= mark.dims).collect();
        for root in stale {
            if let Some(name) = lowering.free_names.remove(&root) {
                self.free_chosen.remove(&name);
            }
        }
        self.next_candidate = mark.next_candidate;
        self.texts.truncate(mark.texts);
    }

    fn rollback_inference(&mut self, mark: &WorkspaceMark) {
        let inference = &mut self.lowering.inference;
        let undo: Vec<Undo> = inference.journal.as_mut().map(|j| j.split_off(mark.journal)).unwrap_or_default();
        for change in undo.into_iter().rev() {
            match change {
                Undo::Parent(v, old) => inference.parent[v as usize] = old,
                Undo::Value(v, old) => inference.values[v as usize] = old,
                Undo::NamedDim(name) => {
                    inference.named_dims.remove(&name);
                }
            }
        }
        inference.parent.truncate(mark.dims);
        inference.values.truncate(mark.dims);
        for name in inference.order.drain(mark.order..) {
            inference.symbols.remove(&name);
        }
        inference.node_shapes.clear();
        inference.depth = 0;
        inference.broadcasts = mark.broadcasts;
        inference.flipped.truncate(mark.flipped);
    }

    /// Forgets the journal: marks taken before cannot be returned to.
    pub fn commit(&mut self) {
        if let Some(journal) = &mut self.lowering.inference.journal {
            journal.clear();
        }
        self.free_log.clear();
    }

    /// Sets the source text the spans of the next statements refer to.
    pub fn set_source(&mut self, source: &str) {
        self.lowering.inference.source = source.to_string();
    }

    /// Adds `statement` (its spans refer to the text given to
    /// [`Workspace::set_source`]; `text` is the statement alone). If it
    /// needs the whole program analysed again and `whole` is false, it is
    /// not added ([`Failure::NeedsWholeProgram`]). On error or interrupt the
    /// workspace is as it was.
    pub fn add(&mut self, statement: &Statement, text: &str, whole: bool) -> std::result::Result<Added, Failure> {
        // Greek letters read as the session's spelled-out names (`α` is `alpha`).
        let mut respelled = [statement.clone()];
        let dims = self.lowering.graph.dim_names();
        let known = |name: &str| self.has_name(name) || dims.iter().any(|d| d == name);
        crate::syntax::respell_greek(&mut respelled, &known);
        let statement = &respelled[0];
        let mark = self.mark();
        // Each statement's derivative operators get a budget of their own.
        self.lowering.graph.reset_derivative_work();
        let deep = crate::stack::deep_source(text);
        let outcome =
            crate::stack::run(deep, || catch_unwind(AssertUnwindSafe(|| self.add_here(statement, text, whole, &mark))));
        match outcome {
            Ok(Ok(added)) => Ok(added),
            Ok(Err(failure)) => {
                self.rollback(mark);
                Err(failure)
            }
            Err(payload) => {
                self.rollback(mark);
                resume_unwind(payload)
            }
        }
    }

    fn add_here(
        &mut self,
        statement: &Statement,
        text: &str,
        whole: bool,
        mark: &WorkspaceMark,
    ) -> std::result::Result<Added, Failure> {
        self.analysed += 1;
        self.infer(statement, mark).map_err(Failure::Statement)?;
        let old_class_changed = self.old_class_changed(mark);
        let teaches = old_class_changed || self.lowering.inference.order.len() > mark.order;
        let kept = teaches || !matches!(statement, Statement::Expr(_));
        if old_class_changed || self.takes_a_free_name(mark) {
            if !whole {
                return Err(Failure::NeedsWholeProgram);
            }
            return self.rebuild_with(text, mark).map(|value| Added { value, kept: true, notes: Vec::new() });
        }
        self.name_free_dims(mark.order);
        let value = self.lowering.statement(statement).map_err(Failure::Statement)?;
        if let Some(v) = value {
            self.check_constants(v).map_err(Failure::Statement)?;
        }
        if kept {
            self.texts.push(text.to_string());
        }
        let notes = std::mem::take(&mut self.lowering.inference.notes);
        Ok(Added { value, kept, notes })
    }

    /// Infers `statement`; when the naming convention makes it ill-shaped,
    /// each scalar-or-vector name it introduces is tried with the other kind
    /// (as for a whole program, but only among the statement's new names:
    /// earlier statements keep the reading they were accepted with).
    fn infer(&mut self, statement: &Statement, mark: &WorkspaceMark) -> Result<()> {
        self.infer_kinds(statement, mark)?;
        run_together_notes(&mut self.lowering.inference, mark.order);
        Ok(())
    }

    /// [`Workspace::infer`] without the notes on names run together.
    fn infer_kinds(&mut self, statement: &Statement, mark: &WorkspaceMark) -> Result<()> {
        self.lowering.inference.scalar_wanted.clear();
        self.lowering.inference.notes.clear();
        self.infer_reading(statement, mark)?;
        // Broadcasting never makes a name this statement introduces a
        // vector: one added to a scalar expression is a scalar, as in a
        // whole program.
        let inference = &self.lowering.inference;
        let mut wanted: Vec<ScalarUse> = Vec::new();
        for wish in &inference.scalar_wanted {
            let new = inference.order[mark.order..].contains(&wish.name);
            if new && !inference.flipped.contains(&wish.name) && !wanted.iter().any(|w| w.name == wish.name) {
                wanted.push(wish.clone());
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let flipped_before = self.lowering.inference.flipped.clone();
        let notes_before = std::mem::take(&mut self.lowering.inference.notes);
        self.rollback_inference(mark);
        self.lowering.inference.flipped = flipped_before.clone();
        self.lowering.inference.flipped.extend(wanted.iter().map(|w| w.name.clone()));
        if self.lowering.inference.statement(statement).is_ok() {
            let source = self.lowering.inference.source.clone();
            self.lowering.inference.notes.extend(wanted.iter().map(|w| w.note(&source)));
            return Ok(());
        }
        self.rollback_inference(mark);
        self.lowering.inference.flipped = flipped_before;
        self.lowering.inference.statement(statement)?;
        self.lowering.inference.notes = notes_before;
        Ok(())
    }

    /// The statement's reading: by the naming convention, or where that is
    /// ill-shaped, with one of its new names flipped.
    fn infer_reading(&mut self, statement: &Statement, mark: &WorkspaceMark) -> Result<()> {
        self.lowering.inference.node_shapes.clear();
        self.lowering.inference.depth = 0;
        let error = match self.lowering.inference.statement(statement) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind == ErrorKind::Shape => e,
            Err(e) => return Err(e),
        };
        let inference = &self.lowering.inference;
        let error = with_run_together_help(error, inference);
        let candidates: Vec<String> = inference.order[mark.order..]
            .iter()
            .filter(|name| inference.symbols[*name].inferred && !name.chars().next().is_some_and(char::is_uppercase))
            .take(16)
            .cloned()
            .collect();
        let mut best: Option<(usize, bool, String)> = None;
        for name in candidates {
            self.rollback_inference(mark);
            self.lowering.inference.flipped.push(name.clone());
            if self.lowering.inference.statement(statement).is_ok() {
                let key = (self.lowering.inference.broadcasts, !is_greek_name(&name));
                if best.as_ref().is_none_or(|(b, g, _)| key < (*b, *g)) {
                    best = Some((key.0, key.1, name));
                }
            }
        }
        self.rollback_inference(mark);
        let Some((_, _, name)) = best else { return Err(error) };
        self.lowering.inference.flipped.push(name);
        self.lowering.inference.statement(statement)
    }

    /// `true` if the last statement merged a free class of dimensions that
    /// existed before it into another one, or gave one a value (merging two
    /// classes of the same size, such as two 1s, changes nothing).
    fn old_class_changed(&self, mark: &WorkspaceMark) -> bool {
        let inference = &self.lowering.inference;
        let Some(journal) = &inference.journal else { return false };
        journal[mark.journal..].iter().any(|change| match change {
            // A root attached under another keeps the value its class had.
            Undo::Parent(v, old) => {
                (*v as usize) < mark.dims && old == v && inference.values[*v as usize] == DimValue::Free
            }
            Undo::Value(v, old) => (*v as usize) < mark.dims && *old == DimValue::Free,
            Undo::NamedDim(_) => false,
        })
    }

    /// `true` if the last statement introduced a name (of a symbol or a
    /// dimension) that the workspace gave a free dimension.
    fn takes_a_free_name(&self, mark: &WorkspaceMark) -> bool {
        let inference = &self.lowering.inference;
        let new_dims = inference.journal.as_ref().map_or(&[][..], |j| &j[mark.journal..]);
        inference.order[mark.order..].iter().any(|n| self.free_chosen.contains(n))
            || new_dims.iter().any(|c| matches!(c, Undo::NamedDim(n) if self.free_chosen.contains(n)))
    }

    /// Names the free dimensions of the symbols from `order[from..]`.
    fn name_free_dims(&mut self, from: usize) {
        let names: Vec<String> = self.lowering.inference.order[from..].to_vec();
        for name in names {
            let shape = self.lowering.inference.symbols[&name].shape;
            for v in [shape.rows, shape.cols] {
                let root = self.lowering.inference.find(v);
                let free = self.lowering.inference.values[root as usize] == DimValue::Free;
                if !free || self.lowering.free_names.contains_key(&root) {
                    continue;
                }
                while self.taken(&candidate(self.next_candidate)) {
                    self.next_candidate += 1;
                }
                let chosen = candidate(self.next_candidate);
                self.free_chosen.insert(chosen.clone());
                self.lowering.free_names.insert(root, chosen);
                self.free_log.push(root);
            }
        }
    }

    fn taken(&self, name: &str) -> bool {
        let inference = &self.lowering.inference;
        self.free_chosen.contains(name)
            || inference.named_dims.contains_key(name)
            || inference.symbols.contains_key(name)
            || self.lowering.graph.has_dim(name)
    }

    /// Analyses the kept statements and `text` as one program and takes its
    /// state; returns the value of `text`.
    fn rebuild_with(
        &mut self,
        text: &str,
        mark: &WorkspaceMark,
    ) -> std::result::Result<Option<StatementValue>, Failure> {
        let mut texts = self.texts[..mark.texts].to_vec();
        texts.push(text.to_string());
        let start = texts[..texts.len() - 1].iter().map(|t| t.len() + 1).sum();
        let program = texts.join("\n");
        let failure = |error| Failure::Program { error: Box::new(error), program: program.clone(), start };
        let (lowering, value) = whole_program(&program, self.interrupt.clone()).map_err(failure)?;
        let analysed = self.analysed + texts.len() as u64 - 1;
        let rebuilds = self.rebuilds + 1;
        let mut rebuilt = Workspace::with_lowering(lowering, texts, analysed);
        rebuilt.rebuilds = rebuilds;
        rebuilt.set_interrupt(self.interrupt.clone());
        if let Some(v) = value {
            rebuilt.check_constants(v).map_err(failure)?;
        }
        *self = rebuilt;
        Ok(value)
    }

    fn check_constants(&mut self, value: StatementValue) -> Result<()> {
        self.with_analysis(Some(value), |analysis| analysis.check_constants())
    }

    /// Runs `f` on an [`Analysis`] of the workspace whose value is `value`
    /// (the workspace's graph is lent to it, and returned even if `f`
    /// unwinds).
    pub fn with_analysis<R>(&mut self, value: Option<StatementValue>, f: impl FnOnce(&mut Analysis) -> R) -> R {
        self.lend(value, None, f)
    }

    /// [`Workspace::with_analysis`] with the kept statements as the
    /// analysis's program and source, which [`Analysis::lower_claim`] needs
    /// (it analyses them again: this costs what the history costs).
    pub fn with_program_analysis<R>(
        &mut self,
        value: Option<StatementValue>,
        f: impl FnOnce(&mut Analysis) -> R,
    ) -> Result<R> {
        let source = self.texts.join("\n");
        let program = crate::syntax::parse_whole_program(&source)?;
        Ok(self.lend(value, Some((source, program)), f))
    }

    fn lend<R>(
        &mut self,
        value: Option<StatementValue>,
        program: Option<(String, Program)>,
        f: impl FnOnce(&mut Analysis) -> R,
    ) -> R {
        let lowering = &mut self.lowering;
        let lowered = Lowered {
            graph: std::mem::take(&mut lowering.graph),
            value: value.map(|v| v.value),
            value_span: value.map(|v| v.span),
            value_symbol: value.and_then(|v| v.symbol),
            symbol_spans: std::mem::take(&mut lowering.symbol_spans),
            inferred: std::mem::take(&mut lowering.inferred),
            flipped: lowering.inference.flipped.clone(),
            notes: Vec::new(),
        };
        let (source, program) = program.unwrap_or_else(|| (String::new(), Program { statements: Vec::new() }));
        let mut analysis = Analysis { source, program, lowered };
        let result = catch_unwind(AssertUnwindSafe(|| f(&mut analysis)));
        lowering.graph = analysis.lowered.graph;
        lowering.symbol_spans = analysis.lowered.symbol_spans;
        lowering.inferred = analysis.lowered.inferred;
        result.unwrap_or_else(|payload| resume_unwind(payload))
    }
}

impl WorkspaceMark {
    fn graph_symbols(&self) -> usize {
        self.graph.symbols()
    }
}

/// The lowering state of a whole program.
fn whole_program(source: &str, interrupt: Option<Arc<AtomicBool>>) -> Result<(Lowering, Option<StatementValue>)> {
    crate::stack::run(source.len() > crate::stack::DEEP_SOURCE_BYTES, || {
        let parsed = crate::syntax::parse_whole_program(source)?;
        let (inference, _) = infer_program(&parsed, source)?;
        let mut lowering = Lowering::new(inference);
        lowering.graph.set_interrupt(interrupt);
        let mut value = None;
        for statement in &parsed.statements {
            value = lowering.statement(statement)?;
        }
        Ok((lowering, value))
    })
}
