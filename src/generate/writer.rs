//! CSV part files for the generator, and the text formats its cells use.
//!
//! [`PartWriter`] streams one dataset's rows to `OUT/DATASET/part-0001.csv`, `part-0002.csv` …
//! (a new part every [`ROWS_PER_PART`] rows, each with the header), through a buffered CSV
//! writer into a temporary `.part-NNNN.csv.tmp` that is renamed when the part is complete, so a
//! reader never sees half a part. It also decides which row indexes are bad rows ([`BadPlan`]).
//!
//! It must not hold rows: it writes each record as it comes. It knows nothing of what a
//! dataset's rows mean; the dataset modules build the records.

use std::io::{self, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};

use super::GeneratedFile;
use crate::schema::Dataset;

/// Data rows per part file; the next row starts a new part. (Unit tests use a smaller size so
/// that splitting can be tested on a small run.)
pub(crate) const ROWS_PER_PART: u64 = if cfg!(test) { 50_000 } else { 2_000_000 };

/// Units of money per US dollar: amounts are kept as integers of 1e-10 USD so that sums are
/// exact and every amount prints with at most 10 decimal places.
pub(crate) const MONEY_UNITS_PER_USD: i64 = 10_000_000_000;

type CsvOut = csv::Writer<BufWriter<fs_err::File>>;

/// Writes one dataset as numbered CSV parts; see the module doc.
pub(crate) struct PartWriter {
    dataset: Dataset,
    dir: PathBuf,
    part: u32,
    rows_in_part: u64,
    bad_in_part: u64,
    current: Option<(CsvOut, PathBuf, PathBuf)>,
    files: Vec<GeneratedFile>,
}

impl PartWriter {
    /// Creates `out_dir/DATASET/` (no file yet: the first part opens with the first row).
    pub(crate) fn create(out_dir: &Path, dataset: Dataset) -> io::Result<Self> {
        let dir = out_dir.join(dataset.name());
        fs_err::create_dir_all(&dir)?;
        Ok(Self {
            dataset,
            dir,
            part: 0,
            rows_in_part: 0,
            bad_in_part: 0,
            current: None,
            files: Vec::new(),
        })
    }

    /// Writes one record (fields in the schema's column order); `bad` counts it as a bad row.
    pub(crate) fn write<I, T>(&mut self, record: I, bad: bool) -> io::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        if self.current.is_none() || self.rows_in_part >= ROWS_PER_PART {
            self.close_part()?;
            self.open_part()?;
        }
        let (out, _, _) = self.current.as_mut().expect("a part was opened just above");
        out.write_record(record)?;
        self.rows_in_part += 1;
        self.bad_in_part += u64::from(bad);
        Ok(())
    }

    /// Closes the last part (a dataset with no rows still gets `part-0001.csv` with its header),
    /// removes parts left in the folder by an earlier, larger run, and returns the files written.
    pub(crate) fn finish(mut self) -> io::Result<Vec<GeneratedFile>> {
        if self.current.is_none() && self.part == 0 {
            self.open_part()?;
        }
        self.close_part()?;
        self.remove_stale_parts()?;
        Ok(self.files)
    }

    fn open_part(&mut self) -> io::Result<()> {
        self.part += 1;
        let name = format!("part-{:04}.csv", self.part);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let path = self.dir.join(name);
        let file = fs_err::File::create(&tmp)?;
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(BufWriter::with_capacity(1 << 18, file));
        out.write_record(self.dataset.spec().columns.iter().map(|c| c.name))?;
        self.current = Some((out, tmp, path));
        self.rows_in_part = 0;
        self.bad_in_part = 0;
        Ok(())
    }

    fn close_part(&mut self) -> io::Result<()> {
        let Some((out, tmp, path)) = self.current.take() else {
            return Ok(());
        };
        let mut buffered = out.into_inner().map_err(|e| e.into_error())?;
        buffered.flush()?;
        drop(buffered);
        fs_err::rename(&tmp, &path)?;
        self.files.push(GeneratedFile {
            dataset: self.dataset,
            path,
            rows: self.rows_in_part,
            bad_rows: self.bad_in_part,
        });
        Ok(())
    }

    /// Deletes `part-NNNN.csv` beyond the last part written and leftover `.part-*.tmp` files:
    /// the config loads `DATASET/*.csv`, so an old part would otherwise be loaded too.
    fn remove_stale_parts(&self) -> io::Result<()> {
        for entry in fs_err::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let stale = match part_number(name) {
                Some(n) => n > self.part,
                None => name.starts_with(".part-") && name.ends_with(".csv.tmp"),
            };
            if stale {
                fs_err::remove_file(entry.path())?;
            }
        }
        Ok(())
    }
}

/// `part-0007.csv` → 7.
fn part_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("part-")?.strip_suffix(".csv")?;
    if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// Which rows of a dataset are bad: `max(kinds, round(fraction × rows))` of them (none when
/// the fraction is 0), spread evenly over the rows, the j-th of kind `j % kinds`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BadPlan {
    rows: u64,
    bad: u64,
    kinds: usize,
}

impl BadPlan {
    pub(crate) fn new(rows: u64, fraction: f64, kinds: usize) -> Self {
        let bad = if fraction > 0.0 && rows > 0 {
            let wanted = (fraction * rows as f64).round() as u64;
            wanted.max(kinds as u64).min(rows)
        } else {
            0
        };
        Self { rows, bad, kinds }
    }

    /// How many bad rows should exist in total (may exceed the rows of a tiny dataset: see
    /// [`BadPlan::bad`] for how many fit).
    pub(crate) fn wanted(rows: u64, fraction: f64, kinds: usize) -> u64 {
        if fraction > 0.0 {
            ((fraction * rows as f64).round() as u64).max(kinds as u64)
        } else {
            0
        }
    }

    /// Number of bad rows among `rows`.
    pub(crate) fn bad(&self) -> u64 {
        self.bad
    }

    /// Row index of the j-th bad row (j < `bad()`); strictly increasing in j.
    pub(crate) fn position(&self, j: u64) -> u64 {
        ((2 * j + 1) as u128 * self.rows as u128 / (2 * self.bad) as u128) as u64
    }

    /// (kind index, cycle) of the j-th bad row: cycle counts earlier bad rows of the same kind.
    pub(crate) fn kind(&self, j: u64) -> (usize, u64) {
        ((j % self.kinds as u64) as usize, j / self.kinds as u64)
    }
}

/// Walks a [`BadPlan`] while rows are streamed in order.
pub(crate) struct BadCursor {
    plan: BadPlan,
    next: u64,
    next_pos: u64,
}

impl BadCursor {
    pub(crate) fn new(plan: BadPlan) -> Self {
        let next_pos = if plan.bad() > 0 {
            plan.position(0)
        } else {
            u64::MAX
        };
        Self {
            plan,
            next: 0,
            next_pos,
        }
    }

    /// If row `index` is bad, its (bad row number j, kind index, cycle); rows must be asked in
    /// increasing order.
    pub(crate) fn check(&mut self, index: u64) -> Option<(u64, usize, u64)> {
        if index != self.next_pos {
            return None;
        }
        let j = self.next;
        let (kind, cycle) = self.plan.kind(j);
        self.next += 1;
        self.next_pos = if self.next < self.plan.bad() {
            self.plan.position(self.next)
        } else {
            u64::MAX
        };
        Some((j, kind, cycle))
    }
}

/// RFC 3339 UTC with `Z`, to the second: `2026-10-01T13:05:00Z`.
pub(crate) fn fmt_ts(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0)
        .expect("generated instants lie within chrono's range")
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// `2026-10-01`.
pub(crate) fn fmt_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The UTC date of an instant.
pub(crate) fn date_of(secs: i64) -> NaiveDate {
    DateTime::from_timestamp(secs, 0)
        .expect("generated instants lie within chrono's range")
        .date_naive()
}

/// Parses what [`fmt_ts`] wrote.
pub(crate) fn parse_ts(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

/// Appends the decimal digits of `v` to `buf` (the hot CCU path avoids `format!`).
pub(crate) fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Money in 1e-10 USD units as a plain decimal with at most 10 decimal places, trailing zeros
/// trimmed: `1234.5`, `-12.0000000001`, `0`.
pub(crate) fn fmt_money(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    let per = MONEY_UNITS_PER_USD as u64;
    let (whole, frac) = (abs / per, abs % per);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{frac:010}");
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

/// Money in 1e-10 USD units in E-notation, as some providers print tiny amounts: `1.5E-4`.
pub(crate) fn fmt_money_sci(units: i64) -> String {
    if units == 0 {
        return "0".to_owned();
    }
    let sign = if units < 0 { "-" } else { "" };
    let digits = units.unsigned_abs().to_string();
    let exponent = digits.len() as i64 - 1 - 10;
    let mantissa = digits.trim_end_matches('0');
    let (first, rest) = mantissa.split_at(1);
    if rest.is_empty() {
        format!("{sign}{first}E{exponent}")
    } else {
        format!("{sign}{first}.{rest}E{exponent}")
    }
}

/// A real with `places` decimals.
pub(crate) fn fmt_real(x: f64, places: usize) -> String {
    format!("{x:.places$}")
}

/// The index of column `name` in `dataset`'s schema order. Panics on a name the schema lacks:
/// the generator's column names are fixed and covered by the header test.
pub(crate) fn col(dataset: Dataset, name: &str) -> usize {
    dataset
        .spec()
        .columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("column `{name}` is not in the `{dataset}` schema"))
}

/// An empty record of `dataset`'s width.
pub(crate) fn blank_row(dataset: Dataset) -> Vec<String> {
    vec![String::new(); dataset.spec().columns.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats() {
        assert_eq!(fmt_money(0), "0");
        assert_eq!(fmt_money(12_345 * MONEY_UNITS_PER_USD / 10), "1234.5");
        assert_eq!(fmt_money(-1), "-0.0000000001");
        assert_eq!(fmt_money_sci(1_500_000), "1.5E-4");
        assert_eq!(fmt_money_sci(20_000_000), "2E-3");
        assert_eq!(fmt_money_sci(-2_370_000), "-2.37E-4");
    }

    #[test]
    fn bad_plan_spreads_and_cycles() {
        let plan = BadPlan::new(100, 0.05, 3);
        assert_eq!(plan.bad(), 5);
        let positions: Vec<u64> = (0..5).map(|j| plan.position(j)).collect();
        assert_eq!(positions, vec![10, 30, 50, 70, 90]);
        assert_eq!(plan.kind(4), (1, 1));
        assert_eq!(BadPlan::new(100, 0.0, 3).bad(), 0);
        assert_eq!(BadPlan::new(2, 0.01, 5).bad(), 2);
        let mut cursor = BadCursor::new(plan);
        let hits: Vec<u64> = (0..100)
            .filter_map(|i| cursor.check(i).map(|_| i))
            .collect();
        assert_eq!(hits, positions);
    }

    #[test]
    fn u64_digits() {
        let mut buf = Vec::new();
        push_u64(&mut buf, 0);
        buf.push(b',');
        push_u64(&mut buf, 18_446_744_073_709_551_615);
        assert_eq!(buf, b"0,18446744073709551615");
    }
}
