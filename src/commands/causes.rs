//! The causes stage of the metric run: `incident_causes`, the retrospective debt, their
//! section and actions, and the `unknown_cause` count for `data_quality`.
//!
//! The figures are `metrics::causes` (pure); this file only gathers their inputs (incidents,
//! deployment links, per-incident player-minutes) and writes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::commands::Ctx;
use crate::commands::metrics::{MetricsOut, write_table};
use crate::error::Result;
use crate::metrics::causes::{self, Notes};
use crate::metrics::changes::Link;
use crate::metrics::incidents::Incident;
use crate::metrics::quality::MetricFlag;
use crate::metrics::{columns, periods};
use crate::schema::Dataset;

/// What the stage reads, computed by the stages before it.
pub struct CausesInput<'a> {
    pub incidents: &'a [Incident],
    pub notes: &'a BTreeMap<String, Notes>,
    /// Links of `change_metrics` (empty without deployments).
    pub links: &'a [Link],
    /// `incident_impact`, when CCU was there.
    pub impact: Option<&'a polars::prelude::DataFrame>,
}

/// Write `incident_causes` and the section; return the `data_quality` flags it raised.
pub fn causes_stage(
    ctx: &Ctx,
    input: &CausesInput<'_>,
    out_dir: &Path,
    out: &mut MetricsOut,
) -> Result<Vec<MetricFlag>> {
    let s = &ctx.settings;
    let as_of = ctx.as_of();
    let (from, to) = s.window(as_of);
    let mut linked: BTreeSet<String> = input.links.iter().map(|l| l.incident_id.clone()).collect();
    linked.extend(
        input
            .incidents
            .iter()
            .filter(|i| {
                i.caused_by_deploy
                    .as_deref()
                    .is_some_and(|d| !d.trim().is_empty())
            })
            .map(|i| i.id.clone()),
    );
    let classified = causes::classify(input.incidents, input.notes, &linked, &s.cause_map);
    let mut minutes = BTreeMap::new();
    if let Some(df) = input.impact {
        let ids = columns::texts(df, "incident_id")?;
        let pml = columns::reals(df, "player_minutes_lost")?;
        for (id, m) in ids.into_iter().zip(pml) {
            if let (Some(id), Some(m)) = (id, m) {
                minutes.insert(id, m);
            }
        }
    }
    let ps = periods::periods(from, to, as_of, s.report_tz, s.knobs.week_start, false);
    let env = &s.knobs.environment;
    let rows = causes::incident_causes(input.incidents, &classified, &minutes, &ps, as_of, env);
    write_table(
        out_dir,
        "incident_causes",
        &mut causes::to_frame(&rows)?,
        &mut out.written,
    )?;
    let due_days = s.knobs.postmortem_due_days;
    let overdue = causes::retrospectives_due(input.incidents, input.notes, as_of, due_days, env);
    let (section, actions) =
        crate::report::causes_section::causes_section(&rows, &overdue, due_days);
    out.sections.push(section);
    out.actions.extend(actions);
    let unknown: Vec<&causes::Classified> = classified
        .iter()
        .filter(|c| c.unknown_word.is_some())
        .collect();
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    let example = unknown
        .iter()
        .take(3)
        .map(|c| {
            format!(
                "{} cause=`{}`",
                c.incident_id,
                c.unknown_word.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Ok(vec![MetricFlag {
        dataset: Dataset::Incidents,
        rule: "unknown_cause",
        rows: unknown.len() as u64,
        example: Some(example),
    }])
}
