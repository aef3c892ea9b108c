use super::*;
use crate::metrics::freshness::{Observed, freshness};
use chrono::TimeZone;
use std::collections::BTreeMap;

const H: i64 = 3_600_000_000;

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 20, 12, 0, 0).unwrap()
}

fn fresh_all() -> Vec<FreshnessRow> {
    let t = as_of().timestamp_micros();
    let obs: BTreeMap<Dataset, Observed> = Dataset::ALL
        .iter()
        .map(|d| {
            (
                *d,
                Observed {
                    newest_event_us: Some(t - H),
                    newest_ingest_us: Some(t - H),
                },
            )
        })
        .collect();
    freshness(&obs, as_of(), &BTreeMap::new())
}

fn status(rules: &[RuleResult], id: RuleId) -> Status {
    rules.iter().find(|r| r.id == id).unwrap().status
}

#[test]
fn nothing_known_skips_every_rule_and_warns() {
    let rules = evaluate(&GatePolicy::default(), &Facts::default(), as_of());
    assert_eq!(rules.len(), 6);
    assert!(
        rules.iter().all(|r| r.status == Status::Skipped),
        "{rules:?}"
    );
    assert_eq!(verdict(&rules), Verdict::Warn);
}

#[test]
fn each_rule_passes_warns_and_fails_on_hand_made_facts() {
    let t = as_of().timestamp_micros();
    let p = GatePolicy::default();
    let healthy = Facts {
        slo: Some(SloFacts {
            budget_remaining: Some(0.4),
            fast_burn: Some(false),
            burn_rate_1h: Some(0.5),
            burn_rate_6h: Some(0.7),
            lag_min: Some(5.0),
        }),
        incidents: Some(vec![IncidentFact {
            id: "old".into(),
            severity_level: 1,
            opened_us: t - 10 * H,
            resolved_us: Some(t - 9 * H),
        }]),
        deployments: Some(
            (0..20)
                .map(|k| DeployFact {
                    id: format!("d{k}"),
                    finished_us: t - k * H,
                    failed: k % 10 == 0,
                })
                .collect(),
        ),
        runway: Some(vec![RunwayFact {
            region: "eu".into(),
            order_by_date: Some(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
            exhaustion_date_hi95: Some(NaiveDate::from_ymd_opt(2026, 12, 20).unwrap()),
            cannot_cover: false,
        }]),
        freshness: fresh_all(),
    };
    let rules = evaluate(&p, &healthy, as_of());
    assert!(rules.iter().all(|r| r.status == Status::Pass), "{rules:#?}");
    // 2 of 20 failed = 0.1
    assert_eq!(rules[3].value, Some(0.1));
    // runway: Dec 20 − Oct 20 = 61 days
    assert_eq!(rules[4].value, Some(61.0));
    assert_eq!(verdict(&rules), Verdict::Pass);

    let mut bad = healthy.clone();
    bad.slo = Some(SloFacts {
        budget_remaining: Some(-0.2),
        fast_burn: Some(true),
        burn_rate_1h: Some(20.0),
        burn_rate_6h: Some(8.0),
        lag_min: Some(3.0),
    });
    bad.incidents.as_mut().unwrap().push(IncidentFact {
        id: "now".into(),
        severity_level: 2,
        opened_us: t - H,
        resolved_us: None,
    });
    // resolved after as_of reads as open
    bad.incidents.as_mut().unwrap().push(IncidentFact {
        id: "later".into(),
        severity_level: 1,
        opened_us: t - H,
        resolved_us: Some(t + H),
    });
    // 7 of the last 20 failed = 0.35 > 0.3: warn
    bad.deployments = Some(
        (0..25)
            .map(|k| DeployFact {
                id: format!("d{k}"),
                finished_us: t - k * H,
                failed: !(7..20).contains(&k),
            })
            .collect(),
    );
    bad.runway.as_mut().unwrap()[0].exhaustion_date_hi95 =
        Some(NaiveDate::from_ymd_opt(2026, 10, 30).unwrap());
    let rules = evaluate(&p, &bad, as_of());
    assert_eq!(status(&rules, RuleId::ErrorBudget), Status::Fail);
    assert_eq!(status(&rules, RuleId::FastBurn), Status::Fail);
    assert_eq!(status(&rules, RuleId::OpenIncidents), Status::Fail);
    assert_eq!(rules[2].value, Some(2.0));
    assert_eq!(status(&rules, RuleId::ChangeFailureRate), Status::Warn);
    assert_eq!(rules[3].value, Some(0.35));
    assert_eq!(status(&rules, RuleId::CapacityRunway), Status::Warn);
    assert_eq!(status(&rules, RuleId::DataFreshness), Status::Pass);
    assert_eq!(verdict(&rules), Verdict::Fail);

    // only warnings: warn
    let mut warn = healthy.clone();
    warn.deployments = bad.deployments.clone();
    assert_eq!(verdict(&evaluate(&p, &warn, as_of())), Verdict::Warn);
}

#[test]
fn stale_slo_data_skips_fast_burn_and_fails_freshness() {
    let p = GatePolicy::default();
    let mut f = Facts {
        slo: Some(SloFacts {
            budget_remaining: Some(0.5),
            fast_burn: Some(true),
            lag_min: Some(7.0 * 60.0),
            ..Default::default()
        }),
        freshness: fresh_all(),
        ..Default::default()
    };
    let rules = evaluate(&p, &f, as_of());
    assert_eq!(status(&rules, RuleId::FastBurn), Status::Skipped);
    assert!(
        rules[1].reason.contains("420 min old"),
        "{}",
        rules[1].reason
    );
    // error_budget ran and read slo, which is fresh here
    assert_eq!(status(&rules, RuleId::DataFreshness), Status::Pass);
    // now slo is stale in the lake: a gate on stale data must not pass in silence
    let t = as_of().timestamp_micros();
    let mut obs: BTreeMap<Dataset, Observed> = BTreeMap::new();
    obs.insert(
        Dataset::Slo,
        Observed {
            newest_event_us: Some(t - 30 * H),
            newest_ingest_us: Some(t),
        },
    );
    f.freshness = freshness(&obs, as_of(), &BTreeMap::new());
    let rules = evaluate(&p, &f, as_of());
    assert_eq!(status(&rules, RuleId::DataFreshness), Status::Fail);
    assert!(
        rules[5].reason.contains("no slo data after"),
        "{}",
        rules[5].reason
    );
    // the missing incidents dataset is not judged: no rule that read it ran
    assert!(!rules[5].reason.contains("incidents"));
}

#[test]
fn an_override_keeps_the_original_verdict() {
    assert_eq!(
        with_override(Verdict::Fail, Some("hotfix")),
        Verdict::Overridden
    );
    assert_eq!(
        with_override(Verdict::Warn, Some("ok")),
        Verdict::Overridden
    );
    assert_eq!(with_override(Verdict::Pass, Some("ok")), Verdict::Pass);
    assert_eq!(with_override(Verdict::Fail, None), Verdict::Fail);
}

#[test]
fn junit_has_one_case_per_rule_and_escapes() {
    let rules = evaluate(&GatePolicy::default(), &Facts::default(), as_of());
    let d = Decision {
        schema_version: SCHEMA_VERSION,
        decided_at: "2026-10-20T12:00:00Z".into(),
        opsbench_version: "0".into(),
        actor: None,
        service: "a<b>&\"c\"".into(),
        region: None,
        deploy_id: None,
        as_of: "2026-10-20T12:00:00Z".into(),
        verdict: Verdict::Overridden,
        original_verdict: Verdict::Fail,
        override_reason: Some("ship <now>".into()),
        rules,
    };
    let x = output::junit(&d);
    assert_eq!(x.matches("<testcase ").count(), 6);
    assert_eq!(x.matches("<skipped ").count(), 6);
    assert!(x.contains("a&lt;b&gt;&amp;&quot;c&quot;"));
    assert!(x.contains("ship &lt;now&gt;"));
    assert!(!x.contains("<b>"));
    let t = output::text(&d);
    assert!(
        t.contains("OVERRIDDEN") && t.contains("original verdict fail"),
        "{t}"
    );
}
