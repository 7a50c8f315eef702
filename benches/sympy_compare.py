#!/usr/bin/env python3
"""Side-by-side timing of matcalc and SymPy on the shared performance cases.

Usage (from anywhere; the repository is this file's parent's parent):

    python3 benches/sympy_compare.py [--runs N] [--matcalc-runs M] [--markdown FILE]

It creates a virtualenv under target/sympy-venv (once), installs the pinned
SymPy there with pip, and re-runs itself with that interpreter. For each case
that SymPy can state (MatrixSymbol expressions, scalar values written as
Trace(1x1) so that .diff returns a matrix), it times `expr.diff(X)` in-process:
the median of N runs (time.perf_counter), SymPy's cache cleared before each
run (untimed) so that no run is answered from a previous one, after one
untimed warm-up. A result that is 0 or still holds an unevaluated Derivative
is reported as such (a failure), and so is an exception.

matcalc is timed in the same run by `cargo run --release --example time_cases`
(examples/time_cases.rs, the same case list as benches/pipeline.rs), which
prints per-case medians in nanoseconds as JSON: the differentiation stage
alone (what is compared with SymPy's .diff) and the whole pipeline from the
source text (parse, shape inference, differentiation, printing).

The table has: case, SymPy median, matcalc medians, the ratio SymPy/matcalc,
and result sizes (SymPy: count_ops and len(str(result)); matcalc: graph node
count and printed length).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SYMPY_VERSION = "1.14.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "sympy-venv")
VENV_PY = os.path.join(VENV, "bin", "python")


def ensure_venv():
    """Creates the virtualenv with the pinned SymPy and re-executes in it."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PY):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    check = subprocess.run(
        [VENV_PY, "-c", f"import sympy, sys; sys.exit(sympy.__version__ != '{SYMPY_VERSION}')"],
        capture_output=True,
    )
    if check.returncode != 0:
        subprocess.run([VENV_PY, "-m", "pip", "install", "--quiet", f"sympy=={SYMPY_VERSION}"], check=True)
    os.execv(VENV_PY, [VENV_PY, os.path.abspath(__file__), *sys.argv[1:]])


def sympy_cases():
    """Case name -> function returning (expression, variable), or a string
    saying why the case cannot be stated in SymPy."""
    from sympy import Determinant, Rational, Trace, exp, log, symbols, tanh
    from sympy import MatrixSymbol as M

    m, n, p, d = symbols("m n p d", integer=True, positive=True)

    def seed():
        W, x = M("W", m, n), M("x", n, 1)
        r = W.T * W * x - x
        return Rational(1, 2) * Trace(r.T * r), W

    def swish_linear():
        W, x, b = M("W", m, n), M("x", n, 1), M("b", m, 1)
        W2, b2, c = M("W2", p, m), M("b2", p, 1), M("c", p, 1)
        h = (W * x + b).applyfunc(lambda u: u / (1 + exp(-u)))
        return Trace(c.T * (W2 * h + b2)), W

    def tr_AXB():
        A, X, B = M("A", p, m), M("X", m, n), M("B", n, p)
        return Trace(A * X * B), X

    def xT_A_x():
        A, x = M("A", n, n), M("x", n, 1)
        return Trace(x.T * A * x), x

    def logdet_X():
        X = M("X", n, n)
        return log(Determinant(X)), X

    def aT_Xinv_b():
        X, a, b = M("X", n, n), M("a", n, 1), M("b", n, 1)
        return Trace(a.T * X.I * b), X

    def det_X():
        X = M("X", n, n)
        return Determinant(X), X

    def tr_XAXT():
        X, A = M("X", m, n), M("A", n, n)
        return Trace(X * A * X.T), X

    def norm2_Xw_y():
        X, w, y = M("X", m, n), M("w", n, 1), M("y", m, 1)
        r = X * w - y
        return Trace(r.T * r), X

    def aT_X_b():
        X, a, b = M("X", m, n), M("a", m, 1), M("b", n, 1)
        return Trace(a.T * X * b), X

    def tr_XTX():
        X = M("X", m, n)
        return Trace(X.T * X), X

    def tr_Xinv_A():
        X, A = M("X", n, n), M("A", n, n)
        return Trace(X.I * A), X

    def mlp(k):
        def build():
            dims = symbols(f"n0:{k}", integer=True, positive=True)
            h = M("x", dims[0], 1)
            first = None
            for i in range(1, k):
                Wi, bi = M(f"W{i}", dims[i], dims[i - 1]), M(f"b{i}", dims[i], 1)
                first = first or Wi
                h = (Wi * h + bi).applyfunc(tanh)
            Wk = M(f"W{k}", d, dims[k - 1])
            r = Wk * h - M("y", d, 1)
            return Rational(1, 2) * Trace(r.T * r), first or Wk

        return build

    class Hessian:
        """A Hessian: the variable is differentiated twice."""

        def __init__(self, build):
            self.build = build

    def hess_aT_tanh():
        W, x, b, a = M("W", m, n), M("x", n, 1), M("b", m, 1), M("a", m, 1)
        return Trace(a.T * (W * x + b).applyfunc(tanh)), x

    def hess_aT_sigmoid():
        W, x, b, a = M("W", m, n), M("x", n, 1), M("b", m, 1), M("a", m, 1)
        return Trace(a.T * (W * x + b).applyfunc(lambda u: 1 / (1 + exp(-u)))), x

    def hess_2layer():
        W1, W2, x, a = M("W1", m, n), M("W2", p, m), M("x", n, 1), M("a", p, 1)
        return Trace(a.T * (W2 * (W1 * x).applyfunc(tanh)).applyfunc(tanh)), x

    cases = {
        "seed": seed,
        "swish": "the loss ell(z2) is an opaque function of a vector: SymPy has no such MatrixExpr "
        "(compare swish_linear)",
        "swish_linear": swish_linear,
        "tr_AXB": tr_AXB,
        "xT_A_x": xT_A_x,
        "logdet_X": logdet_X,
        "aT_Xinv_b": aT_Xinv_b,
        "det_X": det_X,
        "tr_XAXT": tr_XAXT,
        "norm2_Xw_y": norm2_Xw_y,
        "aT_X_b": aT_X_b,
        "tr_XTX": tr_XTX,
        "tr_Xinv_A": tr_Xinv_A,
        "hess_aT_tanh": Hessian(hess_aT_tanh),
        "hess_aT_sigmoid": Hessian(hess_aT_sigmoid),
        "hess_2layer": Hessian(hess_2layer),
    }
    for k in MLP_DEPTHS:
        cases[f"mlp_{k}"] = mlp(k)
    return cases, Hessian


MLP_DEPTHS = [1, 2, 3, 4, 16]


def time_sympy(case, hessian_type, runs):
    """(status, median seconds, count_ops, printed length, result text)."""
    from sympy import Derivative, ZeroMatrix, count_ops
    from sympy.core.cache import clear_cache

    if isinstance(case, str):
        return ("not expressible: " + case, None, None, None, "")
    twice = isinstance(case, hessian_type)
    build = case.build if twice else case

    def once():
        expr, var = build()
        clear_cache()
        start = time.perf_counter()
        result = expr.diff(var)
        if twice:
            result = result.diff(var)
        return time.perf_counter() - start, result

    try:
        _, result = once()
    except Exception as e:  # noqa: BLE001 - any failure is reported as such
        return (f"fails: {type(e).__name__}: {str(e)[:80]}", None, None, None, "")
    text = str(result)
    if result == 0 or isinstance(result, ZeroMatrix) or getattr(result, "is_ZeroMatrix", False):
        return ("wrong: returns 0", None, count_ops(result), len(text), text)
    if result.has(Derivative):
        return ("unsupported: returns an unevaluated Derivative", None, count_ops(result), len(text), text)
    samples = [once()[0] for _ in range(runs)]
    return ("ok", statistics.median(samples), count_ops(result), len(text), text)


def time_matcalc(names, runs):
    """Per-case JSON from examples/time_cases.rs."""
    depths = ",".join(str(k) for k in MLP_DEPTHS)
    cmd = [
        "cargo", "run", "--release", "--quiet", "--example", "time_cases", "--",
        "--runs", str(runs), "--depths", depths, "--cases", ",".join(names),
    ]  # fmt: skip
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def fmt_time(seconds):
    """A duration with a readable unit."""
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} µs"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="SymPy runs per case (median)")
    parser.add_argument("--matcalc-runs", type=int, default=1001, help="matcalc runs per case (median)")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--show-results", action="store_true", help="print both results for every case")
    args = parser.parse_args()
    ensure_venv()
    import sympy

    cases, hessian_type = sympy_cases()
    matcalc = time_matcalc(list(cases), args.matcalc_runs)
    header = (
        "| case | SymPy | SymPy median | matcalc diff median | matcalc end-to-end median | SymPy / matcalc diff "
        "| SymPy / matcalc end-to-end | SymPy count_ops | matcalc nodes | SymPy printed len | matcalc printed len |"
    )
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    ratios = []
    details = []
    for name, case in cases.items():
        status, median, ops, length, text = time_sympy(case, hessian_type, args.runs)
        mc = matcalc[name]
        diff_s, full_s = mc["diff_median_ns"] * 1e-9, mc["full_median_ns"] * 1e-9
        ratio = f"{median / diff_s:,.0f}×" if median else "—"
        ratio_full = f"{median / full_s:,.0f}×" if median else "—"
        if median:
            ratios.append((name, median / diff_s, median / full_s))
        rows.append(
            f"| {name} | {status} | {fmt_time(median)} | {fmt_time(diff_s)} | {fmt_time(full_s)} | {ratio} "
            f"| {ratio_full} | {'—' if ops is None else ops} | {mc['nodes']} | {'—' if length is None else length} "
            f"| {mc['printed_len']} |"
        )
        details.append(f"{name}:\n  SymPy:   {text[:300]}\n  matcalc: {mc['text']}")
    table = "\n".join(rows)
    summary = [
        f"SymPy {sympy.__version__} (Python {sys.version.split()[0]}), {args.runs} runs per case; "
        f"matcalc {args.matcalc_runs} runs per case.",
    ]
    if ratios:
        worst = min(ratios, key=lambda r: r[1])
        worst_full = min(ratios, key=lambda r: r[2])
        summary.append(
            f"Shared cases: {len(ratios)}; smallest speed-up {worst[1]:,.0f}× ({worst[0]}, diff stage), "
            f"{worst_full[2]:,.0f}× ({worst_full[0]}, matcalc end to end)."
        )
    print(table)
    print()
    print("\n".join(summary))
    if args.show_results:
        print()
        print("\n".join(details))
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(table + "\n\n" + "\n".join(summary) + "\n")


if __name__ == "__main__":
    main()
