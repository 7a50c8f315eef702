//! Random well-shaped expressions as source text, typed by construction
//! (every operator and function, or only polynomial ones), over the
//! declarations in [`HEADER`]: the property tests' generator.

use matcalc::check::Rng;

/// The declarations every generated program starts with.
pub const HEADER: &str = "A, B: matrix(n, n); R: matrix(m, n); x, y: vector(n); u: vector(m); k, c: scalar; ";

/// Random expressions as source text, typed by construction.
pub struct Generator {
    /// The random source.
    pub rng: Rng,
    /// Only polynomial operators (exactly comparable).
    pub polynomial: bool,
}

impl Generator {
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.rng.range(0, options.len() - 1)]
    }

    fn choice(&mut self, n: usize) -> usize {
        self.rng.range(0, n - 1)
    }

    /// A random scalar expression of the given depth.
    pub fn scalar(&mut self, depth: usize) -> String {
        let inner = self.scalar_inner(depth);
        if depth == 0 {
            inner
        } else {
            format!("({inner})")
        }
    }

    fn scalar_inner(&mut self, depth: usize) -> String {
        if depth == 0 {
            return self.pick(&["k", "c", "2", "(1/2)", "k", "c"]).to_string();
        }
        let d = depth - 1;
        if self.polynomial {
            return match self.choice(9) {
                0 => format!("({} + {})", self.scalar(d), self.scalar(d)),
                1 => format!("({} - {})", self.scalar(d), self.scalar(d)),
                2 => format!("{} * {}", self.scalar(d), self.scalar(d)),
                3 => format!("{}^T {}", self.vector(d), self.vector(d)),
                4 => format!("tr({})", self.matrix(d)),
                5 => format!("sum({})", self.vector(d)),
                6 => format!("norm2({})", self.vector(d)),
                7 => format!("({})^2", self.scalar(d)),
                _ => format!("u^T R {}", self.vector(d)),
            };
        }
        match self.choice(22) {
            0 => format!("({} + {})", self.scalar(d), self.scalar(d)),
            1 => format!("({} - {})", self.scalar(d), self.scalar(d)),
            2 => format!("{} * {}", self.scalar(d), self.scalar(d)),
            3 => format!("{}^T {}", self.vector(d), self.vector(d)),
            4 => format!("tr({})", self.matrix(d)),
            5 => format!("sum({})", self.vector(d)),
            6 => format!("norm2({})", self.vector(d)),
            7 => format!("norm(1 + {} .^ 2)", self.vector(d)),
            8 => format!("logsumexp({})", self.vector(d)),
            9 => {
                let f = self.pick(&["tanh", "sigmoid", "sin", "cos", "arctan", "softplus", "swish"]);
                format!("{f}({})", self.scalar(d))
            }
            10 => format!("log(1 + {} ^ 2)", self.scalar(d)),
            11 => format!("sqrt(2 + {})", self.pick(&["k * k", "norm2(x)", "c ^ 2"])),
            12 => format!("{} / (2 + {} ^ 2)", self.scalar(d), self.scalar(d)),
            13 => "det(A)".to_string(),
            14 => format!("logdet({} {}^T + I)", self.matrix(d), self.matrix(d)),
            15 => format!("u^T R {}", self.vector(d)),
            16 => format!("({})^3", self.scalar(d)),
            17 => format!("exp(tanh({}))", self.scalar(d)),
            18 => format!("{}^T inv(A) {}", self.vector(d), self.vector(d)),
            19 => format!("arcsin(tanh({}) / 2)", self.scalar(d)),
            20 => format!("{}({})", self.pick(&["relu", "abs"]), self.scalar(d)),
            _ => format!("x^T {} y", self.matrix(d)),
        }
    }

    /// A random vector expression of the given depth.
    pub fn vector(&mut self, depth: usize) -> String {
        let inner = self.vector_inner(depth);
        if depth == 0 {
            inner
        } else {
            format!("({inner})")
        }
    }

    fn vector_inner(&mut self, depth: usize) -> String {
        if depth == 0 {
            return self.pick(&["x", "y", "x", "y", "(A x)"]).to_string();
        }
        let d = depth - 1;
        if self.polynomial {
            return match self.choice(7) {
                0 => format!("({} + {})", self.vector(d), self.vector(d)),
                1 => format!("({} - {})", self.vector(d), self.vector(d)),
                2 => format!("{} {}", self.matrix(d), self.vector(d)),
                3 => format!("{} {}", self.scalar(d), self.vector(d)),
                4 => format!("{} .* {}", self.vector(d), self.vector(d)),
                5 => format!("diag({})", self.matrix(d)),
                _ => "R^T u".to_string(),
            };
        }
        match self.choice(14) {
            0 => format!("({} + {})", self.vector(d), self.vector(d)),
            1 => format!("({} - {})", self.vector(d), self.vector(d)),
            2 => format!("{} {}", self.matrix(d), self.vector(d)),
            3 => format!("{} * {}", self.scalar(d), self.vector(d)),
            4 => format!("{} .* {}", self.vector(d), self.vector(d)),
            5 => format!("{} ./ (2 + {} .^ 2)", self.vector(d), self.vector(d)),
            6 => {
                let f = self.pick(&["tanh", "sigmoid", "sin", "cos", "exp", "arctan", "softplus", "swish", "σ"]);
                format!("{f}({})", self.vector(d))
            }
            7 => format!("softmax({})", self.vector(d)),
            8 => format!("diag({})", self.matrix(d)),
            9 => "R^T u".to_string(),
            10 => format!("({}^T {}) {}", self.vector(d), self.vector(d), self.vector(d)),
            11 => format!("sqrt(1 + {} .^ 2)", self.vector(d)),
            12 => format!("log(1 + exp({}))", self.vector(d)),
            _ => format!("inv(A) {}", self.vector(d)),
        }
    }

    /// A random matrix expression of the given depth.
    pub fn matrix(&mut self, depth: usize) -> String {
        let inner = self.matrix_inner(depth);
        if depth == 0 {
            inner
        } else {
            format!("({inner})")
        }
    }

    fn matrix_inner(&mut self, depth: usize) -> String {
        if depth == 0 {
            return self.pick(&["A", "B", "A^T", "B"]).to_string();
        }
        let d = depth - 1;
        if self.polynomial {
            return match self.choice(7) {
                0 => format!("({} + {})", self.matrix(d), self.matrix(d)),
                1 => format!("{} {}", self.matrix(d), self.matrix(d)),
                2 => format!("({})^T", self.matrix(d)),
                3 => format!("{} {}", self.scalar(d), self.matrix(d)),
                4 => format!("{} .* {}", self.matrix(d), self.matrix(d)),
                5 => format!("diag({})", self.vector(d)),
                _ => format!("{} {}^T", self.vector(d), self.vector(d)),
            };
        }
        match self.choice(11) {
            0 => format!("({} + {})", self.matrix(d), self.matrix(d)),
            1 => format!("({} - {})", self.matrix(d), self.matrix(d)),
            2 => format!("{} {}", self.matrix(d), self.matrix(d)),
            3 => format!("({})'", self.matrix(d)),
            4 => format!("{} * {}", self.scalar(d), self.matrix(d)),
            5 => format!("{} .* {}", self.matrix(d), self.matrix(d)),
            6 => format!("diag({})", self.vector(d)),
            7 => format!("{} {}^T", self.vector(d), self.vector(d)),
            8 => format!("tanh({})", self.matrix(d)),
            9 => "A^2 + R^T R".to_string(),
            _ => "inv(A)".to_string(),
        }
    }
}

/// The program `HEADER body` with a random body of kind `s`, `v` or `m` (depth 5) drawn from `seed`.
pub fn generate(seed: u64, kind: char, polynomial: bool) -> String {
    let mut g = Generator { rng: Rng::new(seed), polynomial };
    let depth = 5;
    let body = match kind {
        's' => g.scalar(depth),
        'v' => g.vector(depth),
        _ => g.matrix(depth),
    };
    format!("{HEADER}{body}")
}
