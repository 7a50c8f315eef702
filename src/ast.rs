//! The surface tree: exactly what the user wrote, every node with its span.
//! Built by `syntax`, read by `lower`; nothing else depends on it.

use crate::coeff::Coeff;
use crate::error::Span;

/// A parsed program: its statements in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// The statements in source order.
    pub statements: Vec<Statement>,
}

/// One statement of a program.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `W, V: matrix(m, n)`
    Declare {
        /// The declared names with their spans.
        names: Vec<(String, Span)>,
        /// The declared kind.
        kind: Kind,
        /// The whole statement.
        span: Span,
    },
    /// `z = W x + b`
    Define {
        /// The defined name.
        name: String,
        /// Where the name stands.
        name_span: Span,
        /// The defining expression.
        value: Expr,
    },
    /// A bare expression.
    Expr(Expr),
}

/// A declared kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `scalar`
    Scalar,
    /// `vector(n)`
    Vector(Option<DimSpec>),
    /// `matrix(m, n)`
    Matrix(Option<DimSpec>, Option<DimSpec>),
    /// `symmetric(n)`
    Symmetric(Option<DimSpec>),
    /// `function`: an opaque differentiable scalar function
    Function,
}

/// A dimension as written in a declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DimSpec {
    /// A dimension name such as `n`.
    Named(String, Span),
    /// A positive integer.
    Fixed(u64, Span),
    /// The triangular number n(n+1)/2 of the named size n, written `n (n + 1)/2`.
    Triangle(String, Span),
    /// A product of sizes, `m n` (two or more factors).
    Product(Vec<DimSpec>, Span),
}

impl DimSpec {
    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            DimSpec::Named(_, span)
            | DimSpec::Fixed(_, span)
            | DimSpec::Triangle(_, span)
            | DimSpec::Product(_, span) => *span,
        }
    }

    /// The names it is written with, in order.
    pub fn names(&self) -> Vec<&str> {
        match self {
            DimSpec::Named(name, _) | DimSpec::Triangle(name, _) => vec![name.as_str()],
            DimSpec::Fixed(..) => Vec::new(),
            DimSpec::Product(factors, _) => factors.iter().flat_map(DimSpec::names).collect(),
        }
    }

    /// The product of its fixed factors (saturating), 1 when it has none.
    pub fn fixed_part(&self) -> u64 {
        match self {
            DimSpec::Named(..) | DimSpec::Triangle(..) => 1,
            DimSpec::Fixed(n, _) => *n,
            DimSpec::Product(factors, _) => factors.iter().fold(1u64, |p, f| p.saturating_mul(f.fixed_part())),
        }
    }
}

/// An expression node with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it stands in the source.
    pub span: Span,
}

impl Expr {
    /// The node's kind, taken out of it.
    pub fn into_kind(mut self) -> ExprKind {
        std::mem::replace(&mut self.kind, ExprKind::Name(String::new()))
    }
}

/// Dropping a tree frees it with an explicit stack: a flat sum of many
/// thousands of terms is a left-deep tree as deep as it is long, which
/// recursive dropping would overflow the stack on.
impl Drop for Expr {
    fn drop(&mut self) {
        if matches!(self.kind, ExprKind::Number(_) | ExprKind::Name(_)) {
            return;
        }
        let take = |e: &mut Expr| std::mem::replace(&mut e.kind, ExprKind::Name(String::new()));
        let mut stack = vec![take(self)];
        while let Some(kind) = stack.pop() {
            match kind {
                ExprKind::Negate(mut a) | ExprKind::Transpose(mut a) | ExprKind::InverseTranspose(mut a) => {
                    stack.push(take(&mut a));
                }
                ExprKind::Binary(_, mut a, mut b) => {
                    stack.push(take(&mut a));
                    stack.push(take(&mut b));
                }
                ExprKind::Power { mut base, mut exponent, .. } => {
                    stack.push(take(&mut base));
                    stack.push(take(&mut exponent));
                }
                ExprKind::Call { args, .. } => {
                    for mut arg in args {
                        stack.push(take(&mut arg));
                    }
                }
                ExprKind::Number(_) | ExprKind::Name(_) => {}
            }
        }
    }
}

/// The kinds of expression node.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An exact number.
    Number(Coeff),
    /// A variable, definition or constant name.
    Name(String),
    /// `f(a, b)`
    Call {
        /// The function name.
        name: String,
        /// Where the name stands.
        name_span: Span,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `-a`
    Negate(Box<Expr>),
    /// `a op b`
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `a^T`, `a'`
    Transpose(Box<Expr>),
    /// `a^-T`
    InverseTranspose(Box<Expr>),
    /// `a^p` (matrix or scalar power) or `a .^ p` (elementwise)
    Power {
        /// The base.
        base: Box<Expr>,
        /// The exponent.
        exponent: Box<Expr>,
        /// `.^` rather than `^`.
        elementwise: bool,
    },
}

/// Infix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Subtract,
    /// `*` or juxtaposition
    Multiply,
    /// `/`
    Divide,
    /// `.*`, `⊙`
    Hadamard,
    /// `./`
    ElementwiseDivide,
    /// `⊗`, the Kronecker product
    Kron,
}

impl BinaryOp {
    /// The operator as the user writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Hadamard => ".*",
            BinaryOp::ElementwiseDivide => "./",
            BinaryOp::Kron => "⊗",
        }
    }
}
