//! NumPy code generation: one Python function whose parameters are the
//! program's free variables (vectors as 1-D arrays), the opaque functions
//! and upstream gradients the result uses, and the dimension sizes no
//! argument carries; it computes each named definition and each shared
//! subterm once, in the form `plan` chooses (cheapest product order, solves
//! for applied inverses, broadcasting for diagonal matrices), in NumPy, JAX
//! or PyTorch (`library`). Every Python name comes from `python_names`.

mod cost;
mod distribute;
mod kron;
mod library;
mod plan;
mod product;
mod solves;
mod sums;

use kron::named_factors;
use library::helper_source;
pub use library::Library;
use product::bracketed;

use std::collections::{BTreeMap, BTreeSet};

use plan::{Plan, Sizes, Split, Step};

use crate::coeff::{self, Coeff};
use crate::ir::{ExprId, FastMap, Func, Graph, Node, Role, SymbolId};
use crate::shape::{Dim, Shape};
use num_traits::Signed;

use super::python_names::{self, PythonNames};

/// The ASCII spelling of a matcalc name for Python (`α` → `alpha`,
/// `lambda` → `lambda_`), used for the generated function's own name; the
/// names inside the function come from [`PythonNames`].
pub fn python_name(name: &str) -> String {
    python_names::spelling(name)
}

/// The name of the function computing a derivative with respect to `wrt`:
/// `grad_` (or `jacobian_`) and the Python name `wrt` has inside it, so
/// derivatives with respect to different variables never share a name
/// (`grad_alpha` and `grad_alpha_2` for `alpha` and `α`).
pub fn derivative_function_name(graph: &Graph, wrt: SymbolId, jacobian: bool) -> String {
    let prefix = if jacobian { "jacobian" } else { "grad" };
    format!("{prefix}_{}", PythonNames::for_graph(graph).symbol(wrt))
}

/// What a parameter of the generated function stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parameter {
    /// The program's free variable.
    Input(SymbolId),
    /// An opaque function, passed as a Python callable.
    Function(SymbolId),
    /// The upstream gradient node (`Node::Upstream`) left in the result.
    Upstream(ExprId),
    /// The size of a dimension no argument's shape carries (an integer).
    Dimension(Dim),
}

/// A generated Python function: its source and its parameters in order.
#[derive(Clone, Debug)]
pub struct PythonFunction {
    /// The Python source (the library's import and one `def`).
    pub source: String,
    /// Each parameter's Python name and what it stands for, in order.
    pub parameters: Vec<(String, Parameter)>,
}

/// The Python source of a function `function_name` returning `root`.
pub fn render(graph: &mut Graph, root: ExprId, function_name: &str, docstring: &str, library: Library) -> String {
    render_function(graph, root, function_name, docstring, library).source
}

/// The Python function `function_name` returning `root`, with `docstring`
/// (the result as text) and a note on each parameter whose name or meaning
/// is not the program's own. Parameters: the free variables in declaration
/// order, the opaque functions the result calls, the upstream gradients
/// (`df_dz`), then the dimension sizes no argument's shape carries.
pub fn render_function(
    graph: &mut Graph,
    root: ExprId,
    function_name: &str,
    docstring: &str,
    library: Library,
) -> PythonFunction {
    render_results(graph, &[root], function_name, docstring, false, library)
}

/// The Python function `function_name` returning the tuple of `results`
/// (a value and its derivatives), computing each subterm they share once,
/// after asserting every argument's shape (sizes read from the first
/// argument that carries them); parameters as in [`render_function`].
pub fn render_value_and_derivatives(
    graph: &mut Graph,
    results: &[ExprId],
    function_name: &str,
    docstring: &str,
    library: Library,
) -> PythonFunction {
    render_results(graph, results, function_name, docstring, true, library)
}

fn render_results(
    graph: &mut Graph,
    results: &[ExprId],
    function_name: &str,
    docstring: &str,
    check_arguments: bool,
    library: Library,
) -> PythonFunction {
    let results: Vec<ExprId> = results.iter().map(|&r| distribute::applied_factors_distributed(graph, r)).collect();
    let results = &results[..];
    let names = PythonNames::for_graph(graph);
    let mut emitter = Emitter {
        graph,
        library,
        names,
        expr_names: FastMap::default(),
        helpers: BTreeMap::new(),
        upstream: Vec::new(),
        dimension_params: Vec::new(),
        function_params: BTreeSet::new(),
        dim_names: FastMap::default(),
        lines: Vec::new(),
        scipy_linalg: false,
        pending_dims: FastMap::default(),
        plan: Plan::default(),
    };
    if check_arguments {
        emitter.emit_argument_checks();
    }
    let definitions = emitter.prepare(results);
    let returned = emitter.emit_chosen_form(&definitions, results);
    let mut parameters: Vec<(String, Parameter)> = Vec::new();
    for (sid, symbol) in emitter.graph.symbols() {
        if matches!(symbol.role, Role::Input { .. }) {
            parameters.push((emitter.names.symbol(sid).to_string(), Parameter::Input(sid)));
        }
    }
    for f in &emitter.function_params {
        parameters.push((emitter.names.symbol(*f).to_string(), Parameter::Function(*f)));
    }
    for (id, name) in &emitter.upstream {
        parameters.push((name.clone(), Parameter::Upstream(*id)));
    }
    for (d, name) in &emitter.dimension_params {
        parameters.push((name.clone(), Parameter::Dimension(*d)));
    }
    let notes = emitter.parameter_notes(&parameters);
    let mut out = Library::Numpy.import().to_string();
    if emitter.scipy_linalg {
        out.push_str("\nimport jax.scipy.linalg");
    }
    out.push_str("\n\n\n");
    let list: Vec<&str> = parameters.iter().map(|(n, _)| n.as_str()).collect();
    out.push_str(&format!("def {function_name}({}):\n", list.join(", ")));
    // The result on one line: definitions (`t1 = …`) joined by `;`, as a
    // program writes them.
    let joined = docstring.lines().collect::<Vec<_>>().join("; ");
    let docstring: String = if joined.chars().count() > 240 {
        let first: String = joined.chars().take(200).collect();
        format!("{first} …")
    } else {
        joined
    };
    let docstring = if notes.is_empty() {
        python_docstring(&docstring)
    } else {
        let mut text = python_docstring(&docstring);
        text.push('\n');
        for note in &notes {
            text.push_str(&format!("\n    {}", python_docstring(note)));
        }
        text.push_str("\n    ");
        text
    };
    out.push_str(&format!("    \"\"\"{docstring}\"\"\"\n"));
    for (helper, name) in &emitter.helpers {
        out.push_str(&helper_source(helper, name, library));
    }
    for line in &emitter.lines {
        out.push_str(&format!("    {line}\n"));
    }
    out.push_str(&format!("    return {returned}\n"));
    PythonFunction { source: library.finish(&out), parameters }
}

/// Generated functions' sources as one: their import lines once, at the
/// top, then each function.
pub fn join_sources(sources: &[String]) -> String {
    let mut imports: Vec<&str> = Vec::new();
    let mut bodies: Vec<&str> = Vec::new();
    for source in sources {
        let mut body = source.as_str();
        while let Some(line) = body.lines().next().filter(|l| l.starts_with("import ")) {
            if !imports.contains(&line) {
                imports.push(line);
            }
            body = body[line.len()..].trim_start_matches('\n');
        }
        bodies.push(body.trim_end());
    }
    format!("{}\n\n\n{}\n", imports.join("\n"), bodies.join("\n\n\n"))
}

/// The NumPy source `numpy` for JAX: `jax.numpy` as `jnp` for NumPy.
pub fn jax_source(numpy: &str) -> String {
    library::renamed(numpy, "jnp")
}

/// Text safe inside a `"""` docstring: backslashes and quotes escaped.
fn python_docstring(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

struct Emitter<'g> {
    graph: &'g mut Graph,
    /// The library the source is for.
    library: Library,
    /// Every Python name of the function.
    names: PythonNames,
    /// Subterms computed into a local (definitions and temporaries).
    expr_names: FastMap<ExprId, String>,
    /// The helper functions used (`sigmoid`), with their Python names.
    helpers: BTreeMap<&'static str, String>,
    /// The upstream gradients left in the result, with their parameter names.
    upstream: Vec<(ExprId, String)>,
    /// The dimension sizes passed as parameters.
    dimension_params: Vec<(Dim, String)>,
    /// The opaque functions the result calls.
    function_params: BTreeSet<SymbolId>,
    /// The Python name of each dimension size used.
    dim_names: FastMap<Dim, String>,
    lines: Vec<String>,
    /// Whether the JAX source calls `jax.scipy.linalg` (an LU factorisation).
    scipy_linalg: bool,
    /// Sizes read from an argument (`n = x.shape[0]`), written at first use.
    pending_dims: FastMap<Dim, String>,
    /// The form each subterm is computed in.
    plan: Plan,
}

impl Emitter<'_> {
    /// Names the upstream-gradient parameters and the dimension sizes, and
    /// returns the definitions `results` use, in definition order.
    fn prepare(&mut self, results: &[ExprId]) -> Vec<SymbolId> {
        let mut reachable: Vec<ExprId> = Vec::new();
        for &root in results {
            reachable.extend(self.graph.reachable(root));
        }
        reachable.sort();
        reachable.dedup();
        // Definitions reachable from the root, in definition order.
        let mut definitions: Vec<SymbolId> = Vec::new();
        // Dimensions used by constants.
        let mut dims: BTreeSet<Dim> = BTreeSet::new();
        for &id in &reachable {
            match self.graph.node(id).clone() {
                Node::Var(s) if matches!(self.graph.symbol(s).role, Role::Definition(_)) => definitions.push(s),
                Node::Identity(d) => {
                    dims.extend(named_factors(d));
                }
                Node::Commutation(m, n) => {
                    dims.extend(named_factors(m).into_iter().chain(named_factors(n)));
                }
                Node::Duplication(n) => {
                    dims.extend(named_factors(n));
                }
                // Applied to a vector, a Kronecker product reshapes by its factors' sizes.
                Node::Kron(p, q) => {
                    for f in [p, q] {
                        let s = self.graph.shape(f);
                        dims.extend(named_factors(s.rows).into_iter().chain(named_factors(s.cols)));
                    }
                }
                Node::Ones(s) | Node::Zero(s) => {
                    dims.extend(named_factors(s.rows).into_iter().chain(named_factors(s.cols)));
                }
                Node::Upstream { loss, arg, .. } => {
                    let arg_name = match self.graph.node(arg) {
                        Node::Var(s) => self.names.symbol(*s).to_string(),
                        _ => "arg".to_string(),
                    };
                    let base = format!("d{}_d{arg_name}", self.names.symbol(loss));
                    let name = self.names.fresh(&base);
                    self.upstream.push((id, name.clone()));
                    self.expr_names.insert(id, name);
                }
                _ => {}
            }
        }
        self.upstream.sort();
        definitions.sort();
        definitions.dedup();
        for d in dims {
            if self.dim_names.contains_key(&d) {
                continue;
            }
            if let Dim::Named(id) = d {
                let name = self.names.fresh(&self.graph.dim_names()[id.0 as usize].clone());
                if let Some(source) = self.dimension_source(d) {
                    // Read where first used (a broadcast or a sum may need none).
                    self.pending_dims.insert(d, format!("{name} = {source}"));
                } else {
                    self.dimension_params.push((d, name.clone()));
                }
                self.dim_names.insert(d, name);
            }
        }
        definitions
    }

    /// The plan of the function computing `definitions` and `results` (a
    /// fresh one, assuming the sizes `assumed`), its steps in evaluation order.
    fn planned_steps(&mut self, definitions: &[SymbolId], results: &[ExprId], assumed: &Sizes) -> Vec<Step> {
        let mut roots: Vec<(ExprId, Option<SymbolId>)> =
            definitions.iter().filter_map(|s| self.graph.definition_value(*s).map(|v| (v, Some(*s)))).collect();
        roots.extend(results.iter().map(|r| (*r, None)));
        self.plan = Plan::default();
        self.plan.assumed = assumed.clone();
        self.plan(&roots)
    }

    /// Emits the definitions and the shared subterms of `results` as
    /// planned (assuming the sizes `assumed`), and returns what the function returns.
    fn emit_body(&mut self, definitions: &[SymbolId], results: &[ExprId], assumed: &Sizes) -> String {
        let steps = self.planned_steps(definitions, results, assumed);
        // Each result is used once more, by the return.
        for &r in results {
            let r = self.norm(r);
            *self.plan.uses.entry(r).or_default() += 1;
        }
        let stacks = self.solve_groups(&steps);
        for (i, step) in steps.iter().enumerate() {
            self.emit_stacked_solves(&stacks, i);
            match *step {
                Step::Definition(s, value) => self.emit_definition(s, value),
                Step::Node(id) => {
                    let defined_next = matches!(steps.get(i + 1), Some(Step::Definition(_, v)) if *v == id);
                    let uses = self.plan.uses.get(&id).copied().unwrap_or(0);
                    if defined_next || uses < 2 || !self.worth_naming(id) {
                        continue;
                    }
                    if self.expr_names.contains_key(&id) || self.plan.views.contains_key(&id) {
                        continue;
                    }
                    let text = self.expr(id, 0);
                    let name = self.names.temporary();
                    self.lines.push(format!("{name} = {text}"));
                    self.expr_names.insert(id, name);
                }
            }
        }
        let mut returned = Vec::new();
        for &root in results {
            let shape = self.graph.shape(root);
            let constant = matches!(self.graph.node(root), Node::Const(_));
            let text = self.expr(root, 0);
            returned.push(if shape.rows == Dim::ONE && shape.cols != Dim::ONE {
                // A row (the Jacobian of a scalar): a 1×n array, not a 1-D vector.
                format!("np.reshape({text}, (1, -1))")
            } else if constant && self.library == Library::Torch {
                // Tensors out: a number returned is a tensor.
                format!("torch.as_tensor({text}{})", self.like())
            } else {
                text
            });
        }
        returned.join(", ")
    }

    /// Asserts each free variable's shape (a vector is 1-D, a scalar 0-D),
    /// reading each size from the first argument that carries it.
    fn emit_argument_checks(&mut self) {
        let inputs: Vec<(String, Shape)> = self
            .graph
            .symbols()
            .filter(|(_, symbol)| matches!(symbol.role, Role::Input { .. }))
            .map(|(sid, symbol)| (self.names.symbol(sid).to_string(), symbol.shape))
            .collect();
        for (name, shape) in inputs {
            let axes: Vec<Dim> = match (shape.rows == Dim::ONE, shape.cols == Dim::ONE) {
                (true, true) => Vec::new(),
                (false, true) => vec![shape.rows],
                (true, false) => vec![shape.cols],
                (false, false) => vec![shape.rows, shape.cols],
            };
            let declared: Vec<String> =
                axes.iter().map(|d| crate::shape::dim_name(*d, self.graph.dim_names())).collect();
            let declared = match declared.len() {
                0 => "be a scalar".to_string(),
                1 => format!("have shape ({},)", declared[0]),
                _ => format!("have shape ({})", declared.join(", ")),
            };
            // Sizes seen first here are read (after checking the number of
            // axes); any other (a fixed size, one read before, or the second
            // axis of an n×n matrix) is checked.
            let read = axes.iter().any(|d| matches!(d, Dim::Named(_)) && !self.dim_names.contains_key(d));
            let torch = self.library == Library::Torch;
            if read || axes.is_empty() {
                let ndim = if torch { format!("{name}.ndim") } else { format!("np.ndim({name})") };
                self.lines.push(format!("assert {ndim} == {}, \"{name} must {declared}\"", axes.len()));
            }
            let shape = if torch { format!("{name}.shape") } else { format!("np.shape({name})") };
            let mut check = false;
            for (axis, d) in axes.iter().enumerate() {
                match d {
                    Dim::Named(id) if !self.dim_names.contains_key(d) => {
                        let size = self.names.fresh(&self.graph.dim_names()[id.0 as usize].clone());
                        self.lines.push(format!("{size} = {shape}[{axis}]"));
                        self.dim_names.insert(*d, size);
                    }
                    _ => check = true,
                }
            }
            if check {
                let sizes: Vec<String> = axes.iter().map(|d| self.dim(*d)).collect();
                let tuple =
                    if sizes.len() == 1 { format!("({},)", sizes[0]) } else { format!("({})", sizes.join(", ")) };
                self.lines.push(format!("assert {shape} == {tuple}, \"{name} must {declared}\""));
            }
        }
    }

    fn emit_definition(&mut self, s: SymbolId, value: ExprId) {
        let name = self.names.symbol(s).to_string();
        let text = self.expr(value, 0);
        self.lines.push(format!("{name} = {text}"));
        let var = self.graph.var(s);
        self.expr_names.insert(var, name.clone());
        self.expr_names.entry(value).or_insert(name);
    }

    /// The array arguments' names and shapes: the free variables, then the
    /// upstream gradients.
    fn array_arguments(&self) -> Vec<(String, Shape)> {
        let inputs = self
            .graph
            .symbols()
            .filter(|(_, symbol)| matches!(symbol.role, Role::Input { .. }))
            .map(|(sid, symbol)| (self.names.symbol(sid).to_string(), symbol.shape));
        let upstream = self.upstream.iter().map(|(id, name)| (name.clone(), self.graph.shape(*id)));
        inputs.chain(upstream).collect()
    }

    /// `x.shape[0]` for the first argument (a free variable, then an upstream
    /// gradient) whose shape carries `d`.
    fn dimension_source(&self, d: Dim) -> Option<String> {
        for (name, shape) in self.array_arguments() {
            if shape.rows == d {
                return Some(format!("{name}.shape[0]"));
            }
            if shape.cols == d {
                return Some(format!("{name}.shape[1]"));
            }
        }
        None
    }

    /// A note for each parameter whose name or meaning the docstring's text
    /// does not show: a renamed variable, an upstream gradient, a size.
    fn parameter_notes(&mut self, parameters: &[(String, Parameter)]) -> Vec<String> {
        let mut notes = Vec::new();
        for (name, parameter) in parameters {
            match *parameter {
                Parameter::Input(s) | Parameter::Function(s) => {
                    let own = &self.graph.symbol(s).name;
                    if own != name {
                        notes.push(format!("{name}: {own}"));
                    }
                }
                Parameter::Upstream(id) => {
                    if let Node::Upstream { loss, arg, .. } = self.graph.node(id).clone() {
                        let loss = self.graph.symbol(loss).name.clone();
                        let arg = super::render(self.graph, arg, &super::text::Text, usize::MAX);
                        let arg: String = if arg.chars().count() > 60 {
                            arg.chars().take(60).chain(" …".chars()).collect()
                        } else {
                            arg
                        };
                        notes.push(format!("{name}: the upstream gradient grad({loss}, {arg})"));
                    }
                }
                Parameter::Dimension(Dim::Named(id)) => {
                    let own = &self.graph.dim_names()[id.0 as usize];
                    notes.push(format!("{name}: the size {own} (an integer)"));
                }
                Parameter::Dimension(Dim::Fixed(_) | Dim::Product(_)) => {}
            }
        }
        notes
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

    fn dim(&mut self, d: Dim) -> String {
        if let Some(line) = self.pending_dims.remove(&d) {
            self.lines.push(line);
        }
        match d {
            Dim::Fixed(n) => n.to_string(),
            Dim::Named(_) => self.dim_names.get(&d).cloned().unwrap_or_else(|| "1".to_string()),
            Dim::Product(p) => {
                let fixed = (p.fixed() != 1).then(|| p.fixed().to_string());
                let named: Vec<String> = p.named().iter().map(|id| self.dim(Dim::Named(*id))).collect();
                let triangles: Vec<String> = p
                    .triangles()
                    .iter()
                    .map(|id| {
                        let k = self.dim(Dim::Named(*id));
                        format!("({k} * ({k} + 1) // 2)")
                    })
                    .collect();
                fixed.into_iter().chain(named).chain(triangles).collect::<Vec<_>>().join(" * ")
            }
        }
    }

    fn shape_args(&mut self, s: Shape) -> String {
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
        let (text, own) = self.expr_with_prec(id);
        bracketed(text, own, prec)
    }

    /// `id` as written at its own precedence, and that precedence: a
    /// caller that needs the text in two contexts writes it once.
    fn expr_with_prec(&mut self, id: ExprId) -> (String, u8) {
        let id = self.norm(id);
        if let Some(name) = self.expr_names.get(&id) {
            return (name.clone(), 4);
        }
        match self.plan.views.get(&id) {
            Some(&rep) => (format!("{}.T", self.expr(rep, 4)), 4),
            None => self.expr_inner(id),
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
        if let Some(text) = self.scaled_outer_product(id) {
            return (text, 4);
        }
        let shape = self.shape(id);
        match self.graph.node(id).clone() {
            Node::Const(c) => Self::constant(&c),
            Node::Var(s) => (self.names.symbol(s).to_string(), 4),
            Node::Identity(d) => (format!("np.eye({}{})", self.dim(d), self.like()), 4),
            Node::Commutation(m, n) => self.commutation(id, m, n),
            Node::Duplication(n) => self.duplication(id, n),
            Node::Kron(a, b) => self.kron(shape, a, b),
            Node::Ones(s) => (format!("np.ones({}{})", self.shape_args(s), self.like()), 4),
            Node::Zero(s) => (format!("np.zeros({}{})", self.shape_args(s), self.like()), 4),
            Node::Add(terms) => (self.sum(id, &terms), 0),
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
            Node::Mul(_) => {
                let (scalars, chain) = self.chain_parts(id);
                let mut parts: Vec<String> = scalars.iter().map(|s| self.expr(*s, 2)).collect();
                if chain.is_empty() {
                    return (parts.join(" * "), 1);
                }
                let (text, prec) = self.chain(id, &chain);
                if parts.is_empty() {
                    return (text, prec);
                }
                parts.push(if prec < 2 { format!("({text})") } else { text });
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
                    match self.library {
                        Library::Torch => format!("torch.as_tensor({base}{})", self.like()),
                        _ => format!("np.float64({base})"),
                    }
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
            Node::Inverse(b) => match self.graph.node(b).clone() {
                // `A^-T` is the transpose of `A^-1`: one inverse for both.
                Node::Transpose(a) => {
                    let inverse = self.graph.inverse(a);
                    (format!("{}.T", self.expr(inverse, 4)), 4)
                }
                _ => {
                    let inner = self.expr(b, 0);
                    (format!("np.linalg.inv({inner})"), 4)
                }
            },
            Node::Apply(Func::Swish, b) => {
                // `z * sigmoid(z)`: the sigmoid is the derivative's too.
                let sigmoid = self.graph.apply(Func::Sigmoid, b);
                (format!("{} * {}", self.argument(b, 2), self.expr(sigmoid, 2)), 1)
            }
            Node::Apply(f, b) => {
                // A template calling a method of its argument (`$0.T…`) needs it atomic.
                let prec = if self.template(f).starts_with("$0") { 4 } else { 0 };
                let arg = self.argument(b, prec);
                (self.function(f, arg, shape), 4)
            }
            Node::Opaque(f, b) => {
                self.function_params.insert(f);
                let arg = self.expr(b, 0);
                (format!("{}({arg})", self.names.symbol(f)), 4)
            }
            // Every upstream gradient is a parameter, named in `emit_body`.
            Node::Upstream { .. } => (self.expr_names.get(&id).cloned().unwrap_or_default(), 4),
        }
    }

    /// `v` for a product `v ones(k)^T` (`false`: `v` repeated in columns) or
    /// `ones(k) v^T` (`true`: repeated in rows).
    fn broadcast(&self, id: ExprId) -> Option<(ExprId, bool)> {
        let Node::Mul(factors) = self.graph.node(id) else { return None };
        let ones = |f: ExprId| matches!(self.graph.node(f), Node::Ones(_));
        match factors[..] {
            [v, o] if ones(o) && self.shape(o).is_row() && self.shape(v).is_column() && !ones(v) => Some((v, false)),
            [o, v] if ones(o) && self.shape(o).is_column() && self.shape(v).is_row() && !ones(v) => Some((v, true)),
            _ => None,
        }
    }

    /// A product chain, evaluated as planned.
    fn chain(&mut self, id: ExprId, chain: &[ExprId]) -> (String, u8) {
        if chain.len() == 1 {
            return (self.expr(chain[0], 4), 4);
        }
        if let Some(text) = self.chain_with_unvec(chain) {
            return text;
        }
        match self.split(id, chain) {
            Split::MultiDot => {
                let texts: Vec<String> = chain.iter().map(|f| self.expr(*f, 0)).collect();
                (format!("np.linalg.multi_dot([{}])", texts.join(", ")), 4)
            }
            Split::At(k) => {
                let (left, right) = (self.segment(&chain[..=k]), self.segment(&chain[k + 1..]));
                if left == id || right == id {
                    // Not a smaller product (never expected): left to right.
                    let mut acc = self.expr(chain[0], 4);
                    for f in &chain[1..] {
                        let next = self.expr(*f, 4);
                        acc = format!("({acc} @ {next})");
                    }
                    return (acc, 4);
                }
                let shapes = (self.segment_shape(&chain[..=k]), self.segment_shape(&chain[k + 1..]));
                self.product(left, right, shapes)
            }
        }
    }
}

/// Converts a coefficient to a Python float literal (for tests).
pub fn float_literal(c: &Coeff) -> String {
    format!("{}", coeff::to_f64(c))
}
