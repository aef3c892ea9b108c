//! Hand-computed cases for `incident_metrics`.

use super::*;
use crate::config::parse_instant;
use crate::metrics::periods::{WeekStart, periods};
use proptest::prelude::*;

fn us(s: &str) -> i64 {
    parse_instant(s).unwrap().timestamp_micros()
}

fn inc(id: &str, service: &str, sev: &str, opened: &str, resolved: Option<&str>) -> Incident {
    Incident {
        resolved_us: resolved.map(us),
        ..Incident::new(id, service, sev, us(opened))
    }
}

fn window(from: &str, to: &str) -> Vec<Period> {
    let (f, t) = (parse_instant(from).unwrap(), parse_instant(to).unwrap());
    periods(f, t, t, chrono_tz::Tz::UTC, WeekStart::Monday, false)
}

#[test]
fn mttr_counts_resolved_incidents_and_ages_open_ones() {
    let as_of = parse_instant("2026-10-31T00:00:00Z").unwrap();
    let ps = window("2026-10-01T00:00:00Z", "2026-10-31T00:00:00Z");
    let mut a = inc(
        "A",
        "login",
        "SEV1",
        "2026-10-01T10:00:00Z",
        Some("2026-10-01T10:30:00Z"),
    ); // 30 min
    a.detected_us = Some(us("2026-10-01T10:05:00Z"));
    a.acknowledged_us = Some(us("2026-10-01T10:10:00Z"));
    let incidents = vec![
        a,
        inc(
            "B",
            "login",
            "SEV2",
            "2026-10-02T00:00:00Z",
            Some("2026-10-02T01:30:00Z"),
        ), // 90 min
        inc(
            "C",
            "login",
            "SEV2",
            "2026-10-03T00:00:00Z",
            Some("2026-10-03T02:00:00Z"),
        ), // 120 min
        inc(
            "D",
            "store",
            "SEV2",
            "2026-10-04T00:00:00Z",
            Some("2026-10-04T04:00:00Z"),
        ), // 240 min
        // open: counted and aged (as_of − opened = 24 h), not in MTTR
        inc("E", "store", "SEV3", "2026-10-30T00:00:00Z", None),
        // resolved after as_of: open as of then
        inc(
            "F",
            "store",
            "SEV3",
            "2026-10-29T00:00:00Z",
            Some("2026-11-02T00:00:00Z"),
        ),
        // opened after as_of: does not exist yet
        inc(
            "G",
            "store",
            "SEV3",
            "2026-10-31T01:00:00Z",
            Some("2026-10-31T02:00:00Z"),
        ),
    ];
    let rows = incident_metrics(&incidents, &ps, as_of, &IncidentKnobs::default()).unwrap();
    let get = |svc: &str, sev: &str| {
        rows.iter()
            .find(|r| r.period.label == "window" && r.service == svc && r.severity == sev)
            .unwrap()
    };
    let all = get("*", "*");
    assert_eq!(
        (all.incidents, all.resolved, all.open, all.mttr_n),
        (6, 4, 2, 4)
    );
    assert_eq!(all.oldest_open_age_hours, Some(48.0));
    // 30, 90, 120, 240
    assert_eq!(all.mttr_mean_min, Some(120.0));
    assert_eq!(all.mttr_median_min, Some(105.0));
    assert_eq!(all.mttr_max_min, Some(240.0));
    // p90: position 2.7 → 120 + 0.7 × 120 = 204
    assert!((all.mttr_p90_min.unwrap() - 204.0).abs() < 1e-9);
    assert_eq!(all.mtta_median_min, Some(10.0));
    assert_eq!(all.mttd_median_min, Some(5.0));
    let login = get("login", "*");
    assert_eq!((login.incidents, login.mttr_median_min), (3, Some(90.0)));
    let login_sev2 = get("login", "SEV2");
    assert_eq!(
        (login_sev2.incidents, login_sev2.mttr_median_min),
        (2, Some(105.0))
    );
    let sev3 = get("*", "SEV3");
    assert_eq!(
        (sev3.incidents, sev3.open, sev3.mttr_n, sev3.mttr_median_min),
        (2, 2, 0, None)
    );
    // the lower median (DevLake) of 30, 90, 120, 240 is 90
    let lower = IncidentKnobs {
        median: MedianKind::Lower,
        ..Default::default()
    };
    let rows = incident_metrics(&incidents, &ps, as_of, &lower).unwrap();
    let all = rows
        .iter()
        .find(|r| r.period.label == "window" && r.service == "*" && r.severity == "*")
        .unwrap();
    assert_eq!(all.mttr_median_min, Some(90.0));
}

#[test]
fn an_incident_counts_in_the_period_it_opened_even_if_resolved_after_it() {
    let as_of = parse_instant("2026-11-01T00:00:00Z").unwrap();
    let ps = window("2026-09-01T00:00:00Z", "2026-11-01T00:00:00Z");
    let incidents = vec![inc(
        "A",
        "login",
        "SEV1",
        "2026-09-30T23:00:00Z",
        Some("2026-10-01T01:00:00Z"),
    )];
    let rows = incident_metrics(&incidents, &ps, as_of, &IncidentKnobs::default()).unwrap();
    let sep = rows
        .iter()
        .find(|r| r.period.label == "2026-09" && r.service == "*" && r.severity == "*")
        .unwrap();
    let oct = rows
        .iter()
        .find(|r| r.period.label == "2026-10" && r.service == "*" && r.severity == "*")
        .unwrap();
    assert_eq!((sep.incidents, sep.mttr_median_min), (1, Some(120.0)));
    assert_eq!((oct.incidents, oct.mttr_median_min), (0, None));
    // by resolution, the same incident counts in October
    let by_resolved = IncidentKnobs {
        period_by: crate::knobs::PeriodBy::Resolved,
        ..Default::default()
    };
    let rows = incident_metrics(&incidents, &ps, as_of, &by_resolved).unwrap();
    let oct = rows
        .iter()
        .find(|r| r.period.label == "2026-10" && r.service == "*" && r.severity == "*")
        .unwrap();
    assert_eq!((oct.incidents, oct.mttr_median_min), (1, Some(120.0)));
    // other environments do not count
    let mut staging = incidents[0].clone();
    staging.environment = "staging".into();
    let rows = incident_metrics(&[staging], &ps, as_of, &IncidentKnobs::default()).unwrap();
    assert!(rows.iter().all(|r| r.incidents == 0));
}

proptest! {
    #[test]
    fn metrics_ignore_row_order_and_durations_are_not_negative(
        raw in proptest::collection::vec((0i64..40_000, 0i64..2_000, 1u8..=5, proptest::bool::ANY), 1..25)
    ) {
        let as_of = parse_instant("2026-10-29T00:00:00Z").unwrap();
        let ps = window("2026-10-01T00:00:00Z", "2026-10-29T00:00:00Z");
        let base = us("2026-10-01T00:00:00Z");
        let incidents: Vec<Incident> = raw.iter().enumerate().map(|(n, (start, len, sev, open))| Incident {
            resolved_us: (!open).then_some(base + (start + len) * 60_000_000),
            ..Incident::new(&n.to_string(), ["a", "b", "c"][n % 3], &format!("SEV{sev}"), base + start * 60_000_000)
        }).collect();
        let rows = incident_metrics(&incidents, &ps, as_of, &IncidentKnobs::default()).unwrap();
        let mut rev = incidents.clone();
        rev.reverse();
        prop_assert_eq!(&incident_metrics(&rev, &ps, as_of, &IncidentKnobs::default()).unwrap(), &rows);
        for r in &rows {
            prop_assert!(r.mttr_median_min.is_none_or(|m| m >= 0.0));
            prop_assert!(r.oldest_open_age_hours.is_none_or(|m| m >= 0.0));
            prop_assert_eq!(r.incidents, r.resolved + r.open);
        }
    }
}

#[test]
fn golden_incident_counts_sql() {
    let input = DataFrame::new_infer_height(vec![
        Column::new("period_order".into(), [0u32, 0, 0]),
        Column::new("service".into(), ["login", "login", "store"]),
        Column::new("severity".into(), ["SEV1", "SEV2", "SEV1"]),
        Column::new("resolved".into(), [1i64, 0, 1]),
        Column::new("mttr_min".into(), [Some(30.0f64), None, Some(90.0)]),
        Column::new("open_age_hours".into(), [None, Some(5.0f64), None]),
    ])
    .unwrap();
    let out = crate::lake::sql::run(
        "incident_counts.sql",
        INCIDENT_COUNTS_SQL,
        &[("incident_periods", input.lazy())],
    )
    .unwrap()
    .collect()
    .unwrap();
    let mut lines = Vec::new();
    for i in 0..out.height() {
        let cells: Vec<String> = out
            .columns()
            .iter()
            .map(|c| {
                let v = c.get(i).unwrap();
                if v.is_null() {
                    String::new()
                } else {
                    v.to_string().trim_matches('"').to_string()
                }
            })
            .collect();
        lines.push(cells.join(","));
    }
    let want = [
        "0,*,*,3,2,1,5.0,60.0,90.0,2",
        "0,*,SEV1,2,2,0,,60.0,90.0,2",
        "0,*,SEV2,1,0,1,5.0,,,0",
        "0,login,*,2,1,1,5.0,30.0,30.0,1",
        "0,login,SEV1,1,1,0,,30.0,30.0,1",
        "0,login,SEV2,1,0,1,5.0,,,0",
        "0,store,*,1,1,0,,90.0,90.0,1",
        "0,store,SEV1,1,1,0,,90.0,90.0,1",
    ];
    assert_eq!(lines, want);
}
