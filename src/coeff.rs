//! Exact rational coefficients (arbitrary precision) and their parsing and
//! display. matcalc never stores a float in an expression.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// An exact rational number.
pub type Coeff = BigRational;

/// Largest decimal exponent accepted in a literal such as `1e300`.
pub const MAX_LITERAL_EXPONENT: u64 = 10_000;

/// Parses a decimal literal (`3`, `0.25`, `.5`, `1e-3`) exactly; `None` if
/// the exponent is beyond [`MAX_LITERAL_EXPONENT`].
pub fn parse_decimal(text: &str) -> Option<Coeff> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    let digits = format!("{whole}{fraction}");
    let digits = if digits.is_empty() { "0" } else { &digits };
    let numerator: BigInt = digits.parse().ok()?;
    let scale = exponent - fraction.len() as i64;
    if scale.unsigned_abs() > MAX_LITERAL_EXPONENT {
        return None;
    }
    let power = num_traits::pow(BigInt::from(10), scale.unsigned_abs() as usize);
    Some(if scale >= 0 { Coeff::from_integer(numerator * power) } else { Coeff::new(numerator, power) })
}

/// The integer `n` as a coefficient.
pub fn int(n: i64) -> Coeff {
    Coeff::from_integer(BigInt::from(n))
}

/// `numerator / denominator`.
pub fn ratio(numerator: i64, denominator: i64) -> Coeff {
    Coeff::new(BigInt::from(numerator), BigInt::from(denominator))
}

/// The value as an `i64` if it is an integer that fits.
pub fn to_i64(c: &Coeff) -> Option<i64> {
    if c.is_integer() {
        c.to_integer().to_i64()
    } else {
        None
    }
}

/// The nearest `f64`.
pub fn to_f64(c: &Coeff) -> f64 {
    c.to_f64().unwrap_or_else(|| if c.is_negative() { f64::NEG_INFINITY } else { f64::INFINITY })
}

/// `true` for 1.
pub fn is_one(c: &Coeff) -> bool {
    c.is_one()
}

/// `true` for 0.
pub fn is_zero(c: &Coeff) -> bool {
    c.is_zero()
}

/// Writes `c` as the user would: `3`, `1/2`, `-2/3`.
pub fn display(c: &Coeff) -> String {
    if c.is_integer() {
        c.numer().to_string()
    } else {
        format!("{}/{}", c.numer(), c.denom())
    }
}

/// How many decimal digits numerator and denominator have together; used
/// to bound the cost of exact arithmetic.
pub fn digits(c: &Coeff) -> u64 {
    c.numer().bits() + c.denom().bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal("0.25"), Some(ratio(1, 4)));
        assert_eq!(parse_decimal("0.1"), Some(ratio(1, 10)));
        assert_eq!(parse_decimal(".5"), Some(ratio(1, 2)));
        assert_eq!(parse_decimal("1.5"), Some(ratio(3, 2)));
        assert_eq!(parse_decimal("1e-3"), Some(ratio(1, 1000)));
        assert_eq!(parse_decimal("2E2"), Some(int(200)));
        assert_eq!(parse_decimal("1e99999"), None);
    }

    #[test]
    fn display_is_reduced() {
        assert_eq!(display(&ratio(2, 4)), "1/2");
        assert_eq!(display(&ratio(-6, 3)), "-2");
    }
}
