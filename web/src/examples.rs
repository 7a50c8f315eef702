//! The page's menu of examples: the seed homework's problems, identities of
//! the Matrix Cookbook, and a network's backward pass.

/// An example program and the variable to differentiate it by.
pub struct Example {
    /// The menu entry.
    pub title: &'static str,
    /// The program.
    pub program: &'static str,
    /// The variable.
    pub wrt: &'static str,
}

/// The program the page opens with: the seed homework's problem 1.
pub const SEED: &str = "# The autoencoder loss of the seed homework, problem 1
W: matrix(m, n)
x: vector(n)
L = 1/2 * norm2(W^T W x - x)
";

/// The menu, first the page's opening program.
pub const EXAMPLES: &[Example] = &[
    Example { title: "Seed 1: autoencoder loss ½‖WᵀWx − x‖²", program: SEED, wrt: "W" },
    Example {
        title: "Seed 3: two-layer net with swish",
        program: "# The seed homework, problem 3: ell is an opaque loss
ell: function
W1: matrix(p, n); b1: vector(p)
W2: matrix(q, p); b2: vector(q)
x: vector(n)
z = W1 x + b1
h1 = swish(z)
z2 = W2 h1 + b2
L = ell(z2)
",
        wrt: "W1",
    },
    Example {
        title: "Cookbook: quadratic form xᵀAx",
        program: "# Matrix Cookbook (81): d(xᵀAx)/dx = (A + Aᵀ) x
x: vector(n)
A: matrix(n, n)
x^T A x
",
        wrt: "x",
    },
    Example {
        title: "Cookbook: bilinear form aᵀXb",
        program: "# Matrix Cookbook (70): d(aᵀXb)/dX = a bᵀ
a: vector(m); b: vector(n)
X: matrix(m, n)
a^T X b
",
        wrt: "X",
    },
    Example {
        title: "Cookbook: trace tr(AXB)",
        program: "# Matrix Cookbook (102): d tr(AXB)/dX = Aᵀ Bᵀ
A: matrix(k, m); X: matrix(m, n); B: matrix(n, k)
tr(A X B)
",
        wrt: "X",
    },
    Example {
        title: "Cookbook: log-determinant",
        program: "# Matrix Cookbook (57): d log|det X|/dX = X⁻ᵀ
X: matrix(n, n)
logdet(X)
",
        wrt: "X",
    },
    Example {
        title: "Cookbook: trace of an inverse tr(X⁻¹A)",
        program: "# Matrix Cookbook (113): d tr(X⁻¹A)/dX = −X⁻ᵀAᵀX⁻ᵀ
X: matrix(n, n); A: matrix(n, n)
tr(X^-1 A)
",
        wrt: "X",
    },
    Example {
        title: "Least squares ½‖Ax − b‖²",
        program: "A: matrix(m, n); x: vector(n); b: vector(m)
1/2 * norm2(A x - b)
",
        wrt: "x",
    },
    Example {
        title: "MLP backward pass (ReLU, squared error)",
        program: "# A two-layer perceptron: forward pass, then the loss
W1: matrix(h, d); b1: vector(h)
W2: matrix(k, h); b2: vector(k)
x: vector(d); y: vector(k)
z1 = W1 x + b1
a1 = relu(z1)
z2 = W2 a1 + b2
L = 1/2 * norm2(z2 - y)
",
        wrt: "W1",
    },
    Example {
        title: "Jacobian of a layer σ(Wx)",
        program: "W: matrix(m, n); x: vector(n)
sigmoid(W x)
",
        wrt: "x",
    },
];
