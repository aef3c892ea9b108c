//! The forecast stage (`opsbench forecast`, and part of `report`, `run` and `demo`): builds
//! each region's hourly peak series from the lake, masks incident windows, forecasts and
//! backtests every region in parallel (`forecast::forecast_all`, rayon, no polars inside),
//! makes the capacity plan, writes `capacity_forecast`, `capacity_forecast_hourly`,
//! `forecast_backtest` and `capacity_plan`, stores the plan in `LAKE/_derived/` for the gate,
//! and adds the capacity section and its actions.
//!
//! Reading the lake happens here, before the parallel part; the models are pure.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, SecondsFormat};
use polars::prelude::*;

use crate::commands::Ctx;
use crate::commands::metrics::{MetricsOut, write_table};
use crate::error::{PolarsContext, Result};
use crate::forecast::{self, CapacityRow, EventWindow, HourlySeries, PlanRow, RegionForecast};
use crate::lake::Lake;
use crate::metrics::columns::{column, reals, texts};
use crate::metrics::series::{self, HOUR_US};
use crate::schema::Dataset;

const DAY_US: i64 = 24 * HOUR_US;

/// One region's forecast, its plan and what the section shows beside it.
pub struct RegionResult {
    pub region: String,
    pub history: HourlySeries,
    pub forecast: RegionForecast,
    pub plan: PlanRow,
    pub capacity: Vec<CapacityRow>,
    pub history_lag_hours: Option<f64>,
    pub masked_incident_hours: u32,
    pub gaps: usize,
}

fn instant_us(c: &str) -> Expr {
    col(c).dt().timestamp(TimeUnit::Microseconds)
}

/// Incident windows per region (outage severities, production); `*` holds those of every
/// region and those without one. The global series is masked by all of them.
fn incident_windows(ctx: &Ctx, lake: &Lake) -> Result<BTreeMap<String, Vec<(i64, i64)>>> {
    let mut out: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    if lake.files(Dataset::Incidents)?.is_empty() {
        return Ok(out);
    }
    let frame = lake
        .scan(Dataset::Incidents)?
        .collect()
        .ctx(|| "reading incidents".into())?;
    let as_of_us = ctx.as_of().timestamp_micros();
    let s = &ctx.settings;
    for i in crate::metrics::incidents::from_frame(&frame)? {
        if i.environment != s.knobs.environment
            || !s.knobs.outage_severities.contains(&i.severity_level())
        {
            continue;
        }
        let w = crate::metrics::impact::impact_interval(&i, as_of_us);
        if w.1 <= w.0 {
            continue;
        }
        out.entry(i.region.clone().unwrap_or_else(|| "*".into()))
            .or_default()
            .push(w);
        if i.region.is_some() {
            out.entry("*".into()).or_default().push(w);
        }
    }
    Ok(out)
}

/// Event windows with their region (`None` = every region).
fn events(lake: &Lake) -> Result<Vec<(Option<String>, EventWindow)>> {
    if lake.files(Dataset::Events)?.is_empty() {
        return Ok(Vec::new());
    }
    let df = lake
        .scan(Dataset::Events)?
        .select([
            col("region"),
            instant_us("starts_at").alias("s"),
            instant_us("ends_at").alias("e"),
            col("expected_uplift").cast(DataType::Float64),
        ])
        .collect()
        .ctx(|| "reading events".into())?;
    let (region, up) = (texts(&df, "region")?, reals(&df, "expected_uplift")?);
    let s = df
        .column("s")
        .and_then(|c| c.i64().cloned())
        .ctx(|| "events".into())?;
    let e = df
        .column("e")
        .and_then(|c| c.i64().cloned())
        .ctx(|| "events".into())?;
    let mut out = Vec::new();
    for i in 0..df.height() {
        if let (Some(start_us), Some(end_us)) = (s.get(i), e.get(i)) {
            let uplift = up[i].filter(|u| u.is_finite() && *u > 0.0).unwrap_or(1.0);
            out.push((
                region[i].clone(),
                EventWindow {
                    start_us,
                    end_us,
                    uplift,
                },
            ));
        }
    }
    Ok(out)
}

/// Capacity rows per region, in `effective_from` order.
fn capacity(lake: &Lake) -> Result<BTreeMap<String, Vec<CapacityRow>>> {
    let mut out: BTreeMap<String, Vec<CapacityRow>> = BTreeMap::new();
    if lake.files(Dataset::Capacity)?.is_empty() {
        return Ok(out);
    }
    let df = lake
        .scan(Dataset::Capacity)?
        .select([
            col("region"),
            instant_us("effective_from").alias("from"),
            col("instances").cast(DataType::Float64),
            col("players_per_instance").cast(DataType::Float64),
            col("max_instances").cast(DataType::Float64),
            col("provisioning_lead_days").cast(DataType::Float64),
            col("instance_cost_per_hour").cast(DataType::Float64),
        ])
        .sort(["from"], SortMultipleOptions::default())
        .collect()
        .ctx(|| "reading capacity".into())?;
    let region = texts(&df, "region")?;
    let from = df
        .column("from")
        .and_then(|c| c.i64().cloned())
        .ctx(|| "capacity".into())?;
    let (inst, ppi, max, lead, cost) = (
        reals(&df, "instances")?,
        reals(&df, "players_per_instance")?,
        reals(&df, "max_instances")?,
        reals(&df, "provisioning_lead_days")?,
        reals(&df, "instance_cost_per_hour")?,
    );
    for i in 0..df.height() {
        let (Some(r), Some(f), Some(n), Some(k)) = (&region[i], from.get(i), inst[i], ppi[i])
        else {
            continue;
        };
        let Some(day) = DateTime::from_timestamp_micros(f) else {
            continue;
        };
        out.entry(r.clone()).or_default().push(CapacityRow {
            effective_from: day.date_naive(),
            instances: n as u64,
            players_per_instance: k,
            max_instances: max[i].map(|m| m as u64),
            provisioning_lead_days: lead[i].map(|d| d as u32),
            instance_cost_per_hour: cost[i],
        });
    }
    Ok(out)
}

/// Forecast every region (and `*`), with the plan; empty when the lake has no CCU.
pub fn forecast_regions(
    ctx: &Ctx,
    lake: &Lake,
    ccu: Option<&crate::metrics::samples::CcuSamples>,
) -> Result<Vec<RegionResult>> {
    let Some(ccu) = ccu else {
        return Ok(Vec::new());
    };
    let s = &ctx.settings;
    let cfg = &s.forecast;
    let as_of = ctx.as_of();
    // the series ends at the last UTC midnight, so lead days are calendar days
    let end = as_of.timestamp_micros().div_euclid(DAY_US) * DAY_US;
    let end_instant = DateTime::from_timestamp_micros(end).unwrap_or(as_of);
    let need_days = i64::from(cfg.max_train_days)
        + i64::from(cfg.horizon_days)
            * i64::from(cfg.backtest_windows + cfg.calibration_windows + 1);
    let since = end - need_days * DAY_US;
    let peaks = series::hourly_peaks_of(ccu, since, end_instant);
    let incidents = incident_windows(ctx, lake)?;
    let events = events(lake)?;
    let capacity = capacity(lake)?;
    let mut inputs = Vec::new();
    let mut prepared_info = BTreeMap::new();
    for (region, p) in &peaks {
        let series = HourlySeries {
            start_us: p.start_us,
            values: p.values.clone(),
        };
        let mine: Vec<EventWindow> = events
            .iter()
            .filter(|(r, _)| r.is_none() || r.as_deref() == Some(region) || region == "*")
            .map(|(_, e)| e.clone())
            .collect();
        let no_incidents = Vec::new();
        let windows = incidents.get(region).unwrap_or(&no_incidents);
        let prepared = forecast::prepare(&series, windows, &mine);
        let last_observed = p.values.iter().rposition(Option::is_some);
        let lag = last_observed.map(|i| {
            (as_of.timestamp_micros() - (p.start_us + (i as i64 + 1) * HOUR_US)) as f64
                / HOUR_US as f64
        });
        prepared_info.insert(
            region.clone(),
            (
                series,
                lag,
                prepared.masked_incident_hours,
                prepared.gaps.len(),
            ),
        );
        let future: Vec<EventWindow> = mine.into_iter().filter(|e| e.end_us > end).collect();
        inputs.push((region.clone(), prepared, future));
    }
    let results = forecast::forecast_all(inputs, cfg);
    let mut out = Vec::new();
    for (region, r) in results {
        let Some((history, lag, masked, gaps)) = prepared_info.remove(&region) else {
            continue;
        };
        let fc = match r {
            Ok(fc) => fc,
            Err(e) => {
                tracing::warn!("no forecast for region `{region}`: {e}");
                continue;
            }
        };
        let rows = capacity.get(&region).cloned().unwrap_or_default();
        let plan = forecast::capacity_plan(&region, as_of.date_naive(), &fc, &rows, &s.plan);
        out.push(RegionResult {
            region,
            history,
            forecast: fc,
            plan,
            capacity: rows,
            history_lag_hours: lag,
            masked_incident_hours: masked,
            gaps,
        });
    }
    Ok(out)
}

fn date_col(name: &str, v: Vec<Option<NaiveDate>>) -> Column {
    Column::new(name.into(), v)
}

fn ts_col(name: &str, v: Vec<i64>) -> Result<Column> {
    Column::new(name.into(), v)
        .cast(&DataType::Datetime(
            TimeUnit::Microseconds,
            Some(polars::prelude::TimeZone::UTC),
        ))
        .ctx(|| format!("column {name}"))
}

/// `capacity_forecast`: region × day of the horizon.
pub fn daily_frame(
    results: &[RegionResult],
    plan_knobs: &forecast::PlanKnobs,
) -> Result<DataFrame> {
    let mut rows: Vec<(&str, &forecast::DayPoint, forecast::PlanDay)> = Vec::new();
    for r in results {
        let days = forecast::plan_days(&r.forecast, &r.capacity, plan_knobs);
        for (d, p) in r.forecast.daily.iter().zip(days) {
            rows.push((&r.region, d, p));
        }
    }
    let cols = vec![
        column("region", &rows, |r| r.0.to_string()),
        date_col("date", rows.iter().map(|r| Some(r.1.date)).collect()),
        column("forecast_peak_ccu", &rows, |r| r.1.median),
        column("lo80", &rows, |r| r.1.lo80),
        column("hi80", &rows, |r| r.1.hi80),
        column("lo95", &rows, |r| r.1.lo95),
        column("hi95", &rows, |r| r.1.hi95),
        column("capacity_ccu", &rows, |r| r.2.capacity_ccu),
        column("required_instances", &rows, |r| r.2.required_instances),
        column("event", &rows, |r| r.1.event),
    ];
    DataFrame::new(rows.len(), cols).ctx(|| "capacity_forecast".into())
}

/// `capacity_forecast_hourly`: region × hour of the horizon.
pub fn hourly_frame(results: &[RegionResult]) -> Result<DataFrame> {
    let rows: Vec<(&str, &forecast::HourPoint)> = results
        .iter()
        .flat_map(|r| {
            r.forecast
                .hourly
                .iter()
                .map(move |h| (r.region.as_str(), h))
        })
        .collect();
    let cols = vec![
        column("region", &rows, |r| r.0.to_string()),
        ts_col("ts", rows.iter().map(|r| r.1.ts_us).collect())?,
        column("forecast_ccu", &rows, |r| r.1.median),
        column("lo80", &rows, |r| r.1.lo80),
        column("hi80", &rows, |r| r.1.hi80),
        column("lo95", &rows, |r| r.1.lo95),
        column("hi95", &rows, |r| r.1.hi95),
    ];
    DataFrame::new(rows.len(), cols).ctx(|| "capacity_forecast_hourly".into())
}

/// `forecast_backtest`: region × model × window (window 0 = the model's mean).
pub fn backtest_frame(results: &[RegionResult]) -> Result<DataFrame> {
    let rows: Vec<(&str, &forecast::BacktestRow)> = results
        .iter()
        .flat_map(|r| {
            r.forecast
                .backtest
                .iter()
                .map(move |b| (r.region.as_str(), b))
        })
        .collect();
    let cols = vec![
        column("region", &rows, |r| r.0.to_string()),
        column("model", &rows, |r| r.1.model.clone()),
        column("window", &rows, |r| r.1.window),
        ts_col("cutoff", rows.iter().map(|r| r.1.cutoff_us).collect())?,
        column("mase", &rows, |r| r.1.mase),
        column("smape", &rows, |r| r.1.smape),
        column("dpeak_mape", &rows, |r| r.1.dpeak_mape),
        column("dpeak_cov80", &rows, |r| r.1.dpeak_cov80),
        column("dpeak_cov95", &rows, |r| r.1.dpeak_cov95),
        column("dpeak_excess95", &rows, |r| r.1.dpeak_excess95),
        column("pinball95", &rows, |r| r.1.pinball95),
        column("chosen", &rows, |r| r.1.chosen),
    ];
    DataFrame::new(rows.len(), cols).ctx(|| "forecast_backtest".into())
}

/// `capacity_plan`: one row per region, sorted by order-by date (regions without one last).
pub fn plan_frame(results: &[RegionResult]) -> Result<DataFrame> {
    let mut rows: Vec<&RegionResult> = results.iter().collect();
    rows.sort_by_key(|r| {
        (
            r.region == "*",
            r.plan.order_by_date.is_none(),
            r.plan.order_by_date,
            r.region.clone(),
        )
    });
    let p = |r: &&RegionResult| r.plan.clone();
    let cols = vec![
        column("region", &rows, |r| r.region.clone()),
        column("current_capacity_ccu", &rows, |r| p(r).current_capacity_ccu),
        column("forecast_peak_ccu", &rows, |r| p(r).forecast_peak_ccu),
        column("hi95_peak_ccu", &rows, |r| p(r).hi95_peak_ccu),
        date_col(
            "exhaustion_date_hi95",
            rows.iter().map(|r| r.plan.exhaustion_date_hi95).collect(),
        ),
        date_col(
            "exhaustion_date_median",
            rows.iter().map(|r| r.plan.exhaustion_date_median).collect(),
        ),
        column("required_instances", &rows, |r| p(r).required_instances),
        column("instances_to_add", &rows, |r| p(r).instances_to_add),
        date_col(
            "order_by_date",
            rows.iter().map(|r| r.plan.order_by_date).collect(),
        ),
        column("order_cost_per_month", &rows, |r| p(r).order_cost_per_month),
        column("cannot_cover", &rows, |r| r.plan.cannot_cover),
        column("model", &rows, |r| r.plan.model.clone()),
        column("backtest_mase", &rows, |r| p(r).backtest_mase),
        column("backtest_cov95", &rows, |r| p(r).backtest_cov95),
        column("history_lag_hours", &rows, |r| {
            r.history_lag_hours.map(|h| (h * 100.0).round() / 100.0)
        }),
    ];
    DataFrame::new(rows.len(), cols).ctx(|| "capacity_plan".into())
}

/// The whole stage: tables, the stored plan, the section and the actions.
pub fn forecast_stage(
    ctx: &Ctx,
    lake: &Lake,
    ccu: Option<&crate::metrics::samples::CcuSamples>,
    out_dir: &Path,
    out: &mut MetricsOut,
) -> Result<()> {
    let started = std::time::Instant::now();
    let results = forecast_regions(ctx, lake, ccu)?;
    if results.is_empty() {
        out.sections
            .push(crate::report::capacity_section::capacity_missing(
                ccu.is_some(),
            ));
        return Ok(());
    }
    tracing::info!(
        "forecast of {} series in {:.1} s",
        results.len(),
        started.elapsed().as_secs_f64()
    );
    let knobs = &ctx.settings.plan;
    write_table(
        out_dir,
        "capacity_forecast",
        &mut daily_frame(&results, knobs)?,
        &mut out.written,
    )?;
    write_table(
        out_dir,
        "capacity_forecast_hourly",
        &mut hourly_frame(&results)?,
        &mut out.written,
    )?;
    write_table(
        out_dir,
        "forecast_backtest",
        &mut backtest_frame(&results)?,
        &mut out.written,
    )?;
    write_table(
        out_dir,
        "capacity_plan",
        &mut plan_frame(&results)?,
        &mut out.written,
    )?;
    let stored = crate::lake::derived::StoredPlan {
        made_at: ctx.now.to_rfc3339_opts(SecondsFormat::Secs, true),
        as_of: ctx.as_of().to_rfc3339_opts(SecondsFormat::Secs, true),
        regions: results
            .iter()
            .filter(|r| r.region != "*")
            .map(|r| crate::gate::RunwayFact {
                region: r.region.clone(),
                order_by_date: r.plan.order_by_date,
                exhaustion_date_hi95: r.plan.exhaustion_date_hi95,
                cannot_cover: r.plan.cannot_cover,
            })
            .collect(),
    };
    if lake.root().exists() {
        crate::lake::derived::write_plan(lake.root(), &stored)?;
    }
    let as_of = ctx.as_of();
    let (section, actions) = crate::report::capacity_section::capacity_section(
        &results,
        as_of,
        ctx.settings.forecast.horizon_days,
        knobs,
    )?;
    out.sections.push(section);
    out.actions.extend(actions);
    Ok(())
}
