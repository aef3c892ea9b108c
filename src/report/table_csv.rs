//! Writes output tables (`OUT/tables/*.csv`, `*.parquet`) from finished data frames.
//!
//! CSV ([`write_csv`]) follows RFC 4180 and the design's rules, decided here once:
//! - UTF-8 without a byte-order mark; a header row of the column names; **CRLF** after every
//!   record, the last one included (RFC 4180 §2.1–2.2);
//! - columns in the frame's order; a field is quoted only when it holds `,`, `"`, CR or LF
//!   (quotes doubled); a null is an empty field, and a non-null value whose text is empty (an
//!   empty string, an empty list) is written `""` so readers can tell the two apart;
//! - `Datetime` columns as RFC 3339 in UTC with `Z` (`2026-10-01T12:00:00Z`; polars stores
//!   instants as UTC, so a column's time zone only affects display and is ignored here).
//!   Whole seconds have no fraction; otherwise the fraction has the column's precision (3, 6 or
//!   9 digits: `…T12:00:00.250Z` for milliseconds);
//! - `Date` as `YYYY-MM-DD`; `Duration` as seconds in plain digits (`5400`, `0.25`);
//!   decimals as plain digits with trailing fractional zeros dropped (`12.34`, never `1.234e1`);
//!   floats as Rust prints them (shortest round-trip digits, no exponent; `NaN`, `inf`);
//!   booleans `true`/`false`; categoricals as their text;
//! - list columns as their elements joined with `;` (a null element is empty); elements are
//!   not escaped, so an element holding `;` is ambiguous: list columns must not hold one;
//! - a text cell (string, categorical, list of strings) that begins with `=`, `+`, `-`, `@`,
//!   tab or CR gets a leading `'` ([`neutralise_cell`], OWASP CSV-injection advice); numbers,
//!   dates and booleans are never changed, so a negative number stays `-5`.
//!
//! Parquet ([`write_parquet`]) is zstd-compressed through polars' `ParquetWriter`.
//!
//! Both write to a temporary file beside the target (`.NAME.tmp-PID`), sync it and rename it
//! into place, so readers never see half a table. This module must not compute or reorder
//! anything: it writes the rows and columns it is given, in their order.

use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use polars::prelude::{
    AnyValue, DataFrame, DataType, ParquetCompression, ParquetWriter, PolarsError, TimeUnit,
};

use crate::error::{Error, PolarsContext, Result};

/// Line end after every CSV record (RFC 4180).
const CRLF: &str = "\r\n";

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01, for `Date` values.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Prefix a text cell with `'` when a spreadsheet would read it as a formula: when it starts
/// with `=`, `+`, `-`, `@`, tab or carriage return. Other text is returned unchanged.
pub fn neutralise_cell(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// Write `df` as CSV to `path` (see the module doc for the format), replacing the file
/// atomically.
pub fn write_csv(df: &DataFrame, path: &Path) -> Result<()> {
    write_atomically(path, |file| {
        let mut out = BufWriter::new(file);
        write_csv_to(df, &mut out, path)?;
        out.flush()?;
        Ok(())
    })
}

/// Write `df` as zstd-compressed Parquet to `path`, replacing the file atomically.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_atomically(path, |file| {
        let mut out = BufWriter::new(file);
        ParquetWriter::new(&mut out)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)
            .ctx(|| format!("writing `{}`", path.display()))?;
        out.flush()?;
        Ok(())
    })
}

/// Write `df` as CSV into `out`; `path` only names the target in errors.
pub(crate) fn write_csv_to<W: Write>(df: &DataFrame, out: &mut W, path: &Path) -> Result<()> {
    let columns = df.columns();
    let mut line = String::new();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        push_field(&mut line, column.name().as_str());
    }
    line.push_str(CRLF);
    out.write_all(line.as_bytes())?;
    if df.height() == 0 {
        return Ok(());
    }

    let text_columns: Vec<bool> = columns.iter().map(|c| is_text(c.dtype())).collect();
    // A column of a frame with rows has at least one chunk, which `Series::iter` needs.
    let mut cells: Vec<_> = columns
        .iter()
        .map(|c| c.as_materialized_series().iter())
        .collect();
    let mut cell = String::new();
    for _ in 0..df.height() {
        line.clear();
        for (i, values) in cells.iter_mut().enumerate() {
            if i > 0 {
                line.push(',');
            }
            let Some(value) = values.next() else {
                return Err(internal(path, "a column is shorter than its frame"));
            };
            cell.clear();
            if !format_value(&value, &mut cell).map_err(|message| internal(path, &message))? {
                continue; // null: empty field
            }
            if text_columns[i] {
                push_field(&mut line, &neutralise_cell(&cell));
            } else {
                push_field(&mut line, &cell);
            }
        }
        line.push_str(CRLF);
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// An error about writing `path` that the data cannot cause in practice.
fn internal(path: &Path, message: &str) -> Error {
    Error::Polars {
        context: format!("writing `{}`", path.display()),
        source: PolarsError::ComputeError(message.to_owned().into()),
    }
}

/// Whether cells of `dtype` are text, and so neutralised.
fn is_text(dtype: &DataType) -> bool {
    match dtype {
        DataType::List(inner) => is_text(inner),
        DataType::Null => false,
        d => !(d.is_primitive_numeric() || d.is_decimal() || d.is_temporal() || d.is_bool()),
    }
}

/// Append `text` to `line` as one CSV field, quoted when RFC 4180 needs it or when it is
/// empty (a non-null value; nulls never get here).
fn push_field(line: &mut String, text: &str) {
    if text.is_empty() {
        line.push_str("\"\"");
    } else if text.contains([',', '"', '\r', '\n']) {
        line.push('"');
        line.push_str(&text.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(text);
    }
}

/// Append the text of `value` to `out`. Returns `false` for null (nothing appended).
fn format_value(value: &AnyValue<'_>, out: &mut String) -> std::result::Result<bool, String> {
    // `write!` into a String cannot fail.
    match value {
        AnyValue::Null => return Ok(false),
        AnyValue::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        AnyValue::String(s) => out.push_str(s),
        AnyValue::StringOwned(s) => out.push_str(s.as_str()),
        AnyValue::UInt8(v) => _ = write!(out, "{v}"),
        AnyValue::UInt16(v) => _ = write!(out, "{v}"),
        AnyValue::UInt32(v) => _ = write!(out, "{v}"),
        AnyValue::UInt64(v) => _ = write!(out, "{v}"),
        AnyValue::UInt128(v) => _ = write!(out, "{v}"),
        AnyValue::Int8(v) => _ = write!(out, "{v}"),
        AnyValue::Int16(v) => _ = write!(out, "{v}"),
        AnyValue::Int32(v) => _ = write!(out, "{v}"),
        AnyValue::Int64(v) => _ = write!(out, "{v}"),
        AnyValue::Int128(v) => _ = write!(out, "{v}"),
        AnyValue::Float32(v) => _ = write!(out, "{v}"),
        AnyValue::Float64(v) => _ = write!(out, "{v}"),
        AnyValue::Date(days) => {
            let date = days
                .checked_add(UNIX_EPOCH_DAYS_FROM_CE)
                .and_then(NaiveDate::from_num_days_from_ce_opt)
                .ok_or_else(|| format!("date {days} (days since 1970-01-01) is out of range"))?;
            _ = write!(out, "{}", date.format("%Y-%m-%d"));
        }
        AnyValue::Datetime(v, unit, _) => push_datetime(*v, *unit, out)?,
        AnyValue::DatetimeOwned(v, unit, _) => push_datetime(*v, *unit, out)?,
        AnyValue::Duration(v, unit) => {
            let (_, digits) = unit_per_second(*unit);
            out.push_str(&fixed_point(i128::from(*v), digits));
        }
        AnyValue::Decimal(v, _precision, scale) => out.push_str(&fixed_point(*v, *scale)),
        AnyValue::List(elements) => {
            if !elements.is_empty() {
                for (i, element) in elements.iter().enumerate() {
                    if i > 0 {
                        out.push(';');
                    }
                    format_value(&element, out)?;
                }
            }
        }
        // Categoricals and enums give their text; anything else (time of day, binary,
        // structs) its polars display form.
        other => out.push_str(&other.str_value()),
    }
    Ok(true)
}

/// Ticks per second and fraction digits of a polars time unit.
fn unit_per_second(unit: TimeUnit) -> (i64, usize) {
    match unit {
        TimeUnit::Nanoseconds => (1_000_000_000, 9),
        TimeUnit::Microseconds => (1_000_000, 6),
        TimeUnit::Milliseconds => (1_000, 3),
    }
}

/// Append an instant (`value` ticks of `unit` since 1970-01-01T00:00:00Z) as RFC 3339 UTC.
fn push_datetime(value: i64, unit: TimeUnit, out: &mut String) -> std::result::Result<(), String> {
    let (per_second, digits) = unit_per_second(unit);
    let seconds = value.div_euclid(per_second);
    let ticks = value.rem_euclid(per_second);
    let nanos = u32::try_from(ticks * (1_000_000_000 / per_second))
        .map_err(|_| format!("timestamp {value} has a bad fraction"))?;
    let instant = DateTime::from_timestamp(seconds, nanos)
        .ok_or_else(|| format!("timestamp {value} ({unit:?} since 1970) is out of range"))?;
    _ = write!(out, "{}", instant.format("%Y-%m-%dT%H:%M:%S"));
    if ticks != 0 {
        _ = write!(out, ".{ticks:0digits$}");
    }
    out.push('Z');
    Ok(())
}

/// `value / 10^scale` in plain digits, without trailing fractional zeros: `(12340, 3)` →
/// `12.34`, `(-5, 2)` → `-0.05`, `(5400, 0)` → `5400`.
fn fixed_point(value: i128, scale: usize) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let digits = value.unsigned_abs().to_string();
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// Run `write` on a new temporary file beside `path`, sync it, then rename it to `path`.
/// On any error the temporary file is removed and `path` is left as it was.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut fs_err::File) -> Result<()>,
) -> Result<()> {
    let tmp = temp_path(path)?;
    let written = fs_err::File::create(&tmp)
        .map_err(Error::from)
        .and_then(|mut file| {
            write(&mut file)?;
            file.sync_all()?;
            Ok(())
        });
    let result = written.and_then(|()| fs_err::rename(&tmp, path).map_err(Error::from));
    if result.is_err() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs_err::remove_file(&tmp);
    }
    result
}

/// `DIR/.NAME.tmp-PID` for `DIR/NAME`: same folder (so the rename is atomic), hidden, and
/// distinct per process.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("`{}` does not name a file", path.display()),
        ))
    })?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    Ok(path.with_file_name(tmp_name))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use chrono::{NaiveDate, NaiveDateTime};
    use polars::prelude::{NamedFrom, ParquetReader, SerReader, Series, df};

    use super::*;

    fn csv_text(df: &DataFrame) -> String {
        let mut out = Vec::new();
        write_csv_to(df, &mut out, Path::new("test.csv")).expect("writing to memory");
        String::from_utf8(out).expect("CSV is UTF-8")
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32, ms: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_milli_opt(h, min, s, ms))
            .expect("valid test timestamp")
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn neutralise_cell_prefixes_formula_starters_only() {
        for s in ["=1+1", "+1", "-x", "@a", "\tb", "\rx"] {
            assert_eq!(neutralise_cell(s), format!("'{s}"), "{s:?}");
        }
        for s in ["plain", "", " =1", "a=b", "'quoted", "1-2"] {
            assert!(
                matches!(neutralise_cell(s), Cow::Borrowed(b) if b == s),
                "{s:?}"
            );
        }
    }

    #[test]
    fn csv_quotes_neutralises_and_writes_nulls_empty() -> Result<()> {
        let df = df!(
            "s" => [
                Some("=1+1"), Some("-x"), Some("@a"), Some("\tb"), Some("plain"), Some("a,b"),
                Some("say \"hi\""), Some("line\nbreak"), None, Some("+1"), Some("\rx"), Some(""),
            ],
            "n" => [
                Some(-5i64), Some(-1), None, Some(0), Some(1), Some(2), Some(3), Some(4), Some(5),
                Some(6), Some(7), Some(1_000_000),
            ],
        )
        .ctx(|| "building the test frame".into())?;
        let expected = "s,n\r\n\
            '=1+1,-5\r\n\
            '-x,-1\r\n\
            '@a,\r\n\
            '\tb,0\r\n\
            plain,1\r\n\
            \"a,b\",2\r\n\
            \"say \"\"hi\"\"\",3\r\n\
            \"line\nbreak\",4\r\n\
            ,5\r\n\
            '+1,6\r\n\
            \"'\rx\",7\r\n\
            \"\",1000000\r\n";
        assert_eq!(csv_text(&df), expected);
        Ok(())
    }

    #[test]
    fn csv_formats_times_dates_floats_booleans_and_lists() -> Result<()> {
        let tags = [
            Series::new("".into(), ["a", "b"]),
            Series::new("".into(), ["=c", "d"]),
            Series::new_empty("".into(), &DataType::String),
            Series::new("".into(), ["x;y"]),
        ];
        let df = df!(
            "ts" => [
                Some(at(2026, 10, 1, 12, 0, 0, 0)),
                Some(at(2026, 10, 1, 12, 0, 0, 250)),
                None,
                Some(at(1969, 12, 31, 23, 59, 59, 500)),
            ],
            "d" => [Some(day(2026, 10, 1)), None, Some(day(1969, 12, 31)), Some(day(2000, 2, 29))],
            "f" => [Some(-0.5f64), Some(1e21), None, Some(0.1)],
            "b" => [Some(true), Some(false), None, Some(true)],
            "tags" => tags,
        )
        .ctx(|| "building the test frame".into())?;
        let expected = "ts,d,f,b,tags\r\n\
            2026-10-01T12:00:00Z,2026-10-01,-0.5,true,a;b\r\n\
            2026-10-01T12:00:00.250Z,,1000000000000000000000,false,'=c;d\r\n\
            ,1969-12-31,,,\"\"\r\n\
            1969-12-31T23:59:59.500Z,2000-02-29,0.1,true,x;y\r\n";
        assert_eq!(csv_text(&df), expected);
        Ok(())
    }

    #[test]
    fn csv_of_an_empty_frame_is_its_header() -> Result<()> {
        let df = df!("a" => Vec::<i64>::new(), "b" => Vec::<&str>::new())
            .ctx(|| "building the test frame".into())?;
        assert_eq!(csv_text(&df), "a,b\r\n");
        Ok(())
    }

    #[test]
    fn values_format_in_plain_digits() {
        fn text(value: AnyValue<'_>) -> Option<String> {
            let mut out = String::new();
            let present = format_value(&value, &mut out).expect("formattable");
            present.then_some(out)
        }
        assert_eq!(text(AnyValue::Null), None);
        assert_eq!(
            text(AnyValue::Decimal(12_340, 10, 3)).as_deref(),
            Some("12.34")
        );
        assert_eq!(text(AnyValue::Decimal(-5, 10, 2)).as_deref(), Some("-0.05"));
        assert_eq!(text(AnyValue::Decimal(0, 38, 12)).as_deref(), Some("0"));
        assert_eq!(
            text(AnyValue::Duration(5_400_000, TimeUnit::Milliseconds)).as_deref(),
            Some("5400")
        );
        assert_eq!(
            text(AnyValue::Duration(250, TimeUnit::Microseconds)).as_deref(),
            Some("0.00025")
        );
        assert_eq!(
            text(AnyValue::Datetime(1, TimeUnit::Nanoseconds, None)).as_deref(),
            Some("1970-01-01T00:00:00.000000001Z")
        );
        assert_eq!(
            text(AnyValue::Datetime(-1, TimeUnit::Microseconds, None)).as_deref(),
            Some("1969-12-31T23:59:59.999999Z")
        );
        assert_eq!(text(AnyValue::Date(0)).as_deref(), Some("1970-01-01"));
        assert_eq!(text(AnyValue::Float64(f64::NAN)).as_deref(), Some("NaN"));
        assert_eq!(
            text(AnyValue::UInt64(u64::MAX)).as_deref(),
            Some("18446744073709551615")
        );
    }

    #[test]
    fn fixed_point_trims_and_pads() {
        assert_eq!(fixed_point(12_340, 3), "12.34");
        assert_eq!(fixed_point(-5, 2), "-0.05");
        assert_eq!(fixed_point(5_400, 0), "5400");
        assert_eq!(fixed_point(1_000, 3), "1");
        assert_eq!(fixed_point(0, 12), "0");
        assert_eq!(
            fixed_point(i128::MIN, 0),
            "-170141183460469231731687303715884105728"
        );
    }

    #[test]
    fn write_csv_replaces_the_file_and_leaves_no_temporary() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.csv");
        fs_err::write(&path, "old")?;
        let df = df!("x" => [1i64, 2]).ctx(|| "building the test frame".into())?;
        write_csv(&df, &path)?;
        assert_eq!(fs_err::read_to_string(&path)?, "x\r\n1\r\n2\r\n");
        let names: Vec<_> = fs_err::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()?;
        assert_eq!(names, vec![OsString::from("t.csv")]);
        Ok(())
    }

    #[test]
    fn write_csv_into_a_missing_folder_fails_and_names_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("no-such-dir").join("t.csv");
        let df = df!("x" => [1i64]).expect("test frame");
        let err = write_csv(&df, &path).expect_err("the folder does not exist");
        assert!(err.to_string().contains("no-such-dir"), "{err}");
    }

    #[test]
    fn parquet_round_trips() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.parquet");
        let mut df = df!(
            "s" => [Some("=1+1"), None, Some("plain")],
            "n" => [Some(-5i64), Some(0), None],
            "ts" => [Some(at(2026, 10, 1, 12, 0, 0, 250)), None, Some(at(1969, 12, 31, 0, 0, 0, 0))],
            "d" => [Some(day(2026, 10, 1)), None, Some(day(2000, 2, 29))],
        )
        .ctx(|| "building the test frame".into())?;
        write_parquet(&mut df, &path)?;
        let bytes = fs_err::read(&path)?;
        assert!(bytes.starts_with(b"PAR1"));
        let back = ParquetReader::new(Cursor::new(bytes))
            .finish()
            .ctx(|| "reading back".into())?;
        assert!(df.equals_missing(&back), "wrote {df}, read {back}");
        for (a, b) in df.columns().iter().zip(back.columns()) {
            assert_eq!(a.dtype(), b.dtype(), "{}", a.name());
        }
        let names: Vec<_> = fs_err::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()?;
        assert_eq!(
            names,
            vec![OsString::from("t.parquet")],
            "no temporary file is left"
        );
        Ok(())
    }

    #[test]
    fn temp_path_is_hidden_beside_the_target() -> Result<()> {
        let tmp = temp_path(Path::new("out/tables/x.csv"))?;
        assert_eq!(tmp.parent(), Some(Path::new("out/tables")));
        let name = tmp.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(name.starts_with(".x.csv.tmp-"), "{name}");
        assert!(temp_path(Path::new("/")).is_err());
        Ok(())
    }
}
