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
    // Most literals are small integers: no digit string or power to build.
    if (1..=18).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Coeff::from_integer(BigInt::from(text.parse::<u64>().ok()?)));
    }
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

/// `a · b`, the value of `a * b`; computed in machine integers when both
/// fit in 64 bits (nearly every coefficient), which skips the big-integer
/// products and the greatest common divisor on heap digits.
pub fn mul(a: &Coeff, b: &Coeff) -> Coeff {
    if a.is_one() {
        return b.clone();
    }
    if b.is_one() {
        return a.clone();
    }
    match (small(a), small(b)) {
        (Some((an, ad)), Some((bn, bd))) => reduced(an * bn, ad * bd).unwrap_or_else(|| a * b),
        _ => a * b,
    }
}

/// `a / b`, the value of `a / b` (which panics on a zero `b`, as this does);
/// in machine integers when both fit in 64 bits, as [`mul`].
pub fn div(a: &Coeff, b: &Coeff) -> Coeff {
    if b.is_one() {
        return a.clone();
    }
    match (small(a), small(b)) {
        (Some((an, ad)), Some((bn, bd))) if bn != 0 => reduced(an * bd, ad * bn).unwrap_or_else(|| a / b),
        _ => a / b,
    }
}

/// The largest positive rational `g` with `a / g` and `b / g` integers
/// (the greatest common divisor of the numerators over the least common
/// multiple of the denominators); 1 when both are 0. In machine integers
/// when both fit in 64 bits, as [`mul`].
pub fn common_divisor(a: &Coeff, b: &Coeff) -> Coeff {
    if let (Some((an, ad)), Some((bn, bd))) = (small(a), small(b)) {
        let numerator = binary_gcd(an.unsigned_abs(), bn.unsigned_abs()) as i128;
        let denominator = ad / binary_gcd(ad.unsigned_abs(), bd.unsigned_abs()) as i128 * bd;
        if numerator == 0 {
            return Coeff::one();
        }
        if let Some(g) = reduced(numerator, denominator) {
            return g;
        }
    }
    let numerator: BigInt = num_integer::Integer::gcd(a.numer(), b.numer());
    let denominator: BigInt = num_integer::Integer::lcm(a.denom(), b.denom());
    if numerator.is_zero() {
        return Coeff::one();
    }
    Coeff::new(numerator, denominator)
}

/// Numerator and denominator of `c`, widened, if both fit in 64 bits.
fn small(c: &Coeff) -> Option<(i128, i128)> {
    Some((i128::from(c.numer().to_i64()?), i128::from(c.denom().to_i64()?)))
}

/// `n / d` (`d` nonzero) in lowest terms with a positive denominator, as
/// [`Coeff::new`] reduces it, if both parts then fit in 64 bits.
fn reduced(n: i128, d: i128) -> Option<Coeff> {
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    let g = binary_gcd(n.unsigned_abs(), d.unsigned_abs()) as i128;
    let (n, d) = (i64::try_from(n / g).ok()?, i64::try_from(d / g).ok()?);
    Some(Coeff::new_raw(BigInt::from(n), BigInt::from(d)))
}

/// The greatest common divisor of `a` and `b` (0 for two zeros), by Stein's algorithm.
fn binary_gcd(mut a: u128, mut b: u128) -> u128 {
    if a == 0 || b == 0 {
        return a | b;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
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
        assert_eq!(parse_decimal("0"), Some(int(0)));
        assert_eq!(parse_decimal("007"), Some(int(7)));
        assert_eq!(parse_decimal("999999999999999999"), Some(int(999_999_999_999_999_999)));
        assert_eq!(parse_decimal("9999999999999999999"), Some(int(999_999_999_999_999_999) * int(10) + int(9)));
    }

    #[test]
    fn small_products_quotients_and_divisors_equal_the_big_ones() {
        let values: Vec<Coeff> =
            [(0, 1), (1, 1), (-1, 1), (1, 2), (-2, 3), (6, 4), (7, 1), (-9, 12), (i64::MAX, 3), (3, i64::MAX)]
                .iter()
                .map(|&(n, d)| ratio(n, d))
                .collect();
        for a in &values {
            for b in &values {
                let (product, got) = (a * b, mul(a, b));
                assert_eq!((product.numer(), product.denom()), (got.numer(), got.denom()), "{a} * {b}");
                let common = common_divisor(a, b);
                let big = |c: &Coeff| (c.numer().clone(), c.denom().clone());
                let numerator = num_integer::Integer::gcd(a.numer(), b.numer());
                let expected = if numerator.is_zero() {
                    Coeff::one()
                } else {
                    Coeff::new(numerator, num_integer::Integer::lcm(a.denom(), b.denom()))
                };
                assert_eq!(big(&common), big(&expected), "common divisor of {a} and {b}");
                if !b.is_zero() {
                    let (quotient, got) = (a / b, div(a, b));
                    assert_eq!((quotient.numer(), quotient.denom()), (got.numer(), got.denom()), "{a} / {b}");
                }
            }
        }
    }

    #[test]
    fn display_is_reduced() {
        assert_eq!(display(&ratio(2, 4)), "1/2");
        assert_eq!(display(&ratio(-6, 3)), "-2");
    }
}
