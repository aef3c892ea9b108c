//! `opsbench forecast`: the horizon flag, `--as-of` ignoring later data, the stored plan the
//! gate reads.

use std::path::Path;

use crate::util::{ingest_ok, opsbench};

/// Copy the CCU exports keeping only rows before `cut` (`ts` sorts as text: RFC 3339 UTC).
fn cut_copy(from: &Path, to: &Path, cut: &str) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let mut lines = text.lines();
        let mut out = vec![lines.next().unwrap().to_string()];
        out.extend(
            lines
                .filter(|l| l[..20].to_string().as_str() < cut)
                .map(str::to_string),
        );
        std::fs::write(to.join(p.file_name().unwrap()), out.join("\n") + "\n").unwrap();
    }
}

fn forecast(lake: &Path, out: &Path, extra: &[&str]) {
    opsbench()
        .arg("--lake")
        .arg(lake)
        .arg("--out")
        .arg(out)
        .args([
            "--as-of",
            "2026-10-15T00:00:00Z",
            "--horizon-days",
            "14",
            "forecast",
        ])
        .args(extra)
        .assert()
        .success();
}

#[test]
fn forecast_as_of_ignores_later_data_and_follows_the_horizon() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    crate::util::generate(
        &exports,
        &[
            "--days",
            "60",
            "--end",
            "2026-10-31",
            "--regions",
            "2",
            "--services",
            "1",
            "--seed",
            "9",
        ],
    );
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    cut_copy(
        &exports.join("ccu"),
        &dir.path().join("ccu-cut"),
        "2026-10-15T00:00:00Z",
    );
    for e in std::fs::read_dir(exports.join("ccu")).unwrap() {
        ingest_ok(&full, "ccu", &e.unwrap().path());
    }
    for e in std::fs::read_dir(dir.path().join("ccu-cut")).unwrap() {
        ingest_ok(&cut, "ccu", &e.unwrap().path());
    }
    for lake in [&full, &cut] {
        for e in std::fs::read_dir(exports.join("capacity")).unwrap() {
            ingest_ok(lake, "capacity", &e.unwrap().path());
        }
    }
    let (out_full, out_cut) = (dir.path().join("out-full"), dir.path().join("out-cut"));
    forecast(&full, &out_full, &[]);
    forecast(&cut, &out_cut, &[]);
    for t in ["capacity_forecast", "capacity_plan", "forecast_backtest"] {
        let a = std::fs::read_to_string(out_full.join(format!("tables/{t}.csv"))).unwrap();
        let b = std::fs::read_to_string(out_cut.join(format!("tables/{t}.csv"))).unwrap();
        assert_eq!(a, b, "{t}: data after as_of changed the figures");
    }
    let daily = std::fs::read_to_string(out_full.join("tables/capacity_forecast.csv")).unwrap();
    // two regions and the global series, 14 days each, the first day being as_of's
    assert_eq!(daily.lines().count(), 1 + 3 * 14);
    assert!(
        daily.lines().nth(1).unwrap().contains(",2026-10-15,"),
        "{daily}"
    );
    let hourly =
        std::fs::read_to_string(out_full.join("tables/capacity_forecast_hourly.csv")).unwrap();
    assert_eq!(hourly.lines().count(), 1 + 3 * 14 * 24);
    // the plan is stored for the gate
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(full.join("_derived/capacity_plan.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(plan["as_of"], "2026-10-15T00:00:00Z");
    assert_eq!(plan["regions"].as_array().unwrap().len(), 2);
    // `forecast` writes only its own tables
    assert!(!out_full.join("tables/actions.csv").exists());
    assert!(!out_full.join("tables/incident_metrics.csv").exists());
}
