//! The FOCUS specification's own example files (`fixtures/focus/`, CC BY 4.0) through the
//! real ingest (`ingest::read_batch`) and into the cost tables, with figures computed by hand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::*;
use crate::ingest::{Outcome, ReadOptions, read_batch};
use crate::metrics::periods::WeekStart;
use crate::schema::{Dataset, Rule};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/focus")
}

/// Read one fixture through the real ingest.
fn ingest(rel: &str) -> (crate::ingest::FileReport, Vec<CostRow>) {
    let columns = BTreeMap::new();
    let opts = ReadOptions {
        input_tz: Tz::UTC,
        columns: &columns,
    };
    let path = fixture_dir().join(rel);
    let batch = read_batch(Dataset::Cost, &[path], &opts, &|_| false).unwrap();
    let rows = cost_rows_from_frame(&batch.rows).unwrap();
    (batch.files.into_iter().next().unwrap(), rows)
}

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    crate::config::parse_instant(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn window(from: &str, to: &str, as_of: &str) -> CostWindow {
    CostWindow {
        from: t(from),
        to: t(to),
        as_of: t(as_of),
        week_start: WeekStart::Monday,
    }
}

/// `got` is `want` to 1e-12 (relative).
#[track_caller]
pub(super) fn close(got: Option<f64>, want: f64) {
    let g = got.unwrap_or_else(|| panic!("expected {want}, got nothing"));
    assert!(
        (g - want).abs() <= 1e-12 * want.abs().max(1.0),
        "expected {want}, got {g}"
    );
}

fn all_csv(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_csv(&p, out);
        } else if p.extension().is_some_and(|x| x == "csv") {
            out.push(p);
        }
    }
}

#[test]
fn every_focus_example_file_loads_without_a_whole_file_refusal() {
    // (file, rows read, rows loaded, rows quarantined as `unparseable_timestamp`).
    // Quarantined: `2023-02-01T30:00:00Z` (hour 30) in purchase scenarios 2 and 3; every SaaS
    // row, whose dates are written `4/1/25` (cost.md §2.2: not ISO 8601, and ambiguous).
    // The commitment and correction examples have no BillingCurrency, ServiceName or
    // ServiceCategory column at all: they load with those empty.
    let expected: &[(&str, u64, u64, u64)] = &[
        (
            "v1.2/commitment_discount_flexibility/one_hundred_percent_utilization_with_commitment_discount_flexibility_with_1_resource.csv",
            3,
            3,
            0,
        ),
        (
            "v1.2/commitment_discount_flexibility/one_hundred_percent_utilization_with_commitment_discount_flexibility_with_2_resources.csv",
            3,
            3,
            0,
        ),
        (
            "v1.2/commitment_discount_flexibility/one_hundred_percent_utilization_without_commitment_discount_flexibility.csv",
            2,
            2,
            0,
        ),
        (
            "v1.2/commitment_discount_flexibility/zero_percent_utilization_without_commitment_discount_flexibility.csv",
            3,
            3,
            0,
        ),
        (
            "v1.2/commitment_discount_scenarios/commitment_discount_purchase_scenario_1.csv",
            1,
            1,
            0,
        ),
        (
            "v1.2/commitment_discount_scenarios/commitment_discount_purchase_scenario_2.csv",
            3,
            2,
            1,
        ),
        (
            "v1.2/commitment_discount_scenarios/commitment_discount_purchase_scenario_3.csv",
            4,
            3,
            1,
        ),
        (
            "v1.2/commitment_discount_scenarios/commitment_discount_usage_scenario_1.csv",
            1,
            1,
            0,
        ),
        (
            "v1.2/commitment_discount_scenarios/commitment_discount_usage_scenario_2.csv",
            1,
            1,
            0,
        ),
        (
            "v1.2/commitment_discount_scenarios/commitment_discount_usage_scenario_3.csv",
            2,
            2,
            0,
        ),
        (
            "v1.2/commitment_discount_scenarios/commitment_discount_usage_scenario_4.csv",
            2,
            2,
            0,
        ),
        (
            "v1.2/saas_examples/simple_agreements/simple_saas_agreements_a1.csv",
            1,
            0,
            1,
        ),
        (
            "v1.2/saas_examples/simple_agreements/simple_saas_agreements_a2.csv",
            1,
            0,
            1,
        ),
        (
            "v1.2/saas_examples/simple_agreements/simple_saas_agreements_a3.csv",
            1,
            0,
            1,
        ),
        (
            "v1.2/saas_examples/simple_agreements/simple_saas_agreements_b.csv",
            1,
            0,
            1,
        ),
        (
            "v1.2/saas_examples/simple_agreements/simple_saas_agreements_c.csv",
            3,
            0,
            3,
        ),
        (
            "v1.2/saas_examples/spend_agreements/saas_spend_agreements_a1.csv",
            4,
            0,
            4,
        ),
        (
            "v1.2/saas_examples/spend_agreements/saas_spend_agreements_a2.csv",
            13,
            0,
            13,
        ),
        (
            "v1.2/saas_examples/spend_agreements/saas_spend_agreements_b1.csv",
            5,
            0,
            5,
        ),
        (
            "v1.2/saas_examples/spend_agreements/saas_spend_agreements_b2.csv",
            14,
            0,
            14,
        ),
        (
            "v1.2/saas_examples/virtual_currency_pricing_model_a1.csv",
            1,
            0,
            1,
        ),
        (
            "v1.2/saas_examples/virtual_currency_pricing_model_a2.csv",
            3,
            0,
            3,
        ),
        (
            "v1.2/saas_examples/virtual_currency_pricing_model_b1.csv",
            1,
            0,
            1,
        ),
        (
            "v1.2/saas_examples/virtual_currency_pricing_model_b2.csv",
            3,
            0,
            3,
        ),
        (
            "v1.2/saas_examples/virtual_currency_pricing_model_b3.csv",
            3,
            0,
            3,
        ),
        (
            "v1.2/saas_examples/virtual_currency_pricing_model_c.csv",
            2,
            0,
            2,
        ),
        (
            "working-draft/commitment_discount_scenarios/aws_savings_plan_all_upfront_50pct.csv",
            28,
            28,
            0,
        ),
        (
            "working-draft/correction-handling-examples/closed-billing-period/scenario_1_partial_reallocation_ledger.csv",
            3,
            3,
            0,
        ),
        (
            "working-draft/correction-handling-examples/closed-billing-period/scenario_2_late_arriving_usage_ledger.csv",
            1,
            1,
            0,
        ),
    ];
    let mut files = Vec::new();
    all_csv(&fixture_dir(), &mut files);
    assert_eq!(
        files.len(),
        expected.len(),
        "a fixture was added or removed"
    );
    for (rel, read, loaded, quarantined) in expected {
        let (report, rows) = ingest(rel);
        assert_eq!(report.outcome, Outcome::Loaded, "{rel}");
        assert_eq!(
            (
                report.rows_read,
                report.rows_loaded,
                report.rows_quarantined
            ),
            (*read, *loaded, *quarantined),
            "{rel}"
        );
        assert_eq!(
            rows.len() as u64,
            *loaded,
            "{rel}: every loaded row reads as a cost row"
        );
        if *quarantined > 0 {
            let rules: Vec<Rule> = report.rules.keys().copied().collect();
            assert_eq!(rules, vec![Rule::UnparseableTimestamp], "{rel}");
        }
    }
}

const SAVINGS_PLAN: &str =
    "working-draft/commitment_discount_scenarios/aws_savings_plan_all_upfront_50pct.csv";

#[test]
fn the_half_used_savings_plan_by_hand() {
    // 28 rows on 2026-02-01: a one-year all-upfront purchase (Billed 693003.60, Effective 0);
    // 12 hourly `Used` rows and 12 `Unused` rows of Effective 79.11 (List 118.67) under the
    // plan; 3 on-demand rows of 3.84.
    let (_, rows) = ingest(SAVINGS_PLAN);
    assert_eq!(rows.len(), 28);
    let w = window(
        "2026-02-01T00:00:00Z",
        "2026-03-01T00:00:00Z",
        "2026-03-10T00:00:00Z",
    );
    let eff = cost_efficiency(&rows, &CostSettings::default(), &w).unwrap();
    let plan = "arn:aws:savingsplans::ACCT-123456789012:savingsplan/sp-abc123def456";
    let row = |id: &str| {
        eff.iter()
            .find(|r| r.period.label == "window" && r.commitment_id == id)
            .unwrap()
    };
    let sp = row(plan);
    // used 12 × 79.11 = 949.32; unused the same: utilisation 0.5 exactly
    assert_eq!((sp.used_cost, sp.unused_cost), (m("949.32"), m("949.32")));
    assert_eq!(sp.utilisation, Some(0.5));
    // ESR = 1 − (949.32 + 949.32) / (12 × 118.67) = 1 − 1898.64 / 1424.04 = −0.333277…
    assert_eq!(
        (sp.effective_cost, sp.list_cost),
        (m("1898.64"), m("1424.04"))
    );
    let esr = sp.effective_savings_rate.unwrap();
    assert!(
        (esr - (1.0 - 1898.64 / 1424.04)).abs() < 1e-12 && esr < -0.333,
        "{esr}"
    );
    assert_eq!(sp.spot_share, None);
    // all usage (cost.md §5.5's worked check): 1 − 1910.16 / 1435.56 = −0.3306…
    let all = row("*");
    assert_eq!(
        (all.effective_cost, all.list_cost),
        (m("1910.16"), m("1435.56"))
    );
    assert!((all.effective_savings_rate.unwrap() - (1.0 - 1910.16 / 1435.56)).abs() < 1e-12);
    assert_eq!(all.spot_share, Some(0.0));
    assert_eq!(all.currency, "USD");
    // the month row says the same
    assert!(eff.iter().any(|r| r.period.label == "2026-02"
        && r.commitment_id == plan
        && r.utilisation == Some(0.5)));

    // cost per player: effective basis, one day, 1910.16; the purchase adds nothing (Effective 0)
    // and its one-year period does not make the year's other days "covered"
    let players = PlayerActivity::new(
        &[ActivityDay {
            date: d("2026-02-01"),
            region: "*".into(),
            dau: 1000,
            player_hours: Some(4000.0),
            peak_ccu: Some(400),
        }],
        &[],
    );
    let ledger = CostLedger::build(&rows, &CostSettings::default(), &players).unwrap();
    assert_eq!(
        ledger.covered.iter().copied().collect::<Vec<_>>(),
        vec![d("2026-02-01")]
    );
    let cpp = cost_per_player(&ledger, &players, &w);
    let day = cpp
        .iter()
        .find(|r| r.period.label == "2026-02-01" && r.region == "*" && r.service == "*")
        .unwrap();
    assert_eq!(day.cost, Some(m("1910.16")));
    // 1910.16 / 1000 DAU; / 4000 player-hours; / 400 peak
    close(day.cost_per_dau, 1.91016);
    close(day.cost_per_player_hour, 0.47754);
    close(day.cost_per_peak_ccu, 4.7754);
    // no region map: us-east-1 is `global`; no service map: all `__unallocated__`
    assert!(
        cpp.iter()
            .any(|r| r.region == "global" && r.service == "__unallocated__")
    );
    assert_eq!(day.unallocated_share, Some(1.0));
    // billed basis: the upfront purchase lands whole on its first day, 693003.60 + 3 × 3.84
    let billed = CostSettings {
        basis: Basis::Billed,
        ..CostSettings::default()
    };
    let ledger = CostLedger::build(&rows, &billed, &players).unwrap();
    let total: Money = ledger.slices.values().map(|s| s.cost).sum();
    assert_eq!(total, m("693015.12"));
    // list basis: usage at list prices, purchase and unused rows left out: 12 × 118.67 + 11.52
    let list = CostSettings {
        basis: Basis::List,
        ..CostSettings::default()
    };
    let ledger = CostLedger::build(&rows, &list, &players).unwrap();
    assert_eq!(
        ledger.slices.values().map(|s| s.cost).sum::<Money>(),
        m("1435.56")
    );
}

#[test]
fn commitment_examples_utilisation_and_savings() {
    let w = window(
        "2023-01-01T00:00:00Z",
        "2023-02-01T00:00:00Z",
        "2023-03-01T00:00:00Z",
    );
    let star = |rel: &str| {
        let (_, rows) = ingest(rel);
        let eff = cost_efficiency(&rows, &CostSettings::default(), &w).unwrap();
        let win: Vec<EfficiencyRow> = eff
            .into_iter()
            .filter(|r| r.period.label == "window")
            .collect();
        win
    };
    // usage scenario 3: 0.75 used, 0.25 unused
    let r = star("v1.2/commitment_discount_scenarios/commitment_discount_usage_scenario_3.csv");
    let c = r
        .iter()
        .find(|r| r.commitment_id == "<my-commitment-discount-id>")
        .unwrap();
    assert_eq!(c.utilisation, Some(0.75));
    assert_eq!(c.unused_cost, m("0.25"));
    // zero per cent: the unused 1.50 is all there is; all usage: Effective 1.50 + 2.00 against
    // List 2.00 (the unused row's list cost does not count): 1 − 3.5 / 2 = −0.75
    let r = star(
        "v1.2/commitment_discount_flexibility/zero_percent_utilization_without_commitment_discount_flexibility.csv",
    );
    let c = r
        .iter()
        .find(|r| r.commitment_id == "<my-commitment-discount-id>")
        .unwrap();
    assert_eq!((c.utilisation, c.effective_savings_rate), (Some(0.0), None));
    assert_eq!(r[0].commitment_id, "*");
    close(r[0].effective_savings_rate, -0.75);
    // flexibility with 2 resources: fully used, 1 − 2 / 4 = 0.5 saved
    let r = star(
        "v1.2/commitment_discount_flexibility/one_hundred_percent_utilization_with_commitment_discount_flexibility_with_2_resources.csv",
    );
    let c = r
        .iter()
        .find(|r| r.commitment_id == "<my-commitment-discount-id>")
        .unwrap();
    assert_eq!(c.utilisation, Some(1.0));
    close(c.effective_savings_rate, 0.5);
}

#[test]
fn a_correction_restates_the_past_day_it_fixes() {
    // May's invoice had 1500 of compute on 2025-05-01 00:00–01:00 (resource R-111). The June
    // invoice then carries corrections charged to that hour: scenario 1 negates it (−1500) and
    // re-allocates it (+1200 R-111, +300 R-222), scenario 2 adds 1500 of late usage.
    let (_, mut rows) = ingest(
        "working-draft/correction-handling-examples/closed-billing-period/scenario_1_partial_reallocation_ledger.csv",
    );
    let (_, late) = ingest(
        "working-draft/correction-handling-examples/closed-billing-period/scenario_2_late_arriving_usage_ledger.csv",
    );
    rows.extend(late);
    assert!(rows.iter().all(|r| r.is_correction));
    let may = t("2025-05-01T00:00:00Z").timestamp_micros();
    let mut original = CostRow::usage(may, may + 3_600_000_000, m("1500"), "");
    original.billing_period_start_us = Some(may);
    rows.push(original);
    let players = PlayerActivity::default();
    let ledger = CostLedger::build(&rows, &CostSettings::default(), &players).unwrap();
    // everything lands on May 1st (the charge period), nothing in June (the billing period)
    let dates: Vec<NaiveDate> = ledger.slices.keys().map(|k| k.0).collect();
    assert_eq!(dates, vec![d("2025-05-01")]);
    let day = ledger.slices.values().next().unwrap();
    // 1500 − 1500 + 1200 + 300 + 1500 = 3000, of which corrections 1500
    assert_eq!((day.cost, day.corrections), (m("3000"), m("1500")));
    // last run (before the June invoice) reported 1500 for that day, complete
    let previous = vec![DayTotal {
        date: d("2025-05-01"),
        region: "global".into(),
        service: "__unallocated__".into(),
        cost: m("1500"),
        complete: Some(true),
    }];
    let restated = cost_restated(&previous, &ledger);
    assert_eq!(restated.len(), 2);
    let total = &restated[0];
    assert_eq!((total.region.as_str(), total.service.as_str()), ("*", "*"));
    assert_eq!(
        (total.previous_cost, total.cost, total.change),
        (m("1500"), m("3000"), m("1500"))
    );
    assert_eq!(total.corrections, m("1500"));
    assert_eq!(total.previously_complete, Some(true));
    assert_eq!(restated[1].service, "__unallocated__");
    // the same totals again: nothing restated
    assert!(cost_restated(&ledger.day_totals(), &ledger).is_empty());
    // and the table
    let df = cost_restated_frame(&restated).unwrap();
    assert_eq!(df.height(), 2);
}
