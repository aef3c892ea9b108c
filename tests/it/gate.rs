//! `opsbench gate` on the hand-made lake of `fixtures/gate/` (see its README for the figures):
//! fail, pass and skipped rules with their expected JSON, exit codes 4, 0 and 2, an override,
//! the JUnit file, and a gate that answers while another process holds the run lock.

use std::path::{Path, PathBuf};

use crate::util::{fixture, ingest_ok, opsbench};

const AS_OF: &str = "2026-10-20T12:00:00Z";

fn lake() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let fx = fixture("gate");
    for d in ["slo", "incidents", "deployments", "ccu", "capacity"] {
        ingest_ok(&lake, d, &fx.join(format!("{d}.csv")));
    }
    std::fs::create_dir_all(lake.join("_derived")).unwrap();
    std::fs::copy(
        fx.join("capacity_plan.json"),
        lake.join("_derived/capacity_plan.json"),
    )
    .unwrap();
    (dir, lake)
}

fn gate(lake: &Path, args: &[&str], code: i32) -> serde_json::Value {
    let out = opsbench()
        .arg("--lake")
        .arg(lake)
        .args([
            "--as-of", AS_OF, "gate", "--format", "json", "--actor", "ci",
        ])
        .args(args)
        .assert()
        .code(code);
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// The decision's stable fields.
fn stable(v: &serde_json::Value) -> serde_json::Value {
    let keep = [
        "service",
        "region",
        "verdict",
        "original_verdict",
        "override_reason",
        "rules",
    ];
    serde_json::Value::Object(
        keep.iter()
            .map(|k| (k.to_string(), v[*k].clone()))
            .collect(),
    )
}

fn expect(name: &str, got: &serde_json::Value) {
    let path = fixture("gate").join(format!("expected_{name}.json"));
    if std::env::var_os("OPSBENCH_BLESS").is_some() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&stable(got)).unwrap() + "\n",
        )
        .unwrap();
    }
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(stable(got), want, "{name}");
}

#[test]
fn gate_fails_passes_and_skips_as_the_fixture_says() {
    let (_dir, lake) = lake();
    expect("api", &gate(&lake, &["--service", "api"], 4));
    expect("web", &gate(&lake, &["--service", "web"], 0));
    expect("old", &gate(&lake, &["--service", "old"], 0));
    // unknown service: exit 2, never a pass
    let out = opsbench()
        .arg("--lake")
        .arg(&lake)
        .args(["--as-of", AS_OF, "gate", "--service", "ghost"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("unknown service `ghost`"), "{err}");
    // every decision was kept
    let kept = std::fs::read_dir(lake.join("_gate/decisions"))
        .unwrap()
        .count();
    assert_eq!(kept, 3);
}

#[test]
fn an_override_is_recorded_with_the_original_verdict_and_junit_has_a_case_per_rule() {
    let (dir, lake) = lake();
    let junit = dir.path().join("gate.xml");
    let v = gate(
        &lake,
        &[
            "--service",
            "api",
            "--deploy-id",
            "a6",
            "--override",
            "hotfix for <login>",
            "--junit",
            junit.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(v["verdict"], "overridden");
    assert_eq!(v["original_verdict"], "fail");
    assert_eq!(v["deploy_id"], "a6");
    assert_eq!(v["actor"], "ci");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 6);
    assert_eq!(xml.matches("<failure ").count(), 3, "{xml}");
    assert!(xml.contains("hotfix for &lt;login&gt;"));
    // the report shows the gate's history with the override reason
    let out = dir.path().join("out");
    opsbench()
        .arg("--lake")
        .arg(&lake)
        .arg("--out")
        .arg(&out)
        .args(["--as-of", AS_OF, "report"])
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("hotfix for &#60;login&#62;"),
        "override reason shown, escaped"
    );
}

#[test]
fn the_gate_answers_while_another_process_holds_the_run_lock() {
    let (_dir, lake) = lake();
    let _held = opsbench::lake::Lake::new(&lake)
        .lock("nightly run")
        .unwrap();
    let v = gate(&lake, &["--service", "web"], 0);
    assert_eq!(v["verdict"], "pass");
}

#[test]
fn the_gate_works_with_no_config_and_no_lake_for_a_configured_service() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("opsbench.toml");
    std::fs::write(&cfg, "[services.batch]\nslo_window_days = 7\n").unwrap();
    let out = opsbench()
        .arg("--config")
        .arg(&cfg)
        .arg("--lake")
        .arg(dir.path().join("lake"))
        .args(["--as-of", AS_OF, "gate", "--service", "batch"])
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains("WARN"),
        "nothing judged: a warning, not a pass: {text}"
    );
}
