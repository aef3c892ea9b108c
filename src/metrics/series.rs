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
