//! What the lake holds, without reading its data: per dataset the rows (from Parquet footers),
//! partitions, first and last day, bytes and files on disk, the last ingest and its export,
//! quarantined rows by rule (from the manifest); the lake's schema version; and any intent or
//! staging folder a crashed run left behind; the partitions that predate a column added later. Read-only: it takes no lock and writes nothing.

use std::collections::BTreeMap;

use polars::prelude::SerReader;
use serde::Serialize;

use super::{Lake, Manifest, manifest::SCHEMA_VERSION};
use crate::error::{PolarsContext, Result};
use crate::schema::{Dataset, Rule};

/// One dataset's state.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DatasetStatus {
    pub dataset: String,
    pub rows: u64,
    pub partitions: u64,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    pub bytes: u64,
    pub files: u64,
    pub last_ingest_at: Option<String>,
    pub last_export: Option<String>,
    pub quarantined_by_rule: BTreeMap<String, u64>,
    /// Columns added after some partitions were written: column → those partitions
    /// (`date=…`), where the column reads as null.
    pub predating: BTreeMap<String, Vec<String>>,
}

/// The whole lake's state.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LakeStatus {
    pub schema_version: u32,
    pub datasets: Vec<DatasetStatus>,
    /// Intents (`_txn/*.json`) and staging folders left by a run that stopped; the next run
    /// completes or discards them.
    pub pending_intents: Vec<String>,
    pub staging_folders: Vec<String>,
}

fn names_in(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if dir.exists() {
        for e in fs_err::read_dir(dir)? {
            out.push(e?.file_name().to_string_lossy().to_string());
        }
    }
    out.sort();
    Ok(out)
}

/// Read the lake's state.
pub fn status(lake: &Lake) -> Result<LakeStatus> {
    let manifest: Manifest = lake.manifest()?;
    let mut datasets = Vec::new();
    for d in Dataset::ALL {
        let files = lake.files(d)?;
        let mut rows = 0u64;
        let mut bytes = 0u64;
        let mut days: Vec<String> = Vec::new();
        for f in &files {
            bytes += fs_err::metadata(f)?.len();
            let mut reader =
                polars::prelude::ParquetReader::new(fs_err::File::open(f)?.into_parts().0);
            rows += reader
                .num_rows()
                .ctx(|| format!("reading the footer of {}", f.display()))?
                as u64;
            if let Some(day) = f
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("date="))
            {
                days.push(day.to_string());
            }
        }
        days.sort();
        days.dedup();
        let ingested: Vec<_> = manifest
            .files
            .iter()
            .filter(|m| m.dataset == d.name())
            .collect();
        let last = ingested.iter().max_by(|a, b| {
            a.ingested_at
                .cmp(&b.ingested_at)
                .then(a.run_id.cmp(&b.run_id))
        });
        let mut quarantined_by_rule = BTreeMap::new();
        for m in &ingested {
            for (rule, c) in &m.rules {
                if Rule::from_id(rule).is_some_and(|r| !r.is_flag()) {
                    *quarantined_by_rule.entry(rule.clone()).or_insert(0) += c.rows;
                }
            }
        }
        datasets.push(DatasetStatus {
            dataset: d.name().to_string(),
            rows,
            partitions: days.len() as u64,
            first_date: days.first().cloned(),
            last_date: days.last().cloned(),
            bytes,
            files: files.len() as u64,
            last_ingest_at: last.map(|m| m.ingested_at.clone()),
            last_export: last.map(|m| m.path.clone()),
            quarantined_by_rule,
            predating: super::evolve::predating(
                d,
                &files,
                &crate::ingest::validate::canonical_schema(d),
            )?,
        });
    }
    Ok(LakeStatus {
        schema_version: if manifest.files.is_empty() && manifest.commits.is_empty() {
            SCHEMA_VERSION
        } else {
            manifest.schema_version
        },
        datasets,
        pending_intents: names_in(&lake.root().join("_txn"))?,
        staging_folders: names_in(&lake.root().join("_staging"))?,
    })
}
