//! Hand-computed cases for `change_metrics` and `incident_links`.

use super::*;
use crate::config::parse_instant;
use crate::metrics::periods::{WeekStart, periods};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;

fn us(s: &str) -> i64 {
    parse_instant(s).unwrap().timestamp_micros()
}

fn t(s: &str) -> DateTime<Utc> {
    parse_instant(s).unwrap()
}

fn dep(id: &str, service: &str, status: &str, finished: &str, first: Option<&str>) -> Deployment {
    Deployment {
        id: id.into(),
        service: service.into(),
        environment: "production".into(),
        status: status.into(),
        finished_us: us(finished),
        started_us: None,
        first_commit_us: first.map(us),
        region: None,
    }
}

fn inc(
    id: &str,
    service: &str,
    opened: &str,
    resolved: Option<&str>,
    cause: Option<&str>,
) -> Incident {
    Incident {
        resolved_us: resolved.map(us),
        caused_by_deploy: cause.map(str::to_string),
        ..Incident::new(id, service, "SEV2", us(opened))
    }
}

/// The periods of `[from, to)` with `as_of = to`, UTC, ISO weeks, with days.
fn window(from: &str, to: &str) -> Vec<Period> {
    periods(
        t(from),
        t(to),
        t(to),
        chrono_tz::Tz::UTC,
        WeekStart::Monday,
        true,
    )
}

/// Links, then rows, with `as_of` = `to`.
fn run(
    deps: &[Deployment],
    incs: &[Incident],
    from: &str,
    to: &str,
    knobs: &ChangeKnobs,
) -> (Vec<Link>, Vec<ChangeRow>) {
    let links = link_incidents(incs, deps, t(to), knobs);
    let rows = change_metrics(deps, incs, &links, &window(from, to), t(to), knobs).unwrap();
    (links, rows)
}

fn get<'a>(rows: &'a [ChangeRow], period: &str, service: &str) -> &'a ChangeRow {
    rows.iter()
        .find(|r| r.period.label == period && r.service == service)
        .unwrap_or_else(|| panic!("no row {period} × {service}"))
}

const FROM: &str = "2026-10-05T00:00:00Z"; // a Monday (ISO week 41)
const TO: &str = "2026-11-02T00:00:00Z"; // 28 days later

#[test]
fn a_failed_deployment_recovers_at_its_incident_or_at_the_next_success() {
    let deps = vec![
        dep("A", "login", "success", "2026-10-05T10:00:00Z", None),
        // failed by status, no incident: recovers at C, 4 h later
        dep("B", "login", "failed", "2026-10-06T10:00:00Z", None),
        dep("C", "login", "success", "2026-10-06T14:00:00Z", None),
        // named by X: recovers when X is resolved, 3 h after D finished
        dep("D", "login", "success", "2026-10-08T10:00:00Z", None),
    ];
    let x = inc(
        "X",
        "login",
        "2026-10-08T11:00:00Z",
        Some("2026-10-08T13:00:00Z"),
        Some("D"),
    );
    let (links, rows) = run(
        &deps,
        std::slice::from_ref(&x),
        FROM,
        TO,
        &ChangeKnobs::default(),
    );
    assert_eq!(
        links,
        vec![Link {
            incident_id: "X".into(),
            deploy_id: "D".into(),
            link: "explicit",
            lag_min: Some(60.0)
        }]
    );
    let w = get(&rows, "window", "login");
    assert_eq!(
        (w.deployments, w.failed_deployments, w.change_failure_rate),
        (4, 2, Some(0.5))
    );
    assert_eq!(w.recovery_median_hours, Some(3.5)); // median(3, 4)
    assert_eq!((w.cfr_band, w.recovery_band), (Some("low"), Some("high")));
    // the failed status off: only D failed
    let no_status = ChangeKnobs {
        cfr_counts_failed_status: false,
        ..Default::default()
    };
    let (_, rows) = run(&deps, std::slice::from_ref(&x), FROM, TO, &no_status);
    let w = get(&rows, "window", "login");
    assert_eq!(
        (
            w.failed_deployments,
            w.change_failure_rate,
            w.recovery_median_hours
        ),
        (1, Some(0.25), Some(3.0))
    );
    // X still open at as_of: D failed, but has not recovered; B's 4 h remain
    let open = Incident {
        resolved_us: Some(us("2026-11-05T00:00:00Z")),
        ..x.clone()
    };
    let (_, rows) = run(&deps, &[open], FROM, TO, &ChangeKnobs::default());
    let w = get(&rows, "window", "login");
    assert_eq!(
        (w.failed_deployments, w.recovery_median_hours),
        (2, Some(4.0))
    );
    // a failed deployment with no later success and no incident has no recovery time
    let (_, rows) = run(&deps[..2], &[], FROM, TO, &ChangeKnobs::default());
    let w = get(&rows, "window", "login");
    assert_eq!(
        (
            w.failed_deployments,
            w.recovery_median_hours,
            w.recovery_band
        ),
        (1, None, None)
    );
}

#[test]
fn two_incidents_naming_one_deployment_count_it_once() {
    let deps = vec![
        dep("A", "login", "success", "2026-10-05T10:00:00Z", None),
        dep("B", "login", "success", "2026-10-06T10:00:00Z", None),
    ];
    let incs = vec![
        inc(
            "X",
            "login",
            "2026-10-06T11:00:00Z",
            Some("2026-10-06T12:00:00Z"),
            Some("B"),
        ),
        inc(
            "Y",
            "login",
            "2026-10-06T11:30:00Z",
            Some("2026-10-06T15:00:00Z"),
            Some("B"),
        ),
    ];
    let (links, rows) = run(&deps, &incs, FROM, TO, &ChangeKnobs::default());
    assert_eq!(links.len(), 2);
    let w = get(&rows, "window", "login");
    assert_eq!(
        (w.deployments, w.failed_deployments, w.change_failure_rate),
        (2, 1, Some(0.5))
    );
    // one recovery per deployment, to its latest resolution: 15:00 − 10:00
    assert_eq!(w.recovery_median_hours, Some(5.0));
}

#[test]
fn a_cancelled_deployment_never_counts() {
    let deps = vec![
        dep("A", "login", "success", "2026-10-05T10:00:00Z", None),
        dep(
            "B",
            "login",
            "cancelled",
            "2026-10-06T10:00:00Z",
            Some("2026-10-06T09:00:00Z"),
        ),
        // a service with only a cancelled deployment gets no row
        dep("C", "chat", "cancelled", "2026-10-06T10:00:00Z", None),
    ];
    let incs = vec![inc(
        "X",
        "login",
        "2026-10-06T11:00:00Z",
        Some("2026-10-06T12:00:00Z"),
        Some("B"),
    )];
    for knobs in [ChangeKnobs::default(), ChangeKnobs::devlake()] {
        let (_, rows) = run(&deps, &incs, FROM, TO, &knobs);
        let w = get(&rows, "window", "login");
        assert_eq!(
            (w.deployments, w.failed_deployments, w.change_failure_rate),
            (1, 0, Some(0.0))
        );
        assert_eq!((w.lead_time_n, w.cfr_band), (0, Some("elite")));
        assert!(!rows.iter().any(|r| r.service == "chat"));
    }
    // no deployment at all: CFR is empty, never 0/0
    let (_, rows) = run(&deps[1..], &incs, FROM, TO, &ChangeKnobs::default());
    let w = get(&rows, "window", "*");
    assert_eq!(
        (w.deployments, w.change_failure_rate, w.cfr_band),
        (0, None, None)
    );
    assert_eq!(
        (w.deploys_per_day, w.deployment_days_per_week, w.df_band),
        (Some(0.0), Some(0.0), Some("low"))
    );
    assert_eq!(
        rows.iter().filter(|r| r.period.label == "window").count(),
        1
    );
}

#[test]
fn weeks_without_deployments_count_as_zero_deployment_days() {
    // four successes on three days of ISO week 41, none after
    let deps = vec![
        dep("A", "login", "success", "2026-10-05T10:00:00Z", None),
        dep("B", "login", "success", "2026-10-05T23:59:59Z", None),
        dep("C", "login", "success", "2026-10-07T00:00:00Z", None),
        dep("D", "login", "success", "2026-10-11T23:00:00Z", None),
        // failed: not a deployment day
        dep("E", "login", "failed", "2026-10-13T10:00:00Z", None),
    ];
    let (_, rows) = run(&deps, &[], FROM, TO, &ChangeKnobs::default());
    let w = get(&rows, "window", "login");
    assert_eq!(w.deployment_days_per_week, Some(0.75)); // 3 days / 4 weeks
    assert_eq!(w.deploys_per_day, Some(4.0 / 28.0));
    assert_eq!(w.df_band, Some("high")); // 4 a 28 days = exactly 1 a week
    let w41 = get(&rows, "2026-W41", "login");
    assert_eq!(
        (
            w41.deployment_days_per_week,
            w41.deploys_per_day,
            w41.df_band
        ),
        (Some(3.0), Some(4.0 / 7.0), Some("high"))
    );
    let w42 = get(&rows, "2026-W42", "login");
    assert_eq!(
        (
            w42.deployment_days_per_week,
            w42.deploys_per_day,
            w42.df_band
        ),
        (Some(0.0), Some(0.0), Some("low"))
    );
    // day periods: deployments per day, no days per week
    let d = get(&rows, "2026-10-05", "login");
    assert_eq!(
        (d.deploys_per_day, d.deployment_days_per_week, d.df_band),
        (Some(2.0), None, Some("elite"))
    );
    // a 28-day window from a Wednesday overlaps five ISO weeks (W41–W45), edge weeks whole
    let (_, rows) = run(
        &deps,
        &[],
        "2026-10-07T00:00:00Z",
        "2026-11-04T00:00:00Z",
        &ChangeKnobs::default(),
    );
    assert_eq!(
        get(&rows, "window", "login").deployment_days_per_week,
        Some(2.0 / 5.0)
    );
}

#[test]
fn inference_links_within_the_max_lag_only() {
    let deps = vec![dep("A", "login", "success", "2026-10-10T10:00:00Z", None)];
    let incs = vec![inc(
        "X",
        "login",
        "2026-10-10T13:00:00Z",
        Some("2026-10-10T14:00:00Z"),
        None,
    )];
    // off by default
    assert!(link_incidents(&incs, &deps, t(TO), &ChangeKnobs::default()).is_empty());
    let infer = |lag: Option<i64>| ChangeKnobs {
        link_inference: LinkInference::LatestBefore,
        max_link_lag_min: lag,
        ..Default::default()
    };
    let (links, rows) = run(&deps, &incs, FROM, TO, &infer(None));
    assert_eq!(
        links,
        vec![Link {
            incident_id: "X".into(),
            deploy_id: "A".into(),
            link: "inferred",
            lag_min: Some(180.0)
        }]
    );
    let w = get(&rows, "window", "login");
    assert_eq!(
        (
            w.failed_deployments,
            w.change_failure_rate,
            w.recovery_median_hours
        ),
        (1, Some(1.0), Some(4.0))
    );
    // 3 h after the deployment, a 2 h limit: not linked, not failed
    let (links, rows) = run(&deps, &incs, FROM, TO, &infer(Some(120)));
    assert!(links.is_empty());
    assert_eq!(get(&rows, "window", "login").failed_deployments, 0);
    // the limit is inclusive
    assert_eq!(
        link_incidents(&incs, &deps, t(TO), &infer(Some(180))).len(),
        1
    );
}

#[test]
fn inference_never_links_another_service_or_a_failed_or_later_deployment() {
    let deps = vec![
        dep("OLD", "login", "success", "2026-10-10T08:00:00Z", None),
        dep("FAIL", "login", "failed", "2026-10-10T11:00:00Z", None),
        dep("RB", "login", "rolled_back", "2026-10-10T11:30:00Z", None),
        dep("CXL", "login", "cancelled", "2026-10-10T11:45:00Z", None),
        dep("STORE", "store", "success", "2026-10-10T12:00:00Z", None),
        Deployment {
            environment: "staging".into(),
            ..dep("STG", "login", "success", "2026-10-10T12:10:00Z", None)
        },
        // finished at the very instant the incident opened: not strictly before
        dep("SAME", "login", "success", "2026-10-10T12:30:00Z", None),
    ];
    let incs = vec![inc("X", "login", "2026-10-10T12:30:00Z", None, None)];
    let infer = |lag| ChangeKnobs {
        link_inference: LinkInference::LatestBefore,
        max_link_lag_min: lag,
        ..Default::default()
    };
    let links = link_incidents(&incs, &deps, t(TO), &infer(None));
    assert_eq!(
        links,
        vec![Link {
            incident_id: "X".into(),
            deploy_id: "OLD".into(),
            link: "inferred",
            lag_min: Some(270.0)
        }]
    );
    // within 2 h there are only ineligible deployments
    assert!(link_incidents(&incs, &deps, t(TO), &infer(Some(120))).is_empty());
    // an incident of a service without deployments links to nothing
    let chat = vec![inc("Y", "chat", "2026-10-10T12:30:00Z", None, None)];
    assert!(link_incidents(&chat, &deps, t(TO), &infer(None)).is_empty());
    assert!(link_incidents(&chat, &deps, t(TO), &ChangeKnobs::devlake()).is_empty());
}

#[test]
fn inference_breaks_a_tie_on_finished_at_by_the_greatest_deploy_id() {
    let deps = [
        dep("B", "login", "success", "2026-10-10T10:00:00Z", None),
        dep("C", "login", "success", "2026-10-10T10:00:00Z", None),
        dep("A", "login", "success", "2026-10-10T10:00:00Z", None),
    ];
    let incs = vec![inc("X", "login", "2026-10-10T11:00:00Z", None, None)];
    let knobs = ChangeKnobs::devlake();
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let d: Vec<Deployment> = order.iter().map(|&i| deps[i].clone()).collect();
        let links = link_incidents(&incs, &d, t(TO), &knobs);
        assert_eq!(
            links
                .iter()
                .map(|l| l.deploy_id.as_str())
                .collect::<Vec<_>>(),
            ["C"]
        );
    }
}

#[test]
fn devlake_knobs_count_successes_only_link_without_limit_and_take_the_lower_median() {
    let k = ChangeKnobs::devlake();
    assert_eq!(
        (
            k.cfr_counts_failed_status,
            k.link_inference,
            k.max_link_lag_min,
            k.median,
            k.devlake
        ),
        (
            false,
            LinkInference::LatestBefore,
            None,
            MedianKind::Lower,
            true
        )
    );
    let deps = vec![
        dep(
            "A",
            "login",
            "success",
            "2026-10-05T10:00:00Z",
            Some("2026-10-05T08:00:00Z"),
        ), // 2 h
        dep("B", "login", "failed", "2026-10-06T10:00:00Z", None),
        dep("C", "login", "rolled_back", "2026-10-07T10:00:00Z", None),
        dep(
            "D",
            "login",
            "success",
            "2026-10-08T10:00:00Z",
            Some("2026-10-08T04:00:00Z"),
        ), // 6 h
        dep(
            "E",
            "login",
            "success",
            "2026-10-09T10:00:00Z",
            Some("2026-10-08T22:00:00Z"),
        ), // 12 h
        dep(
            "F",
            "login",
            "success",
            "2026-10-10T10:00:00Z",
            Some("2026-10-09T10:00:00Z"),
        ), // 24 h
    ];
    // a SEV4 still open ten days later, with no cause given
    let x = Incident {
        severity: "SEV4".into(),
        ..inc("X", "login", "2026-10-20T10:00:00Z", None, None)
    };
    let (links, rows) = run(
        &deps,
        std::slice::from_ref(&x),
        FROM,
        TO,
        &ChangeKnobs::default(),
    );
    assert!(links.is_empty());
    let w = get(&rows, "window", "login");
    assert_eq!(
        (w.deployments, w.failed_deployments, w.change_failure_rate),
        (6, 2, Some(2.0 / 6.0))
    );
    assert_eq!((w.lead_time_median_hours, w.lead_time_n), (Some(9.0), 4)); // (6 + 12) / 2
    assert_eq!(w.recovery_median_hours, Some(36.0)); // B and C recover at D: median(48, 24)
    // with a lag limit set, devlake still ignores it
    let k = ChangeKnobs {
        max_link_lag_min: Some(60),
        ..ChangeKnobs::devlake()
    };
    let (links, rows) = run(&deps, &[x], FROM, TO, &k);
    assert_eq!(
        links,
        vec![Link {
            incident_id: "X".into(),
            deploy_id: "F".into(),
            link: "inferred",
            lag_min: Some(10.0 * 24.0 * 60.0)
        }]
    );
    let w = get(&rows, "window", "login");
    assert_eq!(
        (w.deployments, w.failed_deployments, w.change_failure_rate),
        (4, 1, Some(0.25))
    );
    assert_eq!((w.lead_time_median_hours, w.lead_time_n), (Some(6.0), 4)); // lower of 6 and 12
    assert_eq!((w.recovery_median_hours, w.cfr_band), (None, Some("low"))); // X is still open
}

#[test]
fn bands_follow_the_2023_thresholds_at_their_edges() {
    assert_eq!(
        [(1, 20), (2, 20), (3, 20), (4, 20), (0, 1)].map(|(f, n)| cfr_band(f, n)),
        ["elite", "high", "medium", "low", "elite"]
    );
    assert_eq!(
        [23.9, 24.0, 168.0, 720.0].map(lead_time_band),
        ["elite", "high", "medium", "low"]
    );
    assert_eq!(
        [0.99, 1.0, 24.0, 168.0].map(recovery_band),
        ["elite", "high", "medium", "low"]
    );
    let ps = window("2026-10-01T00:00:00Z", "2026-10-31T00:00:00Z"); // 30 days
    assert_eq!(
        [30, 29, 5, 4, 1, 0].map(|n| df_band(n, &ps[0])),
        ["elite", "high", "high", "medium", "medium", "low"]
    );
}

fn names(df: &DataFrame) -> Vec<&str> {
    df.get_column_names()
        .into_iter()
        .map(|n| n.as_str())
        .collect()
}

#[test]
fn frames_have_the_documented_columns() {
    let ts = |v: Vec<Option<i64>>, name: &str| -> Column {
        Series::new(name.into(), v)
            .cast(&DataType::Datetime(
                TimeUnit::Microseconds,
                Some(TimeZone::UTC),
            ))
            .unwrap()
            .into()
    };
    let df = DataFrame::new_infer_height(vec![
        Column::new("deploy_id".into(), ["A", "B"]),
        Column::new("service".into(), ["login", "store"]),
        ts(
            vec![
                Some(us("2026-10-05T10:00:00Z")),
                Some(us("2026-10-06T10:00:00Z")),
            ],
            "finished_at",
        ),
        Column::new("status".into(), ["success", "rolled_back"]),
        Column::new("region".into(), [Some("eu-west"), None]),
        Column::new("environment".into(), ["production", "staging"]),
        ts(vec![None, Some(us("2026-10-06T09:00:00Z"))], "started_at"),
        ts(
            vec![Some(us("2026-10-04T10:00:00Z")), None],
            "first_commit_at",
        ),
        Column::new("commit_count".into(), [Some(3i64), None]),
    ])
    .unwrap();
    let deps = deployments_from_frame(&df).unwrap();
    assert_eq!(
        deps,
        vec![
            Deployment {
                region: Some("eu-west".into()),
                ..dep(
                    "A",
                    "login",
                    "success",
                    "2026-10-05T10:00:00Z",
                    Some("2026-10-04T10:00:00Z")
                )
            },
            Deployment {
                environment: "staging".into(),
                started_us: Some(us("2026-10-06T09:00:00Z")),
                ..dep("B", "store", "rolled_back", "2026-10-06T10:00:00Z", None)
            },
        ]
    );
    let incs = vec![inc("X", "login", "2026-10-05T11:00:00Z", None, Some("A"))];
    let (links, rows) = run(&deps, &incs, FROM, TO, &ChangeKnobs::default());
    let lf = links_to_frame(&links).unwrap();
    assert_eq!(names(&lf), ["incident_id", "deploy_id", "link", "lag_min"]);
    let f = to_frame(&rows).unwrap();
    assert_eq!(
        names(&f),
        [
            "period_kind",
            "period",
            "period_start",
            "period_end",
            "service",
            "deployments",
            "failed_deployments",
            "change_failure_rate",
            "deploys_per_day",
            "deployment_days_per_week",
            "lead_time_median_hours",
            "lead_time_n",
            "recovery_median_hours",
            "df_band",
            "lead_time_band",
            "cfr_band",
            "recovery_band",
        ]
    );
    assert_eq!(f.height(), rows.len());
    assert_eq!(
        f.column("cfr_band").unwrap().str().unwrap().get(0),
        Some("low")
    ); // window × *: 1/1
}

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
