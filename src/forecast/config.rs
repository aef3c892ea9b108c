//! The `[forecast]` section of the config: parsing and validation only.
//!
//! ```toml
//! [forecast]
//! horizon_days = 28            # 1–366
//! backtest_windows = 3         # 0–52
//! calibration_windows = 6      # 0–52
//! min_train_days = 28          # 7–3660
//! max_train_days = 112         # ≥ min_train_days, ≤ 3660
//! headroom = 0.2               # ≥ 0, < 10
//! target_utilisation = 0.8     # (0, 1]
//! redundancy_instances = 1     # ≥ 0
//! provisioning_lead_days = 14  # default lead time, 0–3650
//! ```

use super::ForecastConfig;
use super::plan::PlanKnobs;
use crate::error::{Error, Result};

const KEYS: &str = "`horizon_days`, `backtest_windows`, `calibration_windows`, `min_train_days`, `max_train_days`, `headroom`, `target_utilisation`, `redundancy_instances` or `provisioning_lead_days`";

fn int(origin: &str, key: &str, v: &toml::Value, lo: i64, hi: i64, what: &str) -> Result<i64> {
    v.as_integer()
        .filter(|i| (lo..=hi).contains(i))
        .ok_or_else(|| {
            Error::config(
                origin,
                key,
                format!("expected {what} from {lo} to {hi}, found `{v}`"),
            )
        })
}

fn float(v: &toml::Value) -> Option<f64> {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .filter(|f| f.is_finite())
}

/// Parse `[forecast]` (the table under that key); absent keys keep their defaults.
pub fn parse_forecast(origin: &str, table: &toml::Table) -> Result<(ForecastConfig, PlanKnobs)> {
    let mut cfg = ForecastConfig::default();
    let mut knobs = PlanKnobs::default();
    for (k, v) in table {
        let key = format!("forecast.{k}");
        match k.as_str() {
            "horizon_days" => {
                cfg.horizon_days = int(origin, &key, v, 1, 366, "a whole number of days")? as u32
            }
            "backtest_windows" => {
                cfg.backtest_windows =
                    int(origin, &key, v, 0, 52, "a whole number of windows")? as u32
            }
            "calibration_windows" => {
                cfg.calibration_windows =
                    int(origin, &key, v, 0, 52, "a whole number of windows")? as u32
            }
            "min_train_days" => {
                cfg.min_train_days = int(origin, &key, v, 7, 3660, "a whole number of days")? as u32
            }
            "max_train_days" => {
                cfg.max_train_days = int(origin, &key, v, 7, 3660, "a whole number of days")? as u32
            }
            "headroom" => knobs.headroom = float(v)
                .filter(|h| (0.0..10.0).contains(h))
                .ok_or_else(|| {
                    Error::config(
                        origin,
                        &key,
                        format!(
                            "expected a share of at least 0 and below 10 such as `0.2`, found `{v}`"
                        ),
                    )
                })?,
            "target_utilisation" => {
                knobs.target_utilisation =
                    float(v).filter(|u| *u > 0.0 && *u <= 1.0).ok_or_else(|| {
                        Error::config(
                            origin,
                            &key,
                            format!(
                                "expected a share above 0 and at most 1 such as `0.8`, found `{v}`"
                            ),
                        )
                    })?
            }
            "redundancy_instances" => {
                knobs.redundancy_instances =
                    int(origin, &key, v, 0, 1_000_000, "a whole number of instances")? as u64
            }
            "provisioning_lead_days" => {
                knobs.default_lead_days =
                    int(origin, &key, v, 0, 3650, "a whole number of days")? as u32
            }
            _ => {
                return Err(Error::config(
                    origin,
                    key,
                    format!("unknown key; expected {KEYS}"),
                ));
            }
        }
    }
    if cfg.max_train_days < cfg.min_train_days {
        return Err(Error::config(
            origin,
            "forecast.max_train_days",
            format!(
                "`{}` is below `min_train_days` (`{}`)",
                cfg.max_train_days, cfg.min_train_days
            ),
        ));
    }
    Ok((cfg, knobs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(ForecastConfig, PlanKnobs)> {
        let t: toml::Table = text.parse().unwrap();
        parse_forecast("o.toml", t["forecast"].as_table().unwrap())
    }

    #[test]
    fn defaults_and_overrides() {
        let (c, k) = parse("[forecast]\n").unwrap();
        assert_eq!((c, k), (ForecastConfig::default(), PlanKnobs::default()));
        let (c, k) = parse(
            "[forecast]\nhorizon_days = 14\nbacktest_windows = 2\nheadroom = 0\ntarget_utilisation = 0.75\nredundancy_instances = 2\nprovisioning_lead_days = 30\n",
        )
        .unwrap();
        assert_eq!(
            (c.horizon_days, c.backtest_windows, c.max_train_days),
            (14, 2, 112)
        );
        assert_eq!(
            k,
            PlanKnobs {
                headroom: 0.0,
                target_utilisation: 0.75,
                redundancy_instances: 2,
                default_lead_days: 30
            }
        );
    }

    #[test]
    fn errors_name_origin_and_key() {
        let e = parse("[forecast]\nhorizn_days = 3\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "o.toml: key `forecast.horizn_days`: unknown key; expected `horizon_days`"
            ),
            "{e}"
        );
        let e = parse("[forecast]\ntarget_utilisation = 1.5\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "o.toml: key `forecast.target_utilisation`: expected a share above 0 and at most 1 such as `0.8`, found `1.5`"
        );
        let e = parse("[forecast]\nhorizon_days = 0\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "`forecast.horizon_days`: expected a whole number of days from 1 to 366, found `0`"
            ),
            "{e}"
        );
        let e = parse("[forecast]\nmin_train_days = 60\nmax_train_days = 30\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`forecast.max_train_days`: `30` is below"),
            "{e}"
        );
    }
}
