//! The cost stage of the metric run: reads the lake's FOCUS `cost` rows, `activity` and daily
//! CCU (from the window's start less 62 days, so trailing ratios and anomaly baselines have
//! history), builds the cost ledger and writes `cost_per_player`, `cost_trends`,
//! `cost_anomalies`, `cost_efficiency` and `cost_restated` (against the previous run's
//! `cost_per_player`, read from `OUT/tables/` before it is replaced), then the cost section and
//! its `cost_anomaly` actions.
//!
//! The figures are `metrics::cost` (pure); this file reads and wires.

use std::path::Path;

use polars::prelude::*;

use crate::commands::Ctx;
use crate::commands::metrics::{MetricsOut, write_table};
use crate::error::{PolarsContext, Result};
use crate::lake::Lake;
use crate::metrics::cost::{self, CostLedger, CostWindow, PlayerActivity};
use crate::schema::Dataset;

const HISTORY_DAYS: i64 = 62;

fn since_filter(lf: LazyFrame, column: &str, since_us: i64, as_of_us: i64) -> LazyFrame {
    let t = col(column)
        .cast(DataType::Datetime(
            TimeUnit::Microseconds,
            Some(polars::prelude::TimeZone::UTC),
        ))
        .dt()
        .timestamp(TimeUnit::Microseconds);
    lf.filter(t.clone().gt_eq(lit(since_us)).and(t.lt(lit(as_of_us))))
}

/// The previous run's day totals, if its `cost_per_player` is still in `OUT/tables/`.
fn previous(out_dir: &Path, currency: &str) -> Result<Vec<cost::DayTotal>> {
    let path = out_dir.join("tables").join("cost_per_player.parquet");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let df = ParquetReader::new(fs_err::File::open(&path)?.into_parts().0)
        .finish()
        .ctx(|| format!("reading the previous {}", path.display()))?;
    cost::previous_totals_from_frame(&df, currency)
}

/// Write the cost tables, the section and its actions.
pub fn cost_stage(
    ctx: &Ctx,
    lake: &Lake,
    ccu: Option<&crate::metrics::samples::CcuSamples>,
    out_dir: &Path,
    out: &mut MetricsOut,
) -> Result<()> {
    if lake.files(Dataset::Cost)?.is_empty() {
        out.sections
            .push(crate::report::cost_section::cost_missing());
        return Ok(());
    }
    let s = &ctx.settings;
    let as_of = ctx.as_of();
    let (from, to) = s.window(as_of);
    let since_us = (from - chrono::Duration::days(HISTORY_DAYS)).timestamp_micros();
    let as_of_us = as_of.timestamp_micros();
    let frame = since_filter(
        lake.scan(Dataset::Cost)?,
        "ChargePeriodStart",
        since_us,
        as_of_us,
    )
    .collect()
    .ctx(|| "reading cost rows".into())?;
    let rows = cost::cost_rows_from_frame(&frame)?;
    drop(frame);
    let activity = if lake.files(Dataset::Activity)?.is_empty() {
        Vec::new()
    } else {
        let df = since_filter(lake.scan(Dataset::Activity)?, "date", since_us, as_of_us)
            .collect()
            .ctx(|| "reading activity".into())?;
        cost::activity_days_from_frame(&df)?
    };
    let ccu = match ccu {
        None => Vec::new(),
        Some(samples) => {
            let df = crate::metrics::series::ccu_days_of(samples, since_us, as_of, 15)?;
            cost::ccu_days_from_frame(&df)?
        }
    };
    let players = PlayerActivity::new(&activity, &ccu);
    let ledger = CostLedger::build(&rows, &s.cost, &players)?;
    let window = CostWindow {
        from,
        to,
        as_of,
        week_start: s.knobs.week_start,
    };
    let previous = previous(out_dir, &ledger.currency)?;
    let per_player = cost::cost_per_player(&ledger, &players, &window);
    let trends = cost::cost_trends(&ledger, &players, &window);
    let anomalies = cost::cost_anomalies(&ledger, &window, &s.cost.anomaly);
    let efficiency = cost::cost_efficiency(&rows, &s.cost, &window)?;
    let restated = cost::cost_restated(&previous, &ledger);
    write_table(
        out_dir,
        "cost_per_player",
        &mut cost::cost_per_player_frame(&per_player)?,
        &mut out.written,
    )?;
    write_table(
        out_dir,
        "cost_trends",
        &mut cost::cost_trends_frame(&trends)?,
        &mut out.written,
    )?;
    write_table(
        out_dir,
        "cost_anomalies",
        &mut cost::cost_anomalies_frame(&anomalies)?,
        &mut out.written,
    )?;
    write_table(
        out_dir,
        "cost_efficiency",
        &mut cost::cost_efficiency_frame(&efficiency)?,
        &mut out.written,
    )?;
    write_table(
        out_dir,
        "cost_restated",
        &mut cost::cost_restated_frame(&restated)?,
        &mut out.written,
    )?;
    let view = crate::report::cost_section::CostView {
        per_player: &per_player,
        trends: &trends,
        anomalies: &anomalies,
        efficiency: &efficiency,
        restated: &restated,
        basis: s.cost.basis,
        as_of: as_of.date_naive(),
    };
    let (section, actions) = crate::report::cost_section::cost_section(&view)?;
    out.sections.push(section);
    out.actions.extend(actions);
    Ok(())
}
