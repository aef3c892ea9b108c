//! Player data: CCU samples per region and shard (streamed), and daily activity built from them.
//!
//! Each sample is the region's level ([`World::level`]) × the shard's share × a region-wide
//! AR(1) noise (2.5 %, one-hour memory) × a per-sample noise (2 %), rounded to a whole player.
//! While streaming it sums each region's samples into player-minutes and peaks per day
//! ([`DailyCcu`]), which activity, capacity and cost are drawn from.
//!
//! It must never hold the CCU rows: memory stays flat however many rows are asked for.

use std::io;
use std::path::Path;

use chrono::Days;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::model::{DAY, MINUTE, World, rng_for, stream};
use super::writer::{
    BadCursor, BadPlan, PartWriter, blank_row, col, date_of, fmt_date, fmt_real, fmt_ts, push_u64,
};
use super::{GeneratedFile, bad_row_kinds};
use crate::schema::{Dataset, Rule};

/// What activity, capacity and cost need from the CCU samples, per UTC day of the period.
#[derive(Clone, Debug)]
pub(crate) struct DailyCcu {
    /// Σ over the day's samples of the region's total × the interval (player-minutes), [region][day].
    pub player_minutes: Vec<Vec<u64>>,
    /// Largest per-sample sum over the region's shards, [region][day].
    pub peak: Vec<Vec<u64>>,
    /// Largest per-sample sum over all regions, [day].
    pub global_peak: Vec<u64>,
}

/// Streams the CCU rows to `out_dir/ccu/`, replacing a `bad_fraction` of them with bad rows.
pub(crate) fn write_ccu(
    world: &World,
    out_dir: &Path,
    bad_fraction: f64,
) -> io::Result<(Vec<GeneratedFile>, DailyCcu)> {
    let d = Dataset::Ccu;
    let mut rng = rng_for(world.seed, stream::CCU);
    let regions = world.regions.len();
    let days = world.days as usize;
    let interval_min = world.ccu.interval_min;
    let interval = i64::from(interval_min) * MINUTE;
    let samples = world.ccu.samples(world.days);

    let shard_names: Vec<Vec<String>> = world
        .ccu
        .shards
        .iter()
        .map(|&n| (1..=n).map(|k| format!("s{k}")).collect())
        .collect();
    let shares: Vec<Vec<f64>> = world
        .ccu
        .shards
        .iter()
        .map(|&n| {
            let weights: Vec<f64> = (0..n).map(|_| rng.gen_range(0.6..1.4)).collect();
            let sum: f64 = weights.iter().sum();
            weights.into_iter().map(|w| w / sum).collect()
        })
        .collect();
    const REGION_NOISE: f64 = 0.025;
    const SAMPLE_NOISE: f64 = 0.02;
    let phi = (-f64::from(interval_min) / 60.0).exp();
    let innovation = REGION_NOISE * (1.0 - phi * phi).sqrt();
    let mut ar: Vec<f64> = (0..regions)
        .map(|_| REGION_NOISE * normal(&mut rng))
        .collect();

    let kinds = bad_row_kinds(d);
    let mut cursor = BadCursor::new(BadPlan::new(
        world.ccu.rows(world.days),
        bad_fraction,
        kinds.len(),
    ));
    let (i_ts, i_region, i_ccu, i_shard) = (
        col(d, "ts"),
        col(d, "region"),
        col(d, "ccu"),
        col(d, "shard"),
    );

    let mut daily = DailyCcu {
        player_minutes: vec![vec![0; days]; regions],
        peak: vec![vec![0; days]; regions],
        global_peak: vec![0; days],
    };
    let mut writer = PartWriter::create(out_dir, d)?;
    let mut number = Vec::with_capacity(24);
    let mut row_index = 0u64;
    for i in 0..samples {
        let t = world.start + i as i64 * interval;
        let ts = fmt_ts(t);
        let day = ((t - world.start) / DAY) as usize;
        let mut all_regions = 0u64;
        for r in 0..regions {
            let level = world.level(r, t);
            ar[r] = phi * ar[r] + innovation * normal(&mut rng);
            let region_factor = level * (1.0 + ar[r]);
            let region = world.regions[r].name.as_bytes();
            let mut total = 0u64;
            for (share, shard) in shares[r].iter().zip(&shard_names[r]) {
                let noise = 1.0 + SAMPLE_NOISE * normal(&mut rng);
                let ccu = (region_factor * share * noise).round().max(0.0) as u64;
                total += ccu;
                if let Some((j, kind, cycle)) = cursor.check(row_index) {
                    let bad = bad_ccu(kinds[kind], cycle, &ts, &world.regions[r].name, ccu, j);
                    let mut record: [&[u8]; 4] = [b""; 4];
                    record[i_ts] = bad.0.as_bytes();
                    record[i_region] = bad.1.as_bytes();
                    record[i_ccu] = bad.2.as_bytes();
                    record[i_shard] = bad.3.as_bytes();
                    writer.write(record, true)?;
                } else {
                    number.clear();
                    push_u64(&mut number, ccu);
                    let mut record: [&[u8]; 4] = [b""; 4];
                    record[i_ts] = ts.as_bytes();
                    record[i_region] = region;
                    record[i_ccu] = &number;
                    record[i_shard] = shard.as_bytes();
                    writer.write(record, false)?;
                }
                row_index += 1;
            }
            daily.player_minutes[r][day] += total * u64::from(interval_min);
            daily.peak[r][day] = daily.peak[r][day].max(total);
            all_regions += total;
        }
        daily.global_peak[day] = daily.global_peak[day].max(all_regions);
    }
    Ok((writer.finish()?, daily))
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

/// The j-th bad CCU row, replacing a sample: (ts, region, ccu, shard), on its own shard
/// `bad-N` so its key is no good row's.
fn bad_ccu(
    kind: Rule,
    cycle: u64,
    ts: &str,
    region: &str,
    ccu: u64,
    j: u64,
) -> (String, String, String, String) {
    let (mut ts, mut region, mut ccu) = (ts.to_owned(), region.to_owned(), ccu.to_string());
    match kind {
        Rule::UnparseableNumber => ccu = "abc".to_owned(),
        Rule::NotAnInteger => ccu = ["12.5", "NaN", "inf"][(cycle % 3) as usize].to_owned(),
        Rule::NegativeValue => ccu = "-3".to_owned(),
        Rule::MissingRequired => region.clear(),
        Rule::UnparseableTimestamp => ts = format!("{}T30:00:00Z", &ts[..10]),
        other => unreachable!("`{}` is not a ccu bad-row kind", other.id()),
    }
    (ts, region, ccu, format!("bad-{}", j + 1))
}

/// Daily activity per region, then the whole game (`*`): DAU ≈ mean CCU × 6–9, player-hours
/// = the CCU integral, new players 2–5 % of DAU, the peak of the summed samples. The `*` DAU
/// is 0.93 × Σ regional DAU (players active in several regions count once).
pub(crate) fn activity_rows(world: &World, daily: &DailyCcu) -> Vec<Vec<String>> {
    let mut rng = rng_for(world.seed, stream::ACTIVITY);
    let first = date_of(world.start);
    let mut rows = Vec::new();
    for day in 0..world.days as usize {
        let date = fmt_date(first + Days::new(day as u64));
        let (mut dau_sum, mut minutes_sum, mut new_sum) = (0u64, 0u64, 0u64);
        for (r, region) in world.regions.iter().enumerate() {
            let minutes = daily.player_minutes[r][day];
            let mean_ccu = minutes as f64 / 1440.0;
            let dau = (mean_ccu * region.dau_per_ccu * (1.0 + 0.03 * normal(&mut rng)))
                .round()
                .max(0.0) as u64;
            let new_players = (dau as f64 * rng.gen_range(0.02..0.05)).round() as u64;
            rows.push(activity_row(
                &date,
                &region.name,
                dau,
                minutes,
                new_players,
                daily.peak[r][day],
            ));
            dau_sum += dau;
            minutes_sum += minutes;
            new_sum += new_players;
        }
        let global_dau = (0.93 * dau_sum as f64).round() as u64;
        rows.push(activity_row(
            &date,
            "*",
            global_dau,
            minutes_sum,
            new_sum,
            daily.global_peak[day],
        ));
    }
    rows
}

fn activity_row(
    date: &str,
    region: &str,
    dau: u64,
    minutes: u64,
    new_players: u64,
    peak: u64,
) -> Vec<String> {
    let d = Dataset::Activity;
    let mut row = blank_row(d);
    row[col(d, "date")] = date.to_owned();
    row[col(d, "region")] = region.to_owned();
    row[col(d, "dau")] = dau.to_string();
    row[col(d, "player_hours")] = fmt_real(minutes as f64 / 60.0, 2);
    row[col(d, "new_players")] = new_players.to_string();
    row[col(d, "peak_ccu")] = peak.to_string();
    row
}
