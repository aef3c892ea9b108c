//! Removing whole partitions through the commit protocol: `opsbench lake delete` (a date range,
//! for a bad backfill) and `opsbench lake prune` (retention). The removal is one commit (an
//! intent listing the files, then the deletions), recorded in the history with the rows it
//! took out; a crash leaves the lake as before or after. Partitions are chosen by their folder
//! date, parsed, never by matching strings.

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::SerReader;

use super::{Lake, LakeLock, manifest, txn};
use crate::error::{PolarsContext, Result};
use crate::schema::Dataset;

/// What a removal did.
#[derive(Clone, Debug, Default, serde::Serialize, PartialEq)]
pub struct Removed {
    pub dataset: String,
    pub partitions: u64,
    pub files: u64,
    pub rows: u64,
}

/// Remove every partition of `dataset` whose day is in `[from, to)`, in one commit.
pub fn delete_days(
    lake: &Lake,
    _lock: &LakeLock,
    dataset: Dataset,
    from: NaiveDate,
    to: NaiveDate,
    command: &str,
    now: DateTime<Utc>,
) -> Result<Removed> {
    let mut removed = Removed {
        dataset: dataset.name().to_string(),
        ..Default::default()
    };
    let mut files = Vec::new();
    let mut days = std::collections::BTreeSet::new();
    for f in lake.files(dataset)? {
        let day = f
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("date="))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if let Some(day) = day.filter(|d| *d >= from && *d < to) {
            let mut reader =
                polars::prelude::ParquetReader::new(fs_err::File::open(&f)?.into_parts().0);
            removed.rows += reader
                .num_rows()
                .ctx(|| format!("reading the footer of {}", f.display()))?
                as u64;
            days.insert(day);
            files.push(f);
        }
    }
    removed.partitions = days.len() as u64;
    removed.files = files.len() as u64;
    if files.is_empty() {
        return Ok(removed);
    }
    let run_id = super::new_run_id(now);
    let rel = |p: &std::path::Path| {
        p.strip_prefix(lake.root())
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut intent = txn::Intent {
        run_id: run_id.clone(),
        adds: Vec::new(),
        removes: files.iter().map(|f| rel(f)).collect(),
    };
    let mut m = lake.manifest()?;
    m.commits.push(manifest::CommitRecord {
        run_id: run_id.clone(),
        command: command.to_string(),
        committed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        datasets: vec![dataset.name().to_string()],
        files_added: Vec::new(),
        files_replaced: intent.removes.clone(),
        rows_in: 0,
        rows_quarantined: 0,
        rows_out: removed.rows,
    });
    let staged = txn::staging_dir(lake.root(), &run_id).join("_manifest.json");
    txn::write_atomic(&staged, &m.to_bytes()?)?;
    intent
        .adds
        .push((rel(&staged), "_manifest.json".to_string()));
    txn::write_intent(lake.root(), &intent)?;
    txn::apply(lake.root(), &intent)?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_to_delete_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path());
        let lock = lake.lock("test").unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let r = delete_days(
            &lake,
            &lock,
            Dataset::Ccu,
            d("2026-01-01"),
            d("2027-01-01"),
            "lake delete",
            Utc::now(),
        )
        .unwrap();
        assert_eq!(r.files, 0);
        assert!(!dir.path().join("_manifest.json").exists());
    }
}
