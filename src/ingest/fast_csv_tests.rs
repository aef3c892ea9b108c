//! Unit tests of `fast_csv.rs`: the fast path gives exactly what the record reader gives, or
//! declines.
use std::io::Write;

use proptest::prelude::*;

use super::*;

fn no_overrides() -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// The record reader's result for the same bytes (written to a temporary `.csv`).
fn slow(bytes: &[u8], dataset: Dataset, tz: Tz) -> Validated {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    fs_err::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    let overrides = no_overrides();
    let mapper = Mapper::new(dataset.spec(), &overrides);
    super::super::read_records(dataset, &path, &mapper, tz, bytes.len() as u64)
        .unwrap()
        .unwrap()
}

fn fast(bytes: &[u8], dataset: Dataset) -> Option<Validated> {
    fast_in(bytes, dataset, Tz::UTC)
}

fn fast_in(bytes: &[u8], dataset: Dataset, tz: Tz) -> Option<Validated> {
    let overrides = no_overrides();
    let mapper = Mapper::new(dataset.spec(), &overrides);
    read(bytes, &mapper, dataset, tz).unwrap()
}

fn bad_rows(v: &Validated) -> Vec<(u64, String, Rule, String, String)> {
    v.bad
        .iter()
        .map(|b| {
            (
                b.line,
                b.column.clone(),
                b.rule,
                b.value.clone(),
                b.record.clone(),
            )
        })
        .collect()
}

fn assert_same(bytes: &[u8], dataset: Dataset) {
    assert_same_in(bytes, dataset, Tz::UTC);
}

fn assert_same_in(bytes: &[u8], dataset: Dataset, tz: Tz) {
    let f = fast_in(bytes, dataset, tz).expect("a plain file takes the fast path");
    let s = slow(bytes, dataset, tz);
    assert!(
        f.frame.equals_missing(&s.frame),
        "{}\nfast {:?}\nslow {:?}",
        String::from_utf8_lossy(bytes),
        f.frame,
        s.frame
    );
    assert_eq!(f.frame.schema(), s.frame.schema());
    assert_eq!(bad_rows(&f), bad_rows(&s));
    assert_eq!(f.rules, s.rules);
    assert_eq!(f.rows_read, s.rows_read);
    assert_eq!(f.unknown_columns, s.unknown_columns);
}

#[test]
fn clean_and_dirty_files_match_the_record_reader() {
    assert_same(
        b"ts,region,ccu,shard,extra\n2026-01-01T00:00:00Z,eu,5,s1,x\n2026-01-01T00:01:00Z, us ,6,,y\n",
        Dataset::Ccu,
    );
    // a negative count, an empty required cell, a bad time: quarantined with their lines
    assert_same(
        b"\xef\xbb\xbfts,region,ccu\n2026-01-01T00:00:00Z,eu,-5\n2026-01-01T00:01:00Z,,6\nnope,eu,1\n2026-01-01T00:02:00Z,eu,7\n",
        Dataset::Ccu,
    );
    assert_same(
        b"ts,service,region,requests,errors\n2026-01-01T00:00:00Z,api,eu,3,4\n2026-01-01T00:00:00Z,api,us,3,1\n",
        Dataset::Slo,
    );
    assert_same(
        b"incident_id,service,severity,opened_at,resolved_at,title\nI1,api,SEV1,2026-01-01T00:00:00Z,2025-12-31T00:00:00Z,t\nI2,api,p2,2026-01-01T00:00:00Z,,t\n",
        Dataset::Incidents,
    );
}

#[test]
fn a_bad_row_past_the_first_piece_keeps_its_line() {
    // lines of 26 bytes or more: well over one piece
    let n = PIECE_BYTES / 16;
    let mut csv = String::from("ts,region,ccu\n");
    for i in 0..n {
        let ccu = if i == n - 7 {
            "-1".to_string()
        } else {
            i.to_string()
        };
        csv.push_str(&format!("2026-01-01T00:00:00Z,r{i},{ccu}\n"));
    }
    assert!(cut(&csv).len() > 1);
    let f = fast(csv.as_bytes(), Dataset::Ccu).unwrap();
    assert_eq!(f.rows_read, n as u64);
    assert_eq!(f.bad.len(), 1);
    // the header is line 1, row i is line i + 2
    assert_eq!(f.bad[0].line, (n - 7) as u64 + 2);
    assert_eq!(f.frame.height(), n - 1);
    let lines = f.frame.column("_line").unwrap().u64().unwrap();
    assert_eq!(lines.get(n - 2), Some(n as u64 + 1));
}

#[test]
fn pieces_end_at_line_ends_and_cover_the_text() {
    let text = "a,1\n".repeat(PIECE_BYTES / 2) + "b,2";
    let pieces = cut(&text);
    assert!(pieces.len() > 1);
    assert_eq!(pieces.concat(), text);
    assert!(pieces[..pieces.len() - 1].iter().all(|p| p.ends_with('\n')));
}

#[test]
fn declines_files_whose_rows_are_not_one_line_each() {
    for bytes in [
        &b"ts,region,ccu\n\"2026-01-01T00:00:00Z\",eu,5\n"[..], // a quote
        b"ts,region,ccu\r\n2026-01-01T00:00:00Z,eu,5\r\n",      // CRLF
        b"ts,region,ccu\n2026-01-01T00:00:00Z,eu,5\n\n2026-01-01T00:00:00Z,us,5\n", // blank line
        b"ts,region,ccu\n2026-01-01T00:00:00Z,eu\n",            // a short row
        b"ts,region,ccu\n2026-01-01T00:00:00Z,eu,5,9\n",        // a long row
        b"ts,region,ccu\n2026-01-01T00:00:00Z,eu,5,9\n2026-01-01T00:00:00Z,eu\n", // both
        b"ts,region,ccu\n",                                     // no rows
        b"ts,region\n2026-01-01T00:00:00Z,eu\n",                // a required column missing
        b"ts,region,ccu\n2026-01-01T00:00:00Z,e\xff,5\n",       // not UTF-8
    ] {
        assert!(
            fast(bytes, Dataset::Ccu).is_none(),
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// A cell for a column: mostly values that pass (`clean` gives only those), sometimes ones
/// that break a rule or flag.
fn cell(good: &'static [&'static str], clean: bool) -> BoxedStrategy<String> {
    let good = proptest::sample::select(good).prop_map(str::to_string);
    if clean {
        return good.boxed();
    }
    let bad = proptest::sample::select(&["", "null", "-3", "x", "1.5", "2026-13-01T00:00:00Z"][..])
        .prop_map(str::to_string);
    prop_oneof![4 => good, 1 => bad].boxed()
}

fn row(clean: bool) -> impl Strategy<Value = Vec<String>> {
    (
        // 01:30 on 2026-10-25 happened twice in London: a flag, not a clean cell
        cell(
            &[
                "2026-01-01T00:00:00Z",
                " 2026-01-01 00:00:00+02:00",
                "2026-10-25T01:30:00",
            ],
            clean,
        ),
        cell(&["eu", " us "], clean),
        cell(&["7", " 7 ", "1e2", "0"], clean),
        cell(&["s1", "", "null", "9"], clean),
    )
        .prop_map(|(a, b, c, d)| vec![a, b, c, d])
}

fn rows() -> impl Strategy<Value = Vec<Vec<String>>> {
    any::<bool>().prop_flat_map(|clean| proptest::collection::vec(row(clean), 1..40))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    /// Whatever the cells, the fast path gives the record reader's rows, quarantine and counts.
    #[test]
    fn any_plain_file_matches_the_record_reader(
        rows in rows(),
        slo in any::<bool>(),
        london in any::<bool>(),
    ) {
        // SLO: ts, region, requests, errors (the fourth cell), service
        let (dataset, header) = if slo {
            (Dataset::Slo, "ts,region,requests,errors,service")
        } else {
            (Dataset::Ccu, "ts,region,ccu,shard")
        };
        let mut csv = format!("{header}\n");
        for r in &rows {
            csv.push_str(&r.join(","));
            if slo {
                csv.push_str(",api");
            }
            csv.push('\n');
        }
        let tz = if london { chrono_tz::Europe::London } else { Tz::UTC };
        assert_same_in(csv.as_bytes(), dataset, tz);
    }
}
