//! The freshness stage shared by `metrics`, `report` and `run`: reads each dataset's newest
//! event time (at or before `as_of`) from the lake and its newest ingest from the manifest,
//! writes `dataset_freshness`, turns stale or missing datasets into actions, and puts a plain
//! notice at the top of every report section that depends on one.
//!
//! The judgement itself is `metrics::freshness` (pure); this file only reads and wires.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use crate::error::{PolarsContext, Result};
use crate::lake::{Lake, Manifest};
use crate::metrics::freshness::{self, FreshnessRow, Observed, Status};
use crate::report::view::{ActionItem, Section};
use crate::schema::Dataset;

/// Read what the lake says about each dataset's newest rows.
pub fn observe(
    lake: &Lake,
    manifest: &Manifest,
    as_of: DateTime<Utc>,
) -> Result<BTreeMap<Dataset, Observed>> {
    let mut out = BTreeMap::new();
    for d in Dataset::ALL {
        let newest_ingest_us = manifest
            .files
            .iter()
            .filter(|f| f.dataset == d.name())
            .filter_map(|f| DateTime::parse_from_rfc3339(&f.ingested_at).ok())
            .map(|t| t.timestamp_micros())
            .max();
        let newest_event_us = if lake.files(d)?.is_empty() {
            None
        } else {
            newest_event(lake, d, as_of)?
        };
        out.insert(
            d,
            Observed {
                newest_event_us,
                newest_ingest_us,
            },
        );
    }
    Ok(out)
}

/// The newest partition-column value at or before `as_of`, µs (a date reads as its midnight).
fn newest_event(lake: &Lake, d: Dataset, as_of: DateTime<Utc>) -> Result<Option<i64>> {
    let c = d.spec().partition_by;
    let as_us = col(c)
        .cast(DataType::Datetime(
            TimeUnit::Microseconds,
            Some(polars::prelude::TimeZone::UTC),
        ))
        .dt()
        .timestamp(TimeUnit::Microseconds);
    // partitions are UTC days of this very column: the newest row at or before as_of is in
    // the newest partition dated on or before as_of's day that has one, so read partitions
    // newest first and stop at the first hit (not the whole dataset)
    for (date, files) in lake.files_by_date(d)? {
        if date > as_of.date_naive() {
            continue;
        }
        let df = lake
            .scan_some(d, &files)?
            .select([as_us.clone().alias("t")])
            .filter(col("t").lt_eq(lit(as_of.timestamp_micros())))
            .select([col("t").max()])
            .collect()
            .ctx(|| format!("the newest {d} row"))?;
        let v = df
            .column("t")
            .and_then(|c| c.i64().cloned())
            .ctx(|| format!("the newest {d} row"))?
            .get(0);
        if v.is_some() {
            return Ok(v);
        }
    }
    Ok(None)
}

/// The sections (by id) that read each dataset.
fn sections_of(d: Dataset) -> &'static [&'static str] {
    match d {
        Dataset::Incidents => &["reliability", "impact", "delivery"],
        Dataset::Deployments => &["delivery"],
        Dataset::Ccu => &["impact", "capacity", "cost"],
        Dataset::Slo => &["slo"],
        Dataset::Activity | Dataset::Cost => &["cost"],
        Dataset::Capacity | Dataset::Events => &["capacity"],
    }
}

/// Judge the datasets, with the config's limits.
pub fn judge(
    lake: &Lake,
    manifest: &Manifest,
    as_of: DateTime<Utc>,
    limits: &BTreeMap<Dataset, u32>,
) -> Result<Vec<FreshnessRow>> {
    let observed = observe(lake, manifest, as_of)?;
    Ok(freshness::freshness(&observed, as_of, limits))
}

/// True when a dataset is stale or missing (what `--require-fresh` fails on).
pub fn any_problem(rows: &[FreshnessRow]) -> bool {
    rows.iter().any(|r| r.status != Status::Fresh)
}

/// One action per stale or missing dataset, errors first in the list's order.
pub fn actions(rows: &[FreshnessRow]) -> Vec<ActionItem> {
    rows.iter()
        .filter_map(|r| {
            r.problem().map(|message| ActionItem {
                severity: "error".into(),
                kind: if r.status == Status::Missing {
                    "missing_data"
                } else {
                    "stale_data"
                }
                .into(),
                subject: r.dataset.name().to_string(),
                message,
                ..Default::default()
            })
        })
        .collect()
}

/// Put a notice at the top of each section that reads a stale or missing dataset.
pub fn annotate(sections: &mut [Section], rows: &[FreshnessRow]) {
    for r in rows {
        let Some(problem) = r.problem() else { continue };
        for s in sections.iter_mut() {
            if sections_of(r.dataset).contains(&s.id.as_str()) {
                let notice = format!(
                    "Data problem: {problem}; figures that need it are shown only as far as it goes."
                );
                if !s.paragraphs.contains(&notice) {
                    s.paragraphs.insert(0, notice);
                }
            }
        }
    }
}
