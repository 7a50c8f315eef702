//! Hints for common mistakes: spellings from other tools (`trace`, `A @ x`,
//! `W.T`, `x**2`) and misreadings (`W^TWx`), each pointing at matcalc's own.

/// The help for a call of a function matcalc does not know, when the name is
/// another tool's spelling of a matcalc function (or a kind written as a
/// call, `vector(1)`); `arguments` are the source texts of the arguments.
pub fn foreign_function(name: &str, arguments: &[String]) -> Option<String> {
    let arg = arguments.first().map_or("x", |a| if a.is_empty() { "x" } else { a.as_str() });
    let operand = bracketed(arg);
    Some(match name {
        "vector" if arguments.len() == 1 && arg == "1" => {
            "`vector(1)` is a kind, not a value: declare a number as `k: scalar`, \
             a vector as `x: vector(n)` (a colon, not `=`)"
                .to_string()
        }
        "scalar" | "vector" | "matrix" | "symmetric" => format!(
            "`{name}` is a kind, not a function: declare a name with it, `x: {name}({})` (a colon, not `=`)",
            arguments.join(", ")
        ),
        "trace" | "Tr" | "Trace" => format!("matcalc writes the trace `tr({arg})`"),
        "transpose" | "Transpose" | "t" => format!("matcalc writes the transpose `{operand}^T` (or `{operand}'`)"),
        "ReLU" | "Relu" | "RELU" => format!("matcalc writes `relu({arg})`"),
        "maximum" | "fmax" | "minimum" | "fmin" if arguments.len() == 2 => {
            let short = if name.contains("max") { "max" } else { "min" };
            format!("matcalc writes `{short}({}, {})` (elementwise)", arguments[0], arguments[1])
        }
        "ln" => format!("matcalc writes the natural logarithm `log({arg})`"),
        "heaviside" | "Heaviside" => format!("matcalc writes the Heaviside step `step({arg})`"),
        "square" => format!("matcalc writes the elementwise square `{operand} .^ 2`"),
        "pow" | "power" if arguments.len() == 2 => {
            format!(
                "matcalc writes `{operand} .^ {}` elementwise, or `{operand}^{}` for a scalar or a matrix power",
                bracketed(&arguments[1]),
                bracketed(&arguments[1])
            )
        }
        "outer" if arguments.len() == 2 => {
            format!("matcalc writes the outer product `{operand} {}^T`", bracketed(&arguments[1]))
        }
        "diagonal" | "diagm" | "Diagonal" => format!("matcalc writes `diag({arg})`"),
        "sigma" | "Sigmoid" | "logistic" | "expit" => format!("matcalc writes `sigmoid({arg})` or `σ({arg})`"),
        "logsoftmax" => format!("matcalc writes `log_softmax({arg})`"),
        "identity" | "Identity" | "Eye" => format!("matcalc writes the identity `I({arg})`"),
        "avg" | "average" => format!("matcalc writes `mean({arg})`"),
        "dot" | "inner" => "matcalc writes the inner product `x^T y` (or `x' y`)".to_string(),
        "matmul" => "matcalc writes a product by juxtaposition: `A x` (or `A * x`)".to_string(),
        "logdeterminant" | "slogdet" => format!("matcalc writes `logdet({arg})`"),
        "inverse" => format!("matcalc writes `inv({arg})` or `{operand}^-1`"),
        _ => return None,
    })
}

/// `a`, bracketed unless it is one operand.
fn bracketed(a: &str) -> String {
    if a.contains(|c: char| c.is_whitespace() || "+-*/".contains(c)) {
        format!("({a})")
    } else {
        a.to_string()
    }
}

/// A syntax error's message and help when the text at `position` is another
/// tool's operator: `**`, `@`, `.T`, or a method or module call like `np.dot`.
/// Returns the byte range the caret should underline, the message and the help.
pub fn foreign_operator(source: &str, position: usize) -> Option<(usize, usize, String, String)> {
    let rest = source.get(position..)?;
    if rest.starts_with('*') && source[..position].ends_with('*') {
        return Some((
            position - 1,
            position + 1,
            "`**` is not an operator in matcalc".to_string(),
            "write `x^2` for a power (a matrix power for a square matrix) or `x .^ 2` elementwise".to_string(),
        ));
    }
    if rest.starts_with('@') {
        return Some((
            position,
            position + 1,
            "`@` is not an operator in matcalc".to_string(),
            "write a matrix product by juxtaposition, `A x`, or with `*`".to_string(),
        ));
    }
    if let Some(after) = rest.strip_prefix('.') {
        let word: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !word.starts_with(|c: char| c.is_alphabetic()) {
            return None;
        }
        let before: String = source[..position]
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let end = position + 1 + word.len();
        if word == "T" {
            let base = if before.is_empty() { "A".to_string() } else { before };
            return Some((
                position,
                end,
                "`.T` is not matcalc's transpose".to_string(),
                format!("write `{base}^T` or `{base}'`"),
            ));
        }
        if matches!(before.as_str(), "np" | "numpy" | "torch" | "jnp" | "la" | "linalg" | "math" | "F" | "tf") {
            let help = match word.as_str() {
                "dot" | "inner" | "matmul" => "write a product by juxtaposition, as in `x^T y` or `A x`".to_string(),
                "trace" => "write `tr(A)`".to_string(),
                "transpose" => "write `A^T`".to_string(),
                "eye" | "identity" => "write `I(n)`".to_string(),
                "norm" => "write `norm(x)` (or `norm2(x)` for the squared norm)".to_string(),
                _ => format!("write matcalc's function without the `{before}.` prefix (see docs/language.md)"),
            };
            return Some((position, end, format!("`{before}.` module names are not part of matcalc"), help));
        }
        let base = if before.is_empty() { "A".to_string() } else { before };
        let help = match word.as_str() {
            "transpose" => format!("matcalc has no methods: write `{base}^T`"),
            "trace" | "tr" => format!("matcalc has no methods: write `tr({base})`"),
            "inv" | "inverse" => format!("matcalc has no methods: write `inv({base})`"),
            "dot" | "matmul" => format!("matcalc has no methods: write a product by juxtaposition, as in `{base}^T y`"),
            "sum" | "exp" | "log" | "det" | "norm" | "abs" | "sqrt" => {
                format!("matcalc has no methods: write `{word}({base})`")
            }
            _ => "matcalc has no methods: call a function, as in `tr(A)`".to_string(),
        };
        return Some((position, end, format!("`.{word}` is not matcalc syntax"), help));
    }
    None
}

/// The help for an exponent that is a name matcalc reads as one word: `TWx`
/// in `W^TWx` (the transpose runs into the next operand), `T` in `W^{T}`.
/// `is_declared` tells the names of the program, to split `Wx` into `W x`.
pub fn exponent_name(base: &str, exponent: &str, braced: bool, is_declared: &dyn Fn(&str) -> bool) -> Option<String> {
    if exponent == "T" && braced {
        return Some(format!("write `{base}^T` (without braces) for the transpose"));
    }
    let rest = exponent.strip_prefix('T')?;
    if rest.is_empty() {
        return None;
    }
    let spaced = split_into_names(rest, is_declared).map_or_else(|| rest.to_string(), |names| names.join(" "));
    Some(format!("`{exponent}` is read as one name: for the transpose, write `{base}^T {spaced}` (with a space)"))
}

/// Splits `text` into declared names, longest first (`Wx` into `W`, `x`);
/// `None` unless it splits into at least two.
pub fn split_into_names(text: &str, is_declared: &dyn Fn(&str) -> bool) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.char_indices().map(|(i, c)| i + c.len_utf8()).rev().find(|&end| is_declared(&rest[..end]))?;
        names.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    (names.len() >= 2).then_some(names)
}

/// The help for `e^x` when `e` is not a declared name.
pub fn euler_power(exponent: &str) -> String {
    format!("`e` is an ordinary name here: write `exp({exponent})` for the exponential")
}
