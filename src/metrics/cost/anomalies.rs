//! `cost_anomalies` (date × service): days whose cost of a service (all regions), or in
//! total (`*`), is far from its recent normal.
//!
//! For each complete day of the window, the baseline is the service's daily cost on the
//! complete days among the 28 before it (a covered day without cost for the service counts
//! as 0). With at least `anomaly_min_baseline_days` of them: median `m`, and the robust
//! z-score `z = 0.6745 · (x − m) / MAD` (MAD = median |xᵢ − m|; Iglewicz and Hoaglin). When
//! the MAD is 0 the mean absolute deviation stands in (`z = (x − m) / (1.2533 · MeanAD)`);
//! when that is 0 too (a flat baseline), `z` is empty and any change counts as far.
//!
//! A day is flagged when |z| ≥ `anomaly_z` **and** |x − m| ≥ `anomaly_min_change` (the
//! absolute floor keeps small services' noise out). Only flagged days are written. Services
//! are judged alone as well as in total, since opposite moves can cancel in the total.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use polars::prelude::*;

use super::ledger::{CostLedger, day_start};
use super::money::{Money, Rounding, money_column};
use super::per_player::{CostWindow, dim_order};
use super::settings::{ALL, AnomalySettings};
use crate::error::{PolarsContext, Result};
use crate::metrics::columns::column;
use crate::metrics::periods::PeriodKind;

/// Days in the trailing baseline.
pub const BASELINE_DAYS: i64 = 28;

/// One flagged day.
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalyRow {
    pub date: NaiveDate,
    /// The service, or `*` for the total.
    pub service: String,
    pub cost: Money,
    pub baseline_median: Money,
    pub baseline_mad: Money,
    pub baseline_days: u32,
    /// Empty when the baseline is flat.
    pub robust_z: Option<f64>,
    /// `cost − baseline_median`.
    pub change: Money,
    /// `up` or `down`.
    pub direction: &'static str,
    pub currency: String,
}

/// The median of sorted values, exact (the mean of the middle two rounds half-to-even).
fn median(sorted: &[Money]) -> Money {
    let n = sorted.len();
    if n == 0 {
        return Money::ZERO;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2])
            .mul_ratio(1, 2, Rounding::HalfEven)
            .unwrap_or(sorted[n / 2])
    }
}

/// `(median, MAD, robust z of x)`.
fn robust(baseline: &[Money], x: Money) -> (Money, Money, Option<f64>) {
    let mut v = baseline.to_vec();
    v.sort();
    let m = median(&v);
    let mut dev: Vec<Money> = v.iter().map(|b| (*b - m).abs()).collect();
    dev.sort();
    let mad = median(&dev);
    let d = (x - m).to_f64();
    let z = if mad.is_positive() {
        Some(0.6745 * d / mad.to_f64())
    } else {
        let mean_ad = dev.iter().map(|m| m.to_f64()).sum::<f64>() / dev.len().max(1) as f64;
        (mean_ad > 0.0).then(|| d / (1.253_314 * mean_ad))
    };
    (m, mad, z)
}

/// The flagged days.
pub fn cost_anomalies(
    ledger: &CostLedger,
    window: &CostWindow,
    settings: &AnomalySettings,
) -> Vec<AnomalyRow> {
    let mut daily: HashMap<(NaiveDate, &str), Money> = HashMap::new();
    let mut services: BTreeSet<&str> = BTreeSet::new();
    for ((date, _, service), s) in &ledger.slices {
        *daily.entry((*date, service.as_ref())).or_default() += s.cost;
        *daily.entry((*date, ALL)).or_default() += s.cost;
        services.insert(service.as_ref());
    }
    services.insert(ALL);
    let mut services: Vec<&str> = services.into_iter().collect();
    services.sort_by(|a, b| dim_order(a, b));
    let done = |d: NaiveDate| ledger.is_complete(d, window.as_of);
    let mut out: BTreeMap<(NaiveDate, usize), AnomalyRow> = BTreeMap::new();
    for period in window
        .periods()
        .iter()
        .filter(|p| p.kind == PeriodKind::Day)
    {
        let date = period.start.date_naive();
        if day_start(date) != period.start || !done(date) {
            continue;
        }
        let base_days: Vec<NaiveDate> = (1..=BASELINE_DAYS)
            .map(|k| date - Duration::days(k))
            .filter(|d| done(*d))
            .collect();
        if (base_days.len() as u32) < settings.min_baseline_days {
            continue;
        }
        for (i, service) in services.iter().enumerate() {
            let cost = |d: NaiveDate| daily.get(&(d, *service)).copied().unwrap_or_default();
            let baseline: Vec<Money> = base_days.iter().map(|d| cost(*d)).collect();
            let x = cost(date);
            let (m, mad, z) = robust(&baseline, x);
            let change = x - m;
            let far = match z {
                Some(z) => z.abs() >= settings.z,
                None => !change.is_zero(),
            };
            if far && change.abs() >= settings.min_change && !change.is_zero() {
                out.insert(
                    (date, i),
                    AnomalyRow {
                        date,
                        service: service.to_string(),
                        cost: x,
                        baseline_median: m,
                        baseline_mad: mad,
                        baseline_days: base_days.len() as u32,
                        robust_z: z,
                        change,
                        direction: if change.is_positive() { "up" } else { "down" },
                        currency: ledger.currency.clone(),
                    },
                );
            }
        }
    }
    out.into_values().collect()
}

/// The rows as the `cost_anomalies` table.
pub fn cost_anomalies_frame(rows: &[AnomalyRow]) -> Result<DataFrame> {
    let dates: Vec<i32> = rows
        .iter()
        .map(|r| (r.date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32)
        .collect();
    let date = Series::new("date".into(), dates)
        .cast(&DataType::Date)
        .ctx(|| "column `date`".into())?;
    DataFrame::new_infer_height(vec![
        date.into(),
        column("service", rows, |r| r.service.clone()),
        money_column("cost", rows, |r| Some(r.cost))?,
        money_column("baseline_median", rows, |r| Some(r.baseline_median))?,
        money_column("baseline_mad", rows, |r| Some(r.baseline_mad))?,
        column("baseline_days", rows, |r| r.baseline_days),
        column("robust_z", rows, |r| r.robust_z),
        money_column("change", rows, |r| Some(r.change))?,
        column("direction", rows, |r| r.direction.to_string()),
        column("currency", rows, |r| r.currency.clone()),
    ])
    .ctx(|| "building cost_anomalies".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn robust_z_by_hand() {
        // baseline 10, 11, 12, 13, 14: median 12, |dev| 2 1 0 1 2 → MAD 1
        let b: Vec<Money> = ["10", "11", "12", "13", "14"].map(m).to_vec();
        let (med, mad, z) = robust(&b, m("20"));
        assert_eq!((med, mad), (m("12"), m("1")));
        // z = 0.6745 × 8 / 1 = 5.396
        assert!((z.unwrap() - 5.396).abs() < 1e-12);
        // even count: median of 10, 11 is 10.5
        assert_eq!(median(&[m("10"), m("11")]), m("10.5"));
        // MAD 0 (four equal, one off): MeanAD = 5 / 5 = 1 → z = 5 / 1.253314
        let b: Vec<Money> = ["10", "10", "10", "10", "15"].map(m).to_vec();
        let (_, mad, z) = robust(&b, m("15"));
        assert_eq!(mad, Money::ZERO);
        assert!((z.unwrap() - 5.0 / 1.253_314).abs() < 1e-12);
        // flat baseline: no z
        let (_, _, z) = robust(&[m("3"); 7], m("4"));
        assert_eq!(z, None);
    }
}
