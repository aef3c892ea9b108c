//! `opsbench lake status` and `opsbench lake history [DATASET]`: what the lake holds and every
//! commit it has had, from the manifest and the Parquet footers. Read-only, no lock.

use crate::cli::{LakeAction, LakeArgs, OutputFormat};
use crate::commands::{Ctx, dataset_arg, fmt_count, print_json};
use crate::error::{Error, Result, exit};
use crate::lake::Lake;
use crate::lake::delete::Removed;

pub fn lake_cmd(ctx: &Ctx, args: &LakeArgs) -> Result<u8> {
    let lake = Lake::new(&ctx.settings.lake_dir);
    match &args.action {
        LakeAction::Status(f) => {
            let st = crate::lake::status::status(&lake)?;
            match f.resolved() {
                OutputFormat::Json => print_json(&st)?,
                OutputFormat::Text => {
                    println!(
                        "lake {} (schema version {})",
                        lake.root().display(),
                        st.schema_version
                    );
                    println!(
                        "{:<12} {:>12} {:>6} {:>11} {:>11} {:>12} {:>11}  last ingest",
                        "dataset", "rows", "files", "first day", "last day", "bytes", "quarantined"
                    );
                    for d in &st.datasets {
                        let q: u64 = d.quarantined_by_rule.values().sum();
                        println!(
                            "{:<12} {:>12} {:>6} {:>11} {:>11} {:>12} {:>11}  {}",
                            d.dataset,
                            fmt_count(d.rows),
                            d.files,
                            d.first_date.as_deref().unwrap_or("—"),
                            d.last_date.as_deref().unwrap_or("—"),
                            fmt_count(d.bytes),
                            fmt_count(q),
                            match (&d.last_ingest_at, &d.last_export) {
                                (Some(t), Some(p)) => format!("{t} from {p}"),
                                _ => "never".into(),
                            }
                        );
                    }
                    for d in &st.datasets {
                        for (column, parts) in &d.predating {
                            println!(
                                "{}: {} partition(s) predate column `{column}` (it reads as null there): {}{}",
                                d.dataset,
                                parts.len(),
                                parts.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                                if parts.len() > 3 { ", …" } else { "" }
                            );
                        }
                    }
                    for i in &st.pending_intents {
                        println!("pending commit intent: _txn/{i} (the next run completes it)");
                    }
                    for s in &st.staging_folders {
                        println!("staging folder: _staging/{s} (the next run discards it)");
                    }
                }
            }
        }
        LakeAction::Delete { dataset, format } => {
            let d = dataset_arg(dataset)?;
            let (Some(from), Some(to)) = (ctx.settings.from, ctx.settings.to) else {
                return Err(Error::Usage(
                    "lake delete needs --from DATE and --to DATE (the days removed, end excluded)"
                        .into(),
                ));
            };
            let lock = lake.lock("lake delete")?;
            let removed = crate::lake::delete::delete_days(
                &lake,
                &lock,
                d,
                from,
                to,
                "lake delete",
                ctx.now,
            )?;
            print_removed(&[removed], format.resolved())?;
        }
        LakeAction::Prune(format) => {
            let removed = prune(ctx, &lake)?;
            print_removed(&removed, format.resolved())?;
        }
        LakeAction::Compact { min_files, format } => {
            let lock = lake.lock("lake compact")?;
            let done = crate::lake::compact::compact(&lake, &lock, *min_files, ctx.now)?;
            match format.resolved() {
                OutputFormat::Json => print_json(&done)?,
                OutputFormat::Text => {
                    for c in done.iter().filter(|c| c.partitions > 0) {
                        println!(
                            "{}: {} partition(s): {} files ({} bytes) → {} files ({} bytes)",
                            c.dataset,
                            fmt_count(c.partitions),
                            fmt_count(c.files_before),
                            fmt_count(c.bytes_before),
                            fmt_count(c.files_after),
                            fmt_count(c.bytes_after)
                        );
                    }
                    if done.iter().all(|c| c.partitions == 0) {
                        println!("nothing to compact: every partition is one file");
                    }
                }
            }
        }
        LakeAction::History { dataset, format } => {
            let manifest = lake.manifest()?;
            let name = dataset
                .as_deref()
                .map(dataset_arg)
                .transpose()?
                .map(|d| d.name().to_string());
            let commits: Vec<_> = manifest
                .commits
                .iter()
                .filter(|c| name.as_ref().is_none_or(|n| c.datasets.contains(n)))
                .collect();
            match format.resolved() {
                OutputFormat::Json => print_json(&commits)?,
                OutputFormat::Text => {
                    for c in commits {
                        println!(
                            "{}  {:<8} run {}  {}: {} file(s) added, {} replaced, {} row(s) in, {} quarantined",
                            c.committed_at,
                            c.command,
                            c.run_id,
                            c.datasets.join(", "),
                            c.files_added.len(),
                            c.files_replaced.len(),
                            fmt_count(c.rows_in),
                            fmt_count(c.rows_quarantined)
                        );
                    }
                }
            }
        }
    }
    Ok(exit::OK)
}

/// Apply `[retention]`: per dataset, remove the days before `as_of − retention`.
pub fn prune(ctx: &Ctx, lake: &Lake) -> Result<Vec<Removed>> {
    let mut out = Vec::new();
    if ctx.settings.retention.is_empty() {
        return Ok(out);
    }
    let lock = lake.lock("lake prune")?;
    let today = ctx.as_of().date_naive();
    for (dataset, days) in &ctx.settings.retention {
        let keep_from = today - chrono::Duration::days(i64::from(*days));
        let removed = crate::lake::delete::delete_days(
            lake,
            &lock,
            *dataset,
            chrono::NaiveDate::MIN,
            keep_from,
            "lake prune",
            ctx.now,
        )?;
        out.push(removed);
    }
    Ok(out)
}

fn print_removed(removed: &[Removed], format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Json => print_json(&removed)?,
        OutputFormat::Text => {
            if removed.is_empty() {
                println!("nothing to remove: no [retention] is configured");
            }
            for r in removed {
                println!(
                    "{}: removed {} partition(s), {} file(s), {} row(s)",
                    r.dataset,
                    fmt_count(r.partitions),
                    fmt_count(r.files),
                    fmt_count(r.rows)
                );
            }
        }
    }
    Ok(())
}
