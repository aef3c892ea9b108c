//! Metric knobs: the choices a figure depends on (which median, which weeks, what counts as an
//! outage or a failed deployment, how incidents link to deployments), and the named profiles
//! that set them together (`default`, `devlake`).
//!
//! Knobs live under `[metrics]` in the config (`OPSBENCH_*` variables too); a profile sets the
//! starting values, and explicit keys override it. The report and `OUT/manifest.json` state
//! every knob used. This module only parses and describes; it computes nothing.

use crate::metrics::periods::WeekStart;
use crate::metrics::stats::MedianKind;

/// How incidents link to deployments when they do not name one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LinkInference {
    /// Only `caused_by_deploy`.
    #[default]
    Off,
    /// The latest successful production deployment of the same service before the incident.
    LatestBefore,
}

/// Which period an incident's figures count in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PeriodBy {
    /// The period its `opened_at` falls in.
    #[default]
    Opened,
    /// The period its `resolved_at` falls in (open incidents: the period holding `as_of`).
    Resolved,
}

/// Every metric knob.
#[derive(Clone, Debug, PartialEq)]
pub struct Knobs {
    pub median: MedianKind,
    pub week_start: WeekStart,
    /// Severity levels (1 = SEV1) that count as outages.
    pub outage_severities: Vec<u8>,
    /// The environment incidents and deployments count in.
    pub environment: String,
    /// Whether a `failed`/`rolled_back` status alone makes a deployment failed.
    pub cfr_counts_failed_status: bool,
    pub link_inference: LinkInference,
    /// Longest deployment → incident lag an inferred link may have, in minutes (`None`: no limit).
    pub max_link_lag_min: Option<i64>,
    pub incident_period_by: PeriodBy,
    /// DevLake's conventions for deployments and links (set by the `devlake` profile).
    pub devlake: bool,
    /// Share of the CCU an incident of SEV1 … SEV5 is taken to affect.
    pub impact_share: [f64; 5],
    /// Whether an outage during planned maintenance counts as downtime.
    pub maintenance_is_downtime: bool,
    /// Days after its resolution by which a SEV1–SEV2 incident needs a postmortem.
    pub postmortem_due_days: u32,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            median: MedianKind::Interpolated,
            week_start: WeekStart::Monday,
            outage_severities: vec![1, 2],
            environment: "production".into(),
            cfr_counts_failed_status: true,
            link_inference: LinkInference::Off,
            max_link_lag_min: None,
            incident_period_by: PeriodBy::Opened,
            devlake: false,
            impact_share: [1.0, 0.5, 0.1, 0.0, 0.0],
            maintenance_is_downtime: false,
            postmortem_due_days: 5,
        }
    }
}

/// The knob keys under `[metrics]`, with their environment variables.
pub const KEYS: [(&str, &str); 12] = [
    ("median", "OPSBENCH_MEDIAN"),
    ("week_start", "OPSBENCH_WEEK_START"),
    ("outage_severities", "OPSBENCH_OUTAGE_SEVERITIES"),
    ("environment", "OPSBENCH_ENVIRONMENT"),
    (
        "cfr_counts_failed_status",
        "OPSBENCH_CFR_COUNTS_FAILED_STATUS",
    ),
    ("link_inference", "OPSBENCH_LINK_INFERENCE"),
    ("max_link_lag", "OPSBENCH_MAX_LINK_LAG"),
    ("incident_period_by", "OPSBENCH_INCIDENT_PERIOD_BY"),
    ("impact_share", "OPSBENCH_IMPACT_SHARE"),
    ("negative_duration", "OPSBENCH_NEGATIVE_DURATION"),
    (
        "maintenance_is_downtime",
        "OPSBENCH_MAINTENANCE_IS_DOWNTIME",
    ),
    ("postmortem_due_days", "OPSBENCH_POSTMORTEM_DUE_DAYS"),
];

/// The profiles `--profile` accepts.
pub const PROFILES: [&str; 2] = ["default", "devlake"];

impl Knobs {
    /// The knobs of a named profile. `devlake` reproduces Apache DevLake's DORA conventions:
    /// lower median, Monday weeks, a failed status counts for nothing, every incident without
    /// `caused_by_deploy` links to the latest successful deployment before it, no lag limit.
    /// (DevLake also buckets in UTC: the caller sets `report_tz`.)
    pub fn profile(name: &str) -> Option<Knobs> {
        match name.trim().to_ascii_lowercase().as_str() {
            "default" => Some(Knobs::default()),
            "devlake" => Some(Knobs {
                median: MedianKind::Lower,
                week_start: WeekStart::Monday,
                cfr_counts_failed_status: false,
                link_inference: LinkInference::LatestBefore,
                max_link_lag_min: None,
                devlake: true,
                ..Knobs::default()
            }),
            _ => None,
        }
    }

    /// Set one knob from text; `Err` carries what was expected.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), &'static str> {
        let v = value.trim();
        let lower = v.to_ascii_lowercase();
        match key {
            "median" => self.median = MedianKind::parse(v).ok_or("`interpolated` or `lower`")?,
            "week_start" => {
                self.week_start = match lower.as_str() {
                    "monday" => WeekStart::Monday,
                    "sunday" => WeekStart::Sunday,
                    _ => return Err("`monday` or `sunday`"),
                }
            }
            "outage_severities" => {
                self.outage_severities =
                    parse_severities(v).ok_or("severities such as `SEV1, SEV2`")?
            }
            "environment" => {
                if v.is_empty() {
                    return Err("an environment name such as `production`");
                }
                self.environment = v.to_string();
            }
            "cfr_counts_failed_status" => {
                self.cfr_counts_failed_status = match lower.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err("`true` or `false`"),
                }
            }
            "link_inference" => {
                self.link_inference = match lower.as_str() {
                    "off" => LinkInference::Off,
                    "latest_before" => LinkInference::LatestBefore,
                    _ => return Err("`off` or `latest_before`"),
                }
            }
            "max_link_lag" => {
                self.max_link_lag_min = match lower.as_str() {
                    "none" | "off" | "" => None,
                    _ => Some(i64::from(
                        crate::config::parse_minutes(v)
                            .ok_or("a duration such as `24h` or `90m`, or `none`")?,
                    )),
                }
            }
            "incident_period_by" => {
                self.incident_period_by = match lower.as_str() {
                    "opened" => PeriodBy::Opened,
                    "resolved" => PeriodBy::Resolved,
                    _ => return Err("`opened` or `resolved`"),
                }
            }
            "impact_share" => {
                const EXPECTED: &str = "five shares, SEV1 to SEV5, such as `1.0, 0.5, 0.1, 0, 0`";
                let parts: Vec<f64> = v
                    .split(',')
                    .map(|p| p.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| EXPECTED)?;
                let shares: [f64; 5] = parts.try_into().map_err(|_| EXPECTED)?;
                if shares.iter().any(|x| !(0.0..=1.0).contains(x)) {
                    return Err("shares between 0 and 1");
                }
                self.impact_share = shares;
            }
            "maintenance_is_downtime" => {
                self.maintenance_is_downtime = match lower.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err("`true` or `false`"),
                }
            }
            "postmortem_due_days" => {
                self.postmortem_due_days = v
                    .strip_suffix('d')
                    .unwrap_or(v)
                    .trim()
                    .parse()
                    .map_err(|_| "a number of days such as `5` or `\"5d\"`")?;
            }
            "negative_duration" => {
                if lower != "quarantine" {
                    return Err(
                        "`quarantine` (the only policy: a negative duration never reaches a metric)",
                    );
                }
            }
            _ => {
                return Err(
                    "a known knob: median, week_start, outage_severities, environment, cfr_counts_failed_status, link_inference, max_link_lag, incident_period_by, impact_share, negative_duration, maintenance_is_downtime, postmortem_due_days",
                );
            }
        }
        Ok(())
    }

    /// Every knob as `metrics.KEY → value`.
    pub fn describe(&self) -> Vec<(String, String)> {
        let v = |k: &str, s: String| (format!("metrics.{k}"), s);
        vec![
            v("median", self.median.name().into()),
            v(
                "week_start",
                if self.week_start == WeekStart::Monday {
                    "monday"
                } else {
                    "sunday"
                }
                .into(),
            ),
            v(
                "outage_severities",
                self.outage_severities
                    .iter()
                    .map(|s| format!("SEV{s}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            v("environment", self.environment.clone()),
            v(
                "cfr_counts_failed_status",
                self.cfr_counts_failed_status.to_string(),
            ),
            v(
                "link_inference",
                match self.link_inference {
                    LinkInference::Off => "off",
                    LinkInference::LatestBefore => "latest_before",
                }
                .into(),
            ),
            v(
                "max_link_lag",
                self.max_link_lag_min
                    .map(|m| format!("{m}m"))
                    .unwrap_or_else(|| "none".into()),
            ),
            v(
                "incident_period_by",
                match self.incident_period_by {
                    PeriodBy::Opened => "opened",
                    PeriodBy::Resolved => "resolved",
                }
                .into(),
            ),
            v(
                "impact_share",
                self.impact_share
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            v("negative_duration", "quarantine".into()),
            v(
                "maintenance_is_downtime",
                self.maintenance_is_downtime.to_string(),
            ),
            v(
                "postmortem_due_days",
                format!("{}d", self.postmortem_due_days),
            ),
        ]
    }
}

/// A list of severities (`SEV1, SEV2`, `1,2`, `critical, high`) as levels, sorted.
pub fn parse_severities(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let sev = crate::ingest::parse::normalize_severity(part).ok()?;
        out.push(sev.trim_start_matches("SEV").parse().ok()?);
    }
    out.sort_unstable();
    out.dedup();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devlake_profile_and_overrides() {
        let mut k = Knobs::profile("DevLake").unwrap();
        assert_eq!(k.median, MedianKind::Lower);
        assert!(!k.cfr_counts_failed_status && k.devlake);
        assert_eq!(k.link_inference, LinkInference::LatestBefore);
        k.set("median", "interpolated").unwrap();
        k.set("max_link_lag", "24h").unwrap();
        assert_eq!(
            (k.median, k.max_link_lag_min),
            (MedianKind::Interpolated, Some(1440))
        );
        assert!(Knobs::profile("dora").is_none());
    }

    #[test]
    fn parse_errors_say_what_was_expected() {
        let mut k = Knobs::default();
        assert_eq!(k.set("median", "mean"), Err("`interpolated` or `lower`"));
        assert_eq!(
            k.set("outage_severities", "SEV9"),
            Err("severities such as `SEV1, SEV2`")
        );
        k.set("outage_severities", "critical, SEV2, 2").unwrap();
        assert_eq!(k.outage_severities, vec![1, 2]);
        assert!(k.set("weeks", "x").is_err());
        k.set("impact_share", "1, 0.6, 0.2, 0, 0").unwrap();
        assert_eq!(k.impact_share, [1.0, 0.6, 0.2, 0.0, 0.0]);
        assert!(k.set("impact_share", "1, 0.5").is_err());
        assert!(k.set("negative_duration", "clamp").is_err());
        k.set("negative_duration", "quarantine").unwrap();
        let d = Knobs::default().describe();
        assert!(d.contains(&("metrics.median".into(), "interpolated".into())));
        assert!(d.contains(&("metrics.max_link_lag".into(), "none".into())));
    }
}
