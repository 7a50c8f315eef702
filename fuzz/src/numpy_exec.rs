//! Executing generated NumPy: a case is a generated function, its arguments
//! at a point (bound through the function's own parameter list) and the value
//! matcalc's evaluator gives there, as JSON for `tests/numpy_check.py`. The
//! structured fuzz target sends its cases, one line each, to one Python
//! process kept for the whole run (`numpy_check.py --stream`), so executing
//! them costs milliseconds, not a Python start-up.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use matcalc::check::{self, Rng, Sampling};
use matcalc::eval::{self, Env, Matrix};
use matcalc::ir::{Graph, Node, Role};
use matcalc::print::numpy::{python_name, Parameter, PythonFunction};
use matcalc::{analyze, Analysis, ExprId};

/// `s` as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `m` as the checker's JSON (a float, a 1-D or a 2-D array).
pub fn json_matrix(m: &Matrix) -> String {
    let kind = if m.rows == 1 && m.cols == 1 {
        "scalar"
    } else if m.cols == 1 {
        "vector"
    } else {
        "matrix"
    };
    let data: Vec<String> = m.data.iter().map(|x| format!("{x:e}")).collect();
    format!("{{\"kind\": \"{kind}\", \"rows\": {}, \"cols\": {}, \"data\": [{}]}}", m.rows, m.cols, data.join(", "))
}

/// The argument for one parameter at the point `env`: a variable's value, an
/// opaque function as its linear realisation `t ↦ ⟨g, t⟩` (one `g` per
/// argument shape), an upstream gradient's `g`, a dimension's size.
fn json_argument(graph: &Graph, env: &Env, parameter: Parameter) -> String {
    match parameter {
        Parameter::Input(sid) => json_matrix(&env.values[&sid]),
        Parameter::Function(f) => {
            let gradients: Vec<String> = env
                .opaque_gradients
                .iter()
                .filter(|((g, _, _), _)| *g == f)
                .map(|(_, gradient)| json_matrix(gradient))
                .collect();
            format!("{{\"kind\": \"function\", \"gradients\": [{}]}}", gradients.join(", "))
        }
        Parameter::Upstream(id) => {
            let Node::Upstream { function, arg, .. } = graph.node(id) else { unreachable!("an upstream parameter") };
            let (rows, cols) = env.shape(graph.shape(*arg));
            json_matrix(&env.opaque_gradients[&(*function, rows, cols)])
        }
        Parameter::Dimension(d) => format!("{{\"kind\": \"int\", \"value\": {}}}", env.size(d)),
    }
}

/// One case: `function` (named `function_name`) called at `env` must return `expected`.
pub fn case_json(
    name: &str,
    graph: &Graph,
    function: &PythonFunction,
    function_name: &str,
    env: &Env,
    expected: &Matrix,
) -> String {
    let args: Vec<String> = function
        .parameters
        .iter()
        .map(|(param, p)| format!("[{}, {}]", json_string(param), json_argument(graph, env, *p)))
        .collect();
    format!(
        "{{\"name\": {}, \"code\": {}, \"function\": {}, \"args\": [{}], \"expected\": {}}}",
        json_string(name),
        json_string(&function.source),
        json_string(function_name),
        args.join(", "),
        json_matrix(expected)
    )
}

/// The case for the generated function of `result` at `env`, unless the
/// evaluator's values there are non-finite or huge, or a kink, a singular
/// matrix or a negative base of a computed power is within rounding (where
/// two correct evaluations differ).
pub fn evaluated_case(
    label: &str,
    analysis: &mut Analysis,
    result: ExprId,
    function: &str,
    env: &Env,
) -> Option<String> {
    let graph = analysis.graph();
    let all = eval::evaluate_all(graph, result, env).ok()?;
    if all.values().any(|m| m.max_abs() > 1e4 || m.data.iter().any(|x| !x.is_finite())) {
        return None;
    }
    if check::near_kink(graph, result, env, 1e-6) || check::near_singular(graph, result, env, check::SINGULAR_RATIO) {
        return None;
    }
    // A negative number to a computed power is defined only where the power
    // is exactly an integer, which rounding decides (`(-3)^sum(softmax(v))`).
    let negative_base = all.iter().any(|(id, _)| match graph.node(*id) {
        Node::Pow(base, exponent) => {
            graph.as_const(*exponent).is_none() && all.get(base).is_some_and(|b| b.data.iter().any(|x| *x < 0.0))
        }
        _ => false,
    });
    if negative_base {
        return None;
    }
    let expected = all[&result].clone();
    let generated = analysis.numpy_function(result, function);
    let case = case_json(label, analysis.graph(), &generated, function, env, &expected);
    // A result that cancels (a derivative that is exactly 0 written as a
    // difference of terms) is rounding noise in both evaluations: differences
    // below 1e-9 of the largest intermediate value are not compared.
    let largest = all.values().map(Matrix::max_abs).fold(0.0, f64::max);
    Some(format!("{}, \"floor\": {:e}}}", &case[..case.len() - 1], 1e-9 * largest))
}

/// The checker script, beside the main crate's tests.
fn script() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    for candidate in [format!("{root}/tests/numpy_check.py"), format!("{root}/../tests/numpy_check.py")] {
        if std::path::Path::new(&candidate).exists() {
            return candidate;
        }
    }
    format!("{root}/../tests/numpy_check.py")
}

/// The shared Python process.
struct Python {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// The Python process, started on first use; `None` (with a notice, once)
/// when `python3` with numpy cannot run the checker.
fn python() -> Option<&'static Mutex<Python>> {
    static PYTHON: OnceLock<Option<Mutex<Python>>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let started = Command::new("python3")
                .arg(script())
                .arg("--stream")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn();
            let mut child = match started {
                Ok(child) => child,
                Err(e) => {
                    eprintln!("NOTICE: generated NumPy is not executed: python3 does not start ({e})");
                    return None;
                }
            };
            let stdin = child.stdin.take()?;
            let mut stdout = BufReader::new(child.stdout.take()?);
            let mut ready = String::new();
            if stdout.read_line(&mut ready).is_err() || ready.trim() != "ready" {
                eprintln!("NOTICE: generated NumPy is not executed: the checker did not start (numpy missing?)");
                return None;
            }
            Some(Mutex::new(Python { _child: child, stdin, stdout }))
        })
        .as_ref()
}

/// Runs `cases` in the shared Python process: `Err` with each failure's
/// report; `Ok` when all pass or Python is unavailable.
pub fn run_streamed(cases: &[String]) -> Result<(), String> {
    let Some(python) = python() else { return Ok(()) };
    let mut python = python.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut failures = Vec::new();
    for case in cases {
        let sent = writeln!(python.stdin, "{case}").and_then(|()| python.stdin.flush());
        let mut reply = String::new();
        if sent.is_err() || python.stdout.read_line(&mut reply).unwrap_or(0) == 0 {
            return Err("the NumPy checker stopped".to_string());
        }
        if reply.starts_with("FAIL") {
            failures.push(reply.trim_end().to_string());
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// The structured target's NumPy check: the simplified value of `case` and
/// its derivative with respect to every variable, printed as NumPy and
/// executed at a random point, equal matcalc's evaluator of the same results.
pub fn numpy_matches(case: &str, seed: u64) -> Result<(), String> {
    let Ok(mut analysis) = analyze(case) else { return Ok(()) };
    let env = check::random_env(analysis.graph(), &mut Rng::new(seed), Sampling::Mixed);
    let mut cases = Vec::new();
    if let Ok(value) = analysis.simplified(None) {
        cases.extend(evaluated_case("value", &mut analysis, value, "value", &env));
    }
    let variables: Vec<String> = analysis
        .graph()
        .symbols()
        .filter(|(_, s)| matches!(s.role, Role::Input { .. }))
        .map(|(_, s)| s.name.clone())
        .collect();
    for wrt in &variables {
        let Ok(derivative) = analysis.derivative(None, wrt) else { continue };
        let function = format!("grad_{}", python_name(wrt));
        cases.extend(evaluated_case(&format!("d/d{wrt}"), &mut analysis, derivative.result, &function, &env));
    }
    run_streamed(&cases)
}
