//! The `:commands`. Each takes `EXPR` (a bare definition name stands for
//! its definition, so results and derivations are named after it), some
//! take `wrt X`, and `:graph` takes `> FILE`. A command's expression is
//! analysed in the session but leaves nothing behind.

use super::errors::{render, Origin};
use super::session::Session;
use super::{help, Outcome, OutputFormat, COMMANDS, FORMATS};
use matcalc::error::{Error, Span};
use matcalc::print::latex::Latex;
use matcalc::session::{ErrorText, SessionError, Value};
use matcalc::{Analysis, DerivativeKind, Format};

/// Part of a command line: its text and where it starts in the line.
#[derive(Clone, Copy, Debug)]
struct Piece<'a> {
    text: &'a str,
    start: usize,
}

impl<'a> Piece<'a> {
    /// The piece's span in the line.
    fn span(&self) -> Span {
        Span::new(self.start, self.start + self.text.len())
    }

    /// The piece without surrounding whitespace.
    fn trim(self) -> Piece<'a> {
        let start = self.start + (self.text.len() - self.text.trim_start().len());
        Piece { text: self.text.trim(), start }
    }

    /// The pieces before and after the whitespace-delimited `keyword`
    /// (its last occurrence if `last`, else its first).
    fn split_at_keyword(self, keyword: &str, last: bool) -> Option<(Piece<'a>, Piece<'a>)> {
        let bytes = self.text.as_bytes();
        let delimited = |&(i, _): &(usize, &str)| {
            let before = i > 0 && bytes[i - 1].is_ascii_whitespace();
            let after = bytes.get(i + keyword.len()).is_none_or(u8::is_ascii_whitespace);
            before && after
        };
        let found = if last {
            self.text.rmatch_indices(keyword).find(delimited)
        } else {
            self.text.match_indices(keyword).find(delimited)
        };
        let (i, _) = found?;
        let before = Piece { text: &self.text[..i], start: self.start }.trim();
        let after = Piece { text: &self.text[i + keyword.len()..], start: self.start + i + keyword.len() }.trim();
        Some((before, after))
    }
}

/// An error raised by a command, with what its spans refer to.
enum Raised {
    /// Spans refer to the command's expression.
    InExpr(Error),
    /// Spans refer to the whole line.
    InLine(Error),
    /// Already rendered.
    Rendered(String),
    /// Raised by the session on the command's expression.
    Session(SessionError),
}

impl From<SessionError> for Raised {
    fn from(e: SessionError) -> Raised {
        Raised::Session(e)
    }
}

impl From<Error> for Raised {
    fn from(e: Error) -> Raised {
        Raised::InExpr(e)
    }
}

impl Session {
    /// Runs a `:command`; `start` is where it begins in `line`.
    pub(super) fn command(&mut self, line: &str, start: usize) -> Outcome {
        let text = line[start..].trim_end();
        let name_end = text.find(char::is_whitespace).unwrap_or(text.len());
        let name = &text[..name_end];
        let args = Piece { text: &text[name_end..], start: start + name_end }.trim();
        match name {
            ":help" | ":h" | ":?" => self.help(args.text),
            ":quit" | ":q" | ":exit" => Outcome { quit: true, ..Outcome::default() },
            ":reset" => {
                self.reset();
                Outcome::print("session cleared")
            }
            ":types" => self.types(),
            ":format" => self.set_format(args.text),
            ":diff" => self.diff(line, args),
            ":check" => self.check(line, args),
            ":steps" => self.steps(line, args),
            ":latex" => self.latex(line, args),
            ":graph" => self.graph(line, args),
            ":verify" => self.verify(line, args),
            ":load" => self.load(args.text),
            ":save" => self.save(args.text),
            _ => unknown_command(name),
        }
    }

    fn help(&self, topic: &str) -> Outcome {
        if topic.is_empty() {
            return Outcome::print(help::general());
        }
        match help::command(topic) {
            Some(text) => Outcome::print(text),
            None => {
                let name = if topic.starts_with(':') { topic.to_string() } else { format!(":{topic}") };
                unknown_command(&name)
            }
        }
    }

    fn types(&mut self) -> Outcome {
        if self.core.texts().is_empty() {
            return Outcome::print("no names yet");
        }
        let text = self.core.program_value().analysis(|analysis| analysis.types());
        Outcome::print(text.trim_end())
    }

    fn set_format(&mut self, args: &str) -> Outcome {
        let format = match args {
            "text" => OutputFormat::Text,
            "unicode" => OutputFormat::Unicode,
            "latex" => OutputFormat::Latex,
            "numpy" => OutputFormat::Numpy,
            "jax" => OutputFormat::Jax,
            "torch" => OutputFormat::Torch,
            "" => {
                let current = FORMATS[self.format as usize];
                return Outcome::print(format!("format: {current} (one of {})", FORMATS.join(", ")));
            }
            other => {
                return Outcome::fail(format!(
                    "error: unknown format `{other}`\n  = help: the formats are {}\n",
                    FORMATS.join(", ")
                ))
            }
        };
        self.format = format;
        Outcome::print(format!("format: {args}"))
    }

    fn diff(&mut self, line: &str, args: Piece) -> Outcome {
        let Some((expr, x)) = with_wrt(args) else { return usage(":diff") };
        let (format, width) = (self.format.library(), self.width);
        self.on_target(line, expr, |mut value| {
            let of = value.of().map(str::to_string);
            value.analysis(|analysis| {
                check_variable(analysis, x)?;
                let derivative = analysis.derivative(of.as_deref(), x.text)?;
                Ok(Outcome::print(match format.python_library() {
                    Some(library) => {
                        let name = matcalc::print::numpy::derivative_function_name(
                            analysis.graph(),
                            derivative.wrt,
                            derivative.kind == DerivativeKind::Jacobian,
                        );
                        analysis.python_function(derivative.result, &name, library).source.trim_end().to_string()
                    }
                    None => analysis.print_width(derivative.result, format, width),
                }))
            })
        })
    }

    fn check(&mut self, line: &str, args: Piece) -> Outcome {
        let Some((expr, x)) = with_wrt(args) else { return usage(":check") };
        let width = self.width;
        self.on_target(line, expr, |mut value| {
            let of = value.of().map(str::to_string);
            value.analysis(|analysis| {
                check_variable(analysis, x)?;
                let derivative = analysis.derivative(of.as_deref(), x.text)?;
                let text = analysis.print_width(derivative.result, Format::Unicode, width);
                let comparison = matcalc::check::compare_with_finite_differences(
                    analysis.graph(),
                    derivative.of,
                    derivative.wrt,
                    derivative.result,
                    derivative.kind == DerivativeKind::Jacobian,
                    5,
                    1,
                )?;
                let mut output = vec![format!("derivative: {text}")];
                output.extend(comparison.report());
                if comparison.passed() {
                    output.push("ok".to_string());
                    Ok(Outcome { output, ..Outcome::default() })
                } else {
                    let error =
                        "error: MISMATCH: the symbolic derivative disagrees with finite differences\n".to_string();
                    Ok(Outcome { output, error: Some(error), ..Outcome::default() })
                }
            })
        })
    }

    fn steps(&mut self, line: &str, args: Piece) -> Outcome {
        let Some((expr, x)) = with_wrt(args) else { return usage(":steps") };
        let format = match self.format {
            OutputFormat::Latex => Format::Latex,
            OutputFormat::Text => Format::Text,
            _ => Format::Unicode,
        };
        let width = self.width;
        self.on_target(line, expr, |mut value| {
            let of = value.of().map(str::to_string);
            value.analysis(|analysis| {
                check_variable(analysis, x)?;
                Ok(Outcome::print(analysis.steps(of.as_deref(), x.text, format, width)?))
            })
        })
    }

    fn latex(&mut self, line: &str, args: Piece) -> Outcome {
        if args.text.is_empty() {
            return usage(":latex");
        }
        let (expr, x) = match args.split_at_keyword("wrt", true) {
            Some((expr, x)) if !expr.text.is_empty() && !x.text.is_empty() => (expr, Some(x)),
            Some(_) => return usage(":latex"),
            None => (args, None),
        };
        let width = self.width;
        let notation = Latex::default();
        self.on_target(line, expr, |mut value| {
            let of = value.of().map(str::to_string);
            value.analysis(|analysis| {
                if let Some(x) = x {
                    check_variable(analysis, x)?;
                    let derivative = analysis.derivative(of.as_deref(), x.text)?;
                    let lhs = analysis.derivative_lhs(&derivative, of.as_deref());
                    return Ok(Outcome::print(analysis.latex(derivative.result, &notation, Some(&lhs), width)));
                }
                let value = analysis.simplified(of.as_deref())?;
                let lhs = match of.as_deref().and_then(|name| analysis.graph().find_symbol(name)) {
                    Some(sid) => {
                        let var = analysis.graph_mut().var(sid);
                        Some(analysis.latex(var, &notation, None, usize::MAX))
                    }
                    None => None,
                };
                Ok(Outcome::print(analysis.latex(value, &notation, lhs.as_deref(), width)))
            })
        })
    }

    fn graph(&mut self, line: &str, args: Piece) -> Outcome {
        let (args, file) = match args.text.rfind('>') {
            Some(i) => {
                let file = args.text[i + 1..].trim();
                if file.is_empty() {
                    return usage(":graph");
                }
                (Piece { text: &args.text[..i], start: args.start }.trim(), Some(file))
            }
            None => (args, None),
        };
        if args.text.is_empty() {
            return usage(":graph");
        }
        let (expr, x) = match args.split_at_keyword("wrt", true) {
            Some((expr, x)) if !expr.text.is_empty() && !x.text.is_empty() => (expr, Some(x)),
            Some(_) => return usage(":graph"),
            None => (args, None),
        };
        let tikz = file.is_some_and(|f| f.ends_with(".tex") || f.ends_with(".tikz"));
        let outcome = self.on_target(line, expr, |mut value| {
            let of = value.of().map(str::to_string);
            value.analysis(|analysis| {
                if let Some(x) = x {
                    check_variable(analysis, x)?;
                }
                let wrt = x.map(|x| x.text);
                let text = if tikz {
                    analysis.tikz(of.as_deref(), wrt, &Latex::default())?
                } else {
                    analysis.dot(of.as_deref(), wrt)?
                };
                Ok(Outcome::print(text))
            })
        });
        let Some(file) = file else { return outcome };
        if outcome.failed() {
            return outcome;
        }
        let text = outcome.output.concat();
        let kind = if tikz { "TikZ" } else { "dot" };
        match std::fs::write(file, format!("{}\n", text.trim_end())) {
            Ok(()) => Outcome::print(format!("wrote the graph of {} ({kind}) to {file}", expr.text)),
            Err(e) => Outcome::fail(format!("error: cannot write {file}: {e}\n")),
        }
    }

    fn verify(&mut self, line: &str, args: Piece) -> Outcome {
        let Some((args, claim)) = args.split_at_keyword("claim", false) else { return usage(":verify") };
        let Some((expr, x)) = with_wrt(args) else { return usage(":verify") };
        if claim.text.is_empty() {
            return usage(":verify");
        }
        self.on_target(line, expr, |mut value| {
            let of = value.of().map(str::to_string);
            let checked = value.program_analysis(|analysis| {
                check_variable(analysis, x)?;
                let derivative = analysis.derivative(of.as_deref(), x.text)?;
                matcalc::check::bounds::bound_fixed_dimensions(analysis.graph(), Some(&analysis.program))?;
                let options = matcalc::verify::Options::default();
                let verdict = matcalc::verify::verify(analysis, &derivative, claim.text, &options)
                    .map_err(|e| Raised::InLine(shift(e, claim.start)))?;
                let mut output = verdict.describe(!analysis.graph().dim_names().is_empty());
                let answer = analysis.print_one_line(derivative.result);
                output.push(format!("matcalc's answer: {answer}"));
                let error = (!verdict.correct()).then(|| "error: the claim is wrong\n".to_string());
                Ok(Outcome { output, error, ..Outcome::default() })
            });
            checked.map_err(|e| Raised::Rendered(format!("error: the session does not read back: {}\n", e.message)))?
        })
    }

    /// Runs `body` on what `expr` stands for: a definition it names, or
    /// its value analysed in the session (and forgotten afterwards).
    fn on_target(
        &mut self,
        line: &str,
        expr: Piece,
        body: impl FnOnce(Value<'_>) -> Result<Outcome, Raised>,
    ) -> Outcome {
        match self.core.on_expression(expr.text, body) {
            Ok(outcome) => outcome,
            Err(Raised::InExpr(e)) => Outcome::fail(render(&e, &Origin::piece(line, expr.text, expr.start), None)),
            Err(Raised::InLine(e)) => Outcome::fail(e.render(line)),
            Err(Raised::Rendered(text)) => Outcome::fail(text),
            Err(Raised::Session(e)) => Outcome::fail(match &e.text {
                ErrorText::Source => render(&e.error, &Origin::piece(line, expr.text, expr.start), None),
                ErrorText::Program { program, start, end, source_start, .. } => {
                    let origin =
                        Origin { program, start: *start, end: *end, line, line_start: expr.start + source_start };
                    render(&e.error, &origin, None)
                }
            }),
        }
    }
}

/// `e`, raised on a piece that starts at `start` in the line, with its
/// spans moved to the line.
fn shift(mut e: Error, start: usize) -> Error {
    let moved = |s: Span| Span::new(s.start + start, s.end + start);
    e.span = e.span.map(moved);
    for label in &mut e.labels {
        label.span = moved(label.span);
    }
    e
}

/// Checks that `x` names a variable; the error points at it in the line.
fn check_variable(analysis: &Analysis, x: Piece) -> Result<(), Raised> {
    analysis.variable(x.text).map(|_| ()).map_err(|e| Raised::InLine(e.or_span(x.span())))
}

/// `EXPR wrt X`, both present.
fn with_wrt(args: Piece) -> Option<(Piece, Piece)> {
    let (expr, x) = args.split_at_keyword("wrt", true)?;
    (!expr.text.is_empty() && !x.text.is_empty()).then_some((expr, x))
}

fn usage(command: &str) -> Outcome {
    let usage = help::COMMAND_HELP.iter().find(|c| c.name == command).map_or(command, |c| c.usage);
    Outcome::fail(format!("error: usage: {usage}\n  = help: `:help {}` says more\n", &command[1..]))
}

fn unknown_command(name: &str) -> Outcome {
    let mut message = format!("error: unknown command `{name}`\n");
    if let Some(close) = COMMANDS.iter().find(|c| matcalc::lower::edit_distance(c, name) <= 2) {
        message.push_str(&format!("  = help: did you mean `{close}`?\n"));
    }
    message.push_str("  = help: `:help` lists the commands\n");
    Outcome::fail(message)
}
