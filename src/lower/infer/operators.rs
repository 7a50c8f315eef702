//! The shape rules of the binary operators (sums, products, quotients,
//! elementwise operations, with scalar broadcasting) and of the built-in
//! calls (`tr`, `inv`, `diag`, `I(n)`, `grad`, ...), and the errors that
//! say why a shape does not fit.

use super::{binary_spine, is_literal_zero, is_structural, snippet, DimValue, DimVar, Inference, SymRole, TShape};
use crate::ast::{BinaryOp, DimSpec, Expr, ExprKind};
use crate::coeff;
use crate::error::{Error, ErrorKind, Result, Span};
use crate::hints;
use crate::lower::names::closest;
use crate::lower::readings::ScalarUse;
use crate::ops::{self, Arity, Meaning, ShapeRule};

impl Inference {
    pub(super) fn infer_binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr, span: Span) -> Result<TShape> {
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
    pub(super) fn infer_chain(&mut self, e: &Expr) -> Result<TShape> {
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
            BinaryOp::Kron => self.kron_shape(sa, sb, span),
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

    /// Whether every name in `e` is declared or defined (a built-in name
    /// counts as declared); `false` past a depth of 64 (undecided).
    pub(super) fn names_declared(&self, e: &Expr, depth: usize) -> bool {
        if depth > 64 {
            return false;
        }
        match &e.kind {
            ExprKind::Name(name) => self.symbols.get(name).is_none_or(|info| !info.inferred),
            ExprKind::Number(_) => true,
            ExprKind::Negate(a) | ExprKind::Transpose(a) | ExprKind::InverseTranspose(a) => {
                self.names_declared(a, depth + 1)
            }
            ExprKind::Binary(_, a, b) | ExprKind::Power { base: a, exponent: b, .. } => {
                self.names_declared(a, depth + 1) && self.names_declared(b, depth + 1)
            }
            ExprKind::Call { args, .. } => args.iter().all(|a| self.names_declared(a, depth + 1)),
        }
    }

    /// The shape of `base .^ exponent` with an array exponent: the
    /// exponent's, with a scalar base (`2 .^ x`), or the base's, which the
    /// exponent's must equal.
    pub(super) fn array_power_shape(
        &mut self,
        (base, bs): (&Expr, TShape),
        (exponent, es): (&Expr, TShape),
        span: Span,
    ) -> Result<TShape> {
        if self.is_scalar(bs) {
            return Ok(es);
        }
        if self.unify(bs.rows, es.rows) && self.unify(bs.cols, es.cols) {
            return Ok(bs);
        }
        let (tb, te) = (self.shape_text(bs), self.shape_text(es));
        let (nb, ne) = (snippet(&self.source, base.span), snippet(&self.source, exponent.span));
        Err(self.shape_error(
            format!("cannot raise {nb} ({tb}) elementwise to the power {ne} ({te}): shapes differ"),
            (base, bs),
            (exponent, es),
            span,
        ))
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

    pub(super) fn infer_call(&mut self, name: &str, name_span: Span, args: &[Expr], span: Span) -> Result<TShape> {
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
        let Some(builtin) = ops::lookup(name) else {
            return Err(self.unknown_function(name, name_span, args));
        };
        match builtin.arity {
            Arity::Exactly(count) => self.arity(name, args, count, span)?,
            Arity::Dimensions { two, usage } => {
                if args.is_empty() || args.len() > 1 + usize::from(two) {
                    return Err(Error::new(
                        ErrorKind::Arity,
                        format!("`{name}` takes a dimension: write {usage}"),
                        span,
                    ));
                }
            }
        }
        match builtin.shape {
            ShapeRule::Same => self.infer(&args[0]),
            ShapeRule::SameOfSquare { verb } => {
                let s = self.infer(&args[0])?;
                self.require_square(&args[0], s, verb)?;
                Ok(s)
            }
            ShapeRule::Diag => {
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
            ShapeRule::Dimensions => {
                let mut dims = Vec::new();
                for arg in args {
                    dims.push(self.dimension_argument(arg)?);
                }
                if builtin.meaning == Meaning::Commutation {
                    let [m, n] = dims.as_slice() else {
                        return Err(Error::new(
                            ErrorKind::Arity,
                            format!("`{name}` takes two sizes: write K(m, n)"),
                            span,
                        ));
                    };
                    let mn = self.product(*m, *n, span)?;
                    return Ok(TShape { rows: mn, cols: mn });
                }
                if builtin.meaning == Meaning::Duplication {
                    return self.duplication_shape(dims[0], span);
                }
                let square = builtin.meaning == Meaning::Identity;
                Ok(match (square, dims.as_slice()) {
                    (false, [n]) => TShape { rows: *n, cols: self.one() },
                    (false, [m, n]) => TShape { rows: *m, cols: *n },
                    (_, [n]) => TShape { rows: *n, cols: *n },
                    _ => unreachable!("arity checked above"),
                })
            }
            ShapeRule::Derivative => self.infer_derivative(builtin.meaning, name, args),
            ShapeRule::Vec => {
                let s = self.infer(&args[0])?;
                let rows = self.product(s.rows, s.cols, span)?;
                Ok(TShape { rows, cols: self.one() })
            }
            ShapeRule::Kron => {
                let sa = self.infer(&args[0])?;
                let sb = self.infer(&args[1])?;
                self.kron_shape(sa, sb, span)
            }
            ShapeRule::SameOfPair => {
                let sa = self.infer(&args[0])?;
                let sb = self.infer(&args[1])?;
                self.infer_binary_shapes(BinaryOp::Hadamard, (&args[0], sa), (&args[1], sb), span)
            }
            ShapeRule::Scalar
            | ShapeRule::ScalarOfSquare { .. }
            | ShapeRule::SameOfColumn
            | ShapeRule::ScalarOfColumn => {
                let s = self.infer(&args[0])?;
                if self.is_scalar(s) {
                    self.scalar_oddity = true;
                }
                match builtin.shape {
                    ShapeRule::ScalarOfSquare { verb } => {
                        self.require_square(&args[0], s, verb)?;
                        Ok(self.scalar())
                    }
                    ShapeRule::SameOfColumn => {
                        self.require_column(&args[0], s, builtin.name)?;
                        Ok(s)
                    }
                    ShapeRule::ScalarOfColumn => {
                        self.require_column(&args[0], s, builtin.name)?;
                        Ok(self.scalar())
                    }
                    _ => Ok(self.scalar()),
                }
            }
        }
    }

    /// The shape of `grad(e, x)`, `jacobian(e, x)` or `hessian(e, x)`.
    fn infer_derivative(&mut self, meaning: Meaning, name: &str, args: &[Expr]) -> Result<TShape> {
        // `grad(f, W h + h)`: the gradient of the opaque function `f`
        // at an argument, as matcalc prints an upstream gradient.
        let gradient = meaning == Meaning::Gradient;
        let of_function = gradient
            && matches!(&args[0].kind, ExprKind::Name(l) if self.symbols.get(l).is_some_and(|s| s.role == SymRole::Function));
        let se = if of_function { self.scalar() } else { self.infer(&args[0])? };
        let sx = self.infer(&args[1])?;
        // `grad(L, W h + h)`: the upstream gradient through an opaque
        // function applied to an unnamed argument (as matcalc prints it).
        let upstream_form = of_function
            || gradient
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
        match meaning {
            Meaning::Gradient => {
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
            Meaning::Jacobian => {
                // ∂vec(e)/∂vec(x)ᵀ: the entries of e by the entries of x
                // (of vech(S) for a symmetric S).
                let rows = self.product(se.rows, se.cols, args[0].span)?;
                let cols = self.free_entries(&args[1], sx)?;
                Ok(TShape { rows, cols })
            }
            _ => {
                if !self.is_scalar(se) {
                    let t = self.shape_text(se);
                    return Err(Error::new(
                        ErrorKind::Shape,
                        format!("hessian needs a scalar expression, but `{e_text}` is {t}"),
                        args[0].span,
                    )
                    .with_help(format!(
                        "its second derivative is the Jacobian of its Jacobian, ∂vec(J)/∂vec(x)ᵀ: \
                         jacobian(jacobian({e_text}, {x}), {x})",
                        x = snippet(&self.source, args[1].span)
                    )));
                }
                // With respect to vech(S) both ways for a symmetric S.
                let n = self.free_entries(&args[1], sx)?;
                Ok(TShape { rows: n, cols: n })
            }
        }
    }

    /// How many entries a Jacobian or Hessian with respect to `x` (of the
    /// shape `sx`) counts: all of them, or n(n+1)/2 for a symmetric n×n
    /// matrix (its vech).
    fn free_entries(&mut self, x: &Expr, sx: TShape) -> Result<DimVar> {
        let symmetric = matches!(&x.kind, ExprKind::Name(name)
            if self.symbols.get(name).is_some_and(|s| s.role == SymRole::Input { symmetric: true }));
        if symmetric && !self.is_one(sx.rows) {
            self.triangle(sx.rows, x.span)
        } else {
            self.product(sx.rows, sx.cols, x.span)
        }
    }

    /// The shape of `kron(a, b)` (a 1×1 factor scales the other).
    pub(super) fn kron_shape(&mut self, sa: TShape, sb: TShape, span: Span) -> Result<TShape> {
        let rows = self.product(sa.rows, sb.rows, span)?;
        let cols = self.product(sa.cols, sb.cols, span)?;
        Ok(TShape { rows, cols })
    }

    /// The error for a call of a name that is neither the program's nor built in.
    fn unknown_function(&self, name: &str, name_span: Span, args: &[Expr]) -> Error {
        let err = Error::new(ErrorKind::UnknownName, format!("unknown function `{name}`"), name_span);
        let arguments: Vec<String> = args.iter().take(4).map(|a| snippet(&self.source, a.span)).collect();
        if let Some(help) = hints::foreign_function(name, &arguments) {
            err.with_help(help)
        } else if let Some(close) = closest(name, ops::names()) {
            err.with_help(format!("did you mean `{close}`?"))
        } else {
            err.with_help("declare it with `name: function` for an opaque function")
        }
    }

    /// The shape of `D(n)`, n² × n(n+1)/2.
    fn duplication_shape(&mut self, n: DimVar, span: Span) -> Result<TShape> {
        let rows = self.product(n, n, span)?;
        let cols = self.triangle(n, span)?;
        Ok(TShape { rows, cols })
    }

    fn dimension_argument(&mut self, arg: &Expr) -> Result<DimVar> {
        let v = self.dimension_value(arg)?;
        let one = self.one();
        self.node_shapes.insert((arg.span.start, arg.span.end), TShape { rows: v, cols: one });
        Ok(v)
    }

    /// The size a dimension argument writes: a name, a positive integer,
    /// or a product of them (`m n`, `2 n`), with triangular numbers
    /// n(n+1)/2 as matcalc prints them (`n (n + 1)/2`, `m n (n + 1)/2`).
    fn dimension_value(&mut self, arg: &Expr) -> Result<DimVar> {
        if let Some(v) = self.triangular_dimension(arg)? {
            return Ok(v);
        }
        match &arg.kind {
            ExprKind::Binary(BinaryOp::Multiply, a, b) => {
                let (a, b) = (self.dimension_value(a)?, self.dimension_value(b)?);
                self.product(a, b, arg.span)
            }
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
                self.dim_of_spec(&spec)
            }
            _ => Err(Error::new(
                ErrorKind::Value,
                "a dimension must be a name, a positive integer or a product of them (`m n`)",
                arg.span,
            )),
        }
    }

    /// A size written with triangular numbers, `n (n + 1)/2` (any product
    /// of names, numbers and n + 1 over a number, each n + 1 paired with an
    /// n and a halving): `None` for a size without an n + 1 or a division.
    fn triangular_dimension(&mut self, arg: &Expr) -> Result<Option<DimVar>> {
        let mut parts = SizeParts { fixed: 1, denominator: 1, names: Vec::new(), successors: Vec::new() };
        if !parts.collect(arg, false) || (parts.successors.is_empty() && parts.denominator == 1) {
            return Ok(None);
        }
        let invalid = || {
            Error::new(
                ErrorKind::Value,
                "a size with n + 1 or a division must be a product of names, numbers and triangular numbers \
                 n (n + 1)/2",
                arg.span,
            )
        };
        // Each n + 1 takes an n with it: n (n + 1) is twice a triangular number.
        let mut triangles = Vec::new();
        for (name, span) in std::mem::take(&mut parts.successors) {
            let Some(at) = parts.names.iter().position(|(n, _)| *n == name) else { return Err(invalid()) };
            parts.names.remove(at);
            triangles.push(Expr { kind: ExprKind::Name(name), span });
        }
        // fixed / denominator times 2 per triangular number must be whole.
        let numerator = (0..triangles.len()).try_fold(parts.fixed, |acc, _| acc.checked_mul(2)).ok_or_else(invalid)?;
        if !numerator.is_multiple_of(parts.denominator) {
            return Err(invalid());
        }
        let mut size = self.fresh(DimValue::Fixed(numerator / parts.denominator));
        for (name, span) in parts.names {
            let factor = self.dimension_value(&Expr { kind: ExprKind::Name(name), span })?;
            size = self.product(size, factor, arg.span)?;
        }
        for n in &triangles {
            let n = self.dimension_value(n)?;
            let factor = self.triangle(n, arg.span)?;
            size = self.product(size, factor, arg.span)?;
        }
        Ok(Some(size))
    }
}

/// The factors of a size written as a product over a number.
struct SizeParts {
    fixed: u64,
    denominator: u64,
    names: Vec<(String, Span)>,
    /// The names n of factors n + 1.
    successors: Vec<(String, Span)>,
}

impl SizeParts {
    /// Adds the factors of `e` (under a division's right side when
    /// `divisor`); `false` where `e` is not such a product.
    fn collect(&mut self, e: &Expr, divisor: bool) -> bool {
        match &e.kind {
            ExprKind::Binary(BinaryOp::Multiply, a, b) => self.collect(a, divisor) && self.collect(b, divisor),
            ExprKind::Binary(BinaryOp::Divide, a, b) if !divisor => self.collect(a, false) && self.collect(b, true),
            ExprKind::Number(c) => match coeff::to_i64(c) {
                Some(n) if n > 0 => {
                    let slot = if divisor { &mut self.denominator } else { &mut self.fixed };
                    match slot.checked_mul(n as u64) {
                        Some(v) => {
                            *slot = v;
                            true
                        }
                        None => false,
                    }
                }
                _ => false,
            },
            ExprKind::Name(name) if !divisor => {
                self.names.push((name.clone(), e.span));
                true
            }
            ExprKind::Binary(BinaryOp::Add, a, b) if !divisor => match (&a.kind, &b.kind) {
                (ExprKind::Name(n), ExprKind::Number(c)) | (ExprKind::Number(c), ExprKind::Name(n))
                    if coeff::to_i64(c) == Some(1) =>
                {
                    self.successors.push((n.clone(), e.span));
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }
}
