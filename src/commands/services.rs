//! The services stage: the catalogue (config `[services]` + OpenSLO documents) completed with
//! the services the data names, `service_catalog`, and the report's Services blocks with each
//! SLO's budget left, the service's recent incidents and its gate history.
//!
//! The figures are `catalog` and `metrics::slo_budget` (pure); this file reads and wires.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use crate::catalog::Catalog;
use crate::commands::Ctx;
use crate::commands::metrics::{MetricsOut, write_table};
use crate::error::{PolarsContext, Result};
use crate::lake::Lake;
use crate::lake::derived::DecisionRecord;
use crate::metrics::incidents::Incident;
use crate::metrics::slo_budget::SliRow;
use crate::schema::Dataset;

/// The catalogue with every service the slo, incidents and deployments data name; those the
/// config does not describe get the default SLO (99.9 % over 28 days, source `default`).
fn with_data_services(ctx: &Ctx, lake: &Lake, catalog: &Catalog) -> Result<Catalog> {
    let mut settings = ctx.settings.clone();
    let mut added = false;
    for d in [Dataset::Slo, Dataset::Incidents, Dataset::Deployments] {
        if lake.files(d)?.is_empty() {
            continue;
        }
        let df = lake
            .scan(d)?
            .select([col("service")])
            .unique(None, UniqueKeepStrategy::Any)
            .collect()
            .ctx(|| format!("the services of {d}"))?;
        for s in crate::metrics::columns::texts(&df, "service")?
            .into_iter()
            .flatten()
        {
            if !catalog.services.contains_key(&s) {
                settings.services.entry(s).or_default();
                added = true;
            }
        }
    }
    if added {
        Catalog::from_settings(&settings)
    } else {
        Ok(catalog.clone())
    }
}

/// The SLO rows of every service inside the longest SLO window before `as_of`.
fn sli_rows(
    lake: &Lake,
    catalog: &Catalog,
    as_of: DateTime<Utc>,
) -> Result<BTreeMap<String, Vec<SliRow>>> {
    let mut out: BTreeMap<String, Vec<SliRow>> = BTreeMap::new();
    if lake.files(Dataset::Slo)?.is_empty() {
        return Ok(out);
    }
    let since = catalog
        .slos
        .iter()
        .filter_map(|s| s.window.bounds(as_of).map(|b| b.0))
        .min()
        .unwrap_or(as_of);
    let ts = || col("ts").dt().timestamp(TimeUnit::Microseconds);
    let df = lake
        .scan(Dataset::Slo)?
        .filter(
            ts().gt_eq(lit(since.timestamp_micros()))
                .and(ts().lt(lit(as_of.timestamp_micros()))),
        )
        .select([
            col("service"),
            ts().alias("t"),
            col("requests").cast(DataType::Int64),
            col("errors").cast(DataType::Int64),
            col("latency_p99_ms").cast(DataType::Float64),
        ])
        .collect()
        .ctx(|| "reading the SLO rows of the catalogue's windows".into())?;
    let services = crate::metrics::columns::texts(&df, "service")?;
    let p99 = crate::metrics::columns::reals(&df, "latency_p99_ms")?;
    let int = |c: &str| -> Result<Int64Chunked> {
        Ok(df
            .column(c)
            .ctx(|| c.to_string())?
            .i64()
            .ctx(|| c.to_string())?
            .clone())
    };
    let (t, req, err) = (int("t")?, int("requests")?, int("errors")?);
    for i in 0..df.height() {
        let (Some(s), Some(t), Some(r), Some(e)) = (&services[i], t.get(i), req.get(i), err.get(i))
        else {
            continue;
        };
        let Some(ts) = DateTime::from_timestamp_micros(t) else {
            continue;
        };
        out.entry(s.clone()).or_default().push(SliRow {
            ts,
            requests: r,
            errors: e,
            latency_p99_ms: p99[i],
        });
    }
    Ok(out)
}

/// `service_catalog` and the Services blocks.
pub fn services_stage(
    ctx: &Ctx,
    lake: &Lake,
    catalog: &Catalog,
    incidents: Option<&[Incident]>,
    decisions: &[DecisionRecord],
    out_dir: &Path,
    out: &mut MetricsOut,
) -> Result<()> {
    let catalog = with_data_services(ctx, lake, catalog)?;
    write_table(
        out_dir,
        "service_catalog",
        &mut crate::catalog::to_frame(&catalog)?,
        &mut out.written,
    )?;
    let as_of = ctx.as_of();
    let budgets = catalog.budgets(&sli_rows(lake, &catalog, as_of)?, as_of);
    let mut blocks = crate::report::services_section::service_blocks(&catalog, &budgets);
    let fmt = |us: i64| {
        DateTime::from_timestamp_micros(us)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    for b in &mut blocks {
        let mut mine: Vec<&Incident> = incidents
            .unwrap_or(&[])
            .iter()
            .filter(|i| i.service == b.service && i.opened_us <= as_of.timestamp_micros())
            .collect();
        mine.sort_by_key(|i| std::cmp::Reverse(i.opened_us));
        b.recent_incidents = mine
            .iter()
            .take(5)
            .map(|i| {
                format!(
                    "{} {} opened {}{}",
                    i.id,
                    i.severity,
                    fmt(i.opened_us),
                    match i.resolved_us.filter(|r| *r <= as_of.timestamp_micros()) {
                        Some(r) => format!(", resolved {}", fmt(r)),
                        None => ", open".into(),
                    }
                )
            })
            .collect();
        let gated: Vec<&DecisionRecord> = decisions
            .iter()
            .filter(|d| d.service == b.service)
            .collect();
        if !gated.is_empty() {
            let n = |v: &str| gated.iter().filter(|d| d.verdict == v).count();
            b.gate = format!(
                "{} decision(s): {} passed, {} warned, {} failed, {} overridden",
                gated.len(),
                n("pass"),
                n("warn"),
                n("fail"),
                n("overridden")
            );
        }
    }
    out.services = blocks;
    Ok(())
}
