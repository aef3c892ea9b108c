//! `opsbench metrics`, and the metric stage `run`, `demo` and `report` share: every metric
//! table under `OUT/tables/` (CSV and Parquet), and the report sections made from them.
//!
//! A table whose input dataset has no export in the lake is not written (never a table of
//! zeros for missing data); its report section says so in plain words instead.

use std::path::Path;

use crate::cli::{OutputFormat, ReportArgs};
use crate::commands::report::{Written, print_written, write_out_manifest};
use crate::commands::{Ctx, causes, freshness, print_json};
use crate::error::{PolarsContext, Result};
use crate::lake::Lake;
use crate::metrics::quality;
use crate::report::out_manifest::{self, WrittenFile};
use crate::report::table_csv;
use crate::report::view::{ActionItem, Headline, Section};
use crate::schema::Dataset;

/// Write a table as CSV and Parquet under `OUT/tables/`, recording both.
pub fn write_table(
    out_dir: &Path,
    name: &str,
    df: &mut polars::prelude::DataFrame,
    written: &mut Vec<WrittenFile>,
) -> Result<()> {
    let tables = out_dir.join("tables");
    fs_err::create_dir_all(&tables)?;
    let csv = tables.join(format!("{name}.csv"));
    table_csv::write_csv(df, &csv)?;
    written.push(out_manifest::describe(
        out_dir,
        &csv,
        Some(df.height() as u64),
    )?);
    let pq = tables.join(format!("{name}.parquet"));
    table_csv::write_parquet(df, &pq)?;
    written.push(out_manifest::describe(
        out_dir,
        &pq,
        Some(df.height() as u64),
    )?);
    Ok(())
}

/// What the metric stage produced.
#[derive(Default)]
pub struct MetricsOut {
    pub written: Vec<WrittenFile>,
    pub sections: Vec<Section>,
    /// Headline figures for the top of the report.
    pub headline: Vec<Headline>,
    /// Things a person must act on, data problems first: the `actions` table.
    pub actions: Vec<ActionItem>,
    /// A dataset is stale or missing (what `--require-fresh` turns into exit code 1).
    pub data_problems: bool,
    /// The report's Services blocks.
    pub services: Vec<crate::report::view::ServiceBlock>,
}

impl MetricsOut {
    /// Append what another stage produced.
    fn absorb(&mut self, other: MetricsOut) {
        self.written.extend(other.written);
        self.sections.extend(other.sections);
        self.headline.extend(other.headline);
        self.actions.extend(other.actions);
        self.data_problems |= other.data_problems;
        self.services.extend(other.services);
    }
}

/// Which stages an output command runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stages {
    /// The metric tables (`opsbench metrics`).
    pub metrics: bool,
    /// The forecast and capacity plan (`opsbench forecast`).
    pub forecast: bool,
}

impl Stages {
    pub const ALL: Stages = Stages {
        metrics: true,
        forecast: true,
    };
}

/// Compute and write the stages' tables; return the files, the report sections and the
/// headline figures. `dataset_freshness` is always written; `data_quality` with the metrics;
/// `actions` only when every stage ran (so it is never a partial list).
pub fn write_metrics(ctx: &Ctx, lake: &Lake, out_dir: &Path, stages: Stages) -> Result<MetricsOut> {
    let started = std::time::Instant::now();
    let lap = |step: &str| {
        tracing::debug!(
            step,
            seconds = started.elapsed().as_secs_f64(),
            "metric step done"
        )
    };
    let manifest = lake.manifest()?;
    let mut out = MetricsOut::default();
    let fresh = freshness::judge(lake, &manifest, ctx.as_of(), &ctx.settings.freshness)?;
    let mut table = crate::metrics::freshness::to_frame(&fresh)?;
    write_table(out_dir, "dataset_freshness", &mut table, &mut out.written)?;
    out.data_problems = freshness::any_problem(&fresh);
    out.actions.extend(freshness::actions(&fresh));
    out.actions
        .extend(crate::commands::report::quarantine_actions(&manifest));
    lap("freshness");
    let catalog = crate::catalog::Catalog::from_settings(&ctx.settings)?;
    // the CCU summed over shards per sample, which impact, cost and forecast all read
    let ccu = lake.ccu_samples(ctx.as_of())?.map(|(samples, _)| samples);
    lap("ccu samples");
    // The forecast (models in plain Rust on the global rayon pool) runs on its own thread
    // beside the metric stages (polars, on its own pool, driven from this thread, which is no
    // rayon worker, so polars' work never queues behind the forecast's): neither reads what
    // the other writes. Its outputs are appended after theirs, the order a sequential run gives.
    let metrics = || -> Result<MetricsOut> {
        let mut m = MetricsOut::default();
        if stages.metrics {
            let decisions = crate::lake::derived::read_decisions(lake.root())?;
            let shared = Shared {
                catalog: &catalog,
                manifest: &manifest,
                ccu: ccu.as_ref(),
                decisions: &decisions,
            };
            metric_stages(ctx, lake, &shared, out_dir, &mut m)?;
            m.sections
                .extend(crate::report::gate_section::gate_section(&decisions));
        }
        Ok(m)
    };
    let forecast = || -> Result<MetricsOut> {
        let mut f = MetricsOut::default();
        if stages.forecast {
            crate::commands::forecast::forecast_stage(ctx, lake, ccu.as_ref(), out_dir, &mut f)?;
        }
        Ok(f)
    };
    let (m, f) = std::thread::scope(|scope| {
        let f = scope.spawn(forecast);
        let m = metrics();
        let f = f.join().unwrap_or_else(|_| {
            Err(crate::error::Error::Usage(
                "internal: the forecast thread panicked".into(),
            ))
        });
        (m, f)
    });
    out.absorb(m?);
    out.absorb(f?);
    freshness::annotate(&mut out.sections, &fresh);
    out.sections.sort_by_key(|s| section_rank(&s.id));
    crate::report::actions::order(&mut out.actions);
    if stages == Stages::ALL {
        let mut table = crate::report::actions::to_frame(&out.actions)?;
        write_table(out_dir, "actions", &mut table, &mut out.written)?;
    }
    Ok(out)
}

/// The report's order of sections: the planner's question first, then reliability, delivery,
/// service levels, cost, the services and the gate.
fn section_rank(id: &str) -> u8 {
    match id {
        "capacity" => 0,
        "reliability" => 1,
        "impact" => 2,
        "causes" => 3,
        "delivery" => 4,
        "slo" => 5,
        "cost" => 6,
        "services" => 7,
        "gate" => 8,
        _ => 9,
    }
}

/// The metric tables: incidents, reliability, impact, changes, causes, SLOs, data quality.
/// What the metric stages share, read once.
struct Shared<'a> {
    catalog: &'a crate::catalog::Catalog,
    manifest: &'a crate::lake::Manifest,
    ccu: Option<&'a crate::metrics::samples::CcuSamples>,
    /// The gate's kept decisions.
    decisions: &'a [crate::lake::derived::DecisionRecord],
}

fn metric_stages(
    ctx: &Ctx,
    lake: &Lake,
    shared: &Shared<'_>,
    out_dir: &Path,
    out: &mut MetricsOut,
) -> Result<()> {
    let (catalog, manifest) = (shared.catalog, shared.manifest);
    let (incidents, notes) = if lake.files(Dataset::Incidents)?.is_empty() {
        (None, Default::default())
    } else {
        let frame = lake
            .scan(Dataset::Incidents)?
            .collect()
            .ctx(|| "reading incidents from the lake".into())?;
        (
            Some(crate::metrics::incidents::from_frame(&frame)?),
            crate::metrics::causes::notes_from_frame(&frame)?,
        )
    };
    let clock = std::time::Instant::now();
    let lap = |stage: &str| {
        tracing::debug!(
            stage,
            seconds = clock.elapsed().as_secs_f64(),
            "metric stage done"
        );
    };
    // The SLO stage reads and writes nothing the others do: it runs on its own thread (it
    // drives polars from there, no rayon worker), and its outputs are put where a sequential
    // run puts them, after the causes and before cost.
    let slo = || -> Result<MetricsOut> {
        let mut m = MetricsOut::default();
        crate::commands::slo::slo_stage(ctx, lake, catalog, out_dir, &mut m)?;
        lap("slo");
        Ok(m)
    };
    let (slo_out, rest, flags) = std::thread::scope(|scope| -> Result<_> {
        let slo = scope.spawn(slo);
        let impact = incident_stage(ctx, lake, incidents.as_deref(), shared.ccu, out_dir, out)?;
        lap("incidents, reliability, impact");
        let links = change_stage(ctx, lake, incidents.as_deref(), out_dir, out)?;
        lap("changes");
        let mut flags = Vec::new();
        if let Some(all) = incidents.as_deref() {
            let input = causes::CausesInput {
                incidents: all,
                notes: &notes,
                links: &links,
                impact: impact.as_ref(),
            };
            flags.extend(causes::causes_stage(ctx, &input, out_dir, out)?);
        }
        lap("causes");
        let mut rest = MetricsOut::default();
        crate::commands::cost::cost_stage(ctx, lake, shared.ccu, out_dir, &mut rest)?;
        lap("cost");
        crate::commands::services::services_stage(
            ctx,
            lake,
            catalog,
            incidents.as_deref(),
            shared.decisions,
            out_dir,
            &mut rest,
        )?;
        lap("services");
        let slo = slo.join().unwrap_or_else(|_| {
            Err(crate::error::Error::Usage(
                "internal: the SLO stage's thread panicked".into(),
            ))
        })?;
        Ok((slo, rest, flags))
    })?;
    out.absorb(slo_out);
    out.absorb(rest);
    let mut dq = quality::data_quality_with(manifest, &flags)?;
    write_table(out_dir, "data_quality", &mut dq, &mut out.written)?;
    Ok(())
}

/// The change-metric knobs of the settings.
pub fn change_knobs(s: &crate::config::Settings) -> crate::metrics::changes::ChangeKnobs {
    crate::metrics::changes::ChangeKnobs {
        environment: s.knobs.environment.clone(),
        cfr_counts_failed_status: s.knobs.cfr_counts_failed_status,
        link_inference: s.knobs.link_inference,
        max_link_lag_min: s.knobs.max_link_lag_min,
        median: s.knobs.median,
        devlake: s.knobs.devlake,
    }
}

/// `incident_links` and `change_metrics`, their section and headline figures.
fn change_stage(
    ctx: &Ctx,
    lake: &Lake,
    incidents: Option<&[crate::metrics::incidents::Incident]>,
    out_dir: &Path,
    out: &mut MetricsOut,
) -> Result<Vec<crate::metrics::changes::Link>> {
    use crate::metrics::{changes, periods};
    if lake.files(Dataset::Deployments)?.is_empty() {
        out.sections
            .push(crate::report::change_section::changes_missing());
        return Ok(Vec::new());
    }
    let s = &ctx.settings;
    let as_of = ctx.as_of();
    let (from, to) = s.window(as_of);
    let frame = lake
        .scan(Dataset::Deployments)?
        .collect()
        .ctx(|| "reading deployments from the lake".into())?;
    let deployments = changes::deployments_from_frame(&frame)?;
    let knobs = change_knobs(s);
    let incidents = incidents.unwrap_or(&[]);
    let links = changes::link_incidents(incidents, &deployments, as_of, &knobs);
    write_table(
        out_dir,
        "incident_links",
        &mut changes::links_to_frame(&links)?,
        &mut out.written,
    )?;
    let ps = periods::periods(from, to, as_of, s.report_tz, s.knobs.week_start, false);
    let rows = changes::change_metrics(&deployments, incidents, &links, &ps, as_of, &knobs)?;
    write_table(
        out_dir,
        "change_metrics",
        &mut changes::to_frame(&rows)?,
        &mut out.written,
    )?;
    let first = deployments.iter().map(|d| d.finished_us).min();
    let prev = previous_window(ctx, first);
    let prev_links = changes::link_incidents(incidents, &deployments, from, &knobs);
    let prev_rows =
        changes::change_metrics(&deployments, incidents, &prev_links, &prev, from, &knobs)?;
    out.headline
        .extend(crate::report::change_section::change_headline(
            &rows, &prev_rows,
        ));
    out.sections
        .push(crate::report::change_section::change_section(
            &rows,
            &links,
            incidents.is_empty(),
            &knobs,
        )?);
    Ok(links)
}

/// The previous window of the same length as the report's, for trends; empty when the data
/// does not reach back to its start (a trend against no data would compare with zeros).
fn previous_window(ctx: &Ctx, first_event_us: Option<i64>) -> Vec<crate::metrics::periods::Period> {
    use crate::metrics::periods;
    let s = &ctx.settings;
    let as_of = ctx.as_of();
    let (from, to) = s.window(as_of);
    let start = from - (to.min(as_of) - from);
    if first_event_us.is_none_or(|f| f > start.timestamp_micros()) {
        return Vec::new();
    }
    periods::periods(start, from, from, s.report_tz, s.knobs.week_start, false)
        .into_iter()
        .filter(|p| p.kind == periods::PeriodKind::Window)
        .collect()
}

/// `incident_metrics` and `reliability`, their section and headline figures.
fn incident_stage(
    ctx: &Ctx,
    lake: &Lake,
    all: Option<&[crate::metrics::incidents::Incident]>,
    ccu: Option<&crate::metrics::samples::CcuSamples>,
    out_dir: &Path,
    out: &mut MetricsOut,
) -> Result<Option<polars::prelude::DataFrame>> {
    use crate::metrics::{incidents, periods, reliability};
    let Some(all) = all else {
        out.sections
            .push(crate::report::sections::reliability_missing());
        return Ok(None);
    };
    let s = &ctx.settings;
    let as_of = ctx.as_of();
    let (from, to) = s.window(as_of);
    let ps = periods::periods(from, to, as_of, s.report_tz, s.knobs.week_start, false);
    let knobs = incidents::IncidentKnobs {
        median: s.knobs.median,
        environment: s.knobs.environment.clone(),
        period_by: s.knobs.incident_period_by,
    };
    let im = incidents::incident_metrics(all, &ps, as_of, &knobs)?;
    let mut im_frame = incidents::to_frame(&im)?;
    // player impact, from the CCU samples
    let iknobs = crate::metrics::impact::ImpactKnobs {
        environment: s.knobs.environment.clone(),
        impact_share: s.knobs.impact_share,
        ..Default::default()
    };
    let mut impact: Option<polars::prelude::DataFrame> = None;
    if let Some(samples) = ccu {
        let steps = crate::metrics::impact::CcuSteps::from_samples(samples, as_of, &iknobs);
        let mut table = steps.incident_impact(all, as_of, &iknobs)?;
        write_table(out_dir, "incident_impact", &mut table, &mut out.written)?;
        let by_period = steps.player_minutes_by_period(all, &ps, as_of, &iknobs)?;
        im_frame = join_minutes(im_frame, by_period)?;
        impact = Some(table);
    } else {
        im_frame = with_null_minutes(im_frame)?;
    }
    write_table(out_dir, "incident_metrics", &mut im_frame, &mut out.written)?;
    let rknobs = reliability::ReliabilityKnobs {
        outage_severities: s.knobs.outage_severities.clone(),
        environment: s.knobs.environment.clone(),
        maintenance: maintenance_windows(lake)?,
        maintenance_is_downtime: s.knobs.maintenance_is_downtime,
    };
    let rel = reliability::reliability(all, &ps, as_of, &rknobs);
    write_table(
        out_dir,
        "reliability",
        &mut reliability::to_frame(&rel)?,
        &mut out.written,
    )?;
    let prev_window = previous_window(ctx, all.iter().map(|i| i.opened_us).min());
    let prev_im = incidents::incident_metrics(all, &prev_window, from, &knobs)?;
    let prev_rel = reliability::reliability(all, &prev_window, from, &rknobs);
    out.headline
        .extend(crate::report::sections::reliability_headline(
            &im, &rel, &prev_im, &prev_rel,
        ));
    let sevs: Vec<String> = s
        .knobs
        .outage_severities
        .iter()
        .map(|l| format!("SEV{l}"))
        .collect();
    out.sections
        .push(crate::report::sections::reliability_section(
            &im,
            &rel,
            s.knobs.median.name(),
            &sevs.join("/"),
        )?);
    out.sections.push(match &impact {
        Some(table) => crate::report::sections::impact_section(table, s.knobs.impact_share)?,
        None => crate::report::sections::impact_missing(),
    });
    Ok(impact)
}

/// Planned maintenance windows for the whole game (`events` of kind `maintenance` with no
/// region), as `[start, end)` in µs.
fn maintenance_windows(lake: &Lake) -> Result<Vec<(i64, i64)>> {
    use polars::prelude::*;
    if lake.files(Dataset::Events)?.is_empty() {
        return Ok(Vec::new());
    }
    let df = lake
        .scan(Dataset::Events)?
        .filter(
            col("kind")
                .eq(lit("maintenance"))
                .and(col("region").is_null()),
        )
        .select([
            col("starts_at").cast(DataType::Int64),
            col("ends_at").cast(DataType::Int64),
        ])
        .collect()
        .ctx(|| "reading maintenance windows from events".into())?;
    let starts = df
        .column("starts_at")
        .ctx(|| "starts_at".into())?
        .i64()
        .ctx(|| "starts_at".into())?
        .clone();
    let ends = df
        .column("ends_at")
        .ctx(|| "ends_at".into())?
        .i64()
        .ctx(|| "ends_at".into())?
        .clone();
    Ok(starts
        .iter()
        .zip(ends.iter())
        .filter_map(|(s, e)| Some((s?, e?)))
        .collect())
}

/// `incident_metrics` with the `player_minutes_lost` of `player_minutes_by_period` joined on
/// (period, service, severity); groups with no row there read as null.
fn join_minutes(
    im: polars::prelude::DataFrame,
    by_period: polars::prelude::DataFrame,
) -> Result<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let keys = [
        col("period_kind"),
        col("period"),
        col("service"),
        col("severity"),
    ];
    let right = by_period.lazy().select([
        col("period_kind"),
        col("period"),
        col("service"),
        col("severity"),
        col("player_minutes_lost"),
    ]);
    im.lazy()
        .join(
            right,
            keys.clone(),
            keys,
            JoinArgs {
                maintain_order: MaintainOrderJoin::Left,
                ..JoinArgs::new(JoinType::Left)
            },
        )
        .collect()
        .ctx(|| "joining player-minutes lost into incident_metrics".into())
}

/// `incident_metrics` with an empty `player_minutes_lost` (no CCU export: unknown, not zero).
fn with_null_minutes(im: polars::prelude::DataFrame) -> Result<polars::prelude::DataFrame> {
    use polars::prelude::*;
    im.lazy()
        .with_column(
            lit(NULL)
                .cast(DataType::Float64)
                .alias("player_minutes_lost"),
        )
        .collect()
        .ctx(|| "adding player_minutes_lost".into())
}

/// `opsbench metrics`.
pub fn metrics_cmd(ctx: &Ctx, args: &ReportArgs) -> Result<u8> {
    stage_cmd(
        ctx,
        args,
        Stages {
            metrics: true,
            forecast: false,
        },
        "metrics",
    )
}

/// `opsbench forecast`.
pub fn forecast_cmd(ctx: &Ctx, args: &ReportArgs) -> Result<u8> {
    stage_cmd(
        ctx,
        args,
        Stages {
            metrics: false,
            forecast: true,
        },
        "forecast",
    )
}

fn stage_cmd(ctx: &Ctx, args: &ReportArgs, stages: Stages, name: &str) -> Result<u8> {
    let lake = Lake::new(&ctx.settings.lake_dir);
    let out_dir = &ctx.settings.out_dir;
    let started = std::time::Instant::now();
    let m = write_metrics(ctx, &lake, out_dir, stages)?;
    let manifest = write_out_manifest(ctx, out_dir, &m.written)?;
    let w = Written {
        files: m.written,
        report: None,
        manifest,
        data_problems: m.data_problems,
    };
    match args.format.resolved() {
        OutputFormat::Json => print_json(&w)?,
        OutputFormat::Text => {
            print_written(&w);
            println!("{name} in {:.1} s", started.elapsed().as_secs_f64());
        }
    }
    Ok(crate::commands::report::freshness_code(
        w.data_problems,
        args.require_fresh,
    ))
}
