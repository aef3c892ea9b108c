//! `opsbench demo`: generate ~90 days of telemetry into `OUT/exports/`, load it into
//! `OUT/lake/`, and write the tables and `OUT/report.html`. `as_of` is the end of the
//! generated data, so the demo is reproducible for a seed and an end day.
//!
//! A folder `demo` made before (it holds `.opsbench-demo`) is cleared of its exports and lake
//! first; any other non-empty folder is refused, so the demo never deletes a user's data.

use std::path::Path;

use crate::cli::{DemoArgs, GenerateArgs, GlobalArgs};
use crate::commands::run::{ingest_and_report, print_run};
use crate::commands::{Ctx, generate};
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::schema::Dataset;

const MARKER: &str = ".opsbench-demo";

fn prepare(out: &Path) -> Result<()> {
    if out.exists() {
        let empty = fs_err::read_dir(out)?.next().is_none();
        if out.join(MARKER).exists() {
            for sub in ["exports", "lake", "tables"] {
                let p = out.join(sub);
                if p.exists() {
                    fs_err::remove_dir_all(&p)?;
                }
            }
        } else if !empty {
            return Err(Error::Usage(format!(
                "`{}` is not empty and was not made by `opsbench demo`; hint: pass an empty or new folder with --out",
                out.display()
            )));
        }
    }
    fs_err::create_dir_all(out)?;
    fs_err::write(
        out.join(MARKER),
        "made by `opsbench demo`; the demo clears exports/, lake/ and tables/ here when run again\n",
    )?;
    Ok(())
}

pub fn demo(ctx: &Ctx, global: &GlobalArgs, args: &DemoArgs) -> Result<u8> {
    let out = ctx.settings.out_dir.clone();
    prepare(&out)?;
    let gen_args = GenerateArgs {
        days: args.days,
        end: None,
        rows: None,
        regions: 4,
        services: 6,
        seed: args.seed,
        bad_rows: 0.002,
    };
    let opts = generate::options(ctx, &gen_args)?;
    let exports = out.join("exports");
    tracing::info!(days = opts.days, end = %opts.end, seed = opts.seed, "generating telemetry into {}", exports.display());
    let generated = crate::generate::generate(&opts, &exports)?;
    let mut settings = ctx.settings.clone();
    settings.lake_dir = global.lake.clone().unwrap_or_else(|| out.join("lake"));
    settings.as_of = Some(
        (opts.end + chrono::Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc(),
    );
    settings.slo_interval_min = generated.slo_interval_min;
    if ctx.settings.config_path.is_none() {
        // without a config of its own, the demo allocates cost and describes its services as
        // the generated config does
        let text = fs_err::read_to_string(&generated.config_path)?;
        let generated_settings = crate::config::Settings::resolve(
            Some((generated.config_path.as_path(), text.as_str())),
            &std::collections::BTreeMap::new(),
            &GlobalArgs::default(),
            None,
        )?;
        settings.cost = generated_settings.cost;
        settings.services = generated_settings.services;
    }
    settings
        .origins
        .insert("as_of".into(), "demo: end of the generated data".into());
    let demo_ctx = Ctx {
        settings,
        now: ctx.now,
        quiet: ctx.quiet,
    };
    let sets: Vec<(Dataset, Vec<std::path::PathBuf>)> = Dataset::ALL
        .iter()
        .map(|d| {
            let files = generated
                .files
                .iter()
                .filter(|f| f.dataset == *d)
                .map(|f| f.path.clone())
                .collect();
            (*d, files)
        })
        .collect();
    let lake = Lake::new(&demo_ctx.settings.lake_dir);
    let (summary, code) = ingest_and_report(&demo_ctx, &lake, "demo", &sets, false, false, false)?;
    print_run(&summary, args.format.resolved())?;
    if let Some(report) = &summary.outputs.report {
        println!("open {}", report.display());
    }
    // the demo's bad rows are deliberate: they show the quarantine, and do not fail the demo
    let _ = code;
    Ok(crate::error::exit::OK)
}
