//! Exact money: a fixed-point `i128` at scale 12, the physical form of polars'
//! `Decimal(38, 12)`, which is how the lake stores every FOCUS amount.
//!
//! Sums are exact. Anything that divides (a day's share of a charge, an allocation, a currency
//! conversion) goes through [`Money::mul_ratio`] or [`Money::apportion`], which compute with a
//! 256-bit intermediate and round explicitly, so no value ever passes through `f64` (only the
//! ratio columns of the tables are `f64`). [`Money::apportion`] uses the largest-remainder
//! method, so the parts always add up to the whole to the last 1e-12.
//!
//! Addition and subtraction saturate at the `i128` range instead of wrapping or panicking:
//! `Decimal(38, 12)` holds less than a tenth of that range, so a saturated total can never be
//! written by [`money_column`]; it surfaces there as an error, never as a wrong figure.
//!
//! Rates (`[cost.fx]`) use the same fixed point: a rate of 1.08 is `Money::parse("1.08")`.

use std::cmp::Ordering;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use polars::prelude::*;

use crate::error::{PolarsContext, Result};

/// Decimal digits after the point.
pub const SCALE: u32 = 12;
/// One currency unit in raw fixed-point units (10^12).
pub const ONE: i128 = 1_000_000_000_000;
/// The dtype money columns are read and written as.
pub const MONEY_DTYPE: DataType = DataType::Decimal(38, SCALE as usize);

/// An exact amount of money: `raw × 10^-12` currency units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i128);

/// How [`Money::mul_ratio`] rounds a result that is not a whole number of 1e-12.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Towards minus infinity.
    Floor,
    /// To the nearest, ties to the even neighbour (banker's rounding: no drift on average).
    HalfEven,
}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// From raw fixed-point units (`raw × 10^-12`).
    pub const fn from_raw(raw: i128) -> Money {
        Money(raw)
    }

    /// The raw fixed-point units.
    pub const fn raw(self) -> i128 {
        self.0
    }

    /// A whole number of currency units.
    pub const fn from_units(units: i64) -> Money {
        Money(units as i128 * ONE)
    }

    /// An exact decimal (`-12.5`, `1e3`, `6.123E-7`, `+4`); digits beyond the 12th decimal are
    /// rounded half-to-even (the same rule ingest applies). `None` for anything else or a value
    /// beyond `Decimal(38, 12)`.
    pub fn parse(text: &str) -> Option<Money> {
        let canonical = crate::ingest::parse::parse_money(text).ok()?;
        let (neg, digits) = match canonical.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, canonical.as_str()),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let mut raw: i128 = 0;
        for c in int.bytes().chain(frac.bytes()) {
            raw = raw.checked_mul(10)?.checked_add(i128::from(c - b'0'))?;
        }
        for _ in frac.len()..SCALE as usize {
            raw = raw.checked_mul(10)?;
        }
        Some(Money(if neg { -raw } else { raw }))
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether the amount is above zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// The amount as `f64` (for ratios and robust statistics only; never summed back).
    pub fn to_f64(self) -> f64 {
        // split to keep the 12 decimals as exact as f64 allows
        let int = self.0 / ONE;
        let frac = self.0 % ONE;
        int as f64 + frac as f64 / ONE as f64
    }

    /// `self × num / den`, rounded as asked; `None` when `den` is 0 or the result does not fit.
    pub fn mul_ratio(self, num: i128, den: i128, rounding: Rounding) -> Option<Money> {
        if den == 0 {
            return None;
        }
        // make the divisor positive
        let (num, den) = if den < 0 {
            (num.checked_neg()?, den.checked_neg()?)
        } else {
            (num, den)
        };
        let (q, r) = mul_div_floor(self.0, num, den)?;
        let q = match rounding {
            Rounding::Floor => q,
            Rounding::HalfEven => {
                // r in [0, den): compare 2r with den without overflow (den < 2^127)
                let twice = (r as u128) * 2;
                match twice.cmp(&(den as u128)) {
                    Ordering::Greater => q.checked_add(1)?,
                    Ordering::Equal if q % 2 != 0 => q.checked_add(1)?,
                    _ => q,
                }
            }
        };
        Some(Money(q))
    }

    /// Split the amount in proportion to non-negative `weights` so that the parts add up to
    /// the amount exactly: each part is first rounded down, then the raw units left over go
    /// one each to the parts with the largest remainders (ties: the earlier part). `None` when
    /// a weight is negative or the weights add up to zero (or overflow).
    pub fn apportion(self, weights: &[i128]) -> Option<Vec<Money>> {
        if weights.iter().any(|w| *w < 0) {
            return None;
        }
        let total = weights
            .iter()
            .try_fold(0i128, |acc, w| acc.checked_add(*w))?;
        if total == 0 {
            return None;
        }
        if weights.len() == 1 {
            return Some(vec![self]);
        }
        let mut parts = Vec::with_capacity(weights.len());
        let mut rems = Vec::with_capacity(weights.len());
        let mut given: i128 = 0;
        for w in weights {
            let (q, r) = mul_div_floor(self.0, *w, total)?;
            parts.push(q);
            rems.push(r);
            given = given.checked_add(q)?;
        }
        // 0 <= left < weights.len(): each floor loses less than one raw unit
        let left = usize::try_from(self.0.checked_sub(given)?).ok()?;
        if left > 0 {
            let mut order: Vec<usize> = (0..weights.len()).collect();
            order.sort_by(|a, b| rems[*b].cmp(&rems[*a]).then(a.cmp(b)));
            for &i in order.iter().take(left) {
                parts[i] += 1;
            }
        }
        Some(parts.into_iter().map(Money).collect())
    }

    /// The absolute amount (saturating).
    pub fn abs(self) -> Money {
        Money(self.0.saturating_abs())
    }
}

impl fmt::Display for Money {
    /// Plain decimal, no exponent, trailing fractional zeros dropped: `-12.5`, `0`, `1000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let one = ONE as u128;
        let (int, frac) = (abs / one, abs % one);
        if neg {
            f.write_str("-")?;
        }
        write!(f, "{int}")?;
        if frac != 0 {
            let digits = format!("{frac:012}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        Ok(())
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.saturating_neg())
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

/// `floor(a × b / c)` and the remainder `a × b − q × c` (in `[0, c)`), for `c > 0`, with a
/// 256-bit intermediate product. `None` when `c <= 0` or the quotient does not fit in `i128`.
fn mul_div_floor(a: i128, b: i128, c: i128) -> Option<(i128, i128)> {
    if c <= 0 {
        return None;
    }
    if let Some(p) = a.checked_mul(b) {
        return Some((p.div_euclid(c), p.rem_euclid(c)));
    }
    let neg = (a < 0) != (b < 0);
    let (hi, lo) = mul_u128(a.unsigned_abs(), b.unsigned_abs());
    let c = c as u128;
    if hi >= c {
        return None; // the quotient needs more than 128 bits
    }
    // long division of (hi, lo) by c, one bit at a time; hi < c keeps r < c
    let mut r = hi;
    let mut q: u128 = 0;
    for i in (0..128).rev() {
        let carry = r >> 127;
        r = (r << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || r >= c {
            r = r.wrapping_sub(c);
            q |= 1;
        }
    }
    let q = i128::try_from(q).ok()?;
    let r = r as i128; // r < c <= i128::MAX
    if !neg {
        return Some((q, r));
    }
    // floor of a negative quotient: −q − 1 with remainder c − r when inexact
    if r == 0 {
        Some((-q, 0))
    } else {
        Some(((-q).checked_sub(1)?, c as i128 - r))
    }
}

/// The full 256-bit product of two `u128`, as (high, low) halves.
fn mul_u128(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & MASK);
    let (b_hi, b_lo) = (b >> 64, b & MASK);
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let mid = (ll >> 64) + (lh & MASK) + (hl & MASK);
    let lo = (ll & MASK) | (mid << 64);
    let hi = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
    (hi, lo)
}

/// A `Decimal(38, 12)` column named `name` holding `get` of each row (`None` → null). Fails,
/// naming the column, when a value does not fit `Decimal(38, 12)`.
pub fn money_column<R>(
    name: &str,
    rows: &[R],
    get: impl Fn(&R) -> Option<Money>,
) -> Result<Column> {
    let raw =
        Int128Chunked::from_iter_options(name.into(), rows.iter().map(|r| get(r).map(Money::raw)));
    let dec = raw
        .into_decimal(38, SCALE as usize)
        .ctx(|| format!("column `{name}`: an amount beyond decimal(38, 12)"))?;
    Ok(dec.into_series().into())
}

/// A column as money (cast to `Decimal(38, 12)` first: text, integers and other decimal
/// scales are accepted), nulls kept. A value that cannot be cast is an error naming the column.
pub fn money_values(df: &DataFrame, name: &str) -> Result<Vec<Option<Money>>> {
    let col = df.column(name).ctx(|| format!("column `{name}`"))?;
    let dec = col
        .strict_cast(&MONEY_DTYPE)
        .ctx(|| format!("column `{name}` as decimal(38, 12)"))?;
    let dec = dec
        .decimal()
        .ctx(|| format!("column `{name}` as decimal(38, 12)"))?;
    Ok(dec.physical().iter().map(|v| v.map(Money)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn parse_and_display_round_trip_exactly() {
        assert_eq!(m("1").raw(), ONE);
        assert_eq!(m("-12.50").to_string(), "-12.5");
        assert_eq!(m("6.123E-7").to_string(), "0.0000006123");
        assert_eq!(m("1e3").to_string(), "1000");
        assert_eq!(m("0.0000000000005").to_string(), "0"); // half-even to 12 places
        assert_eq!(m("0.0000000000015").to_string(), "0.000000000002");
        assert_eq!(m("-0.000000000001").raw(), -1);
        assert_eq!(Money::parse("1,5"), None);
        assert_eq!(Money::parse("$3"), None);
        assert_eq!(m("693003.60") - m("693003.6"), Money::ZERO);
    }

    #[test]
    fn mul_ratio_rounds_as_asked() {
        // 10 / 3 = 3.333333333333|33…
        let third = m("10").mul_ratio(1, 3, Rounding::Floor).unwrap();
        assert_eq!(third.to_string(), "3.333333333333");
        // -10 / 3 floors to -3.333333333334
        let neg = m("-10").mul_ratio(1, 3, Rounding::Floor).unwrap();
        assert_eq!(neg.to_string(), "-3.333333333334");
        // 0.000000000005 × 1/10 = 0.0000000000005: a tie, to even (0)
        let tie = m("0.000000000005")
            .mul_ratio(1, 10, Rounding::HalfEven)
            .unwrap();
        assert_eq!(tie, Money::ZERO);
        let tie = m("0.000000000015")
            .mul_ratio(1, 10, Rounding::HalfEven)
            .unwrap();
        assert_eq!(tie.raw(), 2);
        assert_eq!(m("1").mul_ratio(1, 0, Rounding::Floor), None);
        // a negative divisor flips the sign
        assert_eq!(m("3").mul_ratio(1, -3, Rounding::Floor), Some(m("-1")));
    }

    #[test]
    fn mul_ratio_uses_a_wide_intermediate() {
        // 10^25 units × 10^12 µs / 10^12 µs: the product is 10^61 raw, beyond i128
        let big = m("10000000000000000000000000");
        let w = 1_000_000_000_000i128;
        assert_eq!(big.mul_ratio(w, w, Rounding::Floor), Some(big));
        assert_eq!(
            big.mul_ratio(w, 3 * w, Rounding::Floor)
                .unwrap()
                .to_string(),
            "3333333333333333333333333.333333333333"
        );
        let neg = -big;
        assert_eq!(
            neg.mul_ratio(w, 3 * w, Rounding::Floor)
                .unwrap()
                .to_string(),
            "-3333333333333333333333333.333333333334"
        );
        // a quotient that cannot fit
        assert_eq!(big.mul_ratio(i128::MAX, 1, Rounding::Floor), None);
    }

    #[test]
    fn apportion_by_largest_remainder() {
        // 1e-12 × 10 over three equal weights: 3, 3, 3 and one left, to the first
        let parts = Money::from_raw(10).apportion(&[1, 1, 1]).unwrap();
        assert_eq!(
            parts,
            vec![Money::from_raw(4), Money::from_raw(3), Money::from_raw(3)]
        );
        // negative totals: floors are -4, -4, -4 (= -12), two units back to the largest remainders
        let parts = Money::from_raw(-10).apportion(&[1, 1, 1]).unwrap();
        assert_eq!(parts.iter().copied().sum::<Money>(), Money::from_raw(-10));
        assert_eq!(
            parts,
            vec![
                Money::from_raw(-3),
                Money::from_raw(-3),
                Money::from_raw(-4)
            ]
        );
        // remainders decide, not the order: 100 over weights 1, 2 → 33.33…, 66.66…
        let parts = m("100").apportion(&[1, 2]).unwrap();
        assert_eq!(parts[0].to_string(), "33.333333333333");
        assert_eq!(parts[1].to_string(), "66.666666666667");
        assert_eq!(m("1").apportion(&[0, 0]), None);
        assert_eq!(m("1").apportion(&[1, -1]), None);
        assert_eq!(m("1").apportion(&[]), None);
    }

    #[test]
    fn saturating_sums_fail_when_written_not_when_added() {
        let max = Money::from_raw(i128::MAX);
        assert_eq!(max + max, max);
        let rows = [max];
        assert!(money_column("cost", &rows, |r| Some(*r)).is_err());
        let ok = [Some(m("-1.5")), None];
        let col = money_column("cost", &ok, |r| *r).unwrap();
        let df = DataFrame::new_infer_height(vec![col]).unwrap();
        assert_eq!(df.column("cost").unwrap().dtype(), &MONEY_DTYPE);
        assert_eq!(
            money_values(&df, "cost").unwrap(),
            vec![Some(m("-1.5")), None]
        );
    }

    #[test]
    fn money_values_accept_text_and_other_scales() {
        let df = df!("a" => ["1.25", "-3e-3"]).unwrap();
        assert_eq!(
            money_values(&df, "a").unwrap(),
            vec![Some(m("1.25")), Some(m("-0.003"))]
        );
        assert!(
            money_values(&df, "nope")
                .unwrap_err()
                .to_string()
                .contains("`nope`")
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn apportion_conserves_the_total(
            total in any::<i128>().prop_map(|v| v / 4),
            weights in proptest::collection::vec(0i128..1_000_000_000_000_000, 1..12),
        ) {
            let total = Money::from_raw(total);
            if let Some(parts) = total.apportion(&weights) {
                prop_assert_eq!(parts.iter().copied().sum::<Money>(), total);
                prop_assert_eq!(parts.len(), weights.len());
                // zero weight, zero part
                for (p, w) in parts.iter().zip(&weights) {
                    if *w == 0 { prop_assert_eq!(*p, Money::ZERO); }
                }
            } else {
                prop_assert!(weights.iter().all(|w| *w == 0));
            }
        }

        #[test]
        fn wide_division_agrees_with_narrow(a in any::<i64>(), b in any::<i64>(), c in 1i64..i64::MAX) {
            let (q, r) = mul_div_floor(i128::from(a), i128::from(b), i128::from(c)).unwrap();
            let p = i128::from(a) * i128::from(b);
            prop_assert_eq!(q, p.div_euclid(i128::from(c)));
            prop_assert_eq!(r, p.rem_euclid(i128::from(c)));
        }

        #[test]
        fn wide_division_is_exact(a in any::<i128>(), b in any::<i128>(), c in 1i128..i128::MAX) {
            if let Some((q, r)) = mul_div_floor(a, b, c) {
                prop_assert!((0..c).contains(&r));
                // q × c + r = a × b, checked in 256 bits via the same product helper
                let neg = (a < 0) != (b < 0);
                let (hi, lo) = mul_u128(a.unsigned_abs(), b.unsigned_abs());
                let (qh, ql) = mul_u128(q.unsigned_abs(), c as u128);
                if !neg {
                    let (lo2, carry) = ql.overflowing_add(r as u128);
                    prop_assert_eq!((qh + u128::from(carry), lo2), (hi, lo));
                } else {
                    // |q| × c − r = |a × b|
                    let (lo2, borrow) = ql.overflowing_sub(r as u128);
                    prop_assert_eq!((qh - u128::from(borrow), lo2), (hi, lo));
                }
            }
        }
    }
}
