//! One region's forecast: every candidate model fitted at every rolling cut-off (in parallel),
//! scored on the backtest windows with bands calibrated on the windows before each, the best
//! mean MASE chosen, and its forecast from the series end calibrated and given the event
//! uplifts. [`forecast_all`] runs regions in parallel.
//!
//! Cut-off `j` (0, 1, 2, …) is `n − j·H` hours into the series (`H` = horizon hours); `j` = 0 is
//! the real forecast. Cut-offs exist while at least `min_train_days` of series lie before them
//! (`j` = 0 always) and up to `backtest_windows + calibration_windows`. Every model is fitted
//! once per cut-off on at most `max_train_days` before it; window `w` is scored against the
//! hours `[n − w·H, n − (w−1)·H)` with bands calibrated on windows `w+1 … w+calibration_windows`,
//! which all end at or before its cut-off, so nothing it scores was seen. The real forecast is
//! calibrated on windows `1 … calibration_windows` the same way: the backtest measures exactly
//! the procedure whose forecast is shipped.
//!
//! Rayon only, never polars: this runs inside the caller's rayon pool.

use chrono::DateTime;
use rayon::prelude::*;

use super::calibrate::{Calibration, Scores, forecast_peaks};
use super::metrics::{DayBand, WindowScore, score_window};
use super::models::candidate_models;
use super::{
    BacktestRow, DAY_H, DayPoint, EventWindow, ForecastConfig, ForecastError, HOUR_US, HourPoint,
    Prepared, RegionForecast,
};

fn check(cfg: &ForecastConfig) -> Result<(), ForecastError> {
    if cfg.horizon_days == 0 {
        return Err(ForecastError::Config(
            "`horizon_days` must be at least 1".into(),
        ));
    }
    if cfg.max_train_days == 0 || cfg.max_train_days < cfg.min_train_days {
        return Err(ForecastError::Config(format!(
            "`max_train_days` ({}) must be at least 1 and at least `min_train_days` ({})",
            cfg.max_train_days, cfg.min_train_days
        )));
    }
    Ok(())
}

/// UTC hour of the day of series position `i`.
fn hour_of_day(start_us: i64, i: usize) -> usize {
    (start_us.div_euclid(HOUR_US) + i as i64).rem_euclid(DAY_H as i64) as usize
}

/// The calibrated daily bands of a forecast.
fn day_bands(fc: &[f64], cal: &Calibration) -> Vec<DayBand> {
    forecast_peaks(fc)
        .iter()
        .zip(&cal.daily)
        .map(|(f, q)| DayBand {
            median: f * q[2],
            hi80: f * q[3],
            hi95: f * q[4],
        })
        .collect()
}

/// Scores from windows `from..=to` of one model (`fits[j]` = forecast at cut-off `j`), or
/// the naive fallback on the history before cut-off `from − 1` when none fits.
fn scores_for(
    values: &[Option<f64>],
    start_us: i64,
    h: usize,
    fits: &[Option<Vec<f64>>],
    from: usize,
    to: usize,
) -> Scores {
    let n = values.len();
    let lead_days = h.div_ceil(DAY_H);
    let mut s = Scores::new(lead_days);
    for (j, fit) in fits.iter().enumerate().take(to + 1).skip(from) {
        if let Some(fc) = fit {
            let cut = n - j * h;
            s.add_window(fc, &values[cut..cut + h], hour_of_day(start_us, cut));
        }
    }
    if s.is_empty() {
        s = Scores::naive_fallback(&values[..n - (from - 1) * h], lead_days);
    }
    s
}

fn row(model: &str, window: u32, cutoff_us: i64, s: &WindowScore) -> BacktestRow {
    BacktestRow {
        model: model.to_string(),
        window,
        cutoff_us,
        mase: s.mase,
        smape: s.smape,
        dpeak_mape: s.dpeak_mape,
        dpeak_cov80: s.dpeak_cov80,
        dpeak_cov95: s.dpeak_cov95,
        dpeak_excess95: s.dpeak_excess95,
        pinball95: s.pinball95,
        chosen: false,
    }
}

fn mean_of(rows: &[BacktestRow], f: impl Fn(&BacktestRow) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = rows.iter().filter_map(f).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Forecast one region (module doc). Errors only for a bad setting, a series with no value,
/// or when no model can forecast it (e.g. less than a week of history).
pub fn forecast_region(
    prepared: &Prepared,
    future_events: &[EventWindow],
    cfg: &ForecastConfig,
) -> Result<RegionForecast, ForecastError> {
    check(cfg)?;
    let start_us = prepared.series.start_us;
    let values: Vec<Option<f64>> = prepared
        .series
        .values
        .iter()
        .map(|v| v.filter(|x| x.is_finite()))
        .collect();
    if values.iter().all(Option::is_none) {
        return Err(ForecastError::Empty);
    }
    let n = values.len();
    let h = cfg.horizon_days as usize * DAY_H;
    let (min_train, max_train) = (
        cfg.min_train_days as usize * DAY_H,
        cfg.max_train_days as usize * DAY_H,
    );
    let (windows, calib) = (
        cfg.backtest_windows as usize,
        cfg.calibration_windows as usize,
    );
    let cuts: Vec<usize> = (0..=windows + calib)
        .map_while(|j| {
            n.checked_sub(j * h)
                .filter(|&c| j == 0 || c >= min_train.max(1))
        })
        .collect();
    let models = candidate_models();
    let jobs: Vec<(usize, usize)> = (0..models.len())
        .flat_map(|m| (0..cuts.len()).map(move |j| (m, j)))
        .collect();
    let results: Vec<Result<Vec<f64>, ForecastError>> = jobs
        .par_iter()
        .map(|&(m, j)| {
            let cut = cuts[j];
            models[m].forecast(&values[cut.saturating_sub(max_train)..cut], h)
        })
        .collect();
    // fits[m][j]
    let mut fits: Vec<Vec<Option<Vec<f64>>>> = vec![Vec::with_capacity(cuts.len()); models.len()];
    let mut errors: Vec<String> = Vec::new();
    for ((m, j), r) in jobs.iter().zip(results) {
        match r {
            Ok(f) => fits[*m].push(Some(f)),
            Err(e) => {
                if *j == 0 {
                    errors.push(format!("{}: {e}", models[*m].name()));
                }
                fits[*m].push(None);
            }
        }
    }
    let scored = cuts.len().saturating_sub(1).min(windows);
    let cut_us = |j: usize| start_us + cuts[j] as i64 * HOUR_US;
    let mut backtest: Vec<BacktestRow> = Vec::new();
    let mut summaries: Vec<(usize, Option<f64>, Option<f64>)> = Vec::new(); // (model, mean MASE, pooled cov95)
    for (m, model) in models.iter().enumerate() {
        let mut rows = Vec::new();
        let (mut days, mut covered) = (0usize, 0usize);
        let mut complete = true;
        for w in 1..=scored {
            let Some(fc) = &fits[m][w] else {
                complete = false;
                continue;
            };
            let cut = cuts[w];
            let cal = Calibration::from_scores(&scores_for(
                &values,
                start_us,
                h,
                &fits[m],
                w + 1,
                w + calib,
            ));
            let train = &values[cut.saturating_sub(max_train)..cut];
            let s = score_window(train, fc, &values[cut..cut + h], &day_bands(fc, &cal));
            complete &= s.mase.is_some();
            days += s.days;
            covered += s.covered95;
            rows.push(row(model.name(), w as u32, cut_us(w), &s));
        }
        if !rows.is_empty() {
            let mut mean_row = rows[0].clone();
            mean_row.window = 0;
            mean_row.cutoff_us = rows
                .iter()
                .map(|r| r.cutoff_us)
                .min()
                .unwrap_or(mean_row.cutoff_us);
            mean_row.mase = mean_of(&rows, |r| r.mase);
            mean_row.smape = mean_of(&rows, |r| r.smape);
            mean_row.dpeak_mape = mean_of(&rows, |r| r.dpeak_mape);
            mean_row.dpeak_cov80 = mean_of(&rows, |r| r.dpeak_cov80);
            mean_row.dpeak_cov95 = mean_of(&rows, |r| r.dpeak_cov95);
            mean_row.dpeak_excess95 = mean_of(&rows, |r| r.dpeak_excess95);
            mean_row.pinball95 = mean_of(&rows, |r| r.pinball95);
            let mase = if complete { mean_row.mase } else { None };
            summaries.push((m, mase, (days > 0).then(|| covered as f64 / days as f64)));
            rows.push(mean_row);
        } else {
            summaries.push((m, None, None));
        }
        backtest.extend(rows);
    }
    // Best mean MASE among models scored on every window and able to forecast now; ties and
    // "no backtest at all" go to the earliest candidate (seasonal naive).
    let usable = |m: usize| fits[m][0].is_some();
    let chosen = summaries
        .iter()
        .filter(|(m, mase, _)| usable(*m) && mase.is_some())
        .min_by(|a, b| {
            a.1.unwrap_or(f64::MAX)
                .total_cmp(&b.1.unwrap_or(f64::MAX))
                .then(a.0.cmp(&b.0))
        })
        .map(|s| s.0)
        .or_else(|| (0..models.len()).find(|&m| usable(m)))
        .ok_or_else(|| ForecastError::NoModel(errors.join("; ")))?;
    let name = models[chosen].name();
    for r in &mut backtest {
        r.chosen = r.model == name;
    }
    let (_, backtest_mase, backtest_cov95) = summaries[chosen];

    // The real forecast: uplifts, then bands from windows 1 … calibration_windows.
    let base = fits[chosen][0].clone().unwrap_or_default();
    let end_us = start_us + n as i64 * HOUR_US;
    let uplift: Vec<Option<f64>> = (0..h)
        .map(|i| {
            let t = end_us + i as i64 * HOUR_US;
            future_events
                .iter()
                .filter(|e| e.overlaps_hour(t) && e.uplift.is_finite() && e.uplift >= 0.0)
                .map(|e| e.uplift)
                .max_by(f64::total_cmp)
        })
        .collect();
    let fc: Vec<f64> = base
        .iter()
        .zip(&uplift)
        .map(|(f, u)| f * u.unwrap_or(1.0))
        .collect();
    let cal = Calibration::from_scores(&scores_for(&values, start_us, h, &fits[chosen], 1, calib));
    let peaks = forecast_peaks(&fc);
    let hourly: Vec<HourPoint> = fc
        .iter()
        .enumerate()
        .map(|(i, &f)| {
            let q = cal.hourly[hour_of_day(start_us, n + i)];
            let pk = peaks[i / DAY_H];
            let at = |k: usize| (f + q[k] * pk).max(0.0);
            HourPoint {
                ts_us: end_us + i as i64 * HOUR_US,
                median: f,
                lo80: at(1).min(f),
                hi80: at(3).max(f),
                lo95: at(0).min(at(1)).min(f),
                hi95: at(4).max(at(3)).max(f),
            }
        })
        .collect();
    let daily: Vec<DayPoint> = peaks
        .iter()
        .enumerate()
        .map(|(d, &pk)| {
            let q = cal.daily[d];
            let ts = end_us + (d * DAY_H) as i64 * HOUR_US;
            let date = DateTime::from_timestamp_micros(ts)
                .map(|t| t.date_naive())
                .unwrap_or_default();
            let event = uplift[d * DAY_H..((d + 1) * DAY_H).min(h)]
                .iter()
                .flatten()
                .copied()
                .max_by(f64::total_cmp);
            DayPoint {
                date,
                median: pk * q[2],
                lo80: pk * q[1],
                hi80: pk * q[3],
                lo95: pk * q[0],
                hi95: pk * q[4],
                event,
            }
        })
        .collect();
    Ok(RegionForecast {
        model: name.to_string(),
        hourly,
        daily,
        backtest,
        backtest_mase,
        backtest_cov95,
    })
}

/// Forecast every region in parallel (rayon), keeping the input order.
pub fn forecast_all(
    inputs: Vec<(String, Prepared, Vec<EventWindow>)>,
    cfg: &ForecastConfig,
) -> Vec<(String, Result<RegionForecast, ForecastError>)> {
    inputs
        .into_par_iter()
        .map(|(region, prepared, events)| {
            let r = forecast_region(&prepared, &events, cfg);
            (region, r)
        })
        .collect()
}
