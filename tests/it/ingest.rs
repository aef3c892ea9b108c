//! Ingest through the real binary: every dataset's fixture, every input format, bad rows,
//! physical line numbers, refused files.

use std::io::Write;

use opsbench::lake::Lake;
use opsbench::schema::Dataset;
use polars::prelude::*;

use crate::util::{assert_frame_eq, csv_text, fixture, opsbench, read_back};

fn ingest(
    lake: &std::path::Path,
    dataset: &str,
    files: &[&std::path::Path],
) -> assert_cmd::assert::Assert {
    let mut cmd = opsbench();
    cmd.arg("--lake").arg(lake).arg("ingest").arg(dataset);
    for f in files {
        cmd.arg(f);
    }
    cmd.assert()
}

#[test]
fn each_dataset_fixture_reads_back_exactly_the_expected_rows() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let bless = std::env::var("OPSBENCH_BLESS").is_ok_and(|v| v == "1");
    for d in Dataset::ALL {
        let input = fixture(&format!("ingest_good/{d}.csv"));
        ingest(&lake, d.name(), &[&input]).success();
        let got = csv_text(&read_back(&lake, d));
        let expected_path = fixture(&format!("ingest_good/expected/{d}.csv"));
        if bless {
            std::fs::create_dir_all(expected_path.parent().unwrap()).unwrap();
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
        assert_eq!(
            got,
            want,
            "{d}: lake content differs from {}",
            expected_path.display()
        );
    }
    // nothing was quarantined
    for d in Dataset::ALL {
        assert_eq!(Lake::new(&lake).quarantine(d).unwrap().height(), 0, "{d}");
    }
}

fn csv_rows(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn compressed_ndjson_and_parquet_exports_load_the_same_rows_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    for dataset in ["incidents", "ccu"] {
        let src = fixture(&format!("ingest_good/{dataset}.csv"));
        let bytes = std::fs::read(&src).unwrap();
        let csv_lake = dir.path().join(format!("{dataset}-csv"));
        ingest(&csv_lake, dataset, &[&src]).success();
        let d = Dataset::from_name(dataset).unwrap();
        let want = read_back(&csv_lake, d);

        let gz = dir.path().join(format!("{dataset}.csv.gz"));
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(&bytes).unwrap();
        enc.finish().unwrap();
        let zst = dir.path().join(format!("{dataset}.csv.zst"));
        std::fs::write(&zst, zstd::encode_all(&bytes[..], 3).unwrap()).unwrap();

        let (header, rows) = csv_rows(&src);
        let nd = dir.path().join(format!("{dataset}.ndjson"));
        let mut text = String::new();
        for row in &rows {
            let mut m = serde_json::Map::new();
            for (h, v) in header.iter().zip(row) {
                // numbers as JSON numbers where they are numbers, empty as null
                let value = if v.is_empty() {
                    serde_json::Value::Null
                } else if let Ok(n) = v.parse::<i64>() {
                    serde_json::Value::from(n)
                } else {
                    serde_json::Value::String(v.clone())
                };
                m.insert(h.clone(), value);
            }
            text.push_str(&serde_json::Value::Object(m).to_string());
            text.push('\n');
        }
        std::fs::write(&nd, text).unwrap();

        let pq = dir.path().join(format!("{dataset}.parquet"));
        let cols: Vec<Column> = header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let v: Vec<Option<String>> = rows
                    .iter()
                    .map(|r| Some(r[i].clone()).filter(|s| !s.is_empty()))
                    .collect();
                Column::new(h.as_str().into(), v)
            })
            .collect();
        let mut df = DataFrame::new_infer_height(cols).unwrap();
        ParquetWriter::new(std::fs::File::create(&pq).unwrap())
            .finish(&mut df)
            .unwrap();

        for (i, file) in [&gz, &zst, &nd, &pq].into_iter().enumerate() {
            let lake = dir.path().join(format!("{dataset}-{i}"));
            ingest(&lake, dataset, &[file]).success();
            assert_frame_eq(&read_back(&lake, d), &want);
        }
    }
}

#[test]
fn typed_parquet_timestamps_keep_their_instant() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("ccu.parquet");
    let ts = Series::new(
        "ts".into(),
        [1_790_812_800_000_000i64, 1_790_813_100_000_000],
    )
    .cast(&DataType::Datetime(
        TimeUnit::Microseconds,
        Some(TimeZone::UTC),
    ))
    .unwrap();
    let mut df = DataFrame::new_infer_height(vec![
        ts.into(),
        Column::new("region".into(), ["eu-west", "eu-west"]),
        Column::new("ccu".into(), [100i64, 110]),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();
    let lake = dir.path().join("lake");
    ingest(&lake, "ccu", &[&pq]).success();
    let back = read_back(&lake, Dataset::Ccu);
    let got: Vec<i64> = back
        .column("ts")
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(got, vec![1_790_812_800_000_000, 1_790_813_100_000_000]);
    let ccu: Vec<i64> = back
        .column("ccu")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(ccu, vec![100, 110]);
}

#[test]
fn bad_rows_go_to_quarantine_with_file_line_column_rule_and_good_rows_load() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let input = fixture("bad_rows/ccu.csv");
    ingest(&lake, "ccu", &[&input]).success();
    let q = Lake::new(&lake).quarantine(Dataset::Ccu).unwrap();
    let q = q.sort(["line"], SortMultipleOptions::default()).unwrap();
    let files = crate::util::strings(&q, "file");
    assert!(
        files.iter().all(|f| *f == input.display().to_string()),
        "{files:?}"
    );
    let mut got = String::from("line,column,rule,value\n");
    for i in 0..q.height() {
        let s = |c: &str| {
            q.column(c)
                .unwrap()
                .str()
                .unwrap()
                .get(i)
                .unwrap_or("")
                .to_string()
        };
        got.push_str(&format!(
            "{},{},{},{}\n",
            q.column("line").unwrap().u64().unwrap().get(i).unwrap(),
            s("column"),
            s("rule"),
            s("value")
        ));
    }
    assert_eq!(
        got,
        std::fs::read_to_string(fixture("bad_rows/expected/quarantine.csv")).unwrap()
    );
    // every quarantined row keeps its whole raw record, for replay
    let rec = q.column("record").unwrap().str().unwrap().get(0).unwrap();
    assert_eq!(
        rec,
        r#"{"ts":"2026-10-01T00:00:00Z","region":"eu-west","shard":"s2","ccu":"abc"}"#
    );
    let rows = read_back(&lake, Dataset::Ccu);
    let ccu: Vec<i64> = rows
        .column("ccu")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(ccu, vec![100, 110, 130, 140]);
    // the quarantine is also kept as CSV for people
    let qdir = lake.join("_quarantine/ccu");
    let csvs: Vec<_> = std::fs::read_dir(&qdir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().unwrap() == "csv")
        .collect();
    assert_eq!(csvs.len(), 1);
}

#[test]
fn physical_lines_bom_crlf_and_duplicate_keys() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    ingest(&lake, "incidents", &[&fixture("messy_csv/incidents.csv")]).success();
    let q = Lake::new(&lake).quarantine(Dataset::Incidents).unwrap();
    let q = q.sort(["line"], SortMultipleOptions::default()).unwrap();
    let lines: Vec<u64> = q
        .column("line")
        .unwrap()
        .u64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let rules = crate::util::strings(&q, "rule");
    assert_eq!(lines, vec![4, 5]);
    assert_eq!(rules, vec!["unknown_severity", "end_before_start"]);
    let rows = read_back(&lake, Dataset::Incidents);
    assert_eq!(rows.height(), 1);
    assert_eq!(
        rows.column("title").unwrap().str().unwrap().get(0),
        Some("Login down, updated")
    );
    let m = Lake::new(&lake).manifest().unwrap();
    let dup = &m.files[0].rules["duplicate_key"];
    assert_eq!(dup.rows, 1);
    assert_eq!(dup.examples[0].line, 2);
    assert_eq!(m.files[0].rows_read, 4);
    assert_eq!(m.files[0].rows_quarantined, 2);
}

#[test]
fn a_file_missing_a_required_column_is_refused_whole_and_the_lake_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let good = fixture("ingest_good/ccu.csv");
    let bad = fixture("missing_column/ccu.csv");
    ingest(&lake, "ccu", &[&good]).success();
    let before = crate::util::tree_hashes(&lake);
    let out = ingest(&lake, "ccu", &[&bad]).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let all = format!("{stdout}{stderr}");
    assert!(all.contains(&bad.display().to_string()), "{all}");
    assert!(
        all.contains(
            "missing required column `ccu`; columns found: `ts`, `region`, `players_count`"
        ),
        "{all}"
    );
    assert_eq!(crate::util::tree_hashes(&lake), before);
}

#[test]
fn a_refused_file_does_not_stop_the_good_files() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let renamed = dir.path().join("ccu.csv.gz");
    std::fs::copy(fixture("ingest_good/ccu.csv"), &renamed).unwrap();
    let out = ingest(&lake, "ccu", &[&renamed, &fixture("ingest_good/ccu.csv")]).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("the content is not gzip-compressed"),
        "{stdout}"
    );
    assert_eq!(read_back(&lake, Dataset::Ccu).height(), 4);
}
