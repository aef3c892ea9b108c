//! The capacity plan of a region (`capacity_plan` in DESIGN.md): from the daily-peak forecast
//! and the `capacity` rows (current and scheduled), how many instances are needed, when the
//! capacity runs out, and by when to order.
//!
//! Definitions (knobs in [`PlanKnobs`]):
//! - The **capacity row in force** on a day is the one with the latest `effective_from` on or
//!   before it (of equal dates, the later row given), scheduled rows included
//!   ([`capacity_by_day`]). A day before every row has no capacity (0 CCU).
//! - **Required instances** for a daily peak `p` at `players_per_instance` `k`:
//!   ⌈p × (1 + headroom) / (k × target_utilisation)⌉ + redundancy_instances
//!   ([`required_instances`]); the plan's figure is the largest over the horizon's days, on
//!   their `hi95`, each with the `players_per_instance` of its row (the earliest row's before
//!   the first one takes effect).
//! - **Capacity** of a day, in CCU, is the daily peak its instances can carry by the same rule:
//!   (instances − redundancy) × players_per_instance × target_utilisation / (1 + headroom), at
//!   least 0. So a day's peak exceeds its capacity exactly when it needs more instances than the
//!   day has. `current_capacity_ccu` is that of `as_of_date`.
//! - **Exhaustion dates**: the first forecast day whose `hi95` (earliest plausible) / median
//!   exceeds that day's capacity; none inside the horizon → empty.
//! - **Order-by date** = `exhaustion_date_hi95` − the lead days of the row in force on
//!   `as_of_date` (`provisioning_lead_days`, else `default_lead_days`). It may lie before
//!   `as_of_date`: the order is late.
//! - **Instances to add** = the largest, over the horizon's days, of the required instances
//!   (capped at that day's `max_instances`) less the day's instances, at least 0;
//!   **`cannot_cover`** when some day needs more than its `max_instances`.
//! - **Order cost per month** = instances to add × `instance_cost_per_hour` (row in force on
//!   `as_of_date`) × 730 hours.
//!
//! With no capacity row for the region every capacity figure is empty (never 0).
//!
//! Pure arithmetic: no I/O, no clock (`as_of_date` is a parameter).

use chrono::{Days, NaiveDate};

use super::RegionForecast;

/// Hours in an average month (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// One `capacity` row of a region.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityRow {
    /// First day (UTC) the row is in force.
    pub effective_from: NaiveDate,
    /// Instances in service.
    pub instances: u64,
    /// Players one instance carries at 100 % (from load tests).
    pub players_per_instance: f64,
    /// Most instances the region can have; `None` = no limit.
    pub max_instances: Option<u64>,
    /// Days from order to instances in service; `None` = the default.
    pub provisioning_lead_days: Option<u32>,
    /// Cost of one instance per hour (currency of the cost tables).
    pub instance_cost_per_hour: Option<f64>,
}

/// The planning knobs (`[forecast]` in the config).
#[derive(Clone, Debug, PartialEq)]
pub struct PlanKnobs {
    /// Spare share above the forecast peak (default 0.2).
    pub headroom: f64,
    /// Share of an instance's players it is planned to carry (default 0.8).
    pub target_utilisation: f64,
    /// Instances kept beyond need, N+k (default 1).
    pub redundancy_instances: u64,
    /// Lead days when a capacity row gives none (default 14).
    pub default_lead_days: u32,
}

impl Default for PlanKnobs {
    fn default() -> Self {
        PlanKnobs {
            headroom: 0.2,
            target_utilisation: 0.8,
            redundancy_instances: 1,
            default_lead_days: 14,
        }
    }
}

/// One `capacity_plan` row.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRow {
    /// The region.
    pub region: String,
    /// Capacity on `as_of_date`, CCU (module doc); empty without capacity rows.
    pub current_capacity_ccu: Option<f64>,
    /// Largest daily-peak median over the horizon.
    pub forecast_peak_ccu: Option<f64>,
    /// Largest daily-peak `hi95` over the horizon.
    pub hi95_peak_ccu: Option<f64>,
    /// First day whose `hi95` exceeds its capacity ("earliest plausible").
    pub exhaustion_date_hi95: Option<NaiveDate>,
    /// First day whose median exceeds its capacity.
    pub exhaustion_date_median: Option<NaiveDate>,
    /// Most instances any day of the horizon needs.
    pub required_instances: Option<u64>,
    /// Instances to order beyond the current and scheduled ones (capped at `max_instances`).
    pub instances_to_add: Option<u64>,
    /// `exhaustion_date_hi95` less the lead days.
    pub order_by_date: Option<NaiveDate>,
    /// Monthly cost of `instances_to_add`.
    pub order_cost_per_month: Option<f64>,
    /// Some day needs more than `max_instances`.
    pub cannot_cover: bool,
    /// The forecast's model.
    pub model: String,
    /// Its mean backtest MASE.
    pub backtest_mase: Option<f64>,
    /// Its daily-peak 95 % coverage in the backtest.
    pub backtest_cov95: Option<f64>,
}

/// The row in force each day (module doc).
pub fn capacity_by_day(rows: &[CapacityRow], days: &[NaiveDate]) -> Vec<Option<CapacityRow>> {
    days.iter()
        .map(|d| {
            rows.iter()
                .enumerate()
                .filter(|(_, r)| r.effective_from <= *d)
                .max_by_key(|(i, r)| (r.effective_from, *i))
                .map(|(_, r)| r.clone())
        })
        .collect()
}

/// ⌈hi95 × (1 + headroom) / (players_per_instance × target_utilisation)⌉ + redundancy.
/// A non-positive or non-finite `players_per_instance` or utilisation gives `u64::MAX` (no
/// number of instances is enough); a negative or non-finite peak counts as 0.
pub fn required_instances(hi95_peak: f64, players_per_instance: f64, knobs: &PlanKnobs) -> u64 {
    let per = players_per_instance * knobs.target_utilisation;
    if !(per.is_finite() && per > 0.0) {
        return u64::MAX;
    }
    let peak = if hi95_peak.is_finite() {
        hi95_peak.max(0.0)
    } else {
        0.0
    };
    let need = (peak * (1.0 + knobs.headroom.max(0.0)) / per).ceil();
    // `as` saturates at u64::MAX for huge values.
    (need as u64).saturating_add(knobs.redundancy_instances)
}

/// The daily peak (CCU) a capacity row carries under the knobs (module doc).
pub fn capacity_ccu(row: &CapacityRow, knobs: &PlanKnobs) -> f64 {
    let usable = row.instances.saturating_sub(knobs.redundancy_instances) as f64;
    let v = usable * row.players_per_instance * knobs.target_utilisation
        / (1.0 + knobs.headroom.max(0.0));
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

fn max_of(v: impl Iterator<Item = f64>) -> Option<f64> {
    v.filter(|x| x.is_finite()).max_by(f64::total_cmp)
}

/// One forecast day of the plan (the capacity columns of `capacity_forecast`).
#[derive(Clone, Debug, PartialEq)]
pub struct PlanDay {
    /// The forecast day.
    pub date: NaiveDate,
    /// Instances of the row in force (0 before every row).
    pub instances: u64,
    /// `max_instances` of the row in force.
    pub max_instances: Option<u64>,
    /// The day's capacity, CCU (module doc); empty without capacity rows.
    pub capacity_ccu: Option<f64>,
    /// Instances the day's `hi95` needs; empty without capacity rows.
    pub required_instances: Option<u64>,
}

/// Capacity and required instances of each forecast day (module doc).
pub fn plan_days(fc: &RegionForecast, capacity: &[CapacityRow], knobs: &PlanKnobs) -> Vec<PlanDay> {
    let earliest = capacity.iter().min_by_key(|r| r.effective_from);
    let days: Vec<NaiveDate> = fc.daily.iter().map(|d| d.date).collect();
    let in_force = capacity_by_day(capacity, &days);
    fc.daily
        .iter()
        .zip(in_force)
        .map(|(d, r)| PlanDay {
            date: d.date,
            instances: r.as_ref().map_or(0, |r| r.instances),
            max_instances: r.as_ref().and_then(|r| r.max_instances),
            capacity_ccu: earliest.map(|_| r.as_ref().map_or(0.0, |r| capacity_ccu(r, knobs))),
            required_instances: r
                .as_ref()
                .or(earliest)
                .map(|r| required_instances(d.hi95, r.players_per_instance, knobs)),
        })
        .collect()
}

/// The plan of one region (module doc).
pub fn capacity_plan(
    region: &str,
    as_of_date: NaiveDate,
    fc: &RegionForecast,
    capacity: &[CapacityRow],
    knobs: &PlanKnobs,
) -> PlanRow {
    let mut row = PlanRow {
        region: region.to_string(),
        current_capacity_ccu: None,
        forecast_peak_ccu: max_of(fc.daily.iter().map(|d| d.median)),
        hi95_peak_ccu: max_of(fc.daily.iter().map(|d| d.hi95)),
        exhaustion_date_hi95: None,
        exhaustion_date_median: None,
        required_instances: None,
        instances_to_add: None,
        order_by_date: None,
        order_cost_per_month: None,
        cannot_cover: false,
        model: fc.model.clone(),
        backtest_mase: fc.backtest_mase,
        backtest_cov95: fc.backtest_cov95,
    };
    if capacity.is_empty() {
        return row;
    }
    let now = capacity_by_day(capacity, &[as_of_date]).pop().flatten();
    row.current_capacity_ccu = Some(now.as_ref().map_or(0.0, |r| capacity_ccu(r, knobs)));
    let (mut required, mut to_add) = (None::<u64>, 0u64);
    for (d, p) in fc.daily.iter().zip(plan_days(fc, capacity, knobs)) {
        let cap = p.capacity_ccu.unwrap_or(0.0);
        if row.exhaustion_date_hi95.is_none() && d.hi95 > cap {
            row.exhaustion_date_hi95 = Some(d.date);
        }
        if row.exhaustion_date_median.is_none() && d.median > cap {
            row.exhaustion_date_median = Some(d.date);
        }
        let need = p.required_instances.unwrap_or(0);
        required = Some(required.map_or(need, |q| q.max(need)));
        let max = p.max_instances.unwrap_or(u64::MAX);
        row.cannot_cover |= need > max;
        to_add = to_add.max(need.min(max).saturating_sub(p.instances));
    }
    row.required_instances = required;
    row.instances_to_add = required.map(|_| to_add);
    let lead = now
        .as_ref()
        .and_then(|r| r.provisioning_lead_days)
        .unwrap_or(knobs.default_lead_days);
    row.order_by_date = row
        .exhaustion_date_hi95
        .and_then(|d| d.checked_sub_days(Days::new(lead.into())));
    row.order_cost_per_month = match (
        now.as_ref().and_then(|r| r.instance_cost_per_hour),
        row.instances_to_add,
    ) {
        (Some(c), Some(k)) if c.is_finite() => Some(k as f64 * c * HOURS_PER_MONTH),
        _ => None,
    };
    row
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
