//! NumPy code generation: one Python function whose parameters are the
//! program's free variables (vectors as 1-D arrays), computing each named
//! definition and each shared subterm once, and evaluating matrix chains
//! that end in a vector right to left (`W.T @ (W @ x)`).

use std::collections::BTreeSet;

use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, FastMap, FastSet, Func, Graph, Node, Role, SymbolId};
use crate::shape::{Dim, Shape};
use num_traits::Signed;

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "np",
];

/// A Python identifier for a matcalc name (`lambda` → `lambda_`).
pub fn python_name(name: &str) -> String {
    let ascii: String = crate::print::text::greek(name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    let ascii = if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        transliterate(name, ascii)
    };
    if PYTHON_KEYWORDS.contains(&ascii.as_str()) {
        format!("{ascii}_")
    } else {
        ascii
    }
}

fn transliterate(name: &str, fallback: String) -> String {
    const LETTERS: &[(char, &str)] = &[
        ('α', "alpha"),
        ('β', "beta"),
        ('γ', "gamma"),
        ('δ', "delta"),
        ('ε', "epsilon"),
        ('η', "eta"),
        ('θ', "theta"),
        ('λ', "lambda"),
        ('μ', "mu"),
        ('ν', "nu"),
        ('π', "pi"),
        ('ρ', "rho"),
        ('σ', "sigma"),
        ('τ', "tau"),
        ('φ', "phi"),
        ('ω', "omega"),
    ];
    let mut out = String::new();
    for c in name.chars() {
        if let Some((_, word)) = LETTERS.iter().find(|(l, _)| *l == c) {
            out.push_str(word);
        } else if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            return fallback;
        }
    }
    out
}

/// The Python source of a function `function_name` returning `root`.
pub fn render(graph: &mut Graph, root: ExprId, function_name: &str, docstring: &str) -> String {
    let mut emitter = Emitter {
        graph,
        names: FastMap::default(),
        helpers: BTreeSet::new(),
        upstream_params: Vec::new(),
        function_params: Vec::new(),
        lines: Vec::new(),
    };
    let graph_shape_of_root = emitter.graph.shape(root);
    emitter.emit_body(root);
    let result = emitter.expr(root, 0);
    let mut params: Vec<String> = Vec::new();
    for (sid, symbol) in emitter.graph.symbols() {
        if matches!(symbol.role, Role::Input { .. }) {
            params.push(python_name(&emitter.graph.symbol(sid).name));
        }
    }
    for f in &emitter.function_params {
        params.push(python_name(&emitter.graph.symbol(*f).name));
    }
    for p in &emitter.upstream_params {
        if !params.contains(p) {
            params.push(p.clone());
        }
    }
    let mut out = String::from("import numpy as np\n\n\n");
    out.push_str(&format!("def {function_name}({}):\n", params.join(", ")));
    let docstring: String = if docstring.chars().count() > 240 || docstring.contains('\n') {
        let first: String = docstring.lines().next().unwrap_or("").chars().take(200).collect();
        format!("{first} …")
    } else {
        docstring.to_string()
    };
    out.push_str(&format!("    \"\"\"{}\"\"\"\n", docstring.replace('\\', "\\\\").replace("\"\"\"", "'''")));
    for helper in &emitter.helpers {
        out.push_str(helper_source(helper));
    }
    for line in &emitter.lines {
        out.push_str(&format!("    {line}\n"));
    }
    let shape: Shape = graph_shape_of_root;
    if shape.rows == Dim::ONE && shape.cols != Dim::ONE {
        // A row (the Jacobian of a scalar): a 1×n array, not a 1-D vector.
        out.push_str(&format!("    return np.reshape({result}, (1, -1))\n"));
    } else {
        out.push_str(&format!("    return {result}\n"));
    }
    out
}

fn helper_source(name: &str) -> &'static str {
    match name {
        "_sigmoid" => "    def _sigmoid(t):\n        return 0.5 * (1.0 + np.tanh(0.5 * t))\n\n",
        "_softmax" => "    def _softmax(t):\n        e = np.exp(t - np.max(t))\n        return e / np.sum(e)\n\n",
        "_logsumexp" => {
            "    def _logsumexp(t):\n        top = np.max(t)\n        return top + np.log(np.sum(np.exp(t - top)))\n\n"
        }
        _ => "",
    }
}

struct Emitter<'g> {
    graph: &'g mut Graph,
    names: FastMap<ExprId, String>,
    helpers: BTreeSet<&'static str>,
    upstream_params: Vec<String>,
    function_params: Vec<SymbolId>,
    lines: Vec<String>,
}

impl Emitter<'_> {
    /// Emits the dimension sizes, the definitions and the shared subterms.
    fn emit_body(&mut self, root: ExprId) {
        // Definitions reachable from the root, in definition order.
        let mut definitions: Vec<SymbolId> = Vec::new();
        for id in self.graph.reachable(root) {
            if let Node::Var(s) = self.graph.node(id) {
                if matches!(self.graph.symbol(*s).role, Role::Definition(_)) {
                    definitions.push(*s);
                }
            }
        }
        definitions.sort();
        definitions.dedup();
        // Dimensions used by constants.
        let mut dims: BTreeSet<Dim> = BTreeSet::new();
        for id in self.graph.reachable(root) {
            match self.graph.node(id) {
                Node::Identity(d) => {
                    dims.insert(*d);
                }
                Node::Ones(s) | Node::Zero(s) => {
                    dims.insert(s.rows);
                    dims.insert(s.cols);
                }
                _ => {}
            }
        }
        for d in dims {
            if let Dim::Named(id) = d {
                let name = python_name(&self.graph.dim_names()[id.0 as usize]);
                if let Some(source) = self.dimension_source(d) {
                    self.lines.push(format!("{name} = {source}"));
                } else {
                    self.lines.push(format!("{name} = int({name})"));
                }
            }
        }
        let mut roots: Vec<ExprId> = definitions.iter().filter_map(|s| self.graph.definition_value(*s)).collect();
        roots.push(root);
        let shared = self.shared_subterms(&roots);
        let mut counter = 0;
        let mut pending_defs = definitions.into_iter().peekable();
        for id in shared {
            // Emit the definitions whose values come before this subterm.
            while let Some(&s) = pending_defs.peek() {
                let value = self.graph.definition_value(s).unwrap_or(id);
                if value > id {
                    break;
                }
                self.emit_definition(s);
                pending_defs.next();
            }
            counter += 1;
            let text = self.expr(id, 0);
            let name = format!("t{counter}");
            self.lines.push(format!("{name} = {text}"));
            self.names.insert(id, name);
        }
        for s in pending_defs {
            self.emit_definition(s);
        }
    }

    fn emit_definition(&mut self, s: SymbolId) {
        let Some(value) = self.graph.definition_value(s) else { return };
        let name = python_name(&self.graph.symbol(s).name);
        let text = self.expr(value, 0);
        self.lines.push(format!("{name} = {text}"));
        let var = self.graph.var(s);
        self.names.insert(var, name.clone());
        self.names.insert(value, name);
    }

    fn dimension_source(&self, d: Dim) -> Option<String> {
        for (_, symbol) in self.graph.symbols() {
            if !matches!(symbol.role, Role::Input { .. }) {
                continue;
            }
            let name = python_name(&symbol.name);
            if symbol.shape.rows == d {
                return Some(format!("{name}.shape[0]"));
            }
            if symbol.shape.cols == d {
                return Some(format!("{name}.shape[1]"));
            }
        }
        None
    }

    /// Non-trivial nodes used more than once, children first.
    fn shared_subterms(&self, roots: &[ExprId]) -> Vec<ExprId> {
        let mut uses: FastMap<ExprId, usize> = FastMap::default();
        let mut seen = FastSet::default();
        let mut stack: Vec<ExprId> = roots.to_vec();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            if matches!(self.graph.node(id), Node::Var(_)) {
                continue;
            }
            for c in self.graph.children(id) {
                *uses.entry(c).or_default() += 1;
                stack.push(c);
            }
        }
        let mut shared: Vec<ExprId> =
            uses.into_iter().filter(|(id, n)| *n >= 2 && self.worth_naming(*id)).map(|(id, _)| id).collect();
        shared.sort();
        shared
    }

    fn worth_naming(&self, id: ExprId) -> bool {
        match self.graph.node(id) {
            Node::Const(_)
            | Node::Var(_)
            | Node::Identity(_)
            | Node::Ones(_)
            | Node::Zero(_)
            | Node::Upstream { .. } => false,
            Node::Transpose(a) => !matches!(self.graph.node(*a), Node::Var(_)),
            Node::Scale(_, a) => !matches!(self.graph.node(*a), Node::Var(_)),
            _ => true,
        }
    }

    fn shape(&self, id: ExprId) -> Shape {
        self.graph.shape(id)
    }

    fn dim(&self, d: Dim) -> String {
        match d {
            Dim::Fixed(n) => n.to_string(),
            Dim::Named(id) => python_name(&self.graph.dim_names()[id.0 as usize]),
        }
    }

    fn shape_args(&self, s: Shape) -> String {
        if s.cols == Dim::ONE {
            self.dim(s.rows)
        } else if s.rows == Dim::ONE {
            self.dim(s.cols)
        } else {
            format!("({}, {})", self.dim(s.rows), self.dim(s.cols))
        }
    }

    /// Python for `id`; `prec` is the binding strength the context needs
    /// (0 sum, 1 product, 2 unary, 3 power, 4 atom).
    fn expr(&mut self, id: ExprId, prec: u8) -> String {
        if let Some(name) = self.names.get(&id) {
            return name.clone();
        }
        let (text, own) = self.expr_inner(id);
        if own < prec {
            format!("({text})")
        } else {
            text
        }
    }

    fn constant(c: &Coeff) -> (String, u8) {
        if c.is_integer() {
            let text = format!("{}.0", c.numer());
            (text, if c.is_negative() { 2 } else { 4 })
        } else {
            (format!("{} / {}", c.numer(), c.denom()), 1)
        }
    }

    fn expr_inner(&mut self, id: ExprId) -> (String, u8) {
        let shape = self.shape(id);
        match self.graph.node(id).clone() {
            Node::Const(c) => Self::constant(&c),
            Node::Var(s) => (python_name(&self.graph.symbol(s).name), 4),
            Node::Identity(d) => (format!("np.eye({})", self.dim(d)), 4),
            Node::Ones(s) => (format!("np.ones({})", self.shape_args(s)), 4),
            Node::Zero(s) => (format!("np.zeros({})", self.shape_args(s)), 4),
            Node::Add(terms) => {
                let mut out = String::new();
                for (i, t) in terms.iter().enumerate() {
                    let (negative, positive) = match self.graph.node(*t).clone() {
                        Node::Scale(c, b) if c.is_negative() => (true, self.graph.scale(-c, b)),
                        Node::Const(c) if c.is_negative() => (true, self.graph.constant(-c)),
                        _ => (false, *t),
                    };
                    let text = self.expr(positive, if negative { 1 } else { 0 });
                    if i == 0 {
                        out = if negative { format!("-{text}") } else { text };
                    } else {
                        out.push_str(if negative { " - " } else { " + " });
                        out.push_str(&text);
                    }
                }
                (out, 0)
            }
            Node::Scale(c, b) => {
                let (number, _) = Self::constant(&c.abs());
                let body = self.expr(b, 2);
                let text = format!("{number} * {body}");
                if c.is_negative() {
                    (format!("-{text}"), 1)
                } else {
                    (text, 1)
                }
            }
            Node::Mul(factors) => {
                let (scalars, chain): (Vec<ExprId>, Vec<ExprId>) =
                    factors.iter().partition(|f| self.shape(**f).is_scalar() && !self.graph.is_inner_product(id));
                let chain = if chain.is_empty() { Vec::new() } else { chain };
                let mut parts: Vec<String> = scalars.iter().map(|s| self.expr(*s, 2)).collect();
                if !chain.is_empty() {
                    parts.push(self.chain(&chain));
                }
                (parts.join(" * "), 1)
            }
            Node::Hadamard(factors) => {
                let parts: Vec<String> = factors.iter().map(|f| self.expr(*f, 2)).collect();
                (parts.join(" * "), 1)
            }
            Node::Pow(b, e) => {
                let base = self.expr(b, 4);
                let exponent = match self.graph.node(e).clone() {
                    Node::Const(c) if c.is_integer() => {
                        let text = c.numer().to_string();
                        if c.is_negative() {
                            format!("({text})")
                        } else {
                            text
                        }
                    }
                    Node::Const(c) => format!("({} / {})", c.numer(), c.denom()),
                    _ => self.expr(e, 4),
                };
                let base = if self.graph.shape(b).is_scalar() && !matches!(self.graph.node(b), Node::Var(_)) {
                    format!("np.float64({base})")
                } else {
                    base
                };
                (format!("{base} ** {exponent}"), 3)
            }
            Node::Transpose(b) => {
                let inner = self.expr(b, 4);
                if self.shape(b).cols == Dim::ONE || self.shape(b).rows == Dim::ONE {
                    (inner, 4)
                } else {
                    (format!("{inner}.T"), 4)
                }
            }
            Node::Inverse(b) => {
                let inner = self.expr(b, 0);
                (format!("np.linalg.inv({inner})"), 4)
            }
            Node::Apply(f, b) => {
                let arg = self.expr(b, 0);
                (self.function(f, arg, shape), 4)
            }
            Node::Opaque(f, b) => {
                if !self.function_params.contains(&f) {
                    self.function_params.push(f);
                }
                let arg = self.expr(b, 0);
                (format!("{}({arg})", python_name(&self.graph.symbol(f).name)), 4)
            }
            Node::Upstream { loss, arg, .. } => {
                let arg_name = match self.graph.node(arg) {
                    Node::Var(s) => python_name(&self.graph.symbol(*s).name),
                    _ => format!("arg{}", arg.0),
                };
                let name = format!("d{}_d{}", python_name(&self.graph.symbol(loss).name), arg_name);
                if !self.upstream_params.contains(&name) {
                    self.upstream_params.push(name.clone());
                }
                (name, 4)
            }
        }
    }

    fn function(&mut self, f: Func, arg: String, _shape: Shape) -> String {
        match f {
            Func::Exp => format!("np.exp({arg})"),
            Func::Log => format!("np.log({arg})"),
            Func::Sin => format!("np.sin({arg})"),
            Func::Cos => format!("np.cos({arg})"),
            Func::Tan => format!("np.tan({arg})"),
            Func::Tanh => format!("np.tanh({arg})"),
            Func::Arcsin => format!("np.arcsin({arg})"),
            Func::Arccos => format!("np.arccos({arg})"),
            Func::Arctan => format!("np.arctan({arg})"),
            Func::Sqrt => format!("np.sqrt({arg})"),
            Func::Abs => format!("np.abs({arg})"),
            Func::Sign => format!("np.sign({arg})"),
            Func::Sigmoid => {
                self.helpers.insert("_sigmoid");
                format!("_sigmoid({arg})")
            }
            Func::Swish => {
                self.helpers.insert("_sigmoid");
                format!("(lambda t: t * _sigmoid(t))({arg})")
            }
            Func::Relu => format!("np.maximum({arg}, 0.0)"),
            Func::Step => format!("np.heaviside({arg}, 0.0)"),
            Func::Softplus => format!("np.logaddexp(0.0, {arg})"),
            Func::Trace => format!("np.trace({arg})"),
            Func::Det => format!("np.linalg.det({arg})"),
            Func::LogDet => format!("np.linalg.slogdet({arg})[1]"),
            Func::Sum => format!("np.sum({arg})"),
            Func::Norm2 => format!("np.sum(np.square({arg}))"),
            Func::Norm => format!("np.linalg.norm({arg})"),
            Func::Norm1 => format!("np.sum(np.abs({arg}))"),
            Func::DiagMat | Func::DiagVec => format!("np.diag({arg})"),
            Func::Softmax => {
                self.helpers.insert("_softmax");
                format!("_softmax({arg})")
            }
            Func::LogSumExp => {
                self.helpers.insert("_logsumexp");
                format!("_logsumexp({arg})")
            }
        }
    }

    /// A matrix chain: right to left when it ends in a column vector, left
    /// to right otherwise; `np.outer` where a column meets a row.
    fn chain(&mut self, chain: &[ExprId]) -> String {
        let shapes: Vec<Shape> = chain.iter().map(|f| self.shape(*f)).collect();
        let texts: Vec<String> = chain.iter().map(|f| self.expr(*f, 4)).collect();
        let right_to_left = shapes.last().is_some_and(|s| s.cols == Dim::ONE) && !shapes[0].is_row();
        if right_to_left {
            let mut acc = texts[texts.len() - 1].clone();
            let mut acc_shape = shapes[shapes.len() - 1];
            for i in (0..chain.len() - 1).rev() {
                acc = product(&texts[i], shapes[i], &acc, acc_shape);
                acc_shape = Shape::new(shapes[i].rows, acc_shape.cols);
            }
            acc
        } else {
            let mut acc = texts[0].clone();
            let mut acc_shape = shapes[0];
            for i in 1..chain.len() {
                acc = product(&acc, acc_shape, &texts[i], shapes[i]);
                acc_shape = Shape::new(acc_shape.rows, shapes[i].cols);
            }
            acc
        }
    }
}

fn product(a: &str, a_shape: Shape, b: &str, b_shape: Shape) -> String {
    let _ = b_shape;
    if a_shape.cols == Dim::ONE {
        format!("np.outer({a}, {b})")
    } else {
        format!("({a} @ {b})")
    }
}

/// Converts a coefficient to a Python float literal (for tests).
pub fn float_literal(c: &Coeff) -> String {
    format!("{}", coeff::to_f64(c))
}
