//! Running generated NumPy: each case is the generated function, its
//! arguments at a point (bound through the function's own parameter list)
//! and the value it must return; `tests/numpy_check.py` executes a batch of
//! cases in one Python process.

use std::io::Write;
use std::process::{Command, Stdio};

use matcalc::eval::{Env, Matrix};
use matcalc::ir::{Graph, Node};
use matcalc::print::numpy::{Parameter, PythonFunction};

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
            let Node::Upstream { function, arg, .. } = graph.node(id) else { panic!("not an upstream gradient") };
            let (rows, cols) = env.shape(graph.shape(*arg));
            json_matrix(&env.opaque_gradients[&(*function, rows, cols)])
        }
        Parameter::Dimension(d) => format!("{{\"kind\": \"int\", \"value\": {}}}", env.size(d)),
    }
}

/// One case: `function` called at `env` must return `expected`.
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
        .map(|(param, p)| format!("[{}, {}]", super::json_string(param), json_argument(graph, env, *p)))
        .collect();
    format!(
        "{{\"name\": {}, \"code\": {}, \"function\": {}, \"args\": [{}], \"expected\": {}}}",
        super::json_string(name),
        super::json_string(&function.source),
        super::json_string(function_name),
        args.join(", "),
        json_matrix(expected)
    )
}

/// Whether `python3` with numpy runs here; outside CI a missing numpy skips
/// (with a notice), under CI it fails.
pub fn numpy_available(test: &str) -> bool {
    if Command::new("python3").args(["-c", "import numpy"]).output().is_ok_and(|o| o.status.success()) {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI must have python3 with numpy (see .ci/run)");
    eprintln!("SKIP {test}: python3 with numpy not found (pip install numpy==2.4.6)");
    false
}

/// The checker's report on `cases` (one Python process): the failing lines,
/// or an empty list when all `cases.len()` passed.
pub fn run_cases(cases: &[String]) -> Vec<String> {
    let input = format!("[{}]", cases.join(",\n"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/numpy_check.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut failures: Vec<String> = stdout.lines().filter(|l| l.starts_with("FAIL")).map(String::from).collect();
    if !output.status.success() && failures.is_empty() || !stdout.contains(&format!("{} passed, 0 failed", cases.len()))
    {
        failures.push(format!(
            "checker did not pass all {} cases:\n{stdout}\n{}",
            cases.len(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    failures
}
