//! `opsbench config [--show-origin | --check]`: the resolved settings and where each came from
//! (default, the config file and line, an `OPSBENCH_*` variable, a flag). `--check` validates
//! the config and every path and glob in it without running anything: exit 0 (a glob that
//! matches no file yet is a warning on stderr) or 2.

use crate::cli::{ConfigArgs, OutputFormat};
use crate::commands::{Ctx, print_json};
use crate::config::Settings;
use crate::error::{Error, Result, exit};

/// Check the folders and input globs: an error for what cannot work, warnings for what may
/// work later (a glob with no file yet).
pub fn check_paths(s: &Settings) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    for (key, dir) in [("lake_dir", &s.lake_dir), ("out_dir", &s.out_dir)] {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::config(
                s.origin_at(key),
                key,
                format!("`{}` exists and is not a folder", dir.display()),
            ));
        }
    }
    for (d, ds) in &s.datasets {
        let key = format!("datasets.{d}.inputs");
        for pattern in &ds.inputs {
            let paths = glob::glob(pattern).map_err(|e| {
                Error::config(
                    s.origin_at(&key),
                    &key,
                    format!("`{pattern}` is not a valid glob: {e}"),
                )
            })?;
            if paths.filter_map(std::result::Result::ok).next().is_none() {
                warnings.push(format!("{key}: `{pattern}` matches no file yet"));
            }
        }
    }
    Ok(warnings)
}

#[derive(serde::Serialize)]
struct Entry {
    key: String,
    value: String,
    origin: String,
}

pub fn config_cmd(ctx: &Ctx, args: &ConfigArgs) -> Result<u8> {
    if args.check {
        // resolving the settings already checked every value; now the paths and globs
        // the OpenSLO documents load and agree with the config
        crate::catalog::Catalog::from_settings(&ctx.settings)?;
        for w in check_paths(&ctx.settings)? {
            eprintln!("warning: {w}");
        }
        return Ok(exit::OK);
    }
    let entries: Vec<Entry> = ctx
        .settings
        .describe()
        .into_iter()
        .map(|(key, value)| Entry {
            origin: ctx.settings.origin_at(&key),
            key,
            value,
        })
        .collect();
    match args.format.resolved() {
        OutputFormat::Json => print_json(&entries)?,
        OutputFormat::Text => {
            for e in entries {
                if args.show_origin {
                    println!("{} = {:?}  # {}", e.key, e.value, e.origin);
                } else {
                    println!("{} = {:?}", e.key, e.value);
                }
            }
        }
    }
    Ok(exit::OK)
}
