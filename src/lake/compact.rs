//! `opsbench lake compact`: rewrite every partition made of several files into one file with
//! the same rows (sorted by key, like every file the lake writes), in one commit, and report the
//! file counts and sizes before and after. The rows are read and written by polars; nothing is
//! merged or deduplicated, so the rows are exactly those of the files replaced.

use polars::prelude::*;

use super::{
    Lake, LakeLock, ensure_parent, manifest, merge, partition_files, rel, scan_files, txn,
};
use crate::error::{PolarsContext, Result};
use crate::schema::Dataset;

/// What compaction did to one dataset.
#[derive(Clone, Debug, Default, serde::Serialize, PartialEq)]
pub struct Compacted {
    pub dataset: String,
    pub partitions: u64,
    pub files_before: u64,
    pub files_after: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// Compact every partition of every dataset holding at least `min_files` files.
pub fn compact(
    lake: &Lake,
    _lock: &LakeLock,
    min_files: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Compacted>> {
    let run_id = super::new_run_id(now);
    let staging = txn::staging_dir(lake.root(), &run_id);
    let mut intent = txn::Intent {
        run_id: run_id.clone(),
        ..Default::default()
    };
    let mut out = Vec::new();
    for dataset in Dataset::ALL {
        let mut c = Compacted {
            dataset: dataset.name().to_string(),
            ..Default::default()
        };
        let dir = lake.dataset_dir(dataset);
        let mut parts: Vec<std::path::PathBuf> = Vec::new();
        if dir.exists() {
            for e in fs_err::read_dir(&dir)? {
                let p = e?.path();
                if p.is_dir()
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("date="))
                {
                    parts.push(p);
                }
            }
        }
        parts.sort();
        for part in parts {
            let files = partition_files(&part)?;
            if files.len() < min_files.max(2) {
                continue;
            }
            let bytes: u64 = files
                .iter()
                .map(|f| fs_err::metadata(f).map(|m| m.len()))
                .sum::<std::io::Result<u64>>()?;
            let by: Vec<PlSmallStr> = merge::sort_columns(dataset)
                .into_iter()
                .map(PlSmallStr::from_static)
                .collect();
            let mut rows = scan_files(dataset, &files)?
                .collect()
                .ctx(|| format!("reading {}", part.display()))?
                .sort(by, SortMultipleOptions::default().with_maintain_order(true))
                .ctx(|| format!("sorting {}", part.display()))?;
            let target = part.join(format!("part-{run_id}.parquet"));
            let target_rel = rel(lake.root(), &target);
            let staged = staging.join(&target_rel);
            ensure_parent(&staged)?;
            crate::report::table_csv::write_parquet(&mut rows, &staged)?;
            c.partitions += 1;
            c.files_before += files.len() as u64;
            c.files_after += 1;
            c.bytes_before += bytes;
            c.bytes_after += fs_err::metadata(&staged)?.len();
            intent.adds.push((rel(lake.root(), &staged), target_rel));
            intent
                .removes
                .extend(files.iter().map(|f| rel(lake.root(), f)));
        }
        out.push(c);
    }
    if intent.adds.is_empty() {
        return Ok(out);
    }
    let mut m = lake.manifest()?;
    m.commits.push(manifest::CommitRecord {
        run_id: run_id.clone(),
        command: "lake compact".into(),
        committed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        datasets: out
            .iter()
            .filter(|c| c.partitions > 0)
            .map(|c| c.dataset.clone())
            .collect(),
        files_added: intent.adds.iter().map(|(_, t)| t.clone()).collect(),
        files_replaced: intent.removes.clone(),
        rows_in: 0,
        rows_quarantined: 0,
        rows_out: 0,
    });
    let staged_manifest = staging.join("_manifest.json");
    txn::write_atomic(&staged_manifest, &m.to_bytes()?)?;
    intent.adds.push((
        rel(lake.root(), &staged_manifest),
        "_manifest.json".to_string(),
    ));
    txn::write_intent(lake.root(), &intent)?;
    txn::apply(lake.root(), &intent)?;
    Ok(out)
}
