//! The service catalogue from `[services.NAME]` in the config: today the SLO targets of each
//! service (availability target, latency threshold, SLO window). Parsing and validation only;
//! the metrics read the resolved values.
//!
//! ```toml
//! [services.matchmaking]
//! slo_availability_target = 0.9995   # or "99.95%"
//! slo_latency_ms = 250               # p99 threshold; absent = no latency SLO
//! slo_window_days = 28
//! ```

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// One service's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSettings {
    /// Availability target in (0, 1); default 0.999.
    pub slo_availability_target: f64,
    /// p99 latency threshold in ms; `None` = no latency SLO.
    pub slo_latency_ms: Option<f64>,
    /// Length of the rolling SLO window; default 28 days.
    pub slo_window_days: u32,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            slo_availability_target: 0.999,
            slo_latency_ms: None,
            slo_window_days: 28,
        }
    }
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
            match k.as_str() {
                "slo_availability_target" => {
                    svc.slo_availability_target =
                        parse_target(v).ok_or_else(|| Error::config(origin, &key, format!("expected a share strictly between 0 and 1 such as `0.999` or `\"99.9%\"`, found `{v}`")))?
                }
                "slo_latency_ms" => {
                    let ms = v.as_float().or_else(|| v.as_integer().map(|i| i as f64)).filter(|m| m.is_finite() && *m > 0.0);
                    svc.slo_latency_ms = Some(ms.ok_or_else(|| Error::config(origin, &key, format!("expected a positive number of milliseconds, found `{v}`")))?);
                }
                "slo_window_days" => {
                    let d = v.as_integer().filter(|d| (1..=366).contains(d));
                    svc.slo_window_days = d.ok_or_else(|| Error::config(origin, &key, format!("expected a whole number of days from 1 to 366, found `{v}`")))? as u32;
                }
                _ => {
                    return Err(Error::config(
                        origin,
                        key,
                        "unknown key; expected `slo_availability_target`, `slo_latency_ms` or `slo_window_days`",
                    ));
                }
            }
        }
        out.insert(name.clone(), svc);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<BTreeMap<String, ServiceSettings>> {
        let t: toml::Table = text.parse().unwrap();
        parse_services("o.toml", t["services"].as_table().unwrap())
    }

    #[test]
    fn targets_as_shares_or_percent() {
        let s = parse("[services.login]\nslo_availability_target = \"99.95%\"\nslo_latency_ms = 250\n[services.chat]\nslo_window_days = 7\n").unwrap();
        assert!((s["login"].slo_availability_target - 0.9995).abs() < 1e-12);
        assert_eq!(s["login"].slo_latency_ms, Some(250.0));
        assert_eq!(
            s["chat"],
            ServiceSettings {
                slo_window_days: 7,
                ..Default::default()
            }
        );
    }

    #[test]
    fn errors_name_the_key() {
        let e = parse("[services.login]\nslo_availability_target = 1.0\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("o.toml: key `services.login.slo_availability_target`: expected a share"),
            "{e}"
        );
        let e = parse("[services.login]\nowner = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`services.login.owner`: unknown key"), "{e}");
    }
}
