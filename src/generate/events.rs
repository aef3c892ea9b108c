//! The event calendar: a season launch, marketing pushes, maintenance windows and one launch
//! in the 28 days after the period, from the period's start to the horizon's end.
//!
//! Drawn first: CCU, SLO and the forecast's future all follow these uplifts. It must do no I/O;
//! [`event_rows`] only turns the events into records.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::model::{DAY, Event, HOUR, Region};
use super::writer::{blank_row, col, fmt_real, fmt_ts};
use crate::schema::Dataset;

const SEASON_THEMES: [&str; 6] = [
    "Frostfall",
    "Ember Tide",
    "Neon Harvest",
    "Iron Bloom",
    "Starfall",
    "Tidebreak",
];
const MARKETING: [&str; 6] = [
    "Double XP weekend",
    "Streamer showcase",
    "Store sale: legendary bundles",
    "Community tournament",
    "Login rewards week",
    "Creator drops campaign",
];

/// Draws the calendar over `[start, horizon_end)`; `end` is the period's end. Sorted by start
/// and numbered `EV-0001` ….
pub(crate) fn make_events(
    rng: &mut ChaCha8Rng,
    start: i64,
    end: i64,
    horizon_end: i64,
    regions: &[Region],
) -> Vec<Event> {
    let days = (end - start) / DAY;
    let mut events = Vec::new();

    // The season launch, a little past the middle of the period.
    let season_start = start + (days * 55 / 100) * DAY + 16 * HOUR;
    events.push(Event {
        id: String::new(),
        name: format!(
            "Season {}: {}",
            rng.gen_range(3..10),
            SEASON_THEMES.choose(rng).expect("not empty")
        ),
        starts: season_start,
        ends: season_start + rng.gen_range(3..=5) * DAY,
        region: None,
        kind: "season",
        uplift: Some(round2(rng.gen_range(1.30..1.40))),
    });

    // Marketing pushes anywhere in the calendar, half of them in one region.
    let calendar_days = (horizon_end - start) / DAY;
    let marketing = 2 + days / 45;
    for i in 0..marketing {
        let day = rng.gen_range(0..(calendar_days - 3).max(1));
        let starts = start + day * DAY + if rng.gen_bool(0.5) { 14 } else { 16 } * HOUR;
        let region = if rng.gen_bool(0.5) {
            Some(rng.gen_range(0..regions.len()))
        } else {
            None
        };
        events.push(Event {
            id: String::new(),
            name: MARKETING[i as usize % MARKETING.len()].to_owned(),
            starts,
            ends: starts + rng.gen_range(1..=3) * DAY,
            region,
            kind: "marketing",
            uplift: Some(round2(rng.gen_range(1.10..1.25))),
        });
    }

    // Maintenance every Tuesday or every other Tuesday at 05:00 in the region (06:00 UTC when
    // global), 1–2 hours, taking the regions in turn with a global window among them.
    let cadence = if rng.gen_bool(0.5) { 7 } else { 14 };
    let first_day = start / DAY;
    // Day 0 (1970-01-01) was a Thursday: Tuesday is `day % 7 == 5`.
    let mut day = first_day + (5 - first_day.rem_euclid(7)).rem_euclid(7);
    let mut turn = 0usize;
    while day * DAY < horizon_end {
        let region =
            (turn % (regions.len() + 1) < regions.len()).then_some(turn % (regions.len() + 1));
        let local_hour = match region {
            Some(r) => (5.0 - regions[r].utc_offset_h).rem_euclid(24.0) as i64,
            None => 6,
        };
        let starts = day * DAY + local_hour * HOUR;
        if starts >= start && starts < horizon_end {
            let name = match region {
                Some(r) => format!("Scheduled maintenance ({})", regions[r].name),
                None => "Scheduled maintenance (all regions)".to_owned(),
            };
            events.push(Event {
                id: String::new(),
                name,
                starts,
                ends: starts + rng.gen_range(1..=2) * HOUR,
                region,
                kind: "maintenance",
                uplift: if rng.gen_bool(0.5) { Some(1.0) } else { None },
            });
        }
        turn += 1;
        day += cadence;
    }

    // One launch in the forecast horizon.
    let launch = end + rng.gen_range(7..=20) * DAY + 17 * HOUR;
    events.push(Event {
        id: String::new(),
        name: "Ranked Arena launch".to_owned(),
        starts: launch,
        ends: launch + rng.gen_range(4..=6) * DAY,
        region: None,
        kind: "launch",
        uplift: Some(1.2),
    });

    events.sort_by_key(|e| e.starts);
    for (i, e) in events.iter_mut().enumerate() {
        e.id = format!("EV-{:04}", i + 1);
    }
    events
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The events as records in schema order.
pub(crate) fn event_rows(events: &[Event], regions: &[Region]) -> Vec<Vec<String>> {
    let d = Dataset::Events;
    events
        .iter()
        .map(|e| {
            let mut row = blank_row(d);
            row[col(d, "event_id")] = e.id.clone();
            row[col(d, "name")] = e.name.clone();
            row[col(d, "starts_at")] = fmt_ts(e.starts);
            row[col(d, "ends_at")] = fmt_ts(e.ends);
            row[col(d, "region")] = e
                .region
                .map(|r| regions[r].name.clone())
                .unwrap_or_default();
            row[col(d, "kind")] = e.kind.to_owned();
            row[col(d, "expected_uplift")] = e.uplift.map(|u| fmt_real(u, 2)).unwrap_or_default();
            row
        })
        .collect()
}
