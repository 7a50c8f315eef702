//! `matcalc::Session`: statements added one at a time give what the same
//! statements analysed as one program give; a new statement of a name
//! replaces the old one (its users move after it); a failing statement or
//! source leaves the session as it was; errors say which text they point into.

use matcalc::session::{Added, ErrorText, Replacement};
use matcalc::{ErrorKind, Format, Session};

/// Statements, the last an expression, and variables to differentiate by.
const PROGRAMS: &[(&[&str], &[&str])] = &[
    (&["W: matrix(m, n)", "x: vector(n)", "1/2 * norm2(W^T W x - x)"], &["W", "x"]),
    (&["ell: function", "z = W1 x + b1", "h1 = swish(z)", "z2 = W2 h1 + b2", "ell(z2)"], &["W2", "b1", "x"]),
    (&["A: symmetric(n)", "x: vector(n)", "r = A x - x", "r^T A r + sum(exp(r))"], &["A", "x"]),
    (&["W: matrix(m, n)", "x: vector(n)", "z = W x", "u = W x", "z - u + sigmoid(z)"], &["x"]),
    // Settles a dimension an earlier statement left free: analysed again whole.
    (&["sum(W x)", "y: vector(k)", "sum(W y) + sum(W x)"], &["W", "y"]),
];

/// The session of `statements`, added one call each, and the last addition.
fn incremental(statements: &[&str]) -> (Session, Added) {
    let mut session = Session::new();
    let mut last = Added::default();
    for statement in statements {
        last = session.add(statement).unwrap_or_else(|e| panic!("{statement}: {:?}", e.error));
    }
    (session, last)
}

#[test]
fn statements_added_one_at_a_time_equal_the_whole_program() {
    for (statements, variables) in PROGRAMS {
        let program = statements.join("\n");
        let mut whole = matcalc::analyze(&program).unwrap();
        let (mut session, last) = incremental(statements);
        assert!(last.is_expression());
        if statements[0] == "sum(W x)" {
            assert_ne!(session.generation(), 0, "the last statement needs the program analysed again");
        }
        for format in [Format::Text, Format::Unicode, Format::Latex] {
            let value = whole.simplified(None).unwrap();
            let expected = whole.print(value, format);
            assert_eq!(session.value(&last).text(format, 100).unwrap(), expected, "{program}");
        }
        for wrt in *variables {
            let derivative = whole.derivative(None, wrt).unwrap();
            let expected = whole.print(derivative.result, Format::Text);
            let got = session.value(&last).derivative_text(wrt, Format::Text, 100).unwrap();
            assert_eq!(got, expected, "d/d{wrt} of {program}");
        }
        assert_eq!(session.program_value().types(), whole.symbol_types(), "{program}");
        // The same statements as one source, all at once, agree too.
        let mut at_once = Session::new();
        let added = at_once.add(&program).unwrap();
        let wrt = variables[0];
        assert_eq!(
            at_once.value(&added).derivative_text(wrt, Format::Text, 100).unwrap(),
            session.value(&last).derivative_text(wrt, Format::Text, 100).unwrap()
        );
    }
}

#[test]
fn verify_and_check_answer_about_the_last_value() {
    let (mut session, last) = incremental(&["W: matrix(m, n)", "x: vector(n)", "L = 1/2 * norm2(W^T W x - x)"]);
    assert_eq!(last.of.as_deref(), Some("L"));
    let right = session.value(&last).derivative_text("W", Format::Text, usize::MAX).unwrap();
    assert!(session.value(&last).verify("W", &right).unwrap().verdict.correct());
    assert!(!session.value(&last).verify("W", "W x x^T").unwrap().verdict.correct());
    assert!(session.value(&last).check("W", 3, 7).unwrap().comparison.passed());
}

#[test]
fn a_new_definition_replaces_the_old_and_its_users_follow() {
    let (mut session, _) = incremental(&["W: matrix(m, n)", "x: vector(n)", "z = W x", "y = sum(z)", "c: scalar"]);
    let added = session.add("z = 2 W x").unwrap();
    let expected = Replacement { names: vec!["z".into()], old: vec!["z = W x".into()], dependents: vec!["y".into()] };
    assert_eq!(added.replacements, vec![expected.clone()]);
    assert_eq!(expected.message(), "this replaces `z = W x`; y now uses the new one");
    assert_eq!(session.texts(), ["W: matrix(m, n)", "x: vector(n)", "c: scalar", "z = 2 W x", "y = sum(z)"]);
    let y = session.add("y").unwrap();
    let mut whole = matcalc::analyze("W: matrix(m, n)\nx: vector(n)\nz = 2 W x\ny = sum(z)\ny").unwrap();
    let value = whole.simplified(Some("y")).unwrap();
    assert_eq!(session.value(&y).text(Format::Text, 100).unwrap(), whole.print(value, Format::Text));
    // The same statement again changes nothing.
    let generation = session.generation();
    assert!(session.add("z = 2 W x").unwrap().replacements.is_empty());
    assert_eq!(session.generation(), generation);
    // A name inferred from its use, declared afterwards.
    let mut inferred = Session::new();
    inferred.add("sum(A v)").unwrap();
    let added = inferred.add("v: vector(p)").unwrap();
    assert_eq!(added.replacements[0].message(), "`v` was inferred from its use; now it is declared");
    assert_eq!(inferred.declarations(), ["v: vector(p)"]);
}

#[test]
fn a_definition_by_itself_is_refused() {
    let (mut session, _) = incremental(&["x: vector(n)", "z = 2 x"]);
    let e = session.add("z = z + x").unwrap_err();
    assert_eq!(e.error.kind, ErrorKind::Redefinition);
    assert_eq!(e.text, ErrorText::Source);
    let span = e.error.span.unwrap();
    assert_eq!(&"z = z + x"[span.start..span.end], "z");
}

#[test]
fn a_failing_source_leaves_the_session_as_it_was() {
    let (mut session, _) = incremental(&["W: matrix(m, n)", "x: vector(n)", "z = W x"]);
    let before = (session.texts().to_vec(), session.program_value().types());
    let source = "y: vector(m); u = W y";
    let e = session.add(source).unwrap_err();
    assert_eq!(e.error.kind, ErrorKind::Shape);
    assert_eq!(e.text, ErrorText::Source);
    let span = e.error.span.unwrap();
    assert!(source[span.start..span.end].contains('W'), "{span:?}");
    assert_eq!((session.texts().to_vec(), session.program_value().types()), before);
    assert!(!session.has_name("y"));
    // A replacement earlier in the failing source is undone too.
    let e = session.add("z = 3 W x; q = W z").unwrap_err();
    assert_eq!(e.error.kind, ErrorKind::Shape);
    assert_eq!(session.texts(), before.0.as_slice());
    let z = session.add("z").unwrap();
    assert_eq!(session.value(&z).text(Format::Text, 100).unwrap(), "W x");
    // A cheap mark returns to before one statement.
    let mark = session.mark();
    session.add("s = sum(z)").unwrap();
    assert!(session.rollback(mark));
    assert!(!session.has_name("s"));
}

#[test]
fn an_error_in_a_moved_statement_points_into_the_program() {
    let (mut session, _) = incremental(&["W: matrix(m, n)", "x: vector(n)", "z = W x", "u = W^T z"]);
    let e = session.add("z = x").unwrap_err();
    assert_eq!(e.error.kind, ErrorKind::Shape);
    let ErrorText::Program { program, start, end, replacing, .. } = &e.text else { panic!("{:?}", e.text) };
    assert!(*replacing);
    assert_eq!(&program[*start..*end], "z = x");
    let span = e.error.span.unwrap();
    assert!(span.end <= program.len() && program[span.start..span.end].contains('z'), "{program:?} {span:?}");
    assert_eq!(session.texts(), ["W: matrix(m, n)", "x: vector(n)", "z = W x", "u = W^T z"]);
}

#[test]
fn an_expression_aside_leaves_nothing_behind() {
    let (mut session, _) = incremental(&["W: matrix(m, n)", "x: vector(n)", "L = sum(W x)"]);
    let texts = session.texts().to_vec();
    let text = session.on_expression::<_, matcalc::SessionError>("sum(exp(W x))", |mut v| {
        Ok(v.derivative_text("x", Format::Text, 100).unwrap())
    });
    assert!(text.unwrap().contains("exp(W x)"));
    let named = session.on_expression::<_, matcalc::SessionError>("L", |v| Ok(v.of().map(str::to_string)));
    assert_eq!(named.unwrap().as_deref(), Some("L"));
    assert_eq!(session.texts(), texts.as_slice());
}

/// A value's differential prints what the whole program's does, and its
/// direction symbol `dW` does not become a name of the session: a `dW`
/// declared afterwards is the program's own.
#[test]
fn differentials_leave_the_session_names_as_they_were() {
    let statements = ["W: matrix(m, n)", "x: vector(n)", "L = 1/2 * norm2(W^T W x - x)"];
    let mut whole = matcalc::analyze(&statements.join("\n")).unwrap();
    let differential = whole.differential(None, "W").unwrap();
    let expected = whole.print_differential(&differential, None, Format::Text, &Default::default(), 100).unwrap();
    let (mut session, last) = incremental(&statements);
    let names = session.name_count();
    assert_eq!(session.value(&last).differential_text("W", Format::Text, 100).unwrap(), expected);
    assert_eq!(session.name_count(), names);
    assert!(!session.has_name("dW"));
    let added = session.add("dW: matrix(m, n); tr(dW^T W)").unwrap();
    assert_eq!(session.value(&added).derivative_text("dW", Format::Text, 100).unwrap(), "W");
}
