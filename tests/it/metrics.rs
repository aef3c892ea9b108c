//! Metric tables through the whole pipeline (ingest → lake → `opsbench metrics`) against
//! hand-computed fixtures.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{fixture, opsbench};

/// The rows of a CSV as maps, keyed by the given columns.
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// Every cell of each wanted row equals the got row with the same key (numbers to 1e-9).
fn assert_rows(
    what: &str,
    got: &[BTreeMap<String, String>],
    want: &[BTreeMap<String, String>],
    key: &str,
) {
    assert_eq!(got.len(), want.len(), "{what}: row count");
    for w in want {
        let g = got
            .iter()
            .find(|g| g[key] == w[key])
            .unwrap_or_else(|| panic!("{what}: no output row for {w:?}"));
        for (col, value) in w {
            let actual = &g[col];
            let same = match (value.parse::<f64>(), actual.parse::<f64>()) {
                (Ok(a), Ok(b)) => (a - b).abs() < 1e-9,
                _ => value == actual,
            };
            assert!(
                same,
                "{what} {w:?}: column {col}: want `{value}`, got `{actual}`"
            );
        }
    }
}

#[test]
fn incident_metrics_and_reliability_match_the_hand_computed_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let out = dir.path().join("out");
    for (dataset, file) in [("incidents", "incidents.csv"), ("events", "events.csv")] {
        opsbench()
            .arg("--lake")
            .arg(&lake)
            .args(["ingest", dataset])
            .arg(fixture(&format!("reliability_cases/{file}")))
            .assert()
            .success();
    }
    opsbench()
        .arg("--lake")
        .arg(&lake)
        .arg("--out")
        .arg(&out)
        .args([
            "--from",
            "2026-10-01",
            "--to",
            "2026-11-01",
            "--as-of",
            "2026-11-01T00:00:00Z",
            "metrics",
        ])
        .assert()
        .success();
    let tables = out.join("tables");
    let expected = fixture("reliability_cases/expected");
    // incident_metrics: the window rows of (*, *) and each service's (service, *)
    let got: Vec<_> = rows(&tables.join("incident_metrics.csv"))
        .into_iter()
        .filter(|r| r["period_kind"] == "window" && r["severity"] == "*")
        .collect();
    assert_rows(
        "incident_metrics",
        &got,
        &rows(&expected.join("incident_metrics_window.csv")),
        "service",
    );
    let rel: Vec<_> = rows(&tables.join("reliability.csv"))
        .into_iter()
        .filter(|r| r["period_kind"] == "window")
        .collect();
    assert_rows(
        "reliability",
        &rel,
        &rows(&expected.join("reliability_window.csv")),
        "service",
    );
    // no CCU export: player-minutes lost are unknown, not zero
    assert!(got.iter().all(|r| r["player_minutes_lost"].is_empty()));
    assert!(!tables.join("incident_impact.csv").exists());
}

#[test]
fn incident_causes_follow_the_fixture_and_unknown_words_are_counted_not_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let (lake, out) = (dir.path().join("lake"), dir.path().join("out"));
    let fx = crate::util::fixture("incident_causes");
    crate::util::ingest_ok(&lake, "incidents", &fx.join("incidents.csv"));
    crate::util::opsbench()
        .arg("--config")
        .arg(fx.join("opsbench.toml"))
        .arg("--lake")
        .arg(&lake)
        .arg("--out")
        .arg(&out)
        .args([
            "--as-of",
            "2026-10-20T00:00:00Z",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-20",
        ])
        .arg("report")
        .assert()
        .success();
    let got = std::fs::read_to_string(out.join("tables/incident_causes.csv")).unwrap();
    let window: Vec<&str> = got.lines().filter(|l| l.starts_with("window,")).collect();
    let want = std::fs::read_to_string(fx.join("expected_window.csv")).unwrap();
    assert_eq!(window, want.lines().collect::<Vec<_>>());
    let dq = std::fs::read_to_string(out.join("tables/data_quality.csv")).unwrap();
    let line = dq
        .lines()
        .find(|l| l.contains("unknown_cause"))
        .expect("unknown_cause row");
    assert!(
        line.starts_with("incidents,unknown_cause,flagged,"),
        "{line}"
    );
    assert!(line.contains("i1 cause=`gremlins`"), "{line}");
    // nothing was quarantined: all four incidents loaded
    assert!(
        dq.lines().any(|l| l.starts_with("incidents,*,*,1,4,4,0,1")),
        "{dq}"
    );
    let actions = std::fs::read_to_string(out.join("tables/actions.csv")).unwrap();
    assert!(
        actions
            .lines()
            .any(|l| l.starts_with("retrospective_due,warning,api,") && l.ends_with(",2026-10-06")),
        "{actions}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Login &#60;b&#62;down"));
    assert!(!html.contains("<b>down</b>"));
}
