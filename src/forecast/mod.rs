//! Capacity forecasting (DESIGN.md "Capacity forecast"; issue 5): per region, the hourly peak
//! CCU forecast `horizon_days` ahead with calibrated 80 % / 95 % bands on the **daily peak**,
//! chosen among three models by a rolling-origin backtest, and the capacity plan arithmetic.
//!
//! **Why our own models, not `augurs`.** Grafana's `augurs` 0.10.3 (MIT/Apache-2.0) was read
//! (source and manifests through the search tool) and tried against this crate's dependency
//! tree with `cargo tree -e normal -f "{p} {f}"`. `augurs-mstl` alone leaves every existing
//! crate's features unchanged, but it has no trend model of its own: its MSTL needs a
//! `TrendModel`, in practice `augurs-ets`, and `augurs-ets` + `augurs-outlier` change the
//! features of crates already built here (`rand` gains `small_rng`, `num-rational` gains
//! `num-bigint`) and add a second `nalgebra` (0.35 beside statrs' 0.33), which would rebuild a
//! share of the tree on 2 cores. `augurs-mstl` also needs gap-free input and gives no
//! conformal daily-peak bands. STL, MSTL and exponential smoothing are ~400 lines here
//! (`stl.rs`, `ets.rs`), std only, and follow statsmodels' defaults so they can be checked
//! against the reference.
//!
//! **Models** ([`Model`]; [`candidate_models`]):
//! - `seasonal_naive`: the same hour one week earlier. The floor; always a candidate.
//! - `holt_winters`: additive Holt-Winters, damped trend, one 168-hour season, parameters by
//!   grid search on the in-sample one-step SSE (`ets.rs`).
//! - `mstl`: STL for 24 h then 168 h, twice (statsmodels' MSTL defaults, `stl.rs`); each season
//!   forecast by repeating its last cycle, the seasonally adjusted series (trend + remainder)
//!   by SES or damped Holt (φ ≤ 0.98, lower AIC) fitted on its *daily means*, so the level of
//!   the whole horizon does not follow the last few hours.
//!
//! Gaps (`None`: missing samples and every masked hour) are filled for fitting only, from the
//! same hour of the nearest week, then day, then by interpolation ([`fill_gaps`]); never zeros.
//! Forecasts are clamped at 0.
//!
//! **Days.** A forecast's day `d` is the 24 hours from its first hour + 24·d (its lead day);
//! [`DayPoint::date`] is the UTC date of that day's first hour. When the series ends at
//! midnight UTC — the caller should cut it there — lead days are UTC calendar days. A day's
//! actual peak is the largest observed hour (at least 18 of 24 observed, else the day is not
//! scored); its forecast peak the largest of the 24 hourly forecasts.
//!
//! **Backtest** ([`forecast_region`]): rolling origin, windows of `horizon_days` ending at the
//! series end, `backtest_windows` of them where at least `min_train_days` precede the window;
//! each fit sees at most `max_train_days` before its cut-off. Per model and window, over the
//! observed hours (masked hours are not scored):
//! - `mase` = mean |y − ŷ| / the in-sample MAE of the weekly seasonal naive on that window's
//!   training data (pairs of observed hours one week apart), as in `reference/forecast.md` §4;
//! - `smape` = mean 200·|y − ŷ| / (|y| + |ŷ|), hours where both are 0 skipped (0–200 scale);
//! - `dpeak_mape` = mean over days of 100·|A − M| / A, A the actual daily peak, M the day's
//!   calibrated median;
//! - `dpeak_cov80`, `dpeak_cov95` = share of days with A ≤ `hi80`, A ≤ `hi95` (one-sided: the
//!   upper quantile is what capacity is provisioned at, nominal 0.80 and 0.95);
//! - `dpeak_excess95` = mean of 100·(`hi95` − A) / A (spare capacity if provisioned at `hi95`);
//! - `pinball95` = mean pinball loss at τ = 0.95 of `hi95` (0.95·(A − hi95) when A ≥ hi95,
//!   else 0.05·(hi95 − A)), as a percentage of the mean A, so regions compare.
//!
//! Each window's bands are calibrated on the `calibration_windows` windows before it only, so
//! every scored day is held out. A mean row per model (`window` 0) follows its windows. The
//! model with the lowest mean MASE over all windows is chosen (ties: seasonal naive first;
//! none scored, e.g. under `min_train_days` + `horizon_days` of history: seasonal naive, else
//! the first model that can forecast).
//!
//! **Bands** (`calibrate.rs`): split-conformal quantiles of the ratio actual / forecast daily
//! peak from the windows before the forecast, pooled per lead week (merged while thin). `hi95`
//! and `lo95` are the 95th and 5th percentiles, `hi80`/`lo80` the 80th and 20th, `median` the
//! 50th (so the daily median is also bias-corrected for the peak of noisy hours). Hourly bands
//! come from the hourly errors per UTC hour of the day, scaled by the day's forecast peak; the
//! hourly median is the point forecast.
//!
//! **Events**: history inside past event windows is masked by [`prepare`] (not de-weighted);
//! a future event multiplies every hour it overlaps by its uplift (the largest, when several
//! overlap), bands included, and [`DayPoint::event`] records it. Bands are not widened further
//! around events.
//!
//! **Parallelism**: every (model, cut-off) fit of a region runs on rayon, and
//! [`forecast_all`] runs regions on rayon; no polars inside.
//!
//! Pure: no I/O, no clock, no environment, no polars. Plain vectors in, structs out; the caller
//! builds the hourly series from the lake and writes the tables.

use chrono::NaiveDate;

mod backtest;
mod calibrate;
mod config;
mod ets;
mod metrics;
mod models;
pub mod plan;
mod prepare;
mod stl;

pub use backtest::{forecast_all, forecast_region};
pub use config::parse_forecast;
pub use models::{HoltWinters, Model, Mstl, SeasonalNaive, candidate_models, fill_gaps};
pub use plan::{
    CapacityRow, PlanDay, PlanKnobs, PlanRow, capacity_by_day, capacity_ccu, capacity_plan,
    plan_days, required_instances,
};
pub use prepare::{OUTLIER_MAD_FACTOR, prepare};

#[cfg(test)]
mod bench_tests;
#[cfg(test)]
mod models_tests;
#[cfg(test)]
mod region_tests;

/// One hour, in µs.
pub const HOUR_US: i64 = 3_600_000_000;

/// Hours in a week: the weekly season.
pub const WEEK_H: usize = 168;

/// Hours in a day: the daily season.
pub const DAY_H: usize = 24;

/// An hourly series of one region.
#[derive(Clone, Debug, PartialEq)]
pub struct HourlySeries {
    /// UTC start of the first hour, µs since the epoch (a multiple of [`HOUR_US`]).
    pub start_us: i64,
    /// Hourly peak CCU, one value per hour from `start_us`; `None` = gap (no sample).
    pub values: Vec<Option<f64>>,
}

impl HourlySeries {
    /// UTC start of the hour after the last one (where a forecast starts), µs.
    pub fn end_us(&self) -> i64 {
        self.start_us + self.values.len() as i64 * HOUR_US
    }
}

/// An event window of the calendar: CCU inside `[start_us, end_us)` is expected to be `uplift`
/// times the baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct EventWindow {
    /// Start, µs since the epoch (UTC).
    pub start_us: i64,
    /// End (exclusive), µs since the epoch (UTC).
    pub end_us: i64,
    /// Multiplier of the baseline (1.3 = +30 %).
    pub uplift: f64,
}

impl EventWindow {
    /// Whether the hour starting at `hour_us` overlaps the window.
    pub fn overlaps_hour(&self, hour_us: i64) -> bool {
        self.start_us < hour_us + HOUR_US && hour_us < self.end_us
    }
}

/// How far to forecast and how to backtest.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastConfig {
    /// Forecast horizon in days (default 28); also the length of every backtest and
    /// calibration window.
    pub horizon_days: u32,
    /// Backtest windows scored per model, where history allows (default 3).
    pub backtest_windows: u32,
    /// Least history before a cut-off for a fit there (default 28 days: four weekly cycles,
    /// the least the weekly models and the seasonal-naive MASE scale need to mean anything).
    pub min_train_days: u32,
    /// Longest history one fit sees, the days right before its cut-off (default 112: 16 weeks,
    /// as the anchors of `reference/forecast.md` §4).
    pub max_train_days: u32,
    /// Earlier windows whose residuals calibrate the bands of a forecast (default 6; the
    /// reference found 2 too few and 5 close to calibrated).
    pub calibration_windows: u32,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        ForecastConfig {
            horizon_days: 28,
            backtest_windows: 3,
            min_train_days: 28,
            max_train_days: 112,
            calibration_windows: 6,
        }
    }
}

/// A series ready for fitting: incidents, outliers and past events masked.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// The input with masked hours set to `None` (gaps stay `None`).
    pub series: HourlySeries,
    /// `[start, end)` µs of each run of `None` in the *input* (the data's own gaps).
    pub gaps: Vec<(i64, i64)>,
    /// Hours masked because they overlap an incident window.
    pub masked_incident_hours: u32,
    /// Hours masked as outliers (see [`prepare`]).
    pub masked_outlier_hours: u32,
    /// Hours masked because they overlap a past event window.
    pub masked_event_hours: u32,
}

impl Prepared {
    /// The series as it is, nothing masked (non-finite values become gaps). For benchmarks
    /// that must score every hour, as the reference did.
    pub fn unmasked(series: &HourlySeries) -> Prepared {
        let values: Vec<Option<f64>> = series
            .values
            .iter()
            .map(|v| v.filter(|x| x.is_finite()))
            .collect();
        let gaps = prepare::gap_runs(series.start_us, &values);
        Prepared {
            series: HourlySeries {
                start_us: series.start_us,
                values,
            },
            gaps,
            masked_incident_hours: 0,
            masked_outlier_hours: 0,
            masked_event_hours: 0,
        }
    }
}

/// One forecast hour.
#[derive(Clone, Debug, PartialEq)]
pub struct HourPoint {
    /// Start of the hour, µs since the epoch (UTC).
    pub ts_us: i64,
    /// Point forecast of the hourly peak CCU (event uplift applied).
    pub median: f64,
    /// 20th percentile.
    pub lo80: f64,
    /// 80th percentile.
    pub hi80: f64,
    /// 5th percentile.
    pub lo95: f64,
    /// 95th percentile.
    pub hi95: f64,
}

/// One forecast day: quantiles of the day's peak CCU.
#[derive(Clone, Debug, PartialEq)]
pub struct DayPoint {
    /// The day (UTC date of its first hour; see the module doc on lead days).
    pub date: NaiveDate,
    /// Median of the daily peak CCU.
    pub median: f64,
    /// 20th percentile of the daily peak.
    pub lo80: f64,
    /// 80th percentile of the daily peak.
    pub hi80: f64,
    /// 5th percentile of the daily peak.
    pub lo95: f64,
    /// 95th percentile of the daily peak: what capacity is provisioned at.
    pub hi95: f64,
    /// The largest event uplift applied to an hour of the day, if any.
    pub event: Option<f64>,
}

/// One model's scores on one backtest window (or, with `window` 0, its mean over windows).
#[derive(Clone, Debug, PartialEq)]
pub struct BacktestRow {
    /// Model name.
    pub model: String,
    /// 1 = the window ending at the series end, 2 = the one before, …; 0 = the mean of the
    /// model's windows (each figure the mean of the windows that have it).
    pub window: u32,
    /// Cut-off (first forecast hour) of the window, µs; for the mean row, the earliest one.
    pub cutoff_us: i64,
    /// Mean absolute error / in-sample MAE of the weekly seasonal naive on the training data.
    pub mase: Option<f64>,
    /// Symmetric MAPE on the 0–200 scale.
    pub smape: Option<f64>,
    /// Daily-peak MAPE, percent (median of the daily peak vs the actual daily peak).
    pub dpeak_mape: Option<f64>,
    /// Share of days whose actual peak is at or below the day's `hi80`.
    pub dpeak_cov80: Option<f64>,
    /// Share of days whose actual peak is at or below the day's `hi95`.
    pub dpeak_cov95: Option<f64>,
    /// Mean of `(hi95 − actual peak) / actual peak`, percent (spare capacity when provisioned
    /// at `hi95`; negative = short).
    pub dpeak_excess95: Option<f64>,
    /// Mean pinball loss at 0.95 of `hi95` against the actual daily peak, percent of the
    /// mean actual daily peak.
    pub pinball95: Option<f64>,
    /// Whether this model was chosen for the region.
    pub chosen: bool,
}

/// The forecast of one region.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionForecast {
    /// Name of the chosen model.
    pub model: String,
    /// The horizon hour by hour.
    pub hourly: Vec<HourPoint>,
    /// The horizon day by day (daily peak).
    pub daily: Vec<DayPoint>,
    /// Every model's backtest rows (per window, then the mean row with window 0).
    pub backtest: Vec<BacktestRow>,
    /// The chosen model's mean backtest MASE.
    pub backtest_mase: Option<f64>,
    /// The chosen model's daily-peak 95 % coverage over all its backtest days.
    pub backtest_cov95: Option<f64>,
}

/// Why a forecast could not be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ForecastError {
    /// No hour of the series has a value.
    #[error("the series has no observed hour")]
    Empty,
    /// Too little history for the model.
    #[error("history of `{hours}` hours is too short: `{model}` needs at least `{need_hours}`")]
    TooShort {
        /// The model.
        model: &'static str,
        /// Hours of history given.
        hours: usize,
        /// Hours needed.
        need_hours: usize,
    },
    /// A setting that cannot work.
    #[error("invalid forecast setting: {0}")]
    Config(String),
    /// A fit produced no finite forecast.
    #[error("`{0}` produced a non-finite forecast")]
    NonFinite(&'static str),
    /// Every model failed.
    #[error("no model could forecast the series: {0}")]
    NoModel(String),
}
