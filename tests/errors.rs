//! Every kind of malformed input gives a one-screen error with a caret
//! under the source (one reviewed snapshot per case).

mod common;

const CASES: &[(&str, &str)] = &[
    ("unclosed_bracket", "(W x"),
    ("unmatched_bracket", "W x)"),
    ("dangling_operator", "W x +"),
    ("leading_operator", "* x"),
    ("unknown_function", "foo(x)"),
    ("misspelt_function", "sigmod(x)"),
    ("wrong_arity", "tr(A, B)"),
    ("no_arguments", "norm2()"),
    ("inner_dimensions", "W: matrix(m, n); y: vector(p); W y"),
    ("sum_shapes", "x: vector(n); y: vector(m); x + y"),
    ("hadamard_shapes", "A: matrix(m, n); B: matrix(n, m); A .* B"),
    ("redeclaration", "x: vector(n); x: vector(n); x"),
    ("redefinition", "z = 1; z = 2; z"),
    ("declared_after_use", "x + 1; x: vector(n)"),
    ("builtin_as_name", "exp: scalar; exp"),
    ("identity_as_name", "I: matrix(n, n); A: matrix(n, n); inv(A) A + I"),
    ("eye_as_definition", "eye = 3; eye"),
    ("ones_as_name", "ones: vector(n); sum(ones)"),
    ("zeros_as_definition", "x: vector(n); zeros = x; zeros"),
    ("sigma_letter_as_name", "σ: scalar; σ"),
    ("leibniz_derivative", "d/dx x^T x"),
    ("leibniz_call", "W: matrix(m, n); dL/dW(W)"),
    ("det_not_square", "A: matrix(m, n); det(A)"),
    ("inv_not_square", "A: matrix(m, n); inv(A)"),
    ("trace_not_square", "A: matrix(m, n); tr(A)"),
    ("power_not_square", "A: matrix(m, n); A^2"),
    ("division_by_zero", "x / 0"),
    ("elementwise_division_by_zero", "x ./ 0"),
    ("divide_by_matrix", "x / A"),
    ("stray_character", "x $ y"),
    ("matrix_exponent", "x .^ A"),
    ("symbolic_matrix_power", "A^k"),
    ("grad_of_vector", "grad(W x, W)"),
    ("grad_wrt_expression", "grad(norm2(x), 2 x)"),
    ("function_without_call", "ell: function; ell"),
    ("huge_matrix_power", "A^1000000000"),
    ("zero_dimension", "x: vector(0)"),
    ("kind_arity", "x: matrix(m); x"),
    ("definition_of_expression", "sum(x) = 3"),
    ("rigid_dimensions", "x: vector(n); y: vector(m); x^T y"),
    ("softmax_of_matrix", "A: matrix(m, n); softmax(A)"),
    ("empty_program", ""),
    ("only_comment", "# nothing here"),
    ("unicode_stray", "x ∘ y"),
    ("transpose_run_into_name", "W: matrix(n, n); x: vector(n); W^TWx"),
    ("braced_transpose", "W: matrix(m, n); W^{T}"),
    ("euler_power", "x: scalar; e^x"),
    ("double_star_power", "x: vector(n); x**2"),
    ("at_product", "A: matrix(m, n); x: vector(n); A @ x"),
    ("dot_t_transpose", "W: matrix(m, n); W.T"),
    ("dot_t_on_vector", "x: vector(n); x.T"),
    ("transpose_method", "A: matrix(m, n); A.transpose()"),
    ("sum_method", "x: vector(n); x.sum()"),
    ("numpy_module_call", "x, y: vector(n); np.dot(x, y)"),
    ("norm_with_order", "x: vector(n); norm(x, 2)"),
    ("trace_spelt_out", "A: matrix(n, n); trace(A)"),
    ("trace_capitalised", "A: matrix(n, n); Tr(A)"),
    ("transpose_call", "A: matrix(m, n); transpose(A)"),
    ("relu_capitalised", "x: vector(n); ReLU(x)"),
    ("sigma_spelt_out", "x: vector(n); sigma(x)"),
    ("log_softmax_of_a_matrix", "A: matrix(m, n); log_softmax(A)"),
    ("mean_with_two_arguments", "x: vector(n); mean(x, x)"),
    ("mean_as_a_value", "x: vector(n); norm2(x - mean)"),
    ("average_call", "x: vector(n); average(x)"),
    ("vector_one_as_value", "k = vector(1); A: matrix(n, n); k A"),
    ("matrix_kind_as_call", "x: vector(n); W = matrix(m, n); W x"),
    ("transpose_r_spelling", "A: matrix(m, n); t(A)"),
    ("maximum_call", "x, y: vector(n); sum(maximum(x, y))"),
    ("max_of_different_shapes", "x: vector(n); y: vector(m); A: matrix(m, n); max(x, A^T y) + max(x, y)"),
    ("min_with_one_argument", "x: vector(n); sum(min(x))"),
    ("array_power_of_another_shape", "x: vector(n); y: vector(m); sum(x .^ y)"),
    ("ln_call", "x: vector(n); sum(ln(x))"),
    ("heaviside_call", "x: vector(n); heaviside(x)"),
    ("square_call", "x: vector(n); sum(square(W x))"),
    ("pow_call", "x: vector(n); sum(pow(x, 3))"),
    ("outer_call", "x: vector(m); y: vector(n); outer(x, y)"),
    ("diagonal_call", "x: vector(n); diagonal(x)"),
    ("run_together_shape_error", "W: matrix(m, n); x: vector(n); b: vector(m); sigmoid(Wx + b)"),
    ("run_together_in_a_sum", "A: matrix(n, n); x: vector(n); k: scalar; x'Ax + k x"),
    ("multiline_error", "W: matrix(m, n)\nx: vector(p)\n1/2 * norm2(W x)"),
];

#[test]
fn every_malformed_input_points_at_its_source() {
    common::snapshots(|| {
        for (name, source) in CASES {
            let rendered = common::simplify_text(source);
            assert!(rendered.starts_with("error: "), "{name}: expected an error, got {rendered}");
            if !source.trim().is_empty() && !source.trim_start().starts_with('#') {
                assert!(rendered.contains('^'), "{name}: no caret in {rendered}");
            }
            assert!(rendered.lines().count() <= 12, "{name}: error longer than a screen");
            insta::assert_snapshot!(*name, rendered, source);
        }
    });
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
    let rendered = common::simplify_text(&deep);
    assert!(rendered.contains("nested more than"), "{}", &rendered[..rendered.len().min(300)]);
    let calls = format!("{}x{}", "exp(".repeat(100_000), ")".repeat(100_000));
    assert!(common::simplify_text(&calls).contains("nested more than"));
    let signs = format!("{}x", "-".repeat(100_000));
    assert!(common::simplify_text(&signs).contains("signs in a row"));
}

#[test]
fn long_flat_sums_are_fine() {
    let sum = vec!["x"; 150].join(" + ");
    assert_eq!(common::simplify_text(&sum), "150 x");
}

/// A second derivative through an opaque function is an error whose help
/// line names the function's argument as the user wrote it (it named an
/// internal node number).
#[test]
fn an_opaque_second_derivative_names_its_argument() {
    let program = "f: function; W: matrix(m, n); x: vector(n); z = W x; grad(sum(grad(f(z), z)), x)";
    let rendered = common::simplify_text(program);
    assert!(rendered.contains("whose second derivative is unknown"), "{rendered}");
    assert!(rendered.contains("help: its argument `z` depends on the variable"), "{rendered}");
    assert!(!rendered.contains("node"), "{rendered}");
}
