//! The notation keys of the operator table: how each printer writes a call
//! of a built-in function. The text format always writes `name(…)`; the
//! Unicode, LaTeX, drawn-graph and generated-Python printers read the
//! entry's [`Notation`].

/// How the LaTeX printer writes a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatexForm {
    /// A command before the bracketed argument (`\exp`, `\operatorname{tr}`).
    Head(&'static str),
    /// Source before and after the argument (`\left\| ` and ` \right\|^2`).
    Around(&'static str, &'static str),
}

/// How each printer writes a call of one built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notation {
    /// Unicode: text before and after the argument (`σ(` and `)`); `None`
    /// writes the text form's `name(…)`.
    pub unicode: Option<(&'static str, &'static str)>,
    /// LaTeX.
    pub latex: LatexForm,
    /// The operation's label in a drawn graph, as text and as TeX; `None`
    /// labels it with the Unicode head (or the name) and the LaTeX command.
    pub graph: Option<(&'static str, &'static str)>,
    /// Generated NumPy, a template: `$0` is the argument, `$like` PyTorch's
    /// `dtype=`/`device=` keywords, any other `$name` the Python name of the
    /// helper function `name` (defined once in the generated source).
    pub numpy: &'static str,
    /// The PyTorch template, where it is not the NumPy call's namesake under
    /// `torch.` (NumPy's is used when `None`).
    pub torch: Option<&'static str>,
}

impl Notation {
    /// A call written as a LaTeX command before its bracketed argument, and
    /// in generated Python as the template `numpy`.
    pub const fn call(latex_head: &'static str, numpy: &'static str) -> Notation {
        Notation { unicode: None, latex: LatexForm::Head(latex_head), graph: None, numpy, torch: None }
    }

    /// A call written with source around its argument in LaTeX.
    pub const fn around(open: &'static str, close: &'static str, numpy: &'static str) -> Notation {
        Notation { unicode: None, latex: LatexForm::Around(open, close), graph: None, numpy, torch: None }
    }

    /// With Unicode text before and after the argument.
    pub const fn unicode(self, open: &'static str, close: &'static str) -> Notation {
        Notation { unicode: Some((open, close)), ..self }
    }

    /// With this label in a drawn graph (text, TeX).
    pub const fn graph(self, text: &'static str, tex: &'static str) -> Notation {
        Notation { graph: Some((text, tex)), ..self }
    }

    /// With this PyTorch template.
    pub const fn torch(self, template: &'static str) -> Notation {
        Notation { torch: Some(template), ..self }
    }

    /// The label of the operation in a drawn graph (text, TeX); `name` is
    /// the function's name.
    pub fn graph_label(&self, name: &'static str) -> (&'static str, &'static str) {
        if let Some(label) = self.graph {
            return label;
        }
        let text = match self.unicode {
            Some((open, _)) => open.strip_suffix('(').unwrap_or(open),
            None => name,
        };
        let tex = match self.latex {
            LatexForm::Head(head) | LatexForm::Around(head, _) => head,
        };
        (text, tex)
    }
}

/// One piece of a generated-Python template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Source copied as it is.
    Text(&'static str),
    /// The argument.
    Argument,
    /// PyTorch's `dtype=`/`device=` keywords (nothing for other libraries).
    Like,
    /// The Python name of a helper function.
    Helper(&'static str),
}

/// The pieces of `template` (see [`Notation::numpy`]), in order.
pub fn pieces(template: &'static str) -> impl Iterator<Item = Piece> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some(after) = rest.strip_prefix('$') {
            let end = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
            let (key, tail) = after.split_at(end);
            rest = tail;
            return Some(match key {
                "0" => Piece::Argument,
                "like" => Piece::Like,
                helper => Piece::Helper(helper),
            });
        }
        let end = rest.find('$').unwrap_or(rest.len());
        let (text, tail) = rest.split_at(end);
        rest = tail;
        Some(Piece::Text(text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_text_argument_and_helpers() {
        let got: Vec<Piece> = pieces("(lambda t: t * $sigmoid(t))($0)").collect();
        assert_eq!(
            got,
            [
                Piece::Text("(lambda t: t * "),
                Piece::Helper("sigmoid"),
                Piece::Text("(t))("),
                Piece::Argument,
                Piece::Text(")")
            ]
        );
        let got: Vec<Piece> = pieces("torch.zeros(()$like)").collect();
        assert_eq!(got, [Piece::Text("torch.zeros(()"), Piece::Like, Piece::Text(")")]);
    }
}
