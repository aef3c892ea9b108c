//! The plain counts of `change_metrics`, aggregated by `queries/deployment_counts.sql`: the
//! parent module tags each counted deployment with the periods it finished in; SQL counts.
//! No I/O beyond polars' in-memory SQL context.

use std::collections::HashMap;

use polars::prelude::*;

use super::{Counted, US_PER_HOUR, in_period, utc_date};
use crate::error::{PolarsContext, Result};
use crate::metrics::periods::Period;

/// The plain counts of one period × service, from `queries/deployment_counts.sql`.
#[derive(Clone, Debug, Default)]
pub(super) struct Counts {
    pub(super) deployments: u64,
    pub(super) failed: u64,
    pub(super) successes: u64,
    pub(super) success_days: u64,
    pub(super) lead_time_n: u64,
}

/// The SQL file that aggregates the tagged deployments.
pub const DEPLOYMENT_COUNTS_SQL: &str = include_str!("../../queries/deployment_counts.sql");

/// Tag each counted deployment with the periods it finished in and run the SQL.
pub(super) fn run_counts(
    counted: &[Counted],
    periods: &[Period],
) -> Result<HashMap<(u32, String), Counts>> {
    let (mut order, mut service, mut failed, mut success, mut date, mut lead) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (k, p) in periods.iter().enumerate() {
        for c in counted.iter().filter(|c| in_period(c.d, p)) {
            let ok = c.d.is_success();
            order.push(k as u32);
            service.push(c.d.service.clone());
            failed.push(i64::from(c.failed));
            success.push(i64::from(ok));
            date.push(ok.then(|| utc_date(c.d.finished_us).to_string()));
            lead.push(
                c.d.first_commit_us
                    .map(|f| c.d.finished_us - f)
                    .filter(|l| ok && *l >= 0)
                    .map(|l| l as f64 / US_PER_HOUR),
            );
        }
    }
    let input = DataFrame::new_infer_height(vec![
        Column::new("period_order".into(), order),
        Column::new("service".into(), service),
        Column::new("failed".into(), failed),
        Column::new("success".into(), success),
        Column::new("success_date".into(), date),
        Column::new("lead_hours".into(), lead),
    ])
    .ctx(|| "building deployment_periods".into())?;
    let out = crate::lake::sql::collect(
        "deployment_counts.sql",
        DEPLOYMENT_COUNTS_SQL,
        "deployment_periods",
        input,
    )?;
    let u = |c: &str| crate::metrics::columns::counts(&out, c);
    let txt = |c: &str| -> Result<Vec<String>> {
        Ok(crate::metrics::columns::texts(&out, c)?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect())
    };
    let services = txt("service")?;
    let (orders, deployments, failed, successes, days, leads) = (
        u("period_order")?,
        u("deployments")?,
        u("failed_deployments")?,
        u("successes")?,
        u("success_days")?,
        u("lead_time_n")?,
    );
    Ok((0..out.height())
        .map(|k| {
            (
                (orders[k] as u32, services[k].clone()),
                Counts {
                    deployments: deployments[k],
                    failed: failed[k],
                    successes: successes[k],
                    success_days: days[k],
                    lead_time_n: leads[k],
                },
            )
        })
        .collect())
}
