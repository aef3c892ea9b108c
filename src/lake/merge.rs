//! Upsert semantics, as pure functions over frames: which rows survive when a batch meets
//! what the lake holds, and which partition each row belongs to.
//!
//! Keyed datasets: the newer row of a key wins. "Newer" is the greater `updated_at` where the
//! dataset has one (incidents; a row without it counts as newest), else the row ingested
//! later (`_seq`: lake rows are 0, batch rows 1.. in file and line order). Cost: a delivery
//! replaces every row of each (`BillingAccountId`, `BillingPeriodStart`) it covers. No I/O.

use polars::prelude::*;

use crate::error::{PolarsContext, Result};
use crate::schema::{Dataset, Kind};

/// The name of the helper column holding a row's partition day (days since 1970-01-01).
pub const DAY: &str = "_day";

/// The canonical column names of a dataset, in order.
pub fn canonical_columns(dataset: Dataset) -> Vec<Expr> {
    dataset.spec().columns.iter().map(|c| col(c.name)).collect()
}

/// The expression giving a row's UTC partition day as `Int32` days since the epoch.
pub fn day_expr(dataset: Dataset) -> Expr {
    let spec = dataset.spec();
    let p = spec
        .column(spec.partition_by)
        .expect("partition column in spec");
    match p.kind {
        Kind::Date => col(p.name).cast(DataType::Int32),
        _ => col(p.name).dt().date().cast(DataType::Int32),
    }
}

/// Merge the lake's rows (`existing`, canonical columns) with a batch (canonical + `_seq`).
/// Returns the surviving rows, canonical columns plus [`DAY`], sorted by day and key.
pub fn merge(dataset: Dataset, existing: LazyFrame, batch: LazyFrame) -> Result<DataFrame> {
    let cols = canonical_columns(dataset);
    let mut with_seq = cols.clone();
    with_seq.push(col("_seq"));
    let existing = existing
        .with_column(lit(0u64).cast(DataType::UInt64).alias("_seq"))
        .select(&with_seq);
    let batch = batch.select(&with_seq);
    let merged = if dataset == Dataset::Cost {
        let pairs = batch
            .clone()
            .select([col("BillingAccountId"), col("BillingPeriodStart")])
            .unique(None, UniqueKeepStrategy::Any);
        let kept = existing.join(
            pairs,
            [col("BillingAccountId"), col("BillingPeriodStart")],
            [col("BillingAccountId"), col("BillingPeriodStart")],
            JoinArgs {
                nulls_equal: true,
                ..JoinArgs::new(JoinType::Anti)
            },
        );
        concat([kept, batch], UnionArgs::default()).ctx(|| "joining cost deliveries".into())?
    } else {
        let all = concat([existing, batch], UnionArgs::default())
            .ctx(|| format!("joining {dataset} rows"))?;
        let mut order = Vec::new();
        let mut descending = Vec::new();
        if dataset.spec().column("updated_at").is_some() {
            // rows without updated_at sort last (newest); then by updated_at; then ingest order
            order.push(col("updated_at").is_null());
            order.push(col("updated_at"));
            descending.extend([false, false]);
        }
        order.push(col("_seq"));
        descending.push(false);
        let key: Vec<Expr> = dataset.spec().key.iter().map(|k| col(*k)).collect();
        all.sort_by_exprs(
            order,
            SortMultipleOptions::default()
                .with_order_descending_multi(descending)
                .with_nulls_last(false)
                .with_maintain_order(true),
        )
        .unique_stable_generic(Some(key), UniqueKeepStrategy::Last)
    };
    finish(dataset, merged)
}

/// Cut rows made of runs (`runs` gives their lengths, in order) that are each sorted by the
/// dataset's key into partition days: for each day, in day order, its slices in run order.
/// `None` when the key does not start with the partition column or a run is not in day order
/// after all (the caller then splits by hashing).
pub fn days_of_sorted_runs(
    dataset: Dataset,
    rows: &DataFrame,
    runs: &[usize],
) -> Result<Option<std::collections::BTreeMap<i32, Vec<DataFrame>>>> {
    let spec = dataset.spec();
    if spec.key.first() != Some(&spec.partition_by) || runs.iter().sum::<usize>() != rows.height() {
        return Ok(None);
    }
    let p = rows
        .column(spec.partition_by)
        .ctx(|| format!("partition column of {dataset}"))?;
    let phys = p
        .to_physical_repr()
        .cast(&DataType::Int64)
        .ctx(|| format!("partition column of {dataset}"))?;
    let values = phys
        .i64()
        .ctx(|| format!("partition column of {dataset}"))?;
    if values.null_count() > 0 {
        return Ok(None);
    }
    let day = |v: i64| -> i32 {
        match p.dtype() {
            DataType::Date => v as i32,
            _ => v.div_euclid(super::DAY_US) as i32,
        }
    };
    let mut out: std::collections::BTreeMap<i32, Vec<DataFrame>> = Default::default();
    let mut start = 0usize;
    for &len in runs {
        let mut cut = start;
        let mut current: Option<i32> = None;
        for (i, v) in values
            .slice(start as i64, len)
            .into_no_null_iter()
            .enumerate()
        {
            let d = day(v);
            match current {
                Some(c) if d == c => {}
                Some(c) if d < c => return Ok(None),
                Some(c) => {
                    out.entry(c)
                        .or_default()
                        .push(rows.slice(cut as i64, start + i - cut));
                    cut = start + i;
                    current = Some(d);
                }
                None => current = Some(d),
            }
        }
        if let Some(c) = current {
            out.entry(c)
                .or_default()
                .push(rows.slice(cut as i64, start + len - cut));
        }
        start += len;
    }
    Ok(Some(out))
}

/// One part of a row's key, ordered like polars sorts: null first.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyPart {
    Null,
    Int(i64),
    Text(String),
}

/// The key of row `row`, or `None` for a key column of another type.
fn key_at(frame: &DataFrame, key: &[&str], row: usize) -> Result<Option<Vec<KeyPart>>> {
    let mut out = Vec::with_capacity(key.len());
    for k in key {
        let v = frame
            .column(k)
            .and_then(|c| c.get(row))
            .ctx(|| format!("key column `{k}`"))?;
        out.push(match v {
            AnyValue::Null => KeyPart::Null,
            AnyValue::Int64(v) | AnyValue::Datetime(v, _, _) | AnyValue::DatetimeOwned(v, _, _) => {
                KeyPart::Int(v)
            }
            AnyValue::Date(v) => KeyPart::Int(i64::from(v)),
            AnyValue::String(s) => KeyPart::Text(s.to_string()),
            AnyValue::StringOwned(s) => KeyPart::Text(s.to_string()),
            _ => return Ok(None),
        });
    }
    Ok(Some(out))
}

/// Rows of one partition day given as runs (canonical columns), each sorted by the dataset's
/// key and holding each key once: when no key is in two runs, the rows in key order, which is
/// what [`merge`] gives them (there is nothing to upsert). Runs whose key ranges do not
/// overlap are laid end to end; others (an export cutting a day in the middle of one sample
/// time) are ordered by [`crate::ingest::order`]. `None` when a key is in two runs or cannot
/// be ordered here: the caller merges.
pub fn disjoint_runs(dataset: Dataset, runs: Vec<DataFrame>) -> Result<Option<DataFrame>> {
    let key = sort_columns(dataset);
    if dataset == Dataset::Cost {
        return Ok(None);
    }
    let mut bounds = Vec::with_capacity(runs.len());
    for run in runs.into_iter().filter(|r| r.height() > 0) {
        let (Some(first), Some(last)) = (
            key_at(&run, &key, 0)?,
            key_at(&run, &key, run.height() - 1)?,
        ) else {
            return Ok(None);
        };
        bounds.push((first, last, run));
    }
    bounds.sort_by(|a, b| a.0.cmp(&b.0));
    let disjoint = bounds.windows(2).all(|w| w[0].1 < w[1].0);
    let mut it = bounds.into_iter().map(|(_, _, run)| run);
    let Some(mut out) = it.next() else {
        return Ok(None);
    };
    for run in it {
        out.vstack_mut_owned(run)
            .ctx(|| format!("joining {dataset} rows of one day"))?;
    }
    if disjoint {
        return Ok(Some(out));
    }
    let Some(rows) = crate::ingest::order::sorted_keys(&out, &key)? else {
        return Ok(None);
    };
    if rows
        .windows(2)
        .any(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
    {
        return Ok(None);
    }
    let idx = IdxCa::from_vec(PlSmallStr::EMPTY, rows.into_iter().map(|r| r.2).collect());
    Ok(Some(
        out.take(&idx)
            .ctx(|| format!("ordering {dataset} rows of one day"))?,
    ))
}

/// Whether the rows (canonical columns) hold each key of the dataset at most once.
pub fn keys_distinct(dataset: Dataset, rows: &DataFrame) -> Result<bool> {
    let distinct = rows
        .group_by(dataset.spec().key.iter().copied())
        .ctx(|| format!("counting the keys of {dataset}"))?
        .get_groups()
        .len();
    Ok(distinct == rows.height())
}

/// What [`merge`] gives for a day the lake does not hold yet and whose batch rows hold each key
/// once ([`keys_distinct`]): the rows as they are, ordered like every partition.
pub fn new_rows(dataset: Dataset, batch: DataFrame) -> Result<DataFrame> {
    let mut with_seq = canonical_columns(dataset);
    with_seq.push(col("_seq"));
    finish(dataset, batch.lazy().select(with_seq))
}

/// `existing` plus the rows of `batch` whose key it does not hold (for cost, which has no
/// key, whose whole row it does not hold): what `quarantine replay` adds. A replayed row never
/// replaces a row the lake holds, and a cost row never replaces a delivery.
pub fn insert_missing(
    dataset: Dataset,
    existing: LazyFrame,
    batch: LazyFrame,
) -> Result<DataFrame> {
    let cols = canonical_columns(dataset);
    let existing = existing.select(&cols);
    let batch = batch.select(&cols);
    let key: Vec<Expr> = if dataset == Dataset::Cost {
        cols.clone()
    } else {
        dataset.spec().key.iter().map(|k| col(*k)).collect()
    };
    let fresh = batch
        .unique_stable_generic(Some(key.clone()), UniqueKeepStrategy::Last)
        .join(
            existing.clone(),
            key.clone(),
            key,
            JoinArgs {
                nulls_equal: true,
                ..JoinArgs::new(JoinType::Anti)
            },
        );
    let merged = concat([existing, fresh], UnionArgs::default())
        .ctx(|| format!("adding replayed {dataset} rows"))?
        .with_column(lit(0u64).cast(DataType::UInt64).alias("_seq"));
    finish(dataset, merged)
}

/// Sort the merged rows by day and key, with the day column, without `_seq`.
fn finish(dataset: Dataset, merged: LazyFrame) -> Result<DataFrame> {
    let mut sort_by = vec![col(DAY)];
    sort_by.extend(sort_columns(dataset).into_iter().map(col));
    merged
        .with_column(day_expr(dataset).alias(DAY))
        .sort_by_exprs(
            sort_by,
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .drop(Selector::ByName {
            names: Arc::new([PlSmallStr::from_static("_seq")]),
            strict: true,
        })
        .collect()
        .ctx(|| format!("merging {dataset} rows"))
}

/// The columns a partition's rows are sorted by, so files are deterministic.
pub(crate) fn sort_columns(dataset: Dataset) -> Vec<&'static str> {
    match dataset {
        Dataset::Cost => vec![
            "ChargePeriodStart",
            "BillingAccountId",
            "ServiceName",
            "ResourceId",
        ],
        _ => dataset.spec().key.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incidents(rows: &[(&str, &str, Option<i64>, u64)]) -> LazyFrame {
        let schema = crate::ingest::validate::canonical_schema(Dataset::Incidents);
        let n = rows.len();
        let mut cols: Vec<Column> = Vec::new();
        for f in schema.iter_fields() {
            let c = match f.name().as_str() {
                "incident_id" => Series::new(
                    f.name().clone(),
                    rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                ),
                "service" | "severity" | "environment" => {
                    Series::new(f.name().clone(), vec!["x"; n])
                }
                "title" => Series::new(
                    f.name().clone(),
                    rows.iter().map(|r| r.1).collect::<Vec<_>>(),
                ),
                "opened_at" => Series::new(f.name().clone(), vec![1_000_000i64; n])
                    .cast(f.dtype())
                    .unwrap(),
                "updated_at" => Series::new(
                    f.name().clone(),
                    rows.iter().map(|r| r.2).collect::<Vec<_>>(),
                )
                .cast(f.dtype())
                .unwrap(),
                _ => Series::full_null(f.name().clone(), n, f.dtype()),
            };
            cols.push(c.into());
        }
        cols.push(Series::new("_seq".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()).into());
        DataFrame::new_infer_height(cols).unwrap().lazy()
    }

    fn titles(df: &DataFrame) -> Vec<String> {
        crate::metrics::columns::texts(df, "title")
            .unwrap()
            .into_iter()
            .flatten()
            .collect()
    }

    #[test]
    fn a_new_day_with_distinct_keys_skips_the_upsert_and_gives_the_same_rows() {
        let batch = incidents(&[
            ("C", "c", Some(5), 1),
            ("A", "a", None, 2),
            ("B", "b", Some(7), 3),
        ])
        .collect()
        .unwrap();
        assert!(keys_distinct(Dataset::Incidents, &batch).unwrap());
        let empty = incidents(&[]).drop(Selector::ByName {
            names: Arc::new([PlSmallStr::from_static("_seq")]),
            strict: true,
        });
        let merged = merge(Dataset::Incidents, empty, batch.clone().lazy()).unwrap();
        let fast = new_rows(Dataset::Incidents, batch).unwrap();
        assert!(fast.equals_missing(&merged), "{fast}\n{merged}");
        assert_eq!(titles(&fast), vec!["a", "b", "c"]);
        let dup = incidents(&[("A", "a1", None, 1), ("A", "a2", None, 2)])
            .collect()
            .unwrap();
        assert!(!keys_distinct(Dataset::Incidents, &dup).unwrap());
    }

    #[test]
    fn newer_updated_at_wins_else_later_ingest() {
        let existing = incidents(&[
            ("A", "old-a", Some(10), 0),
            ("B", "old-b", Some(50), 0),
            ("C", "old-c", None, 0),
        ])
        .drop(Selector::ByName {
            names: Arc::new([PlSmallStr::from_static("_seq")]),
            strict: true,
        });
        let batch = incidents(&[
            ("A", "new-a", Some(20), 1),
            ("B", "new-b", Some(40), 2),
            ("C", "new-c", None, 3),
            ("D", "new-d", None, 4),
        ]);
        let out = merge(Dataset::Incidents, existing, batch).unwrap();
        assert_eq!(titles(&out), vec!["new-a", "old-b", "new-c", "new-d"]);
    }

    fn ccu(rows: &[(i64, &str, &str, i64)]) -> DataFrame {
        DataFrame::new_infer_height(vec![
            Series::new("ts".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>())
                .cast(&DataType::Datetime(
                    TimeUnit::Microseconds,
                    Some(TimeZone::UTC),
                ))
                .unwrap()
                .into(),
            Series::new(
                "region".into(),
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            )
            .into(),
            Series::new("ccu".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()).into(),
            Series::new("shard".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()).into(),
        ])
        .unwrap()
    }

    fn ccu_values(df: &DataFrame) -> Vec<i64> {
        crate::test_util::i64s(df, "ccu")
    }

    #[test]
    fn runs_that_do_not_overlap_are_laid_end_to_end_in_key_order() {
        let early = ccu(&[(1, "eu", "s1", 1), (1, "eu", "s2", 2)]);
        let late = ccu(&[(2, "eu", "s1", 3)]);
        let out = disjoint_runs(Dataset::Ccu, vec![late, DataFrame::empty(), early])
            .unwrap()
            .unwrap();
        assert_eq!(ccu_values(&out), vec![1, 2, 3]);
    }

    #[test]
    fn runs_cut_within_one_time_are_ordered_like_a_sort() {
        // an export ends in the middle of minute 1's shards, the next starts there
        let a = ccu(&[(0, "eu", "s1", 1), (1, "eu", "s1", 2), (1, "eu", "s9", 3)]);
        let b = ccu(&[(1, "eu", "s10", 4), (1, "eu", "s11", 5), (2, "eu", "s1", 6)]);
        let both = concat_frames(&[a.clone(), b.clone()]);
        let sorted = both
            .sort(["ts", "region", "shard"], SortMultipleOptions::default())
            .unwrap();
        let out = disjoint_runs(Dataset::Ccu, vec![a, b]).unwrap().unwrap();
        assert_eq!(ccu_values(&out), ccu_values(&sorted));
        assert_eq!(ccu_values(&out), vec![1, 2, 4, 5, 3, 6]);
    }

    #[test]
    fn a_key_in_two_runs_is_left_to_the_merge() {
        let a = ccu(&[(1, "eu", "s1", 1), (2, "eu", "s1", 2)]);
        let b = ccu(&[(2, "eu", "s1", 9)]);
        assert!(disjoint_runs(Dataset::Ccu, vec![a, b]).unwrap().is_none());
    }

    fn concat_frames(frames: &[DataFrame]) -> DataFrame {
        let mut out = frames[0].clone();
        for f in &frames[1..] {
            out.vstack_mut(f).unwrap();
        }
        out
    }
}
