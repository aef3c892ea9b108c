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
//! It computes in polars (one grouped scan); it must not fill gaps or mask outliers: that is
//! `forecast::prepare`'s job, which reports what it masked.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use polars::prelude::*;

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
    let end_us = series_end_us(as_of);
    let per_ts = ccu
        .select([
            col("region"),
            col("ts").dt().timestamp(TimeUnit::Microseconds).alias("ts"),
            col("ccu").cast(DataType::Int64),
        ])
        .filter(
            col("ts")
                .gt_eq(lit(since_us))
                .and(col("ts").lt(lit(end_us))),
        )
        .group_by([col("region"), col("ts")])
        .agg([col("ccu").sum()]);
    let hour = (col("ts") - col("ts") % lit(HOUR_US)).alias("hour");
    let regional = per_ts
        .clone()
        .group_by([col("region"), hour.clone()])
        .agg([col("ccu").max()]);
    let global = per_ts
        .group_by([col("ts")])
        .agg([col("ccu").sum()])
        .group_by([hour])
        .agg([col("ccu").max()])
        .select([lit("*").alias("region"), col("hour"), col("ccu")]);
    let df = concat([regional, global], UnionArgs::default())
        .ctx(|| "hourly peak ccu".into())?
        .sort(["region", "hour"], SortMultipleOptions::default())
        .collect()
        .ctx(|| "hourly peak ccu per region".into())?;
    let regions = df.column("region").and_then(|c| c.str().cloned());
    let hours = df.column("hour").and_then(|c| c.i64().cloned());
    let peaks = df.column("ccu").and_then(|c| c.i64().cloned());
    let (regions, hours, peaks) = (
        regions.ctx(|| "hourly peak regions".into())?,
        hours.ctx(|| "hourly peak hours".into())?,
        peaks.ctx(|| "hourly peak values".into())?,
    );
    let mut out: BTreeMap<String, HourlyPeaks> = BTreeMap::new();
    for ((region, hour), peak) in regions.iter().zip(hours.iter()).zip(peaks.iter()) {
        let (Some(region), Some(hour), Some(peak)) = (region, hour, peak) else {
            continue;
        };
        let series = out.entry(region.to_string()).or_insert(HourlyPeaks {
            start_us: hour,
            values: Vec::new(),
        });
        let idx = ((hour - series.start_us) / HOUR_US) as usize;
        if series.values.len() <= idx {
            series.values.resize(idx + 1, None);
        }
        series.values[idx] = Some(peak as f64);
    }
    for series in out.values_mut() {
        let len = ((end_us - series.start_us) / HOUR_US).max(0) as usize;
        if series.values.len() < len {
            series.values.resize(len, None);
        }
    }
    Ok(out)
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
    let cap_us = max_gap_min * 60_000_000;
    let as_of_us = as_of.timestamp_micros();
    let per_ts = ccu
        .select([
            col("region"),
            col("ts").dt().timestamp(TimeUnit::Microseconds).alias("ts"),
            col("ccu").cast(DataType::Int64),
        ])
        .filter(
            col("ts")
                .gt_eq(lit(since_us))
                .and(col("ts").lt(lit(as_of_us))),
        )
        .group_by([col("region"), col("ts")])
        .agg([col("ccu").sum()])
        .sort(["region", "ts"], SortMultipleOptions::default());
    let next = col("ts")
        .shift(lit(-1))
        .over([col("region")])
        .ctx(|| "the next ccu sample".into())?;
    let hold_end = polars::lazy::dsl::min_horizontal([
        next.fill_null(lit(as_of_us)),
        col("ts") + lit(cap_us),
        lit(as_of_us),
    ])
    .ctx(|| "ccu holding time".into())?;
    let day = (col("ts") / lit(86_400_000_000i64))
        .cast(DataType::Int32)
        .cast(DataType::Date);
    let regional = per_ts
        .clone()
        .with_column(
            ((hold_end - col("ts")).cast(DataType::Float64) / lit(3_600_000_000.0)).alias("hold_h"),
        )
        .group_by([day.clone().alias("date"), col("region")])
        .agg([
            col("ccu").max().alias("peak_ccu"),
            (col("ccu").cast(DataType::Float64) * col("hold_h"))
                .sum()
                .alias("player_hours"),
        ]);
    let global_peak = per_ts
        .group_by([col("ts")])
        .agg([col("ccu").sum()])
        .group_by([day.alias("date")])
        .agg([col("ccu").max().alias("peak_ccu")]);
    let global_ph = regional
        .clone()
        .group_by([col("date")])
        .agg([col("player_hours").sum()]);
    let global = global_peak
        .join(
            global_ph,
            [col("date")],
            [col("date")],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("date"),
            lit("*").alias("region"),
            col("peak_ccu"),
            col("player_hours"),
        ]);
    concat([regional, global], UnionArgs::default())
        .ctx(|| "daily ccu".into())?
        .sort(["date", "region"], SortMultipleOptions::default())
        .collect()
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
