//! Plain-text notation (parses back to the same graph) and its Unicode
//! variant for terminals (`Wᵀ`, `⊙`, `‖r‖²`, `σ`, `⁻¹`).

use super::{Doc, Notation, Prec};
use crate::coeff::{self, Coeff};
use crate::ir::Func;
use crate::shape::Shape;

/// The input language itself: `W^T`, `.*`, `norm2(r)`.
pub struct Text;

/// Unicode for terminals: `Wᵀ`, `⊙`, `‖r‖²`, `σ`.
pub struct Unicode;

fn number(c: &Coeff) -> (Doc, Prec) {
    let text = coeff::display(c);
    let prec = if c.is_integer() { Prec::Atom } else { Prec::Product };
    (Doc::text(text), prec)
}

fn coefficient_separator(c: &Coeff) -> Doc {
    if c.is_integer() {
        Doc::text(" ")
    } else {
        Doc::text(" * ")
    }
}

impl Notation for Text {
    fn name(&self, name: &str, _shape: Shape) -> String {
        name.to_string()
    }
    fn number(&self, c: &Coeff) -> (Doc, Prec) {
        number(c)
    }
    fn transpose(&self, a: Doc) -> Doc {
        a.append(Doc::text("^T"))
    }
    fn inverse(&self, a: Doc) -> Doc {
        a.append(Doc::text("^-1"))
    }
    fn inverse_transpose(&self, a: Doc) -> Doc {
        a.append(Doc::text("^-T"))
    }
    fn power(&self, base: Doc, exponent: Doc, elementwise: bool) -> Doc {
        base.append(Doc::text(if elementwise { " .^ " } else { "^" })).append(exponent)
    }
    fn product_separator(&self) -> Doc {
        Doc::text(" ")
    }
    fn coefficient_separator(&self, c: &Coeff) -> Doc {
        coefficient_separator(c)
    }
    fn hadamard_separator(&self) -> Doc {
        Doc::text(" .* ")
    }
    fn divide(&self, num: Doc, den: Doc, elementwise: bool) -> Doc {
        num.append(Doc::text(if elementwise { " ./ " } else { " / " })).append(den)
    }
    fn function(&self, f: Func, arg: Doc) -> Doc {
        Doc::text(format!("{}(", f.name())).append(arg).append(Doc::text(")"))
    }
    fn opaque(&self, name: &str, arg: Doc) -> Doc {
        Doc::text(format!("{name}(")).append(arg).append(Doc::text(")"))
    }
    fn identity(&self, dim: Option<String>) -> Doc {
        match dim {
            Some(d) => Doc::text(format!("I({d})")),
            None => Doc::text("I"),
        }
    }
    fn ones(&self, rows: String, cols: Option<String>, _fixed: bool) -> Doc {
        match cols {
            Some(c) => Doc::text(format!("ones({rows}, {c})")),
            None => Doc::text(format!("ones({rows})")),
        }
    }
    fn zero(&self, rows: String, cols: Option<String>) -> Doc {
        match cols {
            Some(c) => Doc::text(format!("zeros({rows}, {c})")),
            None => Doc::text(format!("zeros({rows})")),
        }
    }
    fn upstream(&self, loss: &str, arg: Doc) -> Doc {
        Doc::text(format!("grad({loss}, ")).append(arg).append(Doc::text(")"))
    }
}

impl Notation for Unicode {
    fn name(&self, name: &str, _shape: Shape) -> String {
        greek(name)
    }
    fn literal_name(&self, name: &str, _shape: Shape) -> Option<String> {
        Some(name.to_string())
    }
    fn number(&self, c: &Coeff) -> (Doc, Prec) {
        number(c)
    }
    fn transpose(&self, a: Doc) -> Doc {
        a.append(Doc::text("ᵀ"))
    }
    fn inverse(&self, a: Doc) -> Doc {
        a.append(Doc::text("⁻¹"))
    }
    fn inverse_transpose(&self, a: Doc) -> Doc {
        a.append(Doc::text("⁻ᵀ"))
    }
    fn power(&self, base: Doc, exponent: Doc, elementwise: bool) -> Doc {
        base.append(Doc::text(if elementwise { " .^ " } else { "^" })).append(exponent)
    }
    fn product_separator(&self) -> Doc {
        Doc::text(" ")
    }
    fn coefficient_separator(&self, c: &Coeff) -> Doc {
        coefficient_separator(c)
    }
    fn hadamard_separator(&self) -> Doc {
        Doc::text(" ⊙ ")
    }
    fn divide(&self, num: Doc, den: Doc, elementwise: bool) -> Doc {
        num.append(Doc::text(if elementwise { " ⊘ " } else { " / " })).append(den)
    }
    fn function(&self, f: Func, arg: Doc) -> Doc {
        match crate::ops::notation(f).unicode {
            Some((open, close)) => Doc::text(open).append(arg).append(Doc::text(close)),
            None => Text.function(f, arg),
        }
    }
    fn opaque(&self, name: &str, arg: Doc) -> Doc {
        // `σ(z)` reads back as the sigmoid, so a function `sigma` keeps its name.
        let shown = if name == "sigma" { name.to_string() } else { greek(name) };
        Doc::text(format!("{shown}(")).append(arg).append(Doc::text(")"))
    }
    fn identity(&self, dim: Option<String>) -> Doc {
        match dim {
            Some(d) => Doc::text(format!("I({d})")),
            None => Doc::text("I"),
        }
    }
    fn ones(&self, rows: String, cols: Option<String>, fixed: bool) -> Doc {
        match cols {
            Some(c) => Doc::text(format!("𝟙({rows}×{c})")),
            None if fixed => Doc::text("𝟙"),
            None => Doc::text(format!("𝟙({rows})")),
        }
    }
    fn zero(&self, rows: String, cols: Option<String>) -> Doc {
        match cols {
            Some(c) => Doc::text(format!("𝟎({rows}×{c})")),
            None => Doc::text(format!("𝟎({rows})")),
        }
    }
    fn upstream(&self, loss: &str, arg: Doc) -> Doc {
        Doc::text(format!("∂{}/∂", greek(loss))).append(arg)
    }
    fn kron(&self) -> Option<Doc> {
        Some(Doc::text(" ⊗ "))
    }
    fn minus(&self) -> &'static str {
        "−"
    }
    fn upstream_brackets(&self) -> bool {
        true
    }
    fn upstream_prec(&self) -> Prec {
        Prec::Power
    }
}

/// `alpha` → `α`, `sigma2` → `σ2`; other names unchanged (the inverse of
/// [`crate::syntax::spelled_out`]).
pub fn greek(name: &str) -> String {
    for (word, letter) in crate::syntax::GREEK_LETTERS {
        if let Some(rest) = name.strip_prefix(word) {
            if rest.is_empty() || rest.chars().all(|c| c.is_ascii_digit() || c == '_') {
                return format!("{letter}{rest}");
            }
        }
    }
    name.to_string()
}
