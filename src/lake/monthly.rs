//! Month-consolidated copies of the small datasets, so reading a year of them opens a dozen
//! files rather than a file per day: with polars, opening a Parquet file (its footer, a zstd
//! context per column) costs about as much as reading a small day's rows, and a nightly run
//! reads SLO, cost, activity, incidents, deployments, events and capacity whole.
//!
//! Layout: `LAKE/_derived/monthly/DATASET/month=YYYY-MM/KEY.parquet`, the rows of the month's
//! partition files in the order a scan of those files gives them (day by day, each file's rows
//! in order), in the canonical schema. `KEY` is a SHA-256 of the copy's version, the dataset and
//! the names and sizes of those files, so a month whose files changed (a new day, a restated
//! row, `--force`, `lake compact`, a prune) gets a new key and is copied again; an unchanged
//! month is read from its copy. [`Lake::scan`] reads through them; rows, order and types are
//! those of the day files, so every figure is the same (the nightly identity test reads the
//! same tables through either).
//!
//! CCU is never copied (its readers use `lake::daily`'s aggregates), nor is a month whose files
//! add up to more than [`MAX_MONTH_BYTES`] (large files gain nothing). Like `daily`, the copies
//! take no lock, are written under a temporary name and renamed, and a copy that cannot be
//! written or read only means the day files are read. Paths are built from parsed dates and hex
//! digests only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Lake, scan_files};
use crate::error::{PolarsContext, Result};
use crate::schema::Dataset;

/// Bump when the copies' layout changes: every month is then copied again.
const VERSION: &str = "monthly/1";

/// A month whose partition files add up to more than this is read from its day files.
pub const MAX_MONTH_BYTES: u64 = 32 << 20;

/// Whether a dataset's reads go through month copies.
fn consolidated(dataset: Dataset) -> bool {
    dataset != Dataset::Ccu
}

fn month_dir(root: &Path, dataset: Dataset, month: &str) -> PathBuf {
    root.join("_derived")
        .join("monthly")
        .join(dataset.name())
        .join(format!("month={month}"))
}

/// The `YYYY-MM` of a partition file (`…/date=YYYY-MM-DD/part-….parquet`), from a parsed date.
fn month_of(file: &Path) -> Option<String> {
    let name = file
        .parent()?
        .file_name()?
        .to_str()?
        .strip_prefix("date=")?;
    let date = chrono::NaiveDate::parse_from_str(name, "%Y-%m-%d").ok()?;
    Some(date.format("%Y-%m").to_string())
}

impl Lake {
    /// The files a whole-dataset scan reads: for each month, its copy (made now if missing),
    /// or its day files when the dataset or the month is not copied. In file order.
    pub(super) fn files_through_months(
        &self,
        dataset: Dataset,
        files: Vec<PathBuf>,
    ) -> Result<Vec<PathBuf>> {
        if !consolidated(dataset) || files.is_empty() {
            return Ok(files);
        }
        let mut by_month: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        let mut loose = Vec::new();
        for f in files {
            match month_of(&f) {
                Some(m) => by_month.entry(m).or_default().push(f),
                None => loose.push(f),
            }
        }
        if !loose.is_empty() {
            // not the layout this module knows: read everything as it is
            let mut all: Vec<PathBuf> = by_month.into_values().flatten().collect();
            all.extend(loose);
            all.sort();
            return Ok(all);
        }
        // months whose partitions are all gone (pruned, deleted) lose their copies
        let base = self
            .root
            .join("_derived")
            .join("monthly")
            .join(dataset.name());
        if let Ok(entries) = std::fs::read_dir(&base) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if let Some(m) = name.strip_prefix("month=")
                    && !by_month.contains_key(m)
                {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let mut out = Vec::new();
        let mut copying = true;
        for (month, files) in by_month {
            if !copying {
                out.extend(files);
                continue;
            }
            match self.month_copy(dataset, &month, &files) {
                Ok(Some(copy)) => out.push(copy),
                Ok(None) => out.extend(files),
                Err(e) => {
                    // once per scan: a read-only lake would say it for every month
                    tracing::warn!("reading the {dataset} partitions one by one: {e}");
                    copying = false;
                    out.extend(files);
                }
            }
        }
        Ok(out)
    }

    /// The copy of one month's files, made if missing; `None` when the month is too large.
    fn month_copy(
        &self,
        dataset: Dataset,
        month: &str,
        files: &[PathBuf],
    ) -> Result<Option<PathBuf>> {
        let mut h = Sha256::new();
        h.update(format!("{VERSION}\n{dataset}").as_bytes());
        let mut bytes = 0;
        for f in files {
            let size = fs_err::metadata(f)?.len();
            bytes += size;
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let day = f
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            h.update(format!("\n{day}/{name}\t{size}").as_bytes());
        }
        if bytes > MAX_MONTH_BYTES {
            return Ok(None);
        }
        let dir = month_dir(&self.root, dataset, month);
        let path = dir.join(format!("{:x}.parquet", h.finalize()));
        if path.exists() {
            return Ok(Some(path));
        }
        let mut rows = scan_files(dataset, files)?
            .collect()
            .ctx(|| format!("copying the {dataset} rows of {month}"))?;
        super::daily::write_cache(&mut rows, &path)?;
        // the month's older copies are stale now
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p != path && !e.file_name().to_string_lossy().starts_with('.') {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
        Ok(Some(path))
    }
}
