//! `opsbench ingest` and `opsbench validate`, and the ingest stage that `run` and `demo` share.
//!
//! Ingest takes the lake's lock, reads every dataset's files (skipping content already
//! loaded unless `--force`), commits all datasets in one commit, and says whether the run
//! exceeded what was allowed (exit 1): a file refused whole, or more rejected rows than
//! `max_rejected`. Validate reads the same way and writes nothing.

use std::path::PathBuf;

use crate::cli::{IngestArgs, OutputFormat, ValidateArgs};
use crate::commands::{Ctx, dataset_arg, fmt_count, print_json};
use crate::error::{Result, exit};
use crate::ingest::{self, Batch, FileReport, Outcome, ReadOptions};
use crate::lake::{CommitSummary, Lake};
use crate::schema::{Dataset, Rule};

/// What an ingest stage did.
#[derive(Debug, serde::Serialize)]
pub struct IngestRun {
    pub files: Vec<FileReport>,
    pub commit: CommitSummary,
    /// Reasons the run exits 1 (empty: it exits 0).
    pub problems: Vec<String>,
}

/// Input bytes read into memory at a time for datasets whose key fixes the partition (CCU,
/// SLO, activity, capacity): their exports are read and staged chunk by chunk within the one
/// commit, so a run's memory follows the chunk, not the night's exports.
const CHUNK_BYTES: u64 = 128 * 1024 * 1024;

/// The files of a dataset in the chunks they are read in. `OPSBENCH_INGEST_CHUNK_BYTES` sets
/// the chunk size (for tests and for machines with little memory).
fn chunks(dataset: Dataset, files: &[PathBuf], force: bool) -> Vec<Vec<PathBuf>> {
    let limit = std::env::var("OPSBENCH_INGEST_CHUNK_BYTES")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(CHUNK_BYTES);
    let spec = dataset.spec();
    let chunkable = !force && dataset != Dataset::Cost && spec.key.contains(&spec.partition_by);
    if !chunkable {
        return vec![files.to_vec()];
    }
    let mut out: Vec<Vec<PathBuf>> = Vec::new();
    let mut size = 0u64;
    for f in files {
        let bytes = fs_err::metadata(f).map(|m| m.len()).unwrap_or(0);
        if out.is_empty() || (size > 0 && size + bytes > limit) {
            out.push(Vec::new());
            size = 0;
        }
        size += bytes;
        if let Some(last) = out.last_mut() {
            last.push(f.clone());
        }
    }
    out
}

/// Ingest the given files per dataset into the lake, in one commit.
pub fn ingest_sets(
    ctx: &Ctx,
    lake: &Lake,
    command: &str,
    sets: &[(Dataset, Vec<PathBuf>)],
    force: bool,
) -> Result<IngestRun> {
    crate::lake::check_root(lake.root())?;
    let lock = lake.lock(command)?;
    let manifest = lake.manifest()?;
    let empty = Default::default();
    let progress = progress_bar(ctx.quiet, sets.iter().map(|(_, f)| f.len() as u64).sum());
    let read = |dataset: Dataset, files: &[PathBuf]| -> Result<Batch> {
        progress.set_message(format!("reading {dataset}"));
        let columns = ctx
            .settings
            .datasets
            .get(&dataset)
            .map(|d| &d.columns)
            .unwrap_or(&empty);
        let opts = ReadOptions {
            input_tz: ctx.settings.input_tz,
            columns,
        };
        let name = dataset.name();
        let known = |sha: &str| !force && manifest.has_file(name, sha);
        // an export the manifest holds unchanged (path, size, modification time) is not read
        let mut skipped = Vec::new();
        let mut to_read = Vec::new();
        for f in files {
            match manifest.unchanged(name, f).filter(|_| !force) {
                Some(m) => skipped.push(ingest::unchanged_report(
                    dataset,
                    f,
                    &m.sha256,
                    m.size_bytes,
                )),
                None => to_read.push(f.clone()),
            }
        }
        let started = std::time::Instant::now();
        let mut batch = ingest::read_batch(dataset, &to_read, &opts, &known)?;
        tracing::debug!(%dataset, files = to_read.len(), seconds = started.elapsed().as_secs_f64(), "read a batch");
        batch.files.extend(skipped);
        tracing::info!(
            dataset = name,
            files = batch.files.len(),
            rows_read = batch.rows_read(),
            rows_quarantined = batch.rows_quarantined(),
            "read"
        );
        progress.inc(files.len() as u64);
        Ok(batch)
    };
    let mut reports: Vec<(Dataset, Vec<FileReport>)> = Vec::new();
    let commit = if force {
        // `--force`: what a re-read export loaded last time is replaced, not only upserted;
        // the keys to replace come from every batch, so all are read first
        let mut batches = Vec::new();
        for (dataset, files) in sets.iter().filter(|(_, f)| !f.is_empty()) {
            batches.push(read(*dataset, files)?);
        }
        let replace_keys = keys_to_replace(lake, &manifest, &batches)?;
        progress.set_message("committing to the lake");
        let extras = crate::lake::CommitExtras {
            replace_keys,
            ..Default::default()
        };
        let commit = lake.commit_with(&lock, command, &batches, ctx.now, extras)?;
        reports.extend(batches.into_iter().map(|b| (b.dataset, b.files)));
        commit
    } else {
        let mut plan: Vec<(Dataset, Vec<PathBuf>)> = Vec::new();
        for (dataset, files) in sets.iter().filter(|(_, f)| !f.is_empty()) {
            plan.extend(
                chunks(*dataset, files, force)
                    .into_iter()
                    .map(|c| (*dataset, c)),
            );
        }
        // the next chunk is read on another thread while this one stages (a rendezvous: at
        // most the chunk being staged and the one being read are in memory)
        std::thread::scope(|scope| -> Result<_> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(Dataset, Batch)>>(0);
            let read = &read;
            scope.spawn(move || {
                for (dataset, files) in plan {
                    let batch = read(dataset, &files).map(|b| (dataset, b));
                    let failed = batch.is_err();
                    if tx.send(batch).is_err() || failed {
                        break;
                    }
                }
            });
            let mut next = || -> Result<Option<crate::lake::BatchRef<'static>>> {
                // a closed channel: every chunk was read
                let Ok(batch) = rx.recv() else {
                    return Ok(None);
                };
                let (dataset, batch) = batch?;
                reports.push((dataset, batch.files.clone()));
                Ok(Some(crate::lake::BatchRef::Owned(batch)))
            };
            let commit = lake.commit_from(&lock, command, &mut next, ctx.now, Default::default());
            // an early error drops the receiver, so a reader waiting to hand over a chunk stops
            drop(rx);
            commit
        })?
    };
    progress.finish_and_clear();
    let mut problems = Vec::new();
    let mut files = Vec::new();
    let mut per_dataset: Vec<(Dataset, u64, u64)> = Vec::new();
    for (dataset, batch_files) in reports {
        for f in &batch_files {
            if let Outcome::Refused(reason) = &f.outcome {
                tracing::error!(file = %f.path.display(), "refused: {reason}");
                problems.push(format!("{}: refused: {reason}", f.path.display()));
            }
        }
        let (q, r) = batch_files.iter().fold((0, 0), |(q, r), f| {
            (q + f.rows_quarantined, r + f.rows_read)
        });
        match per_dataset.iter_mut().find(|(d, _, _)| *d == dataset) {
            Some(t) => {
                t.1 += q;
                t.2 += r;
            }
            None => per_dataset.push((dataset, q, r)),
        }
        files.extend(batch_files);
    }
    for (dataset, q, r) in per_dataset {
        if let Some(t) = ctx.settings.max_rejected_for(dataset)
            && t.exceeded(q, r)
        {
            problems.push(format!(
                "{dataset}: {q} of {r} rows rejected, beyond max_rejected `{t}`"
            ));
        }
    }
    Ok(IngestRun {
        files,
        commit,
        problems,
    })
}

/// For `--force`: per dataset, the keys the re-read exports loaded last time (less those later
/// exports loaded), which the commit removes before loading them again.
fn keys_to_replace(
    lake: &Lake,
    manifest: &crate::lake::Manifest,
    batches: &[Batch],
) -> Result<Vec<(Dataset, polars::prelude::DataFrame)>> {
    let mut out = Vec::new();
    for batch in batches {
        let mut keys: Vec<polars::prelude::DataFrame> = Vec::new();
        for f in batch.files.iter().filter(|f| f.outcome == Outcome::Loaded) {
            if manifest.has_file(batch.dataset.name(), &f.sha256)
                && let Some(k) = crate::lake::provenance::keys_to_replace(
                    lake.root(),
                    manifest,
                    batch.dataset,
                    &f.sha256,
                )?
            {
                keys.push(k);
            }
        }
        let mut it = keys.into_iter();
        if let Some(mut all) = it.next() {
            for k in it {
                all.vstack_mut_owned(k)
                    .map_err(|source| crate::error::Error::Polars {
                        context: "joining the keys to replace".into(),
                        source,
                    })?;
            }
            out.push((batch.dataset, all));
        }
    }
    Ok(out)
}

/// A progress bar on stderr, hidden when stderr is not a terminal or with `--quiet`.
fn progress_bar(quiet: bool, files: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(files);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {msg:<24} [{bar:30}] {pos}/{len} files {elapsed}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Print the per-dataset summary of an ingest.
pub fn print_summary(run: &IngestRun) {
    println!(
        "{:<12} {:>6} {:>12} {:>12} {:>12} {:>10}",
        "dataset", "files", "rows read", "loaded", "quarantined", "flagged"
    );
    for d in Dataset::ALL {
        let fs: Vec<&FileReport> = run.files.iter().filter(|f| f.dataset == d).collect();
        if fs.is_empty() {
            continue;
        }
        let sum = |g: fn(&FileReport) -> u64| fmt_count(fs.iter().map(|f| g(f)).sum());
        let skipped = fs.iter().filter(|f| f.outcome == Outcome::Skipped).count();
        let refused = fs
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Refused(_)))
            .count();
        let mut note = String::new();
        if skipped > 0 {
            note.push_str(&format!("  ({skipped} already loaded)"));
        }
        if refused > 0 {
            note.push_str(&format!("  ({refused} refused)"));
        }
        println!(
            "{:<12} {:>6} {:>12} {:>12} {:>12} {:>10}{note}",
            d.name(),
            fs.len(),
            sum(|f| f.rows_read),
            sum(|f| f.rows_loaded),
            sum(|f| f.rows_quarantined),
            sum(|f| f.rows_flagged)
        );
    }
    for p in &run.problems {
        println!("problem: {p}");
    }
}

pub fn ingest_cmd(ctx: &Ctx, args: &IngestArgs) -> Result<u8> {
    let dataset = dataset_arg(&args.dataset)?;
    let lake = Lake::new(&ctx.settings.lake_dir);
    let started = std::time::Instant::now();
    let run = ingest_sets(
        ctx,
        &lake,
        "ingest",
        &[(dataset, args.files.clone())],
        args.force,
    )?;
    match args.format.resolved() {
        OutputFormat::Json => print_json(&run)?,
        OutputFormat::Text => {
            print_summary(&run);
            println!(
                "committed {} partition file(s) to {} in {:.1} s",
                run.commit.partitions,
                lake.root().display(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(if run.problems.is_empty() {
        exit::OK
    } else {
        exit::DATA_PROBLEMS
    })
}

#[derive(serde::Serialize)]
struct ValidateReport<'a> {
    dataset: Dataset,
    files: &'a [FileReport],
    ok: bool,
}

pub fn validate_cmd(ctx: &Ctx, args: &ValidateArgs) -> Result<u8> {
    let dataset = dataset_arg(&args.dataset)?;
    let empty = Default::default();
    let columns = ctx
        .settings
        .datasets
        .get(&dataset)
        .map(|d| &d.columns)
        .unwrap_or(&empty);
    let opts = ReadOptions {
        input_tz: ctx.settings.input_tz,
        columns,
    };
    let batch = ingest::read_batch(dataset, &args.files, &opts, &|_| false)?;
    let bad = batch
        .files
        .iter()
        .any(|f| f.rows_quarantined > 0 || matches!(f.outcome, Outcome::Refused(_)));
    match args.format.resolved() {
        OutputFormat::Json => print_json(&ValidateReport {
            dataset,
            files: &batch.files,
            ok: !bad,
        })?,
        OutputFormat::Text => print_problems(&batch, args.examples),
    }
    Ok(if bad { exit::DATA_PROBLEMS } else { exit::OK })
}

/// Every problem, grouped by rule, with the first examples as `file:line`.
fn print_problems(batch: &Batch, examples: usize) {
    for f in &batch.files {
        if let Outcome::Refused(reason) = &f.outcome {
            println!("{}: refused whole: {reason}", f.path.display());
        }
    }
    let mut by_rule: std::collections::BTreeMap<Rule, (u64, Vec<String>)> = Default::default();
    for f in &batch.files {
        for (rule, c) in &f.rules {
            let e = by_rule.entry(*rule).or_default();
            e.0 += c.rows;
            for ex in &c.examples {
                if e.1.len() < examples {
                    e.1.push(crate::metrics::quality::example_text(
                        &f.path.display().to_string(),
                        ex,
                    ));
                }
            }
        }
    }
    for (rule, (rows, exs)) in &by_rule {
        let what = if rule.is_flag() {
            "kept, flagged"
        } else {
            "quarantined"
        };
        println!(
            "{}: {} row(s) {what}: {}",
            rule.id(),
            fmt_count(*rows),
            rule.doc()
        );
        for e in exs {
            println!("  {e}");
        }
    }
    let read: u64 = batch.rows_read();
    let q = batch.rows_quarantined();
    let loaded: u64 = batch.files.iter().map(|f| f.rows_loaded).sum();
    let refused = batch
        .files
        .iter()
        .filter(|f| matches!(f.outcome, Outcome::Refused(_)))
        .count();
    println!(
        "{} file(s), {} row(s) read, {} would load, {} would be quarantined, {refused} file(s) refused",
        batch.files.len(),
        fmt_count(read),
        fmt_count(loaded),
        fmt_count(q)
    );
}
