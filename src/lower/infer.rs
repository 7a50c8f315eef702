//! Shape inference: a union-find over symbolic dimensions (`Inference`),
//! the shapes of names, declarations and definitions, and the walk that
//! gives every expression its shape (keyed by span for lowering). The shape
//! rules of the operators and built-in calls are in `operators`. Every
//! change to the union-find can be journalled, so a workspace can undo a
//! statement.

use crate::ir::FastMap;

use super::names::is_greek_name;
use super::readings::ScalarUse;
use crate::ast::{BinaryOp, DimSpec, Expr, ExprKind, Kind, Statement};
use crate::coeff;
use crate::error::{Error, ErrorKind, Note, Result, Span};
use crate::hints;
use crate::ops::{self, Builtin, Func, Meaning};

mod operators;
mod products;

pub(super) use products::Factor;

pub(super) type DimVar = u32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum DimValue {
    Free,
    Fixed(u64),
    Named(String),
    /// The product of the sizes of these classes (see `products`).
    Product(Vec<DimVar>),
    /// The triangular number n(n+1)/2 of this class's size (see `products`).
    Triangle(DimVar),
}

#[derive(Clone, Copy, Debug)]
pub(super) struct TShape {
    pub(super) rows: DimVar,
    pub(super) cols: DimVar,
}

#[derive(Clone, Debug)]
pub(super) struct SymInfo {
    pub(super) shape: TShape,
    pub(super) role: SymRole,
    pub(super) span: Span,
    pub(super) inferred: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SymRole {
    Input { symmetric: bool },
    Definition,
    Function,
}

pub(super) struct Inference {
    pub(super) source: String,
    pub(super) parent: Vec<DimVar>,
    pub(super) values: Vec<DimValue>,
    pub(super) named_dims: FastMap<String, DimVar>,
    pub(super) symbols: FastMap<String, SymInfo>,
    pub(super) order: Vec<String>,
    /// Inferred shapes of `I`, `ones` and similar nodes, keyed by span.
    pub(super) node_shapes: FastMap<(usize, usize), TShape>,
    pub(super) depth: usize,
    /// Undeclared names whose kind is the opposite of the naming convention.
    pub(super) flipped: Vec<String>,
    /// How often a named scalar was broadcast in a sum (`y - X theta` with
    /// a scalar `y`): a reading with fewer is more plausible.
    pub(super) broadcasts: usize,
    /// Set while inferring a claim: a name or size the program does not
    /// have is an error, not a new variable.
    pub(super) closed: bool,
    /// The program's size names (with those inference chose), for a closed claim.
    pub(super) known_dims: Vec<String>,
    /// When set, every change to the union-find and the named dimensions,
    /// so that a [`Workspace`] can undo a statement.
    pub(super) journal: Option<Vec<Undo>>,
    /// Undeclared vector-by-default names used beside a scalar expression.
    pub(super) scalar_wanted: Vec<ScalarUse>,
    /// Whether a name flipped to a scalar was broadcast over a vector or
    /// matrix in a sum or elementwise operation (an implausible reading).
    pub(super) flipped_broadcast: bool,
    /// The shape of the last statement: the program's value.
    pub(super) value_shape: Option<TShape>,
    /// Whether a scalar was reduced (`sum(k)`, `norm2(k)`) or transposed:
    /// what nobody writes of a number, so an implausible reading.
    pub(super) scalar_oddity: bool,
    /// Notes for the user.
    pub(super) notes: Vec<Note>,
}

/// One change to the inference state, as recorded for undoing it.
#[derive(Clone, Debug)]
pub(super) enum Undo {
    /// `parent[.0]` was `.1`.
    Parent(DimVar, DimVar),
    /// `values[.0]` was `.1`.
    Value(DimVar, DimValue),
    /// The named dimension `.0` was added.
    NamedDim(String),
}

/// Whether a class's value is compared by its normal form: a product or
/// a triangular number.
fn compound(v: &DimValue) -> bool {
    matches!(v, DimValue::Product(_) | DimValue::Triangle(_))
}

/// `true` for a compound expression over names (`x'*A*x`, `sum(x)`): its
/// kind comes from its structure, not from one name's spelling or a literal.
fn is_structural(e: &Expr) -> bool {
    pub(super) fn has_name(e: &Expr) -> bool {
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

pub(super) fn snippet(source: &str, span: Span) -> String {
    let text = source.get(span.start..span.end).unwrap_or("").trim();
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(39).collect::<String>())
    } else {
        text
    }
}

impl Inference {
    pub(super) fn new(source: &str) -> Inference {
        Inference {
            source: source.to_string(),
            parent: Vec::new(),
            values: Vec::new(),
            named_dims: FastMap::default(),
            symbols: FastMap::default(),
            order: Vec::new(),
            node_shapes: FastMap::default(),
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

    pub(super) fn record(&mut self, undo: Undo) {
        if let Some(journal) = &mut self.journal {
            journal.push(undo);
        }
    }

    pub(super) fn set_parent(&mut self, v: DimVar, parent: DimVar) {
        let old = self.parent[v as usize];
        if old != parent {
            self.record(Undo::Parent(v, old));
            self.parent[v as usize] = parent;
        }
    }

    pub(super) fn fresh(&mut self, value: DimValue) -> DimVar {
        self.parent.push(self.parent.len() as DimVar);
        self.values.push(value);
        self.parent.len() as DimVar - 1
    }

    pub(super) fn one(&mut self) -> DimVar {
        self.fresh(DimValue::Fixed(1))
    }

    pub(super) fn scalar(&mut self) -> TShape {
        TShape { rows: self.one(), cols: self.one() }
    }

    pub(super) fn find(&mut self, mut v: DimVar) -> DimVar {
        while self.parent[v as usize] != v {
            let grand = self.parent[self.parent[v as usize] as usize];
            self.set_parent(v, grand);
            v = grand;
        }
        v
    }

    pub(super) fn value(&mut self, v: DimVar) -> DimValue {
        let root = self.find(v);
        self.values[root as usize].clone()
    }

    pub(super) fn is_one(&mut self, v: DimVar) -> bool {
        self.value(v) == DimValue::Fixed(1)
    }

    pub(super) fn is_scalar(&mut self, s: TShape) -> bool {
        self.is_one(s.rows) && self.is_one(s.cols)
    }

    pub(super) fn unify(&mut self, a: DimVar, b: DimVar) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        let merged = match (self.values[ra as usize].clone(), self.values[rb as usize].clone()) {
            (DimValue::Free, DimValue::Fixed(1)) | (DimValue::Fixed(1), DimValue::Free) => return false,
            (DimValue::Free, other) | (other, DimValue::Free) => {
                // A size is never a product of itself and others.
                let (free, product) = if self.values[ra as usize] == DimValue::Free { (ra, rb) } else { (rb, ra) };
                if matches!(other, DimValue::Product(_) | DimValue::Triangle(_)) {
                    let factors = self.normal_form(product).1;
                    if factors.contains(&Factor::Free(free)) || factors.contains(&Factor::Triangle(free)) {
                        return false;
                    }
                }
                other
            }
            (x, y) if x == y => x,
            // n(n+1)/2 = m(m+1)/2 exactly where n = m.
            (DimValue::Triangle(a), DimValue::Triangle(b)) => {
                if !self.unify(a, b) {
                    return false;
                }
                DimValue::Triangle(a)
            }
            (x, y) if compound(&x) || compound(&y) => {
                if self.normal_form(ra) != self.normal_form(rb) {
                    return false;
                }
                // The plainer value stays (`m` for `m 1`).
                if compound(&x) {
                    y
                } else {
                    x
                }
            }
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

    pub(super) fn dim_text(&mut self, v: DimVar) -> String {
        match self.value(v) {
            DimValue::Fixed(n) => n.to_string(),
            DimValue::Named(name) => name,
            DimValue::Free => "?".to_string(),
            DimValue::Product(_) | DimValue::Triangle(_) => self.product_text(v, "·", "+"),
        }
    }

    pub(super) fn shape_text(&mut self, s: TShape) -> String {
        format!("{}×{}", self.dim_text(s.rows), self.dim_text(s.cols))
    }

    pub(super) fn dim_of_spec(&mut self, spec: &Option<DimSpec>) -> Result<DimVar> {
        Ok(match spec {
            None => self.fresh(DimValue::Free),
            Some(DimSpec::Fixed(n, _)) => self.fresh(DimValue::Fixed(*n)),
            Some(DimSpec::Product(factors, span)) => {
                let mut product = self.one();
                for factor in factors {
                    let factor = self.dim_of_spec(&Some(factor.clone()))?;
                    product = self.product(product, factor, *span)?;
                }
                product
            }
            Some(DimSpec::Triangle(name, span)) => {
                let n = self.dim_of_spec(&Some(DimSpec::Named(name.clone(), *span)))?;
                self.triangle(n, *span)?
            }
            Some(DimSpec::Named(name, _)) => {
                if let Some(&v) = self.named_dims.get(name) {
                    return Ok(v);
                }
                let v = self.fresh(DimValue::Named(name.clone()));
                self.named_dims.insert(name.clone(), v);
                self.record(Undo::NamedDim(name.clone()));
                v
            }
        })
    }

    pub(super) fn statement(&mut self, statement: &Statement) -> Result<()> {
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
    pub(super) fn value_kind(&mut self) -> Option<(bool, bool)> {
        let shape = self.value_shape?;
        Some((self.is_one(shape.rows), self.is_one(shape.cols)))
    }

    pub(super) fn check_new_name(&mut self, name: &str, span: Span) -> Result<()> {
        if let Some(builtin) = ops::lookup(name).filter(|b| !b.shadowable()) {
            // One name, one meaning: `I: matrix(n, n)` would make `I + I` of
            // a result ambiguous.
            return Err(Error::new(ErrorKind::Redefinition, format!("`{name}` is {}", builtin.summary), span)
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

    pub(super) fn declare(&mut self, name: &str, kind: &Kind, span: Span) -> Result<()> {
        self.check_new_name(name, span)?;
        let (shape, role) = match kind {
            Kind::Scalar => (self.scalar(), SymRole::Input { symmetric: false }),
            Kind::Vector(n) => {
                let rows = self.dim_of_spec(n)?;
                (TShape { rows, cols: self.one() }, SymRole::Input { symmetric: false })
            }
            Kind::Matrix(m, n) => {
                let rows = self.dim_of_spec(m)?;
                let cols = self.dim_of_spec(n)?;
                (TShape { rows, cols }, SymRole::Input { symmetric: false })
            }
            Kind::Symmetric(n) => {
                let d = self.dim_of_spec(n)?;
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
    pub(super) fn default_vector_leaf(&self, e: &Expr) -> Option<(String, Span)> {
        match &e.kind {
            ExprKind::Name(name) => self.vector_by_default(name).then(|| (name.clone(), e.span)),
            ExprKind::Negate(a) => self.default_vector_leaf(a),
            ExprKind::Call { name, args, .. }
                if args.len() == 1 && ops::lookup(name).and_then(Builtin::func).is_some_and(Func::is_elementwise) =>
            {
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
    pub(super) fn refuse_leibniz_notation(&self, a: &Expr, b: &Expr) -> Result<()> {
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
    pub(super) fn vector_by_default(&self, name: &str) -> bool {
        let lower = name.chars().next().is_some_and(|c| !c.is_uppercase());
        self.symbols.get(name).is_some_and(|info| info.inferred)
            && lower
            && !is_greek_name(name)
            && !self.flipped.iter().any(|f| f == name)
    }

    pub(super) fn auto_symbol(&mut self, name: &str, span: Span) -> TShape {
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

    pub(super) fn shape_error(
        &mut self,
        message: String,
        lhs: (&Expr, TShape),
        rhs: (&Expr, TShape),
        span: Span,
    ) -> Error {
        let (lt, rt) = (self.shape_text(lhs.1), self.shape_text(rhs.1));
        Error::new(ErrorKind::Shape, message, span).with_label(lhs.0.span, lt).with_label(rhs.0.span, rt)
    }

    pub(super) fn infer(&mut self, e: &Expr) -> Result<TShape> {
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

    pub(super) fn infer_inner(&mut self, e: &Expr) -> Result<TShape> {
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
                // An array exponent, of declared names only: an undeclared
                // name in an exponent is a scalar (`x .^ k`), not a vector
                // or matrix by its spelling.
                if *elementwise && !self.is_scalar(es) && self.names_declared(exponent, 0) {
                    return self.array_power_shape((base, bs), (exponent, es), e.span);
                }
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

    pub(super) fn infer_name(&mut self, name: &str, span: Span) -> Result<TShape> {
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
        match ops::lookup(name).filter(|b| !b.shadowable()).map(|builtin| builtin.meaning) {
            Some(Meaning::Identity) => {
                let n = self.fresh(DimValue::Free);
                Ok(TShape { rows: n, cols: n })
            }
            Some(Meaning::Ones) => {
                let n = self.fresh(DimValue::Free);
                Ok(TShape { rows: n, cols: self.one() })
            }
            Some(_) => Err(Error::new(
                ErrorKind::Arity,
                format!("`{name}` is a function; call it with arguments, as in `{name}(x)`"),
                span,
            )),
            None if self.closed => {
                Err(Error::new(ErrorKind::UnknownName, format!("`{name}` is not a name of the program"), span)
                    .with_help("a claim uses the program's names, and names it defines itself (`t1 = …; …`)"))
            }
            None => Ok(self.auto_symbol(name, span)),
        }
    }

    pub(super) fn require_square(&mut self, e: &Expr, s: TShape, verb: &str) -> Result<()> {
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

    pub(super) fn require_column(&mut self, e: &Expr, s: TShape, what: &str) -> Result<()> {
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

pub(super) fn constant_integer(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Number(c) => coeff::to_i64(c),
        ExprKind::Negate(a) => constant_integer(a).map(|n| -n),
        _ => None,
    }
}
