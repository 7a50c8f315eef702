//! LaTeX notation for homework solutions: vectors and matrices bold by
//! their shape (`\mathbf{W}`), scalars italic, Greek names as letters,
//! `^\top` (or `^T`), `\odot`, `\frac`, `\left\| r \right\|^2`, upstream
//! gradients as `\frac{\partial L}{\partial \mathbf{z}_2}`.
//!
//! Invariants: the output is valid KaTeX/amsmath math-mode source; a long
//! line breaks at the `+`, `-` and `\odot` of the outermost sum or Hadamard
//! product first, then inside plain brackets (`\left( … \right)`, function
//! arguments, fractions and subscripts are laid out flat), and a result that
//! breaks is wrapped in an `aligned` block.
//! Widths are estimated in points from the source (see [`width`]); a line
//! width in symbols is [`width::page`] of them.

pub mod width;

use super::{Doc, Notation, Prec, Printer, Spellings};
use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, Func, Graph};
use crate::ops::LatexForm;
use crate::shape::Shape;

/// The LaTeX notation; `plain_t` writes transposes as `^T` instead of `^\top`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latex {
    /// Write `^T` (and `^{-T}`) instead of `^\top` (and `^{-\top}`).
    pub plain_t: bool,
}

/// The source text of a LaTeX fragment as a document whose width is its
/// printed width.
pub fn tex(source: impl Into<String>) -> Doc {
    let source: String = source.into();
    let width = visual_width(&source);
    Doc::new(pretty::Doc::RenderLen(width, Doc::new(pretty::Doc::OwnedText(source.into_boxed_str()))))
}

/// A LaTeX fragment of known printed width as a document.
pub(crate) fn tex_measured(source: String, width: usize) -> Doc {
    Doc::new(pretty::Doc::RenderLen(width, Doc::new(pretty::Doc::OwnedText(source.into_boxed_str()))))
}

/// `make` applied to `inner` laid out flat. The width is the template's
/// plus `inner`'s as already measured: scanning the flattened `inner` again
/// at every level of brackets would take time quadratic in the depth.
fn tex_around(inner: Doc, make: impl Fn(&str) -> String) -> Doc {
    let width = visual_width(&make("")) + flat_width(&inner);
    tex_measured(make(&flat(inner)), width)
}

/// The printed width of `doc` laid out flat: the widths [`tex`] recorded,
/// and the visual width of other text.
fn flat_width(doc: &Doc) -> usize {
    let mut width = 0;
    let mut stack = vec![doc];
    while let Some(d) = stack.pop() {
        match &**d {
            pretty::Doc::RenderLen(n, _) => width += n,
            pretty::Doc::OwnedText(s) => width += visual_width(s),
            pretty::Doc::BorrowedText(s) => width += visual_width(s),
            pretty::Doc::SmallText(s) => width += visual_width(s),
            pretty::Doc::Append(a, b) => {
                stack.push(b);
                stack.push(a);
            }
            pretty::Doc::FlatAlt(_, flat) => stack.push(flat),
            pretty::Doc::Union(flat, _) => stack.push(flat),
            pretty::Doc::Group(a) | pretty::Doc::Nest(_, a) | pretty::Doc::Annotated(_, a) => stack.push(a),
            pretty::Doc::Nil
            | pretty::Doc::Hardline
            | pretty::Doc::Fail
            | pretty::Doc::Column(_)
            | pretty::Doc::Nesting(_) => {}
        }
    }
    width
}

/// Lays `doc` out on one line (no breaks), as a string.
pub fn flat(doc: Doc) -> String {
    let mut out = String::new();
    let _ = doc.render_fmt(usize::MAX, &mut out);
    out
}

/// The estimated printed width of LaTeX math source, in hundredths of a
/// point (see [`width::of`]).
pub fn visual_width(source: &str) -> usize {
    width::of(source)
}

/// Wraps a rendered result that spans several lines in an `aligned` block;
/// `lhs` (e.g. `\nabla_{\mathbf{W}} L`) is the equation's left side when the
/// text starts with `lhs = `.
pub fn aligned(lhs: Option<&str>, rendered: &str) -> String {
    if !rendered.contains('\n') {
        return rendered.to_string();
    }
    let body = match lhs.and_then(|l| rendered.strip_prefix(&format!("{l} = "))) {
        Some(rest) => format!("{} &= {rest}", lhs.unwrap_or_default()),
        None => format!("& {rendered}"),
    };
    format!("\\begin{{aligned}}\n{body}\n\\end{{aligned}}")
}

/// Several equations, each rendered by [`render`] with its left side (one
/// line `lhs = …` or an `aligned` block), as one `aligned` block.
pub fn system(equations: &[String]) -> String {
    let rows: Vec<String> = equations
        .iter()
        .map(|e| match e.strip_prefix("\\begin{aligned}\n").and_then(|b| b.strip_suffix("\n\\end{aligned}")) {
            Some(rows) => rows.to_string(),
            None => e.replacen(" = ", " &= ", 1),
        })
        .collect();
    format!("\\begin{{aligned}}\n{}\n\\end{{aligned}}", rows.join(" \\\\\n"))
}

/// Renders `id` as LaTeX at `width` symbols ([`width::page`]), as the equation `lhs = …` when
/// `lhs` is given; a result too long for one line becomes an `aligned`
/// block broken at the top-level `+` and `-`.
pub fn render(graph: &mut Graph, id: ExprId, notation: &Latex, lhs: Option<&str>, width: usize) -> String {
    let shared = super::bindings::with_shared(graph, id, |graph, shared| {
        // A large result: the expression, then its shared subterms, one per line.
        let shared = shared?;
        let spellings = Spellings::new(graph, notation);
        let mut printer = Printer::new(graph, notation, &spellings, false);
        let main = flat(printer.doc(shared.root, Prec::Sum));
        let mut lines = vec![match lhs {
            Some(l) => format!("{l} &= {main}"),
            None => format!("& {main}"),
        }];
        for (i, (name, value)) in shared.bindings.iter().enumerate() {
            let shape = printer.graph.shape(*value);
            let body = flat(printer.doc(*value, Prec::Sum));
            let label = if i == 0 { "\\text{where } " } else { "" };
            lines.push(format!("{label}{} &= {body}", spellings.name(notation, name, shape)));
        }
        Some(format!("\\begin{{aligned}}\n{}\n\\end{{aligned}}", lines.join(" \\\\\n")))
    });
    if let Some(text) = shared {
        return text;
    }
    let spellings = Spellings::new(graph, notation);
    render_spelled(graph, id, notation, &spellings, lhs, width)
}

/// [`render`] without naming shared parts, with the names' [`Spellings`]
/// already made (for the many small labels of one drawing).
pub fn render_spelled(
    graph: &mut Graph,
    id: ExprId,
    notation: &Latex,
    spellings: &Spellings,
    lhs: Option<&str>,
    width: usize,
) -> String {
    let mut printer = Printer::new(graph, notation, spellings, false);
    let body = printer.doc(id, Prec::Sum);
    // Every row of the `aligned` block starts after the left side: the
    // left side's width is taken off the page, not counted on the first row.
    let page = width::page(width).max(1);
    let (doc, page) = match lhs {
        Some(l) => {
            let page = page.saturating_sub(visual_width(l)).max(page / 3);
            (tex_measured(format!("{l} = "), visual_width(" = ")).append(body), page)
        }
        None => (body, page),
    };
    let mut out = String::new();
    let _ = doc.render_fmt(page, &mut out);
    aligned(lhs, &out)
}

/// The left side `\nabla_{\mathbf{W}} L` of a gradient, or
/// `\frac{\partial \mathbf{y}}{\partial \mathbf{x}}` of a Jacobian.
pub fn derivative_lhs(
    spellings: &Spellings,
    value_name: &str,
    value_shape: Shape,
    wrt_name: &str,
    wrt_shape: Shape,
    jacobian: bool,
) -> String {
    if jacobian {
        return jacobian_lhs(
            spellings,
            value_name,
            value_shape,
            (wrt_name, wrt_shape, false),
            crate::Layout::Numerator,
        );
    }
    let of = spellings.name(&Latex::default(), value_name, value_shape);
    let wrt = spellings.name(&Latex::default(), wrt_name, wrt_shape);
    format!("\\nabla_{{{wrt}}} {of}")
}

/// The left side of a Jacobian in `layout`: numerator
/// `\frac{\partial \mathbf{y}}{\partial \mathbf{x}}`
/// (`\frac{\partial \operatorname{vec}(\mathbf{F})}{\partial \operatorname{vec}(\mathbf{X})^\top}`),
/// denominator its transpose `\frac{\partial \mathbf{y}^\top}{\partial \mathbf{x}}`;
/// `wrt` is the variable's name, shape and whether it is symmetric (whose
/// free entries are `\operatorname{vech}(\mathbf{S})`).
pub fn jacobian_lhs(
    spellings: &Spellings,
    value_name: &str,
    value_shape: Shape,
    wrt: (&str, Shape, bool),
    layout: crate::Layout,
) -> String {
    let (wrt_name, wrt_shape, symmetric) = wrt;
    let of = spellings.name(&Latex::default(), value_name, value_shape);
    let wrt = spellings.name(&Latex::default(), wrt_name, wrt_shape);
    let matrix = |s: Shape| s.rows != crate::shape::Dim::ONE && s.cols != crate::shape::Dim::ONE;
    // ∂vec(F)/∂vec(X)ᵀ, a vector's vec being itself.
    let vec = |name: String, s: Shape| if matrix(s) { format!("\\operatorname{{vec}}({name})") } else { name };
    let wrt =
        if symmetric && matrix(wrt_shape) { format!("\\operatorname{{vech}}({wrt})") } else { vec(wrt, wrt_shape) };
    match layout {
        crate::Layout::Numerator if matrix(value_shape) || matrix(wrt_shape) => {
            format!("\\frac{{\\partial {}}}{{\\partial {wrt}^\\top}}", vec(of, value_shape))
        }
        crate::Layout::Numerator => format!("\\frac{{\\partial {of}}}{{\\partial {wrt}}}"),
        crate::Layout::Denominator => {
            format!("\\frac{{\\partial {}^\\top}}{{\\partial {wrt}}}", vec(of, value_shape))
        }
    }
}

/// `( a )`, with `\left( … \right)` when `a` holds something tall.
fn bracket(a: &str) -> String {
    if is_tall(a) {
        format!("\\left( {a} \\right)")
    } else {
        format!("({a})")
    }
}

/// `true` if the LaTeX source `a` holds something taller than a line of
/// text (a fraction, a sized delimiter, a sum sign).
fn is_tall(a: &str) -> bool {
    a.contains("\\frac") || a.contains("\\left") || a.contains("\\sum")
}

/// A break in a long line of an `aligned` block: a new row, indented, that
/// starts with `continued` (as `+ ` or `\odot `); `flat` when it fits.
fn row_break(flat: &str, continued: &str) -> Doc {
    // The row's end prints nothing at the end of the row: it takes no width.
    tex_measured(" \\\\".to_string(), 0)
        .append(Doc::hardline())
        .append(tex(format!("&\\quad {continued}")))
        .flat_alt(tex(flat))
}

/// `lambda` → `\lambda`, `ell` → `\ell`, `λ` → `\lambda`.
fn greek_command(word: &str) -> Option<String> {
    if word == "ell" {
        return Some("\\ell".to_string());
    }
    let mut chars = word.chars();
    let single = match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    };
    crate::syntax::GREEK_LETTERS
        .iter()
        .find(|(name, letter)| *name == word || Some(*letter) == single)
        .map(|(name, _)| format!("\\{name}"))
}

/// Characters of a name made safe for math mode.
fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c == '_' {
            out.push_str("\\_");
        } else if let Some(command) = greek_command(&c.to_string()).or_else(|| letterlike_command(c)) {
            out.push_str(&command);
            out.push(' ');
        } else {
            // pdflatex has no glyph for an arbitrary character: its code point.
            out.push_str(&format!("\\text{{U+{:04X}}}", c as u32));
        }
    }
    out
}

/// The LaTeX for a letterlike symbol a name may contain (`ℒ` is
/// `\mathcal{L}`), `None` for other characters.
fn letterlike_command(c: char) -> Option<String> {
    const SCRIPT: &[(char, char)] = &[
        ('ℒ', 'L'),
        ('ℱ', 'F'),
        ('ℋ', 'H'),
        ('ℐ', 'I'),
        ('ℳ', 'M'),
        ('ℛ', 'R'),
        ('ℬ', 'B'),
        ('ℰ', 'E'),
        ('𝒜', 'A'),
        ('𝒞', 'C'),
        ('𝒟', 'D'),
        ('𝒢', 'G'),
        ('𝒥', 'J'),
        ('𝒦', 'K'),
        ('𝒩', 'N'),
        ('𝒪', 'O'),
        ('𝒫', 'P'),
        ('𝒬', 'Q'),
        ('𝒮', 'S'),
        ('𝒯', 'T'),
        ('𝒰', 'U'),
        ('𝒱', 'V'),
        ('𝒲', 'W'),
        ('𝒳', 'X'),
        ('𝒴', 'Y'),
        ('𝒵', 'Z'),
    ];
    if c == 'ℓ' {
        return Some("\\ell".to_string());
    }
    SCRIPT.iter().find(|(symbol, _)| *symbol == c).map(|(_, letter)| format!("\\mathcal{{{letter}}}"))
}

/// A user's name in LaTeX: bold for vectors and matrices, italic for
/// scalars, Greek names as letters, a trailing number or `_part` as a
/// subscript (`W1` → `\mathbf{W}_1`, `sigma2` → `\sigma_2`).
pub fn name(name: &str, shape: Shape) -> String {
    let bold = !shape.is_scalar();
    let (base, subscript) = split_name(name);
    let mut out = base_name(base, bold);
    if let Some(sub) = subscript {
        let parts: Vec<String> = sub.split('_').filter(|p| !p.is_empty()).map(subscript_part).collect();
        let joined = parts.join(",");
        if joined.chars().count() == 1 {
            out.push('_');
            out.push_str(&joined);
        } else if !joined.is_empty() {
            out.push_str(&format!("_{{{joined}}}"));
        }
    }
    out
}

/// A name printed as it is typed, every character in the base font (bold
/// or italic): `x1` as `\mathbf{x1}`, `alpha` as `\mathit{alpha}`.
pub fn literal_name(name: &str, shape: Shape) -> String {
    if shape.is_scalar() {
        format!("\\mathit{{{}}}", escape(name))
    } else {
        format!("\\mathbf{{{}}}", escape(name))
    }
}

/// Splits `W1` into (`W`, `1`), `x_hat` into (`x`, `hat`), `sigma` into (`sigma`, none).
fn split_name(name: &str) -> (&str, Option<&str>) {
    if let Some(i) = name.char_indices().skip(1).find(|(_, c)| *c == '_').map(|(i, _)| i) {
        let sub = &name[i + 1..];
        return (&name[..i], if sub.is_empty() { None } else { Some(sub) });
    }
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if !stem.is_empty() && stem.len() < name.len() {
        (stem, Some(&name[stem.len()..]))
    } else {
        (name, None)
    }
}

fn base_name(base: &str, bold: bool) -> String {
    let mut chars = base.chars();
    let letterlike = match (chars.next(), chars.next()) {
        (Some(c), None) => letterlike_command(c),
        _ => None,
    };
    if let Some(command) = greek_command(base).or(letterlike) {
        return if bold { format!("\\boldsymbol{{{command}}}") } else { command };
    }
    let single_letter = base.chars().count() == 1 && base.chars().all(|c| c.is_ascii_alphabetic());
    match (single_letter, bold) {
        (true, true) => format!("\\mathbf{{{base}}}"),
        (true, false) => base.to_string(),
        (false, true) => format!("\\mathbf{{{}}}", escape(base)),
        (false, false) => format!("\\mathit{{{}}}", escape(base)),
    }
}

fn subscript_part(part: &str) -> String {
    if part.chars().all(|c| c.is_ascii_digit()) {
        return part.to_string();
    }
    if let Some(command) = greek_command(part) {
        return command;
    }
    if part.chars().count() == 1 && part.chars().all(|c| c.is_ascii_alphabetic()) {
        return part.to_string();
    }
    format!("\\mathrm{{{}}}", escape(part))
}

/// A dimension name for a subscript (`n`, `d_1`; a product's factors
/// side by side, `m n`).
fn dim(text: &str) -> String {
    // A triangular number's n (n + 1)/2 keeps its brackets, sign and slash.
    text.chars().map(|c| if "()+/ ".contains(c) { c.to_string() } else { escape(&c.to_string()) }).collect()
}

impl Latex {
    /// The LaTeX source of `f` applied to the flat source `a`.
    fn function_source(&self, f: Func, a: &str) -> String {
        match crate::ops::notation(f).latex {
            LatexForm::Around(open, close) => format!("{open}{a}{close}"),
            LatexForm::Head(head) => format!("{head}{}", bracket(a)),
        }
    }

    fn top(&self) -> &'static str {
        if self.plain_t {
            "T"
        } else {
            "\\top"
        }
    }
}

impl Notation for Latex {
    fn name(&self, text: &str, shape: Shape) -> String {
        name(text, shape)
    }
    fn literal_name(&self, text: &str, shape: Shape) -> Option<String> {
        Some(literal_name(text, shape))
    }
    fn differential(&self, variable: &str) -> Option<String> {
        Some(format!("\\mathrm{{d}}{variable}"))
    }
    fn text(&self, text: String) -> Doc {
        tex(text)
    }
    fn number(&self, c: &Coeff) -> (Doc, Prec) {
        if c.is_integer() {
            (tex(coeff::display(c)), Prec::Atom)
        } else {
            (tex(format!("\\frac{{{}}}{{{}}}", c.numer(), c.denom())), Prec::Atom)
        }
    }
    fn transpose(&self, a: Doc) -> Doc {
        a.append(tex(format!("^{}", self.top())))
    }
    fn inverse(&self, a: Doc) -> Doc {
        a.append(tex("^{-1}"))
    }
    fn inverse_transpose(&self, a: Doc) -> Doc {
        a.append(tex(format!("^{{-{}}}", self.top())))
    }
    fn power(&self, base: Doc, exponent: Doc, elementwise: bool) -> Doc {
        if elementwise {
            base.append(tex_around(exponent, |e| format!("^{{\\circ {e}}}")))
        } else {
            base.append(tex_around(exponent, |e| format!("^{{{e}}}")))
        }
    }
    fn product_separator(&self) -> Doc {
        // Each factor goes on to the next row only if it does not fit.
        row_break(" ", "").group()
    }
    fn coefficient_separator(&self, _c: &Coeff) -> Doc {
        Doc::text(" ")
    }
    fn hadamard_separator(&self) -> Doc {
        row_break(" \\odot ", "\\odot ")
    }
    fn divide(&self, num: Doc, den: Doc, _elementwise: bool) -> Doc {
        let width = flat_width(&num).max(flat_width(&den));
        tex_measured(format!("\\frac{{{}}}{{{}}}", flat(num), flat(den)), width)
    }
    fn fraction_brackets(&self) -> bool {
        true
    }
    fn function(&self, f: Func, arg: Doc) -> Doc {
        tex_around(arg, |a| self.function_source(f, a))
    }
    fn function_prec(&self, f: Func) -> Prec {
        if f == Func::Norm2 {
            Prec::Power
        } else {
            Prec::Atom
        }
    }
    fn opaque(&self, function: &str, arg: Doc) -> Doc {
        let head = match greek_command(function) {
            Some(command) => command,
            None if function.chars().count() == 1 => escape(function),
            None => format!("\\operatorname{{{}}}", escape(function)),
        };
        tex_around(arg, |a| format!("{head}{}", bracket(a)))
    }
    fn kron(&self) -> Option<Doc> {
        Some(tex(" \\otimes "))
    }
    fn commutation(&self, m: String, n: String) -> Doc {
        tex(format!("\\mathbf{{K}}_{{{},{}}}", dim(&m), dim(&n)))
    }
    fn duplication(&self, n: String) -> Doc {
        tex(format!("\\mathbf{{D}}_{{{}}}", dim(&n)))
    }
    fn identity(&self, dimension: Option<String>) -> Doc {
        match dimension {
            Some(d) => tex(format!("\\mathbf{{I}}_{{{}}}", dim(&d))),
            None => tex("\\mathbf{I}"),
        }
    }
    fn ones(&self, rows: String, cols: Option<String>, _fixed: bool) -> Doc {
        match cols {
            Some(c) if rows == "1" => tex(format!("\\mathbf{{1}}_{{{}}}^{}", dim(&c), self.top())),
            Some(c) => tex(format!("\\mathbf{{1}}_{{{} \\times {}}}", dim(&rows), dim(&c))),
            None => tex(format!("\\mathbf{{1}}_{{{}}}", dim(&rows))),
        }
    }
    fn zero(&self, _rows: String, _cols: Option<String>) -> Doc {
        tex("\\mathbf{0}")
    }
    fn upstream(&self, loss: &str, arg: Doc) -> Doc {
        let loss = name(loss, Shape::SCALAR);
        tex_around(arg, |a| format!("\\frac{{\\partial {loss}}}{{\\partial {a}}}"))
    }
    fn parens(&self, a: Doc) -> Doc {
        // Plain brackets may break inside, a row of an `aligned` block
        // ending in the middle of a bracketed sum or Hadamard product;
        // `\left( … \right)` may not, and is laid out flat.
        if is_tall(&flat(a.clone())) {
            tex_around(a, bracket)
        } else {
            tex("(").append(a).append(tex(")"))
        }
    }
    fn sum_break(&self) -> Doc {
        row_break(" ", "")
    }
    fn upstream_prec(&self) -> Prec {
        Prec::Power
    }
    fn upstream_brackets(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Dim;

    #[test]
    fn names() {
        let m = Shape::new(Dim::Fixed(2), Dim::Fixed(3));
        let v = Shape::column(Dim::Fixed(2));
        assert_eq!(name("W1", m), "\\mathbf{W}_1");
        assert_eq!(name("b_2", v), "\\mathbf{b}_2");
        assert_eq!(name("z2", v), "\\mathbf{z}_2");
        assert_eq!(name("lambda", Shape::SCALAR), "\\lambda");
        assert_eq!(name("sigma2", Shape::SCALAR), "\\sigma_2");
        assert_eq!(name("x_hat", v), "\\mathbf{x}_{\\mathrm{hat}}");
        assert_eq!(name("W12", m), "\\mathbf{W}_{12}");
        assert_eq!(name("loss", Shape::SCALAR), "\\mathit{loss}");
        assert_eq!(name("_x", v), "\\mathbf{\\_x}");
        assert_eq!(name("x_i_j", v), "\\mathbf{x}_{i,j}");
    }

    #[test]
    fn widths() {
        // A bold letter is wider than an italic one; a fraction as wide as
        // its wider part; scripts smaller.
        assert!(visual_width("\\mathbf{W}") > visual_width("W"));
        assert!(visual_width("\\frac{1}{2}") < visual_width("1 2"));
        assert!(visual_width("x_1") < visual_width("x 1"));
        assert_eq!(visual_width("\\mathbf{x} \\mathbf{y}"), visual_width("\\mathbf{x}\\mathbf{y}"));
    }
}
