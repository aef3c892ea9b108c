//! The nightly run against a full rebuild (issue 6): a lake that took its exports night by
//! night, reusing the materialised per-day aggregates, writes the same bytes as a lake built
//! from every export at once.

use std::path::{Path, PathBuf};

use crate::util::opsbench;

/// Split `file` (CSV, timestamp first) into the rows before `day` and the rows of `day` on.
fn split_by_day(file: &Path, day: &str) -> (String, String) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut early, mut late) = (format!("{header}\n"), format!("{header}\n"));
    for line in lines {
        if line[..10] < *day {
            early.push_str(line);
            early.push('\n');
        } else {
            late.push_str(line);
            late.push('\n');
        }
    }
    (early, late)
}

fn only_csv(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one generated file in {}", dir.display());
    files.pop().unwrap()
}

/// Every table under `out`, and the report without the lines naming a path under `root` (the
/// settings' lake and out folders differ, and the list of ingested exports is in the order
/// they came). The clock is pinned (`SOURCE_DATE_EPOCH`), so times written match.
fn outputs(out: &Path, root: &Path) -> Vec<(String, Vec<u8>)> {
    let root = root.display().to_string();
    let mut files = vec![("report.html".to_string(), {
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        html.lines()
            .filter(|l| !l.contains(&root))
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes()
    })];
    let mut tables: Vec<PathBuf> = std::fs::read_dir(out.join("tables"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    tables.sort();
    for t in tables {
        let name = t.file_name().unwrap().to_string_lossy().to_string();
        files.push((name, std::fs::read(&t).unwrap()));
    }
    files
}

fn run(config: &Path, lake: &Path, out: &Path, as_of: &str) -> String {
    let o = opsbench()
        .env("OPSBENCH_LOG", "opsbench::lake::daily=debug")
        .env("SOURCE_DATE_EPOCH", "1773446400")
        .arg("--config")
        .arg(config)
        .arg("--lake")
        .arg(lake)
        .arg("--out")
        .arg(out)
        .args(["--as-of", as_of, "run", "--quiet"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "run failed: {stderr}"
    );
    stderr
}

#[test]
fn a_nightly_run_writes_the_same_bytes_as_a_full_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    crate::util::generate(
        &exports,
        &[
            "--days",
            "12",
            "--end",
            "2026-03-12",
            "--rows",
            "60000",
            "--quiet",
        ],
    );
    let config = exports.join("opsbench.toml");
    // hold back the last day of CCU and SLO, as if it had not been exported yet
    let mut late_files = Vec::new();
    for ds in ["ccu", "slo"] {
        let file = only_csv(&exports.join(ds));
        let (early, mut late) = split_by_day(&file, "2026-03-12");
        if ds == "ccu" {
            // the new export also restates one sample of an earlier day
            let first = early.lines().nth(1).unwrap();
            let mut cells: Vec<&str> = first.split(',').collect();
            cells[2] = "1";
            late.push_str(&cells.join(","));
            late.push('\n');
        }
        std::fs::write(&file, early).unwrap();
        // named to sort after the first export, so a rebuild also reads it last
        late_files.push((exports.join(ds).join("part-9999.csv"), late));
    }
    // lake A: night by night
    let lake_a = dir.path().join("lake-a");
    let out_a = dir.path().join("out-a");
    let first = run(&config, &lake_a, &out_a, "2026-03-12T00:00:00Z");
    assert!(first.contains("reused=0 recomputed=11"), "{first}");
    for (path, text) in &late_files {
        std::fs::write(path, text).unwrap();
    }
    let nightly = run(&config, &lake_a, &out_a, "2026-03-13T00:00:00Z");
    // the new day and the restated day are recomputed; the other ten are read back
    assert!(nightly.contains("reused=10 recomputed=2"), "{nightly}");
    // the restated day keeps only its new aggregate
    let restated = lake_a.join("_derived/daily/ccu_samples/date=2026-03-01");
    assert_eq!(std::fs::read_dir(&restated).unwrap().count(), 1);
    // lake B: everything at once
    let lake_b = dir.path().join("lake-b");
    let out_b = dir.path().join("out-b");
    let rebuild = run(&config, &lake_b, &out_b, "2026-03-13T00:00:00Z");
    assert!(rebuild.contains("reused=0 recomputed=12"), "{rebuild}");
    let (a, b) = (outputs(&out_a, dir.path()), outputs(&out_b, dir.path()));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(a.len() > 20, "the run wrote its tables");
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if x != y {
            let (x, y) = (String::from_utf8_lossy(x), String::from_utf8_lossy(y));
            let first = x
                .lines()
                .zip(y.lines())
                .find(|(l, r)| l != r)
                .map(|(l, r)| format!("\nnightly: {l}\nrebuild: {r}"))
                .unwrap_or_default();
            panic!("{name} differs between the nightly lake and the rebuild{first}");
        }
    }
    // a damaged aggregate is recomputed, never trusted and never fatal
    let day_dir = lake_a.join("_derived/daily/ccu_samples/date=2026-03-05");
    let cached = std::fs::read_dir(&day_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&cached, b"not parquet").unwrap();
    let again = run(&config, &lake_a, &out_a, "2026-03-13T00:00:00Z");
    assert!(
        again.contains("re-computing the daily ccu aggregates"),
        "{again}"
    );
    assert!(again.contains("reused=0 recomputed=12"), "{again}");
    assert_eq!(outputs(&out_a, dir.path()), a);
}
