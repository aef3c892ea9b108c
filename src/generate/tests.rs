//! Tests of the generator's output as files: determinism, CSV shape, bad rows, invariants, the
//! fast region's capacity, row targets and part splitting. They read what was written, with the
//! csv crate, never the generator's internals.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::writer::parse_ts;
use super::*;

fn small(seed: u64) -> GenerateOptions {
    GenerateOptions {
        days: 3,
        regions: 2,
        services: 2,
        seed,
        ..GenerateOptions::default()
    }
}

/// Every file under `dir`, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs_err::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs_err::read(&path).unwrap());
            }
        }
    }
    out
}

/// A dataset's records (all parts), as maps from column name to cell.
fn read(summary: &GenerateSummary, dataset: Dataset) -> Vec<HashMap<String, String>> {
    let mut rows = Vec::new();
    for file in summary.files.iter().filter(|f| f.dataset == dataset) {
        let mut reader = csv::Reader::from_path(&file.path).unwrap();
        let headers: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let mut n = 0;
        for record in reader.records() {
            let record = record.unwrap();
            rows.push(
                headers
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_owned))
                    .collect(),
            );
            n += 1;
        }
        assert_eq!(n, file.rows, "{}", file.path.display());
    }
    rows
}

fn ts(row: &HashMap<String, String>, col: &str) -> Option<i64> {
    parse_ts(&row[col])
}

/// The rule a row's defect breaks, recognised from the defect itself; `None` for a good row.
fn defect(dataset: Dataset, row: &HashMap<String, String>) -> Option<Rule> {
    use Rule::*;
    let f = |c: &str| row[c].as_str();
    let bad_ts = |c: &str| parse_ts(f(c)).is_none();
    // A count that is not a non-negative integer, and the rule it breaks.
    let count = |c: &str| match (f(c).is_empty(), f(c).parse::<u64>(), f(c).parse::<f64>()) {
        (true, _, _) | (_, Ok(_), _) => None,
        (_, _, Err(_)) => Some(UnparseableNumber),
        (_, _, Ok(x)) if x < 0.0 => Some(NegativeValue),
        _ => Some(NotAnInteger),
    };
    let first = |checks: &[(bool, Rule)]| checks.iter().find(|c| c.0).map(|c| c.1);
    match dataset {
        Dataset::Incidents => first(&[
            (f("service").is_empty(), MissingRequired),
            (bad_ts("opened_at"), UnparseableTimestamp),
            (f("severity") == "SEV9", UnknownSeverity),
            (
                ts(row, "resolved_at").is_some_and(|r| Some(r) < ts(row, "opened_at")),
                EndBeforeStart,
            ),
        ])
        .or_else(|| count("players_affected")),
        Dataset::Deployments => first(&[
            (f("deploy_id").is_empty(), MissingRequired),
            (bad_ts("finished_at"), UnparseableTimestamp),
            (f("status") == "exploded", UnknownStatus),
        ]),
        Dataset::Ccu => first(&[
            (bad_ts("ts"), UnparseableTimestamp),
            (f("region").is_empty(), MissingRequired),
        ])
        .or_else(|| count("ccu")),
        Dataset::Activity => first(&[(
            NaiveDate::parse_from_str(f("date"), "%Y-%m-%d").is_err(),
            UnparseableDate,
        )])
        .or_else(|| count("dau")),
        Dataset::Cost => first(&[
            (bad_ts("ChargePeriodStart"), UnparseableTimestamp),
            (
                f("ChargePeriodEnd") == f("ChargePeriodStart"),
                EndBeforeStart,
            ),
            (f("BilledCost").contains(','), UnparseableDecimal),
            (f("BillingCurrency").is_empty(), MissingRequired),
        ]),
        Dataset::Slo => match (f("requests").parse::<i64>(), f("errors").parse::<i64>()) {
            (_, Err(_)) => Some(UnparseableNumber),
            (_, Ok(e)) if e < 0 => Some(NegativeValue),
            (Ok(r), Ok(e)) if e > r => Some(ErrorsExceedRequests),
            _ => None,
        },
        Dataset::Capacity => first(&[
            (f("players_per_instance") == "0", NotPositive),
            (f("instances").starts_with('-'), NegativeValue),
        ]),
        Dataset::Events => first(&[
            (ts(row, "ends_at") <= ts(row, "starts_at"), EndBeforeStart),
            (f("expected_uplift") == "0", NotPositive),
        ]),
    }
}

fn key(dataset: Dataset, row: &HashMap<String, String>) -> Option<Vec<String>> {
    let spec = dataset.spec();
    (dataset != Dataset::Cost).then(|| spec.key.iter().map(|k| row[*k].clone()).collect())
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    generate(&small(7), a.path()).unwrap();
    generate(&small(7), b.path()).unwrap();
    generate(&small(8), c.path()).unwrap();
    let (sa, sb, sc) = (snapshot(a.path()), snapshot(b.path()), snapshot(c.path()));
    assert_eq!(
        sa.len(),
        9,
        "eight datasets and the config: {:?}",
        sa.keys()
    );
    assert_eq!(sa, sb);
    for name in [
        "ccu/part-0001.csv",
        "slo/part-0001.csv",
        "cost/part-0001.csv",
        "activity/part-0001.csv",
    ] {
        assert_ne!(sa[name], sc[name], "{name} ignores the seed");
    }
}

#[test]
fn every_file_has_the_canonical_header_and_parses() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&small(1), dir.path()).unwrap();
    assert_eq!(summary.files.len(), 8);
    for file in &summary.files {
        let text = fs_err::read_to_string(&file.path).unwrap();
        let names: Vec<&str> = file.dataset.spec().columns.iter().map(|c| c.name).collect();
        assert_eq!(
            text.lines().next().unwrap(),
            names.join(","),
            "{}",
            file.path.display()
        );
        assert!(!text.contains('\r') && text.ends_with('\n'));
        let mut reader = csv::Reader::from_path(&file.path).unwrap();
        let mut rows = 0;
        for record in reader.records() {
            assert_eq!(record.unwrap().len(), names.len());
            rows += 1;
        }
        assert_eq!(rows, file.rows);
        assert!(rows > 0, "{} is empty", file.dataset);
        assert_eq!(file.bad_rows, 0);
    }
    // The incident titles exercise quoting and HTML escaping.
    let incidents = read(&summary, Dataset::Incidents);
    assert!(
        incidents
            .iter()
            .any(|r| r["title"].contains(r#"<b>markup</b> & "quotes""#))
    );
}

#[test]
fn bad_rows_cover_every_kind_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        days: 7,
        regions: 2,
        services: 3,
        bad_rows: 0.05,
        ..GenerateOptions::default()
    };
    let summary = generate(&opts, dir.path()).unwrap();
    for d in Dataset::ALL {
        let rows = read(&summary, d);
        let found: Vec<Rule> = rows.iter().filter_map(|r| defect(d, r)).collect();
        let counted: u64 = summary
            .files
            .iter()
            .filter(|f| f.dataset == d)
            .map(|f| f.bad_rows)
            .sum();
        assert_eq!(
            found.len() as u64,
            counted,
            "{d}: bad rows found vs counted"
        );
        let kinds = bad_row_kinds(d);
        for kind in kinds {
            assert!(found.contains(kind), "{d}: no `{}` bad row", kind.id());
        }
        assert!(found.iter().all(|k| kinds.contains(k)));
        let wanted = ((opts.bad_rows * rows.len() as f64).round() as u64).max(kinds.len() as u64);
        assert!(
            counted.abs_diff(wanted) <= kinds.len() as u64,
            "{d}: {counted} bad rows, wanted ~{wanted}"
        );
        // A bad row's key is no good row's.
        let good: HashSet<Vec<String>> = rows
            .iter()
            .filter(|r| defect(d, r).is_none())
            .filter_map(|r| key(d, r))
            .collect();
        for bad in rows.iter().filter(|r| defect(d, r).is_some()) {
            if let Some(k) = key(d, bad) {
                assert!(!good.contains(&k), "{d}: bad row reuses key {k:?}");
            }
        }
    }
    // A clean run has none.
    let clean = tempfile::tempdir().unwrap();
    let summary = generate(
        &GenerateOptions {
            bad_rows: 0.0,
            ..opts
        },
        clean.path(),
    )
    .unwrap();
    for d in Dataset::ALL {
        assert!(
            read(&summary, d).iter().all(|r| defect(d, r).is_none()),
            "{d}"
        );
    }
}

#[test]
fn invariants_hold() {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        days: 21,
        services: 3,
        ..GenerateOptions::default()
    };
    let summary = generate(&opts, dir.path()).unwrap();
    let mut all: HashMap<Dataset, Vec<HashMap<String, String>>> = HashMap::new();
    for d in Dataset::ALL {
        let rows = read(&summary, d);
        let keys: HashSet<Vec<String>> = rows.iter().filter_map(|r| key(d, r)).collect();
        if d != Dataset::Cost {
            assert_eq!(keys.len(), rows.len(), "{d}: duplicate keys");
        }
        all.insert(d, rows);
    }
    for r in &all[&Dataset::Ccu] {
        assert!(r["ccu"].parse::<u64>().is_ok(), "ccu {:?}", r["ccu"]);
    }
    for r in &all[&Dataset::Slo] {
        let (req, err) = (
            r["requests"].parse::<u64>().unwrap(),
            r["errors"].parse::<u64>().unwrap(),
        );
        assert!(req >= 1 && err <= req);
        let p: Vec<f64> = ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"]
            .map(|c| r[c].parse().unwrap())
            .to_vec();
        assert!(p[0] > 0.0 && p[0] <= p[1] && p[1] <= p[2], "{p:?}");
    }
    let end = parse_ts("2026-11-01T00:00:00Z").unwrap();
    let incidents = &all[&Dataset::Incidents];
    assert!(
        incidents
            .iter()
            .filter(|r| r["resolved_at"].is_empty())
            .count()
            >= 2
    );
    for r in incidents {
        let opened = ts(r, "opened_at").unwrap();
        assert!(
            ts(r, "detected_at").unwrap() >= opened && ts(r, "acknowledged_at").unwrap() >= opened
        );
        if let Some(resolved) = ts(r, "resolved_at") {
            assert!(resolved >= opened && resolved <= end);
            assert!(ts(r, "mitigated_at").unwrap() <= resolved);
        }
    }
    for r in &all[&Dataset::Deployments] {
        let finished = ts(r, "finished_at").unwrap();
        assert!(
            ts(r, "started_at").unwrap() <= finished
                && ts(r, "first_commit_at").unwrap() < finished
        );
    }
    let mut regional: HashMap<&str, u64> = HashMap::new();
    let mut global: HashMap<&str, u64> = HashMap::new();
    for r in &all[&Dataset::Activity] {
        let dau: u64 = r["dau"].parse().unwrap();
        let slot = if r["region"] == "*" {
            &mut global
        } else {
            &mut regional
        };
        *slot.entry(r["date"].as_str()).or_default() += dau;
    }
    assert_eq!(global.len(), 21);
    for (date, g) in &global {
        assert!(
            *g < regional[date],
            "{date}: `*` dau {g} ≥ Σ regional {}",
            regional[date]
        );
    }
    for r in &all[&Dataset::Events] {
        assert!(ts(r, "ends_at") > ts(r, "starts_at"));
    }
    assert!(
        all[&Dataset::Events]
            .iter()
            .any(|r| r["kind"] == "launch" && ts(r, "starts_at").unwrap() > end)
    );
    let cost = &all[&Dataset::Cost];
    let money = |r: &HashMap<String, String>, c: &str| r[c].parse::<f64>().unwrap();
    for r in cost {
        assert!(ts(r, "ChargePeriodEnd") > ts(r, "ChargePeriodStart"));
        assert!(money(r, "ListCost") >= money(r, "BilledCost"));
        if r["PricingCategory"] == "Committed" && money(r, "BilledCost") > 0.0 {
            assert!(money(r, "EffectiveCost") < money(r, "BilledCost"));
            assert!(!r["CommitmentDiscountId"].is_empty());
        }
    }
    for category in ["Credit", "Tax", "Purchase"] {
        assert!(
            cost.iter().any(|r| r["ChargeCategory"] == category),
            "no {category} row"
        );
    }
    assert!(
        cost.iter()
            .any(|r| r["ChargeClass"] == "Correction" && money(r, "BilledCost") < 0.0)
    );
    assert!(cost.iter().any(|r| r["BilledCost"].contains("E-")));
    assert!(
        cost.iter().any(|r| r["Tags"].is_empty())
            && cost.iter().any(|r| r["Tags"].starts_with("{\""))
    );
}

/// The last week's highest peak CCU (sum over shards per sample) over the capacity in force
/// at the end, as the planner counts it (default `[forecast]` knobs: redundancy, utilisation,
/// headroom).
fn last_day_utilisation(summary: &GenerateSummary, last_day: &str) -> BTreeMap<String, f64> {
    let end_day = chrono::NaiveDate::parse_from_str(last_day, "%Y-%m-%d").unwrap();
    let week: Vec<String> = (0..7)
        .map(|k| (end_day - chrono::Duration::days(k)).to_string())
        .collect();
    let mut sums: HashMap<(String, String), u64> = HashMap::new();
    for r in read(summary, Dataset::Ccu)
        .into_iter()
        .filter(|r| week.iter().any(|d| r["ts"].starts_with(d.as_str())))
    {
        *sums
            .entry((r["ts"].clone(), r["region"].clone()))
            .or_default() += r["ccu"].parse::<u64>().unwrap();
    }
    let mut peaks: HashMap<String, u64> = HashMap::new();
    for ((_, region), sum) in sums {
        let peak = peaks.entry(region).or_default();
        *peak = (*peak).max(sum);
    }
    let end = parse_ts(&format!("{last_day}T00:00:00Z")).unwrap();
    let mut capacity: HashMap<String, (i64, f64)> = HashMap::new();
    for r in read(summary, Dataset::Capacity) {
        let from = ts(&r, "effective_from").unwrap();
        let k = crate::forecast::PlanKnobs::default();
        let ccu = crate::forecast::capacity_ccu(
            &crate::forecast::CapacityRow {
                effective_from: end_day,
                instances: r["instances"].parse().unwrap(),
                players_per_instance: r["players_per_instance"].parse().unwrap(),
                max_instances: None,
                provisioning_lead_days: None,
                instance_cost_per_hour: None,
            },
            &k,
        );
        let slot = capacity
            .entry(r["region"].clone())
            .or_insert((i64::MIN, 0.0));
        if from <= end && from > slot.0 {
            *slot = (from, ccu);
        }
    }
    peaks
        .into_iter()
        .map(|(region, peak)| (region.clone(), peak as f64 / capacity[&region].1))
        .collect()
}

#[test]
fn fast_region_nearly_fills_its_capacity_and_the_others_do_not() {
    for (regions, fast) in [(4, "ap-southeast"), (2, "us-east"), (5, "ap-southeast")] {
        let dir = tempfile::tempdir().unwrap();
        let opts = GenerateOptions {
            days: 30,
            regions,
            services: 1,
            seed: 3,
            ..GenerateOptions::default()
        };
        let summary = generate(&opts, dir.path()).unwrap();
        let utilisation = last_day_utilisation(&summary, "2026-10-31");
        assert_eq!(utilisation.len(), regions as usize);
        for (region, u) in &utilisation {
            if region == fast {
                // Growing 1.2 %/day, it passes 100 % within the 28-day horizon.
                assert!(
                    (0.75..=1.0).contains(u) && u * 1.012_f64.powi(28) > 1.0,
                    "{region}: {u}"
                );
            } else {
                assert!(*u < 0.75 && *u > 0.4, "{region}: {u}");
            }
        }
    }
}

#[test]
fn row_target_is_met() {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        days: 7,
        rows: Some(200_000),
        services: 1,
        ..GenerateOptions::default()
    };
    let summary = generate(&opts, dir.path()).unwrap();
    let rows: u64 = summary
        .files
        .iter()
        .filter(|f| f.dataset == Dataset::Ccu)
        .map(|f| f.rows)
        .sum();
    assert!(rows.abs_diff(200_000) <= 20_000, "{rows} ccu rows");
    assert!(summary.slo_interval_min >= 5);
}

#[test]
fn big_datasets_split_into_parts_and_stale_parts_go() {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        days: 7,
        rows: Some(150_000),
        regions: 1,
        services: 1,
        ..GenerateOptions::default()
    };
    let summary = generate(&opts, dir.path()).unwrap();
    let parts: Vec<&GeneratedFile> = summary
        .files
        .iter()
        .filter(|f| f.dataset == Dataset::Ccu)
        .collect();
    assert!(parts.len() >= 3, "{} parts", parts.len());
    for (i, part) in parts.iter().enumerate() {
        assert!(part.path.ends_with(format!("ccu/part-{:04}.csv", i + 1)));
        assert!(part.rows <= writer::ROWS_PER_PART);
    }
    let summary = generate(&GenerateOptions { rows: None, ..opts }, dir.path()).unwrap();
    assert_eq!(
        summary
            .files
            .iter()
            .filter(|f| f.dataset == Dataset::Ccu)
            .count(),
        1
    );
    let left: Vec<String> = fs_err::read_dir(dir.path().join("ccu"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["part-0001.csv".to_owned()]);
}

#[test]
fn config_loads_every_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&small(42), dir.path()).unwrap();
    let text = fs_err::read_to_string(&summary.config_path).unwrap();
    assert!(text.starts_with("# written by `opsbench generate` (seed 42)"));
    assert!(text.contains("slo_interval = \"5m\"\n") && text.contains("[window]\ndays = 3\n"));
    for d in Dataset::ALL {
        assert!(
            text.contains(&format!("[datasets.{d}]\ninputs = [\"{d}/*.csv\"]\n")),
            "{d}"
        );
    }
}

#[test]
fn invalid_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            GenerateOptions {
                days: 0,
                ..small(1)
            },
            "`days` must be at least 1, got `0`",
        ),
        (
            GenerateOptions {
                regions: 0,
                ..small(1)
            },
            "`regions` must be at least 1, got `0`",
        ),
        (
            GenerateOptions {
                services: 0,
                ..small(1)
            },
            "`services` must be at least 1, got `0`",
        ),
        (
            GenerateOptions {
                bad_rows: 1.0,
                ..small(1)
            },
            "`bad_rows` must be in [0, 1), got `1`",
        ),
        (
            GenerateOptions {
                bad_rows: -0.1,
                ..small(1)
            },
            "`bad_rows` must be in [0, 1), got `-0.1`",
        ),
        (
            GenerateOptions {
                bad_rows: f64::NAN,
                ..small(1)
            },
            "`bad_rows` must be in [0, 1), got `NaN`",
        ),
        (
            GenerateOptions {
                rows: Some(0),
                ..small(1)
            },
            "`rows` must be at least 1, got `0`",
        ),
    ];
    for (opts, message) in cases {
        let err = generate(&opts, dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(err.to_string(), message);
    }
    assert!(
        fs_err::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}
