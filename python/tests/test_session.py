"""matcalc.Session: declarations and definitions kept across calls, all or
nothing per call, as at the REPL."""

import numpy as np
import pytest

import matcalc

SEED_GRADIENT = "t1 = (W^T W x - x) x^T\nW (t1 + t1^T)"


def whole(program, wrt):
    """The derivative of the same statements given as one program."""
    return matcalc.diff(program, wrt).text


def test_declarations_carry_over_to_later_calls():
    s = matcalc.Session()
    assert s.run("W: matrix(m, n); x: vector(n)") is None
    assert s.types() == {"W": "matrix(m, n)", "x": "vector(n)"}
    value = s.run("1/2 * norm2(W^T W x - x)")
    assert value.kind == "value" and value.unicode == "1/2 * ‖Wᵀ W x − x‖²"
    g = s.diff("1/2 * norm2(W^T W x - x)", "W")
    assert g.text == SEED_GRADIENT
    assert g.latex.startswith("\\begin{aligned}\n\\nabla_{\\mathbf{W}} f &= ")
    assert s.program == "W: matrix(m, n)\nx: vector(n)"


def test_a_definition_name_stands_for_its_value():
    s = matcalc.Session()
    s.run("W: matrix(m, n); x: vector(n)")
    assert s.run("L = 1/2 * norm2(W^T W x - x)") is None
    g = s.diff("L", "W")
    assert g.of == "L" and g.text == SEED_GRADIENT
    assert g.latex.startswith("\\begin{aligned}\n\\nabla_{\\mathbf{W}} L &= ")
    assert s.simplify("L").text == "1/2 * norm2(W^T W x - x)"
    assert s.run("L").text == "1/2 * norm2(W^T W x - x)"
    assert "(definition)" not in str(s.types())
    assert s.types()["L"] == "scalar"


def test_several_variables_and_steps_in_a_session():
    s = matcalc.Session()
    s.run("ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2")
    d = s.diff("L = ell(z2)", ["W2", "b2"])
    assert [r.text for r in d] == ["grad(L, z2) h1^T", "grad(L, z2)"]
    assert d[0].steps().splitlines()[-1] == "grad(L, W2) = grad(L, W2 h1) h1^T = grad(L, z2) h1^T"
    assert "L = ell(z2)" in s.program


def test_a_failing_call_leaves_the_session_as_it_was():
    s = matcalc.Session()
    s.run("W: matrix(m, n); x: vector(n)")
    before = (s.program, s.types())
    with pytest.raises(matcalc.ShapeError) as caught:
        s.run("y: vector(m); z = W y")
    assert caught.value.source == "y: vector(m); z = W y"
    assert (caught.value.line, caught.value.column) == (1, 19)
    assert (s.program, s.types()) == before
    with pytest.raises(matcalc.UnknownNameError):
        s.diff("q = W x; sum(q)", "v")
    assert (s.program, s.types()) == before
    with pytest.raises(matcalc.ParseError):
        s.run("W x +")
    assert (s.program, s.types()) == before
    assert s.diff("sum(W x)", "x").text == whole("W: matrix(m, n); x: vector(n); sum(W x)", "x")


def test_inference_from_use_carries_over():
    s = matcalc.Session()
    s.run("A x")
    assert s.types() == {"A": "matrix(m, n)", "x": "vector(n)"}
    s.run("y: vector(m); u = y^T A x")
    assert s.diff("u", "x").text == whole("A x; y: vector(m); u = y^T A x; u", "x")


def test_the_same_statement_again_changes_nothing():
    s = matcalc.Session()
    for _ in range(2):  # a notebook cell run twice
        assert s.run("W: matrix(m, n); x: vector(n); z = W x") is None
    assert s.program == "W: matrix(m, n)\nx: vector(n)\nz = W x"


def test_a_new_definition_replaces_the_old_one_and_its_users_follow():
    s = matcalc.Session()
    s.run("W: matrix(m, n); x: vector(n); y: vector(n); z = W x; L = sum(exp(z))")
    assert s.diff("L", "x").text == whole("W: matrix(m, n); x: vector(n); z = W x; L = sum(exp(z))", "x")
    assert s.simplify("z").text == "W x"
    s.run("z = W y")
    assert s.program == "W: matrix(m, n)\nx: vector(n)\ny: vector(n)\nz = W y\nL = sum(exp(z))"
    assert s.simplify("z").text == "W y"
    replaced = "W: matrix(m, n); x: vector(n); y: vector(n); z = W y; L = sum(exp(z))"
    assert s.diff("L", "y").text == whole(replaced, "y")
    assert s.diff("L", "x").text == whole(replaced, "x")
    assert s.diff("L", "x").text != s.diff("L", "y").text


def test_a_declaration_replaces_the_inferred_kind():
    s = matcalc.Session()
    s.run("A x")
    s.run("x: vector(k)")
    assert s.types() == {"A": "matrix(m, k)", "x": "vector(k)"}


def test_a_replacement_that_breaks_a_user_is_refused():
    s = matcalc.Session()
    s.run("W: matrix(m, n); x: vector(n); a: vector(m); z = W x; u = a^T z")
    before = s.program
    with pytest.raises(matcalc.ShapeError):
        s.run("z = x")
    assert s.program == before
    with pytest.raises(matcalc.RedefinitionError, match="defined by itself"):
        s.run("z = z + a")
    assert s.program == before
    assert s.diff("u", "x").text == whole("W: matrix(m, n); x: vector(n); a: vector(m); z = W x; u = a^T z", "x")


def test_verify_and_check_in_a_session():
    s = matcalc.Session()
    s.run("A: matrix(n, n); x: vector(n); q = x^T A x")
    assert s.verify("q", "x", "(A + A^T) x").correct
    v = s.verify("q", "x", "2 A x")
    answer = whole("A: matrix(n, n); x: vector(n); q = x^T A x", "x")
    assert not v and v.answer == answer
    with pytest.raises(matcalc.UnknownNameError) as caught:
        s.verify("q", "x", "B x")
    assert caught.value.source == "B x"
    c = s.check("q", "x", points=3)
    assert c.passed and c.points == 3 and c.derivative == answer


def test_session_results_run_as_numpy():
    s = matcalc.Session()
    s.run("A: matrix(n, n); x: vector(n)")
    g = s.diff("x^T A x", "x").to_numpy()
    A = np.array([[2.0, 1.0], [0.0, 3.0]])
    x = np.array([1.0, -1.0])
    np.testing.assert_allclose(g(A, x), (A + A.T) @ x)
    assert "Session of 2 statements" in repr(s)
