//! The SLO section of the report and its actions (burn alerts, spent error budgets), built from
//! the rows of `slo_metrics`. Formatting only: no figure is computed here.

use polars::prelude::*;

use super::charts::{Line, line_chart};
use super::view::{ActionItem, Chart, Section, Table};
use crate::error::{PolarsContext, Result};
use crate::metrics::columns::{reals as num, texts as text};
use crate::metrics::slo::SloKnobs;

/// The section shown when no SLO export has been loaded.
pub fn slo_missing() -> Section {
    Section {
        id: "slo".into(),
        title: "Service levels".into(),
        paragraphs: vec!["No export of slo (request metrics) has been loaded, so availability, error budgets and burn rates are not computed.".into()],
        ..Section::default()
    }
}

fn flag(df: &DataFrame, c: &str) -> Result<Vec<Option<bool>>> {
    let col = df.column(c).ctx(|| format!("slo_metrics column {c}"))?;
    Ok(col
        .bool()
        .ctx(|| format!("slo_metrics column {c}"))?
        .iter()
        .collect())
}

fn f(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "—".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.3} %", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// The section (per service × region over the SLO window, and daily burn per service) and the
/// actions its rows call for.
pub fn slo_section(table: &DataFrame, knobs: &SloKnobs) -> Result<(Section, Vec<ActionItem>)> {
    let kind = text(table, "period_kind")?;
    let period = text(table, "period")?;
    let service = text(table, "service")?;
    let region = text(table, "region")?;
    let avail = num(table, "availability")?;
    let target = num(table, "slo_target")?;
    let budget = num(table, "error_budget_remaining")?;
    let burn = num(table, "burn_rate")?;
    let b1 = num(table, "burn_rate_1h")?;
    let b6 = num(table, "burn_rate_6h")?;
    let fast = flag(table, "fast_burn_alert")?;
    let slow = flag(table, "slow_burn_alert")?;
    let lag = num(table, "data_lag_min")?;
    let mut rows = Vec::new();
    let mut actions = Vec::new();
    for i in 0..table.height() {
        if kind[i].as_deref() != Some("slo_window") {
            continue;
        }
        let svc = service[i].clone().unwrap_or_default();
        let reg = region[i].clone().unwrap_or_default();
        let subject = if reg == "*" {
            svc.clone()
        } else {
            format!("{svc} in {reg}")
        };
        if svc != "*" {
            if fast[i] == Some(true) {
                actions.push(ActionItem {
                    severity: "error".into(),
                    kind: "fast_burn".into(),
                    subject: subject.clone(),
                    message: format!(
                        "error budget burning fast: {}× over 1 h, {}× over 6 h",
                        f(b1[i], 1),
                        f(b6[i], 1)
                    ),
                    ..Default::default()
                });
            } else if slow[i] == Some(true) {
                actions.push(ActionItem {
                    severity: "warning".into(),
                    kind: "slow_burn".into(),
                    subject: subject.clone(),
                    message: format!(
                        "error budget burning faster than the SLO allows (6 h burn {}×)",
                        f(b6[i], 1)
                    ),
                    ..Default::default()
                });
            }
            if reg == "*" && budget[i].is_some_and(|b| b <= 0.0) {
                actions.push(ActionItem {
                    severity: "error".into(),
                    kind: "error_budget".into(),
                    subject: subject.clone(),
                    message: format!(
                        "error budget spent: {} remaining of the SLO window",
                        pct(budget[i])
                    ),
                    ..Default::default()
                });
            }
        }
        rows.push(vec![
            if svc == "*" {
                "all services".to_string()
            } else {
                svc
            },
            if reg == "*" {
                "all regions".to_string()
            } else {
                reg
            },
            pct(avail[i]),
            pct(target[i]),
            pct(budget[i]),
            f(b1[i], 2),
            f(b6[i], 2),
            match (fast[i], slow[i]) {
                (Some(true), _) => "fast burn".into(),
                (_, Some(true)) => "slow burn".into(),
                (Some(false), Some(false)) => "none".into(),
                _ => "—".into(),
            },
            f(lag[i], 0),
        ]);
    }
    // daily burn rate per service (all regions)
    let mut services: Vec<String> = Vec::new();
    let mut days: Vec<String> = Vec::new();
    for i in 0..table.height() {
        if kind[i].as_deref() == Some("day") && region[i].as_deref() == Some("*") {
            let svc = service[i].clone().unwrap_or_default();
            if svc != "*" && !services.contains(&svc) {
                services.push(svc);
            }
            let d = period[i].clone().unwrap_or_default();
            if !days.contains(&d) {
                days.push(d);
            }
        }
    }
    days.sort();
    let lines: Vec<Line> = services
        .iter()
        .map(|svc| Line {
            name: svc.clone(),
            values: days
                .iter()
                .map(|d| {
                    (0..table.height())
                        .find(|&i| {
                            kind[i].as_deref() == Some("day")
                                && region[i].as_deref() == Some("*")
                                && service[i].as_deref() == Some(svc.as_str())
                                && period[i].as_deref() == Some(d.as_str())
                        })
                        .and_then(|i| burn[i])
                })
                .collect(),
        })
        .collect();
    let summary = format!(
        "Daily error-budget burn rate per service, all regions, over {} day(s): 1.0 spends exactly the budget over the SLO window; days with no requests are gaps.",
        days.len()
    );
    let chart = line_chart(
        "slo-burn",
        "Error budget burn rate per day, by service",
        &summary,
        &days,
        "burn rate (× allowed)",
        &lines,
    )?;
    let section = Section {
        id: "slo".into(),
        title: "Service levels".into(),
        paragraphs: vec![format!(
            "Availability = 1 − errors / requests; error budget remaining = 1 − errors / ((1 − target) × requests) over the SLO window ({} days ending at as_of, default target {:.1} %); burn rates over 1 h and 6 h ending at the newest row. Alerts follow the Google SRE workbook: fast = 14.4× over 1 h and 5 min, or 6× over 6 h and 30 min; slow = 1× over 3 days and 6 h. Table: slo_metrics.",
            knobs.default_target.window_days,
            knobs.default_target.availability * 100.0
        )],
        charts: vec![Chart {
            svg: chart,
            summary,
        }],
        tables: vec![Table {
            caption: "SLO window by service and region".into(),
            columns: [
                "Service",
                "Region",
                "Availability",
                "Target",
                "Budget remaining",
                "Burn 1 h",
                "Burn 6 h",
                "Alert",
                "Data lag (min)",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, false, true, true, true, true, true, false, true],
            rows,
        }],
    };
    Ok((section, actions))
}
