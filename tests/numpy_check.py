"""Runs matcalc's NumPy output against references computed in Rust.

Reads a JSON list of cases from standard input, each with the generated
code, the function name, the arguments as [parameter name, value] pairs in
the order of the function's parameters, and the expected value (computed
by the Rust tests with finite differences or matcalc's evaluator, with an
optional rounding floor below which differences are noise), executes
the code with numpy, checks the parameter names and compares. Prints one
line per case and 'N passed, M failed'. With --stream (the fuzz target's
mode): prints 'ready', then reads one case per line and answers each with
one line. With --jax (the code is matcalc's JAX output): runs each
function compiled by jax.jit (sizes and opaque functions static), in
float64. With --torch (matcalc's PyTorch output): passes every array and
scalar as a float64 tensor (a scalar 0-d), requires a tensor back, and turns
warnings (a deprecated `.T` of a vector) into failures.
"""
import inspect
import json
import sys

import numpy as np

JAX = "--jax" in sys.argv[1:]
if JAX:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
TORCH = "--torch" in sys.argv[1:]
if TORCH:
    import warnings

    import torch

    warnings.simplefilter("error")


def linear_function(gradients):
    """The opaque function t -> <g, t>, with one g per argument shape."""
    by_shape = {np.shape(g): g for g in gradients}

    def apply(t):
        if JAX:
            return jnp.sum(by_shape[jnp.shape(t)] * t)
        if TORCH:
            return torch.sum(torch.as_tensor(by_shape[tuple(t.shape)]) * t)
        t = np.asarray(t, dtype=float)
        return float(np.sum(by_shape[t.shape] * t))

    return apply


def argument(spec):
    if spec["kind"] == "int":
        return int(spec["value"])
    if spec["kind"] == "function":
        return linear_function([argument(g) for g in spec["gradients"]])
    data = np.array(spec["data"], dtype=float).reshape(spec["rows"], spec["cols"])
    if spec["kind"] == "scalar":
        return float(data[0, 0])
    if spec["kind"] == "vector":
        return data[:, 0].copy()
    return data


def as_tensor(value, spec):
    """An array or scalar argument as a float64 tensor; sizes and functions as they are."""
    if spec["kind"] in ("int", "function"):
        return value
    return torch.tensor(value, dtype=torch.float64)


def check(case):
    """'pass NAME ERROR' or 'FAIL NAME: why' for one case."""
    name = case["name"]
    try:
        namespace = {}
        exec(case["code"], namespace)
        function = namespace[case["function"]]
        names = [name for name, _ in case["args"]]
        signature = list(inspect.signature(function).parameters)
        if signature != names:
            raise TypeError(f"parameters {signature}, expected {names}")
        args = [argument(spec) for _, spec in case["args"]]
        if TORCH:
            args = [as_tensor(a, spec) for a, (_, spec) in zip(args, case["args"])]
        if JAX:
            static = [n for n, spec in case["args"] if spec["kind"] in ("int", "function")]
            function = jax.jit(function, static_argnames=static)
        with np.errstate(all="ignore"):
            got = function(*args)
            if TORCH:
                if not isinstance(got, torch.Tensor) or got.dtype != torch.float64:
                    raise TypeError(f"returned {type(got).__name__} {getattr(got, 'dtype', '')}, not a float64 tensor")
                got = got.numpy()
            got = np.asarray(got, dtype=float)
    except Exception as error:  # report, do not stop
        return f"FAIL {name}: {type(error).__name__}: {error}"
    expected = np.asarray(argument(case["expected"]), dtype=float)
    if got.shape != expected.shape:
        return f"FAIL {name}: shape {got.shape}, expected {expected.shape}"
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-8)
    difference = float(np.max(np.abs(got - expected))) if expected.size else 0.0
    # Differences below the case's rounding floor (if it gives one) are noise.
    error = 0.0 if difference <= case.get("floor", 0.0) else difference / scale
    if error <= 1e-6:
        return f"pass {name} {error:.1e}"
    return f"FAIL {name}: relative error {error:.2e}"


def stream():
    """One case per input line, one result line per case, until end of input."""
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip():
            print(check(json.loads(line)).replace("\n", " "), flush=True)
    return 0


def main():
    if "--stream" in sys.argv[1:]:
        return stream()
    cases = json.load(sys.stdin)
    passed = failed = 0
    for case in cases:
        result = check(case)
        print(result)
        if result.startswith("pass"):
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
