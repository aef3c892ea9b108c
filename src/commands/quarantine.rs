//! `opsbench quarantine replay DATASET [--rule R]`: re-validate the quarantined rows of a
//! dataset under today's config (column mapping, `input_tz`, …) and load the ones that now
//! pass, in one commit that also rewrites the quarantine and the manifest's counts.
//!
//! - Each quarantined row keeps its whole raw record (export column → text); the records are
//!   read again as NDJSON through the normal ingest path, so every rule applies as at ingest.
//! - A row that passes is removed from the quarantine and added to the lake **only where the
//!   lake holds no row with its key** (cost: no identical row): a replayed row is older than
//!   what was loaded since, so it never replaces a row (nor a cost delivery).
//! - A row that still fails stays, with its original file and line and today's reason.
//! - In the manifest, each export the row came from counts it as loaded, no longer as
//!   quarantined, so `data_quality` and `lake status` stay exact.
//!
//! The replayed records are written under `LAKE/_staging/` (deleted after; a crash leaves a
//! staging folder without intent, which the next run discards).

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use crate::cli::{OutputFormat, QuarantineAction, QuarantineArgs};
use crate::commands::{Ctx, dataset_arg, print_json};
use crate::error::{Error, PolarsContext, Result, exit};
use crate::ingest::{self, ReadOptions};
use crate::lake::{CommitExtras, Lake, Manifest};
use crate::metrics::columns::texts;

/// What a replay did.
#[derive(Debug, Default, serde::Serialize)]
pub struct ReplaySummary {
    pub dataset: String,
    /// Quarantined rows looked at (those of `--rule`, else all).
    pub replayed: u64,
    /// Rows that pass today: out of the quarantine, into the lake where their key was free.
    pub passed: u64,
    /// Rows that still fail, by today's rule.
    pub still_quarantined: BTreeMap<String, u64>,
}

pub fn quarantine_cmd(ctx: &Ctx, args: &QuarantineArgs) -> Result<u8> {
    match &args.action {
        QuarantineAction::Replay {
            dataset,
            rule,
            format,
        } => {
            let d = dataset_arg(dataset)?;
            let s = replay(ctx, d, rule.as_deref())?;
            match format.resolved() {
                OutputFormat::Json => print_json(&s)?,
                OutputFormat::Text => {
                    println!(
                        "{}: replayed {} quarantined row(s): {} now pass and left the quarantine",
                        s.dataset, s.replayed, s.passed
                    );
                    for (r, n) in &s.still_quarantined {
                        println!("  {n} still quarantined: {r}");
                    }
                }
            }
            Ok(exit::OK)
        }
    }
}

fn u64s(df: &DataFrame, c: &str) -> Result<Vec<u64>> {
    let col = df
        .column(c)
        .and_then(|c| c.cast(&DataType::UInt64))
        .ctx(|| format!("quarantine column {c}"))?;
    Ok(col
        .u64()
        .ctx(|| format!("quarantine column {c}"))?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect())
}

/// Replay the quarantine of `dataset` (rows of `rule` only, when given).
pub fn replay(
    ctx: &Ctx,
    dataset: crate::schema::Dataset,
    rule: Option<&str>,
) -> Result<ReplaySummary> {
    if let Some(r) = rule
        && crate::schema::Rule::from_id(r).is_none()
    {
        return Err(Error::Usage(format!(
            "unknown rule `{r}`; hint: `opsbench --lake LAKE lake status` lists the rules that quarantined rows"
        )));
    }
    let lake = Lake::new(&ctx.settings.lake_dir);
    let lock = lake.lock("quarantine replay")?;
    let q = lake.quarantine(dataset)?;
    let mut summary = ReplaySummary {
        dataset: dataset.name().to_string(),
        ..Default::default()
    };
    if q.height() == 0 {
        return Ok(summary);
    }
    let (files, rules, records) = (texts(&q, "file")?, texts(&q, "rule")?, texts(&q, "record")?);
    let lines = u64s(&q, "line")?;
    let selected: Vec<usize> = (0..q.height())
        .filter(|&i| rule.is_none_or(|r| rules[i].as_deref() == Some(r)))
        .collect();
    summary.replayed = selected.len() as u64;
    if selected.is_empty() {
        return Ok(summary);
    }
    // the records, one JSON object per line, read again by the normal ingest path
    let dir = lake
        .root()
        .join("_staging")
        .join(format!("replay-{}", std::process::id()));
    fs_err::create_dir_all(&dir)?;
    let tmp = dir.join("records.ndjson");
    let mut text = String::new();
    for &i in &selected {
        text.push_str(records[i].as_deref().unwrap_or("{}"));
        text.push('\n');
    }
    fs_err::write(&tmp, text)?;
    let empty = BTreeMap::new();
    let columns = ctx
        .settings
        .datasets
        .get(&dataset)
        .map_or(&empty, |d| &d.columns);
    let opts = ReadOptions {
        input_tz: ctx.settings.input_tz,
        columns,
    };
    let read = ingest::read_batch(dataset, std::slice::from_ref(&tmp), &opts, &|_| false);
    let _ = fs_err::remove_dir_all(&dir);
    let mut batch = read?;
    // which replayed lines fail today, and why
    let nq = &batch.quarantine;
    let failing: BTreeMap<u64, (String, String, String)> = if nq.height() == 0 {
        BTreeMap::new()
    } else {
        let (c, r, v) = (
            texts(nq, "column")?,
            texts(nq, "rule")?,
            texts(nq, "value")?,
        );
        u64s(nq, "line")?
            .into_iter()
            .enumerate()
            .map(|(k, line)| {
                let t = |x: &Vec<Option<String>>| x[k].clone().unwrap_or_default();
                (line, (t(&c), t(&r), t(&v)))
            })
            .collect()
    };
    // the new quarantine: rows not replayed, and replayed rows that still fail (today's reason)
    let mut keep = Vec::new();
    let (mut new_rule, mut new_col, mut new_val) = (Vec::new(), Vec::new(), Vec::new());
    let (qc, qv) = (texts(&q, "column")?, texts(&q, "value")?);
    let mut passed_by_file: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
    let mut moved_by_file: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let pos: BTreeMap<usize, u64> = selected
        .iter()
        .enumerate()
        .map(|(k, &i)| (i, k as u64 + 1))
        .collect();
    for i in 0..q.height() {
        let file = files[i].clone().unwrap_or_default();
        let old_rule = rules[i].clone().unwrap_or_default();
        match pos.get(&i) {
            Some(line) => match failing.get(line) {
                Some((c, r, v)) => {
                    keep.push(i as IdxSize);
                    if *r != old_rule {
                        moved_by_file
                            .entry(file)
                            .or_default()
                            .push((old_rule, r.clone()));
                    }
                    *summary.still_quarantined.entry(r.clone()).or_default() += 1;
                    new_rule.push(r.clone());
                    new_col.push(c.clone());
                    new_val.push(v.clone());
                }
                None => {
                    summary.passed += 1;
                    passed_by_file
                        .entry(file)
                        .or_default()
                        .push((lines[i], old_rule));
                }
            },
            None => {
                keep.push(i as IdxSize);
                new_rule.push(old_rule);
                new_col.push(qc[i].clone().unwrap_or_default());
                new_val.push(qv[i].clone().unwrap_or_default());
            }
        }
    }
    let idx = IdxCa::from_vec("idx".into(), keep);
    let mut new_q = q.take(&idx).ctx(|| "keeping quarantined rows".into())?;
    for (name, v) in [("rule", new_rule), ("column", new_col), ("value", new_val)] {
        new_q
            .replace(name, Column::new(name.into(), v))
            .ctx(|| format!("quarantine column {name}"))?;
    }
    batch.files.clear();
    batch.quarantine = batch.quarantine.head(Some(0));
    let name = dataset.name().to_string();
    let edit = move |m: &mut Manifest| edit_manifest(m, &name, &passed_by_file, &moved_by_file);
    lake.commit_with(
        &lock,
        "quarantine replay",
        &[batch],
        ctx.now,
        CommitExtras {
            insert_only: true,
            replace_quarantine: Some((dataset, new_q)),
            edit_manifest: Some(Box::new(edit)),
            replace_keys: Vec::new(),
        },
    )?;
    Ok(summary)
}

/// Move the replayed rows' counts in the manifest: per export, rows that now pass count as
/// loaded (no longer quarantined, their examples gone); rows that fail for another reason
/// move to that rule.
fn edit_manifest(
    m: &mut Manifest,
    dataset: &str,
    passed: &BTreeMap<String, Vec<(u64, String)>>,
    moved: &BTreeMap<String, Vec<(String, String)>>,
) {
    let files: BTreeSet<&String> = passed.keys().chain(moved.keys()).collect();
    for path in files {
        let Some(f) = m
            .files
            .iter_mut()
            .filter(|f| f.dataset == dataset && &f.path == path)
            .max_by(|a, b| a.ingested_at.cmp(&b.ingested_at))
        else {
            continue;
        };
        for (line, rule) in passed.get(path).into_iter().flatten() {
            f.rows_loaded += 1;
            f.rows_quarantined = f.rows_quarantined.saturating_sub(1);
            if let Some(c) = f.rules.get_mut(rule) {
                c.rows = c.rows.saturating_sub(1);
                c.examples.retain(|e| e.line != *line);
            }
        }
        for (old, new) in moved.get(path).into_iter().flatten() {
            if let Some(c) = f.rules.get_mut(old) {
                c.rows = c.rows.saturating_sub(1);
            }
            f.rules.entry(new.clone()).or_default().rows += 1;
        }
        f.rules.retain(|_, c| c.rows > 0);
    }
}
