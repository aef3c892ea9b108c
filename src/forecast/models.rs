//! The forecasting models, each behind [`Model`]: weekly seasonal naive, additive damped
//! Holt-Winters with a weekly season, and MSTL (daily + weekly STL, damped-trend/SES model on
//! the seasonally adjusted series).
//!
//! **Gaps.** A model sees `None` for hours without data (gaps, masked incidents, outliers and
//! past events). [`fill_gaps`] fills them for fitting only, never with zeros: first with the
//! same hour of the nearest earlier week that has a value (then the nearest later week), then
//! the same hour of the nearest day, then by linear interpolation between the nearest values
//! (or the nearest value at an end). Forecasts are clamped at 0 (CCU is never negative).
//!
//! Pure: no I/O.

use super::ets::{fit_holt_winters, fit_trend};
use super::stl::mstl;
use super::{DAY_H, ForecastError, WEEK_H};

/// A forecasting model: history in (hourly, oldest first, `None` = no value), `horizon_hours`
/// point forecasts out (the hours right after the history).
pub trait Model: Send + Sync {
    /// Stable name, as written to `forecast_backtest.model`.
    fn name(&self) -> &'static str;
    /// Point forecast of the next `horizon_hours` hours.
    fn forecast(
        &self,
        history: &[Option<f64>],
        horizon_hours: usize,
    ) -> Result<Vec<f64>, ForecastError>;
}

/// Fill the gaps of a history for fitting (module doc). Non-finite values count as gaps.
/// `None` when no value is present at all.
pub fn fill_gaps(history: &[Option<f64>]) -> Option<Vec<f64>> {
    let mut x: Vec<Option<f64>> = history
        .iter()
        .map(|v| v.filter(|f| f.is_finite()))
        .collect();
    if x.iter().all(Option::is_none) {
        return None;
    }
    let n = x.len();
    for lag in [WEEK_H, DAY_H] {
        if x.iter().all(Option::is_some) {
            break;
        }
        for i in lag..n {
            if x[i].is_none() {
                x[i] = x[i - lag];
            }
        }
        for i in (0..n.saturating_sub(lag)).rev() {
            if x[i].is_none() {
                x[i] = x[i + lag];
            }
        }
    }
    let known: Vec<usize> = (0..n).filter(|&i| x[i].is_some()).collect();
    let value = |i: usize, x: &[Option<f64>]| x[i].unwrap_or(0.0);
    let mut out = vec![0.0; n];
    let mut k = 0; // index into `known` of the first known position ≥ i
    for (i, o) in out.iter_mut().enumerate() {
        while k < known.len() && known[k] < i {
            k += 1;
        }
        *o = match (k.checked_sub(1).map(|j| known[j]), known.get(k).copied()) {
            (_, Some(r)) if r == i => value(i, &x),
            (Some(l), Some(r)) => {
                let w = (i - l) as f64 / (r - l) as f64;
                value(l, &x) * (1.0 - w) + value(r, &x) * w
            }
            (Some(l), None) => value(l, &x),
            (None, Some(r)) => value(r, &x),
            (None, None) => 0.0, // unreachable: some value is known
        };
    }
    Some(out)
}

fn filled(
    model: &'static str,
    history: &[Option<f64>],
    need_hours: usize,
) -> Result<Vec<f64>, ForecastError> {
    if history.len() < need_hours {
        return Err(ForecastError::TooShort {
            model,
            hours: history.len(),
            need_hours,
        });
    }
    fill_gaps(history).ok_or(ForecastError::Empty)
}

fn finish(model: &'static str, mut f: Vec<f64>) -> Result<Vec<f64>, ForecastError> {
    if f.iter().any(|v| !v.is_finite()) {
        return Err(ForecastError::NonFinite(model));
    }
    for v in &mut f {
        *v = v.max(0.0);
    }
    Ok(f)
}

/// Weekly seasonal naive: every hour is the same hour one week earlier (the last week of
/// history repeated). Needs one week of history.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeasonalNaive;

impl Model for SeasonalNaive {
    fn name(&self) -> &'static str {
        "seasonal_naive"
    }

    fn forecast(
        &self,
        history: &[Option<f64>],
        horizon_hours: usize,
    ) -> Result<Vec<f64>, ForecastError> {
        let y = filled(self.name(), history, WEEK_H)?;
        let last = &y[y.len() - WEEK_H..];
        finish(
            self.name(),
            (0..horizon_hours).map(|h| last[h % WEEK_H]).collect(),
        )
    }
}

/// Additive Holt-Winters with a damped trend and a 168-hour season (`ets.rs`). Needs two
/// weeks of history.
#[derive(Clone, Copy, Debug, Default)]
pub struct HoltWinters;

impl Model for HoltWinters {
    fn name(&self) -> &'static str {
        "holt_winters"
    }

    fn forecast(
        &self,
        history: &[Option<f64>],
        horizon_hours: usize,
    ) -> Result<Vec<f64>, ForecastError> {
        let y = filled(self.name(), history, 2 * WEEK_H)?;
        let fit = fit_holt_winters(&y, WEEK_H).ok_or(ForecastError::NonFinite(self.name()))?;
        finish(
            self.name(),
            (1..=horizon_hours).map(|h| fit.at(h)).collect(),
        )
    }
}

/// MSTL with daily (24 h) and weekly (168 h) seasons (`stl.rs`); the seasonally adjusted
/// series (trend + remainder) is forecast by SES or damped Holt (`ets.rs`), each season
/// by repeating its last cycle. Needs two weeks of history (with less, only the daily season
/// is fitted, from two days).
#[derive(Clone, Copy, Debug, Default)]
pub struct Mstl;

impl Model for Mstl {
    fn name(&self) -> &'static str {
        "mstl"
    }

    fn forecast(
        &self,
        history: &[Option<f64>],
        horizon_hours: usize,
    ) -> Result<Vec<f64>, ForecastError> {
        let y = filled(self.name(), history, 2 * DAY_H)?;
        let n = y.len();
        let periods = [DAY_H, WEEK_H];
        let d = mstl(&y, &periods);
        let adjusted: Vec<f64> = (0..n)
            .map(|t| y[t] - d.seasonal.iter().map(|s| s[t]).sum::<f64>())
            .collect();
        // The adjusted series' level is forecast from its daily means (blocks of 24 hours
        // ending at the series end): an hourly fit chases the last hours' noise (weather, a
        // quiet evening) and carries it over the whole horizon.
        let days: Vec<f64> = adjusted
            .rchunks_exact(DAY_H)
            .rev()
            .map(|d| d.iter().sum::<f64>() / DAY_H as f64)
            .collect();
        let trend = if days.len() >= 2 {
            fit_trend(&days)
        } else {
            fit_trend(&adjusted)
        }
        .ok_or(ForecastError::Empty)?;
        let step = |h: usize| {
            if days.len() >= 2 {
                (h - 1) / DAY_H + 1
            } else {
                h
            }
        };
        let f = (1..=horizon_hours)
            .map(|h| {
                let seasonal: f64 = periods
                    .iter()
                    .zip(&d.seasonal)
                    .filter(|(p, _)| n >= **p)
                    .map(|(&p, s)| s[n - p + (h - 1) % p])
                    .sum();
                trend.at(step(h)) + seasonal
            })
            .collect();
        finish(self.name(), f)
    }
}

/// The candidate models, seasonal naive first (the floor every region is held to).
pub fn candidate_models() -> Vec<Box<dyn Model>> {
    vec![
        Box::new(SeasonalNaive),
        Box::new(HoltWinters),
        Box::new(Mstl),
    ]
}
