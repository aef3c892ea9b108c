//! `LAKE/_manifest.json`: every export ingested (path, size, SHA-256, rows read, loaded,
//! quarantined and flagged, the rules that fired with examples, when, by which run) and every
//! commit (run id, command, time, files added and replaced, rows in).
//!
//! The manifest is rewritten whole in each commit, staged like any other file, so it always
//! describes exactly the committed lake. This module only (de)serialises it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::RuleCount;

/// The lake's layout version; bumped when the layout changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub schema_version: u32,
    pub files: Vec<IngestedFile>,
    pub commits: Vec<CommitRecord>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            schema_version: SCHEMA_VERSION,
            files: Vec::new(),
            commits: Vec::new(),
        }
    }
}

/// One export ingested.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct IngestedFile {
    pub dataset: String,
    /// The path as given on the command line or by the config's globs.
    pub path: String,
    pub size_bytes: u64,
    /// The file's modification time (ns since 1970-01-01) when it was read: with the path and
    /// size, what lets a nightly run skip an unchanged export without hashing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_ns: Option<i64>,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_quarantined: u64,
    pub rows_flagged: u64,
    /// Rule id → rows and the first examples.
    pub rules: BTreeMap<String, RuleCount>,
    pub ingested_at: String,
    pub run_id: String,
}

/// One commit.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CommitRecord {
    pub run_id: String,
    pub command: String,
    pub committed_at: String,
    pub datasets: Vec<String>,
    pub files_added: Vec<String>,
    pub files_replaced: Vec<String>,
    pub rows_in: u64,
    pub rows_quarantined: u64,
    /// Rows removed (`lake delete`, `lake prune`); absent in older manifests.
    #[serde(default)]
    pub rows_out: u64,
}

impl Manifest {
    /// Read the manifest of the lake at `root` (an empty one when the lake is new).
    pub fn load(root: &Path) -> Result<Manifest> {
        let path = root.join("_manifest.json");
        if !path.exists() {
            return Ok(Manifest::default());
        }
        let bytes = fs_err::read(&path)?;
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
            context: format!("reading {}", path.display()),
            source,
        })?;
        if m.schema_version > SCHEMA_VERSION {
            return Err(Error::Lake {
                path: root.to_path_buf(),
                message: format!(
                    "the lake's schema version is `{}` but this opsbench reads up to `{SCHEMA_VERSION}`; hint: upgrade opsbench",
                    m.schema_version
                ),
            });
        }
        Ok(m)
    }

    /// Whether a file with this content was already loaded into `dataset`.
    pub fn has_file(&self, dataset: &str, sha256: &str) -> bool {
        self.files
            .iter()
            .any(|f| f.dataset == dataset && f.sha256 == sha256)
    }

    /// The entry of an export still as it was read: same dataset, file name, size and
    /// modification time to the nanosecond (the quick check `make` and `rsync` use; the file
    /// name rather than the whole path, which changes with the working folder the command runs
    /// from). A file rewritten with other bytes of the same size and its old time put back
    /// would be missed: `ingest --force` reads it regardless.
    pub fn unchanged(&self, dataset: &str, path: &Path) -> Option<&IngestedFile> {
        let meta = fs_err::metadata(path).ok()?;
        let modified = crate::ingest::modified_ns(path)?;
        let name = path.file_name()?;
        self.files.iter().rev().find(|f| {
            f.dataset == dataset
                && f.modified_ns == Some(modified)
                && f.size_bytes == meta.len()
                && Path::new(&f.path).file_name() == Some(name)
        })
    }

    /// The manifest as pretty JSON.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self).map_err(|source| Error::Json {
            context: "writing the lake manifest".into(),
            source,
        })
    }
}
