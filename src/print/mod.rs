//! Printing expressions. One precedence-aware walk (`Printer`) builds a
//! `pretty` document; a [`Notation`] says how each construct looks in
//! text, Unicode or LaTeX. Long sums break at `+`/`-` to fit the width.

pub mod bindings;
pub mod differential;
pub mod latex;
pub mod numpy;
pub mod powers;
pub mod python_names;
pub mod repeated;
pub mod spellings;
pub mod text;

use pretty::RcDoc;

use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, Func, Graph, Node};
use crate::shape::{dim_name, Dim, Shape};
use num_traits::Signed;
pub use spellings::Spellings;

/// A document under construction.
pub type Doc = RcDoc<'static, ()>;

/// Binding strength of a printed construct (higher binds tighter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prec {
    /// `a + b`
    Sum = 0,
    /// `a b`, `a .* b`, `a / b`
    Product = 1,
    /// `-a`
    Negation = 2,
    /// `a^T`, `a^2`
    Power = 3,
    /// names, calls, brackets
    Atom = 4,
}

/// How the constructs of an expression are written in one output format.
pub trait Notation {
    /// A variable or definition name.
    fn name(&self, name: &str, shape: Shape) -> String;
    /// `name` printed as it is typed, for a name whose [`Notation::name`]
    /// another name shares (see [`Spellings`]); `None` if the notation
    /// prints every name as it is typed.
    fn literal_name(&self, _name: &str, _shape: Shape) -> Option<String> {
        None
    }
    /// The direction symbol of a differential, given its variable as
    /// printed (LaTeX: `\mathrm{d}\mathbf{X}`); `None` if the notation
    /// prints it as its name (`dX`).
    fn differential(&self, _variable: &str) -> Option<String> {
        None
    }
    /// A non-negative rational constant, and the precedence of the result.
    fn number(&self, c: &Coeff) -> (Doc, Prec);
    /// `a^T`
    fn transpose(&self, a: Doc) -> Doc;
    /// `a^-1`
    fn inverse(&self, a: Doc) -> Doc;
    /// `a^-T`
    fn inverse_transpose(&self, a: Doc) -> Doc;
    /// `a^p` (scalar) or `a .^ p` (elementwise).
    fn power(&self, base: Doc, exponent: Doc, elementwise: bool) -> Doc;
    /// Separator of matrix-product factors.
    fn product_separator(&self) -> Doc;
    /// Separator of a coefficient and what it scales.
    fn coefficient_separator(&self, c: &Coeff) -> Doc;
    /// Separator of Hadamard factors.
    fn hadamard_separator(&self) -> Doc;
    /// `num / den` (scalar) or `num ./ den` (elementwise); `None` if the
    /// notation writes it as a fraction instead.
    fn divide(&self, num: Doc, den: Doc, elementwise: bool) -> Doc;
    /// `true` if `divide` brackets its operands itself (LaTeX `\frac`).
    fn fraction_brackets(&self) -> bool {
        false
    }
    /// A built-in function applied to an argument.
    fn function(&self, f: Func, arg: Doc) -> Doc;
    /// An opaque function call.
    fn opaque(&self, name: &str, arg: Doc) -> Doc;
    /// The identity matrix (`dim` given where the context does not fix it).
    fn identity(&self, dim: Option<String>) -> Doc;
    /// A vector or matrix of ones (`fixed` if the context fixes its size).
    fn ones(&self, rows: String, cols: Option<String>, fixed: bool) -> Doc;
    /// A zero vector or matrix.
    fn zero(&self, rows: String, cols: Option<String>) -> Doc;
    /// The upstream gradient ∂loss/∂arg.
    fn upstream(&self, loss: &str, arg: Doc) -> Doc;
    /// The infix Kronecker product sign (` ⊗ `); `None` writes the call
    /// `kron(a, b)`.
    fn kron(&self) -> Option<Doc> {
        None
    }
    /// The commutation matrix of the sizes `m` and `n`.
    fn commutation(&self, m: String, n: String) -> Doc {
        Doc::text(format!("K({m}, {n})"))
    }
    /// The duplication matrix of the size `n`.
    fn duplication(&self, n: String) -> Doc {
        Doc::text(format!("D({n})"))
    }
    /// Printed text (a name, a sign, a number) as a document of its printed
    /// width.
    fn text(&self, text: String) -> Doc {
        Doc::text(text)
    }
    /// `( a )`
    fn parens(&self, a: Doc) -> Doc {
        Doc::text("(").append(a).append(Doc::text(")"))
    }
    /// The minus sign of a negated term.
    fn minus(&self) -> &'static str {
        "-"
    }
    /// The break between the terms of a sum: a space when the sum fits on
    /// one line, a new line when it does not.
    fn sum_break(&self) -> Doc {
        Doc::line()
    }
    /// The precedence of an upstream gradient (LaTeX's `\frac` needs
    /// brackets under a transpose).
    fn upstream_prec(&self) -> Prec {
        Prec::Atom
    }
    /// The precedence of a built-in function's notation (LaTeX's
    /// `\left\| r \right\|^2` already carries an exponent).
    fn function_prec(&self, _f: Func) -> Prec {
        Prec::Atom
    }
    /// `true` if a compound argument of an upstream gradient is bracketed,
    /// as in `∂L/∂(W h + b)`.
    fn upstream_brackets(&self) -> bool {
        false
    }
}

/// Renders `id` with `notation` at `width` columns.
pub fn render(graph: &mut Graph, id: ExprId, notation: &dyn Notation, width: usize) -> String {
    let spellings = Spellings::new(graph, notation);
    render_spelled(graph, id, notation, &spellings, width)
}

/// [`render`] with the names' [`Spellings`] already made (for several
/// renderings of one graph).
pub fn render_spelled(
    graph: &mut Graph,
    id: ExprId,
    notation: &dyn Notation,
    spellings: &Spellings,
    width: usize,
) -> String {
    let mut printer = Printer::new(graph, notation, spellings, false);
    let doc = printer.doc(id, Prec::Sum);
    let mut out = String::new();
    let _ = doc.render_fmt(width, &mut out);
    out
}

/// The precedence-aware walk over the graph.
pub struct Printer<'g, 'n> {
    /// The graph (mutable: printing may build transposed forms to compare).
    pub graph: &'g mut Graph,
    /// The notation.
    pub notation: &'n dyn Notation,
    /// How the program's names are printed in it.
    pub spellings: &'n Spellings,
    /// Write a run of transposed factors that starts with a row vector as
    /// one transposed product (`x^T W^T` as `(W x)^T`), as derivations do.
    pub group_transposes: bool,
    /// How many times over a matrix power printed here may still be
    /// expanded when the text is read back: nested matrix powers compound,
    /// and their product is bounded by [`crate::lower::MAX_MATRIX_POWER`].
    power_room: usize,
    /// Symbols standing for the differential d(E) of an expression E, as a
    /// derivation writes them before it expands them (see [`Printer::with_differentials`]).
    differentials: Option<&'n crate::ir::FastMap<crate::ir::SymbolId, ExprId>>,
}

impl<'g, 'n> Printer<'g, 'n> {
    /// A printer of `graph`'s terms in `notation`.
    pub fn new(
        graph: &'g mut Graph,
        notation: &'n dyn Notation,
        spellings: &'n Spellings,
        group_transposes: bool,
    ) -> Printer<'g, 'n> {
        let power_room = crate::lower::MAX_MATRIX_POWER.unsigned_abs() as usize;
        Printer { graph, notation, spellings, group_transposes, power_room, differentials: None }
    }

    /// This printer, writing each symbol of `differentials` as the
    /// differential of its expression: `dz` for a name, `d(W x - y)` for
    /// anything else.
    pub fn with_differentials(
        mut self,
        differentials: &'n crate::ir::FastMap<crate::ir::SymbolId, ExprId>,
    ) -> Printer<'g, 'n> {
        self.differentials = Some(differentials);
        self
    }

    /// `d` applied to the printed `of` (see [`Printer::with_differentials`]).
    fn differential_of(&mut self, of: ExprId) -> Doc {
        let n = self.notation;
        let d = n.differential("").unwrap_or_else(|| "d".to_string());
        match self.graph.node(of).clone() {
            Node::Var(s) => {
                let symbol = self.graph.symbol(s);
                let name = self.spellings.name(n, &symbol.name, symbol.shape);
                n.text(n.differential(&name).unwrap_or_else(|| format!("d{name}")))
            }
            _ => n.text(d).append(n.parens(self.doc(of, Prec::Sum))),
        }
    }
}

impl Printer<'_, '_> {
    fn wrap(&self, doc: Doc, own: Prec, context: Prec) -> Doc {
        if own < context {
            self.notation.parens(doc)
        } else {
            doc
        }
    }

    /// The document for `id` in a context that needs precedence `context`.
    pub fn doc(&mut self, id: ExprId, context: Prec) -> Doc {
        let (doc, own) = self.doc_with_prec(id, false);
        self.wrap(doc, own, context)
    }

    fn doc_with_prec(&mut self, id: ExprId, dims_fixed: bool) -> (Doc, Prec) {
        let n = self.notation;
        match self.graph.node(id).clone() {
            Node::Const(c) => {
                if c.is_negative() {
                    let (d, _) = n.number(&-c);
                    (n.text(n.minus().to_string()).append(d), Prec::Negation)
                } else {
                    n.number(&c)
                }
            }
            Node::Var(s) if self.differentials.is_some_and(|d| d.contains_key(&s)) => {
                let of = self.differentials.and_then(|d| d.get(&s).copied()).unwrap_or(id);
                (self.differential_of(of), Prec::Atom)
            }
            Node::Var(s) => {
                let symbol = self.graph.symbol(s);
                (n.text(self.spellings.name(n, &symbol.name, symbol.shape)), Prec::Atom)
            }
            Node::Identity(d) => {
                let dim = if dims_fixed { None } else { Some(dim_name(d, self.graph.dim_names())) };
                (n.identity(dim), Prec::Atom)
            }
            Node::Ones(s) if s.rows == crate::shape::Dim::ONE => {
                let column = n.ones(dim_name(s.cols, self.graph.dim_names()), None, dims_fixed);
                (n.transpose(column), Prec::Power)
            }
            Node::Ones(s) => {
                let names = self.graph.dim_names();
                let cols = if s.cols == crate::shape::Dim::ONE { None } else { Some(dim_name(s.cols, names)) };
                (n.ones(dim_name(s.rows, names), cols, dims_fixed), Prec::Atom)
            }
            Node::Zero(s) => {
                let names = self.graph.dim_names();
                let cols = if s.cols == crate::shape::Dim::ONE { None } else { Some(dim_name(s.cols, names)) };
                (n.zero(dim_name(s.rows, names), cols), Prec::Atom)
            }
            Node::Add(terms) => match self.outer_transpose(id) {
                Some(transposed) => {
                    let inner = n.parens(self.doc(transposed, Prec::Sum));
                    (n.transpose(inner), Prec::Power)
                }
                None => (self.sum(&terms), Prec::Sum),
            },
            Node::Scale(c, b) => self.scaled(&c, b),
            Node::Mul(factors) => self.product(&factors),
            Node::Hadamard(factors) => self.hadamard(&factors),
            Node::Pow(b, e) => self.power(b, e),
            Node::Transpose(b) => {
                let inner = self.doc(b, Prec::Atom);
                (n.transpose(inner), Prec::Power)
            }
            Node::Inverse(b) => {
                if let Node::Transpose(c) = self.graph.node(b).clone() {
                    let inner = self.doc(c, Prec::Atom);
                    return (n.inverse_transpose(inner), Prec::Power);
                }
                if let Some(transposed) = self.outer_transpose(b) {
                    let inner = n.parens(self.doc(transposed, Prec::Sum));
                    return (n.inverse_transpose(inner), Prec::Power);
                }
                let inner = self.doc(b, Prec::Atom);
                (n.inverse(inner), Prec::Power)
            }
            Node::Apply(Func::Exp, b) if self.array_power_parts(b).is_some() => {
                let Some((base, exponent)) = self.array_power_parts(b) else { unreachable!("matched above") };
                self.array_power(base, exponent)
            }
            Node::Apply(f, b) => {
                let arg = self.doc(b, Prec::Sum);
                (n.function(f, arg), n.function_prec(f))
            }
            Node::Opaque(f, b) => {
                let arg = self.doc(b, Prec::Sum);
                let name = self.graph.symbol(f).name.clone();
                (n.opaque(&name, arg), Prec::Atom)
            }
            Node::Kron(a, b) => match n.kron() {
                // As loose as a sum: a product, negation or transpose brackets it.
                Some(sign) => {
                    let (a, b) = (self.doc(a, Prec::Power), self.doc(b, Prec::Power));
                    (a.append(sign).append(b), Prec::Sum)
                }
                None => {
                    let (a, b) = (self.doc(a, Prec::Sum), self.doc(b, Prec::Sum));
                    let call = n.text("kron(".to_string()).append(a).append(n.text(", ".to_string())).append(b);
                    (call.append(n.text(")".to_string())), Prec::Atom)
                }
            },
            Node::Commutation(p, q) => {
                let names = self.graph.dim_names();
                (n.commutation(dim_name(p, names), dim_name(q, names)), Prec::Atom)
            }
            Node::Duplication(p) => (n.duplication(dim_name(p, self.graph.dim_names())), Prec::Atom),
            Node::Upstream { loss, arg, .. } => {
                let context = if n.upstream_brackets() { Prec::Atom } else { Prec::Sum };
                let a = self.doc(arg, context);
                let name = self.graph.symbol(loss).name.clone();
                (n.upstream(&name, a), n.upstream_prec())
            }
        }
    }

    /// The transpose of the matrix sum `id` if `id` prints with fewer
    /// transpose marks as that transpose's transpose, one outer mark
    /// included (`B^T X^T + X^T B^T` as `(X B + B X)^T`); `None` for
    /// anything else (vectors have their own orientation rules).
    fn outer_transpose(&mut self, id: ExprId) -> Option<ExprId> {
        let shape = self.graph.shape(id);
        if !matches!(self.graph.node(id), Node::Add(_)) || shape.rows == Dim::ONE || shape.cols == Dim::ONE {
            return None;
        }
        let own = printed_marks(self.graph, id);
        if own < 2 {
            return None;
        }
        let transposed = self.graph.transpose(id);
        (printed_marks(self.graph, transposed) + 1 < own).then_some(transposed)
    }

    fn sum(&mut self, terms: &[ExprId]) -> Doc {
        let mut doc = Doc::nil();
        // A bare `I` takes its size from another matrix term; next to
        // scalars alone (`I(n) + k`) it must carry its size.
        let matrix_terms = terms.iter().filter(|t| !self.graph.shape(**t).is_scalar()).count();
        for (i, t) in terms.iter().enumerate() {
            let has_matrix_term = matrix_terms > usize::from(!self.graph.shape(*t).is_scalar());
            let negative = match self.graph.node(*t) {
                Node::Scale(c, _) => c.is_negative(),
                Node::Const(c) => c.is_negative(),
                _ => false,
            };
            let (body, _) = if negative {
                let (c, base) = self.graph.split_coeff(*t);
                let positive = self.graph.scale(-c, base);
                self.term_doc(positive, has_matrix_term)
            } else {
                self.term_doc(*t, has_matrix_term)
            };
            if i == 0 {
                doc = if negative { self.notation.text(self.notation.minus().to_string()).append(body) } else { body };
            } else {
                let sign = if negative { self.notation.minus() } else { "+" };
                doc = doc.append(self.notation.sum_break()).append(self.notation.text(format!("{sign} "))).append(body);
            }
        }
        doc.nest(2).group()
    }

    fn term_doc(&mut self, t: ExprId, dims_fixed: bool) -> (Doc, Prec) {
        let (doc, prec) = self.doc_with_prec(t, dims_fixed);
        // A term of a sum that is itself a sum is bracketed; `A ⊗ B`, as
        // loose as a sum elsewhere, is not one.
        if prec == Prec::Sum && !matches!(self.graph.node(t), Node::Kron(..)) {
            (self.notation.parens(doc), Prec::Atom)
        } else {
            (doc, prec)
        }
    }

    fn scaled(&mut self, c: &Coeff, b: ExprId) -> (Doc, Prec) {
        let n = self.notation;
        if c.is_negative() {
            let (inner, _) = self.scaled(&-c.clone(), b);
            let inner = if matches!(self.graph.node(b), Node::Add(_)) && c == &coeff::int(-1) {
                self.doc(b, Prec::Negation)
            } else {
                inner
            };
            return (n.text(n.minus().to_string()).append(inner), Prec::Negation);
        }
        if c == &coeff::int(1) {
            return self.doc_with_prec(b, false);
        }
        let (number, _) = n.number(c);
        let factors = match self.graph.node(b).clone() {
            Node::Mul(factors) => factors.to_vec(),
            Node::Pow(..) => vec![b],
            _ => Vec::new(),
        };
        // `4 / (k tr(B))`, not `4 1 / (k tr(B))`; `3 / k^2`, not `3 k^-2`.
        if !factors.is_empty() && self.split_denominator(&factors, true).0.is_empty() {
            return self.product_over(&factors, Some(number));
        }
        let body = if matches!(self.graph.node(b), Node::Mul(_)) {
            self.doc_with_prec(b, false).0
        } else {
            self.factor_doc(b)
        };
        (number.append(n.coefficient_separator(c)).append(body), Prec::Product)
    }

    /// A factor of a product: sums, Hadamard products and scaled terms
    /// are bracketed; a row-vector sum prints as the transpose of a column
    /// when that needs fewer transpose marks.
    fn factor_doc(&mut self, f: ExprId) -> Doc {
        let shape = self.graph.shape(f);
        if shape.is_row() {
            if let Node::Add(_) = self.graph.node(f) {
                let column = self.graph.transpose(f);
                if marks(self.graph, column) < marks(self.graph, f) {
                    let inner = self.notation.parens(self.doc(column, Prec::Sum));
                    return self.notation.transpose(inner);
                }
            }
        }
        let (doc, prec) = self.doc_with_prec(f, false);
        let bracket = prec < Prec::Product
            || matches!(self.graph.node(f), Node::Hadamard(_) | Node::Scale(..))
            || (prec == Prec::Product && matches!(self.graph.node(f), Node::Mul(_)));
        if bracket {
            self.notation.parens(doc)
        } else {
            doc
        }
    }

    fn product(&mut self, factors: &[ExprId]) -> (Doc, Prec) {
        self.product_over(factors, None)
    }

    /// A product; `numerator` stands above the fraction bar when every
    /// factor is a denominator (`4 / k`).
    pub(super) fn product_over(&mut self, factors: &[ExprId], numerator_doc: Option<Doc>) -> (Doc, Prec) {
        // `/` divides by scalars only: `k^3 x .^ -1` must not read `k^3 / x`.
        let (numerator, denominator) = self.split_denominator(factors, true);
        let n = self.notation;
        let many = numerator.len() > 1;
        let mut docs = Vec::new();
        let mut i = 0;
        while i < numerator.len() {
            let f = numerator[i];
            if self.group_transposes && self.graph.shape(f).is_row() && self.graph.has_transpose_mark(f) {
                let run = numerator[i..].iter().take_while(|g| self.graph.has_transpose_mark(**g)).count();
                if run >= 2 {
                    let reversed: Vec<ExprId> =
                        numerator[i..i + run].iter().rev().map(|g| self.graph.transpose(*g)).collect();
                    let column = self.graph.mul(reversed);
                    let inner = self.doc(column, Prec::Sum);
                    docs.push(n.transpose(n.parens(inner)));
                    i += run;
                    continue;
                }
            }
            if let Some(run) = powers::run_at(self.graph, &numerator, i, self.power_room) {
                docs.push(self.repeated(&numerator[i..i + run.len], run.count));
                i += run.covered();
                continue;
            }
            i += 1;
            let doc = if many && self.graph.is_inner_product(f) {
                let (d, _) = self.doc_with_prec(f, false);
                n.parens(d)
            } else if !many && n.fraction_brackets() && !denominator.is_empty() && numerator_doc.is_none() {
                // The one factor over a `\frac` bar needs no brackets.
                self.doc(f, Prec::Sum)
            } else {
                self.factor_doc(f)
            };
            docs.push(doc);
        }
        let num = match numerator_doc {
            Some(doc) if docs.is_empty() => doc,
            _ if docs.is_empty() => self.notation.text("1".to_string()),
            _ => Doc::intersperse(docs, n.product_separator()),
        };
        if denominator.is_empty() {
            return (num, Prec::Product);
        }
        let several = denominator.len() > 1;
        let den_docs: Vec<Doc> = denominator
            .iter()
            .map(|d| match () {
                _ if n.fraction_brackets() => self.doc(*d, Prec::Sum),
                // Inside the brackets of `1 / (a k^2)` a power needs none.
                _ if several => self.factor_doc(*d),
                // `3 / k^2`: a power binds tighter than `/`.
                _ => self.doc(*d, Prec::Power),
            })
            .collect();
        let den = if den_docs.len() == 1 || n.fraction_brackets() {
            Doc::intersperse(den_docs, n.product_separator())
        } else {
            n.parens(Doc::intersperse(den_docs, n.product_separator()))
        };
        // A lone product over the bar is bracketed by `factor_doc` already
        // (`(x^T y) / k`, not `((x^T y)) / k`).
        (n.divide(num, den, false), Prec::Product)
    }

    /// Splits factors `b^-k` (constant negative exponents) into a denominator
    /// (only those with a scalar `b` if `scalar_only`).
    fn split_denominator(&mut self, factors: &[ExprId], scalar_only: bool) -> (Vec<ExprId>, Vec<ExprId>) {
        let mut numerator = Vec::new();
        let mut denominator = Vec::new();
        for &f in factors {
            if let Node::Pow(b, e) = self.graph.node(f).clone() {
                if scalar_only && !self.graph.shape(b).is_scalar() {
                    numerator.push(f);
                    continue;
                }
                if let Some(c) = self.graph.as_const(e).cloned() {
                    if c.is_negative() {
                        let positive = self.graph.powc(b, -c);
                        denominator.push(positive);
                        continue;
                    }
                }
            }
            numerator.push(f);
        }
        (numerator, denominator)
    }

    fn hadamard(&mut self, factors: &[ExprId]) -> (Doc, Prec) {
        let (numerator, denominator) = self.split_denominator(factors, false);
        let n = self.notation;
        let docs: Vec<Doc> = numerator.iter().map(|f| self.factor_doc(*f)).collect();
        let num = if docs.is_empty() {
            n.text("1".to_string())
        } else {
            Doc::intersperse(docs, n.hadamard_separator()).group()
        };
        if denominator.is_empty() {
            return (num, Prec::Product);
        }
        let mut doc = num;
        for d in denominator {
            let den = if n.fraction_brackets() { self.doc(d, Prec::Sum) } else { self.doc(d, Prec::Atom) };
            doc = n.divide(doc, den, true);
        }
        (doc, Prec::Product)
    }

    /// `(b, x)` where `exp(p)` is the array power `b .^ x` as lowering
    /// builds it: `p` is `x .* log(b)`, or `log(b) x` for a scalar `b`,
    /// with `x` an array; `b .^ x` reads back as the same node.
    fn array_power_parts(&self, p: ExprId) -> Option<(ExprId, ExprId)> {
        let log_of = |id: ExprId| match self.graph.node(id) {
            Node::Apply(Func::Log, b) => Some(*b),
            _ => None,
        };
        let array = |id: ExprId| !self.graph.shape(id).is_scalar();
        match self.graph.node(p) {
            Node::Hadamard(factors) if factors.len() == 2 => {
                let (u, v) = (factors[0], factors[1]);
                match (log_of(u), log_of(v)) {
                    (Some(b), _) if array(b) && array(v) => Some((b, v)),
                    (_, Some(b)) if array(b) && array(u) => Some((b, u)),
                    _ => None,
                }
            }
            Node::Mul(factors) if factors.len() == 2 => {
                let b = log_of(factors[0])?;
                (!array(b) && array(factors[1])).then_some((b, factors[1]))
            }
            _ => None,
        }
    }

    /// The array power `b .^ x` (see [`Printer::array_power_parts`]).
    fn array_power(&mut self, b: ExprId, x: ExprId) -> (Doc, Prec) {
        let base = self.doc(b, Prec::Atom);
        let exponent = self.exponent(x);
        (self.notation.power(base, exponent, true), Prec::Power)
    }

    fn power(&mut self, b: ExprId, e: ExprId) -> (Doc, Prec) {
        let elementwise = !self.graph.shape(b).is_scalar();
        let base = self.doc(b, Prec::Atom);
        let exponent = self.exponent(e);
        (self.notation.power(base, exponent, elementwise), Prec::Power)
    }

    /// An exponent: a number or a name as it is, anything else bracketed.
    fn exponent(&mut self, e: ExprId) -> Doc {
        match self.graph.node(e).clone() {
            Node::Const(c) if c.is_integer() => self.notation.text(coeff::display(&c)),
            Node::Var(_) => self.doc(e, Prec::Atom),
            // Anything else in an exponent is bracketed: `2^(sum(x))`.
            _ => {
                let (doc, prec) = self.doc_with_prec(e, false);
                if prec == Prec::Atom && !matches!(self.graph.node(e), Node::Apply(..) | Node::Opaque(..)) {
                    doc
                } else {
                    self.notation.parens(doc)
                }
            }
        }
    }
}

/// Number of transpose marks `id` prints with.
pub fn marks(graph: &Graph, id: ExprId) -> usize {
    count_marks(graph, id, false)
}

/// Number of transpose marks `id` prints with where repeated factors print
/// as powers (a run of equal factors shows its marks once: `(X^2)^T`).
fn printed_marks(graph: &Graph, id: ExprId) -> usize {
    count_marks(graph, id, true)
}

/// Transpose marks under `id`, a run of equal product factors counted once
/// if `runs_once`.
fn count_marks(graph: &Graph, id: ExprId, runs_once: bool) -> usize {
    let mut count = 0;
    let mut stack = vec![id];
    let mut steps = 0;
    while let Some(x) = stack.pop() {
        steps += 1;
        if steps > 10_000 {
            break;
        }
        match graph.node(x) {
            Node::Transpose(_) => count += 1,
            Node::Inverse(a) if matches!(graph.node(*a), Node::Transpose(_)) => count += 1,
            Node::Var(_) => {}
            Node::Mul(factors) if runs_once => {
                let distinct = factors.iter().enumerate().filter(|(i, f)| *i == 0 || factors[i - 1] != **f);
                stack.extend(distinct.map(|(_, f)| *f));
            }
            _ => stack.extend(graph.children(x)),
        }
    }
    count
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Plain text in the input language (parses back).
    Text,
    /// Text with Unicode symbols.
    Unicode,
    /// NumPy source.
    Numpy,
    /// The NumPy function in `jax.numpy` (jit-compatible).
    Jax,
    /// The NumPy function in PyTorch (tensors in, tensor out).
    Torch,
    /// LaTeX for documents (`\mathbf{W}^\top`, `\odot`, `\frac{1}{2}`).
    Latex,
    /// The computational graph of the value, for Graphviz.
    Dot,
    /// The computational graph of the value, as a TikZ picture.
    Tikz,
}

impl Format {
    /// The library a Python format's source calls; `None` for the others.
    pub fn python_library(self) -> Option<numpy::Library> {
        match self {
            Format::Numpy => Some(numpy::Library::Numpy),
            Format::Jax => Some(numpy::Library::Jax),
            Format::Torch => Some(numpy::Library::Torch),
            _ => None,
        }
    }
}

/// The result shape's description, e.g. `m×n`.
pub fn shape_text(graph: &Graph, shape: Shape) -> String {
    crate::shape::ShapeDisplay { shape, names: graph.dim_names() }.to_string()
}
