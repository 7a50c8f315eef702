//! The expression graph: a hash-consed, append-only arena of `Node`s.
//!
//! Invariants:
//! - children precede parents (`ExprId`s of children are smaller);
//! - equal nodes get one `ExprId` (hash-consing), so equality is `==` on ids;
//! - every node's shape is known and stored beside it;
//! - no spans, no pest types: provenance lives in `lower`'s side table;
//! - nodes are built only through the canonicalising constructors in
//!   `simplify`, so every stored node is in canonical form.

mod dense;
mod measure;
mod small;

pub(crate) use dense::IdMap;
pub(crate) use small::SmallMap;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::coeff::Coeff;
use crate::shape::{Dim, DimId, Shape};

/// The id of a node in a [`Graph`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

/// The id of a symbol (variable, definition or opaque function).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolId(pub u32);

/// What a symbol stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// A free variable; `symmetric` for `symmetric(n)` declarations.
    Input {
        /// Declared `symmetric`.
        symmetric: bool,
    },
    /// A named intermediate `name = value`.
    Definition(ExprId),
    /// An opaque differentiable scalar function.
    Function,
}

/// A named thing of the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// The user's name.
    pub name: String,
    /// Its shape (for functions: the shape of the result, 1×1).
    pub shape: Shape,
    /// What it stands for.
    pub role: Role,
}

pub use crate::ops::Func;

/// A node of the graph; children are ids of earlier nodes. The child lists
/// are shared (`Arc`): passes clone a node to match on it while building
/// others, and a clone is then a count, not a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// An exact scalar constant.
    Const(Coeff),
    /// A variable or a named definition.
    Var(SymbolId),
    /// The n×n identity.
    Identity(Dim),
    /// A matrix or vector of ones.
    Ones(Shape),
    /// A zero matrix or vector (a scalar zero is `Const(0)`).
    Zero(Shape),
    /// A sum; children sorted; scalar children broadcast over the shape.
    Add(Arc<[ExprId]>),
    /// A product: scalar factors first (sorted), then the matrix chain in order.
    Mul(Arc<[ExprId]>),
    /// `c · e` with c ∉ {0, 1} and e neither a constant nor a `Scale`.
    Scale(Coeff, ExprId),
    /// Hadamard product of equal-shaped children, sorted.
    Hadamard(Arc<[ExprId]>),
    /// Elementwise power `base .^ exponent` (exponent scalar).
    Pow(ExprId, ExprId),
    /// Transpose of a leaf-like node.
    Transpose(ExprId),
    /// Inverse of a square matrix.
    Inverse(ExprId),
    /// A built-in function.
    Apply(Func, ExprId),
    /// An opaque scalar function applied to an argument.
    Opaque(SymbolId, ExprId),
    /// The Kronecker product `kron(A, B)`, neither factor 1×1.
    Kron(ExprId, ExprId),
    /// The commutation matrix `K(m, n)`: K(m, n) vec(A) = vec(Aᵀ) for an
    /// m×n A; neither size 1.
    Commutation(Dim, Dim),
    /// The duplication matrix `D(n)`: D(n) vech(S) = vec(S) for a
    /// symmetric n×n S (vech stacking the lower triangle by columns), of
    /// size n² × n(n+1)/2; n a fixed size above 1.
    Duplication(Dim),
    /// The upstream gradient ∂loss/∂arg through the opaque `function`.
    Upstream {
        /// The name the loss is known by (definition or function).
        loss: SymbolId,
        /// The opaque function.
        function: SymbolId,
        /// The argument the gradient is taken with respect to.
        arg: ExprId,
    },
}

/// Hashes a node by its fields, a constant by its numerator and denominator
/// (exact constants are always in lowest terms, so equal constants hash
/// alike; `Ratio`'s own hash expands a continued fraction, with a division
/// per step).
impl Hash for Node {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Node::Const(c) => hash_coeff(c, state),
            Node::Scale(c, e) => {
                hash_coeff(c, state);
                e.hash(state);
            }
            Node::Var(s) => s.hash(state),
            Node::Identity(d) | Node::Duplication(d) => d.hash(state),
            Node::Commutation(m, n) => {
                m.hash(state);
                n.hash(state);
            }
            Node::Ones(s) | Node::Zero(s) => s.hash(state),
            Node::Add(children) | Node::Mul(children) | Node::Hadamard(children) => children.hash(state),
            Node::Pow(b, e) | Node::Kron(b, e) => {
                b.hash(state);
                e.hash(state);
            }
            Node::Transpose(e) | Node::Inverse(e) => e.hash(state),
            Node::Apply(f, e) => {
                f.hash(state);
                e.hash(state);
            }
            Node::Opaque(f, e) => {
                f.hash(state);
                e.hash(state);
            }
            Node::Upstream { loss, function, arg } => {
                loss.hash(state);
                function.hash(state);
                arg.hash(state);
            }
        }
    }
}

impl Node {
    /// The node with each child `c` replaced by `map(c)`; leaves stay.
    pub(crate) fn map_children(self, map: impl Fn(ExprId) -> ExprId) -> Node {
        match self {
            Node::Add(c) => Node::Add(c.iter().map(|x| map(*x)).collect()),
            Node::Mul(c) => Node::Mul(c.iter().map(|x| map(*x)).collect()),
            Node::Hadamard(c) => Node::Hadamard(c.iter().map(|x| map(*x)).collect()),
            Node::Scale(c, a) => Node::Scale(c, map(a)),
            Node::Pow(a, b) => Node::Pow(map(a), map(b)),
            Node::Kron(a, b) => Node::Kron(map(a), map(b)),
            Node::Transpose(a) => Node::Transpose(map(a)),
            Node::Inverse(a) => Node::Inverse(map(a)),
            Node::Apply(f, a) => Node::Apply(f, map(a)),
            Node::Opaque(s, a) => Node::Opaque(s, map(a)),
            Node::Upstream { loss, function, arg } => Node::Upstream { loss, function, arg: map(arg) },
            leaf => leaf,
        }
    }
}

fn hash_coeff<H: Hasher>(c: &Coeff, state: &mut H) {
    c.numer().hash(state);
    c.denom().hash(state);
}

/// The arena of nodes with their shapes, symbols and dimension names.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    shapes: Vec<Shape>,
    /// Each node's tree size and printed size, kept as it is interned.
    measures: Vec<measure::Measures>,
    memo: HashMap<Node, ExprId, BuildHasherDefault<FxHasher>>,
    symbols: Vec<Symbol>,
    /// The first symbol of each name (an index beside `symbols`).
    symbol_index: FastMap<String, SymbolId>,
    dim_names: Vec<String>,
    dim_index: FastMap<String, DimId>,
    definition_of: FastMap<ExprId, SymbolId>,
    /// The direction symbol dX of each variable X a differential was taken
    /// with respect to (see [`crate::diff::differential::direction`]).
    directions: FastMap<SymbolId, SymbolId>,
    oversized_constant: bool,
    oversized_dimension: bool,
    divides_by_zero: bool,
    /// Raised from another thread to stop the work on this graph (see
    /// [`crate::interrupt`]).
    interrupt: Option<Arc<AtomicBool>>,
    /// How many derivative operators are running (nested ones count).
    differentiating: u32,
    /// Work done while differentiating since the last
    /// [`Graph::reset_derivative_work`]: one per node built or looked up
    /// plus one per child, and one per node a dependence walk visits.
    derivative_work: u64,
}

pub use measure::NodeMeasure;

/// A point in a graph's growth that [`Graph::rollback`] returns to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphMark {
    nodes: usize,
    symbols: usize,
    dims: usize,
    oversized_constant: bool,
    oversized_dimension: bool,
    divides_by_zero: bool,
}

impl GraphMark {
    /// How many symbols the graph had.
    pub fn symbols(&self) -> usize {
        self.symbols
    }

    /// Whether the graph divided by zero then (see [`Graph::divides_by_zero`]).
    pub fn divides_by_zero(&self) -> bool {
        self.divides_by_zero
    }

    /// Whether the graph held an oversized constant then (see [`Graph::oversized_constant`]).
    pub fn oversized_constant(&self) -> bool {
        self.oversized_constant
    }
}

/// Largest exact constant kept, in bits of numerator and denominator
/// together (about 20 000 decimal digits); a larger one marks the graph
/// (see [`Graph::oversized_constant`]) instead of growing without bound.
pub const MAX_CONSTANT_BITS: u64 = 66_500;

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Makes room for `nodes` more nodes (their shapes and their interning)
    /// and `symbols` more symbols (their names' index).
    pub fn reserve(&mut self, nodes: usize, symbols: usize) {
        self.nodes.reserve(nodes);
        self.shapes.reserve(nodes);
        self.measures.reserve(nodes);
        self.memo.reserve(nodes);
        self.symbols.reserve(symbols);
        self.symbol_index.reserve(symbols);
    }

    /// The node behind `id`.
    pub fn node(&self, id: ExprId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// The shape of `id`.
    pub fn shape(&self, id: ExprId) -> Shape {
        self.shapes[id.0 as usize]
    }

    /// Number of nodes in the arena.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// `true` if the arena has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The symbol table entry.
    pub fn symbol(&self, id: SymbolId) -> &Symbol {
        &self.symbols[id.0 as usize]
    }

    /// All symbols in declaration order.
    pub fn symbols(&self) -> impl Iterator<Item = (SymbolId, &Symbol)> {
        self.symbols.iter().enumerate().map(|(i, s)| (SymbolId(i as u32), s))
    }

    /// Looks a symbol up by name.
    pub fn find_symbol(&self, name: &str) -> Option<SymbolId> {
        self.symbol_index.get(name).copied()
    }

    /// The current size of the graph, to return to with [`Graph::rollback`].
    pub fn mark(&self) -> GraphMark {
        GraphMark {
            nodes: self.nodes.len(),
            symbols: self.symbols.len(),
            dims: self.dim_names.len(),
            oversized_constant: self.oversized_constant,
            oversized_dimension: self.oversized_dimension,
            divides_by_zero: self.divides_by_zero,
        }
    }

    /// Forgets every node, symbol and dimension name added since `mark`
    /// (ids taken since then become invalid); costs what was added.
    pub fn rollback(&mut self, mark: GraphMark) {
        for i in mark.nodes..self.nodes.len() {
            self.memo.remove(&self.nodes[i]);
            self.definition_of.remove(&ExprId(i as u32));
        }
        self.nodes.truncate(mark.nodes);
        self.shapes.truncate(mark.nodes);
        self.measures.truncate(mark.nodes);
        for i in mark.symbols..self.symbols.len() {
            if let Role::Definition(value) = self.symbols[i].role {
                if self.definition_of.get(&value) == Some(&SymbolId(i as u32)) {
                    self.definition_of.remove(&value);
                }
            }
        }
        for i in mark.symbols..self.symbols.len() {
            if self.symbol_index.get(&self.symbols[i].name) == Some(&SymbolId(i as u32)) {
                self.symbol_index.remove(&self.symbols[i].name);
            }
        }
        self.directions.retain(|_, d| (d.0 as usize) < mark.symbols);
        self.symbols.truncate(mark.symbols);
        for name in self.dim_names.drain(mark.dims..) {
            self.dim_index.remove(&name);
        }
        self.oversized_constant = mark.oversized_constant;
        self.oversized_dimension = mark.oversized_dimension;
        self.divides_by_zero = mark.divides_by_zero;
    }

    /// Forgets every node and symbol added since `mark` except the nodes
    /// `result` is built from, which are interned again as they were (they
    /// are canonical already), and returns `result`'s new id; `None`, with
    /// everything since `mark` forgotten, if `result` uses a symbol added
    /// since then. A derivative operator that works with a scratch variable
    /// leaves no trace of it this way.
    pub fn keep_only_since(&mut self, mark: GraphMark, result: ExprId) -> Option<ExprId> {
        let mut kept = Vec::new();
        for n in self.reachable_without_definitions(result) {
            if (n.0 as usize) < mark.nodes {
                continue;
            }
            let node = self.node(n);
            let is_new = |s: &SymbolId| s.0 as usize >= mark.symbols;
            let uses_new_symbol = match node {
                Node::Var(s) | Node::Opaque(s, _) => is_new(s),
                Node::Upstream { loss, function, .. } => is_new(loss) || is_new(function),
                _ => false,
            };
            if uses_new_symbol {
                self.rollback(mark);
                return None;
            }
            kept.push((n, node.clone(), self.shape(n)));
        }
        let (oversized, divides_by_zero) = (self.oversized_constant, self.divides_by_zero);
        self.rollback(mark);
        self.oversized_constant |= oversized;
        self.divides_by_zero |= divides_by_zero;
        let mut written: FastMap<ExprId, ExprId> = FastMap::default();
        for (old, node, shape) in kept {
            let node = node.map_children(|c| *written.get(&c).unwrap_or(&c));
            let new = self.intern(node, shape);
            written.insert(old, new);
        }
        Some(*written.get(&result).unwrap_or(&result))
    }

    /// Makes work on this graph stop (by [`crate::interrupt::unwind`]) when
    /// `flag` is raised; `None` removes the flag.
    pub fn set_interrupt(&mut self, flag: Option<Arc<AtomicBool>>) {
        self.interrupt = flag;
    }

    /// Stops the work on this graph if its interrupt flag is raised.
    pub fn checkpoint(&self) {
        if self.interrupt.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)) {
            crate::interrupt::unwind();
        }
    }

    /// `true` if a dimension is named `name`.
    pub fn has_dim(&self, name: &str) -> bool {
        self.dim_index.contains_key(name)
    }

    /// Adds a symbol.
    pub fn add_symbol(&mut self, symbol: Symbol) -> SymbolId {
        if let Role::Definition(value) = symbol.role {
            self.definition_of.entry(value).or_insert(SymbolId(self.symbols.len() as u32));
        }
        let id = SymbolId(self.symbols.len() as u32);
        self.symbol_index.entry(symbol.name.clone()).or_insert(id);
        self.symbols.push(symbol);
        id
    }

    /// The direction symbol dX made for the variable `variable`, if any.
    pub fn direction_of(&self, variable: SymbolId) -> Option<SymbolId> {
        self.directions.get(&variable).copied()
    }

    /// Every (variable, direction symbol) pair made for differentials.
    pub fn directions(&self) -> impl Iterator<Item = (SymbolId, SymbolId)> + '_ {
        self.directions.iter().map(|(v, d)| (*v, *d))
    }

    /// Records `direction` as the direction symbol of `variable`.
    pub(crate) fn set_direction(&mut self, variable: SymbolId, direction: SymbolId) {
        self.directions.insert(variable, direction);
    }

    /// The definition whose value is `id`, if any.
    pub fn definition_of(&self, id: ExprId) -> Option<SymbolId> {
        self.definition_of.get(&id).copied()
    }

    /// The value of a definition symbol.
    pub fn definition_value(&self, symbol: SymbolId) -> Option<ExprId> {
        match self.symbol(symbol).role {
            Role::Definition(value) => Some(value),
            _ => None,
        }
    }

    /// Adds a dimension name, returning its id.
    pub fn add_dim(&mut self, name: String) -> DimId {
        if let Some(&id) = self.dim_index.get(&name) {
            return id;
        }
        let id = DimId(self.dim_names.len() as u32);
        self.dim_names.push(name.clone());
        self.dim_index.insert(name, id);
        id
    }

    /// Dimension names indexed by [`DimId`].
    pub fn dim_names(&self) -> &[String] {
        &self.dim_names
    }

    /// The children of a node, in order (a definition's value counts as the
    /// child of its variable).
    pub fn children(&self, id: ExprId) -> Vec<ExprId> {
        match self.node(id) {
            Node::Var(s) => self.definition_value(*s).into_iter().collect(),
            node => self.children_of_node(node),
        }
    }

    /// Calls `f` on each child of `id`, in the order of [`Graph::children`],
    /// without collecting them.
    pub fn for_each_child(&self, id: ExprId, mut f: impl FnMut(ExprId)) {
        match self.node(id) {
            Node::Var(s) => self.definition_value(*s).into_iter().for_each(f),
            Node::Add(c) | Node::Mul(c) | Node::Hadamard(c) => c.iter().copied().for_each(f),
            Node::Scale(_, a)
            | Node::Transpose(a)
            | Node::Inverse(a)
            | Node::Apply(_, a)
            | Node::Opaque(_, a)
            | Node::Upstream { arg: a, .. } => f(*a),
            Node::Pow(a, b) | Node::Kron(a, b) => {
                f(*a);
                f(*b);
            }
            Node::Const(_)
            | Node::Identity(_)
            | Node::Ones(_)
            | Node::Zero(_)
            | Node::Commutation(..)
            | Node::Duplication(_) => {}
        }
    }

    /// Replaces an oversized constant by a small one and marks the graph (see
    /// [`Graph::oversized_constant`]); constructors that multiply many
    /// coefficients call it after each product, so that no intermediate
    /// coefficient grows far past the limit.
    pub(crate) fn bound_constant(&mut self, c: &mut crate::coeff::Coeff) {
        if crate::coeff::digits(c) > MAX_CONSTANT_BITS {
            self.oversized_constant = true;
            *c = crate::coeff::int(2);
        }
    }

    /// Interns a node with its shape; returns the existing id for an equal
    /// node. Only the constructors in `simplify` call this.
    pub(crate) fn intern(&mut self, mut node: Node, shape: Shape) -> ExprId {
        self.checkpoint();
        if self.differentiating > 0 {
            let children = match &node {
                Node::Add(c) | Node::Mul(c) | Node::Hadamard(c) => c.len() as u64,
                _ => 1,
            };
            self.derivative_work += 1 + children;
        }
        // An oversized constant is replaced by a small one (the graph is
        // marked, and the caller reports the error), so that arithmetic on
        // it stays cheap.
        match &mut node {
            Node::Const(c) | Node::Scale(c, _) => self.bound_constant(c),
            // Zero to a negative power, revealed by simplification
            // (`tr(grad(1, A))^-1`): the program divides by zero.
            Node::Pow(base, exponent)
                if matches!(self.node(*exponent), Node::Const(e) if num_traits::Signed::is_negative(e))
                    && matches!(self.node(*base), Node::Zero(_) | Node::Const(_) if self.is_zero(*base)) =>
            {
                self.divides_by_zero = true;
            }
            _ => {}
        }
        // One hash and probe for both the lookup and the insertion.
        let id = ExprId(self.nodes.len() as u32);
        match self.memo.entry(node) {
            std::collections::hash_map::Entry::Occupied(existing) => *existing.get(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let node = slot.key().clone();
                slot.insert(id);
                debug_assert!(self.children_of_node(&node).iter().all(|c| *c < id), "children precede parents");
                self.nodes.push(node);
                self.shapes.push(shape);
                self.push_measures(id);
                id
            }
        }
    }

    fn children_of_node(&self, node: &Node) -> Vec<ExprId> {
        match node {
            Node::Add(c) | Node::Mul(c) | Node::Hadamard(c) => c.to_vec(),
            Node::Scale(_, a)
            | Node::Transpose(a)
            | Node::Inverse(a)
            | Node::Apply(_, a)
            | Node::Opaque(_, a)
            | Node::Upstream { arg: a, .. } => vec![*a],
            Node::Pow(a, b) | Node::Kron(a, b) => vec![*a, *b],
            _ => Vec::new(),
        }
    }

    /// Number of distinct nodes reachable from `root` (definitions included).
    pub fn size(&self, root: ExprId) -> usize {
        self.reachable(root).len()
    }

    /// Work done by derivative operators since the last
    /// [`Graph::reset_derivative_work`] (see [`crate::diff::MAX_DERIVATIVE_WORK`]).
    pub fn derivative_work(&self) -> u64 {
        self.derivative_work
    }

    /// Starts a new derivative work budget: the next command's derivative
    /// operators, together, may do [`crate::diff::MAX_DERIVATIVE_WORK`].
    pub fn reset_derivative_work(&mut self) {
        self.derivative_work = 0;
    }

    /// Counts `amount` of derivative work done outside the constructors.
    pub(crate) fn charge_derivative_work(&mut self, amount: u64) {
        if self.differentiating > 0 {
            self.derivative_work = self.derivative_work.saturating_add(amount);
        }
    }

    /// Marks the start (`true`) or end (`false`) of a derivative operator.
    pub(crate) fn set_differentiating(&mut self, starting: bool) {
        if starting {
            self.differentiating += 1;
        } else {
            self.differentiating = self.differentiating.saturating_sub(1);
        }
    }

    /// Whether a dimension product had more factors than a dimension holds
    /// ([`crate::shape::MAX_FACTORS`]); its node's shape is then wrong, and
    /// the command that built it fails.
    pub fn oversized_dimension(&self) -> bool {
        self.oversized_dimension
    }

    /// Marks a dimension product too large to hold.
    pub(crate) fn mark_oversized_dimension(&mut self) {
        self.oversized_dimension = true;
    }

    /// `true` once a constant beyond [`MAX_CONSTANT_BITS`] was built: the
    /// graph's values are then wrong and the result must be an error.
    pub fn oversized_constant(&self) -> bool {
        self.oversized_constant
    }

    /// `true` once zero was raised to a negative power: the program divides
    /// by zero and the result must be an error.
    pub fn divides_by_zero(&self) -> bool {
        self.divides_by_zero
    }

    /// Every node reachable from `root`, in increasing id order (children
    /// before parents).
    pub fn reachable(&self, root: ExprId) -> Vec<ExprId> {
        // Children have smaller ids than their parents, so `root` bounds
        // them, except a definition's value built after its name's node.
        let mut seen = vec![false; root.0 as usize + 1];
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if !mark(&mut seen, id) {
                continue;
            }
            self.for_each_child(id, |c| stack.push(c));
        }
        seen_ids(&seen)
    }

    /// `true` if `id` is a symmetric matrix by construction.
    pub fn is_symmetric(&self, id: ExprId) -> bool {
        let shape = self.shape(id);
        if !shape.is_square() {
            return false;
        }
        match self.node(id) {
            Node::Const(_) | Node::Identity(_) | Node::Zero(_) | Node::Ones(_) => true,
            Node::Var(s) => match self.symbol(*s).role {
                Role::Input { symmetric } => symmetric,
                Role::Definition(v) => self.is_symmetric(v),
                Role::Function => false,
            },
            Node::Apply(Func::DiagMat, _) => true,
            Node::Kron(a, b) => self.is_symmetric(*a) && self.is_symmetric(*b),
            Node::Add(c) | Node::Hadamard(c) => c.iter().all(|x| self.shape(*x).is_scalar() || self.is_symmetric(*x)),
            Node::Scale(_, a) | Node::Inverse(a) | Node::Pow(a, _) => self.is_symmetric(*a),
            Node::Apply(f, a) if f.is_elementwise() => self.is_symmetric(*a),
            Node::Mul(c) => {
                let chain: Vec<ExprId> = c.iter().copied().filter(|x| !self.shape(*x).is_scalar()).collect();
                let n = chain.len();
                (0..n / 2 + 1).all(|i| {
                    let j = n - 1 - i;
                    if i > j {
                        return true;
                    }
                    if i == j {
                        return self.is_symmetric(chain[i]);
                    }
                    self.is_transpose_pair(chain[i], chain[j])
                })
            }
            _ => false,
        }
    }

    /// `true` if `b` is the transpose of `a` (as canonical nodes).
    pub fn is_transpose_pair(&self, a: ExprId, b: ExprId) -> bool {
        match (self.node(a), self.node(b)) {
            (Node::Transpose(x), _) if *x == b => true,
            (_, Node::Transpose(y)) if *y == a => true,
            (Node::Inverse(x), Node::Inverse(y)) => self.is_transpose_pair(*x, *y),
            _ => a == b && self.is_symmetric(a),
        }
    }
}

/// A hash map with [`FxHasher`], for tables keyed by ids inside one run.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A hash set with [`FxHasher`].
pub type FastSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

/// A fast non-cryptographic hasher for the hash-consing table (the
/// multiply-rotate scheme of rustc's FxHasher).
#[derive(Clone, Copy, Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64);
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(x as u64);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The ids marked in `seen` (indexed by id), in increasing order.
pub(crate) fn seen_ids(seen: &[bool]) -> Vec<ExprId> {
    seen.iter().enumerate().filter(|(_, s)| **s).map(|(i, _)| ExprId(i as u32)).collect()
}

/// Marks `id` in `seen` (growing it if needed); `false` if it was marked.
pub(crate) fn mark(seen: &mut Vec<bool>, id: ExprId) -> bool {
    let i = id.0 as usize;
    if i >= seen.len() {
        seen.resize(i + 1, false);
    }
    !std::mem::replace(&mut seen[i], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Coefficients are stored inline (two BigInts, 64 bytes); anything larger is growth.
    fn node_stays_small() {
        assert!(std::mem::size_of::<Node>() <= 72, "Node is {} bytes", std::mem::size_of::<Node>());
    }
}
