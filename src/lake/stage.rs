//! The staging steps of a commit beyond merging rows (see `Lake::commit_with`): the keys each
//! export loaded (`provenance`), the replacement of a dataset's quarantine (`quarantine
//! replay`), and finding the partitions that hold given keys (`ingest --force`). They only
//! write under `LAKE/_staging/RUN_ID/` and add to the intent; the commit point is the caller's.

use std::collections::BTreeSet;

use polars::prelude::*;
use rayon::prelude::*;

use super::{Lake, ensure_parent, is_hidden, merge, provenance, rel, scan_files, txn};
use crate::error::{PolarsContext, Result};
use crate::ingest::Batch;
use crate::schema::Dataset;

impl Lake {
    /// Keep the keys each loaded export gave (see `provenance`): writes one file per export,
    /// on every core, and returns what the intent must add (staged path, target path).
    pub(super) fn stage_provenance(
        &self,
        batch: &Batch,
        run_id: &str,
    ) -> Result<Vec<(String, String)>> {
        let staging = txn::staging_dir(&self.root, run_id);
        let mut offset = 0usize;
        let mut files = Vec::with_capacity(batch.file_rows.len());
        for (sha, n) in &batch.file_rows {
            files.push((sha, batch.rows.slice(offset as i64, *n)));
            offset += n;
        }
        files
            .into_par_iter()
            .map(|(sha, rows)| {
                let mut keys = provenance::keys_of(batch.dataset, &rows)?;
                let target_rel = provenance::rel_path(batch.dataset, sha);
                let staged = staging.join(&target_rel);
                ensure_parent(&staged)?;
                crate::report::table_csv::write_parquet(&mut keys, &staged)?;
                Ok((rel(&self.root, &staged), target_rel))
            })
            .collect()
    }

    /// The partition days holding a row with one of `keys`.
    pub(super) fn days_holding(&self, dataset: Dataset, keys: &DataFrame) -> Result<BTreeSet<i32>> {
        let files = self.files(dataset)?;
        if files.is_empty() {
            return Ok(BTreeSet::new());
        }
        self.days_with_keys(
            dataset,
            &provenance::key_columns(dataset),
            keys.clone().lazy(),
        )
    }

    /// The partition days holding a committed row whose `key` columns match a row of `keys`.
    pub(super) fn days_with_keys(
        &self,
        dataset: Dataset,
        key: &[&str],
        keys: LazyFrame,
    ) -> Result<BTreeSet<i32>> {
        let files = self.files(dataset)?;
        if files.is_empty() {
            return Ok(BTreeSet::new());
        }
        let key: Vec<Expr> = key.iter().map(|k| col(*k)).collect();
        let mut wanted = key.clone();
        wanted.push(merge::day_expr(dataset).alias(merge::DAY));
        let hits = scan_files(dataset, &files)?.select(&wanted).join(
            keys,
            key.clone(),
            key,
            JoinArgs {
                nulls_equal: true,
                ..JoinArgs::new(JoinType::Semi)
            },
        );
        let df = hits
            .select([col(merge::DAY)])
            .unique(None, UniqueKeepStrategy::Any)
            .collect()
            .ctx(|| format!("finding the {dataset} partitions holding given keys"))?;
        Ok(df
            .column(merge::DAY)
            .ctx(|| "day".into())?
            .i32()
            .ctx(|| "day".into())?
            .into_no_null_iter()
            .collect())
    }

    /// Replace every quarantine file of `dataset` by `q` (none when it is empty).
    pub(super) fn stage_quarantine_replacement(
        &self,
        dataset: Dataset,
        q: &DataFrame,
        run_id: &str,
        intent: &mut txn::Intent,
    ) -> Result<()> {
        let dir = self.root.join("_quarantine").join(dataset.name());
        if dir.exists() {
            for e in fs_err::read_dir(&dir)? {
                let p = e?.path();
                let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
                if matches!(ext, "parquet" | "csv") && !is_hidden(&p) {
                    intent.removes.push(rel(&self.root, &p));
                }
            }
        }
        if q.height() > 0 {
            self.stage_quarantine_file(dataset, q, run_id, intent)?;
        }
        Ok(())
    }

    /// Stage `q` as a quarantine file of `dataset` (Parquet and CSV), one per call: a second
    /// batch of the same commit gets `RUN_ID-1`, and so on.
    pub(super) fn stage_quarantine_file(
        &self,
        dataset: Dataset,
        q: &DataFrame,
        run_id: &str,
        intent: &mut txn::Intent,
    ) -> Result<()> {
        let staging = txn::staging_dir(&self.root, run_id);
        let mut base = format!("_quarantine/{dataset}/{run_id}");
        let mut n = 1;
        while staging.join(format!("{base}.parquet")).exists() {
            base = format!("_quarantine/{dataset}/{run_id}-{n}");
            n += 1;
        }
        let mut q = q.clone();
        let pq = staging.join(format!("{base}.parquet"));
        ensure_parent(&pq)?;
        crate::report::table_csv::write_parquet(&mut q, &pq)?;
        intent
            .adds
            .push((rel(&self.root, &pq), format!("{base}.parquet")));
        let csv = staging.join(format!("{base}.csv"));
        crate::report::table_csv::write_csv(&q, &csv)?;
        intent
            .adds
            .push((rel(&self.root, &csv), format!("{base}.csv")));
        Ok(())
    }
}
