//! Schema evolution: a partition written before a column existed reads it as null and `lake
//! status` names it; a stored type that today's schema cannot read without losing data is
//! refused with an error naming the dataset, the column and both types.

use std::path::{Path, PathBuf};

use opsbench::lake::Lake;
use opsbench::schema::Dataset;
use polars::prelude::*;

use crate::util::{fixture, ingest_ok, opsbench};

/// Rewrite a lake file through `f` (as an older or different writer would have left it).
fn rewrite(path: &Path, f: impl FnOnce(DataFrame) -> DataFrame) {
    let df = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    let mut df = f(df);
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

fn slo_lake() -> (tempfile::TempDir, PathBuf, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    ingest_ok(&lake, "slo", &fixture("gate/slo.csv"));
    let files = Lake::new(&lake).files(Dataset::Slo).unwrap();
    (dir, lake, files)
}

#[test]
fn an_old_partition_without_a_new_column_reads_it_as_null_and_status_names_it() {
    let (dir, lake, files) = slo_lake();
    let old = &files[0];
    let rows_old = ParquetReader::new(std::fs::File::open(old).unwrap())
        .finish()
        .unwrap()
        .height();
    rewrite(old, |df| df.drop("latency_p99_ms").unwrap());
    // a newer export of another day has the column
    let newer = dir.path().join("newer.csv");
    std::fs::write(
        &newer,
        "ts,service,region,requests,errors,latency_p99_ms\n2026-10-21T00:00:00Z,api,eu,10,0,120\n",
    )
    .unwrap();
    ingest_ok(&lake, "slo", &newer);
    let all = Lake::new(&lake)
        .scan(Dataset::Slo)
        .unwrap()
        .sort(["ts"], SortMultipleOptions::default())
        .collect()
        .unwrap();
    assert_eq!(all.height(), 361);
    // the old partition's rows read as null; the newer row keeps its value
    let p99 = all.column("latency_p99_ms").unwrap().f64().unwrap().clone();
    assert_eq!(p99.null_count(), 360);
    assert_eq!(p99.get(360), Some(120.0));
    let out = opsbench()
        .arg("--lake")
        .arg(&lake)
        .args(["lake", "status", "--json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let slo = v["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dataset"] == "slo")
        .unwrap();
    let part = old
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert_eq!(
        slo["predating"]["latency_p99_ms"],
        serde_json::json!([part])
    );
    assert_eq!(slo["predating"].as_object().unwrap().len(), 1);
    assert!(rows_old > 0);
}

#[test]
fn a_lossless_type_change_is_read_through_a_cast() {
    let (_dir, lake, files) = slo_lake();
    // an older writer stored requests as i32: widening to i64 keeps every value
    rewrite(&files[0], |df| {
        df.lazy()
            .with_column(col("requests").cast(DataType::Int32))
            .collect()
            .unwrap()
    });
    let all = Lake::new(&lake)
        .scan(Dataset::Slo)
        .unwrap()
        .collect()
        .unwrap();
    assert_eq!(all.column("requests").unwrap().dtype(), &DataType::Int64);
    assert_eq!(
        all.column("requests")
            .unwrap()
            .as_materialized_series()
            .sum::<i64>()
            .unwrap(),
        360_000
    );
}

#[test]
fn a_lossy_type_change_is_refused_naming_the_dataset_column_and_types() {
    let (dir, lake, files) = slo_lake();
    rewrite(&files[0], |df| {
        df.lazy()
            .with_column(col("requests").cast(DataType::Float64))
            .collect()
            .unwrap()
    });
    let out = opsbench()
        .arg("--lake")
        .arg(&lake)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(["--as-of", "2026-10-20T12:00:00Z", "metrics"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("slo column `requests` is stored as `f64`") && err.contains("`i64`"),
        "{err}"
    );
}
