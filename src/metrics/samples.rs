//! The CCU as the metric stages read it: summed over shards per (region, sample time), held per
//! region as two sorted vectors (sample time in µs, CCU). The impact, cost and forecast stages
//! all start from this one value, built once per command from the lake's materialised per-day
//! sums (`lake::daily`), or from any frame with the canonical `ccu` columns
//! ([`CcuSamples::from_frame`], which the tests use).
//!
//! Holding samples sorted per region is what lets the stages walk them in plain loops (a
//! binary search to an interval's first sample, then a linear walk) instead of re-grouping and
//! re-sorting millions of rows by a text column in every stage. Pure: no I/O, no clock.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::error::{PolarsContext, Result};

/// One region's samples: `ts_us` strictly increasing, `ccu[i]` the sum over shards at `ts_us[i]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegionSamples {
    pub ts_us: Vec<i64>,
    pub ccu: Vec<i64>,
}

impl RegionSamples {
    /// The index range of the samples with `from_us <= ts < to_us`.
    pub fn range(&self, from_us: i64, to_us: i64) -> std::ops::Range<usize> {
        let lo = self.ts_us.partition_point(|t| *t < from_us);
        let hi = self.ts_us.partition_point(|t| *t < to_us).max(lo);
        lo..hi
    }
}

/// The CCU summed over shards per sample, per region (regions in text order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CcuSamples {
    pub by_region: BTreeMap<String, RegionSamples>,
}

impl CcuSamples {
    /// From any frame with the canonical `ccu` columns (`ts`, `region`, `ccu`; `shard` and
    /// other columns are summed over). Rows with a null in one of the three are left out.
    pub fn from_frame(ccu: LazyFrame) -> Result<CcuSamples> {
        let df = ccu
            .select([
                col("region"),
                col("ts").dt().timestamp(TimeUnit::Microseconds).alias("ts"),
                col("ccu").cast(DataType::Int64),
            ])
            .drop_nulls(None)
            .group_by([col("region"), col("ts")])
            .agg([col("ccu").sum()])
            .sort(["region", "ts"], SortMultipleOptions::default())
            .collect()
            .ctx(|| "ccu summed over shards per sample".into())?;
        let mut out = CcuSamples::default();
        out.extend(&df)?;
        Ok(out.finish())
    }

    /// Append the rows of a frame with columns `region` (text), `ts` (Int64 µs) and `ccu`
    /// (Int64), already summed per (region, ts), such as one day's materialised aggregate.
    /// Frames may come in any order; call [`CcuSamples::finish`] after the last.
    pub fn extend(&mut self, df: &DataFrame) -> Result<()> {
        let region = df
            .column("region")
            .and_then(|c| c.str().cloned())
            .ctx(|| "ccu sample regions".into())?;
        let ts = df
            .column("ts")
            .and_then(|c| c.i64().cloned())
            .ctx(|| "ccu sample times".into())?;
        let ccu = df
            .column("ccu")
            .and_then(|c| c.i64().cloned())
            .ctx(|| "ccu sample values".into())?;
        // walk the chunks with iterators (indexing a many-chunk column row by row is slow);
        // look a region up only when it changes from the row before
        let mut current: Option<(String, RegionSamples)> = None;
        for ((r, t), c) in region.iter().zip(ts.iter()).zip(ccu.iter()) {
            let (Some(r), Some(t), Some(c)) = (r, t, c) else {
                continue;
            };
            if current.as_ref().is_none_or(|(name, _)| name != r) {
                if let Some((name, s)) = current.take() {
                    self.by_region.insert(name, s);
                }
                let s = self.by_region.remove(r).unwrap_or_default();
                current = Some((r.to_string(), s));
            }
            if let Some((_, s)) = current.as_mut() {
                s.ts_us.push(t);
                s.ccu.push(c);
            }
        }
        if let Some((name, s)) = current {
            self.by_region.insert(name, s);
        }
        Ok(())
    }

    /// Put each region's samples in time order (they usually are: days appended in order)
    /// and sum any sample time that came twice, so `ts_us` is strictly increasing.
    pub fn finish(mut self) -> CcuSamples {
        for s in self.by_region.values_mut() {
            if s.ts_us.windows(2).all(|w| w[0] < w[1]) {
                continue;
            }
            let mut pairs: Vec<(i64, i64)> =
                s.ts_us.iter().copied().zip(s.ccu.iter().copied()).collect();
            pairs.sort_by_key(|(t, _)| *t);
            s.ts_us.clear();
            s.ccu.clear();
            for (t, c) in pairs {
                match (s.ts_us.last(), s.ccu.last_mut()) {
                    (Some(last), Some(sum)) if *last == t => *sum += c,
                    _ => {
                        s.ts_us.push(t);
                        s.ccu.push(c);
                    }
                }
            }
        }
        self
    }

    /// Only the samples with `ts <= as_of_us`.
    pub fn until(&self, as_of_us: i64) -> CcuSamples {
        let by_region = self
            .by_region
            .iter()
            .filter_map(|(r, s)| {
                let n = s.ts_us.partition_point(|t| *t <= as_of_us);
                (n > 0).then(|| {
                    (
                        r.clone(),
                        RegionSamples {
                            ts_us: s.ts_us[..n].to_vec(),
                            ccu: s.ccu[..n].to_vec(),
                        },
                    )
                })
            })
            .collect();
        CcuSamples { by_region }
    }

    /// Whether there is no sample at all.
    pub fn is_empty(&self) -> bool {
        self.by_region.values().all(|s| s.ts_us.is_empty())
    }

    /// How many samples over all regions.
    pub fn len(&self) -> usize {
        self.by_region.values().map(|s| s.ts_us.len()).sum()
    }

    /// Every region summed at each sample time in `[from_us, to_us)`, sorted by time.
    pub fn global(&self, from_us: i64, to_us: i64) -> Vec<(i64, i64)> {
        let mut all: Vec<(i64, i64)> = Vec::new();
        for s in self.by_region.values() {
            let r = s.range(from_us, to_us);
            all.extend(
                s.ts_us[r.clone()]
                    .iter()
                    .copied()
                    .zip(s.ccu[r].iter().copied()),
            );
        }
        all.sort_unstable_by_key(|(t, _)| *t);
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(all.len());
        for (t, c) in all {
            match out.last_mut() {
                Some((lt, lc)) if *lt == t => *lc += c,
                _ => out.push((t, c)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rows: &[(&str, i64, i64)]) -> DataFrame {
        df!(
            "region" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "ts" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "ccu" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn from_frame_sums_shards_and_sorts_per_region() {
        let lf = df!(
            "ts" => [20i64, 10, 10, 10],
            "region" => ["na", "na", "eu", "na"],
            "ccu" => [1i64, 2, 3, 4],
            "shard" => ["a", "a", "a", "b"],
        )
        .unwrap()
        .lazy()
        .with_column(col("ts").cast(DataType::Datetime(TimeUnit::Microseconds, None)));
        let s = CcuSamples::from_frame(lf).unwrap();
        assert_eq!(s.by_region["na"].ts_us, vec![10, 20]);
        assert_eq!(s.by_region["na"].ccu, vec![6, 1]);
        assert_eq!(s.by_region["eu"].ccu, vec![3]);
        assert_eq!(s.len(), 3);
        assert_eq!(s.global(0, 100), vec![(10, 9), (20, 1)]);
        assert_eq!(s.global(15, 100), vec![(20, 1)]);
    }

    #[test]
    fn days_in_any_order_give_one_sorted_series() {
        let mut s = CcuSamples::default();
        s.extend(&frame(&[("eu", 3, 8), ("na", 2, 9)])).unwrap();
        s.extend(&frame(&[("eu", 1, 5), ("eu", 2, 6), ("na", 1, 7)]))
            .unwrap();
        s.extend(&frame(&[("eu", 2, 1)])).unwrap();
        let s = s.finish();
        assert_eq!(s.by_region["eu"].ts_us, vec![1, 2, 3]);
        assert_eq!(s.by_region["eu"].ccu, vec![5, 7, 8]);
        assert_eq!(s.by_region["na"].ccu, vec![7, 9]);
        assert_eq!(s.until(2).len(), 4);
    }

    proptest::proptest! {
        /// However the rows are cut into frames and in whatever order the frames come, the
        /// samples are the frame's rows summed per (region, ts), in time order.
        #[test]
        fn pieces_in_any_order_give_the_whole_frames_samples(
            rows in proptest::collection::vec((0..3usize, 0..40i64, 0..100i64), 0..60),
            cut in 0usize..60,
            reversed: bool,
        ) {
            let named: Vec<(&str, i64, i64)> = rows
                .iter()
                .map(|(r, t, c)| (["eu", "na", "ap"][*r], *t, *c))
                .collect();
            let whole = CcuSamples::from_frame(
                frame(&named).lazy().with_column(
                    col("ts").cast(DataType::Datetime(TimeUnit::Microseconds, None)),
                ),
            )
            .unwrap();
            let cut = cut.min(named.len());
            let mut pieces = vec![frame(&named[..cut]), frame(&named[cut..])];
            if reversed {
                pieces.reverse();
            }
            let mut s = CcuSamples::default();
            for p in &pieces {
                s.extend(p).unwrap();
            }
            proptest::prop_assert_eq!(s.finish(), whole);
        }
    }

    #[test]
    fn range_is_half_open() {
        let r = RegionSamples {
            ts_us: vec![10, 20, 30],
            ccu: vec![1, 2, 3],
        };
        assert_eq!(r.range(10, 30), 0..2);
        assert_eq!(r.range(11, 31), 1..3);
        assert_eq!(r.range(40, 50), 3..3);
        assert_eq!(r.range(30, 10), 2..2);
    }
}
