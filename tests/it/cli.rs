//! Commands end to end: demo, validate, schema, config, generate.

use crate::util::{fixture, opsbench};

#[test]
fn demo_writes_the_report_the_table_and_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    opsbench()
        .arg("--out")
        .arg(&out)
        .args(["demo", "--days", "14", "--seed", "7"])
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Data quality"));
    let dq = std::fs::read_to_string(out.join("tables/data_quality.csv")).unwrap();
    assert!(
        dq.starts_with(
            "dataset,rule,outcome,files,rows_read,rows_loaded,rows_quarantined,rows_flagged,example"
        ),
        "{dq}"
    );
    // the demo writes a few bad rows of every kind, so every dataset has a quarantine rule row
    for d in opsbench::schema::Dataset::ALL {
        assert!(
            dq.lines()
                .any(|l| l.starts_with(&format!("{d},")) && l.contains(",quarantined,")),
            "{d}: {dq}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let tables = [
        "dataset_freshness",
        "incident_impact",
        "incident_metrics",
        "reliability",
        "incident_links",
        "change_metrics",
        "incident_causes",
        "slo_metrics",
        "cost_per_player",
        "cost_trends",
        "cost_anomalies",
        "cost_efficiency",
        "cost_restated",
        "service_catalog",
        "data_quality",
        "capacity_forecast",
        "capacity_forecast_hourly",
        "forecast_backtest",
        "capacity_plan",
        "actions",
    ];
    let mut want: Vec<String> = tables
        .iter()
        .flat_map(|t| [format!("tables/{t}.csv"), format!("tables/{t}.parquet")])
        .collect();
    want.push("report.html".into());
    assert_eq!(files, want);
    // every table has its documented columns, and the report a section for it
    let header = |t: &str| {
        let text = std::fs::read_to_string(out.join(format!("tables/{t}.csv"))).unwrap();
        text.lines().next().unwrap().to_string()
    };
    assert_eq!(
        header("incident_metrics"),
        "period_kind,period,period_start,period_end,service,severity,incidents,resolved,open,oldest_open_age_hours,mttr_mean_min,mttr_median_min,mttr_p90_min,mttr_max_min,mttr_n,mtta_median_min,mttd_median_min,player_minutes_lost"
    );
    assert_eq!(
        header("reliability"),
        "period_kind,period,period_start,period_end,service,outages,downtime_min,maintenance_min,mtbf_hours,availability"
    );
    assert_eq!(
        header("incident_links"),
        "incident_id,deploy_id,link,lag_min"
    );
    assert_eq!(
        header("change_metrics"),
        "period_kind,period,period_start,period_end,service,deployments,failed_deployments,change_failure_rate,deploys_per_day,deployment_days_per_week,lead_time_median_hours,lead_time_n,recovery_median_hours,df_band,lead_time_band,cfr_band,recovery_band"
    );
    assert_eq!(
        header("slo_metrics"),
        "period_kind,period,period_start,period_end,service,region,requests,errors,availability,slo_target,error_budget_remaining,burn_rate,latency_p99_ms,latency_slo_attainment,burn_rate_1h,burn_rate_6h,fast_burn_alert,slow_burn_alert,data_lag_min"
    );
    assert!(html.contains("<section id=\"slo\""));
    assert_eq!(
        header("incident_impact"),
        "incident_id,service,region,severity,impact_start,impact_end,player_minutes_lost,players_affected,affected_player_minutes,ccu_coverage,impact_share"
    );
    assert!(html.contains("<section id=\"impact\""));
    assert!(html.contains("Top 10 incidents by player-minutes lost"));
    assert!(html.contains("<section id=\"delivery\""));
    // the generated data starts with the window: no trend against an empty previous window
    assert!(html.contains("no figure for the previous window"));
    assert!(!html.contains("from 0.00/day"));
    assert!(html.contains("Change failure rate"));
    assert!(html.contains("<section id=\"reliability\""));
    assert!(html.contains("Reliability by service over the window"));
    assert_eq!(manifest["as_of"].as_str().unwrap().len(), 20);
    // running it again in the same folder works (the demo owns it)
    opsbench()
        .arg("--out")
        .arg(&out)
        .args(["demo", "--days", "3", "--seed", "7"])
        .assert()
        .success();
}

#[test]
fn demo_refuses_a_folder_it_did_not_make() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("precious.txt"), "keep").unwrap();
    let out = opsbench()
        .arg("--out")
        .arg(dir.path())
        .args(["demo", "--days", "3"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("was not made by `opsbench demo`"),
        "{stderr}"
    );
    assert!(dir.path().join("precious.txt").exists());
}

#[test]
fn validate_prints_every_problem_grouped_by_rule_and_exits_1() {
    let f = fixture("bad_rows/ccu.csv");
    let out = opsbench()
        .args(["validate", "ccu"])
        .arg(&f)
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let name = f.display().to_string();
    assert!(
        stdout.contains("not_an_integer: 2 row(s) quarantined"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  {name}:4 ccu=`12.5`")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  {name}:8 ts=`2026-10-01T30:00:00Z`")),
        "{stdout}"
    );
    assert!(
        stdout.contains("11 row(s) read, 4 would load, 7 would be quarantined"),
        "{stdout}"
    );
    opsbench()
        .args(["validate", "ccu"])
        .arg(fixture("ingest_good/ccu.csv"))
        .assert()
        .success();
}

#[test]
fn unknown_dataset_is_a_usage_error() {
    let out = opsbench()
        .args(["validate", "ccus", "x.csv"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("unknown dataset `ccus`"), "{stderr}");
}

#[test]
fn schema_prints_every_dataset_as_text_and_json() {
    let out = opsbench().arg("schema").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for d in opsbench::schema::Dataset::ALL {
        assert!(text.contains(&format!("{d}: ")), "{d}");
    }
    assert!(text.contains("EffectiveCost"));
    let out = opsbench()
        .args(["schema", "ccu", "--json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v[0]["name"], "ccu");
    assert_eq!(v[0]["key"], serde_json::json!(["ts", "region", "shard"]));
}

#[test]
fn config_shows_where_each_setting_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("opsbench.toml");
    std::fs::write(&cfg, "input_tz = \"Europe/Berlin\"\n[window]\ndays = 30\n").unwrap();
    let out = opsbench()
        .arg("--config")
        .arg(&cfg)
        .args(["--as-of", "2026-11-01T00:00:00Z", "config", "--show-origin"])
        .env("OPSBENCH_WINDOW_DAYS", "7")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains(&format!(
            "input_tz = \"Europe/Berlin\"  # {}:1",
            cfg.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("window.days = \"7\"  # env OPSBENCH_WINDOW_DAYS"),
        "{text}"
    );
    assert!(
        text.contains("as_of = \"2026-11-01T00:00:00Z\"  # flag --as-of"),
        "{text}"
    );
    assert!(text.contains("report_tz = \"UTC\"  # default"), "{text}");
    // --check: a glob with no file yet is a warning (exit 0); an invalid glob is an error
    std::fs::write(&cfg, "[datasets.ccu]\ninputs = [\"later/*.csv\"]\n").unwrap();
    let out = opsbench()
        .arg("--config")
        .arg(&cfg)
        .args(["config", "--check"])
        .assert()
        .code(0);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("warning: datasets.ccu.inputs:") && stderr.contains("matches no file yet"),
        "{stderr}"
    );
    std::fs::write(&cfg, "[datasets.ccu]\ninputs = [\"bad[glob\"]\n").unwrap();
    let out = opsbench()
        .arg("--config")
        .arg(&cfg)
        .args(["config", "--check"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("is not a valid glob") && stderr.contains(":2"),
        "{stderr}"
    );
    std::fs::write(&cfg, "[window]\ndays = \"many\"\n").unwrap();
    let out = opsbench()
        .arg("--config")
        .arg(&cfg)
        .args(["config", "--check"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("key `window.days`: expected a whole number of days above 0, found `many`"),
        "{stderr}"
    );
}

#[test]
fn generate_then_run_loads_every_dataset_and_a_second_run_loads_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    crate::util::generate(
        &exports,
        &["--days", "5", "--end", "2026-10-31", "--seed", "3"],
    );
    let out_dir = dir.path().join("out");
    let cfg = exports.join("opsbench.toml");
    let run = |code: i32| {
        opsbench()
            .arg("--config")
            .arg(&cfg)
            .arg("--out")
            .arg(&out_dir)
            .args(["--as-of", "2026-11-01T00:00:00Z", "run", "--json"])
            .assert()
            .code(code)
    };
    let first = run(0);
    let v: serde_json::Value = serde_json::from_slice(&first.get_output().stdout).unwrap();
    let loaded: Vec<&str> = v["ingest"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["outcome"]["outcome"].as_str().unwrap())
        .collect();
    assert!(
        loaded.len() >= 8 && loaded.iter().all(|o| *o == "loaded"),
        "{loaded:?}"
    );
    let second = run(0);
    let v: serde_json::Value = serde_json::from_slice(&second.get_output().stdout).unwrap();
    assert!(
        v["ingest"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["outcome"]["outcome"] == "skipped")
    );
    assert!(out_dir.join("report.html").exists());
    assert!(exports.join("lake/_manifest.json").exists());
}

#[test]
fn max_rejected_beyond_the_limit_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    opsbench()
        .arg("--lake")
        .arg(&lake)
        .args(["ingest", "ccu", "--max-rejected", "50%"])
        .arg(fixture("bad_rows/ccu.csv"))
        .assert()
        .code(1);
    opsbench()
        .arg("--lake")
        .arg(dir.path().join("lake2"))
        .args(["ingest", "ccu", "--max-rejected", "7"])
        .arg(fixture("bad_rows/ccu.csv"))
        .assert()
        .code(0);
}

#[test]
fn the_example_config_is_valid() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("opsbench.example.toml");
    opsbench()
        .arg("--config")
        .arg(&example)
        .args(["config", "--check"])
        .assert()
        .success();
}
