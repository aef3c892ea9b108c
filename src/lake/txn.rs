//! Atomic commits: staged files, an intent written by temp-and-rename (the commit point),
//! then the moves and deletions it lists.
//!
//! A run writes every new file under `LAKE/_staging/RUN_ID/`, then `LAKE/_txn/RUN_ID.json`
//! (files to add, files they replace). Applying an intent is idempotent: a staged file already
//! moved is skipped, a replaced file already gone is skipped. So a run that finds an intent
//! left by a crashed run completes it, and a staging folder without an intent (a run that
//! died before its commit point) is deleted. Paths in an intent are relative to the lake and
//! checked to stay inside it. This module moves files; it decides nothing about their content.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a commit adds and removes, relative to the lake's root.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Intent {
    pub run_id: String,
    /// (staged path, final path)
    pub adds: Vec<(String, String)>,
    pub removes: Vec<String>,
}

/// Folder of staged files of a run.
pub fn staging_dir(root: &Path, run_id: &str) -> PathBuf {
    root.join("_staging").join(run_id)
}

fn txn_dir(root: &Path) -> PathBuf {
    root.join("_txn")
}

/// Write `bytes` to `path` through a temporary name in the same folder, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = fs_err::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs_err::rename(&tmp, path)?;
    Ok(())
}

/// A relative lake path, refusing anything that could leave the lake.
fn inside(root: &Path, rel: &str) -> Result<PathBuf> {
    let p = Path::new(rel);
    let ok = !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    if !ok {
        return Err(Error::Lake {
            path: root.to_path_buf(),
            message: format!("intent names a path outside the lake: `{rel}`"),
        });
    }
    Ok(root.join(p))
}

/// Make the intent durable: the commit point.
pub fn write_intent(root: &Path, intent: &Intent) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(intent).map_err(|source| Error::Json {
        context: "writing the commit intent".into(),
        source,
    })?;
    write_atomic(
        &txn_dir(root).join(format!("{}.json", intent.run_id)),
        &bytes,
    )
}

/// Carry out an intent (idempotent), then remove it and its staging folder.
pub fn apply(root: &Path, intent: &Intent) -> Result<()> {
    for (staged, target) in &intent.adds {
        let staged = inside(root, staged)?;
        let target = inside(root, target)?;
        if staged.exists() {
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent)?;
            }
            fs_err::rename(&staged, &target)?;
        }
    }
    for rel in &intent.removes {
        let path = inside(root, rel)?;
        match fs_err::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        // an emptied partition folder goes too
        if let Some(parent) = path.parent()
            && parent != root
            && fs_err::read_dir(parent)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false)
        {
            let _ = fs_err::remove_dir(parent);
        }
    }
    let staging = staging_dir(root, &intent.run_id);
    if staging.exists() {
        fs_err::remove_dir_all(&staging)?;
    }
    let txn = txn_dir(root).join(format!("{}.json", intent.run_id));
    match fs_err::remove_file(&txn) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Complete every intent left by a crashed run, then delete staging folders with no intent.
/// Returns the run ids completed and the staging folders discarded.
pub fn recover(root: &Path) -> Result<(Vec<String>, Vec<String>)> {
    let mut completed = Vec::new();
    let mut discarded = Vec::new();
    let txn = txn_dir(root);
    if txn.exists() {
        let mut entries: Vec<PathBuf> = fs_err::read_dir(&txn)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if name.starts_with('.') {
                // a temporary intent never renamed: the run died before its commit point
                fs_err::remove_file(&path)?;
                continue;
            }
            let text = fs_err::read(&path)?;
            let intent: Intent = serde_json::from_slice(&text).map_err(|source| Error::Json {
                context: format!("reading the commit intent {}", path.display()),
                source,
            })?;
            tracing::warn!(run_id = %intent.run_id, "completing the commit of a run that stopped half-way");
            apply(root, &intent)?;
            completed.push(intent.run_id);
        }
    }
    let staging = root.join("_staging");
    if staging.exists() {
        for entry in fs_err::read_dir(&staging)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            tracing::warn!(run_id = %name, "discarding the staged files of a run that stopped before its commit");
            fs_err::remove_dir_all(entry.path())?;
            discarded.push(name);
        }
    }
    Ok((completed, discarded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path, text: &str) {
        fs_err::create_dir_all(p.parent().unwrap()).unwrap();
        fs_err::write(p, text).unwrap();
    }

    #[test]
    fn apply_is_idempotent_and_recovery_completes_an_intent() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("ccu/date=2026-10-01/part-old.parquet"), "old");
        touch(
            &root.join("_staging/r1/ccu/date=2026-10-01/part-r1.parquet"),
            "new",
        );
        let intent = Intent {
            run_id: "r1".into(),
            adds: vec![(
                "_staging/r1/ccu/date=2026-10-01/part-r1.parquet".into(),
                "ccu/date=2026-10-01/part-r1.parquet".into(),
            )],
            removes: vec!["ccu/date=2026-10-01/part-old.parquet".into()],
        };
        write_intent(root, &intent).unwrap();
        // crash after the commit point: recovery completes it
        let (done, discarded) = recover(root).unwrap();
        assert_eq!(done, vec!["r1".to_string()]);
        assert!(discarded.is_empty());
        assert_eq!(
            fs_err::read_to_string(root.join("ccu/date=2026-10-01/part-r1.parquet")).unwrap(),
            "new"
        );
        assert!(!root.join("ccu/date=2026-10-01/part-old.parquet").exists());
        assert!(!root.join("_txn/r1.json").exists());
        // applying again changes nothing
        apply(root, &intent).unwrap();
        assert_eq!(
            fs_err::read_to_string(root.join("ccu/date=2026-10-01/part-r1.parquet")).unwrap(),
            "new"
        );
    }

    #[test]
    fn staging_without_intent_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(
            &root.join("_staging/r2/ccu/date=2026-10-01/part-r2.parquet"),
            "half",
        );
        let (done, discarded) = recover(root).unwrap();
        assert!(done.is_empty());
        assert_eq!(discarded, vec!["r2".to_string()]);
        assert!(!root.join("ccu").exists());
    }

    #[test]
    fn intents_cannot_leave_the_lake() {
        let dir = tempfile::tempdir().unwrap();
        let intent = Intent {
            run_id: "r3".into(),
            adds: vec![],
            removes: vec!["../outside".into()],
        };
        assert!(
            apply(dir.path(), &intent)
                .unwrap_err()
                .to_string()
                .contains("outside the lake")
        );
    }
}
