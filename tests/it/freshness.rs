//! A nightly run whose cost export did not arrive and whose CCU stops two days early: every
//! other table and section is still written, the problems are named at the top, and
//! `--require-fresh` turns them into exit code 1.

use std::path::Path;

use crate::util::opsbench;

/// Drop every CCU row of the last two generated days (the CSV's first column is `ts`).
fn cut_ccu(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("2026-10-30") && !l.starts_with("2026-10-31"))
            .collect();
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    }
}

#[test]
fn a_missing_cost_export_and_short_ccu_are_reported_first_and_fail_only_when_required() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    crate::util::generate(
        &exports,
        &["--days", "6", "--end", "2026-10-31", "--seed", "5"],
    );
    std::fs::remove_dir_all(exports.join("cost")).unwrap();
    let head = std::fs::read_to_string(exports.join("ccu/part-0001.csv")).unwrap();
    assert!(
        head.starts_with("ts,"),
        "ccu's first column is ts: {}",
        &head[..40]
    );
    cut_ccu(&exports.join("ccu"));
    let out = dir.path().join("out");
    let run = |extra: &[&str], code: i32| {
        opsbench()
            .arg("--config")
            .arg(exports.join("opsbench.toml"))
            .arg("--out")
            .arg(&out)
            .args(["--as-of", "2026-11-01T00:00:00Z", "run"])
            .args(extra)
            .assert()
            .code(code)
    };
    run(&[], 0);
    let freshness = std::fs::read_to_string(out.join("tables/dataset_freshness.csv")).unwrap();
    let status = |d: &str| {
        freshness
            .lines()
            .find(|l| l.starts_with(&format!("{d},")))
            .and_then(|l| l.rsplit(',').next())
            .unwrap()
            .to_string()
    };
    assert_eq!(status("cost"), "missing", "{freshness}");
    assert_eq!(status("ccu"), "stale", "{freshness}");
    assert_eq!(status("slo"), "fresh", "{freshness}");
    // the actions table starts with the data problems
    let actions = std::fs::read_to_string(out.join("tables/actions.csv")).unwrap();
    let kinds: Vec<&str> = actions
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(&kinds[..2], ["missing_data", "stale_data"], "{actions}");
    // the other tables are still written, and the sections that need CCU say why
    for t in [
        "slo_metrics",
        "change_metrics",
        "incident_metrics",
        "reliability",
    ] {
        assert!(out.join(format!("tables/{t}.csv")).exists(), "{t}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Data problem: no ccu data after 2026-10-29 23:"),
        "the impact section names the CCU problem"
    );
    assert!(html.contains("no cost data at or before as_of"));
    // the same lake, now required to be fresh
    run(&["--require-fresh"], 1);
}
