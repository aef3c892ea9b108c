//! Ordering one file's rows by the dataset's key in plain Rust: every key column becomes an
//! integer code that sorts like the column, and one parallel sort of (codes, row) puts rows
//! with one key next to each other. That finds a file's duplicate keys without a hash table
//! of whole rows and hands the lake rows already in partition order.
//!
//! The order must be exactly polars' `sort_by_exprs(key, maintain_order)` (what `lake::merge`
//! sorts partitions by): nulls first, text by its bytes, timestamps and dates by value, ties in
//! row order. Keys this cannot pack (more than three columns, or a column after the first that
//! is not text) give `None`, and the caller keeps polars' way. No I/O.

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{PolarsContext, Result};

/// A row's place in key order: the first key column's code, the next two columns' codes
/// packed (32 bits each), then the row.
pub type KeyRow = (i64, u64, IdxSize);

/// The rows of `frame` in the order of its `key` columns (ties by row), or `None` when the
/// key cannot be packed.
pub fn sorted_keys(frame: &DataFrame, key: &[&str]) -> Result<Option<Vec<KeyRow>>> {
    let n = frame.height();
    if key.is_empty() || key.len() > 3 || IdxSize::try_from(n).is_err() {
        return Ok(None);
    }
    let column = |name: &str| frame.column(name).ctx(|| format!("key column `{name}`"));
    let mut rest_columns = Vec::with_capacity(key.len() - 1);
    for name in &key[1..] {
        let c = column(name)?;
        if c.dtype() != &DataType::String {
            return Ok(None);
        }
        rest_columns.push(c.str().ctx(|| format!("key column `{name}`"))?);
    }
    // each column's codes on its own core
    let first = column(key[0])?;
    let (first, rest_codes) = rayon::join(
        || first_codes(first),
        || {
            rest_columns
                .par_iter()
                .map(|c| text_codes(c))
                .collect::<Vec<_>>()
        },
    );
    let Some(first) = first? else {
        return Ok(None);
    };
    let mut rest = vec![0u64; n];
    for (i, codes) in rest_codes.into_iter().enumerate() {
        let shift = if i == 0 { 32 } else { 0 };
        rest.iter_mut()
            .zip(codes)
            .for_each(|(r, c)| *r |= u64::from(c) << shift);
    }
    let mut rows: Vec<KeyRow> = first
        .into_iter()
        .zip(rest)
        .enumerate()
        .map(|(i, (a, b))| (a, b, i as IdxSize))
        .collect();
    // the row makes every element distinct, so an unstable sort gives one order
    if rows.windows(2).all(|w| w[0].0 <= w[1].0) {
        // exports usually come in time order: only rows of one time need sorting, among
        // themselves (a few each), in parallel
        rows.par_chunk_by_mut(|a, b| a.0 == b.0)
            .for_each(|run| run.sort_unstable());
    } else {
        rows.par_sort_unstable();
    }
    Ok(Some(rows))
}

/// Codes of the first key column: timestamps and dates by value, text by rank; `None` for a
/// temporal column holding nulls or another type.
fn first_codes(c: &Column) -> Result<Option<Vec<i64>>> {
    let what = || format!("key column `{}`", c.name());
    Ok(match c.dtype() {
        DataType::String => Some(
            text_codes(c.str().ctx(what)?)
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        DataType::Datetime(_, _) | DataType::Date | DataType::Int64 if c.null_count() == 0 => {
            let phys = c.to_physical_repr();
            let phys = phys.cast(&DataType::Int64).ctx(what)?;
            Some(phys.i64().ctx(what)?.into_no_null_iter().collect())
        }
        _ => None,
    })
}

/// Each value's rank among the column's distinct values in byte order, from 1; null is 0.
fn text_codes(ca: &StringChunked) -> Vec<u32> {
    let mut seen: PlHashMap<&str, u32> = PlHashMap::default();
    let mut codes = Vec::with_capacity(ca.len());
    let mut last: Option<(&str, u32)> = None;
    for v in ca.iter() {
        let code = match (v, last) {
            (None, _) => 0,
            (Some(s), Some((l, c))) if l == s => c,
            (Some(s), _) => {
                let next = seen.len() as u32 + 1;
                let c = *seen.entry(s).or_insert(next);
                last = Some((s, c));
                c
            }
        };
        codes.push(code);
    }
    let mut names: Vec<(&str, u32)> = seen.into_iter().collect();
    names.sort_unstable();
    let mut rank = vec![0u32; names.len() + 1];
    for (r, (_, code)) in names.iter().enumerate() {
        rank[*code as usize] = r as u32 + 1;
    }
    codes.iter_mut().for_each(|c| *c = rank[*c as usize]);
    codes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(ts: &[i64], region: &[Option<&str>], shard: &[Option<&str>]) -> DataFrame {
        DataFrame::new_infer_height(vec![
            Series::new("ts".into(), ts)
                .cast(&DataType::Datetime(
                    TimeUnit::Microseconds,
                    Some(TimeZone::UTC),
                ))
                .unwrap()
                .into(),
            Series::new("region".into(), region).into(),
            Series::new("shard".into(), shard).into(),
        ])
        .unwrap()
    }

    #[test]
    fn orders_like_the_key_with_nulls_first_and_ties_by_row() {
        let df = frame(
            &[2, 1, 2, 1, 1],
            &[Some("b"), Some("b"), Some("a"), Some("b"), Some("b")],
            &[Some("s2"), Some("s10"), None, None, Some("s10")],
        );
        let rows = sorted_keys(&df, &["ts", "region", "shard"])
            .unwrap()
            .unwrap();
        let order: Vec<IdxSize> = rows.iter().map(|r| r.2).collect();
        // ts 1: (b, null) row 3, then (b, s10) rows 1 and 4; ts 2: (a, null) row 2, (b, s2) row 0
        assert_eq!(order, vec![3, 1, 4, 2, 0]);
        // rows 1 and 4 share a key: their codes are equal
        assert_eq!((rows[1].0, rows[1].1), (rows[2].0, rows[2].1));
    }

    #[test]
    fn declines_keys_it_cannot_pack() {
        let df = frame(&[1], &[Some("a")], &[Some("b")]);
        assert!(sorted_keys(&df, &["region", "ts"]).unwrap().is_none());
        assert!(
            sorted_keys(&df, &["ts", "region", "shard", "ts"])
                .unwrap()
                .is_none()
        );
    }

    proptest! {
        /// The order is polars' stable multi-column sort, whatever the values.
        #[test]
        fn same_order_as_polars(rows in proptest::collection::vec(
            (0i64..4, proptest::option::of("[ab]{0,2}"), proptest::option::of("[xy1]{0,2}")), 0..60)
        ) {
            let ts: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let region: Vec<Option<&str>> = rows.iter().map(|r| r.1.as_deref()).collect();
            let shard: Vec<Option<&str>> = rows.iter().map(|r| r.2.as_deref()).collect();
            let mut df = frame(&ts, &region, &shard);
            df.with_column(Column::new("row".into(), (0..rows.len() as u32).collect::<Vec<u32>>())).unwrap();
            let ours: Vec<IdxSize> = sorted_keys(&df, &["ts", "region", "shard"]).unwrap().unwrap()
                .iter().map(|r| r.2).collect();
            let theirs = df.sort(["ts", "region", "shard"], SortMultipleOptions::default().with_maintain_order(true)).unwrap();
            let theirs: Vec<IdxSize> = theirs.column("row").unwrap().u32().unwrap().into_no_null_iter().map(|v| v as IdxSize).collect();
            prop_assert_eq!(ours, theirs);
        }
    }
}
