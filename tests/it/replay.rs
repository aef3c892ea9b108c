//! `opsbench quarantine replay`: rows a config fix made valid load, the rest stay with their
//! reasons, and the manifest's counts follow (see `fixtures/quarantine_replay/README.md`).

use crate::util::{fixture, opsbench};

#[test]
fn replay_loads_what_a_config_fix_made_valid_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let fx = fixture("quarantine_replay");
    let with = |cfg: &str| {
        let mut c = opsbench();
        c.arg("--config").arg(fx.join(cfg)).arg("--lake").arg(&lake);
        c
    };
    with("berlin.toml")
        .args(["ingest", "ccu"])
        .arg(fx.join("ccu.csv"))
        .assert()
        .success();
    let status = |lake: &std::path::Path| -> serde_json::Value {
        let out = opsbench()
            .arg("--lake")
            .arg(lake)
            .args(["lake", "status", "--json"])
            .assert()
            .success();
        let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        v["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["dataset"] == "ccu")
            .unwrap()
            .clone()
    };
    let before = status(&lake);
    assert_eq!(before["rows"], 2);
    assert_eq!(
        before["quarantined_by_rule"],
        serde_json::json!({"nonexistent_local_time": 1, "unparseable_number": 1})
    );
    // an unknown rule is a usage error
    with("utc.toml")
        .args(["quarantine", "replay", "ccu", "--rule", "nope"])
        .assert()
        .code(2);
    let out = with("utc.toml")
        .args(["quarantine", "replay", "ccu", "--json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["replayed"], 2);
    assert_eq!(v["passed"], 1);
    assert_eq!(
        v["still_quarantined"],
        serde_json::json!({"unparseable_number": 1})
    );
    let after = status(&lake);
    assert_eq!(after["rows"], 3);
    assert_eq!(
        after["quarantined_by_rule"],
        serde_json::json!({"unparseable_number": 1})
    );
    let rows = crate::util::read_back(&lake, opsbench::schema::Dataset::Ccu);
    let csv = crate::util::csv_text(&rows);
    assert!(csv.contains("2026-03-29T02:30:00Z,eu,110,a"), "{csv}");
    // the quarantine keeps the failing row with its original line and reason
    let q = opsbench::lake::Lake::new(&lake)
        .quarantine(opsbench::schema::Dataset::Ccu)
        .unwrap();
    assert_eq!(q.height(), 1);
    assert_eq!(crate::util::strings(&q, "rule"), ["unparseable_number"]);
    assert_eq!(
        q.column("line")
            .unwrap()
            .cast(&polars::prelude::DataType::UInt64)
            .unwrap()
            .u64()
            .unwrap()
            .get(0),
        Some(4)
    );
    // data_quality reads the corrected manifest
    let out_dir = dir.path().join("out");
    with("utc.toml")
        .arg("--out")
        .arg(&out_dir)
        .args(["--as-of", "2026-04-01T00:00:00Z", "metrics"])
        .assert()
        .success();
    let dq = std::fs::read_to_string(out_dir.join("tables/data_quality.csv")).unwrap();
    assert!(
        dq.lines().any(|l| l.starts_with("ccu,*,*,1,4,3,1,0")),
        "{dq}"
    );
    // the history records the replay
    let h = opsbench()
        .arg("--lake")
        .arg(&lake)
        .args(["lake", "history", "ccu"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&h.get_output().stdout).contains("quarantine replay"));
    // a second replay finds nothing more to load
    let out = with("utc.toml")
        .args(["quarantine", "replay", "ccu", "--json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        (v["replayed"].as_u64(), v["passed"].as_u64()),
        (Some(1), Some(0))
    );
}
