//! Models on synthetic series with known components.

use std::f64::consts::TAU;

use super::stl::mstl;
use super::*;

/// Hour `t`'s value of a daily + weekly cycle around `level`.
fn cycle(t: usize, level: f64) -> f64 {
    level + 100.0 * (TAU * t as f64 / 24.0).sin() + 50.0 * (TAU * t as f64 / 168.0).cos()
}

fn some(v: &[f64]) -> Vec<Option<f64>> {
    v.iter().copied().map(Some).collect()
}

#[test]
fn seasonal_naive_forecasts_a_pure_weekly_cycle_exactly() {
    // Any 168-periodic shape, not only sines: hour of week → value.
    let week: Vec<f64> = (0..WEEK_H)
        .map(|k| 500.0 + ((k * 37) % 101) as f64)
        .collect();
    let mut history: Vec<Option<f64>> = (0..5 * WEEK_H).map(|t| Some(week[t % WEEK_H])).collect();
    // A gap in the last week is filled from the week before, so the cycle is still exact.
    for v in &mut history[4 * WEEK_H + 10..4 * WEEK_H + 30] {
        *v = None;
    }
    let f = SeasonalNaive.forecast(&history, 3 * WEEK_H).unwrap();
    for (h, v) in f.iter().enumerate() {
        assert_eq!(*v, week[(5 * WEEK_H + h) % WEEK_H], "hour {h}");
    }
}

#[test]
fn mstl_recovers_a_linear_trend_with_daily_and_weekly_cycles() {
    // y = 1000 + 0.5·t + 100·sin(2πt/24) + 50·cos(2πt/168), 8 weeks of history.
    let n = 8 * WEEK_H;
    let truth = |t: usize| cycle(t, 1000.0 + 0.5 * t as f64);
    let y: Vec<f64> = (0..n).map(truth).collect();
    // Decomposition, away from the ends (loess edges): trend within 1 (of ~1300), the two
    // seasonal components together within 1 (of an amplitude of 150).
    let d = mstl(&y, &[DAY_H, WEEK_H]);
    for t in WEEK_H..n - WEEK_H {
        let seasonal = d.seasonal[0][t] + d.seasonal[1][t];
        let true_seasonal = truth(t) - 1000.0 - 0.5 * t as f64;
        assert!(
            (d.trend[t] - (1000.0 + 0.5 * t as f64)).abs() < 1.0,
            "trend at {t}: {}",
            d.trend[t]
        );
        assert!(
            (seasonal - true_seasonal).abs() < 1.0,
            "seasonal at {t}: {seasonal} vs {true_seasonal}"
        );
    }
    // Forecast 14 days: every hour within 3 % of the truth, and the mean absolute error below
    // 1.5 % (the trend is damped, φ ≤ 0.98, so it falls a little behind a line that never
    // bends: by design, a trend must not run away over a 4-week horizon).
    let f = Mstl.forecast(&some(&y), 14 * DAY_H).unwrap();
    let mut sum_pct = 0.0;
    for (h, v) in f.iter().enumerate() {
        let t = truth(n + h);
        assert!((v - t).abs() <= 0.03 * t, "hour {h}: {v} vs {t}");
        sum_pct += (v - t).abs() / t;
    }
    let mean_pct = sum_pct / f.len() as f64;
    println!("mstl on trend + cycles: mean abs error {mean_pct:.4}");
    assert!(mean_pct < 0.015, "mean abs error {mean_pct}");
}

#[test]
fn holt_winters_follows_a_weekly_cycle() {
    let y: Vec<f64> = (0..6 * WEEK_H).map(|t| cycle(t, 800.0)).collect();
    let f = HoltWinters.forecast(&some(&y), 2 * WEEK_H).unwrap();
    for (h, v) in f.iter().enumerate() {
        let t = cycle(y.len() + h, 800.0);
        assert!((v - t).abs() <= 0.01 * t, "hour {h}: {v} vs {t}");
    }
}

#[test]
fn a_constant_series_gives_a_flat_forecast_from_every_model() {
    let y = vec![Some(4321.0); 6 * WEEK_H];
    for m in candidate_models() {
        let f = m.forecast(&y, 28 * DAY_H).unwrap();
        assert!(
            f.iter().all(|v| (v - 4321.0).abs() < 1e-6),
            "{}: {:?}",
            m.name(),
            &f[..5]
        );
    }
}

#[test]
fn short_empty_and_gappy_histories() {
    for m in candidate_models() {
        assert!(
            matches!(
                m.forecast(&[], 24),
                Err(ForecastError::TooShort { hours: 0, .. })
            ),
            "{}",
            m.name()
        );
        assert_eq!(
            m.forecast(&vec![None; 3 * WEEK_H], 24),
            Err(ForecastError::Empty),
            "{}",
            m.name()
        );
        // NaN and gaps everywhere but a few hours: still a finite, non-negative forecast.
        let mut y = vec![Some(f64::NAN); 3 * WEEK_H];
        y[5] = Some(10.0);
        y[400] = Some(20.0);
        let f = m.forecast(&y, 48).unwrap();
        assert!(f.iter().all(|v| v.is_finite() && *v >= 0.0), "{}", m.name());
    }
    // Gaps are never zeros: filled from the same hour of another week, then interpolated.
    let mut y: Vec<Option<f64>> = (0..2 * WEEK_H).map(|t| Some(100.0 + t as f64)).collect();
    y[3] = None;
    y[WEEK_H + 3] = None;
    y[200] = None;
    let f = fill_gaps(&y).unwrap();
    assert_eq!(f[200], 200.0 - WEEK_H as f64 + 100.0); // the same hour a week earlier
    // Hour 3 of both weeks is missing: the same hour a day later / earlier.
    assert_eq!((f[3], f[WEEK_H + 3]), (127.0, 247.0));
    assert!(f.iter().all(|v| *v > 0.0));
    assert_eq!(fill_gaps(&[None, None]), None);
}
