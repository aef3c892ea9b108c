//! Hand-computed cases for player impact: the `impact_gaps` fixture (its README has the
//! arithmetic) and properties of the integral.

use std::path::{Path, PathBuf};

use super::*;
use crate::config::parse_instant;
use crate::metrics::periods::PeriodKind;
use proptest::prelude::*;

fn t(s: &str) -> DateTime<Utc> {
    parse_instant(s).unwrap()
}

fn us(s: &str) -> i64 {
    t(s).timestamp_micros()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/impact_gaps")
        .join(name)
}

/// A canonical `ccu` frame: `ts` Datetime(µs, UTC), `region`, `shard`, `ccu` Int64.
fn ccu_frame(rows: &[(i64, String, Option<String>, i64)]) -> DataFrame {
    let ts = Series::new("ts".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>())
        .cast(&DataType::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::UTC),
        ))
        .unwrap();
    DataFrame::new_infer_height(vec![
        ts.into(),
        Column::new(
            "region".into(),
            rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "shard".into(),
            rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
        ),
        Column::new("ccu".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
    ])
    .unwrap()
}

/// `fixtures/impact_gaps/ccu.csv` as rows.
fn fixture_ccu_rows() -> Vec<(i64, String, Option<String>, i64)> {
    let mut reader = csv::Reader::from_path(fixture("ccu.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                us(&r[0]),
                r[1].to_string(),
                (!r[2].is_empty()).then(|| r[2].to_string()),
                r[3].parse().unwrap(),
            )
        })
        .collect()
}

/// `fixtures/impact_gaps/incidents.csv` as incidents.
fn fixture_incidents() -> Vec<Incident> {
    let mut reader = csv::Reader::from_path(fixture("incidents.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let get = |name: &str| {
                let i = headers.iter().position(|h| h == name).unwrap();
                Some(&r[i]).filter(|v| !v.is_empty())
            };
            Incident {
                environment: get("environment").unwrap().into(),
                region: get("region").map(str::to_string),
                mitigated_us: get("mitigated_at").map(us),
                resolved_us: get("resolved_at").map(us),
                players_affected: get("players_affected").map(|p| p.parse().unwrap()),
                ..Incident::new(
                    get("incident_id").unwrap(),
                    get("service").unwrap(),
                    get("severity").unwrap(),
                    us(get("opened_at").unwrap()),
                )
            }
        })
        .collect()
}

const AS_OF: &str = "2026-10-01T12:00:00Z";

fn period(kind: PeriodKind, label: &str, start: &str, end: &str) -> Period {
    Period {
        kind,
        label: label.into(),
        start: t(start),
        end: t(end),
    }
}

/// (`player_minutes_lost`, `ccu_coverage`) of one row of the period totals.
fn total(df: &DataFrame, label: &str, service: &str, severity: &str) -> (Option<f64>, Option<f64>) {
    let text = |c: &str| df.column(c).unwrap().str().unwrap().clone();
    let num = |c: &str| df.column(c).unwrap().f64().unwrap().clone();
    let (p, sv, sev) = (text("period"), text("service"), text("severity"));
    let (pm, cov) = (num("player_minutes_lost"), num("ccu_coverage"));
    let i = (0..df.height())
        .find(|&i| {
            p.get(i) == Some(label) && sv.get(i) == Some(service) && sev.get(i) == Some(severity)
        })
        .unwrap_or_else(|| panic!("no row {label} {service} {severity} in {df}"));
    (pm.get(i), cov.get(i))
}

#[test]
fn fixture_incident_impact_matches_the_expected_table() {
    let ccu = ccu_frame(&fixture_ccu_rows()).lazy();
    let df = incident_impact(ccu, &fixture_incidents(), t(AS_OF), &ImpactKnobs::default()).unwrap();
    let mut got = Vec::new();
    crate::report::table_csv::write_csv_to(&df, &mut got, Path::new("incident_impact.csv"))
        .unwrap();
    let got = String::from_utf8(got).unwrap();
    let expected = fs_err::read_to_string(fixture("expected/incident_impact.csv")).unwrap();
    let lines = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect()
    };
    assert_eq!(lines(&got), lines(&expected), "got:\n{got}");
}

#[test]
fn fixture_period_totals_count_each_region_once_and_split_at_period_edges() {
    let ccu = ccu_frame(&fixture_ccu_rows()).lazy();
    let periods = vec![
        period(PeriodKind::Window, "window", "2026-10-01T00:00:00Z", AS_OF),
        period(
            PeriodKind::Day,
            "early",
            "2026-10-01T00:00:00Z",
            "2026-10-01T10:45:00Z",
        ),
        period(PeriodKind::Day, "late", "2026-10-01T10:45:00Z", AS_OF),
    ];
    let df = player_minutes_by_period(
        ccu,
        &fixture_incidents(),
        &periods,
        t(AS_OF),
        &ImpactKnobs::default(),
    )
    .unwrap();
    // D (SEV2) and E (SEV1) overlap in eu-west over [10:40, 10:50): counted once, at 1.0.
    assert_eq!(
        total(&df, "window", "login", "*"),
        (Some(121_000.0), Some(85.0 / 100.0))
    );
    assert_eq!(
        total(&df, "window", "login", "SEV1"),
        (Some(110_000.0), Some(65.0 / 80.0))
    );
    assert_eq!(
        total(&df, "window", "login", "SEV2"),
        (Some(17_000.0), Some(1.0))
    );
    assert_eq!(
        total(&df, "window", "*", "SEV2"),
        (Some(54_900.0), Some(1.0))
    );
    assert_eq!(
        total(&df, "window", "*", "*"),
        (Some(201_300.0), Some(145.0 / 170.0))
    );
    // No CCU in ap-south: missing, not zero.
    assert_eq!(total(&df, "window", "chat", "*"), (None, Some(0.0)));
    // The minutes inside each period, split at 10:45.
    assert_eq!(
        total(&df, "early", "*", "*"),
        (Some(78_000.0), Some(55.0 / 70.0))
    );
    assert_eq!(total(&df, "late", "*", "*").0, Some(123_300.0));
    // C opened in `late` only; B neither opened nor ran in `early`.
    assert!(
        (0..df.height()).all(|i| {
            let p = df.column("period").unwrap().str().unwrap().get(i);
            let s = df.column("service").unwrap().str().unwrap().get(i);
            !(p == Some("early") && matches!(s, Some("store" | "matchmaking" | "chat")))
        }),
        "{df}"
    );
    // window and late: every group of A–E and H (12); early: A, D, E (6).
    assert_eq!(df.height(), 12 + 6 + 12, "{df}");
}

#[test]
fn a_longer_max_gap_bridges_the_hole() {
    let ccu = ccu_frame(&fixture_ccu_rows()).lazy();
    let knobs = ImpactKnobs {
        max_sample_gap_min: 30,
        ..ImpactKnobs::default()
    };
    let a: Vec<Incident> = fixture_incidents()
        .into_iter()
        .filter(|i| i.id == "INC-A")
        .collect();
    let df = incident_impact(ccu, &a, t(AS_OF), &knobs).unwrap();
    // 10:10 now holds 30 min at 2000: 2000×40 + 2200×10.
    let pm = df
        .column("player_minutes_lost")
        .unwrap()
        .f64()
        .unwrap()
        .get(0);
    let cov = df.column("ccu_coverage").unwrap().f64().unwrap().get(0);
    assert_eq!((pm, cov), (Some(102_000.0), Some(1.0)));
}

#[test]
fn impact_ends_at_mitigation_else_resolution_else_as_of_and_never_after_as_of() {
    let as_of = us(AS_OF);
    let opened = us("2026-10-01T10:00:00Z");
    let base = Incident::new("X", "login", "SEV1", opened);
    let at = |s: &str| Some(us(s));
    let cases = [
        (
            at("2026-10-01T10:30:00Z"),
            at("2026-10-01T11:00:00Z"),
            us("2026-10-01T10:30:00Z"),
        ),
        (None, at("2026-10-01T11:00:00Z"), us("2026-10-01T11:00:00Z")),
        (None, None, as_of),
        // mitigated after as_of: not yet, as of then
        (at("2026-10-01T12:30:00Z"), None, as_of),
        (None, at("2026-10-02T00:00:00Z"), as_of),
    ];
    for (mitigated_us, resolved_us, end) in cases {
        let i = Incident {
            mitigated_us,
            resolved_us,
            ..base.clone()
        };
        assert_eq!(impact_interval(&i, as_of), (opened, end), "{i:?}");
    }
}

#[test]
fn without_any_ccu_an_incident_is_uncovered_not_zero() {
    let ccu = ccu_frame(&[]).lazy();
    let incidents = vec![Incident {
        resolved_us: Some(us("2026-10-01T11:00:00Z")),
        ..Incident::new("X", "login", "SEV1", us("2026-10-01T10:00:00Z"))
    }];
    let df = incident_impact(ccu, &incidents, t(AS_OF), &ImpactKnobs::default()).unwrap();
    let pm = df
        .column("player_minutes_lost")
        .unwrap()
        .f64()
        .unwrap()
        .get(0);
    let cov = df.column("ccu_coverage").unwrap().f64().unwrap().get(0);
    assert_eq!((pm, cov), (None, Some(0.0)));
}

/// Raw proptest input: samples (region, shard, minute, ccu) and incidents (region or all,
/// start minute, length, severity).
type Raw = (
    Vec<(usize, usize, i64, i64)>,
    Vec<(Option<usize>, i64, i64, u8)>,
);

fn raw() -> impl Strategy<Value = Raw> {
    (
        proptest::collection::vec((0usize..3, 0usize..2, 0i64..600, 0i64..5_000), 0..80),
        proptest::collection::vec(
            (
                proptest::option::of(0usize..3),
                0i64..600,
                0i64..120,
                1u8..=5,
            ),
            1..8,
        ),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn player_minutes_are_bounded_and_ignore_the_order_of_ccu_rows(
        (samples, raw_incidents) in raw(),
        rotate in 0usize..80,
    ) {
        const REGIONS: [&str; 3] = ["eu", "us", "ap"];
        let base = us("2026-10-01T00:00:00Z");
        let as_of = t("2026-10-01T10:00:00Z");
        // One row per (region, shard, minute): later duplicates are dropped.
        let mut seen = BTreeSet::new();
        let rows: Vec<(i64, String, Option<String>, i64)> = samples
            .iter()
            .filter(|(r, s, m, _)| seen.insert((*r, *s, *m)))
            .map(|(r, s, m, c)| (base + m * 60_000_000, REGIONS[*r].to_string(), Some(format!("s{s}")), *c))
            .collect();
        let incidents: Vec<Incident> = raw_incidents
            .iter()
            .enumerate()
            .map(|(n, (r, start, len, sev))| Incident {
                region: r.map(|r| REGIONS[r].to_string()),
                resolved_us: Some(base + (start + len) * 60_000_000),
                ..Incident::new(&format!("I{n}"), "svc", &format!("SEV{sev}"), base + start * 60_000_000)
            })
            .collect();
        let knobs = ImpactKnobs::default();
        let df = incident_impact(ccu_frame(&rows).lazy(), &incidents, as_of, &knobs).unwrap();
        let mut shuffled = rows.clone();
        shuffled.reverse();
        let len = shuffled.len().max(1);
        shuffled.rotate_left(rotate % len);
        let again = incident_impact(ccu_frame(&shuffled).lazy(), &incidents, as_of, &knobs).unwrap();

        // max CCU (summed over shards) per region
        let mut per_ts: BTreeMap<(String, i64), i64> = BTreeMap::new();
        for (ts, region, _, c) in &rows {
            *per_ts.entry((region.clone(), *ts)).or_default() += c;
        }
        let max_of = |region: &str| per_ts.iter().filter(|((r, _), _)| r == region).map(|(_, c)| *c).max().unwrap_or(0);
        let pm = df.column("player_minutes_lost").unwrap().f64().unwrap().clone();
        let pm2 = again.column("player_minutes_lost").unwrap().f64().unwrap().clone();
        let cov = df.column("ccu_coverage").unwrap().f64().unwrap().clone();
        let cov2 = again.column("ccu_coverage").unwrap().f64().unwrap().clone();
        prop_assert_eq!(df.height(), incidents.len());
        for (n, i) in incidents.iter().enumerate() {
            let (s, e) = impact_interval(i, as_of.timestamp_micros());
            let minutes = (e - s) as f64 / 60e6;
            let max_ccu: i64 = match &i.region {
                Some(r) => max_of(r),
                None => REGIONS.iter().map(|r| max_of(r)).sum(),
            };
            let bound = max_ccu as f64 * minutes * knobs.share(i);
            match (pm.get(n), pm2.get(n)) {
                (Some(a), Some(b)) => {
                    prop_assert!(a >= 0.0 && a <= bound * (1.0 + 1e-12) + 1e-9, "{} > {}", a, bound);
                    prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{} vs {}", a, b);
                }
                (a, b) => prop_assert_eq!(a, b),
            }
            prop_assert_eq!(cov.get(n), cov2.get(n));
            prop_assert!(cov.get(n).is_none_or(|c| (0.0..=1.0).contains(&c)));
        }

        // The window total lies between the largest incident and the sum of all of them.
        let window = vec![period(PeriodKind::Window, "window", "2026-10-01T00:00:00Z", "2026-10-01T10:00:00Z")];
        let totals = player_minutes_by_period(ccu_frame(&rows).lazy(), &incidents, &window, as_of, &knobs).unwrap();
        let (all, _) = total(&totals, "window", "*", "*");
        let each: Vec<f64> = pm.iter().flatten().collect();
        let sum: f64 = each.iter().sum();
        let max = each.iter().copied().fold(0.0, f64::max);
        let all = all.unwrap_or(0.0);
        prop_assert!(all <= sum * (1.0 + 1e-9) + 1e-9 && all >= max * (1.0 - 1e-9) - 1e-9, "{} not in [{}, {}]", all, max, sum);
    }
}
