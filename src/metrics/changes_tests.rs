//! Hand-computed cases for `change_metrics` and `incident_links`.

use super::*;
use crate::config::parse_instant;
use crate::metrics::periods::{WeekStart, periods};

pub(super) fn us(s: &str) -> i64 {
    parse_instant(s).unwrap().timestamp_micros()
}

pub(super) fn t(s: &str) -> DateTime<Utc> {
    parse_instant(s).unwrap()
}

pub(super) fn dep(
    id: &str,
    service: &str,
    status: &str,
    finished: &str,
    first: Option<&str>,
) -> Deployment {
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

pub(super) fn inc(
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
pub(super) fn window(from: &str, to: &str) -> Vec<Period> {
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
pub(super) fn run(
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

pub(super) fn get<'a>(rows: &'a [ChangeRow], period: &str, service: &str) -> &'a ChangeRow {
    rows.iter()
        .find(|r| r.period.label == period && r.service == service)
        .unwrap_or_else(|| panic!("no row {period} × {service}"))
}

pub(super) const FROM: &str = "2026-10-05T00:00:00Z"; // a Monday (ISO week 41)
pub(super) const TO: &str = "2026-11-02T00:00:00Z"; // 28 days later

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
