"""Shared helpers: random arrays and central finite differences."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261202)


def central_difference(f, args, name, step=1e-6):
    """The derivative of the scalar or vector f(**args) with respect to args[name],
    by central differences: shaped like args[name] for a scalar f, (len f, len x)
    for a vector f."""
    x = np.array(args[name], dtype=float)
    value = np.asarray(f(**args), dtype=float)
    columns = []
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += step
        minus[index] -= step
        hi = np.asarray(f(**{**args, name: plus}), dtype=float)
        lo = np.asarray(f(**{**args, name: minus}), dtype=float)
        columns.append((hi - lo) / (2 * step))
    if value.ndim == 0:
        return np.array(columns).reshape(x.shape)
    return np.stack(columns, axis=-1)


def call(function, parameters, arrays):
    """Calls a generated function with the arrays its parameters name."""
    return function(**{p: arrays[p] for p in parameters})


def arrays_for(sizes, rng):
    """Random arrays of the given shapes; square ones made well conditioned."""
    arrays = {name: rng.uniform(-1.0, 1.0, size=shape) for name, shape in sizes.items()}
    for name, shape in sizes.items():
        if len(shape) == 2 and shape[0] == shape[1]:
            arrays[name] = arrays[name] + shape[0] * np.eye(shape[0])
    return arrays
