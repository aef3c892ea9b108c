//! `[cost]` in the config: the cost basis, when a day is complete, currencies, how bill rows
//! map to game regions and services, how shared cost is spread, and the anomaly thresholds.
//! Parsing and validation only; errors name the file and the key.
//!
//! ```toml
//! [cost]
//! basis = "effective"            # effective (amortised, default) | billed (cash) | list
//! complete_after_hours = 72      # a UTC day is complete this long after it ends
//! report_currency = "USD"        # needed when the bill has more than one currency
//! share = "none"                 # none | player_hours | direct_cost
//! anomaly_z = 3.5                # robust z-score that flags a day
//! anomaly_min_change = 50        # and at least this far from the baseline median (money)
//! anomaly_min_baseline_days = 7  # complete days the trailing 28 must hold to judge a day
//!
//! [cost.fx]                      # 1 unit of the key's currency = this many report_currency
//! EUR = 1.08                     # every day
//! GBP = { default = 1.27, "2026-10" = 1.25 }   # by UTC month, else default
//!
//! [cost.region_map]              # provider/RegionId (or RegionId alone) → game region
//! "aws/us-east-1" = "na-east"    # `aws:us-east-1` works too
//! "westeurope" = "eu-west"       # any provider
//!
//! [[cost.service_map]]           # tag rules first, then sub_account, then service_name
//! tag = "game-service"           # the tag's value is the service
//! [[cost.service_map]]
//! tag = "app"                    # tag key (any case) whose value matches the glob …
//! value = "mm-*"
//! service = "matchmaking"        # … gives this service
//! [[cost.service_map]]
//! sub_account = "222222222222"   # SubAccountId glob
//! service = "backend"
//! [[cost.service_map]]
//! service_name = "Amazon CloudFront"   # ServiceName glob (`*`, `?`, `[a-z]`), any case
//! service = "cdn"
//! ```
//!
//! Region map: a key `PROVIDER/REGION` (or `PROVIDER:REGION`) matches rows whose
//! `ServiceProviderName` is `PROVIDER` (any case) or, for the big clouds, its short name:
//! `aws` (a name containing "amazon" or equal to "AWS"), `azure` ("microsoft" or "azure"),
//! `gcp` ("google" or "GCP"), `oci` ("oracle" or "OCI"). A bare `REGION` key matches any
//! provider. `RegionId` matches ignoring case. A provider-qualified key beats a bare one;
//! a row with no `RegionId`, or one no key maps, goes to `global`.
//!
//! Service map: tag rules are tried first (in the order written), then `sub_account` rules,
//! then `service_name` rules; the first match wins; no match → `__unallocated__`. Tag keys
//! match ignoring case; globs match ignoring case. A tag rule without `service` takes the
//! tag's value (trimmed, as written) as the service; an empty value does not match.

use std::collections::{BTreeMap, HashMap};

use super::money::Money;
use crate::error::{Error, Result};

/// The game region of cost no region rule maps.
pub const GLOBAL: &str = "global";
/// The service of cost no service rule maps.
pub const UNALLOCATED: &str = "__unallocated__";
/// The roll-up value of a dimension.
pub const ALL: &str = "*";

/// Which FOCUS cost column the figures add up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Basis {
    /// `EffectiveCost`: amortised; commitments spread over the usage they covered.
    #[default]
    Effective,
    /// `BilledCost`: cash, as invoiced; a charge lands on the day its period starts.
    Billed,
    /// `ListCost`: the on-demand equivalent; purchases and unused-commitment rows excluded.
    List,
}

impl Basis {
    /// The value written in the config and the tables.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Effective => "effective",
            Basis::Billed => "billed",
            Basis::List => "list",
        }
    }
}

/// How cost in `global` and `__unallocated__` is spread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Share {
    /// Left where it is, shown as its own rows.
    #[default]
    None,
    /// `global` into the day's regions by their player-hours; `__unallocated__` into the
    /// region's services by their direct cost.
    PlayerHours,
    /// Both by direct cost.
    DirectCost,
}

/// A `[cost.fx]` rate into the report currency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FxRate {
    /// The rate of any day without a monthly rate.
    pub default: Option<Money>,
    /// Rates by UTC month (`(year, month)`).
    pub by_month: BTreeMap<(i32, u32), Money>,
}

impl FxRate {
    /// The rate of a day of month `(year, month)`.
    pub fn on(&self, year: i32, month: u32) -> Option<Money> {
        self.by_month.get(&(year, month)).copied().or(self.default)
    }
}

/// One `[[cost.service_map]]` rule.
#[derive(Clone, Debug)]
pub enum ServiceRule {
    /// A tag key (matched ignoring case); its value, if `value` is given, must match the
    /// glob. The service is `service`, else the tag's value.
    Tag {
        key: String,
        value: Option<glob::Pattern>,
        service: Option<String>,
    },
    /// `SubAccountId` matching the glob.
    SubAccount {
        pattern: glob::Pattern,
        service: String,
    },
    /// `ServiceName` matching the glob.
    ServiceName {
        pattern: glob::Pattern,
        service: String,
    },
}

/// The anomaly thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalySettings {
    /// A day is flagged when |robust z| reaches this (Iglewicz and Hoaglin's 3.5).
    pub z: f64,
    /// … and its cost is at least this far from the baseline median (report currency).
    pub min_change: Money,
    /// Complete days the trailing 28-day baseline must hold for a day to be judged.
    pub min_baseline_days: u32,
}

impl Default for AnomalySettings {
    fn default() -> Self {
        AnomalySettings {
            z: 3.5,
            min_change: Money::from_units(50),
            min_baseline_days: 7,
        }
    }
}

/// The resolved `[cost]` section.
#[derive(Clone, Debug)]
pub struct CostSettings {
    /// Where the settings came from (the config file), for error messages.
    pub origin: String,
    pub basis: Basis,
    /// A UTC day is complete once `as_of` is this many hours past its end.
    pub complete_after_hours: u32,
    /// The currency every figure is reported in; `None`: the bill's only currency.
    pub report_currency: Option<String>,
    /// Currency (upper case) → rate into `report_currency`.
    pub fx: BTreeMap<String, FxRate>,
    /// (provider, lower-case RegionId) → game region; provider `None` = any provider.
    pub region_map: HashMap<(Option<String>, String), String>,
    /// Service rules, in the order they are tried.
    pub service_rules: Vec<ServiceRule>,
    pub share: Share,
    pub anomaly: AnomalySettings,
}

impl Default for CostSettings {
    fn default() -> Self {
        CostSettings {
            origin: "default".into(),
            basis: Basis::Effective,
            complete_after_hours: 72,
            report_currency: None,
            fx: BTreeMap::new(),
            region_map: HashMap::new(),
            service_rules: Vec::new(),
            share: Share::None,
            anomaly: AnomalySettings::default(),
        }
    }
}

/// The short name of a big cloud provider, from its `ServiceProviderName`.
fn provider_alias(provider: &str) -> Option<&'static str> {
    let p = provider.trim().to_ascii_lowercase();
    let has = |w: &str| p.contains(w);
    if has("amazon") || p == "aws" {
        Some("aws")
    } else if has("microsoft") || has("azure") {
        Some("azure")
    } else if has("google") || p == "gcp" {
        Some("gcp")
    } else if has("oracle") || p == "oci" {
        Some("oci")
    } else {
        None
    }
}

impl CostSettings {
    /// The game region of a bill row (see the module doc).
    pub fn game_region(&self, provider: Option<&str>, region_id: Option<&str>) -> &str {
        let Some(region) = region_id.map(|r| r.trim().to_ascii_lowercase()) else {
            return GLOBAL;
        };
        if let Some(p) = provider {
            let full = p.trim().to_ascii_lowercase();
            for name in [Some(full.as_str()), provider_alias(p)]
                .into_iter()
                .flatten()
            {
                if let Some(g) = self
                    .region_map
                    .get(&(Some(name.to_string()), region.clone()))
                {
                    return g;
                }
            }
        }
        self.region_map
            .get(&(None, region))
            .map_or(GLOBAL, String::as_str)
    }

    /// The service of a bill row (see the module doc).
    pub fn service(
        &self,
        tags: &super::rows::Tags,
        sub_account: Option<&str>,
        service_name: Option<&str>,
    ) -> String {
        let opts = glob::MatchOptions {
            case_sensitive: false,
            require_literal_separator: false,
            require_literal_leading_dot: false,
        };
        for rule in &self.service_rules {
            if let ServiceRule::Tag {
                key,
                value,
                service,
            } = rule
                && let Some(v) = super::rows::tag_value(tags, key).map(str::trim)
                && !v.is_empty()
                && v != ALL
                && value.as_ref().is_none_or(|p| p.matches_with(v, opts))
            {
                return service.clone().unwrap_or_else(|| v.to_string());
            }
        }
        for rule in &self.service_rules {
            match rule {
                ServiceRule::SubAccount { pattern, service }
                    if sub_account.is_some_and(|s| pattern.matches_with(s.trim(), opts)) =>
                {
                    return service.clone();
                }
                _ => {}
            }
        }
        for rule in &self.service_rules {
            match rule {
                ServiceRule::ServiceName { pattern, service }
                    if service_name.is_some_and(|s| pattern.matches_with(s.trim(), opts)) =>
                {
                    return service.clone();
                }
                _ => {}
            }
        }
        UNALLOCATED.to_string()
    }
}

/// Parse `[cost]` (the table under the `cost` key) from the config file `origin`.
pub fn parse_cost(origin: &str, table: &toml::Table) -> Result<CostSettings> {
    let mut s = CostSettings {
        origin: origin.to_string(),
        ..CostSettings::default()
    };
    let err = |key: &str, message: String| Error::config(origin, format!("cost.{key}"), message);
    for (key, value) in table {
        match key.as_str() {
            "basis" => {
                s.basis = match value.as_str().map(str::trim) {
                    Some("effective") => Basis::Effective,
                    Some("billed") => Basis::Billed,
                    Some("list") => Basis::List,
                    _ => {
                        return Err(err(
                            key,
                            format!("expected `effective`, `billed` or `list`, found `{value}`"),
                        ));
                    }
                }
            }
            "share" => {
                s.share = match value.as_str().map(str::trim) {
                    Some("none") => Share::None,
                    Some("player_hours") => Share::PlayerHours,
                    Some("direct_cost") => Share::DirectCost,
                    _ => {
                        return Err(err(
                            key,
                            format!(
                                "expected `none`, `player_hours` or `direct_cost`, found `{value}`"
                            ),
                        ));
                    }
                }
            }
            "complete_after_hours" => {
                s.complete_after_hours = value
                    .as_integer()
                    .and_then(|h| u32::try_from(h).ok())
                    .filter(|h| *h <= 24 * 366)
                    .ok_or_else(|| {
                        err(
                            key,
                            format!(
                                "expected a whole number of hours from 0 to 8784, found `{value}`"
                            ),
                        )
                    })?;
            }
            "report_currency" => {
                let c = value
                    .as_str()
                    .map(|c| c.trim().to_ascii_uppercase())
                    .filter(|c| !c.is_empty());
                s.report_currency = Some(c.ok_or_else(|| {
                    err(
                        key,
                        format!("expected a currency code such as `\"USD\"`, found `{value}`"),
                    )
                })?);
            }
            "anomaly_z" => {
                s.anomaly.z = value
                    .as_float()
                    .or_else(|| value.as_integer().map(|i| i as f64))
                    .filter(|z| z.is_finite() && *z > 0.0)
                    .ok_or_else(|| {
                        err(key, format!("expected a number above 0, found `{value}`"))
                    })?;
            }
            "anomaly_min_change" => {
                s.anomaly.min_change = decimal(value)
                    .filter(|m| !m.is_negative())
                    .ok_or_else(|| {
                        err(key, format!("expected an amount of money of at least 0 such as `50` or `\"50.00\"`, found `{value}`"))
                    })?;
            }
            "anomaly_min_baseline_days" => {
                s.anomaly.min_baseline_days = value
                    .as_integer()
                    .filter(|d| (1..=28).contains(d))
                    .ok_or_else(|| {
                        err(
                            key,
                            format!(
                                "expected a whole number of days from 1 to 28, found `{value}`"
                            ),
                        )
                    })? as u32;
            }
            "fx" => s.fx = parse_fx(origin, value)?,
            "region_map" => s.region_map = parse_region_map(origin, value)?,
            "service_map" => s.service_rules = parse_service_map(origin, value)?,
            _ => {
                return Err(err(
                    key,
                    "unknown key; expected `basis`, `complete_after_hours`, `report_currency`, `share`, `anomaly_z`, `anomaly_min_change`, `anomaly_min_baseline_days`, `fx`, `region_map` or `service_map`".into(),
                ));
            }
        }
    }
    if !s.fx.is_empty() && s.report_currency.is_none() {
        return Err(err(
            "fx",
            "rates need a currency to convert into; hint: set `report_currency` in `[cost]`".into(),
        ));
    }
    Ok(s)
}

/// A decimal from a TOML number or string, exactly (a float goes through its shortest text).
fn decimal(v: &toml::Value) -> Option<Money> {
    match v {
        toml::Value::Integer(i) => Some(Money::from_units(*i)),
        toml::Value::Float(f) if f.is_finite() => Money::parse(&format!("{f}")),
        toml::Value::String(s) => Money::parse(s),
        _ => None,
    }
}

fn parse_fx(origin: &str, value: &toml::Value) -> Result<BTreeMap<String, FxRate>> {
    let table = value
        .as_table()
        .ok_or_else(|| Error::config(origin, "cost.fx", "expected a table of currency = rate"))?;
    let mut out = BTreeMap::new();
    for (currency, v) in table {
        let key = format!("cost.fx.{currency}");
        let code = currency.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(Error::config(
                origin,
                key,
                "expected a currency code as the key",
            ));
        }
        let rate = |v: &toml::Value, key: &str| -> Result<Money> {
            decimal(v).filter(|r| r.is_positive()).ok_or_else(|| {
                Error::config(
                    origin,
                    key,
                    format!("expected a rate above 0 such as `1.08` or `\"1.0825\"`, found `{v}`"),
                )
            })
        };
        let mut fx = FxRate::default();
        match v {
            toml::Value::Table(t) => {
                for (k, r) in t {
                    let key = format!("{key}.{k}");
                    if k == "default" {
                        fx.default = Some(rate(r, &key)?);
                        continue;
                    }
                    let month = k
                        .split_once('-')
                        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
                        .filter(|(y, m)| {
                            (1000..=9999).contains(y) && (1..=12).contains(m) && k.len() == 7
                        })
                        .ok_or_else(|| {
                            Error::config(
                                origin,
                                &key,
                                "expected `default` or a month such as `\"2026-10\"` as the key",
                            )
                        })?;
                    fx.by_month.insert(month, rate(r, &key)?);
                }
            }
            other => fx.default = Some(rate(other, &key)?),
        }
        out.insert(code, fx);
    }
    Ok(out)
}

fn game_name(origin: &str, key: &str, v: &toml::Value, what: &str) -> Result<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != ALL)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::config(
                origin,
                key,
                format!("expected the name of a {what} (not empty, not `*`), found `{v}`"),
            )
        })
}

fn parse_region_map(
    origin: &str,
    value: &toml::Value,
) -> Result<HashMap<(Option<String>, String), String>> {
    let table = value.as_table().ok_or_else(|| {
        Error::config(
            origin,
            "cost.region_map",
            "expected a table of \"provider/RegionId\" = \"game region\"",
        )
    })?;
    let mut out = HashMap::new();
    for (k, v) in table {
        let key = format!("cost.region_map.{k}");
        let region = game_name(origin, &key, v, "game region")?;
        let (provider, id) = match k.split_once(['/', ':']) {
            Some((p, r)) => (Some(p.trim().to_ascii_lowercase()), r),
            None => (None, k.as_str()),
        };
        let id = id.trim().to_ascii_lowercase();
        if id.is_empty() || provider.as_deref() == Some("") {
            return Err(Error::config(
                origin,
                key,
                "expected a key `RegionId` or `provider/RegionId`, such as `\"aws/us-east-1\"`",
            ));
        }
        out.insert((provider, id), region);
    }
    Ok(out)
}

fn parse_service_map(origin: &str, value: &toml::Value) -> Result<Vec<ServiceRule>> {
    let items = value.as_array().ok_or_else(|| {
        Error::config(
            origin,
            "cost.service_map",
            "expected an array of rules; hint: write each rule as `[[cost.service_map]]` with `tag`, `sub_account` or `service_name`",
        )
    })?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("cost.service_map[{i}]");
        let t = item
            .as_table()
            .ok_or_else(|| Error::config(origin, &prefix, "expected a table (a rule)"))?;
        let text = |k: &str| -> Result<Option<String>> {
            t.get(k)
                .map(|v| {
                    v.as_str()
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| {
                            Error::config(
                                origin,
                                format!("{prefix}.{k}"),
                                format!("expected a non-empty string, found `{v}`"),
                            )
                        })
                })
                .transpose()
        };
        let pattern = |k: &str, p: &str| {
            glob::Pattern::new(p).map_err(|e| {
                Error::config(
                    origin,
                    format!("{prefix}.{k}"),
                    format!("not a valid pattern `{p}`: {}", e.msg),
                )
            })
        };
        for k in t.keys() {
            if !["tag", "value", "sub_account", "service_name", "service"].contains(&k.as_str()) {
                return Err(Error::config(
                    origin,
                    format!("{prefix}.{k}"),
                    "unknown key; expected `tag`, `value`, `sub_account`, `service_name` or `service`",
                ));
            }
        }
        let service = t
            .get("service")
            .map(|v| game_name(origin, &format!("{prefix}.service"), v, "service"))
            .transpose()?;
        let (tag, sub, name) = (text("tag")?, text("sub_account")?, text("service_name")?);
        let kinds = [tag.is_some(), sub.is_some(), name.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err(Error::config(
                origin,
                &prefix,
                "a rule needs exactly one of `tag`, `sub_account` or `service_name`",
            ));
        }
        if t.contains_key("value") && tag.is_none() {
            return Err(Error::config(
                origin,
                format!("{prefix}.value"),
                "`value` only goes with `tag`",
            ));
        }
        let need_service = || {
            service.clone().ok_or_else(|| {
                Error::config(
                    origin,
                    format!("{prefix}.service"),
                    "missing: a `sub_account` or `service_name` rule names its `service`",
                )
            })
        };
        let rule = if let Some(key) = tag {
            let value = text("value")?.map(|v| pattern("value", &v)).transpose()?;
            ServiceRule::Tag {
                key,
                value,
                service,
            }
        } else if let Some(p) = sub {
            ServiceRule::SubAccount {
                pattern: pattern("sub_account", &p)?,
                service: need_service()?,
            }
        } else {
            let p = name.unwrap_or_default();
            ServiceRule::ServiceName {
                pattern: pattern("service_name", &p)?,
                service: need_service()?,
            }
        };
        out.push(rule);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
