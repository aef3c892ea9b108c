//! OpenSLO durations (`28d`, `2w`, `1m`, `1M`) and SLO time windows, rolling or
//! calendar-aligned, with the bounds of the window that holds an instant.
//!
//! Duration shorthand (OpenSLO v1, "duration-shorthand"): a positive integer followed by one
//! case-sensitive letter: `m` minutes, `h` hours, `d` days, `w` weeks, `M` months, `Q`
//! quarters, `Y` years. So `1m` is **one minute**, not a month (`1M`). Minutes, hours, days and
//! weeks have a fixed length; months, quarters and years are calendar months (3 and 12 of
//! them), added in the window's time zone.
//!
//! Pure: no I/O, no clock.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The letter of a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationUnit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl DurationUnit {
    fn letter(self) -> char {
        match self {
            DurationUnit::Minute => 'm',
            DurationUnit::Hour => 'h',
            DurationUnit::Day => 'd',
            DurationUnit::Week => 'w',
            DurationUnit::Month => 'M',
            DurationUnit::Quarter => 'Q',
            DurationUnit::Year => 'Y',
        }
    }

    fn word(self) -> &'static str {
        match self {
            DurationUnit::Minute => "minute",
            DurationUnit::Hour => "hour",
            DurationUnit::Day => "day",
            DurationUnit::Week => "week",
            DurationUnit::Month => "month",
            DurationUnit::Quarter => "quarter",
            DurationUnit::Year => "year",
        }
    }
}

/// An OpenSLO duration: `count` × `unit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecDuration {
    /// At least 1.
    pub count: u32,
    pub unit: DurationUnit,
}

impl SpecDuration {
    /// Parse the shorthand: digits, then exactly one of `m h d w M Q Y`, nothing else (no
    /// space, no sign, no fraction). `None` for anything else, and for a count of 0.
    pub fn parse(s: &str) -> Option<SpecDuration> {
        let letter = s.chars().last()?;
        let digits = &s[..s.len() - letter.len_utf8()];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let unit = match letter {
            'm' => DurationUnit::Minute,
            'h' => DurationUnit::Hour,
            'd' => DurationUnit::Day,
            'w' => DurationUnit::Week,
            'M' => DurationUnit::Month,
            'Q' => DurationUnit::Quarter,
            'Y' => DurationUnit::Year,
            _ => return None,
        };
        let count: u32 = digits.parse().ok().filter(|c| *c > 0)?;
        Some(SpecDuration { count, unit })
    }

    /// A number of days.
    pub fn days(days: u32) -> SpecDuration {
        SpecDuration {
            count: days.max(1),
            unit: DurationUnit::Day,
        }
    }

    /// The length in minutes for fixed units (`m h d w`); `None` for calendar units or on
    /// overflow.
    pub fn fixed_minutes(&self) -> Option<i64> {
        let per = match self.unit {
            DurationUnit::Minute => 1,
            DurationUnit::Hour => 60,
            DurationUnit::Day => 1440,
            DurationUnit::Week => 7 * 1440,
            _ => return None,
        };
        i64::from(self.count).checked_mul(per)
    }

    /// The number of calendar months for `M Q Y`; `None` for fixed units.
    pub fn months(&self) -> Option<u32> {
        match self.unit {
            DurationUnit::Month => Some(self.count),
            DurationUnit::Quarter => self.count.checked_mul(3),
            DurationUnit::Year => self.count.checked_mul(12),
            _ => None,
        }
    }

    /// The length in whole days, when it is fixed and a whole number of days.
    pub fn whole_days(&self) -> Option<u32> {
        let m = self.fixed_minutes()?;
        (m % 1440 == 0).then(|| u32::try_from(m / 1440).ok())?
    }

    /// In words: `28 days`, `1 minute`.
    pub fn words(&self) -> String {
        let s = if self.count == 1 { "" } else { "s" };
        format!("{} {}{s}", self.count, self.unit.word())
    }

    /// `self` added `k` times to a local time; `None` on overflow.
    fn add_to(&self, t: NaiveDateTime, k: i64) -> Option<NaiveDateTime> {
        if let Some(min) = self.fixed_minutes() {
            return t.checked_add_signed(Duration::try_minutes(min.checked_mul(k)?)?);
        }
        let months = i64::from(self.months()?).checked_mul(k)?;
        let m = chrono::Months::new(u32::try_from(months.unsigned_abs()).ok()?);
        if months >= 0 {
            t.checked_add_months(m)
        } else {
            t.checked_sub_months(m)
        }
    }
}

impl std::fmt::Display for SpecDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.count, self.unit.letter())
    }
}

/// An SLO's time window (`timeWindow` in OpenSLO).
#[derive(Clone, Debug, PartialEq)]
pub enum SloWindow {
    /// The `duration` before the instant of evaluation.
    Rolling(SpecDuration),
    /// Back-to-back periods of `duration` from `start` (a local time in `tz`).
    Calendar {
        duration: SpecDuration,
        start: NaiveDateTime,
        tz: Tz,
    },
}

impl SloWindow {
    /// The window's length.
    pub fn duration(&self) -> SpecDuration {
        match self {
            SloWindow::Rolling(d) | SloWindow::Calendar { duration: d, .. } => *d,
        }
    }

    /// Whether it is rolling.
    pub fn is_rolling(&self) -> bool {
        matches!(self, SloWindow::Rolling(_))
    }

    /// Its length in whole days, when fixed (`28d`, `2w`; not `1M`).
    pub fn days(&self) -> Option<u32> {
        self.duration().whole_days()
    }

    /// The window that holds `as_of`, as `[start, end)`. Rolling: `[as_of − duration,
    /// as_of)`. Calendar-aligned: the period `[start + k × duration, start + (k + 1) ×
    /// duration)` that contains `as_of`, cut in local time (so a weekly window keeps its local
    /// hour across a DST change); its end may lie after `as_of`, and a caller reads rows before
    /// `as_of` only. `None` only when the dates overflow.
    pub fn bounds(&self, as_of: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        match self {
            SloWindow::Rolling(d) => {
                let start = match d.fixed_minutes() {
                    Some(min) => as_of.checked_sub_signed(Duration::try_minutes(min)?)?,
                    None => as_of.checked_sub_months(chrono::Months::new(d.months()?))?,
                };
                Some((start, as_of))
            }
            SloWindow::Calendar {
                duration,
                start,
                tz,
            } => {
                let local = as_of.with_timezone(tz).naive_local();
                // a first guess of the period index, then at most a step either way for DST
                let mut k = match (duration.fixed_minutes(), duration.months()) {
                    (Some(min), _) => (local - *start).num_minutes().div_euclid(min),
                    (None, Some(months)) => {
                        let diff = (i64::from(local.year()) - i64::from(start.year())) * 12
                            + i64::from(local.month())
                            - i64::from(start.month());
                        diff.div_euclid(i64::from(months))
                    }
                    (None, None) => return None,
                };
                let at = |k: i64| {
                    duration
                        .add_to(*start, k)
                        .and_then(|t| local_to_utc(t, *tz))
                };
                for _ in 0..3 {
                    if at(k)? > as_of {
                        k -= 1;
                    } else if at(k + 1)? <= as_of {
                        k += 1;
                    } else {
                        break;
                    }
                }
                Some((at(k)?, at(k + 1)?))
            }
        }
    }
}

impl std::fmt::Display for SloWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SloWindow::Rolling(d) => write!(f, "{d} rolling"),
            SloWindow::Calendar {
                duration,
                start,
                tz,
            } => write!(
                f,
                "{duration} calendar-aligned from {} {}",
                start.format("%Y-%m-%d %H:%M:%S"),
                tz.name()
            ),
        }
    }
}

/// A local time in `tz` as an instant: the earlier of two, or the first instant after a gap.
fn local_to_utc(t: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&t) {
        chrono::LocalResult::Single(x) => Some(x.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        chrono::LocalResult::None => (1..=4).find_map(|h| {
            tz.from_local_datetime(&(t + Duration::hours(h)))
                .earliest()
                .map(|x| x.with_timezone(&Utc))
        }),
    }
}

/// Parse a calendar `startTime`: `YYYY-MM-DD HH:MM:SS` (the spec's form), also with `T` or
/// without seconds, or a bare date (its midnight).
pub fn parse_start_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn durations_parse_as_the_spec_says() {
        let d = |s| SpecDuration::parse(s);
        // `1m` is one minute (OpenSLO: `m` minutes, `M` months)
        assert_eq!(d("1m").and_then(|x| x.fixed_minutes()), Some(1));
        assert_eq!(d("1m").map(|x| x.words()).as_deref(), Some("1 minute"));
        assert_eq!(d("28d").and_then(|x| x.whole_days()), Some(28));
        assert_eq!(d("2w").and_then(|x| x.whole_days()), Some(14));
        assert_eq!(d("1h").and_then(|x| x.fixed_minutes()), Some(60));
        assert_eq!(d("48h").and_then(|x| x.whole_days()), Some(2));
        assert_eq!(d("36h").and_then(|x| x.whole_days()), None);
        assert_eq!(d("1M").and_then(|x| x.months()), Some(1));
        assert_eq!(d("1M").and_then(|x| x.fixed_minutes()), None);
        assert_eq!(d("2Q").and_then(|x| x.months()), Some(6));
        assert_eq!(d("1Y").and_then(|x| x.months()), Some(12));
        assert_eq!(d("28d").map(|x| x.to_string()).as_deref(), Some("28d"));
        for bad in [
            "",
            "d",
            "0d",
            "-1d",
            "1.5d",
            " 1d",
            "1d ",
            "1D",
            "1s",
            "1mo",
            "28",
            "99999999999d",
            "１d",
        ] {
            assert_eq!(d(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rolling_bounds_end_at_as_of() {
        let as_of = utc("2026-03-31T10:00:00Z");
        let w = SloWindow::Rolling(SpecDuration::parse("2w").unwrap());
        assert_eq!(w.bounds(as_of), Some((utc("2026-03-17T10:00:00Z"), as_of)));
        let m = SloWindow::Rolling(SpecDuration::parse("1M").unwrap());
        // 31 March minus a month clamps to the last day of February
        assert_eq!(m.bounds(as_of), Some((utc("2026-02-28T10:00:00Z"), as_of)));
        assert_eq!(m.days(), None);
        assert_eq!(w.days(), Some(14));
    }

    #[test]
    fn calendar_bounds_follow_local_time() {
        // weekly windows from Saturday 2022-01-01 12:00 in New York (UTC−5, UTC−4 from 13 March)
        let w = SloWindow::Calendar {
            duration: SpecDuration::parse("1w").unwrap(),
            start: parse_start_time("2022-01-01 12:00:00").unwrap(),
            tz: "America/New_York".parse().unwrap(),
        };
        assert_eq!(
            w.bounds(utc("2022-03-16T00:00:00Z")),
            Some((utc("2022-03-12T17:00:00Z"), utc("2022-03-19T16:00:00Z"))),
            "the window across the DST change keeps local noon at both ends"
        );
        // exactly at a boundary the new period starts
        assert_eq!(
            w.bounds(utc("2022-01-08T17:00:00Z")).map(|b| b.0),
            Some(utc("2022-01-08T17:00:00Z"))
        );
        // before the start time the periods continue backwards
        assert_eq!(
            w.bounds(utc("2021-12-31T00:00:00Z")).map(|b| b.0),
            Some(utc("2021-12-25T17:00:00Z"))
        );
        let q = SloWindow::Calendar {
            duration: SpecDuration::parse("1Q").unwrap(),
            start: parse_start_time("2026-01-01").unwrap(),
            tz: Tz::UTC,
        };
        assert_eq!(
            q.bounds(utc("2026-05-20T08:00:00Z")),
            Some((utc("2026-04-01T00:00:00Z"), utc("2026-07-01T00:00:00Z")))
        );
        assert_eq!(
            q.to_string(),
            "1Q calendar-aligned from 2026-01-01 00:00:00 UTC"
        );
    }
}
