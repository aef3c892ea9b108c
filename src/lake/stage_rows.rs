//! Staging a batch's rows (see `Lake::commit_with`): each partition the batch touches is
//! merged with what the lake holds ([`merge`]) and written whole into one staged file; a day
//! an earlier batch of the same commit staged merges into that staged file. It only writes
//! under `LAKE/_staging/RUN_ID/` and adds to the intent; the commit point is the caller's.

use std::collections::BTreeSet;
use std::path::PathBuf;

use polars::prelude::*;
use rayon::prelude::*;

use super::{
    CommitSummary, Lake, StageHow, day_of, ensure_parent, merge, partition_files, provenance, rel,
    scan_files, txn,
};
use crate::error::{Error, PolarsContext, Result};
use crate::ingest::Batch;
use crate::schema::Dataset;

impl Lake {
    /// A batch's rows by partition day (datasets whose key fixes the partition): cut from
    /// sorted runs when the batch is in key order, else split by the day column. Each day's
    /// rows come as slices in ingest order.
    fn batch_days(&self, batch: &Batch) -> Result<Vec<(i32, Vec<DataFrame>)>> {
        let dataset = batch.dataset;
        if batch.sorted {
            let runs: Vec<usize> = batch.file_rows.iter().map(|(_, n)| *n).collect();
            if let Some(days) = merge::days_of_sorted_runs(dataset, &batch.rows, &runs)? {
                return Ok(days.into_iter().collect());
            }
        }
        let by_day = batch
            .rows
            .clone()
            .lazy()
            .with_column(merge::day_expr(dataset).alias(merge::DAY))
            .collect()
            .ctx(|| format!("finding the days of {dataset} rows"))?
            .partition_by_stable([merge::DAY], true)
            .ctx(|| format!("splitting {dataset} by day"))?;
        by_day
            .into_iter()
            .map(|rows| {
                let day = day_of(rows.column(merge::DAY).ctx(|| "day column".into())?)?;
                let rows = rows
                    .drop(merge::DAY)
                    .ctx(|| "dropping the day column".into())?;
                Ok((day, vec![rows]))
            })
            .collect()
    }

    pub(super) fn stage_batch(
        &self,
        batch: &Batch,
        run_id: &str,
        intent: &mut txn::Intent,
        summary: &mut CommitSummary,
        how: StageHow<'_>,
        staged_days: &mut BTreeSet<(Dataset, i32)>,
    ) -> Result<()> {
        let StageHow {
            insert_only,
            remove,
        } = how;
        let dataset = batch.dataset;
        let key: Vec<Expr> = provenance::key_columns(dataset)
            .into_iter()
            .map(col)
            .collect();
        let without_removed = |lf: LazyFrame| match remove {
            Some(keys) => lf.join(
                keys.clone().lazy(),
                key.clone(),
                key.clone(),
                JoinArgs {
                    nulls_equal: true,
                    ..JoinArgs::new(JoinType::Anti)
                },
            ),
            None => lf,
        };
        let mut touched: BTreeSet<i32> = BTreeSet::new();
        let staging = txn::staging_dir(&self.root, run_id);
        if batch.quarantine.height() > 0 {
            self.stage_quarantine_file(dataset, &batch.quarantine, run_id, intent)?;
            summary.rows_quarantined += batch.quarantine.height() as u64;
        }
        if batch.rows.height() == 0 && remove.is_none() {
            return Ok(());
        }
        summary.rows_in += batch.rows.height() as u64;
        let spec = dataset.spec();
        let mut old_files: Vec<PathBuf> = Vec::new();
        let mut parts: Vec<DataFrame> = Vec::new();
        if spec.key.contains(&spec.partition_by) {
            // a row's key fixes its partition: merge day by day, so memory stays near one day
            for (day, slices) in self.batch_days(batch)? {
                let target_rel = rel(
                    &self.root,
                    &self
                        .partition_dir(dataset, day)
                        .join(format!("part-{run_id}.parquet")),
                );
                // a day an earlier batch of this commit staged merges into that staged file
                let files = if staged_days.contains(&(dataset, day)) {
                    vec![staging.join(&target_rel)]
                } else {
                    let files = partition_files(&self.partition_dir(dataset, day))?;
                    old_files.extend(files.iter().cloned());
                    files
                };
                touched.insert(day);
                if let [only] = slices.as_slice()
                    && batch.sorted
                    && !insert_only
                    && files.is_empty()
                    && remove.is_none()
                {
                    // a new day from one export whose rows are in key order, each key once:
                    // what the merge would give, without sorting again
                    let mut part = only
                        .select(spec.columns.iter().map(|c| c.name))
                        .ctx(|| format!("the rows of {dataset}"))?;
                    part.with_column(Column::new_scalar(
                        merge::DAY.into(),
                        Scalar::from(day),
                        part.height(),
                    ))
                    .ctx(|| "day column".into())?;
                    parts.push(part);
                    continue;
                }
                let mut slices = slices.into_iter();
                let mut day_rows = slices.next().unwrap_or_default();
                for s in slices {
                    day_rows
                        .vstack_mut_owned(s)
                        .ctx(|| format!("joining {dataset} rows of one day"))?;
                }
                let existing = without_removed(scan_files(dataset, &files)?);
                parts.push(if insert_only {
                    merge::insert_missing(dataset, existing, day_rows.lazy())?
                } else if files.is_empty() && merge::keys_distinct(dataset, &day_rows)? {
                    // a new day whose rows hold each key once: nothing to upsert, only order
                    merge::new_rows(dataset, day_rows)?
                } else {
                    merge::merge(dataset, existing, day_rows.lazy())?
                });
            }
        } else {
            if staged_days.iter().any(|(d, _)| *d == dataset) {
                return Err(Error::Lake {
                    path: self.root.clone(),
                    message: format!(
                        "internal: {dataset} was staged twice in one commit; its key does not fix its partition, so its exports must come in one batch"
                    ),
                });
            }
            let days = self.affected_days(batch)?;
            old_files = days
                .iter()
                .flat_map(|d| partition_files(&self.partition_dir(dataset, *d)).unwrap_or_default())
                .collect();
            touched.extend(days.iter().copied());
            let existing = without_removed(scan_files(dataset, &old_files)?);
            let merged = if insert_only {
                merge::insert_missing(dataset, existing, batch.rows.clone().lazy())?
            } else {
                merge::merge(dataset, existing, batch.rows.clone().lazy())?
            };
            if merged.height() > 0 {
                parts = merged
                    .partition_by_stable([merge::DAY], true)
                    .ctx(|| format!("splitting {dataset} by day"))?;
            }
        }
        // the partitions are written on every core; what the commit records stays in day order
        let mut writes: Vec<(DataFrame, PathBuf)> = Vec::with_capacity(parts.len());
        for mut part in parts {
            let day = part
                .column(merge::DAY)
                .ctx(|| "day column".into())?
                .i32()
                .ctx(|| "day column".into())?
                .get(0)
                .unwrap_or_default();
            part = part
                .drop(merge::DAY)
                .ctx(|| "dropping the day column".into())?;
            let target = self
                .partition_dir(dataset, day)
                .join(format!("part-{run_id}.parquet"));
            let target_rel = rel(&self.root, &target);
            let staged = staging.join(&target_rel);
            ensure_parent(&staged)?;
            if staged_days.insert((dataset, day)) {
                intent.adds.push((rel(&self.root, &staged), target_rel));
                summary.partitions += 1;
            }
            writes.push((part, staged));
        }
        writes.into_par_iter().try_for_each(|(mut part, staged)| {
            crate::report::table_csv::write_parquet(&mut part, &staged)
        })?;
        // partitions that only lose the replaced keys
        if let Some(keys) = remove {
            for day in self.days_holding(dataset, keys)?.difference(&touched) {
                let files = partition_files(&self.partition_dir(dataset, *day))?;
                let mut kept = without_removed(scan_files(dataset, &files)?)
                    .collect()
                    .ctx(|| format!("removing replaced {dataset} rows"))?;
                if kept.height() > 0 {
                    let target = self
                        .partition_dir(dataset, *day)
                        .join(format!("part-{run_id}.parquet"));
                    let target_rel = rel(&self.root, &target);
                    let staged = staging.join(&target_rel);
                    ensure_parent(&staged)?;
                    crate::report::table_csv::write_parquet(&mut kept, &staged)?;
                    intent.adds.push((rel(&self.root, &staged), target_rel));
                    summary.partitions += 1;
                }
                old_files.extend(files);
            }
        }
        intent
            .removes
            .extend(old_files.iter().map(|p| rel(&self.root, p)));
        Ok(())
    }
}
