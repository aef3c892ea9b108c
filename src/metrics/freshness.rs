//! `dataset_freshness`: how current each dataset is at `as_of`, dbt-source-freshness style.
//!
//! **Definition.** `newest_event_at` is the newest event time at or before `as_of` (the
//! dataset's partition column: `ts` for ccu and slo, the start of the `date` for activity,
//! `ChargePeriodStart` for cost, `opened_at`, `finished_at`, `effective_from`, `starts_at` for
//! the others); `newest_ingest_at` is the newest time an export of it was loaded. `lag_hours`:
//! - for the **dense** datasets (ccu, slo, activity, cost), which should have rows for every
//!   hour or day: `as_of − newest_event_at`;
//! - for the **sparse** ones (incidents, deployments, capacity, events), where a quiet week is
//!   normal and rows may lie in the future: `as_of − newest_ingest_at`, never below 0.
//!
//! `status` is `missing` when no row has an event time at or before `as_of` (or, for a sparse
//! dataset, nothing was ever ingested), `stale` when `lag_hours > max_staleness_hours`, else
//! `fresh`. Default limits: ccu, slo, incidents, deployments 26 h; activity 50 h; cost 120 h
//! (beyond the 72 h a cloud bill takes to complete); capacity and events 30 days. `[freshness]`
//! in the config overrides them per dataset.
//!
//! Pure: the caller reads the newest times from the lake and the manifest.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use crate::error::{PolarsContext, Result};
use crate::metrics::columns::column;
use crate::schema::Dataset;

/// `fresh`, `stale` or `missing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Fresh,
    Stale,
    Missing,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Fresh => "fresh",
            Status::Stale => "stale",
            Status::Missing => "missing",
        }
    }
}

/// Whether a dataset's lag is measured from its newest event (dense) or newest ingest.
pub fn is_dense(d: Dataset) -> bool {
    matches!(
        d,
        Dataset::Ccu | Dataset::Slo | Dataset::Activity | Dataset::Cost
    )
}

/// The default `max_staleness` in hours.
pub fn default_max_staleness_hours(d: Dataset) -> u32 {
    match d {
        Dataset::Ccu | Dataset::Slo | Dataset::Incidents | Dataset::Deployments => 26,
        Dataset::Activity => 50,
        Dataset::Cost => 120,
        Dataset::Capacity | Dataset::Events => 30 * 24,
    }
}

/// What the lake says about one dataset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// Newest event time at or before `as_of`, µs.
    pub newest_event_us: Option<i64>,
    /// Newest ingest of an export, µs.
    pub newest_ingest_us: Option<i64>,
}

/// One row of `dataset_freshness`.
#[derive(Clone, Debug, PartialEq)]
pub struct FreshnessRow {
    pub dataset: Dataset,
    pub newest_event_us: Option<i64>,
    pub newest_ingest_us: Option<i64>,
    pub lag_hours: Option<f64>,
    pub max_staleness_hours: u32,
    pub status: Status,
}

impl FreshnessRow {
    /// One sentence for the report and the actions list, e.g. "no cost data after 2026-10-02".
    pub fn problem(&self) -> Option<String> {
        let d = self.dataset;
        let day = |us: i64| {
            DateTime::from_timestamp_micros(us)
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        };
        match self.status {
            Status::Fresh => None,
            Status::Missing => Some(format!("no {d} data at or before as_of")),
            Status::Stale if is_dense(d) => Some(format!(
                "no {d} data after {}: {:.0} h old, more than the {} h allowed",
                self.newest_event_us.map(day).unwrap_or_default(),
                self.lag_hours.unwrap_or(0.0),
                self.max_staleness_hours
            )),
            Status::Stale => Some(format!(
                "no {d} export since {}: {:.0} h ago, more than the {} h allowed",
                self.newest_ingest_us.map(day).unwrap_or_default(),
                self.lag_hours.unwrap_or(0.0),
                self.max_staleness_hours
            )),
        }
    }
}

/// Judge every dataset; `limits` overrides the default hours per dataset.
pub fn freshness(
    observed: &BTreeMap<Dataset, Observed>,
    as_of: DateTime<Utc>,
    limits: &BTreeMap<Dataset, u32>,
) -> Vec<FreshnessRow> {
    let as_of_us = as_of.timestamp_micros();
    let hours = |us: i64| (as_of_us - us) as f64 / 3_600_000_000.0;
    Dataset::ALL
        .iter()
        .map(|&d| {
            let o = observed.get(&d).cloned().unwrap_or_default();
            let max = limits
                .get(&d)
                .copied()
                .unwrap_or_else(|| default_max_staleness_hours(d));
            let lag = if is_dense(d) {
                o.newest_event_us.map(hours)
            } else {
                o.newest_ingest_us.map(|us| hours(us).max(0.0))
            };
            let status = match lag {
                _ if o.newest_event_us.is_none() => Status::Missing,
                None => Status::Missing,
                Some(l) if l > f64::from(max) => Status::Stale,
                Some(_) => Status::Fresh,
            };
            FreshnessRow {
                dataset: d,
                newest_event_us: o.newest_event_us,
                newest_ingest_us: o.newest_ingest_us,
                lag_hours: lag,
                max_staleness_hours: max,
                status,
            }
        })
        .collect()
}

fn instant_column(
    name: &str,
    rows: &[FreshnessRow],
    get: fn(&FreshnessRow) -> Option<i64>,
) -> Result<Column> {
    column(name, rows, get)
        .cast(&DataType::Datetime(
            TimeUnit::Microseconds,
            Some(polars::prelude::TimeZone::UTC),
        ))
        .ctx(|| format!("dataset_freshness.{name}"))
}

/// The `dataset_freshness` table, one row per dataset in the schema's order.
pub fn to_frame(rows: &[FreshnessRow]) -> Result<DataFrame> {
    let cols = vec![
        column("dataset", rows, |r| r.dataset.name().to_string()),
        instant_column("newest_event_at", rows, |r| r.newest_event_us)?,
        instant_column("newest_ingest_at", rows, |r| r.newest_ingest_us)?,
        column("lag_hours", rows, |r| {
            r.lag_hours.map(|h| (h * 100.0).round() / 100.0)
        }),
        column("max_staleness_hours", rows, |r| r.max_staleness_hours),
        column("status", rows, |r| r.status.name().to_string()),
    ];
    DataFrame::new(rows.len(), cols).ctx(|| "dataset_freshness".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const H: i64 = 3_600_000_000;

    #[test]
    fn dense_lags_from_events_sparse_from_ingest() {
        let as_of = Utc.with_ymd_and_hms(2026, 10, 10, 0, 0, 0).unwrap();
        let t = as_of.timestamp_micros();
        let mut obs = BTreeMap::new();
        // ccu: newest sample 30 h ago, limit 26 h: stale
        obs.insert(
            Dataset::Ccu,
            Observed {
                newest_event_us: Some(t - 30 * H),
                newest_ingest_us: Some(t - H),
            },
        );
        // slo: 2 h ago: fresh
        obs.insert(
            Dataset::Slo,
            Observed {
                newest_event_us: Some(t - 2 * H),
                newest_ingest_us: Some(t),
            },
        );
        // incidents: the newest incident opened 10 days ago, but an export came 3 h ago: fresh
        obs.insert(
            Dataset::Incidents,
            Observed {
                newest_event_us: Some(t - 240 * H),
                newest_ingest_us: Some(t - 3 * H),
            },
        );
        // events: ingested "after" as_of (a re-run of the past): lag 0, fresh
        obs.insert(
            Dataset::Events,
            Observed {
                newest_event_us: Some(t - H),
                newest_ingest_us: Some(t + 5 * H),
            },
        );
        // cost: no row at or before as_of: missing
        obs.insert(
            Dataset::Cost,
            Observed {
                newest_event_us: None,
                newest_ingest_us: Some(t),
            },
        );
        let mut limits = BTreeMap::new();
        limits.insert(Dataset::Slo, 1);
        let rows = freshness(&obs, as_of, &limits);
        let by: BTreeMap<Dataset, &FreshnessRow> = rows.iter().map(|r| (r.dataset, r)).collect();
        assert_eq!(by[&Dataset::Ccu].status, Status::Stale);
        assert_eq!(by[&Dataset::Ccu].lag_hours, Some(30.0));
        // the limit of 1 h from the config makes slo's 2 h stale
        assert_eq!(by[&Dataset::Slo].status, Status::Stale);
        assert_eq!(by[&Dataset::Slo].max_staleness_hours, 1);
        assert_eq!(by[&Dataset::Incidents].status, Status::Fresh);
        assert_eq!(by[&Dataset::Incidents].lag_hours, Some(3.0));
        assert_eq!(by[&Dataset::Events].lag_hours, Some(0.0));
        assert_eq!(by[&Dataset::Cost].status, Status::Missing);
        assert_eq!(by[&Dataset::Activity].status, Status::Missing);
        assert_eq!(by[&Dataset::Activity].max_staleness_hours, 50);
        assert_eq!(rows.len(), Dataset::ALL.len());
        assert!(
            by[&Dataset::Ccu]
                .problem()
                .unwrap()
                .starts_with("no ccu data after 2026-10-08 18:00 UTC")
        );
        let df = to_frame(&rows).unwrap();
        assert_eq!(df.height(), Dataset::ALL.len());
    }
}
