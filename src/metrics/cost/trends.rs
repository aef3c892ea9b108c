//! `cost_trends` (period × region): trailing unit costs per day, and the month-over-month
//! change in cost split into "more players" (volume) and "each player cost more" (rate).
//!
//! Two kinds of rows, each with the usual period columns (UTC):
//! - **`day`** rows, one per complete day of the window and region (and `*`): the 7- and
//!   28-day trailing cost per DAU and per player-hour ending that day, each a ratio of sums
//!   over the complete days of the trailing span on which the region has that figure;
//!   `days_7d`/`days_28d` count the complete days of the span. Incomplete days never enter.
//! - **`month`** rows, one per calendar month the window touches and region: the month's
//!   cost and units against the previous calendar month's, both over their complete days
//!   with the unit. The unit is player-hours when both months have them, else player-days
//!   (DAU summed over days), else none (no split). With `r = C / U`:
//!
//!   `ΔC = C₁ − C₀ = (U₁ − U₀)·r₀  +  (r₁ − r₀)·U₁`
//!
//!   `volume_effect = C₀ · (U₁ − U₀) / U₀` (exact on units counted to 1e-6, rounded
//!   half-to-even to 1e-12) and `rate_effect = ΔC − volume_effect`, so the two add up to
//!   `cost_change` exactly. Empty when the previous month has no units.
//!
//! Regions are those with cost in the ledger except `global` (no players), and `*`. Pass the
//! ledger and player data from at least 28 days and one calendar month before the window, or
//! the first rows see less history (the day counts say so).

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::*;

use super::ledger::{CostLedger, day_start};
use super::money::{Money, Rounding, money_column};
use super::per_player::{CostWindow, by_date, dim_order};
use super::players::PlayerActivity;
use super::settings::{ALL, GLOBAL};
use crate::error::{PolarsContext, Result};
use crate::metrics::columns::column;
use crate::metrics::incidents::period_columns;
use crate::metrics::periods::{Period, PeriodKind};

/// The trailing figures of a `day` row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trailing {
    pub cost_per_dau_7d: Option<f64>,
    pub cost_per_player_hour_7d: Option<f64>,
    pub days_7d: u32,
    pub cost_per_dau_28d: Option<f64>,
    pub cost_per_player_hour_28d: Option<f64>,
    pub days_28d: u32,
}

/// The month-over-month split of a `month` row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MonthSplit {
    /// `player_hours` or `player_days`; `None` when neither month has units.
    pub unit: Option<&'static str>,
    pub cost: Money,
    pub units: Option<f64>,
    pub days: u32,
    pub prev_cost: Money,
    pub prev_units: Option<f64>,
    pub prev_days: u32,
    pub cost_change: Money,
    pub volume_effect: Option<Money>,
    pub rate_effect: Option<Money>,
}

/// One row of `cost_trends`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendRow {
    pub period: Period,
    pub region: String,
    pub trailing: Option<Trailing>,
    pub month: Option<MonthSplit>,
    pub currency: String,
}

/// Daily cost per region (and `*`), over all services.
fn region_costs(ledger: &CostLedger) -> HashMap<(NaiveDate, String), Money> {
    let mut out: HashMap<(NaiveDate, String), Money> = HashMap::new();
    for (date, slices) in by_date(ledger) {
        for (region, _, s) in slices {
            *out.entry((date, region.to_string())).or_default() += s.cost;
            *out.entry((date, ALL.to_string())).or_default() += s.cost;
        }
    }
    out
}

/// Micro-units of a non-negative amount of units.
fn micro(u: f64) -> i128 {
    (u * 1e6).round().clamp(0.0, 1e30) as i128
}

/// Σ cost and Σ units over the complete days of `dates` where `unit` gives a value.
fn sums(
    dates: &[NaiveDate],
    done: &dyn Fn(NaiveDate) -> bool,
    cost: &dyn Fn(NaiveDate) -> Money,
    unit: &dyn Fn(NaiveDate) -> Option<f64>,
) -> (Money, f64, u32) {
    let (mut c, mut u, mut n) = (Money::ZERO, 0.0, 0);
    for d in dates.iter().copied().filter(|d| done(*d)) {
        if let Some(v) = unit(d) {
            c += cost(d);
            u += v;
            n += 1;
        }
    }
    (c, u, n)
}

fn month_dates(first: NaiveDate) -> Vec<NaiveDate> {
    first
        .iter_days()
        .take_while(|d| d.month() == first.month() && d.year() == first.year())
        .collect()
}

/// The `cost_trends` rows.
pub fn cost_trends(
    ledger: &CostLedger,
    players: &PlayerActivity,
    window: &CostWindow,
) -> Vec<TrendRow> {
    let costs = region_costs(ledger);
    let mut regions: BTreeSet<&str> = ledger
        .slices
        .keys()
        .map(|k| k.1.as_ref())
        .filter(|r| *r != GLOBAL)
        .collect();
    regions.insert(ALL);
    let mut regions: Vec<&str> = regions.into_iter().collect();
    regions.sort_by(|a, b| dim_order(a, b));
    let done = |d: NaiveDate| ledger.is_complete(d, window.as_of);
    let mut out = Vec::new();
    let periods = window.periods();
    for period in periods.iter().filter(|p| p.kind == PeriodKind::Month) {
        let first = period
            .start
            .date_naive()
            .with_day(1)
            .unwrap_or(period.start.date_naive());
        let prev_first = (first - Duration::days(1)).with_day(1).unwrap_or(first);
        let (cur, prev) = (month_dates(first), month_dates(prev_first));
        for region in &regions {
            let cost = |d: NaiveDate| {
                costs
                    .get(&(d, region.to_string()))
                    .copied()
                    .unwrap_or_default()
            };
            let ph = |d: NaiveDate| players.get(d, region).player_hours;
            let dau = |d: NaiveDate| players.get(d, region).dau.map(|v| v as f64);
            let by_ph = (
                sums(&cur, &done, &cost, &ph),
                sums(&prev, &done, &cost, &ph),
            );
            let by_dau = (
                sums(&cur, &done, &cost, &dau),
                sums(&prev, &done, &cost, &dau),
            );
            let (unit, (c1, u1, n1), (c0, u0, n0)) = if by_ph.0.1 > 0.0 && by_ph.1.1 > 0.0 {
                (Some("player_hours"), by_ph.0, by_ph.1)
            } else if by_dau.0.1 > 0.0 && by_dau.1.1 > 0.0 {
                (Some("player_days"), by_dau.0, by_dau.1)
            } else {
                let all = |_: NaiveDate| Some(0.0);
                (
                    None,
                    sums(&cur, &done, &cost, &all),
                    sums(&prev, &done, &cost, &all),
                )
            };
            let change = c1 - c0;
            let volume = unit.and_then(|_| {
                let (m1, m0) = (micro(u1), micro(u0));
                (m0 > 0)
                    .then(|| c0.mul_ratio(m1 - m0, m0, Rounding::HalfEven))
                    .flatten()
            });
            out.push(TrendRow {
                period: period.clone(),
                region: region.to_string(),
                trailing: None,
                month: Some(MonthSplit {
                    unit,
                    cost: c1,
                    units: unit.map(|_| u1),
                    days: n1,
                    prev_cost: c0,
                    prev_units: unit.map(|_| u0),
                    prev_days: n0,
                    cost_change: change,
                    volume_effect: volume,
                    rate_effect: volume.map(|v| change - v),
                }),
                currency: ledger.currency.clone(),
            });
        }
    }
    for period in periods.iter().filter(|p| p.kind == PeriodKind::Day) {
        let date = period.start.date_naive();
        if day_start(date) != period.start || !done(date) {
            continue;
        }
        for region in &regions {
            let cost = |d: NaiveDate| {
                costs
                    .get(&(d, region.to_string()))
                    .copied()
                    .unwrap_or_default()
            };
            let ph = |d: NaiveDate| players.get(d, region).player_hours;
            let dau = |d: NaiveDate| players.get(d, region).dau.map(|v| v as f64);
            let span = |n: i64| -> Vec<NaiveDate> {
                (0..n).rev().map(|k| date - Duration::days(k)).collect()
            };
            let ratio = |(c, u, _): (Money, f64, u32)| (u > 0.0).then(|| c.to_f64() / u);
            let (s7, s28) = (span(7), span(28));
            let count = |s: &[NaiveDate]| s.iter().filter(|d| done(**d)).count() as u32;
            out.push(TrendRow {
                period: period.clone(),
                region: region.to_string(),
                trailing: Some(Trailing {
                    cost_per_dau_7d: ratio(sums(&s7, &done, &cost, &dau)),
                    cost_per_player_hour_7d: ratio(sums(&s7, &done, &cost, &ph)),
                    days_7d: count(&s7),
                    cost_per_dau_28d: ratio(sums(&s28, &done, &cost, &dau)),
                    cost_per_player_hour_28d: ratio(sums(&s28, &done, &cost, &ph)),
                    days_28d: count(&s28),
                }),
                month: None,
                currency: ledger.currency.clone(),
            });
        }
    }
    out
}

/// The rows as the `cost_trends` table.
pub fn cost_trends_frame(rows: &[TrendRow]) -> Result<DataFrame> {
    let periods: Vec<&Period> = rows.iter().map(|r| &r.period).collect();
    let mut cols = period_columns(&periods)?;
    let t = |r: &TrendRow| r.trailing.clone().unwrap_or_default();
    let has_t = |r: &TrendRow| r.trailing.is_some();
    let m = |r: &TrendRow| r.month.clone().unwrap_or_default();
    let has_m = |r: &TrendRow| r.month.is_some();
    cols.extend([
        column("region", rows, |r| r.region.clone()),
        column("cost_per_dau_7d", rows, |r| t(r).cost_per_dau_7d),
        column("cost_per_player_hour_7d", rows, |r| {
            t(r).cost_per_player_hour_7d
        }),
        column("days_7d", rows, |r| has_t(r).then(|| t(r).days_7d)),
        column("cost_per_dau_28d", rows, |r| t(r).cost_per_dau_28d),
        column("cost_per_player_hour_28d", rows, |r| {
            t(r).cost_per_player_hour_28d
        }),
        column("days_28d", rows, |r| has_t(r).then(|| t(r).days_28d)),
        column("unit", rows, |r| m(r).unit.map(str::to_string)),
        money_column("cost", rows, |r| has_m(r).then(|| m(r).cost))?,
        column("units", rows, |r| m(r).units),
        column("days", rows, |r| has_m(r).then(|| m(r).days)),
        money_column("prev_cost", rows, |r| has_m(r).then(|| m(r).prev_cost))?,
        column("prev_units", rows, |r| m(r).prev_units),
        column("prev_days", rows, |r| has_m(r).then(|| m(r).prev_days)),
        money_column("cost_change", rows, |r| has_m(r).then(|| m(r).cost_change))?,
        money_column("volume_effect", rows, |r| m(r).volume_effect)?,
        money_column("rate_effect", rows, |r| m(r).rate_effect)?,
        column("currency", rows, |r| r.currency.clone()),
    ]);
    DataFrame::new_infer_height(cols).ctx(|| "building cost_trends".into())
}
