//! The capacity section: per region a forecast chart (history, median, 80 % and 95 % bands,
//! capacity, events, exhaustion), the plan sorted by order-by date with what to order, and the
//! backtest figures beside the model chosen; plus the `capacity_order` actions. Formatting
//! only: every figure comes from `forecast` through `commands::forecast`.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::forecast_chart::{BandDay, ForecastChart, forecast_chart};
use super::html::fmt_int;
use super::view::{ActionItem, Chart, Section, Table};
use crate::commands::forecast::RegionResult;
use crate::error::Result;
use crate::forecast::{PlanKnobs, capacity_by_day, capacity_ccu};

const DAY_US: i64 = 86_400_000_000;

fn ccu(v: Option<f64>) -> String {
    v.map(|x| fmt_int(x.round().max(0.0) as u64))
        .unwrap_or_else(|| "—".into())
}

fn date(v: Option<NaiveDate>) -> String {
    v.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

fn f(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "—".into())
}

fn day_us(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(0)
}

/// The section shown when there is no forecast.
pub fn capacity_missing(has_ccu: bool) -> Section {
    let text = if has_ccu {
        "No region has enough CCU history to forecast (at least a week of hourly samples is needed), so there is no capacity plan."
    } else {
        "No export of ccu (concurrent players) has been loaded, so nothing is forecast and there is no capacity plan."
    };
    Section {
        id: "capacity".into(),
        title: "Capacity forecast".into(),
        paragraphs: vec![text.into()],
        ..Section::default()
    }
}

fn chart(r: &RegionResult, knobs: &PlanKnobs, id: usize) -> Result<Chart> {
    let h = &r.history;
    let shown_from = h.start_us + (h.values.len() as i64 - 28 * 24).max(0) * 3_600_000_000;
    let history: Vec<(i64, Option<f64>)> = h
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| (h.start_us + i as i64 * 3_600_000_000, *v))
        .filter(|(t, _)| *t >= shown_from)
        .collect();
    let forecast: Vec<BandDay> = r
        .forecast
        .daily
        .iter()
        .map(|d| BandDay {
            day_us: day_us(d.date),
            median: d.median,
            lo80: d.lo80,
            hi80: d.hi80,
            lo95: d.lo95,
            hi95: d.hi95,
        })
        .collect();
    let first = history.first().map(|x| x.0).unwrap_or(shown_from);
    let last = forecast.last().map(|d| d.day_us + DAY_US).unwrap_or(first);
    let days: Vec<NaiveDate> = (0..((last - first) / DAY_US).max(0))
        .filter_map(|k| DateTime::from_timestamp_micros(first + k * DAY_US).map(|t| t.date_naive()))
        .collect();
    let capacity: Vec<(i64, Option<f64>)> = if r.capacity.is_empty() {
        Vec::new()
    } else {
        days.iter()
            .zip(capacity_by_day(&r.capacity, &days))
            .map(|(d, c)| (day_us(*d), c.map(|c| capacity_ccu(&c, knobs))))
            .collect()
    };
    let events: Vec<(i64, i64)> = r
        .forecast
        .daily
        .iter()
        .filter(|d| d.event.is_some())
        .map(|d| (day_us(d.date), day_us(d.date) + DAY_US))
        .collect();
    let c = ForecastChart {
        history,
        forecast,
        capacity,
        events,
        exhaustion_us: r.plan.exhaustion_date_hi95.map(day_us),
    };
    let name = if r.region == "*" {
        "all regions".to_string()
    } else {
        r.region.clone()
    };
    let summary = format!(
        "{name}: daily peak forecast up to {} CCU (95 % band up to {}); capacity now {}; earliest plausible exhaustion {}; model {} (backtest MASE {}).",
        ccu(r.plan.forecast_peak_ccu),
        ccu(r.plan.hi95_peak_ccu),
        ccu(r.plan.current_capacity_ccu),
        date(r.plan.exhaustion_date_hi95),
        r.plan.model,
        f(r.plan.backtest_mase, 2)
    );
    let svg = forecast_chart(
        &format!("capacity-{id}"),
        &format!("Concurrent players and forecast: {name}"),
        &summary,
        &c,
    )?;
    Ok(Chart { svg, summary })
}

/// The section and its actions.
pub fn capacity_section(
    results: &[RegionResult],
    as_of: DateTime<Utc>,
    horizon_days: u32,
    knobs: &PlanKnobs,
) -> Result<(Section, Vec<ActionItem>)> {
    let mut sorted: Vec<&RegionResult> = results.iter().collect();
    sorted.sort_by_key(|r| {
        (
            r.region == "*",
            r.plan.order_by_date.is_none(),
            r.plan.order_by_date,
            r.region.clone(),
        )
    });
    let today = as_of.date_naive();
    let horizon_end = today + Duration::days(i64::from(horizon_days));
    let mut actions = Vec::new();
    for r in sorted.iter().filter(|r| r.region != "*") {
        let p = &r.plan;
        if p.cannot_cover {
            actions.push(ActionItem {
                severity: "error".into(),
                kind: "cannot_cover".into(),
                subject: r.region.clone(),
                message: format!(
                    "even max_instances cannot carry the forecast peak (95 % band up to {} CCU): raise the region's limit or move players",
                    ccu(p.hi95_peak_ccu)
                ),
                due_date: date(p.order_by_date).replace('—', ""),
            });
        }
        if let Some(order_by) = p.order_by_date.filter(|d| *d <= horizon_end) {
            let late = order_by <= today;
            actions.push(ActionItem {
                severity: if late { "error" } else { "warning" }.into(),
                kind: "capacity_order".into(),
                subject: r.region.clone(),
                message: format!(
                    "order {} instance(s){} by {order_by}: capacity may run out on {} (95 % band){}",
                    p.instances_to_add.unwrap_or(0),
                    p.order_cost_per_month
                        .map(|c| format!(" (about {} per month)", fmt_int(c.round().max(0.0) as u64)))
                        .unwrap_or_default(),
                    date(p.exhaustion_date_hi95),
                    if late { "; the order is already late" } else { "" }
                ),
                due_date: order_by.to_string(),
            });
        }
    }
    let plan = Table {
        caption: "Capacity plan by order-by date".into(),
        columns: [
            "Region",
            "Capacity now (CCU)",
            "Peak forecast (median)",
            "Peak forecast (95 %)",
            "Runs out (earliest plausible)",
            "Runs out (median)",
            "Order by",
            "Instances to add",
            "Cost per month",
            "Model",
            "History lag (h)",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![
            false, true, true, true, false, false, false, true, true, false, true,
        ],
        rows: sorted
            .iter()
            .map(|r| {
                let p = &r.plan;
                vec![
                    r.region.clone(),
                    ccu(p.current_capacity_ccu),
                    ccu(p.forecast_peak_ccu),
                    ccu(p.hi95_peak_ccu),
                    date(p.exhaustion_date_hi95),
                    date(p.exhaustion_date_median),
                    date(p.order_by_date),
                    p.instances_to_add
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "—".into()),
                    p.order_cost_per_month
                        .map(|c| fmt_int(c.round().max(0.0) as u64))
                        .unwrap_or_else(|| "—".into()),
                    p.model.clone(),
                    f(r.history_lag_hours, 1),
                ]
            })
            .collect(),
    };
    let backtest = Table {
        caption:
            "Backtest (mean over rolling-origin windows): how much to trust each region's forecast"
                .into(),
        columns: [
            "Region",
            "Model",
            "Chosen",
            "MASE",
            "sMAPE",
            "Daily-peak MAPE %",
            "95 % coverage",
            "80 % coverage",
            "95 % excess %",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, false, true, true, true, true, true, true],
        rows: sorted
            .iter()
            .flat_map(|r| {
                r.forecast
                    .backtest
                    .iter()
                    .filter(|b| b.window == 0)
                    .map(move |b| {
                        vec![
                            r.region.clone(),
                            b.model.clone(),
                            if b.chosen { "yes" } else { "" }.into(),
                            f(b.mase, 2),
                            f(b.smape, 1),
                            f(b.dpeak_mape, 1),
                            f(b.dpeak_cov95, 2),
                            f(b.dpeak_cov80, 2),
                            f(b.dpeak_excess95, 1),
                        ]
                    })
            })
            .collect(),
    };
    let mut charts = Vec::new();
    for (k, r) in sorted.iter().enumerate() {
        charts.push(chart(r, knobs, k)?);
    }
    let masked: u32 = results.iter().map(|r| r.masked_incident_hours).sum();
    let gaps: usize = results.iter().map(|r| r.gaps).sum();
    let paragraphs = vec![
        format!(
            "Each region's hourly peak of concurrent players is forecast {horizon_days} days ahead; the model with the best rolling-origin backtest (MASE against the weekly seasonal naive, which is always a candidate) is used, and the 80 % and 95 % bands of the daily peak are calibrated on the backtest's errors. Capacity is provisioned at the 95 % band: required instances = ⌈hi95 × (1 + {}) / (players per instance × {})⌉ + {}.",
            knobs.headroom, knobs.target_utilisation, knobs.redundancy_instances
        ),
        "\"Runs out (earliest plausible)\" is the first day the 95 % band exceeds the capacity in force that day (scheduled capacity included); the order-by date is that day less the provisioning lead time.".into(),
        format!("{masked} hour(s) inside outage windows were masked before fitting; the series had {gaps} gap(s), never filled with zeros."),
    ];
    Ok((
        Section {
            id: "capacity".into(),
            title: "Capacity forecast".into(),
            paragraphs,
            charts,
            tables: vec![plan, backtest],
        },
        actions,
    ))
}
