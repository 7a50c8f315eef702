//! Shapes of expressions: dimensions that are fixed integers, named
//! symbolic sizes or products of them (`m n`, the size of vec(X) for an
//! m×n X), and the few rules every pass shares (scalar, vector, square,
//! transpose).

use std::fmt;

/// An index into the graph's table of dimension names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DimId(pub u32);

/// One dimension of a shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// A known size.
    Fixed(u64),
    /// A symbolic size such as `n`.
    Named(DimId),
    /// A product of named sizes and a fixed factor (`m n`, `2 n`), in the
    /// normal form of [`DimProduct`]: never a lone name or a number.
    Product(DimProduct),
}

/// Most named factors a dimension product holds (a Hessian with respect
/// to an m×n matrix has m n rows; a Kronecker product of two of them four
/// factors).
pub const MAX_FACTORS: usize = 4;

/// A product of a fixed factor and named sizes: the names sorted (with
/// repeats), the fixed factor folded into one number (below 2³², so that
/// a dimension stays 32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DimProduct {
    fixed: u32,
    len: u8,
    factors: [DimId; MAX_FACTORS],
}

impl DimProduct {
    /// The fixed factor (1 if none).
    pub fn fixed(&self) -> u64 {
        u64::from(self.fixed)
    }

    /// The named factors, sorted.
    pub fn named(&self) -> &[DimId] {
        &self.factors[..self.len as usize]
    }
}

impl Dim {
    /// The dimension 1.
    pub const ONE: Dim = Dim::Fixed(1);

    /// The fixed factor and the named factors of this dimension.
    pub fn factors(self) -> (u64, Vec<DimId>) {
        match self {
            Dim::Fixed(n) => (n, Vec::new()),
            Dim::Named(id) => (1, vec![id]),
            Dim::Product(p) => (p.fixed(), p.named().to_vec()),
        }
    }

    /// The dimension `fixed` times the named `factors`, normalised: a
    /// lone name or a number is itself; `None` if the fixed part of a
    /// product reaches 2³² or there are more than [`MAX_FACTORS`] names.
    pub fn from_factors(fixed: u64, mut factors: Vec<DimId>) -> Option<Dim> {
        if fixed == 0 {
            return Some(Dim::Fixed(0));
        }
        if factors.len() > MAX_FACTORS {
            return None;
        }
        factors.sort_unstable();
        Some(match (fixed, factors.as_slice()) {
            (n, []) => Dim::Fixed(n),
            (1, [one]) => Dim::Named(*one),
            _ => {
                let mut array = [DimId(0); MAX_FACTORS];
                array[..factors.len()].copy_from_slice(&factors);
                Dim::Product(DimProduct { fixed: u32::try_from(fixed).ok()?, len: factors.len() as u8, factors: array })
            }
        })
    }

    /// `self · other`, normalised (`None` where [`Dim::from_factors`] is).
    pub fn times(self, other: Dim) -> Option<Dim> {
        let (a, mut names) = self.factors();
        let (b, more) = other.factors();
        names.extend(more);
        Dim::from_factors(a.checked_mul(b)?, names)
    }

    /// The size at the given sizes of the named dimensions (`None` on overflow).
    pub fn size(self, named: impl Fn(DimId) -> u64) -> Option<u64> {
        let (fixed, names) = self.factors();
        names.into_iter().try_fold(fixed, |acc, id| acc.checked_mul(named(id)))
    }
}

/// Rows × columns. A scalar is 1×1, a vector n×1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Number of rows.
    pub rows: Dim,
    /// Number of columns.
    pub cols: Dim,
}

impl Shape {
    /// The 1×1 shape.
    pub const SCALAR: Shape = Shape { rows: Dim::ONE, cols: Dim::ONE };

    /// `rows × cols`.
    pub fn new(rows: Dim, cols: Dim) -> Shape {
        Shape { rows, cols }
    }

    /// A column vector of `n` entries.
    pub fn column(n: Dim) -> Shape {
        Shape { rows: n, cols: Dim::ONE }
    }

    /// `n × n`.
    pub fn square(n: Dim) -> Shape {
        Shape { rows: n, cols: n }
    }

    /// 1×1.
    pub fn is_scalar(&self) -> bool {
        *self == Shape::SCALAR
    }

    /// n×1 with n ≠ 1.
    pub fn is_column(&self) -> bool {
        self.cols == Dim::ONE && self.rows != Dim::ONE
    }

    /// 1×n with n ≠ 1.
    pub fn is_row(&self) -> bool {
        self.rows == Dim::ONE && self.cols != Dim::ONE
    }

    /// rows = cols.
    pub fn is_square(&self) -> bool {
        self.rows == self.cols
    }

    /// The transposed shape.
    pub fn transpose(&self) -> Shape {
        Shape { rows: self.cols, cols: self.rows }
    }
}

/// Displays shapes with dimension names resolved.
pub struct ShapeDisplay<'a> {
    /// The shape.
    pub shape: Shape,
    /// The dimension names, indexed by [`DimId`].
    pub names: &'a [String],
}

/// Writes a dimension with its name; a product as the language writes it,
/// its factors side by side (`m n`, `2 n`).
pub fn dim_name(dim: Dim, names: &[String]) -> String {
    let name = |id: DimId| names.get(id.0 as usize).cloned().unwrap_or_else(|| format!("d{}", id.0));
    match dim {
        Dim::Fixed(n) => n.to_string(),
        Dim::Named(id) => name(id),
        Dim::Product(p) => {
            let fixed = (p.fixed != 1).then(|| p.fixed.to_string());
            fixed.into_iter().chain(p.named().iter().map(|id| name(*id))).collect::<Vec<_>>().join(" ")
        }
    }
}

/// A dimension in a shape's display: a product's factors joined by `·`.
fn shape_dim(dim: Dim, names: &[String]) -> String {
    match dim {
        Dim::Product(_) => dim_name(dim, names).replace(' ', "·"),
        _ => dim_name(dim, names),
    }
}

impl fmt::Display for ShapeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}", shape_dim(self.shape.rows, self.names), shape_dim(self.shape.cols, self.names))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_normalised() {
        let (m, n) = (Dim::Named(DimId(0)), Dim::Named(DimId(1)));
        assert_eq!(m.times(n), n.times(m));
        assert_eq!(Dim::ONE.times(m), Some(m));
        assert_eq!(Dim::Fixed(2).times(Dim::Fixed(3)), Some(Dim::Fixed(6)));
        let two_m = Dim::Fixed(2).times(m).unwrap();
        assert_eq!(two_m.times(Dim::Fixed(3)), Dim::Fixed(6).times(m));
        let names = ["m".to_string(), "n".to_string()];
        assert_eq!(dim_name(n.times(m).unwrap().times(Dim::Fixed(2)).unwrap(), &names), "2 m n");
        let mn = m.times(n).unwrap();
        assert_eq!(ShapeDisplay { shape: Shape::new(mn, mn), names: &names }.to_string(), "m·n×m·n");
        assert_eq!(mn.size(|id| if id.0 == 0 { 3 } else { 4 }), Some(12));
        let four = mn.times(mn).unwrap();
        assert_eq!(four.times(m), None);
        assert_eq!(Dim::Fixed(1 << 40).times(m), None);
        assert!(std::mem::size_of::<Dim>() <= 32, "a Dim is {} bytes", std::mem::size_of::<Dim>());
    }
}
