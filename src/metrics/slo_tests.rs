//! Hand-computed cases for `slo_metrics` and the golden test of `queries/slo_periods.sql`.

use super::*;
use crate::config::parse_instant;
use crate::metrics::periods::{PeriodKind, WeekStart, periods};
use chrono::Duration;
use proptest::prelude::*;

fn t(s: &str) -> DateTime<Utc> {
    parse_instant(s).unwrap()
}

/// One `slo` row: ts, service, region, requests, errors, p99.
type Row = (DateTime<Utc>, Name, Name, i64, i64, Option<f64>);
type Name = &'static str;

fn frame(rows: &[Row]) -> LazyFrame {
    df!(
        "ts" => rows.iter().map(|r| r.0.timestamp_micros()).collect::<Vec<_>>(),
        "service" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "region" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "requests" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "errors" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        "latency_p99_ms" => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
    )
    .unwrap()
    .lazy()
    .with_column(col("ts").cast(utc_us()))
}

/// `n` one-minute rows of `service`/`region` ending at `end`, the i-th (oldest first) with
/// `requests` and `errors(i)`.
fn minutes(
    end: DateTime<Utc>,
    n: i64,
    requests: i64,
    errors: impl Fn(i64) -> i64,
    step_min: i64,
) -> Vec<Row> {
    (0..n)
        .map(|i| {
            let ts = end - Duration::minutes((n - i) * step_min);
            (ts, "login", "eu", requests, errors(i), None)
        })
        .collect()
}

fn day_periods(from: &str, to: &str, as_of: DateTime<Utc>) -> Vec<Period> {
    periods(
        t(from),
        t(to),
        as_of,
        chrono_tz::Tz::UTC,
        WeekStart::Monday,
        true,
    )
}

/// The one row of `df` with these keys.
fn pick(df: &DataFrame, period: &str, service: &str, region: &str) -> DataFrame {
    let out = df
        .clone()
        .lazy()
        .filter(
            col("period")
                .eq(lit(period))
                .and(col("service").eq(lit(service)))
                .and(col("region").eq(lit(region))),
        )
        .collect()
        .unwrap();
    assert_eq!(out.height(), 1, "{period} {service} {region} in {df}");
    out
}

fn f(row: &DataFrame, c: &str) -> Option<f64> {
    row.column(c).unwrap().f64().unwrap().get(0)
}

fn i(row: &DataFrame, c: &str) -> i64 {
    row.column(c).unwrap().i64().unwrap().get(0).unwrap()
}

fn b(row: &DataFrame, c: &str) -> Option<bool> {
    row.column(c).unwrap().bool().unwrap().get(0)
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
}

#[test]
fn golden_slo_periods_sql() {
    let rows: Vec<Row> = vec![
        (t("2026-10-01T00:00:00Z"), "a", "eu", 100, 1, Some(150.0)),
        (t("2026-10-01T00:01:00Z"), "a", "eu", 300, 3, Some(250.0)),
        (t("2026-10-01T00:00:00Z"), "a", "us", 50, 0, None),
        (t("2026-10-02T12:00:00Z"), "a", "eu", 200, 2, Some(200.0)),
        (t("2026-10-01T06:00:00Z"), "b", "eu", 1000, 10, Some(900.0)),
        // at the end of the last period: in none
        (t("2026-10-03T00:00:00Z"), "b", "eu", 7, 7, Some(10.0)),
    ];
    let ps = day_periods(
        "2026-10-01T00:00:00Z",
        "2026-10-03T00:00:00Z",
        t("2026-10-03T00:00:00Z"),
    );
    let ps: Vec<&Period> = ps
        .iter()
        .filter(|p| matches!(p.kind, PeriodKind::Window | PeriodKind::Day))
        .collect();
    assert_eq!(ps.len(), 3);
    let periods = DataFrame::new_infer_height(period_columns(&ps).unwrap()).unwrap();
    let targets = df!(
        "service" => ["a", "b"],
        "latency_target_ms" => [Some(200.0), None],
    )
    .unwrap();
    // each row's bucket: the period boundary at or before it (a boundary every midnight)
    let slo = frame(&rows).with_column(col("ts").dt().truncate(lit("1d")).alias("bucket"));
    let out = sql::run(
        "slo_periods.sql",
        SLO_PERIODS_SQL,
        &[
            ("slo", slo),
            ("periods", periods.lazy()),
            ("slo_targets", targets.lazy()),
        ],
    )
    .unwrap()
    .collect()
    .unwrap();
    let (d1, d2, w) = ("2026-10-01", "2026-10-02", "window");
    // period, service, region, requests, errors, p99_weighted_ms (100 × 150 + 300 × 250 =
    // 90 000; 200 × 200 = 40 000), p99_requests, p99_rows, p99_rows_within (b has no latency
    // target; a's 150 and 200 are within 200, 250 is not)
    let want = [
        (d1, "a", "eu", 400, 4, 90_000.0, 400, 2, 1),
        (d1, "a", "us", 50, 0, 0.0, 0, 0, 0),
        (d1, "b", "eu", 1000, 10, 900_000.0, 1000, 0, 0),
        (d2, "a", "eu", 200, 2, 40_000.0, 200, 1, 1),
        (w, "a", "eu", 600, 6, 130_000.0, 600, 3, 2),
        (w, "a", "us", 50, 0, 0.0, 0, 0, 0),
        (w, "b", "eu", 1000, 10, 900_000.0, 1000, 0, 0),
    ];
    let span = |p: &str| match p {
        "2026-10-01" => ps[1],
        "2026-10-02" => ps[2],
        _ => ps[0],
    };
    let mut cols = period_columns(&want.iter().map(|r| span(r.0)).collect::<Vec<_>>()).unwrap();
    let str_col = |name: &str, v: Vec<&str>| Column::new(name.into(), v);
    let int_col = |name: &str, v: Vec<i64>| Column::new(name.into(), v);
    cols.extend([
        str_col("service", want.iter().map(|r| r.1).collect()),
        str_col("region", want.iter().map(|r| r.2).collect()),
        int_col("requests", want.iter().map(|r| r.3).collect()),
        int_col("errors", want.iter().map(|r| r.4).collect()),
        Column::new(
            "p99_weighted_ms".into(),
            want.iter().map(|r| r.5).collect::<Vec<f64>>(),
        ),
        int_col("p99_requests", want.iter().map(|r| r.6).collect()),
        int_col("p99_rows", want.iter().map(|r| r.7).collect()),
        int_col("p99_rows_within", want.iter().map(|r| r.8).collect()),
    ]);
    let expected = DataFrame::new_infer_height(cols).unwrap();
    out.schema_equal(&expected).unwrap();
    assert!(out.equals_missing(&expected), "{out}\n{expected}");
}

#[test]
fn bucketing_changes_no_period_sum() {
    // a window that starts and ends off midnight, Berlin days with the 25-hour DST day
    let as_of = t("2026-10-27T15:30:12Z");
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let ps = periods(
        t("2026-10-20T06:17:00Z"),
        t("2026-10-28T00:00:00Z"),
        as_of,
        tz,
        WeekStart::Monday,
        true,
    );
    let refs: Vec<&Period> = ps.iter().collect();
    let data = synthetic(100_000, t("2026-10-28T00:00:00Z"), 3).lazy();
    let rows = canonical_rows(data, as_of).unwrap();
    let targets = targets(&rows, &SloKnobs::default()).unwrap();
    let run = |slo: LazyFrame| {
        let periods = DataFrame::new_infer_height(period_columns(&refs).unwrap()).unwrap();
        sql::run(
            "slo_periods.sql",
            SLO_PERIODS_SQL,
            &[
                ("slo", slo),
                ("periods", periods.lazy()),
                ("slo_targets", targets.clone()),
            ],
        )
        .unwrap()
        .collect()
        .unwrap()
    };
    let fast = run(bucketed(rows.clone(), &refs).unwrap());
    let plain = run(rows.with_column(col("ts").alias("bucket")));
    assert!(fast.height() > 8 * 10, "{fast}");
    assert!(fast.equals_missing(&plain), "{fast}\n{plain}");
}

#[test]
fn availability_error_budget_and_burn_rate_by_hand() {
    // 10 × 1 000 requests, 2 errors each: 10 000 requests, 20 errors, target 99.9 %
    let as_of = t("2026-10-01T12:00:00Z");
    let rows = minutes(as_of, 10, 1000, |_| 2, 1);
    let ps = day_periods("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", as_of);
    let df = slo_metrics(frame(&rows), &ps, as_of, &SloKnobs::default()).unwrap();
    for period in ["window", "2026-10", "2026-W40", "2026-10-01", "slo_window"] {
        let r = pick(&df, period, "login", "eu");
        assert_eq!((i(&r, "requests"), i(&r, "errors")), (10_000, 20));
        assert!(close(f(&r, "availability"), 0.998), "{r}");
        assert!(close(f(&r, "slo_target"), 0.999), "{r}");
        // allowed bad = 0.1 % × 10 000 = 10; 20 spent: 1 − 20 / 10 = −1, burn 2
        assert!(close(f(&r, "error_budget_remaining"), -1.0), "{r}");
        assert!(close(f(&r, "burn_rate"), 2.0), "{r}");
    }
    // the columns of the slo window are empty on period rows
    let r = pick(&df, "2026-10-01", "login", "eu");
    assert_eq!(f(&r, "burn_rate_1h"), None);
    assert_eq!(b(&r, "fast_burn_alert"), None);
    let w = pick(&df, "slo_window", "login", "eu");
    assert_eq!(
        w.column("period_start").unwrap().get(0).unwrap(),
        AnyValue::Datetime(
            (as_of - Duration::days(28)).timestamp_micros(),
            TimeUnit::Microseconds,
            Some(&TimeZone::UTC)
        )
    );
    // kind order: window, month, week, day, slo_window; `*` first
    let kinds: Vec<&str> = df
        .column("period_kind")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(kinds.first(), Some(&"window"));
    assert_eq!(kinds.last(), Some(&"slo_window"));
    assert_eq!(df.height(), 5 * 3);
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, COLUMNS.to_vec());
}

/// 6 hours of one-minute rows of 1 000 requests ending at `as_of`; the last hour's errors given.
fn six_hours(last_hour: impl Fn(i64) -> i64) -> Vec<Row> {
    minutes(
        t("2026-10-01T12:00:00Z"),
        360,
        1000,
        |i| if i < 300 { 0 } else { last_hour(i - 300) },
        1,
    )
}

#[test]
fn fast_burn_fires_on_1h_and_5min_and_not_once_the_errors_stopped() {
    let as_of = t("2026-10-01T12:00:00Z");
    // last hour: minutes 0–4 clean, 5–54 16 errors, 55–59 20 errors: 900 errors of 60 000
    // requests = 1.5 % = burn 15 over 1 h; 100 of 5 000 = burn 20 over 5 min;
    // 900 of 360 000 = burn 2.5 over 6 h (so only the 1 h / 5 min pair can fire)
    let firing = six_hours(|m| match m {
        0..=4 => 0,
        5..=54 => 16,
        _ => 20,
    });
    let df = slo_metrics(frame(&firing), &[], as_of, &SloKnobs::default()).unwrap();
    let w = pick(&df, "slo_window", "login", "eu");
    assert!(close(f(&w, "burn_rate_1h"), 15.0), "{w}");
    assert!(close(f(&w, "burn_rate_6h"), 2.5), "{w}");
    assert_eq!(b(&w, "fast_burn_alert"), Some(true));
    assert_eq!(f(&w, "data_lag_min"), Some(0.0));
    // the error stopped: still 900 errors in the hour (minute 0 has 31, 1–54 16), but the
    // last 5 minutes have 1 each: burn 1 over 5 min
    let stopped = six_hours(|m| match m {
        0 => 31,
        1..=54 => 16,
        _ => 1,
    });
    let df = slo_metrics(frame(&stopped), &[], as_of, &SloKnobs::default()).unwrap();
    let w = pick(&df, "slo_window", "login", "eu");
    assert!(close(f(&w, "burn_rate_1h"), 15.0), "{w}");
    assert_eq!(b(&w, "fast_burn_alert"), Some(false));
}

#[test]
fn fast_burn_fires_on_6h_and_30min() {
    // every minute 0.7 % errors: burn 7 over every window
    let as_of = t("2026-10-01T12:00:00Z");
    let rows = minutes(as_of, 360, 1000, |_| 7, 1);
    let df = slo_metrics(frame(&rows), &[], as_of, &SloKnobs::default()).unwrap();
    let w = pick(&df, "slo_window", "login", "eu");
    assert!(close(f(&w, "burn_rate_6h"), 7.0), "{w}");
    assert_eq!(b(&w, "fast_burn_alert"), Some(true));
    assert_eq!(b(&w, "slow_burn_alert"), Some(true));
}

#[test]
fn slow_burn_over_3_days_and_6_hours() {
    // hourly rows over 4 days of 2 000 requests; the first day 200 errors (burn 100), then
    // 3 errors (0.15 %, burn 1.5): the 3-day window holds only the last 72 rows
    let as_of = t("2026-10-05T00:00:00Z");
    let k = SloKnobs {
        interval_min: 60,
        ..SloKnobs::default()
    };
    let rows = minutes(as_of, 96, 2000, |i| if i < 24 { 200 } else { 3 }, 60);
    let df = slo_metrics(frame(&rows), &[], as_of, &k).unwrap();
    let w = pick(&df, "slo_window", "login", "eu");
    assert!(close(f(&w, "burn_rate_6h"), 1.5), "{w}");
    assert!(close(f(&w, "burn_rate_1h"), 1.5), "{w}");
    assert_eq!(b(&w, "slow_burn_alert"), Some(true));
    assert_eq!(b(&w, "fast_burn_alert"), Some(false));
    // the last 6 hours are clean: the 3-day burn is still ≥ 1 (198 / 144), the 6 h one is 0
    let rows = minutes(
        as_of,
        96,
        2000,
        |i| match i {
            0..=23 => 200,
            90.. => 0,
            _ => 3,
        },
        60,
    );
    let df = slo_metrics(frame(&rows), &[], as_of, &k).unwrap();
    let w = pick(&df, "slo_window", "login", "eu");
    assert_eq!(f(&w, "burn_rate_6h"), Some(0.0));
    assert_eq!(b(&w, "slow_burn_alert"), Some(false));
}

#[test]
fn data_lag_is_as_of_minus_the_end_of_the_newest_row() {
    let as_of = t("2026-10-01T12:00:00Z");
    // the newest row starts 30 min before as_of; one-minute rows: it ended 29 min before
    let rows = minutes(as_of - Duration::minutes(29), 10, 100, |_| 0, 1);
    assert_eq!(rows.last().unwrap().0, as_of - Duration::minutes(30));
    let df = slo_metrics(frame(&rows), &[], as_of, &SloKnobs::default()).unwrap();
    assert_eq!(
        f(&pick(&df, "slo_window", "login", "eu"), "data_lag_min"),
        Some(29.0)
    );
    let k = SloKnobs {
        interval_min: 5,
        ..SloKnobs::default()
    };
    let df = slo_metrics(frame(&rows), &[], as_of, &k).unwrap();
    let w = pick(&df, "slo_window", "login", "eu");
    assert_eq!(f(&w, "data_lag_min"), Some(25.0));
    // no traffic in the last hour before the anchor is a burn of 0, not a missing one
    assert_eq!(f(&w, "burn_rate_1h"), Some(0.0));
}

#[test]
fn rows_at_or_after_as_of_are_ignored() {
    let as_of = t("2026-10-01T12:00:00Z");
    let mut rows = minutes(as_of, 10, 100, |_| 1, 1);
    rows.push((as_of, "login", "eu", 100, 100, None));
    rows.push((as_of + Duration::hours(1), "late", "eu", 100, 100, None));
    let ps = day_periods("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", as_of);
    let df = slo_metrics(frame(&rows), &ps, as_of, &SloKnobs::default()).unwrap();
    for period in ["window", "2026-10-01", "slo_window"] {
        assert_eq!(i(&pick(&df, period, "login", "eu"), "errors"), 10);
    }
    let services = df.column("service").unwrap().str().unwrap().clone();
    assert!(services.iter().all(|s| s != Some("late")));
}

#[test]
fn no_latency_target_gives_no_attainment_and_no_requests_no_availability() {
    let as_of = t("2026-10-01T12:00:00Z");
    let mut k = SloKnobs::default();
    k.per_service.insert(
        "store".into(),
        SloTarget {
            latency_ms: Some(300.0),
            ..SloTarget::default()
        },
    );
    let at = |m: u32| t(&format!("2026-10-01T10:{m:02}:00Z"));
    let rows: Vec<Row> = vec![
        (at(0), "login", "eu", 100, 1, Some(500.0)),
        (at(0), "store", "eu", 100, 0, Some(200.0)),
        (at(1), "store", "eu", 300, 0, Some(400.0)),
        (at(2), "store", "eu", 0, 0, Some(900.0)),
        (at(0), "idle", "eu", 0, 0, None),
    ];
    let ps = day_periods("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", as_of);
    let df = slo_metrics(frame(&rows), &ps, as_of, &k).unwrap();
    for period in ["2026-10-01", "slo_window"] {
        let login = pick(&df, period, "login", "eu");
        assert_eq!(f(&login, "latency_slo_attainment"), None);
        assert_eq!(f(&login, "latency_p99_ms"), Some(500.0));
        // store: (100 × 200 + 300 × 400 + 0 × 900) / 400 = 350; 1 of 3 rows within 300
        let store = pick(&df, period, "store", "eu");
        assert!(close(f(&store, "latency_p99_ms"), 350.0), "{store}");
        assert!(close(f(&store, "latency_slo_attainment"), 1.0 / 3.0));
        let idle = pick(&df, period, "idle", "eu");
        assert_eq!(i(&idle, "requests"), 0);
        for c in [
            "availability",
            "error_budget_remaining",
            "burn_rate",
            "latency_p99_ms",
            "latency_slo_attainment",
            "burn_rate_1h",
        ] {
            assert_eq!(f(&idle, c), None, "{c}");
        }
        // over services, attainment counts the rows of services with a latency target only
        let all = pick(&df, period, "*", "*");
        assert!(close(f(&all, "latency_slo_attainment"), 1.0 / 3.0));
    }
    let idle = pick(&df, "slo_window", "idle", "eu");
    assert_eq!(b(&idle, "fast_burn_alert"), Some(false));
    assert_eq!(b(&idle, "slow_burn_alert"), Some(false));
}

#[test]
fn roll_ups_are_ratios_of_sums() {
    let as_of = t("2026-10-01T12:00:00Z");
    let mut k = SloKnobs::default();
    k.per_service.insert(
        "store".into(),
        SloTarget {
            availability: 0.99,
            ..SloTarget::default()
        },
    );
    let rows: Vec<Row> = vec![
        // login: eu 1 000 requests, 10 errors (99 %); us 9 000, none (100 %)
        (
            t("2026-10-01T10:00:00Z"),
            "login",
            "eu",
            1000,
            10,
            Some(100.0),
        ),
        (
            t("2026-10-01T10:00:00Z"),
            "login",
            "us",
            9000,
            0,
            Some(200.0),
        ),
        // store: 1 000 requests, 10 errors, target 99 %
        (t("2026-10-01T10:00:00Z"), "store", "eu", 1000, 10, None),
    ];
    let ps = day_periods("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", as_of);
    let df = slo_metrics(frame(&rows), &ps, as_of, &k).unwrap();
    for period in ["window", "2026-10-01", "slo_window"] {
        let login = pick(&df, period, "login", "*");
        assert_eq!((i(&login, "requests"), i(&login, "errors")), (10_000, 10));
        // 1 − 10 / 10 000, not the mean of 0.99 and 1.0
        assert!(close(f(&login, "availability"), 0.999), "{login}");
        assert!(close(f(&login, "burn_rate"), 1.0), "{login}");
        assert!(close(f(&login, "slo_target"), 0.999), "{login}");
        // (1 000 × 100 + 9 000 × 200) / 10 000
        assert!(close(f(&login, "latency_p99_ms"), 190.0), "{login}");
        // all: 11 000 requests, 20 errors; allowed 10 (login) + 10 (store) = 20: burn 1
        let all = pick(&df, period, "*", "*");
        assert_eq!((i(&all, "requests"), i(&all, "errors")), (11_000, 20));
        assert!(close(f(&all, "availability"), 1.0 - 20.0 / 11_000.0));
        assert!(close(f(&all, "burn_rate"), 1.0), "{all}");
        assert!(close(f(&all, "error_budget_remaining"), 0.0), "{all}");
        assert!(close(f(&all, "slo_target"), 1.0 - 20.0 / 11_000.0), "{all}");
        let store = pick(&df, period, "store", "*");
        assert!(close(f(&store, "slo_target"), 0.99));
    }
}

#[test]
fn a_bad_target_is_a_config_error() {
    let mut k = SloKnobs::default();
    k.default_target.availability = 1.0;
    let err = slo_metrics(frame(&[]), &[], t("2026-10-01T00:00:00Z"), &k).unwrap_err();
    assert!(err.to_string().contains("default.availability"), "{err}");
}

/// `n` synthetic rows: 4 services × 2 regions of one-minute rows ending at `end`, with every
/// fourth p99 missing (for the timing run and the property test).
pub(super) fn synthetic(n: usize, end: DateTime<Utc>, seed: u64) -> DataFrame {
    let services = ["login", "match", "store", "chat"];
    let regions = ["eu", "us"];
    let combos = services.len() * regions.len();
    let minutes = n.div_ceil(combos) as i64;
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let end_us = end.timestamp_micros();
    let rows: Vec<Row> = (0..n)
        .map(|k| {
            let (m, c) = ((k / combos) as i64, k % combos);
            let ts = end_us - (minutes - m) * MINUTE_US;
            let r = (next() % 2000) as i64;
            let e = match r {
                0 => 0,
                _ => (next() % 10 == 0) as i64 * (next() as i64 % r).abs(),
            };
            let p99 = (next() % 4 != 0).then(|| (50 + next() % 400) as f64);
            let ts = DateTime::from_timestamp_micros(ts).unwrap();
            (
                ts,
                services[c / regions.len()],
                regions[c % regions.len()],
                r,
                e,
                p99,
            )
        })
        .collect();
    frame(&rows).collect().unwrap()
}

/// The measured run the module doc's figure comes from: `cargo test --release --lib
/// metrics::slo -- --ignored --nocapture`. Prints the time; asserts nothing about it.
#[test]
#[ignore]
fn one_million_rows_timing() {
    let as_of = t("2026-10-01T00:00:00Z");
    let df = synthetic(1_000_000, as_of, 7);
    let ps = day_periods("2026-07-03T00:00:00Z", "2026-10-01T00:00:00Z", as_of);
    let store = SloTarget {
        latency_ms: Some(300.0),
        availability: 0.995,
        window_days: 7,
    };
    let mut k = SloKnobs::default();
    k.per_service.insert("store".into(), store);
    for run in 0..3 {
        let start = std::time::Instant::now();
        let out = slo_metrics(df.clone().lazy(), &ps, as_of, &k).unwrap();
        eprintln!(
            "run {run}: {} rows in, {} periods, {} rows out in {:?}",
            df.height(),
            ps.len(),
            out.height(),
            start.elapsed()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn availability_is_a_share_and_row_order_does_not_matter(
        seed in 0u64..1_000_000,
        n in 1usize..300,
        swaps in proptest::collection::vec((0usize..300, 0usize..300), 0..200),
    ) {
        let as_of = t("2026-10-03T00:00:00Z");
        let df = synthetic(n, as_of, seed);
        let mut order: Vec<u32> = (0..n as u32).rev().collect();
        for (a, b) in swaps {
            order.swap(a % n, b % n);
        }
        let shuffled = df.take(&IdxCa::from_vec("i".into(), order)).unwrap();
        let ps = day_periods("2026-10-01T00:00:00Z", "2026-10-03T00:00:00Z", as_of);
        let mut k = SloKnobs::default();
        k.per_service.insert("chat".into(), SloTarget { availability: 0.99, latency_ms: Some(200.0), window_days: 1 });
        let a = slo_metrics(df.lazy(), &ps, as_of, &k).unwrap();
        let b = slo_metrics(shuffled.lazy(), &ps, as_of, &k).unwrap();
        let avail = a.column("availability").unwrap().f64().unwrap();
        prop_assert!(avail.iter().flatten().all(|v| (0.0..=1.0).contains(&v)));
        prop_assert_eq!(avail.is_nan().sum(), Some(0));
        prop_assert_eq!(a.shape(), b.shape());
        for (x, y) in a.columns().iter().zip(b.columns()) {
            if x.dtype() == &DataType::Float64 {
                let (x, y) = (x.f64().unwrap(), y.f64().unwrap());
                for (p, q) in x.iter().zip(y.iter()) {
                    match (p, q) {
                        (Some(p), Some(q)) => prop_assert!((p - q).abs() <= 1e-9 * p.abs().max(1.0), "{} {p} {q}", x.name()),
                        (p, q) => prop_assert_eq!(p, q),
                    }
                }
            } else {
                prop_assert!(x.equals_missing(y), "{}", x.name());
            }
        }
    }
}
