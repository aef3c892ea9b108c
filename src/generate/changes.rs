//! Deployments and incidents: who shipped what when, and what broke.
//!
//! Deployments come per service and day (working hours mostly); about 40 % of incidents follow a
//! production deployment of the same service within 6 hours (60 % of those name it in
//! `caused_by_deploy`), the rest open at random; a few overlap, two or three are still open at
//! the end. Severity and status spellings vary the way real exports do. SEV1–SEV2 incidents
//! dent CCU while they last ([`Incident::ccu_drop`]). It must do no I/O; the `*_rows`
//! functions only turn the drawn values into records.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal, Poisson};

use super::model::{DAY, Deployment, HOUR, Incident, MINUTE, World};
use super::writer::{blank_row, col, fmt_ts};
use crate::schema::Dataset;

/// Draws the deployments that finished within the period, sorted and numbered `D-000001` ….
pub(crate) fn make_deployments(rng: &mut ChaCha8Rng, world: &World) -> Vec<Deployment> {
    let mut out = Vec::new();
    let hour_dist: Normal<f64> = Normal::new(14.5, 2.5).expect("valid normal");
    for day in 0..i64::from(world.days) {
        let day_start = world.start + day * DAY;
        let weekday = (day_start / DAY + 4).rem_euclid(7);
        let weekend = weekday == 0 || weekday == 6;
        for (s, service) in world.services.iter().enumerate() {
            let rate = service.deploys_per_day * if weekend { 0.25 } else { 1.0 };
            let count = Poisson::new(rate).map_or(0.0, |p| p.sample(rng)) as u32;
            for _ in 0..count {
                let hour = if rng.gen_bool(0.85) {
                    hour_dist.sample(rng).clamp(8.0, 20.5)
                } else {
                    rng.gen_range(0.0..24.0)
                };
                let finished = (day_start + (hour * HOUR as f64) as i64).min(day_start + DAY - 1);
                let started = finished - rng.gen_range(5 * MINUTE..=40 * MINUTE);
                let lead = rng
                    .gen_range((2.0 * HOUR as f64).ln()..(5.0 * DAY as f64).ln())
                    .exp();
                let (status, status_text) = draw_status(rng);
                let region = if rng.gen_bool(0.15) {
                    Some(rng.gen_range(0..world.regions.len()))
                } else {
                    None
                };
                out.push(Deployment {
                    id: String::new(),
                    service: s,
                    finished,
                    started,
                    first_commit: finished - lead as i64,
                    status,
                    status_text,
                    production: rng.gen_bool(0.9),
                    region,
                    commit_count: 1 + (24.0 * rng.gen_range(0.0f64..1.0).powi(2)) as u32,
                });
            }
        }
    }
    out.sort_by_key(|d| (d.finished, d.service));
    for (i, d) in out.iter_mut().enumerate() {
        d.id = format!("D-{:06}", i + 1);
    }
    out
}

/// (canonical status, spelling written): 88 % success, 5 % failed, 3 % rolled back, 4 %
/// cancelled; one in seven uses a synonym the validator normalises.
fn draw_status(rng: &mut ChaCha8Rng) -> (&'static str, &'static str) {
    let u: f64 = rng.gen_range(0.0..1.0);
    let synonym = rng.gen_bool(1.0 / 7.0);
    match u {
        u if u < 0.88 => ("success", if synonym { "succeeded" } else { "success" }),
        u if u < 0.93 => ("failed", if synonym { "failure" } else { "failed" }),
        u if u < 0.96 => (
            "rolled_back",
            if synonym { "rollback" } else { "rolled_back" },
        ),
        _ => ("cancelled", if synonym { "canceled" } else { "cancelled" }),
    }
}

const SEVERITY_SPELLINGS: [[&str; 4]; 5] = [
    ["SEV1", "P1", "critical", "1"],
    ["SEV2", "P2", "high", "major"],
    ["SEV3", "P3", "medium", "moderate"],
    ["SEV4", "P4", "low", "minor"],
    ["SEV5", "P5", "info", "informational"],
];

/// Severity 1–5 (5 %, 15 %, 40 %, 30 %, 10 %) and its spelling (`SEVn` three times in four).
fn draw_severity(rng: &mut ChaCha8Rng) -> (u8, &'static str) {
    let u: f64 = rng.gen_range(0.0..1.0);
    let sev = match u {
        u if u < 0.05 => 1,
        u if u < 0.20 => 2,
        u if u < 0.60 => 3,
        u if u < 0.90 => 4,
        _ => 5,
    };
    (sev, spelling(rng, sev))
}

fn spelling(rng: &mut ChaCha8Rng, sev: u8) -> &'static str {
    let names = &SEVERITY_SPELLINGS[usize::from(sev - 1)];
    if rng.gen_bool(0.75) {
        names[0]
    } else {
        names[rng.gen_range(1..names.len())]
    }
}

const CAUSES: [&str; 6] = [
    "deploy",
    "config",
    "capacity",
    "dependency",
    "infrastructure",
    "external",
];
const SYMPTOMS: [&str; 8] = [
    "error rate elevated",
    "latency spike",
    "partial outage",
    "timeouts under load",
    "degraded after config push",
    "requests failing intermittently",
    "queue backlog growing",
    "unavailable for some players",
];
/// One title carries markup, an ampersand and quotes, so the report's escaping is exercised.
const MARKUP_TITLE: &str = r#"Item names show <b>markup</b> & "quotes" to players"#;

/// Draws the incidents opened within the period, sorted and numbered `INC-00001` ….
pub(crate) fn make_incidents(rng: &mut ChaCha8Rng, world: &World) -> Vec<Incident> {
    let span = world.end - world.start;
    // Ordinary incidents open early enough to resolve (2 days at most) before the end.
    let latest_open = world.end - (2 * DAY).min(span / 2);
    let rate = rng.gen_range(0.3..0.6) * f64::from(world.days);
    let count = Poisson::new(rate).map_or(0.0, |p| p.sample(rng)) as usize;
    let linkable: Vec<&Deployment> = world
        .deployments
        .iter()
        .filter(|d| d.production && d.status != "cancelled" && d.finished + 6 * HOUR < latest_open)
        .collect();
    let weights: Vec<f64> = world.services.iter().map(|s| s.incident_weight).collect();
    let total_weight: f64 = weights.iter().sum();

    let mut out = Vec::new();
    for _ in 0..count {
        let (severity, severity_text) = draw_severity(rng);
        let mut inc = if !linkable.is_empty() && rng.gen_bool(0.4) {
            // Failed and rolled-back deployments are six times as likely to be the trigger.
            let deploy = *linkable
                .choose_weighted(rng, |d| if d.status == "success" { 1.0 } else { 6.0 })
                .expect("weights are positive");
            let opened = deploy.finished + rng.gen_range(0..=6 * HOUR);
            let region = deploy.region.or_else(|| {
                rng.gen_bool(0.5)
                    .then(|| rng.gen_range(0..world.regions.len()))
            });
            let mut inc = blank_incident(deploy.service, severity, severity_text, opened, region);
            inc.caused_by = rng.gen_bool(0.6).then(|| deploy.id.clone());
            inc.cause = if rng.gen_bool(0.8) {
                "deploy"
            } else {
                "config"
            };
            inc
        } else {
            let mut pick = rng.gen_range(0.0..total_weight);
            let service = weights.iter().position(|w| {
                pick -= w;
                pick < 0.0
            });
            let service = service.unwrap_or(weights.len() - 1);
            let opened = world.start + rng.gen_range(0..(latest_open - world.start).max(1));
            let region = rng
                .gen_bool(0.7)
                .then(|| rng.gen_range(0..world.regions.len()));
            let mut inc = blank_incident(service, severity, severity_text, opened, region);
            inc.cause = if rng.gen_bool(0.1) {
                ""
            } else {
                CAUSES[rng.gen_range(1..CAUSES.len())]
            };
            inc
        };
        resolve(rng, &mut inc, world.end - MINUTE);
        out.push(inc);
    }

    // A couple of follow-on incidents of the same service while another is still running.
    // (Only under incidents resolved an hour before the end, so the follow-on resolves too.)
    let hosts: Vec<Incident> = out
        .iter()
        .filter(|i| i.resolved.is_some_and(|r| r + HOUR <= world.end))
        .cloned()
        .collect();
    let overlaps = if hosts.len() >= 3 { 2 } else { 0 };
    for _ in 0..overlaps {
        let first = &hosts[rng.gen_range(0..hosts.len())];
        let resolved = first.resolved.expect("hosts are resolved");
        let opened = rng.gen_range(first.opened..resolved);
        let (severity, severity_text) = draw_severity(rng);
        let mut inc = blank_incident(first.service, severity, severity_text, opened, first.region);
        inc.cause = first.cause;
        resolve(rng, &mut inc, world.end - MINUTE);
        out.push(inc);
    }

    // Guarantee one SEV2 so outages, dents and SLO burn have something to show.
    if !out.iter().any(|i| i.severity <= 2)
        && let Some(inc) = out.first_mut()
    {
        inc.severity = 2;
        inc.severity_text = "SEV2";
        inc.ccu_drop = rng.gen_range(0.2..0.4);
    }

    // Two or three still open at the end of the period.
    for _ in 0..rng.gen_range(2..=3) {
        let opened = world.end - rng.gen_range(HOUR..=(36 * HOUR).min(span));
        let severity = if rng.gen_bool(0.5) { 3 } else { 4 };
        let text = spelling(rng, severity);
        let service = rng.gen_range(0..world.services.len());
        let region = rng
            .gen_bool(0.7)
            .then(|| rng.gen_range(0..world.regions.len()));
        let mut inc = blank_incident(service, severity, text, opened, region);
        inc.detected = (opened + rng.gen_range(0..=15 * MINUTE)).min(world.end - 1);
        inc.acknowledged = (inc.detected + rng.gen_range(MINUTE..=10 * MINUTE)).min(world.end - 1);
        inc.cause = if rng.gen_bool(0.5) {
            ""
        } else {
            CAUSES[rng.gen_range(0..CAUSES.len())]
        };
        out.push(inc);
    }

    for inc in &mut out {
        let region = inc.region;
        let share = match inc.severity {
            1 => rng.gen_range(0.5..0.9),
            2 => rng.gen_range(0.2..0.5),
            3 => rng.gen_range(0.02..0.1),
            4 => rng.gen_range(0.005..0.02),
            _ => rng.gen_range(0.0..0.005),
        };
        if rng.gen_bool(0.5) {
            let players: f64 = match region {
                Some(r) => world.base_level(r, inc.opened),
                None => (0..world.regions.len())
                    .map(|r| world.base_level(r, inc.opened))
                    .sum(),
            };
            inc.players_affected = Some((players * share).round() as u64);
        }
        let service = &world.services[inc.service].name;
        let symptom = SYMPTOMS[rng.gen_range(0..SYMPTOMS.len())];
        inc.title = match region {
            Some(r) if rng.gen_bool(0.5) => format!(
                "{} {symptom} in {}",
                capitalise(service),
                world.regions[r].name
            ),
            _ => format!("{} {symptom}", capitalise(service)),
        };
        inc.environment = if rng.gen_bool(0.9) { "production" } else { "" };
    }
    if !out.is_empty() {
        let i = rng.gen_range(0..out.len());
        out[i].title = MARKUP_TITLE.to_owned();
    }

    out.sort_by_key(|i| (i.opened, i.service));
    for (n, inc) in out.iter_mut().enumerate() {
        inc.id = format!("INC-{:05}", n + 1);
        if inc.severity <= 2 && inc.resolved.is_some() && rng.gen_bool(0.9) {
            inc.postmortem_url = Some(format!("https://wiki.example.com/pm/{}", inc.id));
        }
    }
    out
}

fn blank_incident(
    service: usize,
    severity: u8,
    text: &'static str,
    opened: i64,
    region: Option<usize>,
) -> Incident {
    Incident {
        id: String::new(),
        service,
        severity,
        severity_text: text,
        opened,
        detected: opened,
        acknowledged: opened,
        mitigated: None,
        resolved: None,
        region,
        environment: "production",
        caused_by: None,
        players_affected: None,
        title: String::new(),
        cause: "",
        postmortem_url: None,
        ccu_drop: 0.0,
    }
}

/// Draws detection, acknowledgement, mitigation and resolution (by `limit` where it can), and
/// the CCU dent.
fn resolve(rng: &mut ChaCha8Rng, inc: &mut Incident, limit: i64) {
    let median_min: f64 = if inc.severity <= 2 { 60.0 } else { 120.0 };
    let duration_min = LogNormal::new(median_min.ln(), 0.8)
        .expect("valid lognormal")
        .sample(rng);
    inc.detected = inc.opened + rng.gen_range(0..=15 * MINUTE);
    inc.acknowledged = inc.detected + rng.gen_range(MINUTE..=10 * MINUTE);
    let duration = ((duration_min.min(2.0 * 1440.0)) * MINUTE as f64) as i64;
    let resolved = (inc.opened + duration)
        .min(limit)
        .max(inc.acknowledged + 5 * MINUTE);
    let mitigated =
        inc.acknowledged + ((resolved - inc.acknowledged) as f64 * rng.gen_range(0.4..0.9)) as i64;
    inc.mitigated = Some(mitigated);
    inc.resolved = Some(resolved);
    inc.ccu_drop = match inc.severity {
        1 => rng.gen_range(0.35..0.6),
        2 => rng.gen_range(0.2..0.4),
        _ => 0.0,
    };
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The deployments as records in schema order.
pub(crate) fn deployment_rows(world: &World) -> Vec<Vec<String>> {
    let d = Dataset::Deployments;
    world
        .deployments
        .iter()
        .map(|dep| {
            let mut row = blank_row(d);
            row[col(d, "deploy_id")] = dep.id.clone();
            row[col(d, "service")] = world.services[dep.service].name.clone();
            row[col(d, "finished_at")] = fmt_ts(dep.finished);
            row[col(d, "status")] = dep.status_text.to_owned();
            row[col(d, "region")] = dep
                .region
                .map(|r| world.regions[r].name.clone())
                .unwrap_or_default();
            row[col(d, "environment")] = if dep.production {
                "production"
            } else {
                "staging"
            }
            .to_owned();
            row[col(d, "started_at")] = fmt_ts(dep.started);
            row[col(d, "first_commit_at")] = fmt_ts(dep.first_commit);
            row[col(d, "commit_count")] = dep.commit_count.to_string();
            row
        })
        .collect()
}

/// The incidents as records in schema order; `updated_at` is the resolution, else the end.
pub(crate) fn incident_rows(world: &World) -> Vec<Vec<String>> {
    let d = Dataset::Incidents;
    let opt_ts = |t: Option<i64>| t.map(fmt_ts).unwrap_or_default();
    world
        .incidents
        .iter()
        .map(|inc| {
            let mut row = blank_row(d);
            row[col(d, "incident_id")] = inc.id.clone();
            row[col(d, "service")] = world.services[inc.service].name.clone();
            row[col(d, "severity")] = inc.severity_text.to_owned();
            row[col(d, "opened_at")] = fmt_ts(inc.opened);
            row[col(d, "region")] = inc
                .region
                .map(|r| world.regions[r].name.clone())
                .unwrap_or_default();
            row[col(d, "environment")] = inc.environment.to_owned();
            row[col(d, "detected_at")] = fmt_ts(inc.detected);
            row[col(d, "acknowledged_at")] = fmt_ts(inc.acknowledged);
            row[col(d, "mitigated_at")] = opt_ts(inc.mitigated);
            row[col(d, "resolved_at")] = opt_ts(inc.resolved);
            row[col(d, "updated_at")] = fmt_ts(inc.resolved.unwrap_or(world.end));
            row[col(d, "caused_by_deploy")] = inc.caused_by.clone().unwrap_or_default();
            row[col(d, "players_affected")] = inc
                .players_affected
                .map(|p| p.to_string())
                .unwrap_or_default();
            row[col(d, "title")] = inc.title.clone();
            row[col(d, "cause")] = inc.cause.to_owned();
            row[col(d, "postmortem_url")] = inc.postmortem_url.clone().unwrap_or_default();
            row
        })
        .collect()
}
