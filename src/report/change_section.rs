//! The delivery section of the report (DORA keys) and its headline figures, built from the
//! rows of `change_metrics` and `incident_links`. Formatting only: no figure is computed here.

use super::charts::{Line, line_chart};
use super::html::fmt_int;
use super::view::{Chart, Headline, Section, Table};
use crate::error::Result;
use crate::metrics::changes::{ChangeKnobs, ChangeRow, Link};
use crate::metrics::periods::PeriodKind;

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "—".into())
}

fn with_band(value: String, band: Option<&str>) -> String {
    match band {
        Some(b) => format!("{value} ({b})"),
        None => value,
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1} %", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// The section shown when no deployments export has been loaded.
pub fn changes_missing() -> Section {
    Section {
        id: "delivery".into(),
        title: "Delivery (DORA)".into(),
        paragraphs: vec!["No export of deployments has been loaded, so change failure rate, deployment frequency, lead time and recovery time are not computed.".into()],
        ..Section::default()
    }
}

fn window_total(rows: &[ChangeRow]) -> Option<&ChangeRow> {
    rows.iter()
        .find(|r| r.period.kind == PeriodKind::Window && r.service == "*")
}

/// Headline figures: change failure rate and deployment frequency with their DORA bands and
/// the trend against the previous window.
pub fn change_headline(rows: &[ChangeRow], prev: &[ChangeRow]) -> Vec<Headline> {
    let Some(now) = window_total(rows) else {
        return Vec::new();
    };
    let before = window_total(prev);
    let cfr_trend = match (
        now.change_failure_rate,
        before.and_then(|b| b.change_failure_rate),
    ) {
        (Some(n), Some(b)) if (n - b).abs() < 1e-12 => {
            format!("unchanged from {} in the previous window", pct(Some(b)))
        }
        (Some(n), Some(b)) => format!(
            "{} from {} in the previous window ({})",
            if n > b { "▲ up" } else { "▼ down" },
            pct(Some(b)),
            if n > b { "worse" } else { "better" }
        ),
        _ => "no figure for the previous window".into(),
    };
    let df_trend = match (now.deploys_per_day, before.and_then(|b| b.deploys_per_day)) {
        (Some(n), Some(b)) if (n - b).abs() < 1e-12 => {
            format!("unchanged from {b:.2}/day in the previous window")
        }
        (Some(n), Some(b)) => format!(
            "{} from {b:.2}/day in the previous window ({})",
            if n > b { "▲ up" } else { "▼ down" },
            if n > b { "more often" } else { "less often" }
        ),
        _ => "no figure for the previous window".into(),
    };
    vec![
        Headline {
            label: "Change failure rate".into(),
            value: with_band(pct(now.change_failure_rate), now.cfr_band),
            detail: format!(
                "{} failed of {} deployments; {cfr_trend}",
                fmt_int(now.failed_deployments),
                fmt_int(now.deployments)
            ),
        },
        Headline {
            label: "Deployment frequency".into(),
            value: with_band(opt(now.deploys_per_day, 2) + "/day", now.df_band),
            detail: format!(
                "{} deployment day(s) per week on average; {df_trend}",
                opt(now.deployment_days_per_week, 1)
            ),
        },
    ]
}

/// The delivery section: per service over the window, and a weekly chart.
pub fn change_section(
    rows: &[ChangeRow],
    links: &[Link],
    no_incidents: bool,
    knobs: &ChangeKnobs,
) -> Result<Section> {
    let mut per_service: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r.period.kind == PeriodKind::Window)
        .map(|r| {
            vec![
                if r.service == "*" {
                    "all services".to_string()
                } else {
                    r.service.clone()
                },
                fmt_int(r.deployments),
                fmt_int(r.failed_deployments),
                with_band(pct(r.change_failure_rate), r.cfr_band),
                with_band(opt(r.deploys_per_day, 2), r.df_band),
                opt(r.deployment_days_per_week, 1),
                with_band(opt(r.lead_time_median_hours, 1), r.lead_time_band),
                with_band(opt(r.recovery_median_hours, 1), r.recovery_band),
            ]
        })
        .collect();
    per_service.sort_by_key(|row| row[0] != "all services");
    let weeks: Vec<&ChangeRow> = rows
        .iter()
        .filter(|r| r.period.kind == PeriodKind::Week && r.service == "*")
        .collect();
    let labels: Vec<String> = weeks.iter().map(|w| w.period.label.clone()).collect();
    let deploys: Vec<Option<f64>> = weeks.iter().map(|w| Some(w.deployments as f64)).collect();
    let failed: Vec<Option<f64>> = weeks
        .iter()
        .map(|w| Some(w.failed_deployments as f64))
        .collect();
    let total = window_total(rows);
    let summary = match total {
        Some(t) if t.deployments > 0 => format!(
            "{} production deployment(s) in the window, {} failed: change failure rate {}.",
            fmt_int(t.deployments),
            fmt_int(t.failed_deployments),
            pct(t.change_failure_rate)
        ),
        _ => "No production deployment in the window.".into(),
    };
    let explicit = links.iter().filter(|l| l.link == "explicit").count();
    let inferred = links.len() - explicit;
    let chart_summary = format!(
        "Deployments and failed deployments per week, all services, over {} week(s); weeks with none show 0.",
        labels.len()
    );
    let chart = line_chart(
        "deploys-weekly",
        "Deployments per week, all services",
        &chart_summary,
        &labels,
        "deployments",
        &[
            Line {
                name: "deployments".into(),
                values: deploys,
            },
            Line {
                name: "failed".into(),
                values: failed,
            },
        ],
    )?;
    let mut paragraphs = vec![
        summary,
        format!(
            "Deployments are {} deployments with status success, failed or rolled_back{}; a deployment failed when an incident names it (caused_by_deploy){}{}. CFR = failed / deployments. Frequency counts successful deployments; lead time is finished_at − first_commit_at; recovery runs from a failed deployment to the resolution of its incident. Bands: DORA 2023 State of DevOps thresholds. Tables: change_metrics, incident_links ({} explicit, {} inferred link(s)).",
            knobs.environment,
            if knobs.devlake { " (DevLake profile: successful ones only)" } else { "" },
            if knobs.cfr_counts_failed_status { ", or its status is failed or rolled_back" } else { "" },
            match (knobs.link_inference, knobs.max_link_lag_min) {
                (crate::knobs::LinkInference::Off, _) if !knobs.devlake => String::new(),
                (_, Some(lag)) => format!(", or it is the latest successful deployment of the service before an incident within {lag} minutes"),
                _ => ", or it is the latest successful deployment of the service before an incident (no lag limit)".into(),
            },
            explicit,
            inferred
        ),
    ];
    if no_incidents {
        paragraphs.push("No export of incidents has been loaded: deployments fail by their status alone, and recovery times are not known.".into());
    }
    Ok(Section {
        id: "delivery".into(),
        title: "Delivery (DORA)".into(),
        paragraphs,
        charts: vec![Chart {
            svg: chart,
            summary: chart_summary,
        }],
        tables: vec![Table {
            caption: "Delivery by service over the window".into(),
            columns: [
                "Service",
                "Deployments",
                "Failed",
                "Change failure rate",
                "Deploys per day",
                "Deployment days per week",
                "Lead time median (h)",
                "Recovery median (h)",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, true, true, true, true, true, true, true],
            rows: per_service,
        }],
    })
}
