use super::*;
use crate::metrics::periods::{PeriodKind, WeekStart, periods};
use chrono::TimeZone;

const MIN: i64 = 60_000_000;

fn t(d: u32, h: u32) -> i64 {
    Utc.with_ymd_and_hms(2026, 10, d, h, 0, 0)
        .unwrap()
        .timestamp_micros()
}

fn inc(id: &str, svc: &str, sev: &str, opened: i64, len_min: Option<i64>) -> Incident {
    let mut i = Incident::new(id, svc, sev, opened);
    i.resolved_us = len_min.map(|m| opened + m * MIN);
    i
}

fn notes(cause: Option<&str>, pm: Option<&str>) -> Notes {
    Notes {
        cause: cause.map(str::to_string),
        postmortem_url: pm.map(str::to_string),
        title: None,
    }
}

#[test]
fn explicit_causes_win_links_count_as_deploy_and_unknown_words_are_kept_as_unknown() {
    let map: BTreeMap<String, String> = [("Bad Push".to_string(), "deploy".to_string())].into();
    let incidents = vec![
        inc("a", "x", "SEV1", t(1, 0), Some(10)),
        inc("b", "x", "SEV2", t(1, 1), Some(10)),
        inc("c", "x", "SEV3", t(1, 2), Some(10)),
        inc("d", "x", "SEV3", t(1, 3), Some(10)),
        inc("e", "x", "SEV3", t(1, 4), Some(10)),
        inc("f", "x", "SEV3", t(1, 5), Some(10)),
    ];
    let n: BTreeMap<String, Notes> = [
        ("a", notes(Some("Infra"), None)),
        // an explicit cause wins over a deployment link
        ("b", notes(Some("cloud outage"), None)),
        ("c", notes(Some("bad-push"), None)),
        ("d", notes(Some("CONFIGURATION"), None)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let linked: BTreeSet<String> = ["b", "e"].map(String::from).into();
    let got = classify(&incidents, &n, &linked, &map);
    let causes: Vec<(&str, &str, Option<&str>)> = got
        .iter()
        .map(|c| (c.incident_id.as_str(), c.cause, c.unknown_word.as_deref()))
        .collect();
    assert_eq!(
        causes,
        [
            ("a", "infrastructure", None),
            ("b", "unknown", Some("cloud outage")),
            ("c", "deploy", None),
            ("d", "config", None),
            ("e", "deploy", None),
            ("f", "unknown", None),
        ]
    );
}

#[test]
fn causes_table_counts_shares_durations_and_minutes_by_hand() {
    // October 2026; as_of Oct 10 00:00
    let as_of = Utc.with_ymd_and_hms(2026, 10, 10, 0, 0, 0).unwrap();
    let from = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
    let incidents = vec![
        inc("a", "x", "SEV1", t(1, 0), Some(30)),
        inc("b", "x", "SEV2", t(2, 0), Some(90)),
        inc("c", "y", "SEV2", t(3, 0), Some(60)),
        // open: counts up to as_of (Oct 9 23:00 → Oct 10 00:00 = 60 min)
        inc("d", "y", "SEV3", t(9, 23), None),
    ];
    let classified = vec![
        Classified {
            incident_id: "a".into(),
            cause: "deploy",
            unknown_word: None,
        },
        Classified {
            incident_id: "b".into(),
            cause: "deploy",
            unknown_word: None,
        },
        Classified {
            incident_id: "c".into(),
            cause: "capacity",
            unknown_word: None,
        },
        Classified {
            incident_id: "d".into(),
            cause: "deploy",
            unknown_word: None,
        },
    ];
    // minutes known for a, b, c; d has none (no CCU for it)
    let minutes: BTreeMap<String, f64> = [("a", 100.0), ("b", 300.0), ("c", 600.0)]
        .map(|(k, v)| (k.to_string(), v))
        .into();
    let ps: Vec<Period> = periods(from, as_of, as_of, chrono_tz::UTC, WeekStart::Monday, false)
        .into_iter()
        .filter(|p| p.kind == PeriodKind::Window)
        .collect();
    let rows = incident_causes(&incidents, &classified, &minutes, &ps, as_of, "production");
    type Row<'a> = (&'a str, &'a str, u64, f64, f64, Option<f64>, Option<f64>);
    let got: Vec<Row> = rows
        .iter()
        .map(|r| {
            (
                r.service.as_str(),
                r.cause,
                r.incidents,
                r.incident_share,
                r.duration_min,
                r.player_minutes_lost,
                r.impact_share,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // all services: 4 incidents; deploy a+b+d = 3 (0.75), 30+90+60 = 180 min,
            // minutes 100+300 = 400 of 1000 = 0.4; capacity c: 1 (0.25), 60 min, 600 (0.6)
            ("*", "deploy", 3, 0.75, 180.0, Some(400.0), Some(0.4)),
            ("*", "capacity", 1, 0.25, 60.0, Some(600.0), Some(0.6)),
            ("x", "deploy", 2, 1.0, 120.0, Some(400.0), Some(1.0)),
            // y: c capacity 60 min 600; d deploy 60 min, no minutes (null, not 0)
            ("y", "deploy", 1, 0.5, 60.0, None, None),
            ("y", "capacity", 1, 0.5, 60.0, Some(600.0), Some(1.0)),
        ]
    );
    let df = to_frame(&rows).unwrap();
    assert_eq!(df.height(), 5);
}

#[test]
fn overdue_retrospectives_are_high_severity_resolved_long_ago_without_a_postmortem() {
    let as_of = Utc.with_ymd_and_hms(2026, 10, 20, 0, 0, 0).unwrap();
    let incidents = vec![
        // resolved Oct 1 00:30; due Oct 6: overdue
        inc("old", "x", "SEV1", t(1, 0), Some(30)),
        // has a postmortem
        inc("done", "x", "SEV1", t(1, 0), Some(30)),
        // SEV3: never due
        inc("minor", "x", "SEV3", t(1, 0), Some(30)),
        // resolved Oct 16: due Oct 21, not yet
        inc("recent", "x", "SEV2", t(16, 0), Some(30)),
        // open: not due
        inc("open", "x", "SEV1", t(2, 0), None),
    ];
    let n: BTreeMap<String, Notes> =
        [("done".to_string(), notes(None, Some("https://wiki/pm/1")))].into();
    let due = retrospectives_due(&incidents, &n, as_of, 5, "production");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].incident_id, "old");
    assert_eq!(due[0].due_date.to_string(), "2026-10-06");
}

#[test]
fn cause_map_targets_must_be_known_causes() {
    let t: toml::Table = toml::from_str("\"bad push\" = \"deploy\"\noops = \"gremlins\"").unwrap();
    let e = parse_cause_map("opsbench.toml", &t)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cause_map.oops") && e.contains("`gremlins`"),
        "{e}"
    );
}
