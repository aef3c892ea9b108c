//! The deploy gate: may this service ship now? Rules over facts the caller read from the lake,
//! a verdict, and the decision a pipeline records (after the Google SRE workbook's error-budget
//! policy and Keptn's SLO quality gates).
//!
//! Rules (stable ids; level and threshold from [`GatePolicy`], so no `[gate]` section is needed):
//! - `error_budget` (fail): the error budget left in the service's SLO window is at or below
//!   `min_error_budget` (default 0: fail once it is spent);
//! - `fast_burn` (fail): the multi-window fast-burn alert fires over windows ending at the newest
//!   SLO sample before `as_of`; when that sample is more than `max_burn_lag` (6 h) old the rule
//!   is `skipped`, never `pass`;
//! - `open_incidents` (fail): an incident of the service with a severity in
//!   `open_incident_severities` (SEV1–SEV2) opened at or before `as_of` and not resolved by it;
//! - `change_failure_rate` (warn): failed / counted deployments over the service's last
//!   `cfr_last_n` (20) deployments before `as_of` above `max_cfr` (0.3), failure as in
//!   `change_metrics` (a linked incident, or a failed/rolled-back status);
//! - `capacity_runway` (warn): a region the service runs in whose order-by date has passed, whose
//!   earliest plausible exhaustion falls within `min_runway_days` (14), or that cannot be
//!   covered at `max_instances` — read from the capacity plan the last run stored;
//! - `data_freshness` (fail): a dataset read by another rule that ran is stale or missing.
//!
//! A rule with nothing to judge is `skipped` with its reason; when every rule is skipped the
//! verdict is `warn` (nothing was judged, so nothing passed). Otherwise the verdict is `fail` when a rule
//! at level `fail` fires, else `warn` when any rule fires, else `pass`; `--override REASON`
//! turns a `fail` or `warn` into `overridden` and keeps the original verdict.
//!
//! Pure: no I/O, no clock; `commands/gate.rs` gathers the facts and writes the decision.

pub mod output;
pub mod policy;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use policy::{GatePolicy, Level, RuleId, parse_gate};

use crate::metrics::freshness::{FreshnessRow, Status as Freshness};
use crate::schema::Dataset;

/// The version of the decision's JSON (and of `--format json`).
pub const SCHEMA_VERSION: u32 = 1;

/// The SLO window's figures for the service (and region, with `--region`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SloFacts {
    pub budget_remaining: Option<f64>,
    pub fast_burn: Option<bool>,
    pub burn_rate_1h: Option<f64>,
    pub burn_rate_6h: Option<f64>,
    /// `as_of` − the end of the newest sample's interval, minutes.
    pub lag_min: Option<f64>,
}

/// An incident of the service.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentFact {
    pub id: String,
    pub severity_level: u8,
    pub opened_us: i64,
    pub resolved_us: Option<i64>,
}

/// One of the service's counted deployments.
#[derive(Clone, Debug, PartialEq)]
pub struct DeployFact {
    pub id: String,
    pub finished_us: i64,
    pub failed: bool,
}

/// One region's line of the stored capacity plan.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct RunwayFact {
    pub region: String,
    pub order_by_date: Option<NaiveDate>,
    pub exhaustion_date_hi95: Option<NaiveDate>,
    pub cannot_cover: bool,
}

/// Everything the rules read; `None` = the dataset (or the plan) is not there.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub slo: Option<SloFacts>,
    pub incidents: Option<Vec<IncidentFact>>,
    pub deployments: Option<Vec<DeployFact>>,
    /// The plan's regions the service runs in (already limited to `--region`).
    pub runway: Option<Vec<RunwayFact>>,
    pub freshness: Vec<FreshnessRow>,
}

/// A rule's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skipped,
}

/// One rule's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleResult {
    pub id: RuleId,
    pub status: Status,
    pub level: Level,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub reason: String,
}

/// The gate's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
    Overridden,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Overridden => "overridden",
        }
    }
}

fn fired(level: Level) -> Status {
    match level {
        Level::Fail => Status::Fail,
        Level::Warn => Status::Warn,
    }
}

fn result(
    id: RuleId,
    p: &GatePolicy,
    status: Status,
    value: Option<f64>,
    threshold: Option<f64>,
    reason: String,
) -> RuleResult {
    RuleResult {
        id,
        status,
        level: p.level(id),
        value,
        threshold,
        reason,
    }
}

fn error_budget(p: &GatePolicy, f: &Facts) -> RuleResult {
    let id = RuleId::ErrorBudget;
    let t = Some(p.min_error_budget);
    match f.slo.as_ref().and_then(|s| s.budget_remaining) {
        None => result(
            id,
            p,
            Status::Skipped,
            None,
            t,
            "no slo rows for the service in its SLO window".into(),
        ),
        Some(b) if b <= p.min_error_budget => result(
            id,
            p,
            fired(p.level(id)),
            Some(b),
            t,
            format!(
                "error budget left {:.1} % is at or below {:.1} %",
                b * 100.0,
                p.min_error_budget * 100.0
            ),
        ),
        Some(b) => result(
            id,
            p,
            Status::Pass,
            Some(b),
            t,
            format!("error budget left {:.1} %", b * 100.0),
        ),
    }
}

fn fast_burn(p: &GatePolicy, f: &Facts) -> RuleResult {
    let id = RuleId::FastBurn;
    let t = Some(f64::from(p.max_burn_lag_min));
    let Some(s) = &f.slo else {
        return result(
            id,
            p,
            Status::Skipped,
            None,
            None,
            "no slo rows for the service".into(),
        );
    };
    let Some(lag) = s.lag_min else {
        return result(
            id,
            p,
            Status::Skipped,
            None,
            None,
            "no slo sample before as_of".into(),
        );
    };
    if lag > f64::from(p.max_burn_lag_min) {
        return result(
            id,
            p,
            Status::Skipped,
            Some(lag),
            t,
            format!(
                "the newest slo sample is {lag:.0} min old, more than the {} min allowed: burn rates not judged",
                p.max_burn_lag_min
            ),
        );
    }
    let burn = |b: Option<f64>| b.map(|b| format!("{b:.1}×")).unwrap_or_else(|| "—".into());
    match s.fast_burn {
        Some(true) => result(
            id,
            p,
            fired(p.level(id)),
            s.burn_rate_1h,
            None,
            format!(
                "fast-burn alert firing: {} over 1 h, {} over 6 h (data lag {lag:.0} min)",
                burn(s.burn_rate_1h),
                burn(s.burn_rate_6h)
            ),
        ),
        _ => result(
            id,
            p,
            Status::Pass,
            s.burn_rate_1h,
            None,
            format!(
                "no fast burn: {} over 1 h, {} over 6 h (data lag {lag:.0} min)",
                burn(s.burn_rate_1h),
                burn(s.burn_rate_6h)
            ),
        ),
    }
}

fn open_incidents(p: &GatePolicy, f: &Facts, as_of_us: i64) -> RuleResult {
    let id = RuleId::OpenIncidents;
    let Some(incidents) = &f.incidents else {
        return result(
            id,
            p,
            Status::Skipped,
            None,
            None,
            "no incidents export in the lake".into(),
        );
    };
    let open: Vec<&IncidentFact> = incidents
        .iter()
        .filter(|i| {
            p.open_incident_severities.contains(&i.severity_level)
                && i.opened_us <= as_of_us
                && i.resolved_us.is_none_or(|r| r > as_of_us)
        })
        .collect();
    let sevs = p
        .open_incident_severities
        .iter()
        .map(|s| format!("SEV{s}"))
        .collect::<Vec<_>>()
        .join("/");
    if open.is_empty() {
        result(
            id,
            p,
            Status::Pass,
            Some(0.0),
            Some(0.0),
            format!("no open {sevs} incident"),
        )
    } else {
        let ids = open
            .iter()
            .take(5)
            .map(|i| format!("`{}`", i.id))
            .collect::<Vec<_>>()
            .join(", ");
        result(
            id,
            p,
            fired(p.level(id)),
            Some(open.len() as f64),
            Some(0.0),
            format!("{} open {sevs} incident(s): {ids}", open.len()),
        )
    }
}

fn change_failure_rate(p: &GatePolicy, f: &Facts, as_of_us: i64) -> RuleResult {
    let id = RuleId::ChangeFailureRate;
    let t = Some(p.max_cfr);
    let Some(deploys) = &f.deployments else {
        return result(
            id,
            p,
            Status::Skipped,
            None,
            t,
            "no deployments export in the lake".into(),
        );
    };
    let mut recent: Vec<&DeployFact> = deploys
        .iter()
        .filter(|d| d.finished_us <= as_of_us)
        .collect();
    recent.sort_by(|a, b| b.finished_us.cmp(&a.finished_us).then(b.id.cmp(&a.id)));
    recent.truncate(p.cfr_last_n);
    if recent.is_empty() {
        return result(
            id,
            p,
            Status::Skipped,
            None,
            t,
            "no deployment of the service before as_of".into(),
        );
    }
    let failed = recent.iter().filter(|d| d.failed).count();
    let cfr = failed as f64 / recent.len() as f64;
    let text = format!(
        "{failed} of the last {} deployment(s) failed ({:.0} %)",
        recent.len(),
        cfr * 100.0
    );
    if cfr > p.max_cfr {
        result(
            id,
            p,
            fired(p.level(id)),
            Some(cfr),
            t,
            format!("{text}, above {:.0} %", p.max_cfr * 100.0),
        )
    } else {
        result(id, p, Status::Pass, Some(cfr), t, text)
    }
}

fn capacity_runway(p: &GatePolicy, f: &Facts, as_of: NaiveDate) -> RuleResult {
    let id = RuleId::CapacityRunway;
    let t = Some(f64::from(p.min_runway_days));
    let Some(plan) = &f.runway else {
        return result(
            id,
            p,
            Status::Skipped,
            None,
            t,
            "no capacity plan stored yet (hint: `opsbench run` or `opsbench forecast` stores one)"
                .into(),
        );
    };
    if plan.is_empty() {
        return result(
            id,
            p,
            Status::Skipped,
            None,
            t,
            "the capacity plan has none of the service's regions".into(),
        );
    }
    let horizon = as_of + chrono::Duration::days(i64::from(p.min_runway_days));
    let mut problems = Vec::new();
    let mut runway: Option<i64> = None;
    for r in plan {
        if let Some(d) = r.exhaustion_date_hi95 {
            let days = (d - as_of).num_days();
            runway = Some(runway.map_or(days, |x| x.min(days)));
        }
        if r.cannot_cover {
            problems.push(format!(
                "{} cannot be covered even at max_instances",
                r.region
            ));
        } else if let Some(o) = r.order_by_date.filter(|o| *o <= as_of) {
            problems.push(format!("{}: order-by date {o} has passed", r.region));
        } else if let Some(e) = r.exhaustion_date_hi95.filter(|e| *e <= horizon) {
            problems.push(format!("{}: may run out of capacity on {e}", r.region));
        }
    }
    let value = runway.map(|d| d as f64);
    if problems.is_empty() {
        let regions = plan
            .iter()
            .map(|r| r.region.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        result(
            id,
            p,
            Status::Pass,
            value,
            t,
            format!(
                "capacity lasts beyond {} days in {regions}",
                p.min_runway_days
            ),
        )
    } else {
        result(id, p, fired(p.level(id)), value, t, problems.join("; "))
    }
}

/// The datasets a rule reads.
fn reads(id: RuleId) -> &'static [Dataset] {
    match id {
        RuleId::ErrorBudget | RuleId::FastBurn => &[Dataset::Slo],
        RuleId::OpenIncidents => &[Dataset::Incidents],
        RuleId::ChangeFailureRate => &[Dataset::Deployments, Dataset::Incidents],
        RuleId::CapacityRunway => &[Dataset::Ccu, Dataset::Capacity],
        RuleId::DataFreshness => &[],
    }
}

fn data_freshness(p: &GatePolicy, f: &Facts, ran: &[RuleResult]) -> RuleResult {
    let id = RuleId::DataFreshness;
    let mut read: Vec<Dataset> = ran
        .iter()
        .filter(|r| r.status != Status::Skipped)
        .flat_map(|r| reads(r.id).iter().copied())
        .collect();
    read.sort();
    read.dedup();
    if read.is_empty() {
        return result(
            id,
            p,
            Status::Skipped,
            None,
            None,
            "no other rule ran".into(),
        );
    }
    let bad: Vec<String> = f
        .freshness
        .iter()
        .filter(|r| read.contains(&r.dataset) && r.status != Freshness::Fresh)
        .filter_map(|r| r.problem())
        .collect();
    let names = read.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ");
    if bad.is_empty() {
        result(
            id,
            p,
            Status::Pass,
            Some(0.0),
            Some(0.0),
            format!("fresh: {names}"),
        )
    } else {
        result(
            id,
            p,
            fired(p.level(id)),
            Some(bad.len() as f64),
            Some(0.0),
            bad.join("; "),
        )
    }
}

/// Apply every rule, in [`RuleId::ALL`]'s order.
pub fn evaluate(policy: &GatePolicy, facts: &Facts, as_of: DateTime<Utc>) -> Vec<RuleResult> {
    let as_of_us = as_of.timestamp_micros();
    let mut rules = vec![
        error_budget(policy, facts),
        fast_burn(policy, facts),
        open_incidents(policy, facts, as_of_us),
        change_failure_rate(policy, facts, as_of_us),
        capacity_runway(policy, facts, as_of.date_naive()),
    ];
    let fresh = data_freshness(policy, facts, &rules);
    rules.push(fresh);
    rules
}

/// The verdict of the rules, before any override. A gate that could judge nothing (every rule
/// skipped) warns: it must not pass in silence.
pub fn verdict(rules: &[RuleResult]) -> Verdict {
    if rules.iter().all(|r| r.status == Status::Skipped) {
        Verdict::Warn
    } else if rules.iter().any(|r| r.status == Status::Fail) {
        Verdict::Fail
    } else if rules.iter().any(|r| r.status == Status::Warn) {
        Verdict::Warn
    } else {
        Verdict::Pass
    }
}

/// One gate decision, as printed with `--format json` and kept under `LAKE/_gate/decisions/`.
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub schema_version: u32,
    pub decided_at: String,
    pub opsbench_version: String,
    pub actor: Option<String>,
    pub service: String,
    pub region: Option<String>,
    pub deploy_id: Option<String>,
    pub as_of: String,
    pub verdict: Verdict,
    pub original_verdict: Verdict,
    pub override_reason: Option<String>,
    pub rules: Vec<RuleResult>,
}

/// The verdict after an override: a `fail` or `warn` becomes `overridden`; a `pass` stays.
pub fn with_override(original: Verdict, reason: Option<&str>) -> Verdict {
    match (original, reason) {
        (Verdict::Fail | Verdict::Warn, Some(_)) => Verdict::Overridden,
        (v, _) => v,
    }
}

#[cfg(test)]
mod tests;
