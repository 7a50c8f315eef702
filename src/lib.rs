//! matcalc: a symbolic matrix-calculus engine.
//!
//! Text → `syntax` (pest + Pratt, spans) → `ast` → `lower` (shape
//! inference by unification, then lowering) → `ir::Graph` (hash-consed
//! DAG, canonical through the constructors of `simplify`) → `diff`
//! (reverse-mode gradients, forward-mode Jacobians, Hessians) → the
//! printers. `eval` and `check` evaluate numerically, for checking only;
//! `verify` decides whether a claimed derivative is right.
//!
//! The one-call entry points, and one analysis for several questions (the
//! README's example):
//!
//! ```
//! let gradient = matcalc::diff("1/2 * norm2(W^T W x - x)", "W", matcalc::Format::Text)?;
//! assert_eq!(gradient, "t1 = (W^T W x - x) x^T\nW (t1 + t1^T)");
//! // One analysis for several questions: derivatives, every printer, steps.
//! let mut analysis = matcalc::analyze("W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)")?;
//! let d = analysis.derivative(None, "W")?;
//! let latex = analysis.print(d.result, matcalc::Format::Latex);
//! # assert!(latex.contains("\\text{where } \\mathbf{t}_1 &= (\\mathbf{W}^\\top"), "{latex}");
//! # let value = matcalc::simplify("(W x)^T W x", matcalc::Format::Unicode)?;
//! # assert_eq!(value, "xᵀ Wᵀ W x");
//! # Ok::<(), matcalc::Error>(())
//! ```
//!
//! For more than one question about a program, [`analyze`] it once and ask
//! the [`Analysis`]:
//!
//! ```
//! let mut analysis = matcalc::analyze("W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)").unwrap();
//! let derivative = analysis.derivative(None, "W").unwrap();
//! let text = analysis.print(derivative.result, matcalc::Format::Text);
//! assert_eq!(text, "t1 = (W^T W x - x) x^T\nW (t1 + t1^T)");
//! let steps = analysis.steps(None, "W", matcalc::Format::Unicode, 100).unwrap();
//! assert!(steps.ends_with("∂f/∂W = ∂f/∂(W x) xᵀ + (∂f/∂(Wᵀ))ᵀ = W ((Wᵀ W x − x) xᵀ + x (Wᵀ W x − x)ᵀ)"));
//! ```
//!
//! A program grown statement by statement (the REPL's, a notebook's) is a
//! [`Session`]; a new definition of a name replaces the old one:
//!
//! ```
//! let mut session = matcalc::Session::new();
//! session.add("W: matrix(m, n); x: vector(n); z = W x; L = sum(z)").unwrap();
//! session.add("z = 2 W x").unwrap();
//! let added = session.add("L").unwrap();
//! assert_eq!(session.value(&added).derivative_text("x", matcalc::Format::Text, 100).unwrap(), "2 W^T ones(m)");
//! ```
//!
//! The printers ([`Format`]): `Text` (the input language; it parses back),
//! `Unicode` (`Wᵀ`, `⊙`, `‖r‖²`, `σ`), `Latex` (bold vectors and matrices,
//! `\top`, `\odot`, `\frac`; [`Analysis::latex`] writes the equation
//! `\nabla_{\mathbf{W}} L = …`), `Numpy` (a Python function of the
//! program's free variables, [`Analysis::numpy`]), `Jax` and `Torch` (the
//! same function in `jax.numpy` and PyTorch), `Dot` and `Tikz` (the
//! computational graph, [`Analysis::dot`], [`Analysis::tikz`]); and the
//! step-by-step derivation, [`Analysis::steps`]. Errors are [`Error`]s with
//! a span; [`Error::render`] draws the caret under the source.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

// The parser pest generates without its `std` feature (which would add a
// native stack probe to every rule call; nesting is bounded before parsing
// by `syntax`) names `alloc`.
extern crate alloc;

pub mod ast;
pub mod check;
pub mod coeff;
pub mod diff;
pub mod error;
pub mod eval;
pub mod graphviz;
pub mod hints;
pub mod input;
pub mod interrupt;
pub mod ir;
pub mod layout;
pub mod lower;
pub mod ops;
pub mod print;
pub mod rules;
pub mod session;
pub mod shape;
pub mod simplify;
pub mod stack;
pub mod steps;
pub mod syntax;
pub mod verify;

pub use error::{Error, ErrorKind, Result, Span};
pub use ir::{ExprId, Graph, SymbolId};
pub use layout::Layout;
pub use print::Format;
pub use session::{Session, SessionError};

use ir::Role;

/// Most operations the derivative may have when written out as a tree for
/// `--steps` (whose lines write each intermediate derivative out in full);
/// a larger one is an [`ErrorKind::Limit`] error. The other printers write
/// shared subterms once, as `t1 = …` definitions, and have no such limit.
pub const MAX_STEPS_NODES: usize = 20_000;
/// Most operations all the lines of a `--steps` derivation may write out
/// together (a deep network's derivation repeats ever longer upstream
/// gradients); beyond it the derivation is an [`ErrorKind::Limit`] error.
pub const MAX_STEPS_WRITTEN: usize = 250_000;
/// Largest written-out size compared when deciding whether the rules'
/// result is shorter (larger sizes compare as equal, and the rules' result
/// is kept).
const MAX_COMPARED_SIZE: usize = 1_000_000;
use lower::Lowered;

/// A program parsed, shape-checked and lowered, ready to differentiate and
/// print.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The program's source text.
    pub source: String,
    /// The parsed program.
    pub program: ast::Program,
    /// The lowered graph and the program's value.
    pub lowered: Lowered,
}

/// Which derivative a [`Derivative`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DerivativeKind {
    /// The gradient of a scalar (shape of the variable).
    Gradient,
    /// The Jacobian of a vector (outputs × inputs).
    Jacobian,
}

/// A computed derivative.
#[derive(Clone, Copy, Debug)]
pub struct Derivative {
    /// Gradient or Jacobian.
    pub kind: DerivativeKind,
    /// The function differentiated.
    pub of: ExprId,
    /// The variable.
    pub wrt: SymbolId,
    /// The simplified result, written with the user's names.
    pub result: ExprId,
    /// The layout a Jacobian is written in ([`Layout::Numerator`] unless
    /// asked for with [`Analysis::derivative_in`]).
    pub layout: Layout,
}

/// A computed differential dF of a value F with respect to a variable X.
#[derive(Clone, Copy, Debug)]
pub struct Differential {
    /// The function differentiated.
    pub of: ExprId,
    /// The variable X.
    pub wrt: SymbolId,
    /// The direction symbol dX, of X's shape.
    pub direction: SymbolId,
    /// dF, simplified and written with the user's names: linear in dX.
    pub result: ExprId,
    /// For a scalar F, its gradient G (dF = tr(Gᵀ dX)), as
    /// [`Analysis::derivative`] gives it.
    pub gradient: Option<ExprId>,
}

/// A symbol's kind and shape, as `matcalc types` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolType {
    /// The symbol's name.
    pub name: String,
    /// `scalar`, `vector(n)`, `matrix(m, n)`, `symmetric(n)` or `function`.
    pub kind: String,
    /// The symbol is a definition (`z = W x`).
    pub definition: bool,
    /// The kind was inferred from the symbol's use, not declared.
    pub inferred: bool,
}

/// The derivative of `program`'s value with respect to `wrt` (a gradient
/// or a Jacobian), printed in `format`.
pub fn diff(program: &str, wrt: &str, format: Format) -> Result<String> {
    let mut analysis = analyze(program)?;
    let derivative = analysis.derivative(None, wrt)?;
    Ok(match format {
        Format::Dot => analysis.dot(None, Some(wrt))?,
        Format::Tikz => analysis.tikz(None, Some(wrt), &print::latex::Latex::default())?,
        format => analysis.print(derivative.result, format),
    })
}

/// The value of `program`, simplified (derivative operators evaluated),
/// printed in `format`.
pub fn simplify(program: &str, format: Format) -> Result<String> {
    let mut analysis = analyze(program)?;
    let value = analysis.simplified(None)?;
    Ok(match format {
        Format::Dot => analysis.dot(None, None)?,
        Format::Tikz => analysis.tikz(None, None, &print::latex::Latex::default())?,
        format => analysis.print(value, format),
    })
}

/// Parses, infers shapes and lowers a program.
pub fn analyze(source: &str) -> Result<Analysis> {
    stack::run(stack::deep_source(source), || analyze_here(source))
}

fn analyze_here(source: &str) -> Result<Analysis> {
    let program = syntax::parse_whole_program(source)?;
    let lowered = lower::lower_program(&program, source)?;
    let analysis = Analysis { source: source.to_string(), program, lowered };
    analysis.check_constants()?;
    Ok(analysis)
}

impl Analysis {
    /// Whether the graph is large enough that work on it moves to a large
    /// stack (see [`stack`]).
    fn deep(&self) -> bool {
        self.graph().len() > stack::DEEP_GRAPH_NODES
    }

    /// The expression graph.
    pub fn graph(&self) -> &Graph {
        &self.lowered.graph
    }

    /// The expression graph, mutably (printing may add nodes).
    pub fn graph_mut(&mut self) -> &mut Graph {
        &mut self.lowered.graph
    }

    /// The program's value, or the value of the definition `of`.
    pub fn value(&self, of: Option<&str>) -> Result<ExprId> {
        match of {
            Some(name) => {
                let sid = self
                    .graph()
                    .find_symbol(name)
                    .ok_or_else(|| Error::bare(ErrorKind::UnknownName, format!("no definition named `{name}`")))?;
                self.graph()
                    .definition_value(sid)
                    .ok_or_else(|| Error::bare(ErrorKind::UnknownName, format!("`{name}` is not a definition")))
            }
            None => self.lowered.value.ok_or_else(|| {
                Error::bare(ErrorKind::Syntax, "the program has no expression or definition to evaluate")
            }),
        }
    }

    /// The symbol whose definition is the value `of` (to keep it from
    /// being printed as its own name).
    fn value_symbol(&self, of: Option<&str>) -> Option<SymbolId> {
        match of {
            Some(name) => self.graph().find_symbol(name),
            None => self.lowered.value_symbol,
        }
    }

    /// The program's value (or definition `of`), simplified and written
    /// with the user's names.
    pub fn simplified(&mut self, of: Option<&str>) -> Result<ExprId> {
        Ok(self.simplified_traced(of)?.0)
    }

    /// [`Analysis::simplified`], with the trace of the rules applied.
    pub fn simplified_traced(&mut self, of: Option<&str>) -> Result<(ExprId, rules::Trace)> {
        stack::run(self.deep(), || {
            let root = self.value(of)?;
            let except = self.value_symbol(of);
            Ok(self.apply_rules(root, except))
        })
    }

    /// `root` rewritten by the standard rules and written with the user's
    /// names (other than `except`); if the rewritten form is longer than
    /// `root` so written, `root` stays (and the trace says so).
    fn apply_rules(&mut self, root: ExprId, except: Option<SymbolId>) -> (ExprId, rules::Trace) {
        let graph = &mut self.lowered.graph;
        let mark = graph.mark();
        let (rewritten, mut trace) = rules::apply_standard(graph, root);
        if (graph.divides_by_zero(), graph.oversized_constant()) != (mark.divides_by_zero(), mark.oversized_constant())
        {
            // A rewrite revealed a zero divisor (the chain rule of
            // `arccos(sum(softmax(x)))` divides by sqrt(1 - 1)) or grew a
            // constant past the limit: the rewrites are forgotten and the
            // result stays as it was.
            graph.rollback(mark);
            trace = rules::Trace { reverted: true, ..rules::Trace::default() };
        }
        let plain = graph.rename_definitions(root, except);
        if rewritten == root || trace.reverted {
            return (plain, trace);
        }
        let named = graph.rename_definitions(rewritten, except);
        if graph.tree_size(named, MAX_COMPARED_SIZE) > graph.tree_size(plain, MAX_COMPARED_SIZE) {
            trace.reverted = true;
            return (plain, trace);
        }
        (named, trace)
    }

    /// `err` pointing at the program's value, if it points nowhere yet.
    fn at_value(&self, err: Error) -> Error {
        match self.lowered.value_span {
            Some(s) => err.or_span(s),
            None => err,
        }
    }

    /// What a derivative of the value (or of definition `of`) with respect
    /// to `wrt` differentiates: with respect to a definition its inputs are
    /// held fixed, so the value that is the definition itself is its name
    /// (derivative 1, or I).
    fn differentiated(&mut self, of: Option<&str>, wrt: SymbolId) -> Result<ExprId> {
        if self.value_symbol(of) == Some(wrt) {
            Ok(self.graph_mut().var(wrt))
        } else {
            self.value(of)
        }
    }

    /// An exact constant beyond [`ir::MAX_CONSTANT_BITS`] (a product or
    /// power of huge numbers) is an error, not a slow crawl; so is a divisor
    /// that simplification showed to be zero.
    fn check_constants(&self) -> Result<()> {
        if self.graph().divides_by_zero() {
            let err = Error::bare(ErrorKind::Value, "division by zero: simplified, a divisor is zero");
            return Err(self.at_value(err));
        }
        if self.graph().oversized_dimension() {
            let err =
                Error::bare(ErrorKind::Limit, format!("a size with more than {} named factors", shape::MAX_FACTORS))
                    .with_help(
                    "matcalc's sizes are products of at most four size names; take the derivative of a smaller part",
                );
            return Err(self.at_value(err));
        }
        if !self.graph().oversized_constant() {
            return Ok(());
        }
        let err =
            Error::bare(ErrorKind::Limit, format!("a number with more than {} digits", ir::MAX_CONSTANT_BITS * 3 / 10))
                .with_help("matcalc computes with exact numbers; keep constants below about 20000 digits");
        Err(self.at_value(err))
    }

    /// A derivation too long to write out (each `--steps` line writes an
    /// intermediate derivative in full, and a small graph can stand for an
    /// exponentially long text) is an error, not a hang.
    fn check_steps_size(&self, id: ExprId) -> Result<()> {
        let size = self.graph().tree_size(id, MAX_STEPS_NODES);
        if size <= MAX_STEPS_NODES {
            return Ok(());
        }
        Err(self.steps_too_long(format!("the derivative has more than {MAX_STEPS_NODES} operations")))
    }

    /// The error for a derivation too long to write out, saying `why`.
    fn steps_too_long(&self, why: String) -> Error {
        let err = Error::bare(ErrorKind::Limit, format!("the derivation is too long to write out: {why}"))
            .with_help("print the derivative without --steps (shared subterms are written once)");
        self.at_value(err)
    }

    /// Looks up a variable to differentiate with respect to.
    pub fn variable(&self, name: &str) -> Result<SymbolId> {
        let graph = self.graph();
        match graph.find_symbol(name) {
            Some(sid) if graph.symbol(sid).role != Role::Function => Ok(sid),
            Some(_) => Err(Error::bare(ErrorKind::UnknownName, format!("`{name}` is a function, not a variable"))),
            None => {
                let names: Vec<String> =
                    graph.symbols().filter(|(_, s)| s.role != Role::Function).map(|(_, s)| s.name.clone()).collect();
                Err(Error::bare(ErrorKind::UnknownName, format!("the program has no variable `{name}`"))
                    .with_help(format!("its variables are: {}", names.join(", "))))
            }
        }
    }

    /// The gradient (scalar value) or Jacobian (vector value) of the
    /// program's value with respect to `wrt`.
    pub fn derivative(&mut self, of: Option<&str>, wrt: &str) -> Result<Derivative> {
        Ok(self.derivative_traced(of, wrt)?.0)
    }

    /// [`Analysis::derivative`], with the trace of the rules applied to it.
    pub fn derivative_traced(&mut self, of: Option<&str>, wrt: &str) -> Result<(Derivative, rules::Trace)> {
        stack::run(self.deep(), || {
            let sid = self.variable(wrt)?;
            let root = self.differentiated(of, sid)?;
            let graph = &mut self.lowered.graph;
            graph.reset_derivative_work();
            let shape = graph.shape(root);
            let (kind, raw) = if shape.is_scalar() {
                (DerivativeKind::Gradient, diff::gradient(graph, root, sid))
            } else {
                (DerivativeKind::Jacobian, diff::jacobian(graph, root, sid))
            };
            let raw = raw.map_err(|e| self.at_value(e))?;
            let (result, trace) = self.apply_rules(raw, None);
            self.check_constants()?;
            Ok((Derivative { kind, of: root, wrt: sid, result, layout: Layout::Numerator }, trace))
        })
    }

    /// The differential of the program's value (or definition `of`) with
    /// respect to `wrt`: an expression linear in a fresh symbol `dX` of
    /// the variable's shape (see [`diff::differential`]).
    pub fn differential(&mut self, of: Option<&str>, wrt: &str) -> Result<Differential> {
        let gradient =
            if self.graph().shape(self.value(of)?).is_scalar() { Some(self.derivative(of, wrt)?.result) } else { None };
        stack::run(self.deep(), || {
            let sid = self.variable(wrt)?;
            let root = self.differentiated(of, sid)?;
            let graph = &mut self.lowered.graph;
            graph.reset_derivative_work();
            let direction = diff::differential::direction(graph, sid);
            let raw = diff::differential::differential(graph, root, sid, direction).map_err(|e| self.at_value(e))?;
            let (result, _) = self.apply_rules(raw, None);
            self.check_constants()?;
            Ok(Differential { of: root, wrt: sid, direction, result, gradient })
        })
    }

    /// Prints `differential` as the equation `dF = …` in text, Unicode or
    /// LaTeX (with `notation`) at `width`: `d(A X B) = A dX B` for an array
    /// F, `dL = tr(G^T dX)` with G the gradient for a scalar (`g^T dx` for
    /// a vector variable, `g dx` for a scalar one). The left side is the
    /// definition's name, or the value written out. Other formats are an
    /// error.
    pub fn print_differential(
        &mut self,
        differential: &Differential,
        of: Option<&str>,
        format: Format,
        notation: &print::latex::Latex,
        width: usize,
    ) -> Result<String> {
        if !matches!(format, Format::Text | Format::Unicode | Format::Latex) {
            return Err(Error::bare(ErrorKind::Differentiation, "a differential prints as text, unicode or latex"));
        }
        let latex = *notation;
        let value = self.simplified(of)?;
        let name = self.value_symbol(of).map(|s| self.graph().symbol(s).name.clone());
        stack::run(self.deep(), || {
            let notation: &dyn print::Notation = match format {
                Format::Text => &print::text::Text,
                Format::Unicode => &print::text::Unicode,
                _ => &latex,
            };
            let graph = &mut self.lowered.graph;
            let direction = graph.var(differential.direction);
            let right = match differential.gradient {
                Some(gradient) => {
                    let wrt_shape = graph.symbol(differential.wrt).shape;
                    let transposed = if wrt_shape.is_scalar() { gradient } else { graph.transpose(gradient) };
                    if graph.is_zero(transposed) {
                        print::differential::Right::Linear(differential.result)
                    } else {
                        let (scalar, transposed) = print::differential::scalar_factor(graph, transposed);
                        let trace = wrt_shape.cols != shape::Dim::ONE;
                        print::differential::Right::Inner { scalar, transposed, direction, trace }
                    }
                }
                None => print::differential::Right::Linear(differential.result),
            };
            let left = match &name {
                Some(n) => print::differential::Left::Name(n, graph.shape(differential.of)),
                None => print::differential::Left::Expression(value),
            };
            Ok(print::differential::render(graph, left, right, notation, format == Format::Latex, width))
        })
    }

    /// The lines of `trace` in the text syntax, `rule: before => after`,
    /// and a last line if the rewritten form was not kept or a bound
    /// stopped the rewriting.
    pub fn trace_lines(&mut self, trace: &rules::Trace) -> Vec<String> {
        stack::run(self.deep(), || {
            let graph = &mut self.lowered.graph;
            let mut lines: Vec<String> = Vec::new();
            for entry in &trace.entries {
                let before = print::render(graph, entry.before, &print::text::Text, usize::MAX);
                let after = print::render(graph, entry.after, &print::text::Text, usize::MAX);
                lines.push(format!("{}: {before} => {after}", entry.rule));
            }
            if let Some(why) = trace.stopped {
                lines.push(format!("(stopped: {why})"));
            }
            if trace.reverted {
                lines.push("(not kept: the rewritten form is longer than the input)".to_string());
            }
            lines
        })
    }

    /// Prints `id` in `format` (text and Unicode at 100 columns).
    pub fn print(&mut self, id: ExprId, format: Format) -> String {
        self.print_width(id, format, 100)
    }

    /// Prints `id` as text on one line: the definitions of its repeated
    /// parts (`t1 = …`) and the result joined by `; `, a program that
    /// parses back.
    pub fn print_one_line(&mut self, id: ExprId) -> String {
        self.print_width(id, Format::Text, usize::MAX).lines().collect::<Vec<_>>().join("; ")
    }

    /// Prints `id` in `format`, breaking lines at `width` columns.
    pub fn print_width(&mut self, id: ExprId, format: Format, width: usize) -> String {
        stack::run(self.deep(), || {
            let graph = &mut self.lowered.graph;
            match format {
                Format::Text => print::bindings::render_shared(graph, id, &print::text::Text, width),
                Format::Unicode => print::bindings::render_shared(graph, id, &print::text::Unicode, width),
                Format::Numpy | Format::Jax | Format::Torch => {
                    let doc = print::bindings::render_shared(graph, id, &print::text::Text, usize::MAX);
                    let library = format.python_library().unwrap_or_default();
                    print::numpy::render(graph, id, "value", &doc, library)
                }
                Format::Latex => print::latex::render(graph, id, &print::latex::Latex::default(), None, width),
                Format::Dot => graphviz::dot(graph, id, None),
                Format::Tikz => graphviz::tikz(graph, id, None, &print::latex::Latex::default()),
            }
        })
    }

    /// Prints `id` as LaTeX with `notation`, as the equation `lhs = …` when
    /// `lhs` is given (an `aligned` block when it breaks at `width`).
    pub fn latex(&mut self, id: ExprId, notation: &print::latex::Latex, lhs: Option<&str>, width: usize) -> String {
        stack::run(self.deep(), || print::latex::render(&mut self.lowered.graph, id, notation, lhs, width))
    }

    /// The name the value (or definition `of`) is known by: its definition's
    /// name, or `f` for an unnamed expression (`L` or `loss` if `f` is taken).
    pub fn value_name(&self, of: Option<&str>) -> String {
        if let Some(sid) = self.value_symbol(of) {
            return self.graph().symbol(sid).name.clone();
        }
        ["f", "L", "loss", "value"]
            .iter()
            .find(|n| self.graph().find_symbol(n).is_none())
            .unwrap_or(&"value")
            .to_string()
    }

    /// The LaTeX left side of `derivative`: `\nabla_{\mathbf{W}} L` or
    /// `\frac{\partial \mathbf{y}}{\partial \mathbf{x}}` (in denominator
    /// layout `\frac{\partial \mathbf{y}^\top}{\partial \mathbf{x}}`).
    pub fn derivative_lhs(&self, derivative: &Derivative, of: Option<&str>) -> String {
        let graph = self.graph();
        let wrt = graph.symbol(derivative.wrt);
        let spellings = print::Spellings::new(graph, &print::latex::Latex::default());
        let (value, value_shape) = (self.value_name(of), graph.shape(derivative.of));
        if derivative.kind == DerivativeKind::Jacobian {
            let symmetric = wrt.role == Role::Input { symmetric: true };
            return print::latex::jacobian_lhs(
                &spellings,
                &value,
                value_shape,
                (&wrt.name, wrt.shape, symmetric),
                derivative.layout,
            );
        }
        print::latex::derivative_lhs(&spellings, &value, value_shape, &wrt.name, wrt.shape, false)
    }

    /// The computational graph of the value (or definition `of`) in Graphviz
    /// `dot`, with the variable `wrt` marked as the parameter.
    pub fn dot(&mut self, of: Option<&str>, wrt: Option<&str>) -> Result<String> {
        stack::run(self.deep(), || {
            let root = self.value(of)?;
            let wrt = wrt.map(|w| self.variable(w)).transpose()?;
            Ok(graphviz::dot(&mut self.lowered.graph, root, wrt))
        })
    }

    /// The computational graph of the value as a TikZ picture.
    pub fn tikz(&mut self, of: Option<&str>, wrt: Option<&str>, notation: &print::latex::Latex) -> Result<String> {
        stack::run(self.deep(), || {
            let root = self.value(of)?;
            let wrt = wrt.map(|w| self.variable(w)).transpose()?;
            Ok(graphviz::tikz(&mut self.lowered.graph, root, wrt, notation))
        })
    }

    /// The computational graph of the value as an SVG picture (the TikZ
    /// drawing's layout, Unicode labels), with the variable `wrt` marked.
    pub fn svg(&mut self, of: Option<&str>, wrt: Option<&str>) -> Result<String> {
        stack::run(self.deep(), || {
            let root = self.value(of)?;
            let wrt = wrt.map(|w| self.variable(w)).transpose()?;
            Ok(graphviz::svg(&mut self.lowered.graph, root, wrt))
        })
    }

    /// The derivation of the gradient of the value (or definition `of`) with
    /// respect to `wrt`, one line per node of the graph, in `format`.
    pub fn steps(&mut self, of: Option<&str>, wrt: &str, format: Format, width: usize) -> Result<String> {
        self.steps_with(of, wrt, format, &print::latex::Latex::default(), width)
    }

    /// [`Analysis::steps`] with LaTeX options.
    pub fn steps_with(
        &mut self,
        of: Option<&str>,
        wrt: &str,
        format: Format,
        latex: &print::latex::Latex,
        width: usize,
    ) -> Result<String> {
        stack::run(self.deep(), || {
            let derivative = self.derivative(of, wrt)?;
            self.check_steps_size(derivative.result)?;
            let loss = self.value_name(of);
            let graph = self.graph();
            let mut derivation =
                steps::derive(graph, derivative.of, derivative.wrt, derivative.result, &loss, MAX_STEPS_WRITTEN)
                    .map_err(|e| if e.kind == ErrorKind::Limit { self.steps_too_long(e.message) } else { e })?;
            Ok(derivation.render(format, latex, width))
        })
    }

    /// The Magnus–Neudecker derivation of the gradient of the value (or
    /// definition `of`) with respect to `wrt` (`diff --steps
    /// --differential`): df, the product and chain rules, the trace rules
    /// that bring it to `tr(G^T dX)`, and G read off, in `format`.
    pub fn differential_steps(
        &mut self,
        of: Option<&str>,
        wrt: &str,
        format: Format,
        latex: &print::latex::Latex,
        width: usize,
    ) -> Result<String> {
        let mut derivation = self.differential_derivation(of, wrt)?;
        Ok(stack::run(self.deep(), || derivation.render(format, latex, width)))
    }

    /// The derivation [`Analysis::differential_steps`] prints, unprinted.
    pub fn differential_derivation(&mut self, of: Option<&str>, wrt: &str) -> Result<steps::differential::Derivation> {
        stack::run(self.deep(), || {
            self.variable(wrt)?;
            let derivative = self.derivative(of, wrt)?;
            self.check_steps_size(derivative.result)?;
            // An unnamed matrix value is F, as textbooks write dF.
            let shape = self.graph().shape(derivative.of);
            let matrix = !shape.is_scalar() && !shape.is_row() && !shape.is_column();
            let loss = if matrix && self.value_symbol(of).is_none() && self.graph().find_symbol("F").is_none() {
                "F".to_string()
            } else {
                self.value_name(of)
            };
            steps::differential::derive(
                self.graph(),
                derivative.of,
                derivative.wrt,
                derivative.result,
                &loss,
                MAX_STEPS_WRITTEN,
            )
            .map_err(|e| {
                if e.kind == ErrorKind::Limit {
                    self.steps_too_long(e.message)
                } else {
                    self.at_value(e)
                }
            })
        })
    }

    /// NumPy source of a function named `name` returning `id`.
    pub fn numpy(&mut self, id: ExprId, name: &str) -> String {
        self.numpy_function(id, name).source
    }

    /// The NumPy function named `name` returning `id`, with what each of its
    /// parameters stands for.
    pub fn numpy_function(&mut self, id: ExprId, name: &str) -> print::numpy::PythonFunction {
        self.python_function(id, name, print::numpy::Library::Numpy)
    }

    /// [`Analysis::numpy_function`] for `library` (NumPy, JAX or PyTorch).
    pub fn python_function(
        &mut self,
        id: ExprId,
        name: &str,
        library: print::numpy::Library,
    ) -> print::numpy::PythonFunction {
        stack::run(self.deep(), || {
            let graph = &mut self.lowered.graph;
            let doc = print::bindings::render_shared(graph, id, &print::text::Text, usize::MAX);
            print::numpy::render_function(graph, id, name, &doc, library)
        })
    }

    /// The NumPy function returning the value (of the definition `of`, or
    /// the program's) and its derivative with respect to each of `wrt`, in
    /// that order, from one forward pass, after checking the arguments'
    /// shapes; named `value_and_grad_W` (`value_and_grad_W1_grad_b1`, ...).
    pub fn numpy_value_and_derivatives(
        &mut self,
        of: Option<&str>,
        wrt: &[&str],
    ) -> Result<print::numpy::PythonFunction> {
        self.python_value_and_derivatives(of, wrt, print::numpy::Library::Numpy)
    }

    /// [`Analysis::numpy_value_and_derivatives`] for `library`.
    pub fn python_value_and_derivatives(
        &mut self,
        of: Option<&str>,
        wrt: &[&str],
        library: print::numpy::Library,
    ) -> Result<print::numpy::PythonFunction> {
        self.python_value_and_derivatives_in(of, wrt, library, Layout::Numerator)
    }

    /// The inferred kind and shape of every symbol, one per line.
    pub fn types(&self) -> String {
        let mut out = String::new();
        for symbol in self.symbol_types() {
            let note = if symbol.definition {
                "  (definition)"
            } else if symbol.inferred {
                "  (inferred)"
            } else {
                ""
            };
            out.push_str(&format!("{}: {}{note}\n", symbol.name, symbol.kind));
        }
        out
    }

    /// The kind and shape of every symbol, in the order of the program.
    pub fn symbol_types(&self) -> Vec<SymbolType> {
        let graph = self.graph();
        let mut out = Vec::new();
        for (sid, symbol) in graph.symbols() {
            let s = symbol.shape;
            let dim = |d| shape::dim_name(d, graph.dim_names());
            let kind = match symbol.role {
                Role::Function => "function".to_string(),
                Role::Input { symmetric: true } => format!("symmetric({})", dim(s.rows)),
                _ if s.is_scalar() => "scalar".to_string(),
                _ if s.cols == shape::Dim::ONE => format!("vector({})", dim(s.rows)),
                _ => format!("matrix({}, {})", dim(s.rows), dim(s.cols)),
            };
            let definition = matches!(symbol.role, Role::Definition(_));
            let inferred = !definition && self.lowered.inferred.get(sid.0 as usize).copied().unwrap_or(false);
            out.push(SymbolType { name: symbol.name.clone(), kind, definition, inferred });
        }
        out
    }

    /// Parses `claim` as an expression over this program's names and
    /// lowers it into the same graph. The expression may follow definitions
    /// of its parts (`t1 = h3 - y`, as large results print); they stand for
    /// their values and leave the program's names unchanged.
    pub fn lower_claim(&mut self, claim: &str) -> Result<ExprId> {
        stack::run(self.deep() || stack::deep_source(claim), || {
            let (mut definitions, expr) = syntax::parse_claim(claim)?;
            // Greek letters read as the program's spelled-out names (`α` is `alpha`).
            definitions.push(ast::Statement::Expr(expr));
            let graph = self.graph();
            let known = |name: &str| graph.find_symbol(name).is_some() || graph.dim_names().iter().any(|d| d == name);
            syntax::respell_greek(&mut definitions, &known);
            let Some(ast::Statement::Expr(expr)) = definitions.pop() else { unreachable!("pushed above") };
            let id = lower::lower_expr_in(&mut self.lowered, &self.program, &definitions, &expr, &self.source, claim)?;
            self.check_constants()?;
            Ok(id)
        })
    }
}
