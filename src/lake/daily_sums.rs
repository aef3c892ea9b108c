//! The CCU summed over shards per (region, sample time), in one pass over rows in partition
//! order (time, then region: the order the lake writes every partition file in), cut by UTC
//! day. It gives what grouping by (region, ts), summing and sorting by (region, ts) gives,
//! without a hash table. Rows in another order (a day of several files not yet compacted, a
//! file written by something else) give `None`, and the caller lets polars group them. Pure:
//! no I/O.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::error::{PolarsContext, Result};

use super::DAY_US;

/// Per-region series of one day: region → (sample times, sums), times ascending.
type DaySums = BTreeMap<String, (Vec<i64>, Vec<i64>)>;

/// `rows` (`region` text, `ts` Int64 µs, `ccu` Int64; rows with a null in any are skipped)
/// summed per (region, ts), as one frame per day (days since 1970-01-01, ascending) with
/// columns `region`, `ts`, `ccu` sorted by (region, ts); `None` when the rows are not sorted
/// by (ts, region).
pub fn by_day(rows: &DataFrame) -> Result<Option<Vec<(i64, DataFrame)>>> {
    let get = |name: &str| rows.column(name).ctx(|| format!("ccu column `{name}`"));
    let region = get("region")?.str().ctx(|| "ccu region".into())?;
    let ts = get("ts")?.i64().ctx(|| "ccu ts".into())?;
    let ccu = get("ccu")?.i64().ctx(|| "ccu values".into())?;
    let mut days: BTreeMap<i64, DaySums> = BTreeMap::new();
    let mut flush = |t: i64, r: &str, sum: i64| {
        let day = days.entry(t.div_euclid(DAY_US)).or_default();
        let series = match day.get_mut(r) {
            Some(s) => s,
            None => day.entry(r.to_string()).or_default(),
        };
        series.0.push(t);
        series.1.push(sum);
    };
    let mut current: Option<(i64, &str, i64)> = None;
    for ((r, t), c) in region.iter().zip(ts.iter()).zip(ccu.iter()) {
        let (Some(r), Some(t), Some(c)) = (r, t, c) else {
            continue;
        };
        match &mut current {
            Some((ct, cr, sum)) if *ct == t && *cr == r => *sum = sum.wrapping_add(c),
            Some((ct, cr, sum)) => {
                if (t, r) < (*ct, *cr) {
                    return Ok(None);
                }
                flush(*ct, cr, *sum);
                current = Some((t, r, c));
            }
            None => current = Some((t, r, c)),
        }
    }
    if let Some((t, r, sum)) = current {
        flush(t, r, sum);
    }
    days.into_iter()
        .map(|(day, sums)| {
            let n: usize = sums.values().map(|s| s.0.len()).sum();
            let mut regions = StringChunkedBuilder::new("region".into(), n);
            let mut times = Vec::with_capacity(n);
            let mut values = Vec::with_capacity(n);
            for (r, (t, v)) in sums {
                t.iter().for_each(|_| regions.append_value(&r));
                times.extend(t);
                values.extend(v);
            }
            let df = DataFrame::new_infer_height(vec![
                regions.finish().into_series().into(),
                Column::new("ts".into(), times),
                Column::new("ccu".into(), values),
            ])
            .ctx(|| "ccu samples of a day".into())?;
            Ok((day, df))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rows(r: &[(Option<&str>, Option<i64>, Option<i64>)]) -> DataFrame {
        DataFrame::new_infer_height(vec![
            Column::new("region".into(), r.iter().map(|x| x.0).collect::<Vec<_>>()),
            Column::new("ts".into(), r.iter().map(|x| x.1).collect::<Vec<_>>()),
            Column::new("ccu".into(), r.iter().map(|x| x.2).collect::<Vec<_>>()),
        ])
        .unwrap()
    }

    /// What polars gives: group, sum, cut by day, sort.
    fn polars_way(df: &DataFrame) -> Vec<(i64, DataFrame)> {
        let summed = df
            .clone()
            .lazy()
            .drop_nulls(None)
            .group_by([col("region"), col("ts")])
            .agg([col("ccu").sum()])
            .with_column(col("ts").floor_div(lit(DAY_US)).alias("_day"))
            .collect()
            .unwrap();
        let mut out: Vec<(i64, DataFrame)> = summed
            .partition_by(["_day"], true)
            .unwrap()
            .into_iter()
            .map(|p| {
                let day = p.column("_day").unwrap().i64().unwrap().get(0).unwrap();
                let p = p
                    .lazy()
                    .select([col("region"), col("ts"), col("ccu")])
                    .sort(["region", "ts"], SortMultipleOptions::default())
                    .collect()
                    .unwrap();
                (day, p)
            })
            .collect();
        out.sort_by_key(|(d, _)| *d);
        out
    }

    #[test]
    fn sums_shards_per_region_and_time_by_day() {
        let day = DAY_US;
        let df = rows(&[
            (Some("us"), Some(0), Some(1)),
            (Some("us"), Some(0), Some(2)),
            (Some("eu"), Some(60), None),
            (Some("us"), Some(60), Some(4)),
            (None, Some(60), Some(9)),
            (Some("eu"), Some(day), Some(5)),
        ]);
        let got = by_day(&df).unwrap().unwrap();
        assert_eq!(got.len(), 2);
        let (d0, f0) = &got[0];
        assert_eq!(*d0, 0);
        assert_eq!(crate::test_util::i64s(f0, "ccu"), vec![3, 4]);
        assert_eq!(got[1].0, 1);
        // rows out of (ts, region) order are left to polars
        let unsorted = rows(&[
            (Some("us"), Some(0), Some(1)),
            (Some("eu"), Some(0), Some(2)),
        ]);
        assert!(by_day(&unsorted).unwrap().is_none());
    }

    proptest! {
        /// On rows in (ts, region) order, the pass gives polars' frames exactly.
        #[test]
        fn same_as_grouping_with_polars(mut raw in proptest::collection::vec(
            (proptest::option::weighted(0.9, "[abc]"), proptest::option::weighted(0.95, -3i64..6), proptest::option::weighted(0.9, 0i64..50)), 0..80)
        ) {
            // times spread over days (some before 1970), then sorted like a partition file
            raw.iter_mut().for_each(|r| r.1 = r.1.map(|t| t * DAY_US / 3));
            raw.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
            let typed: Vec<(Option<&str>, Option<i64>, Option<i64>)> =
                raw.iter().map(|r| (r.0.as_deref(), r.1, r.2)).collect();
            let df = rows(&typed);
            let ours = by_day(&df).unwrap().unwrap();
            let theirs = polars_way(&df);
            prop_assert_eq!(ours.len(), theirs.len());
            for ((d1, f1), (d2, f2)) in ours.iter().zip(&theirs) {
                prop_assert_eq!(d1, d2);
                prop_assert!(f1.equals_missing(f2), "{f1:?}\n{f2:?}");
            }
        }
    }
}
