//! Shapes of expressions: dimensions that are fixed integers or named
//! symbolic sizes, and the few rules every pass shares (scalar, vector,
//! square, transpose).

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
}

impl Dim {
    /// The dimension 1.
    pub const ONE: Dim = Dim::Fixed(1);
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

/// Writes a dimension with its name.
pub fn dim_name(dim: Dim, names: &[String]) -> String {
    match dim {
        Dim::Fixed(n) => n.to_string(),
        Dim::Named(id) => names.get(id.0 as usize).cloned().unwrap_or_else(|| format!("d{}", id.0)),
    }
}

impl fmt::Display for ShapeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}", dim_name(self.shape.rows, self.names), dim_name(self.shape.cols, self.names))
    }
}
