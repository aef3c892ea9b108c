//! The `service_catalog` table: one row per service of the catalogue, sorted by service.
//!
//! The SLO columns show the service's primary SLO of each kind (the strictest; see the
//! catalogue's module doc): `slo_availability_target` always has a value (the default 99.9 %
//! when nothing is written), the latency columns are empty without a latency SLO, and
//! `slo_window_days` is the availability SLO's window in days (empty for a calendar window of
//! months, quarters or years; `slo_window` says it in words). `regions` and `depends_on` are
//! list columns (the CSV joins them with `;`). `slo_source` lists where the shown SLOs come
//! from: `config`, `file` or `default`, joined with `;` when the two kinds differ
//! (availability first). No I/O.

use polars::prelude::*;

use super::{Catalog, Slo};
use crate::error::{PolarsContext, Result};
use crate::metrics::columns::column;
use crate::metrics::slo_budget::Sli;

/// The column names, in order.
pub const COLUMNS: [&str; 14] = [
    "service",
    "owner",
    "tier",
    "regions",
    "slo_availability_target",
    "slo_latency_ms",
    "slo_latency_target",
    "slo_window_days",
    "slo_window",
    "runbook_url",
    "escalation",
    "depends_on",
    "depended_on_by",
    "slo_source",
];

struct Row {
    service: String,
    owner: Option<String>,
    tier: Option<String>,
    regions: Vec<String>,
    availability: Option<f64>,
    latency_ms: Option<f64>,
    latency_target: Option<f64>,
    window_days: Option<u32>,
    window: Option<String>,
    runbook_url: Option<String>,
    escalation: Option<String>,
    depends_on: Vec<String>,
    depended_on_by: Vec<String>,
    source: String,
}

/// The `service_catalog` table of `catalog`.
pub fn to_frame(catalog: &Catalog) -> Result<DataFrame> {
    let rows: Vec<Row> = catalog
        .services
        .iter()
        .map(|(name, svc)| {
            let avail = catalog.primary(name, "availability");
            let latency = catalog.primary(name, "latency");
            let mut sources: Vec<&str> = Vec::new();
            for s in [avail, latency].into_iter().flatten() {
                if !sources.contains(&s.source.kind()) {
                    sources.push(s.source.kind());
                }
            }
            Row {
                service: name.clone(),
                owner: svc.as_ref().and_then(|s| s.owner.clone()),
                tier: svc.as_ref().and_then(|s| s.tier.clone()),
                regions: svc.as_ref().map(|s| s.regions.clone()).unwrap_or_default(),
                availability: avail.map(|s| s.target),
                latency_ms: latency.and_then(threshold),
                latency_target: latency.map(|s| s.target),
                window_days: avail.and_then(|s| s.window.days()),
                window: avail.map(|s| s.window.to_string()),
                runbook_url: svc.as_ref().and_then(|s| s.runbook_url.clone()),
                escalation: svc
                    .as_ref()
                    .and_then(|s| s.escalation.as_ref().map(ToString::to_string)),
                depends_on: svc
                    .as_ref()
                    .map(|s| s.depends_on.clone())
                    .unwrap_or_default(),
                depended_on_by: catalog.depended_on_by(name),
                source: sources.join(";"),
            }
        })
        .collect();
    let list = |name: &str, get: fn(&Row) -> &Vec<String>| {
        let values: Vec<Series> = rows
            .iter()
            .map(|r| Series::new("".into(), get(r).as_slice()))
            .collect();
        Column::new(name.into(), values)
    };
    DataFrame::new_infer_height(vec![
        column(COLUMNS[0], &rows, |r| r.service.clone()),
        column(COLUMNS[1], &rows, |r| r.owner.clone()),
        column(COLUMNS[2], &rows, |r| r.tier.clone()),
        list(COLUMNS[3], |r| &r.regions),
        column(COLUMNS[4], &rows, |r| r.availability),
        column(COLUMNS[5], &rows, |r| r.latency_ms),
        column(COLUMNS[6], &rows, |r| r.latency_target),
        column(COLUMNS[7], &rows, |r| r.window_days),
        column(COLUMNS[8], &rows, |r| r.window.clone()),
        column(COLUMNS[9], &rows, |r| r.runbook_url.clone()),
        column(COLUMNS[10], &rows, |r| r.escalation.clone()),
        list(COLUMNS[11], |r| &r.depends_on),
        list(COLUMNS[12], |r| &r.depended_on_by),
        column(COLUMNS[13], &rows, |r| r.source.clone()),
    ])
    .ctx(|| "building `service_catalog`".into())
}

fn threshold(slo: &Slo) -> Option<f64> {
    match slo.sli {
        Sli::Latency { threshold_ms, .. } => Some(threshold_ms),
        Sli::Availability => None,
    }
}
