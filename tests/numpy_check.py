"""Runs matcalc's NumPy output against finite-difference references.

Reads a JSON list of cases from standard input, each with the generated
code, the function name, the arguments and the expected value (computed
by the Rust test with finite differences), executes the code with numpy
and compares. Prints one line per case and 'N passed, M failed'.
"""
import json
import sys

import numpy as np


def argument(spec):
    data = np.array(spec["data"], dtype=float).reshape(spec["rows"], spec["cols"])
    if spec["kind"] == "scalar":
        return float(data[0, 0])
    if spec["kind"] == "vector":
        return data[:, 0].copy()
    return data


def main():
    cases = json.load(sys.stdin)
    passed = failed = 0
    for case in cases:
        name = case["name"]
        try:
            namespace = {}
            exec(case["code"], namespace)
            function = namespace[case["function"]]
            kwargs = {k: argument(v) for k, v in case["args"].items()}
            got = np.asarray(function(**kwargs), dtype=float)
        except Exception as error:  # report, do not stop
            print(f"FAIL {name}: {type(error).__name__}: {error}")
            failed += 1
            continue
        expected = argument(case["expected"])
        expected = np.asarray(expected, dtype=float)
        if got.shape != expected.shape:
            print(f"FAIL {name}: shape {got.shape}, expected {expected.shape}")
            failed += 1
            continue
        scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-8)
        error = float(np.max(np.abs(got - expected))) / scale if expected.size else 0.0
        if error <= 1e-6:
            print(f"pass {name} {error:.1e}")
            passed += 1
        else:
            print(f"FAIL {name}: relative error {error:.2e}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
