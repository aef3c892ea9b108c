//! Scores of one model on one backtest window (definitions in the module doc of
//! [`crate::forecast`]). Only observed hours are scored: gaps and masked hours are skipped.
//!
//! Pure arithmetic: no I/O.

use super::WEEK_H;
use super::calibrate::day_peaks;

/// A forecast day's band on the daily peak.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DayBand {
    pub median: f64,
    pub hi80: f64,
    pub hi95: f64,
}

/// One window's scores; daily figures also as counts so windows can be pooled.
#[derive(Clone, Debug, Default)]
pub(crate) struct WindowScore {
    pub mase: Option<f64>,
    pub smape: Option<f64>,
    pub dpeak_mape: Option<f64>,
    pub dpeak_cov80: Option<f64>,
    pub dpeak_cov95: Option<f64>,
    pub dpeak_excess95: Option<f64>,
    pub pinball95: Option<f64>,
    /// Days scored and days at or below `hi95`.
    pub days: usize,
    pub covered95: usize,
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f64)
}

/// In-sample MAE of the weekly seasonal naive over the pairs of observed hours one week apart.
pub(crate) fn naive_scale(train: &[Option<f64>]) -> Option<f64> {
    mean((WEEK_H..train.len()).filter_map(|t| Some((train[t]? - train[t - WEEK_H]?).abs())))
}

/// Score a window: `train` is the fit's history (for the MASE scale), `fc` the hourly point
/// forecast, `actual` the same hours, `bands` one per lead day.
pub(crate) fn score_window(
    train: &[Option<f64>],
    fc: &[f64],
    actual: &[Option<f64>],
    bands: &[DayBand],
) -> WindowScore {
    let pairs: Vec<(f64, f64)> = fc
        .iter()
        .zip(actual)
        .filter_map(|(f, a)| Some((*f, (*a)?)))
        .collect();
    let mae = mean(pairs.iter().map(|(f, a)| (a - f).abs()));
    let mase = match (mae, naive_scale(train)) {
        (Some(m), Some(s)) if s > 0.0 => Some(m / s),
        _ => None,
    };
    let smape = mean(
        pairs
            .iter()
            .filter(|(f, a)| f.abs() + a.abs() > 0.0)
            .map(|(f, a)| 200.0 * (a - f).abs() / (a.abs() + f.abs())),
    );
    let days: Vec<(f64, DayBand)> = day_peaks(actual)
        .into_iter()
        .zip(bands)
        .filter_map(|(a, b)| Some((a.filter(|a| *a > 0.0)?, *b)))
        .collect();
    let n = days.len();
    let covered95 = days.iter().filter(|(a, b)| *a <= b.hi95).count();
    let share = |k: usize| (n > 0).then(|| k as f64 / n as f64);
    let mean_peak = mean(days.iter().map(|(a, _)| *a));
    let pinball = mean(days.iter().map(|(a, b)| {
        let u = a - b.hi95;
        if u >= 0.0 { 0.95 * u } else { -0.05 * u }
    }));
    WindowScore {
        mase,
        smape,
        dpeak_mape: mean(days.iter().map(|(a, b)| 100.0 * (a - b.median).abs() / a)),
        dpeak_cov80: share(days.iter().filter(|(a, b)| *a <= b.hi80).count()),
        dpeak_cov95: share(covered95),
        dpeak_excess95: mean(days.iter().map(|(a, b)| 100.0 * (b.hi95 - a) / a)),
        pinball95: match (pinball, mean_peak) {
            (Some(p), Some(m)) if m > 0.0 => Some(100.0 * p / m),
            _ => None,
        },
        days: n,
        covered95,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_window() {
        // Training: a week of 10s then a week of 12s → naive MAE 2.
        let train: Vec<Option<f64>> = (0..2 * WEEK_H)
            .map(|t| Some(if t < WEEK_H { 10.0 } else { 12.0 }))
            .collect();
        // Two days; forecast 10 everywhere, actual 11 on day 1 and 8 on day 2 (one hour missing).
        let fc = vec![10.0; 48];
        let mut actual: Vec<Option<f64>> = (0..48)
            .map(|t| Some(if t < 24 { 11.0 } else { 8.0 }))
            .collect();
        actual[30] = None;
        let bands = [
            DayBand {
                median: 10.0,
                hi80: 10.5,
                hi95: 12.0,
            },
            DayBand {
                median: 10.0,
                hi80: 10.5,
                hi95: 12.0,
            },
        ];
        let s = score_window(&train, &fc, &actual, &bands);
        // MAE = (24·1 + 23·2) / 47
        assert!((s.mase.unwrap() - (70.0 / 47.0) / 2.0).abs() < 1e-12);
        let sm = (24.0 * 200.0 / 21.0 + 23.0 * 400.0 / 18.0) / 47.0;
        assert!((s.smape.unwrap() - sm).abs() < 1e-9);
        // Peaks 11 and 8: APE 1/11 and 2/8.
        assert!((s.dpeak_mape.unwrap() - 50.0 * (1.0 / 11.0 + 0.25)).abs() < 1e-9);
        assert_eq!(s.dpeak_cov80, Some(0.5));
        assert_eq!(s.dpeak_cov95, Some(1.0));
        assert!((s.dpeak_excess95.unwrap() - 50.0 * (1.0 / 11.0 + 4.0 / 8.0)).abs() < 1e-9);
        // Pinball: both under hi95 → 0.05·(1 + 4) / 2, over mean peak 9.5.
        assert!((s.pinball95.unwrap() - 100.0 * 0.125 / 9.5).abs() < 1e-9);
        assert_eq!((s.days, s.covered95), (2, 2));
    }

    #[test]
    fn nothing_observed_scores_nothing() {
        let s = score_window(
            &[],
            &[1.0; 24],
            &[None; 24],
            &[DayBand {
                median: 1.0,
                hi80: 1.0,
                hi95: 1.0,
            }],
        );
        assert!(s.mase.is_none() && s.dpeak_cov95.is_none() && s.days == 0);
    }
}
