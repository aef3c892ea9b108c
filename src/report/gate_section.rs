//! The gate's history in the report: per service, how often `opsbench gate` passed, warned,
//! failed and was overridden, and every override with its reason. Formatting only: the
//! decisions are read from `LAKE/_gate/decisions/` by the caller.

use std::collections::BTreeMap;

use super::view::{Section, Table};
use crate::lake::derived::DecisionRecord;

/// The section; `None` when the gate was never asked.
pub fn gate_section(decisions: &[DecisionRecord]) -> Option<Section> {
    if decisions.is_empty() {
        return None;
    }
    let mut per: BTreeMap<&str, [u64; 4]> = BTreeMap::new();
    for d in decisions {
        let k = match d.verdict.as_str() {
            "pass" => 0,
            "warn" => 1,
            "fail" => 2,
            _ => 3,
        };
        per.entry(d.service.as_str()).or_default()[k] += 1;
    }
    let summary = Table {
        caption: "Gate decisions per service".into(),
        columns: [
            "Service",
            "Decisions",
            "Passed",
            "Warned",
            "Failed",
            "Overridden",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, true, true, true, true, true],
        rows: per
            .iter()
            .map(|(s, c)| {
                let mut row = vec![s.to_string(), c.iter().sum::<u64>().to_string()];
                row.extend(c.iter().map(u64::to_string));
                row
            })
            .collect(),
    };
    let overrides: Vec<&DecisionRecord> = decisions
        .iter()
        .filter(|d| d.override_reason.is_some() && d.verdict == "overridden")
        .collect();
    let mut tables = vec![summary];
    if !overrides.is_empty() {
        tables.push(Table {
            caption: "Overrides (a person shipped despite the gate)".into(),
            columns: [
                "When",
                "Service",
                "Region",
                "Deploy",
                "Actor",
                "Original verdict",
                "Reason",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false; 7],
            rows: overrides
                .iter()
                .map(|d| {
                    vec![
                        d.decided_at.clone(),
                        d.service.clone(),
                        d.region.clone().unwrap_or_default(),
                        d.deploy_id.clone().unwrap_or_default(),
                        d.actor.clone().unwrap_or_default(),
                        d.original_verdict.clone(),
                        d.override_reason.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        });
    }
    Some(Section {
        id: "gate".into(),
        title: "Deploy gate history".into(),
        paragraphs: vec![format!(
            "{} decision(s) kept in the lake. The gate fails on a spent error budget, a fast burn, an open SEV1–SEV2 incident or stale data, and warns on a high change-failure rate or short capacity runway (`[gate]` changes the levels).",
            decisions.len()
        )],
        charts: Vec::new(),
        tables,
    })
}
