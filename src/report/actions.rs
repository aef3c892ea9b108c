//! The `actions` table: one row per thing a person must act on, in the order the report's
//! "needs action" headline shows them, so a scheduler can alert on the same rows.
//!
//! Order: data problems first (missing and stale datasets, quarantined rows), then capacity
//! orders, spent error budgets and burn alerts, then cost anomalies and retrospectives due;
//! within a kind, errors before warnings, then the order the stages produced them. It computes
//! nothing: the stages decide what needs action.

use polars::prelude::*;

use crate::error::{PolarsContext, Result};
use crate::metrics::columns::column;
use crate::report::view::ActionItem;

/// The rank of a kind in the list; unknown kinds go last.
fn rank(kind: &str) -> u8 {
    match kind {
        "missing_data" => 0,
        "stale_data" => 1,
        "quarantined_rows" => 2,
        "capacity_order" | "cannot_cover" => 3,
        "error_budget" => 4,
        "fast_burn" => 5,
        "slow_burn" => 6,
        "cost_anomaly" => 7,
        "retrospective_due" => 8,
        _ => 9,
    }
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    }
}

/// Sort the actions into the table's order (stable).
pub fn order(actions: &mut [ActionItem]) {
    actions.sort_by_key(|a| (rank(&a.kind), severity_rank(&a.severity)));
}

/// The `actions` table.
pub fn to_frame(actions: &[ActionItem]) -> Result<DataFrame> {
    let due = column("due_date", actions, |a| {
        chrono::NaiveDate::parse_from_str(&a.due_date, "%Y-%m-%d").ok()
    });
    let cols = vec![
        column("kind", actions, |a| a.kind.clone()),
        column("severity", actions, |a| a.severity.clone()),
        column("subject", actions, |a| a.subject.clone()),
        column("message", actions, |a| a.message.clone()),
        due,
    ];
    DataFrame::new(actions.len(), cols).ctx(|| "actions".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &str, severity: &str) -> ActionItem {
        ActionItem {
            kind: kind.into(),
            severity: severity.into(),
            subject: "s".into(),
            message: "m".into(),
            ..Default::default()
        }
    }

    #[test]
    fn data_problems_come_first_and_errors_before_warnings() {
        let mut a = vec![
            item("slow_burn", "warning"),
            item("capacity_order", "warning"),
            item("stale_data", "error"),
            item("capacity_order", "error"),
            item("missing_data", "error"),
        ];
        order(&mut a);
        let kinds: Vec<(&str, &str)> = a
            .iter()
            .map(|a| (a.kind.as_str(), a.severity.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("missing_data", "error"),
                ("stale_data", "error"),
                ("capacity_order", "error"),
                ("capacity_order", "warning"),
                ("slow_burn", "warning"),
            ]
        );
        let df = to_frame(&a).unwrap();
        assert_eq!(df.height(), 5);
        assert_eq!(
            df.get_column_names()
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            ["kind", "severity", "subject", "message", "due_date"]
        );
    }
}
