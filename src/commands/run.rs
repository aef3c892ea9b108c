//! `opsbench run`: the nightly job. Ingest what is new from the config's inputs, then write
//! the tables and the report. Idempotent: exports already loaded are skipped by content.

use std::path::PathBuf;

use crate::cli::{OutputFormat, RunArgs};
use crate::commands::ingest::{IngestRun, ingest_sets, print_summary};
use crate::commands::report::{Written, print_written, write_report};
use crate::commands::{Ctx, print_json};
use crate::config::Settings;
use crate::error::{Error, Result, exit};
use crate::lake::Lake;
use crate::schema::Dataset;

/// A partition with at least this many files is compacted at the end of `run`.
pub const COMPACT_MIN_FILES: usize = 8;

/// Expand each configured dataset's input globs into sorted file lists.
pub fn configured_inputs(settings: &Settings) -> Result<Vec<(Dataset, Vec<PathBuf>)>> {
    let mut out = Vec::new();
    for (dataset, ds) in &settings.datasets {
        let mut files = Vec::new();
        for pattern in &ds.inputs {
            let paths = glob::glob(pattern).map_err(|e| {
                Error::config(
                    settings
                        .config_path
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "config".into()),
                    format!("datasets.{dataset}.inputs"),
                    format!("`{pattern}` is not a valid glob: {e}"),
                )
            })?;
            for p in paths {
                let p = p.map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
                if p.is_file() {
                    files.push(p);
                }
            }
        }
        files.sort();
        files.dedup();
        if files.is_empty() {
            tracing::warn!(
                dataset = dataset.name(),
                "no export matches the configured inputs {:?}",
                ds.inputs
            );
        }
        out.push((*dataset, files));
    }
    Ok(out)
}

#[derive(serde::Serialize)]
pub struct RunSummary {
    pub ingest: IngestRun,
    /// Partitions removed by `[retention]` (the nightly `run` only).
    pub pruned: Vec<crate::lake::delete::Removed>,
    pub outputs: Written,
    pub seconds: f64,
}

/// Ingest then report; the exit code says whether data problems exceeded what was allowed.
pub fn ingest_and_report(
    ctx: &Ctx,
    lake: &Lake,
    command: &str,
    sets: &[(Dataset, Vec<PathBuf>)],
    force: bool,
    prune: bool,
    require_fresh: bool,
) -> Result<(RunSummary, u8)> {
    let started = std::time::Instant::now();
    let ingest = ingest_sets(ctx, lake, command, sets, force)?;
    let pruned = if prune {
        super::lake_cmd::prune(ctx, lake)?
    } else {
        Vec::new()
    };
    if prune {
        // partitions that other writers left in many files
        let lock = lake.lock("run compact")?;
        crate::lake::compact::compact(lake, &lock, COMPACT_MIN_FILES, ctx.now)?;
    }
    let outputs = write_report(ctx, lake, &ctx.settings.out_dir)?;
    let fresh = super::report::freshness_code(outputs.data_problems, require_fresh);
    let code = if ingest.problems.is_empty() {
        fresh
    } else {
        exit::DATA_PROBLEMS
    };
    Ok((
        RunSummary {
            ingest,
            pruned,
            outputs,
            seconds: started.elapsed().as_secs_f64(),
        },
        code,
    ))
}

/// Print a run's summary.
pub fn print_run(summary: &RunSummary, format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Json => print_json(summary)?,
        OutputFormat::Text => {
            print_summary(&summary.ingest);
            for r in summary.pruned.iter().filter(|r| r.files > 0) {
                println!(
                    "retention: removed {} partition(s) of {} ({} rows)",
                    r.partitions, r.dataset, r.rows
                );
            }
            print_written(&summary.outputs);
            println!("done in {:.1} s", summary.seconds);
        }
    }
    Ok(())
}

pub fn run(ctx: &Ctx, args: &RunArgs) -> Result<u8> {
    if ctx.settings.datasets.is_empty() {
        return Err(Error::Usage(
            "no dataset has inputs configured; hint: add [datasets.NAME] inputs = [\"…\"] to opsbench.toml (see opsbench.example.toml), or pass --config".into(),
        ));
    }
    let lake = Lake::new(&ctx.settings.lake_dir);
    let sets = configured_inputs(&ctx.settings)?;
    let (summary, code) = ingest_and_report(
        ctx,
        &lake,
        "run",
        &sets,
        args.force,
        true,
        args.require_fresh,
    )?;
    print_run(&summary, args.format.resolved())?;
    Ok(code)
}
