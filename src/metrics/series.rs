//! The hourly peak-CCU series per region that the capacity forecast is fitted on.
//!
//! **Definition.** CCU is summed over shards at each sample time (`ts`), per region; the
//! global series (region `*`) sums every region at each sample time. The hourly peak is the
//! largest of those sums within the UTC hour. An hour with no sample is a gap (`None`), never
//! a zero. Only complete hours count: an hour is in the series when it ends at or before
//! `as_of`, and it starts at or after `since` (so the scan reads only the history the forecast
//! needs). Each series runs from its first sampled hour to the last complete hour before
//! `as_of`, so a region whose samples stop early ends in a run of gaps the forecast reports.
//!
//! It walks the per-region sorted samples ([`CcuSamples`]); it must not fill gaps or mask outliers: that is
//! `forecast::prepare`'s job, which reports what it masked.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::samples::CcuSamples;
use crate::error::{PolarsContext, Result};

/// µs in one hour.
pub const HOUR_US: i64 = 3_600_000_000;

/// One region's hourly peaks: the UTC start of the first hour (µs) and one value per hour.
#[derive(Clone, Debug, PartialEq)]
pub struct HourlyPeaks {
    pub start_us: i64,
    pub values: Vec<Option<f64>>,
}

/// The last complete hour's end at or before `as_of` (µs, a multiple of one hour).
pub fn series_end_us(as_of: DateTime<Utc>) -> i64 {
    as_of.timestamp_micros().div_euclid(HOUR_US) * HOUR_US
}

/// Hourly peak CCU per region and for `*` (all regions), from a frame with the canonical `ccu`
/// columns, over the complete hours in `[since_us, as_of)`.
pub fn hourly_peaks(
    ccu: LazyFrame,
    since_us: i64,
    as_of: DateTime<Utc>,
) -> Result<BTreeMap<String, HourlyPeaks>> {
    Ok(hourly_peaks_of(
        &CcuSamples::from_frame(ccu)?,
        since_us,
        as_of,
    ))
}

/// [`hourly_peaks`] of samples already summed over shards.
pub fn hourly_peaks_of(
    samples: &CcuSamples,
    since_us: i64,
    as_of: DateTime<Utc>,
) -> BTreeMap<String, HourlyPeaks> {
    let end_us = series_end_us(as_of);
    let mut out: BTreeMap<String, HourlyPeaks> = BTreeMap::new();
    let mut push = |region: &str, points: &mut dyn Iterator<Item = (i64, i64)>| {
        let mut series: Option<HourlyPeaks> = None;
        for (ts, ccu) in points {
            let hour = ts - ts.rem_euclid(HOUR_US);
            let s = series.get_or_insert(HourlyPeaks {
                start_us: hour,
                values: Vec::new(),
            });
            let idx = ((hour - s.start_us) / HOUR_US) as usize;
            if s.values.len() <= idx {
                s.values.resize(idx + 1, None);
            }
            let v = &mut s.values[idx];
            *v = Some(v.map_or(ccu as f64, |p: f64| p.max(ccu as f64)));
        }
        if let Some(mut s) = series {
            let len = ((end_us - s.start_us) / HOUR_US).max(0) as usize;
            if s.values.len() < len {
                s.values.resize(len, None);
            }
            out.insert(region.to_string(), s);
        }
    };
    for (region, s) in &samples.by_region {
        let r = s.range(since_us, end_us);
        push(
            region,
            &mut s.ts_us[r.clone()]
                .iter()
                .copied()
                .zip(s.ccu[r].iter().copied()),
        );
    }
    let global = samples.global(since_us, end_us);
    push("*", &mut global.into_iter());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn ccu_frame(rows: &[(&str, &str, i64, &str)]) -> LazyFrame {
        let ts: Vec<i64> = rows
            .iter()
            .map(|r| {
                DateTime::parse_from_rfc3339(r.0)
                    .expect("test timestamp")
                    .timestamp_micros()
            })
            .collect();
        let df = df!(
            "ts" => ts,
            "region" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "ccu" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "shard" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        )
        .expect("frame");
        df.lazy().with_column(col("ts").cast(DataType::Datetime(
            TimeUnit::Microseconds,
            Some(polars::prelude::TimeZone::UTC),
        )))
    }

    #[test]
    fn peaks_sum_shards_then_take_the_hourly_max_and_keep_gaps() {
        let lf = ccu_frame(&[
            ("2026-01-01T00:00:00Z", "eu", 10, "a"),
            ("2026-01-01T00:00:00Z", "eu", 5, "b"),
            ("2026-01-01T00:30:00Z", "eu", 12, "a"),
            ("2026-01-01T00:30:00Z", "na", 7, "a"),
            // 01:00 hour has no sample: a gap
            ("2026-01-01T02:10:00Z", "eu", 4, "a"),
            // the hour 03:00 is incomplete at as_of 03:30: left out
            ("2026-01-01T03:05:00Z", "eu", 99, "a"),
        ]);
        let as_of = Utc.with_ymd_and_hms(2026, 1, 1, 3, 30, 0).unwrap();
        let got = hourly_peaks(lf, 0, as_of).unwrap();
        let start = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp_micros();
        // eu at 00:00 is 10+5 = 15, at 00:30 is 12: peak 15
        assert_eq!(
            got["eu"],
            HourlyPeaks {
                start_us: start,
                values: vec![Some(15.0), None, Some(4.0)]
            }
        );
        // na's series starts at its first sample and runs to the last complete hour
        assert_eq!(got["na"].values, vec![Some(7.0), None, None]);
        // global: 00:00 = 15, 00:30 = 12 + 7 = 19: peak 19
        assert_eq!(got["*"].values, vec![Some(19.0), None, Some(4.0)]);
    }

    #[test]
    fn since_cuts_the_scan() {
        let lf = ccu_frame(&[
            ("2026-01-01T00:00:00Z", "eu", 10, "a"),
            ("2026-01-01T01:00:00Z", "eu", 11, "a"),
        ]);
        let as_of = Utc.with_ymd_and_hms(2026, 1, 1, 2, 0, 0).unwrap();
        let since = Utc
            .with_ymd_and_hms(2026, 1, 1, 1, 0, 0)
            .unwrap()
            .timestamp_micros();
        let got = hourly_peaks(lf, since, as_of).unwrap();
        assert_eq!(got["eu"].start_us, since);
        assert_eq!(got["eu"].values, vec![Some(11.0)]);
    }
}

/// Per UTC day and region (and `*`, all regions), the peak CCU (summed over shards at each
/// sample time; for `*`, the peak of the sum over regions, never a sum of peaks) and the CCU
/// integral in player-hours: each sample holds until the region's next one, at most
/// `max_gap_min` minutes, and counts in the day it was taken. Samples in `[since_us, as_of)`.
/// Columns `date` (Date), `region`, `peak_ccu` (Int64), `player_hours` (Float64).
pub fn ccu_days(
    ccu: LazyFrame,
    since_us: i64,
    as_of: DateTime<Utc>,
    max_gap_min: i64,
) -> Result<DataFrame> {
    ccu_days_of(&CcuSamples::from_frame(ccu)?, since_us, as_of, max_gap_min)
}

/// [`ccu_days`] of samples already summed over shards.
pub fn ccu_days_of(
    samples: &CcuSamples,
    since_us: i64,
    as_of: DateTime<Utc>,
    max_gap_min: i64,
) -> Result<DataFrame> {
    const DAY_US: i64 = 86_400_000_000;
    let cap_us = max_gap_min * 60_000_000;
    let as_of_us = as_of.timestamp_micros();
    let day_of = |ts: i64| ts.div_euclid(DAY_US) as i32;
    // (date, region) -> (peak, player-hours); regions in text order, "*" first
    let mut rows: BTreeMap<(i32, String), (i64, f64)> = BTreeMap::new();
    let mut global_ph: BTreeMap<i32, f64> = BTreeMap::new();
    for (region, s) in &samples.by_region {
        let r = s.range(since_us, as_of_us);
        // samples are in time order, so one day's run is contiguous: accumulate it in place
        let mut day_rows: Vec<(i32, (i64, f64))> = Vec::new();
        for i in r.clone() {
            let ts = s.ts_us[i];
            let next = if i + 1 < r.end {
                s.ts_us[i + 1]
            } else {
                as_of_us
            };
            let hold_end = next.min(ts + cap_us).min(as_of_us);
            let hold_h = (hold_end - ts) as f64 / 3_600_000_000.0;
            let day = day_of(ts);
            if day_rows.last().is_none_or(|(d, _)| *d != day) {
                day_rows.push((day, (i64::MIN, 0.0)));
            }
            if let Some((_, e)) = day_rows.last_mut() {
                e.0 = e.0.max(s.ccu[i]);
                e.1 += s.ccu[i] as f64 * hold_h;
            }
        }
        for (day, v) in day_rows {
            *global_ph.entry(day).or_insert(0.0) += v.1;
            rows.insert((day, region.clone()), v);
        }
    }
    let mut global_peak: Vec<(i32, i64)> = Vec::new();
    for (ts, ccu) in samples.global(since_us, as_of_us) {
        let day = day_of(ts);
        match global_peak.last_mut() {
            Some((d, peak)) if *d == day => *peak = (*peak).max(ccu),
            _ => global_peak.push((day, ccu)),
        }
    }
    for (day, peak) in global_peak {
        rows.insert(
            (day, "*".to_string()),
            (peak, global_ph.get(&day).copied().unwrap_or(0.0)),
        );
    }
    let n = rows.len();
    let (mut dates, mut regions, mut peaks, mut hours) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for ((day, region), (peak, ph)) in rows {
        dates.push(day);
        regions.push(region);
        peaks.push(peak);
        hours.push(ph);
    }
    DataFrame::new_infer_height(vec![
        Series::new("date".into(), dates)
            .cast(&DataType::Date)
            .ctx(|| "daily ccu dates".into())?
            .into(),
        Series::new("region".into(), regions).into(),
        Series::new("peak_ccu".into(), peaks).into(),
        Series::new("player_hours".into(), hours).into(),
    ])
    .ctx(|| "daily peak ccu and player-hours".into())
}

#[cfg(test)]
mod day_tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn daily_peak_and_player_hours_by_hand() {
        let t = |h: u32, m: u32| {
            Utc.with_ymd_and_hms(2026, 1, 1, h, m, 0)
                .unwrap()
                .timestamp_micros()
        };
        let df = df!(
            "ts" => [t(0, 0), t(0, 0), t(0, 10), t(0, 0), t(1, 0)],
            "region" => ["eu", "eu", "eu", "na", "na"],
            "ccu" => [60i64, 60, 30, 60, 120],
            "shard" => ["a", "b", "a", "a", "a"],
        )
        .unwrap()
        .lazy()
        .with_column(col("ts").cast(DataType::Datetime(
            TimeUnit::Microseconds,
            Some(polars::prelude::TimeZone::UTC),
        )));
        let as_of = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        let got = ccu_days(df, 0, as_of, 15).unwrap();
        let regions = crate::metrics::columns::texts(&got, "region").unwrap();
        let ph = crate::metrics::columns::reals(&got, "player_hours").unwrap();
        let peak = got.column("peak_ccu").unwrap().i64().unwrap().clone();
        // "*" first: peak of the sum at 00:00 = 120 + 60 = 180; player-hours summed below
        assert_eq!(
            regions,
            [Some("*".into()), Some("eu".into()), Some("na".into())]
        );
        // eu: 120 for 10 min (the next sample) + 30 for 15 min (cap) = 20 + 7.5 = 27.5
        // na: 60 for 15 min (cap; next is an hour later) + 120 for 15 min = 15 + 30 = 45
        assert_eq!(ph, [Some(72.5), Some(27.5), Some(45.0)]);
        assert_eq!(peak.get(0), Some(180));
        assert_eq!(peak.get(1), Some(120));
        assert_eq!(peak.get(2), Some(120));
    }
}
