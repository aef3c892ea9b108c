//! `cost_restated` (date × region × service): the days whose cost changed since the last run,
//! and by how much.
//!
//! Bills are re-delivered until the month closes, and corrections (`ChargeClass =
//! Correction`) for a closed month arrive in a later billing period but are bucketed by their
//! charge period (see `ledger`), so a past day's cost can change. The caller keeps each run's
//! per-day totals (the `day` rows of `cost_per_player`, read back with
//! [`previous_totals_from_frame`]) and passes them to the next run.
//!
//! Compared: every date of the previous totals that lies between the first and the last date
//! of this run's ledger (so a window that moved on does not read as restated to zero); on such
//! a date every (region, service) of either side, a missing one counting as 0. A row is
//! written when the cost differs at all (exactly, to 1e-12), plus a `(*, *)` row for each such
//! date (whose change can be 0 when cost only moved between slices). `corrections` is the part
//! of this run's cost that comes from correction rows; `previously_complete` says whether the
//! last run already counted the day complete (a change to an incomplete day is the bill
//! filling in, not a restatement of a figure the report had called final).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use polars::prelude::*;

use super::ledger::{CostLedger, SliceCost};
use super::money::{Money, money_column, money_values};
use super::per_player::dim_order;
use super::settings::ALL;
use crate::error::{PolarsContext, Result};
use crate::metrics::columns::{column, texts};

/// One day's cost of one (region, service), as a run reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct DayTotal {
    pub date: NaiveDate,
    pub region: String,
    pub service: String,
    pub cost: Money,
    /// Whether that run counted the day complete, when known.
    pub complete: Option<bool>,
}

/// One row of `cost_restated`.
#[derive(Clone, Debug, PartialEq)]
pub struct RestatedRow {
    pub date: NaiveDate,
    pub region: String,
    pub service: String,
    pub previous_cost: Money,
    pub cost: Money,
    /// `cost − previous_cost`.
    pub change: Money,
    /// Of `cost`, the part from correction rows.
    pub corrections: Money,
    pub previously_complete: Option<bool>,
    pub currency: String,
}

/// The per-day totals of a previous run's `cost_per_player` table: its `day` rows, without
/// the `*` roll-ups, in `currency` (rows in another currency are left out: after a change of
/// report currency, nothing reads as restated). Columns used: `period_kind`, `period`
/// (`YYYY-MM-DD`), `region`, `service`, `cost`, `currency`, `complete` (may be absent).
pub fn previous_totals_from_frame(df: &DataFrame, currency: &str) -> Result<Vec<DayTotal>> {
    let kind = texts(df, "period_kind")?;
    let period = texts(df, "period")?;
    let region = texts(df, "region")?;
    let service = texts(df, "service")?;
    let cur = texts(df, "currency")?;
    let cost = money_values(df, "cost")?;
    let complete: Vec<Option<bool>> = match df.column("complete") {
        Ok(c) => c
            .cast(&DataType::Boolean)
            .ctx(|| "column `complete`".into())?
            .bool()
            .ctx(|| "column `complete`".into())?
            .iter()
            .collect(),
        Err(_) => vec![None; df.height()],
    };
    let mut out = Vec::new();
    for i in 0..df.height() {
        if kind[i].as_deref() != Some("day") || cur[i].as_deref().unwrap_or("") != currency {
            continue;
        }
        let (Some(p), Some(r), Some(s), Some(c)) = (&period[i], &region[i], &service[i], cost[i])
        else {
            continue;
        };
        let Ok(date) = NaiveDate::parse_from_str(p, "%Y-%m-%d") else {
            continue;
        };
        if r == ALL || s == ALL {
            continue;
        }
        out.push(DayTotal {
            date,
            region: r.clone(),
            service: s.clone(),
            cost: c,
            complete: complete[i],
        });
    }
    Ok(out)
}

/// The restated days (see the module doc).
pub fn cost_restated(previous: &[DayTotal], ledger: &CostLedger) -> Vec<RestatedRow> {
    let (Some(first), Some(last)) = (
        ledger.slices.keys().next().map(|k| k.0),
        ledger.slices.keys().next_back().map(|k| k.0),
    ) else {
        return Vec::new();
    };
    let mut before: BTreeMap<NaiveDate, BTreeMap<(String, String), Money>> = BTreeMap::new();
    let mut was_complete: BTreeMap<NaiveDate, Option<bool>> = BTreeMap::new();
    for t in previous
        .iter()
        .filter(|t| t.date >= first && t.date <= last)
    {
        *before
            .entry(t.date)
            .or_default()
            .entry((t.region.clone(), t.service.clone()))
            .or_default() += t.cost;
        let c = was_complete.entry(t.date).or_insert(t.complete);
        *c = match (*c, t.complete) {
            (Some(a), Some(b)) => Some(a && b),
            (a, b) => a.or(b),
        };
    }
    let mut out = Vec::new();
    for (date, prev) in &before {
        let next = date.succ_opt().unwrap_or(*date);
        let now: BTreeMap<(String, String), SliceCost> = ledger
            .slices
            .range((*date, "".into(), "".into())..(next, "".into(), "".into()))
            .map(|((_, r, s), c)| ((r.to_string(), s.to_string()), *c))
            .collect();
        let keys: BTreeSet<&(String, String)> = prev.keys().chain(now.keys()).collect();
        let mut rows = Vec::new();
        let (mut total_before, mut total_now, mut total_corr) =
            (Money::ZERO, Money::ZERO, Money::ZERO);
        for key in keys {
            let p = prev.get(key).copied().unwrap_or_default();
            let n = now.get(key).copied().unwrap_or_default();
            total_before += p;
            total_now += n.cost;
            total_corr += n.corrections;
            if p != n.cost {
                rows.push(RestatedRow {
                    date: *date,
                    region: key.0.clone(),
                    service: key.1.clone(),
                    previous_cost: p,
                    cost: n.cost,
                    change: n.cost - p,
                    corrections: n.corrections,
                    previously_complete: was_complete.get(date).copied().flatten(),
                    currency: ledger.currency.clone(),
                });
            }
        }
        if rows.is_empty() {
            continue;
        }
        out.push(RestatedRow {
            date: *date,
            region: ALL.into(),
            service: ALL.into(),
            previous_cost: total_before,
            cost: total_now,
            change: total_now - total_before,
            corrections: total_corr,
            previously_complete: was_complete.get(date).copied().flatten(),
            currency: ledger.currency.clone(),
        });
        rows.sort_by(|a, b| {
            dim_order(&a.region, &b.region).then(dim_order(&a.service, &b.service))
        });
        out.extend(rows);
    }
    out
}

/// The rows as the `cost_restated` table.
pub fn cost_restated_frame(rows: &[RestatedRow]) -> Result<DataFrame> {
    let dates: Vec<i32> = rows
        .iter()
        .map(|r| (r.date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32)
        .collect();
    let date = Series::new("date".into(), dates)
        .cast(&DataType::Date)
        .ctx(|| "column `date`".into())?;
    DataFrame::new_infer_height(vec![
        date.into(),
        column("region", rows, |r| r.region.clone()),
        column("service", rows, |r| r.service.clone()),
        money_column("previous_cost", rows, |r| Some(r.previous_cost))?,
        money_column("cost", rows, |r| Some(r.cost))?,
        money_column("change", rows, |r| Some(r.change))?,
        money_column("corrections", rows, |r| Some(r.corrections))?,
        column("previously_complete", rows, |r| r.previously_complete),
        column("currency", rows, |r| r.currency.clone()),
    ])
    .ctx(|| "building cost_restated".into())
}
