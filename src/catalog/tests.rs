//! Tests of the catalogue: `[services]` parsing, OpenSLO documents (the upstream examples in
//! `fixtures/openslo/` and hand-made ones), merging, and the `service_catalog` table.

use std::path::{Path, PathBuf};

use super::*;
use crate::metrics::slo_budget::{BudgetingMethod, Sli, ThresholdOp};

fn parse(text: &str) -> Result<BTreeMap<String, ServiceSettings>> {
    let t: toml::Table = text.parse().unwrap();
    parse_services("o.toml", t["services"].as_table().unwrap())
}

fn err(r: Result<impl std::fmt::Debug>) -> String {
    r.unwrap_err().to_string()
}

fn docs(text: &str) -> Result<Vec<Slo>> {
    parse_documents(&[("slos/a.yaml".to_string(), text.to_string())])
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openslo")
}

/// A valid SLO document with `extra` spliced into its spec (and `objective` as its objectives).
fn slo_doc(name: &str, service: &str, spec_extra: &str, objectives: &str) -> String {
    format!(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: {name}\nspec:\n  service: {service}\n  indicator:\n    metadata:\n      name: {name}-sli\n    spec:\n      ratioMetric:\n        good: {{metricSource: {{type: Any}}}}\n        total: {{metricSource: {{type: Any}}}}\n{spec_extra}  objectives:\n{objectives}"
    )
}

const ROLLING_28D_OCC: &str =
    "  timeWindow:\n    - duration: 28d\n      isRolling: true\n  budgetingMethod: Occurrences\n";

#[test]
fn targets_as_shares_or_percent() {
    let s = parse("[services.login]\nslo_availability_target = \"99.95%\"\nslo_latency_ms = 250\n[services.chat]\nslo_window_days = 7\n").unwrap();
    assert!((s["login"].slo_availability_target - 0.9995).abs() < 1e-12);
    assert_eq!(s["login"].slo_latency_ms, Some(250.0));
    assert_eq!(s["chat"].slo_window_days, 7);
    assert_eq!(
        s["chat"],
        ServiceSettings {
            slo_window_days: 7,
            keys_set: ["slo_window_days".to_string()].into(),
            ..Default::default()
        }
    );
}

#[test]
fn every_service_key_parses() {
    let s = parse(
        "[services.mm]\nowner = \"team-mm\"\ntier = 1\nregions = [\"eu-west\", \"us-east\", \"eu-west\"]\nslo_latency_ms = 250\nslo_latency_target = \"99.5%\"\nrunbook_url = \"https://runbooks.example/mm\"\nescalation = { rotation = \"mm-primary\", channel = \"#mm-oncall\" }\ndepends_on = [\"login\"]\n",
    )
    .unwrap();
    let mm = &s["mm"];
    assert_eq!(mm.owner.as_deref(), Some("team-mm"));
    assert_eq!(mm.tier.as_deref(), Some("1"));
    assert_eq!(mm.regions, ["eu-west", "us-east"], "repeats dropped");
    assert!((mm.slo_latency_target - 0.995).abs() < 1e-12);
    assert_eq!(
        mm.runbook_url.as_deref(),
        Some("https://runbooks.example/mm")
    );
    assert_eq!(
        mm.escalation.as_ref().map(ToString::to_string).as_deref(),
        Some("mm-primary (#mm-oncall)")
    );
    assert_eq!(mm.depends_on, ["login"]);
    let described = mm.describe("mm");
    assert!(described.contains(&("services.mm.owner".into(), "team-mm".into())));
    assert!(described.contains(&("services.mm.regions".into(), "eu-west, us-east".into())));
}

#[test]
fn errors_name_the_key() {
    let e = err(parse("[services.login]\nslo_availability_target = 1.0\n"));
    assert!(
        e.starts_with("o.toml: key `services.login.slo_availability_target`: expected a share"),
        "{e}"
    );
    let e = err(parse("[services.login]\nownr = \"x\"\n"));
    assert!(
        e.contains("`services.login.ownr`: unknown key; expected one of `owner`"),
        "{e}"
    );
    let e = err(parse("[services.login]\nregions = [\"eu;west\"]\n"));
    assert!(
        e.contains("`services.login.regions`: expected an array of names"),
        "{e}"
    );
    let e = err(parse("[services.login]\ndepends_on = [\"login\"]\n"));
    assert!(e.ends_with("`login` cannot depend on itself"), "{e}");
    let e = err(parse("[services.login]\nescalation = { pager = \"x\" }\n"));
    assert!(
        e.contains("`services.login.escalation.pager`: unknown key"),
        "{e}"
    );
    let e = err(parse("[services.login]\nslo_latency_target = 0.9\n"));
    assert!(e.ends_with("hint: add `slo_latency_ms`"), "{e}");
}

#[test]
fn a_javascript_runbook_url_is_refused_at_load() {
    let r = parse("[services.login]\nrunbook_url = \"javascript:alert(document.cookie)\"\n");
    let e = r.unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "a config error: exit 2");
    assert_eq!(e.exit_code(), crate::error::exit::ERROR);
    assert_eq!(
        e.to_string(),
        "o.toml: key `services.login.runbook_url`: expected an `http://` or `https://` URL, found `javascript:alert(document.cookie)`; the report links it, so no other scheme is allowed"
    );
    for bad in [
        "data:text/html,x",
        "//evil.example",
        " https://x.example",
        "ftp://x.example",
    ] {
        let text = format!("[services.login]\nrunbook_url = \"{bad}\"\n");
        assert!(err(parse(&text)).contains("runbook_url"), "{bad}");
    }
    assert!(parse("[services.login]\nrunbook_url = \"HTTP://wiki.example/a?b=1\"\n").is_ok());
}

#[test]
fn openslo_examples_load_or_give_the_documented_error() {
    let dir = fixtures();
    let load = |name: &str| load_slo_files("cfg.toml", &dir, &[name.to_string()]);

    let s = load("budgeting-method__occurences-slo.yaml").unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].service, "web-shop");
    assert_eq!(
        s[0].sli,
        Sli::Latency {
            op: ThresholdOp::Lt,
            threshold_ms: 500.0
        }
    );
    assert_eq!(s[0].target, 0.99);
    assert_eq!(s[0].method, BudgetingMethod::Occurrences);
    assert_eq!(s[0].window.to_string(), "2w rolling");
    assert_eq!(s[0].window.days(), Some(14));
    assert_eq!(s[0].title, "Searching time: Good experience");
    assert!(
        s[0].id()
            .ends_with("budgeting-method__occurences-slo.yaml#search-slo[0]")
    );

    let s = load("budgeting-method__ratio-timeslices.yaml").unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].service.as_str(), &s[0].sli),
        ("web-shop", &Sli::Availability)
    );
    assert_eq!(
        s[0].method,
        BudgetingMethod::RatioTimeslices { slice_min: 1 }
    );

    let e = err(load("budgeting-method__timeslices-slo.yaml"));
    let path = dir.join("budgeting-method__timeslices-slo.yaml");
    assert_eq!(
        e,
        format!(
            "{}: document 1 (`service-availability`): key `spec.timeWindow[0].duration`: `1m` is 1 minute (OpenSLO: `m` minutes, `M` months), and opsbench needs an SLO window of at least one day; hint: for 1 month(s) write `1M`",
            path.display()
        )
    );

    let s = load("treat-low-traffic-as-equally-important__timeslices-slo.yaml").unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].service, "web-availability");
    assert_eq!(s[0].target, 0.9995);
    assert_eq!(
        s[0].method,
        BudgetingMethod::Timeslices {
            slice_target: 0.95,
            slice_min: 1
        }
    );
    assert_eq!(
        s[0].window.to_string(),
        "1w calendar-aligned from 2022-01-01 12:00:00 America/New_York"
    );
}

#[test]
fn globs_are_relative_to_the_config_folder_and_must_match() {
    let dir = fixtures();
    let parent = dir.parent().unwrap();
    let s = load_slo_files(
        "cfg.toml",
        parent,
        &["openslo/*ratio*.yaml".into(), "openslo/treat-*.yaml".into()],
    )
    .unwrap();
    assert_eq!(s.len(), 2);
    let e = err(load_slo_files("cfg.toml", parent, &["slos/*.yaml".into()]));
    assert!(
        e.starts_with("cfg.toml: key `slo_files`: no file matches `"),
        "{e}"
    );
    assert!(
        e.ends_with("slos/*.yaml`; hint: fix the glob, or remove it from `slo_files`"),
        "{e}"
    );
    // a folder whose name looks like a pattern is still a folder
    let tmp = tempfile::tempdir().unwrap();
    let odd = tmp.path().join("cfg [x]");
    fs_err::create_dir_all(&odd).unwrap();
    fs_err::copy(
        dir.join("budgeting-method__ratio-timeslices.yaml"),
        odd.join("a.yaml"),
    )
    .unwrap();
    assert_eq!(
        load_slo_files("cfg.toml", &odd, &["*.yaml".into()])
            .unwrap()
            .len(),
        1
    );
    let e = err(load_slo_files("cfg.toml", parent, &["[".into()]));
    assert!(e.contains("`[` is not a valid glob"), "{e}");
}

#[test]
fn a_multi_document_file_keys_each_objective() {
    let two = format!(
        "{}---\n{}",
        slo_doc(
            "a",
            "store",
            ROLLING_28D_OCC,
            "    - displayName: internal\n      target: 0.999\n    - displayName: SLA\n      targetPercent: 99\n"
        ),
        slo_doc(
            "b",
            "store",
            "  budgetingMethod: occurrences\n",
            "    - target: 0.95\n"
        )
    );
    let s = docs(&two).unwrap();
    let ids: Vec<String> = s.iter().map(Slo::id).collect();
    assert_eq!(
        ids,
        ["slos/a.yaml#a[0]", "slos/a.yaml#a[1]", "slos/a.yaml#b[0]"]
    );
    assert!((s[1].target - 0.99).abs() < 1e-12, "targetPercent");
    assert_eq!(s[2].window.to_string(), "28d rolling", "default window");
    assert_eq!(
        s[2].method,
        BudgetingMethod::Occurrences,
        "method in any case"
    );
    match &s[2].source {
        SloSource::File { document, .. } => assert_eq!(*document, 2),
        other => panic!("{other:?}"),
    }
    // the catalogue takes the strictest as the primary SLO
    let c = Catalog::build("o.toml", &BTreeMap::new(), s).unwrap();
    assert_eq!(
        c.primary("store", "availability").map(|s| s.target),
        Some(0.999)
    );
    assert_eq!(
        c.slos_of("store").count(),
        3,
        "no default next to document SLOs"
    );
}

#[test]
fn documents_opsbench_cannot_honour_are_errors_naming_file_document_and_field() {
    let cases: Vec<(String, &str)> = vec![
        (
            slo_doc("x", "s", "  budgetingMethod: Weighted\n", "    - target: 0.9\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.budgetingMethod`: unknown budgeting method `Weighted`; expected `Occurrences`, `Timeslices` or `RatioTimeslices`",
        ),
        (
            slo_doc("x", "s", "  timeWindow:\n    - duration: 28d\n      isRolling: true\n    - duration: 1M\n      calendar: {startTime: 2026-01-01 00:00:00}\n  budgetingMethod: Occurrences\n", "    - target: 0.9\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.timeWindow`: 2 windows given; OpenSLO allows exactly one, and opsbench budgets over one",
        ),
        (
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: cpu}\nspec:\n  service: s\n  indicator:\n    metadata: {name: cpu-usage}\n    spec:\n      thresholdMetric: {metricSource: {type: Any}}\n  budgetingMethod: Occurrences\n  objectives:\n    - {op: lt, value: 80, target: 0.9}\n".to_string(),
            "slos/a.yaml: document 1 (`cpu`): key `spec.indicator.spec.thresholdMetric`: a threshold on a metric the `slo` dataset lacks: the indicator (`cpu-usage`) is not latency, and latency (`latency_p99_ms`) is the only threshold metric; hint: annotate the SLO `opsbench/column: latency_p99_ms` if it is latency",
        ),
        (
            "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: q\n  annotations: {opsbench/column: queue_depth}\nspec:\n  service: s\n  indicator:\n    spec:\n      thresholdMetric: {metricSource: {type: Any}}\n  budgetingMethod: Occurrences\n  objectives:\n    - {op: lt, value: 80, target: 0.9}\n".to_string(),
            "slos/a.yaml: document 1 (`q`): key `metadata.annotations.opsbench/column`: the `slo` dataset has no metric `queue_depth` for a threshold; opsbench reads `latency_p99_ms` only",
        ),
        (
            slo_doc("x", "s", "  budgetingMethod: Timeslices\n", "    - target: 0.9\n      timeSliceWindow: 5m\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.objectives[0].timeSliceTarget`: missing; `Timeslices` needs the share a slice must reach, such as `0.95`",
        ),
        (
            slo_doc("x", "s", "  budgetingMethod: RatioTimeslices\n", "    - target: 0.9\n      timeSliceWindow: 2M\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.objectives[0].timeSliceWindow`: expected a duration of minutes, hours, days or weeks such as `5m`, or a number of minutes, found `2M`",
        ),
        (
            slo_doc("x", "s", ROLLING_28D_OCC, "    - target: 1\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.objectives[0].target`: expected a target strictly between 0 and 1, found `1`",
        ),
        (
            slo_doc("x", "s", ROLLING_28D_OCC, "    - target: 0.9\n      targetPercent: 90\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.objectives[0].targetPercent`: give `target` or `targetPercent`, not both",
        ),
        (
            slo_doc("x", "s", ROLLING_28D_OCC, "    - target: 0.9\n      indicatorRef: other\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.objectives[0].indicatorRef`: composite SLOs (an indicator per objective) are not supported; hint: write one SLO document per indicator",
        ),
        (
            slo_doc("x", "s", "  timeWindow:\n    - duration: 1M\n      isRolling: true\n      calendar: {startTime: 2026-01-01}\n  budgetingMethod: Occurrences\n", "    - target: 0.9\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.timeWindow[0].isRolling`: `true` with a `calendar`: a window is rolling or calendar-aligned, not both",
        ),
        (
            slo_doc("x", "s", "  timeWindow:\n    - duration: 36h\n  budgetingMethod: Occurrences\n", "    - target: 0.9\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.timeWindow[0].duration`: `36h` is not a whole number of days; opsbench's SLO windows are days",
        ),
        (
            slo_doc("x", "s", "  timeWindow:\n    - duration: 4 weeks\n  budgetingMethod: Occurrences\n", "    - target: 0.9\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.timeWindow[0].duration`: `4 weeks` is not a duration; expected a whole number and one of `m` (minutes), `h`, `d`, `w`, `M` (months), `Q`, `Y`, such as `28d`",
        ),
        (
            slo_doc("x", "s", "  timeWindow:\n    - duration: 1M\n      calendar: {startTime: 2026-01-01, timeZone: Mars/Olympus}\n  budgetingMethod: Occurrences\n", "    - target: 0.9\n"),
            "slos/a.yaml: document 1 (`x`): key `spec.timeWindow[0].calendar.timeZone`: expected an IANA time zone such as `America/New_York`, found `Mars/Olympus`",
        ),
        (
            "apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: old}\nspec: {}\n".to_string(),
            "slos/a.yaml: document 1 (`old`): key `apiVersion`: `openslo/v1alpha` is not supported; opsbench reads `openslo/v1` documents",
        ),
        (
            "apiVersion: openslo/v1\nkind: Dashboard\nmetadata: {name: d}\n".to_string(),
            "slos/a.yaml: document 1 (`d`): key `kind`: unknown kind `Dashboard`; expected `SLO`, `SLI`, or one opsbench skips (`Service`, `DataSource`, `AlertPolicy`, `AlertCondition`, `AlertNotificationTarget`)",
        ),
        (
            format!("{}---\n{}", slo_doc("x", "s", ROLLING_28D_OCC, "    - target: 0.9\n"), slo_doc("x", "t", ROLLING_28D_OCC, "    - target: 0.9\n")),
            "slos/a.yaml: document 2 (`x`): key `metadata.name`: SLO `x` is also document 1 of this file; an SLO is keyed by (file, `metadata.name`, objective), so names must differ",
        ),
        (
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: r}\nspec:\n  service: s\n  indicatorRef: nope\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.9}]\n".to_string(),
            "slos/a.yaml: document 1 (`r`): key `spec.indicatorRef`: no SLI document named `nope` in the `slo_files`",
        ),
        (
            "- just\n- a list\n".to_string(),
            "slos/a.yaml: document 1: key ``: expected a mapping with `apiVersion`, `kind`, `metadata` and `spec`",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(err(docs(&text)), expected, "\n{text}");
    }
}

#[test]
fn yaml_errors_and_empty_files_name_the_file() {
    let e = err(docs("apiVersion: [unclosed\n"));
    assert_eq!(
        e,
        "slos/a.yaml: not valid YAML: unclosed bracket '[' at line 1, column 13"
    );
    let e = err(docs("a: 1\na: 2\n"));
    assert_eq!(
        e,
        "slos/a.yaml: not valid YAML: duplicate mapping key: a at line 2, column 1"
    );
    let e = err(docs("# nothing\n"));
    assert!(e.starts_with("slos/a.yaml: holds no YAML document"), "{e}");
    // an alias bomb is refused by the parser's budget, not expanded
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("a{}", i - 1)
        };
        bomb.push_str(&format!("a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    assert!(docs(&bomb).is_err());
    // deep nesting is refused by the parser's depth budget, before it can exhaust the stack
    let deep = format!("a: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert!(err(docs(&deep)).starts_with("slos/a.yaml: not valid YAML: "));
}

#[test]
fn indicator_refs_and_annotations_pick_the_sli() {
    let sli = "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: p99}\nspec:\n  thresholdMetric: {metricSource: {type: Any}}\n";
    let slo = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: fast\n  annotations: {opsbench/column: latency_p99_ms}\nspec:\n  service: login\n  indicatorRef: p99\n  budgetingMethod: Timeslices\n  objectives:\n    - {op: lte, value: 300, target: 0.95, timeSliceTarget: 1, timeSliceWindow: 5}\n";
    let service = "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: login}\nspec: {}\n";
    let s = parse_documents(&[
        ("slos/slis.yaml".into(), sli.into()),
        ("slos/login.yaml".into(), format!("{service}---\n{slo}")),
    ])
    .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(
        s[0].sli,
        Sli::Latency {
            op: ThresholdOp::Lte,
            threshold_ms: 300.0
        }
    );
    assert_eq!(
        s[0].method,
        BudgetingMethod::Timeslices {
            slice_target: 1.0,
            slice_min: 5
        },
        "a bare number of minutes"
    );
    match &s[0].source {
        SloSource::File { document, .. } => assert_eq!(*document, 2, "the Service document counts"),
        other => panic!("{other:?}"),
    }
}

fn services(text: &str) -> BTreeMap<String, ServiceSettings> {
    parse(text).unwrap()
}

#[test]
fn the_same_slo_in_config_and_document_is_an_error_naming_both() {
    let doc = docs(&slo_doc(
        "shop-avail",
        "web-shop",
        ROLLING_28D_OCC,
        "    - displayName: Good\n      target: 0.99\n",
    ))
    .unwrap();
    let cfg = services("[services.web-shop]\nslo_availability_target = 0.999\n");
    let e = err(Catalog::build("opsbench.toml", &cfg, doc.clone()));
    assert_eq!(
        e,
        "opsbench.toml: key `services.web-shop.slo_availability_target`: the availability SLO of `web-shop` is also defined in `slos/a.yaml` document 1 (`shop-avail`), `spec.objectives[0]` (`Good`); hint: keep one of the two"
    );
    // a config window that no config SLO uses is refused too
    let cfg = services("[services.web-shop]\nslo_window_days = 7\n");
    let e = err(Catalog::build("opsbench.toml", &cfg, doc.clone()));
    assert!(
        e.starts_with(
            "opsbench.toml: key `services.web-shop.slo_window_days`: no SLO of the config uses it"
        ),
        "{e}"
    );
    // a latency SLO in the config and an availability one in a document do not clash
    let cfg = services(
        "[services.web-shop]\nowner = \"shop\"\nslo_latency_ms = 300\nslo_window_days = 7\n",
    );
    let c = Catalog::build("opsbench.toml", &cfg, doc).unwrap();
    let kinds: Vec<(&str, &str)> = c
        .slos
        .iter()
        .map(|s| (s.sli.kind(), s.source.kind()))
        .collect();
    assert_eq!(kinds, [("availability", "file"), ("latency", "config")]);
    assert_eq!(c.slos[1].window.to_string(), "7d rolling");
}

#[test]
fn service_catalog_table_shows_each_service_once() -> Result<()> {
    let doc = docs(&slo_doc(
        "pay",
        "payments",
        ROLLING_28D_OCC,
        "    - target: 0.9995\n",
    ))
    .unwrap();
    let cfg = services(
        "[services.mm]\nowner = \"team-mm\"\ntier = \"1\"\nregions = [\"eu\", \"us\"]\nslo_availability_target = 0.9995\nslo_latency_ms = 250\nrunbook_url = \"https://rb.example/mm\"\nescalation = { rotation = \"mm-primary\" }\ndepends_on = [\"login\", \"payments\"]\n[services.login]\n",
    );
    let c = Catalog::build("o.toml", &cfg, doc)?;
    let df = to_frame(&c)?;
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, table::COLUMNS);
    let mut csv = Vec::new();
    crate::report::table_csv::write_csv_to(&df, &mut csv, Path::new("service_catalog.csv"))?;
    let csv = String::from_utf8(csv).unwrap();
    let expected = "service,owner,tier,regions,slo_availability_target,slo_latency_ms,slo_latency_target,slo_window_days,slo_window,runbook_url,escalation,depends_on,depended_on_by,slo_source\r\n\
        login,,,\"\",0.999,,,28,28d rolling,,,\"\",mm,default\r\n\
        mm,team-mm,1,eu;us,0.9995,250,0.99,28,28d rolling,https://rb.example/mm,mm-primary,login;payments,\"\",config\r\n\
        payments,,,\"\",0.9995,,,28,28d rolling,,,\"\",mm,file\r\n";
    assert_eq!(csv, expected);
    // and the targets slo_metrics takes
    let t = c.slo_targets();
    assert_eq!(t["payments"].availability, 0.9995);
    assert_eq!(t["mm"].latency_ms, Some(250.0));
    Ok(())
}

mod no_panic {
    use proptest::prelude::*;

    use super::*;

    const EXAMPLE: &str = include_str!(
        "../../fixtures/openslo/treat-low-traffic-as-equally-important__timeslices-slo.yaml"
    );

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text gives SLOs or an error, never a panic.
        #[test]
        fn any_text_is_read_or_refused(text in "\\PC{0,200}") {
            let _ = docs(&text);
        }

        /// An upstream example with a slice cut out or a character replaced: likewise.
        #[test]
        fn mangled_examples_are_read_or_refused(at in 0usize..1100, len in 0usize..40, c in "[-:{}\\[\\]0-9a-zA-Z !&*|>#'\"\n]") {
            let start = EXAMPLE.floor_char_boundary(at.min(EXAMPLE.len()));
            let end = EXAMPLE.floor_char_boundary((start + len).min(EXAMPLE.len()));
            let mangled = format!("{}{c}{}", &EXAMPLE[..start], &EXAMPLE[end..]);
            let _ = docs(&mangled);
        }
    }
}

#[test]
fn from_settings_reads_slo_files_beside_the_config() {
    use crate::cli::GlobalArgs;
    use crate::config::Settings;
    let config = fixtures().join("opsbench.toml");
    let text = "slo_files = [\"budgeting-method__ratio-timeslices.yaml\"]\n[services.web-shop]\nowner = \"shop\"\n[services.cart]\ndepends_on = [\"web-shop\"]\n";
    let s = Settings::resolve(
        Some((&config, text)),
        &BTreeMap::new(),
        &GlobalArgs::default(),
        None,
    )
    .unwrap();
    assert_eq!(s.slo_files, ["budgeting-method__ratio-timeslices.yaml"]);
    assert_eq!(s.origin("slo_files"), config.display().to_string());
    assert!(
        s.describe()
            .contains(&("services.web-shop.owner".into(), "shop".into()))
    );
    let c = Catalog::from_settings(&s).unwrap();
    assert_eq!(c.services.len(), 2);
    assert_eq!(
        c.primary("web-shop", "availability")
            .map(|x| x.source.kind()),
        Some("file")
    );
    assert_eq!(c.depended_on_by("web-shop"), ["cart"]);
    // no `slo_files`: the config alone
    let s = Settings::resolve(
        Some((&config, "[services.a]\n")),
        &BTreeMap::new(),
        &GlobalArgs::default(),
        None,
    )
    .unwrap();
    assert_eq!(Catalog::from_settings(&s).unwrap().slos.len(), 1);
    let e = Settings::resolve(
        Some((&config, "slo_files = \"slos/*.yaml\"\n")),
        &BTreeMap::new(),
        &GlobalArgs::default(),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.ends_with("key `slo_files`: expected an array of globs such as [\"slos/*.yaml\"]"),
        "{e}"
    );
}

/// The example config's `[services]` and its commented `slo_files` line (uncommented) are valid.
#[test]
fn the_example_config_describes_a_catalogue() {
    use crate::cli::GlobalArgs;
    use crate::config::Settings;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("opsbench.example.toml");
    let text = fs_err::read_to_string(&path).unwrap();
    let text = text.replace("# slo_files = ", "slo_files = ");
    let s = Settings::resolve(
        Some((&path, &text)),
        &BTreeMap::new(),
        &GlobalArgs::default(),
        None,
    )
    .unwrap();
    assert_eq!(s.slo_files, ["slos/*.yaml"]);
    let mm = &s.services["matchmaking"];
    assert_eq!(mm.owner.as_deref(), Some("team-matchmaking"));
    assert_eq!(mm.depends_on, ["login", "chat"]);
    let c = Catalog::build("example", &s.services, Vec::new()).unwrap();
    assert_eq!(to_frame(&c).unwrap().height(), 1);
}

#[test]
fn budgets_take_each_slos_window_and_method() {
    use crate::metrics::slo_budget::SliRow;
    use chrono::{DateTime, Duration, Utc};
    let doc = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: day}\nspec:\n  service: api\n  indicator: {spec: {ratioMetric: {total: {metricSource: {type: Any}}}}}\n  timeWindow: [{duration: 1d, calendar: {startTime: 2026-10-01 00:00:00, timeZone: UTC}}]\n  budgetingMethod: Timeslices\n  objectives: [{target: 0.5, timeSliceTarget: 0.99, timeSliceWindow: 1m}]\n";
    let cfg = services("[services.api]\nslo_availability_target = 0.9\nslo_window_days = 2\n");
    let slos = docs(doc).unwrap();
    // the config's availability and the document's are the same SLO: refused
    assert!(Catalog::build("o.toml", &cfg, slos.clone()).is_err());
    let cfg = services("[services.api]\nslo_latency_ms = 200\nslo_latency_target = 0.5\n");
    let c = Catalog::build("o.toml", &cfg, slos).unwrap();
    let as_of: DateTime<Utc> = "2026-10-02T00:10:00Z".parse().unwrap();
    // one-minute rows from 23:50 on 1 October to 00:09 on 2 October: 100 requests each; the
    // minutes before midnight have 10 errors and a p99 of 300 ms, those after none and 100 ms
    let rows: Vec<SliRow> = (0..20)
        .map(|i| {
            let before_midnight = i < 10;
            SliRow {
                ts: "2026-10-01T23:50:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(i),
                requests: 100,
                errors: if before_midnight { 10 } else { 0 },
                latency_p99_ms: Some(if before_midnight { 300.0 } else { 100.0 }),
            }
        })
        .collect();
    let b = c.budgets(&BTreeMap::from([("api".to_string(), rows)]), as_of);
    // document, calendar day 2 October: 10 good slices of 10 → remaining 1
    let day = &b["slos/a.yaml#day[0]"];
    assert_eq!((day.good, day.total), (10.0, 10.0));
    assert_eq!(day.remaining, Some(1.0));
    // config latency, 28 days rolling, each row one event: 10 good rows of 20 at target 0.5
    // → allowed bad = 0.5 × 20 = 10, bad = 10, remaining = 0 (just spent)
    let lat = &b["config:api.latency"];
    assert_eq!(
        (lat.good, lat.total, lat.remaining),
        (10.0, 20.0, Some(0.0))
    );
}
