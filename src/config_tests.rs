//! Unit tests of `config.rs`.
use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn precedence_is_default_file_env_flag() {
    let file = "input_tz = \"Europe/Berlin\"\nlake_dir = \"l\"\nmax_rejected = \"5%\"\n[window]\ndays = 30\n";
    let path = Path::new("/etc/ops/opsbench.toml");
    let flags = GlobalArgs {
        lake: Some(PathBuf::from("/flag/lake")),
        ..Default::default()
    };
    let s = Settings::resolve(
        Some((path, file)),
        &env(&[
            ("OPSBENCH_LAKE_DIR", "/env/lake"),
            ("OPSBENCH_WINDOW_DAYS", "7"),
        ]),
        &flags,
        Some("10"),
    )
    .unwrap();
    assert_eq!(s.lake_dir, PathBuf::from("/flag/lake"));
    assert_eq!(s.origin("lake_dir"), "flag --lake");
    assert_eq!(s.window_days, 7);
    assert_eq!(s.origin("window.days"), "env OPSBENCH_WINDOW_DAYS");
    assert_eq!(s.input_tz, chrono_tz::Europe::Berlin);
    assert_eq!(s.origin("input_tz"), "/etc/ops/opsbench.toml");
    // with the line, for `config --show-origin`: the file's and line's, else the env or flag
    assert_eq!(s.origin_at("input_tz"), "/etc/ops/opsbench.toml:1");
    assert_eq!(s.origin_at("max_rejected"), "flag --max-rejected");
    assert_eq!(s.origin_at("window.days"), "env OPSBENCH_WINDOW_DAYS");
    assert_eq!(s.origin_at("lake_dir"), "flag --lake");
    assert_eq!(s.max_rejected, Some(Threshold::Count(10)));
    assert_eq!(s.origin("report_tz"), "default");
    assert_eq!(s.out_dir, PathBuf::from("out"));
}

#[test]
fn relative_paths_resolve_against_the_config_folder() {
    let file = "lake_dir = \"lake\"\n[datasets.ccu]\ninputs = [\"ccu/*.csv\"]\n[datasets.ccu.columns]\nplayers = \"ccu\"\n";
    let s = Settings::resolve(
        Some((Path::new("/data/opsbench.toml"), file)),
        &env(&[]),
        &GlobalArgs::default(),
        None,
    )
    .unwrap();
    assert_eq!(s.lake_dir, PathBuf::from("/data/lake"));
    let ccu = &s.datasets[&Dataset::Ccu];
    assert_eq!(ccu.inputs, vec!["/data/ccu/*.csv".to_string()]);
    assert_eq!(ccu.columns["players"], "ccu");
}

#[test]
fn errors_name_file_key_and_expectation() {
    let cases = [
        (
            "input_tz = \"Mars/Olympus\"",
            "key `input_tz`: expected an IANA time zone",
        ),
        (
            "[window]\ndays = \"x\"",
            "key `window.days`: expected a whole number of days above 0, found `x`",
        ),
        ("[window]\nweeks = 2", "key `window.weeks`: unknown key"),
        ("lake = \"x\"", "key `lake`: unknown key"),
        (
            "[datasets.ccus]\ninputs = []",
            "key `datasets.ccus`: unknown dataset",
        ),
        (
            "[datasets.ccu.columns]\nplayers = \"players\"",
            "key `datasets.ccu.columns.players`: `players` is not a column of ccu",
        ),
        (
            "max_rejected = \"lots\"",
            "key `max_rejected`: expected a count `N` or a share `N%`, found `lots`",
        ),
        ("[window\n", "not valid TOML"),
    ];
    for (text, want) in cases {
        let err = Settings::resolve(
            Some((Path::new("cfg/opsbench.toml"), text)),
            &env(&[]),
            &GlobalArgs::default(),
            None,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cfg/opsbench.toml: "), "{msg}");
        assert!(msg.contains(want), "{msg} should contain {want}");
    }
    let err = Settings::resolve(
        None,
        &env(&[("OPSBENCH_AS_OF", "yesterday")]),
        &GlobalArgs::default(),
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("env OPSBENCH_AS_OF: key `as_of`: expected an RFC 3339"),
        "{err}"
    );
}

#[test]
fn window_defaults_to_days_before_as_of() {
    let s = Settings::default();
    let as_of = parse_instant("2026-11-01T00:00:00Z").unwrap();
    let (from, to) = s.window(as_of);
    assert_eq!(to, as_of);
    assert_eq!(from, parse_instant("2026-08-03T00:00:00Z").unwrap());
    let flags = GlobalArgs {
        from: Some("2026-10-01".into()),
        to: Some("2026-10-08".into()),
        ..Default::default()
    };
    let s = Settings::resolve(
        None,
        &env(&[("OPSBENCH_REPORT_TZ", "Europe/Berlin")]),
        &flags,
        None,
    )
    .unwrap();
    let (from, to) = s.window(as_of);
    assert_eq!(from, parse_instant("2026-09-30T22:00:00Z").unwrap());
    assert_eq!(to, parse_instant("2026-10-07T22:00:00Z").unwrap());
    let flags = GlobalArgs {
        from: Some("2026-10-08".into()),
        to: Some("2026-10-01".into()),
        ..Default::default()
    };
    assert!(Settings::resolve(None, &env(&[]), &flags, None).is_err());
}

#[test]
fn a_profile_sets_the_knobs_and_explicit_keys_override_it() {
    let file = "profile = \"devlake\"\n[metrics]\nmedian = \"interpolated\"\n";
    let s = Settings::resolve(
        Some((Path::new("o.toml"), file)),
        &env(&[("OPSBENCH_MAX_LINK_LAG", "2h")]),
        &GlobalArgs::default(),
        None,
    )
    .unwrap();
    assert_eq!(s.profile, "devlake");
    assert_eq!(
        s.knobs.median,
        crate::metrics::stats::MedianKind::Interpolated
    );
    assert_eq!(s.origin("metrics.median"), "o.toml");
    assert!(!s.knobs.cfr_counts_failed_status);
    assert_eq!(
        s.origin("metrics.cfr_counts_failed_status"),
        "profile devlake (o.toml)"
    );
    assert_eq!(s.knobs.max_link_lag_min, Some(120));
    let flags = GlobalArgs {
        profile: Some("default".into()),
        ..Default::default()
    };
    let s = Settings::resolve(Some((Path::new("o.toml"), file)), &env(&[]), &flags, None).unwrap();
    assert!(
        s.knobs.cfr_counts_failed_status,
        "the flag's profile wins over the file's"
    );
    let err = Settings::resolve(
        Some((Path::new("o.toml"), "[metrics]\nmedian = \"mean\"\n")),
        &env(&[]),
        &GlobalArgs::default(),
        None,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "o.toml: key `metrics.median`: expected `interpolated` or `lower`, found `mean`"
    );
}

#[test]
fn thresholds() {
    assert_eq!(Threshold::parse("5%"), Some(Threshold::Percent(5.0)));
    assert_eq!(Threshold::parse("12"), Some(Threshold::Count(12)));
    assert_eq!(Threshold::parse("101%"), None);
    assert!(Threshold::Count(2).exceeded(3, 100));
    assert!(!Threshold::Count(3).exceeded(3, 100));
    assert!(Threshold::Percent(1.0).exceeded(2, 100));
    assert!(!Threshold::Percent(2.0).exceeded(2, 100));
    assert_eq!(parse_minutes("5m"), Some(5));
    assert_eq!(parse_minutes("1h"), Some(60));
    assert_eq!(parse_minutes("90s"), None);
    assert_eq!(parse_minutes("0m"), None);
}

#[test]
fn retention_in_days_or_forever() {
    let file = "[retention]\nccu = \"400d\"\nslo = 30\nincidents = \"forever\"\n";
    let s = Settings::resolve(
        Some((Path::new("o.toml"), file)),
        &env(&[]),
        &GlobalArgs::default(),
        None,
    )
    .unwrap();
    assert_eq!(s.retention.get(&Dataset::Ccu), Some(&400));
    assert_eq!(s.retention.get(&Dataset::Slo), Some(&30));
    assert_eq!(s.retention.get(&Dataset::Incidents), None);
    let err = Settings::resolve(
        Some((Path::new("o.toml"), "[retention]\nccu = \"soon\"\n")),
        &env(&[]),
        &GlobalArgs::default(),
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("o.toml: key `retention.ccu`: expected a number of days"),
        "{err}"
    );
}

#[test]
fn key_lines_follow_table_headers() {
    let text = "a = 1\n# c\n[window]\ndays = 3\n[datasets.ccu]\ninputs = []\n[datasets.ccu.columns]\n\"Players Online\" = \"ccu\"\n";
    let lines = key_lines(text);
    assert_eq!(lines["a"], 1);
    assert_eq!(lines["window.days"], 4);
    assert_eq!(lines["datasets.ccu.inputs"], 6);
    assert_eq!(lines["datasets.ccu.columns.Players Online"], 8);
}
