use super::*;
use chrono::{DateTime, NaiveDateTime, Utc};
use proptest::prelude::*;

const UTC: Tz = Tz::UTC;
const BERLIN: Tz = chrono_tz::Europe::Berlin;

fn us(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_micros()
}

fn ts(raw: &str, tz: Tz) -> Result<i64, Rule> {
    parse_timestamp(raw, tz).map(|i| {
        assert!(!i.ambiguous, "{raw} unexpectedly ambiguous");
        i.us
    })
}

#[test]
fn null_text() {
    for s in ["", "   ", "\t\n", "null", "NULL", " Null "] {
        assert!(is_null_text(s), "{s:?}");
    }
    for s in ["NaN", "N/A", "None", "NaT", "0", "nul", "nulls"] {
        assert!(!is_null_text(s), "{s:?}");
    }
}

#[test]
fn timestamps_with_offsets() {
    let ten = us("2026-10-01T10:00:00Z");
    for s in [
        "2026-10-01T12:00:00+02:00",
        "2026-10-01 12:00:00+0200",
        "2026-10-01t12:00:00+02",
        "2026-10-01T08:00:00-02:00",
        "2026-10-01T10:00:00Z",
        "2026-10-01T10:00:00z",
        " 2026-10-01 10:00:00 UTC ",
        "2026-10-01 10:00:00 utc",
        "2026-10-01T10:00Z",
        "2026-10-01T10:00:00.000-00:00",
        "2026-10-01T15:30:00+05:30",
    ] {
        assert_eq!(ts(s, BERLIN), Ok(ten), "{s}");
    }
    assert_eq!(
        ts("2026-10-01 12:00:00.123456789Z", UTC),
        Ok(us("2026-10-01T12:00:00.123456Z"))
    );
    assert_eq!(
        ts("2026-10-01T12:00:00.5Z", UTC),
        Ok(us("2026-10-01T12:00:00.5Z"))
    );
    assert_eq!(ts("1969-12-31T23:59:59.999999Z", UTC), Ok(-1));
    assert_eq!(ts("1970-01-01T00:00:00Z", UTC), Ok(0));
    assert_eq!(
        ts("1000-01-01T00:00:00Z", UTC),
        Ok(us("1000-01-01T00:00:00Z"))
    );
    assert_eq!(
        ts("9999-12-31T23:59:59Z", UTC),
        Ok(us("9999-12-31T23:59:59Z"))
    );
    assert_eq!(
        ts("2024-02-29T00:00:00Z", UTC),
        Ok(us("2024-02-29T00:00:00Z"))
    );
}

#[test]
fn timestamps_naive() {
    let p = |s| parse_timestamp(s, BERLIN);
    assert_eq!(p("2026-03-29 02:30"), Err(Rule::NonexistentLocalTime));
    assert_eq!(
        p("2026-03-29T02:59:59.999"),
        Err(Rule::NonexistentLocalTime)
    );
    assert_eq!(
        p("2026-10-25 02:30"),
        Ok(Instant {
            us: us("2026-10-25T00:30:00Z"),
            ambiguous: true
        })
    );
    assert_eq!(
        ts("2026-07-01 12:00", BERLIN),
        Ok(us("2026-07-01T10:00:00Z"))
    );
    assert_eq!(
        ts("2026-01-01T12:00:00.25", BERLIN),
        Ok(us("2026-01-01T11:00:00.25Z"))
    );
    assert_eq!(ts("2026-07-01 12:00", UTC), Ok(us("2026-07-01T12:00:00Z")));
    assert_eq!(
        ts("2026-07-01T12:00:07", chrono_tz::Etc::UTC),
        Ok(us("2026-07-01T12:00:07Z"))
    );
    // date only: local midnight
    assert_eq!(ts("2026-07-01", BERLIN), Ok(us("2026-06-30T22:00:00Z")));
    assert_eq!(ts("2026-07-01", UTC), Ok(us("2026-07-01T00:00:00Z")));
}

#[test]
fn timestamps_rejected() {
    for s in [
        "",
        "null",
        "2026-10-01T30:00:00Z",
        "2026-02-30",
        "2026-13-01",
        "2026-00-10",
        "2025-02-29T00:00:00Z",
        "2026-10-01T12:60:00Z",
        "2026-10-01T12:00:60Z",
        "2026-10-01T24:00:00Z",
        "0999-12-31T00:00:00Z",
        "2026-10-01T12:00:00+24:00",
        "2026-10-01T12:00:00+02:60",
        "2026-10-01T12:00:00+2:00",
        "2026-10-01T12:00:00+020",
        "2026-10-01T12:00:00.Z",
        "2026-10-01T12:00:00.1234567890Z",
        "2026-10-01T12",
        "2026-10-01T",
        "2026-10-01X12:00:00Z",
        "2026-10-01T12:00:00ZZ",
        "2026-10-01T12:00:00 GMT",
        "2026/10/01 12:00:00",
        "26-10-01",
        "1759312800",
        "2026-1-01",
        "2026-10-01T12:00.5Z",
        "2026-10-01T12:00:00 +02:00",
        "2026-10-01Z",
        "２026-10-01",
    ] {
        assert_eq!(
            parse_timestamp(s, BERLIN),
            Err(Rule::UnparseableTimestamp),
            "{s:?}"
        );
    }
}

#[test]
fn dates() {
    let d = |y, m, d| Ok(NaiveDate::from_ymd_opt(y, m, d).unwrap());
    assert_eq!(parse_date("2026-10-01"), d(2026, 10, 1));
    assert_eq!(parse_date(" 2024-02-29 "), d(2024, 2, 29));
    for s in [
        "2026-02-30",
        "2025-02-29",
        "2026/10/01",
        "2026-10-01T00:00:00",
        "2026-10-1",
        "",
        "x",
        "0999-01-01",
        "2026-10-01Z",
        "20261001",
    ] {
        assert_eq!(parse_date(s), Err(Rule::UnparseableDate), "{s:?}");
    }
}

#[test]
fn counts() {
    for (s, v) in [
        ("12", 12),
        ("+12", 12),
        ("12.0", 12),
        ("1e3", 1000),
        ("1.2E3", 1200),
        (" 12 ", 12),
        ("-0", 0),
        ("-0.0", 0),
        ("0", 0),
        ("0e999999999999999999999", 0),
        ("007", 7),
        ("12.", 12),
        ("1200e-2", 12),
        ("9223372036854775807", i64::MAX),
        ("9223372036854775807.000", i64::MAX),
        ("9.223372036854775807e18", i64::MAX),
        ("9007199254740993", 9_007_199_254_740_993),
        ("123456789012345678", 123_456_789_012_345_678),
    ] {
        assert_eq!(parse_count(s), Ok(v), "{s:?}");
    }
    for s in [
        "12.5",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "+Infinity",
        "1e400",
        "1e-400",
        "0.5",
        "9223372036854775808",
        "1e19",
        "99999999999999999999",
    ] {
        assert_eq!(parse_count(s), Err(Rule::NotAnInteger), "{s:?}");
    }
    for s in ["-3", "-1e3", "-3.5", "-0.0001"] {
        assert_eq!(parse_count(s), Err(Rule::NegativeValue), "{s:?}");
    }
    for s in [
        "abc", "12abc", "1,000", "", ".", "1e", "1e+", "--1", "+-1", "1 000", "0x10", "e5",
    ] {
        assert_eq!(parse_count(s), Err(Rule::UnparseableNumber), "{s:?}");
    }
}

#[test]
fn reals() {
    for (s, v) in [
        ("1.5", 1.5f64),
        (" 0 ", 0.0),
        ("-0", 0.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("+2", 2.0),
        ("1e-400", 0.0),
    ] {
        let got = parse_real(s).unwrap();
        assert_eq!(got.to_bits(), v.to_bits(), "{s:?}");
    }
    for s in [
        "NaN", "inf", "-inf", "infinity", "1e400", "abc", "1,5", "", "1.5.2",
    ] {
        assert_eq!(parse_real(s), Err(Rule::UnparseableNumber), "{s:?}");
    }
    for s in ["-1", "-0.001", "-1e-400"] {
        assert_eq!(parse_real(s), Err(Rule::NegativeValue), "{s:?}");
    }
}

#[test]
fn money() {
    for (s, v) in [
        ("12", "12"),
        ("-0.5", "-0.5"),
        (".5", "0.5"),
        ("1.5E-4", "0.00015"),
        ("1e3", "1000"),
        ("+3.25", "3.25"),
        ("-12.50", "-12.5"),
        ("0", "0"),
        ("-0.000", "0"),
        ("007.100", "7.1"),
        ("12.", "12"),
        ("1.2345e2", "123.45"),
        ("0.1234567890125", "0.123456789012"),
        ("0.1234567890135", "0.123456789014"),
        ("0.12345678901251", "0.123456789013"),
        ("0.0000000000005", "0"),
        ("0.00000000000051", "0.000000000001"),
        ("0.0000000000015", "0.000000000002"),
        ("-0.0000000000004", "0"),
        ("0.9999999999995", "1"),
        ("0.1000000000001", "0.1"),
        ("-1.0000000000004", "-1"),
        ("10.0000000000005", "10"),
        ("1e-30", "0"),
        ("-5e-13", "0"),
        ("12345678901234567890123456", "12345678901234567890123456"),
        (
            "00012345678901234567890123456.5",
            "12345678901234567890123456.5",
        ),
        ("1.5e25", "15000000000000000000000000"),
    ] {
        assert_eq!(parse_money(s).as_deref(), Ok(v), "{s:?}");
    }
    for s in [
        "12,34.5",
        "$5",
        "NaN",
        "inf",
        "1e",
        "1e+",
        "",
        ".",
        "-",
        "1..2",
        "5 USD",
        "1e27",
        "123456789012345678901234567",
        "99999999999999999999999999.9999999999995",
        "1_000",
    ] {
        assert_eq!(parse_money(s), Err(Rule::UnparseableDecimal), "{s:?}");
    }
}

#[test]
fn severities() {
    let cases: [(&str, &[&str]); 5] = [
        (
            "SEV1",
            &[
                "SEV1",
                "P1",
                "1",
                "critical",
                "sev-1",
                "sev 1",
                "Sev_1",
                " CRITICAL ",
                "p-1",
            ],
        ),
        (
            "SEV2",
            &["SEV2", "p2", "2", "high", "major", "SEV-2", "High"],
        ),
        ("SEV3", &["sev3", "P3", "3", "medium", "moderate", "sev 3"]),
        ("SEV4", &["SEV4", "P4", "4", "low", "minor", "Sev-4"]),
        (
            "SEV5",
            &["SEV5", "P5", "5", "info", "informational", "INFO"],
        ),
    ];
    for (want, spellings) in cases {
        for s in spellings {
            assert_eq!(normalize_severity(s), Ok(want), "{s:?}");
        }
    }
    for s in [
        "SEV0", "6", "sev", "p", "-1", "sev--1", "sev  1", "urgent", "", "1.0", "sev1x",
    ] {
        assert_eq!(normalize_severity(s), Err(Rule::UnknownSeverity), "{s:?}");
    }
}

#[test]
fn statuses_and_kinds() {
    for (s, v) in [
        ("success", "success"),
        ("Succeeded", "success"),
        ("FAILURE", "failed"),
        ("failed", "failed"),
        ("rollback", "rolled_back"),
        ("rolled_back", "rolled_back"),
        ("Rolled Back", "rolled_back"),
        ("rolledback", "rolled_back"),
        ("rolled-back", "rolled_back"),
        ("cancelled", "cancelled"),
        (" Canceled ", "cancelled"),
    ] {
        assert_eq!(normalize_status(s), Ok(v), "{s:?}");
    }
    for s in [
        "ok",
        "",
        "pending",
        "rolled  back",
        "successful-ish-and-long",
    ] {
        assert_eq!(normalize_status(s), Err(Rule::UnknownStatus), "{s:?}");
    }
    for (s, v) in [
        ("launch", "launch"),
        ("Marketing", "marketing"),
        ("SEASON", "season"),
        (" maintenance ", "maintenance"),
    ] {
        assert_eq!(normalize_event_kind(s), Ok(v), "{s:?}");
    }
    for s in ["other", "", "launches", "sale"] {
        assert_eq!(
            normalize_event_kind(s),
            Err(Rule::UnknownEventKind),
            "{s:?}"
        );
    }
}

#[test]
fn tags() {
    let some = |s: &str| Ok(Some(s.to_owned()));
    assert_eq!(
        normalize_tags(r#"{"team":"web","app":"lobby"}"#),
        some(r#"{"app":"lobby","team":"web"}"#)
    );
    assert_eq!(
        normalize_tags(r#" { "b" : 1, "a" : true, "c": null, "d": 1.5 } "#),
        some(r#"{"a":true,"b":1,"c":null,"d":1.5}"#)
    );
    assert_eq!(
        normalize_tags(r#"{"z":{"y":1,"x":[{"b":1,"a":2}]}}"#),
        some(r#"{"z":{"x":[{"a":2,"b":1}],"y":1}}"#)
    );
    assert_eq!(
        normalize_tags(r#""team":"web","app":"lobby""#),
        some(r#"{"app":"lobby","team":"web"}"#)
    );
    for s in ["{}", " { } ", "", "NULL", "null"] {
        assert_eq!(normalize_tags(s), Ok(None), "{s:?}");
    }
    for s in [
        "[1,2]",
        "\"web\"",
        "12",
        "true",
        "{\"a\":",
        "team=web",
        r#""a":"b","#,
        "{a:1}",
    ] {
        assert_eq!(normalize_tags(s), Err(Rule::InvalidTags), "{s:?}");
    }
}

fn call_all(s: &str) {
    let _ = is_null_text(s);
    let _ = parse_timestamp(s, UTC);
    let _ = parse_timestamp(s, BERLIN);
    let _ = parse_timestamp(s, chrono_tz::America::Sao_Paulo);
    let _ = parse_date(s);
    let _ = parse_count(s);
    let _ = parse_real(s);
    let _ = parse_money(s);
    let _ = normalize_severity(s);
    let _ = normalize_status(s);
    let _ = normalize_tags(s);
    let _ = normalize_event_kind(s);
}

proptest! {
    #[test]
    fn no_panic_on_any_string(s in any::<String>()) {
        call_all(&s);
    }

    #[test]
    fn no_panic_on_near_miss_strings(s in "[0-9+\\-.eEZzTt: UuTCc\"{}\\[\\],nNaAiIfF/é]{0,40}") {
        call_all(&s);
    }

    #[test]
    fn money_is_idempotent(s in "[+-]?[0-9]{0,30}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{1,2})?") {
        if let Ok(m) = parse_money(&s) {
            prop_assert_eq!(parse_money(&m), Ok(m.clone()));
        }
    }

    #[test]
    fn count_round_trips(n in 0..=i64::MAX) {
        prop_assert_eq!(parse_count(&n.to_string()), Ok(n));
        prop_assert_eq!(parse_count(&format!("{n}.0")), Ok(n));
    }

    #[test]
    fn rfc3339_round_trips(
        y in 1000i32..=9999, mo in 1u32..=12, d in 1u32..=31, h in 0u32..24, mi in 0u32..60,
        s in 0u32..60, frac in proptest::collection::vec(0u8..10, 0..=9), space in any::<bool>(),
        off in proptest::option::of(-(23 * 60 + 59)..=(23 * 60 + 59i32)),
    ) {
        let d = d.min(days_in_month(y, mo));
        let frac: String = frac.iter().map(|d| char::from(b'0' + d)).collect();
        let dot = if frac.is_empty() { "" } else { "." };
        let zone = match off {
            None => "Z".to_owned(),
            Some(m) => format!("{}{:02}:{:02}", if m < 0 { '-' } else { '+' }, m.abs() / 60, m.abs() % 60),
        };
        let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{dot}{frac}{zone}");
        let want = DateTime::parse_from_rfc3339(&text).unwrap().timestamp_micros();
        prop_assert_eq!(parse_timestamp(&text, BERLIN), Ok(Instant { us: want, ambiguous: false }));
        let spaced = if space { text.replacen('T', " ", 1) } else { text.clone() };
        prop_assert_eq!(parse_timestamp(&spaced, UTC).map(|i| i.us), Ok(want));
        // naive in UTC and in Berlin agree with chrono
        let naive_text = &text[..text.len() - zone.len()];
        let naive = NaiveDateTime::parse_from_str(naive_text, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
        prop_assert_eq!(ts(naive_text, UTC), Ok(naive.and_utc().timestamp_micros()));
        let berlin = match BERLIN.from_local_datetime(&naive) {
            LocalResult::Single(t) => Ok(Instant { us: t.with_timezone(&Utc).timestamp_micros(), ambiguous: false }),
            LocalResult::Ambiguous(a, _) => Ok(Instant { us: a.timestamp_micros(), ambiguous: true }),
            LocalResult::None => Err(Rule::NonexistentLocalTime),
        };
        prop_assert_eq!(parse_timestamp(naive_text, BERLIN), berlin);
    }
}
