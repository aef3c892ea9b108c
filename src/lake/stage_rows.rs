//! Staging a batch's rows (see `Lake::commit_with`): each partition the batch touches is
//! merged with what the lake holds ([`merge`]) and written whole into one staged file; a day
//! an earlier batch of the same commit staged merges into that staged file. It only writes
//! under `LAKE/_staging/RUN_ID/` and adds to the intent; the commit point is the caller's.

use std::collections::{BTreeMap, BTreeSet};
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

/// The days a commit has staged so far, and the day held back from staging.
#[derive(Default)]
pub(super) struct StagedDays {
    /// Days written under the staging folder (a later batch merges into that file).
    pub written: BTreeSet<(Dataset, i32)>,
    /// The last day of a sorted batch, not written yet because the next batch may add to it
    /// (exports cut a day in two at their ends): one run, canonical columns, in key order
    /// with each key once, already holding what the lake had for that day. Writing it once
    /// it is whole saves writing it, reading it back and writing it again.
    held: BTreeMap<(Dataset, i32), DataFrame>,
}

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

    /// Write the days still held back: the commit has no more batches.
    pub(super) fn stage_held(
        &self,
        run_id: &str,
        intent: &mut txn::Intent,
        summary: &mut CommitSummary,
        staged_days: &mut StagedDays,
    ) -> Result<()> {
        let held = std::mem::take(&mut staged_days.held);
        let mut by_dataset: BTreeMap<Dataset, Vec<DataFrame>> = BTreeMap::new();
        for ((dataset, day), run) in held {
            by_dataset
                .entry(dataset)
                .or_default()
                .push(with_day(run, day)?);
        }
        for (dataset, parts) in by_dataset {
            self.write_parts(dataset, parts, run_id, intent, summary, staged_days)?;
        }
        Ok(())
    }

    /// Write day parts (canonical columns plus the day) into the staging folder, on every
    /// core; what the commit records stays in the parts' order.
    fn write_parts(
        &self,
        dataset: Dataset,
        parts: Vec<DataFrame>,
        run_id: &str,
        intent: &mut txn::Intent,
        summary: &mut CommitSummary,
        staged_days: &mut StagedDays,
    ) -> Result<()> {
        let staging = txn::staging_dir(&self.root, run_id);
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
            // one chunk per column, however the rows were gathered, so a file's bytes depend
            // on its rows only
            part.rechunk_mut_par();
            let target = self
                .partition_dir(dataset, day)
                .join(format!("part-{run_id}.parquet"));
            let target_rel = rel(&self.root, &target);
            let staged = staging.join(&target_rel);
            ensure_parent(&staged)?;
            if staged_days.written.insert((dataset, day)) {
                intent.adds.push((rel(&self.root, &staged), target_rel));
                summary.partitions += 1;
            }
            writes.push((part, staged));
        }
        writes.into_par_iter().try_for_each(|(mut part, staged)| {
            crate::report::table_csv::write_parquet(&mut part, &staged)
        })?;
        Ok(())
    }

    pub(super) fn stage_batch(
        &self,
        batch: &Batch,
        run_id: &str,
        intent: &mut txn::Intent,
        summary: &mut CommitSummary,
        how: StageHow<'_>,
        staged_days: &mut StagedDays,
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
            let days = self.batch_days(batch)?;
            let sorted_path = batch.sorted && !insert_only && remove.is_none();
            // a held day this batch does not add to is whole: write it with this batch's days
            let held_days: Vec<(Dataset, i32)> = staged_days
                .held
                .keys()
                .filter(|(d, day)| *d == dataset && !days.iter().any(|(x, _)| x == day))
                .copied()
                .collect();
            for k in held_days {
                if let Some(run) = staged_days.held.remove(&k) {
                    parts.push(with_day(run, k.1)?);
                }
            }
            let last_day = days.last().map(|(d, _)| *d);
            for (day, slices) in days {
                let target_rel = rel(
                    &self.root,
                    &self
                        .partition_dir(dataset, day)
                        .join(format!("part-{run_id}.parquet")),
                );
                let held = staged_days.held.remove(&(dataset, day));
                // a day an earlier batch of this commit staged merges into that staged file
                // (a held day already holds what the lake had)
                let files = if held.is_some() {
                    Vec::new()
                } else if staged_days.written.contains(&(dataset, day)) {
                    vec![staging.join(&target_rel)]
                } else {
                    let files = partition_files(&self.partition_dir(dataset, day))?;
                    old_files.extend(files.iter().cloned());
                    files
                };
                touched.insert(day);
                if sorted_path && files.len() <= 1 {
                    // the batch's slices are each in key order with each key once, and so
                    // are a partition file and a held day: when their key ranges do not
                    // overlap, laid end to end they are what the merge would give, without
                    // sorting again
                    let mut runs: Vec<DataFrame> = held.iter().cloned().collect();
                    for s in &slices {
                        runs.push(
                            s.select(spec.columns.iter().map(|c| c.name))
                                .ctx(|| format!("the rows of {dataset}"))?,
                        );
                    }
                    if !files.is_empty() {
                        runs.push(
                            scan_files(dataset, &files)?
                                .collect()
                                .ctx(|| format!("reading the {dataset} rows of a day"))?,
                        );
                    }
                    if let Some(run) = merge::disjoint_runs(dataset, runs)? {
                        if Some(day) == last_day {
                            staged_days.held.insert((dataset, day), run);
                        } else {
                            parts.push(with_day(run, day)?);
                        }
                        continue;
                    }
                }
                let mut slices = slices.into_iter();
                let mut day_rows = slices.next().unwrap_or_default();
                for s in slices {
                    day_rows
                        .vstack_mut_owned(s)
                        .ctx(|| format!("joining {dataset} rows of one day"))?;
                }
                let nothing_before = files.is_empty() && held.is_none();
                // a held day's rows came from earlier batches: this batch's rows win
                let existing = match held {
                    Some(run) => run.lazy(),
                    None => without_removed(scan_files(dataset, &files)?),
                };
                parts.push(if insert_only {
                    merge::insert_missing(dataset, existing, day_rows.lazy())?
                } else if nothing_before && merge::keys_distinct(dataset, &day_rows)? {
                    // a new day whose rows hold each key once: nothing to upsert, only order
                    merge::new_rows(dataset, day_rows)?
                } else {
                    merge::merge(dataset, existing, day_rows.lazy())?
                });
            }
        } else {
            if staged_days.written.iter().any(|(d, _)| *d == dataset) {
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
        self.write_parts(dataset, parts, run_id, intent, summary, staged_days)?;
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

/// A day's rows with the day column the staging writes by.
fn with_day(mut run: DataFrame, day: i32) -> Result<DataFrame> {
    let n = run.height();
    run.with_column(Column::new_scalar(merge::DAY.into(), Scalar::from(day), n))
        .ctx(|| "day column".into())?;
    Ok(run)
}
