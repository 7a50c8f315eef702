//! The command line's help texts: the summary and the examples under
//! `--help` of each command.

pub(crate) const ABOUT: &str = "Symbolic matrix calculus: gradients, Jacobians and Hessians of matrix expressions, \
printed as a person writes them.";

pub(crate) const LONG_ABOUT: &str = "\
Symbolic matrix calculus: gradients, Jacobians and Hessians of matrix expressions,
printed as a person writes them.

A PROGRAM is statements separated by `;` or newlines: declarations
(`W: matrix(m, n)`, `x: vector(n)`, `k: scalar`, `S: symmetric(n)`,
`ell: function`), definitions (`z = W x + b`) and expressions. Its value is
the last expression, or the last definition. Undeclared names get their
kind from how they are used, else from their spelling: upper case is a
matrix, lower case a vector, a Greek name (alpha, lambda, sigma2) a scalar.

Note: norm2(r) is the SQUARED norm ‖r‖² (homework notation), norm(r) the
plain Euclidean/Frobenius norm.";

pub(crate) const EXAMPLES: &str = "\
Examples (each `$` line prints the indented lines under it):
  $ matcalc diff '1/2 * norm2(W^T W x - x)' --wrt W
    t1 = (W^T W x - x) x^T
    W (t1 + t1^T)
  $ matcalc diff 'x^T A x' --wrt x
    (A + A^T) x
  $ matcalc diff 'ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)' --wrt W2
    grad(L, z2) h1^T
  $ matcalc simplify 'hessian(sum(exp(x)), x)'
    diag(exp(x))
  $ matcalc check 'sum(log(sigmoid(W x)))' --wrt W
    derivative: (1 - sigmoid(W x)) x^T
    relative error 3.48e-11 at 5 random points (tolerance 1e-6)
    ok

  matcalc diff PROGRAM -w W1,b1,W2,b2     # several variables, one derivative after another
  matcalc diff PROGRAM --wrt W --format latex|unicode|numpy|dot|tikz
  matcalc diff PROGRAM --wrt W --steps    # the derivation, one line per node of the graph
  matcalc diff PROGRAM --wrt X -d         # the differential: d(A X B) = A dX B, dL = tr(G^T dX)
  matcalc diff PROGRAM --wrt X -s -d      # the gradient (or Jacobian) derived by differentials, each step justified
  matcalc diff PROGRAM --wrt W --format dot | dot -Tpdf > graph.pdf
  matcalc verify 'x^T A x' --wrt x --claim '(A + A^T) x'
  matcalc diff -f loss.mc --wrt W         # program from a file
  echo 'tr(A X B)' | matcalc diff - --wrt X
  matcalc repl                            # interactive; `:help` lists its commands
  matcalc repl < session.txt              # the same, scripted: one result per expression
  matcalc completions bash                # shell completions; `matcalc man` the manual page

Exit status: 0 success, 1 an error in the program (or a failed check or
verify), 2 bad command-line use.

Derivatives at kinks: relu'(0), step'(x), sign'(x) and abs'(0) are taken
as step(x) = 0 at 0, 0, 0 and sign(0) = 0; log and sqrt are differentiated
by their formulas, which are undefined at 0.";

pub(crate) const DIFF_EXAMPLES: &str = "\
Examples (each `$` line prints the indented lines under it):
  $ matcalc diff 'tr(A X B)' --wrt X
    A^T B^T
  $ matcalc diff 'logdet(X)' --wrt X
    X^-T
  $ matcalc diff 'x: vector(n); softmax(x)' --wrt x
    diag(softmax(x)) - softmax(x) softmax(x)^T
  $ matcalc diff '1/2 * norm2(W^T W x - x)' --wrt W --format latex
    \\begin{aligned}
    \\nabla_{\\mathbf{W}} f &= \\mathbf{W} (\\mathbf{t}_1 + \\mathbf{t}_1^\\top) \\\\
    \\text{where } \\mathbf{t}_1 &= (\\mathbf{W}^\\top \\mathbf{W} \\mathbf{x} - \\mathbf{x}) \\mathbf{x}^\\top
    \\end{aligned}
  $ matcalc diff 'W x' --wrt W
    kron(x^T, I(m))
  $ matcalc diff 'W x' --wrt W --layout denominator
    kron(x, I(m))
  $ matcalc diff 'A X B' --wrt X --differential
    d(A X B) = A dX B
  $ matcalc diff 'X^-1' --wrt X --differential
    d(X^-1) = -X^-1 dX X^-1
  $ matcalc diff 'L = 1/2 * norm2(W^T W x - x)' --wrt W --differential
    t1 = (W^T W x - x) x^T
    dL = tr((t1 + t1^T) W^T dW)
  $ matcalc diff '1/2 * norm2(W x - y)' --wrt W --steps --differential
    df = d(1/2 * norm2(W x - y))
       = (W x - y)^T d(W x - y)   [chain rule: d(norm2(u)) = 2 u^T du]
       = (W x - y)^T dW x         [product rule]
       = tr((W x - y)^T dW x)     [a scalar is its own trace]
       = tr(x (W x - y)^T dW)     [cyclic rotation: tr(U V) = tr(V U)]
    grad(f, W) = (W x - y) x^T    [first identification theorem]
  $ matcalc diff '1/2 * norm2(W^T W x - x)' --wrt W --steps
    grad(f, W^T W x - x) = W^T W x - x
    grad(f, W^T W x) = grad(f, W^T W x - x) = W^T W x - x
    grad(f, W^T) = grad(f, W^T W x) (W x)^T = (W^T W x - x) (W x)^T
    grad(f, W x) = W grad(f, W^T W x) = W (W^T W x - x)
    grad(f, W) = grad(f, W x) x^T + grad(f, W^T)^T = W ((W^T W x - x) x^T + x (W^T W x - x)^T)

  matcalc diff PROGRAM -w W1,b1,W2,b2     # several variables at once (LaTeX: one aligned block)
  matcalc diff PROGRAM --wrt W --format dot | dot -Tpdf > graph.pdf";

pub(crate) const SIMPLIFY_EXAMPLES: &str = "\
Examples (each `$` line prints the indented lines under it):
  $ matcalc simplify '(W^T W x - x)^T'
    x^T W^T W - x^T
  $ matcalc simplify 'W: matrix(m, n); x: vector(n); (W x)^T W x' --format unicode
    xᵀ Wᵀ W x
  $ matcalc simplify 'A^T x' --format latex --transpose T
    \\mathbf{A}^T \\mathbf{x}
  $ matcalc simplify 'hessian(sum(exp(x)), x)'
    diag(exp(x))";

pub(crate) const TYPES_EXAMPLES: &str = "\
Examples (each `$` line prints the indented lines under it):
  $ matcalc types '1/2 * norm2(W^T W x - x)'
    W: matrix(m, n)  (inferred)
    x: vector(n)  (inferred)";

pub(crate) const CHECK_EXAMPLES: &str = "\
Examples (each `$` line prints the indented lines under it):
  $ matcalc check 'sum(log(sigmoid(W x)))' --wrt W
    derivative: (1 - sigmoid(W x)) x^T
    relative error 3.48e-11 at 5 random points (tolerance 1e-6)
    ok";
