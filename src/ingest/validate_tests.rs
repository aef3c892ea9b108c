//! Unit tests of the row validator: every quarantine and flag rule, defaults, typed output.

use super::*;

fn push(b: &mut FileBuilder, line: u64, cells: &[Option<&str>]) {
    let raw = || format!("{{\"line\":{line}}}");
    b.push(Record {
        line,
        cells,
        raw: &raw,
    });
}

/// Cells for a dataset by canonical name (others empty).
fn cells<'a>(dataset: Dataset, values: &[(&str, &'a str)]) -> Vec<Option<&'a str>> {
    dataset
        .spec()
        .columns
        .iter()
        .map(|c| values.iter().find(|(n, _)| *n == c.name).map(|(_, v)| *v))
        .collect()
}

fn one_bad(dataset: Dataset, values: &[(&str, &str)]) -> (Rule, String, String) {
    let mut b = FileBuilder::new(dataset, Tz::UTC);
    push(&mut b, 2, &cells(dataset, values));
    assert_eq!(b.bad.len(), 1, "expected a quarantined row for {values:?}");
    let bad = &b.bad[0];
    (bad.rule, bad.column.clone(), bad.value.clone())
}

const INC: [(&str, &str); 4] = [
    ("incident_id", "INC-1"),
    ("service", "login"),
    ("severity", "P2"),
    ("opened_at", "2026-10-01T10:00:00Z"),
];

fn with<'a>(base: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = base
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    v.extend_from_slice(extra);
    v
}

#[test]
fn incident_rules() {
    assert_eq!(
        one_bad(Dataset::Incidents, &with(&INC, &[("service", "  ")])),
        (Rule::MissingRequired, "service".into(), "  ".into())
    );
    assert_eq!(
        one_bad(Dataset::Incidents, &with(&INC, &[("severity", "SEV9")])).0,
        Rule::UnknownSeverity
    );
    assert_eq!(
        one_bad(
            Dataset::Incidents,
            &with(&INC, &[("opened_at", "yesterday")])
        ),
        (
            Rule::UnparseableTimestamp,
            "opened_at".into(),
            "yesterday".into()
        )
    );
    assert_eq!(
        one_bad(
            Dataset::Incidents,
            &with(&INC, &[("resolved_at", "2026-10-01T09:00:00Z")])
        ),
        (
            Rule::EndBeforeStart,
            "resolved_at".into(),
            "2026-10-01T09:00:00Z".into()
        )
    );
    assert_eq!(
        one_bad(
            Dataset::Incidents,
            &with(&INC, &[("players_affected", "-5")])
        )
        .0,
        Rule::NegativeValue
    );
    assert_eq!(
        one_bad(
            Dataset::Incidents,
            &with(&INC, &[("players_affected", "1.5")])
        )
        .0,
        Rule::NotAnInteger
    );
}

#[test]
fn incident_flags_keep_the_row_and_null_the_spoilt_value() {
    let mut b = FileBuilder::new(Dataset::Incidents, Tz::UTC);
    let v = with(
        &INC,
        &[
            ("detected_at", "2026-10-01T09:59:00Z"),
            ("resolved_at", "2026-10-01T11:00:00Z"),
        ],
    );
    push(&mut b, 2, &cells(Dataset::Incidents, &v));
    assert!(b.bad.is_empty());
    assert_eq!(b.rules[&Rule::DetectedBeforeOpened].rows, 1);
    let df = b.finish().unwrap();
    assert_eq!(df.height(), 1);
    assert_eq!(df.column("detected_at").unwrap().null_count(), 1);
    assert_eq!(
        df.column("severity").unwrap().str().unwrap().get(0),
        Some("SEV2")
    );
    assert_eq!(
        df.column("environment").unwrap().str().unwrap().get(0),
        Some("production")
    );
    let resolved = df
        .column("resolved_at")
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap();
    assert_eq!(resolved.i64().unwrap().get(0), Some(1_790_852_400_000_000));
    assert_eq!(df.column("_line").unwrap().u64().unwrap().get(0), Some(2));
}

#[test]
fn ccu_rules() {
    let base = [
        ("ts", "2026-10-01T10:00:00Z"),
        ("region", "eu-west"),
        ("ccu", "10"),
    ];
    for (value, rule) in [
        ("abc", Rule::UnparseableNumber),
        ("12.5", Rule::NotAnInteger),
        ("NaN", Rule::NotAnInteger),
        ("inf", Rule::NotAnInteger),
        ("-3", Rule::NegativeValue),
    ] {
        assert_eq!(
            one_bad(Dataset::Ccu, &with(&base, &[("ccu", value)])),
            (rule, "ccu".into(), value.into()),
            "{value}"
        );
    }
    assert_eq!(
        one_bad(
            Dataset::Ccu,
            &with(&base, &[("ts", "2026-10-01T30:00:00Z")])
        )
        .0,
        Rule::UnparseableTimestamp
    );
    assert_eq!(
        one_bad(Dataset::Ccu, &with(&base, &[("region", "")])).0,
        Rule::MissingRequired
    );
}

#[test]
fn malformed_records_are_quarantined_with_their_raw_text() {
    let mut b = FileBuilder::new(Dataset::Ccu, Tz::UTC);
    push(&mut b, 7, &[]);
    assert_eq!(b.bad[0].rule, Rule::MalformedRecord);
    assert_eq!(b.bad[0].line, 7);
    assert_eq!(b.bad[0].record, "{\"line\":7}");
}

#[test]
fn dst_gap_is_quarantined_and_fold_is_flagged() {
    let base = [("region", "eu-west"), ("ccu", "10")];
    let mut b = FileBuilder::new(Dataset::Ccu, chrono_tz::Europe::Berlin);
    push(
        &mut b,
        2,
        &cells(Dataset::Ccu, &with(&base, &[("ts", "2026-03-29 02:30")])),
    );
    push(
        &mut b,
        3,
        &cells(Dataset::Ccu, &with(&base, &[("ts", "2026-10-25 02:30")])),
    );
    assert_eq!(b.bad.len(), 1);
    assert_eq!(b.bad[0].rule, Rule::NonexistentLocalTime);
    assert_eq!(b.rules[&Rule::AmbiguousLocalTime].rows, 1);
    let df = b.finish().unwrap();
    let ts = df.column("ts").unwrap().cast(&DataType::Int64).unwrap();
    // 02:30 CEST (the earlier) = 00:30 UTC
    assert_eq!(ts.i64().unwrap().get(0), Some(1_792_888_200_000_000));
}

#[test]
fn slo_capacity_events_cost_deployments_activity_rules() {
    let slo = [
        ("ts", "2026-10-01T10:00:00Z"),
        ("service", "login"),
        ("region", "eu"),
        ("requests", "10"),
        ("errors", "1"),
    ];
    assert_eq!(
        one_bad(Dataset::Slo, &with(&slo, &[("errors", "11")])).0,
        Rule::ErrorsExceedRequests
    );
    assert_eq!(
        one_bad(Dataset::Slo, &with(&slo, &[("requests", "-1")])).0,
        Rule::NegativeValue
    );
    let cap = [
        ("region", "eu"),
        ("effective_from", "2026-10-01"),
        ("instances", "10"),
        ("players_per_instance", "500"),
    ];
    assert_eq!(
        one_bad(
            Dataset::Capacity,
            &with(&cap, &[("players_per_instance", "0")])
        )
        .0,
        Rule::NotPositive
    );
    let ev = [
        ("name", "Season 3"),
        ("starts_at", "2026-10-01"),
        ("ends_at", "2026-10-05"),
    ];
    assert_eq!(
        one_bad(Dataset::Events, &with(&ev, &[("ends_at", "2026-09-30")])).0,
        Rule::EndBeforeStart
    );
    assert_eq!(
        one_bad(Dataset::Events, &with(&ev, &[("expected_uplift", "0")])).0,
        Rule::NotPositive
    );
    let dep = [
        ("deploy_id", "D1"),
        ("service", "login"),
        ("finished_at", "2026-10-01T10:00:00Z"),
        ("status", "succeeded"),
    ];
    assert_eq!(
        one_bad(Dataset::Deployments, &with(&dep, &[("status", "exploded")])).0,
        Rule::UnknownStatus
    );
    let act = [("date", "2026-10-01"), ("region", "*"), ("dau", "100")];
    assert_eq!(
        one_bad(Dataset::Activity, &with(&act, &[("date", "2026-02-30")])).0,
        Rule::UnparseableDate
    );
    let cost = [
        ("ChargePeriodStart", "2026-10-01T00:00:00Z"),
        ("ChargePeriodEnd", "2026-10-02T00:00:00Z"),
        ("BilledCost", "1.5E-4"),
        ("EffectiveCost", "0.0001"),
        ("BillingCurrency", "USD"),
        ("ChargeCategory", "Usage"),
        ("ServiceName", "EC2"),
        ("ServiceCategory", "Compute"),
    ];
    assert_eq!(
        one_bad(
            Dataset::Cost,
            &with(&cost, &[("ChargePeriodEnd", "2026-10-01T00:00:00Z")])
        )
        .0,
        Rule::EndBeforeStart
    );
    assert_eq!(
        one_bad(Dataset::Cost, &with(&cost, &[("BilledCost", "12,34.5")])).0,
        Rule::UnparseableDecimal
    );
}

#[test]
fn defaults_and_typed_values() {
    let mut b = FileBuilder::new(Dataset::Events, Tz::UTC);
    let ev = [
        ("name", "Season 3"),
        ("starts_at", "2026-10-01"),
        ("ends_at", "2026-10-05"),
        ("kind", "Party"),
    ];
    push(&mut b, 2, &cells(Dataset::Events, &ev));
    assert_eq!(b.rules[&Rule::UnknownEventKind].rows, 1);
    let df = b.finish().unwrap();
    assert_eq!(
        df.column("kind").unwrap().str().unwrap().get(0),
        Some("other")
    );
    assert_eq!(
        df.column("event_id").unwrap().str().unwrap().get(0),
        Some("Season 3@2026-10-01T00:00:00Z")
    );

    let mut b = FileBuilder::new(Dataset::Cost, Tz::UTC);
    let cost = [
        ("ChargePeriodStart", "2026-10-05T00:00:00Z"),
        ("ChargePeriodEnd", "2026-10-06T00:00:00Z"),
        ("BilledCost", "1.5E-4"),
        ("EffectiveCost", "0.123456789012"),
        ("BillingCurrency", "USD"),
        ("ChargeCategory", "Usage"),
        ("ServiceName", "EC2"),
        ("ServiceCategory", "Compute"),
        ("Tags", "not json"),
    ];
    push(&mut b, 2, &cells(Dataset::Cost, &cost));
    assert_eq!(b.rules[&Rule::InvalidTags].rows, 1);
    let df = b.finish().unwrap();
    assert_eq!(
        df.column("BilledCost").unwrap().dtype(),
        &DataType::Decimal(38, 12)
    );
    let billed = df
        .column("BilledCost")
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    assert_eq!(billed.str().unwrap().get(0), Some("0.000150000000"));
    assert_eq!(
        df.column("BillingAccountId").unwrap().str().unwrap().get(0),
        Some("")
    );
    let bps = df
        .column("BillingPeriodStart")
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap();
    // 2026-10-01T00:00:00Z
    assert_eq!(bps.i64().unwrap().get(0), Some(1_790_812_800_000_000));
    assert_eq!(df.column("Tags").unwrap().null_count(), 1);
}
