//! Lowering (`Lowering`): the inferred program built into the graph
//! through the canonicalising constructors, with the dimensions inference
//! left free named (`m`, `n`, ...), sums, products and Hadamard chains built
//! by one constructor call each, matrix powers expanded within their bound,
//! and `grad`/`jacobian`/`hessian` in the source differentiated.

use crate::ir::{FastMap, FastSet};

use super::infer::{constant_integer, DimValue, DimVar, Inference, SymRole, TShape};
use super::{StatementValue, MAX_MATRIX_POWER};
use crate::ast::{BinaryOp, Expr, ExprKind, Kind, Statement};
use crate::coeff;
use crate::diff;
use crate::error::{Error, ErrorKind, Result, Span};
use crate::ir::{ExprId, Func, Graph, Node, Role, Symbol, SymbolId};
use crate::ops::{self, Meaning};
use crate::shape::{Dim, Shape};

pub(super) struct Lowering {
    pub(super) inference: Inference,
    pub(super) graph: Graph,
    pub(super) symbols: FastMap<String, SymbolId>,
    pub(super) symbol_spans: Vec<Span>,
    pub(super) inferred: Vec<bool>,
    pub(super) free_names: FastMap<DimVar, String>,
    pub(super) depth: usize,
    /// A claim's own definitions, standing for their values.
    pub(super) locals: FastMap<String, ExprId>,
    /// The product of the integer matrix powers around the expression being
    /// lowered (`(A^4)^8` lowers `A` with 32): nested powers flatten into one
    /// product, so they are bounded together by [`MAX_MATRIX_POWER`].
    pub(super) power_multiplicity: u64,
    /// The outermost of the nested matrix powers being lowered.
    pub(super) outermost_power: Span,
}

impl Lowering {
    pub(super) fn new(inference: Inference) -> Lowering {
        let mut lowering = Lowering {
            inference,
            graph: Graph::new(),
            symbols: FastMap::default(),
            symbol_spans: Vec::new(),
            inferred: Vec::new(),
            free_names: FastMap::default(),
            depth: 0,
            locals: FastMap::default(),
            power_multiplicity: 1,
            outermost_power: Span::default(),
        };
        lowering.finish_dims();
        lowering
    }

    /// Names the dimensions left free by inference (`m`, `n`, `p`, ...).
    pub(super) fn finish_dims(&mut self) {
        // The names a free dimension may get, in order of preference, made
        // only when needed (most programs have no free dimension).
        const LETTERS: [&str; 9] = ["m", "n", "p", "q", "r", "s", "t", "k", "l"];
        const CANDIDATES: usize = LETTERS.len() + 999;
        let candidate = |i: usize| match LETTERS.get(i) {
            Some(letter) => letter.to_string(),
            None => format!("d{}", i - LETTERS.len() + 1),
        };
        let free = |l: &mut Lowering, v: DimVar| {
            let root = l.inference.find(v);
            l.inference.values[root as usize] == DimValue::Free && !l.free_names.contains_key(&root)
        };
        let order = self.inference.order.clone();
        let unnamed = order.iter().any(|name| {
            let shape = self.inference.symbols[name].shape;
            free(self, shape.rows) || free(self, shape.cols)
        });
        if !unnamed {
            return;
        }
        let mut used: FastSet<String> = self.inference.named_dims.keys().cloned().collect();
        used.extend(self.inference.symbols.keys().cloned());
        used.extend(self.graph.dim_names().iter().cloned());
        // Candidates before `next` are all used (`used` only grows).
        let mut next = 0;
        let mut chosen_at = FastSet::default();
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

    pub(super) fn dim(&mut self, v: DimVar) -> Dim {
        let root = self.inference.find(v);
        match self.inference.values[root as usize].clone() {
            DimValue::Fixed(n) => Dim::Fixed(n),
            DimValue::Named(name) => Dim::Named(self.graph.add_dim(name)),
            DimValue::Triangle(n) => {
                let n = self.dim(n);
                self.graph.dim_triangle(n)
            }
            DimValue::Product(parts) => {
                let mut product = Dim::ONE;
                for part in parts {
                    let d = self.dim(part);
                    product = self.graph.dim_times(product, d);
                }
                product
            }
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

    pub(super) fn shape_of(&mut self, s: TShape) -> Shape {
        Shape::new(self.dim(s.rows), self.dim(s.cols))
    }

    pub(super) fn record_symbol(&mut self, name: &str, sid: SymbolId, span: Span, inferred: bool) {
        self.symbols.insert(name.to_string(), sid);
        while self.symbol_spans.len() <= sid.0 as usize {
            self.symbol_spans.push(Span::default());
            self.inferred.push(false);
        }
        self.symbol_spans[sid.0 as usize] = span;
        self.inferred[sid.0 as usize] = inferred;
    }

    pub(super) fn declare(&mut self, name: &str, kind: &Kind, span: Span) {
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

    pub(super) fn symbol(&mut self, name: &str, span: Span) -> Result<SymbolId> {
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
    pub(super) fn statement(&mut self, statement: &Statement) -> Result<Option<StatementValue>> {
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

    pub(super) fn node_shape(&mut self, e: &Expr) -> Result<Shape> {
        let s = self
            .inference
            .node_shapes
            .get(&(e.span.start, e.span.end))
            .copied()
            .ok_or_else(|| Error::new(ErrorKind::Shape, "cannot infer the shape of this expression", e.span))?;
        Ok(self.shape_of(s))
    }

    pub(super) fn expr(&mut self, e: &Expr) -> Result<ExprId> {
        self.depth += 1;
        if self.depth > crate::syntax::MAX_NESTING * 4 {
            self.depth -= 1;
            return Err(Error::new(ErrorKind::Limit, "expression nested too deeply", e.span));
        }
        let result = self.expr_inner(e).map_err(|err| err.or_span(e.span));
        self.depth -= 1;
        result
    }

    pub(super) fn expr_inner(&mut self, e: &Expr) -> Result<ExprId> {
        match &e.kind {
            ExprKind::Number(c) => Ok(self.graph.constant(c.clone())),
            ExprKind::Name(name) if self.locals.contains_key(name) => Ok(self.locals[name]),
            ExprKind::Name(name) => {
                if !self.symbols.contains_key(name) {
                    match ops::lookup(name).map(|builtin| builtin.meaning) {
                        Some(Meaning::Identity) => {
                            let s = self.node_shape(e)?;
                            return Ok(self.graph.identity(s.rows));
                        }
                        Some(Meaning::Ones) => {
                            let s = self.node_shape(e)?;
                            return Ok(self.graph.ones(s));
                        }
                        _ => {}
                    }
                }
                let sid = self.symbol(name, e.span)?;
                Ok(self.graph.var(sid))
            }
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
            ExprKind::Binary(BinaryOp::Kron, a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                Ok(self.graph.kron(a, b))
            }
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
                if *elementwise && !self.graph.shape(x).is_scalar() {
                    return Ok(array_power(&mut self.graph, b, x));
                }
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
    pub(super) fn inferred_scalar(&mut self, e: &Expr) -> bool {
        match self.inference.node_shapes.get(&(e.span.start, e.span.end)).copied() {
            Some(shape) => self.inference.is_scalar(shape),
            None => false,
        }
    }

    /// The exponent of `base ^ exponent` if it is a matrix power that is
    /// expanded into a product, whose size must be within its limit: an
    /// integer exponent (within [`MAX_MATRIX_POWER`]; larger is an error of
    /// its own) on a base that inference found not to be a scalar.
    pub(super) fn expanded_power(&mut self, base: &Expr, exponent: &Expr, elementwise: bool) -> Option<i64> {
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
    pub(super) fn left_spine<'e>(e: &'e Expr, ops: &[BinaryOp]) -> (&'e Expr, Vec<(BinaryOp, &'e Expr)>) {
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
    pub(super) fn sum_chain(&mut self, e: &Expr) -> Result<ExprId> {
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
    pub(super) fn product_chain(&mut self, e: &Expr) -> Result<ExprId> {
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
    pub(super) fn hadamard_chain(&mut self, e: &Expr) -> Result<ExprId> {
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
    pub(super) fn upstream_form(&mut self, loss: &Expr, arg: &Expr) -> Result<Option<ExprId>> {
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

    pub(super) fn upstream_gradient(&mut self, loss: &Expr, arg: &Expr) -> Result<ExprId> {
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

    pub(super) fn call(&mut self, name: &str, name_span: Span, args: &[Expr], e: &Expr) -> Result<ExprId> {
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
        let Some(builtin) = ops::lookup(name) else {
            return Err(Error::new(ErrorKind::UnknownName, format!("unknown function `{name}`"), name_span));
        };
        match builtin.meaning {
            Meaning::Apply(f) => {
                let a = self.expr(&args[0])?;
                Ok(self.graph.apply(f, a))
            }
            Meaning::Inverse => {
                let a = self.expr(&args[0])?;
                Ok(self.graph.inverse(a))
            }
            Meaning::Defined(definition) => {
                let lowered = args.iter().map(|a| self.expr(a)).collect::<Result<Vec<ExprId>>>()?;
                Ok(definition.build(&mut self.graph, &lowered))
            }
            Meaning::Diag => {
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
            Meaning::Identity => {
                let s = self.node_shape(e)?;
                Ok(self.graph.identity(s.rows))
            }
            Meaning::Ones => {
                let s = self.node_shape(e)?;
                Ok(self.graph.ones(s))
            }
            Meaning::Zeros => {
                let s = self.node_shape(e)?;
                Ok(self.graph.zero(s))
            }
            Meaning::Kron => {
                let (a, b) = (self.expr(&args[0])?, self.expr(&args[1])?);
                Ok(self.graph.kron(a, b))
            }
            Meaning::Commutation => {
                let (m, n) = (self.node_shape(&args[0])?.rows, self.node_shape(&args[1])?.rows);
                Ok(self.graph.commutation(m, n))
            }
            Meaning::Duplication => {
                let n = self.node_shape(&args[0])?.rows;
                self.graph
                    .duplication(n)
                    .ok_or_else(|| Error::new(ErrorKind::Limit, "`D(n)` of a product of sizes", e.span))
            }
            Meaning::Gradient | Meaning::Jacobian | Meaning::Hessian => {
                if builtin.meaning == Meaning::Gradient {
                    if let Some(upstream) = self.upstream_form(&args[0], &args[1])? {
                        return Ok(upstream);
                    }
                }
                let ExprKind::Name(var_name) = &args[1].kind else {
                    return self.upstream_gradient(&args[0], &args[1]);
                };
                let body = self.expr(&args[0])?;
                let wrt = self.symbol(var_name, args[1].span)?;
                let result = match builtin.meaning {
                    Meaning::Gradient => diff::gradient(&mut self.graph, body, wrt),
                    Meaning::Jacobian => diff::jacobian(&mut self.graph, body, wrt),
                    _ => diff::hessian(&mut self.graph, body, wrt),
                };
                result.map_err(|err| err.or_span(e.span))
            }
        }
    }
}

/// `b .^ x` with an array exponent `x`: `exp(x .* log(b))`, entry by entry
/// (a scalar base scales: `2 .^ x` is `exp(log(2) x)`). Real for a positive
/// base; its derivatives are those of exp and log.
fn array_power(graph: &mut Graph, b: ExprId, x: ExprId) -> ExprId {
    let log = graph.apply(Func::Log, b);
    let product = if graph.shape(b).is_scalar() { graph.mul(vec![log, x]) } else { graph.hadamard(vec![x, log]) };
    graph.apply(Func::Exp, product)
}
