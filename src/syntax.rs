//! Parsing: the pest grammar in `grammar/matcalc.pest` plus a Pratt parser
//! for operator precedence, producing the span-carrying `ast`.

use pest::error::InputLocation;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser;
use std::sync::OnceLock;

use crate::ast::{BinaryOp, DimSpec, Expr, ExprKind, Kind, Program, Statement};
use crate::coeff::{self, Coeff};
use crate::error::{Error, ErrorKind, Result, Span};

#[allow(missing_docs)]
mod generated {
    //! The parser pest derives from the grammar.
    use pest_derive::Parser;

    /// The pest parser for `grammar/matcalc.pest`.
    #[derive(Parser)]
    #[grammar = "grammar/matcalc.pest"]
    pub struct MatcalcParser;
}

use generated::{MatcalcParser, Rule};

mod unicode;
pub use unicode::{respell_greek, spelled_out, GREEK_LETTERS};

/// Deepest bracket or operator nesting accepted; deeper input is an error,
/// never a stack overflow.
pub const MAX_NESTING: usize = 200;
/// Largest program accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Longest identifier accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest number literal accepted, in bytes (exact numbers of a few
/// thousand digits are fine; see `ir::MAX_CONSTANT_BITS` for results).
pub const MAX_NUMBER_BYTES: usize = 10_000;

/// Parses a whole program.
pub fn parse_program(source: &str) -> Result<Program> {
    check_limits(source)?;
    let prepared = unicode::mark_norm_bars(&join_bracketed_lines(source))?;
    let mut pairs = MatcalcParser::parse(Rule::program, &prepared).map_err(|e| syntax_error(e, source))?;
    let program = pairs.next().expect("the program rule always yields one pair");
    let mut statements = Vec::new();
    for pair in program.into_inner() {
        match pair.as_rule() {
            Rule::declaration => statements.push(declaration(pair)?),
            Rule::definition => {
                let mut inner = pair.into_inner();
                let name = inner.next().expect("definition has a name");
                let value = expr(inner.next().expect("definition has a value"))?;
                statements.push(Statement::Define {
                    name: name.as_str().to_string(),
                    name_span: span_of(&name),
                    value,
                });
            }
            Rule::expr => statements.push(Statement::Expr(expr(pair)?)),
            Rule::EOI => {}
            rule => unreachable!("unexpected rule {rule:?} in program"),
        }
    }
    Ok(Program { statements })
}

/// Parses a whole program (not a piece read in the context of another) and
/// reads its Greek letters as the names they spell ([`respell_greek`]).
pub fn parse_whole_program(source: &str) -> Result<Program> {
    let mut program = parse_program(source)?;
    respell_greek(&mut program.statements, &|_| false);
    Ok(program)
}

/// Parses a single expression (no declarations or definitions).
pub fn parse_expr(source: &str) -> Result<Expr> {
    let program = parse_program(source)?;
    let mut statements = program.statements.into_iter();
    match (statements.next(), statements.next()) {
        (Some(Statement::Expr(e)), None) => Ok(e),
        (None, _) => Err(Error::new(ErrorKind::Syntax, "expected an expression", Span::new(0, source.len()))),
        _ => Err(Error::new(ErrorKind::Syntax, "expected a single expression", Span::new(0, source.len()))),
    }
}

/// Parses a claim: an expression, optionally after definitions of its
/// shared subterms (`t1 = h3 - y` lines, as large results print). The
/// definitions are returned as `Statement::Define`s, the expression last.
pub fn parse_claim(source: &str) -> Result<(Vec<Statement>, Expr)> {
    let program = parse_program(source)?;
    let mut statements = program.statements;
    let Some(Statement::Expr(value)) = statements.pop() else {
        return Err(Error::new(ErrorKind::Syntax, "expected an expression", Span::new(0, source.len()))
            .with_help("a claim is an expression, optionally after definitions `t1 = …` of its parts"));
    };
    for statement in &statements {
        let span = match statement {
            Statement::Define { .. } => continue,
            Statement::Declare { span, .. } => *span,
            Statement::Expr(e) => e.span,
        };
        return Err(Error::new(ErrorKind::Syntax, "expected a single expression", span)
            .with_help("a claim is an expression, optionally after definitions `t1 = …` of its parts"));
    }
    Ok((statements, value))
}

/// The byte ranges of `source` outside comments (a comment runs from `#`
/// to the end of its line), in order.
fn code_ranges(source: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < source.len() {
        let Some(hash) = source[start..].find('#').map(|i| start + i) else {
            ranges.push((start, source.len()));
            break;
        };
        ranges.push((start, hash));
        start = source[hash..].find('\n').map_or(source.len(), |i| hash + i);
    }
    ranges
}

/// Rejects input beyond the size and nesting limits before pest sees it.
/// Comments count toward the total size only ([`crate::input::MAX_INPUT_BYTES`]):
/// a long URL or a rule of dashes in a comment is no name and no sign.
fn check_limits(source: &str) -> Result<()> {
    let max_input = crate::input::MAX_INPUT_BYTES;
    if source.len() > max_input {
        return Err(crate::input::too_large());
    }
    let ranges = code_ranges(source);
    let code_bytes: usize = ranges.iter().map(|(a, b)| b - a).sum();
    if code_bytes > MAX_SOURCE_BYTES {
        return Err(Error::bare(
            ErrorKind::Limit,
            format!("the program is {code_bytes} bytes outside comments; the limit is {MAX_SOURCE_BYTES}"),
        ));
    }
    // Only ASCII characters count here, and each byte of any other
    // character ends a run of signs as the character does: bytes will do.
    let code =
        || ranges.iter().flat_map(|&(a, b)| source.as_bytes()[a..b].iter().enumerate().map(move |(i, c)| (a + i, *c)));
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    for (i, c) in code() {
        match c {
            b'(' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Error::new(
                        ErrorKind::Limit,
                        format!("brackets nested more than {MAX_NESTING} deep"),
                        Span::new(i, i + 1),
                    ));
                }
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        match c {
            b'-' | b'+' => {
                prefix_run += 1;
                if prefix_run > MAX_NESTING {
                    return Err(Error::new(
                        ErrorKind::Limit,
                        format!("more than {MAX_NESTING} signs in a row"),
                        Span::new(i, i + 1),
                    ));
                }
            }
            b' ' | b'\t' | b'(' => {}
            _ => prefix_run = 0,
        }
    }
    for &(a, b) in &ranges {
        check_tokens(&source[..b], a)?;
    }
    Ok(())
}

/// Checks the names and numbers of `source[from..]` (a stretch without
/// comments): their lengths, and that a number is not run together with a
/// name or another number (`0x10`, `1.2.3`, which would otherwise read as
/// the products `0 x10` and `1.2 .3`).
fn check_tokens(source: &str, from: usize) -> Result<()> {
    let text = &source[from..];
    let mut name_start = None;
    for (offset, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        let i = from + offset;
        let is_name_char = c.is_alphanumeric() || c == '_';
        match (name_start, is_name_char) {
            (None, true) => name_start = Some(i),
            (Some(start), false) => {
                let number = source[start..].starts_with(|c: char| c.is_ascii_digit());
                let (what, limit) = if number { ("number", MAX_NUMBER_BYTES) } else { ("name", MAX_NAME_BYTES) };
                if i - start > limit {
                    return Err(Error::new(
                        ErrorKind::Limit,
                        format!("a {what} of {} bytes; the limit is {limit}", i - start),
                        Span::new(start, i),
                    )
                    .with_help("long numbers can be written as powers, e.g. 10^4000"));
                }
                name_start = None;
            }
            _ => {}
        }
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number =
            bytes[i].is_ascii_digit() || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts_number || after_name_char(text, i) {
            i += if bytes[i].is_ascii() { 1 } else { text[i..].chars().next().map_or(1, char::len_utf8) };
            continue;
        }
        let end = number_end(bytes, i);
        let next = text[end..].chars().next();
        let glued = next.is_some_and(|c| c.is_alphanumeric() || c == '_')
            || (next == Some('.') && bytes.get(end + 1).is_some_and(|b| b.is_ascii_digit() || *b == b'.'));
        if glued {
            let token_end = text[end..]
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
                .map_or(text.len(), |(k, _)| end + k);
            let literal = &text[i..token_end];
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("malformed number `{literal}`"),
                Span::new(from + i, from + token_end),
            )
            .with_help("numbers are decimal (`16`, `0.25`, `1e-3`); write a product with a space (`2 x`)"));
        }
        i = end;
    }
    Ok(())
}

/// Whether the character before byte `i` of `text` may be part of a name.
fn after_name_char(text: &str, i: usize) -> bool {
    match text.as_bytes()[..i].last() {
        None => false,
        // A byte below 128 is a whole character.
        Some(&b) if b.is_ascii() => b.is_ascii_alphanumeric() || b == b'_',
        Some(_) => text[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_'),
    }
}

/// The end of the decimal literal starting at `start`, as the grammar reads
/// it: digits, an optional fraction, an optional exponent.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    if bytes.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
        let exponent_end = digits(i + 1 + sign);
        if exponent_end > i + 1 + sign {
            i = exponent_end;
        }
    }
    i
}

/// Replaces newlines inside brackets by spaces (same byte length), so that a
/// bracketed expression may span lines while newlines still end statements.
/// Comments become spaces too (the grammar has no comment rule), so a
/// comment inside brackets ends at its line instead of swallowing the joined
/// lines after it.
fn join_bracketed_lines(source: &str) -> String {
    let bytes = source.as_bytes();
    // Without these bytes every byte is copied as it is.
    if !bytes.iter().any(|&b| matches!(b, b'\n' | b'#' | b'\t' | b'\r' | 0xC2)) {
        return source.to_string();
    }
    let mut depth = 0usize;
    let mut in_comment = false;
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' && !in_comment && depth == 0 && continues_expression(&source[i + 1..]) {
            out.push(b' ');
            i += 1;
            continue;
        }
        match b {
            b'#' if !in_comment => in_comment = true,
            b'\n' => in_comment = false,
            b'(' | b'{' if !in_comment => depth += 1,
            b')' | b'}' if !in_comment => depth = depth.saturating_sub(1),
            _ => {}
        }
        // Tabs, carriage returns and no-break spaces are spaces to the
        // grammar, whose only whitespace is ' ' (one literal to try per
        // token instead of four alternatives).
        let no_break_space = b == 0xC2 && bytes.get(i + 1) == Some(&0xA0);
        if no_break_space {
            out.extend_from_slice(b"  ");
            i += 2;
            continue;
        }
        let blank = in_comment || b == b'\t' || b == b'\r' || (depth > 0 && b == b'\n');
        out.push(if blank { b' ' } else { b });
        i += 1;
    }
    // Only whole characters were replaced, each byte by an ASCII space.
    String::from_utf8(out).expect("spaces replace whole characters")
}

/// `true` if a line is an indented continuation of the previous one: it
/// starts with spaces and then a binary operator (`  + b`, `  - c`,
/// `  .* d`), as matcalc prints long results.
fn continues_expression(next_line: &str) -> bool {
    let trimmed = next_line.trim_start_matches([' ', '\t']);
    trimmed.len() < next_line.len()
        && ["+ ", "- ", "− ", "* ", "/ ", ".* ", "./ ", "⊙ "].iter().any(|op| trimmed.starts_with(op))
}

fn span_of(pair: &Pair<Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

/// One factor of a declared dimension: a name or a positive integer.
fn declared_dimension(dim: Pair<Rule>) -> Result<DimSpec> {
    let d = dim.into_inner().next().expect("dimension has content");
    let dspan = span_of(&d);
    Ok(match d.as_rule() {
        Rule::integer => {
            let n: u64 = d.as_str().parse().map_err(|_| Error::new(ErrorKind::Value, "dimension too large", dspan))?;
            if n == 0 {
                return Err(Error::new(ErrorKind::Value, "a dimension must be positive", dspan));
            }
            DimSpec::Fixed(n, dspan)
        }
        _ => DimSpec::Named(d.as_str().to_string(), dspan),
    })
}

/// A declared size: a product of names and positive integers (`m n`),
/// with triangular numbers n (n + 1)/2 (each `(n + 1)` takes an `n` beside
/// it, and the numbers over the divisor must be whole).
fn declared_size(product: Pair<Rule>) -> Result<DimSpec> {
    let span = span_of(&product);
    let invalid = || {
        Error::new(
            ErrorKind::Value,
            "a size with n + 1 or a division must be a product of names, numbers and triangular numbers n (n + 1)/2",
            span,
        )
    };
    let (mut factors, mut successors, mut divisor) = (Vec::new(), Vec::new(), None);
    for p in product.into_inner() {
        match p.as_rule() {
            Rule::successor => successors.push(p.into_inner().next().expect("a successor names a size").as_str()),
            Rule::divisor => divisor = Some(p.as_str().parse::<u64>().ok().filter(|d| *d > 0).ok_or_else(invalid)?),
            _ => factors.push(declared_dimension(p)?),
        }
    }
    if successors.is_empty() && divisor.is_none() {
        return Ok(if factors.len() == 1 { factors.remove(0) } else { DimSpec::Product(factors, span) });
    }
    // n (n + 1) is twice the triangular number of n.
    let mut numerator: u64 = 1;
    for n in successors {
        let at = factors.iter().position(|f| matches!(f, DimSpec::Named(m, _) if m == n)).ok_or_else(invalid)?;
        factors[at] = DimSpec::Triangle(n.to_string(), factors[at].span());
        numerator = numerator.checked_mul(2).ok_or_else(invalid)?;
    }
    let mut named = Vec::new();
    for f in factors {
        match f {
            DimSpec::Fixed(k, _) => numerator = numerator.checked_mul(k).ok_or_else(invalid)?,
            f => named.push(f),
        }
    }
    let divisor = divisor.unwrap_or(1);
    if !numerator.is_multiple_of(divisor) {
        return Err(invalid());
    }
    if numerator / divisor != 1 || named.is_empty() {
        named.insert(0, DimSpec::Fixed(numerator / divisor, span));
    }
    Ok(if named.len() == 1 { named.remove(0) } else { DimSpec::Product(named, span) })
}

fn declaration(pair: Pair<Rule>) -> Result<Statement> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let names = inner
        .next()
        .expect("declaration has names")
        .into_inner()
        .map(|p| (p.as_str().to_string(), span_of(&p)))
        .collect();
    let kind_pair = inner.next().expect("declaration has a kind");
    let kind_span = span_of(&kind_pair);
    let mut kind_inner = kind_pair.into_inner();
    let kind_name = kind_inner.next().expect("kind has a name").as_str().to_string();
    let dims = kind_inner.map(declared_size).collect::<Result<Vec<_>>>()?;
    let expect = |count: usize, usage: &str| -> Result<()> {
        if dims.len() == count || dims.is_empty() {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Arity,
                format!(
                    "`{kind_name}` takes {count} dimension{}, got {}",
                    if count == 1 { "" } else { "s" },
                    dims.len()
                ),
                kind_span,
            )
            .with_help(format!("write {usage}")))
        }
    };
    let mut dims_iter = dims.clone().into_iter();
    let kind = match kind_name.as_str() {
        "scalar" => {
            expect(0, "`scalar`")?;
            Kind::Scalar
        }
        "vector" => {
            expect(1, "`vector(n)`")?;
            Kind::Vector(dims_iter.next())
        }
        "matrix" => {
            expect(2, "`matrix(m, n)`")?;
            Kind::Matrix(dims_iter.next(), dims_iter.next())
        }
        "symmetric" => {
            expect(1, "`symmetric(n)`")?;
            Kind::Symmetric(dims_iter.next())
        }
        _ => {
            expect(0, "`function`")?;
            Kind::Function
        }
    };
    Ok(Statement::Declare { names, kind, span })
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::subtract, Assoc::Left))
            .op(Op::infix(Rule::kron, Assoc::Left))
            .op(Op::infix(Rule::multiply, Assoc::Left)
                | Op::infix(Rule::divide, Assoc::Left)
                | Op::infix(Rule::hadamard, Assoc::Left)
                | Op::infix(Rule::elementwise_divide, Assoc::Left)
                | Op::infix(Rule::juxtapose, Assoc::Left))
            .op(Op::prefix(Rule::negate) | Op::prefix(Rule::plus_sign))
            .op(Op::postfix(Rule::transpose)
                | Op::postfix(Rule::inverse_mark)
                | Op::postfix(Rule::inverse_transpose_mark)
                | Op::postfix(Rule::power)
                | Op::postfix(Rule::elementwise_power))
    })
}

fn expr(pair: Pair<Rule>) -> Result<Expr> {
    debug_assert_eq!(pair.as_rule(), Rule::expr);
    fold(pair.into_inner())
}

fn fold(pairs: Pairs<Rule>) -> Result<Expr> {
    pratt()
        .map_primary(primary)
        .map_prefix(|op, operand| {
            let operand = operand?;
            let span = span_of(&op).join(operand.span);
            Ok(match op.as_rule() {
                Rule::negate => Expr { kind: ExprKind::Negate(Box::new(operand)), span },
                _ => Expr { kind: operand.into_kind(), span },
            })
        })
        .map_postfix(|operand, op| {
            let operand = operand?;
            let span = operand.span.join(span_of(&op));
            let boxed = Box::new(operand);
            let kind = match op.as_rule() {
                Rule::transpose => ExprKind::Transpose(boxed),
                Rule::inverse_transpose_mark => ExprKind::InverseTranspose(boxed),
                Rule::inverse_mark => ExprKind::Power {
                    base: boxed,
                    exponent: Box::new(Expr { kind: ExprKind::Number(coeff::int(-1)), span: span_of(&op) }),
                    elementwise: false,
                },
                rule => {
                    let elementwise = rule == Rule::elementwise_power;
                    let exponent = op.into_inner().next().expect("power has an exponent");
                    match exponent.as_rule() {
                        Rule::transpose_exponent if !elementwise => ExprKind::Transpose(boxed),
                        Rule::inverse_transpose_exponent if !elementwise => ExprKind::InverseTranspose(boxed),
                        Rule::transpose_exponent | Rule::inverse_transpose_exponent => {
                            return Err(Error::new(
                                ErrorKind::Syntax,
                                "`.^` takes a numeric exponent, not a transpose",
                                span_of(&exponent),
                            )
                            .with_help("write A^T for the transpose"))
                        }
                        _ => {
                            let exponent = exponent_value(exponent)?;
                            match squared_bars(*boxed, &exponent, elementwise) {
                                Ok(norm2) => norm2,
                                Err(base) => {
                                    ExprKind::Power { base: Box::new(base), exponent: Box::new(exponent), elementwise }
                                }
                            }
                        }
                    }
                }
            };
            Ok(Expr { kind, span })
        })
        .map_infix(|lhs, op, rhs| {
            let (lhs, rhs) = (lhs?, rhs?);
            let span = lhs.span.join(rhs.span);
            let op = match op.as_rule() {
                Rule::add => BinaryOp::Add,
                Rule::subtract => BinaryOp::Subtract,
                Rule::multiply | Rule::juxtapose => BinaryOp::Multiply,
                Rule::divide => BinaryOp::Divide,
                Rule::hadamard => BinaryOp::Hadamard,
                Rule::elementwise_divide => BinaryOp::ElementwiseDivide,
                Rule::kron => BinaryOp::Kron,
                rule => unreachable!("unexpected infix {rule:?}"),
            };
            Ok(Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span })
        })
        .parse(pairs)
}

fn exponent_value(pair: Pair<Rule>) -> Result<Expr> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner().peekable();
    let negated = inner.peek().map(|p| p.as_rule()) == Some(Rule::negate);
    if negated {
        inner.next();
    }
    let value = primary(inner.next().expect("exponent has a value"))?;
    Ok(if negated { Expr { kind: ExprKind::Negate(Box::new(value)), span } } else { value })
}

fn primary(pair: Pair<Rule>) -> Result<Expr> {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::number => {
            let value: Coeff = coeff::parse_decimal(pair.as_str())
                .ok_or_else(|| Error::new(ErrorKind::Limit, "number exponent too large", span))?;
            Ok(Expr { kind: ExprKind::Number(value), span })
        }
        Rule::name => Ok(Expr { kind: ExprKind::Name(pair.as_str().to_string()), span }),
        Rule::parenthesized => {
            let inner = expr(pair.into_inner().next().expect("parenthesized has an expression"))?;
            Ok(Expr { kind: inner.into_kind(), span })
        }
        Rule::named => {
            let mut inner = pair.into_inner();
            let name = inner.next().expect("a name or call starts with its name");
            let Some(arguments) = inner.next() else {
                return Ok(Expr { kind: ExprKind::Name(name.as_str().to_string()), span });
            };
            let args = arguments.into_inner().map(expr).collect::<Result<Vec<_>>>()?;
            Ok(Expr { kind: ExprKind::Call { name: name.as_str().to_string(), name_span: span_of(&name), args }, span })
        }
        Rule::norm => {
            let mut inner = pair.into_inner();
            let arg = expr(inner.next().expect("a norm has an argument"))?;
            let name = match inner.next().map(|suffix| suffix.as_str()) {
                Some("²") => "norm2",
                Some(_) => "norm1",
                None => "norm",
            };
            let bar = Span::new(span.start, arg.span.start);
            Ok(Expr { kind: ExprKind::Call { name: name.to_string(), name_span: bar, args: vec![arg] }, span })
        }
        Rule::upstream => {
            let mut inner = pair.into_inner();
            let loss = inner.next().expect("an upstream gradient names its loss");
            let at = primary(inner.next().expect("an upstream gradient has a variable"))?;
            let loss = Expr { kind: ExprKind::Name(loss.as_str().to_string()), span: span_of(&loss) };
            let name_span = Span::new(span.start, loss.span.start);
            Ok(Expr { kind: ExprKind::Call { name: "grad".to_string(), name_span, args: vec![loss, at] }, span })
        }
        Rule::ones_symbol | Rule::zeros_symbol => {
            let name = if pair.as_rule() == Rule::ones_symbol { "ones" } else { "zeros" };
            let symbol = Span::new(span.start, span.start + "𝟙".len());
            let dims: Vec<Expr> = match pair.into_inner().next() {
                Some(dims) => dims.into_inner().map(dimension_argument).collect(),
                None => return Ok(Expr { kind: ExprKind::Name(name.to_string()), span }),
            };
            Ok(Expr { kind: ExprKind::Call { name: name.to_string(), name_span: symbol, args: dims }, span })
        }
        rule => unreachable!("unexpected primary {rule:?}"),
    }
}

/// `||r||^2` and `‖r‖^2` (bars, then `^2`) are `norm2(r)`, as `‖r‖²` is;
/// any other base comes back unchanged.
fn squared_bars(base: Expr, exponent: &Expr, elementwise: bool) -> std::result::Result<ExprKind, Expr> {
    let bars = match &base.kind {
        ExprKind::Call { name, name_span, args } => {
            name == "norm" && args.len() == 1 && name_span.end == args[0].span.start
        }
        _ => false,
    };
    let two = matches!(&exponent.kind, ExprKind::Number(c) if *c == coeff::int(2));
    if !(bars && two && !elementwise) {
        return Err(base);
    }
    match base.into_kind() {
        ExprKind::Call { name_span, args, .. } => Ok(ExprKind::Call { name: "norm2".to_string(), name_span, args }),
        _ => unreachable!("checked to be a norm above"),
    }
}

/// A dimension of `𝟙(m×n)` as the argument of a call `ones(m, n)`: a
/// product of sizes (`𝟙(m n)`) as the product `m n`.
fn dimension_argument(pair: Pair<Rule>) -> Expr {
    let mut size: Option<Expr> = None;
    for p in pair.into_inner() {
        let (op, factor) = match p.as_rule() {
            Rule::divisor => (BinaryOp::Divide, number_or_name(p)),
            _ => (BinaryOp::Multiply, dimension_factor(p)),
        };
        size = Some(match size {
            None => factor,
            Some(a) => {
                let span = Span::new(a.span.start, factor.span.end);
                Expr { kind: ExprKind::Binary(op, Box::new(a), Box::new(factor)), span }
            }
        });
    }
    size.expect("a dimension product has a factor")
}

/// One size of a dimension product: a name, a number, or `n + 1`.
fn dimension_factor(pair: Pair<Rule>) -> Expr {
    if pair.as_rule() == Rule::successor {
        let span = span_of(&pair);
        let n = pair.into_inner().next().expect("a successor names a size");
        let n = Expr { kind: ExprKind::Name(n.as_str().to_string()), span: span_of(&n) };
        let one = Expr { kind: ExprKind::Number(coeff::int(1)), span };
        return Expr { kind: ExprKind::Binary(BinaryOp::Add, Box::new(n), Box::new(one)), span };
    }
    number_or_name(pair.into_inner().next().expect("dimension has content"))
}

/// An integer (or divisor) as a number, a name as a name.
fn number_or_name(d: Pair<Rule>) -> Expr {
    let span = span_of(&d);
    let kind = match d.as_rule() {
        Rule::integer | Rule::divisor => match coeff::parse_decimal(d.as_str()) {
            Some(n) => ExprKind::Number(n),
            None => ExprKind::Name(d.as_str().to_string()),
        },
        _ => ExprKind::Name(d.as_str().to_string()),
    };
    Expr { kind, span }
}

/// Converts a pest error into a matcalc error with a friendly expectation.
fn syntax_error(error: pest::error::Error<Rule>, source: &str) -> Error {
    let position = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = source[position.min(source.len())..].chars().next();
    let span = Span::new(position, position + found.map_or(0, char::len_utf8));
    let (message, help) = match found {
        None => (
            "unexpected end of input".to_string(),
            Some("the expression is incomplete: an operand or a closing bracket is missing"),
        ),
        Some(')') => ("unmatched `)`".to_string(), None),
        Some(c) if "+*/^.,=".contains(c) => (format!("expected an operand before `{c}`"), None),
        Some(c) if c.is_alphanumeric() || c == '(' || c == '_' => {
            ("unexpected operand: an operator or separator is missing".to_string(), None)
        }
        Some(c) => (format!("unexpected character `{}`", c.escape_debug()), None),
    };
    if let Some((start, end, message, help)) = crate::hints::foreign_operator(source, position) {
        return Error::new(ErrorKind::Syntax, message, Span::new(start, end)).with_help(help);
    }
    let unclosed = unclosed_bracket(source);
    let mut err = Error::new(ErrorKind::Syntax, message, span);
    if let (None, Some(open)) = (found, unclosed) {
        err =
            Error::new(ErrorKind::Syntax, "unclosed `(`", Span::new(open, open + 1)).with_help("add the matching `)`");
        return err;
    }
    if let Some(help) = help {
        err = err.with_help(help);
    }
    err
}

fn unclosed_bracket(source: &str) -> Option<usize> {
    let mut stack = Vec::new();
    let mut in_comment = false;
    for (i, c) in source.char_indices() {
        match c {
            '#' => in_comment = true,
            '\n' => in_comment = false,
            '(' if !in_comment => stack.push(i),
            ')' if !in_comment => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}
