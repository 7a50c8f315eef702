//! Tests of the operator table: one entry per name, each function found by its name, shapes, notation, and every elementwise derivative against finite differences of its value.

use super::*;

#[test]
fn every_name_has_one_entry() {
    let all: Vec<&str> = names().collect();
    for name in &all {
        assert_eq!(all.iter().filter(|n| *n == name).count(), 1, "`{name}` is listed twice");
        assert!(lookup(name).is_some_and(|b| b.is_named(name)));
    }
}

#[test]
fn every_function_reads_back_by_its_name() {
    for f in Func::ALL {
        let entry = lookup(f.name()).expect("a function's name is a built-in");
        assert!(std::ptr::eq(entry, of(f)));
        match entry.meaning {
            Meaning::Apply(g) => assert_eq!(g, f),
            Meaning::Diag => assert!(matches!(f, Func::DiagMat | Func::DiagVec)),
            other => panic!("{f:?} has the entry of {other:?}"),
        }
    }
}

#[test]
fn elementwise_functions_take_one_argument_of_any_shape() {
    let elementwise: Vec<&str> = Func::ALL.iter().filter(|f| f.is_elementwise()).map(|f| f.name()).collect();
    assert_eq!(elementwise.len(), 19);
    assert!(elementwise.contains(&"sigmoid") && !elementwise.contains(&"sum"));
    for f in Func::ALL.iter().filter(|f| f.is_elementwise()) {
        assert_eq!(of(*f).arity, Arity::Exactly(1));
        assert!(matches!(of(*f).value, Some(Value::Entrywise(_))));
        assert!(matches!(of(*f).derivative, Some(Derivative::Entrywise(_))));
    }
}

#[test]
fn functions_whose_derivative_is_a_gradient_are_scalar_valued() {
    // Their differential is ⟨G, db⟩ with G the adjoint step of 1.
    let mut kinds = [0; 3];
    for f in Func::ALL {
        match of(f).derivative {
            Some(Derivative::Adjoint(_)) => {
                kinds[0] += 1;
                let scalar = matches!(
                    of(f).shape,
                    ShapeRule::Scalar | ShapeRule::ScalarOfSquare { .. } | ShapeRule::ScalarOfColumn
                );
                assert!(scalar, "{f:?} is not scalar-valued");
            }
            Some(Derivative::Linear(_)) => kinds[1] += 1,
            Some(Derivative::Symmetric(_)) => kinds[2] += 1,
            _ => {}
        }
    }
    assert_eq!(kinds, [6, 5, 1], "(gradient, linear, symmetric) functions");
}

#[test]
fn every_function_has_notation_whose_python_uses_its_argument_once() {
    for f in Func::ALL {
        let n = notation(f);
        for template in std::iter::once(n.numpy).chain(n.torch) {
            let uses = pieces(template).filter(|p| *p == Piece::Argument).count();
            assert_eq!(uses, 1, "{f:?}: `{template}` evaluates its argument {uses} times");
        }
        let (text, tex) = n.graph_label(f.name());
        assert!(!text.is_empty() && (tex.starts_with('\\') || tex.starts_with('|')), "{f:?}: {text} {tex}");
    }
}

/// The points where an elementwise function is checked: inside its
/// domain, away from where the table says it is irregular.
fn sample_points(f: Func) -> Vec<f64> {
    let all: Vec<f64> = (-40..=40).map(|i| f64::from(i) * 0.07 + 0.013).collect();
    all.into_iter()
        .filter(|&x| match f {
            Func::Log | Func::Sqrt => x > 0.05,
            Func::Arcsin | Func::Arccos => x.abs() < 0.95,
            Func::Tan => x.abs() < 1.4,
            _ => true,
        })
        .filter(|&x| match of(f).irregular {
            Irregular::AtZeroEntry => x.abs() > 0.01,
            _ => true,
        })
        .collect()
}

#[test]
fn every_elementwise_derivative_matches_finite_differences_of_its_value() {
    use crate::eval::{evaluate, Env};
    use crate::ir::{Role, Symbol};
    use crate::shape::Shape;
    for f in Func::ALL.into_iter().filter(|f| f.is_elementwise()) {
        let Some(Value::Entrywise(value)) = of(f).value else { unreachable!() };
        let Some(Derivative::Entrywise(derivative)) = of(f).derivative else { unreachable!() };
        let mut g = Graph::new();
        let x = g.add_symbol(Symbol { name: "x".into(), shape: Shape::SCALAR, role: Role::Input { symmetric: false } });
        let var = g.var(x);
        let slope = derivative(&mut g, var);
        for t in sample_points(f) {
            let mut env = Env::default();
            env.values.insert(x, Matrix::scalar(t));
            let got = evaluate(&g, slope, &env).expect("the derivative evaluates").data[0];
            let h = 1e-6;
            let want = (value(t + h) - value(t - h)) / (2.0 * h);
            assert!((got - want).abs() <= 1e-6 * (1.0 + want.abs()), "{f:?}'({t}) = {got}, finite differences {want}");
        }
    }
}

#[test]
fn irregular_points_are_where_the_table_says() {
    // A kink at 0: the one-sided slopes differ, or the slope is unbounded.
    for f in Func::ALL.into_iter().filter(|f| f.is_elementwise() && of(*f).irregular == Irregular::AtZeroEntry) {
        let Some(Value::Entrywise(value)) = of(f).value else { unreachable!() };
        let h = 1e-4;
        let right = (value(2.0 * h) - value(h)) / h;
        let left = (value(-h) - value(-2.0 * h)) / h;
        let jump = (value(h) - value(-h)).abs() > 1e-3;
        assert!(jump || (right - left).abs() > 0.5 || !right.is_finite() || right.abs() > 10.0, "{f:?} is smooth at 0");
    }
}
