//! A numeric evaluator for expression graphs at concrete points: dense
//! f64 matrices, used by `check`, `verify` and the property tests (never
//! by the symbolic passes).

use crate::coeff;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{ExprId, FastMap, Func, Graph, Node, Role, SymbolId};
use crate::ops;
use crate::shape::{Dim, Shape};

/// A dense row-major matrix; vectors are n×1, scalars 1×1.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Entries, row by row.
    pub data: Vec<f64>,
}

impl Matrix {
    /// A rows×cols matrix filled with `value`.
    pub fn filled(rows: usize, cols: usize, value: f64) -> Matrix {
        Matrix { rows, cols, data: vec![value; rows * cols] }
    }

    /// The 1×1 matrix holding `x`.
    pub fn scalar(x: f64) -> Matrix {
        Matrix { rows: 1, cols: 1, data: vec![x] }
    }

    /// The n×n identity.
    pub fn identity(n: usize) -> Matrix {
        let mut m = Matrix::filled(n, n, 0.0);
        for i in 0..n {
            m.data[i * n + i] = 1.0;
        }
        m
    }

    /// Entry (i, j).
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    /// The transpose.
    pub fn transpose(&self) -> Matrix {
        let mut t = Matrix::filled(self.cols, self.rows, 0.0);
        for i in 0..self.rows {
            for j in 0..self.cols {
                t.data[j * self.rows + i] = self.at(i, j);
            }
        }
        t
    }

    /// `true` for 1×1.
    pub fn is_scalar(&self) -> bool {
        self.rows == 1 && self.cols == 1
    }

    fn map(&self, f: impl Fn(f64) -> f64) -> Matrix {
        Matrix { rows: self.rows, cols: self.cols, data: self.data.iter().map(|x| f(*x)).collect() }
    }

    /// Elementwise combination with scalar broadcasting.
    pub fn zip(&self, other: &Matrix, f: impl Fn(f64, f64) -> f64) -> Result<Matrix> {
        if self.is_scalar() && !other.is_scalar() {
            return Ok(other.map(|y| f(self.data[0], y)));
        }
        if other.is_scalar() {
            return Ok(self.map(|x| f(x, other.data[0])));
        }
        if self.rows != other.rows || self.cols != other.cols {
            return Err(Error::bare(ErrorKind::Evaluation, "shape mismatch during evaluation"));
        }
        Ok(Matrix {
            rows: self.rows,
            cols: self.cols,
            data: self.data.iter().zip(&other.data).map(|(x, y)| f(*x, *y)).collect(),
        })
    }

    /// Matrix product (a 1×1 operand scales).
    pub fn matmul(&self, other: &Matrix) -> Result<Matrix> {
        if self.is_scalar() || other.is_scalar() {
            return self.zip(other, |x, y| x * y);
        }
        if self.cols != other.rows {
            return Err(Error::bare(ErrorKind::Evaluation, "inner dimensions differ during evaluation"));
        }
        let mut out = Matrix::filled(self.rows, other.cols, 0.0);
        for i in 0..self.rows {
            for k in 0..self.cols {
                let a = self.at(i, k);
                if a == 0.0 {
                    continue;
                }
                for j in 0..other.cols {
                    out.data[i * other.cols + j] += a * other.at(k, j);
                }
            }
        }
        Ok(out)
    }

    /// LU decomposition with partial pivoting: (LU, permutation sign), or
    /// `None` when singular.
    fn lu(&self) -> Option<(Matrix, f64, Vec<usize>)> {
        let n = self.rows;
        let mut a = self.clone();
        let mut perm: Vec<usize> = (0..n).collect();
        let mut sign = 1.0;
        for k in 0..n {
            let pivot = (k..n).max_by(|i, j| a.at(*i, k).abs().total_cmp(&a.at(*j, k).abs()))?;
            if a.at(pivot, k).abs() < 1e-300 {
                return None;
            }
            if pivot != k {
                for j in 0..n {
                    a.data.swap(k * n + j, pivot * n + j);
                }
                perm.swap(k, pivot);
                sign = -sign;
            }
            for i in k + 1..n {
                let factor = a.at(i, k) / a.at(k, k);
                a.data[i * n + k] = factor;
                for j in k + 1..n {
                    a.data[i * n + j] -= factor * a.at(k, j);
                }
            }
        }
        Some((a, sign, perm))
    }

    /// The determinant.
    pub fn det(&self) -> f64 {
        match self.lu() {
            Some((lu, sign, _)) => (0..self.rows).map(|i| lu.at(i, i)).product::<f64>() * sign,
            None => 0.0,
        }
    }

    /// The inverse, or an error when singular.
    pub fn inverse(&self) -> Result<Matrix> {
        let n = self.rows;
        let (lu, _, perm) =
            self.lu().ok_or_else(|| Error::bare(ErrorKind::Evaluation, "singular matrix during evaluation"))?;
        let mut inv = Matrix::filled(n, n, 0.0);
        for col in 0..n {
            let mut x: Vec<f64> = (0..n).map(|i| if perm[i] == col { 1.0 } else { 0.0 }).collect();
            for i in 0..n {
                for k in 0..i {
                    x[i] -= lu.at(i, k) * x[k];
                }
            }
            for i in (0..n).rev() {
                for k in i + 1..n {
                    x[i] -= lu.at(i, k) * x[k];
                }
                x[i] /= lu.at(i, i);
            }
            for (i, value) in x.iter().enumerate() {
                inv.data[i * n + col] = *value;
            }
        }
        Ok(inv)
    }

    /// The entries to 4 significant digits, row by row: `[[1.25, -3], [0.5, 2]]`
    /// (a vector or scalar on one level).
    pub fn compact(&self) -> String {
        let entry = |x: f64| -> String {
            if x == 0.0 || !x.is_finite() {
                return format!("{x}");
            }
            let magnitude = x.abs().log10().floor() as i32;
            if !(-4..6).contains(&magnitude) {
                return format!("{x:.3e}");
            }
            let text = format!("{x:.*}", (3 - magnitude).max(0) as usize);
            if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                text
            }
        };
        if self.rows == 1 || self.cols == 1 {
            let items: Vec<String> = self.data.iter().map(|x| entry(*x)).collect();
            return if items.len() == 1 { items[0].clone() } else { format!("[{}]", items.join(", ")) };
        }
        let rows: Vec<String> = (0..self.rows)
            .map(|i| {
                let items: Vec<String> = (0..self.cols).map(|j| entry(self.at(i, j))).collect();
                format!("[{}]", items.join(", "))
            })
            .collect();
        format!("[{}]", rows.join(", "))
    }

    /// The largest absolute entry.
    pub fn max_abs(&self) -> f64 {
        self.data.iter().fold(0.0, |m, x| m.max(x.abs()))
    }
}

/// Concrete values for a graph's symbols and dimensions.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// Values of input variables.
    pub values: FastMap<SymbolId, Matrix>,
    /// Sizes of named dimensions (by `DimId` index).
    pub dims: Vec<usize>,
    /// For each opaque function, the fixed gradient g of its linear
    /// realisation f(z) = ⟨g, z⟩, by argument shape.
    pub opaque_gradients: FastMap<(SymbolId, usize, usize), Matrix>,
}

impl Env {
    /// The concrete size of a dimension.
    pub fn size(&self, d: Dim) -> usize {
        let named = |id: crate::shape::DimId| self.dims.get(id.0 as usize).copied().unwrap_or(3) as u64;
        d.size(named).map_or(usize::MAX, |n| n as usize)
    }

    /// The concrete (rows, cols) of a shape.
    pub fn shape(&self, s: Shape) -> (usize, usize) {
        (self.size(s.rows), self.size(s.cols))
    }
}

/// Evaluates `root` at the point `env`.
pub fn evaluate(graph: &Graph, root: ExprId, env: &Env) -> Result<Matrix> {
    let mut memo = evaluate_all(graph, root, env)?;
    memo.remove(&root).ok_or_else(|| Error::bare(ErrorKind::Evaluation, "nothing to evaluate"))
}

/// The value of every node under `root` at the point `env`.
pub fn evaluate_all(graph: &Graph, root: ExprId, env: &Env) -> Result<FastMap<ExprId, Matrix>> {
    evaluate_all_adjusted(graph, root, env, &mut |_, _| {})
}

/// [`evaluate`], with `adjust` applied to each node's value before the
/// nodes above it use it (`verify` perturbs every computed value by a
/// relative amount far above rounding, to measure how much rounding the
/// evaluation amplifies).
pub fn evaluate_adjusted(
    graph: &Graph,
    root: ExprId,
    env: &Env,
    adjust: &mut dyn FnMut(&Node, &mut Matrix),
) -> Result<Matrix> {
    let mut memo = evaluate_all_adjusted(graph, root, env, adjust)?;
    memo.remove(&root).ok_or_else(|| Error::bare(ErrorKind::Evaluation, "nothing to evaluate"))
}

fn evaluate_all_adjusted(
    graph: &Graph,
    root: ExprId,
    env: &Env,
    adjust: &mut dyn FnMut(&Node, &mut Matrix),
) -> Result<FastMap<ExprId, Matrix>> {
    let mut memo: FastMap<ExprId, Matrix> = FastMap::default();
    for id in graph.reachable(root) {
        let mut value = evaluate_node(graph, id, env, &memo)?;
        adjust(graph.node(id), &mut value);
        memo.insert(id, value);
    }
    Ok(memo)
}

fn evaluate_node(graph: &Graph, id: ExprId, env: &Env, memo: &FastMap<ExprId, Matrix>) -> Result<Matrix> {
    graph.checkpoint();
    let get = |x: &ExprId| -> &Matrix { &memo[x] };
    let shape = env.shape(graph.shape(id));
    Ok(match graph.node(id) {
        Node::Const(c) => Matrix::scalar(coeff::to_f64(c)),
        Node::Var(s) => match graph.symbol(*s).role {
            // A definition's value, unless the point gives it one of its own
            // (a derivative with respect to the definition holds its inputs fixed).
            Role::Definition(v) => env.values.get(s).cloned().unwrap_or_else(|| get(&v).clone()),
            _ => env.values.get(s).cloned().ok_or_else(|| {
                Error::bare(ErrorKind::Evaluation, format!("no value for `{}`", graph.symbol(*s).name))
            })?,
        },
        Node::Identity(d) => Matrix::identity(env.size(*d)),
        Node::Commutation(m, n) => commutation(env.size(*m), env.size(*n)),
        Node::Duplication(n) => duplication(env.size(*n)),
        Node::Kron(a, b) => kron(get(a), get(b)),
        Node::Ones(_) => Matrix::filled(shape.0, shape.1, 1.0),
        Node::Zero(_) => Matrix::filled(shape.0, shape.1, 0.0),
        Node::Add(terms) => {
            let mut acc = Matrix::filled(shape.0, shape.1, 0.0);
            for t in terms.iter() {
                acc = acc.zip(get(t), |x, y| x + y)?;
            }
            acc
        }
        Node::Scale(c, a) => {
            let c = coeff::to_f64(c);
            get(a).map(|x| c * x)
        }
        Node::Mul(factors) => {
            let mut acc = Matrix::scalar(1.0);
            let (scalars, chain): (Vec<&ExprId>, Vec<&ExprId>) =
                factors.iter().partition(|f| graph.shape(**f).is_scalar());
            let mut chain_value: Option<Matrix> = None;
            for f in chain {
                chain_value = Some(match chain_value {
                    None => get(f).clone(),
                    Some(m) => m.matmul(get(f))?,
                });
            }
            for s in scalars {
                acc = acc.matmul(get(s))?;
            }
            match chain_value {
                Some(m) => acc.matmul(&m)?,
                None => acc,
            }
        }
        Node::Hadamard(factors) => {
            let mut acc = get(&factors[0]).clone();
            for f in &factors[1..] {
                acc = acc.zip(get(f), |x, y| x * y)?;
            }
            acc
        }
        Node::Pow(b, e) => get(b).zip(get(e), powf)?,
        Node::Transpose(a) => get(a).transpose(),
        Node::Inverse(a) => get(a).inverse()?,
        Node::Apply(f, a) => apply(*f, get(a))?,
        Node::Opaque(f, a) => {
            let arg = get(a);
            let g = opaque_gradient(env, *f, arg.rows, arg.cols);
            Matrix::scalar(arg.data.iter().zip(&g.data).map(|(x, y)| x * y).sum())
        }
        Node::Upstream { function, arg, .. } => {
            let arg = get(arg);
            opaque_gradient(env, *function, arg.rows, arg.cols)
        }
    })
}

/// The commutation matrix K(m, n): K vec(A) = vec(Aᵀ) for an m×n A, with
/// vec stacking columns.
pub fn commutation(m: usize, n: usize) -> Matrix {
    let mut k = Matrix::filled(m * n, m * n, 0.0);
    for i in 0..m {
        for j in 0..n {
            // A[i, j] is entry i + j m of vec(A) and entry j + i n of vec(Aᵀ).
            k.data[(j + i * n) * (m * n) + i + j * m] = 1.0;
        }
    }
    k
}

/// The duplication matrix D(n): D vech(S) = vec(S) for a symmetric n×n S,
/// vech stacking the lower triangle column by column.
pub fn duplication(n: usize) -> Matrix {
    let columns = n * (n + 1) / 2;
    let mut d = Matrix::filled(n * n, columns, 0.0);
    for j in 0..n {
        for i in j..n {
            let k = vech_index(n, i, j);
            // S[i, j] and S[j, i] are entries i + j n and j + i n of vec(S).
            d.data[(i + j * n) * columns + k] = 1.0;
            d.data[(j + i * n) * columns + k] = 1.0;
        }
    }
    d
}

/// The position of S[i, j] (i ≥ j) in vech(S) for an n×n S: the lower
/// triangle stacked column by column.
pub fn vech_index(n: usize, i: usize, j: usize) -> usize {
    j * n - j * (j.saturating_sub(1)) / 2 - j + i
}

/// The Kronecker product: block (i, j) is a[i, j] b.
pub fn kron(a: &Matrix, b: &Matrix) -> Matrix {
    let (rows, cols) = (a.rows * b.rows, a.cols * b.cols);
    let mut k = Matrix::filled(rows, cols, 0.0);
    for i in 0..a.rows {
        for j in 0..a.cols {
            let x = a.at(i, j);
            for p in 0..b.rows {
                for q in 0..b.cols {
                    k.data[(i * b.rows + p) * cols + j * b.cols + q] = x * b.at(p, q);
                }
            }
        }
    }
    k
}

/// The gradient of the linear realisation of an opaque function.
fn opaque_gradient(env: &Env, f: SymbolId, rows: usize, cols: usize) -> Matrix {
    if let Some(g) = env.opaque_gradients.get(&(f, rows, cols)) {
        return g.clone();
    }
    // A deterministic default: entries 1, -1/2, 1/3, ...
    let data = (0..rows * cols)
        .map(|i| {
            let k = (i + f.0 as usize) as f64;
            (if i % 2 == 0 { 1.0 } else { -1.0 }) / (k + 1.0)
        })
        .collect();
    Matrix { rows, cols, data }
}

/// `x^p`, exact for integer powers.
pub fn powf(x: f64, p: f64) -> f64 {
    if p.fract() == 0.0 && p.abs() < 1e9 {
        x.powi(p as i32)
    } else {
        x.powf(p)
    }
}

/// A built-in function applied to a value, from the operator table.
pub fn apply(f: Func, a: &Matrix) -> Result<Matrix> {
    Ok(match ops::of(f).value {
        Some(ops::Value::Entrywise(value)) => a.map(value),
        Some(ops::Value::Whole(value)) => value(a),
        None => unreachable!("every function's entry has a value"),
    })
}
