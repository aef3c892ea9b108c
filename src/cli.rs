//! The command line: clap definitions only.
//!
//! Nothing here reads files, the clock or the environment; `config.rs` turns these flags,
//! the config file and `OPSBENCH_*` variables into one resolved `Settings`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Offline telemetry analytics for a live game's online services.
#[derive(Debug, Parser)]
#[command(name = "opsbench", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// The config file (default: `opsbench.toml` in the current folder, when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The lake's folder (default `lake/`).
    #[arg(long, global = true, value_name = "DIR")]
    pub lake: Option<PathBuf>,
    /// The output folder (default `out/`).
    #[arg(long, global = true, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Start of the report window (inclusive), `YYYY-MM-DD`.
    #[arg(long, global = true, value_name = "DATE")]
    pub from: Option<String>,
    /// End of the report window (exclusive), `YYYY-MM-DD`.
    #[arg(long, global = true, value_name = "DATE")]
    pub to: Option<String>,
    /// The instant the figures are computed at (RFC 3339; default: now, UTC).
    #[arg(long = "as-of", global = true, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// Days the capacity forecast looks ahead (default 28; `[forecast] horizon_days`).
    #[arg(long = "horizon-days", global = true, value_name = "N")]
    pub horizon_days: Option<u32>,
    /// A named set of metric knobs: `default` or `devlake` (DevLake's DORA conventions).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Print only warnings and errors on stderr, and no progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Format of the log lines on stderr.
    #[arg(long = "log-format", global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Format of the log lines.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Format of the data a command prints on stdout.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// `--format text|json`, with `--json` as its alias.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct FormatArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
}

impl FormatArgs {
    /// The format chosen.
    pub fn resolved(self) -> OutputFormat {
        if self.json {
            OutputFormat::Json
        } else {
            self.format
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate ~90 days of telemetry, load it into OUT/lake, compute and write the report.
    Demo(DemoArgs),
    /// The nightly job: ingest new exports from the config's inputs, then write the tables and the report.
    Run(RunArgs),
    /// Validate exports and load them into the lake.
    Ingest(IngestArgs),
    /// Check exports without loading them; print every problem.
    Validate(ValidateArgs),
    /// The data-quality table and the HTML report, from what the lake holds.
    Report(ReportArgs),
    /// The metric tables only (no report), from what the lake holds.
    Metrics(ReportArgs),
    /// The capacity forecast, its backtest and the capacity plan (no report).
    Forecast(ReportArgs),
    /// Write synthetic exports of every dataset (for tests and benchmarks).
    Generate(GenerateArgs),
    /// Print the input datasets' schemas.
    Schema(SchemaArgs),
    /// Print the resolved settings.
    Config(ConfigArgs),
    /// Look at the lake: what it holds, and its commits.
    Lake(LakeArgs),
    /// Re-validate quarantined rows under today's config and load those that now pass.
    Quarantine(QuarantineArgs),
    /// The deploy gate: may this service ship now? Exit 0 pass/warn/overridden, 4 fail, 2 error.
    Gate(GateArgs),
}

#[derive(Debug, Args)]
pub struct QuarantineArgs {
    #[command(subcommand)]
    pub action: QuarantineAction,
}

/// What to do with the quarantine.
#[derive(Debug, Subcommand)]
pub enum QuarantineAction {
    /// Re-validate a dataset's quarantined rows under today's config; load those that now pass.
    Replay {
        /// The dataset.
        dataset: String,
        /// Only the rows this rule quarantined.
        #[arg(long)]
        rule: Option<String>,
        #[command(flatten)]
        format: FormatArgs,
    },
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The service to gate.
    #[arg(long)]
    pub service: String,
    /// Judge only this region.
    #[arg(long)]
    pub region: Option<String>,
    /// The deployment being gated (recorded with the decision).
    #[arg(long = "deploy-id", value_name = "ID")]
    pub deploy_id: Option<String>,
    /// Also write the decision as JUnit XML (one test case per rule).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Ship anyway: turns fail or warn into `overridden` (exit 0) and records the reason.
    #[arg(long = "override", value_name = "REASON")]
    pub override_reason: Option<String>,
    /// Who decides (recorded; default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct LakeArgs {
    #[command(subcommand)]
    pub action: LakeAction,
}

/// What to do with the lake.
#[derive(Debug, Subcommand)]
pub enum LakeAction {
    /// Per dataset: rows, partitions, days, bytes, files, last ingest, quarantined rows; pending commits.
    Status(FormatArgs),
    /// Remove a dataset's partitions in `--from`..`--to` (days, end excluded), in one commit.
    Delete {
        /// The dataset.
        dataset: String,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Apply `[retention]`: remove partitions older than each dataset's retention before as_of.
    Prune(FormatArgs),
    /// Rewrite partitions made of several files into one file each (same rows), in one commit.
    Compact {
        /// Only partitions with at least this many files.
        #[arg(long = "min-files", default_value_t = 2)]
        min_files: usize,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Every commit (run id, command, time, files added and replaced, rows in).
    History {
        /// Only the commits that touched this dataset.
        dataset: Option<String>,
        #[command(flatten)]
        format: FormatArgs,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Days of telemetry to generate.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct LimitArgs {
    /// Rejected rows allowed per dataset per run before exit code 1: a count `N` or a share `N%`.
    #[arg(long = "max-rejected", value_name = "N|N%")]
    pub max_rejected: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Re-read exports already loaded (after a column-mapping fix).
    #[arg(long)]
    pub force: bool,
    /// Exit 1 when a dataset is stale or missing (`dataset_freshness`); default: warn only.
    #[arg(long = "require-fresh")]
    pub require_fresh: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The dataset the files hold.
    pub dataset: String,
    /// Export files (CSV, NDJSON or Parquet; optionally .gz or .zst).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Re-read files already loaded.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The dataset the files hold.
    pub dataset: String,
    /// Export files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Examples shown per rule.
    #[arg(long, default_value_t = 3)]
    pub examples: usize,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Exit 1 when a dataset is stale or missing (`dataset_freshness`); default: warn only.
    #[arg(long = "require-fresh")]
    pub require_fresh: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Days generated.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Last day generated, `YYYY-MM-DD` (default: yesterday, UTC).
    #[arg(long)]
    pub end: Option<String>,
    /// CCU samples in total (the other datasets scale with the days, regions and services).
    #[arg(long)]
    pub rows: Option<u64>,
    /// Game regions.
    #[arg(long, default_value_t = 4)]
    pub regions: u32,
    /// Services.
    #[arg(long, default_value_t = 6)]
    pub services: u32,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Share of rows per dataset replaced by bad rows of every kind the validator knows.
    #[arg(long = "bad-rows", default_value_t = 0.0)]
    pub bad_rows: f64,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// One dataset (default: all).
    pub dataset: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Show where each setting came from (default, file, environment, flag).
    #[arg(long = "show-origin")]
    pub show_origin: bool,
    /// Only check the config; print nothing when it is valid.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}
