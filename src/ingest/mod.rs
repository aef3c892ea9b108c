//! Ingest: read exports of one dataset into the canonical schema, validate every row, and
//! split the rows into loaded and quarantined. It writes nothing: the lake commits what it
//! returns, and `validate` prints it.
//!
//! Files are read in parallel (rayon), each on its own, so that a file refused whole (wrong
//! format, missing required column, not UTF-8, truncated) is refused alone and nothing of it
//! is kept, while the other files load. Within a file, two rows with one key: the later line
//! wins and the earlier is counted as `duplicate_key` (cost rows have no row key: a delivery
//! replaces its billing period whole, see `lake`).

pub mod clean;
pub mod fast_csv;
pub mod order;
pub mod parse;
pub mod read;
pub mod validate;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{PolarsContext, Result};
use crate::schema::{Dataset, Rule};
pub use validate::{Example, RuleCount};

/// What happened to one file.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "reason")]
pub enum Outcome {
    /// Read; its good rows are in the batch.
    Loaded,
    /// Refused whole: nothing of it is in the batch.
    Refused(String),
    /// Already in the lake with the same SHA-256 (use `--force` to read it again).
    Skipped,
}

/// The account of one file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileReport {
    pub dataset: Dataset,
    pub path: PathBuf,
    pub sha256: String,
    pub size_bytes: u64,
    /// The file's modification time (ns since 1970-01-01) when it was read, if known.
    pub modified_ns: Option<i64>,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_quarantined: u64,
    pub rows_flagged: u64,
    /// Every rule that fired, with counts and the first examples.
    pub rules: BTreeMap<Rule, RuleCount>,
    pub unknown_columns: Vec<String>,
    pub outcome: Outcome,
}

/// What the files of one dataset gave.
pub struct Batch {
    pub dataset: Dataset,
    /// The good rows, canonical schema plus `_seq` (ingest order: later wins on upsert).
    pub rows: DataFrame,
    /// One row per quarantined record: `file`, `line`, `column`, `rule`, `value`, `record`.
    pub quarantine: DataFrame,
    pub files: Vec<FileReport>,
    /// For each export whose rows are in `rows`, in order: its SHA-256 and how many rows of
    /// `rows` it gave (the lake keeps each export's keys, so `ingest --force` can replace them).
    pub file_rows: Vec<(String, usize)>,
    /// Whether each export's rows (the runs `file_rows` gives) are sorted by the dataset's key
    /// and hold each key once, so the lake can cut them into days without sorting again.
    pub sorted: bool,
}

impl FileReport {
    /// The account of `path` before anything is known of its content.
    fn new(dataset: Dataset, path: &Path, outcome: Outcome) -> Self {
        FileReport {
            dataset,
            path: path.to_path_buf(),
            sha256: String::new(),
            size_bytes: 0,
            modified_ns: modified_ns(path),
            rows_read: 0,
            rows_loaded: 0,
            rows_quarantined: 0,
            rows_flagged: 0,
            rules: BTreeMap::new(),
            unknown_columns: Vec::new(),
            outcome,
        }
    }
}

impl Batch {
    /// Rows quarantined over all files.
    pub fn rows_quarantined(&self) -> u64 {
        self.files.iter().map(|f| f.rows_quarantined).sum()
    }
    /// Rows read over all files.
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows_read).sum()
    }
}

/// How to read a dataset's exports.
pub struct ReadOptions<'a> {
    pub input_tz: Tz,
    /// Export column name → canonical name.
    pub columns: &'a BTreeMap<String, String>,
}

/// A file's modification time in ns since 1970-01-01, if the file system gives one.
pub fn modified_ns(path: &Path) -> Option<i64> {
    let t = fs_err::metadata(path).ok()?.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

/// The account of an export skipped because the manifest holds it unchanged (same path,
/// size and modification time): nothing is read, not even to hash it.
pub fn unchanged_report(
    dataset: Dataset,
    path: &Path,
    sha256: &str,
    size_bytes: u64,
) -> FileReport {
    FileReport {
        sha256: sha256.to_string(),
        size_bytes,
        ..FileReport::new(dataset, path, Outcome::Skipped)
    }
}

/// SHA-256 and size of a file, read in one pass.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok((format!("{:x}", hasher.finalize()), size))
}

/// Read and validate files of one dataset. `already_loaded(sha256)` says whether a file with
/// that content is already in the lake; such files are skipped.
pub fn read_batch(
    dataset: Dataset,
    files: &[PathBuf],
    opts: &ReadOptions<'_>,
    already_loaded: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Batch> {
    let results: Vec<FileResult> = files
        .par_iter()
        .map(|path| read_one(dataset, path, opts, already_loaded))
        .collect::<Result<_>>()?;
    let mut frames = Vec::new();
    let mut bad_rows: Vec<(String, validate::BadRow)> = Vec::new();
    let mut reports = Vec::new();
    let mut file_rows = Vec::new();
    let mut sorted = true;
    for FileResult { report, rows, bad } in results {
        if let Some((f, in_key_order)) = rows {
            file_rows.push((report.sha256.clone(), f.height()));
            frames.push(f);
            sorted &= in_key_order;
        }
        let file = report.path.display().to_string();
        bad_rows.extend(bad.into_iter().map(|b| (file.clone(), b)));
        reports.push(report);
    }
    let rows = concat_with_seq(dataset, frames)?;
    let quarantine = quarantine_frame(&bad_rows)?;
    Ok(Batch {
        dataset,
        rows,
        quarantine,
        files: reports,
        file_rows,
        sorted,
    })
}

/// What one file gave: its account, its good rows (and whether they are in key order with
/// each key once), and its quarantined rows.
struct FileResult {
    report: FileReport,
    rows: Option<(DataFrame, bool)>,
    bad: Vec<validate::BadRow>,
}

fn read_one(
    dataset: Dataset,
    path: &Path,
    opts: &ReadOptions<'_>,
    already_loaded: &(dyn Fn(&str) -> bool + Sync),
) -> Result<FileResult> {
    let mut report = FileReport::new(dataset, path, Outcome::Loaded);
    // a file that gives no rows: refused, or skipped as already loaded
    let no_rows = |mut report: FileReport, outcome: Outcome| {
        report.outcome = outcome;
        Ok(FileResult {
            report,
            rows: None,
            bad: Vec::new(),
        })
    };
    let mapper = read::Mapper::new(dataset.spec(), opts.columns);
    // a plain CSV export of bounded size is read whole, hashed from memory, and tried on the
    // fast path; anything else is hashed as a stream and read record by record
    let plain = matches!(
        read::detect(path),
        Ok((read::Format::Csv, read::Compression::None))
    ) && fs_err::metadata(path).is_ok_and(|m| m.len() <= fast_csv::MAX_BYTES);
    let mut fast = None;
    if plain {
        let bytes = match fs_err::read(path) {
            Ok(b) => b,
            Err(e) => return no_rows(report, Outcome::Refused(e.to_string())),
        };
        // hashing runs beside the parse (an export loaded before under another name is parsed
        // for nothing: rare, and cheaper than hashing first on one core)
        let (sha, parsed) = rayon::join(
            || format!("{:x}", Sha256::digest(&bytes)),
            || fast_csv::read(&bytes, &mapper, dataset, opts.input_tz),
        );
        report.sha256 = sha;
        report.size_bytes = bytes.len() as u64;
        if already_loaded(&report.sha256) {
            return no_rows(report, Outcome::Skipped);
        }
        fast = parsed?;
    } else {
        match hash_file(path) {
            Ok((sha, size)) => {
                report.sha256 = sha;
                report.size_bytes = size;
            }
            Err(e) => return no_rows(report, Outcome::Refused(e.to_string())),
        }
        if already_loaded(&report.sha256) {
            return no_rows(report, Outcome::Skipped);
        }
    }
    let v = match fast {
        Some(v) => v,
        None => match read_records(dataset, path, &mapper, opts.input_tz, report.size_bytes)? {
            Ok(v) => v,
            Err(msg) => return no_rows(report, Outcome::Refused(msg)),
        },
    };
    if !v.unknown_columns.is_empty() {
        tracing::info!(
            file = %path.display(),
            "ignoring columns not in the {dataset} schema: {}",
            v.unknown_columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        );
    }
    report.unknown_columns = v.unknown_columns;
    report.rows_read = v.rows_read;
    let mut rules = v.rules;
    let (frame, in_key_order) = dedupe_file(dataset, v.frame, &mut rules)?;
    report.rows_loaded = frame.height() as u64;
    report.rows_quarantined = v.bad.len() as u64;
    report.rows_flagged = rules
        .iter()
        .filter(|(r, _)| r.is_flag())
        .map(|(_, c)| c.rows)
        .sum();
    report.rules = rules;
    let frame = match frame.get_column_index("_line") {
        Some(_) => frame
            .drop("_line")
            .ctx(|| "dropping the line column".into())?,
        None => frame,
    };
    Ok(FileResult {
        report,
        rows: Some((frame, in_key_order)),
        bad: v.bad,
    })
}

/// Read and validate a file with the record reader of `read.rs` (any format); the inner
/// `Err` refuses the file whole.
fn read_records(
    dataset: Dataset,
    path: &Path,
    mapper: &read::Mapper<'_>,
    tz: Tz,
    size_bytes: u64,
) -> Result<std::result::Result<fast_csv::Validated, String>> {
    // room for the rows of a plain CSV of short lines (at least 24 bytes each); compressed
    // or longer-lined exports grow the buffers as needed
    let rows_hint = usize::try_from(size_bytes / 24)
        .unwrap_or(usize::MAX)
        .clamp(1024, 1 << 26);
    let mut builder = validate::FileBuilder::with_capacity(dataset, tz, rows_hint);
    let read = match read::read_file(path, mapper, &mut |rec| builder.push(rec)) {
        Ok(r) => r,
        Err(msg) => return Ok(Err(msg)),
    };
    let bad = std::mem::take(&mut builder.bad);
    let rules = std::mem::take(&mut builder.rules);
    let rows_read = builder.rows_read;
    Ok(Ok(fast_csv::Validated {
        frame: builder.finish()?,
        bad,
        rules,
        rows_read,
        unknown_columns: read.unknown_columns,
    }))
}

/// Keep the last row of each key in one file; count the others as `duplicate_key`. Also says
/// whether the rows returned are sorted by key (see [`order`]; otherwise in file order).
fn dedupe_file(
    dataset: Dataset,
    frame: DataFrame,
    rules: &mut BTreeMap<Rule, RuleCount>,
) -> Result<(DataFrame, bool)> {
    if dataset == Dataset::Cost {
        return Ok((frame, false));
    }
    if frame.height() < 2 {
        return Ok((frame, true));
    }
    if let Some(rows) = order::sorted_keys(&frame, dataset.spec().key)? {
        // in key order, a row whose key the next row repeats is replaced by that later row
        let mut keep: Vec<IdxSize> = Vec::with_capacity(rows.len());
        let mut dropped: Vec<usize> = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            match rows.get(i + 1) {
                Some(next) if (next.0, next.1) == (r.0, r.1) => dropped.push(r.2 as usize),
                _ => keep.push(r.2),
            }
        }
        if !dropped.is_empty() {
            dropped.sort_unstable();
            count_duplicates(dataset, &frame, &dropped, rules)?;
        }
        // the caller drops the line column next: do not copy it
        let kept = frame
            .drop("_line")
            .ctx(|| "dropping the line column".into())?
            .take(&IdxCa::from_vec("".into(), keep))
            .ctx(|| format!("ordering the rows of {dataset} by key"))?;
        return Ok((kept, true));
    }
    let key: Vec<String> = dataset.spec().key.iter().map(|k| k.to_string()).collect();
    // most exports hold each key once: counting the distinct keys (one hash pass) is about a
    // third of what keeping the last of each in order costs, so do that only when needed
    let distinct = frame
        .group_by(key.iter().map(String::as_str))
        .ctx(|| format!("counting the keys of {dataset}"))?
        .get_groups()
        .len();
    if distinct == frame.height() {
        return Ok((frame, false));
    }
    let deduped = frame
        .unique_stable(Some(&key), UniqueKeepStrategy::Last, None)
        .ctx(|| format!("finding duplicate keys in {dataset}"))?;
    if frame.height() == deduped.height() {
        return Ok((deduped, false));
    }
    let kept: HashSet<u64> = deduped
        .column("_line")
        .ctx(|| "line column".into())?
        .u64()
        .ctx(|| "line column".into())?
        .into_no_null_iter()
        .collect();
    let dropped: Vec<usize> = frame
        .column("_line")
        .ctx(|| "line column".into())?
        .u64()
        .ctx(|| "line column".into())?
        .into_no_null_iter()
        .enumerate()
        .filter(|(_, line)| !kept.contains(line))
        .map(|(i, _)| i)
        .collect();
    count_duplicates(dataset, &frame, &dropped, rules)?;
    Ok((deduped, false))
}

/// Count the rows at `dropped` (indices into `frame`, in file order) as `duplicate_key`, with
/// the first as examples.
fn count_duplicates(
    dataset: Dataset,
    frame: &DataFrame,
    dropped: &[usize],
    rules: &mut BTreeMap<Rule, RuleCount>,
) -> Result<()> {
    let lines = frame
        .column("_line")
        .ctx(|| "line column".into())?
        .u64()
        .ctx(|| "line column".into())?;
    let first_key = frame
        .column(dataset.spec().key[0])
        .ctx(|| "key column".into())?
        .cast(&DataType::String)
        .ctx(|| "key as text".into())?;
    let first_key = first_key.str().ctx(|| "key as text".into())?;
    let rc = rules.entry(Rule::DuplicateKey).or_default();
    for &i in dropped {
        rc.rows += 1;
        if rc.examples.len() < validate::EXAMPLES_PER_RULE {
            rc.examples.push(Example {
                line: lines.get(i).unwrap_or(0),
                column: dataset.spec().key.join("+"),
                value: first_key.get(i).unwrap_or("").to_string(),
            });
        }
    }
    Ok(())
}

/// Concatenate file frames in order and number the rows (`_seq`, from 1) in that order.
fn concat_with_seq(dataset: Dataset, frames: Vec<DataFrame>) -> Result<DataFrame> {
    let mut out = if frames.is_empty() {
        DataFrame::empty_with_schema(&validate::canonical_schema(dataset))
    } else {
        let mut it = frames.into_iter();
        let mut first = it.next().expect("one frame");
        for f in it {
            first
                .vstack_mut_owned(f)
                .ctx(|| format!("joining the files of {dataset}"))?;
        }
        first
    };
    // no rechunk: each export's rows stay one chunk, and a day cut from them is written as is
    let n = out.height() as u64;
    out.with_column(Column::new("_seq".into(), (1..=n).collect::<Vec<u64>>()))
        .ctx(|| "numbering rows".into())?;
    Ok(out)
}

/// The quarantine rows as a frame.
fn quarantine_frame(bad: &[(String, validate::BadRow)]) -> Result<DataFrame> {
    let col_str = |name: &str, f: &dyn Fn(&(String, validate::BadRow)) -> String| -> Column {
        Series::new(name.into(), bad.iter().map(f).collect::<Vec<String>>()).into()
    };
    DataFrame::new_infer_height(vec![
        col_str("file", &|b| b.0.clone()),
        Series::new(
            "line".into(),
            bad.iter().map(|b| b.1.line).collect::<Vec<u64>>(),
        )
        .into(),
        col_str("column", &|b| b.1.column.clone()),
        col_str("rule", &|b| b.1.rule.id().to_string()),
        col_str("value", &|b| b.1.value.clone()),
        col_str("record", &|b| b.1.record.clone()),
    ])
    .ctx(|| "building the quarantine".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_keep_the_last_line_and_rows_come_in_key_order() {
        let us = |m: i64| m * 60_000_000;
        let frame = DataFrame::new_infer_height(vec![
            Series::new("ts".into(), [us(1), us(1), us(0), us(0), us(2)])
                .cast(&DataType::Datetime(
                    TimeUnit::Microseconds,
                    Some(TimeZone::UTC),
                ))
                .unwrap()
                .into(),
            Series::new("region".into(), ["eu", "eu", "us", "us", "eu"]).into(),
            Series::new("ccu".into(), [1i64, 2, 3, 4, 5]).into(),
            Series::new(
                "shard".into(),
                [Some("s1"), Some("s1"), None, None, Some("s2")],
            )
            .into(),
            Series::new("_line".into(), [2u64, 3, 4, 5, 6]).into(),
        ])
        .unwrap();
        let mut rules = BTreeMap::new();
        let (kept, sorted) = dedupe_file(Dataset::Ccu, frame.clone(), &mut rules).unwrap();
        assert!(sorted);
        // lines 5, 3 and 6 (the line column is dropped)
        assert_eq!(crate::test_util::i64s(&kept, "ccu"), vec![4, 2, 5]);
        let dup = &rules[&Rule::DuplicateKey];
        assert_eq!(dup.rows, 2);
        let example_lines: Vec<u64> = dup.examples.iter().map(|e| e.line).collect();
        assert_eq!(example_lines, vec![2, 4]);
        assert_eq!(dup.examples[0].column, "ts+region+shard");
        // polars' way gives the same rows once sorted
        let theirs = frame
            .unique_stable(
                Some(&["ts".into(), "region".into(), "shard".into()]),
                UniqueKeepStrategy::Last,
                None,
            )
            .unwrap()
            .sort(["ts", "region", "shard"], SortMultipleOptions::default())
            .unwrap()
            .drop("_line")
            .unwrap();
        assert!(kept.equals_missing(&theirs));
    }
}
