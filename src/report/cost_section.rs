//! The cost section: cost per player-hour and per DAU over time by region, cost by service per
//! month, the month-over-month volume/rate split, anomalies, commitment efficiency, the
//! unallocated share (a data-quality figure) and restated days; plus `cost_anomaly` actions for
//! the upward anomalies of the 7 days before `as_of`. Formatting only: the figures come from `metrics::cost`.

use std::collections::{BTreeMap, BTreeSet};

use super::charts::{Line, line_chart, stacked_bar_chart};
use super::view::{ActionItem, Chart, Section, Table};
use crate::error::Result;
use crate::metrics::cost::{
    AnomalyRow, Basis, CostPerPlayerRow, EfficiencyRow, Money, RestatedRow, TrendRow,
};
use crate::metrics::periods::PeriodKind;

/// What the section shows.
pub struct CostView<'a> {
    pub per_player: &'a [CostPerPlayerRow],
    pub trends: &'a [TrendRow],
    pub anomalies: &'a [AnomalyRow],
    pub efficiency: &'a [EfficiencyRow],
    pub restated: &'a [RestatedRow],
    pub basis: Basis,
    /// `as_of`'s UTC date: anomalies of the 7 days before it become actions.
    pub as_of: chrono::NaiveDate,
}

fn money(v: Option<Money>, cur: &str) -> String {
    v.map(|m| format!("{:.2} {cur}", m.to_f64()))
        .unwrap_or_else(|| "—".into())
}

fn f(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "—".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1} %", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// The section shown when no cost export has been loaded.
pub fn cost_missing() -> Section {
    Section {
        id: "cost".into(),
        title: "Cost per player".into(),
        paragraphs: vec!["No export of cost (FOCUS cloud bills) has been loaded, so cost per player is not computed.".into()],
        ..Section::default()
    }
}

fn weekly_chart(
    rows: &[CostPerPlayerRow],
    id: &str,
    what: &str,
    get: fn(&CostPerPlayerRow) -> Option<f64>,
) -> Result<Chart> {
    let weeks: Vec<&CostPerPlayerRow> = rows
        .iter()
        .filter(|r| r.period.kind == PeriodKind::Week && r.service == "*")
        .collect();
    let labels: Vec<String> = weeks
        .iter()
        .map(|r| r.period.label.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let regions: BTreeSet<&str> = weeks.iter().map(|r| r.region.as_str()).collect();
    let mut lines = Vec::new();
    for region in &regions {
        let by: BTreeMap<&str, Option<f64>> = weeks
            .iter()
            .filter(|r| r.region == *region)
            .map(|r| (r.period.label.as_str(), get(r)))
            .collect();
        lines.push(Line {
            name: if *region == "*" {
                "all regions".into()
            } else {
                region.to_string()
            },
            values: labels
                .iter()
                .map(|l| by.get(l.as_str()).copied().flatten())
                .collect(),
        });
    }
    let currency = rows.first().map(|r| r.currency.clone()).unwrap_or_default();
    let last = lines
        .iter()
        .find(|l| l.name == "all regions")
        .and_then(|l| l.values.iter().rev().flatten().next().copied());
    let summary = format!(
        "Cost {what} by region per week; all regions in the latest complete week: {} {currency}.",
        f(last, 4)
    );
    let svg = line_chart(
        id,
        &format!("Cost {what} per week"),
        &summary,
        &labels,
        &format!("{currency} {what}"),
        &lines,
    )?;
    Ok(Chart { svg, summary })
}

/// The section and its actions.
pub fn cost_section(v: &CostView<'_>) -> Result<(Section, Vec<ActionItem>)> {
    let window = v
        .per_player
        .iter()
        .find(|r| r.period.kind == PeriodKind::Window && r.region == "*" && r.service == "*");
    let cur = window.map(|r| r.currency.clone()).unwrap_or_default();
    let mut paragraphs = vec![format!(
        "Cost on the {} basis, net of credits (credits and tax shown apart), split pro rata into UTC days; per DAU and per player-hour are ratios of sums over the days both the bill and the player data cover and that are complete (a day completes 72 h after it ends, as cloud bills fill in).",
        v.basis.name()
    )];
    if let Some(w) = window {
        paragraphs.push(format!(
            "Over the window: {} in all, {} per player-hour, {} per DAU, {} per peak concurrent player; {} of the cost could not be allocated to a service (a data-quality figure: tag the resources or extend `[cost.service_map]`).",
            money(w.cost, &cur),
            f(w.cost_per_player_hour, 4),
            f(w.cost_per_dau, 4),
            f(w.cost_per_peak_ccu, 4),
            pct(w.unallocated_share)
        ));
    }
    let mut charts = vec![
        weekly_chart(v.per_player, "cost-ph", "per player-hour", |r| {
            r.cost_per_player_hour
        })?,
        weekly_chart(v.per_player, "cost-dau", "per DAU", |r| r.cost_per_dau)?,
    ];
    charts.retain(|c| !c.svg.is_empty());
    // cost by service per month (all regions)
    let months: Vec<&CostPerPlayerRow> = v
        .per_player
        .iter()
        .filter(|r| r.period.kind == PeriodKind::Month && r.region == "*" && r.service != "*")
        .collect();
    let month_labels: BTreeSet<&str> = months.iter().map(|r| r.period.label.as_str()).collect();
    let services: BTreeSet<&str> = months.iter().map(|r| r.service.as_str()).collect();
    let mut by_service = Table {
        caption: format!("Cost by service per month ({cur})"),
        columns: std::iter::once("Service".to_string())
            .chain(month_labels.iter().map(|m| m.to_string()))
            .collect(),
        numeric: std::iter::once(false)
            .chain(month_labels.iter().map(|_| true))
            .collect(),
        rows: Vec::new(),
    };
    for s in &services {
        let mut row = vec![s.to_string()];
        for m in &month_labels {
            let c = months
                .iter()
                .find(|r| r.service == *s && r.period.label == *m)
                .and_then(|r| r.cost);
            row.push(
                c.map(|c| format!("{:.2}", c.to_f64()))
                    .unwrap_or_else(|| "—".into()),
            );
        }
        by_service.rows.push(row);
    }
    let stacked: Vec<Line> = services
        .iter()
        .map(|s| Line {
            name: s.to_string(),
            values: month_labels
                .iter()
                .map(|m| {
                    months
                        .iter()
                        .find(|r| r.service == *s && r.period.label == *m)
                        .and_then(|r| r.cost)
                        .map(|c| c.to_f64())
                })
                .collect(),
        })
        .collect();
    if !stacked.is_empty() {
        let labels: Vec<String> = month_labels.iter().map(|m| m.to_string()).collect();
        let summary = format!(
            "Cost by service per month, stacked ({cur}); the table below gives the figures."
        );
        let svg = stacked_bar_chart(
            "cost-services",
            "Cost by service per month",
            &summary,
            &labels,
            &cur,
            &stacked,
        )?;
        charts.push(Chart { svg, summary });
    }
    // month over month: more players, or each player cost more
    let split = Table {
        caption: "Month over month: more players (volume) or each player cost more (rate)".into(),
        columns: ["Month", "Cost change", "From volume", "From rate", "Unit"]
            .map(String::from)
            .to_vec(),
        numeric: vec![false, true, true, true, false],
        rows: v
            .trends
            .iter()
            .filter(|t| t.region == "*")
            .filter_map(|t| t.month.as_ref().map(|m| (t, m)))
            .map(|(t, m)| {
                vec![
                    t.period.label.clone(),
                    money(Some(m.cost_change), &cur),
                    money(m.volume_effect, &cur),
                    money(m.rate_effect, &cur),
                    m.unit.unwrap_or("—").to_string(),
                ]
            })
            .collect(),
    };
    let mut tables = vec![by_service, split];
    if !v.anomalies.is_empty() {
        tables.push(Table {
            caption: "Cost anomalies (robust z-score against the trailing 28 complete days, above an absolute floor)".into(),
            columns: ["Day", "Service", "Cost", "Baseline (median)", "Change", "z"].map(String::from).to_vec(),
            numeric: vec![false, false, true, true, true, true],
            rows: v
                .anomalies
                .iter()
                .rev()
                .take(15)
                .map(|a| {
                    vec![
                        a.date.to_string(),
                        a.service.clone(),
                        money(Some(a.cost), &a.currency),
                        money(Some(a.baseline_median), &a.currency),
                        money(Some(a.change), &a.currency),
                        f(a.robust_z, 1),
                    ]
                })
                .collect(),
        });
    }
    let commitments: Vec<&EfficiencyRow> = v
        .efficiency
        .iter()
        .filter(|e| e.period.kind == PeriodKind::Window)
        .collect();
    if !commitments.is_empty() {
        tables.push(Table {
            caption: "Commitments over the window".into(),
            columns: [
                "Commitment",
                "Utilisation",
                "Unused cost",
                "Effective savings rate",
                "Spot share",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, true, true, true, true],
            rows: commitments
                .iter()
                .map(|e| {
                    vec![
                        e.commitment_id.clone(),
                        pct(e.utilisation),
                        money(Some(e.unused_cost), &e.currency),
                        pct(e.effective_savings_rate),
                        pct(e.spot_share),
                    ]
                })
                .collect(),
        });
    }
    let mut restated_days: BTreeMap<chrono::NaiveDate, (Money, Money)> = BTreeMap::new();
    for r in v.restated {
        let e = restated_days.entry(r.date).or_default();
        e.0 += r.change;
        e.1 += r.corrections;
    }
    if restated_days.is_empty() {
        paragraphs.push("No day's cost changed since the last run (no restatement).".into());
    } else {
        paragraphs.push(format!(
            "{} day(s) were restated since the last run (a re-delivered bill or a correction changed them).",
            restated_days.len()
        ));
        tables.push(Table {
            caption: "Restated days since the last run".into(),
            columns: ["Day", "Change", "Of which corrections"]
                .map(String::from)
                .to_vec(),
            numeric: vec![false, true, true],
            rows: restated_days
                .iter()
                .map(|(d, (c, k))| {
                    vec![d.to_string(), money(Some(*c), &cur), money(Some(*k), &cur)]
                })
                .collect(),
        });
    }
    let actions = v
        .anomalies
        .iter()
        .filter(|a| a.direction == "up" && (v.as_of - a.date).num_days() <= 7)
        .map(|a| ActionItem {
            severity: "warning".into(),
            kind: "cost_anomaly".into(),
            subject: a.service.clone(),
            message: format!(
                "cost on {} was {} against a usual {} (+{}): check what changed",
                a.date,
                money(Some(a.cost), &a.currency),
                money(Some(a.baseline_median), &a.currency),
                money(Some(a.change), &a.currency)
            ),
            due_date: String::new(),
        })
        .collect();
    Ok((
        Section {
            id: "cost".into(),
            title: "Cost per player".into(),
            paragraphs,
            charts,
            tables,
        },
        actions,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn anomaly(date: &str, direction: &'static str) -> AnomalyRow {
        AnomalyRow {
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            service: "store <b>".into(),
            cost: Money::from_units(200),
            baseline_median: Money::from_units(100),
            baseline_mad: Money::from_units(5),
            baseline_days: 28,
            robust_z: Some(13.5),
            change: Money::from_units(100),
            direction,
            currency: "USD".into(),
        }
    }

    #[test]
    fn only_the_last_weeks_upward_anomalies_need_action() {
        let anomalies = vec![
            anomaly("2026-10-01", "up"),   // 24 days before as_of: shown, no action
            anomaly("2026-10-20", "up"),   // 5 days before: an action
            anomaly("2026-10-22", "down"), // cheaper: no action
        ];
        let v = CostView {
            per_player: &[],
            trends: &[],
            anomalies: &anomalies,
            efficiency: &[],
            restated: &[],
            basis: Basis::Effective,
            as_of: NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(),
        };
        let (section, actions) = cost_section(&v).unwrap();
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0].kind, "cost_anomaly");
        assert!(
            actions[0]
                .message
                .starts_with("cost on 2026-10-20 was 200.00 USD against a usual 100.00 USD")
        );
        // every anomaly is listed in the section's table
        let table = section
            .tables
            .iter()
            .find(|t| t.caption.starts_with("Cost anomalies"))
            .unwrap();
        assert_eq!(table.rows.len(), 3);
    }
}
