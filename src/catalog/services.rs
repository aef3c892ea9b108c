//! `[services.NAME]` of the config: parsing and validation of one service's settings (see the
//! catalogue's module doc for the keys). Errors name the config file and the key; a
//! `runbook_url` that is not `http(s)` is refused here, at load. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};

/// The keys of `[services.NAME]`.
pub const SERVICE_KEYS: [&str; 10] = [
    "owner",
    "tier",
    "regions",
    "slo_availability_target",
    "slo_latency_ms",
    "slo_latency_target",
    "slo_window_days",
    "runbook_url",
    "escalation",
    "depends_on",
];

/// Who is paged for a service, and where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Escalation {
    /// The on-call rotation, e.g. `mm-primary`.
    pub rotation: Option<String>,
    /// The channel, e.g. `#mm-oncall`.
    pub channel: Option<String>,
}

impl std::fmt::Display for Escalation {
    /// `rotation (channel)`, or whichever is set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.rotation, &self.channel) {
            (Some(r), Some(c)) => write!(f, "{r} ({c})"),
            (Some(x), None) | (None, Some(x)) => f.write_str(x),
            (None, None) => Ok(()),
        }
    }
}

/// One service's settings from `[services.NAME]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSettings {
    /// Availability target in (0, 1); default 0.999.
    pub slo_availability_target: f64,
    /// p99 latency threshold in ms; `None` = no latency SLO.
    pub slo_latency_ms: Option<f64>,
    /// Length of the rolling SLO window; default 28 days.
    pub slo_window_days: u32,
    /// Share of rows whose p99 must be within `slo_latency_ms`; default 0.99.
    pub slo_latency_target: f64,
    /// The owning team.
    pub owner: Option<String>,
    /// The tier, as written (`"1"`, `"critical"`).
    pub tier: Option<String>,
    /// Regions the service runs in.
    pub regions: Vec<String>,
    /// An `http(s)` URL (checked at load).
    pub runbook_url: Option<String>,
    pub escalation: Option<Escalation>,
    /// Services it depends on (in the order written, without repeats).
    pub depends_on: Vec<String>,
    /// The keys the config wrote (the others are defaults).
    pub keys_set: BTreeSet<String>,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            slo_availability_target: 0.999,
            slo_latency_ms: None,
            slo_window_days: 28,
            slo_latency_target: 0.99,
            owner: None,
            tier: None,
            regions: Vec::new(),
            runbook_url: None,
            escalation: None,
            depends_on: Vec::new(),
            keys_set: BTreeSet::new(),
        }
    }
}

impl ServiceSettings {
    /// Whether the config wrote `key`.
    pub fn is_set(&self, key: &str) -> bool {
        self.keys_set.contains(key)
    }

    /// The settings as `services.NAME.KEY → value` text, for `opsbench config`: the SLO keys
    /// always (they have defaults), the others when set.
    pub fn describe(&self, name: &str) -> Vec<(String, String)> {
        let key = |k: &str| format!("services.{name}.{k}");
        let mut out = vec![(
            key("slo_availability_target"),
            self.slo_availability_target.to_string(),
        )];
        if let Some(ms) = self.slo_latency_ms {
            out.push((key("slo_latency_ms"), ms.to_string()));
            out.push((
                key("slo_latency_target"),
                self.slo_latency_target.to_string(),
            ));
        }
        out.push((key("slo_window_days"), self.slo_window_days.to_string()));
        let optional = [
            ("owner", self.owner.clone()),
            ("tier", self.tier.clone()),
            ("regions", join_nonempty(&self.regions)),
            ("runbook_url", self.runbook_url.clone()),
            (
                "escalation",
                self.escalation.as_ref().map(|e| e.to_string()),
            ),
            ("depends_on", join_nonempty(&self.depends_on)),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                out.push((key(k), v));
            }
        }
        out
    }
}

fn join_nonempty(items: &[String]) -> Option<String> {
    (!items.is_empty()).then(|| items.join(", "))
}

/// A target as a share: `0.999`, `99.9%` or `"99.9 %"`.
pub fn parse_target(v: &toml::Value) -> Option<f64> {
    let t = match v {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i) => *i as f64,
        toml::Value::String(s) => {
            let s = s.trim();
            match s.strip_suffix('%') {
                Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
                None => s.parse().ok()?,
            }
        }
        _ => return None,
    };
    (t > 0.0 && t < 1.0).then_some(t)
}

/// Parse `[services]` (a table of service name → table).
pub fn parse_services(
    origin: &str,
    table: &toml::Table,
) -> Result<BTreeMap<String, ServiceSettings>> {
    let mut out = BTreeMap::new();
    for (name, value) in table {
        let prefix = format!("services.{name}");
        if name.trim().is_empty() || name.contains(';') {
            return Err(Error::config(
                origin,
                &prefix,
                "a service name must not be empty or hold `;`",
            ));
        }
        let t = value.as_table().ok_or_else(|| {
            Error::config(
                origin,
                &prefix,
                "expected a table of the service's settings",
            )
        })?;
        let mut svc = ServiceSettings::default();
        for (k, v) in t {
            let key = format!("{prefix}.{k}");
            parse_service_key(origin, name, &key, k, v, &mut svc)?;
            svc.keys_set.insert(k.clone());
        }
        if svc.is_set("slo_latency_target") && svc.slo_latency_ms.is_none() {
            return Err(Error::config(
                origin,
                format!("{prefix}.slo_latency_target"),
                "a latency target needs a threshold; hint: add `slo_latency_ms`",
            ));
        }
        out.insert(name.clone(), svc);
    }
    Ok(out)
}

fn parse_service_key(
    origin: &str,
    service: &str,
    key: &str,
    k: &str,
    v: &toml::Value,
    svc: &mut ServiceSettings,
) -> Result<()> {
    let bad =
        |expected: String| Error::config(origin, key, format!("expected {expected}, found `{v}`"));
    match k {
        "slo_availability_target" => {
            svc.slo_availability_target = parse_target(v).ok_or_else(|| {
                bad("a share strictly between 0 and 1 such as `0.999` or `\"99.9%\"`".into())
            })?;
        }
        "slo_latency_ms" => {
            let ms = v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .filter(|m| m.is_finite() && *m > 0.0);
            svc.slo_latency_ms =
                Some(ms.ok_or_else(|| bad("a positive number of milliseconds".into()))?);
        }
        "slo_latency_target" => {
            svc.slo_latency_target = parse_target(v).ok_or_else(|| {
                bad("a share strictly between 0 and 1 such as `0.99` or `\"99%\"`".into())
            })?;
        }
        "slo_window_days" => {
            let d = v.as_integer().filter(|d| (1..=366).contains(d));
            svc.slo_window_days = d
                .and_then(|d| u32::try_from(d).ok())
                .ok_or_else(|| bad("a whole number of days from 1 to 366".into()))?;
        }
        "owner" => svc.owner = Some(text(v).ok_or_else(|| bad("the owning team's name".into()))?),
        "tier" => {
            let tier = match v {
                toml::Value::Integer(i) => Some(i.to_string()),
                other => text(other),
            };
            svc.tier =
                Some(tier.ok_or_else(|| bad("a tier such as `\"1\"` or `\"critical\"`".into()))?);
        }
        "regions" => svc.regions = names(v).ok_or_else(|| bad(NAMES.into()))?,
        "depends_on" => {
            let deps = names(v).ok_or_else(|| bad(NAMES.into()))?;
            if deps.iter().any(|d| d == service) {
                return Err(Error::config(
                    origin,
                    key,
                    format!("`{service}` cannot depend on itself"),
                ));
            }
            svc.depends_on = deps;
        }
        "runbook_url" => {
            let url = v.as_str().ok_or_else(|| bad("an `https://` URL".into()))?;
            if crate::report::html::safe_href(url).is_none() {
                return Err(Error::config(
                    origin,
                    key,
                    format!(
                        "expected an `http://` or `https://` URL, found `{}`; the report links it, so no other scheme is allowed",
                        url.escape_default()
                    ),
                ));
            }
            svc.runbook_url = Some(url.to_string());
        }
        "escalation" => svc.escalation = Some(parse_escalation(origin, key, v)?),
        _ => {
            let known: Vec<String> = SERVICE_KEYS.iter().map(|k| format!("`{k}`")).collect();
            return Err(Error::config(
                origin,
                key,
                format!("unknown key; expected one of {}", known.join(", ")),
            ));
        }
    }
    Ok(())
}

const NAMES: &str = "an array of names such as `[\"eu-west\", \"us-east\"]` (not empty, no `;`)";

/// A non-empty single-line string.
fn text(v: &toml::Value) -> Option<String> {
    let s = v.as_str()?.trim();
    (!s.is_empty() && !s.chars().any(char::is_control)).then(|| s.to_string())
}

/// An array of names (non-empty, no `;`), repeats dropped.
fn names(v: &toml::Value) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for item in v.as_array()? {
        let s = text(item).filter(|s| !s.contains(';'))?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Some(out)
}

fn parse_escalation(origin: &str, key: &str, v: &toml::Value) -> Result<Escalation> {
    let t = v.as_table().ok_or_else(|| {
        Error::config(
            origin,
            key,
            "expected a table such as `{ rotation = \"mm-primary\", channel = \"#mm-oncall\" }`",
        )
    })?;
    let mut e = Escalation::default();
    for (k, v) in t {
        let sub = format!("{key}.{k}");
        let value = text(v).ok_or_else(|| {
            Error::config(
                origin,
                &sub,
                format!("expected a non-empty string, found `{v}`"),
            )
        });
        match k.as_str() {
            "rotation" => e.rotation = Some(value?),
            "channel" => e.channel = Some(value?),
            _ => {
                return Err(Error::config(
                    origin,
                    sub,
                    "unknown key; expected `rotation` or `channel`",
                ));
            }
        }
    }
    if e.rotation.is_none() && e.channel.is_none() {
        return Err(Error::config(
            origin,
            key,
            "expected `rotation`, `channel` or both",
        ));
    }
    Ok(e)
}
