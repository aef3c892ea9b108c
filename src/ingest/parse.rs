//! Cell parsing: turns one raw text cell of an export into its canonical value, or names the
//! validation [`Rule`] the cell breaks.
//!
//! Every function here is pure and total: it does no I/O, reads no clock and no environment,
//! allocates only for the value it returns, and never panics, whatever the string. Callers
//! first ask [`is_null_text`] and pass only non-null cells, but each function still answers
//! sensibly for an empty or null cell (with its rule, or `Ok(None)` for tags).
//!
//! Choices made here, on purpose:
//! - Null is only an empty/blank cell or `null` in any case. `NaN`, `N/A`, `None`, `NaT` are
//!   *not* null: a `NaN` in a count must be quarantined as `not_an_integer`, not silently
//!   become an empty value. (pandas and polars write missing values as empty cells in CSV.)
//! - Timestamps are parsed by hand over bytes (the hot path: millions of cells per run). A
//!   leap second (`:60`) and `24:00` are refused; an offset may be `Z`, `±HH:MM`, `±HHMM`,
//!   `±HH` or a trailing ` UTC`; `HH:MM` without seconds is accepted with or without offset.
//!   Fractions of more than 6 digits are truncated (not rounded) to microseconds.
//! - Dates are `YYYY-MM-DD` only (no `YYYY/MM/DD`, no time part), years 1000–9999, like
//!   timestamps.
//! - Counts are checked on their decimal digits, never through `f64`, so `1.2E3` is exactly
//!   1200 and `9007199254740993` is not rounded. A negative non-zero value is
//!   `negative_value` even if it is also a fraction (`-3.5`); `-0` is 0.
//! - Money is exact: the digits are shifted and rounded as text, never through `f64`. The
//!   result has no exponent, no leading `+`, no leading zeros, no trailing fractional zeros
//!   (`-12.50` → `-12.5`, `1e3` → `1000`, `-0.0` → `0`), at most 12 fractional digits (more
//!   are rounded half-to-even) and at most 26 integer digits (`Decimal(38, 12)`) after
//!   rounding; leading zeros in the input do not count towards the 26.

use std::collections::BTreeMap;

use chrono::{LocalResult, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde_json::Value;

use crate::schema::Rule;

/// A parsed instant: microseconds since the Unix epoch, UTC; `ambiguous` when a naive local
/// time existed twice in the zone (the earlier was taken; a flag, the row is kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant {
    pub us: i64,
    pub ambiguous: bool,
}

/// Whether a cell is null: empty, whitespace only, or `null` in any case (see the module doc
/// for why `NaN`, `N/A` and the like are not).
pub fn is_null_text(raw: &str) -> bool {
    let t = raw.trim();
    t.is_empty() || t.eq_ignore_ascii_case("null")
}

// ---------------------------------------------------------------------------------------------
// Timestamps and dates

/// The fields of a timestamp as written; `offset` in seconds east of UTC, `None` when naive.
struct Fields {
    y: i32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    us: u32,
    offset: Option<i32>,
}

/// Two ASCII digits at `b[i..i + 2]`.
#[inline]
fn d2(b: &[u8], i: usize) -> Option<u32> {
    let hi = b.get(i)?.wrapping_sub(b'0');
    let lo = b.get(i + 1)?.wrapping_sub(b'0');
    (hi < 10 && lo < 10).then_some(u32::from(hi) * 10 + u32::from(lo))
}

fn days_in_month(y: i32, mo: u32) -> u32 {
    match mo {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` at the start of `b`, checked (years 1000–9999, real month and day).
#[inline]
fn date_prefix(b: &[u8]) -> Option<(i32, u32, u32)> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = (d2(b, 0)? * 100 + d2(b, 2)?) as i32;
    let (mo, d) = (d2(b, 5)?, d2(b, 8)?);
    let ok = y >= 1000 && (1..=12).contains(&mo) && d >= 1 && d <= days_in_month(y, mo);
    ok.then_some((y, mo, d))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
#[inline]
fn days_from_civil(y: i32, mo: u32, d: u32) -> i64 {
    let y = i64::from(if mo <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((mo + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn timestamp_fields(b: &[u8]) -> Option<Fields> {
    let (y, mo, d) = date_prefix(b)?;
    let mut f = Fields {
        y,
        mo,
        d,
        h: 0,
        mi: 0,
        s: 0,
        us: 0,
        offset: None,
    };
    if b.len() == 10 {
        return Some(f);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.get(13) != Some(&b':') {
        return None;
    }
    f.h = d2(b, 11)?;
    f.mi = d2(b, 14)?;
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        f.s = d2(b, i + 1)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 6 {
                    f.us = f.us * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            let n = i - start;
            if n == 0 || n > 9 {
                return None;
            }
            for _ in n..6 {
                f.us *= 10;
            }
        }
    }
    if f.h > 23 || f.mi > 59 || f.s > 59 {
        return None;
    }
    f.offset = match &b[i..] {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [b' ', utc @ ..] if utc.eq_ignore_ascii_case(b"utc") => Some(0),
        [sign @ (b'+' | b'-'), r @ ..] => {
            let (oh, om) = match r.len() {
                2 => (d2(r, 0)?, 0),
                4 => (d2(r, 0)?, d2(r, 2)?),
                5 if r[2] == b':' => (d2(r, 0)?, d2(r, 3)?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = (oh * 3600 + om * 60) as i32;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => return None,
    };
    Some(f)
}

/// A timestamp: RFC 3339 (`T`, `t` or a space between date and time; offset `Z`, `±HH:MM`,
/// `±HHMM`, `±HH` or ` UTC`), or naive `YYYY-MM-DD[T ]HH:MM[:SS[.f]]` or `YYYY-MM-DD`
/// (midnight) read in `tz`. A naive time in a DST gap is `nonexistent_local_time`; one that
/// exists twice takes the earlier instant and is marked `ambiguous`.
pub fn parse_timestamp(raw: &str, tz: Tz) -> Result<Instant, Rule> {
    let f = timestamp_fields(raw.trim().as_bytes()).ok_or(Rule::UnparseableTimestamp)?;
    let secs = days_from_civil(f.y, f.mo, f.d) * 86_400 + i64::from(f.h * 3600 + f.mi * 60 + f.s);
    let local_us = secs * 1_000_000 + i64::from(f.us);
    match f.offset {
        Some(off) => Ok(Instant {
            us: local_us - i64::from(off) * 1_000_000,
            ambiguous: false,
        }),
        None if tz == Tz::UTC => Ok(Instant {
            us: local_us,
            ambiguous: false,
        }),
        None => {
            let naive = NaiveDate::from_ymd_opt(f.y, f.mo, f.d)
                .and_then(|d| d.and_hms_micro_opt(f.h, f.mi, f.s, f.us))
                .ok_or(Rule::UnparseableTimestamp)?;
            match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) => Ok(Instant {
                    us: t.timestamp_micros(),
                    ambiguous: false,
                }),
                LocalResult::Ambiguous(a, b) => Ok(Instant {
                    us: a.timestamp_micros().min(b.timestamp_micros()),
                    ambiguous: true,
                }),
                LocalResult::None => Err(Rule::NonexistentLocalTime),
            }
        }
    }
}

/// A calendar date, `YYYY-MM-DD` only (years 1000–9999); anything else is `unparseable_date`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, Rule> {
    let b = raw.trim().as_bytes();
    if b.len() != 10 {
        return Err(Rule::UnparseableDate);
    }
    date_prefix(b)
        .and_then(|(y, mo, d)| NaiveDate::from_ymd_opt(y, mo, d))
        .ok_or(Rule::UnparseableDate)
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// Exponents are capped at this size: far beyond any that could still give a value that fits,
/// and small enough that position arithmetic on it cannot overflow.
const EXP_CAP: i64 = 1_000_000_000_000_000;
/// Integer and fractional digits of `Decimal(38, 12)`.
const MONEY_INT_DIGITS: i64 = 26;
const MONEY_SCALE: i64 = 12;

/// A decimal literal `[+-]digits[.digits][(e|E)[+-]digits]` (at least one mantissa digit),
/// split into its parts. The value is `±(int ++ frac) × 10^(exp - frac.len())`.
struct Lit<'a> {
    neg: bool,
    int: &'a [u8],
    frac: &'a [u8],
    exp: i64,
}

impl Lit<'_> {
    fn len(&self) -> usize {
        self.int.len() + self.frac.len()
    }

    /// The `i`-th mantissa digit (as a number), counting through `int` then `frac`.
    fn digit(&self, i: usize) -> u8 {
        let c = if i < self.int.len() {
            self.int[i]
        } else {
            self.frac[i - self.int.len()]
        };
        c - b'0'
    }

    /// The significant digits: `(first, last)` non-zero mantissa index, and `p`, the decimal
    /// exponent such that the value is `±0.d[first]…d[last] × 10^p`. `None` for zero.
    fn significant(&self) -> Option<(usize, usize, i64)> {
        let first = (0..self.len()).find(|&i| self.digit(i) != 0)?;
        let last = (0..self.len()).rev().find(|&i| self.digit(i) != 0)?;
        Some((first, last, self.int.len() as i64 + self.exp - first as i64))
    }
}

fn digit_run(b: &[u8]) -> usize {
    b.iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len())
}

fn split_sign(b: &[u8]) -> (bool, &[u8]) {
    match b {
        [b'-', r @ ..] => (true, r),
        [b'+', r @ ..] => (false, r),
        _ => (false, b),
    }
}

fn lex_decimal(b: &[u8]) -> Option<Lit<'_>> {
    let (neg, b) = split_sign(b);
    let n = digit_run(b);
    let (int, mut rest) = b.split_at(n);
    let mut frac: &[u8] = &[];
    if let [b'.', r @ ..] = rest {
        (frac, rest) = r.split_at(digit_run(r));
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut exp = 0i64;
    if let [b'e' | b'E', r @ ..] = rest {
        let (eneg, r) = split_sign(r);
        if r.is_empty() || digit_run(r) != r.len() {
            return None;
        }
        for c in r {
            exp = (exp * 10 + i64::from(c - b'0')).min(EXP_CAP);
        }
        exp = if eneg { -exp } else { exp };
        rest = &[];
    }
    rest.is_empty().then_some(Lit {
        neg,
        int,
        frac,
        exp,
    })
}

/// `nan`, `inf` or `infinity`, any case, with an optional sign.
fn is_nonfinite_word(t: &str) -> bool {
    let (_, w) = split_sign(t.as_bytes());
    [&b"nan"[..], b"inf", b"infinity"]
        .iter()
        .any(|x| w.eq_ignore_ascii_case(x))
}

/// A non-negative whole count: `12`, `+12`, `12.0`, `1e3`, `1.2E3`. A fraction, `NaN`, an
/// infinity or a value beyond `i64` is `not_an_integer`; a negative non-zero value is
/// `negative_value`; anything that is not a decimal literal is `unparseable_number`.
pub fn parse_count(raw: &str) -> Result<i64, Rule> {
    let t = raw.trim();
    let b = t.as_bytes();
    if !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) {
        return Ok(b.iter().fold(0i64, |v, c| v * 10 + i64::from(c - b'0')));
    }
    if is_nonfinite_word(t) {
        return Err(Rule::NotAnInteger);
    }
    let lit = lex_decimal(b).ok_or(Rule::UnparseableNumber)?;
    let Some((first, last, p)) = lit.significant() else {
        return Ok(0);
    };
    if lit.neg {
        return Err(Rule::NegativeValue);
    }
    let k = (last - first + 1) as i64;
    if p < k || p > 19 {
        return Err(Rule::NotAnInteger); // a fraction, or more than 19 digits
    }
    let mut v: i128 = (first..=last).fold(0, |v, i| v * 10 + i128::from(lit.digit(i)));
    for _ in k..p {
        v *= 10;
    }
    i64::try_from(v).map_err(|_| Rule::NotAnInteger)
}

/// A finite real number ≥ 0 (`-0` is 0). `NaN`, infinities, values too large for `f64` and
/// non-numbers are `unparseable_number`; a negative non-zero value is `negative_value`.
pub fn parse_real(raw: &str) -> Result<f64, Rule> {
    let t = raw.trim();
    let lit = lex_decimal(t.as_bytes()).ok_or(Rule::UnparseableNumber)?;
    let v: f64 = t.parse().map_err(|_| Rule::UnparseableNumber)?;
    if !v.is_finite() {
        return Err(Rule::UnparseableNumber);
    }
    if lit.neg && lit.significant().is_some() {
        return Err(Rule::NegativeValue);
    }
    Ok(if v == 0.0 { 0.0 } else { v })
}

/// An exact decimal amount, possibly negative, as a plain decimal string (see the module doc
/// for the canonical form and the rounding). Anything else is `unparseable_decimal`.
pub fn parse_money(raw: &str) -> Result<String, Rule> {
    let lit = lex_decimal(raw.trim().as_bytes()).ok_or(Rule::UnparseableDecimal)?;
    let Some((first, last, mut p)) = lit.significant() else {
        return Ok("0".to_owned());
    };
    if p > MONEY_INT_DIGITS {
        return Err(Rule::UnparseableDecimal);
    }
    let k = (last - first + 1) as i64; // significant digits
    let keep = p + MONEY_SCALE; // significant digits that fall within 12 fractional places
    let mut ds: Vec<u8>;
    if keep >= k {
        ds = (first..=last).map(|i| lit.digit(i)).collect();
    } else if keep < 0 {
        return Ok("0".to_owned()); // below half of 10^-12
    } else {
        let keep = keep as usize;
        ds = (first..first + keep).map(|i| lit.digit(i)).collect();
        let dropped = lit.digit(first + keep);
        let sticky = k > keep as i64 + 1; // a non-zero digit after the first dropped one
        let odd = ds.last().is_some_and(|d| d % 2 == 1);
        if dropped > 5 || (dropped == 5 && (sticky || odd)) {
            match ds.iter().rposition(|&d| d != 9) {
                Some(j) => {
                    ds[j] += 1;
                    ds.truncate(j + 1);
                }
                None => {
                    ds = vec![1];
                    p += 1;
                }
            }
        }
        while ds.last() == Some(&0) {
            ds.pop();
        }
        if ds.is_empty() {
            return Ok("0".to_owned());
        }
    }
    if p > MONEY_INT_DIGITS {
        return Err(Rule::UnparseableDecimal);
    }
    let mut out = String::with_capacity(ds.len() + 16);
    if lit.neg {
        out.push('-');
    }
    let ch = |d: &u8| char::from(b'0' + d);
    if p <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-p) as usize));
        out.extend(ds.iter().map(ch));
    } else {
        let p = p as usize;
        out.extend(ds.iter().take(p).map(ch));
        if ds.len() > p {
            out.push('.');
            out.extend(ds[p..].iter().map(ch));
        } else {
            out.extend(std::iter::repeat_n('0', p - ds.len()));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Categories

/// `raw` trimmed and ASCII-lowercased into `buf`, if it fits.
fn lower<'a>(raw: &str, buf: &'a mut [u8; 16]) -> Option<&'a [u8]> {
    let t = raw.trim().as_bytes();
    let out = buf.get_mut(..t.len())?;
    out.copy_from_slice(t);
    out.make_ascii_lowercase();
    Some(out)
}

/// A severity, any case: `SEV1`/`P1`/`1`/`critical`, `SEV2`/`P2`/`2`/`high`/`major`,
/// `SEV3`/`P3`/`3`/`medium`/`moderate`, `SEV4`/`P4`/`4`/`low`/`minor`,
/// `SEV5`/`P5`/`5`/`info`/`informational` → `SEV1` … `SEV5`. `SEV` and `P` may be followed
/// by one `-`, `_` or space (`SEV-1`, `sev 1`, `P_2`). Else `unknown_severity`.
pub fn normalize_severity(raw: &str) -> Result<&'static str, Rule> {
    const OUT: [&str; 5] = ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"];
    let mut buf = [0; 16];
    let s = lower(raw, &mut buf).ok_or(Rule::UnknownSeverity)?;
    let level = match s {
        b"critical" => 1,
        b"high" | b"major" => 2,
        b"medium" | b"moderate" => 3,
        b"low" | b"minor" => 4,
        b"info" | b"informational" => 5,
        _ => {
            let rest = s
                .strip_prefix(b"sev")
                .or_else(|| s.strip_prefix(b"p"))
                .unwrap_or(s);
            let rest = match rest {
                [b'-' | b'_' | b' ', r @ ..] if rest.len() < s.len() => r,
                r => r,
            };
            match rest {
                [d @ b'1'..=b'5'] => usize::from(d - b'0'),
                _ => return Err(Rule::UnknownSeverity),
            }
        }
    };
    Ok(OUT[level - 1])
}

/// A deployment status, any case: `success`/`succeeded` → `success`, `failure`/`failed` →
/// `failed`, `rollback`/`rolled_back`/`rolled back`/`rolled-back`/`rolledback` →
/// `rolled_back`, `cancelled`/`canceled` → `cancelled`. Else `unknown_status`.
pub fn normalize_status(raw: &str) -> Result<&'static str, Rule> {
    let mut buf = [0; 16];
    match lower(raw, &mut buf).ok_or(Rule::UnknownStatus)? {
        b"success" | b"succeeded" => Ok("success"),
        b"failure" | b"failed" => Ok("failed"),
        b"rollback" | b"rolled_back" | b"rolled back" | b"rolled-back" | b"rolledback" => {
            Ok("rolled_back")
        }
        b"cancelled" | b"canceled" => Ok("cancelled"),
        _ => Err(Rule::UnknownStatus),
    }
}

/// An event kind, any case: `launch`, `marketing`, `season`, `maintenance` → that word. Else
/// `unknown_event_kind` (the caller stores `other` and counts the flag).
pub fn normalize_event_kind(raw: &str) -> Result<&'static str, Rule> {
    let mut buf = [0; 16];
    match lower(raw, &mut buf).ok_or(Rule::UnknownEventKind)? {
        b"launch" => Ok("launch"),
        b"marketing" => Ok("marketing"),
        b"season" => Ok("season"),
        b"maintenance" => Ok("maintenance"),
        _ => Err(Rule::UnknownEventKind),
    }
}

/// Tags: a JSON object → its canonical compact JSON (keys sorted at every depth, values kept
/// as JSON: `{"b":1,"a":"x"}` → `{"a":"x","b":1}`). Empty, `null` and `{}` → `Ok(None)`.
/// Azure's brace-less form `"k":"v","k2":"v2"` is wrapped in braces and read again. Arrays,
/// scalars and broken JSON are `invalid_tags`.
pub fn normalize_tags(raw: &str) -> Result<Option<String>, Rule> {
    let t = raw.trim();
    if is_null_text(t) {
        return Ok(None);
    }
    let value = match serde_json::from_str::<Value>(t) {
        Ok(v) => v,
        Err(_) if t.starts_with('"') => {
            serde_json::from_str(&format!("{{{t}}}")).map_err(|_| Rule::InvalidTags)?
        }
        Err(_) => return Err(Rule::InvalidTags),
    };
    match value {
        Value::Object(m) if m.is_empty() => Ok(None),
        v @ Value::Object(_) => Ok(Some(canonical(v).to_string())),
        _ => Err(Rule::InvalidTags),
    }
}

/// `v` with the keys of every object sorted (whether or not serde_json keeps insertion
/// order, inserting in sorted order gives sorted output).
fn canonical(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<String, Value> =
                m.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(canonical).collect()),
        other => other,
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
