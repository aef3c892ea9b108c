//! What the lake keeps beside the datasets for other commands: the capacity plan of the last
//! run (`LAKE/_derived/capacity_plan.json`, read by the gate, which never forecasts) and the
//! gate's decisions (`LAKE/_gate/decisions/*.json`, one file per decision).
//!
//! Neither takes the lake's run lock: a deploy pipeline must never get exit 3 because the
//! nightly run is going. Every file is written to a temporary name and renamed, so a reader
//! sees a whole file or none; a decision file's name is made of the time and the process id,
//! never of strings from the data or the command line.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gate::RunwayFact;

/// The stored capacity plan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredPlan {
    /// When the plan was made (RFC 3339) and the `as_of` it was made for.
    pub made_at: String,
    pub as_of: String,
    pub regions: Vec<RunwayFact>,
}

fn plan_path(root: &Path) -> PathBuf {
    root.join("_derived").join("capacity_plan.json")
}

/// Store the capacity plan (replacing the previous one).
pub fn write_plan(root: &Path, plan: &StoredPlan) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(plan).map_err(|source| Error::Json {
        context: "writing the stored capacity plan".into(),
        source,
    })?;
    crate::lake::txn::write_atomic(&plan_path(root), &bytes)
}

/// The stored capacity plan, if a run has made one.
pub fn read_plan(root: &Path) -> Result<Option<StoredPlan>> {
    let path = plan_path(root);
    if !path.exists() {
        return Ok(None);
    }
    let text = fs_err::read_to_string(&path)?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| Error::Json {
            context: format!("reading {}", path.display()),
            source,
        })
}

fn decisions_dir(root: &Path) -> PathBuf {
    root.join("_gate").join("decisions")
}

/// Keep one gate decision (any serialisable value with the decision's fields).
pub fn write_decision(
    root: &Path,
    decided_at: chrono::DateTime<chrono::Utc>,
    decision: &impl Serialize,
) -> Result<PathBuf> {
    let bytes = serde_json::to_vec_pretty(decision).map_err(|source| Error::Json {
        context: "writing a gate decision".into(),
        source,
    })?;
    let dir = decisions_dir(root);
    let stem = format!(
        "{}-{}",
        decided_at.format("%Y%m%dT%H%M%S%.6fZ"),
        std::process::id()
    );
    let mut path = dir.join(format!("{stem}.json"));
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{stem}-{n}.json"));
        n += 1;
    }
    crate::lake::txn::write_atomic(&path, &bytes)?;
    Ok(path)
}

/// What the report reads of a kept decision.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DecisionRecord {
    pub decided_at: String,
    pub service: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub deploy_id: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    pub verdict: String,
    pub original_verdict: String,
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// Every kept decision, oldest first; files that are not decisions (or are cut short) are
/// skipped with a warning in the log.
pub fn read_decisions(root: &Path) -> Result<Vec<DecisionRecord>> {
    let dir = decisions_dir(root);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in fs_err::read_dir(&dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        match fs_err::read_to_string(&path).map(|t| serde_json::from_str::<DecisionRecord>(&t)) {
            Ok(Ok(d)) => out.push(d),
            Ok(Err(e)) => tracing::warn!("skipping {}: not a gate decision: {e}", path.display()),
            Err(e) => tracing::warn!("skipping {}: {e}", path.display()),
        }
    }
    out.sort_by(|a, b| a.decided_at.cmp(&b.decided_at));
    Ok(out)
}
