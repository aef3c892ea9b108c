//! `cost_efficiency` (period × commitment): how well commitments (savings plans, reserved
//! instances) are used, and what they save.
//!
//! FinOps definitions (shared/reference/cost.md §5.5), on `EffectiveCost` and `ListCost`
//! whatever the report's basis, over `Usage` rows only, split into UTC days pro rata like the
//! ledger and converted into the report currency; periods are the window and each month:
//! - `used_cost` = Σ EffectiveCost where `CommitmentDiscountStatus = Used`;
//!   `unused_cost` = Σ EffectiveCost where it is `Unused` (commitment waste).
//! - `utilisation` = used / (used + unused); empty when both are 0.
//! - `effective_savings_rate` = 1 − Σ EffectiveCost (Usage, unused rows included) /
//!   Σ ListCost (Usage, unused rows excluded; a null ListCost counts 0); empty when that list
//!   cost is 0. It is negative when a commitment costs more than on-demand would have: the
//!   spec's 50 %-used savings plan gives −1/3.
//! - `spot_share` (the `*` row only) = Σ EffectiveCost of `PricingCategory = Dynamic` usage /
//!   Σ EffectiveCost of all usage.
//!
//! A row per commitment (`CommitmentDiscountId`) with usage in the period, and a `*` row over
//! all usage (committed or not), always.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use polars::prelude::*;

use super::ledger::{Converter, date_of_day, split_days};
use super::money::{Money, money_column};
use super::per_player::{CostWindow, dates_in, dim_order};
use super::rows::{ChargeCategory, CommitmentStatus, CostRow};
use super::settings::{ALL, CostSettings};
use crate::error::{PolarsContext, Result};
use crate::metrics::columns::column;
use crate::metrics::incidents::period_columns;
use crate::metrics::periods::{Period, PeriodKind};

/// The usage amounts of one commitment (or of all usage).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Usage {
    used: Money,
    unused: Money,
    effective: Money,
    list: Money,
    spot: Money,
}

impl Usage {
    fn parts(&self) -> [Money; 5] {
        [self.used, self.unused, self.effective, self.list, self.spot]
    }

    fn from_parts(p: [Money; 5]) -> Usage {
        Usage {
            used: p[0],
            unused: p[1],
            effective: p[2],
            list: p[3],
            spot: p[4],
        }
    }

    fn add(&mut self, o: &Usage) {
        let (a, b) = (self.parts(), o.parts());
        *self = Usage::from_parts(std::array::from_fn(|i| a[i] + b[i]));
    }
}

/// One row of `cost_efficiency`.
#[derive(Clone, Debug, PartialEq)]
pub struct EfficiencyRow {
    pub period: Period,
    /// `CommitmentDiscountId`, or `*` for all usage.
    pub commitment_id: String,
    pub used_cost: Money,
    pub unused_cost: Money,
    pub utilisation: Option<f64>,
    /// Σ EffectiveCost of the usage (unused rows included).
    pub effective_cost: Money,
    /// Σ ListCost of the usage (unused rows excluded).
    pub list_cost: Money,
    pub effective_savings_rate: Option<f64>,
    /// `*` row only.
    pub spot_share: Option<f64>,
    pub currency: String,
}

/// The `cost_efficiency` rows. Errors like the ledger's on currencies.
pub fn cost_efficiency(
    rows: &[CostRow],
    settings: &CostSettings,
    window: &CostWindow,
) -> Result<Vec<EfficiencyRow>> {
    let currencies: BTreeSet<&str> = rows.iter().map(|r| r.currency.as_ref()).collect();
    let conv = Converter::new(&currencies, settings)?;
    // (day, currency, commitment or `*`) → amounts
    let mut raw: HashMap<(i64, Arc<str>, Arc<str>), Usage> = HashMap::new();
    let all: Arc<str> = ALL.into();
    for row in rows.iter().filter(|r| r.category == ChargeCategory::Usage) {
        let unused = row.commitment_status == Some(CommitmentStatus::Unused);
        let used = row.commitment_status == Some(CommitmentStatus::Used);
        let list = if unused {
            Money::ZERO
        } else {
            row.list_cost.unwrap_or(Money::ZERO)
        };
        let eff = row.effective_cost;
        let amounts = [
            if used { eff } else { Money::ZERO },
            if unused { eff } else { Money::ZERO },
            eff,
            list,
            if row.is_spot() { eff } else { Money::ZERO },
        ];
        let mut keys = vec![all.clone()];
        if let Some(c) = &row.commitment_id {
            keys.push(c.clone());
        }
        for (k, amount) in amounts.into_iter().enumerate() {
            split_days(
                row.charge_start_us,
                row.charge_end_us,
                amount,
                true,
                &mut |day, part| {
                    for key in &keys {
                        let mut p = [Money::ZERO; 5];
                        p[k] = part;
                        raw.entry((day, row.currency.clone(), key.clone()))
                            .or_default()
                            .add(&Usage::from_parts(p));
                    }
                },
            );
        }
        // a commitment with only zero amounts still gets its row
        if let Some(c) = &row.commitment_id {
            raw.entry((
                super::ledger::day_of(row.charge_start_us),
                row.currency.clone(),
                c.clone(),
            ))
            .or_default();
        }
    }
    let mut by_day: BTreeMap<(i64, Arc<str>), Usage> = BTreeMap::new();
    let mut missing = BTreeSet::new();
    for ((day, currency, key), u) in raw {
        let mut p = [Money::ZERO; 5];
        for (k, m) in u.parts().into_iter().enumerate() {
            match conv.convert(m, &currency, day) {
                Ok(v) => p[k] = v,
                Err(what) => {
                    missing.insert(what);
                }
            }
        }
        by_day
            .entry((day, key))
            .or_default()
            .add(&Usage::from_parts(p));
    }
    if !missing.is_empty() {
        return Err(conv.missing_error(missing));
    }
    let mut out = Vec::new();
    let periods = window
        .periods()
        .into_iter()
        .filter(|p| matches!(p.kind, PeriodKind::Window | PeriodKind::Month));
    for period in periods {
        let mut sums: BTreeMap<&str, Usage> = BTreeMap::new();
        sums.entry(ALL).or_default();
        for date in dates_in(period.start, period.end) {
            let day =
                (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days();
            debug_assert_eq!(date_of_day(day), Some(date));
            for ((_, key), u) in by_day.range((day, "".into())..(day + 1, "".into())) {
                sums.entry(key.as_ref()).or_default().add(u);
            }
        }
        let mut keys: Vec<&str> = sums.keys().copied().collect();
        keys.sort_by(|a, b| dim_order(a, b));
        for key in keys {
            let u = sums[key];
            let committed = u.used + u.unused;
            out.push(EfficiencyRow {
                period: period.clone(),
                commitment_id: key.to_string(),
                used_cost: u.used,
                unused_cost: u.unused,
                utilisation: (!committed.is_zero()).then(|| u.used.to_f64() / committed.to_f64()),
                effective_cost: u.effective,
                list_cost: u.list,
                effective_savings_rate: (!u.list.is_zero())
                    .then(|| 1.0 - u.effective.to_f64() / u.list.to_f64()),
                spot_share: (key == ALL && !u.effective.is_zero())
                    .then(|| u.spot.to_f64() / u.effective.to_f64()),
                currency: conv.currency.clone(),
            });
        }
    }
    Ok(out)
}

/// The rows as the `cost_efficiency` table.
pub fn cost_efficiency_frame(rows: &[EfficiencyRow]) -> Result<DataFrame> {
    let periods: Vec<&Period> = rows.iter().map(|r| &r.period).collect();
    let mut cols = period_columns(&periods)?;
    cols.extend([
        column("commitment_id", rows, |r| r.commitment_id.clone()),
        money_column("used_cost", rows, |r| Some(r.used_cost))?,
        money_column("unused_cost", rows, |r| Some(r.unused_cost))?,
        column("utilisation", rows, |r| r.utilisation),
        money_column("effective_cost", rows, |r| Some(r.effective_cost))?,
        money_column("list_cost", rows, |r| Some(r.list_cost))?,
        column("effective_savings_rate", rows, |r| r.effective_savings_rate),
        column("spot_share", rows, |r| r.spot_share),
        column("currency", rows, |r| r.currency.clone()),
    ]);
    DataFrame::new_infer_height(cols).ctx(|| "building cost_efficiency".into())
}
