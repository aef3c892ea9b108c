//! Unit tests of `read.rs`.
use super::*;
use crate::schema::Dataset;

#[test]
fn detects_format_and_compression() {
    assert_eq!(
        detect(Path::new("a/ccu.CSV")).unwrap(),
        (Format::Csv, Compression::None)
    );
    assert_eq!(
        detect(Path::new("ccu.csv.gz")).unwrap(),
        (Format::Csv, Compression::Gzip)
    );
    assert_eq!(
        detect(Path::new("x.jsonl.zst")).unwrap(),
        (Format::Ndjson, Compression::Zstd)
    );
    assert_eq!(
        detect(Path::new("x.parquet")).unwrap(),
        (Format::Parquet, Compression::None)
    );
    assert!(detect(Path::new("x.xlsx")).unwrap_err().contains("hint:"));
}

#[test]
fn header_mapping_prefers_config_then_exact_then_alias() {
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert("Players Online".to_string(), "ccu".to_string());
    let m = Mapper::new(Dataset::Ccu.spec(), &overrides);
    let header: Vec<String> = ["TIMESTAMP", "players online", "Region", "junk"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (map, unknown) = m.map_header(&header);
    assert_eq!(map, vec![Some(0), Some(2), Some(1), None]);
    assert_eq!(unknown, vec!["junk".to_string()]);
    // exact name wins over alias
    let no_overrides = Default::default();
    let cost = Mapper::new(Dataset::Cost.spec(), &no_overrides);
    let h: Vec<String> = ["ProviderName", "ServiceProviderName"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (map, unknown) = cost.map_header(&h);
    let spn = Dataset::Cost
        .spec()
        .columns
        .iter()
        .position(|c| c.name == "ServiceProviderName")
        .unwrap();
    assert_eq!(map, vec![None, Some(spn)]);
    assert_eq!(unknown, vec!["ProviderName".to_string()]);
}

#[test]
fn missing_required_names_columns_found() {
    let no_overrides = Default::default();
    let m = Mapper::new(Dataset::Ccu.spec(), &no_overrides);
    let msg = m
        .missing_required(
            &[true, true, false, false],
            &["ts".into(), "region".into(), "n".into()],
        )
        .unwrap();
    assert_eq!(
        msg,
        "missing required column `ccu`; columns found: `ts`, `region`, `n`; hint: if the export names it differently, map it under [datasets.ccu.columns] in the config"
    );
}

fn lines_of(text: &str) -> Vec<u64> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ccu.csv");
    std::fs::write(&p, text).unwrap();
    let no_overrides = Default::default();
    let m = Mapper::new(Dataset::Ccu.spec(), &no_overrides);
    let mut lines = Vec::new();
    read_file(&p, &m, &mut |r| lines.push(r.line)).unwrap();
    lines
}

#[test]
fn records_report_the_physical_line_they_start_on() {
    assert_eq!(lines_of("ts,region,ccu\na,b,1\nc,d,2\n"), vec![2, 3]);
    assert_eq!(
        lines_of("ts,region,ccu\r\na,\"b\r\nb\",1\r\nc,d,2\r\n"),
        vec![2, 4]
    );
    assert_eq!(
        lines_of("ts,region,ccu\na,\"x\n\ny\",1\n\nc,d,2\n"),
        vec![2, 6]
    );
    assert_eq!(lines_of("\u{feff}ts,region,ccu\na,b,1"), vec![2]);
}

#[test]
fn magic_mismatch_is_refused() {
    assert!(
        check_magic(&[0x1f, 0x8b, 0], Format::Csv, Compression::None)
            .unwrap_err()
            .contains("`.gz`")
    );
    assert!(check_magic(b"ts,region", Format::Csv, Compression::Gzip).is_err());
    assert!(check_magic(b"ts,region", Format::Parquet, Compression::None).is_err());
    assert!(check_magic(b"ts,region", Format::Csv, Compression::None).is_ok());
}
