//! Which rows each export loaded, so `ingest --force FILE` can replace them: at every commit
//! the keys of the rows an export gave are kept in `LAKE/_provenance/DATASET/SHA256.parquet`
//! (for cost, which has no row key, its (`BillingAccountId`, `BillingPeriodStart`) pairs).
//! The file name is the export's checksum, never a string from the data.
//!
//! On `--force`, the keys an export loaded last time are removed from the lake in the same
//! commit that loads it again, except keys that an export ingested after it also loaded (its
//! rows are newer and stay). So a mapping fix that changes keys leaves no stale rows behind.
//!
//! Other Parquet readers never see these files: they live outside the dataset folders.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::manifest::Manifest;
use crate::error::{PolarsContext, Result};
use crate::schema::Dataset;

/// The columns that identify what an export loaded.
pub fn key_columns(dataset: Dataset) -> Vec<&'static str> {
    match dataset {
        Dataset::Cost => vec!["BillingAccountId", "BillingPeriodStart"],
        _ => dataset.spec().key.to_vec(),
    }
}

/// Where an export's keys are kept, relative to the lake root.
pub fn rel_path(dataset: Dataset, sha256: &str) -> String {
    // a checksum is hex; anything else cannot name a file
    let sha: String = sha256.chars().filter(char::is_ascii_hexdigit).collect();
    format!("_provenance/{dataset}/{sha}.parquet")
}

/// The keys of `rows` (the canonical columns of one export's rows).
pub fn keys_of(dataset: Dataset, rows: &DataFrame) -> Result<DataFrame> {
    let cols: Vec<Expr> = key_columns(dataset).into_iter().map(col).collect();
    // in the export's own order (no unique, no sort: cheap, and it compresses like the data);
    // a key repeated in the export is harmless where the keys are used
    rows.clone()
        .lazy()
        .select(cols)
        .collect()
        .ctx(|| format!("the keys of a {dataset} export"))
}

fn read(root: &Path, dataset: Dataset, sha256: &str) -> Result<Option<DataFrame>> {
    let path: PathBuf = root.join(rel_path(dataset, sha256));
    if !path.exists() {
        return Ok(None);
    }
    let df = ParquetReader::new(fs_err::File::open(&path)?.into_parts().0)
        .finish()
        .ctx(|| format!("reading {}", path.display()))?;
    Ok(Some(df))
}

/// The keys to remove before re-loading the export `sha256`: those it loaded last time,
/// less those of exports ingested after it. `None` when the lake kept none for it (an export
/// loaded before provenance was kept: `--force` then upserts only, as before).
pub fn keys_to_replace(
    root: &Path,
    manifest: &Manifest,
    dataset: Dataset,
    sha256: &str,
) -> Result<Option<DataFrame>> {
    let Some(mine) = read(root, dataset, sha256)? else {
        return Ok(None);
    };
    let name = dataset.name();
    let Some(at) = manifest
        .files
        .iter()
        .filter(|f| f.dataset == name && f.sha256 == sha256)
        .map(|f| (f.ingested_at.clone(), f.run_id.clone()))
        .max()
    else {
        return Ok(Some(mine));
    };
    let key: Vec<Expr> = key_columns(dataset).into_iter().map(col).collect();
    let mut out = mine.lazy();
    for later in manifest.files.iter().filter(|f| {
        f.dataset == name && f.sha256 != sha256 && (f.ingested_at.clone(), f.run_id.clone()) > at
    }) {
        if let Some(theirs) = read(root, dataset, &later.sha256)? {
            out = out.join(
                theirs.lazy(),
                key.clone(),
                key.clone(),
                JoinArgs {
                    nulls_equal: true,
                    ..JoinArgs::new(JoinType::Anti)
                },
            );
        }
    }
    Ok(Some(
        out.collect()
            .ctx(|| format!("the {dataset} keys to replace"))?,
    ))
}
