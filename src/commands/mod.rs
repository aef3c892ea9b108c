//! The subcommands, one file each; the only place that orders the stages.
//!
//! `run_cli` resolves the settings (reading the config file and the environment: this is the
//! edge), reads the clock once (`now`; `as_of` defaults to it), and hands both to the command.
//! Commands print data and the final summary on stdout; logs go to stderr.

mod causes;
mod config_cmd;
mod cost;
mod demo;
pub mod forecast;
mod freshness;
mod gate;
mod generate;
mod ingest;
mod lake_cmd;
mod metrics;
mod quarantine;
mod report;
mod run;
mod schema;
mod services;
mod slo;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::Settings;
use crate::error::{Error, Result};

pub use ingest::{IngestRun, ingest_sets};
pub use report::write_report;

/// What every command gets.
pub struct Ctx {
    pub settings: Settings,
    /// The clock, read once.
    pub now: DateTime<Utc>,
    pub quiet: bool,
}

impl Ctx {
    /// The instant figures are computed at.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.settings.as_of_or(self.now)
    }
}

/// Read the config file (explicit, `OPSBENCH_CONFIG`, or `./opsbench.toml` when present) and
/// the environment, and resolve the settings.
pub fn load_settings(global: &GlobalArgs, max_rejected: Option<&str>) -> Result<Settings> {
    let env: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("OPSBENCH_"))
        .collect();
    let path: Option<PathBuf> = global
        .config
        .clone()
        .or_else(|| env.get("OPSBENCH_CONFIG").map(PathBuf::from))
        .or_else(|| {
            Path::new("opsbench.toml")
                .exists()
                .then(|| PathBuf::from("opsbench.toml"))
        });
    let text = match &path {
        Some(p) => Some(fs_err::read_to_string(p).map_err(|e| {
            Error::config(
                p.display().to_string(),
                "",
                format!("cannot read the config file: {e}; hint: check the path given to --config"),
            )
        })?),
        None => None,
    };
    let file = path.as_deref().zip(text.as_deref());
    Settings::resolve(file, &env, global, max_rejected)
}

/// The clock: now, or `SOURCE_DATE_EPOCH` (seconds since 1970-01-01 UTC) when set, the
/// reproducible-builds convention, so two runs can write the same bytes (the report's
/// "generated" time, ingest times, `dataset_freshness.last_ingested_at`).
fn clock() -> Result<DateTime<Utc>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(_) => Ok(Utc::now()),
        Ok(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "SOURCE_DATE_EPOCH is `{v}`, not a number of seconds since 1970-01-01; hint: unset it to use the clock"
                ))
            }),
    }
}

/// Run a parsed command line; returns the exit code.
pub fn run_cli(cli: Cli) -> Result<u8> {
    let max_rejected = match &cli.command {
        Command::Demo(a) => a.limits.max_rejected.clone(),
        Command::Run(a) => a.limits.max_rejected.clone(),
        Command::Ingest(a) => a.limits.max_rejected.clone(),
        _ => None,
    };
    let settings = load_settings(&cli.global, max_rejected.as_deref())?;
    let ctx = Ctx {
        settings,
        now: clock()?,
        quiet: cli.global.quiet,
    };
    match cli.command {
        Command::Demo(a) => demo::demo(&ctx, &cli.global, &a),
        Command::Run(a) => run::run(&ctx, &a),
        Command::Ingest(a) => ingest::ingest_cmd(&ctx, &a),
        Command::Validate(a) => ingest::validate_cmd(&ctx, &a),
        Command::Report(a) => report::report_cmd(&ctx, &a),
        Command::Metrics(a) => metrics::metrics_cmd(&ctx, &a),
        Command::Forecast(a) => metrics::forecast_cmd(&ctx, &a),
        Command::Generate(a) => generate::generate_cmd(&ctx, &cli.global, &a),
        Command::Schema(a) => schema::schema_cmd(&a),
        Command::Config(a) => config_cmd::config_cmd(&ctx, &a),
        Command::Lake(a) => lake_cmd::lake_cmd(&ctx, &a),
        Command::Gate(a) => gate::gate_cmd(&ctx, &a),
        Command::Quarantine(a) => quarantine::quarantine_cmd(&ctx, &a),
    }
}

/// A dataset named on the command line.
pub fn dataset_arg(name: &str) -> Result<crate::schema::Dataset> {
    crate::schema::Dataset::from_name(name).ok_or_else(|| {
        Error::Usage(format!(
            "unknown dataset `{name}`; expected one of {}",
            crate::schema::Dataset::ALL
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// Print JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|source| Error::Json {
        context: "printing JSON".into(),
        source,
    })?;
    println!("{text}");
    Ok(())
}

/// Thousands separators for counts printed to people.
pub use crate::report::html::fmt_int as fmt_count;
