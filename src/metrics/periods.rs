//! Report periods: the window, each calendar month, each week (ISO, or Sunday-start) and, for
//! the tables that want them, each day, in `report_tz`, clipped to the window and to `as_of`.
//!
//! A period is a half-open interval of instants `[start, end)`. Months, weeks and days start at
//! local midnight in `report_tz` (a DST change makes a day 23 or 25 hours long, as it is).
//! Pure: the window, `as_of` and the zone are parameters.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::config::local_midnight;

/// What kind of period a row covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PeriodKind {
    Window,
    Month,
    Week,
    Day,
}

impl PeriodKind {
    /// The value written in `period_kind`.
    pub fn name(self) -> &'static str {
        match self {
            PeriodKind::Window => "window",
            PeriodKind::Month => "month",
            PeriodKind::Week => "week",
            PeriodKind::Day => "day",
        }
    }
}

/// The first day of a week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WeekStart {
    /// ISO weeks, labelled `2026-W43`.
    #[default]
    Monday,
    /// Weeks from Sunday, labelled by the ISO week of their Monday (`2026-W43`, the week that
    /// starts the Sunday before it).
    Sunday,
}

/// One period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    /// `window`, `2026-10`, `2026-W43` or `2026-10-05`.
    pub label: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    /// Length in minutes.
    pub fn minutes(&self) -> f64 {
        (self.end - self.start).num_milliseconds() as f64 / 60_000.0
    }

    /// Whether an instant falls in `[start, end)`.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && t < self.end
    }
}

/// The periods of a window `[from, to)`, clipped to `as_of`: the window itself, then months,
/// weeks and (with `days`) days, each in start order. Periods that begin at or after the
/// clipped end are left out.
pub fn periods(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    as_of: DateTime<Utc>,
    tz: Tz,
    week_start: WeekStart,
    days: bool,
) -> Vec<Period> {
    let end = to.min(as_of);
    let mut out = Vec::new();
    if end <= from {
        return out;
    }
    out.push(Period {
        kind: PeriodKind::Window,
        label: "window".into(),
        start: from,
        end,
    });
    let first_local = from.with_timezone(&tz).date_naive();
    // months
    let mut m = NaiveDate::from_ymd_opt(first_local.year(), first_local.month(), 1)
        .expect("first of month exists");
    while local_midnight(m, tz) < end {
        let next = add_month(m);
        push_clipped(
            &mut out,
            PeriodKind::Month,
            format!("{:04}-{:02}", m.year(), m.month()),
            local_midnight(m, tz),
            local_midnight(next, tz),
            from,
            end,
        );
        m = next;
    }
    // weeks
    let back = match week_start {
        WeekStart::Monday => first_local.weekday().num_days_from_monday(),
        WeekStart::Sunday => first_local.weekday().num_days_from_sunday(),
    };
    let mut w = first_local - Duration::days(i64::from(back));
    while local_midnight(w, tz) < end {
        let next = w + Duration::days(7);
        // label by the ISO week of the week's Monday
        let monday = match week_start {
            WeekStart::Monday => w,
            WeekStart::Sunday => w + Duration::days(1),
        };
        let iso = monday.iso_week();
        push_clipped(
            &mut out,
            PeriodKind::Week,
            format!("{:04}-W{:02}", iso.year(), iso.week()),
            local_midnight(w, tz),
            local_midnight(next, tz),
            from,
            end,
        );
        w = next;
    }
    if days {
        let mut d = first_local;
        while local_midnight(d, tz) < end {
            let next = d + Duration::days(1);
            push_clipped(
                &mut out,
                PeriodKind::Day,
                d.format("%Y-%m-%d").to_string(),
                local_midnight(d, tz),
                local_midnight(next, tz),
                from,
                end,
            );
            d = next;
        }
    }
    out
}

fn push_clipped(
    out: &mut Vec<Period>,
    kind: PeriodKind,
    label: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) {
    let (s, e) = (start.max(from), end.min(to));
    if s < e {
        out.push(Period {
            kind,
            label,
            start: s,
            end: e,
        });
    }
}

fn add_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("first of month exists")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_instant;

    fn t(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap()
    }

    fn labels(ps: &[Period], kind: PeriodKind) -> Vec<String> {
        ps.iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.label.clone())
            .collect()
    }

    #[test]
    fn months_and_iso_weeks_are_clipped_to_the_window_and_as_of() {
        let ps = periods(
            t("2026-09-28T00:00:00Z"),
            t("2026-10-20T00:00:00Z"),
            t("2026-10-15T12:00:00Z"),
            Tz::UTC,
            WeekStart::Monday,
            false,
        );
        assert_eq!(ps[0].label, "window");
        assert_eq!(ps[0].end, t("2026-10-15T12:00:00Z"));
        assert_eq!(labels(&ps, PeriodKind::Month), vec!["2026-09", "2026-10"]);
        let sep = ps.iter().find(|p| p.label == "2026-09").unwrap();
        assert_eq!(
            (sep.start, sep.end),
            (t("2026-09-28T00:00:00Z"), t("2026-10-01T00:00:00Z"))
        );
        // 2026-09-28 is a Monday, ISO week 40
        assert_eq!(
            labels(&ps, PeriodKind::Week),
            vec!["2026-W40", "2026-W41", "2026-W42"]
        );
        let last = ps.iter().rfind(|p| p.kind == PeriodKind::Week).unwrap();
        assert_eq!(
            (last.start, last.end),
            (t("2026-10-12T00:00:00Z"), t("2026-10-15T12:00:00Z"))
        );
    }

    #[test]
    fn sunday_weeks_and_days_in_a_dst_zone() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // the window is local midnights; 2026-10-25 is the DST end (a 25-hour day)
        let ps = periods(
            t("2026-10-23T22:00:00Z"),
            t("2026-10-26T23:00:00Z"),
            t("2027-01-01T00:00:00Z"),
            tz,
            WeekStart::Sunday,
            true,
        );
        let days: Vec<&Period> = ps.iter().filter(|p| p.kind == PeriodKind::Day).collect();
        assert_eq!(
            days.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
            vec!["2026-10-24", "2026-10-25", "2026-10-26"]
        );
        assert_eq!(days[1].minutes(), 25.0 * 60.0);
        // Saturday 24th is in the week that began Sunday the 18th; Sunday 25th starts the next
        let weeks: Vec<&Period> = ps.iter().filter(|p| p.kind == PeriodKind::Week).collect();
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[1].start, t("2026-10-24T22:00:00Z"));
        assert_eq!(weeks[1].label, "2026-W44");
    }

    #[test]
    fn an_empty_window_has_no_periods() {
        assert!(
            periods(
                t("2026-10-01T00:00:00Z"),
                t("2026-10-02T00:00:00Z"),
                t("2026-09-01T00:00:00Z"),
                Tz::UTC,
                WeekStart::Monday,
                true
            )
            .is_empty()
        );
    }
}
