//! The generator's simulated world: regions, services, the period, and the player-level curve
//! that every dataset is drawn from.
//!
//! A region's expected concurrent players at an instant ([`World::level`]) is its base × growth
//! × daily cycle (peak 20:00 local, trough 35 % of peak at 05:00) × weekend uplift × event
//! uplift × incident dent. CCU samples add noise to it; SLO requests, activity and cost follow
//! it, so the datasets agree with each other. Everything is drawn from seeded ChaCha8 streams,
//! one per purpose, so a seed gives the same world on every platform.
//!
//! It must do no I/O and read no clock or environment.

use std::f64::consts::PI;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) const MINUTE: i64 = 60;
pub(crate) const HOUR: i64 = 3_600;
pub(crate) const DAY: i64 = 86_400;

/// One seeded random stream per purpose, so adding draws to one dataset leaves the others as
/// they were.
pub(crate) mod stream {
    pub(crate) const WORLD: u64 = 1;
    pub(crate) const EVENTS: u64 = 2;
    pub(crate) const DEPLOYMENTS: u64 = 3;
    pub(crate) const INCIDENTS: u64 = 4;
    pub(crate) const CCU: u64 = 5;
    pub(crate) const ACTIVITY: u64 = 6;
    pub(crate) const CAPACITY: u64 = 7;
    pub(crate) const COST: u64 = 8;
    pub(crate) const SLO: u64 = 9;
}

/// The random stream `stream` of `seed`.
pub(crate) fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A game region.
#[derive(Clone, Debug)]
pub(crate) struct Region {
    pub name: String,
    /// Provider region id used in the cost export (`eu-west-1`).
    pub cloud_region: String,
    /// Hours from UTC of the region's players (its daily cycle follows their clock).
    pub utc_offset_h: f64,
    /// Weekday peak CCU (all shards) at the period's start, before events.
    pub peak_base: f64,
    /// ln(1 + daily growth rate).
    pub ln_growth: f64,
    /// The region that outgrows its capacity within the forecast horizon.
    pub fast: bool,
    /// Saturday/Sunday multiplier.
    pub weekend_uplift: f64,
    /// DAU per mean CCU.
    pub dau_per_ccu: f64,
    pub players_per_instance: u64,
    pub instance_cost_cents_per_hour: i64,
    pub provisioning_lead_days: u64,
}

/// A game backend service, with the rates its datasets are drawn with.
#[derive(Clone, Debug)]
pub(crate) struct Service {
    pub name: String,
    pub deploys_per_day: f64,
    pub incident_weight: f64,
    /// Requests per player per minute.
    pub requests_per_player_min: f64,
    pub base_error_rate: f64,
    pub latency_p50_ms: f64,
    /// Share of compute cost.
    pub cost_weight: f64,
}

/// A calendar event (see [`super::events`]).
#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub id: String,
    pub name: String,
    pub starts: i64,
    pub ends: i64,
    pub region: Option<usize>,
    pub kind: &'static str,
    /// Player multiplier; `None` is written as an empty cell.
    pub uplift: Option<f64>,
}

/// A deployment (see [`super::changes`]).
#[derive(Clone, Debug)]
pub(crate) struct Deployment {
    pub id: String,
    pub service: usize,
    pub finished: i64,
    pub started: i64,
    pub first_commit: i64,
    /// Canonical status: `success`, `failed`, `rolled_back` or `cancelled`.
    pub status: &'static str,
    /// The spelling written to the export (a synonym now and then).
    pub status_text: &'static str,
    pub production: bool,
    pub region: Option<usize>,
    pub commit_count: u32,
}

/// An incident (see [`super::changes`]).
#[derive(Clone, Debug)]
pub(crate) struct Incident {
    pub id: String,
    pub service: usize,
    /// 1 (worst) to 5.
    pub severity: u8,
    pub severity_text: &'static str,
    pub opened: i64,
    pub detected: i64,
    pub acknowledged: i64,
    pub mitigated: Option<i64>,
    pub resolved: Option<i64>,
    pub region: Option<usize>,
    pub environment: &'static str,
    pub caused_by: Option<String>,
    pub players_affected: Option<u64>,
    pub title: String,
    pub cause: &'static str,
    pub postmortem_url: Option<String>,
    /// Share of players lost while it lasts (SEV1–SEV2 only, else 0).
    pub ccu_drop: f64,
}

impl Incident {
    /// End of player impact: mitigation, else resolution, else `fallback` (still open).
    pub(crate) fn impact_end(&self, fallback: i64) -> i64 {
        self.mitigated.or(self.resolved).unwrap_or(fallback)
    }

    /// Whether it affects `region` (an incident without a region affects all).
    pub(crate) fn affects(&self, region: usize) -> bool {
        self.region.is_none_or(|r| r == region)
    }
}

/// How CCU is sampled: the interval and the shards of each region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CcuPlan {
    pub interval_min: u32,
    pub shards: Vec<u32>,
}

impl CcuPlan {
    /// Default: 5-minute samples, 3 shards per region. With a row target: the interval and
    /// shard count whose total is nearest the target (within 5 %, else 10 %, else nearest),
    /// preferring 5 minutes for targets up to ~3 shards per region, 1 minute above that,
    /// coarser intervals only when even one shard per region at 5 minutes is too many.
    pub(crate) fn new(days: u32, regions: u32, rows: Option<u64>) -> Self {
        let Some(target) = rows else {
            return Self {
                interval_min: 5,
                shards: vec![3; regions as usize],
            };
        };
        let per_series = |interval: u32| u64::from(days) * 1440 / u64::from(interval);
        let small = target as f64 <= 3.5 * f64::from(regions) * per_series(5) as f64;
        let order: &[u32] = if small {
            &[5, 10, 15, 30, 60, 2, 1]
        } else {
            &[1, 2, 5]
        };
        let candidates: Vec<(u32, u64, f64)> = order
            .iter()
            .map(|&interval| {
                let per = per_series(interval);
                let series = ((target as f64 / per as f64).round() as u64).max(u64::from(regions));
                let error = (series * per).abs_diff(target) as f64 / target as f64;
                (interval, series, error)
            })
            .collect();
        let pick = candidates
            .iter()
            .find(|c| c.2 <= 0.05)
            .or_else(|| candidates.iter().find(|c| c.2 <= 0.10))
            .or_else(|| candidates.iter().min_by(|a, b| a.2.total_cmp(&b.2)))
            .copied()
            .expect("the candidate list is not empty");
        let (interval_min, series, _) = pick;
        let regions64 = u64::from(regions);
        let shards = (0..regions64)
            .map(|r| (series / regions64 + u64::from(r < series % regions64)) as u32)
            .collect();
        Self {
            interval_min,
            shards,
        }
    }

    /// Samples per series over `days`.
    pub(crate) fn samples(&self, days: u32) -> u64 {
        u64::from(days) * 1440 / u64::from(self.interval_min)
    }

    /// CCU rows over `days`.
    pub(crate) fn rows(&self, days: u32) -> u64 {
        self.samples(days) * self.shards.iter().map(|&s| u64::from(s)).sum::<u64>()
    }
}

/// Everything the datasets are drawn from.
#[derive(Clone, Debug)]
pub(crate) struct World {
    pub seed: u64,
    /// First instant of the period (00:00 UTC of the first day).
    pub start: i64,
    /// End of the period, exclusive (00:00 UTC after the last day).
    pub end: i64,
    pub days: u32,
    pub regions: Vec<Region>,
    pub services: Vec<Service>,
    pub events: Vec<Event>,
    pub deployments: Vec<Deployment>,
    pub incidents: Vec<Incident>,
    pub ccu: CcuPlan,
    pub slo_interval_min: u32,
}

const FIRST_REGIONS: [(&str, f64, &str); 4] = [
    ("eu-west", 1.0, "eu-west-1"),
    ("us-east", -5.0, "us-east-1"),
    ("us-west", -8.0, "us-west-2"),
    ("ap-southeast", 8.0, "ap-southeast-1"),
];

/// (name, deploys/day, incident weight, requests/player/min, error rate, p50 ms, cost weight)
const FIRST_SERVICES: [(&str, f64, f64, f64, f64, f64, f64); 6] = [
    ("matchmaking", 2.5, 1.5, 0.2, 0.0006, 25.0, 0.30),
    ("login", 1.0, 1.2, 0.02, 0.0008, 18.0, 0.10),
    ("store", 1.5, 1.0, 0.05, 0.0004, 40.0, 0.12),
    ("chat", 0.8, 0.8, 0.5, 0.0003, 15.0, 0.18),
    ("leaderboards", 0.5, 0.5, 0.1, 0.0005, 22.0, 0.10),
    ("inventory", 2.0, 1.0, 0.3, 0.0007, 30.0, 0.20),
];

const COST_CENTS_PER_HOUR: [i64; 5] = [85, 96, 112, 78, 104];

/// The regions: the first four named, then `region-05` … with offsets spread over the day.
/// The fast-growing one is `ap-southeast` when it exists, else the last.
pub(crate) fn make_regions(count: u32, rng: &mut ChaCha8Rng) -> Vec<Region> {
    let fast = if count >= 4 { 3 } else { count as usize - 1 };
    (0..count as usize)
        .map(|i| {
            let (name, offset, cloud) = match FIRST_REGIONS.get(i) {
                Some(&(n, o, c)) => (n.to_owned(), o, c.to_owned()),
                None => {
                    let offset = f64::from(((i as i32) * 7 + 3) % 24 - 11);
                    (
                        format!("region-{:02}", i + 1),
                        offset,
                        format!("region-{:02}-1", i + 1),
                    )
                }
            };
            let is_fast = i == fast;
            let peak_base = if is_fast {
                rng.gen_range(25_000.0..50_000.0)
            } else {
                rng.gen_range(20_000.0..150_000.0)
            };
            let growth: f64 = if is_fast {
                0.012
            } else {
                rng.gen_range(0.001..0.004)
            };
            Region {
                name,
                cloud_region: cloud,
                utc_offset_h: offset,
                peak_base,
                ln_growth: growth.ln_1p(),
                fast: is_fast,
                weekend_uplift: rng.gen_range(1.15..1.25),
                dau_per_ccu: rng.gen_range(6.0..9.0),
                players_per_instance: if rng.gen_bool(0.5) { 500 } else { 1000 },
                instance_cost_cents_per_hour: COST_CENTS_PER_HOUR[i % COST_CENTS_PER_HOUR.len()],
                provisioning_lead_days: rng.gen_range(7..=21),
            }
        })
        .collect()
}

/// The services: the first six named, then `service-07` … with drawn rates.
pub(crate) fn make_services(count: u32, rng: &mut ChaCha8Rng) -> Vec<Service> {
    (0..count as usize)
        .map(|i| match FIRST_SERVICES.get(i) {
            Some(&(name, deploys, weight, rpm, err, p50, cost)) => Service {
                name: name.to_owned(),
                deploys_per_day: deploys,
                incident_weight: weight,
                requests_per_player_min: rpm,
                base_error_rate: err,
                latency_p50_ms: p50,
                cost_weight: cost,
            },
            None => Service {
                name: format!("service-{:02}", i + 1),
                deploys_per_day: rng.gen_range(0.5..3.0),
                incident_weight: rng.gen_range(0.5..1.2),
                requests_per_player_min: rng.gen_range(0.02..0.3),
                base_error_rate: rng.gen_range(0.0003..0.001),
                latency_p50_ms: rng.gen_range(15.0..45.0),
                cost_weight: rng.gen_range(0.05..0.2),
            },
        })
        .collect()
}

/// Share of the daily peak at local hour `h` (0–24): 1.0 at 20:00, 0.35 at 05:00, rising over
/// 15 hours and falling over 9 along half-cosines.
pub(crate) fn daily_cycle(h: f64) -> f64 {
    const TROUGH: f64 = 0.35;
    const LOW_H: f64 = 5.0;
    const PEAK_H: f64 = 20.0;
    let half_cos = |x: f64| (1.0 - (PI * x).cos()) / 2.0;
    if (LOW_H..PEAK_H).contains(&h) {
        TROUGH + (1.0 - TROUGH) * half_cos((h - LOW_H) / (PEAK_H - LOW_H))
    } else {
        let x = (h - PEAK_H).rem_euclid(24.0) / (24.0 - PEAK_H + LOW_H);
        1.0 - (1.0 - TROUGH) * half_cos(x)
    }
}

impl World {
    /// Expected concurrent players of region `r` at `t` (all shards), incidents included.
    pub(crate) fn level(&self, r: usize, t: i64) -> f64 {
        self.base_level(r, t) * self.dent(r, t)
    }

    /// [`World::level`] without incident dents.
    pub(crate) fn base_level(&self, r: usize, t: i64) -> f64 {
        let region = &self.regions[r];
        let days = (t - self.start) as f64 / DAY as f64;
        region.peak_base * (region.ln_growth * days).exp() * self.load(r, t) * self.uplift(r, t)
    }

    /// The daily and weekly shape alone (about 0.35–1.25).
    pub(crate) fn load(&self, r: usize, t: i64) -> f64 {
        let region = &self.regions[r];
        let local = t + (region.utc_offset_h * HOUR as f64) as i64;
        let hour = local.rem_euclid(DAY) as f64 / HOUR as f64;
        // Weekend days run from 05:00 local (the trough), so the step is small. 1970-01-01
        // was a Thursday: with Sunday = 0, day 0 is 4.
        let weekday = ((local - 5 * HOUR).div_euclid(DAY) + 4).rem_euclid(7);
        let weekend = if weekday == 0 || weekday == 6 {
            region.weekend_uplift
        } else {
            1.0
        };
        daily_cycle(hour) * weekend
    }

    /// Product of the uplifts of the events running at `t` in region `r`, each ramping in and
    /// out over an hour.
    pub(crate) fn uplift(&self, r: usize, t: i64) -> f64 {
        let mut factor = 1.0;
        for event in &self.events {
            let Some(uplift) = event.uplift else { continue };
            if t < event.starts || t >= event.ends || event.region.is_some_and(|er| er != r) {
                continue;
            }
            let ramp = ((t - event.starts).min(event.ends - t) as f64 / HOUR as f64).min(1.0);
            factor *= 1.0 + (uplift - 1.0) * ramp;
        }
        factor
    }

    /// Share of players left while SEV1–SEV2 incidents in region `r` last (1.0 when none).
    pub(crate) fn dent(&self, r: usize, t: i64) -> f64 {
        let mut factor: f64 = 1.0;
        for inc in &self.incidents {
            if inc.ccu_drop > 0.0
                && inc.affects(r)
                && t >= inc.opened
                && t < inc.impact_end(self.end)
            {
                factor = factor.min(1.0 - inc.ccu_drop);
            }
        }
        factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_cycle_peaks_at_20_and_bottoms_at_5() {
        assert!((daily_cycle(20.0) - 1.0).abs() < 1e-9);
        assert!((daily_cycle(5.0) - 0.35).abs() < 1e-9);
        for h in 0..24 {
            let v = daily_cycle(f64::from(h));
            assert!((0.35..=1.0).contains(&v), "hour {h}: {v}");
        }
        assert!(daily_cycle(12.0) > daily_cycle(8.0));
        assert!(daily_cycle(23.0) < daily_cycle(21.0));
    }

    #[test]
    fn ccu_plan_hits_targets() {
        assert_eq!(
            CcuPlan::new(90, 4, None),
            CcuPlan {
                interval_min: 5,
                shards: vec![3; 4]
            }
        );
        for (days, regions, target) in [
            (7, 4, 200_000u64),
            (90, 4, 10_000_000),
            (90, 4, 400_000),
            (30, 2, 1_000_000),
            (90, 6, 50_000),
        ] {
            let plan = CcuPlan::new(days, regions, Some(target));
            let rows = plan.rows(days);
            let error = rows.abs_diff(target) as f64 / target as f64;
            assert!(
                error <= 0.10,
                "{days} days, {regions} regions, {target}: {plan:?} → {rows}"
            );
            assert!(plan.shards.iter().all(|&s| s >= 1));
        }
        assert_eq!(CcuPlan::new(90, 4, Some(10_000_000)).interval_min, 1);
    }
}
