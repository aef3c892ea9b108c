//! `opsbench config [--show-origin | --check]`: the resolved settings and where each came from.

use crate::cli::{ConfigArgs, OutputFormat};
use crate::commands::{Ctx, print_json};
use crate::error::{Result, exit};

#[derive(serde::Serialize)]
struct Entry {
    key: String,
    value: String,
    origin: String,
}

pub fn config_cmd(ctx: &Ctx, args: &ConfigArgs) -> Result<u8> {
    if args.check {
        // resolving the settings already checked them
        return Ok(exit::OK);
    }
    let entries: Vec<Entry> = ctx
        .settings
        .describe()
        .into_iter()
        .map(|(key, value)| Entry {
            origin: ctx.settings.origin(&key).to_string(),
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
