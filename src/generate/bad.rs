//! Bad rows for the datasets held in memory (all but CCU and SLO, which mark theirs while
//! streaming): each is an otherwise normal row with one defect that breaks exactly one
//! validation rule, so validator tests know what to expect.
//!
//! Incidents, deployments, activity and cost rows are replaced in place (keeping their key,
//! which then no good row has); capacity and event rows are inserted beside the good ones
//! under a fresh key instead, because each of those rows carries something no other row does
//! (a region's only capacity, the season launch). Rows the rest of the data relies on (the
//! incident whose title tests HTML escaping, deployments named by incidents, monthly cost
//! rows) are never replaced. It must do no I/O and draw no random numbers: placement is even.

use super::bad_row_kinds;
use super::model::HOUR;
use super::writer::{BadPlan, col, fmt_ts, parse_ts};
use crate::schema::{Dataset, Rule};

/// Puts `max(kinds, round(fraction × rows))` bad rows into `rows` (none when the fraction is
/// 0 or there is no row to model them on); returns the rows and which of them are bad.
pub(crate) fn apply_bad_rows(
    dataset: Dataset,
    mut rows: Vec<Vec<String>>,
    fraction: f64,
    protected: impl Fn(&[String]) -> bool,
) -> (Vec<Vec<String>>, Vec<bool>) {
    let kinds = bad_row_kinds(dataset);
    let wanted = BadPlan::wanted(rows.len() as u64, fraction, kinds.len());
    if wanted == 0 || rows.is_empty() {
        let flags = vec![false; rows.len()];
        return (rows, flags);
    }
    let insert = matches!(dataset, Dataset::Capacity | Dataset::Events);
    let candidates: Vec<usize> = if insert {
        Vec::new()
    } else {
        (0..rows.len()).filter(|&i| !protected(&rows[i])).collect()
    };
    let in_place = (wanted as usize).min(candidates.len());
    let mut flags = vec![false; rows.len()];
    for j in 0..in_place as u64 {
        // Evenly spread over the candidates, as `BadPlan::position` spreads streamed rows.
        let i = candidates[(2 * j as usize + 1) * candidates.len() / (2 * in_place)];
        let (kind, cycle) = ((j % kinds.len() as u64) as usize, j / kinds.len() as u64);
        corrupt(dataset, kinds[kind], cycle, &mut rows[i]);
        flags[i] = true;
    }

    // The rest are new rows under fresh keys, modelled on good rows spread over the file and
    // inserted after them.
    let extra = wanted - in_place as u64;
    if extra == 0 {
        return (rows, flags);
    }
    let n = rows.len();
    let mut inserts: Vec<(usize, Vec<String>)> = (0..extra)
        .map(|e| {
            let j = in_place as u64 + e;
            let at = ((2 * e + 1) as usize * n / (2 * extra as usize)).min(n - 1);
            let mut row = rows[at].clone();
            rekey(dataset, &mut row, e);
            let (kind, cycle) = ((j % kinds.len() as u64) as usize, j / kinds.len() as u64);
            corrupt(dataset, kinds[kind], cycle, &mut row);
            (at, row)
        })
        .collect();
    inserts.reverse();
    let mut out = Vec::with_capacity(n + extra as usize);
    let mut out_flags = Vec::with_capacity(n + extra as usize);
    for (i, (row, flag)) in rows.into_iter().zip(flags).enumerate() {
        out.push(row);
        out_flags.push(flag);
        while inserts.last().is_some_and(|(at, _)| *at == i) {
            let (_, bad) = inserts.pop().expect("checked just above");
            out.push(bad);
            out_flags.push(true);
        }
    }
    (out, out_flags)
}

/// Gives a new bad row (the `e`-th) a key no good row has.
fn rekey(dataset: Dataset, row: &mut [String], e: u64) {
    let d = dataset;
    match d {
        Dataset::Incidents => row[col(d, "incident_id")] = format!("INC-B{:04}", e + 1),
        Dataset::Deployments => row[col(d, "deploy_id")] = format!("D-B{:05}", e + 1),
        Dataset::Activity => row[col(d, "region")] = format!("bad-{}", e + 1),
        Dataset::Events => row[col(d, "event_id")] = format!("EV-B{:03}", e + 1),
        Dataset::Capacity => {
            // Good rows take effect at midnight; these an hour and some minutes later.
            let at = col(d, "effective_from");
            let from = parse_ts(&row[at]).expect("generated timestamps parse");
            row[at] = fmt_ts(from + HOUR + 60 * (e as i64 % 1000));
        }
        Dataset::Cost | Dataset::Ccu | Dataset::Slo => {}
    }
}

/// Breaks `row` so that it fails `rule` (and nothing else); `cycle` varies the defect.
fn corrupt(dataset: Dataset, rule: Rule, cycle: u64, row: &mut [String]) {
    let d = dataset;
    let mut set = |name: &str, value: String| row[col(d, name)] = value;
    match (d, rule) {
        (Dataset::Incidents, Rule::MissingRequired) => set("service", String::new()),
        (Dataset::Incidents, Rule::UnparseableTimestamp) => set("opened_at", "yesterday".into()),
        (Dataset::Incidents, Rule::UnknownSeverity) => set("severity", "SEV9".into()),
        (Dataset::Incidents, Rule::EndBeforeStart) => {
            let opened = parse_ts(&row[col(d, "opened_at")]).expect("generated timestamps parse");
            row[col(d, "resolved_at")] = fmt_ts(opened - HOUR);
            // A mitigation after the resolution would be a second oddity.
            row[col(d, "mitigated_at")].clear();
        }
        (Dataset::Incidents, Rule::NegativeValue) => set("players_affected", "-5".into()),
        (Dataset::Incidents, Rule::NotAnInteger) => set("players_affected", "1.5".into()),
        (Dataset::Deployments, Rule::MissingRequired) => set("deploy_id", String::new()),
        (Dataset::Deployments, Rule::UnparseableTimestamp) => {
            set("finished_at", "2026-13-45T00:00:00Z".into())
        }
        (Dataset::Deployments, Rule::UnknownStatus) => set("status", "exploded".into()),
        (Dataset::Activity, Rule::UnparseableDate) => set("date", impossible_date(cycle)),
        (Dataset::Activity, Rule::NegativeValue) => set("dau", "-1".into()),
        (Dataset::Activity, Rule::UnparseableNumber) => set("dau", "many".into()),
        (Dataset::Cost, Rule::EndBeforeStart) => {
            row[col(d, "ChargePeriodEnd")] = row[col(d, "ChargePeriodStart")].clone();
        }
        (Dataset::Cost, Rule::UnparseableDecimal) => set("BilledCost", "12,34.5".into()),
        (Dataset::Cost, Rule::UnparseableTimestamp) => {
            let at = col(d, "ChargePeriodStart");
            row[at] = format!("{}T30:00:00Z", &row[at][..10]);
        }
        (Dataset::Cost, Rule::MissingRequired) => set("BillingCurrency", String::new()),
        (Dataset::Capacity, Rule::NotPositive) => set("players_per_instance", "0".into()),
        (Dataset::Capacity, Rule::NegativeValue) => set("instances", "-1".into()),
        (Dataset::Events, Rule::EndBeforeStart) => {
            let starts = parse_ts(&row[col(d, "starts_at")]).expect("generated timestamps parse");
            row[col(d, "ends_at")] = fmt_ts(starts - HOUR);
        }
        (Dataset::Events, Rule::NotPositive) => set("expected_uplift", "0".into()),
        (d, rule) => unreachable!("`{}` is not a bad-row kind of `{d}`", rule.id()),
    }
}

/// A well-formed `YYYY-MM-DD` that is no date: `2026-02-30`, `2026-02-31`, `2026-04-31` …,
/// then the same days of earlier years, so each bad row's key differs.
fn impossible_date(cycle: u64) -> String {
    const DAYS: [(u32, u32); 6] = [(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31)];
    let (month, day) = DAYS[(cycle % 6) as usize];
    let year = 2026 - (cycle / 6) as i64 % 1000;
    format!("{year:04}-{month:02}-{day:02}")
}
