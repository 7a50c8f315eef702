"""to_numpy(): the generated functions agree with central finite differences
of the generated value function, at random points."""

import numpy as np
import pytest

import matcalc
from conftest import arrays_for, call, central_difference

# (program, variable, sizes of the arrays by name)
CASES = [
    ("W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", "W", {"W": (2, 3), "x": (3,)}),
    ("W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", "x", {"W": (2, 3), "x": (3,)}),
    ("A: matrix(n, n); x: vector(n); x^T A x", "x", {"A": (3, 3), "x": (3,)}),
    ("W: matrix(m, n); x: vector(n); sum(log(sigmoid(W x)))", "W", {"W": (3, 2), "x": (2,)}),
    ("X: matrix(n, n); logdet(X)", "X", {"X": (3, 3)}),
    ("W: matrix(m, n); x: vector(n); b: vector(m); y: vector(m); 1/2 * norm2(tanh(W x + b) - y)", "b",
     {"W": (2, 4), "x": (4,), "b": (2,), "y": (2,)}),
    ("x: vector(n); softmax(x)", "x", {"x": (4,)}),
    ("W: matrix(m, n); x: vector(n); sigmoid(W x)", "x", {"W": (3, 2), "x": (2,)}),
]


@pytest.mark.parametrize("program, wrt, sizes", CASES)
def test_derivative_matches_finite_differences(program, wrt, sizes, rng):
    derivative = matcalc.diff(program, wrt)
    value = matcalc.simplify(program)
    f, df = value.to_numpy(), derivative.to_numpy()
    for _ in range(3):
        arrays = arrays_for(sizes, rng)
        symbolic = np.asarray(call(df, derivative.numpy_parameters, arrays), dtype=float)
        numeric = central_difference(lambda **a: call(f, value.numpy_parameters, a), arrays, wrt)
        assert symbolic.shape == numeric.shape, (program, wrt)
        np.testing.assert_allclose(symbolic, numeric, rtol=1e-6, atol=1e-7)


def test_a_wrong_derivative_would_fail_the_comparison(rng):
    # One of the seed gradient's two paths alone: the comparison must see it.
    program = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)"
    half = matcalc.simplify(program + "; W (W^T W x - x) x^T").to_numpy()
    value = matcalc.simplify(program)
    arrays = arrays_for({"W": (2, 3), "x": (3,)}, rng)
    numeric = central_difference(lambda **a: call(value.to_numpy(), value.numpy_parameters, a), arrays, "W")
    assert not np.allclose(half(arrays["W"], arrays["x"]), numeric, rtol=1e-6, atol=1e-7)


def test_every_derivative_of_several_runs(rng):
    program = "W1: matrix(h, n); b1: vector(h); W2: matrix(m, h); b2: vector(m); x: vector(n); y: vector(m); " \
              "z2 = W2 tanh(W1 x + b1) + b2; 1/2 * norm2(z2 - y)"
    d = matcalc.diff(program, ["W1", "b1", "W2", "b2"])
    value = matcalc.simplify(program)
    sizes = {"W1": (3, 2), "b1": (3,), "W2": (2, 3), "b2": (2,), "x": (2,), "y": (2,)}
    arrays = arrays_for(sizes, rng)
    for result, function in zip(d, d.to_numpy()):
        symbolic = call(function, result.numpy_parameters, arrays)
        numeric = central_difference(lambda **a: call(value.to_numpy(), value.numpy_parameters, a), arrays,
                                     result.wrt)
        np.testing.assert_allclose(symbolic, numeric, rtol=1e-6, atol=1e-7)


def test_the_value_function_computes_the_value(rng):
    value = matcalc.simplify("W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)").to_numpy()
    W, x = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, 3)
    r = W.T @ W @ x - x
    assert value(W, x) == pytest.approx(0.5 * r @ r, rel=1e-12)


def test_an_opaque_function_and_its_upstream_gradient_are_parameters(rng):
    d = matcalc.diff("ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)", "W2")
    assert d.numpy_parameters[-1] == "dL_dz2"
    W1, b1, W2, x = rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, 2)
    upstream = rng.uniform(-1, 1, 2)
    arrays = {"W1": W1, "b1": b1, "W2": W2, "x": x, "b2": rng.uniform(-1, 1, 2), "dL_dz2": upstream}
    z = W1 @ x + b1
    h1 = z / (1 + np.exp(-z))
    np.testing.assert_allclose(call(d.to_numpy(), d.numpy_parameters, arrays), np.outer(upstream, h1), rtol=1e-12)


LAYOUT_CASES = [
    ("W: matrix(m, n); x: vector(n); sigmoid(W x)", "x", {"W": (3, 2), "x": (2,)}),
    ("A: matrix(m, n); x: vector(n); tanh(A x) .* (A x)", "x", {"A": (4, 3), "x": (3,)}),
    ("x: vector(n); softmax(x)", "x", {"x": (4,)}),
    ("x: vector(n); k: scalar; exp(k x)", "k", {"x": (3,), "k": ()}),
]


@pytest.mark.parametrize("program, wrt, sizes", LAYOUT_CASES)
def test_a_denominator_layout_jacobian_is_the_transpose(program, wrt, sizes, rng):
    denominator = matcalc.diff(program, wrt, layout="denominator")
    value = matcalc.simplify(program)
    f, dj = value.to_numpy(), denominator.to_numpy()
    with_value = denominator.to_numpy(with_value=True)
    for _ in range(3):
        arrays = arrays_for(sizes, rng)
        symbolic = np.asarray(call(dj, denominator.numpy_parameters, arrays), dtype=float)
        numeric = central_difference(lambda **a: call(f, value.numpy_parameters, a), arrays, wrt)
        numeric = numeric.reshape(numeric.shape[0], -1)
        assert symbolic.reshape(-1, numeric.shape[0]).shape == numeric.T.shape, (program, wrt)
        np.testing.assert_allclose(symbolic.reshape(numeric.T.shape), numeric.T, rtol=1e-6, atol=1e-7)
        _, jacobian = call(with_value, denominator.numpy_parameters, arrays)
        np.testing.assert_allclose(np.asarray(jacobian, dtype=float), symbolic, rtol=1e-12, atol=1e-12)


def test_the_layout_transposes_jacobians_only():
    assert matcalc.diff("W x", "W", layout="denominator").text == "kron(x, I(m))"
    assert matcalc.diff("W x", "W").text == "kron(x^T, I(m))"
    assert matcalc.diff("x^T A x", "x", layout="denominator").text == matcalc.diff("x^T A x", "x").text
    assert matcalc.Session().diff("A x", "x", layout="denominator").text == "A^T"
    with pytest.raises(ValueError, match="numerator"):
        matcalc.diff("W x", "x", layout="sideways")
