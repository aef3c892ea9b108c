//! How the resolved settings are shown: every key with its value (`opsbench config`, the
//! report's provenance, `OUT/manifest.json`) and where each value came from (default, the
//! config file and line, an `OPSBENCH_*` variable, a flag). Reads nothing; changes nothing.

use super::Settings;

impl Settings {
    /// The settings as `key → value` text, for `opsbench config` and the report.
    pub fn describe(&self) -> Vec<(String, String)> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let mut out = vec![
            ("lake_dir".to_string(), self.lake_dir.display().to_string()),
            ("out_dir".to_string(), self.out_dir.display().to_string()),
            ("input_tz".to_string(), self.input_tz.name().to_string()),
            ("report_tz".to_string(), self.report_tz.name().to_string()),
            (
                "window.from".to_string(),
                opt(self.from.map(|d| d.to_string())),
            ),
            ("window.to".to_string(), opt(self.to.map(|d| d.to_string()))),
            ("window.days".to_string(), self.window_days.to_string()),
            (
                "as_of".to_string(),
                opt(self
                    .as_of
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))),
            ),
            (
                "max_rejected".to_string(),
                opt(self.max_rejected.map(|t| t.to_string())),
            ),
            (
                "slo_interval".to_string(),
                format!("{}m", self.slo_interval_min),
            ),
            ("profile".to_string(), self.profile.clone()),
        ];
        out.extend(self.knobs.describe());
        for (d, days) in &self.retention {
            out.push((format!("retention.{d}"), format!("{days}d")));
        }
        for (d, hours) in &self.freshness {
            out.push((format!("freshness.{d}"), format!("{hours}h")));
        }
        out.extend(self.gate.describe());
        let c = &self.cost;
        out.push(("cost.basis".into(), c.basis.name().into()));
        out.push((
            "cost.complete_after_hours".into(),
            c.complete_after_hours.to_string(),
        ));
        out.push((
            "cost.report_currency".into(),
            c.report_currency.clone().unwrap_or_default(),
        ));
        out.push((
            "cost.share".into(),
            match c.share {
                crate::metrics::cost::Share::None => "none",
                crate::metrics::cost::Share::PlayerHours => "player_hours",
                crate::metrics::cost::Share::DirectCost => "direct_cost",
            }
            .into(),
        ));
        out.push((
            "cost.region_map".into(),
            format!("{} entries", c.region_map.len()),
        ));
        out.push((
            "cost.service_map".into(),
            format!("{} rules", c.service_rules.len()),
        ));
        let (fc, pk) = (&self.forecast, &self.plan);
        for (k, v) in [
            ("horizon_days", fc.horizon_days.to_string()),
            ("backtest_windows", fc.backtest_windows.to_string()),
            ("calibration_windows", fc.calibration_windows.to_string()),
            ("min_train_days", fc.min_train_days.to_string()),
            ("max_train_days", fc.max_train_days.to_string()),
            ("headroom", pk.headroom.to_string()),
            ("target_utilisation", pk.target_utilisation.to_string()),
            ("redundancy_instances", pk.redundancy_instances.to_string()),
            ("provisioning_lead_days", pk.default_lead_days.to_string()),
        ] {
            out.push((format!("forecast.{k}"), v));
        }
        for (word, cause) in &self.cause_map {
            out.push((format!("cause_map.{word}"), cause.clone()));
        }
        for (name, svc) in &self.services {
            out.extend(svc.describe(name));
        }
        if !self.slo_files.is_empty() {
            out.push(("slo_files".to_string(), self.slo_files.join(", ")));
        }
        for (d, ds) in &self.datasets {
            out.push((format!("datasets.{d}.inputs"), ds.inputs.join(", ")));
            for (from, to) in &ds.columns {
                out.push((format!("datasets.{d}.columns.{from}"), to.clone()));
            }
            if let Some(t) = ds.max_rejected {
                out.push((format!("datasets.{d}.max_rejected"), t.to_string()));
            }
        }
        out
    }

    /// Where a key's value came from.
    pub fn origin(&self, key: &str) -> &str {
        if let Some(o) = self.origins.get(key) {
            return o;
        }
        match &self.config_path {
            Some(p)
                if key.starts_with("datasets.")
                    || key.starts_with("services.")
                    || key.starts_with("retention.")
                    || key.starts_with("freshness.")
                    || key.starts_with("cause_map.") =>
            {
                p.to_str().unwrap_or("config file")
            }
            _ => "default",
        }
    }

    /// Where a key's value came from, with the config file's line when it came from there
    /// (`opsbench.toml:12`; a key inside a table set as a whole gets the table's line).
    pub fn origin_at(&self, key: &str) -> String {
        let origin = self.origin(key);
        let Some(path) = self.config_path.as_ref().and_then(|p| p.to_str()) else {
            return origin.to_string();
        };
        if !origin.starts_with(path) || origin.len() != path.len() {
            return origin.to_string();
        }
        let mut k = key;
        loop {
            if let Some(line) = self.config_lines.get(k) {
                return format!("{path}:{line}");
            }
            match k.rfind('.') {
                Some(i) => k = &k[..i],
                None => return origin.to_string(),
            }
        }
    }
}
