//! The backtest of `reference/forecast.md` §4 on the two real hourly series of
//! `fixtures/forecast/` (14-day horizon, 2 windows ending at the series end, 16 weeks of
//! training before each cut-off, 6 earlier windows to calibrate each window's bands), with every
//! hour scored (nothing masked, as the reference did). Prints the table and compares every
//! figure, rounded to 4 decimals, with `fixtures/forecast/expected_backtest.csv`; rewrite that
//! file with `OPSBENCH_BLESS=1 cargo test --release --lib forecast::bench_tests` and review the
//! diff.

use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::NaiveDateTime;

use super::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/forecast")
        .join(name)
}

/// Read `ts,value` (ts as `YYYY-MM-DD HH:MM:SS`, UTC) into an hourly series; missing hours
/// become gaps.
pub(crate) fn read_series(name: &str) -> HourlySeries {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut points: Vec<(i64, f64)> = Vec::new();
    for line in text.lines().skip(1) {
        let (ts, v) = line.split_once(',').unwrap();
        let t = NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_micros();
        points.push((t, v.trim().parse().unwrap()));
    }
    let start_us = points[0].0;
    let n = ((points.last().unwrap().0 - start_us) / HOUR_US + 1) as usize;
    let mut values = vec![None; n];
    for (t, v) in points {
        values[((t - start_us) / HOUR_US) as usize] = Some(v);
    }
    HourlySeries { start_us, values }
}

pub(crate) fn bench_config() -> ForecastConfig {
    ForecastConfig {
        horizon_days: 14,
        backtest_windows: 2,
        min_train_days: 28,
        max_train_days: 112,
        calibration_windows: 6,
    }
}

fn fmt(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{x:.4}"))
}

#[test]
fn backtest_on_the_shared_series_matches_the_expected_file() {
    let mut csv = String::from(
        "series,model,window,cutoff_us,mase,smape,dpeak_mape,dpeak_cov80,dpeak_cov95,dpeak_excess95,pinball95,chosen\n",
    );
    let mut table = String::from(
        "series       model            MASE    sMAPE  dpeak_MAPE  cov80  cov95  excess95  chosen\n",
    );
    for (series, file) in [
        ("electricity", "electricity_hourly.csv"),
        ("bikeshare", "bikeshare_hourly.csv"),
    ] {
        let s = read_series(file);
        let started = std::time::Instant::now();
        let fc = forecast_region(&Prepared::unmasked(&s), &[], &bench_config()).unwrap();
        let secs = started.elapsed().as_secs_f64();
        for r in &fc.backtest {
            writeln!(
                csv,
                "{series},{},{},{},{},{},{},{},{},{},{},{}",
                r.model,
                r.window,
                r.cutoff_us,
                fmt(r.mase),
                fmt(r.smape),
                fmt(r.dpeak_mape),
                fmt(r.dpeak_cov80),
                fmt(r.dpeak_cov95),
                fmt(r.dpeak_excess95),
                fmt(r.pinball95),
                r.chosen
            )
            .unwrap();
            writeln!(
                table,
                "{series:<12} {:<14}{} {:>7} {:>7} {:>10} {:>6} {:>6} {:>9}  {}",
                r.model,
                if r.window == 0 {
                    "  ".to_string()
                } else {
                    format!("/{}", r.window)
                },
                fmt(r.mase),
                fmt(r.smape),
                fmt(r.dpeak_mape),
                fmt(r.dpeak_cov80),
                fmt(r.dpeak_cov95),
                fmt(r.dpeak_excess95),
                r.chosen
            )
            .unwrap();
        }
        writeln!(
            table,
            "{series}: chosen `{}`, {secs:.3} s for the region\n",
            fc.model
        )
        .unwrap();
        let mase = |m: &str| {
            fc.backtest
                .iter()
                .find(|r| r.model == m && r.window == 0)
                .and_then(|r| r.mase)
                .unwrap()
        };
        assert!(
            mase(&fc.model) <= mase("seasonal_naive"),
            "{series}: chosen model worse than seasonal naive"
        );
        assert_eq!(fc.daily.len(), 14);
        assert_eq!(fc.hourly.len(), 14 * 24);
    }
    println!("{table}");
    let path = fixture("expected_backtest.csv");
    if std::env::var("OPSBENCH_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &csv).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        expected, csv,
        "the backtest changed; if intended, rerun with OPSBENCH_BLESS=1 and review the diff"
    );
}
