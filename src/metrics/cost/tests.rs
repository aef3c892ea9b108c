//! Hand-computed tests of the ledger and the cost tables (the property tests are in
//! `props_tests.rs`).

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use polars::prelude::*;

use super::focus_tests::close;
use super::settings::{GLOBAL, UNALLOCATED};
use super::*;
use crate::metrics::periods::{PeriodKind, WeekStart};

pub(super) const HOUR: i64 = 3_600_000_000;
pub(super) const DAY: i64 = 24 * HOUR;

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

pub(super) fn t(s: &str) -> DateTime<Utc> {
    crate::config::parse_instant(s).unwrap()
}

fn us(s: &str) -> i64 {
    t(s).timestamp_micros()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn usd(start: &str, end: &str, amount: &str) -> CostRow {
    CostRow::usage(us(start), us(end), m(amount), "USD")
}

pub(super) fn tagged(mut r: CostRow, key: &str, value: &str) -> CostRow {
    r.tags = Arc::new([(key.to_string(), value.to_string())].into_iter().collect());
    r
}

pub(super) fn in_region(mut r: CostRow, region: &str) -> CostRow {
    r.provider = Some("AWS".into());
    r.region_id = Some(region.into());
    r
}

pub(super) fn settings(toml_text: &str) -> CostSettings {
    let t: toml::Table = toml_text.parse().unwrap();
    match t.get("cost") {
        Some(c) => parse_cost("test.toml", c.as_table().unwrap()).unwrap(),
        None => CostSettings::default(),
    }
}

pub(super) fn window(from: &str, to: &str, as_of: &str) -> CostWindow {
    CostWindow {
        from: t(from),
        to: t(to),
        as_of: t(as_of),
        week_start: WeekStart::Monday,
    }
}

pub(super) fn act(date: &str, region: &str, dau: u64, ph: Option<f64>) -> ActivityDay {
    ActivityDay {
        date: d(date),
        region: region.into(),
        dau,
        player_hours: ph,
        peak_ccu: None,
    }
}

fn cost_on(ledger: &CostLedger, date: &str) -> Money {
    ledger
        .slices
        .iter()
        .filter(|(k, _)| k.0 == d(date))
        .map(|(_, s)| s.cost)
        .sum()
}

pub(super) fn row<'a>(
    rows: &'a [CostPerPlayerRow],
    period: &str,
    region: &str,
    service: &str,
) -> &'a CostPerPlayerRow {
    rows.iter()
        .find(|r| r.period.label == period && r.region == region && r.service == service)
        .unwrap_or_else(|| panic!("no row {period} {region} {service}"))
}

#[test]
fn a_monthly_fee_is_split_over_its_days_exactly() {
    // 100.00 for October (31 days): 100 / 31 = 3.225806451612|903…; each day gets
    // 3.225806451612 and the 28 units of 1e-12 left over go to the first 28 days (equal
    // remainders: earlier first), so days 1–28 are 3.225806451613 and 29–31 3.225806451612.
    let fee = usd("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "100");
    let ledger =
        CostLedger::build(&[fee], &CostSettings::default(), &PlayerActivity::default()).unwrap();
    assert_eq!(ledger.slices.len(), 31);
    assert_eq!(cost_on(&ledger, "2026-10-01"), m("3.225806451613"));
    assert_eq!(cost_on(&ledger, "2026-10-28"), m("3.225806451613"));
    assert_eq!(cost_on(&ledger, "2026-10-29"), m("3.225806451612"));
    assert_eq!(
        ledger.slices.values().map(|s| s.cost).sum::<Money>(),
        m("100")
    );
    let w = window(
        "2026-10-01T00:00:00Z",
        "2026-11-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
    );
    let cpp = cost_per_player(&ledger, &PlayerActivity::default(), &w);
    assert_eq!(row(&cpp, "window", "*", "*").cost, Some(m("100")));
    assert_eq!(row(&cpp, "2026-10", "*", "*").cost, Some(m("100")));
    // a week: Monday 5th to Sunday 11th is 7 days of the fee
    assert_eq!(
        row(&cpp, "2026-W41", "*", "*").cost,
        Some(m("22.580645161291"))
    );

    // a charge from noon to noon two days later: 12 h, 24 h, 12 h of 10 → 2.5, 5, 2.5
    let r = usd("2026-10-01T12:00:00Z", "2026-10-03T12:00:00Z", "10");
    let ledger =
        CostLedger::build(&[r], &CostSettings::default(), &PlayerActivity::default()).unwrap();
    let parts: Vec<Money> = ledger.slices.values().map(|s| s.cost).collect();
    assert_eq!(parts, vec![m("2.5"), m("5"), m("2.5")]);
}

#[test]
fn a_credit_is_net_and_shown_apart_and_a_negative_day_is_not_clamped() {
    let mut credit = usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "-10");
    credit.category = ChargeCategory::Credit;
    let mut tax = usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "4");
    tax.category = ChargeCategory::Tax;
    let mut promo = usd("2026-10-02T00:00:00Z", "2026-10-03T00:00:00Z", "-30");
    promo.category = ChargeCategory::Credit;
    let rows = [
        usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "50"),
        credit,
        tax,
        usd("2026-10-02T00:00:00Z", "2026-10-03T00:00:00Z", "20"),
        promo,
    ];
    let players = PlayerActivity::new(
        &[
            act("2026-10-01", "*", 100, None),
            act("2026-10-02", "*", 100, None),
        ],
        &[],
    );
    let ledger = CostLedger::build(&rows, &CostSettings::default(), &players).unwrap();
    let w = window(
        "2026-10-01T00:00:00Z",
        "2026-10-03T00:00:00Z",
        "2026-10-10T00:00:00Z",
    );
    let cpp = cost_per_player(&ledger, &players, &w);
    // day 1: 50 − 10 + 4 = 44 net; credits −10; tax 4; 44 / 100 DAU
    let day1 = row(&cpp, "2026-10-01", "*", "*");
    assert_eq!(
        (day1.cost, day1.credits, day1.tax),
        (Some(m("44")), Some(m("-10")), Some(m("4")))
    );
    close(day1.cost_per_dau, 0.44);
    // day 2: 20 − 30 = −10: shown negative, −0.1 per DAU
    let day2 = row(&cpp, "2026-10-02", "*", "*");
    assert_eq!(day2.cost, Some(m("-10")));
    close(day2.cost_per_dau, -0.1);
    // the window: (44 − 10) / (100 + 100) = 0.17, a ratio of sums
    let win = row(&cpp, "window", "*", "*");
    assert_eq!((win.cost, win.credits), (Some(m("34")), Some(m("-40"))));
    close(win.cost_per_dau, 0.17);
    assert_eq!((win.dau, win.dau_summed), (Some(200), false));
}

#[test]
fn an_untagged_row_is_unallocated_and_can_be_shared_by_direct_cost() {
    let rows = [
        tagged(
            usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "30"),
            "Game-Service",
            "matchmaking",
        ),
        usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "10"),
    ];
    let map = "[[cost.service_map]]\ntag = \"game-service\"\n";
    let players = PlayerActivity::default();
    let w = window(
        "2026-10-01T00:00:00Z",
        "2026-10-02T00:00:00Z",
        "2026-10-10T00:00:00Z",
    );
    let ledger = CostLedger::build(&rows, &settings(map), &players).unwrap();
    let cpp = cost_per_player(&ledger, &players, &w);
    assert_eq!(
        row(&cpp, "window", GLOBAL, "matchmaking").cost,
        Some(m("30"))
    );
    assert_eq!(row(&cpp, "window", GLOBAL, UNALLOCATED).cost, Some(m("10")));
    assert_eq!(
        row(&cpp, "window", GLOBAL, UNALLOCATED).unallocated_share,
        Some(1.0)
    );
    // 10 of 40 no rule matched
    assert_eq!(row(&cpp, "window", "*", "*").unallocated_share, Some(0.25));
    // shared by direct cost: matchmaking takes it all (the only other service); the share of
    // cost no rule matched stays visible
    let shared = settings(&format!("[cost]\nshare = \"direct_cost\"\n{map}"));
    let ledger = CostLedger::build(&rows, &shared, &players).unwrap();
    let cpp = cost_per_player(&ledger, &players, &w);
    let mm = row(&cpp, "window", GLOBAL, "matchmaking");
    assert_eq!((mm.cost, mm.unallocated_share), (Some(m("40")), Some(0.25)));
    assert!(!cpp.iter().any(|r| r.service == UNALLOCATED));
}

#[test]
fn global_cost_is_shared_by_player_hours_exactly() {
    // 10 of CDN with no region; eu has 2 player-hours, na 1: 6.666666666667 and 3.333333333333
    let map = r#"
[cost]
share = "player_hours"
[cost.region_map]
"aws/eu-west-1" = "eu"
[[cost.service_map]]
service_name = "*CloudFront*"
service = "cdn"
"#;
    let mut cdn = usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "10");
    cdn.service_name = Some("Amazon CloudFront".into());
    let mut eu = in_region(
        usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "5"),
        "eu-west-1",
    );
    eu.service_name = Some("Amazon CloudFront".into());
    let players = PlayerActivity::new(
        &[
            act("2026-10-01", "eu", 20, Some(2.0)),
            act("2026-10-01", "na", 10, Some(1.0)),
        ],
        &[],
    );
    let ledger = CostLedger::build(&[cdn, eu], &settings(map), &players).unwrap();
    let get = |r: &str| {
        ledger
            .slices
            .get(&(d("2026-10-01"), r.into(), "cdn".into()))
            .map(|s| s.cost)
    };
    assert_eq!(get("eu"), Some(m("11.666666666667")));
    assert_eq!(get("na"), Some(m("3.333333333333")));
    assert_eq!(get(GLOBAL), None);
    // without player-hours that day the cost stays global
    let ledger = CostLedger::build(
        &[usd("2026-10-05T00:00:00Z", "2026-10-06T00:00:00Z", "10")],
        &settings(map),
        &players,
    )
    .unwrap();
    assert!(ledger.slices.keys().all(|k| k.1.as_ref() == GLOBAL));
}

#[test]
fn two_currencies_need_fx_rates() {
    let mut eur = usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "100");
    eur.currency = "EUR".into();
    let rows = [
        eur,
        usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "50"),
    ];
    let players = PlayerActivity::default();
    let e = CostLedger::build(&rows, &settings("[cost]\n"), &players)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "test.toml: key `cost.report_currency`: the cost rows are in more than one currency (`EUR` and `USD`) and no report currency is set; hint: set `report_currency` in `[cost]` and a rate for each other currency under `[cost.fx]`"
    );
    let e = CostLedger::build(
        &rows,
        &settings("[cost]\nreport_currency = \"USD\"\n"),
        &players,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("test.toml: key `cost.fx`: no rate from `EUR` into `USD`; hint:"),
        "{e}"
    );
    // 1 EUR = 1.08 USD: 100 EUR + 50 USD = 158 USD
    let fx = settings("[cost]\nreport_currency = \"USD\"\n[cost.fx]\nEUR = 1.08\n");
    let ledger = CostLedger::build(&rows, &fx, &players).unwrap();
    assert_eq!(ledger.currency, "USD");
    assert_eq!(cost_on(&ledger, "2026-10-01"), m("158"));
    // a monthly rate without a default leaves other months without one
    let fx =
        settings("[cost]\nreport_currency = \"USD\"\n[cost.fx]\nEUR = { \"2026-09\" = 1.1 }\n");
    let e = CostLedger::build(&rows, &fx, &players)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no rate into `USD` for `EUR` in 2026-10"), "{e}");
    // efficiency checks the same way
    let w = window(
        "2026-10-01T00:00:00Z",
        "2026-10-02T00:00:00Z",
        "2026-10-10T00:00:00Z",
    );
    assert!(cost_efficiency(&rows, &settings("[cost]\n"), &w).is_err());
}

#[test]
fn dau_zero_gives_no_ratio_and_periods_roll_up() {
    let rows = [
        in_region(
            usd("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "12"),
            "eu-west-1",
        ),
        in_region(
            usd("2026-10-02T00:00:00Z", "2026-10-03T00:00:00Z", "8"),
            "eu-west-1",
        ),
        usd("2026-10-03T00:00:00Z", "2026-10-04T00:00:00Z", "5"),
    ];
    let s = settings("[cost.region_map]\n\"eu-west-1\" = \"eu\"\n");
    let players = PlayerActivity::new(
        &[
            act("2026-10-01", "eu", 0, Some(0.0)),
            act("2026-10-02", "eu", 4, Some(10.0)),
            act("2026-10-03", "eu", 4, Some(10.0)),
        ],
        &[],
    );
    let ledger = CostLedger::build(&rows, &s, &players).unwrap();
    // as_of 2026-10-06T00:00: with 72 h, Oct 1 and 2 are complete (end + 72 h ≤ as_of), 3 not
    let w = window(
        "2026-10-01T00:00:00Z",
        "2026-10-04T00:00:00Z",
        "2026-10-06T00:00:00Z",
    );
    let cpp = cost_per_player(&ledger, &players, &w);
    let day1 = row(&cpp, "2026-10-01", "eu", "*");
    assert_eq!(
        (
            day1.cost,
            day1.dau,
            day1.cost_per_dau,
            day1.cost_per_player_hour
        ),
        (Some(m("12")), Some(0), None, None)
    );
    assert!(day1.complete);
    let day3 = row(&cpp, "2026-10-03", "*", "*");
    assert!(!day3.complete);
    assert_eq!(day3.cost_per_dau, None); // incomplete: kept out of ratios
    // window, eu: cost 20 (all days); the ratio uses complete days with DAU: (12 + 8) / (0 + 4)
    let win = row(&cpp, "window", "eu", "*");
    assert_eq!(
        (win.cost, win.dau, win.days, win.complete_days, win.complete),
        (Some(m("20")), Some(8), 3, 2, false)
    );
    close(win.cost_per_dau, 5.0);
    close(win.cost_per_player_hour, 2.0);
    // `*` has the summed DAU (flagged); the global row has no players
    assert_eq!(row(&cpp, "window", "*", "*").cost, Some(m("25")));
    assert!(row(&cpp, "window", "*", "*").dau_summed && !win.dau_summed);
    assert_eq!(row(&cpp, "window", GLOBAL, "*").cost_per_dau, None);
    // rows: window, month, week(s), days; `*` first in each
    let kinds: Vec<PeriodKind> = cpp.iter().map(|r| r.period.kind).collect();
    assert!(kinds.windows(2).all(|k| k[0] <= k[1]));
    assert_eq!(
        (cpp[0].region.as_str(), cpp[0].service.as_str()),
        ("*", "*")
    );
    // a period the bill does not cover: the (*, *) row with an empty cost, nothing else
    let w = window(
        "2026-09-28T00:00:00Z",
        "2026-10-02T00:00:00Z",
        "2026-10-06T00:00:00Z",
    );
    let cpp = cost_per_player(&ledger, &players, &w);
    let sep = cpp
        .iter()
        .filter(|r| r.period.label == "2026-09")
        .collect::<Vec<_>>();
    assert_eq!(sep.len(), 1);
    assert_eq!(sep[0].cost, None);
    // the table
    let df = cost_per_player_frame(&cpp).unwrap();
    let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "period_kind",
            "period",
            "period_start",
            "period_end",
            "region",
            "service",
            "cost",
            "credits",
            "tax",
            "currency",
            "dau",
            "dau_summed",
            "peak_ccu",
            "player_hours",
            "cost_per_dau",
            "cost_per_peak_ccu",
            "cost_per_player_hour",
            "unallocated_share",
            "complete",
            "days",
            "complete_days",
        ]
    );
    assert_eq!(
        df.column("cost").unwrap().dtype(),
        &DataType::Decimal(38, 12)
    );
    assert_eq!(
        df.column("cost_per_dau").unwrap().dtype(),
        &DataType::Float64
    );
}

#[test]
fn month_over_month_splits_into_volume_and_rate_exactly() {
    // September: 100 a day, 1000 player-hours, 500 DAU; October: 150 a day, 1200 player-hours.
    let mut rows = Vec::new();
    let mut acts = Vec::new();
    let mut day = d("2026-09-01");
    while day < d("2026-11-01") {
        let start = day
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros();
        let (cost, ph) = if day < d("2026-10-01") {
            (100, 1000.0)
        } else {
            (150, 1200.0)
        };
        rows.push(CostRow::usage(
            start,
            start + DAY,
            Money::from_units(cost),
            "USD",
        ));
        acts.push(ActivityDay {
            date: day,
            region: "*".into(),
            dau: 500,
            player_hours: Some(ph),
            peak_ccu: None,
        });
        day += Duration::days(1);
    }
    let players = PlayerActivity::new(&acts, &[]);
    let ledger = CostLedger::build(&rows, &CostSettings::default(), &players).unwrap();
    let w = window(
        "2026-10-01T00:00:00Z",
        "2026-11-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
    );
    let trends = cost_trends(&ledger, &players, &w);
    let oct = trends
        .iter()
        .find(|r| r.period.label == "2026-10" && r.region == "*")
        .unwrap();
    let s = oct.month.as_ref().unwrap();
    // C0 = 30 × 100 = 3000, U0 = 30 000; C1 = 31 × 150 = 4650, U1 = 37 200
    // r0 = 0.1, r1 = 0.125; volume = 7200 × 0.1 = 720; rate = 0.025 × 37 200 = 930; Δ = 1650
    assert_eq!(s.unit, Some("player_hours"));
    assert_eq!(
        (s.prev_cost, s.cost, s.cost_change),
        (m("3000"), m("4650"), m("1650"))
    );
    assert_eq!((s.prev_days, s.days), (30, 31));
    assert_eq!(
        (s.volume_effect, s.rate_effect),
        (Some(m("720")), Some(m("930")))
    );
    // trailing 7 days to Oct 3: Sep 27–30 at 100 and Oct 1–3 at 150 → 850 / 3500 DAU
    let oct3 = trends
        .iter()
        .find(|r| r.period.label == "2026-10-03" && r.region == "*")
        .unwrap();
    let tr = oct3.trailing.as_ref().unwrap();
    close(tr.cost_per_dau_7d, 850.0 / 3500.0);
    // per player-hour: 850 / (4 × 1000 + 3 × 1200)
    close(tr.cost_per_player_hour_7d, 850.0 / 7600.0);
    assert_eq!((tr.days_7d, tr.days_28d), (7, 28));
    let df = cost_trends_frame(&trends).unwrap();
    assert_eq!(
        df.column("volume_effect").unwrap().dtype(),
        &DataType::Decimal(38, 12)
    );
    assert_eq!(df.height(), trends.len());
}

#[test]
fn anomalies_need_a_robust_z_and_the_floor() {
    // 28 days alternating 100 and 102 (median 101, MAD 1), then 200 (z = 0.6745 × 99 = 66.8,
    // change 99 ≥ 50: flagged) and 110 (z = 6.07 but change 9 < 50: not flagged)
    let mut rows = Vec::new();
    let start = d("2026-09-01");
    for k in 0..30 {
        let day = start + Duration::days(k);
        let amount = match k {
            28 => 200,
            29 => 110,
            _ if k % 2 == 0 => 100,
            _ => 102,
        };
        let us = day
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros();
        rows.push(tagged(
            CostRow::usage(us, us + DAY, Money::from_units(amount), "USD"),
            "svc",
            "game",
        ));
    }
    let s = settings("[[cost.service_map]]\ntag = \"svc\"\n");
    let ledger = CostLedger::build(&rows, &s, &PlayerActivity::default()).unwrap();
    let w = window(
        "2026-09-29T00:00:00Z",
        "2026-10-01T00:00:00Z",
        "2026-11-01T00:00:00Z",
    );
    let flagged = cost_anomalies(&ledger, &w, &s.anomaly);
    let got: Vec<(NaiveDate, &str)> = flagged
        .iter()
        .map(|r| (r.date, r.service.as_str()))
        .collect();
    assert_eq!(got, vec![(d("2026-09-29"), "*"), (d("2026-09-29"), "game")]);
    let a = &flagged[1];
    assert_eq!(
        (a.cost, a.baseline_median, a.baseline_mad, a.change),
        (m("200"), m("101"), m("1"), m("99"))
    );
    assert_eq!((a.baseline_days, a.direction), (28, "up"));
    close(a.robust_z, 0.6745 * 99.0);
    assert_eq!(cost_anomalies_frame(&flagged).unwrap().height(), 2);
    // too little history: nothing judged
    let w = window(
        "2026-09-03T00:00:00Z",
        "2026-09-05T00:00:00Z",
        "2026-11-01T00:00:00Z",
    );
    assert!(cost_anomalies(&ledger, &w, &s.anomaly).is_empty());
}

#[test]
fn tables_from_no_rows() {
    let players = PlayerActivity::default();
    let ledger = CostLedger::build(&[], &CostSettings::default(), &players).unwrap();
    let w = window(
        "2026-10-01T00:00:00Z",
        "2026-10-03T00:00:00Z",
        "2026-10-10T00:00:00Z",
    );
    let cpp = cost_per_player(&ledger, &players, &w);
    assert!(cpp.iter().all(|r| r.cost.is_none() && r.region == "*"));
    assert!(cost_per_player_frame(&cpp).is_ok());
    assert!(cost_trends_frame(&cost_trends(&ledger, &players, &w)).is_ok());
    assert!(cost_anomalies_frame(&cost_anomalies(&ledger, &w, &Default::default())).is_ok());
    let eff = cost_efficiency(&[], &CostSettings::default(), &w).unwrap();
    assert!(cost_efficiency_frame(&eff).is_ok());
    assert!(cost_restated(&[], &ledger).is_empty());
}
