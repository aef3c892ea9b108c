//! Helpers shared by the integration tests: the binary, fixture paths, lake read-back and a
//! frame comparison of our own (polars-testing would build polars a second time).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use opsbench::lake::Lake;
use opsbench::schema::Dataset;
use polars::prelude::*;

/// The `opsbench` binary, with a clean environment for our variables.
pub fn opsbench() -> Command {
    let mut cmd = Command::cargo_bin("opsbench").expect("the opsbench binary is built");
    for (k, _) in std::env::vars() {
        if k.starts_with("OPSBENCH_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("OPSBENCH_LOG", "warn");
    cmd
}

/// `opsbench generate` into `exports` with the given arguments, which must succeed.
pub fn generate(exports: &Path, args: &[&str]) {
    opsbench()
        .arg("--out")
        .arg(exports)
        .arg("generate")
        .args(args)
        .assert()
        .success();
}

/// A path under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The committed rows of a dataset, sorted by its key (or all columns for cost).
pub fn read_back(lake: &Path, dataset: Dataset) -> DataFrame {
    let lf = Lake::new(lake).scan(dataset).unwrap();
    let by: Vec<PlSmallStr> = match dataset {
        Dataset::Cost => vec![
            "ChargePeriodStart".into(),
            "BillingAccountId".into(),
            "ServiceName".into(),
        ],
        _ => dataset
            .spec()
            .key
            .iter()
            .map(|k| PlSmallStr::from_static(k))
            .collect(),
    };
    lf.collect()
        .unwrap()
        .sort(by, SortMultipleOptions::default().with_maintain_order(true))
        .unwrap()
}

/// The frame as CSV text, the way opsbench writes tables.
pub fn csv_text(df: &DataFrame) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    opsbench::report::table_csv::write_csv(df, &p).unwrap();
    std::fs::read_to_string(p).unwrap()
}

/// Assert two frames hold the same columns, types and values, printing both on failure.
pub fn assert_frame_eq(got: &DataFrame, want: &DataFrame) {
    assert_eq!(
        got.get_column_names(),
        want.get_column_names(),
        "column names differ"
    );
    assert_eq!(got.dtypes(), want.dtypes(), "column types differ");
    assert!(
        got.equals_missing(want),
        "frames differ\n got: {got}\nwant: {want}"
    );
}

/// SHA-256 of every file under `root` (except the lock), by relative path.
pub fn tree_hashes(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != ".lock" {
                let (sha, _) = opsbench::ingest::hash_file(&p).unwrap();
                out.push((p.strip_prefix(root).unwrap().display().to_string(), sha));
            }
        }
    }
    out.sort();
    out
}

/// The non-null values of a string column.
pub fn strings(df: &DataFrame, column: &str) -> Vec<String> {
    opsbench::metrics::columns::texts(df, column)
        .unwrap()
        .into_iter()
        .flatten()
        .collect()
}

/// Ingest one export into a lake through the binary; it must succeed.
pub fn ingest_ok(lake: &Path, dataset: &str, file: &Path) -> assert_cmd::assert::Assert {
    opsbench()
        .arg("--lake")
        .arg(lake)
        .args(["ingest", dataset])
        .arg(file)
        .assert()
        .success()
}
