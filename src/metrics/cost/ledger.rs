//! The daily cost ledger: every cost row split into UTC days, mapped to a game region and a
//! service, converted into the report currency, and (optionally) shared out. Every cost table
//! is a view of it.
//!
//! Steps, in order:
//! 1. **Basis** (`[cost] basis`): `effective` takes `EffectiveCost`; `billed` takes
//!    `BilledCost`; `list` takes `ListCost` (null counts as 0) of every row except purchases
//!    and unused-commitment rows (which have no on-demand equivalent; FOCUS's double-count
//!    note).
//! 2. **Days**: on the `effective` and `list` bases a charge whose period spans several UTC
//!    days is split pro rata by the time it overlaps each day, exactly (largest remainder, so
//!    the parts add up to the charge to the last 1e-12); on the `billed` basis a charge lands
//!    whole on the day its period starts (cash is paid when it is billed, so a one-year
//!    upfront purchase is one day's spike). A row whose end is not after its start lands on
//!    its start day. Corrections (`ChargeClass = Correction`) are bucketed by their *charge*
//!    period like every row, so they restate the past days they fix.
//! 3. **Where**: `[cost.region_map]` and `[cost.service_map]` (see `settings`); unmapped cost
//!    goes to `global` / `__unallocated__`.
//! 4. **Currency**: amounts are summed per day, slice and `BillingCurrency`, then converted
//!    with the `[cost.fx]` rate of that day's month (rounded half-to-even to 1e-12). Without a
//!    `report_currency`, the bill must hold one currency; more is an error naming them.
//! 5. **Sharing** (`[cost] share`), per day: first `global` cost is spread over the game
//!    regions (by player-hours under `player_hours`, by each region's positive direct cost
//!    under `direct_cost`), keeping its service; then each region's `__unallocated__` cost is
//!    spread over that region's other services by their positive direct cost (under both
//!    modes: player-hours do not differ by service). Each amount is apportioned by largest
//!    remainder, so Σ after = Σ before exactly; when a day has no weights the cost stays
//!    where it was.
//!
//! A day is **covered** by the bill when a row whose charge period lasts at most 32 days
//! touches it (a one-year commitment purchase does not make next year's days look billed).
//! A day is **complete** when it is covered and `as_of` is at least `complete_after_hours`
//! past its end.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::money::{Money, Rounding};
use super::players::PlayerActivity;
use super::rows::{ChargeCategory, CommitmentStatus, CostRow};
use super::settings::{Basis, CostSettings, GLOBAL, Share, UNALLOCATED};
use crate::error::{Error, Result};

pub(crate) const US_PER_DAY: i64 = 86_400_000_000;

/// A shared name (region, service, currency).
type Name = Arc<str>;
/// (provider, RegionId) of a bill row.
type RegionKey = (Option<Name>, Option<Name>);
/// (tag set address, SubAccountId, ServiceName) of a bill row.
type ServiceKey = (usize, Option<Name>, Option<Name>);
/// (region, service) → amounts of one day.
type DaySlices = BTreeMap<(Name, Name), SliceCost>;
const EPOCH_DAYS_CE: i64 = 719_163;
/// Rows whose charge period is longer than this do not mark days as covered.
const COVERAGE_MAX_DAYS: i64 = 32;

/// The UTC day number (days since 1970-01-01) of an instant.
pub(crate) fn day_of(us: i64) -> i64 {
    us.div_euclid(US_PER_DAY)
}

/// The date of a day number (`None` beyond chrono's range).
pub(crate) fn date_of_day(day: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day.checked_add(EPOCH_DAYS_CE)?).ok()?)
}

/// 00:00 UTC of a date.
pub(crate) fn day_start(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

/// Split `amount` charged over `[start_us, end_us)` into UTC days: `f(day, part)` for each
/// day with a non-zero part. Pro rata by overlap (largest remainder, exact) when `pro_rata`,
/// else all on the start day; a period that does not end after it starts lands on its start
/// day.
pub fn split_days(
    start_us: i64,
    end_us: i64,
    amount: Money,
    pro_rata: bool,
    f: &mut impl FnMut(i64, Money),
) {
    if amount.is_zero() {
        return;
    }
    let first = day_of(start_us);
    if !pro_rata || end_us <= start_us {
        f(first, amount);
        return;
    }
    let last = day_of(end_us - 1);
    if last == first {
        f(first, amount);
        return;
    }
    let weights: Vec<i128> = (first..=last)
        .map(|d| {
            let lo = start_us.max(d.saturating_mul(US_PER_DAY));
            let hi = end_us.min((d + 1).saturating_mul(US_PER_DAY));
            i128::from(hi - lo)
        })
        .collect();
    match amount.apportion(&weights) {
        Some(parts) => {
            for (d, p) in (first..=last).zip(parts) {
                if !p.is_zero() {
                    f(d, p);
                }
            }
        }
        None => f(first, amount), // unreachable: overlaps are positive
    }
}

/// The amounts of one slice (day × region × service), in the report currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SliceCost {
    /// Net cost on the chosen basis (credits and tax included).
    pub cost: Money,
    /// Of which `ChargeCategory = Credit`.
    pub credits: Money,
    /// Of which `ChargeCategory = Tax`.
    pub tax: Money,
    /// Of which no service rule matched (tracked through sharing).
    pub unallocated: Money,
    /// Of which `ChargeClass = Correction`.
    pub corrections: Money,
}

impl SliceCost {
    fn parts(&self) -> [Money; 5] {
        [
            self.cost,
            self.credits,
            self.tax,
            self.unallocated,
            self.corrections,
        ]
    }

    fn from_parts(p: [Money; 5]) -> SliceCost {
        SliceCost {
            cost: p[0],
            credits: p[1],
            tax: p[2],
            unallocated: p[3],
            corrections: p[4],
        }
    }

    /// Add another slice's amounts.
    pub fn add(&mut self, o: &SliceCost) {
        let (a, b) = (self.parts(), o.parts());
        *self = SliceCost::from_parts(std::array::from_fn(|i| a[i] + b[i]));
    }

    /// `amount` of a row, filed under its category and class.
    fn of_row(row: &CostRow, amount: Money, unallocated: bool) -> SliceCost {
        SliceCost {
            cost: amount,
            credits: if row.category == ChargeCategory::Credit {
                amount
            } else {
                Money::ZERO
            },
            tax: if row.category == ChargeCategory::Tax {
                amount
            } else {
                Money::ZERO
            },
            unallocated: if unallocated { amount } else { Money::ZERO },
            corrections: if row.is_correction {
                amount
            } else {
                Money::ZERO
            },
        }
    }

    /// Split every amount by the same weights (largest remainder each).
    fn apportion(&self, weights: &[i128]) -> Option<Vec<SliceCost>> {
        let split: Vec<Vec<Money>> = self
            .parts()
            .iter()
            .map(|m| m.apportion(weights))
            .collect::<Option<_>>()?;
        Some(
            (0..weights.len())
                .map(|i| SliceCost::from_parts(std::array::from_fn(|k| split[k][i])))
                .collect(),
        )
    }
}

/// Conversion into the report currency (step 4 of the module doc).
pub(crate) struct Converter<'a> {
    /// The report currency.
    pub currency: String,
    settings: &'a CostSettings,
}

/// How the empty currency (no `BillingCurrency` column) is named in messages.
fn currency_name(c: &str) -> String {
    if c.is_empty() {
        "(no BillingCurrency)".to_string()
    } else {
        format!("`{c}`")
    }
}

fn name_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl<'a> Converter<'a> {
    /// Check the currencies of the bill against the settings.
    pub(crate) fn new(
        currencies: &BTreeSet<&str>,
        settings: &'a CostSettings,
    ) -> Result<Converter<'a>> {
        let Some(report) = settings.report_currency.clone() else {
            if currencies.len() > 1 {
                let names: Vec<String> = currencies.iter().map(|c| currency_name(c)).collect();
                return Err(Error::config(
                    &settings.origin,
                    "cost.report_currency",
                    format!(
                        "the cost rows are in more than one currency ({}) and no report currency is set; hint: set `report_currency` in `[cost]` and a rate for each other currency under `[cost.fx]`",
                        name_list(&names)
                    ),
                ));
            }
            let currency = currencies
                .iter()
                .next()
                .map(|c| c.to_string())
                .unwrap_or_default();
            return Ok(Converter { currency, settings });
        };
        let missing: Vec<String> = currencies
            .iter()
            .filter(|c| **c != report && !settings.fx.contains_key(**c))
            .map(|c| currency_name(c))
            .collect();
        if !missing.is_empty() {
            return Err(Error::config(
                &settings.origin,
                "cost.fx",
                format!(
                    "no rate from {} into `{report}`; hint: add a rate for each under `[cost.fx]`, such as `{} = 1.08`",
                    name_list(&missing),
                    currencies
                        .iter()
                        .find(|c| **c != report && !c.is_empty())
                        .unwrap_or(&"EUR")
                ),
            ));
        }
        Ok(Converter {
            currency: report,
            settings,
        })
    }

    /// `amount` in `currency` on `day`, in the report currency; `Err` names the currency and
    /// month that have no rate.
    pub(crate) fn convert(
        &self,
        amount: Money,
        currency: &str,
        day: i64,
    ) -> std::result::Result<Money, String> {
        if currency == self.currency || amount.is_zero() {
            return Ok(amount);
        }
        let date = date_of_day(day).unwrap_or_default();
        let rate = self
            .settings
            .fx
            .get(currency)
            .and_then(|r| r.on(date.year(), date.month()))
            .ok_or_else(|| {
                format!(
                    "{} in {:04}-{:02}",
                    currency_name(currency),
                    date.year(),
                    date.month()
                )
            })?;
        amount
            .mul_ratio(rate.raw(), super::money::ONE, Rounding::HalfEven)
            .ok_or_else(|| format!("{} (amount too large to convert)", currency_name(currency)))
    }

    /// The error for the (currency, month) pairs without a rate.
    pub(crate) fn missing_error(&self, missing: BTreeSet<String>) -> Error {
        let list: Vec<String> = missing.into_iter().collect();
        Error::config(
            &self.settings.origin,
            "cost.fx",
            format!(
                "no rate into `{}` for {}; hint: add a `default` rate or one for each month",
                self.currency,
                name_list(&list)
            ),
        )
    }
}

/// The amount of a row on the chosen basis, and whether it is split pro rata.
pub(crate) fn basis_amount(row: &CostRow, basis: Basis) -> Option<(Money, bool)> {
    match basis {
        Basis::Effective => Some((row.effective_cost, true)),
        Basis::Billed => Some((row.billed_cost, false)),
        Basis::List => {
            if row.category == ChargeCategory::Purchase
                || row.commitment_status == Some(CommitmentStatus::Unused)
            {
                None
            } else {
                Some((row.list_cost.unwrap_or(Money::ZERO), true))
            }
        }
    }
}

/// The days (UTC day numbers) rows of at most 32 days touch.
pub(crate) fn covered_days(rows: &[CostRow]) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    for r in rows {
        let first = day_of(r.charge_start_us);
        let last = if r.charge_end_us > r.charge_start_us {
            day_of(r.charge_end_us - 1)
        } else {
            first
        };
        if last - first < COVERAGE_MAX_DAYS {
            out.extend(first..=last);
        }
    }
    out
}

/// The ledger: cost by (UTC day, game region, service), in one currency.
#[derive(Clone, Debug, Default)]
pub struct CostLedger {
    /// The report currency (empty when the bill names none).
    pub currency: String,
    pub basis: Basis,
    /// Hours after its end at which a covered day is complete.
    pub complete_after_hours: u32,
    /// The amounts, after sharing.
    pub slices: BTreeMap<(NaiveDate, Arc<str>, Arc<str>), SliceCost>,
    /// The days the bill covers.
    pub covered: BTreeSet<NaiveDate>,
}

impl CostLedger {
    /// Build the ledger (module doc, steps 1–5). Errors: more than one currency without a
    /// `report_currency`; a currency without a `[cost.fx]` rate.
    pub fn build(
        rows: &[CostRow],
        settings: &CostSettings,
        players: &PlayerActivity,
    ) -> Result<CostLedger> {
        let currencies: BTreeSet<&str> = rows.iter().map(|r| r.currency.as_ref()).collect();
        let conv = Converter::new(&currencies, settings)?;
        let mut regions: HashMap<RegionKey, Name> = HashMap::new();
        let mut services: HashMap<ServiceKey, Name> = HashMap::new();
        let mut names: HashMap<String, Arc<str>> = HashMap::new();
        let mut intern = |s: &str| -> Arc<str> {
            if let Some(a) = names.get(s) {
                return a.clone();
            }
            let a: Arc<str> = s.into();
            names.insert(s.to_string(), a.clone());
            a
        };
        // step 1-3: per (day, currency, region, service) in the bill's currency
        let mut raw: HashMap<(i64, Name, Name, Name), SliceCost> = HashMap::new();
        for row in rows {
            let Some((amount, pro_rata)) = basis_amount(row, settings.basis) else {
                continue;
            };
            if amount.is_zero() {
                continue;
            }
            let region = regions
                .entry((row.provider.clone(), row.region_id.clone()))
                .or_insert_with(|| {
                    intern(settings.game_region(row.provider.as_deref(), row.region_id.as_deref()))
                })
                .clone();
            let tags_key = Arc::as_ptr(&row.tags) as usize;
            let service = services
                .entry((
                    tags_key,
                    row.sub_account_id.clone(),
                    row.service_name.clone(),
                ))
                .or_insert_with(|| {
                    intern(&settings.service(
                        &row.tags,
                        row.sub_account_id.as_deref(),
                        row.service_name.as_deref(),
                    ))
                })
                .clone();
            let unallocated = service.as_ref() == UNALLOCATED;
            split_days(
                row.charge_start_us,
                row.charge_end_us,
                amount,
                pro_rata,
                &mut |day, part| {
                    raw.entry((day, row.currency.clone(), region.clone(), service.clone()))
                        .or_default()
                        .add(&SliceCost::of_row(row, part, unallocated));
                },
            );
        }
        // step 4
        let mut slices: BTreeMap<(i64, Arc<str>, Arc<str>), SliceCost> = BTreeMap::new();
        let mut missing = BTreeSet::new();
        for ((day, currency, region, service), s) in raw {
            let mut converted = [Money::ZERO; 5];
            for (k, m) in s.parts().into_iter().enumerate() {
                match conv.convert(m, &currency, day) {
                    Ok(v) => converted[k] = v,
                    Err(what) => {
                        missing.insert(what);
                    }
                }
            }
            slices
                .entry((day, region, service))
                .or_default()
                .add(&SliceCost::from_parts(converted));
        }
        if !missing.is_empty() {
            return Err(conv.missing_error(missing));
        }
        // step 5
        let mut by_day: BTreeMap<i64, DaySlices> = BTreeMap::new();
        for ((day, region, service), s) in slices {
            by_day.entry(day).or_default().insert((region, service), s);
        }
        let mut out = BTreeMap::new();
        for (day, mut day_slices) in by_day {
            let Some(date) = date_of_day(day) else {
                continue;
            };
            if settings.share != Share::None {
                share_day(&mut day_slices, settings.share, players, date, &mut intern);
            }
            for ((region, service), s) in day_slices {
                out.insert((date, region, service), s);
            }
        }
        Ok(CostLedger {
            currency: conv.currency,
            basis: settings.basis,
            complete_after_hours: settings.complete_after_hours,
            slices: out,
            covered: covered_days(rows)
                .into_iter()
                .filter_map(date_of_day)
                .collect(),
        })
    }

    /// Whether `date` is covered by the bill and `as_of` is `complete_after_hours` past its end.
    pub fn is_complete(&self, date: NaiveDate, as_of: DateTime<Utc>) -> bool {
        let end = day_start(date) + chrono::Duration::days(1);
        self.covered.contains(&date)
            && as_of >= end + chrono::Duration::hours(i64::from(self.complete_after_hours))
    }

    /// The per-day totals by region and service (for the next run's restatement check).
    pub fn day_totals(&self) -> Vec<super::restated::DayTotal> {
        self.slices
            .iter()
            .map(|((date, region, service), s)| super::restated::DayTotal {
                date: *date,
                region: region.to_string(),
                service: service.to_string(),
                cost: s.cost,
                complete: None,
            })
            .collect()
    }
}

/// Positive amounts as weights (non-positive → 0).
fn positive(m: Money) -> i128 {
    m.raw().max(0)
}

/// Spread a day's `global` and `__unallocated__` cost (module doc, step 5).
fn share_day(
    day: &mut DaySlices,
    share: Share,
    players: &PlayerActivity,
    date: NaiveDate,
    intern: &mut impl FnMut(&str) -> Arc<str>,
) {
    // regions: by player-hours, or by direct cost
    let weights: Vec<(Arc<str>, i128)> = match share {
        Share::None => return,
        Share::PlayerHours => players
            .regions_with_player_hours(date)
            .into_iter()
            // milli-player-hours: integer weights for the exact split
            .map(|(r, ph)| (intern(r), (ph * 1000.0).round().min(1e30) as i128))
            .collect(),
        Share::DirectCost => {
            let mut w: BTreeMap<Arc<str>, Money> = BTreeMap::new();
            for ((r, _), s) in day.iter() {
                if r.as_ref() != GLOBAL {
                    *w.entry(r.clone()).or_default() += s.cost;
                }
            }
            w.into_iter().map(|(r, m)| (r, positive(m))).collect()
        }
    };
    let globals: Vec<(Arc<str>, Arc<str>)> = day
        .keys()
        .filter(|(r, _)| r.as_ref() == GLOBAL)
        .cloned()
        .collect();
    let ws: Vec<i128> = weights.iter().map(|(_, w)| *w).collect();
    for key in globals {
        let Some(parts) = day.get(&key).and_then(|s| s.apportion(&ws)) else {
            continue;
        };
        day.remove(&key);
        for ((region, _), part) in weights.iter().zip(parts) {
            day.entry((region.clone(), key.1.clone()))
                .or_default()
                .add(&part);
        }
    }
    // services, within each region, by direct cost
    let unallocated: Vec<(Arc<str>, Arc<str>)> = day
        .keys()
        .filter(|(_, s)| s.as_ref() == UNALLOCATED)
        .cloned()
        .collect();
    for key in unallocated {
        let targets: Vec<(Arc<str>, i128)> = day
            .iter()
            .filter(|((r, s), _)| *r == key.0 && s.as_ref() != UNALLOCATED)
            .map(|((_, s), c)| (s.clone(), positive(c.cost)))
            .collect();
        let ws: Vec<i128> = targets.iter().map(|(_, w)| *w).collect();
        let Some(parts) = day.get(&key).and_then(|s| s.apportion(&ws)) else {
            continue;
        };
        day.remove(&key);
        for ((service, _), part) in targets.iter().zip(parts) {
            day.entry((key.0.clone(), service.clone()))
                .or_default()
                .add(&part);
        }
    }
}
