//! Helpers the unit tests share (compiled for tests only): reading a frame's column back as
//! plain values.

use polars::prelude::*;

/// The non-null values of the Int64 column `name` of `df`, in order (panics otherwise: tests only).
pub fn i64s(df: &DataFrame, name: &str) -> Vec<i64> {
    df.column(name)
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}
