//! Incident causes and retrospective debt: `incident_causes` (period × service × cause) and the
//! SEV1–SEV2 incidents whose postmortem is overdue.
//!
//! **Causes.** Each incident gets one of `deploy`, `config`, `capacity`, `dependency`,
//! `infrastructure`, `external`, `unknown`:
//! - an explicit `cause` always wins: the word, any case, or a few built-in synonyms
//!   (`deployment`, `release`, `configuration`, `infra`, `network`, `hardware`, `third_party`,
//!   `vendor`, …), else the config's `[cause_map]`; a word neither knows reads as `unknown` and
//!   is counted in `data_quality` (rule `unknown_cause`), never quarantined;
//! - with no `cause`, an incident linked to a deployment (explicitly by `caused_by_deploy`, or
//!   by the inference of `change_metrics`) counts as `deploy`; otherwise `unknown`.
//!
//! **`incident_causes`.** Incidents count in the period they opened in (production only, opened
//! at or before `as_of`); rows exist only for causes with at least one incident, per service and
//! for `*` (all services). `incident_share` = incidents / all incidents of the (period, service);
//! `duration_min` = Σ (`resolved_at`, else `as_of`) − `opened_at`, summed per incident, so
//! overlapping incidents count twice: it does not add up to `reliability`'s merged downtime.
//! `player_minutes_lost` = Σ of `incident_impact`'s figure (null when no incident of the row has
//! one, e.g. without CCU); `impact_share` = that / the (period, service) total.
//!
//! **Retrospective debt.** A SEV1–SEV2 incident resolved more than `postmortem_due_days` before
//! `as_of` with no `postmortem_url` is due; the due date is its resolution day plus those days.
//!
//! Pure: the caller reads the incidents, links and per-incident impact.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::columns::column;
use super::incidents::{Incident, period_columns};
use super::periods::Period;
use crate::error::{Error, PolarsContext, Result};

/// The causes, in the table's order.
pub const CAUSES: [&str; 7] = [
    "deploy",
    "config",
    "capacity",
    "dependency",
    "infrastructure",
    "external",
    "unknown",
];

/// What the metrics read of an incident beyond [`Incident`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Notes {
    pub cause: Option<String>,
    pub postmortem_url: Option<String>,
    pub title: Option<String>,
}

/// `cause`, `postmortem_url` and `title` per incident id, from the canonical `incidents` frame.
pub fn notes_from_frame(df: &DataFrame) -> Result<BTreeMap<String, Notes>> {
    let text = |c: &str| -> Result<Vec<Option<String>>> { super::columns::texts(df, c) };
    let (ids, causes, urls, titles) = (
        text("incident_id")?,
        text("cause")?,
        text("postmortem_url")?,
        text("title")?,
    );
    let mut out = BTreeMap::new();
    for (((id, cause), url), title) in ids.into_iter().zip(causes).zip(urls).zip(titles) {
        if let Some(id) = id {
            out.insert(
                id,
                Notes {
                    cause: cause.filter(|c| !c.trim().is_empty()),
                    postmortem_url: url.filter(|u| !u.trim().is_empty()),
                    title,
                },
            );
        }
    }
    Ok(out)
}

fn canonical(word: &str) -> Option<&'static str> {
    CAUSES.iter().copied().find(|c| *c == word)
}

/// A cause word → one of [`CAUSES`]; `None` when neither built in nor in `map`.
pub fn normalize(raw: &str, map: &BTreeMap<String, String>) -> Option<&'static str> {
    let w = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    if let Some(c) = canonical(&w) {
        return Some(c);
    }
    let builtin = match w.as_str() {
        "deployment" | "release" | "rollout" | "change" | "code_change" => Some("deploy"),
        "configuration" | "config_change" | "feature_flag" => Some("config"),
        "load" | "overload" | "saturation" | "scaling" => Some("capacity"),
        "upstream" | "downstream" | "dependent_service" => Some("dependency"),
        "infra" | "network" | "hardware" | "database" | "storage" => Some("infrastructure"),
        "third_party" | "vendor" | "provider" | "ddos" => Some("external"),
        _ => None,
    };
    builtin.or_else(|| {
        map.iter()
            .find(|(k, _)| k.trim().to_ascii_lowercase().replace(['-', ' '], "_") == w)
            .and_then(|(_, v)| canonical(v))
    })
}

/// Parse `[cause_map]`: word → one of [`CAUSES`].
pub fn parse_cause_map(origin: &str, table: &toml::Table) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (word, v) in table {
        let key = format!("cause_map.{word}");
        let target = v.as_str().and_then(canonical).ok_or_else(|| {
            Error::config(
                origin,
                &key,
                format!(
                    "expected one of {}, found `{}`",
                    CAUSES.map(|c| format!("`{c}`")).join(", "),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                ),
            )
        })?;
        out.insert(word.clone(), target.to_string());
    }
    Ok(out)
}

/// One incident's cause.
#[derive(Clone, Debug, PartialEq)]
pub struct Classified {
    pub incident_id: String,
    pub cause: &'static str,
    /// The export's word when it was neither known nor mapped (counted in `data_quality`).
    pub unknown_word: Option<String>,
}

/// The cause of every incident; `linked` holds the ids with an explicit or inferred link.
pub fn classify(
    incidents: &[Incident],
    notes: &BTreeMap<String, Notes>,
    linked: &BTreeSet<String>,
    map: &BTreeMap<String, String>,
) -> Vec<Classified> {
    incidents
        .iter()
        .map(|i| {
            let word = notes.get(&i.id).and_then(|n| n.cause.as_deref());
            let (cause, unknown_word) = match word {
                Some(w) => match normalize(w, map) {
                    Some(c) => (c, None),
                    None => ("unknown", Some(w.to_string())),
                },
                None if linked.contains(&i.id) => ("deploy", None),
                None => ("unknown", None),
            };
            Classified {
                incident_id: i.id.clone(),
                cause,
                unknown_word,
            }
        })
        .collect()
}

/// One row of `incident_causes`.
#[derive(Clone, Debug, PartialEq)]
pub struct CauseRow {
    pub period: Period,
    pub service: String,
    pub cause: &'static str,
    pub incidents: u64,
    pub incident_share: f64,
    pub duration_min: f64,
    pub player_minutes_lost: Option<f64>,
    pub impact_share: Option<f64>,
}

#[derive(Default)]
struct Acc {
    incidents: u64,
    duration_min: f64,
    minutes: Option<f64>,
}

/// `incident_causes` over `periods`; `minutes` is `incident_impact`'s player-minutes per id.
pub fn incident_causes(
    incidents: &[Incident],
    classified: &[Classified],
    minutes: &BTreeMap<String, f64>,
    periods: &[Period],
    as_of: DateTime<Utc>,
    environment: &str,
) -> Vec<CauseRow> {
    let as_of_us = as_of.timestamp_micros();
    let cause_of: BTreeMap<&str, &'static str> = classified
        .iter()
        .map(|c| (c.incident_id.as_str(), c.cause))
        .collect();
    let mut rows = Vec::new();
    for p in periods {
        let (start, end) = (p.start.timestamp_micros(), p.end.timestamp_micros());
        // (service, cause) → totals; service "*" is every service
        let mut acc: BTreeMap<(String, usize), Acc> = BTreeMap::new();
        for i in incidents.iter().filter(|i| {
            i.environment == environment
                && i.opened_us <= as_of_us
                && i.opened_us >= start
                && i.opened_us < end
        }) {
            let cause = cause_of.get(i.id.as_str()).copied().unwrap_or("unknown");
            let k = CAUSES.iter().position(|c| *c == cause).unwrap_or(6);
            let dur = (i.resolved_us.unwrap_or(as_of_us).min(as_of_us) - i.opened_us).max(0) as f64
                / 60_000_000.0;
            for svc in [i.service.clone(), "*".to_string()] {
                let a = acc.entry((svc, k)).or_default();
                a.incidents += 1;
                a.duration_min += dur;
                if let Some(m) = minutes.get(&i.id) {
                    a.minutes = Some(a.minutes.unwrap_or(0.0) + m);
                }
            }
        }
        let mut totals: BTreeMap<&str, (u64, Option<f64>)> = BTreeMap::new();
        for ((svc, _), a) in &acc {
            let t = totals.entry(svc.as_str()).or_default();
            t.0 += a.incidents;
            if let Some(m) = a.minutes {
                t.1 = Some(t.1.unwrap_or(0.0) + m);
            }
        }
        for ((svc, k), a) in &acc {
            let (n, total_min) = totals[svc.as_str()];
            rows.push(CauseRow {
                period: p.clone(),
                service: svc.clone(),
                cause: CAUSES[*k],
                incidents: a.incidents,
                incident_share: a.incidents as f64 / n as f64,
                duration_min: a.duration_min,
                player_minutes_lost: a.minutes,
                impact_share: match (a.minutes, total_min) {
                    (Some(m), Some(t)) if t > 0.0 => Some(m / t),
                    _ => None,
                },
            });
        }
    }
    rows
}

/// The rows as the `incident_causes` table.
pub fn to_frame(rows: &[CauseRow]) -> Result<DataFrame> {
    let periods: Vec<&Period> = rows.iter().map(|r| &r.period).collect();
    let mut cols = period_columns(&periods)?;
    cols.extend([
        column("service", rows, |r| r.service.clone()),
        column("cause", rows, |r| r.cause.to_string()),
        column("incidents", rows, |r| r.incidents),
        column("incident_share", rows, |r| r.incident_share),
        column("duration_min", rows, |r| r.duration_min),
        column("player_minutes_lost", rows, |r| r.player_minutes_lost),
        column("impact_share", rows, |r| r.impact_share),
    ]);
    DataFrame::new(rows.len(), cols).ctx(|| "incident_causes".into())
}

/// A SEV1–SEV2 incident whose postmortem is overdue.
#[derive(Clone, Debug, PartialEq)]
pub struct Overdue {
    pub incident_id: String,
    pub service: String,
    pub severity: String,
    pub title: Option<String>,
    pub resolved_us: i64,
    pub due_date: chrono::NaiveDate,
}

/// Retrospective debt at `as_of`, oldest first.
pub fn retrospectives_due(
    incidents: &[Incident],
    notes: &BTreeMap<String, Notes>,
    as_of: DateTime<Utc>,
    due_days: u32,
    environment: &str,
) -> Vec<Overdue> {
    let due_us = i64::from(due_days) * 86_400_000_000;
    let as_of_us = as_of.timestamp_micros();
    let mut out: Vec<Overdue> = incidents
        .iter()
        .filter(|i| i.environment == environment && i.severity_level() <= 2)
        .filter_map(|i| {
            let resolved = i.resolved_us.filter(|r| *r + due_us < as_of_us)?;
            let n = notes.get(&i.id);
            if n.and_then(|n| n.postmortem_url.as_ref()).is_some() {
                return None;
            }
            let due = DateTime::from_timestamp_micros(resolved + due_us)?.date_naive();
            Some(Overdue {
                incident_id: i.id.clone(),
                service: i.service.clone(),
                severity: i.severity.clone(),
                title: n.and_then(|n| n.title.clone()),
                resolved_us: resolved,
                due_date: due,
            })
        })
        .collect();
    out.sort_by_key(|o| (o.resolved_us, o.incident_id.clone()));
    out
}

#[cfg(test)]
#[path = "causes_tests.rs"]
mod tests;
