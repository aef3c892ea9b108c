//! The `change_metrics` fixture (fixtures/change_metrics, computed by hand in its README),
//! properties of the change metrics, and the golden SQL of deployment counts. The helpers are
//! those of `changes_tests.rs`.

use super::tests::{FROM, TO, run, t, us};
use super::*;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;

// ---- the fixture (fixtures/change_metrics, computed by hand in its README) ----

fn fixture(name: &str) -> csv::Reader<std::fs::File> {
    let path = format!(
        "{}/fixtures/change_metrics/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The records of a CSV as (header → value) maps; an empty field is `None`.
fn records(name: &str) -> Vec<HashMap<String, Option<String>>> {
    let mut r = fixture(name);
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), (!v.is_empty()).then(|| v.to_string())))
                .collect()
        })
        .collect()
}

fn band(s: Option<&str>) -> Option<&'static str> {
    s.map(|s| match s {
        "elite" => "elite",
        "high" => "high",
        "medium" => "medium",
        "low" => "low",
        other => panic!("unknown band {other}"),
    })
}

#[test]
fn the_change_metrics_fixture_matches_its_hand_computed_tables() {
    let deps: Vec<Deployment> = records("deployments.csv")
        .into_iter()
        .map(|r| {
            let s = |k: &str| r[k].clone();
            Deployment {
                id: s("deploy_id").unwrap(),
                service: s("service").unwrap(),
                environment: s("environment").unwrap(),
                status: s("status").unwrap(),
                finished_us: us(&s("finished_at").unwrap()),
                started_us: s("started_at").map(|v| us(&v)),
                first_commit_us: s("first_commit_at").map(|v| us(&v)),
                region: s("region"),
            }
        })
        .collect();
    let incs: Vec<Incident> = records("incidents.csv")
        .into_iter()
        .map(|r| {
            let s = |k: &str| r[k].clone();
            Incident {
                environment: s("environment").unwrap(),
                resolved_us: s("resolved_at").map(|v| us(&v)),
                caused_by_deploy: s("caused_by_deploy"),
                ..Incident::new(
                    &s("incident_id").unwrap(),
                    &s("service").unwrap(),
                    &s("severity").unwrap(),
                    us(&s("opened_at").unwrap()),
                )
            }
        })
        .collect();
    let knobs = ChangeKnobs {
        link_inference: LinkInference::LatestBefore,
        max_link_lag_min: Some(120),
        ..Default::default()
    };
    let (links, rows) = run(&deps, &incs, FROM, TO, &knobs);
    let expected_links: Vec<Link> = records("expected/incident_links.csv")
        .into_iter()
        .map(|r| Link {
            incident_id: r["incident_id"].clone().unwrap(),
            deploy_id: r["deploy_id"].clone().unwrap(),
            link: match r["link"].as_deref() {
                Some("explicit") => "explicit",
                Some("inferred") => "inferred",
                other => panic!("unknown link {other:?}"),
            },
            lag_min: r["lag_min"].as_deref().map(|v| v.parse().unwrap()),
        })
        .collect();
    assert_eq!(links, expected_links);
    let f = |r: &HashMap<String, Option<String>>, k: &str| {
        r[k].as_deref().map(|v| v.parse::<f64>().unwrap())
    };
    let n = |r: &HashMap<String, Option<String>>, k: &str| {
        r[k].as_deref().unwrap().parse::<u64>().unwrap()
    };
    let expected_rows: Vec<ChangeRow> = records("expected/change_metrics_window.csv")
        .into_iter()
        .map(|r| {
            assert_eq!(r["period_kind"].as_deref(), Some("window"));
            ChangeRow {
                period: Period {
                    kind: PeriodKind::Window,
                    label: r["period"].clone().unwrap(),
                    start: t(r["period_start"].as_deref().unwrap()),
                    end: t(r["period_end"].as_deref().unwrap()),
                },
                service: r["service"].clone().unwrap(),
                deployments: n(&r, "deployments"),
                failed_deployments: n(&r, "failed_deployments"),
                change_failure_rate: f(&r, "change_failure_rate"),
                deploys_per_day: f(&r, "deploys_per_day"),
                deployment_days_per_week: f(&r, "deployment_days_per_week"),
                lead_time_median_hours: f(&r, "lead_time_median_hours"),
                lead_time_n: n(&r, "lead_time_n"),
                recovery_median_hours: f(&r, "recovery_median_hours"),
                df_band: band(r["df_band"].as_deref()),
                lead_time_band: band(r["lead_time_band"].as_deref()),
                cfr_band: band(r["cfr_band"].as_deref()),
                recovery_band: band(r["recovery_band"].as_deref()),
            }
        })
        .collect();
    let window_rows: Vec<ChangeRow> = rows
        .into_iter()
        .filter(|r| r.period.kind == PeriodKind::Window)
        .collect();
    assert_eq!(window_rows, expected_rows);
}

// ---- properties ----

fn knobs_variant(v: u8) -> ChangeKnobs {
    match v {
        0 => ChangeKnobs::default(),
        1 => ChangeKnobs {
            link_inference: LinkInference::LatestBefore,
            max_link_lag_min: Some(600),
            ..Default::default()
        },
        _ => ChangeKnobs::devlake(),
    }
}

proptest! {
    #[test]
    fn cfr_stays_in_0_1_and_results_ignore_row_order(
        raw_deps in proptest::collection::vec((0usize..3, 0usize..4, 0i64..670, proptest::option::of(0i64..3_000), proptest::bool::weighted(0.9)), 0..25),
        raw_incs in proptest::collection::vec((0usize..3, 0i64..40_000, proptest::option::of(0i64..3_000), proptest::option::of(0usize..30)), 0..15),
        variant in 0u8..3,
        seed in any::<u64>(),
    ) {
        let base = us(FROM);
        let min = 60_000_000i64;
        let services = ["a", "b", "c"];
        let statuses = ["success", "failed", "rolled_back", "cancelled"];
        let deps: Vec<Deployment> = raw_deps.iter().enumerate().map(|(n, (s, st, at, lead, prod))| Deployment {
            id: format!("D{n:02}"),
            service: services[*s].into(),
            environment: if *prod { "production" } else { "staging" }.into(),
            status: statuses[*st].into(),
            finished_us: base + at * 60 * min, // whole hours: ties happen
            started_us: None,
            first_commit_us: lead.map(|l| base + (at * 60 - l) * min),
            region: None,
        }).collect();
        let incs: Vec<Incident> = raw_incs.iter().enumerate().map(|(n, (s, at, len, cause))| Incident {
            resolved_us: len.map(|l| base + (at + l) * min),
            caused_by_deploy: cause.map(|c| format!("D{c:02}")),
            ..Incident::new(&format!("I{n:02}"), services[*s], "SEV2", base + at * min)
        }).collect();
        let knobs = knobs_variant(variant);
        let (links, rows) = run(&deps, &incs, FROM, TO, &knobs);
        for r in &rows {
            prop_assert!(r.failed_deployments <= r.deployments);
            match r.change_failure_rate {
                Some(c) => prop_assert!((0.0..=1.0).contains(&c)),
                None => prop_assert_eq!(r.deployments, 0),
            }
            prop_assert!(r.recovery_median_hours.is_none_or(|h| h >= 0.0));
            prop_assert!(r.lead_time_median_hours.is_none_or(|h| h >= 0.0));
            prop_assert!(r.deployment_days_per_week.is_none_or(|d| (0.0..=7.0).contains(&d)));
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let (mut d2, mut i2) = (deps.clone(), incs.clone());
        d2.shuffle(&mut rng);
        i2.shuffle(&mut rng);
        let (links2, rows2) = run(&d2, &i2, FROM, TO, &knobs);
        prop_assert_eq!(links2, links);
        prop_assert_eq!(rows2, rows);
    }
}

#[test]
fn golden_deployment_counts_sql() {
    let input = DataFrame::new_infer_height(vec![
        Column::new("period_order".into(), [0u32, 0, 0, 1]),
        Column::new("service".into(), ["login", "login", "store", "login"]),
        Column::new("failed".into(), [0i64, 1, 0, 1]),
        Column::new("success".into(), [1i64, 0, 1, 1]),
        Column::new(
            "success_date".into(),
            [
                Some("2026-10-01"),
                None,
                Some("2026-10-01"),
                Some("2026-10-08"),
            ],
        ),
        Column::new("lead_hours".into(), [Some(2.0f64), None, None, Some(5.0)]),
    ])
    .unwrap();
    let out = crate::lake::sql::run(
        "deployment_counts.sql",
        DEPLOYMENT_COUNTS_SQL,
        &[("deployment_periods", input.lazy())],
    )
    .unwrap()
    .collect()
    .unwrap();
    let lines: Vec<String> = (0..out.height())
        .map(|i| {
            out.columns()
                .iter()
                .map(|c| c.get(i).unwrap().to_string().trim_matches('"').to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    // period, service, deployments, failed, successes, success days (distinct), lead_time_n
    assert_eq!(
        lines,
        [
            "0,*,3,1,2,1,1",
            "0,login,2,1,1,1,1",
            "0,store,1,0,1,1,0",
            "1,*,1,1,1,1,1",
            "1,login,1,1,1,1,1"
        ]
    );
}
