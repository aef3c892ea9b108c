//! `slo_metrics` (period × service × region): requests, errors, availability, the SLO target,
//! error budget remaining, burn rate, latency p99 and latency attainment per report period
//! (window, month, week, day), plus one `slo_window` row per service × region: the rolling SLO
//! window ending at `as_of`, with 1 h and 6 h burn rates, the multi-window burn alerts and the
//! data lag.
//!
//! Definitions (DESIGN.md, "SLO"); every figure is a ratio of sums, never a mean of ratios:
//! - a `slo` row covers `[ts, ts + interval)` (`interval_min`, config `slo_interval`). A row
//!   counts when `ts < as_of`; rows at or after `as_of` are ignored. It counts in the periods its
//!   `ts` falls in (`[period_start, period_end)`; the periods are already clipped to `as_of`).
//! - availability = 1 − errors / requests; empty (never NaN) when requests = 0.
//! - allowed errors = requests × (1 − target); burn rate = errors / allowed errors
//!   = (errors / requests) / (1 − target); error budget remaining = 1 − errors / allowed errors
//!   = 1 − burn rate (negative when the budget is overspent). Both empty when requests = 0.
//! - a `*` region row (service × `*`) and the `*` service row (`*` × `*`) are computed from the
//!   sums of their members as if they were one series. Across services the allowed errors are
//!   summed per service, so the `*` × `*` row's burn rate is Σ errors / Σ allowed errors and its
//!   `slo_target` is the request-weighted target 1 − Σ allowed / Σ requests (the exact target
//!   when all its services share one).
//! - `latency_p99_ms` = the request-weighted mean of the rows' p99 (rows without a p99 left
//!   out). That is an approximation: a percentile of merged traffic cannot be computed from
//!   per-row percentiles, and this mean can sit above or below the true p99.
//!   `latency_slo_attainment` = the share of rows (time slices) with a p99 whose p99 ≤ the
//!   service's latency target (a `*` row counts the rows of its services that have one); empty
//!   without a latency target or without rows that have a p99.
//! - `slo_window` rows: `[as_of − window_days, as_of)` of each service's own target (a `*` × `*`
//!   row sums each service's own window; its `period_start` is the earliest). Only rows inside
//!   that window are seen by the window's figures, burn windows included. The anchor is the
//!   end of the newest row's interval (newest `ts` + interval); a burn window of length L covers
//!   `[anchor − L, anchor)` and takes every row whose interval overlaps it (so a 5-minute window
//!   over 15-minute rows holds the newest row). A burn window without requests has no burn rate,
//!   and an alert never fires on a missing burn rate. Alerts (Google SRE workbook, multiwindow,
//!   multi-burn-rate): fast = burn ≥ 14.4 over both 1 h and 5 min, or ≥ 6 over both 6 h and
//!   30 min; slow = burn ≥ 1 over both 3 days and 6 h. `data_lag_min` = as_of − anchor (negative
//!   when the newest row's interval has not ended by `as_of`).
//! - `burn_rate_1h`, `burn_rate_6h`, `fast_burn_alert`, `slow_burn_alert` and `data_lag_min`
//!   are empty on the period rows.
//!
//! Rows exist only for combinations that have data. Sorted by period kind (window, month, week,
//! day, slo_window), period start, period, service, region (`*` sorts first). Input rows are
//! expected to have errors ≤ requests (ingest quarantines the others), so availability ∈ [0, 1].
//!
//! How: the per-period sums are `queries/slo_periods.sql`, run by [`crate::lake::sql::run`]: a
//! range join (`ts >= period_start AND ts < period_end`, which polars' SQL runs as an IEJoin) of
//! the rows to the periods. Joining a million raw rows to ~110 periods that way took 2.5 s, so
//! each row first gets a `bucket` here (the period boundary at or before its `ts`, by an as-of
//! join) and the query sums rows per bucket before the range join; no period boundary falls
//! inside a bucket, so no figure changes (a test checks it against `bucket = ts`). The roll-ups,
//! the SLO window and the burn windows are polars lazy expressions; nothing loops over rows.
//! Measured: 1 M in-memory rows (8 series of one-minute rows, a 90-day window with days, 108
//! periods) in 0.5–0.8 s on a 2-core machine that was also running builds (it was 5 s before
//! the buckets; `one_million_rows_timing`, ignored by default, prints it).
//!
//! Pure: no I/O, no clock, no environment; the periods, `as_of` and the knobs are parameters.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::incidents::period_columns;
use super::periods::Period;
use crate::error::{Error, PolarsContext, Result};
use crate::lake::sql;

/// The per-period aggregation (see the file's header).
pub const SLO_PERIODS_SQL: &str = include_str!("../../queries/slo_periods.sql");

const MINUTE_US: i64 = 60_000_000;
const DAY_US: i64 = 24 * 60 * MINUTE_US;

/// A service's SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct SloTarget {
    /// The availability objective, for example 0.999; strictly between 0 and 1.
    pub availability: f64,
    /// The p99 latency threshold in ms; `None` = no latency SLO.
    pub latency_ms: Option<f64>,
    /// Length of the rolling SLO window in days.
    pub window_days: u32,
}

impl Default for SloTarget {
    /// 99.9 % over 28 days, no latency SLO.
    fn default() -> Self {
        SloTarget {
            availability: 0.999,
            latency_ms: None,
            window_days: 28,
        }
    }
}

/// The knobs `slo_metrics` reads.
#[derive(Clone, Debug, PartialEq)]
pub struct SloKnobs {
    /// The target of every service not in `per_service`.
    pub default_target: SloTarget,
    pub per_service: BTreeMap<String, SloTarget>,
    /// Minutes one `slo` row covers.
    pub interval_min: u32,
}

impl Default for SloKnobs {
    fn default() -> Self {
        SloKnobs {
            default_target: SloTarget::default(),
            per_service: BTreeMap::new(),
            interval_min: 1,
        }
    }
}

impl SloKnobs {
    /// The target that applies to `service`.
    pub fn target(&self, service: &str) -> &SloTarget {
        self.per_service
            .get(service)
            .unwrap_or(&self.default_target)
    }

    fn check(&self) -> Result<()> {
        let bad = |key: String, message: &str| Err(Error::config("slo knobs", key, message));
        if self.interval_min == 0 {
            return bad("slo_interval".into(), "must be at least 1 minute");
        }
        let named = std::iter::once(("default".to_string(), &self.default_target)).chain(
            self.per_service
                .iter()
                .map(|(name, t)| (format!("services.{name}"), t)),
        );
        for (name, t) in named {
            if !(t.availability > 0.0 && t.availability < 1.0) {
                return bad(
                    format!("{name}.availability"),
                    "must be strictly between 0 and 1 (for example `0.999`)",
                );
            }
            if t.latency_ms.is_some_and(|l| !(l.is_finite() && l > 0.0)) {
                return bad(format!("{name}.latency_ms"), "must be a positive number");
            }
            if t.window_days == 0 {
                return bad(format!("{name}.window_days"), "must be at least 1");
            }
        }
        Ok(())
    }
}

/// Burn windows of the alerts: name and length.
const BURN_WINDOWS: [(&str, i64); 5] = [
    ("5m", 5 * MINUTE_US),
    ("30m", 30 * MINUTE_US),
    ("1h", 60 * MINUTE_US),
    ("6h", 6 * 60 * MINUTE_US),
    ("3d", 3 * DAY_US),
];

/// The sums every row is computed from (besides the target bounds).
const SUMS: [&str; 7] = [
    "requests",
    "errors",
    "allowed",
    "p99_weighted_ms",
    "p99_requests",
    "p99_rows",
    "p99_rows_within",
];

const PERIOD_KEYS: [&str; 4] = ["period_kind", "period", "period_start", "period_end"];

/// The columns of `slo_metrics`, in order.
pub const COLUMNS: [&str; 19] = [
    "period_kind",
    "period",
    "period_start",
    "period_end",
    "service",
    "region",
    "requests",
    "errors",
    "availability",
    "slo_target",
    "error_budget_remaining",
    "burn_rate",
    "latency_p99_ms",
    "latency_slo_attainment",
    "burn_rate_1h",
    "burn_rate_6h",
    "fast_burn_alert",
    "slow_burn_alert",
    "data_lag_min",
];

fn utc_us() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
}

fn null(dtype: DataType) -> Expr {
    lit(NULL).cast(dtype)
}

/// The `slo_metrics` table: period rows (from `periods`, which the caller builds with days) and
/// the `slo_window` rows, for the `slo` rows (canonical columns; `latency_p99_ms` optional).
pub fn slo_metrics(
    slo: LazyFrame,
    periods: &[Period],
    as_of: DateTime<Utc>,
    knobs: &SloKnobs,
) -> Result<DataFrame> {
    knobs.check()?;
    // read once: the targets, the periods and the rolling windows all start from these rows,
    // and the plan would otherwise scan the lake for each (a third of the stage's time)
    let rows = canonical_rows(slo, as_of)?
        .collect()
        .ctx(|| "reading the slo rows".into())?
        .lazy();
    let targets = targets(&rows, knobs)?;
    let by_period = period_rows(rows.clone(), targets.clone(), periods)?;
    let window = window_rows(rows, targets, as_of, knobs)?;
    let rank = when(col("period_kind").eq(lit("window")))
        .then(lit(0))
        .when(col("period_kind").eq(lit("month")))
        .then(lit(1))
        .when(col("period_kind").eq(lit("week")))
        .then(lit(2))
        .when(col("period_kind").eq(lit("day")))
        .then(lit(3))
        .otherwise(lit(4));
    concat([by_period, window], UnionArgs::default())
        .ctx(|| "combining slo_metrics rows".into())?
        .sort_by_exprs(
            [
                rank,
                col("period_start"),
                col("period"),
                col("service"),
                col("region"),
            ],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .collect()
        .ctx(|| "computing slo_metrics".into())
}

/// The rows with `ts < as_of`, in canonical types, with `latency_p99_ms` (null when absent).
fn canonical_rows(slo: LazyFrame, as_of: DateTime<Utc>) -> Result<LazyFrame> {
    let mut slo = slo;
    let schema = slo
        .collect_schema()
        .ctx(|| "reading the slo schema".into())?;
    let p99 = if schema.contains("latency_p99_ms") {
        col("latency_p99_ms").cast(DataType::Float64)
    } else {
        null(DataType::Float64).alias("latency_p99_ms")
    };
    Ok(slo
        .select([
            col("ts").cast(utc_us()),
            col("service").cast(DataType::String),
            col("region").cast(DataType::String),
            col("requests").cast(DataType::Int64),
            col("errors").cast(DataType::Int64),
            p99,
        ])
        .filter(col("ts").lt(lit(as_of.timestamp_micros()).cast(utc_us()))))
}

/// One row per service in the data: `availability_target`, `latency_target_ms` (null = none),
/// `window_us`.
fn targets(rows: &LazyFrame, knobs: &SloKnobs) -> Result<LazyFrame> {
    let names: Vec<&str> = knobs.per_service.keys().map(String::as_str).collect();
    let ts: Vec<&SloTarget> = knobs.per_service.values().collect();
    let configured = DataFrame::new_infer_height(vec![
        Column::new("service".into(), names),
        Column::new(
            "cfg_availability".into(),
            ts.iter().map(|t| t.availability).collect::<Vec<f64>>(),
        ),
        Column::new(
            "cfg_latency_ms".into(),
            ts.iter()
                .map(|t| t.latency_ms)
                .collect::<Vec<Option<f64>>>(),
        ),
        Column::new(
            "cfg_window_us".into(),
            ts.iter()
                .map(|t| i64::from(t.window_days) * DAY_US)
                .collect::<Vec<i64>>(),
        ),
        Column::new("configured".into(), vec![true; ts.len()]),
    ])
    .ctx(|| "building the slo targets".into())?;
    let d = &knobs.default_target;
    let default_latency = d.latency_ms.map_or(null(DataType::Float64), lit);
    let unconfigured = col("configured").is_null();
    Ok(rows
        .clone()
        .select([col("service")])
        .unique(None, UniqueKeepStrategy::Any)
        .join(
            configured.lazy(),
            [col("service")],
            [col("service")],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("service"),
            when(unconfigured.clone())
                .then(lit(d.availability))
                .otherwise(col("cfg_availability"))
                .alias("availability_target"),
            when(unconfigured.clone())
                .then(default_latency)
                .otherwise(col("cfg_latency_ms"))
                .alias("latency_target_ms"),
            when(unconfigured)
                .then(lit(i64::from(d.window_days) * DAY_US))
                .otherwise(col("cfg_window_us"))
                .alias("window_us"),
        ]))
}

/// The period rows: `queries/slo_periods.sql`, then the roll-ups and the figures.
fn period_rows(rows: LazyFrame, targets: LazyFrame, periods: &[Period]) -> Result<LazyFrame> {
    let refs: Vec<&Period> = periods.iter().collect();
    let periods = DataFrame::new_infer_height(period_columns(&refs)?)
        .ctx(|| "building the slo periods".into())?;
    let sums = sql::run(
        "slo_periods.sql",
        SLO_PERIODS_SQL,
        &[
            ("slo", bucketed(rows, &refs)?),
            ("periods", periods.lazy()),
            ("slo_targets", targets.clone()),
        ],
    )?;
    let base = sums
        .join(
            targets.select([col("service"), col("availability_target")]),
            [col("service")],
            [col("service")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(allowed_and_bounds());
    let mut cols: Vec<&str> = PERIOD_KEYS.to_vec();
    cols.extend(["service", "region"]);
    cols.extend(SUMS);
    cols.extend(["target_min", "target_max"]);
    let all = with_rollups(base, &PERIOD_KEYS, &cols, &[])?;
    let mut out = figures();
    out.extend([
        null(DataType::Float64).alias("burn_rate_1h"),
        null(DataType::Float64).alias("burn_rate_6h"),
        null(DataType::Boolean).alias("fast_burn_alert"),
        null(DataType::Boolean).alias("slow_burn_alert"),
        null(DataType::Float64).alias("data_lag_min"),
    ]);
    Ok(all.with_columns(out).select(COLUMNS.map(col)))
}

/// The rows inside the periods, each with its `bucket`: the period boundary at or before its
/// `ts` (the start of the stretch between two consecutive boundaries that holds it). No period
/// starts or ends inside a stretch, so summing rows per bucket first changes no figure and
/// shrinks the range join of `queries/slo_periods.sql` from one row per input row to one per
/// stretch (about one per day) × service × region. Found by an as-of join on the rows sorted by
/// `ts` (polars here has no `search_sorted`).
fn bucketed(rows: LazyFrame, periods: &[&Period]) -> Result<LazyFrame> {
    let mut bounds: Vec<i64> = periods
        .iter()
        .flat_map(|p| [p.start.timestamp_micros(), p.end.timestamp_micros()])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let (first, last) = match (bounds.first(), bounds.last()) {
        (Some(f), Some(l)) => (*f, *l),
        _ => (0, 0),
    };
    let buckets = DataFrame::new_infer_height(vec![
        Series::new("bucket".into(), bounds)
            .cast(&utc_us())
            .ctx(|| "building the slo buckets".into())?
            .into(),
    ])
    .ctx(|| "building the slo buckets".into())?;
    let asof = AsOfOptions {
        strategy: AsofStrategy::Backward,
        allow_eq: true,
        ..Default::default()
    };
    Ok(rows
        .filter(
            col("ts")
                .gt_eq(lit(first).cast(utc_us()))
                .and(col("ts").lt(lit(last).cast(utc_us()))),
        )
        .sort(["ts"], SortMultipleOptions::default())
        .join(
            buckets.lazy(),
            [col("ts")],
            [col("bucket")],
            JoinArgs::new(JoinType::AsOf(Box::new(asof))),
        ))
}

/// `allowed` errors and the target bounds of a row with `requests` and `availability_target`.
fn allowed_and_bounds() -> [Expr; 3] {
    [
        (col("requests").cast(DataType::Float64) * (lit(1.0) - col("availability_target")))
            .alias("allowed"),
        col("availability_target").alias("target_min"),
        col("availability_target").alias("target_max"),
    ]
}

/// `lf` (columns `cols`, including `service` and `region`) plus its roll-ups: per `keys` ×
/// service with region `*`, and per `keys` with service and region `*`. `SUMS` are summed, the
/// target bounds kept, `extra` added to the aggregations.
fn with_rollups(lf: LazyFrame, keys: &[&str], cols: &[&str], extra: &[Expr]) -> Result<LazyFrame> {
    let mut aggs: Vec<Expr> = SUMS.iter().map(|c| col(*c).sum()).collect();
    aggs.push(col("target_min").min());
    aggs.push(col("target_max").max());
    aggs.extend_from_slice(extra);
    let order: Vec<Expr> = cols.iter().map(|c| col(*c)).collect();
    let mut by_service: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    by_service.push(col("service"));
    let by_all: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    // the rows arrive from earlier group-bys in no fixed order; sorting them first fixes the
    // order the roll-ups add floats in, so a figure is the same bytes on every run
    let mut sort_keys: Vec<&str> = keys.to_vec();
    sort_keys.extend(["service", "region"]);
    let lf = lf.sort(
        sort_keys,
        SortMultipleOptions::default().with_maintain_order(true),
    );
    let regions = lf
        .clone()
        .group_by(by_service)
        .agg(aggs.clone())
        .with_column(lit("*").alias("region"));
    let services = lf
        .clone()
        .group_by(by_all)
        .agg(aggs)
        .with_columns([lit("*").alias("service"), lit("*").alias("region")]);
    concat(
        [
            lf.select(order.clone()),
            regions.select(order.clone()),
            services.select(order),
        ],
        UnionArgs::default(),
    )
    .ctx(|| "rolling slo rows up".into())
}

/// Errors over allowed errors, or null without allowed errors. When every member shares one
/// target the allowed errors are recomputed from the (integer) requests, so the figure does not
/// depend on the order a float sum was taken in.
fn burn(errors: Expr, requests: Expr, allowed: Expr) -> Expr {
    let allowed = when(col("target_min").eq(col("target_max")))
        .then(requests.cast(DataType::Float64) * (lit(1.0) - col("target_min")))
        .otherwise(allowed);
    when(allowed.clone().gt(lit(0.0)))
        .then(errors.cast(DataType::Float64) / allowed)
        .otherwise(null(DataType::Float64))
}

/// The figures of a row of sums.
fn figures() -> Vec<Expr> {
    let f = |c: &str| col(c).cast(DataType::Float64);
    let has_requests = col("requests").gt(lit(0));
    let burn_rate = burn(col("errors"), col("requests"), col("allowed"));
    vec![
        when(has_requests.clone())
            .then(lit(1.0) - f("errors") / f("requests"))
            .otherwise(null(DataType::Float64))
            .alias("availability"),
        when(col("target_min").eq(col("target_max")))
            .then(col("target_min"))
            .when(has_requests)
            .then(lit(1.0) - col("allowed") / f("requests"))
            .otherwise(null(DataType::Float64))
            .alias("slo_target"),
        (lit(1.0) - burn_rate.clone()).alias("error_budget_remaining"),
        burn_rate.alias("burn_rate"),
        when(col("p99_requests").gt(lit(0)))
            .then(col("p99_weighted_ms") / f("p99_requests"))
            .otherwise(null(DataType::Float64))
            .alias("latency_p99_ms"),
        when(col("p99_rows").gt(lit(0)))
            .then(f("p99_rows_within") / f("p99_rows"))
            .otherwise(null(DataType::Float64))
            .alias("latency_slo_attainment"),
    ]
}

/// The `slo_window` rows: each service's own window `[as_of − window_days, as_of)`, its burn
/// windows, alerts and data lag, with the roll-ups.
fn window_rows(
    rows: LazyFrame,
    targets: LazyFrame,
    as_of: DateTime<Utc>,
    knobs: &SloKnobs,
) -> Result<LazyFrame> {
    let as_of_us = as_of.timestamp_micros();
    let interval_us = i64::from(knobs.interval_min) * MINUTE_US;
    let has_p99 = col("latency_p99_ms").is_not_null();
    let judged = has_p99.clone().and(col("latency_target_ms").is_not_null());
    let zero = || lit(0i64);
    let w = rows
        .join(
            targets,
            [col("service")],
            [col("service")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("ts").cast(DataType::Int64).alias("ts_us"),
            (lit(as_of_us) - col("window_us")).alias("window_start_us"),
        ])
        .filter(col("ts_us").gt_eq(col("window_start_us")))
        .with_columns(allowed_and_bounds())
        .with_columns([
            when(has_p99.clone())
                .then(col("requests").cast(DataType::Float64) * col("latency_p99_ms"))
                .otherwise(lit(0.0))
                .alias("p99_weighted_ms"),
            when(has_p99)
                .then(col("requests"))
                .otherwise(zero())
                .alias("p99_requests"),
            when(judged)
                .then(lit(1i64))
                .otherwise(zero())
                .alias("p99_rows"),
            when(col("latency_p99_ms").lt_eq(col("latency_target_ms")))
                .then(lit(1i64))
                .otherwise(zero())
                .alias("p99_rows_within"),
        ]);
    let mut cols = vec!["ts_us", "window_start_us", "service", "region"];
    cols.extend(SUMS);
    cols.extend(["target_min", "target_max"]);
    let all = with_rollups(w, &["ts_us"], &cols, &[col("window_start_us").min()])?;

    // per series: totals, and the sums over each burn window ending at the anchor
    let newest = col("ts_us").max();
    let mut aggs: Vec<Expr> = SUMS.iter().map(|c| col(*c).sum()).collect();
    aggs.extend([
        col("target_min").min(),
        col("target_max").max(),
        col("window_start_us").min(),
        newest.clone().alias("newest_ts_us"),
    ]);
    for (name, span_us) in BURN_WINDOWS {
        // a row overlaps [anchor − span, anchor) when ts + interval > anchor − span, and the
        // anchor is newest ts + interval
        let inside = col("ts_us").gt(newest.clone() - lit(span_us));
        for c in ["requests", "errors", "allowed"] {
            aggs.push(
                col(c)
                    .filter(inside.clone())
                    .sum()
                    .alias(format!("{c}_{name}")),
            );
        }
    }
    let series = all.group_by([col("service"), col("region")]).agg(aggs);
    let b = |name: &str| {
        burn(
            col(format!("errors_{name}")),
            col(format!("requests_{name}")),
            col(format!("allowed_{name}")),
        )
    };
    let at_least = |name: &str, x: f64| b(name).gt_eq(lit(x));
    let fast = at_least("1h", 14.4)
        .and(at_least("5m", 14.4))
        .or(at_least("6h", 6.0).and(at_least("30m", 6.0)))
        .fill_null(lit(false));
    let slow = at_least("3d", 1.0)
        .and(at_least("6h", 1.0))
        .fill_null(lit(false));
    let mut out = figures();
    out.extend([
        lit("slo_window").alias("period_kind"),
        lit("slo_window").alias("period"),
        col("window_start_us").cast(utc_us()).alias("period_start"),
        lit(as_of_us).cast(utc_us()).alias("period_end"),
        b("1h").alias("burn_rate_1h"),
        b("6h").alias("burn_rate_6h"),
        fast.alias("fast_burn_alert"),
        slow.alias("slow_burn_alert"),
        ((lit(as_of_us) - col("newest_ts_us") - lit(interval_us)).cast(DataType::Float64)
            / lit(MINUTE_US as f64))
        .alias("data_lag_min"),
    ]);
    Ok(series.with_columns(out).select(COLUMNS.map(col)))
}

#[cfg(test)]
#[path = "slo_tests.rs"]
mod tests;
