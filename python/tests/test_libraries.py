"""The value-and-derivative function (with_value) and the JAX and PyTorch
sources: each agrees with the NumPy functions, which test_numpy.py checks
against finite differences. The JAX and PyTorch functions run where jax or
torch is importable (CI installs neither for this suite: those tests are
reported skipped)."""

import numpy as np
import pytest

import matcalc
from conftest import arrays_for as arrays, call, central_difference

MLP = "W1: matrix(h, n); b1: vector(h); W2: matrix(m, h); x: vector(n); y: vector(m); " \
      "1/2 * norm2(W2 tanh(W1 x + b1) - y)"
SIZES = {"W1": (3, 2), "b1": (3,), "W2": (2, 3), "x": (2,), "y": (2,)}
NLL = "S: matrix(n, n); x, mu: vector(n); 1/2 * logdet(S) + 1/2 * (x - mu)^T inv(S) (x - mu)"


def test_with_value_returns_the_value_and_the_gradient(rng):
    d = matcalc.diff(MLP, "W1")
    f = d.to_numpy(with_value=True)
    assert f.__name__ == "value_and_grad_W1"
    a = arrays(SIZES, rng)
    value, gradient = call(f, d.numpy_parameters, a)
    loss = matcalc.simplify(MLP)
    assert value == pytest.approx(call(loss.to_numpy(), loss.numpy_parameters, a), rel=1e-12)
    numeric = central_difference(lambda **b: call(loss.to_numpy(), loss.numpy_parameters, b), a, "W1")
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-7)
    with pytest.raises(AssertionError, match="must have shape"):
        call(f, d.numpy_parameters, {**a, "x": np.zeros(5)})


def test_with_value_of_several_derivatives_is_one_function(rng):
    d = matcalc.diff(MLP, ["W1", "b1"])
    source = d.source(with_value=True)
    assert source.count("def ") == 1 and "def value_and_grad_W1_grad_b1(" in source
    namespace = {}
    exec(source, namespace)
    a = arrays(SIZES, rng)
    value, g_W1, g_b1 = call(namespace["value_and_grad_W1_grad_b1"], d[0].numpy_parameters, a)
    for got, function, result in zip([g_W1, g_b1], d.to_numpy(), d):
        np.testing.assert_allclose(got, call(function, result.numpy_parameters, a), rtol=1e-12)
    assert np.ndim(value) == 0


def test_with_value_is_for_a_derivative_and_libraries_are_named():
    with pytest.raises(ValueError, match="with_value"):
        matcalc.simplify(MLP).source(with_value=True)
    with pytest.raises(ValueError, match="numpy, jax, torch"):
        matcalc.diff(MLP, "W1").source("matlab")


def test_a_session_result_has_the_sources():
    s = matcalc.Session()
    s.run("A: matrix(n, n); x: vector(n)")
    d = s.diff("x^T A x", "x")
    assert "def value_and_grad_x(A, x):" in d.source("torch", with_value=True)
    assert d.jax_source.startswith("import jax.numpy as jnp\n")


@pytest.mark.parametrize("library, module", [("jax", "import jax.numpy as jnp"), ("torch", "import torch")])
def test_the_sources_name_their_library_alone(library, module):
    for result in [matcalc.diff(NLL, "mu"), matcalc.simplify(NLL)]:
        source = getattr(result, f"{library}_source")
        assert source == result.source(library)
        assert source.startswith(module + "\n")
        assert " np." not in source and "(np." not in source
    d = matcalc.diff(MLP, ["W1", "b1"])
    assert d.source(library).count("import") == 1 and d.source(library) == getattr(d, f"{library}_source")


def jax_numpy():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def run(source, name, parameters, a, convert):
    namespace = {}
    exec(source, namespace)
    return namespace[name](*[convert(a[p]) for p in parameters])


@pytest.mark.parametrize("program, wrt", [(MLP, "W1"), (NLL, "mu"), (NLL, "S")])
def test_jax_agrees_with_numpy_under_jit(program, wrt, rng):
    jax = jax_numpy()
    d = matcalc.diff(program, wrt)
    sizes = SIZES if program == MLP else {"S": (3, 3), "x": (3,), "mu": (3,)}
    a = arrays(sizes, rng)
    expected = call(d.to_numpy(), d.numpy_parameters, a)
    namespace = {}
    exec(d.jax_source, namespace)
    got = jax.jit(namespace[d.numpy_name])(*[a[p] for p in d.numpy_parameters])
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-10)


@pytest.mark.parametrize("program, wrt", [(MLP, "W1"), (NLL, "mu"), (NLL, "S")])
def test_torch_agrees_with_numpy(program, wrt, rng):
    torch = pytest.importorskip("torch")
    d = matcalc.diff(program, wrt)
    sizes = SIZES if program == MLP else {"S": (3, 3), "x": (3,), "mu": (3,)}
    a = arrays(sizes, rng)
    expected = call(d.to_numpy(), d.numpy_parameters, a)
    tensor = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    got = run(d.torch_source, d.numpy_name, d.numpy_parameters, a, tensor)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    _, gradient = run(d.source("torch", with_value=True), f"value_and_{d.numpy_name}", d.numpy_parameters, a,
                          tensor)
    np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-10)
