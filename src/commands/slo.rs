//! The SLO stage of `metrics`: `slo_metrics`, its report section and its actions, and the
//! SLO knobs the gate shares. It reads the lake's SLO rows and writes only its table; it runs
//! on its own thread beside the other metric stages (see `metrics.rs`).

use std::path::Path;

use crate::commands::Ctx;
use crate::commands::metrics::{MetricsOut, write_table};
use crate::error::Result;
use crate::lake::Lake;
use crate::schema::Dataset;

/// The SLO targets of the catalogue's services (config `[services]` and OpenSLO documents).
pub fn slo_knobs(
    s: &crate::config::Settings,
    catalog: &crate::catalog::Catalog,
) -> crate::metrics::slo::SloKnobs {
    crate::metrics::slo::SloKnobs {
        interval_min: s.slo_interval_min,
        per_service: catalog.slo_targets(),
        ..Default::default()
    }
}

/// `slo_metrics`, its section and its actions (burn alerts, spent budgets).
pub fn slo_stage(
    ctx: &Ctx,
    lake: &Lake,
    catalog: &crate::catalog::Catalog,
    out_dir: &Path,
    out: &mut MetricsOut,
) -> Result<()> {
    use crate::metrics::{periods, slo};
    if lake.files(Dataset::Slo)?.is_empty() {
        out.sections.push(crate::report::slo_section::slo_missing());
        return Ok(());
    }
    let s = &ctx.settings;
    let as_of = ctx.as_of();
    let (from, to) = s.window(as_of);
    let ps = periods::periods(from, to, as_of, s.report_tz, s.knobs.week_start, true);
    let knobs = slo_knobs(s, catalog);
    let mut table = slo::slo_metrics(lake.scan(Dataset::Slo)?, &ps, as_of, &knobs)?;
    write_table(out_dir, "slo_metrics", &mut table, &mut out.written)?;
    let (section, actions) = crate::report::slo_section::slo_section(&table, &knobs)?;
    out.sections.push(section);
    out.actions.extend(actions);
    Ok(())
}
