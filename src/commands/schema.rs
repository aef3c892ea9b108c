//! `opsbench schema [DATASET]`: the input datasets' canonical schemas, as text or JSON.

use crate::cli::{OutputFormat, SchemaArgs};
use crate::commands::{dataset_arg, print_json};
use crate::error::{Result, exit};
use crate::schema::{Dataset, DatasetSpec};

pub fn schema_cmd(args: &SchemaArgs) -> Result<u8> {
    let datasets: Vec<Dataset> = match &args.dataset {
        Some(name) => vec![dataset_arg(name)?],
        None => Dataset::ALL.to_vec(),
    };
    let specs: Vec<&DatasetSpec> = datasets.iter().map(|d| d.spec()).collect();
    match args.format.resolved() {
        OutputFormat::Json => print_json(&specs)?,
        OutputFormat::Text => {
            for (i, s) in specs.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print!("{}", describe(s));
            }
        }
    }
    Ok(exit::OK)
}

/// One dataset's schema as text.
pub fn describe(s: &DatasetSpec) -> String {
    let mut out = format!(
        "{}: {}\n  key: {}; partitioned by the UTC date of {}\n",
        s.name,
        s.doc,
        s.key.join(", "),
        s.partition_by
    );
    for c in s.columns {
        let mut extra = Vec::new();
        if !c.aliases.is_empty() {
            extra.push(format!("aliases: {}", c.aliases.join(", ")));
        }
        if let Some(d) = c.default {
            extra.push(format!("default: `{d}`"));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(" ({})", extra.join("; "))
        };
        out.push_str(&format!(
            "  {:<26} {:<18} {:<9} {}{extra}\n",
            c.name,
            c.kind.dtype_name(),
            if c.required { "required" } else { "optional" },
            c.doc
        ));
    }
    out
}
