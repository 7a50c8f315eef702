"""Errors raise MatcalcError subclasses carrying message, line, column, help
and the caret rendering of the source they point into."""

import pytest

import matcalc

CASES = [
    ("W x +", matcalc.ParseError, "syntax", 1, 6, "unexpected end of input"),
    ("x: vector(n); A: matrix(m, m); A x", matcalc.ShapeError, "shape", 1, 32,
     "cannot multiply A (m×m) by x (n×1): inner dimensions m and n differ"),
    ("foo(x)", matcalc.UnknownNameError, "unknown name", 1, 1, "unknown function `foo`"),
    ("tr(A, B)", matcalc.ArityError, "arity", 1, 1, "`tr` takes 1 argument, got 2"),
    ("x: vector(n)\nx: matrix(m, n)", matcalc.RedefinitionError, "redefinition", 2, 1, "`x` is already declared"),
    ("1/0 * x", matcalc.InvalidValueError, "value", 1, 3, "division by zero"),
    ("(" * 300 + "x" + ")" * 300, matcalc.LimitError, "limit", 1, 201, "brackets nested more than 200 deep"),
]


@pytest.mark.parametrize("program, cls, kind, line, column, message", CASES)
def test_each_kind_of_error_has_its_class(program, cls, kind, line, column, message):
    with pytest.raises(cls) as caught:
        matcalc.simplify(program)
    e = caught.value
    assert isinstance(e, matcalc.MatcalcError) and isinstance(e, ValueError)
    assert (e.kind, e.line, e.column, e.message) == (kind, line, column, message)
    assert e.source == program
    assert e.caret.startswith(f"error: {e.title}: {message}\n")
    source_line = program.split("\n")[line - 1]
    assert f"{line} | {source_line[:200]}" in e.caret
    if len(source_line) <= 200:  # longer lines are shown clipped around the caret
        marker = e.caret.splitlines()[3]
        assert marker.index("^") - marker.index("|") - 2 == column - 1
    assert str(e) == e.caret.rstrip()


def test_the_caret_counts_characters_not_bytes():
    with pytest.raises(matcalc.ShapeError) as caught:
        matcalc.simplify("α: scalar; x: vector(n); A: matrix(m, m); α A x")
    e = caught.value
    # The product `α A` starts at the second `α`: 42 characters before it, 43 bytes.
    assert e.column == len("α: scalar; x: vector(n); A: matrix(m, m); ") + 1
    marker = e.caret.splitlines()[3]
    assert marker.index("^") - marker.index("|") - 2 == e.column - 1


def test_an_unknown_variable_has_no_position_but_a_help():
    with pytest.raises(matcalc.UnknownNameError) as caught:
        matcalc.diff("x^T x", "y")
    e = caught.value
    assert e.line is None and e.column is None
    assert e.message == "the program has no variable `y`"
    assert e.help == "its variables are: x"


def test_a_matrix_jacobian_is_in_kronecker_form():
    j = matcalc.diff("W x", "W")
    assert j.kind == "jacobian"
    assert j.text == "kron(x^T, I(m))"


def test_a_jacobian_with_respect_to_a_symmetric_matrix_of_a_product_size_is_refused_with_its_reason():
    assert matcalc.diff("X: matrix(n, n); diag(X)", "X").text == "kron(ones(n)^T, I(n)) diag(vec(I(n)))"
    assert matcalc.diff("S: symmetric(3); x: vector(3); S x", "S").text == "kron(x^T, I(3)) D(3)"
    assert matcalc.diff("S: symmetric(n); x: vector(n); S x", "S").text == "kron(x^T, I(n)) D(n)"
    with pytest.raises(matcalc.LimitError) as caught:
        matcalc.diff("S: symmetric(m n); x: vector(m n); S x", "S")
    assert "symmetric matrix `S`" in caught.value.message
    assert "n(n+1)/2 free entries" in caught.value.message


def test_an_error_in_a_claim_points_into_the_claim():
    with pytest.raises(matcalc.UnknownNameError) as caught:
        matcalc.verify("x^T A x", "x", "A q")
    e = caught.value
    assert e.source == "A q"
    assert (e.line, e.column) == (1, 3)
    assert "1 | A q\n" in e.caret
    with pytest.raises(matcalc.ParseError):
        matcalc.verify("x^T A x", "x", "A x +")
    with pytest.raises(matcalc.ShapeError):
        matcalc.verify("x^T A x", "x", "A x + x^T")


def test_limits_of_numeric_checks_are_limit_errors():
    with pytest.raises(matcalc.LimitError, match="too large to evaluate"):
        matcalc.check("x: vector(100000000); sum(x)", "x")
    with pytest.raises(matcalc.LimitError):
        matcalc.check("sum(exp(x))", "x", points=100000)


def test_every_class_is_a_matcalc_error():
    classes = [matcalc.ParseError, matcalc.ShapeError, matcalc.UnknownNameError, matcalc.ArityError,
               matcalc.RedefinitionError, matcalc.DifferentiationError, matcalc.InvalidValueError,
               matcalc.LimitError, matcalc.EvaluationError]
    assert all(issubclass(c, matcalc.MatcalcError) for c in classes)
    assert issubclass(matcalc.MatcalcError, ValueError)
    assert all(c.__module__ == "matcalc" for c in classes)
    assert len(set(classes)) == len(classes)
