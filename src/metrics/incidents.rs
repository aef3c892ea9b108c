//! `incident_metrics` (period × service × severity): incidents, resolved, open and the age of
//! the oldest open one, MTTR mean / median / p90 / max with `n`, MTTA and MTTD medians.
//!
//! An incident counts in the period its `opened_at` falls in. Resolved means resolved at or
//! before `as_of`; such an incident is in its period's MTTR even when it was resolved after the
//! period ended. Open incidents (not resolved by `as_of`) are counted and aged, never averaged
//! in. Incidents opened after `as_of` do not exist yet. Durations are never negative: ingest
//! quarantines `resolved_at` before `opened_at` and nulls a `detected_at`/`acknowledged_at`
//! before it. Rows where `service` or `severity` is `*` are roll-ups over that dimension.
//!
//! Why Rust rather than a `queries/*.sql` file: the period assignment in `report_tz`, the
//! median knob and the roll-ups are clearer here; the counts are checked against hand-computed
//! fixtures. Pure: no I/O, no clock; the window, `as_of` and knobs are parameters.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::columns::column;
use super::periods::Period;
use super::stats::{self, MedianKind};
use crate::error::{PolarsContext, Result};

/// One incident, as the metrics need it (instants in µs since the epoch, UTC).
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub id: String,
    pub service: String,
    /// `SEV1` … `SEV5`.
    pub severity: String,
    pub environment: String,
    pub opened_us: i64,
    pub detected_us: Option<i64>,
    pub acknowledged_us: Option<i64>,
    pub resolved_us: Option<i64>,
    /// Game region affected; `None` = all regions.
    pub region: Option<String>,
    pub mitigated_us: Option<i64>,
    /// `deploy_id` the export names as the cause.
    pub caused_by_deploy: Option<String>,
    pub players_affected: Option<i64>,
}

impl Incident {
    /// An incident with only the required fields set (the others empty).
    pub fn new(id: &str, service: &str, severity: &str, opened_us: i64) -> Incident {
        Incident {
            id: id.into(),
            service: service.into(),
            severity: severity.into(),
            environment: "production".into(),
            opened_us,
            detected_us: None,
            acknowledged_us: None,
            resolved_us: None,
            region: None,
            mitigated_us: None,
            caused_by_deploy: None,
            players_affected: None,
        }
    }

    /// The severity as a number, 1 (worst) to 5.
    pub fn severity_level(&self) -> u8 {
        self.severity.trim_start_matches("SEV").parse().unwrap_or(5)
    }
}

/// The incidents of a frame with the canonical `incidents` columns.
pub fn from_frame(df: &DataFrame) -> Result<Vec<Incident>> {
    let text = |c: &str| -> Result<StringChunked> {
        Ok(df
            .column(c)
            .ctx(|| format!("column {c}"))?
            .str()
            .ctx(|| format!("column {c}"))?
            .clone())
    };
    let us = |c: &str| -> Result<Int64Chunked> {
        let s = df
            .column(c)
            .ctx(|| format!("column {c}"))?
            .cast(&DataType::Int64)
            .ctx(|| format!("column {c}"))?;
        Ok(s.i64().ctx(|| format!("column {c}"))?.clone())
    };
    let (id, service, severity, env) = (
        text("incident_id")?,
        text("service")?,
        text("severity")?,
        text("environment")?,
    );
    let (opened, detected, acked, resolved) = (
        us("opened_at")?,
        us("detected_at")?,
        us("acknowledged_at")?,
        us("resolved_at")?,
    );
    let (region, mitigated, cause_deploy) = (
        text("region")?,
        us("mitigated_at")?,
        text("caused_by_deploy")?,
    );
    let players = us("players_affected")?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(opened_us) = opened.get(i) else {
            continue;
        };
        out.push(Incident {
            id: id.get(i).unwrap_or("").to_string(),
            service: service.get(i).unwrap_or("").to_string(),
            severity: severity.get(i).unwrap_or("SEV5").to_string(),
            environment: env.get(i).unwrap_or("production").to_string(),
            opened_us,
            detected_us: detected.get(i),
            acknowledged_us: acked.get(i),
            resolved_us: resolved.get(i),
            region: region.get(i).map(str::to_string),
            mitigated_us: mitigated.get(i),
            caused_by_deploy: cause_deploy.get(i).map(str::to_string),
            players_affected: players.get(i),
        });
    }
    Ok(out)
}

/// The knobs incident metrics read.
#[derive(Clone, Debug)]
pub struct IncidentKnobs {
    pub median: MedianKind,
    /// Only incidents of this environment count.
    pub environment: String,
    /// Which period an incident counts in.
    pub period_by: crate::knobs::PeriodBy,
}

impl Default for IncidentKnobs {
    fn default() -> Self {
        IncidentKnobs {
            median: MedianKind::Interpolated,
            environment: "production".into(),
            period_by: crate::knobs::PeriodBy::Opened,
        }
    }
}

/// One row of `incident_metrics`.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentRow {
    pub period: Period,
    pub service: String,
    pub severity: String,
    pub incidents: u64,
    pub resolved: u64,
    pub open: u64,
    pub oldest_open_age_hours: Option<f64>,
    pub mttr_mean_min: Option<f64>,
    pub mttr_median_min: Option<f64>,
    pub mttr_p90_min: Option<f64>,
    pub mttr_max_min: Option<f64>,
    pub mttr_n: u64,
    pub mtta_median_min: Option<f64>,
    pub mttd_median_min: Option<f64>,
}

fn minutes(from_us: i64, to_us: i64) -> f64 {
    (to_us - from_us) as f64 / 60e6
}

/// Compute the rows for every period and every (service, severity) combination that has an
/// incident, plus the roll-ups; the (`*`, `*`) row of each period is always there.
pub fn incident_metrics(
    incidents: &[Incident],
    periods: &[Period],
    as_of: DateTime<Utc>,
    knobs: &IncidentKnobs,
) -> Result<Vec<IncidentRow>> {
    let as_of_us = as_of.timestamp_micros();
    let mut tagged = Tagged::default();
    let mut per_period: Vec<Vec<&Incident>> = Vec::with_capacity(periods.len());
    let counted: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.environment == knobs.environment && i.opened_us <= as_of_us)
        .collect();
    for p in periods {
        let (s, e) = (p.start.timestamp_micros(), p.end.timestamp_micros());
        let in_period: Vec<&Incident> = counted
            .iter()
            .copied()
            .filter(|i| match knobs.period_by {
                crate::knobs::PeriodBy::Opened => i.opened_us >= s && i.opened_us < e,
                // resolved ones where they resolved; open ones in the period ending at as_of
                crate::knobs::PeriodBy::Resolved => {
                    match i.resolved_us.filter(|r| *r <= as_of_us) {
                        Some(r) => r >= s && r < e,
                        None => as_of_us > s && as_of_us <= e,
                    }
                }
            })
            .collect();
        for i in &in_period {
            tagged.push(per_period.len() as u32, i, as_of_us);
        }
        per_period.push(in_period);
    }
    let counts = run_counts(tagged)?;
    let mut rows = Vec::new();
    for (order, (p, in_period)) in periods.iter().zip(&per_period).enumerate() {
        let mut groups: BTreeSet<(String, String)> = BTreeSet::new();
        groups.insert(("*".into(), "*".into()));
        for i in in_period {
            groups.insert((i.service.clone(), i.severity.clone()));
            groups.insert((i.service.clone(), "*".into()));
            groups.insert(("*".into(), i.severity.clone()));
        }
        for (service, severity) in groups {
            let members: Vec<&Incident> = in_period
                .iter()
                .copied()
                .filter(|i| {
                    (service == "*" || i.service == service)
                        && (severity == "*" || i.severity == severity)
                })
                .collect();
            let c = counts
                .get(&(order as u32, service.clone(), severity.clone()))
                .cloned()
                .unwrap_or_default();
            rows.push(row(
                p,
                service,
                severity,
                &members,
                as_of_us,
                knobs.median,
                c,
            ));
        }
    }
    Ok(rows)
}

/// The `incident_periods` input of `queries/incident_counts.sql`, one row per (incident,
/// period it counts in).
#[derive(Default)]
struct Tagged {
    period_order: Vec<u32>,
    service: Vec<String>,
    severity: Vec<String>,
    resolved: Vec<i64>,
    mttr_min: Vec<Option<f64>>,
    open_age_hours: Vec<Option<f64>>,
}

impl Tagged {
    fn push(&mut self, order: u32, i: &Incident, as_of_us: i64) {
        let resolved = i.resolved_us.filter(|r| *r <= as_of_us);
        self.period_order.push(order);
        self.service.push(i.service.clone());
        self.severity.push(i.severity.clone());
        self.resolved.push(i64::from(resolved.is_some()));
        self.mttr_min
            .push(resolved.map(|r| minutes(i.opened_us, r)));
        self.open_age_hours.push(
            resolved
                .is_none()
                .then(|| minutes(i.opened_us, as_of_us) / 60.0),
        );
    }
}

/// The counts of one group, from the SQL.
#[derive(Clone, Debug, Default)]
struct Counts {
    incidents: u64,
    resolved: u64,
    open: u64,
    oldest_open_age_hours: Option<f64>,
    mttr_mean_min: Option<f64>,
    mttr_max_min: Option<f64>,
    mttr_n: u64,
}

/// The SQL file that aggregates the tagged rows.
pub const INCIDENT_COUNTS_SQL: &str = include_str!("../../queries/incident_counts.sql");

/// Run `queries/incident_counts.sql` over the tagged rows; counts by (period, service, severity).
fn run_counts(t: Tagged) -> Result<std::collections::HashMap<(u32, String, String), Counts>> {
    let input = DataFrame::new_infer_height(vec![
        Column::new("period_order".into(), t.period_order),
        Column::new("service".into(), t.service),
        Column::new("severity".into(), t.severity),
        Column::new("resolved".into(), t.resolved),
        Column::new("mttr_min".into(), t.mttr_min),
        Column::new("open_age_hours".into(), t.open_age_hours),
    ])
    .ctx(|| "building incident_periods".into())?;
    let out = crate::lake::sql::collect(
        "incident_counts.sql",
        INCIDENT_COUNTS_SQL,
        "incident_periods",
        input,
    )?;
    let u = |c: &str| crate::metrics::columns::counts(&out, c);
    let f = |c: &str| crate::metrics::columns::reals(&out, c);
    let txt = |c: &str| -> Result<Vec<String>> {
        Ok(crate::metrics::columns::texts(&out, c)?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect())
    };
    let (order, service, severity) = (u("period_order")?, txt("service")?, txt("severity")?);
    let (incidents, resolved, open, n) =
        (u("incidents")?, u("resolved")?, u("open")?, u("mttr_n")?);
    let (age, mean, max) = (
        f("oldest_open_age_hours")?,
        f("mttr_mean_min")?,
        f("mttr_max_min")?,
    );
    let mut map = std::collections::HashMap::new();
    for k in 0..out.height() {
        map.insert(
            (order[k] as u32, service[k].clone(), severity[k].clone()),
            Counts {
                incidents: incidents[k],
                resolved: resolved[k],
                open: open[k],
                oldest_open_age_hours: age[k],
                mttr_mean_min: mean[k],
                mttr_max_min: max[k],
                mttr_n: n[k],
            },
        );
    }
    Ok(map)
}

fn row(
    p: &Period,
    service: String,
    severity: String,
    members: &[&Incident],
    as_of_us: i64,
    median: MedianKind,
    counts: Counts,
) -> IncidentRow {
    let resolved: Vec<f64> = members
        .iter()
        .filter_map(|i| {
            i.resolved_us
                .filter(|r| *r <= as_of_us)
                .map(|r| minutes(i.opened_us, r))
        })
        .collect();
    let ack: Vec<f64> = members
        .iter()
        .filter_map(|i| {
            i.acknowledged_us
                .filter(|a| *a <= as_of_us)
                .map(|a| minutes(i.opened_us, a))
        })
        .collect();
    let det: Vec<f64> = members
        .iter()
        .filter_map(|i| {
            i.detected_us
                .filter(|d| *d <= as_of_us)
                .map(|d| minutes(i.opened_us, d))
        })
        .collect();
    IncidentRow {
        period: p.clone(),
        service,
        severity,
        incidents: counts.incidents,
        resolved: counts.resolved,
        open: counts.open,
        oldest_open_age_hours: counts.oldest_open_age_hours,
        mttr_mean_min: counts.mttr_mean_min,
        mttr_median_min: stats::median(&resolved, median),
        mttr_p90_min: stats::quantile(&resolved, 0.9, median),
        mttr_max_min: counts.mttr_max_min,
        mttr_n: counts.mttr_n,
        mtta_median_min: stats::median(&ack, median),
        mttd_median_min: stats::median(&det, median),
    }
}

/// The period columns every periodic table starts with.
pub fn period_columns(periods: &[&Period]) -> Result<Vec<Column>> {
    let ts = |f: &dyn Fn(&Period) -> i64, name: &str| -> Result<Column> {
        Ok(Series::new(
            name.into(),
            periods.iter().map(|p| f(p)).collect::<Vec<i64>>(),
        )
        .cast(&DataType::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::UTC),
        ))
        .ctx(|| "period column".into())?
        .into())
    };
    Ok(vec![
        Column::new(
            "period_kind".into(),
            periods.iter().map(|p| p.kind.name()).collect::<Vec<_>>(),
        ),
        Column::new(
            "period".into(),
            periods.iter().map(|p| p.label.clone()).collect::<Vec<_>>(),
        ),
        ts(&|p| p.start.timestamp_micros(), "period_start")?,
        ts(&|p| p.end.timestamp_micros(), "period_end")?,
    ])
}

/// The rows as the `incident_metrics` table.
pub fn to_frame(rows: &[IncidentRow]) -> Result<DataFrame> {
    let periods: Vec<&Period> = rows.iter().map(|r| &r.period).collect();
    let mut cols = period_columns(&periods)?;
    cols.extend([
        column("service", rows, |r| r.service.clone()),
        column("severity", rows, |r| r.severity.clone()),
        column("incidents", rows, |r| r.incidents),
        column("resolved", rows, |r| r.resolved),
        column("open", rows, |r| r.open),
        column("oldest_open_age_hours", rows, |r| r.oldest_open_age_hours),
        column("mttr_mean_min", rows, |r| r.mttr_mean_min),
        column("mttr_median_min", rows, |r| r.mttr_median_min),
        column("mttr_p90_min", rows, |r| r.mttr_p90_min),
        column("mttr_max_min", rows, |r| r.mttr_max_min),
        column("mttr_n", rows, |r| r.mttr_n),
        column("mtta_median_min", rows, |r| r.mtta_median_min),
        column("mttd_median_min", rows, |r| r.mttd_median_min),
    ]);
    DataFrame::new_infer_height(cols).ctx(|| "building incident_metrics".into())
}

#[cfg(test)]
#[path = "incidents_tests.rs"]
mod tests;
