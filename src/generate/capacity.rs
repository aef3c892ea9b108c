//! Capacity rows: what each region runs, sized from the CCU actually generated.
//!
//! Every region gets a row on the first day. The instances in force on the last day are sized
//! so that the last week's highest daily peak uses 55–70 % of the capacity the planner counts (the default
//! `[forecast]` knobs: instances less redundancy, at the target utilisation, with headroom; see
//! `forecast::plan`), and ~85 % in the fast-growing region (which then runs out within the
//! 28-day horizon). One region grows mid-period (a second past row,
//! the first row 20 % smaller) and one normal region has a scheduled row after the end.
//!
//! It must do no I/O; [`CapacitySchedule`] also tells the cost module the instances per day.

use rand::Rng;
use rand::seq::SliceRandom;

use super::model::{DAY, World, rng_for, stream};
use super::players::DailyCcu;
use super::writer::{blank_row, col, fmt_ts};
use crate::schema::Dataset;

/// Capacity rows per region: (effective_from, instances), sorted by time.
#[derive(Clone, Debug)]
pub(crate) struct CapacitySchedule {
    pub rows: Vec<Vec<(i64, u64)>>,
    pub max_instances: Vec<u64>,
}

impl CapacitySchedule {
    /// Instances of region `r` in force at `t` (the first row's before it).
    pub(crate) fn instances_at(&self, r: usize, t: i64) -> u64 {
        let rows = &self.rows[r];
        rows.iter()
            .rev()
            .find(|(from, _)| *from <= t)
            .unwrap_or(&rows[0])
            .1
    }
}

/// Sizes every region's capacity from the last day's CCU peaks.
pub(crate) fn make_capacity(world: &World, daily: &DailyCcu) -> CapacitySchedule {
    let mut rng = rng_for(world.seed, stream::CAPACITY);
    let last = world.days as usize - 1;
    let normal: Vec<usize> = (0..world.regions.len())
        .filter(|&r| !world.regions[r].fast)
        .collect();
    // The mid-period growth goes to a normal region (the fast one when it is alone).
    let mid_region = normal.choose(&mut rng).copied().unwrap_or(0);
    let future_region = normal
        .iter()
        .copied()
        .find(|&r| r != mid_region)
        .or(normal.first().copied());
    let mid_day = i64::from(world.days / 2);

    let mut rows = Vec::new();
    let mut max_instances = Vec::new();
    for (r, region) in world.regions.iter().enumerate() {
        let target = if region.fast {
            0.85
        } else {
            rng.gen_range(0.55..0.70)
        };
        // sized for the last week's highest day (weekends peak), as a planner would
        let week = last.saturating_sub(6)..=last;
        let peak = daily.peak[r][week]
            .iter()
            .copied()
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let k = crate::forecast::PlanKnobs::default();
        let per_instance =
            region.players_per_instance as f64 * k.target_utilisation / (1.0 + k.headroom);
        let at_end =
            ((peak / (target * per_instance)).ceil().max(1.0) as u64) + k.redundancy_instances;
        let mut schedule = Vec::new();
        if r == mid_region && mid_day >= 1 {
            schedule.push((world.start, ((at_end as f64) * 0.8).ceil() as u64));
            schedule.push((world.start + mid_day * DAY, at_end));
        } else {
            schedule.push((world.start, at_end));
        }
        if Some(r) == future_region {
            schedule.push((
                world.end + rng.gen_range(7..=14) * DAY,
                ((at_end as f64) * 1.3).ceil() as u64,
            ));
        }
        rows.push(schedule);
        max_instances.push(2 * at_end);
    }
    CapacitySchedule {
        rows,
        max_instances,
    }
}

/// The capacity rows in schema order, by effective_from then region.
pub(crate) fn capacity_rows(world: &World, schedule: &CapacitySchedule) -> Vec<Vec<String>> {
    let d = Dataset::Capacity;
    let mut entries: Vec<(i64, usize, u64)> = schedule
        .rows
        .iter()
        .enumerate()
        .flat_map(|(r, rows)| {
            rows.iter()
                .map(move |&(from, instances)| (from, r, instances))
        })
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|(from, r, instances)| {
            let region = &world.regions[r];
            let mut row = blank_row(d);
            row[col(d, "region")] = region.name.clone();
            row[col(d, "effective_from")] = fmt_ts(from);
            row[col(d, "instances")] = instances.to_string();
            row[col(d, "players_per_instance")] = region.players_per_instance.to_string();
            row[col(d, "max_instances")] = schedule.max_instances[r].to_string();
            row[col(d, "provisioning_lead_days")] = region.provisioning_lead_days.to_string();
            let cents = region.instance_cost_cents_per_hour;
            row[col(d, "instance_cost_per_hour")] = format!("{}.{:02}", cents / 100, cents % 100);
            row
        })
        .collect()
}
