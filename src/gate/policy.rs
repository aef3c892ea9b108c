//! The gate's policy: each rule's threshold and level, from `[gate]` in the config, with a
//! default for everything so the gate works with no `[gate]` section at all.
//!
//! ```toml
//! [gate]
//! min_error_budget = 0.0      # error_budget: fail at or below this share of budget left
//! max_burn_lag = "6h"         # fast_burn: older SLO data makes the rule skipped
//! open_incident_severities = ["SEV1", "SEV2"]
//! cfr_last_n = 20             # change_failure_rate over the last N deployments
//! max_cfr = 0.3
//! min_runway_days = 14        # capacity_runway
//! [gate.level]                # `fail` or `warn` per rule
//! change_failure_rate = "warn"
//! ```
//!
//! Parsing only; no I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};

/// The rules, with their stable ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    ErrorBudget,
    FastBurn,
    OpenIncidents,
    ChangeFailureRate,
    CapacityRunway,
    DataFreshness,
}

impl RuleId {
    pub const ALL: [RuleId; 6] = [
        RuleId::ErrorBudget,
        RuleId::FastBurn,
        RuleId::OpenIncidents,
        RuleId::ChangeFailureRate,
        RuleId::CapacityRunway,
        RuleId::DataFreshness,
    ];

    pub fn id(self) -> &'static str {
        match self {
            RuleId::ErrorBudget => "error_budget",
            RuleId::FastBurn => "fast_burn",
            RuleId::OpenIncidents => "open_incidents",
            RuleId::ChangeFailureRate => "change_failure_rate",
            RuleId::CapacityRunway => "capacity_runway",
            RuleId::DataFreshness => "data_freshness",
        }
    }

    fn from_id(s: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|r| r.id() == s)
    }
}

/// What a rule that fires does to the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Fail,
    Warn,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Fail => "fail",
            Level::Warn => "warn",
        }
    }
}

/// The whole policy.
#[derive(Clone, Debug, PartialEq)]
pub struct GatePolicy {
    pub min_error_budget: f64,
    pub max_burn_lag_min: u32,
    /// Severity levels (1 = SEV1) whose open incidents fail the gate.
    pub open_incident_severities: Vec<u8>,
    pub cfr_last_n: usize,
    pub max_cfr: f64,
    pub min_runway_days: u32,
    pub levels: BTreeMap<RuleId, Level>,
}

impl Default for GatePolicy {
    fn default() -> Self {
        let levels = RuleId::ALL
            .into_iter()
            .map(|r| {
                let l = match r {
                    RuleId::ChangeFailureRate | RuleId::CapacityRunway => Level::Warn,
                    _ => Level::Fail,
                };
                (r, l)
            })
            .collect();
        GatePolicy {
            min_error_budget: 0.0,
            max_burn_lag_min: 6 * 60,
            open_incident_severities: vec![1, 2],
            cfr_last_n: 20,
            max_cfr: 0.3,
            min_runway_days: 14,
            levels,
        }
    }
}

impl GatePolicy {
    pub fn level(&self, r: RuleId) -> Level {
        self.levels.get(&r).copied().unwrap_or(Level::Fail)
    }

    /// The policy as `gate.KEY → value`, for `opsbench config`.
    pub fn describe(&self) -> Vec<(String, String)> {
        let mut out = vec![
            (
                "gate.min_error_budget".into(),
                self.min_error_budget.to_string(),
            ),
            (
                "gate.max_burn_lag".into(),
                format!("{}m", self.max_burn_lag_min),
            ),
            (
                "gate.open_incident_severities".into(),
                self.open_incident_severities
                    .iter()
                    .map(|s| format!("SEV{s}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("gate.cfr_last_n".into(), self.cfr_last_n.to_string()),
            ("gate.max_cfr".into(), self.max_cfr.to_string()),
            (
                "gate.min_runway_days".into(),
                self.min_runway_days.to_string(),
            ),
        ];
        for (r, l) in &self.levels {
            out.push((format!("gate.level.{}", r.id()), l.name().into()));
        }
        out
    }
}

fn number(origin: &str, key: &str, v: &toml::Value) -> Result<f64> {
    match v {
        toml::Value::Float(f) => Ok(*f),
        toml::Value::Integer(i) => Ok(*i as f64),
        toml::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| Error::config(origin, key, format!("expected a number, found `{s}`"))),
        _ => Err(Error::config(
            origin,
            key,
            format!("expected a number, found `{v}`"),
        )),
    }
}

/// Parse `[gate]`.
pub fn parse_gate(origin: &str, table: &toml::Table) -> Result<GatePolicy> {
    let mut p = GatePolicy::default();
    for (k, v) in table {
        let key = format!("gate.{k}");
        let share = |x: f64| -> Result<f64> {
            if (0.0..=1.0).contains(&x) {
                Ok(x)
            } else {
                Err(Error::config(
                    origin,
                    &key,
                    format!("expected a share between 0 and 1, found `{x}`"),
                ))
            }
        };
        let count = |x: f64| -> Result<u32> {
            if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) {
                Ok(x as u32)
            } else {
                Err(Error::config(
                    origin,
                    &key,
                    format!("expected a whole number, found `{x}`"),
                ))
            }
        };
        match k.as_str() {
            "min_error_budget" => p.min_error_budget = number(origin, &key, v)?,
            "max_burn_lag" => {
                let text = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                p.max_burn_lag_min = crate::config::parse_minutes(&text).ok_or_else(|| {
                    Error::config(
                        origin,
                        &key,
                        format!(
                            "expected a duration such as `\"6h\"` or `\"90m\"`, found `{text}`"
                        ),
                    )
                })?;
            }
            "open_incident_severities" => {
                let items: Vec<String> = match v {
                    toml::Value::Array(a) => a
                        .iter()
                        .map(|x| {
                            x.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string())
                        })
                        .collect(),
                    other => vec![
                        other
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| other.to_string()),
                    ],
                };
                p.open_incident_severities = crate::knobs::parse_severities(&items.join(","))
                    .ok_or_else(|| {
                        Error::config(
                            origin,
                            &key,
                            "expected severities such as `[\"SEV1\", \"SEV2\"]`",
                        )
                    })?;
            }
            "cfr_last_n" => {
                let n = count(number(origin, &key, v)?)?;
                if n == 0 {
                    return Err(Error::config(origin, &key, "expected at least 1"));
                }
                p.cfr_last_n = n as usize;
            }
            "max_cfr" => p.max_cfr = share(number(origin, &key, v)?)?,
            "min_runway_days" => p.min_runway_days = count(number(origin, &key, v)?)?,
            "level" => {
                let t = v.as_table().ok_or_else(|| {
                    Error::config(
                        origin,
                        &key,
                        "expected a table of rule = \"fail\" | \"warn\"",
                    )
                })?;
                for (rule, level) in t {
                    let lkey = format!("gate.level.{rule}");
                    let r = RuleId::from_id(rule).ok_or_else(|| {
                        Error::config(
                            origin,
                            &lkey,
                            format!(
                                "unknown rule; expected one of {}",
                                RuleId::ALL.map(|r| format!("`{}`", r.id())).join(", ")
                            ),
                        )
                    })?;
                    let l = match level.as_str() {
                        Some("fail") => Level::Fail,
                        Some("warn") => Level::Warn,
                        _ => {
                            return Err(Error::config(
                                origin,
                                &lkey,
                                format!("expected `fail` or `warn`, found `{level}`"),
                            ));
                        }
                    };
                    p.levels.insert(r, l);
                }
            }
            _ => {
                return Err(Error::config(
                    origin,
                    &key,
                    "unknown key; expected one of `min_error_budget`, `max_burn_lag`, `open_incident_severities`, `cfr_last_n`, `max_cfr`, `min_runway_days`, `level`",
                ));
            }
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let t: toml::Table = toml::from_str(
            "max_cfr = 0.5\nmax_burn_lag = \"2h\"\ncfr_last_n = 10\n[level]\nchange_failure_rate = \"fail\"",
        )
        .unwrap();
        let p = parse_gate("f.toml", &t).unwrap();
        assert_eq!(p.max_cfr, 0.5);
        assert_eq!(p.max_burn_lag_min, 120);
        assert_eq!(p.cfr_last_n, 10);
        assert_eq!(p.level(RuleId::ChangeFailureRate), Level::Fail);
        assert_eq!(p.level(RuleId::CapacityRunway), Level::Warn);
        assert_eq!(
            GatePolicy::default().level(RuleId::ErrorBudget),
            Level::Fail
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        for (text, key) in [
            ("max_cfr = 2", "gate.max_cfr"),
            ("bogus = 1", "gate.bogus"),
            ("[level]\nnope = \"warn\"", "gate.level.nope"),
            ("[level]\nfast_burn = \"maybe\"", "gate.level.fast_burn"),
        ] {
            let t: toml::Table = toml::from_str(text).unwrap();
            let e = parse_gate("f.toml", &t).unwrap_err().to_string();
            assert!(e.contains(key), "{e}");
        }
    }
}
