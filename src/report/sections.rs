//! Metric sections of the report, built from the rows of the output tables (so every figure
//! shown is a row of a table in `OUT/tables/`). Formatting only: no figure is computed here.

use super::charts::{Line, line_chart};
use super::html::fmt_int;
use super::view::{Chart, Headline, Section, Table};
use crate::error::Result;
use crate::metrics::incidents::IncidentRow;
use crate::metrics::periods::PeriodKind;
use crate::metrics::reliability::ReliabilityRow;

/// A table whose `numeric` flags always match its columns.
fn table(caption: &str, columns: &[(&str, bool)], rows: Vec<Vec<String>>) -> Table {
    Table {
        caption: caption.to_string(),
        columns: columns.iter().map(|(c, _)| c.to_string()).collect(),
        numeric: columns.iter().map(|(_, n)| *n).collect(),
        rows,
    }
}

/// Minutes as text: `—` when there is no value (never a zero for missing data).
fn min(v: Option<f64>) -> String {
    v.map(|m| format!("{m:.1}")).unwrap_or_else(|| "—".into())
}

fn hours(v: Option<f64>) -> String {
    v.map(|h| format!("{h:.1}")).unwrap_or_else(|| "—".into())
}

fn pct(v: f64) -> String {
    format!("{:.3} %", v * 100.0)
}

/// The section shown when the incidents dataset has no export.
pub fn reliability_missing() -> Section {
    Section {
        id: "reliability".into(),
        title: "Reliability".into(),
        paragraphs: vec!["No export of incidents has been loaded, so MTTR, MTBF and availability are not computed.".into()],
        ..Section::default()
    }
}

/// The reliability section: per service over the window, then month by month for all services.
pub fn reliability_section(
    incidents: &[IncidentRow],
    reliability: &[ReliabilityRow],
    median: &str,
    outage_severities: &str,
) -> Result<Section> {
    let window_inc = |svc: &str| {
        incidents
            .iter()
            .find(|r| r.period.kind == PeriodKind::Window && r.service == svc && r.severity == "*")
    };
    let mut per_service = Vec::new();
    for r in reliability
        .iter()
        .filter(|r| r.period.kind == PeriodKind::Window)
    {
        let inc = window_inc(&r.service);
        per_service.push(vec![
            if r.service == "*" {
                "all services".to_string()
            } else {
                r.service.clone()
            },
            inc.map(|i| fmt_int(i.incidents))
                .unwrap_or_else(|| "0".into()),
            inc.map(|i| fmt_int(i.open)).unwrap_or_else(|| "0".into()),
            min(inc.and_then(|i| i.mttr_median_min)),
            min(inc.and_then(|i| i.mttr_p90_min)),
            min(inc.and_then(|i| i.mtta_median_min)),
            fmt_int(r.outages),
            format!("{:.1}", r.downtime_min),
            hours(r.mtbf_hours),
            pct(r.availability),
        ]);
    }
    // "all services" first
    per_service.sort_by_key(|row| row[0] != "all services");
    let monthly: Vec<Vec<String>> = reliability
        .iter()
        .filter(|r| r.period.kind == PeriodKind::Month && r.service == "*")
        .map(|r| {
            let inc = incidents.iter().find(|i| {
                i.period.kind == PeriodKind::Month
                    && i.period.label == r.period.label
                    && i.service == "*"
                    && i.severity == "*"
            });
            vec![
                r.period.label.clone(),
                inc.map(|i| fmt_int(i.incidents))
                    .unwrap_or_else(|| "0".into()),
                min(inc.and_then(|i| i.mttr_median_min)),
                min(inc.and_then(|i| i.mttr_p90_min)),
                fmt_int(r.outages),
                hours(r.mtbf_hours),
                pct(r.availability),
            ]
        })
        .collect();
    let total = window_inc("*");
    let summary = match total {
        Some(t) if t.incidents > 0 => format!(
            "{} incident(s) opened in the window, {} still open; median time to resolve {} minutes over {} resolved.",
            fmt_int(t.incidents),
            fmt_int(t.open),
            min(t.mttr_median_min),
            fmt_int(t.mttr_n)
        ),
        _ => "No incident opened in the window.".into(),
    };
    let months: Vec<&IncidentRow> = incidents
        .iter()
        .filter(|i| i.period.kind == PeriodKind::Month && i.service == "*" && i.severity == "*")
        .collect();
    let labels: Vec<String> = months.iter().map(|m| m.period.label.clone()).collect();
    let med: Vec<Option<f64>> = months.iter().map(|m| m.mttr_median_min).collect();
    let p90: Vec<Option<f64>> = months.iter().map(|m| m.mttr_p90_min).collect();
    let chart_summary = match (med.iter().rev().flatten().next(), labels.last()) {
        (Some(last), Some(label)) => format!(
            "Monthly time to resolve, all services: the median in {label} was {last:.1} minutes; months with no resolved incident are left as gaps, not zeros."
        ),
        _ => "No incident was resolved in any month of the window.".to_string(),
    };
    let chart = line_chart(
        "mttr-monthly",
        "Time to resolve by month, all services",
        &chart_summary,
        &labels,
        "minutes",
        &[
            Line {
                name: format!("median ({median})"),
                values: med,
            },
            Line {
                name: "p90".into(),
                values: p90,
            },
        ],
    )?;
    Ok(Section {
        id: "reliability".into(),
        title: "Reliability".into(),
        charts: vec![Chart {
            svg: chart,
            summary: chart_summary,
        }],
        paragraphs: vec![
            summary,
            format!(
                "MTTR is resolved_at − opened_at per incident resolved by as_of, counted in the period the incident opened ({median} median; p90 interpolated). Open incidents are counted, never averaged in. Outages are {outage_severities} incidents; overlapping or touching outages of a service merge into one episode. Planned maintenance for the whole game (events of kind maintenance) is shown apart and, unless metrics.maintenance_is_downtime, is not downtime: MTBF = (period − maintenance − downtime) / outages, empty when there was no outage; availability = 1 − downtime / (period − maintenance). Tables: incident_metrics, reliability."
            ),
        ],
        tables: vec![
            table(
                "Reliability by service over the window",
                &[
                    ("Service", false),
                    ("Incidents", true),
                    ("Open", true),
                    ("MTTR median (min)", true),
                    ("MTTR p90 (min)", true),
                    ("MTTA median (min)", true),
                    ("Outages", true),
                    ("Downtime (min)", true),
                    ("MTBF (h)", true),
                    ("Availability", true),
                ],
                per_service,
            ),
            table(
                "Reliability by month, all services",
                &[
                    ("Month", false),
                    ("Incidents", true),
                    ("MTTR median (min)", true),
                    ("MTTR p90 (min)", true),
                    ("Outages", true),
                    ("MTBF (h)", true),
                    ("Availability", true),
                ],
                monthly,
            ),
        ],
    })
}

/// Words for a change between two values where lower is better (or higher, with `higher_better`).
fn trend(
    now: f64,
    before: Option<f64>,
    higher_better: bool,
    fmt: &dyn Fn(f64) -> String,
) -> String {
    match before {
        None => "no figure for the previous window".to_string(),
        Some(b) if (now - b).abs() < 1e-9 => {
            format!("unchanged from the previous window ({})", fmt(b))
        }
        Some(b) => {
            let up = now > b;
            let better = up == higher_better;
            format!(
                "{} from {} in the previous window ({})",
                if up { "▲ up" } else { "▼ down" },
                fmt(b),
                if better { "better" } else { "worse" }
            )
        }
    }
}

/// Headline figures: MTTR median and availability over the window, with the trend against the
/// previous window of the same length.
pub fn reliability_headline(
    incidents: &[IncidentRow],
    reliability: &[ReliabilityRow],
    prev_incidents: &[IncidentRow],
    prev_reliability: &[ReliabilityRow],
) -> Vec<Headline> {
    let total = |rows: &[IncidentRow]| {
        rows.iter()
            .find(|r| r.period.kind == PeriodKind::Window && r.service == "*" && r.severity == "*")
            .cloned()
    };
    let avail = |rows: &[ReliabilityRow]| {
        rows.iter()
            .find(|r| r.period.kind == PeriodKind::Window && r.service == "*")
            .map(|r| r.availability)
    };
    let mut out = Vec::new();
    let now = total(incidents);
    let before = total(prev_incidents);
    out.push(match now.as_ref().and_then(|n| n.mttr_median_min) {
        Some(m) => Headline {
            label: "MTTR median".into(),
            value: format!(
                "{m:.1} min ({})",
                crate::metrics::changes::recovery_band(m / 60.0)
            ),
            detail: format!(
                "over {} resolved incident(s), DORA time-to-restore band; {}",
                fmt_int(now.as_ref().map(|n| n.mttr_n).unwrap_or(0)),
                trend(
                    m,
                    before.and_then(|b| b.mttr_median_min),
                    false,
                    &|v| format!("{v:.1} min")
                )
            ),
        },
        None => Headline {
            label: "MTTR median".into(),
            value: "—".into(),
            detail: "no incident was resolved in the window".into(),
        },
    });
    if let Some(a) = avail(reliability) {
        out.push(Headline {
            label: "Availability, all services".into(),
            value: pct(a),
            detail: trend(a, avail(prev_reliability), true, &|v| pct(v)),
        });
    }
    out
}

/// The section shown when no CCU export has been loaded.
pub fn impact_missing() -> Section {
    Section {
        id: "impact".into(),
        title: "Player impact".into(),
        paragraphs: vec!["No export of ccu (concurrent players) has been loaded, so player-minutes lost are not computed.".into()],
        ..Section::default()
    }
}

/// The player-impact section: the ten incidents that cost players most, from `incident_impact`.
pub fn impact_section(impact: &polars::prelude::DataFrame, shares: [f64; 5]) -> Result<Section> {
    use crate::error::PolarsContext;
    use polars::prelude::*;
    let top = impact
        .clone()
        .lazy()
        .filter(col("player_minutes_lost").gt(lit(0.0)))
        .sort(
            ["player_minutes_lost"],
            SortMultipleOptions::default()
                .with_order_descending(true)
                .with_maintain_order(true),
        )
        .limit(10)
        .collect()
        .ctx(|| "ranking incidents by player-minutes lost".into())?;
    let s = |c: &str| -> Result<Vec<String>> {
        let col = top
            .column(c)
            .ctx(|| format!("incident_impact column {c}"))?
            .cast(&DataType::String)
            .ctx(|| c.to_string())?;
        Ok(col
            .str()
            .ctx(|| c.to_string())?
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect())
    };
    let f = |c: &str| -> Result<Vec<Option<f64>>> {
        let col = top
            .column(c)
            .ctx(|| format!("incident_impact column {c}"))?
            .cast(&DataType::Float64)
            .ctx(|| c.to_string())?;
        Ok(col.f64().ctx(|| c.to_string())?.iter().collect())
    };
    let (ids, services, regions, severities) = (
        s("incident_id")?,
        s("service")?,
        s("region")?,
        s("severity")?,
    );
    let (minutes, coverage) = (f("player_minutes_lost")?, f("ccu_coverage")?);
    let rows: Vec<Vec<String>> = (0..top.height())
        .map(|i| {
            vec![
                ids[i].clone(),
                services[i].clone(),
                if regions[i].is_empty() {
                    "all regions".into()
                } else {
                    regions[i].clone()
                },
                severities[i].clone(),
                minutes[i]
                    .map(|m| fmt_int(m.round() as u64))
                    .unwrap_or_else(|| "—".into()),
                coverage[i]
                    .map(|c| format!("{:.0} %", c * 100.0))
                    .unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    let total: f64 = impact
        .column("player_minutes_lost")
        .ctx(|| "player_minutes_lost".into())?
        .f64()
        .ctx(|| "player_minutes_lost".into())?
        .iter()
        .flatten()
        .sum();
    let summary = match rows.first() {
        Some(first) => format!(
            "Incidents cost {} player-minutes in all; the costliest, {} ({}), cost {}.",
            fmt_int(total.round() as u64),
            first[0],
            first[1],
            first[4]
        ),
        None => "No incident cost players any minutes in the window.".into(),
    };
    let mut charts = Vec::new();
    if !rows.is_empty() {
        let labels: Vec<String> = rows.iter().map(|r| format!("{} {}", r[0], r[1])).collect();
        let values: Vec<f64> = minutes.iter().map(|m| m.unwrap_or(0.0)).collect();
        let svg = super::charts::bar_chart(
            "impact-top",
            "Top incidents by player-minutes lost",
            &summary,
            &labels,
            &values,
            "player-minutes lost",
        )?;
        charts.push(Chart {
            svg,
            summary: summary.clone(),
        });
    }
    Ok(Section {
        id: "impact".into(),
        title: "Player impact".into(),
        paragraphs: vec![
            summary,
            format!(
                "Player-minutes lost = the CCU of the incident's region (all regions when it names none), summed over shards and integrated from opened_at to mitigated_at (else resolved_at, else as_of), times the severity's impact share (metrics.impact_share: SEV1 {}, SEV2 {}, SEV3 {}, SEV4 {}, SEV5 {}). A CCU sample holds until the next one for at most 15 minutes; longer gaps are uncovered, shown as coverage below 100 %. Tables: incident_impact, incident_metrics.player_minutes_lost.",
                shares[0], shares[1], shares[2], shares[3], shares[4]
            ),
        ],
        charts,
        tables: vec![table(
            "Top 10 incidents by player-minutes lost",
            &[
                ("Incident", false),
                ("Service", false),
                ("Region", false),
                ("Severity", false),
                ("Player-minutes lost", true),
                ("CCU coverage", true),
            ],
            rows,
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trends_say_direction_and_whether_it_is_better() {
        let f = |v: f64| format!("{v:.1} min");
        assert_eq!(
            trend(90.0, Some(120.0), false, &f),
            "▼ down from 120.0 min in the previous window (better)"
        );
        assert_eq!(
            trend(0.999, Some(0.9995), true, &|v| pct(v)),
            "▼ down from 99.950 % in the previous window (worse)"
        );
        assert_eq!(
            trend(5.0, None, false, &f),
            "no figure for the previous window"
        );
        assert_eq!(min(None), "—");
    }
}
