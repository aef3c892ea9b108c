//! SLO request metrics per service × region × interval (streamed).
//!
//! Requests follow the region's player level × the service's requests per player (at least 1);
//! errors are a base rate (0.03–0.1 %) with noise, plus a surge while an incident of that
//! service touches the region (SEV1 ~30 %, SEV2 ~8 %, SEV3 ~1 %, SEV4 ~0.2 %, weighted by how
//! much of the interval it covers); latency percentiles rise with load and during incidents.
//! Errors never exceed requests on a good row.
//!
//! It must never hold the rows: they are written as drawn.

use std::io;
use std::path::Path;

use rand::Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};

use super::model::{Incident, MINUTE, World, rng_for, stream};
use super::writer::{BadCursor, BadPlan, PartWriter, blank_row, col, fmt_real, fmt_ts};
use super::{GeneratedFile, bad_row_kinds};
use crate::schema::{Dataset, Rule};

/// Error-rate surge and latency multiplier by severity (index 0 = SEV1).
const SURGE: [(f64, f64); 5] = [
    (0.30, 5.0),
    (0.08, 2.5),
    (0.01, 1.6),
    (0.002, 1.2),
    (0.0, 1.0),
];

/// Streams the SLO rows to `out_dir/slo/`, replacing a `bad_fraction` of them with bad rows.
pub(crate) fn write_slo(
    world: &World,
    out_dir: &Path,
    bad_fraction: f64,
) -> io::Result<Vec<GeneratedFile>> {
    let d = Dataset::Slo;
    let mut rng = rng_for(world.seed, stream::SLO);
    let interval_min = world.slo_interval_min;
    let interval = i64::from(interval_min) * MINUTE;
    let steps = (world.end - world.start) / interval;
    let (regions, services) = (world.regions.len(), world.services.len());
    let rows = steps as u64 * (regions * services) as u64;

    // Per service: p95 / p50 and p99 / p95 ratios.
    let tails: Vec<(f64, f64)> = (0..services)
        .map(|_| (rng.gen_range(2.6..3.2), rng.gen_range(1.8..2.2)))
        .collect();
    let kinds = bad_row_kinds(d);
    let mut cursor = BadCursor::new(BadPlan::new(rows, bad_fraction, kinds.len()));
    let mut writer = PartWriter::create(out_dir, d)?;
    let columns = [
        "ts",
        "service",
        "region",
        "requests",
        "errors",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
    ]
    .map(|name| col(d, name));
    let width = blank_row(d).len();

    let mut active: Vec<(&Incident, f64)> = Vec::new();
    let mut row_index = 0u64;
    let mut record = vec![String::new(); width];
    for step in 0..steps {
        let t = world.start + step * interval;
        let ts = fmt_ts(t);
        let mid = t + interval / 2;
        let levels: Vec<f64> = (0..regions).map(|r| world.level(r, mid)).collect();
        let loads: Vec<f64> = (0..regions).map(|r| world.load(r, mid)).collect();
        active.clear();
        for inc in &world.incidents {
            let overlap = (t + interval).min(inc.impact_end(world.end)) - t.max(inc.opened);
            if overlap > 0 {
                active.push((inc, overlap as f64 / interval as f64));
            }
        }
        for (s, service) in world.services.iter().enumerate() {
            for r in 0..regions {
                let mut surge = 0.0;
                let mut slow: f64 = 1.0;
                for &(inc, share) in active
                    .iter()
                    .filter(|(i, _)| i.service == s && i.affects(r))
                {
                    let (rate, latency) = SURGE[usize::from(inc.severity - 1)];
                    surge += rate * share * rng.gen_range(0.7..1.3);
                    slow = slow.max(1.0 + (latency - 1.0) * share);
                }
                let wanted = levels[r] * service.requests_per_player_min * f64::from(interval_min);
                let requests = (wanted * (1.0 + 0.04 * normal(&mut rng))).round().max(1.0) as u64;
                let noise = (0.3 * normal(&mut rng)).exp();
                let rate = (service.base_error_rate * noise + surge).min(1.0);
                let mean = requests as f64 * rate;
                let errors = if mean < 30.0 {
                    Poisson::new(mean).map_or(0.0, |p| p.sample(&mut rng)) as u64
                } else {
                    (mean + mean.sqrt() * normal(&mut rng)).round().max(0.0) as u64
                }
                .min(requests);
                let p50 = service.latency_p50_ms
                    * (0.85 + 0.2 * loads[r])
                    * (1.0 + 0.05 * normal(&mut rng))
                    * slow;
                let p95 = p50 * tails[s].0 * (1.0 + 0.04 * normal(&mut rng)).max(0.5);
                let p99 = p95 * tails[s].1 * (1.0 + 0.04 * normal(&mut rng)).max(0.5);

                let values = [
                    ts.clone(),
                    service.name.clone(),
                    world.regions[r].name.clone(),
                    requests.to_string(),
                    errors.to_string(),
                    fmt_real(p50, 1),
                    fmt_real(p95, 1),
                    fmt_real(p99, 1),
                ];
                for (&i, v) in columns.iter().zip(values) {
                    record[i] = v;
                }
                let bad = cursor.check(row_index);
                if let Some((_, kind, _)) = bad {
                    let errors_at = col(d, "errors");
                    record[errors_at] = match kinds[kind] {
                        Rule::ErrorsExceedRequests => (requests + 1 + requests / 10).to_string(),
                        // Negative errors rather than negative requests: `-1` requests with any
                        // non-negative errors would also exceed them and break a second rule.
                        Rule::NegativeValue => "-1".to_owned(),
                        Rule::UnparseableNumber => "lots".to_owned(),
                        other => unreachable!("`{}` is not an slo bad-row kind", other.id()),
                    };
                }
                writer.write(&record, bad.is_some())?;
                row_index += 1;
            }
        }
    }
    writer.finish()
}

fn normal(rng: &mut impl Rng) -> f64 {
    rng.sample(StandardNormal)
}
