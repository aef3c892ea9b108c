//! `change_metrics` (period × service): deployments, failed deployments, change failure rate,
//! deployment frequency, lead time and failed-deployment recovery time, each with its DORA
//! band; and `incident_links` (incident → the deployment that caused it).
//!
//! Definitions (DESIGN.md, "Metrics (outputs)"; the knobs are [`ChangeKnobs`]):
//! - **Deployments** of a period: deployments of `environment` with status `success`, `failed`
//!   or `rolled_back` that finished at or before `as_of` and inside the period (by
//!   `finished_at`). `cancelled` never counts. Under `devlake`, only `success` ones count.
//! - **Links** ([`link_incidents`]): only incidents of `environment` opened at or before
//!   `as_of`. `caused_by_deploy` when given is an explicit link (`lag_min` = opened − finished
//!   when a deployment with that id finished at or before `as_of`, else empty; negative when
//!   it finished after the incident opened). Inference
//!   (`link_inference = LatestBefore`) only for incidents without `caused_by_deploy`: the latest
//!   `success` deployment of `environment` and of the same service that finished strictly
//!   before `opened_at`, at most `max_link_lag_min` before it when set (ties on `finished_at`:
//!   the greatest `deploy_id`). `devlake` infers whatever `link_inference` says, with no lag
//!   limit (DevLake's connector, but per service rather than per project).
//! - A deployment **failed** if a link names it (however many: it counts once) or, with
//!   `cfr_counts_failed_status` (off under `devlake`), its status is `failed`/`rolled_back`.
//!   **CFR** = failed / deployments, in [0, 1]; empty when there is no deployment.
//! - **Deployment frequency**: `deploys_per_day` = successful deployments / period length in
//!   days (fractional for clipped periods); `deployment_days_per_week` = distinct UTC dates of
//!   `finished_at` with a successful deployment / the number of ISO weeks (Monday, UTC) the
//!   period overlaps, so weeks with none count as 0 and a partly covered edge week counts as a
//!   whole one (as in DevLake); empty for `day` periods.
//! - **Lead time**: median (`median` knob) of `finished_at − first_commit_at` in hours over
//!   successful deployments of the period with a `first_commit_at` (a negative one is skipped;
//!   ingest already nulls them), with `lead_time_n`.
//! - **Recovery time** (DORA 2023's "failed deployment recovery time"): per failed deployment
//!   of the period, hours from its `finished_at` to the latest `resolved_at` (at or before
//!   `as_of`, and not before the deployment finished: a negative span is skipped, never rated)
//!   among its linked incidents (one still open does not hold the others back); a deployment
//!   failed by status alone, with no linked incident, recovers at the `finished_at` of the
//!   next successful deployment of the same service and environment (finished at or before
//!   `as_of`). None of these → not counted. Median with the `median` knob.
//! - **DORA bands** (`elite`/`high`/`medium`/`low`; empty when the figure is), after the 2023
//!   Accelerate State of DevOps report (DORA, Google Cloud) as DevLake's 2023 benchmark encodes
//!   it (`shared/reference/dora.md` §2.3): lead time < 1 day / < 7 days / < 30 days; CFR ≤ 5 %
//!   / ≤ 10 % / ≤ 15 %; recovery < 1 hour / < 24 hours / < 7 days. The report describes
//!   deployment frequency only in words ("on demand", "between once per day and once per
//!   week", "between once per week and once per month"), so the band is taken on
//!   `deploys_per_day`: ≥ 1 a day elite, ≥ 1 a week (7 days) high, ≥ 1 a month (30 days)
//!   medium, else low. CFR and frequency bands are decided on the integer counts, exactly.
//!
//! `devlake` ([`ChangeKnobs::devlake`]) reproduces DevLake's conventions: successful
//! deployments only, a failed status counts for nothing, every incident without
//! `caused_by_deploy` (any severity, open or not) linked with no lag limit, lower median.
//! Its Monday weeks and UTC days are the caller's periods. DevLake's PR-based lead time and
//! its per-incident, possibly negative recovery are not reproduced.
//!
//! Pure: no I/O, no clock, no environment; `as_of`, the periods and the knobs are parameters,
//! and the results do not depend on the order of the input rows.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use polars::prelude::*;

use super::incidents::{Incident, period_columns};

#[path = "changes_counts.rs"]
mod counts;
use super::columns::column;
use super::periods::{Period, PeriodKind};
use super::stats::{self, MedianKind};
use crate::error::{PolarsContext, Result};
pub use counts::DEPLOYMENT_COUNTS_SQL;
use counts::{Counts, run_counts};

const US_PER_MIN: f64 = 60e6;
const US_PER_HOUR: f64 = 3_600e6;
const US_PER_DAY: i64 = 86_400_000_000;

/// One deployment, as the metrics need it (instants in µs since the epoch, UTC).
#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    pub id: String,
    pub service: String,
    pub environment: String,
    /// `success`, `failed`, `rolled_back` or `cancelled`.
    pub status: String,
    pub finished_us: i64,
    pub started_us: Option<i64>,
    pub first_commit_us: Option<i64>,
    pub region: Option<String>,
}

impl Deployment {
    fn is_success(&self) -> bool {
        self.status == "success"
    }

    fn failed_status(&self) -> bool {
        self.status == "failed" || self.status == "rolled_back"
    }
}

/// The deployments of a frame with the canonical `deployments` columns (`started_at`,
/// `first_commit_at` and `region` may be absent). Rows without `finished_at` are skipped.
pub fn deployments_from_frame(df: &DataFrame) -> Result<Vec<Deployment>> {
    let text = |c: &str| -> Result<StringChunked> {
        let col = df.column(c).ctx(|| format!("column {c}"))?;
        Ok(col.str().ctx(|| format!("column {c}"))?.clone())
    };
    let us = |c: &str| -> Result<Int64Chunked> {
        let s = df
            .column(c)
            .ctx(|| format!("column {c}"))?
            .cast(&DataType::Int64)
            .ctx(|| format!("column {c}"))?;
        Ok(s.i64().ctx(|| format!("column {c}"))?.clone())
    };
    let has = |c: &str| df.column(c).is_ok();
    let (id, service, status) = (text("deploy_id")?, text("service")?, text("status")?);
    let env = has("environment")
        .then(|| text("environment"))
        .transpose()?;
    let region = has("region").then(|| text("region")).transpose()?;
    let finished = us("finished_at")?;
    let started = has("started_at").then(|| us("started_at")).transpose()?;
    let first = has("first_commit_at")
        .then(|| us("first_commit_at"))
        .transpose()?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(finished_us) = finished.get(i) else {
            continue;
        };
        out.push(Deployment {
            id: id.get(i).unwrap_or("").to_string(),
            service: service.get(i).unwrap_or("").to_string(),
            environment: env
                .as_ref()
                .and_then(|c| c.get(i))
                .unwrap_or("production")
                .to_string(),
            status: status.get(i).unwrap_or("").to_string(),
            finished_us,
            started_us: started.as_ref().and_then(|c| c.get(i)),
            first_commit_us: first.as_ref().and_then(|c| c.get(i)),
            region: region.as_ref().and_then(|c| c.get(i)).map(str::to_string),
        });
    }
    Ok(out)
}

pub use crate::knobs::LinkInference;

/// The knobs change metrics read.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeKnobs {
    /// Only deployments and incidents of this environment count.
    pub environment: String,
    /// A `failed`/`rolled_back` status makes a deployment failed (as well as a linked incident).
    pub cfr_counts_failed_status: bool,
    pub link_inference: LinkInference,
    /// Inference links only deployments at most this many minutes before the incident opened.
    pub max_link_lag_min: Option<i64>,
    pub median: MedianKind,
    /// DevLake's conventions (see the module doc).
    pub devlake: bool,
}

impl Default for ChangeKnobs {
    fn default() -> Self {
        ChangeKnobs {
            environment: "production".into(),
            cfr_counts_failed_status: true,
            link_inference: LinkInference::Off,
            max_link_lag_min: None,
            median: MedianKind::Interpolated,
            devlake: false,
        }
    }
}

impl ChangeKnobs {
    /// DevLake's conventions: successful deployments only, no failed status, every incident
    /// without `caused_by_deploy` linked to the latest earlier deployment with no lag limit,
    /// lower median.
    pub fn devlake() -> ChangeKnobs {
        ChangeKnobs {
            environment: "production".into(),
            cfr_counts_failed_status: false,
            link_inference: LinkInference::LatestBefore,
            max_link_lag_min: None,
            median: MedianKind::Lower,
            devlake: true,
        }
    }

    /// Whether a deployment counts as a deployment (before the period and `as_of` filters).
    fn counts(&self, d: &Deployment) -> bool {
        d.environment == self.environment
            && if self.devlake {
                d.is_success()
            } else {
                matches!(d.status.as_str(), "success" | "failed" | "rolled_back")
            }
    }

    fn infers(&self) -> bool {
        self.devlake || self.link_inference == LinkInference::LatestBefore
    }

    fn lag_limit_us(&self) -> Option<i64> {
        if self.devlake {
            None
        } else {
            self.max_link_lag_min.map(|m| m.saturating_mul(60_000_000))
        }
    }
}

/// One row of `incident_links`.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub incident_id: String,
    pub deploy_id: String,
    /// `explicit` (`caused_by_deploy`) or `inferred`.
    pub link: &'static str,
    /// `opened_at − finished_at` in minutes; `None` when the named deployment is unknown.
    pub lag_min: Option<f64>,
}

/// The incident's `caused_by_deploy`, if it names anything.
fn named_deploy(i: &Incident) -> Option<&str> {
    i.caused_by_deploy
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Whether an incident counts: its environment, opened at or before `as_of`.
fn incident_counts(i: &Incident, as_of_us: i64, knobs: &ChangeKnobs) -> bool {
    i.environment == knobs.environment && i.opened_us <= as_of_us
}

/// Link each counted incident to the deployment that caused it (see the module doc); sorted
/// by `incident_id`. Incidents with no link are left out.
pub fn link_incidents(
    incidents: &[Incident],
    deployments: &[Deployment],
    as_of: DateTime<Utc>,
    knobs: &ChangeKnobs,
) -> Vec<Link> {
    let as_of_us = as_of.timestamp_micros();
    let visible: Vec<&Deployment> = deployments
        .iter()
        .filter(|d| d.finished_us <= as_of_us)
        .collect();
    // by id (ids are the dataset's key; a duplicate resolves to the latest-finishing row)
    let mut by_id: HashMap<&str, i64> = HashMap::new();
    for d in &visible {
        let e = by_id.entry(d.id.as_str()).or_insert(d.finished_us);
        *e = (*e).max(d.finished_us);
    }
    // inference candidates per service, sorted by (finished, id)
    let mut candidates: HashMap<&str, Vec<(i64, &str)>> = HashMap::new();
    if knobs.infers() {
        for d in visible
            .iter()
            .filter(|d| d.environment == knobs.environment && d.is_success())
        {
            candidates
                .entry(d.service.as_str())
                .or_default()
                .push((d.finished_us, d.id.as_str()));
        }
        for v in candidates.values_mut() {
            v.sort_unstable();
        }
    }
    let limit = knobs.lag_limit_us();
    let mut links: Vec<Link> = incidents
        .iter()
        .filter(|i| incident_counts(i, as_of_us, knobs))
        .filter_map(|i| {
            if let Some(id) = named_deploy(i) {
                return Some(Link {
                    incident_id: i.id.clone(),
                    deploy_id: id.to_string(),
                    link: "explicit",
                    lag_min: by_id.get(id).map(|f| (i.opened_us - f) as f64 / US_PER_MIN),
                });
            }
            let c = candidates.get(i.service.as_str())?;
            // the last candidate finished strictly before the incident opened
            let n = c.partition_point(|(f, _)| *f < i.opened_us);
            let &(finished, id) = c.get(n.checked_sub(1)?)?;
            let lag = i.opened_us - finished;
            if limit.is_some_and(|l| lag > l) {
                return None;
            }
            Some(Link {
                incident_id: i.id.clone(),
                deploy_id: id.to_string(),
                link: "inferred",
                lag_min: Some(lag as f64 / US_PER_MIN),
            })
        })
        .collect();
    links.sort_by(|a, b| (&a.incident_id, &a.deploy_id).cmp(&(&b.incident_id, &b.deploy_id)));
    links
}

/// The links as the `incident_links` table.
pub fn links_to_frame(links: &[Link]) -> Result<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new(
            "incident_id".into(),
            links
                .iter()
                .map(|l| l.incident_id.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "deploy_id".into(),
            links
                .iter()
                .map(|l| l.deploy_id.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "link".into(),
            links.iter().map(|l| l.link).collect::<Vec<_>>(),
        ),
        Column::new(
            "lag_min".into(),
            links.iter().map(|l| l.lag_min).collect::<Vec<_>>(),
        ),
    ])
    .ctx(|| "building incident_links".into())
}

/// One row of `change_metrics`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeRow {
    pub period: Period,
    pub service: String,
    pub deployments: u64,
    pub failed_deployments: u64,
    pub change_failure_rate: Option<f64>,
    pub deploys_per_day: Option<f64>,
    pub deployment_days_per_week: Option<f64>,
    pub lead_time_median_hours: Option<f64>,
    pub lead_time_n: u64,
    pub recovery_median_hours: Option<f64>,
    pub df_band: Option<&'static str>,
    pub lead_time_band: Option<&'static str>,
    pub cfr_band: Option<&'static str>,
    pub recovery_band: Option<&'static str>,
}

/// A counted deployment with what the period rows need.
struct Counted<'a> {
    d: &'a Deployment,
    failed: bool,
    /// Hours to recovery, when it recovered (see the module doc).
    recovery_hours: Option<f64>,
}

/// Rows for every period × (each service with a counted deployment in one of the periods, and
/// `*`), sorted by period (kind, start) then service. A link counts only when its incident is
/// among `incidents` (of `environment`, opened at or before `as_of`).
pub fn change_metrics(
    deployments: &[Deployment],
    incidents: &[Incident],
    links: &[Link],
    periods: &[Period],
    as_of: DateTime<Utc>,
    knobs: &ChangeKnobs,
) -> Result<Vec<ChangeRow>> {
    let counted = counted(deployments, incidents, links, as_of, knobs);
    let mut services: BTreeSet<&str> = counted
        .iter()
        .filter(|c| periods.iter().any(|p| in_period(c.d, p)))
        .map(|c| c.d.service.as_str())
        .collect();
    services.insert("*");
    let counts = run_counts(&counted, periods)?;
    let mut rows = Vec::new();
    for (order, p) in periods.iter().enumerate() {
        for service in &services {
            let members: Vec<&Counted> = counted
                .iter()
                .filter(|c| (*service == "*" || c.d.service == *service) && in_period(c.d, p))
                .collect();
            let c = counts
                .get(&(order as u32, service.to_string()))
                .cloned()
                .unwrap_or_default();
            rows.push(row(p, service, &members, knobs.median, c));
        }
    }
    rows.sort_by(|a, b| {
        (a.period.kind, a.period.start, &a.service).cmp(&(
            b.period.kind,
            b.period.start,
            &b.service,
        ))
    });
    Ok(rows)
}

/// The deployments that count (finished at or before `as_of`), each with whether it failed
/// and its recovery time.
fn counted<'a>(
    deployments: &'a [Deployment],
    incidents: &[Incident],
    links: &[Link],
    as_of: DateTime<Utc>,
    knobs: &ChangeKnobs,
) -> Vec<Counted<'a>> {
    let as_of_us = as_of.timestamp_micros();
    let counted_incidents: HashMap<&str, &Incident> = incidents
        .iter()
        .filter(|i| incident_counts(i, as_of_us, knobs))
        .map(|i| (i.id.as_str(), i))
        .collect();
    // deploy_id → the resolutions (at or before as_of) of its linked incidents, and whether it
    // has a linked incident at all
    let mut linked: HashMap<&str, Vec<Option<i64>>> = HashMap::new();
    for l in links {
        if let Some(i) = counted_incidents.get(l.incident_id.as_str()) {
            linked
                .entry(l.deploy_id.as_str())
                .or_default()
                .push(i.resolved_us.filter(|r| *r <= as_of_us));
        }
    }
    // successful finishes per (service, environment), for the status-only recovery
    let mut successes: HashMap<(&str, &str), Vec<i64>> = HashMap::new();
    for d in deployments
        .iter()
        .filter(|d| d.is_success() && d.finished_us <= as_of_us)
    {
        successes
            .entry((d.service.as_str(), d.environment.as_str()))
            .or_default()
            .push(d.finished_us);
    }
    for v in successes.values_mut() {
        v.sort_unstable();
    }
    deployments
        .iter()
        .filter(|d| d.finished_us <= as_of_us && knobs.counts(d))
        .map(|d| {
            let resolutions = linked.get(d.id.as_str());
            // (under devlake a failed status is never counted at all)
            let by_status = knobs.cfr_counts_failed_status && d.failed_status();
            let failed = resolutions.is_some() || by_status;
            let recovered_us = match resolutions {
                Some(rs) => rs
                    .iter()
                    .flatten()
                    .copied()
                    .filter(|r| *r >= d.finished_us)
                    .max(),
                None if failed => successes
                    .get(&(d.service.as_str(), d.environment.as_str()))
                    .and_then(|v| v.get(v.partition_point(|f| *f <= d.finished_us)))
                    .copied(),
                None => None,
            };
            Counted {
                d,
                failed,
                recovery_hours: recovered_us.map(|r| (r - d.finished_us) as f64 / US_PER_HOUR),
            }
        })
        .collect()
}

/// The deployments that count, at or before `as_of`, each with whether it failed (a linked
/// incident, or a failed status under `cfr_counts_failed_status`): what the deploy gate's
/// `change_failure_rate` rule reads.
pub fn failures<'a>(
    deployments: &'a [Deployment],
    incidents: &[Incident],
    links: &[Link],
    as_of: DateTime<Utc>,
    knobs: &ChangeKnobs,
) -> Vec<(&'a Deployment, bool)> {
    counted(deployments, incidents, links, as_of, knobs)
        .into_iter()
        .map(|c| (c.d, c.failed))
        .collect()
}

fn in_period(d: &Deployment, p: &Period) -> bool {
    d.finished_us >= p.start.timestamp_micros() && d.finished_us < p.end.timestamp_micros()
}

fn utc_date(us: i64) -> NaiveDate {
    DateTime::from_timestamp_micros(us)
        .expect("a timestamp in range")
        .date_naive()
}

/// The number of ISO weeks (Monday, UTC dates) that `[start, end)` overlaps.
fn iso_weeks_overlapped(p: &Period) -> i64 {
    let monday =
        |d: NaiveDate| d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let first = monday(p.start.date_naive());
    let last = monday(utc_date(p.end.timestamp_micros() - 1));
    (last - first).num_days() / 7 + 1
}

fn row(
    p: &Period,
    service: &str,
    members: &[&Counted],
    median: MedianKind,
    counts: Counts,
) -> ChangeRow {
    let deployments = counts.deployments;
    let failed = counts.failed;
    let successes: Vec<&Deployment> = members
        .iter()
        .map(|c| c.d)
        .filter(|d| d.is_success())
        .collect();
    let days = (p.end - p.start).num_microseconds().unwrap_or(i64::MAX) as f64 / US_PER_DAY as f64;
    let deploys_per_day = (days > 0.0).then(|| counts.successes as f64 / days);
    let deployment_days_per_week = (p.kind != PeriodKind::Day)
        .then(|| counts.success_days as f64 / iso_weeks_overlapped(p) as f64);
    let leads: Vec<f64> = successes
        .iter()
        .filter_map(|d| d.first_commit_us.map(|c| d.finished_us - c))
        .filter(|l| *l >= 0)
        .map(|l| l as f64 / US_PER_HOUR)
        .collect();
    let recoveries: Vec<f64> = members.iter().filter_map(|c| c.recovery_hours).collect();
    let lead_time_median_hours = stats::median(&leads, median);
    let recovery_median_hours = stats::median(&recoveries, median);
    ChangeRow {
        period: p.clone(),
        service: service.to_string(),
        deployments,
        failed_deployments: failed,
        change_failure_rate: (deployments > 0).then(|| failed as f64 / deployments as f64),
        deploys_per_day,
        deployment_days_per_week,
        lead_time_median_hours,
        lead_time_n: counts.lead_time_n,
        recovery_median_hours,
        df_band: deploys_per_day.map(|_| df_band(counts.successes, p)),
        lead_time_band: lead_time_median_hours.map(lead_time_band),
        cfr_band: (deployments > 0).then(|| cfr_band(failed, deployments)),
        recovery_band: recovery_median_hours.map(recovery_band),
    }
}

/// Deployment frequency band: elite ≥ 1 a day, high ≥ 1 a week, medium ≥ 1 a month (30
/// days), else low; compared exactly as count × days-per-step ≥ period length.
fn df_band(successes: u64, p: &Period) -> &'static str {
    let len_us = i128::from((p.end - p.start).num_microseconds().unwrap_or(i64::MAX));
    let per =
        |step_days: i128| i128::from(successes) * step_days * i128::from(US_PER_DAY) >= len_us;
    if per(1) {
        "elite"
    } else if per(7) {
        "high"
    } else if per(30) {
        "medium"
    } else {
        "low"
    }
}

/// Lead time band: elite < 1 day, high < 7 days, medium < 30 days, else low.
fn lead_time_band(hours: f64) -> &'static str {
    if hours < 24.0 {
        "elite"
    } else if hours < 7.0 * 24.0 {
        "high"
    } else if hours < 30.0 * 24.0 {
        "medium"
    } else {
        "low"
    }
}

/// CFR band: elite ≤ 5 %, high ≤ 10 %, medium ≤ 15 %, else low (exact, on the counts).
fn cfr_band(failed: u64, deployments: u64) -> &'static str {
    let at_most = |pct: u64| failed * 100 <= pct * deployments;
    if at_most(5) {
        "elite"
    } else if at_most(10) {
        "high"
    } else if at_most(15) {
        "medium"
    } else {
        "low"
    }
}

/// Recovery band: elite < 1 hour, high < 1 day, medium < 7 days, else low.
pub fn recovery_band(hours: f64) -> &'static str {
    if hours < 1.0 {
        "elite"
    } else if hours < 24.0 {
        "high"
    } else if hours < 7.0 * 24.0 {
        "medium"
    } else {
        "low"
    }
}

/// The rows as the `change_metrics` table.
pub fn to_frame(rows: &[ChangeRow]) -> Result<DataFrame> {
    let periods: Vec<&Period> = rows.iter().map(|r| &r.period).collect();
    let mut cols = period_columns(&periods)?;
    cols.extend([
        column("service", rows, |r| r.service.clone()),
        column("deployments", rows, |r| r.deployments),
        column("failed_deployments", rows, |r| r.failed_deployments),
        column("change_failure_rate", rows, |r| r.change_failure_rate),
        column("deploys_per_day", rows, |r| r.deploys_per_day),
        column("deployment_days_per_week", rows, |r| {
            r.deployment_days_per_week
        }),
        column("lead_time_median_hours", rows, |r| r.lead_time_median_hours),
        column("lead_time_n", rows, |r| r.lead_time_n),
        column("recovery_median_hours", rows, |r| r.recovery_median_hours),
        column("df_band", rows, |r| r.df_band),
        column("lead_time_band", rows, |r| r.lead_time_band),
        column("cfr_band", rows, |r| r.cfr_band),
        column("recovery_band", rows, |r| r.recovery_band),
    ]);
    DataFrame::new_infer_height(cols).ctx(|| "building change_metrics".into())
}

#[cfg(test)]
#[path = "changes_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "changes_fixture_tests.rs"]
mod fixture_tests;
