//! Scans several metric stages share, computed once per command: today, the CCU summed over
//! shards per (region, sample time), which the impact, cost and forecast stages all start from.
//! It runs on polars' streaming engine (the one place, with ingest, that picks an engine).

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::Lake;
use crate::error::{PolarsContext, Result};
use crate::schema::Dataset;

impl Lake {
    /// The `ccu` rows at or before `as_of`, summed over shards per (`region`, `ts`): columns
    /// `ts` (Datetime µs UTC), `region`, `ccu` (Int64), in the canonical names, so every stage
    /// that reads the canonical `ccu` columns reads this instead. `None` without CCU.
    pub fn ccu_per_sample(&self, as_of: DateTime<Utc>) -> Result<Option<DataFrame>> {
        if self.files(Dataset::Ccu)?.is_empty() {
            return Ok(None);
        }
        let ts_us = col("ts").dt().timestamp(TimeUnit::Microseconds);
        let df = self
            .scan(Dataset::Ccu)?
            .filter(ts_us.lt_eq(lit(as_of.timestamp_micros())))
            .group_by([col("region"), col("ts")])
            .agg([col("ccu").cast(DataType::Int64).sum()])
            .select([col("ts"), col("region"), col("ccu")])
            .collect_with_engine(Engine::Streaming)
            .ctx(|| "ccu summed over shards".into())?
            .unwrap_single();
        Ok(Some(df))
    }
}
