//! `incident_impact` (one row per incident) and the period totals behind
//! `incident_metrics.player_minutes_lost`: how many player-minutes an incident cost.
//!
//! **Definition.** An incident's impact lasts `[impact_start, impact_end)`: from `opened_at` to
//! `mitigated_at` where the export gives one, else `resolved_at`, else `as_of`, capped at
//! `as_of` (a mitigation recorded after `as_of` had not happened yet).
//! `player_minutes_lost` = the CCU of the incident's region (summed over shards at each sample
//! time; every region summed when the incident names none) integrated over that interval, in
//! player-minutes, times the severity's `impact_share` (default SEV1 1.0, SEV2 0.5, SEV3 0.1,
//! SEV4–5 0). Where the export gives `players_affected`, `affected_player_minutes` =
//! `players_affected` × the interval in minutes sits beside it (null otherwise).
//!
//! **The approximation.** CCU is sampled, so each region's CCU is read as a step function: a
//! sample at `ts` holds from `ts` until the region's next sample, but for at most
//! `max_sample_gap_min` (default 15). Samples 5 minutes apart therefore cover time end to end;
//! across a 30-minute hole the last sample before it holds 15 minutes and the remaining 15 are
//! *uncovered*. Uncovered time contributes nothing and is never filled with zeros or
//! interpolated: it lowers `ccu_coverage` instead, which is the share of the interval's
//! region-minutes that some sample covers (for an incident without a region, the mean over the
//! regions present in the CCU input, so a region with no samples at all counts as uncovered).
//! The newest sample of a region, having no successor, holds `max_sample_gap_min`. Samples after
//! `as_of` are ignored. Where nothing covers a non-empty interval (`ccu_coverage` = 0, e.g. a
//! region without CCU), `player_minutes_lost` is null, not 0; a zero-length interval has 0
//! player-minutes and a null coverage. A partly covered interval reports what was measured
//! (not scaled up): read it together with `ccu_coverage`.
//!
//! **How it is computed.** From the samples summed over shards per (region, ts), held sorted
//! per region ([`CcuSamples`]), each sample gets its holding end (the next sample of the
//! region, capped). The holding ends never decrease, so for each interval a bisection finds the
//! first sample whose holding interval `[ts, hold_end)` reaches past the interval's start, and a
//! walk to the interval's end adds `ccu × |[ts, hold_end) ∩ [start, end)|`. Intervals are few
//! (hundreds) and samples may be millions, so this touches only the samples each interval
//! overlaps; it replaced a polars range join (IEJoin) that took about 1 s over 2 M samples.
//!
//! **Period totals** ([`player_minutes_by_period`]): per period and per (service, severity)
//! group (`*` = every one), each region's minutes count once however many of the group's
//! incidents overlap there: per region, the incidents' intervals are merged
//! ([`merge_episodes`]), clipped to the period, and at each instant weighted by the *largest*
//! impact share among the incidents open then (the worst severity sets the share; shares are not
//! added). That weighting is integrated as layers: with the group's distinct positive shares
//! s₁ > … > sₘ (sₘ₊₁ = 0), layer k is the union of the intervals whose share is ≥ sₖ, weighted
//! sₖ − sₖ₊₁; the layers sum to the largest share at every instant. A period counts the minutes
//! that fall inside it (an incident across a period edge is split), not the incidents that opened
//! in it; its rows are the groups of every incident that opened in the period or overlaps it
//! (so every `incident_metrics` row has one), and (`*`, `*`) always. Incidents with a share of 0
//! add nothing and are left out of the coverage.
//!
//! Pure: no I/O, no clock; `as_of` and the knobs are parameters.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::incidents::{Incident, period_columns};
use super::periods::Period;
use super::reliability::merge_episodes;
use super::samples::CcuSamples;
use crate::error::{PolarsContext, Result};

const US_PER_MIN: f64 = 60e6;

/// The knobs player impact reads.
#[derive(Clone, Debug, PartialEq)]
pub struct ImpactKnobs {
    /// Share of the CCU an incident of SEV1 … SEV5 is taken to affect.
    pub impact_share: [f64; 5],
    /// Only incidents of this environment count.
    pub environment: String,
    /// Longest time (minutes) a CCU sample holds; a longer gap between two samples of a region
    /// is not bridged past this (the rest is uncovered). 0 or less: samples cover nothing.
    pub max_sample_gap_min: i64,
}

impl Default for ImpactKnobs {
    fn default() -> Self {
        ImpactKnobs {
            impact_share: [1.0, 0.5, 0.1, 0.0, 0.0],
            environment: "production".into(),
            max_sample_gap_min: 15,
        }
    }
}

impl ImpactKnobs {
    /// The impact share of an incident's severity (an unknown severity reads as SEV5).
    pub fn share(&self, incident: &Incident) -> f64 {
        let level = usize::from(incident.severity_level().clamp(1, 5));
        self.impact_share[level - 1]
    }
}

/// `[impact_start, impact_end)` of an incident in µs: from `opened_at` to `mitigated_at`, else
/// `resolved_at`, else `as_of`, capped at `as_of` (and never before `opened_at`).
pub fn impact_interval(incident: &Incident, as_of_us: i64) -> (i64, i64) {
    let end = incident
        .mitigated_us
        .or(incident.resolved_us)
        .unwrap_or(as_of_us)
        .min(as_of_us)
        .max(incident.opened_us);
    (incident.opened_us, end)
}

/// One interval to integrate the CCU of one region over.
struct Span {
    /// Which result the span adds to.
    key: u32,
    region: String,
    start_us: i64,
    end_us: i64,
    /// Factor on the player-minutes (a layer's weight; 1 for single incidents).
    weight: f64,
    /// Whether the span counts towards coverage (a period total's layers overlap; only the
    /// outermost one counts).
    cover: bool,
}

/// What the join gives back for one key.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Integral {
    /// Σ weight × CCU × covered minutes.
    player_minutes: f64,
    /// Covered µs of the spans with `cover`.
    covered_us: i64,
}

/// The CCU as per-region step functions: for each region (sorted), the sample times, each
/// sample's holding end (µs) and its CCU (summed over shards), sorted by time.
/// Build it once to compute both [`CcuSteps::incident_impact`] and
/// [`CcuSteps::player_minutes_by_period`].
#[derive(Clone, Debug)]
pub struct CcuSteps {
    by_region: BTreeMap<String, Steps>,
}

/// One region's step function.
#[derive(Clone, Debug)]
struct Steps {
    ts_us: Vec<i64>,
    hold_end_us: Vec<i64>,
    ccu: Vec<i64>,
}

impl CcuSteps {
    /// Read a frame with the canonical `ccu` columns (`ts`, `region`, `ccu`; `shard` is summed
    /// over), ignoring samples after `as_of`. The regions present define "all regions".
    pub fn new(ccu: LazyFrame, as_of: DateTime<Utc>, knobs: &ImpactKnobs) -> Result<CcuSteps> {
        Ok(Self::from_samples(
            &CcuSamples::from_frame(ccu)?,
            as_of,
            knobs,
        ))
    }

    /// [`CcuSteps::new`] from samples already summed over shards.
    pub fn from_samples(
        samples: &CcuSamples,
        as_of: DateTime<Utc>,
        knobs: &ImpactKnobs,
    ) -> CcuSteps {
        let gap_us = knobs.max_sample_gap_min.max(0) * 60_000_000;
        let as_of_us = as_of.timestamp_micros();
        let mut by_region = BTreeMap::new();
        for (region, s) in &samples.by_region {
            let n = s.ts_us.partition_point(|t| *t <= as_of_us);
            if n == 0 {
                continue;
            }
            let ts_us = s.ts_us[..n].to_vec();
            // a sample holds until the next one, at most `gap_us`; the last holds `gap_us`
            let hold_end_us = (0..n)
                .map(|i| {
                    let capped = ts_us[i] + gap_us;
                    ts_us.get(i + 1).map_or(capped, |next| (*next).min(capped))
                })
                .collect();
            by_region.insert(
                region.clone(),
                Steps {
                    ts_us,
                    hold_end_us,
                    ccu: s.ccu[..n].to_vec(),
                },
            );
        }
        CcuSteps { by_region }
    }

    /// The regions with CCU samples (at or before `as_of`), sorted.
    pub fn regions(&self) -> Vec<String> {
        self.by_region.keys().cloned().collect()
    }

    /// The regions an incident affects: its own, or every region with CCU. With no CCU at all,
    /// an incident without a region gets one placeholder region that has no samples, so its
    /// interval counts as uncovered rather than vanishing.
    fn regions_of(&self, incident: &Incident) -> Vec<String> {
        match &incident.region {
            Some(r) => vec![r.clone()],
            None if self.by_region.is_empty() => vec!["*".into()],
            None => self.regions(),
        }
    }

    /// Integrate the step functions over `spans`; the result has one entry per key `0..keys`.
    fn integrate(&self, spans: &[Span], keys: usize) -> Result<Vec<Integral>> {
        let mut out = vec![Integral::default(); keys];
        let mut by_region: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
        for s in spans.iter().filter(|s| s.end_us > s.start_us) {
            by_region.entry(s.region.as_str()).or_default().push(s);
        }
        for (region, spans) in by_region {
            // A region without samples is uncovered: nothing to add.
            let Some(steps) = self.by_region.get(region) else {
                continue;
            };
            for span in spans {
                // the holding ends never decrease, so the first sample whose holding interval
                // reaches past the span's start is found by bisection; walk until ts >= end
                let first = steps.hold_end_us.partition_point(|h| *h <= span.start_us);
                let Some(slot) = out.get_mut(span.key as usize) else {
                    continue;
                };
                for i in first..steps.ts_us.len() {
                    let ts = steps.ts_us[i];
                    if ts >= span.end_us {
                        break;
                    }
                    let overlap_us = steps.hold_end_us[i].min(span.end_us) - ts.max(span.start_us);
                    slot.player_minutes +=
                        steps.ccu[i] as f64 * overlap_us as f64 / US_PER_MIN * span.weight;
                    if span.cover {
                        slot.covered_us += overlap_us;
                    }
                }
            }
        }
        Ok(out)
    }

    /// The `incident_impact` table: one row per incident of `knobs.environment` opened at or
    /// before `as_of`, sorted by `incident_id`.
    pub fn incident_impact(
        &self,
        incidents: &[Incident],
        as_of: DateTime<Utc>,
        knobs: &ImpactKnobs,
    ) -> Result<DataFrame> {
        let as_of_us = as_of.timestamp_micros();
        let mut counted: Vec<&Incident> = incidents
            .iter()
            .filter(|i| i.environment == knobs.environment && i.opened_us <= as_of_us)
            .collect();
        counted.sort_by(|a, b| a.id.cmp(&b.id));
        let mut spans = Vec::new();
        let mut region_count = Vec::with_capacity(counted.len());
        for (key, i) in (0u32..).zip(&counted) {
            let (start_us, end_us) = impact_interval(i, as_of_us);
            let regions = self.regions_of(i);
            region_count.push(regions.len() as i64);
            spans.extend(regions.into_iter().map(|region| Span {
                key,
                region,
                start_us,
                end_us,
                weight: 1.0,
                cover: true,
            }));
        }
        let sums = self.integrate(&spans, counted.len())?;
        let mut rows = ImpactColumns::default();
        for ((i, sum), n_regions) in counted.iter().zip(&sums).zip(&region_count) {
            let (start_us, end_us) = impact_interval(i, as_of_us);
            let share = knobs.share(i);
            let (player_minutes, coverage) = finish(sum, share, (end_us - start_us) * n_regions);
            let minutes = (end_us - start_us) as f64 / US_PER_MIN;
            rows.id.push(i.id.clone());
            rows.service.push(i.service.clone());
            rows.region.push(i.region.clone());
            rows.severity.push(i.severity.clone());
            rows.start.push(start_us);
            rows.end.push(end_us);
            rows.player_minutes.push(player_minutes);
            rows.players_affected.push(i.players_affected);
            rows.affected_minutes
                .push(i.players_affected.map(|p| p as f64 * minutes));
            rows.coverage.push(coverage);
            rows.share.push(share);
        }
        rows.into_frame()
    }

    /// Period totals of player-minutes lost per (service, severity), with `*` roll-ups (see the
    /// module doc): columns `period_kind`, `period`, `period_start`, `period_end`, `service`,
    /// `severity`, `player_minutes_lost` (null when no CCU covers any of it), `ccu_coverage`
    /// (covered share of the merged intervals' region-minutes in the period; null when they
    /// are empty). Rows follow `periods`' order, then service and severity.
    pub fn player_minutes_by_period(
        &self,
        incidents: &[Incident],
        periods: &[Period],
        as_of: DateTime<Utc>,
        knobs: &ImpactKnobs,
    ) -> Result<DataFrame> {
        let as_of_us = as_of.timestamp_micros();
        let counted: Vec<Counted> = incidents
            .iter()
            .filter(|i| i.environment == knobs.environment && i.opened_us <= as_of_us)
            .map(|i| {
                let (start_us, end_us) = impact_interval(i, as_of_us);
                Counted {
                    incident: i,
                    start_us,
                    end_us,
                    share: knobs.share(i),
                    regions: self.regions_of(i),
                }
            })
            .collect();
        let mut rows: Vec<(&Period, String, String, i64)> = Vec::new();
        let mut spans = Vec::new();
        for p in periods {
            let (ps, pe) = (p.start.timestamp_micros(), p.end.timestamp_micros());
            let relevant: Vec<&Counted> = counted
                .iter()
                .filter(|c| {
                    let opened = c.incident.opened_us;
                    (opened >= ps && opened < pe) || (c.start_us < pe && c.end_us > ps)
                })
                .collect();
            let mut groups: BTreeSet<(String, String)> = BTreeSet::new();
            groups.insert(("*".into(), "*".into()));
            for c in &relevant {
                let i = c.incident;
                groups.insert((i.service.clone(), i.severity.clone()));
                groups.insert((i.service.clone(), "*".into()));
                groups.insert(("*".into(), i.severity.clone()));
            }
            for (service, severity) in groups {
                let key = u32::try_from(rows.len()).expect("fewer than 2^32 rows");
                // region → (start, end, share) of the group's incidents there, clipped.
                let mut by_region: BTreeMap<&str, Vec<(i64, i64, f64)>> = BTreeMap::new();
                for c in &relevant {
                    let member = (service == "*" || c.incident.service == service)
                        && (severity == "*" || c.incident.severity == severity);
                    let (s, e) = (c.start_us.max(ps), c.end_us.min(pe));
                    if member && c.share > 0.0 && e > s {
                        for r in &c.regions {
                            by_region
                                .entry(r.as_str())
                                .or_default()
                                .push((s, e, c.share));
                        }
                    }
                }
                let mut union_us = 0;
                for (region, intervals) in by_region {
                    union_us += push_layers(&mut spans, key, region, &intervals);
                }
                rows.push((p, service, severity, union_us));
            }
        }
        let sums = self.integrate(&spans, rows.len())?;
        let row_periods: Vec<&Period> = rows.iter().map(|r| r.0).collect();
        let mut cols = period_columns(&row_periods)?;
        let (mut pm, mut cov) = (Vec::new(), Vec::new());
        for ((.., union_us), sum) in rows.iter().zip(&sums) {
            let (p, c) = finish(sum, 1.0, *union_us);
            pm.push(p);
            cov.push(c);
        }
        cols.extend([
            Column::new(
                "service".into(),
                rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "severity".into(),
                rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
            ),
            Column::new("player_minutes_lost".into(), pm),
            Column::new("ccu_coverage".into(), cov),
        ]);
        DataFrame::new_infer_height(cols).ctx(|| "building player minutes by period".into())
    }
}

/// An incident that counts, with what the period totals need of it.
struct Counted<'a> {
    incident: &'a Incident,
    start_us: i64,
    end_us: i64,
    share: f64,
    regions: Vec<String>,
}

/// Push the share layers of one region's intervals `(start, end, share)` as spans; returns
/// the length (µs) of their union, the outermost layer, which alone counts for coverage.
fn push_layers(
    spans: &mut Vec<Span>,
    key: u32,
    region: &str,
    intervals: &[(i64, i64, f64)],
) -> i64 {
    let mut shares: Vec<f64> = intervals.iter().map(|iv| iv.2).collect();
    shares.sort_by(|a, b| b.total_cmp(a));
    shares.dedup();
    let mut union_us = 0;
    for (k, &share) in shares.iter().enumerate() {
        let below = shares.get(k + 1).copied().unwrap_or(0.0);
        let outermost = k + 1 == shares.len();
        let layer = merge_episodes(
            intervals
                .iter()
                .filter(|iv| iv.2 >= share)
                .map(|iv| (iv.0, iv.1))
                .collect(),
        );
        for ep in layer {
            if outermost {
                union_us += ep.end_us - ep.start_us;
            }
            spans.push(Span {
                key,
                region: region.to_string(),
                start_us: ep.start_us,
                end_us: ep.end_us,
                weight: share - below,
                cover: outermost,
            });
        }
    }
    union_us
}

/// Player-minutes (× `share`) and coverage from an integral over `total_us` region-µs:
/// nothing to cover gives (0, null); nothing covered gives (null, 0).
fn finish(sum: &Integral, share: f64, total_us: i64) -> (Option<f64>, Option<f64>) {
    if total_us <= 0 {
        (Some(0.0), None)
    } else if sum.covered_us == 0 {
        (None, Some(0.0))
    } else {
        (
            Some(sum.player_minutes * share),
            Some(sum.covered_us as f64 / total_us as f64),
        )
    }
}

/// The `incident_impact` columns, filled row by row.
#[derive(Default)]
struct ImpactColumns {
    id: Vec<String>,
    service: Vec<String>,
    region: Vec<Option<String>>,
    severity: Vec<String>,
    start: Vec<i64>,
    end: Vec<i64>,
    player_minutes: Vec<Option<f64>>,
    players_affected: Vec<Option<i64>>,
    affected_minutes: Vec<Option<f64>>,
    coverage: Vec<Option<f64>>,
    share: Vec<f64>,
}

impl ImpactColumns {
    fn into_frame(self) -> Result<DataFrame> {
        let instant = |name: &str, v: Vec<i64>| -> Result<Column> {
            Ok(Series::new(name.into(), v)
                .cast(&DataType::Datetime(
                    TimeUnit::Microseconds,
                    Some(TimeZone::UTC),
                ))
                .ctx(|| format!("column {name}"))?
                .into())
        };
        let cols = vec![
            Column::new("incident_id".into(), self.id),
            Column::new("service".into(), self.service),
            Column::new("region".into(), self.region),
            Column::new("severity".into(), self.severity),
            instant("impact_start", self.start)?,
            instant("impact_end", self.end)?,
            Column::new("player_minutes_lost".into(), self.player_minutes),
            Column::new("players_affected".into(), self.players_affected),
            Column::new("affected_player_minutes".into(), self.affected_minutes),
            Column::new("ccu_coverage".into(), self.coverage),
            Column::new("impact_share".into(), self.share),
        ];
        DataFrame::new_infer_height(cols).ctx(|| "building incident_impact".into())
    }
}

/// The `incident_impact` table (see the module doc) from a frame with the canonical `ccu`
/// columns: one row per incident of `knobs.environment` opened at or before `as_of`, sorted by
/// `incident_id`, with `incident_id`, `service`, `region` (null = all), `severity`,
/// `impact_start`, `impact_end`, `player_minutes_lost`, `players_affected`,
/// `affected_player_minutes`, `ccu_coverage`, `impact_share`.
pub fn incident_impact(
    ccu: LazyFrame,
    incidents: &[Incident],
    as_of: DateTime<Utc>,
    knobs: &ImpactKnobs,
) -> Result<DataFrame> {
    CcuSteps::new(ccu, as_of, knobs)?.incident_impact(incidents, as_of, knobs)
}

/// Player-minutes lost per period × service × severity, counting each region's minutes once
/// where a group's incidents overlap (see the module doc and
/// [`CcuSteps::player_minutes_by_period`]).
pub fn player_minutes_by_period(
    ccu: LazyFrame,
    incidents: &[Incident],
    periods: &[Period],
    as_of: DateTime<Utc>,
    knobs: &ImpactKnobs,
) -> Result<DataFrame> {
    CcuSteps::new(ccu, as_of, knobs)?.player_minutes_by_period(incidents, periods, as_of, knobs)
}

#[cfg(test)]
#[path = "impact_tests.rs"]
mod tests;
