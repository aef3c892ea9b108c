//! Cost rows in FOCUS 1.2 form: daily usage per region (compute, storage, networking,
//! databases, a tiny monitoring charge), and per month a credit and a tax row, plus one
//! commitment purchase and one correction of an earlier day.
//!
//! Compute follows the capacity schedule exactly (instances × 24 × the hourly price, split over
//! services by tag); networking follows player-hours, databases mean CCU. Amounts are exact
//! integers of 1e-10 USD printed as decimals (E-notation for the tiny rows). Covered compute
//! (half the regions) carries the commitment: EffectiveCost = 72 % of BilledCost; ListCost is
//! never below BilledCost. ~8 % of usage rows are untagged and ~1 % have `{}`.
//! It must do no I/O; it returns records.

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::capacity::CapacitySchedule;
use super::model::{DAY, World, rng_for, stream};
use super::players::DailyCcu;
use super::writer::{
    MONEY_UNITS_PER_USD, blank_row, col, date_of, fmt_money, fmt_money_sci, fmt_ts,
};
use crate::schema::Dataset;

pub(crate) const BILLING_ACCOUNT: &str = "111111111111";
const SUB_ACCOUNT: &str = "222222222222";
const COMMITMENT: &str = "arn:aws:savingsplans::111111111111:savingsplan/sp-0a1b2c3d4e5f6a7b";
const COMPUTE: (&str, &str) = ("Amazon Elastic Compute Cloud", "Compute");
/// Effective share of billed cost on committed rows, in percent.
const COMMITTED_PCT: i64 = 72;

/// One FOCUS row before it becomes text.
#[derive(Clone, Debug, Default)]
struct Charge {
    start: i64,
    end: i64,
    billed: i64,
    effective: i64,
    list: i64,
    contracted: i64,
    category: &'static str,
    correction: bool,
    billing_period: i64,
    region: Option<usize>,
    resource: String,
    tags: String,
    service: (&'static str, &'static str),
    committed: bool,
    commitment_id: bool,
    pricing: &'static str,
    scientific: bool,
}

impl Charge {
    /// A standard usage charge of `billed` for one day.
    fn usage(day_start: i64, billed: i64, service: (&'static str, &'static str)) -> Self {
        Charge {
            start: day_start,
            end: day_start + DAY,
            billed,
            effective: billed,
            list: billed,
            contracted: billed,
            category: "Usage",
            billing_period: month_start(day_start),
            service,
            pricing: "Standard",
            ..Charge::default()
        }
    }
}

fn usd(x: f64) -> i64 {
    (x * MONEY_UNITS_PER_USD as f64).round() as i64
}

/// 00:00 UTC of the first day of `t`'s month.
fn month_start(t: i64) -> i64 {
    let d = date_of(t);
    to_ts(NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("day 1 exists"))
}

fn next_month(t: i64) -> i64 {
    let d = date_of(t);
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    to_ts(NaiveDate::from_ymd_opt(y, m, 1).expect("day 1 exists"))
}

fn to_ts(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp()
}

fn tags(rng: &mut ChaCha8Rng, service: &str) -> String {
    let u: f64 = rng.gen_range(0.0..1.0);
    if u < 0.08 {
        String::new()
    } else if u < 0.09 {
        "{}".to_owned()
    } else {
        format!(r#"{{"service":"{service}","env":"prod"}}"#)
    }
}

/// Splits `total` over `weights` exactly (largest remainder, ties to the first).
fn split(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    let raw: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<i64> = raw.iter().map(|x| x.floor() as i64).collect();
    let mut left = total - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        (raw[b] - raw[b].floor())
            .total_cmp(&(raw[a] - raw[a].floor()))
            .then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(parts.len() * 2) {
        if left == 0 {
            break;
        }
        parts[i] += left.signum();
        left -= left.signum();
    }
    parts
}

/// The cost rows, sorted by charge period start.
pub(crate) fn cost_rows(
    world: &World,
    daily: &DailyCcu,
    schedule: &CapacitySchedule,
) -> Vec<Vec<String>> {
    let mut rng = rng_for(world.seed, stream::COST);
    let services: Vec<&str> = world.services.iter().map(|s| s.name.as_str()).collect();
    let weights: Vec<f64> = world.services.iter().map(|s| s.cost_weight).collect();
    let committed_regions = (world.regions.len() / 2).max(1);
    let storage_base: Vec<f64> = world
        .regions
        .iter()
        .map(|_| rng.gen_range(40.0..120.0))
        .collect();
    // The day, region and service whose compute was overcharged and corrected later.
    let fixed = (
        rng.gen_range(0..(world.days / 2).max(1)) as i64,
        rng.gen_range(0..world.regions.len()),
        rng.gen_range(0..services.len()),
    );

    let mut charges = Vec::new();
    for day in 0..i64::from(world.days) {
        let day_start = world.start + day * DAY;
        for (r, region) in world.regions.iter().enumerate() {
            let instances = schedule.instances_at(r, day_start) as i64;
            let compute =
                instances * 24 * region.instance_cost_cents_per_hour * (MONEY_UNITS_PER_USD / 100);
            for (s, part) in split(compute, &weights).into_iter().enumerate() {
                let mut c = Charge::usage(day_start, part, COMPUTE);
                if (day, r, s) == fixed {
                    let over = part / 10;
                    c.billed += over;
                    charges.push(correction(
                        world,
                        day_start,
                        r,
                        services[s],
                        over,
                        r < committed_regions,
                    ));
                }
                c.contracted = c.billed;
                c.list = c.billed * 100 / 97 + 1;
                c.effective = c.billed;
                if r < committed_regions {
                    c.effective = c.billed * COMMITTED_PCT / 100;
                    c.committed = true;
                    c.commitment_id = true;
                    c.pricing = "Committed";
                }
                c.region = Some(r);
                c.resource = format!("fleet/{}/{}", region.name, services[s]);
                c.tags = tags(&mut rng, services[s]);
                charges.push(c);
            }

            let minutes = daily.player_minutes[r][day as usize] as f64;
            let noise = |rng: &mut ChaCha8Rng| 1.0 + rng.gen_range(-0.03..0.03);
            let others = [
                (
                    usd(storage_base[r] * (1.0 + 0.002 * day as f64) * noise(&mut rng)),
                    ("Amazon Simple Storage Service", "Storage"),
                    format!("s3/{}-assets", region.name),
                    services[(2 * r + 5) % services.len()],
                ),
                (
                    usd(minutes / 60.0 * 0.0011 * noise(&mut rng)),
                    ("AWS Data Transfer", "Networking"),
                    format!("transfer/{}", region.name),
                    services[r % services.len()],
                ),
                (
                    usd((minutes / 1440.0 * 0.0008 + 15.0) * noise(&mut rng)),
                    ("Amazon DynamoDB", "Databases"),
                    format!("dynamodb/{}-profiles", region.name),
                    services[(r + 2) % services.len()],
                ),
            ];
            for (billed, service, resource, tag) in others {
                let mut c = Charge::usage(day_start, billed, service);
                c.list = billed + billed / 50;
                c.region = Some(r);
                c.resource = resource;
                c.tags = tags(&mut rng, tag);
                charges.push(c);
            }
            // A tiny monitoring charge, written in E-notation as some exports do.
            let tiny = rng.gen_range(10..100) * 10_i64.pow(rng.gen_range(4..=6));
            let mut c = Charge::usage(
                day_start,
                tiny,
                ("Amazon CloudWatch", "Management and Governance"),
            );
            c.region = Some(r);
            c.resource = format!("cloudwatch/{}", region.name);
            c.tags = tags(&mut rng, services[0]);
            c.scientific = true;
            charges.push(c);
        }
    }

    // Per month of the period: a credit and tax on that month's usage, over the days covered.
    let mut month = month_start(world.start);
    while month < world.end {
        let (from, to) = (month.max(world.start), next_month(month).min(world.end));
        let usage: i64 = charges
            .iter()
            .filter(|c| c.start >= from && c.start < to)
            .map(|c| c.billed)
            .sum();
        let credit = -usd(usage as f64 / MONEY_UNITS_PER_USD as f64 * rng.gen_range(0.02..0.04));
        charges.push(Charge {
            start: from,
            end: to,
            billed: credit,
            effective: credit,
            category: "Credit",
            billing_period: month,
            service: COMPUTE,
            resource: format!("credit/{}", fmt_ts(month).get(..7).unwrap_or_default()),
            ..Charge::default()
        });
        let tax = usage * 6 / 100;
        charges.push(Charge {
            start: from,
            end: to,
            billed: tax,
            effective: tax,
            list: tax,
            contracted: tax,
            category: "Tax",
            billing_period: month,
            service: ("Tax", "Other"),
            ..Charge::default()
        });
        month = next_month(month);
    }

    // The commitment bought for the first month, paid up front: BilledCost is the month's
    // amortised compute, EffectiveCost 0 (the usage rows carry it).
    let first = month_start(world.start);
    let month_days = (next_month(first) - first) / DAY;
    let daily_committed: i64 = charges
        .iter()
        .filter(|c| c.committed && c.start == world.start && !c.correction)
        .map(|c| c.effective)
        .sum();
    let purchase = daily_committed * month_days;
    charges.push(Charge {
        start: first,
        end: next_month(first),
        billed: purchase,
        effective: 0,
        list: purchase,
        contracted: purchase,
        category: "Purchase",
        billing_period: first,
        resource: COMMITMENT.to_owned(),
        service: ("Savings Plans for AWS Compute usage", "Compute"),
        commitment_id: true,
        pricing: "Standard",
        ..Charge::default()
    });

    charges.sort_by_key(|c| c.start);
    charges.iter().map(|c| to_row(world, c)).collect()
}

/// The correction of an overcharge of `over` on `day_start`'s compute, billed in the last
/// month of the period.
fn correction(
    world: &World,
    day_start: i64,
    r: usize,
    service: &str,
    over: i64,
    committed: bool,
) -> Charge {
    let mut c = Charge::usage(day_start, -over, COMPUTE);
    c.correction = true;
    c.billing_period = month_start(world.end - 1);
    if committed {
        c.effective = -over * COMMITTED_PCT / 100;
        c.committed = true;
        c.commitment_id = true;
        c.pricing = "Committed";
    }
    c.region = Some(r);
    c.resource = format!("fleet/{}/{service}", world.regions[r].name);
    c.tags = format!(r#"{{"service":"{service}","env":"prod"}}"#);
    c
}

fn to_row(world: &World, c: &Charge) -> Vec<String> {
    let d = Dataset::Cost;
    let money = if c.scientific {
        fmt_money_sci
    } else {
        fmt_money
    };
    let mut row = blank_row(d);
    let mut set = |name: &str, value: String| row[col(d, name)] = value;
    set("ChargePeriodStart", fmt_ts(c.start));
    set("ChargePeriodEnd", fmt_ts(c.end));
    set("BilledCost", money(c.billed));
    set("EffectiveCost", money(c.effective));
    set("ListCost", money(c.list));
    set("ContractedCost", money(c.contracted));
    set("BillingCurrency", "USD".into());
    set("ChargeCategory", c.category.into());
    set(
        "ChargeClass",
        if c.correction { "Correction" } else { "" }.into(),
    );
    set("BillingPeriodStart", fmt_ts(c.billing_period));
    set("BillingAccountId", BILLING_ACCOUNT.into());
    set("ServiceProviderName", "AWS".into());
    set(
        "RegionId",
        c.region
            .map(|r| world.regions[r].cloud_region.clone())
            .unwrap_or_default(),
    );
    set("SubAccountId", SUB_ACCOUNT.into());
    set("ResourceId", c.resource.clone());
    set("Tags", c.tags.clone());
    set("ServiceName", c.service.0.into());
    set("ServiceCategory", c.service.1.into());
    set(
        "CommitmentDiscountId",
        if c.commitment_id { COMMITMENT } else { "" }.into(),
    );
    set(
        "CommitmentDiscountStatus",
        if c.committed { "Used" } else { "" }.into(),
    );
    set("PricingCategory", c.pricing.into());
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_exact() {
        let parts = split(1_000_000_007, &[0.3, 0.1, 0.12, 0.18, 0.1, 0.2]);
        assert_eq!(parts.iter().sum::<i64>(), 1_000_000_007);
        assert!(parts.iter().all(|&p| p > 0));
    }
}
