//! `cost_per_player` (period × region × service, with `*` roll-ups): cost on the chosen
//! basis, credits and tax apart, and cost per DAU, per peak CCU and per player-hour.
//!
//! Periods are the window, each month, each week and each day, all in **UTC** whatever
//! `report_tz` says (FOCUS charge periods are UTC; a day's cost cannot be moved to another
//! zone); a day belongs to a period when its 00:00 UTC falls inside it.
//!
//! Per row:
//! - `cost`, `credits`, `tax`: sums over every day of the period (complete or not), so the
//!   window's `(*, *)` row reconciles to the bill. A negative net cost is shown as it is. The
//!   `(*, *)` row of a period the bill does not cover at all has an empty cost (missing is not
//!   zero); every other row exists only where there is cost.
//! - `dau`, `player_hours`: sums over the period's days with data (player-days, not distinct
//!   players); `peak_ccu`: the period's largest day. For `*`, see `players`; `dau_summed`
//!   flags a `*` DAU that is (partly) the sum of the regions' (players in two regions count
//!   twice).
//! - `cost_per_dau` = Σ cost / Σ DAU over the days of the period that are complete and on
//!   which the region has a DAU: a ratio of sums, never a mean of daily ratios; empty when that
//!   Σ DAU is 0. `cost_per_player_hour` likewise over days with player-hours;
//!   `cost_per_peak_ccu` = Σ cost / the largest peak over days with a peak. A service's row
//!   uses its region's players (service does not split DAU).
//! - `unallocated_share` = cost no service rule matched (counted before any sharing) / cost;
//!   empty when cost is 0.
//! - `complete`: every day of the period is covered and complete; `days`, `complete_days`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use polars::prelude::*;

use super::ledger::{CostLedger, SliceCost, US_PER_DAY, date_of_day};
use super::money::{Money, money_column};
use super::players::PlayerActivity;
use super::settings::ALL;
use crate::error::{PolarsContext, Result};
use crate::metrics::columns::column;
use crate::metrics::incidents::period_columns;
use crate::metrics::periods::{Period, WeekStart, periods};

/// The report window and the instant the figures are computed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CostWindow {
    /// Start of the window (inclusive).
    pub from: DateTime<Utc>,
    /// End of the window (exclusive); periods are also clipped to `as_of`.
    pub to: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub week_start: WeekStart,
}

impl CostWindow {
    /// The periods of the cost tables: window, months, weeks and days, in UTC.
    pub fn periods(&self) -> Vec<Period> {
        periods(
            self.from,
            self.to,
            self.as_of,
            Tz::UTC,
            self.week_start,
            true,
        )
    }
}

/// The dates whose 00:00 UTC falls in `[start, end)`.
pub(crate) fn dates_in(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<NaiveDate> {
    let first = start.timestamp_micros().div_euclid(US_PER_DAY)
        + i64::from(start.timestamp_micros().rem_euclid(US_PER_DAY) != 0);
    let end_us = end.timestamp_micros();
    let last = end_us.div_euclid(US_PER_DAY) + i64::from(end_us.rem_euclid(US_PER_DAY) != 0) - 1;
    (first..=last).filter_map(date_of_day).collect()
}

/// `(region, service)` sort key: `*` first, then by name.
pub(crate) fn dim_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a != ALL, a).cmp(&(b != ALL, b))
}

/// One row of `cost_per_player`.
#[derive(Clone, Debug, PartialEq)]
pub struct CostPerPlayerRow {
    pub period: Period,
    pub region: String,
    pub service: String,
    /// Net cost on the basis; `None` only on the `(*, *)` row of a period with no bill.
    pub cost: Option<Money>,
    pub credits: Option<Money>,
    pub tax: Option<Money>,
    pub currency: String,
    pub dau: Option<u64>,
    /// `*` rows: some day's DAU is the sum of the regions' (no `*` activity row that day).
    pub dau_summed: bool,
    pub peak_ccu: Option<u64>,
    pub player_hours: Option<f64>,
    pub cost_per_dau: Option<f64>,
    pub cost_per_peak_ccu: Option<f64>,
    pub cost_per_player_hour: Option<f64>,
    pub unallocated_share: Option<f64>,
    pub complete: bool,
    pub days: u32,
    pub complete_days: u32,
}

/// What one (region, service) key gathers over a period.
#[derive(Default)]
struct Acc {
    all: SliceCost,
    cost_dau: Money,
    cost_ph: Money,
    cost_peak: Money,
}

/// The player side of one region over a period.
#[derive(Default)]
struct Den {
    dau: Option<u64>,
    summed: bool,
    ph: Option<f64>,
    peak: Option<u64>,
    dau_ratio: u64,
    ph_ratio: f64,
    peak_ratio: Option<u64>,
}

/// The ledger's slices by date.
pub(crate) fn by_date(ledger: &CostLedger) -> BTreeMap<NaiveDate, Vec<(&str, &str, &SliceCost)>> {
    let mut out: BTreeMap<NaiveDate, Vec<(&str, &str, &SliceCost)>> = BTreeMap::new();
    for ((date, region, service), s) in &ledger.slices {
        out.entry(*date)
            .or_default()
            .push((region.as_ref(), service.as_ref(), s));
    }
    out
}

fn ratio(num: Money, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num.to_f64() / den)
}

/// The `cost_per_player` rows of the window's periods.
pub fn cost_per_player(
    ledger: &CostLedger,
    players: &PlayerActivity,
    window: &CostWindow,
) -> Vec<CostPerPlayerRow> {
    let slices = by_date(ledger);
    let mut out = Vec::new();
    for period in window.periods() {
        let dates = dates_in(period.start, period.end);
        let complete: Vec<bool> = dates
            .iter()
            .map(|d| ledger.is_complete(*d, window.as_of))
            .collect();
        let mut accs: HashMap<(&str, &str), Acc> = HashMap::new();
        accs.entry((ALL, ALL)).or_default();
        for (date, done) in dates.iter().zip(&complete) {
            for (region, service, s) in slices.get(date).into_iter().flatten() {
                for key in [
                    (*region, *service),
                    (*region, ALL),
                    (ALL, *service),
                    (ALL, ALL),
                ] {
                    let acc = accs.entry(key).or_default();
                    acc.all.add(s);
                    if *done {
                        let p = players.get(*date, key.0);
                        if p.dau.is_some() {
                            acc.cost_dau += s.cost;
                        }
                        if p.player_hours.is_some() {
                            acc.cost_ph += s.cost;
                        }
                        if p.peak_ccu.is_some() {
                            acc.cost_peak += s.cost;
                        }
                    }
                }
            }
        }
        let mut dens: HashMap<&str, Den> = HashMap::new();
        for region in accs.keys().map(|k| k.0) {
            if dens.contains_key(region) {
                continue;
            }
            let mut den = Den::default();
            for (date, done) in dates.iter().zip(&complete) {
                let p = players.get(*date, region);
                den.summed |= p.dau_summed;
                if let Some(v) = p.dau {
                    den.dau = Some(den.dau.unwrap_or(0).saturating_add(v));
                    if *done {
                        den.dau_ratio = den.dau_ratio.saturating_add(v);
                    }
                }
                if let Some(v) = p.player_hours {
                    den.ph = Some(den.ph.unwrap_or(0.0) + v);
                    if *done {
                        den.ph_ratio += v;
                    }
                }
                if let Some(v) = p.peak_ccu {
                    den.peak = Some(den.peak.unwrap_or(0).max(v));
                    if *done {
                        den.peak_ratio = Some(den.peak_ratio.unwrap_or(0).max(v));
                    }
                }
            }
            dens.insert(region, den);
        }
        let covered = dates.iter().any(|d| ledger.covered.contains(d));
        let complete_days = complete.iter().filter(|c| **c).count() as u32;
        let mut keys: Vec<(&str, &str)> = accs.keys().copied().collect();
        keys.sort_by(|a, b| dim_order(a.0, b.0).then(dim_order(a.1, b.1)));
        for key in keys {
            let acc = &accs[&key];
            let den = &dens[key.0];
            let has_cost = covered || key != (ALL, ALL);
            let money = |m: Money| has_cost.then_some(m);
            out.push(CostPerPlayerRow {
                period: period.clone(),
                region: key.0.to_string(),
                service: key.1.to_string(),
                cost: money(acc.all.cost),
                credits: money(acc.all.credits),
                tax: money(acc.all.tax),
                currency: ledger.currency.clone(),
                dau: den.dau,
                dau_summed: den.summed,
                peak_ccu: den.peak,
                player_hours: den.ph,
                cost_per_dau: ratio(acc.cost_dau, den.dau_ratio as f64),
                cost_per_peak_ccu: ratio(acc.cost_peak, den.peak_ratio.unwrap_or(0) as f64),
                cost_per_player_hour: ratio(acc.cost_ph, den.ph_ratio),
                unallocated_share: (!acc.all.cost.is_zero())
                    .then(|| acc.all.unallocated.to_f64() / acc.all.cost.to_f64()),
                complete: !dates.is_empty() && complete_days as usize == dates.len(),
                days: dates.len() as u32,
                complete_days,
            });
        }
    }
    out
}

/// The rows as the `cost_per_player` table (money as `Decimal(38, 12)`).
pub fn cost_per_player_frame(rows: &[CostPerPlayerRow]) -> Result<DataFrame> {
    let periods: Vec<&Period> = rows.iter().map(|r| &r.period).collect();
    let mut cols = period_columns(&periods)?;
    cols.extend([
        column("region", rows, |r| r.region.clone()),
        column("service", rows, |r| r.service.clone()),
        money_column("cost", rows, |r| r.cost)?,
        money_column("credits", rows, |r| r.credits)?,
        money_column("tax", rows, |r| r.tax)?,
        column("currency", rows, |r| r.currency.clone()),
        column("dau", rows, |r| r.dau),
        column("dau_summed", rows, |r| r.dau_summed),
        column("peak_ccu", rows, |r| r.peak_ccu),
        column("player_hours", rows, |r| r.player_hours),
        column("cost_per_dau", rows, |r| r.cost_per_dau),
        column("cost_per_peak_ccu", rows, |r| r.cost_per_peak_ccu),
        column("cost_per_player_hour", rows, |r| r.cost_per_player_hour),
        column("unallocated_share", rows, |r| r.unallocated_share),
        column("complete", rows, |r| r.complete),
        column("days", rows, |r| r.days),
        column("complete_days", rows, |r| r.complete_days),
    ]);
    DataFrame::new_infer_height(cols).ctx(|| "building cost_per_player".into())
}
