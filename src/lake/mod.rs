//! The Parquet lake: `LAKE/DATASET/date=YYYY-MM-DD/part-RUN_ID.parquet` (zstd), the
//! quarantine under `LAKE/_quarantine/DATASET/`, `LAKE/_manifest.json`, the run lock and the
//! commit protocol. What is derived from it lives under `LAKE/_derived/` ([`derived`], the
//! per-day aggregates of [`daily`], and the month copies `monthly` reads small datasets through).
//!
//! Every partition a batch touches is rewritten whole into one new file (copy on write): the
//! lake's rows are merged with the batch ([`merge`]), the result is staged, and one intent
//! swaps the new files for the old ([`txn`]). Partition folders are named from parsed dates
//! only, never from raw strings. Readers see only committed files: staged and temporary files
//! live outside the dataset folders, and names starting with `.` or `_` are never read.

pub mod compact;
pub mod daily;
mod daily_sums;

/// Microseconds in a UTC day (partition days are UTC dates).
pub(crate) const DAY_US: i64 = 86_400_000_000;
pub mod delete;
pub mod derived;
pub mod evolve;
pub mod lock;
pub mod manifest;
pub mod merge;
mod monthly;
pub mod provenance;
pub mod sql;
mod stage;
mod stage_rows;
pub mod status;
pub mod txn;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;

use crate::error::{Error, PolarsContext, Result};
use crate::ingest::{Batch, Outcome};
use crate::schema::Dataset;
pub use lock::LakeLock;
pub use manifest::Manifest;

/// A commit's id, which names its staged folder and the files it adds: the time, the process
/// and a sequence number within the process, so two commits of one command never share one
/// even when the clock is pinned (`SOURCE_DATE_EPOCH`).
pub fn new_run_id(now: DateTime<Utc>) -> String {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{}-{}-{seq}",
        now.format("%Y%m%dT%H%M%S%6fZ"),
        std::process::id()
    )
}

/// A lake at a root folder.
#[derive(Clone, Debug)]
pub struct Lake {
    root: PathBuf,
}

/// What a commit changed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CommitSummary {
    pub run_id: String,
    pub files_added: usize,
    pub files_replaced: usize,
    pub partitions: usize,
    pub rows_in: u64,
    pub rows_quarantined: u64,
}

impl Lake {
    pub fn new(root: impl Into<PathBuf>) -> Lake {
        Lake { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Take the run lock (creating the lake if needed), then finish or discard what a crashed
    /// run left behind.
    pub fn lock(&self, command: &str) -> Result<LakeLock> {
        fs_err::create_dir_all(&self.root)?;
        let held = lock::acquire(&self.root, command)?;
        txn::recover(&self.root)?;
        Ok(held)
    }

    pub fn manifest(&self) -> Result<Manifest> {
        Manifest::load(&self.root)
    }

    /// The folder of a dataset.
    pub fn dataset_dir(&self, dataset: Dataset) -> PathBuf {
        self.root.join(dataset.name())
    }

    /// The committed Parquet files of a dataset, sorted by path.
    pub fn files(&self, dataset: Dataset) -> Result<Vec<PathBuf>> {
        let dir = self.dataset_dir(dataset);
        let mut out = Vec::new();
        if !dir.exists() {
            return Ok(out);
        }
        for part in fs_err::read_dir(&dir)? {
            let part = part?;
            let name = part.file_name().to_string_lossy().to_string();
            if !name.starts_with("date=") || !part.file_type()?.is_dir() {
                continue;
            }
            out.extend(partition_files(&part.path())?);
        }
        out.sort();
        Ok(out)
    }

    /// The committed rows of a dataset, canonical columns and types (an empty frame when the
    /// dataset has no rows). Columns missing from older files read as null.
    pub fn scan(&self, dataset: Dataset) -> Result<LazyFrame> {
        let files = self.files_through_months(dataset, self.files(dataset)?)?;
        scan_files(dataset, &files)
    }

    /// The committed files of a dataset by partition date (`date=YYYY-MM-DD`), newest first.
    pub fn files_by_date(&self, dataset: Dataset) -> Result<Vec<(NaiveDate, Vec<PathBuf>)>> {
        let mut by: BTreeMap<NaiveDate, Vec<PathBuf>> = BTreeMap::new();
        for f in self.files(dataset)? {
            let date = f
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("date="))
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            if let Some(date) = date {
                by.entry(date).or_default().push(f);
            }
        }
        Ok(by.into_iter().rev().collect())
    }

    /// Scan some of a dataset's committed files (from [`Lake::files_by_date`]).
    pub fn scan_some(&self, dataset: Dataset, files: &[PathBuf]) -> Result<LazyFrame> {
        scan_files(dataset, files)
    }

    /// Commit the batches: merge them into their partitions, write the quarantine, update the
    /// manifest, all in one atomic commit. `now` is the ingest time recorded.
    pub fn commit(
        &self,
        lock: &LakeLock,
        command: &str,
        batches: &[Batch],
        now: DateTime<Utc>,
    ) -> Result<CommitSummary> {
        self.commit_with(lock, command, batches, now, CommitExtras::default())
    }

    /// [`Lake::commit`], with what `quarantine replay` and `ingest --force` also need in the
    /// same commit.
    pub fn commit_with(
        &self,
        lock: &LakeLock,
        command: &str,
        batches: &[Batch],
        now: DateTime<Utc>,
        extras: CommitExtras,
    ) -> Result<CommitSummary> {
        let mut it = batches.iter();
        let mut next = || -> Result<Option<BatchRef<'_>>> { Ok(it.next().map(BatchRef::Borrowed)) };
        self.commit_from(lock, command, &mut next, now, extras)
    }

    /// One atomic commit of the batches `next` gives, read one after the other, so only one
    /// batch's rows are in memory at a time (`ingest` reads large exports in chunks). Batches
    /// of one dataset may touch the same day: the later merges into what the earlier staged.
    pub fn commit_from<'b>(
        &self,
        _lock: &LakeLock,
        command: &str,
        next: &mut dyn FnMut() -> Result<Option<BatchRef<'b>>>,
        now: DateTime<Utc>,
        extras: CommitExtras,
    ) -> Result<CommitSummary> {
        let CommitExtras {
            insert_only,
            replace_quarantine,
            edit_manifest,
            replace_keys,
        } = extras;
        let run_id = new_run_id(now);
        let staging = txn::staging_dir(&self.root, &run_id);
        let mut intent = txn::Intent {
            run_id: run_id.clone(),
            ..Default::default()
        };
        let mut summary = CommitSummary {
            run_id: run_id.clone(),
            ..Default::default()
        };
        let mut manifest = self.manifest()?;
        let mut datasets = Vec::new();
        let mut staged_days = stage_rows::StagedDays::default();
        let result = (|| -> Result<()> {
            if let Some((dataset, q)) = &replace_quarantine {
                self.stage_quarantine_replacement(*dataset, q, &run_id, &mut intent)?;
                datasets.push(dataset.name().to_string());
            }
            while let Some(batch) = next()? {
                let batch: &Batch = &batch;
                let started = std::time::Instant::now();
                let remove = replace_keys
                    .iter()
                    .find(|(d, k)| *d == batch.dataset && k.height() > 0)
                    .map(|(_, k)| k);
                // the export's keys are written beside its rows
                let (provenance, staged) = rayon::join(
                    || self.stage_provenance(batch, &run_id),
                    || {
                        self.stage_batch(
                            batch,
                            &run_id,
                            &mut intent,
                            &mut summary,
                            StageHow {
                                insert_only,
                                remove,
                            },
                            &mut staged_days,
                        )
                    },
                );
                staged?;
                intent.adds.extend(provenance?);
                tracing::debug!(
                    dataset = %batch.dataset,
                    rows = batch.rows.height(),
                    seconds = started.elapsed().as_secs_f64(),
                    "staged a batch"
                );
                if batch.files.iter().any(|f| f.outcome == Outcome::Loaded) {
                    datasets.push(batch.dataset.name().to_string());
                }
                // an export skipped by content keeps its modification time, so the next run
                // can skip it without hashing it
                for f in batch.files.iter().filter(|f| f.outcome == Outcome::Skipped) {
                    let shown = f.path.display().to_string();
                    if let Some(m) = manifest.files.iter_mut().rev().find(|m| {
                        m.dataset == f.dataset.name() && m.sha256 == f.sha256 && m.path == shown
                    }) && f.modified_ns.is_some()
                    {
                        m.modified_ns = f.modified_ns;
                    }
                }
                for f in batch.files.iter().filter(|f| f.outcome == Outcome::Loaded) {
                    manifest
                        .files
                        .retain(|m| !(m.dataset == f.dataset.name() && m.sha256 == f.sha256));
                    manifest.files.push(manifest::IngestedFile {
                        dataset: f.dataset.name().to_string(),
                        path: f.path.display().to_string(),
                        size_bytes: f.size_bytes,
                        modified_ns: f.modified_ns,
                        sha256: f.sha256.clone(),
                        rows_read: f.rows_read,
                        rows_loaded: f.rows_loaded,
                        rows_quarantined: f.rows_quarantined,
                        rows_flagged: f.rows_flagged,
                        rules: f
                            .rules
                            .iter()
                            .map(|(r, c)| (r.id().to_string(), c.clone()))
                            .collect(),
                        ingested_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        run_id: run_id.clone(),
                    });
                }
            }
            self.stage_held(&run_id, &mut intent, &mut summary, &mut staged_days)?;
            if intent.adds.is_empty() && intent.removes.is_empty() && datasets.is_empty() {
                return Ok(());
            }
            if let Some(edit) = edit_manifest {
                edit(&mut manifest);
            }
            manifest.commits.push(manifest::CommitRecord {
                run_id: run_id.clone(),
                command: command.to_string(),
                committed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                datasets: datasets.clone(),
                files_added: intent.adds.iter().map(|(_, t)| t.clone()).collect(),
                files_replaced: intent.removes.clone(),
                rows_in: summary.rows_in,
                rows_quarantined: summary.rows_quarantined,
                rows_out: 0,
            });
            let staged_manifest = staging.join("_manifest.json");
            txn::write_atomic(&staged_manifest, &manifest.to_bytes()?)?;
            intent.adds.push((
                rel(&self.root, &staged_manifest),
                "_manifest.json".to_string(),
            ));
            txn::write_intent(&self.root, &intent)?;
            Ok(())
        })();
        if let Err(e) = result {
            // before the commit point: nothing happened; drop what was staged
            let _ = fs_err::remove_dir_all(&staging);
            return Err(e);
        }
        if intent.adds.is_empty() {
            return Ok(summary);
        }
        let started = std::time::Instant::now();
        txn::apply(&self.root, &intent)?;
        tracing::debug!(
            files = intent.adds.len(),
            seconds = started.elapsed().as_secs_f64(),
            "applied a commit"
        );
        summary.files_added = intent.adds.len() - 1;
        summary.files_replaced = intent.removes.len();
        Ok(summary)
    }

    /// The partition days a batch may change: its own, plus (for datasets whose key does not
    /// fix the partition, and for cost deliveries) those holding a row it replaces.
    fn affected_days(&self, batch: &Batch) -> Result<BTreeSet<i32>> {
        let dataset = batch.dataset;
        let mut days: BTreeSet<i32> = day_values(batch.rows.clone().lazy(), dataset)?;
        let spec = dataset.spec();
        let key_fixes_partition = spec.key.contains(&spec.partition_by);
        if key_fixes_partition {
            return Ok(days);
        }
        let cols: Vec<Expr> = spec.key.iter().map(|k| col(*k)).collect();
        let batch_keys = batch
            .rows
            .clone()
            .lazy()
            .select(cols)
            .unique(None, UniqueKeepStrategy::Any);
        days.extend(self.days_with_keys(dataset, spec.key, batch_keys)?);
        Ok(days)
    }

    fn partition_dir(&self, dataset: Dataset, day: i32) -> PathBuf {
        self.dataset_dir(dataset)
            .join(format!("date={}", day_to_date(day)))
    }

    /// The quarantined rows of a dataset (every run), or an empty frame.
    pub fn quarantine(&self, dataset: Dataset) -> Result<DataFrame> {
        let dir = self.root.join("_quarantine").join(dataset.name());
        let mut files = Vec::new();
        if dir.exists() {
            for e in fs_err::read_dir(&dir)? {
                let p = e?.path();
                if p.extension().is_some_and(|x| x == "parquet") && !is_hidden(&p) {
                    files.push(p);
                }
            }
        }
        files.sort();
        let mut out: Option<DataFrame> = None;
        for f in files {
            let df = ParquetReader::new(fs_err::File::open(&f)?.into_parts().0)
                .finish()
                .ctx(|| format!("reading {}", f.display()))?;
            match &mut out {
                None => out = Some(df),
                Some(o) => {
                    o.vstack_mut_owned(df)
                        .ctx(|| "joining quarantine files".into())?;
                }
            }
        }
        Ok(out.unwrap_or_default())
    }
}

/// How a batch merges into its partitions.
#[derive(Clone, Copy)]
struct StageHow<'a> {
    /// Add only rows whose key the lake does not hold.
    insert_only: bool,
    /// Keys removed first (`ingest --force`).
    remove: Option<&'a DataFrame>,
}

/// A batch given to [`Lake::commit_from`]: one the caller keeps, or one it hands over.
pub enum BatchRef<'a> {
    Borrowed(&'a Batch),
    Owned(Batch),
}

impl std::ops::Deref for BatchRef<'_> {
    type Target = Batch;
    fn deref(&self) -> &Batch {
        match self {
            BatchRef::Borrowed(b) => b,
            BatchRef::Owned(b) => b,
        }
    }
}

/// What a commit does beside merging batches (see `commands/quarantine.rs`).
#[derive(Default)]
pub struct CommitExtras {
    /// Add only rows whose key the lake does not hold (never replace one).
    pub insert_only: bool,
    /// Replace the dataset's whole quarantine by this frame.
    pub replace_quarantine: Option<(Dataset, DataFrame)>,
    /// Change the manifest (its per-export counts) in the same commit.
    pub edit_manifest: Option<ManifestEdit>,
    /// Keys to remove from a dataset in the same commit (`ingest --force`: what the export
    /// loaded last time); the batch's rows then take their place.
    pub replace_keys: Vec<(Dataset, DataFrame)>,
}

/// A change to the manifest made inside a commit.
pub type ManifestEdit = Box<dyn FnOnce(&mut Manifest)>;

/// The day of the first row of a one-day frame's `_day` column.
fn day_of(days: &Column) -> Result<i32> {
    days.i32()
        .ctx(|| "day column".into())?
        .get(0)
        .ok_or_else(|| Error::Lake {
            path: PathBuf::new(),
            message: "a partition without a day".into(),
        })
}

fn ensure_parent(p: &Path) -> Result<()> {
    if let Some(parent) = p.parent() {
        fs_err::create_dir_all(parent)?;
    }
    Ok(())
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .map(|n| n.to_string_lossy().starts_with(['.', '_']))
        .unwrap_or(true)
}

/// Committed Parquet files of one partition folder.
fn partition_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for e in fs_err::read_dir(dir)? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "parquet") && !is_hidden(&p) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Scan files as canonical rows (or an empty frame with the canonical schema).
fn scan_files(dataset: Dataset, files: &[PathBuf]) -> Result<LazyFrame> {
    let schema = crate::ingest::validate::canonical_schema(dataset);
    if files.is_empty() {
        return Ok(DataFrame::empty_with_schema(&schema).lazy());
    }
    evolve::scan(dataset, files, &schema, |files| {
        scan_current(dataset, files, schema.clone())
    })
}

/// Scan files written with today's schema (or lacking some of its columns, read as null).
fn scan_current(dataset: Dataset, files: &[PathBuf], schema: Schema) -> Result<LazyFrame> {
    let paths: Vec<PlRefPath> = files
        .iter()
        .map(|p| PlRefPath::new(p.to_string_lossy().as_ref()))
        .collect();
    let args = ScanArgsParquet {
        hive_options: HiveOptions {
            enabled: Some(false),
            hive_start_idx: 0,
            schema: None,
            try_parse_dates: false,
        },
        schema: Some(Arc::new(schema)),
        allow_missing_columns: true,
        glob: false,
        ..Default::default()
    };
    LazyFrame::scan_parquet_files(paths.into(), args)
        .ctx(|| format!("scanning the {dataset} files of the lake"))
}

fn day_values(lf: LazyFrame, dataset: Dataset) -> Result<BTreeSet<i32>> {
    let df = lf
        .select([merge::day_expr(dataset).alias(merge::DAY)])
        .unique(None, UniqueKeepStrategy::Any)
        .collect()
        .ctx(|| format!("finding the days of {dataset} rows"))?;
    Ok(df
        .column(merge::DAY)
        .ctx(|| "day".into())?
        .i32()
        .ctx(|| "day".into())?
        .into_no_null_iter()
        .collect())
}

/// A day number (days since 1970-01-01) as a date; out-of-range days clamp (they cannot come
/// from a parsed timestamp, which is limited to years 1000-9999).
pub fn day_to_date(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(day))))
        .unwrap_or(NaiveDate::MIN)
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

impl From<&Lake> for PathBuf {
    fn from(l: &Lake) -> PathBuf {
        l.root.clone()
    }
}

/// Check a lake folder is not something else's folder before writing into it.
pub fn check_root(root: &Path) -> Result<()> {
    if root.exists() && !root.is_dir() {
        return Err(Error::Lake {
            path: root.to_path_buf(),
            message: "exists and is not a folder".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_folders_come_from_day_numbers_only() {
        let lake = Lake::new("/l");
        assert_eq!(
            lake.partition_dir(Dataset::Ccu, 0),
            PathBuf::from("/l/ccu/date=1970-01-01")
        );
        assert_eq!(
            lake.partition_dir(Dataset::Ccu, 20_362),
            PathBuf::from("/l/ccu/date=2025-10-01")
        );
        // hostile values cannot produce anything but a date
        for d in [i32::MIN, i32::MAX, -1] {
            let p = lake.partition_dir(Dataset::Ccu, d);
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                name.starts_with("date=") && !name.contains('/') && !name.contains(".."),
                "{name}"
            );
        }
    }
}
