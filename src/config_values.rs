//! Parsers for the values of settings: time zones, dates, instants, durations in minutes, and
//! local midnights. Pure: no I/O, no clock.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// An IANA zone name (`UTC` and `Z` included).
pub fn parse_tz(s: &str) -> Option<Tz> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("utc") || s == "Z" {
        return Some(Tz::UTC);
    }
    s.parse().ok()
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// An RFC 3339 instant, or a date (its UTC midnight).
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    parse_date(s).map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

/// `5m`, `1h`, `90s` (whole minutes only), or a bare number of minutes.
pub fn parse_minutes(s: &str) -> Option<u32> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, "m"),
    };
    let n: u32 = num.parse().ok()?;
    let minutes = match unit {
        "m" | "min" => n,
        "h" => n.checked_mul(60)?,
        "s" if n.is_multiple_of(60) => n / 60,
        _ => return None,
    };
    (minutes > 0).then_some(minutes)
}

/// `26h`, `2d`, `1w`, or a bare number of hours; at least one hour.
pub fn parse_hours(s: &str) -> Option<u32> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, "h"),
    };
    let n: u32 = num.parse().ok()?;
    let hours = match unit {
        "h" => n,
        "d" => n.checked_mul(24)?,
        "w" => n.checked_mul(24 * 7)?,
        _ => return None,
    };
    (hours > 0).then_some(hours)
}

/// Midnight of `date` in `tz` as an instant (the earlier one if it is ambiguous; the first
/// instant after the gap if it does not exist).
pub fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    use chrono::TimeZone;
    let naive = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        chrono::LocalResult::None => {
            let later = naive + chrono::Duration::hours(1);
            tz.from_local_datetime(&later)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| naive.and_utc())
        }
    }
}

/// The line (1-based) of each `key = value` of a TOML file, by dotted path (`window.days`,
/// `datasets.ccu.inputs`), following `[table]` headers. Keys inside inline tables or arrays of
/// tables are not listed (their origin is then the file without a line).
pub fn key_lines(text: &str) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    let mut table = String::new();
    let unquote = |k: &str| k.trim().trim_matches('"').trim_matches('\'').to_string();
    for (n, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('#') || l.is_empty() {
            continue;
        }
        if let Some(h) = l.strip_prefix('[') {
            if h.starts_with('[') {
                table.clear();
                continue;
            }
            let name = h.split(']').next().unwrap_or("");
            table = name.split('.').map(unquote).collect::<Vec<_>>().join(".");
            continue;
        }
        let Some((k, _)) = l.split_once('=') else {
            continue;
        };
        let key = k.split('.').map(unquote).collect::<Vec<_>>().join(".");
        let full = if table.is_empty() {
            key
        } else {
            format!("{table}.{key}")
        };
        out.entry(full).or_insert(n + 1);
    }
    out
}
