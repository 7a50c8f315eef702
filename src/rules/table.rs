//! The rule table: every identity the driver applies beyond the
//! constructors' canonical laws, one entry each, grouped in sets. Each rule
//! removes a construct (a negation under a function, a function of a
//! function, a shift), so applying them terminates.

use super::matcher::Head;
use super::{Body, Rule};
use crate::ir::Func;

/// A pattern body.
const fn pattern(lhs: &'static str, rhs: &'static str) -> Body {
    Body::Pattern { lhs, rhs }
}

/// Elementwise metavariable `?z` at every kind it can have.
const ELEMENTWISE_Z: &[&str] = &["?z: scalar", "?z: vector(n)", "?z: matrix(m, n)"];
/// Elementwise metavariable `?u` at every kind it can have.
const ELEMENTWISE_U: &[&str] = &["?u: scalar", "?u: vector(n)", "?u: matrix(m, n)"];
/// A vector `?x`.
const VECTOR_X: &[&str] = &["?x: vector(n)"];
/// A vector `?x` shifted by a scalar `?c`.
const VECTOR_X_SCALAR_C: &[&str] = &["?x: vector(n); ?c: scalar"];

/// A scalar `?s` and two elementwise metavariables `?u`, `?v` at every kind
/// they can have.
const SCALAR_S_ELEMENTWISE_UV: &[&str] =
    &["?s, ?u, ?v: scalar", "?s: scalar; ?u, ?v: vector(n)", "?s: scalar; ?u, ?v: matrix(m, n)"];

/// Two elementwise metavariables `?u`, `?v` at every kind they can have.
const ELEMENTWISE_UV: &[&str] = &["?u, ?v: scalar", "?u, ?v: vector(n)", "?u, ?v: matrix(m, n)"];

/// Two matrices `?A`, `?B`, two vectors `?x`, `?y` and two scalars `?s`, `?t`.
const MATRICES_AB_VECTORS_XY_SCALARS_ST: &[&str] = &["?A, ?B: matrix(m, n); ?x, ?y: vector(n); ?s, ?t: scalar"];

/// The rules applied to every simplified value and derivative, in the
/// order they are tried at a node.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule {
        name: "diagonal-into-vector", set: "products",
        doc: "a diagonal matrix beside a vector in a product is a Hadamard product: diag(u) v = u ⊙ v, vᵀ diag(u) = (v ⊙ u)ᵀ",
        body: Body::Native {
            heads: &[Head::Mul],
            apply: super::products::diagonal_into_vector,
            templates: &[
                "diag(?x) ?y",
                "?A diag(?x) ?y",
                "?y^T diag(?x) ?B^T",
                "?s ?x^T diag(?y) ?x",
            ],
        },
        shapes: MATRICES_AB_VECTORS_XY_SCALARS_ST, guard: "",
        examples: &[
            "u, v: vector(n); diag(u) v",
            "u, v: vector(n); A: matrix(m, n); A diag(u) v + A (u .* v)",
            "u, v: vector(n); A: matrix(n, m); v^T diag(u) A - (u .* v)^T A",
            "x, y: vector(n); x^T diag(y) y",
        ],
    },
    Rule {
        name: "inner-product-as-sum", set: "products",
        doc: "an inner product with a Hadamard product as a side is a sum: (s ⊙ x)ᵀ y = sum(s ⊙ x ⊙ y), however the factors were split",
        body: Body::Native {
            heads: &[Head::Mul],
            apply: super::products::inner_product_as_sum,
            templates: &[
                "(?x .* ?y)^T ?y",
                "?x^T (?y .* ?x)",
                "?s + (?x ./ ?y)^T ?y",
            ],
        },
        shapes: MATRICES_AB_VECTORS_XY_SCALARS_ST, guard: "",
        examples: &[
            "s, x, y: vector(n); (s .* x)^T y - x^T (s .* y)",
            "s, y: vector(n); (y ./ s)^T s",
            "x, y: vector(n); (x^T diag(y)) y - x^T (diag(y) y)",
        ],
    },
    Rule {
        name: "diagonal-of-kronecker", set: "products",
        doc: "entry ((k, k), (l, l)) of a Kronecker product read into (k, l) by S = kron(1ᵀ, I) diag(vec(I)), the Jacobian of diag(X): S kron(A, B) Sᵀ = A ⊙ B",
        body: Body::Native {
            heads: &[Head::Mul],
            apply: super::products::diagonal_of_kronecker,
            templates: &[
                "kron(ones(m)^T, I(m)) diag(vec(I(m))) kron(?A, ?B) diag(vec(I(n))) kron(ones(n), I(n))",
                "kron(ones(m)^T, I(m)) diag(vec(I(m))) (kron(?A, ?B) - 2 kron(?B, ?A)) diag(vec(I(n))) kron(ones(n), I(n)) a",
            ],
        },
        shapes: &["?A, ?B: matrix(m, n)"], guard: "",
        examples: &[
            "x: vector(n); A: matrix(n, n); hessian(tr(inv(A + diag(x))), x)",
            "x: vector(n); hessian(sum(diag(inv(diag(x)))), x)",
            "A, B: matrix(n, n); kron(ones(n)^T, I(n)) diag(vec(I(n))) kron(A, B) diag(vec(I(n))) kron(ones(n), I(n))",
        ],
    },
    Rule {
        name: "hadamard-of-diagonals", set: "diagonals",
        doc: "a Hadamard product of diagonal matrices is their matrix product: diag(u) ⊙ diag(v)⁻¹ = diag(u) diag(v)⁻¹",
        body: Body::Native {
            heads: &[Head::Hadamard],
            apply: super::diagonals::hadamard_of_diagonals,
            templates: &[
                "diag(?x) .* inv(diag(exp(?y)))",
                "?s inv(diag(exp(?x))) .* inv(diag(exp(?x) + ?y .* ?y))",
                "(?s diag(?x) inv(diag(exp(?y)))) .* diag(?x) .* I(n)",
            ],
        },
        shapes: &["?x, ?y: vector(n); ?s: scalar"], guard: "",
        examples: &[
            "x: vector(n); hessian(sum(diag(inv(diag(x)))), x)",
            "x, y: vector(n); 2 inv(diag(x)) .* diag(y)",
        ],
    },
    Rule {
        name: "diagonal-of-diagonal", set: "diagonals",
        doc: "the diagonal of a diagonal matrix is the vector it is made of: diag(s diag(u) diag(v)⁻¹) = s u ⊙ v .^ −1",
        body: Body::Native {
            heads: &[Head::Apply(Func::DiagVec)],
            apply: super::diagonals::diagonal_of_diagonal,
            templates: &[
                "diag(inv(diag(exp(?x))))",
                "diag(?s diag(?x) inv(diag(exp(?y))) I(n))",
            ],
        },
        shapes: &["?x, ?y: vector(n); ?s: scalar"], guard: "",
        examples: &[
            "x: vector(n); diag(diag(x)^-1)",
            "x, y: vector(n); diag(3 diag(x) diag(y)^-2)",
        ],
    },
    Rule {
        name: "distribute-hadamard", set: "products",
        doc: "a Hadamard product distributed over its one sum factor where that cancels factors: u ⊘ v ⊙ (v + w) = u + u ⊙ w ⊘ v",
        body: Body::Native {
            heads: &[Head::Hadamard],
            apply: super::distribute::distribute_hadamard,
            templates: &[
                "?u ./ ?v .* (?v + ?u)",
                "sigmoid(?u) .* (1 - sigmoid(?u)) .* ((1 - ?v) ./ (1 - sigmoid(?u)) - ?v ./ sigmoid(?u))",
            ],
        },
        shapes: &["?u, ?v: vector(n)", "?u, ?v: matrix(m, n)"], guard: "",
        examples: &[
            "u, v: vector(n); u ./ v .* (v + u)",
            "x, y: vector(n); (sqrt(1 + x .^ 2) + y) .* sqrt(1 + x .^ 2)",
            "x, y, z: vector(n); ((sqrt(1 + x .^ 2) + y) .* sqrt(1 + x .^ 2)) .* (x + z) - (sqrt(1 + x .^ 2) + y) .* sqrt(1 + x .^ 2) .* (x + z)",
            "z: vector(n); y: vector(n); grad(sum(-y .* log(sigmoid(z)) - (1 - y) .* log(1 - sigmoid(z))), z)",
        ],
    },
    Rule {
        name: "sigmoid-neg", set: "sigmoid",
        doc: "σ(−z) = 1 − σ(z): one form for the logistic function of a negated argument",
        body: pattern("sigmoid(-?z)", "1 - sigmoid(?z)"),
        shapes: ELEMENTWISE_Z, guard: "",
        examples: &[
            "z: vector(n); sigmoid(-z) - (1 - sigmoid(z))",
            "z: scalar; sigmoid(-2 z) + sigmoid(2 z)",
            "Z: matrix(m, n); sigmoid(-Z) + sigmoid(Z)",
        ],
    },
    Rule {
        name: "sigmoid-exp", set: "sigmoid",
        doc: "e^u / (1 + e^u) = σ(u)",
        body: pattern("exp(?u) ./ (1 + exp(?u))", "sigmoid(?u)"),
        shapes: ELEMENTWISE_U, guard: "",
        examples: &[
            "u: scalar; exp(u) / (1 + exp(u))",
            "W: matrix(m, n); x: vector(n); exp(W x) ./ (1 + exp(W x))",
        ],
    },
    Rule {
        name: "sigmoid-exp-neg", set: "sigmoid",
        doc: "1 / (1 + e^−u) = σ(u)",
        body: pattern("1 ./ (1 + exp(-?u))", "sigmoid(?u)"),
        shapes: ELEMENTWISE_U, guard: "",
        examples: &[
            "u: scalar; 1 / (1 + exp(-u))",
            "z: vector(n); 1 ./ (1 + exp(-z))",
        ],
    },
    Rule {
        name: "log-sigmoid", set: "sigmoid",
        doc: "log σ(z) = −softplus(−z)",
        body: pattern("log(sigmoid(?z))", "-softplus(-?z)"),
        shapes: ELEMENTWISE_Z, guard: "",
        examples: &[
            "z: vector(n); log(sigmoid(z)) + softplus(-z)",
        ],
    },
    Rule {
        name: "sigmoid-exp-product", set: "sigmoid",
        doc: "e^−u σ(u) = 1 − σ(u) and e^u (1 − σ(u)) = σ(u) among the factors of a product",
        body: Body::Native {
            heads: &[Head::Mul, Head::Hadamard],
            apply: super::sigmoid::sigmoid_exp_product,
            templates: &[
                "exp(-?s) sigmoid(?s) ?x",
                "?t exp(tanh(?s)) (1 - sigmoid(tanh(?s)))",
                "exp(-?x) .* sigmoid(?x) .* ?y",
                "exp(tanh(?x)) .* (1 - sigmoid(tanh(?x)))",
            ],
        },
        shapes: MATRICES_AB_VECTORS_XY_SCALARS_ST, guard: "",
        examples: &[
            "x: vector(n); grad(log(1 + exp(-x^T x)), x)",
            "w, x: vector(n); y: scalar; grad(log(1 + exp(-y w^T x)), w)",
            "z, g: vector(n); exp(-z) .* sigmoid(z) .* g + exp(z) .* (1 - sigmoid(z))",
            "X: matrix(m, n); w: vector(n); y: vector(m); grad(sum(log(1 + exp(-y .* (X w)))), w)",
        ],
    },
    Rule {
        name: "swish-derivative", set: "sigmoid",
        doc: "swish′(z) = σ(z) ⊙ (1 + z ⊙ (1 − σ(z))) written h + σ(z) ⊙ (1 − h) where h = swish(z) is named",
        body: Body::Native {
            heads: &[Head::Mul, Head::Hadamard],
            apply: super::sigmoid::swish_derivative,
            templates: &[
                "h = swish(?x); sigmoid(?x) .* (1 + ?x .* (1 - sigmoid(?x))) .* ?y",
                "h = swish(?s); ?t sigmoid(?s) (1 + ?s (1 - sigmoid(?s)))",
            ],
        },
        shapes: MATRICES_AB_VECTORS_XY_SCALARS_ST, guard: "",
        examples: &[
            "z: vector(n); h = swish(z); grad(sum(h), z)",
            "z: scalar; h = swish(z); grad(h, z)",
            "z, y: vector(n); h = swish(z); grad(1/2 * norm2(h - y), z)",
            "ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2); grad(L, W1)",
            "z: vector(n); grad(sum(swish(z)), z)",
        ],
    },
    Rule {
        name: "softplus-log", set: "sigmoid",
        doc: "log(1 + e^u) = softplus(u)",
        body: pattern("log(1 + exp(?u))", "softplus(?u)"),
        shapes: ELEMENTWISE_U, guard: "",
        examples: &[
            "x: vector(n); log(1 + exp(x))",
            "w, x: vector(n); y: scalar; log(1 + exp(-y w^T x))",
        ],
    },
    Rule {
        name: "sum-softmax", set: "softmax",
        doc: "the entries of softmax(x) sum to 1",
        body: pattern("sum(softmax(?x))", "1"),
        shapes: VECTOR_X, guard: "",
        examples: &[
            "x: vector(n); sum(softmax(x))",
            "W: matrix(m, n); x: vector(n); b: vector(m); 2 sum(softmax(W x + b)) - 1",
        ],
    },
    Rule {
        name: "log-softmax", set: "softmax",
        doc: "log softmax(x) = x − logsumexp(x)",
        body: pattern("log(softmax(?x))", "?x - logsumexp(?x)"),
        shapes: VECTOR_X, guard: "",
        examples: &[
            "x: vector(n); log(softmax(x))",
            "x: vector(n); log(softmax(x)) - x",
        ],
    },
    Rule {
        name: "softmax-exp", set: "softmax",
        doc: "e^x / sum(e^x) = softmax(x)",
        body: pattern("exp(?x) / sum(exp(?x))", "softmax(?x)"),
        shapes: VECTOR_X, guard: "",
        examples: &[
            "x: vector(n); exp(x) / sum(exp(x))",
            "W: matrix(m, n); x: vector(n); exp(W x) / sum(exp(W x))",
        ],
    },
    Rule {
        name: "logsumexp-exp", set: "softmax",
        doc: "log sum(e^x) = logsumexp(x)",
        body: pattern("log(sum(exp(?x)))", "logsumexp(?x)"),
        shapes: VECTOR_X, guard: "",
        examples: &[
            "x: vector(n); log(sum(exp(x)))",
        ],
    },
    Rule {
        name: "softmax-shift", set: "softmax",
        doc: "softmax(x + c) = softmax(x) for a scalar c",
        body: pattern("softmax(?x + ?c)", "softmax(?x)"),
        shapes: VECTOR_X_SCALAR_C, guard: "?c is scalar",
        examples: &[
            "x: vector(n); c: scalar; softmax(x + c)",
            "x, y: vector(n); softmax(x - y^T x)",
        ],
    },
    Rule {
        name: "logsumexp-shift", set: "softmax",
        doc: "logsumexp(x + c) = logsumexp(x) + c for a scalar c",
        body: pattern("logsumexp(?x + ?c)", "logsumexp(?x) + ?c"),
        shapes: VECTOR_X_SCALAR_C, guard: "?c is scalar",
        examples: &[
            "x: vector(n); c: scalar; logsumexp(x + c) - c",
            "x: vector(n); logsumexp(x - 3)",
        ],
    },
    Rule {
        name: "softmax-jacobian", set: "softmax",
        doc: "p ⊙ g − (gᵀp) p written as the softmax Jacobian applied to g, (diag(p) − p pᵀ) g, when shorter",
        body: Body::Native {
            heads: &[Head::Add],
            apply: super::softmax::softmax_jacobian,
            templates: &[
                "?x .* ?y - (?y^T ?x) ?x",
                "?s (?x .* (?x - ?y) - ((?x - ?y)^T ?x) ?x) + ?y",
                "(?A ?x) .* (?A ?y) - (?y^T ?A^T ?A ?x) ?A ?x",
            ],
        },
        shapes: MATRICES_AB_VECTORS_XY_SCALARS_ST, guard: "",
        examples: &[
            "x, g: vector(n); grad(g^T softmax(x), x)",
            "x, g: vector(n); p = softmax(x); p .* g - (g^T p) p",
            "W: matrix(n, m); x: vector(m); y: vector(n); p = softmax(W x); grad(1/2 * norm2(p - y), x)",
            "A: matrix(t, d); B: matrix(t, e); x: vector(d); y: vector(e); a = softmax(A x); grad(1/2 * norm2(B^T a - y), x)",
            "p, g: vector(n); s: scalar; 2 s (p .* g) - 2 s (g^T p) p + g",
        ],
    },
    Rule {
        name: "log-softmax-jacobian", set: "softmax",
        doc: "diag(1 ./ s) (diag(s) − s sᵀ) = I − ones sᵀ in a product: the Jacobian of log softmax",
        body: Body::Native {
            heads: &[Head::Mul],
            apply: super::softmax::log_softmax_jacobian,
            templates: &[
                "diag(exp(?x) .^ -1) (diag(exp(?x)) - exp(?x) exp(?x)^T)",
                "?A^T diag(exp(?A ?x) .^ -1) (diag(exp(?A ?x)) - exp(?A ?x) exp(?A ?x)^T) ?A",
            ],
        },
        shapes: MATRICES_AB_VECTORS_XY_SCALARS_ST, guard: "",
        examples: &[
            "x: vector(n); jacobian(log(softmax(x)), x)",
            "W: matrix(n, m); x: vector(m); jacobian(log(softmax(W x)), x)",
            "s: vector(n); diag(1 ./ s) (diag(s) - s s^T)",
        ],
    },
    Rule {
        name: "norm-of-square", set: "norms",
        doc: "the square root (or a half-integer power) of a squared norm written with the norm: sqrt(tr(A Aᵀ)) = norm(A)",
        body: Body::Native {
            heads: &[Head::Apply(Func::Sqrt), Head::Pow, Head::Mul],
            apply: super::norms::norm_of_square,
            templates: &[
                "sqrt(tr(?A ?A^T))",
                "sqrt(tr(?A^T ?A))",
                "sqrt(?x^T ?x) + ?s",
                "(?y^T ?B^T ?B ?y)^(3/2)",
                "?s + sqrt(sum(?x .^ 2))",
                "sqrt(norm2(?A))",
                "?s norm(?x) (?x^T ?x)^2",
            ],
        },
        shapes: MATRICES_AB_VECTORS_XY_SCALARS_ST, guard: "",
        examples: &[
            "A: matrix(m, n); sqrt(tr(A A^T))",
            "A: matrix(m, n); sqrt(tr(A^T A)) + sqrt(norm2(A))",
            "A: matrix(m, n); x: vector(n); sqrt(x^T A^T A x)",
            "x: vector(n); grad(sqrt(x^T x), x)",
            "x: vector(n); jacobian(x / sqrt(sum(x .^ 2)), x)",
            "X: matrix(m, n); grad(sqrt(tr(X^T X)), X)",
            "x: vector(n); s: scalar; s norm(x) (x^T x)^2 + (x^T x)^(-3/2)",
        ],
    },
    Rule {
        name: "collect", set: "collect",
        doc: "a sum of elementwise or scalar monomials expanded and collected with exact coefficients, when shorter",
        body: Body::Native {
            heads: &[Head::Add, Head::Hadamard, Head::Mul],
            apply: super::collect::collect,
            templates: &[
                "sigmoid(?u) .* (1 - ?v) - ?v .* (1 - sigmoid(?u))",
                "?u .* (1 - ?u) .* (1 - ?v) + ?u .* (1 - ?u) .* ?v",
                "sigmoid(?u) .* (1 - sigmoid(?u)) .* ((1 - ?v) ./ (1 - sigmoid(?u)) - ?v ./ sigmoid(?u))",
                "(?u + ?v) .* (?u - ?v) + ?v .* ?v",
                "3 ?u .* (?v - 1/2) - ?v .* (3 ?u + 2) + 2 ?v",
            ],
        },
        shapes: ELEMENTWISE_UV, guard: "",
        examples: &[
            "z, y: vector(n); sigmoid(z) .* (1 - y) - y .* (1 - sigmoid(z))",
            "z, y: scalar; sigmoid(z) (1 - sigmoid(z)) ((1 - y) / (1 - sigmoid(z)) - y / sigmoid(z))",
            "u, y: vector(n); u .* (1 - u) .* (1 - y) + u .* (1 - u) .* y",
            "x, y: vector(n); (x + y) .* (x - y) + y .* y",
            "X: matrix(m, n); w: vector(n); y: vector(m); grad(-(y^T log(sigmoid(X w)) + (1 - y)^T log(1 - sigmoid(X w))), w)",
            "x, y: vector(n); (x + y) .* (x - y)",
        ],
    },
    Rule {
        name: "sign-into-difference", set: "signs",
        doc: "a leading minus absorbed into a difference it scales, at the root or in a sum of negative terms, when shorter",
        body: Body::Native {
            heads: &[Head::Root, Head::Add],
            apply: super::signs::sign_into_difference,
            templates: &[
                "-(?u - ?v)",
                "-?s (?u - ?v)",
                "-2 ?s (?u - ?v) .* ?u",
                "-?s (?u - ?v) - 3 ?v",
            ],
        },
        shapes: SCALAR_S_ELEMENTWISE_UV, guard: "",
        examples: &[
            "x, mu: vector(n); S: symmetric(n); grad(1/2 * (x - mu)^T inv(S) (x - mu), mu)",
            "x, y: vector(n); A: matrix(n, n); -2 A (x - y)",
            "x, y, z: vector(n); -(x - y) .* z",
            "x, y, b: vector(n); A: matrix(n, n); -A (x - y) - b",
            "x, y, b: vector(n); A: matrix(n, n); b - A (x - y)",
            "x, mu: vector(n); d = x - mu; -2 d",
        ],
    },
    Rule {
        name: "factor-common", set: "factor",
        doc: "a left factor, right factor, scalar factor (a common denominator too) or coefficient common to terms of a sum taken out, when shorter",
        body: Body::Native {
            heads: &[Head::Add],
            apply: super::factor::factor_common,
            templates: &[
                "?A ?x + ?B ?x",
                "?A ?x ?y^T + ?A ?y ?x^T",
                "?A ?B^T ?A ?x - ?A ?A^T ?A ?x",
                "-?A ?B^T ?B ?x - ?A ?A^T ?B ?x",
                "-2 ?A ?x / s^3 - 2 ?B ?x / s^3",
                "?A ?x / s^3 + ?B ?x / s^2",
                "?x^T ?A^T ?B ?y + ?y^T ?A^T ?B ?x",
                "?s ?A ?x + ?s ?B ?y + ?t ?A ?y",
                "?x^T ?A^T ?B + ?y^T ?A^T ?B",
                "?s ?t + ?s ?x^T ?y",
                "2 ?s ?s^?t ?t + 2 ?s^?t ?s^?t log(?s)",
            ],
        },
        shapes: MATRICES_AB_VECTORS_XY_SCALARS_ST, guard: "",
        examples: &[
            "x: vector(n); B: matrix(n, n); grad(x^T B x, x)",
            "x: scalar; u = x^2; grad((u^u)^2, x)",
            "u, v: vector(n); X: matrix(n, m); diag(u) X + diag(v) X",
            "D: matrix(m, m); v, b: vector(m); (D v + D^T v) b^T",
            "X: matrix(m, n); b, c: vector(n); X c b^T + X b c^T",
            "P: matrix(m, n); A: matrix(n, n); Q: matrix(n, k); P A Q + P A^T Q",
            "P: matrix(m, n); A: matrix(n, n); Q: matrix(n, k); -P A Q - P A^T Q",
            "A: matrix(n, n); x: vector(n); s: scalar; -2 A x / s^3 - 2 A^T x / s^3",
            "A: matrix(n, n); x: vector(n); s: scalar; A x / s^3 + A^T x / s^2",
            "x, y: vector(n); A: matrix(n, n); x^T A y + y^T A x",
            "A: matrix(n, n); a, x, v: vector(n); v + A x + a^T x",
            "B: matrix(n, n); x, y: vector(n); B x + B^T x + y",
            "A, B: matrix(n, n); x: vector(n); A B x + B x",
            "a, b, x: vector(n); s, t, u: scalar; s t + s u + a^T x + b^T x",
            "X: matrix(m, n); b, c: vector(n); grad(b^T X^T X c, X)",
        ],
    },
    Rule {
        name: "merge-diagonals", set: "products",
        doc: "diagonal matrices in a sum are one diagonal matrix: a diag(u) + b diag(v) = diag(a u + b v)",
        body: Body::Native {
            heads: &[Head::Add],
            apply: super::sums::merge_diagonals,
            templates: &[
                "diag(?x) + diag(?y)",
                "2 diag(?x) - diag(?y) + ?A^T ?A",
            ],
        },
        shapes: MATRICES_AB_VECTORS_XY_SCALARS_ST, guard: "",
        examples: &[
            "u, v: vector(n); diag(u) + 2 diag(v)",
            "u, v: vector(n); A: matrix(n, n); A + diag(u) - diag(v)",
        ],
    },
];
