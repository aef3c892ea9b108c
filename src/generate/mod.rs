//! Realistic synthetic telemetry exports, seeded: the eight input datasets as CSV files under
//! `OUT/DATASET/part-NNNN.csv`, and `OUT/opsbench.toml`, a config whose `run` loads them.
//!
//! The datasets are drawn from one simulated world (`model.rs`) so they agree: the event
//! calendar lifts CCU, SLO requests follow CCU, SEV1–SEV2 incidents dent CCU and make errors
//! surge, activity and capacity come from the CCU actually written, compute cost follows
//! capacity. One region grows fast enough to outgrow its capacity within 28 days after the end.
//! `bad_rows` swaps in rows that each break exactly one validation rule ([`bad_row_kinds`]).
//! The same options and seed give the same bytes (seeded ChaCha8 streams, no clock, no
//! environment, no hash-map order).
//!
//! What it must not do: hold the CCU or SLO rows in memory (they are streamed, so 10 M+ rows
//! need little memory), leave a half-written file under its final name (each part is written
//! to a temporary name and renamed), use polars, or write outside `out_dir`.

mod bad;
mod capacity;
mod changes;
mod cost;
mod events;
mod model;
mod players;
mod slo;
mod writer;

#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::schema::{Dataset, Rule};
use model::{CcuPlan, World, make_regions, make_services, rng_for, stream};

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerateOptions {
    /// Number of days generated (default 90).
    pub days: u32,
    /// Last day generated (inclusive); data covers `[end - days + 1, end + 1)` UTC.
    pub end: NaiveDate,
    /// Approximate number of CCU samples in total; `None` = 5-minute samples, 3 shards per
    /// region.
    pub rows: Option<u64>,
    /// Game regions (default 4).
    pub regions: u32,
    /// Backend services (default 6).
    pub services: u32,
    /// Seed of every random draw.
    pub seed: u64,
    /// Fraction in `[0, 1)` of rows per dataset replaced by bad rows.
    pub bad_rows: f64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            days: 90,
            end: NaiveDate::from_ymd_opt(2026, 10, 31).expect("a valid date"),
            rows: None,
            regions: 4,
            services: 6,
            seed: 42,
            bad_rows: 0.0,
        }
    }
}

/// One CSV file written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GeneratedFile {
    /// The dataset the file belongs to.
    pub dataset: Dataset,
    /// `OUT/DATASET/part-NNNN.csv`.
    pub path: PathBuf,
    /// Data rows in the file (the header not counted), bad rows included.
    pub rows: u64,
    /// Bad rows among them.
    pub bad_rows: u64,
}

/// Everything `generate` wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GenerateSummary {
    /// Every CSV file, in [`Dataset::ALL`] order, parts in order.
    pub files: Vec<GeneratedFile>,
    /// `OUT/opsbench.toml`.
    pub config_path: PathBuf,
    /// Minutes each SLO row covers (the config's `slo_interval`).
    pub slo_interval_min: u32,
}

/// The defects [`generate`] puts into `dataset`'s bad rows, in the order it cycles through them;
/// each bad row breaks exactly one of these rules.
pub fn bad_row_kinds(dataset: Dataset) -> &'static [Rule] {
    use Rule::*;
    match dataset {
        Dataset::Incidents => &[
            MissingRequired,
            UnparseableTimestamp,
            UnknownSeverity,
            EndBeforeStart,
            NegativeValue,
            NotAnInteger,
        ],
        Dataset::Deployments => &[MissingRequired, UnparseableTimestamp, UnknownStatus],
        Dataset::Ccu => &[
            UnparseableNumber,
            NotAnInteger,
            NegativeValue,
            MissingRequired,
            UnparseableTimestamp,
        ],
        Dataset::Activity => &[UnparseableDate, NegativeValue, UnparseableNumber],
        Dataset::Cost => &[
            EndBeforeStart,
            UnparseableDecimal,
            UnparseableTimestamp,
            MissingRequired,
        ],
        Dataset::Slo => &[ErrorsExceedRequests, NegativeValue, UnparseableNumber],
        Dataset::Capacity => &[NotPositive, NegativeValue],
        Dataset::Events => &[EndBeforeStart, NotPositive],
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn validate(opts: &GenerateOptions) -> io::Result<NaiveDate> {
    if opts.days < 1 {
        return Err(invalid(format!(
            "`days` must be at least 1, got `{}`",
            opts.days
        )));
    }
    if opts.regions < 1 {
        return Err(invalid(format!(
            "`regions` must be at least 1, got `{}`",
            opts.regions
        )));
    }
    if opts.services < 1 {
        return Err(invalid(format!(
            "`services` must be at least 1, got `{}`",
            opts.services
        )));
    }
    if !(0.0..1.0).contains(&opts.bad_rows) {
        return Err(invalid(format!(
            "`bad_rows` must be in [0, 1), got `{}`",
            opts.bad_rows
        )));
    }
    if opts.rows == Some(0) {
        return Err(invalid("`rows` must be at least 1, got `0`".to_owned()));
    }
    let first = opts
        .end
        .checked_sub_days(Days::new(u64::from(opts.days) - 1));
    let horizon = opts.end.checked_add_days(Days::new(29));
    match (first, horizon) {
        (Some(first), Some(_)) => Ok(first),
        _ => Err(invalid(format!(
            "`days` `{}` before `end` `{}` leaves the calendar",
            opts.days, opts.end
        ))),
    }
}

/// Writes every dataset and the config under `out_dir` (created if missing; parts left there
/// by an earlier, larger run are removed).
pub fn generate(opts: &GenerateOptions, out_dir: &Path) -> io::Result<GenerateSummary> {
    let first = validate(opts)?;
    fs_err::create_dir_all(out_dir)?;
    let world = build_world(opts, first);
    tracing::debug!(
        ccu_interval_min = world.ccu.interval_min,
        shards = ?world.ccu.shards,
        slo_interval_min = world.slo_interval_min,
        events = world.events.len(),
        deployments = world.deployments.len(),
        incidents = world.incidents.len(),
        "generating"
    );

    let mut files = Vec::new();
    let frac = opts.bad_rows;
    let event_rows = events::event_rows(&world.events, &world.regions);
    files.extend(write_rows(
        out_dir,
        Dataset::Events,
        event_rows,
        frac,
        |_| false,
    )?);
    // Deployments that incidents name stay good, so the links hold.
    let named: Vec<&str> = world
        .incidents
        .iter()
        .filter_map(|i| i.caused_by.as_deref())
        .collect();
    let id = writer::col(Dataset::Deployments, "deploy_id");
    let rows = changes::deployment_rows(&world);
    files.extend(write_rows(
        out_dir,
        Dataset::Deployments,
        rows,
        frac,
        |r| named.contains(&r[id].as_str()),
    )?);
    // The incident whose title exercises HTML escaping stays good.
    let title = writer::col(Dataset::Incidents, "title");
    let rows = changes::incident_rows(&world);
    files.extend(write_rows(out_dir, Dataset::Incidents, rows, frac, |r| {
        r[title].contains('<')
    })?);

    let (ccu_files, daily) = players::write_ccu(&world, out_dir, frac)?;
    files.extend(ccu_files);
    let rows = players::activity_rows(&world, &daily);
    files.extend(write_rows(out_dir, Dataset::Activity, rows, frac, |_| {
        false
    })?);
    let schedule = capacity::make_capacity(&world, &daily);
    let rows = capacity::capacity_rows(&world, &schedule);
    files.extend(write_rows(out_dir, Dataset::Capacity, rows, frac, |_| {
        false
    })?);
    // Monthly rows (credit, tax, purchase) and the correction stay good.
    let (category, class) = (
        writer::col(Dataset::Cost, "ChargeCategory"),
        writer::col(Dataset::Cost, "ChargeClass"),
    );
    let rows = cost::cost_rows(&world, &daily, &schedule);
    files.extend(write_rows(out_dir, Dataset::Cost, rows, frac, |r| {
        r[category] != "Usage" || !r[class].is_empty()
    })?);
    files.extend(slo::write_slo(&world, out_dir, frac)?);

    let order = |d: Dataset| Dataset::ALL.iter().position(|&x| x == d);
    files.sort_by(|a, b| {
        order(a.dataset)
            .cmp(&order(b.dataset))
            .then_with(|| a.path.cmp(&b.path))
    });
    for d in Dataset::ALL {
        let of = files.iter().filter(|f| f.dataset == d);
        let (rows, bad) = of.fold((0, 0), |(r, b), f| (r + f.rows, b + f.bad_rows));
        tracing::info!(dataset = %d, rows, bad_rows = bad, "generated");
    }
    let config_path = write_config(out_dir, opts, &world)?;
    Ok(GenerateSummary {
        files,
        config_path,
        slo_interval_min: world.slo_interval_min,
    })
}

/// Draws the world: regions, services, events, deployments, incidents, and the sampling plan.
fn build_world(opts: &GenerateOptions, first: NaiveDate) -> World {
    let midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
            .timestamp()
    };
    let start = midnight(first);
    let end = start + i64::from(opts.days) * model::DAY;
    let horizon_end = end + 28 * model::DAY;
    let mut rng = rng_for(opts.seed, stream::WORLD);
    let regions = make_regions(opts.regions, &mut rng);
    let services = make_services(opts.services, &mut rng);
    let ccu = CcuPlan::new(opts.days, opts.regions, opts.rows);
    // SLO rows are kept about the size of CCU or smaller: never finer than the CCU samples,
    // and 15 minutes once CCU passes 5 M rows.
    let slo_interval_min = if ccu.rows(opts.days) > 5_000_000 {
        15
    } else {
        ccu.interval_min.max(5)
    };
    let events = events::make_events(
        &mut rng_for(opts.seed, stream::EVENTS),
        start,
        end,
        horizon_end,
        &regions,
    );
    let mut world = World {
        seed: opts.seed,
        start,
        end,
        days: opts.days,
        regions,
        services,
        events,
        deployments: Vec::new(),
        incidents: Vec::new(),
        ccu,
        slo_interval_min,
    };
    world.deployments =
        changes::make_deployments(&mut rng_for(opts.seed, stream::DEPLOYMENTS), &world);
    world.incidents = changes::make_incidents(&mut rng_for(opts.seed, stream::INCIDENTS), &world);
    world
}

/// Puts bad rows into an in-memory dataset (never into rows `protected` accepts) and writes it.
fn write_rows(
    out_dir: &Path,
    dataset: Dataset,
    rows: Vec<Vec<String>>,
    bad_fraction: f64,
    protected: impl Fn(&[String]) -> bool,
) -> io::Result<Vec<GeneratedFile>> {
    let (rows, bad) = bad::apply_bad_rows(dataset, rows, bad_fraction, protected);
    let mut out = writer::PartWriter::create(out_dir, dataset)?;
    for (row, is_bad) in rows.iter().zip(bad) {
        out.write(row, is_bad)?;
    }
    out.finish()
}

/// Writes `OUT/opsbench.toml` (temporary name, then rename).
fn write_config(
    out_dir: &Path,
    opts: &GenerateOptions,
    world: &model::World,
) -> io::Result<PathBuf> {
    let slo_interval_min = world.slo_interval_min;
    let mut text = format!(
        "# written by `opsbench generate` (seed {}): a config whose `run` loads these exports\n\
         lake_dir = \"lake\"\n\
         out_dir = \"out\"\n\
         input_tz = \"UTC\"\n\
         slo_interval = \"{slo_interval_min}m\"\n\
         \n\
         [window]\n\
         days = {}\n",
        opts.seed, opts.days
    );
    // cost allocation: cloud regions to game regions, the `service` tag to services; shared
    // (global and untagged) cost is spread over regions by player-hours
    text.push_str("\n[cost]\nshare = \"player_hours\"\n\n[cost.region_map]\n");
    for r in &world.regions {
        text.push_str(&format!("\"aws/{}\" = \"{}\"\n", r.cloud_region, r.name));
    }
    text.push_str("\n[[cost.service_map]]\ntag = \"service\"\n");
    // the catalogue: each service's owner, runbook and the services it depends on
    for (k, s) in world.services.iter().enumerate() {
        text.push_str(&format!(
            "\n[services.{0}]\nowner = \"team-{0}\"\ntier = \"{1}\"\nrunbook_url = \"https://runbooks.example/{0}\"\n",
            s.name,
            if k < 2 { 1 } else { 2 }
        ));
        if k > 0 {
            text.push_str(&format!("depends_on = [\"{}\"]\n", world.services[0].name));
        }
    }
    for d in Dataset::ALL {
        text.push_str(&format!("\n[datasets.{d}]\ninputs = [\"{d}/*.csv\"]\n"));
    }
    let path = out_dir.join("opsbench.toml");
    let tmp = out_dir.join(".opsbench.toml.tmp");
    fs_err::write(&tmp, text)?;
    fs_err::rename(&tmp, &path)?;
    Ok(path)
}
