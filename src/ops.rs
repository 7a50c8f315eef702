//! The operator table: one entry per built-in name of the language (`exp`,
//! `tr`, `inv`, `I`, `grad`, ...) owning its spelling and aliases, what a
//! call means, how many arguments it takes, the shape rule of its value and
//! a phrase saying what it is. Name resolution and shape inference
//! (`lower`), "did you mean" suggestions, REPL completion and the
//! printers' names of functions ([`Func::name`]) read this table; nothing
//! else lists built-in names.
//!
//! The elementwise functions' values and derivatives are in `elementwise`,
//! named in their entries; how each printer writes a call (Unicode, LaTeX,
//! a drawn graph's label, generated NumPy and PyTorch) is the entry's
//! [`Notation`].
//!
//! [`Func`] is the payload of a function node in the graph; every `Func` has
//! exactly one entry (both `diag` nodes share the `diag` entry), found in
//! constant time by [`of`].

use crate::eval::Matrix;
use crate::ir::{ExprId, Graph};
use crate::shape::Dim;

mod elementwise;
mod notation;
mod reductions;

pub(crate) use reductions::unvec;

use elementwise::*;
pub use notation::{pieces, LatexForm, Notation, Piece};
use reductions::*;

/// Built-in functions as graph nodes: elementwise ones and reductions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    /// e^x
    Exp,
    /// natural log
    Log,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// tangent
    Tan,
    /// hyperbolic tangent
    Tanh,
    /// inverse sine
    Arcsin,
    /// inverse cosine
    Arccos,
    /// inverse tangent
    Arctan,
    /// square root
    Sqrt,
    /// absolute value
    Abs,
    /// sign (-1, 0, 1)
    Sign,
    /// logistic σ
    Sigmoid,
    /// x σ(x)
    Swish,
    /// max(0, x)
    Relu,
    /// Heaviside step (1 where x > 0)
    Step,
    /// log(1 + e^x)
    Softplus,
    /// trace
    Trace,
    /// determinant
    Det,
    /// log-determinant
    LogDet,
    /// sum of all entries
    Sum,
    /// squared Frobenius norm
    Norm2,
    /// Frobenius norm
    Norm,
    /// sum of absolute values
    Norm1,
    /// vector → diagonal matrix
    DiagMat,
    /// square matrix → its diagonal
    DiagVec,
    /// softmax of a vector
    Softmax,
    /// log Σ e^x of a vector
    LogSumExp,
    /// the error function
    Erf,
    /// the exact GELU x Φ(x)
    Gelu,
    /// the columns of a matrix stacked into one column
    Vec,
}

impl Func {
    /// Every function, for tables and tests.
    pub const ALL: [Func; 31] = [
        Func::Exp,
        Func::Log,
        Func::Sin,
        Func::Cos,
        Func::Tan,
        Func::Tanh,
        Func::Arcsin,
        Func::Arccos,
        Func::Arctan,
        Func::Sqrt,
        Func::Abs,
        Func::Sign,
        Func::Sigmoid,
        Func::Swish,
        Func::Relu,
        Func::Step,
        Func::Softplus,
        Func::Trace,
        Func::Det,
        Func::LogDet,
        Func::Sum,
        Func::Norm2,
        Func::Norm,
        Func::Norm1,
        Func::DiagMat,
        Func::DiagVec,
        Func::Softmax,
        Func::LogSumExp,
        Func::Erf,
        Func::Gelu,
        Func::Vec,
    ];

    /// Applies entry by entry.
    pub fn is_elementwise(self) -> bool {
        matches!(of(self).shape, ShapeRule::Same)
    }

    /// The name in the text syntax.
    pub fn name(self) -> &'static str {
        of(self).name
    }
}

/// One built-in name of the language.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    /// The name, as printers write it.
    pub name: &'static str,
    /// Other spellings with the same meaning (`σ` for `sigmoid`).
    pub aliases: &'static [&'static str],
    /// What a call means.
    pub meaning: Meaning,
    /// The arguments a call takes.
    pub arity: Arity,
    /// The shape of a call's value, from its argument's.
    pub shape: ShapeRule,
    /// What the name is, as an error that refuses to redefine it says.
    pub summary: &'static str,
    /// A function's numeric value.
    pub value: Option<Value>,
    /// A function's derivative, built in the graph.
    pub derivative: Option<Derivative>,
    /// How the printers write a call, for a function node's entry.
    pub notation: Option<Notation>,
    /// Where a function is not differentiable (or its slope is infinite):
    /// a finite-difference check stays away from there.
    pub irregular: Irregular,
}

/// Where a function is not differentiable, or its derivative infinite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Irregular {
    /// Nowhere in its domain.
    Nowhere,
    /// Where an entry of the argument is 0 (relu, abs, sign, step, norm1;
    /// sqrt's infinite slope).
    AtZeroEntry,
    /// Where the whole argument is 0 (norm).
    AtZero,
    /// Where an entry is ±1 (arcsin and arccos's infinite slopes).
    AtUnitEntry,
    /// Where the matrix is singular (det, logdet).
    AtSingular,
}

/// A function's numeric value.
#[derive(Clone, Copy, Debug)]
pub enum Value {
    /// Entry by entry, from the value at one entry.
    Entrywise(fn(f64) -> f64),
    /// Of the whole argument.
    Whole(fn(&Matrix) -> Matrix),
}

/// A function's derivative, built in the graph (with the functions
/// themselves, so that it can be differentiated again).
#[derive(Clone, Copy, Debug)]
pub enum Derivative {
    /// An elementwise function's f'(b), which multiplies a change of the
    /// argument entry by entry.
    Entrywise(fn(&mut Graph, ExprId) -> ExprId),
    /// A scalar function of a whole argument: for `y = f(b)` (the node `y`,
    /// its argument `b`) and the adjoint `a` of `y`, the adjoint of `b`,
    /// reverse mode's step through `f`; the differential is dy = ⟨G, db⟩
    /// with G the step of a = 1.
    Adjoint(AdjointStep),
    /// A linear function (`tr`, `sum`, `diag`, `vec`): its differential is
    /// the function of the change, df(b) = f(db); the adjoint step (as in
    /// [`Derivative::Adjoint`], of any shape of `y`) is its transpose.
    Linear(AdjointStep),
    /// A function whose Jacobian is symmetric (softmax): the adjoint step
    /// (as in [`Derivative::Adjoint`]) is also the differential's, of db.
    Symmetric(AdjointStep),
}

/// Reverse mode's step through `y = f(b)`: from the graph, `y`, `b` and the
/// adjoint `a` of `y`, the adjoint of `b`.
pub type AdjointStep = fn(&mut Graph, ExprId, ExprId, ExprId) -> ExprId;

impl Derivative {
    /// The adjoint step, for a function that is not elementwise.
    pub fn adjoint_step(self) -> Option<AdjointStep> {
        match self {
            Derivative::Entrywise(_) => None,
            Derivative::Adjoint(step) | Derivative::Linear(step) | Derivative::Symmetric(step) => Some(step),
        }
    }
}

/// What a call of a built-in means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// A function node of the graph.
    Apply(Func),
    /// The matrix inverse.
    Inverse,
    /// The diagonal matrix of a vector, or the diagonal of a square matrix.
    Diag,
    /// The identity matrix (also as a bare name, sized by its context).
    Identity,
    /// A vector or matrix of ones (also as a bare name, a vector).
    Ones,
    /// A zero vector or matrix.
    Zeros,
    /// The Kronecker product of two expressions.
    Kron,
    /// The commutation matrix K(m, n) (a program's own `K` shadows it).
    Commutation,
    /// The duplication matrix D(n) (a program's own `D` shadows it).
    Duplication,
    /// The gradient of a scalar expression.
    Gradient,
    /// The Jacobian of a vector expression.
    Jacobian,
    /// The Hessian of a scalar expression.
    Hessian,
    /// A call written with the other built-ins (`log_softmax(x)` is
    /// `x - logsumexp(x)`): the graph holds the definition, so its value,
    /// derivative, printing and irregular points are those of its parts.
    Defined(Definition),
}

/// A built-in defined by the other built-ins, as [`Meaning::Defined`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Definition {
    /// `log_softmax(x) = x - logsumexp(x)`: the form that computes without
    /// underflow (`log(softmax(x))` is −∞ where softmax underflows to 0),
    /// whose Jacobian is the textbook `I - ones(n) softmax(x)^T`.
    LogSoftmax,
    /// `mean(X) = sum(X) / sum(ones(shape))`, the entries' count exact
    /// where the sizes are numbers.
    Mean,
    /// `max(a, b) = b + relu(a - b)`, entry by entry, the arguments in a
    /// canonical order.
    Max,
    /// `min(a, b) = b - relu(b - a)`, entry by entry.
    Min,
}

impl Definition {
    /// The call's value built in the graph from its lowered arguments (as
    /// many as the entry's arity says).
    pub fn build(self, g: &mut Graph, args: &[ExprId]) -> ExprId {
        let a = args[0];
        match self {
            Definition::Max | Definition::Min => {
                let (p, q) = Definition::pair(g, a, args[1]);
                if self == Definition::Max {
                    let d = g.sub(p, q);
                    let r = g.apply(Func::Relu, d);
                    g.add(vec![q, r])
                } else {
                    let d = g.sub(q, p);
                    let r = g.apply(Func::Relu, d);
                    g.sub(q, r)
                }
            }
            Definition::LogSoftmax => {
                let l = g.apply(Func::LogSumExp, a);
                g.sub(a, l)
            }
            Definition::Mean => {
                let shape = g.shape(a);
                let total = g.apply(Func::Sum, a);
                let fixed = match (shape.rows, shape.cols) {
                    (Dim::Fixed(r), Dim::Fixed(c)) => r.checked_mul(c).and_then(|n| i64::try_from(n).ok()),
                    _ => None,
                };
                let count = match fixed {
                    Some(n) => g.int(n),
                    None => {
                        let ones = g.ones(shape);
                        g.apply(Func::Sum, ones)
                    }
                };
                let inverse = g.powc(count, crate::coeff::int(-1));
                g.mul(vec![total, inverse])
            }
        }
    }
}

impl Definition {
    /// The two arguments of `max` or `min` in a canonical order (p, q), so
    /// that `max(a, b)` and `max(b, a)` are one node: a constant second
    /// (`max(x, 0)` is `relu(x)`, `min(x, 0)` is `-relu(-x)`), then a
    /// scalar beside an array (`max(x, c) = c + relu(x - c)`), otherwise by
    /// structure. `max(p, q) = q + relu(p - q)` and
    /// `min(p, q) = q - relu(q - p)`: where p and q tie, relu's kink, the
    /// derivative is all q's (relu' = step is 0 at 0), a one-sided
    /// derivative, and `check` keeps its points away from ties as from any
    /// kink of relu.
    fn pair(g: &Graph, a: ExprId, b: ExprId) -> (ExprId, ExprId) {
        let constant = |id: ExprId| g.as_const(id).is_some() || matches!(g.node(id), crate::ir::Node::Zero(_));
        let rank = |id: ExprId| (!constant(id), !g.shape(id).is_scalar());
        match rank(a).cmp(&rank(b)) {
            std::cmp::Ordering::Less => (b, a),
            std::cmp::Ordering::Greater => (a, b),
            std::cmp::Ordering::Equal if g.structural_cmp(a, b) == std::cmp::Ordering::Greater => (b, a),
            std::cmp::Ordering::Equal => (a, b),
        }
    }
}

/// The arguments a call of a built-in takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly this many expressions.
    Exactly(usize),
    /// One dimension (a size name or a positive integer), or two when
    /// `two` is set; `usage` says how to write it.
    Dimensions {
        /// Whether a second dimension (`ones(m, n)`) is allowed.
        two: bool,
        /// The call as the error for a wrong count shows it.
        usage: &'static str,
    },
}

/// The shape of a call's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeRule {
    /// Entry by entry: the argument's shape.
    Same,
    /// A scalar, of an argument of any shape.
    Scalar,
    /// A scalar, of a square matrix (`verb` says what cannot be done).
    ScalarOfSquare {
        /// The refusal's verb (`take the trace of`).
        verb: &'static str,
    },
    /// A square matrix's own shape.
    SameOfSquare {
        /// The refusal's verb (`invert`).
        verb: &'static str,
    },
    /// A column vector's own shape.
    SameOfColumn,
    /// Entry by entry of two arguments of one shape, a scalar broadcasting
    /// over the other (as `a .* b`).
    SameOfPair,
    /// A scalar, of a column vector.
    ScalarOfColumn,
    /// A vector's diagonal matrix, or a square matrix's diagonal.
    Diag,
    /// Given by the dimension arguments (a vector of one, a matrix of two;
    /// the identity is square).
    Dimensions,
    /// A derivative's shape (a gradient the variable's, a Jacobian outputs
    /// by inputs, a Hessian inputs by inputs).
    Derivative,
    /// The column of an m×n argument's m n entries.
    Vec,
    /// The Kronecker product's: rows and columns the products of the
    /// arguments'.
    Kron,
}

/// The phrase for every built-in function.
const FUNCTION: &str = "a built-in function";

/// An elementwise function of one argument.
const fn elementwise(
    name: &'static str,
    aliases: &'static [&'static str],
    func: Func,
    value: fn(f64) -> f64,
    derivative: fn(&mut Graph, ExprId) -> ExprId,
    notation: Notation,
) -> Builtin {
    Builtin {
        name,
        aliases,
        meaning: Meaning::Apply(func),
        arity: Arity::Exactly(1),
        shape: ShapeRule::Same,
        summary: FUNCTION,
        value: Some(Value::Entrywise(value)),
        derivative: Some(Derivative::Entrywise(derivative)),
        notation: Some(notation),
        irregular: Irregular::Nowhere,
    }
}

/// A function of one argument, not elementwise, with the given shape rule,
/// value of the whole argument and derivative.
const fn reduction(
    name: &'static str,
    meaning: Meaning,
    shape: ShapeRule,
    value: fn(&Matrix) -> Matrix,
    derivative: Derivative,
    notation: Notation,
) -> Builtin {
    Builtin {
        name,
        aliases: &[],
        meaning,
        arity: Arity::Exactly(1),
        shape,
        summary: FUNCTION,
        value: Some(Value::Whole(value)),
        derivative: Some(derivative),
        notation: Some(notation),
        irregular: Irregular::Nowhere,
    }
}

/// A derivative of its first argument with respect to its second.
const fn derivative(name: &'static str, meaning: Meaning) -> Builtin {
    Builtin {
        name,
        aliases: &[],
        meaning,
        arity: Arity::Exactly(2),
        shape: ShapeRule::Derivative,
        summary: FUNCTION,
        value: None,
        derivative: None,
        notation: None,
        irregular: Irregular::Nowhere,
    }
}

/// A built-in of `arity` arguments defined by the others.
const fn defined(name: &'static str, definition: Definition, arity: usize, shape: ShapeRule) -> Builtin {
    Builtin {
        name,
        aliases: &[],
        meaning: Meaning::Defined(definition),
        arity: Arity::Exactly(arity),
        shape,
        summary: FUNCTION,
        value: None,
        derivative: None,
        notation: None,
        irregular: Irregular::Nowhere,
    }
}

/// Every built-in name.
#[rustfmt::skip]
pub const BUILTINS: &[Builtin] = &[
    elementwise("exp", &[], Func::Exp, f64::exp, d_exp, Notation::call("\\exp", "np.exp($0)")),
    elementwise("log", &[], Func::Log, f64::ln, d_log, Notation::call("\\log", "np.log($0)")),
    elementwise("sin", &[], Func::Sin, f64::sin, d_sin, Notation::call("\\sin", "np.sin($0)")),
    elementwise("cos", &[], Func::Cos, f64::cos, d_cos, Notation::call("\\cos", "np.cos($0)")),
    elementwise("tan", &[], Func::Tan, f64::tan, d_tan, Notation::call("\\tan", "np.tan($0)")),
    elementwise("tanh", &[], Func::Tanh, f64::tanh, d_tanh, Notation::call("\\tanh", "np.tanh($0)")),
    elementwise("arcsin", &[], Func::Arcsin, f64::asin, d_arcsin, Notation::call("\\arcsin", "np.arcsin($0)"))
        .irregular(Irregular::AtUnitEntry),
    elementwise("arccos", &[], Func::Arccos, f64::acos, d_arccos, Notation::call("\\arccos", "np.arccos($0)"))
        .irregular(Irregular::AtUnitEntry),
    elementwise("arctan", &[], Func::Arctan, f64::atan, d_arctan, Notation::call("\\arctan", "np.arctan($0)")),
    elementwise("sqrt", &[], Func::Sqrt, f64::sqrt, d_sqrt,
        Notation::around("\\sqrt{", "}", "np.sqrt($0)").graph("√·", "\\sqrt{\\cdot}"))
        .irregular(Irregular::AtZeroEntry),
    elementwise("abs", &[], Func::Abs, f64::abs, d_abs,
        Notation::around("\\left| ", " \\right|", "np.abs($0)").graph("|·|", "|\\cdot|"))
        .irregular(Irregular::AtZeroEntry),
    elementwise("sign", &[], Func::Sign, sign, d_constant, Notation::call("\\operatorname{sign}", "np.sign($0)"))
        .irregular(Irregular::AtZeroEntry),
    elementwise("sigmoid", &["σ"], Func::Sigmoid, sigmoid, d_sigmoid,
        Notation::call("\\sigma", "$sigmoid($0)").unicode("σ(", ")")),
    elementwise("swish", &[], Func::Swish, swish, d_swish,
        Notation::call("\\operatorname{swish}", "(lambda t: t * $sigmoid(t))($0)")),
    elementwise("relu", &[], Func::Relu, relu, d_relu,
        Notation::call("\\operatorname{relu}", "np.maximum($0, 0.0)").torch("torch.relu($0)"))
        .irregular(Irregular::AtZeroEntry),
    elementwise("step", &[], Func::Step, step, d_constant,
        Notation::call("\\operatorname{step}", "np.heaviside($0, 0.0)").torch("torch.sign(torch.relu($0))"))
        .irregular(Irregular::AtZeroEntry),
    elementwise("softplus", &[], Func::Softplus, softplus, d_softplus,
        Notation::call("\\operatorname{softplus}", "np.logaddexp(0.0, $0)").torch("torch.logaddexp($0, torch.zeros(()$like))")),
    elementwise("erf", &[], Func::Erf, erf, d_erf,
        Notation::call("\\operatorname{erf}", "$erf($0)").torch("torch.erf($0)")),
    elementwise("gelu", &[], Func::Gelu, gelu, d_gelu,
        Notation::call("\\operatorname{gelu}", "(lambda t: 0.5 * t * (1.0 + $erf(0.7071067811865476 * t)))($0)")
            .torch("torch.nn.functional.gelu($0)")),
    reduction("norm2", Meaning::Apply(Func::Norm2), ShapeRule::Scalar, norm2, Derivative::Adjoint(d_norm2),
        Notation::around("\\left\\| ", " \\right\\|^2", "np.sum(np.square($0))")
            .unicode("‖", "‖²").graph("‖·‖²", "\\|\\cdot\\|^2")),
    reduction("norm", Meaning::Apply(Func::Norm), ShapeRule::Scalar, norm, Derivative::Adjoint(d_norm),
        Notation::around("\\left\\| ", " \\right\\|", "np.linalg.norm($0)")
            .unicode("‖", "‖").graph("‖·‖", "\\|\\cdot\\|"))
        .irregular(Irregular::AtZero),
    reduction("norm1", Meaning::Apply(Func::Norm1), ShapeRule::Scalar, norm1, Derivative::Adjoint(d_norm1),
        Notation::around("\\left\\| ", " \\right\\|_1", "np.sum(np.abs($0))")
            .unicode("‖", "‖₁").graph("‖·‖₁", "\\|\\cdot\\|_1"))
        .irregular(Irregular::AtZeroEntry),
    reduction("sum", Meaning::Apply(Func::Sum), ShapeRule::Scalar, sum, Derivative::Linear(d_sum),
        Notation::call("\\operatorname{sum}", "np.sum($0)")),
    reduction("tr", Meaning::Apply(Func::Trace), ShapeRule::ScalarOfSquare { verb: "take the trace of" }, trace,
        Derivative::Linear(d_trace), Notation::call("\\operatorname{tr}", "np.trace($0)")),
    reduction("det", Meaning::Apply(Func::Det), ShapeRule::ScalarOfSquare { verb: "take the determinant of" }, det,
        Derivative::Adjoint(d_det),
        Notation::call("\\det", "np.linalg.det($0)"))
        .irregular(Irregular::AtSingular),
    reduction("logdet", Meaning::Apply(Func::LogDet), ShapeRule::ScalarOfSquare { verb: "take the log-determinant of" },
        logdet, Derivative::Adjoint(d_logdet), Notation::call("\\log\\det", "np.linalg.slogdet($0)[1]").graph("log det", "\\log\\det"))
        .irregular(Irregular::AtSingular),
    reduction("diag", Meaning::Diag, ShapeRule::Diag, diag, Derivative::Linear(d_diag), Notation::call("\\operatorname{diag}", "np.diag($0)")),
    reduction("vec", Meaning::Apply(Func::Vec), ShapeRule::Vec, vec, Derivative::Linear(d_vec),
        Notation::call("\\operatorname{vec}", "np.reshape($0, -1, order=\"F\")").torch("$0.T.reshape(-1)")),
    reduction("softmax", Meaning::Apply(Func::Softmax), ShapeRule::SameOfColumn, softmax, Derivative::Symmetric(d_softmax),
        Notation::call("\\operatorname{softmax}", "$softmax($0)")),
    reduction("logsumexp", Meaning::Apply(Func::LogSumExp), ShapeRule::ScalarOfColumn, logsumexp, Derivative::Adjoint(d_logsumexp),
        Notation::call("\\operatorname{logsumexp}", "$logsumexp($0)")),
    Builtin {
        name: "inv", aliases: &[], meaning: Meaning::Inverse,
        arity: Arity::Exactly(1), shape: ShapeRule::SameOfSquare { verb: "invert" }, summary: FUNCTION,
        value: None, derivative: None, notation: None, irregular: Irregular::Nowhere,
    },
    Builtin {
        name: "I", aliases: &["eye"], meaning: Meaning::Identity,
        arity: Arity::Dimensions { two: false, usage: "I(n)" },
        shape: ShapeRule::Dimensions, summary: "the identity matrix, I(n)",
        value: None, derivative: None, notation: None, irregular: Irregular::Nowhere,
    },
    Builtin {
        name: "ones", aliases: &[], meaning: Meaning::Ones,
        arity: Arity::Dimensions { two: true, usage: "ones(n) or ones(m, n)" },
        shape: ShapeRule::Dimensions, summary: "the all-ones vector or matrix, ones(n)",
        value: None, derivative: None, notation: None, irregular: Irregular::Nowhere,
    },
    Builtin {
        name: "zeros", aliases: &[], meaning: Meaning::Zeros,
        arity: Arity::Dimensions { two: true, usage: "zeros(n) or zeros(m, n)" },
        shape: ShapeRule::Dimensions, summary: "the zero vector or matrix, zeros(n)",
        value: None, derivative: None, notation: None, irregular: Irregular::Nowhere,
    },
    Builtin {
        name: "kron", aliases: &[], meaning: Meaning::Kron,
        arity: Arity::Exactly(2), shape: ShapeRule::Kron, summary: FUNCTION,
        value: None, derivative: None, notation: None, irregular: Irregular::Nowhere,
    },
    Builtin {
        name: "K", aliases: &[], meaning: Meaning::Commutation,
        arity: Arity::Dimensions { two: true, usage: "K(m, n)" },
        shape: ShapeRule::Dimensions, summary: "the commutation matrix, K(m, n)",
        value: None, derivative: None, notation: None, irregular: Irregular::Nowhere,
    },
    Builtin {
        name: "D", aliases: &[], meaning: Meaning::Duplication,
        arity: Arity::Dimensions { two: false, usage: "D(n)" },
        shape: ShapeRule::Dimensions, summary: "the duplication matrix, D(n): D(n) vech(S) = vec(S)",
        value: None, derivative: None, notation: None, irregular: Irregular::Nowhere,
    },
    defined("log_softmax", Definition::LogSoftmax, 1, ShapeRule::SameOfColumn),
    defined("mean", Definition::Mean, 1, ShapeRule::Scalar),
    defined("max", Definition::Max, 2, ShapeRule::SameOfPair),
    defined("min", Definition::Min, 2, ShapeRule::SameOfPair),
    derivative("grad", Meaning::Gradient),
    derivative("jacobian", Meaning::Jacobian),
    derivative("hessian", Meaning::Hessian),
];

impl Builtin {
    /// This entry, irregular where `irregular` says.
    const fn irregular(self, irregular: Irregular) -> Builtin {
        Builtin { irregular, ..self }
    }

    /// Whether a program may name its own variable so (which then shadows
    /// the built-in): `K` and `D`, common names for a matrix.
    pub fn shadowable(&self) -> bool {
        matches!(self.meaning, Meaning::Commutation | Meaning::Duplication)
    }

    /// Whether `name` is this built-in's name or one of its aliases.
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }

    /// The function node a call builds, when it builds one of its own.
    pub fn func(&self) -> Option<Func> {
        match self.meaning {
            Meaning::Apply(f) => Some(f),
            _ => None,
        }
    }
}

/// The built-in that `name` (a name or an alias) stands for.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.is_named(name))
}

/// Whether `name` has a built-in meaning.
pub fn is_builtin(name: &str) -> bool {
    lookup(name).is_some()
}

/// Every built-in name and alias, in table order.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().flat_map(|b| std::iter::once(b.name).chain(b.aliases.iter().copied()))
}

/// The entry of `func`.
pub fn of(func: Func) -> &'static Builtin {
    &BUILTINS[ENTRY_OF_FUNC[func as usize] as usize]
}

/// How the printers write a call of `func` (every function's entry has a
/// notation; checked when the table is compiled).
pub fn notation(func: Func) -> &'static Notation {
    match &of(func).notation {
        Some(notation) => notation,
        None => unreachable!("every function's entry has a notation"),
    }
}

/// For each `Func` (by discriminant), the index of its entry in [`BUILTINS`].
const ENTRY_OF_FUNC: [u8; Func::ALL.len()] = entries_of_funcs();

/// Builds [`ENTRY_OF_FUNC`]; fails to compile if a `Func` has no entry or
/// two, or if [`Func::ALL`] is not in the order of the discriminants.
const fn entries_of_funcs() -> [u8; Func::ALL.len()] {
    const NONE: u8 = u8::MAX;
    let mut entries = [NONE; Func::ALL.len()];
    let mut i = 0;
    while i < BUILTINS.len() {
        match BUILTINS[i].meaning {
            Meaning::Apply(f) => {
                assert!(entries[f as usize] == NONE, "a function with two entries");
                let entry = &BUILTINS[i];
                assert!(entry.notation.is_some(), "a function without notation");
                assert!(
                    entry.value.is_some() && entry.derivative.is_some(),
                    "a function without a value or derivative"
                );
                entries[f as usize] = i as u8;
            }
            Meaning::Diag => {
                let entry = &BUILTINS[i];
                assert!(entry.notation.is_some(), "a function without notation");
                assert!(
                    entry.value.is_some() && entry.derivative.is_some(),
                    "a function without a value or derivative"
                );
                entries[Func::DiagMat as usize] = i as u8;
                entries[Func::DiagVec as usize] = i as u8;
            }
            _ => {}
        }
        i += 1;
    }
    let mut f = 0;
    while f < Func::ALL.len() {
        assert!(entries[f] != NONE, "a function without an entry");
        assert!(Func::ALL[f] as usize == f, "Func::ALL out of order");
        f += 1;
    }
    entries
}

#[cfg(test)]
mod tests;
