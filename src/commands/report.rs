//! `opsbench report`, and the output stage `run` and `demo` share: the tables under
//! `OUT/tables/`, `OUT/report.html`, then `OUT/manifest.json` last.
//!
//! It reads the lake's manifest, computes what it shows (today: `data_quality`), fills the
//! report's view model and writes every file by temp-and-rename.

use std::path::{Path, PathBuf};

use chrono::SecondsFormat;

use crate::cli::{OutputFormat, ReportArgs};
use crate::commands::{Ctx, fmt_count, print_json};
use crate::error::{Result, exit};
use crate::lake::Lake;
use crate::metrics::quality;
use crate::report::out_manifest::{self, OutManifest, WrittenFile};
use crate::report::view::{
    ActionItem, DatasetQuality, Example, Headline, InputFile, ReportView, RuleQuality,
};
use crate::schema::Dataset;

/// What the output stage wrote.
#[derive(Debug, serde::Serialize)]
pub struct Written {
    pub files: Vec<WrittenFile>,
    /// The HTML report, when this stage wrote one.
    pub report: Option<PathBuf>,
    pub manifest: PathBuf,
    /// A dataset is stale or missing (see `dataset_freshness`).
    pub data_problems: bool,
}

/// Write the tables, the report and the output manifest for the lake into `out_dir`.
pub fn write_report(ctx: &Ctx, lake: &Lake, out_dir: &Path) -> Result<Written> {
    let as_of = ctx.as_of();
    let (from, to) = ctx.settings.window(as_of);
    let manifest = lake.manifest()?;
    let metrics = crate::commands::metrics::write_metrics(
        ctx,
        lake,
        out_dir,
        crate::commands::metrics::Stages::ALL,
    )?;
    let mut written = metrics.written.clone();

    let mut view = build_view(ctx, &manifest, from, to);
    view.sections = metrics.sections;
    view.headline.extend(metrics.headline);
    view.actions = metrics.actions;
    view.services = metrics.services;
    let html = crate::report::html::render_html(&view)?;
    let report = out_dir.join("report.html");
    crate::lake::txn::write_atomic(&report, html.as_bytes())?;
    written.push(out_manifest::describe(out_dir, &report, None)?);

    let manifest_path = write_out_manifest(ctx, out_dir, &written)?;
    Ok(Written {
        files: written,
        report: Some(report),
        manifest: manifest_path,
        data_problems: metrics.data_problems,
    })
}

/// Write `OUT/manifest.json` (last): the files written, settings, window and `as_of`.
pub fn write_out_manifest(ctx: &Ctx, out_dir: &Path, written: &[WrittenFile]) -> Result<PathBuf> {
    let as_of = ctx.as_of();
    let (from, to) = ctx.settings.window(as_of);
    let m = OutManifest {
        output_schema_version: out_manifest::OUTPUT_SCHEMA_VERSION,
        opsbench_version: env!("CARGO_PKG_VERSION").to_string(),
        generated_at: ctx.now.to_rfc3339_opts(SecondsFormat::Secs, true),
        as_of: as_of.to_rfc3339_opts(SecondsFormat::Secs, true),
        window_from: from.to_rfc3339_opts(SecondsFormat::Secs, true),
        window_to: to.to_rfc3339_opts(SecondsFormat::Secs, true),
        settings: ctx.settings.describe(),
        files: written.to_vec(),
    };
    out_manifest::write(out_dir, &m)
}

/// One action per dataset with quarantined rows (every export the lake has ingested).
pub fn quarantine_actions(manifest: &crate::lake::Manifest) -> Vec<ActionItem> {
    quality::totals(manifest, 0)
        .iter()
        .filter(|(_, t)| t.rows_quarantined > 0)
        .map(|(d, t)| ActionItem {
            severity: "warning".into(),
            kind: "quarantined_rows".into(),
            subject: d.name().to_string(),
            message: format!(
                "{} of {} rows were quarantined; see the data-quality section",
                fmt_count(t.rows_quarantined),
                fmt_count(t.rows_read)
            ),
            ..Default::default()
        })
        .collect()
}

fn build_view(
    ctx: &Ctx,
    manifest: &crate::lake::Manifest,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> ReportView {
    let totals = quality::totals(manifest, 3);
    let mut datasets = Vec::new();
    let mut rules = Vec::new();
    for d in Dataset::ALL {
        match totals.get(&d) {
            None => {
                datasets.push(DatasetQuality {
                    dataset: d.name().to_string(),
                    status: "missing".to_string(),
                    ..Default::default()
                });
            }
            Some(t) => {
                let status = if t.rows_quarantined > 0 {
                    "problems"
                } else {
                    "ok"
                };
                datasets.push(DatasetQuality {
                    dataset: d.name().to_string(),
                    files: t.files,
                    rows_read: t.rows_read,
                    rows_loaded: t.rows_loaded,
                    rows_quarantined: t.rows_quarantined,
                    rows_flagged: t.rows_flagged,
                    status: status.to_string(),
                });
                for (rule, (rows, examples)) in &t.rules {
                    rules.push(RuleQuality {
                        dataset: d.name().to_string(),
                        rule: rule.id().to_string(),
                        rule_doc: rule.doc().to_string(),
                        outcome: if rule.is_flag() {
                            "flagged"
                        } else {
                            "quarantined"
                        }
                        .to_string(),
                        rows: *rows,
                        examples: examples
                            .iter()
                            .map(|(file, e)| Example {
                                file: file.clone(),
                                line: e.line,
                                column: e.column.clone(),
                                value: e.value.clone(),
                            })
                            .collect(),
                    });
                }
            }
        }
    }
    let read: u64 = totals.values().map(|t| t.rows_read).sum();
    let q: u64 = totals.values().map(|t| t.rows_quarantined).sum();
    let flagged: u64 = totals.values().map(|t| t.rows_flagged).sum();
    let headline = vec![
        Headline {
            label: "Datasets loaded".into(),
            value: format!("{} of {}", totals.len(), Dataset::ALL.len()),
            detail: "input datasets with at least one export in the lake".into(),
        },
        Headline {
            label: "Rows read".into(),
            value: fmt_count(read),
            detail: format!("from {} export file(s)", manifest.files.len()),
        },
        Headline {
            label: "Rows quarantined".into(),
            value: fmt_count(q),
            detail: if read > 0 {
                format!(
                    "{:.2} % of rows read; {} more kept but flagged",
                    q as f64 * 100.0 / read as f64,
                    fmt_count(flagged)
                )
            } else {
                "no rows read".into()
            },
        },
    ];
    let inputs = manifest
        .files
        .iter()
        .map(|f| InputFile {
            dataset: f.dataset.clone(),
            path: f.path.clone(),
            sha256: f.sha256.clone(),
            size_bytes: f.size_bytes,
            rows_loaded: f.rows_loaded,
            rows_quarantined: f.rows_quarantined,
            ingested_at: f.ingested_at.clone(),
        })
        .collect();
    let fmt = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&ctx.settings.report_tz)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    };
    ReportView {
        title: "opsbench report".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        generated_at: ctx.now.to_rfc3339_opts(SecondsFormat::Secs, true),
        as_of: ctx.as_of().to_rfc3339_opts(SecondsFormat::Secs, true),
        window_from: fmt(from),
        window_to: fmt(to),
        report_tz: ctx.settings.report_tz.name().to_string(),
        headline,
        actions: Vec::new(),
        datasets,
        rules,
        inputs,
        settings: ctx.settings.describe(),
        sections: Vec::new(),
        services: Vec::new(),
        notes: vec![
            "The lake keeps only the newest version of each row, so figures as of a past instant show what the data now says about then, not what was known then.".into(),
            "Data-quality counts cover every export the lake has ingested.".into(),
        ],
    }
}

pub fn report_cmd(ctx: &Ctx, args: &ReportArgs) -> Result<u8> {
    let lake = Lake::new(&ctx.settings.lake_dir);
    let written = write_report(ctx, &lake, &ctx.settings.out_dir)?;
    match args.format.resolved() {
        OutputFormat::Json => print_json(&written)?,
        OutputFormat::Text => print_written(&written),
    }
    Ok(freshness_code(written.data_problems, args.require_fresh))
}

/// Exit code of a stage: 1 when a dataset is stale or missing and `--require-fresh` was given;
/// otherwise 0, with a warning in the log.
pub fn freshness_code(data_problems: bool, require_fresh: bool) -> u8 {
    if !data_problems {
        return exit::OK;
    }
    if require_fresh {
        tracing::error!(
            "a dataset is stale or missing (see dataset_freshness); exit 1 because of --require-fresh"
        );
        exit::DATA_PROBLEMS
    } else {
        tracing::warn!("a dataset is stale or missing (see dataset_freshness)");
        exit::OK
    }
}

/// Print the files an output stage wrote.
pub fn print_written(w: &Written) {
    for f in &w.files {
        match f.rows {
            Some(r) => println!("wrote {} ({} rows)", f.path, fmt_count(r)),
            None => println!("wrote {}", f.path),
        }
    }
    println!("wrote manifest.json");
}
