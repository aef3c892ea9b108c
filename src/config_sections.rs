//! The config's sections beyond the basics: `[retention]`, `[freshness]`, `[cost]`,
//! `[forecast]`, `[gate]` and `[cause_map]`. Parsing and validation only, each recording where
//! its values came from; the modules that own a section parse its table.

use super::{Settings, as_table, dataset_named, parse_hours, scalar_text};
use crate::error::{Error, Result};

impl Settings {
    /// Apply `key` when it is one of these sections; `false` when it is not.
    pub(super) fn apply_section(
        &mut self,
        origin: &str,
        key: &str,
        value: &toml::Value,
    ) -> Result<bool> {
        let origin = origin.to_string();
        match key {
            "retention" => {
                let t = as_table(&origin, key, value)?;
                for (name, v) in t {
                    let full = format!("retention.{name}");
                    let dataset = dataset_named(&origin, &full, name)?;
                    let text = scalar_text(&origin, &full, v)?;
                    let t = text.trim();
                    if t.eq_ignore_ascii_case("forever") {
                        continue;
                    }
                    let days: u32 = t.strip_suffix('d').unwrap_or(t).trim().parse().ok().filter(|d| *d > 0).ok_or_else(|| {
                        Error::config(&origin, &full, format!("expected a number of days such as `400` or `\"400d\"`, or `\"forever\"`, found `{text}`"))
                    })?;
                    self.retention.insert(dataset, days);
                }
            }
            "freshness" => {
                let t = as_table(&origin, key, value)?;
                for (name, v) in t {
                    let full = format!("freshness.{name}");
                    let dataset = dataset_named(&origin, &full, name)?;
                    let text = scalar_text(&origin, &full, v)?;
                    let hours = parse_hours(&text).ok_or_else(|| {
                        Error::config(
                            &origin,
                            &full,
                            format!(
                                "expected a duration such as `\"26h\"` or `\"2d\"`, found `{text}`"
                            ),
                        )
                    })?;
                    self.freshness.insert(dataset, hours);
                }
            }
            "cost" => {
                let t = as_table(&origin, key, value)?;
                self.cost = crate::metrics::cost::parse_cost(&origin, t)?;
                for k in t.keys() {
                    self.origins.insert(format!("cost.{k}"), origin.clone());
                }
            }
            "forecast" => {
                let t = as_table(&origin, key, value)?;
                (self.forecast, self.plan) = crate::forecast::parse_forecast(&origin, t)?;
                for k in t.keys() {
                    self.origins.insert(format!("forecast.{k}"), origin.clone());
                }
            }
            "gate" => {
                let t = as_table(&origin, key, value)?;
                self.gate = crate::gate::parse_gate(&origin, t)?;
                for (k, v) in t {
                    match v.as_table() {
                        Some(levels) if k == "level" => {
                            for rule in levels.keys() {
                                self.origins
                                    .insert(format!("gate.level.{rule}"), origin.clone());
                            }
                        }
                        _ => {
                            self.origins.insert(format!("gate.{k}"), origin.clone());
                        }
                    }
                }
            }
            "cause_map" => {
                let t = as_table(&origin, key, value)?;
                self.cause_map = crate::metrics::causes::parse_cause_map(&origin, t)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
