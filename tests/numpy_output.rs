//! The NumPy printer, executed: every derivative case's generated Python
//! runs under numpy and must match finite differences of the program
//! (computed here in Rust, independently of the symbolic derivative).
//! Needs `python3` with numpy; skipped with a notice without them, except
//! under CI (`CI` set), where it fails.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::cases::{COOKBOOK, EXTRA, JACOBIANS_AND_HESSIANS, ML};
use matcalc::check::{self, Rng, Sampling};
use matcalc::eval::Matrix;
use matcalc::ir::{Node, Role};
use matcalc::print::numpy::python_name;
use matcalc::{analyze, DerivativeKind};

fn json_matrix(m: &Matrix) -> String {
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

/// One case as JSON: code, function, arguments, expected value.
fn case_json(label: &str, program: &str, wrt: &str, seed: u64) -> String {
    let mut analysis = analyze(program).unwrap_or_else(|e| panic!("{label}: {}", e.render(program)));
    let derivative = analysis.derivative(None, wrt).unwrap_or_else(|e| panic!("{label}: {e}"));
    let function = format!("d_{}", python_name(wrt));
    let code = analysis.numpy(derivative.result, &function);
    let graph = analysis.graph();
    let mut rng = Rng::new(seed);
    let env = check::random_env(graph, &mut rng, Sampling::Positive);
    let jacobian = derivative.kind == DerivativeKind::Jacobian;
    let mut expected = check::finite_difference(graph, derivative.of, derivative.wrt, &env, jacobian).unwrap();
    if jacobian && expected.cols == 1 && graph.shape(derivative.of).is_scalar() {
        expected = expected.transpose();
    }
    let mut args = Vec::new();
    for (sid, symbol) in graph.symbols() {
        if matches!(symbol.role, Role::Input { .. }) {
            args.push(format!(
                "{}: {}",
                common::json_string(&python_name(&symbol.name)),
                json_matrix(&env.values[&sid])
            ));
        }
    }
    for id in graph.reachable(derivative.result) {
        if let Node::Upstream { loss, function, arg } = graph.node(id) {
            let arg_name = match graph.node(*arg) {
                Node::Var(s) => python_name(&graph.symbol(*s).name),
                _ => format!("arg{}", arg.0),
            };
            let name = format!("d{}_d{arg_name}", python_name(&graph.symbol(*loss).name));
            let (rows, cols) = env.shape(graph.shape(*arg));
            let gradient = &env.opaque_gradients[&(*function, rows, cols)];
            args.push(format!("{}: {}", common::json_string(&name), json_matrix(gradient)));
        }
    }
    format!(
        "{{\"name\": {}, \"code\": {}, \"function\": {}, \"args\": {{{}}}, \"expected\": {}}}",
        common::json_string(&format!("{label} d/d{wrt}")),
        common::json_string(&code),
        common::json_string(&function),
        args.join(", "),
        json_matrix(&expected)
    )
}

fn numpy_available() -> bool {
    Command::new("python3").args(["-c", "import numpy"]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn numpy_output_matches_finite_differences() {
    if !numpy_available() {
        assert!(std::env::var_os("CI").is_none(), "CI must have python3 with numpy (see .ci/run)");
        eprintln!("SKIP numpy_output: python3 with numpy not found (pip install numpy==2.4.6)");
        return;
    }
    let mut cases = Vec::new();
    for (i, (label, program, wrt)) in COOKBOOK.iter().chain(ML).chain(JACOBIANS_AND_HESSIANS).chain(EXTRA).enumerate() {
        cases.push(case_json(label, program, wrt, i as u64 + 1));
    }
    assert!(cases.len() >= 30);
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
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        output.status.success() && failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(&format!("{} passed, 0 failed", cases.len())), "{stdout}");
}
