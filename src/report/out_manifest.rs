//! `OUT/manifest.json`: every file an output run wrote (path relative to OUT, SHA-256, bytes,
//! rows for tables), the output schema version, the settings, the window and `as_of`, and
//! opsbench's version. Written last, by temp-and-rename, so its presence means the run's
//! outputs are complete. It only records; it computes no figure.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// Version of the output tables' layout; bumped when a column changes meaning or type.
pub const OUTPUT_SCHEMA_VERSION: u32 = 1;

/// One file written.
#[derive(Clone, Debug, Serialize)]
pub struct WrittenFile {
    pub path: String,
    pub sha256: String,
    pub size_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// The whole output manifest.
#[derive(Clone, Debug, Serialize)]
pub struct OutManifest {
    pub output_schema_version: u32,
    pub opsbench_version: String,
    pub generated_at: String,
    pub as_of: String,
    pub window_from: String,
    pub window_to: String,
    pub settings: Vec<(String, String)>,
    pub files: Vec<WrittenFile>,
}

/// Describe a written file (hashing it).
pub fn describe(out_dir: &Path, path: &Path, rows: Option<u64>) -> Result<WrittenFile> {
    let (sha256, size_bytes) = crate::ingest::hash_file(path)?;
    let rel: PathBuf = path
        .strip_prefix(out_dir)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf());
    Ok(WrittenFile {
        path: rel.to_string_lossy().replace('\\', "/"),
        sha256,
        size_bytes,
        rows,
    })
}

/// Write the manifest (last).
pub fn write(out_dir: &Path, manifest: &OutManifest) -> Result<PathBuf> {
    let bytes = serde_json::to_vec_pretty(manifest).map_err(|source| Error::Json {
        context: "writing the output manifest".into(),
        source,
    })?;
    let path = out_dir.join("manifest.json");
    crate::lake::txn::write_atomic(&path, &bytes)?;
    Ok(path)
}
