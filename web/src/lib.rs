//! matcalc in a web page: the functions the playground calls, each taking
//! the program's text and returning one JSON text (see `web/static/app.js`).
//! Every answer comes from the `matcalc` library; this crate only chooses
//! what to ask and turns the results and errors into plain values.

use matcalc::print::latex::Latex;
use matcalc::verify::{verify_claim, ClaimError, Verdict};
use matcalc::{analyze, Analysis, DerivativeKind, Error, Format};

pub mod examples;
pub mod json;

use json::{object, Json};

/// Line width of the text, Unicode and step-by-step results.
pub const TEXT_WIDTH: usize = 100;
/// Line width of LaTeX results, in printed symbols (as the command line's).
pub const LATEX_WIDTH: usize = 80;

/// The offset in UTF-16 code units (JavaScript's string indices) of byte
/// `offset` of `text`.
fn utf16_offset(text: &str, offset: usize) -> usize {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].encode_utf16().count()
}

/// `error`, whose spans refer to `source`: its title, message, help, line
/// and column (1-based), the span in UTF-16 offsets, and the caret
/// rendering of the source (`rendered`).
pub fn error_json(error: &Error, source: &str) -> Json {
    let (line, column) = error.line_column(source).unzip();
    let (start, end) = match error.span {
        Some(span) => (Json::from(utf16_offset(source, span.start)), Json::from(utf16_offset(source, span.end))),
        None => (Json::Null, Json::Null),
    };
    object([
        ("title", error.title().into()),
        ("message", error.message.as_str().into()),
        ("help", error.help.clone().into()),
        ("line", line.into()),
        ("column", column.into()),
        ("start", start),
        ("end", end),
        ("rendered", error.render(source).trim_end().to_string().into()),
    ])
}

/// The variable to differentiate by: `wrt` if the program has it, else its
/// first input (declared or inferred, not a definition or a function).
fn chosen_variable(analysis: &Analysis, wrt: &str) -> Option<String> {
    if !wrt.is_empty() && analysis.variable(wrt).is_ok() {
        return Some(wrt.to_string());
    }
    analysis.symbol_types().into_iter().find(|s| !s.definition && s.kind != "function").map(|s| s.name)
}

/// The derivative of the program's value by `wrt` in every form the page
/// shows: `kind`, `text`, `unicode`, `latex` (the equation), the NumPy
/// function (`numpy_name`, `numpy`), and the derivation (`steps`, in
/// `text`, `unicode` and `latex`, or `steps_error`).
fn derivative_json(analysis: &mut Analysis, wrt: &str) -> Json {
    let source = analysis.source.clone();
    let derivative = match analysis.derivative(None, wrt) {
        Ok(d) => d,
        Err(e) => return object([("ok", false.into()), ("error", error_json(&e, &source))]),
    };
    let jacobian = derivative.kind == DerivativeKind::Jacobian;
    let text = analysis.print_width(derivative.result, Format::Text, TEXT_WIDTH);
    let unicode = analysis.print_width(derivative.result, Format::Unicode, TEXT_WIDTH);
    let lhs = analysis.derivative_lhs(&derivative, None);
    let latex = analysis.latex(derivative.result, &Latex::default(), Some(&lhs), LATEX_WIDTH);
    let numpy_name = matcalc::print::numpy::derivative_function_name(analysis.graph(), derivative.wrt, jacobian);
    let numpy = analysis.numpy(derivative.result, &numpy_name);
    let mut steps = Vec::new();
    let mut steps_error = Json::Null;
    for (name, format, width) in [
        ("text", Format::Text, TEXT_WIDTH),
        ("unicode", Format::Unicode, TEXT_WIDTH),
        ("latex", Format::Latex, LATEX_WIDTH),
    ] {
        match analysis.steps(None, wrt, format, width) {
            Ok(s) => steps.push((name.to_string(), Json::from(s))),
            Err(e) => {
                steps_error = error_json(&e, &source);
                steps.clear();
                break;
            }
        }
    }
    object([
        ("ok", true.into()),
        ("kind", if jacobian { "jacobian" } else { "gradient" }.into()),
        ("text", text.into()),
        ("unicode", unicode.into()),
        ("latex", latex.into()),
        ("numpy_name", numpy_name.into()),
        ("numpy", numpy.into()),
        ("steps", if steps.is_empty() { Json::Null } else { Json::Object(steps) }),
        ("steps_error", steps_error),
    ])
}

/// Everything the page shows for `source` differentiated by `wrt` (or by
/// its first input if it has no variable `wrt`): `ok`; the program's
/// `variables` (name, kind and shape, whether a definition, whether
/// inferred), the `wrt` chosen, the `notes`, the `derivative` (see
/// `derivative_json`) and the computational graph as `svg`. An error in the
/// program is `ok: false` with the `error` (see [`error_json`]).
pub fn playground(source: &str, wrt: &str) -> Json {
    let mut analysis = match analyze(source) {
        Ok(a) => a,
        Err(e) => return object([("ok", false.into()), ("error", error_json(&e, source))]),
    };
    let variables = analysis
        .symbol_types()
        .into_iter()
        .filter(|s| s.kind != "function")
        .map(|s| {
            object([
                ("name", s.name.into()),
                ("kind", s.kind.into()),
                ("definition", s.definition.into()),
                ("inferred", s.inferred.into()),
            ])
        })
        .collect();
    let notes = analysis.lowered.notes.iter().map(|n| Json::from(n.render(source).trim_end().to_string())).collect();
    let wrt = chosen_variable(&analysis, wrt);
    let derivative = match &wrt {
        Some(w) => derivative_json(&mut analysis, w),
        None => Json::Null,
    };
    let svg = match analysis.svg(None, wrt.as_deref()) {
        Ok(svg) => Json::from(svg),
        Err(_) => Json::Null,
    };
    object([
        ("ok", true.into()),
        ("variables", Json::Array(variables)),
        ("wrt", wrt.into()),
        ("notes", Json::Array(notes)),
        ("derivative", derivative),
        ("svg", svg),
    ])
}

/// Whether `claim` is the derivative of `source`'s value by `wrt`: `ok`,
/// `correct`, the verdict's `kind` (`same form`, `agrees`, `wrong shape`,
/// `differs`, `undecided`), the `reason` in words and matcalc's `answer`.
/// An error is `ok: false` with the `error` and where it is (`in`:
/// `program` or `claim`, whose text its span refers to).
pub fn verify(source: &str, wrt: &str, claim: &str) -> Json {
    let failed = |place: &str, e: &Error, text: &str| {
        object([("ok", false.into()), ("in", place.into()), ("error", error_json(e, text))])
    };
    let mut analysis = match analyze(source) {
        Ok(a) => a,
        Err(e) => return failed("program", &e, source),
    };
    match verify_claim(&mut analysis, None, wrt, claim) {
        Ok(report) => {
            let kind = match report.verdict {
                Verdict::SameForm => "same form",
                Verdict::Agrees(_) => "agrees",
                Verdict::WrongShape { .. } => "wrong shape",
                Verdict::Differs { .. } => "differs",
                Verdict::Undecided(_) => "undecided",
            };
            object([
                ("ok", true.into()),
                ("correct", report.verdict.correct().into()),
                ("kind", kind.into()),
                ("reason", report.reason.into()),
                ("answer", report.answer.into()),
            ])
        }
        Err(ClaimError::Program(e)) => failed("program", &e, source),
        Err(ClaimError::Claim(e)) => failed("claim", &e, claim),
    }
}

/// The menu of examples: `title`, `program` and `wrt` of each.
pub fn examples() -> Json {
    Json::Array(
        examples::EXAMPLES
            .iter()
            .map(|e| object([("title", e.title.into()), ("program", e.program.into()), ("wrt", e.wrt.into())]))
            .collect(),
    )
}

/// The functions as JavaScript sees them (`web/static/app.js`).
#[cfg(target_arch = "wasm32")]
mod bindings {
    use wasm_bindgen::prelude::*;

    /// See [`crate::playground`]; the JSON text.
    #[wasm_bindgen]
    pub fn playground(source: &str, wrt: &str) -> String {
        crate::playground(source, wrt).write()
    }

    /// See [`crate::verify`]; the JSON text.
    #[wasm_bindgen]
    pub fn verify(source: &str, wrt: &str, claim: &str) -> String {
        crate::verify(source, wrt, claim).write()
    }

    /// See [`crate::examples`]; the JSON text.
    #[wasm_bindgen]
    pub fn examples() -> String {
        crate::examples().write()
    }

    /// The program the page opens with.
    #[wasm_bindgen]
    pub fn seed() -> String {
        crate::examples::SEED.to_string()
    }
}
