//! Shapes of expressions: dimensions that are fixed integers, named
//! symbolic sizes or products of them (`m n`, the size of vec(X) for an
//! m×n X) and of triangular numbers of them (`n (n + 1)/2`, the size of
//! vech(S) for a symmetric n×n S), and the few rules every pass shares
//! (scalar, vector, square, transpose).

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
    /// A product of named sizes, triangular numbers of named sizes and a
    /// fixed factor (`m n`, `2 n`, `n (n + 1)/2`), in the normal form of
    /// [`DimProduct`]: never a lone name or a number.
    Product(DimProduct),
}

/// Most factors (named sizes and triangular numbers together) a dimension
/// product holds (a Hessian with respect to an m×n matrix has m n rows; a
/// Kronecker product of two of them four factors).
pub const MAX_FACTORS: usize = 4;

/// A product of a fixed factor, named sizes and triangular numbers
/// n(n+1)/2 of named sizes: each kind sorted (with repeats), the fixed
/// factor folded into one number (below 2³², so that a dimension stays 32
/// bytes). The form is unique: as polynomials, nᵃ (n(n+1)/2)ᵇ differ for
/// different a, b.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DimProduct {
    fixed: u32,
    len: u8,
    triangles: u8,
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

    /// The sizes n whose triangular number n(n+1)/2 is a factor, sorted.
    pub fn triangles(&self) -> &[DimId] {
        &self.factors[self.len as usize..(self.len + self.triangles) as usize]
    }
}

/// The triangular number k(k+1)/2 (`None` on overflow).
pub fn triangular(k: u64) -> Option<u64> {
    let (a, b) = if k.is_multiple_of(2) { (k / 2, k + 1) } else { (k, k.checked_add(1)? / 2) };
    a.checked_mul(b)
}

impl Dim {
    /// The dimension 1.
    pub const ONE: Dim = Dim::Fixed(1);

    /// The fixed factor, the named factors and the sizes whose triangular
    /// numbers are factors of this dimension.
    pub fn factors(self) -> (u64, Vec<DimId>, Vec<DimId>) {
        match self {
            Dim::Fixed(n) => (n, Vec::new(), Vec::new()),
            Dim::Named(id) => (1, vec![id], Vec::new()),
            Dim::Product(p) => (p.fixed(), p.named().to_vec(), p.triangles().to_vec()),
        }
    }

    /// The dimension `fixed` times the named `factors` times the
    /// triangular numbers of `triangles`, normalised: a lone name or a
    /// number is itself; `None` if the fixed part of a product reaches 2³²
    /// or there are more than [`MAX_FACTORS`] factors.
    pub fn from_factors(fixed: u64, mut factors: Vec<DimId>, mut triangles: Vec<DimId>) -> Option<Dim> {
        if fixed == 0 {
            return Some(Dim::Fixed(0));
        }
        if factors.len() + triangles.len() > MAX_FACTORS {
            return None;
        }
        factors.sort_unstable();
        triangles.sort_unstable();
        Some(match (fixed, factors.as_slice(), triangles.as_slice()) {
            (n, [], []) => Dim::Fixed(n),
            (1, [one], []) => Dim::Named(*one),
            _ => {
                let mut array = [DimId(0); MAX_FACTORS];
                array[..factors.len()].copy_from_slice(&factors);
                array[factors.len()..factors.len() + triangles.len()].copy_from_slice(&triangles);
                Dim::Product(DimProduct {
                    fixed: u32::try_from(fixed).ok()?,
                    len: factors.len() as u8,
                    triangles: triangles.len() as u8,
                    factors: array,
                })
            }
        })
    }

    /// `self · other`, normalised (`None` where [`Dim::from_factors`] is).
    pub fn times(self, other: Dim) -> Option<Dim> {
        let (a, mut names, mut triangles) = self.factors();
        let (b, more, more_triangles) = other.factors();
        names.extend(more);
        triangles.extend(more_triangles);
        Dim::from_factors(a.checked_mul(b)?, names, triangles)
    }

    /// The triangular number n(n+1)/2 of this size (the size of vech(S)
    /// for a symmetric n×n S): `None` for a product, whose triangular
    /// number is not a product of sizes and triangular numbers, or on
    /// overflow.
    pub fn triangle(self) -> Option<Dim> {
        match self {
            Dim::Fixed(k) => triangular(k).map(Dim::Fixed),
            Dim::Named(id) => Dim::from_factors(1, Vec::new(), vec![id]),
            Dim::Product(_) => None,
        }
    }

    /// Whether the dimension has a triangular number among its factors.
    pub fn has_triangle(self) -> bool {
        matches!(self, Dim::Product(p) if p.triangles > 0)
    }

    /// The size at the given sizes of the named dimensions (`None` on overflow).
    pub fn size(self, named: impl Fn(DimId) -> u64) -> Option<u64> {
        let (fixed, names, triangles) = self.factors();
        let product = names.into_iter().try_fold(fixed, |acc, id| acc.checked_mul(named(id)))?;
        triangles.into_iter().try_fold(product, |acc, id| acc.checked_mul(triangular(named(id))?))
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
/// its factors side by side (`m n`, `2 n`), a triangular number as a
/// fraction (`n (n + 1)/2`, `m n (n + 1)/2`).
pub fn dim_name(dim: Dim, names: &[String]) -> String {
    product_text(dim, names, " ", " + ")
}

/// A product's text with `between` between factors and `plus` in n + 1.
fn product_text(dim: Dim, names: &[String], between: &str, plus: &str) -> String {
    let name = |id: &DimId| names.get(id.0 as usize).cloned().unwrap_or_else(|| format!("d{}", id.0));
    match dim {
        Dim::Fixed(n) => n.to_string(),
        Dim::Named(id) => name(&id),
        Dim::Product(p) => product_spelling(
            p.fixed(),
            p.named().iter().map(name).collect(),
            p.triangles().iter().map(name).collect(),
            (between, plus),
        ),
    }
}

/// The spelling of `fixed` times the `names` times the triangular numbers
/// of `triangles`: factors side by side with `between` between them (`m n`,
/// `2 n`), each triangular number n (n + 1) over 2, the fixed factor and
/// the powers of 2 reduced (`n (n + 1)/2`, `m n (n + 1)/2`), `plus` in
/// n + 1. Inference writes sizes in error messages the same way.
pub fn product_spelling(fixed: u64, names: Vec<String>, triangles: Vec<String>, signs: (&str, &str)) -> String {
    let (between, plus) = signs;
    let (mut fixed, mut denominator) = (fixed, 1u64);
    for _ in &triangles {
        if fixed.is_multiple_of(2) {
            fixed /= 2;
        } else {
            denominator *= 2;
        }
    }
    let fixed = (fixed != 1).then(|| fixed.to_string());
    let triangles = triangles.into_iter().flat_map(|t| {
        let successor = format!("({t}{plus}1)");
        [t, successor]
    });
    let text = fixed.into_iter().chain(names).chain(triangles).collect::<Vec<_>>().join(between);
    if denominator > 1 {
        format!("{text}/{denominator}")
    } else {
        text
    }
}

/// A dimension in a shape's display: a product's factors joined by `·`
/// (`m·n`, `n·(n+1)/2`).
fn shape_dim(dim: Dim, names: &[String]) -> String {
    product_text(dim, names, "·", "+")
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

    #[test]
    fn triangular_numbers_are_factors_of_products() {
        let (m, n) = (Dim::Named(DimId(0)), Dim::Named(DimId(1)));
        let names = ["m".to_string(), "n".to_string()];
        let t = n.triangle().unwrap();
        assert_eq!(dim_name(t, &names), "n (n + 1)/2");
        assert_eq!(Dim::Fixed(3).triangle(), Some(Dim::Fixed(6)));
        assert_eq!(m.times(n).unwrap().triangle(), None, "the triangle of a product is no product");
        assert_eq!(t.times(m), m.times(t));
        assert_ne!(t, n.times(n).unwrap());
        assert_eq!(dim_name(t.times(m).unwrap(), &names), "m n (n + 1)/2");
        assert_eq!(dim_name(t.times(Dim::Fixed(2)).unwrap(), &names), "n (n + 1)");
        assert_eq!(dim_name(t.times(t).unwrap().times(Dim::Fixed(6)).unwrap(), &names), "3 n (n + 1) n (n + 1)/2");
        assert_eq!(ShapeDisplay { shape: Shape::new(t, t), names: &names }.to_string(), "n·(n+1)/2×n·(n+1)/2");
        assert_eq!(t.times(m).unwrap().size(|id| if id.0 == 0 { 3 } else { 4 }), Some(30));
        assert!(t.has_triangle() && !n.has_triangle());
        assert_eq!(t.times(t).unwrap().times(t).unwrap().times(t).unwrap().times(m), None);
        assert_eq!(triangular(u64::MAX), None);
    }
}
