//! `reliability` (period × service): outage episodes, downtime, MTBF and availability.
//!
//! Outages are incidents of the counted severities (`outage_severities`, default SEV1–SEV2)
//! in the chosen environment, opened at or before `as_of`; each lasts `[opened_at,
//! resolved_at)`, or to `as_of` while open. Overlapping or touching outages of one service
//! merge into one episode (the `*` row merges across services, so its MTBF is not the mean of
//! the services'). An episode's downtime is split across the periods it overlaps; it counts as
//! an outage in the period it starts in. `mtbf_hours` = (period length − downtime) / outages,
//! empty when there is no outage (never infinity or zero); `availability` = 1 − downtime /
//! period length.
//!
//! Planned maintenance (`events` of kind `maintenance` with no region, i.e. for the whole
//! game; regional windows are not applied to services, which carry no region) is shown apart
//! as `maintenance_min`. By default (`maintenance_is_downtime = false`) it is not downtime: an
//! outage's time inside a maintenance window is not counted, an outage wholly inside one is no
//! outage, and MTBF and availability are taken over the period less maintenance
//! (ITIL/GÉANT): `mtbf_hours` = (period − maintenance − downtime) / outages, `availability` =
//! 1 − downtime / (period − maintenance). With the knob on, maintenance changes nothing but
//! its own column. Pure.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::columns::column;
use super::incidents::{Incident, period_columns};
use super::periods::Period;
use crate::error::{PolarsContext, Result};

/// One outage episode, `[start, end)` in µs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Episode {
    pub start_us: i64,
    pub end_us: i64,
}

/// Merge intervals that overlap or touch into episodes, sorted by start.
pub fn merge_episodes(mut intervals: Vec<(i64, i64)>) -> Vec<Episode> {
    intervals.retain(|(s, e)| e >= s);
    intervals.sort_unstable();
    let mut out: Vec<Episode> = Vec::new();
    for (s, e) in intervals {
        match out.last_mut() {
            Some(last) if s <= last.end_us => last.end_us = last.end_us.max(e),
            _ => out.push(Episode {
                start_us: s,
                end_us: e,
            }),
        }
    }
    out
}

/// The parts of an episode outside the (merged, sorted) maintenance windows.
fn subtract(ep: Episode, maintenance: &[Episode]) -> Vec<Episode> {
    let mut out = Vec::new();
    let mut start = ep.start_us;
    for m in maintenance {
        if m.end_us <= start || m.start_us >= ep.end_us {
            continue;
        }
        if m.start_us > start {
            out.push(Episode {
                start_us: start,
                end_us: m.start_us,
            });
        }
        start = start.max(m.end_us);
    }
    if start < ep.end_us {
        out.push(Episode {
            start_us: start,
            end_us: ep.end_us,
        });
    }
    out
}

/// One row of `reliability`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReliabilityRow {
    pub period: Period,
    pub service: String,
    pub outages: u64,
    pub downtime_min: f64,
    /// Planned maintenance inside the period, in minutes.
    pub maintenance_min: f64,
    pub mtbf_hours: Option<f64>,
    pub availability: f64,
}

/// The knobs reliability reads.
#[derive(Clone, Debug)]
pub struct ReliabilityKnobs {
    /// Severity levels that count as outages (1 = SEV1).
    pub outage_severities: Vec<u8>,
    pub environment: String,
    /// Planned maintenance windows `[start, end)` in µs (merged by `reliability`).
    pub maintenance: Vec<(i64, i64)>,
    /// Whether an outage during planned maintenance counts as downtime.
    pub maintenance_is_downtime: bool,
}

impl Default for ReliabilityKnobs {
    fn default() -> Self {
        ReliabilityKnobs {
            outage_severities: vec![1, 2],
            environment: "production".into(),
            maintenance: Vec::new(),
            maintenance_is_downtime: false,
        }
    }
}

/// Rows for every period × (every service with an incident, and `*`).
pub fn reliability(
    incidents: &[Incident],
    periods: &[Period],
    as_of: DateTime<Utc>,
    knobs: &ReliabilityKnobs,
) -> Vec<ReliabilityRow> {
    let as_of_us = as_of.timestamp_micros();
    let env: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.environment == knobs.environment && i.opened_us <= as_of_us)
        .collect();
    let mut services: BTreeSet<String> = env.iter().map(|i| i.service.clone()).collect();
    services.insert("*".into());
    let maintenance = merge_episodes(knobs.maintenance.clone());
    let mut rows = Vec::new();
    for service in &services {
        let intervals: Vec<(i64, i64)> = env
            .iter()
            .filter(|i| {
                (service == "*" || &i.service == service)
                    && knobs.outage_severities.contains(&i.severity_level())
            })
            .map(|i| {
                (
                    i.opened_us,
                    i.resolved_us.filter(|r| *r <= as_of_us).unwrap_or(as_of_us),
                )
            })
            .collect();
        let episodes = merge_episodes(intervals);
        // each episode as the pieces of it that count as downtime
        let pieces: Vec<Vec<Episode>> = episodes
            .iter()
            .map(|ep| {
                if knobs.maintenance_is_downtime {
                    vec![*ep]
                } else {
                    subtract(*ep, &maintenance)
                }
            })
            .filter(|p| !p.is_empty())
            .collect();
        for p in periods {
            let (s, e) = (p.start.timestamp_micros(), p.end.timestamp_micros());
            let overlap = |ep: &Episode| (ep.end_us.min(e) - ep.start_us.max(s)).max(0);
            let down_us: i64 = pieces.iter().flatten().map(overlap).sum();
            let maint_us: i64 = maintenance.iter().map(overlap).sum();
            let outages = pieces
                .iter()
                .filter(|p| p[0].start_us >= s && p[0].start_us < e)
                .count() as u64;
            let maintenance_min = maint_us as f64 / 60e6;
            let length_min = if knobs.maintenance_is_downtime {
                p.minutes()
            } else {
                p.minutes() - maintenance_min
            };
            let downtime_min = down_us as f64 / 60e6;
            rows.push(ReliabilityRow {
                period: p.clone(),
                service: service.clone(),
                outages,
                downtime_min,
                maintenance_min,
                mtbf_hours: (outages > 0)
                    .then(|| (length_min - downtime_min) / outages as f64 / 60.0),
                availability: if length_min > 0.0 {
                    1.0 - downtime_min / length_min
                } else {
                    1.0
                },
            });
        }
    }
    rows.sort_by(|a, b| {
        (a.period.kind, a.period.start, &a.service).cmp(&(
            b.period.kind,
            b.period.start,
            &b.service,
        ))
    });
    rows
}

/// The rows as the `reliability` table.
pub fn to_frame(rows: &[ReliabilityRow]) -> Result<DataFrame> {
    let periods: Vec<&Period> = rows.iter().map(|r| &r.period).collect();
    let mut cols = period_columns(&periods)?;
    cols.extend([
        column("service", rows, |r| r.service.clone()),
        column("outages", rows, |r| r.outages),
        column("downtime_min", rows, |r| r.downtime_min),
        column("maintenance_min", rows, |r| r.maintenance_min),
        column("mtbf_hours", rows, |r| r.mtbf_hours),
        column("availability", rows, |r| r.availability),
    ]);
    DataFrame::new_infer_height(cols).ctx(|| "building reliability".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_instant;
    use crate::metrics::periods::{PeriodKind, WeekStart, periods};
    use proptest::prelude::*;

    fn us(s: &str) -> i64 {
        parse_instant(s).unwrap().timestamp_micros()
    }

    fn inc(service: &str, sev: &str, opened: &str, resolved: Option<&str>) -> Incident {
        Incident {
            resolved_us: resolved.map(us),
            ..Incident::new(&format!("{service}-{opened}"), service, sev, us(opened))
        }
    }

    #[test]
    fn overlapping_and_touching_incidents_merge_into_one_episode() {
        let eps = merge_episodes(vec![(10, 20), (20, 30), (25, 27), (40, 50)]);
        assert_eq!(
            eps,
            vec![
                Episode {
                    start_us: 10,
                    end_us: 30
                },
                Episode {
                    start_us: 40,
                    end_us: 50
                }
            ]
        );
    }

    #[test]
    fn an_episode_across_a_month_edge_splits_its_downtime_and_counts_where_it_starts() {
        let from = parse_instant("2026-09-01T00:00:00Z").unwrap();
        let to = parse_instant("2026-11-01T00:00:00Z").unwrap();
        let ps = periods(from, to, to, chrono_tz::Tz::UTC, WeekStart::Monday, false);
        let incidents = vec![
            // 23:00 Sep 30 → 01:00 Oct 1: 60 min in each month
            inc(
                "login",
                "SEV1",
                "2026-09-30T23:00:00Z",
                Some("2026-10-01T01:00:00Z"),
            ),
            // touches the first: same episode
            inc(
                "login",
                "SEV2",
                "2026-10-01T01:00:00Z",
                Some("2026-10-01T01:30:00Z"),
            ),
            // SEV3 is not an outage
            inc(
                "login",
                "SEV3",
                "2026-10-10T00:00:00Z",
                Some("2026-10-10T05:00:00Z"),
            ),
            // another service, open at as_of (the end of the window): 2 hours
            inc("store", "SEV2", "2026-10-31T22:00:00Z", None),
        ];
        let rows = reliability(&incidents, &ps, to, &ReliabilityKnobs::default());
        let get = |label: &str, svc: &str| {
            rows.iter()
                .find(|r| r.period.label == label && r.service == svc)
                .unwrap()
                .clone()
        };
        let sep = get("2026-09", "login");
        assert_eq!((sep.outages, sep.downtime_min), (1, 60.0));
        assert_eq!(sep.mtbf_hours, Some((30.0 * 24.0 * 60.0 - 60.0) / 60.0));
        let oct = get("2026-10", "login");
        assert_eq!(
            (oct.outages, oct.downtime_min, oct.mtbf_hours),
            (0, 90.0, None)
        );
        assert!((oct.availability - (1.0 - 90.0 / (31.0 * 24.0 * 60.0))).abs() < 1e-12);
        let all = get("2026-10", "*");
        assert_eq!((all.outages, all.downtime_min), (1, 210.0));
        let window = get("window", "*");
        assert_eq!((window.outages, window.downtime_min), (2, 270.0));
        assert_eq!(window.period.kind, PeriodKind::Window);
    }

    #[test]
    fn planned_maintenance_is_shown_apart_and_not_downtime() {
        let from = parse_instant("2026-10-01T00:00:00Z").unwrap();
        let to = parse_instant("2026-10-02T00:00:00Z").unwrap();
        let ps = periods(from, to, to, chrono_tz::Tz::UTC, WeekStart::Monday, false);
        // outage 01:00-03:00; maintenance 02:00-04:00 → 60 min of downtime outside it
        let incidents = vec![
            inc(
                "login",
                "SEV1",
                "2026-10-01T01:00:00Z",
                Some("2026-10-01T03:00:00Z"),
            ),
            // wholly inside maintenance: no outage at all
            inc(
                "store",
                "SEV1",
                "2026-10-01T02:30:00Z",
                Some("2026-10-01T03:30:00Z"),
            ),
        ];
        let knobs = ReliabilityKnobs {
            maintenance: vec![(us("2026-10-01T02:00:00Z"), us("2026-10-01T04:00:00Z"))],
            ..Default::default()
        };
        let rows = reliability(&incidents, &ps, to, &knobs);
        let w = |svc: &str| {
            rows.iter()
                .find(|r| r.period.kind == PeriodKind::Window && r.service == svc)
                .unwrap()
                .clone()
        };
        let login = w("login");
        assert_eq!(
            (login.outages, login.downtime_min, login.maintenance_min),
            (1, 60.0, 120.0)
        );
        // (1440 − 120 − 60) / 1 outage = 1260 min = 21 h; availability over 1320 min
        assert_eq!(login.mtbf_hours, Some(21.0));
        assert!((login.availability - (1.0 - 60.0 / 1320.0)).abs() < 1e-12);
        let store = w("store");
        assert_eq!(
            (store.outages, store.downtime_min, store.mtbf_hours),
            (0, 0.0, None)
        );
        // counted as downtime when the knob says so
        let on = ReliabilityKnobs {
            maintenance_is_downtime: true,
            ..knobs
        };
        let rows = reliability(&incidents, &ps, to, &on);
        let login = rows
            .iter()
            .find(|r| r.period.kind == PeriodKind::Window && r.service == "login")
            .unwrap();
        assert_eq!(
            (login.outages, login.downtime_min, login.maintenance_min),
            (1, 120.0, 120.0)
        );
    }

    proptest! {
        #[test]
        fn mtbf_times_outages_plus_downtime_is_the_period_length(
            raw in proptest::collection::vec((0i64..10_000, 0i64..600, 1u8..=3), 1..30),
            maint in proptest::collection::vec((0i64..10_000, 1i64..300), 0..4)
        ) {
            let from = parse_instant("2026-10-01T00:00:00Z").unwrap();
            let to = from + chrono::Duration::minutes(10_000);
            let ps = periods(from, to, to, chrono_tz::Tz::UTC, WeekStart::Monday, false);
            let incidents: Vec<Incident> = raw.iter().enumerate().map(|(n, (start, len, sev))| {
                let s = from.timestamp_micros() + start * 60_000_000;
                Incident {
                    resolved_us: Some(s + len * 60_000_000),
                    ..Incident::new(&n.to_string(), if n % 2 == 0 { "a" } else { "b" }, &format!("SEV{sev}"), s)
                }
            }).collect();
            let knobs = ReliabilityKnobs {
                maintenance: maint.iter().map(|(s, len)| {
                    let s = from.timestamp_micros() + s * 60_000_000;
                    (s, s + len * 60_000_000)
                }).collect(),
                ..Default::default()
            };
            let rows = reliability(&incidents, &ps, to, &knobs);
            let mut shuffled = incidents.clone();
            shuffled.reverse();
            prop_assert_eq!(&reliability(&shuffled, &ps, to, &knobs), &rows);
            for r in rows.iter().filter(|r| r.period.kind == PeriodKind::Window) {
                prop_assert!(r.downtime_min >= 0.0 && r.availability >= 0.0 && r.availability <= 1.0);
                if let Some(m) = r.mtbf_hours {
                    let total = m * 60.0 * r.outages as f64 + r.downtime_min + r.maintenance_min;
                    prop_assert!((total - r.period.minutes()).abs() < 1e-6);
                }
            }
        }
    }
}
