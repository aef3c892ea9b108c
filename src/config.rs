//! Settings: defaults < `opsbench.toml` < `OPSBENCH_*` environment < command-line flags.
//!
//! [`Settings::resolve`] takes the parsed flags, the file's text and the environment as
//! values (the caller reads them), so every precedence rule is testable without touching the
//! process. Each resolved key remembers where it came from (`opsbench config --show-origin`).
//! A config error names the file (or variable, or flag), the key, and what was expected.
//! Relative paths in the file are relative to the file's folder. Unknown keys are errors,
//! so a typo never passes in silence.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::cli::GlobalArgs;
use crate::error::{Error, Result};
use crate::knobs::Knobs;

#[path = "config_describe.rs"]
mod describe;
#[path = "config_sections.rs"]
mod sections;
#[path = "config_values.rs"]
mod values;
use crate::schema::Dataset;
pub use values::{
    key_lines, local_midnight, parse_date, parse_hours, parse_instant, parse_minutes, parse_tz,
};

/// How many rejected rows a dataset may have in one run before the run exits 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// At most this many rows.
    Count(u64),
    /// At most this share of the rows read, in percent.
    Percent(f64),
}

impl Threshold {
    /// Parse `N` or `N%`.
    pub fn parse(s: &str) -> Option<Threshold> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            let v: f64 = p.trim().parse().ok()?;
            (v.is_finite() && (0.0..=100.0).contains(&v)).then_some(Threshold::Percent(v))
        } else {
            s.parse().ok().map(Threshold::Count)
        }
    }

    /// Whether `rejected` of `read` rows is beyond the threshold.
    pub fn exceeded(self, rejected: u64, read: u64) -> bool {
        match self {
            Threshold::Count(n) => rejected > n,
            Threshold::Percent(p) => read > 0 && (rejected as f64) * 100.0 > p * read as f64,
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::Count(n) => write!(f, "{n}"),
            Threshold::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// One dataset's inputs and column mapping.
#[derive(Clone, Debug, Default)]
pub struct DatasetSettings {
    /// Globs of export files, resolved against the config file's folder.
    pub inputs: Vec<String>,
    /// Export column name → canonical column name.
    pub columns: BTreeMap<String, String>,
    /// Overrides the global `max_rejected` for this dataset.
    pub max_rejected: Option<Threshold>,
}

/// The resolved settings of one command.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The config file read, if any.
    pub config_path: Option<PathBuf>,
    pub lake_dir: PathBuf,
    pub out_dir: PathBuf,
    pub input_tz: Tz,
    pub report_tz: Tz,
    /// Start of the report window, when fixed (else `to - window_days`).
    pub from: Option<NaiveDate>,
    /// End of the report window (exclusive), when fixed (else `as_of`).
    pub to: Option<NaiveDate>,
    pub window_days: u32,
    /// The instant figures are computed at; `None` = now.
    pub as_of: Option<DateTime<Utc>>,
    pub max_rejected: Option<Threshold>,
    /// Length of the interval one `slo` row covers, in minutes.
    pub slo_interval_min: u32,
    /// Globs of OpenSLO files (`slo_files`) as written, relative to the config file's folder;
    /// read by [`crate::catalog::Catalog::from_settings`].
    pub slo_files: Vec<String>,
    pub datasets: BTreeMap<Dataset, DatasetSettings>,
    /// The metric profile chosen (`profile`, `--profile`): the knobs' starting values.
    pub profile: String,
    /// The metric knobs (`[metrics]`).
    pub knobs: Knobs,
    /// Days each dataset keeps before `as_of` (`[retention]`; absent = forever).
    pub retention: BTreeMap<Dataset, u32>,
    /// Hours of lag each dataset may have before it is stale (`[freshness]`; absent = the
    /// dataset's default, see `metrics::freshness`).
    pub freshness: BTreeMap<Dataset, u32>,
    /// Incident `cause` words → opsbench's causes (`[cause_map]`).
    pub cause_map: BTreeMap<String, String>,
    /// The deploy gate's policy (`[gate]`).
    pub gate: crate::gate::GatePolicy,
    /// The forecast's horizon and backtest (`[forecast]`, `--horizon-days`).
    pub forecast: crate::forecast::ForecastConfig,
    /// The capacity plan's knobs (`[forecast]`).
    pub plan: crate::forecast::PlanKnobs,
    /// Cost per player: basis, currency, fx, region and service maps, sharing (`[cost]`).
    pub cost: crate::metrics::cost::CostSettings,
    /// The service catalogue (`[services.NAME]`).
    pub services: BTreeMap<String, crate::catalog::ServiceSettings>,
    /// The line of each key in the config file (for `config --show-origin`).
    pub config_lines: BTreeMap<String, usize>,
    /// Where each key's value came from: `default`, `FILE`, `env OPSBENCH_…`, `flag --…`.
    pub origins: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        let mut origins = BTreeMap::new();
        for k in KEYS {
            origins.insert(k.to_string(), "default".to_string());
        }
        Settings {
            config_path: None,
            lake_dir: PathBuf::from("lake"),
            out_dir: PathBuf::from("out"),
            input_tz: Tz::UTC,
            report_tz: Tz::UTC,
            from: None,
            to: None,
            window_days: 90,
            as_of: None,
            max_rejected: None,
            slo_interval_min: 1,
            slo_files: Vec::new(),
            datasets: BTreeMap::new(),
            profile: "default".to_string(),
            knobs: Knobs::default(),
            services: BTreeMap::new(),
            retention: BTreeMap::new(),
            freshness: BTreeMap::new(),
            cause_map: BTreeMap::new(),
            config_lines: BTreeMap::new(),
            gate: crate::gate::GatePolicy::default(),
            forecast: crate::forecast::ForecastConfig::default(),
            plan: crate::forecast::PlanKnobs::default(),
            cost: crate::metrics::cost::CostSettings::default(),
            origins,
        }
    }
}

/// The top-level keys, in the order `opsbench config` prints them.
pub const KEYS: [&str; 11] = [
    "lake_dir",
    "out_dir",
    "input_tz",
    "report_tz",
    "window.from",
    "window.to",
    "window.days",
    "as_of",
    "max_rejected",
    "slo_interval",
    "profile",
];

/// Environment variables read, by key.
const ENV: [(&str, &str); 10] = [
    ("lake_dir", "OPSBENCH_LAKE_DIR"),
    ("out_dir", "OPSBENCH_OUT_DIR"),
    ("input_tz", "OPSBENCH_INPUT_TZ"),
    ("report_tz", "OPSBENCH_REPORT_TZ"),
    ("window.from", "OPSBENCH_FROM"),
    ("window.to", "OPSBENCH_TO"),
    ("window.days", "OPSBENCH_WINDOW_DAYS"),
    ("as_of", "OPSBENCH_AS_OF"),
    ("max_rejected", "OPSBENCH_MAX_REJECTED"),
    ("slo_interval", "OPSBENCH_SLO_INTERVAL"),
];

impl Settings {
    /// Resolve the settings from a config file's text (with its path), the environment
    /// (as name → value pairs) and the flags. `file` is `None` when no config is used.
    pub fn resolve(
        file: Option<(&Path, &str)>,
        env: &BTreeMap<String, String>,
        flags: &GlobalArgs,
        max_rejected_flag: Option<&str>,
    ) -> Result<Settings> {
        let mut s = Settings::default();
        s.choose_profile(file, env, flags)?;
        if let Some((path, text)) = file {
            s.apply_file(path, text)?;
        }
        for (key, var) in crate::knobs::KEYS {
            if let Some(v) = env.get(var) {
                s.set(&format!("metrics.{key}"), v, &format!("env {var}"))?;
            }
        }
        for (key, var) in ENV {
            if let Some(v) = env.get(var) {
                s.set(key, v, &format!("env {var}"))?;
            }
        }
        let flag_values: [(&str, Option<String>, &str); 6] = [
            (
                "lake_dir",
                flags.lake.as_ref().map(|p| p.display().to_string()),
                "--lake",
            ),
            (
                "out_dir",
                flags.out.as_ref().map(|p| p.display().to_string()),
                "--out",
            ),
            ("window.from", flags.from.clone(), "--from"),
            ("window.to", flags.to.clone(), "--to"),
            ("as_of", flags.as_of.clone(), "--as-of"),
            (
                "max_rejected",
                max_rejected_flag.map(str::to_string),
                "--max-rejected",
            ),
        ];
        for (key, value, flag) in flag_values {
            if let Some(v) = value {
                s.set(key, &v, &format!("flag {flag}"))?;
            }
        }
        if let Some(n) = flags.horizon_days {
            if !(1..=366).contains(&n) {
                return Err(Error::Usage(format!(
                    "`--horizon-days {n}` is out of range; expected 1 to 366"
                )));
            }
            s.forecast.horizon_days = n;
            s.origins
                .insert("forecast.horizon_days".into(), "flag --horizon-days".into());
        }
        if let (Some(from), Some(to)) = (s.from, s.to)
            && from >= to
        {
            return Err(Error::config(
                s.origins["window.to"].clone(),
                "window.to",
                format!("the window's end `{to}` must be after its start `{from}`"),
            ));
        }
        Ok(s)
    }

    /// Pick the profile (flag > `OPSBENCH_PROFILE` > the file's `profile`) and start the
    /// knobs from it, before any other key is applied.
    fn choose_profile(
        &mut self,
        file: Option<(&Path, &str)>,
        env: &BTreeMap<String, String>,
        flags: &GlobalArgs,
    ) -> Result<()> {
        let from_file = file.and_then(|(path, text)| {
            let table: toml::Table = text.parse().ok()?;
            table
                .get("profile")
                .and_then(|v| v.as_str())
                .map(|p| (p.to_string(), path.display().to_string()))
        });
        let chosen = flags
            .profile
            .clone()
            .map(|p| (p, "flag --profile".to_string()))
            .or_else(|| {
                env.get("OPSBENCH_PROFILE")
                    .map(|p| (p.clone(), "env OPSBENCH_PROFILE".to_string()))
            })
            .or(from_file);
        if let Some((name, origin)) = chosen {
            self.knobs = Knobs::profile(&name).ok_or_else(|| {
                Error::config(
                    &origin,
                    "profile",
                    format!(
                        "unknown profile `{name}`; expected one of {}",
                        crate::knobs::PROFILES.map(|p| format!("`{p}`")).join(", ")
                    ),
                )
            })?;
            if self.knobs.devlake {
                self.report_tz = Tz::UTC;
                self.origins
                    .insert("report_tz".into(), format!("profile devlake ({origin})"));
            }
            self.profile = name.trim().to_ascii_lowercase();
            self.origins.insert("profile".into(), origin.clone());
            for (k, _) in self.knobs.describe() {
                self.origins
                    .insert(k, format!("profile {} ({origin})", self.profile));
            }
        }
        Ok(())
    }

    /// Set one top-level key from text, recording its origin.
    fn set(&mut self, key: &str, value: &str, origin: &str) -> Result<()> {
        let bad = |expected: &str| {
            Error::config(origin, key, format!("expected {expected}, found `{value}`"))
        };
        match key {
            "lake_dir" => self.lake_dir = PathBuf::from(value),
            "out_dir" => self.out_dir = PathBuf::from(value),
            "input_tz" => {
                self.input_tz = parse_tz(value)
                    .ok_or_else(|| bad("an IANA time zone such as `Europe/Berlin` or `UTC`"))?
            }
            "report_tz" => {
                self.report_tz = parse_tz(value)
                    .ok_or_else(|| bad("an IANA time zone such as `Europe/Berlin` or `UTC`"))?
            }
            "window.from" => {
                self.from = Some(parse_date(value).ok_or_else(|| bad("a date `YYYY-MM-DD`"))?)
            }
            "window.to" => {
                self.to = Some(parse_date(value).ok_or_else(|| bad("a date `YYYY-MM-DD`"))?)
            }
            "window.days" => {
                self.window_days = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|d| *d > 0)
                    .ok_or_else(|| bad("a whole number of days above 0"))?
            }
            "as_of" => {
                self.as_of = Some(parse_instant(value).ok_or_else(|| {
                    bad("an RFC 3339 timestamp such as `2026-10-01T00:00:00Z` or a date")
                })?)
            }
            "max_rejected" => {
                self.max_rejected = Some(
                    Threshold::parse(value).ok_or_else(|| bad("a count `N` or a share `N%`"))?,
                )
            }
            "slo_interval" => {
                self.slo_interval_min = parse_minutes(value)
                    .ok_or_else(|| bad("a duration in whole minutes such as `1m`, `5m` or `1h`"))?
            }
            "profile" => {
                // applied first, by choose_profile
                return Ok(());
            }
            k if k.starts_with("metrics.") => {
                let knob = &k["metrics.".len()..];
                self.knobs.set(knob, value).map_err(bad)?
            }
            _ => return Err(Error::config(origin, key, "unknown key")),
        }
        self.origins.insert(key.to_string(), origin.to_string());
        Ok(())
    }

    fn apply_file(&mut self, path: &Path, text: &str) -> Result<()> {
        let origin = path.display().to_string();
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            Error::config(
                &origin,
                "",
                format!("not valid TOML: {}", e.to_string().trim()),
            )
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        self.config_path = Some(path.to_path_buf());
        self.config_lines = key_lines(text);
        for (key, value) in &table {
            if self.apply_section(&origin, key, value)? {
                continue;
            }
            match key.as_str() {
                "lake_dir" | "out_dir" => {
                    let v = as_str(&origin, key, value)?;
                    self.set(key, &base.join(v).display().to_string(), &origin)?;
                }
                "input_tz" | "report_tz" | "max_rejected" | "slo_interval" | "as_of"
                | "profile" => {
                    let v = scalar_text(&origin, key, value)?;
                    self.set(key, &v, &origin)?;
                }
                "window" => {
                    let t = as_table(&origin, key, value)?;
                    for (k, v) in t {
                        let full = format!("window.{k}");
                        if !["from", "to", "days"].contains(&k.as_str()) {
                            return Err(Error::config(
                                &origin,
                                full,
                                "unknown key; expected `from`, `to` or `days`",
                            ));
                        }
                        let text = scalar_text(&origin, &full, v)?;
                        self.set(&full, &text, &origin)?;
                    }
                }
                "metrics" => {
                    let t = as_table(&origin, key, value)?;
                    for (k, v) in t {
                        let full = format!("metrics.{k}");
                        if !crate::knobs::KEYS.iter().any(|(key, _)| key == k) {
                            let known: Vec<String> = crate::knobs::KEYS
                                .iter()
                                .map(|(key, _)| format!("`{key}`"))
                                .collect();
                            return Err(Error::config(
                                &origin,
                                full,
                                format!("unknown key; expected one of {}", known.join(", ")),
                            ));
                        }
                        let text = match v {
                            toml::Value::Array(items) => items
                                .iter()
                                .map(|i| scalar_text(&origin, &full, i))
                                .collect::<Result<Vec<_>>>()?
                                .join(","),
                            other => scalar_text(&origin, &full, other)?,
                        };
                        self.set(&full, &text, &origin)?;
                    }
                }
                "services" => {
                    let t = as_table(&origin, key, value)?;
                    self.services = crate::catalog::parse_services(&origin, t)?;
                }
                "slo_files" => {
                    let items = value.as_array().ok_or_else(|| {
                        Error::config(
                            &origin,
                            key,
                            "expected an array of globs such as [\"slos/*.yaml\"]",
                        )
                    })?;
                    self.slo_files = items
                        .iter()
                        .map(|i| as_str(&origin, key, i).map(str::to_string))
                        .collect::<Result<_>>()?;
                    self.origins.insert(key.clone(), origin.clone());
                }
                "datasets" => {
                    let t = as_table(&origin, key, value)?;
                    for (name, v) in t {
                        let dataset = dataset_named(&origin, &format!("datasets.{name}"), name)?;
                        let ds = parse_dataset(&origin, &base, dataset, v)?;
                        self.datasets.insert(dataset, ds);
                    }
                }
                other => {
                    return Err(Error::config(
                        &origin,
                        other,
                        format!(
                            "unknown key; expected one of {}, `window`, `metrics`, `services`, `retention`, `freshness`, `cause_map`, `gate`, `forecast`, `cost`, `slo_files`, `datasets`",
                            KEYS.iter()
                                .filter(|k| !k.contains('.'))
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The as-of instant: the configured one, else `now`.
    pub fn as_of_or(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.as_of.unwrap_or(now)
    }

    /// The report window `[from, to)` as instants, given `as_of`.
    pub fn window(&self, as_of: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |d: NaiveDate| crate::config::local_midnight(d, self.report_tz);
        let to = self.to.map(midnight).unwrap_or(as_of);
        let from = self
            .from
            .map(midnight)
            .unwrap_or_else(|| to - chrono::Duration::days(i64::from(self.window_days)));
        (from, to)
    }

    /// The rejection threshold for a dataset.
    pub fn max_rejected_for(&self, dataset: Dataset) -> Option<Threshold> {
        self.datasets
            .get(&dataset)
            .and_then(|d| d.max_rejected)
            .or(self.max_rejected)
    }
}

fn parse_dataset(
    origin: &str,
    base: &Path,
    dataset: Dataset,
    value: &toml::Value,
) -> Result<DatasetSettings> {
    let prefix = format!("datasets.{dataset}");
    let t = as_table(origin, &prefix, value)?;
    let mut ds = DatasetSettings::default();
    for (k, v) in t {
        let key = format!("{prefix}.{k}");
        match k.as_str() {
            "inputs" => {
                let arr = v.as_array().ok_or_else(|| {
                    Error::config(
                        origin,
                        &key,
                        "expected an array of file globs such as [\"exports/ccu/*.csv\"]",
                    )
                })?;
                for item in arr {
                    let s = item.as_str().ok_or_else(|| {
                        Error::config(origin, &key, "expected strings (file globs)")
                    })?;
                    let p = Path::new(s);
                    let full = if p.is_absolute() {
                        p.to_path_buf()
                    } else {
                        base.join(p)
                    };
                    ds.inputs.push(full.display().to_string());
                }
            }
            "columns" => {
                let m = as_table(origin, &key, v)?;
                for (from, to) in m {
                    let to = to.as_str().ok_or_else(|| {
                        Error::config(
                            origin,
                            format!("{key}.{from}"),
                            "expected the canonical column name as a string",
                        )
                    })?;
                    if dataset.spec().column(to).is_none() {
                        return Err(Error::config(
                            origin,
                            format!("{key}.{from}"),
                            format!(
                                "`{to}` is not a column of {dataset}; expected one of {}",
                                dataset
                                    .spec()
                                    .columns
                                    .iter()
                                    .map(|c| format!("`{}`", c.name))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                    ds.columns.insert(from.clone(), to.to_string());
                }
            }
            "max_rejected" => {
                let text = scalar_text(origin, &key, v)?;
                ds.max_rejected = Some(Threshold::parse(&text).ok_or_else(|| {
                    Error::config(
                        origin,
                        &key,
                        format!("expected a count `N` or a share `N%`, found `{text}`"),
                    )
                })?);
            }
            _ => {
                return Err(Error::config(
                    origin,
                    key,
                    "unknown key; expected `inputs`, `columns` or `max_rejected`",
                ));
            }
        }
    }
    Ok(ds)
}

fn dataset_list() -> String {
    Dataset::ALL
        .iter()
        .map(|d| format!("`{d}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The dataset a config key names (`key` is the whole key, for the error).
fn dataset_named(origin: &str, key: &str, name: &str) -> Result<Dataset> {
    Dataset::from_name(name).ok_or_else(|| {
        Error::config(
            origin,
            key,
            format!("unknown dataset; expected one of {}", dataset_list()),
        )
    })
}

fn as_str<'a>(origin: &str, key: &str, v: &'a toml::Value) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| Error::config(origin, key, format!("expected a string, found `{v}`")))
}

fn as_table<'a>(origin: &str, key: &str, v: &'a toml::Value) -> Result<&'a toml::Table> {
    v.as_table()
        .ok_or_else(|| Error::config(origin, key, "expected a table"))
}

/// A scalar TOML value as text (strings unquoted; integers, floats, dates as written).
fn scalar_text(origin: &str, key: &str, v: &toml::Value) -> Result<String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(Error::config(
            origin,
            key,
            format!("expected a single value, found `{v}`"),
        )),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
