#!/usr/bin/env python3
"""Speed of matcalc's generated NumPy against hand-written NumPy.

Usage (from anywhere; the repository is this file's parent's parent):

    python3 benches/numpy_speed.py [--runs N] [--min-time S] [--cases a,b]
                                   [--matcalc PATH] [--markdown FILE] [--jax] [--torch] [--hlo]

For each case it asks the release binary (target/release/matcalc, built
with `cargo build --release` if it is missing) for the NumPy function of a
derivative (`matcalc diff PROGRAM --wrt V --format numpy`) or of a value
(`matcalc simplify ... --format numpy`), executes it, and times it against a
careful hand-written NumPy function of the same quantity on the same random
arguments. BLAS runs single-threaded (OMP_NUM_THREADS=1 and its siblings are
set before numpy is imported). Runs are interleaved: each of the N rounds
times every case once, generated and hand-written alternating which goes
first; a sample is the mean over enough calls to last --min-time seconds,
and the table gives the medians of the N samples. Before timing, both
functions' results are compared (relative error at most 1e-6 of the
result's largest entry): a case whose two results differ is reported and
not timed. With --jax (run it with a Python that has jax, e.g.
target/jax-venv/bin/python, see tests/jax_output.rs) the table also times
`jax.jit(jax.grad(loss))` (`jax.hessian` for the Hessian) of the same loss
written in jax.numpy, and matcalc's `--format jax` function under `jax.jit`,
in float64, XLA on one thread (--hlo also prints the dots, LAPACK calls
and fusions each of the two compiles to). With --torch (a Python with torch, e.g. the
one MATCALC_TORCH_PYTHON names, see tests/torch_output.rs) it also times
matcalc's `--format torch` function on float64 CPU tensors, torch on one
thread (torch.set_num_threads(1)). This is a benchmark,
never a test: the numbers of the generated code are checked against finite
differences in tests/numpy_output.rs.
"""

import os

os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
             "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import inspect  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sigmoid(t):
    """The logistic function, stable for large |t|."""
    return 0.5 * (1.0 + np.tanh(0.5 * t))


# ---------------------------------------------------------------- hand-written

def hand_seed(W, x):
    Wx = W @ x
    r = W.T @ Wx - x
    return np.outer(Wx, r) + np.outer(W @ r, x)


def hand_batched(W, X):
    WX = W @ X
    E = W.T @ WX - X
    return WX @ E.T + (W @ E) @ X.T


def hand_logreg(X, y, w):
    return X.T @ (sigmoid(X @ w) - y)


def hand_ridge(X, y, w, lam):
    return 2.0 * (X.T @ (X @ w - y)) + (2.0 * lam) * w


def hand_tanh_mlp(W1, W2, W3, x, y, b1, b2, b3):
    h1 = np.tanh(W1 @ x + b1)
    h2 = np.tanh(W2 @ h1 + b2)
    d3 = W3 @ h2 + b3 - y
    d2 = (1.0 - h2 * h2) * (W3.T @ d3)
    d1 = (1.0 - h1 * h1) * (W2.T @ d2)
    return np.outer(d1, x)


def hand_swish_mlp(W1, W2, W3, x, y, b1, b2, b3):
    a1 = W1 @ x + b1
    s1 = sigmoid(a1)
    h1 = a1 * s1
    a2 = W2 @ h1 + b2
    s2 = sigmoid(a2)
    h2 = a2 * s2
    d3 = W3 @ h2 + b3 - y
    d2 = s2 * (1.0 + a2 * (1.0 - s2)) * (W3.T @ d3)
    d1 = s1 * (1.0 + a1 * (1.0 - s1)) * (W2.T @ d2)
    return np.outer(d1, x)


def hand_linear_W1(W1, W2, W3, x, y):
    r = W3 @ (W2 @ (W1 @ x)) - y
    return np.outer(W2.T @ (W3.T @ r), x)


def hand_linear_W2(W1, W2, W3, x, y):
    h1 = W1 @ x
    r = W3 @ (W2 @ h1) - y
    return np.outer(W3.T @ r, h1)


def hand_linear_W3(W1, W2, W3, x, y):
    h2 = W2 @ (W1 @ x)
    r = W3 @ h2 - y
    return np.outer(r, h2)


def hand_quadratic_inverse(a, X, b):
    return -np.outer(np.linalg.solve(X.T, a), np.linalg.solve(X, b))


def hand_nll_S(S, x, mu):
    Si = np.linalg.inv(S)
    d = x - mu
    return 0.5 * Si.T - 0.5 * np.outer(Si.T @ d, Si @ d)


def hand_nll_mu(S, x, mu):
    d = x - mu
    return -0.5 * (np.linalg.solve(S.T, d) + np.linalg.solve(S, d))


def hand_resnet(x, y, **W):
    k = len(W)
    t = []
    h = x
    for i in range(1, k + 1):
        ti = np.tanh(W[f"W{i}"] @ h)
        t.append(ti)
        h = h + ti
    d = h - y
    for i in range(k, 1, -1):
        d = W[f"W{i}"].T @ ((1.0 - t[i - 1] ** 2) * d) + d
    return np.outer((1.0 - t[0] ** 2) * d, x)


def hand_hessian_2layer(W1, W2, x, a):
    t1 = np.tanh(W1 @ x)
    t2 = np.tanh(W2 @ t1)
    s1 = 1.0 - t1 * t1
    s2 = 1.0 - t2 * t2
    B = W2 @ (s1[:, None] * W1)
    inner = -2.0 * t1 * s1 * (W2.T @ (a * s2))
    return B.T @ ((-2.0 * a * t2 * s2)[:, None] * B) + W1.T @ (inner[:, None] * W1)


# ---------------------------------------------------------------- JAX

def jax_losses():
    """Each case's loss in jax.numpy and what to differentiate: the name of
    the variable (a gradient), or ('hessian', name)."""
    import jax.numpy as jnp

    def sig(t):
        return 0.5 * (1.0 + jnp.tanh(0.5 * t))

    def mlp(f):
        def loss(W1, W2, W3, x, y, b1, b2, b3):
            h1 = f(W1 @ x + b1)
            h2 = f(W2 @ h1 + b2)
            r = W3 @ h2 + b3 - y
            return 0.5 * r @ r
        return loss

    def linear(W1, W2, W3, x, y):
        r = W3 @ (W2 @ (W1 @ x)) - y
        return 0.5 * r @ r

    def nll(S, x, mu):
        d = x - mu
        return 0.5 * jnp.linalg.slogdet(S)[1] + 0.5 * d @ jnp.linalg.solve(S, d)

    def resnet(x, y, *W):
        h = x
        for Wi in W:
            h = h + jnp.tanh(Wi @ h)
        r = h - y
        return 0.5 * r @ r

    return {
        "seed": (lambda W, x: 0.5 * jnp.sum((W.T @ (W @ x) - x) ** 2), "W"),
        "seed_batched": (lambda W, X: 0.5 * jnp.sum((W.T @ (W @ X) - X) ** 2), "W"),
        "logistic": (lambda X, y, w: jnp.sum(jnp.logaddexp(0.0, X @ w)) - y @ (X @ w), "w"),
        "ridge": (lambda X, y, w, lam: jnp.sum((X @ w - y) ** 2) + lam * w @ w, "w"),
        "mlp_tanh": (mlp(jnp.tanh), "W1"),
        "mlp_swish": (mlp(lambda t: t * sig(t)), "W1"),
        "linear_W1": (linear, "W1"),
        "linear_W2": (linear, "W2"),
        "linear_W3": (linear, "W3"),
        "aT_Xinv_b": (lambda a, X, b: a @ jnp.linalg.solve(X, b), "X"),
        "nll_S": (nll, "S"),
        "nll_mu": (nll, "mu"),
        "resnet_64": (resnet, "W1"),
        "hessian_2layer": (lambda W1, W2, x, a: a @ jnp.tanh(W2 @ jnp.tanh(W1 @ x)), ("hessian", "x")),
    }


def generated_torch_call(matcalc, program, wrt, args):
    """matcalc's `--format torch` function on float64 tensors, bound to `args`."""
    import torch

    torch.set_num_threads(1)
    _, function = generated(matcalc, program, wrt, "torch")
    names = list(inspect.signature(function).parameters)
    values = [torch.tensor(args[n], dtype=torch.float64) for n in names]
    return lambda: function(*values)


def generated_jax_call(matcalc, program, wrt, args, hlo=None):
    """matcalc's `--format jax` function compiled by `jax.jit`, bound to
    `args`; the compiled module's text is appended to `hlo` if given."""
    import jax

    _, function = generated(matcalc, program, wrt, "jax")
    compiled = jax.jit(function)
    names = list(inspect.signature(function).parameters)
    values = [jax.device_put(args[n]) for n in names]
    if hlo is not None:
        hlo.append(compiled.lower(*values).compile().as_text())
    return lambda: compiled(*values).block_until_ready()


def jax_call(name, args, hlo=None):
    """`jax.jit` of the case's gradient (or Hessian), bound to `args`; the
    compiled module's text is appended to the list `hlo` if one is given."""
    import jax

    jax.config.update("jax_enable_x64", True)
    loss, wrt = jax_losses()[name]
    if name == "resnet_64":
        k = len(args) - 2
        order = ["x", "y"] + [f"W{i}" for i in range(1, k + 1)]
    else:
        order = list(inspect.signature(loss).parameters)
    hessian = isinstance(wrt, tuple)
    index = order.index(wrt[1] if hessian else wrt)
    compiled = jax.jit((jax.hessian if hessian else jax.grad)(loss, argnums=index))
    values = [jax.device_put(args[n]) for n in order]
    if hlo is not None:
        hlo.append(compiled.lower(*values).compile().as_text())
    return lambda: compiled(*values).block_until_ready()


def hlo_work(text):
    """The work in a compiled XLA module's text: its dots, LAPACK calls
    (custom-call targets) and loop fusions, as `dot 3, fusion 3, ...`."""
    import collections
    import re

    counts = collections.Counter()
    for line in text.splitlines():
        op = re.search(r"= \S+ (dot|fusion|custom-call|while|gather|copy)\(", line)
        if op:
            counts[op.group(1)] += 1
        target = re.search(r'custom_call_target="([^"]+)"', line)
        if target:
            counts[target.group(1)] += 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


# ---------------------------------------------------------------- cases

def resnet_program(k):
    lines = ["x: vector(n); y: vector(n)"]
    lines += [f"W{i}: matrix(n, n)" for i in range(1, k + 1)]
    lines.append("h0 = x")
    lines += [f"h{i} = h{i - 1} + tanh(W{i} h{i - 1})" for i in range(1, k + 1)]
    lines.append(f"L = 1/2 * norm2(h{k} - y)")
    return "\n".join(lines)


MLP = "W1, W2, W3: matrix(n, n); x, y, b1, b2, b3: vector(n); h1 = {f}(W1 x + b1); h2 = {f}(W2 h1 + b2); " \
      "z = W3 h2 + b3; 1/2 * norm2(z - y)"
LINEAR = "W1, W2, W3: matrix(n, n); x, y: vector(n); 1/2 * norm2(W3 W2 W1 x - y)"
NLL = "S: matrix(n, n); x, mu: vector(n); 1/2 * logdet(S) + 1/2 * (x - mu)^T inv(S) (x - mu)"

# name, program, --wrt (None: the value), sizes, hand-written function
CASES = [
    ("seed", "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)", "W", {"m": 256, "n": 1024}, hand_seed),
    ("seed_batched", "W: matrix(m, n); X: matrix(n, B); 1/2 * norm2(W^T W X - X)", "W",
     {"m": 256, "n": 1024, "B": 512}, hand_batched),
    ("logistic", "X: matrix(N, d); y: vector(N); w: vector(d); sum(softplus(X w)) - y^T X w", "w",
     {"N": 10000, "d": 200}, hand_logreg),
    ("ridge", "X: matrix(N, d); y: vector(N); w: vector(d); lam: scalar; norm2(X w - y) + lam * norm2(w)", "w",
     {"N": 10000, "d": 200}, hand_ridge),
    ("mlp_tanh", MLP.format(f="tanh"), "W1", {"n": 512}, hand_tanh_mlp),
    ("mlp_swish", MLP.format(f="swish"), "W1", {"n": 512}, hand_swish_mlp),
    ("linear_W1", LINEAR, "W1", {"n": 512}, hand_linear_W1),
    ("linear_W2", LINEAR, "W2", {"n": 512}, hand_linear_W2),
    ("linear_W3", LINEAR, "W3", {"n": 512}, hand_linear_W3),
    ("aT_Xinv_b", "a: vector(n); X: matrix(n, n); b: vector(n); a^T inv(X) b", "X", {"n": 200},
     hand_quadratic_inverse),
    ("nll_S", NLL, "S", {"n": 200}, hand_nll_S),
    ("nll_mu", NLL, "mu", {"n": 200}, hand_nll_mu),
    ("resnet_64", resnet_program(64), "W1", {"n": 128}, hand_resnet),
    ("hessian_2layer", "W1: matrix(m, n); W2: matrix(p, m); x: vector(n); a: vector(p); "
     "hessian(a^T tanh(W2 tanh(W1 x)), x)", None, {"m": 256, "n": 256, "p": 256}, hand_hessian_2layer),
]


def declared_shapes(program, sizes):
    """The shape of every declared variable, from its declaration."""
    shapes = {}
    for statement in program.replace("\n", ";").split(";"):
        if ":" not in statement:
            continue
        names, kind = statement.split(":", 1)
        kind = kind.strip()
        if kind.startswith("matrix("):
            r, c = kind[len("matrix("):-1].split(",")
            shape = (sizes[r.strip()], sizes[c.strip()])
        elif kind.startswith("vector("):
            shape = (sizes[kind[len("vector("):-1].strip()],)
        elif kind == "scalar":
            shape = ()
        else:
            raise ValueError(f"cannot make an argument of kind {kind}")
        for name in names.split(","):
            shapes[name.strip()] = shape
    return shapes


def arguments(name, program, sizes, rng):
    """Random arguments: square matrices well conditioned (logdet and inverses
    of `S` and `X` need an invertible, here positive definite, matrix)."""
    args = {}
    for var, shape in declared_shapes(program, sizes).items():
        if len(shape) == 2:
            scale = 1.0 / np.sqrt(shape[1])
            value = rng.standard_normal(shape) * scale
            if shape[0] == shape[1] and name.startswith(("nll", "aT_Xinv")):
                value = value @ value.T + np.eye(shape[0])
            args[var] = value
        elif len(shape) == 1:
            args[var] = rng.standard_normal(shape)
        else:
            args[var] = float(rng.uniform(0.5, 1.5))
    return args


def generated(matcalc, program, wrt, form="numpy"):
    """The generated function (source and callable) in `form` (numpy or jax)."""
    command = [matcalc, "diff", program, "--wrt", wrt] if wrt else [matcalc, "simplify", program]
    source = subprocess.run(command + ["--format", form], check=True, capture_output=True, text=True).stdout
    namespace = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    functions = [v for k, v in namespace.items() if inspect.isfunction(v)]
    return source, functions[-1]


def bind(function, args):
    """`function` called with `args` by parameter name."""
    names = list(inspect.signature(function).parameters)
    if any(inspect.signature(function).parameters[n].kind == inspect.Parameter.VAR_KEYWORD for n in names):
        return lambda: function(**args)
    ordered = [args[n] for n in names]
    return lambda: function(*ordered)


def sample(call, calls):
    """Mean seconds per call over `calls` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def calibrate(call, min_time):
    """How many calls last at least `min_time` seconds."""
    calls = 1
    while True:
        if sample(call, calls) * calls >= min_time or calls >= 1 << 20:
            return calls
        calls *= 2


def fmt(seconds):
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="interleaved rounds (median over them)")
    parser.add_argument("--min-time", type=float, default=0.05, help="seconds per sample")
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--matcalc", default=os.path.join(ROOT, "target", "release", "matcalc"))
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--show", action="store_true", help="print each generated function")
    parser.add_argument("--jax", action="store_true", help="also time jax.jit(jax.grad(loss))")
    parser.add_argument("--torch", action="store_true", help="also time the generated PyTorch function")
    parser.add_argument("--hlo", action="store_true",
                        help="with --jax: print the work (dots, LAPACK calls, fusions) each JAX function compiles to")
    options = parser.parse_args()
    if not os.path.exists(options.matcalc):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    wanted = {c for c in options.cases.split(",") if c}
    rng = np.random.default_rng(20261201)
    prepared = []
    for name, program, wrt, sizes, hand in CASES:
        if wanted and name not in wanted:
            continue
        source, function = generated(options.matcalc, program, wrt)
        if options.show:
            print(f"# {name}\n{source}")
        args = arguments(name, program, sizes, rng)
        gen_call, hand_call = bind(function, args), bind(hand, args)
        got, want = np.asarray(gen_call()), np.asarray(hand_call())
        error = np.max(np.abs(got.reshape(want.shape) - want)) / max(np.max(np.abs(want)), 1e-300)
        if not error <= 1e-6:
            print(f"{name}: generated and hand-written differ (relative error {error:.2e}); not timed")
            continue
        calls = [gen_call, hand_call]
        if options.jax:
            hlo = [] if options.hlo else None
            jax_grad = jax_call(name, args, hlo)
            jax_result = np.asarray(jax_grad())
            jax_error = np.max(np.abs(jax_result.reshape(want.shape) - want)) / max(np.max(np.abs(want)), 1e-300)
            if not jax_error <= 1e-6:
                print(f"{name}: JAX and hand-written differ (relative error {jax_error:.2e}); not timed")
                continue
            calls.append(jax_grad)
            # Called once before it is calibrated: the first call compiles,
            # and a calibration that times it settles on one call per sample.
            generated_jax = generated_jax_call(options.matcalc, program, wrt, args, hlo)
            if hlo is not None:
                print(f"{name}: jax.grad compiles to {hlo_work(hlo[0])}; generated JAX to {hlo_work(hlo[1])}")
            generated_jax_result = np.asarray(generated_jax())
            generated_jax_error = (np.max(np.abs(generated_jax_result.reshape(want.shape) - want))
                                   / max(np.max(np.abs(want)), 1e-300))
            if not generated_jax_error <= 1e-6:
                print(f"{name}: generated JAX and hand-written differ (relative error {generated_jax_error:.2e}); "
                      "not timed")
                continue
            calls.append(generated_jax)
        if options.torch:
            torch_call = generated_torch_call(options.matcalc, program, wrt, args)
            torch_result = torch_call().numpy()
            torch_error = np.max(np.abs(torch_result.reshape(want.shape) - want)) / max(np.max(np.abs(want)), 1e-300)
            if not torch_error <= 1e-6:
                print(f"{name}: generated PyTorch and hand-written differ (relative error {torch_error:.2e}); not timed")
                continue
            calls.append(torch_call)
        prepared.append((name, [(call, calibrate(call, options.min_time)) for call in calls]))
    load_before = os.getloadavg()
    times = {name: [[] for _ in contenders] for name, contenders in prepared}
    for r in range(options.runs):
        for name, contenders in prepared:
            order = list(range(len(contenders)))
            if r % 2 == 1:
                order.reverse()
            for i in order:
                call, calls = contenders[i]
                times[name][i].append(sample(call, calls))
    load_after = os.getloadavg()
    header = "| case | generated | hand-written | generated / hand-written |"
    rule = "|---|---|---|---|"
    if options.jax:
        header += " JAX jit(grad) | generated / JAX | generated JAX, jit | generated JAX / JAX |"
        rule += "---|---|---|---|"
    if options.torch:
        header += " generated torch | generated torch / hand-written |"
        rule += "---|---|"
    rows = [header, rule]
    ratios, jax_ratios, generated_jax_ratios, torch_ratios = [], [], [], []
    for name, _ in prepared:
        medians = [statistics.median(t) for t in times[name]]
        g, h = medians[0], medians[1]
        ratios.append(g / h)
        row = f"| {name} | {fmt(g)} | {fmt(h)} | {g / h:.2f}× |"
        if options.jax:
            jax_ratios.append(g / medians[2])
            row += f" {fmt(medians[2])} | {g / medians[2]:.2f}× | {fmt(medians[3])} | {medians[3] / medians[2]:.2f}× |"
            generated_jax_ratios.append(medians[3] / medians[2])
        if options.torch:
            t = medians[-1]
            torch_ratios.append(t / h)
            row += f" {fmt(t)} | {t / h:.2f}× |"
        rows.append(row)
    summary = (f"median ratio {statistics.median(ratios):.2f}×, worst {max(ratios):.2f}× "
               f"({options.runs} interleaved runs, numpy {np.__version__}, single-threaded BLAS, "
               f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)") if ratios else "no cases"
    if jax_ratios:
        summary += (f"; against JAX: median {statistics.median(jax_ratios):.2f}×, "
                    f"worst {max(jax_ratios):.2f}× (jax {__import__('jax').__version__}); generated JAX against "
                    f"JAX: median {statistics.median(generated_jax_ratios):.2f}×, worst {max(generated_jax_ratios):.2f}×")
    if torch_ratios:
        summary += (f"; generated PyTorch against hand-written NumPy: median {statistics.median(torch_ratios):.2f}×, "
                    f"worst {max(torch_ratios):.2f}× (torch {__import__('torch').__version__})")
    table = "\n".join(rows) + "\n\n" + summary + "\n"
    print(table)
    if options.markdown:
        with open(options.markdown, "w") as out:
            out.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
