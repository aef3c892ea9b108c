//! `opsbench generate`: synthetic exports of every dataset, for tests and benchmarks.

use crate::cli::{GenerateArgs, GlobalArgs};
use crate::commands::{Ctx, fmt_count};
use crate::error::{Error, Result, exit};
use crate::generate::{GenerateOptions, generate};

/// The generator's options from the flags; `end` defaults to yesterday (UTC) of `now`.
pub fn options(ctx: &Ctx, args: &GenerateArgs) -> Result<GenerateOptions> {
    let end = match &args.end {
        Some(e) => crate::config::parse_date(e).ok_or_else(|| {
            Error::Usage(format!("--end: expected a date `YYYY-MM-DD`, found `{e}`"))
        })?,
        None => (ctx.now - chrono::Duration::days(1)).date_naive(),
    };
    Ok(GenerateOptions {
        days: args.days,
        end,
        rows: args.rows,
        regions: args.regions,
        services: args.services,
        seed: args.seed,
        bad_rows: args.bad_rows,
    })
}

pub fn generate_cmd(ctx: &Ctx, global: &GlobalArgs, args: &GenerateArgs) -> Result<u8> {
    let Some(out) = &global.out else {
        return Err(Error::Usage(
            "generate needs --out DIR, the folder the exports are written to".into(),
        ));
    };
    let opts = options(ctx, args)?;
    let started = std::time::Instant::now();
    let summary = generate(&opts, out).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => Error::Usage(e.to_string()),
        _ => Error::Io(e),
    })?;
    for f in &summary.files {
        println!(
            "wrote {} ({} rows, {} bad)",
            f.path.display(),
            fmt_count(f.rows),
            fmt_count(f.bad_rows)
        );
    }
    println!("wrote {}", summary.config_path.display());
    println!("generated in {:.1} s", started.elapsed().as_secs_f64());
    Ok(exit::OK)
}
