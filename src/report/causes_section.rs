//! The "Incident causes" section: the causes that cost players most over the window, and the
//! retrospective debt (SEV1–SEV2 incidents resolved long ago without a postmortem), with one
//! `retrospective_due` action each. Formatting only: the figures come from `metrics::causes`.

use super::html::fmt_int;
use super::view::{ActionItem, Section, Table};
use crate::metrics::causes::{CauseRow, Overdue};
use crate::metrics::periods::PeriodKind;

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1} %", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn minutes(v: Option<f64>) -> String {
    v.map(|m| fmt_int(m.round().max(0.0) as u64))
        .unwrap_or_else(|| "—".into())
}

/// The section and its actions.
pub fn causes_section(
    rows: &[CauseRow],
    overdue: &[Overdue],
    due_days: u32,
) -> (Section, Vec<ActionItem>) {
    let mut window: Vec<&CauseRow> = rows
        .iter()
        .filter(|r| r.period.kind == PeriodKind::Window && r.service == "*")
        .collect();
    window.sort_by(|a, b| {
        b.player_minutes_lost
            .unwrap_or(-1.0)
            .total_cmp(&a.player_minutes_lost.unwrap_or(-1.0))
            .then(b.incidents.cmp(&a.incidents))
    });
    let mut paragraphs = vec![
        "Each incident has one cause: its export's `cause` (known words, synonyms, or `[cause_map]`), else `deploy` when it is linked to a deployment, else `unknown`. Durations are summed per incident, so overlapping incidents count twice: they do not add up to the merged downtime of the reliability section.".to_string(),
    ];
    match window.first() {
        Some(top) if top.player_minutes_lost.is_some() => paragraphs.push(format!(
            "The cause that cost players most in the window: {} ({} player-minutes, {} of the total, over {} incident(s)).",
            top.cause,
            minutes(top.player_minutes_lost),
            pct(top.impact_share),
            top.incidents
        )),
        Some(_) => paragraphs.push(
            "Player-minutes lost are unknown (no CCU covers these incidents); causes are ranked by incidents.".into(),
        ),
        None => paragraphs.push("No incident opened in the window.".into()),
    }
    let causes = Table {
        caption: "Causes over the window, all services, by player-minutes lost".into(),
        columns: [
            "Cause",
            "Incidents",
            "Share of incidents",
            "Summed duration (min)",
            "Player-minutes lost",
            "Share of player-minutes",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, true, true, true, true, true],
        rows: window
            .iter()
            .map(|r| {
                vec![
                    r.cause.to_string(),
                    r.incidents.to_string(),
                    pct(Some(r.incident_share)),
                    fmt_int(r.duration_min.round().max(0.0) as u64),
                    minutes(r.player_minutes_lost),
                    pct(r.impact_share),
                ]
            })
            .collect(),
    };
    paragraphs.push(if overdue.is_empty() {
        format!("Retrospective debt: none (every SEV1–SEV2 incident resolved more than {due_days} days ago has a postmortem).")
    } else {
        format!(
            "Retrospective debt: {} SEV1–SEV2 incident(s) resolved more than {due_days} days ago have no postmortem.",
            overdue.len()
        )
    });
    let mut tables = vec![causes];
    let mut actions = Vec::new();
    if !overdue.is_empty() {
        tables.push(Table {
            caption: "Retrospectives due".into(),
            columns: [
                "Incident", "Service", "Severity", "Title", "Resolved", "Due",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false; 6],
            rows: overdue
                .iter()
                .map(|o| {
                    vec![
                        o.incident_id.clone(),
                        o.service.clone(),
                        o.severity.clone(),
                        o.title.clone().unwrap_or_default(),
                        chrono::DateTime::from_timestamp_micros(o.resolved_us)
                            .map(|t| t.format("%Y-%m-%d").to_string())
                            .unwrap_or_default(),
                        o.due_date.to_string(),
                    ]
                })
                .collect(),
        });
        for o in overdue {
            actions.push(ActionItem {
                severity: "warning".into(),
                kind: "retrospective_due".into(),
                subject: o.service.clone(),
                message: format!(
                    "write the postmortem of {} incident {} (resolved more than {due_days} days ago)",
                    o.severity, o.incident_id
                ),
                due_date: o.due_date.to_string(),
            });
        }
    }
    let section = Section {
        id: "causes".into(),
        title: "Incident causes".into(),
        paragraphs,
        charts: Vec::new(),
        tables,
    };
    (section, actions)
}
