//! One pass over a piece of a plain CSV export (one record per line, see `fast_csv`) that
//! splits each line and parses each cell straight into typed column buffers, with the same
//! cell parsers as [`super::validate::FileBuilder`].
//!
//! It only answers for pieces where every cell parses, no cell needs a default, no flag fires
//! and no rule across columns fires; then the row-by-row validator would keep every row with
//! exactly these values. For anything else it says [`Clean::Rules`] and the caller validates
//! the piece row by row, which decides quarantines, flags and examples: this module must never
//! decide a row's fate itself. It covers the datasets whose rules across columns only ever
//! refuse a row (CCU, activity, SLO): those are the large ones. No I/O.

use chrono::Datelike;
use chrono_tz::Tz;
use polars::prelude::*;

use super::parse;
use super::validate::canonical_dtype;
use crate::error::{PolarsContext, Result};
use crate::schema::{Dataset, Kind};

/// What one pass over a piece found.
pub enum Clean {
    /// Every row is kept as it is: the canonical columns plus `_line`.
    Rows(DataFrame),
    /// Some cell or row needs a rule applied: validate the piece row by row.
    Rules,
    /// A line does not have the header's number of fields: the file is not plain.
    Ragged,
}

/// Days from 0001-01-01 to 1970-01-01 (what `FileBuilder` subtracts too).
const EPOCH_DAYS_CE: i32 = 719_163;

enum Buf {
    Text(StringChunkedBuilder),
    Time(Values<i64>),
    Count(Values<i64>),
    Real(Values<f64>),
    Date(Values<i32>),
}

/// A column's values, with the rows that are null (rare: only optional columns have any).
struct Values<T> {
    values: Vec<T>,
    nulls: Vec<usize>,
}

impl<T: Default> Values<T> {
    fn with_capacity(n: usize) -> Self {
        Values {
            values: Vec::with_capacity(n),
            nulls: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, v: Option<T>) {
        match v {
            Some(v) => self.values.push(v),
            None => {
                self.nulls.push(self.values.len());
                self.values.push(T::default());
            }
        }
    }

    /// The column, moving the values without a copy when none is null.
    fn into_series(self, name: PlSmallStr) -> Series
    where
        T: NumericNative,
        T::PolarsType: PolarsNumericType<Native = T>,
        ChunkedArray<T::PolarsType>: IntoSeries,
    {
        if self.nulls.is_empty() {
            return ChunkedArray::<T::PolarsType>::from_vec(name, self.values).into_series();
        }
        let mut valid = vec![true; self.values.len()];
        self.nulls.iter().for_each(|i| valid[*i] = false);
        let values = self
            .values
            .into_iter()
            .zip(valid)
            .map(|(v, ok)| ok.then_some(v));
        ChunkedArray::<T::PolarsType>::from_iter_options(name, values).into_series()
    }
}

/// Whether the dataset's rows can be kept without the row-by-row validator when no cell
/// breaks a rule (its rules across columns never change a kept row).
pub fn covers(dataset: Dataset) -> bool {
    matches!(dataset, Dataset::Ccu | Dataset::Activity | Dataset::Slo)
        && dataset.spec().columns.iter().all(|c| {
            matches!(
                c.kind,
                Kind::Text | Kind::Timestamp | Kind::Count | Kind::Real | Kind::Date
            )
        })
}

/// Parse the `rows` lines of `text` (each `width` fields; `mapping` gives each field's
/// canonical column) whose first line is `first_line`.
pub fn piece(
    text: &str,
    rows: usize,
    width: usize,
    mapping: &[Option<usize>],
    dataset: Dataset,
    tz: Tz,
    first_line: u64,
) -> Result<Clean> {
    let spec = dataset.spec();
    let mut bufs: Vec<Buf> = spec
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Timestamp => Buf::Time(Values::with_capacity(rows)),
            Kind::Count => Buf::Count(Values::with_capacity(rows)),
            Kind::Real => Buf::Real(Values::with_capacity(rows)),
            Kind::Date => Buf::Date(Values::with_capacity(rows)),
            _ => Buf::Text(StringChunkedBuilder::new(c.name.into(), rows)),
        })
        .collect();
    // the export lacks a required column or one with a default: rules apply to every row
    let present: Vec<bool> = (0..spec.columns.len())
        .map(|idx| mapping.contains(&Some(idx)))
        .collect();
    if spec
        .columns
        .iter()
        .zip(&present)
        .any(|(c, p)| !p && (c.required || c.default.is_some()))
    {
        return Ok(check_width(text, width));
    }
    // an optional column without a default may hold null cells; any other null is a rule
    let nullable: Vec<bool> = spec
        .columns
        .iter()
        .map(|c| !c.required && c.default.is_none())
        .collect();
    // one vectorised search finds every separator and line end; a missing last line end
    // counts as one
    let bytes = text.as_bytes();
    let end = (!text.ends_with('\n')).then_some(bytes.len());
    let mut n = 0usize;
    let mut field = 0usize;
    let mut start = 0usize;
    for pos in memchr::memchr2_iter(b',', b'\n', bytes).chain(end) {
        // separators are ASCII, so both ends are character boundaries
        let cell = &text[start..pos];
        if let Some(Some(idx)) = mapping.get(field)
            && !push_cell(&mut bufs[*idx], cell, nullable[*idx], tz)
        {
            return Ok(check_width(text, width));
        }
        field += 1;
        if bytes.get(pos).is_none_or(|b| *b == b'\n') {
            if field != width {
                return Ok(Clean::Ragged);
            }
            field = 0;
            n += 1;
        }
        start = pos + 1;
    }
    if n != rows {
        return Ok(Clean::Ragged);
    }
    let mut out: Vec<Column> = Vec::with_capacity(spec.columns.len() + 1);
    for ((col, buf), present) in spec.columns.iter().zip(bufs).zip(present) {
        let name = PlSmallStr::from_static(col.name);
        let dtype = canonical_dtype(col.kind);
        if !present {
            out.push(Column::full_null(name, n, &dtype));
            continue;
        }
        let series = match buf {
            Buf::Text(b) => b.finish().into_series(),
            Buf::Time(v) | Buf::Count(v) => v.into_series(name.clone()),
            Buf::Real(v) => v.into_series(name.clone()),
            Buf::Date(v) => v.into_series(name.clone()),
        };
        let series = series
            .with_name(name)
            .cast(&dtype)
            .ctx(|| format!("building column `{}` of {dataset}", col.name))?;
        out.push(series.into());
    }
    if dataset == Dataset::Slo && errors_exceed_requests(&out)? {
        return Ok(Clean::Rules);
    }
    out.push(Column::new(
        "_line".into(),
        (first_line..first_line + n as u64).collect::<Vec<u64>>(),
    ));
    Ok(Clean::Rows(
        DataFrame::new_infer_height(out).ctx(|| format!("building the rows of {dataset}"))?,
    ))
}

/// [`Clean::Rules`], or [`Clean::Ragged`] when some line has another number of fields.
fn check_width(text: &str, width: usize) -> Clean {
    if text
        .split_terminator('\n')
        .all(|line| line.split(',').count() == width)
    {
        Clean::Rules
    } else {
        Clean::Ragged
    }
}

/// A cell's text without surrounding whitespace, or `None` for null text (see
/// [`parse::is_null_text`]). Cells with no ASCII space or control at either end and ASCII
/// ends need no trimming: the common case, checked without scanning.
#[inline]
fn value(cell: &str) -> Option<&str> {
    let b = cell.as_bytes();
    let plain_end = |c: u8| c > b' ' && c < 0x80;
    let trimmed = match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if plain_end(f) && plain_end(l) => cell,
        _ => cell.trim(),
    };
    (!trimmed.is_empty() && !trimmed.eq_ignore_ascii_case("null")).then_some(trimmed)
}

/// Parse one cell into its buffer; `false` when it breaks a rule or raises a flag.
#[inline]
fn push_cell(buf: &mut Buf, cell: &str, nullable: bool, tz: Tz) -> bool {
    let v = value(cell);
    if v.is_none() && !nullable {
        return false;
    }
    match buf {
        Buf::Text(b) => match v {
            Some(s) => b.append_value(s),
            None => b.append_null(),
        },
        Buf::Time(values) => values.push(match v {
            None => None,
            // an ambiguous local time is a flag: the row-by-row validator counts it
            Some(s) => match parse::parse_timestamp(s, tz) {
                Ok(t) if !t.ambiguous => Some(t.us),
                _ => return false,
            },
        }),
        Buf::Count(values) => values.push(match v {
            None => None,
            Some(s) => match parse::parse_count(s) {
                Ok(x) => Some(x),
                Err(_) => return false,
            },
        }),
        Buf::Real(values) => values.push(match v {
            None => None,
            Some(s) => match parse::parse_real(s) {
                Ok(x) => Some(x),
                Err(_) => return false,
            },
        }),
        Buf::Date(values) => values.push(match v {
            None => None,
            Some(s) => match parse::parse_date(s) {
                Ok(d) => Some(d.num_days_from_ce() - EPOCH_DAYS_CE),
                Err(_) => return false,
            },
        }),
    }
    true
}

/// Whether some row of an SLO piece has more errors than requests (a rule that refuses it).
fn errors_exceed_requests(columns: &[Column]) -> Result<bool> {
    let get = |name: &str| -> Result<&Int64Chunked> {
        let c = columns
            .iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| crate::error::Error::Usage(format!("internal: no column `{name}`")))?;
        c.i64().ctx(|| format!("column `{name}`"))
    };
    let requests = get("requests")?;
    let errors = get("errors")?;
    Ok(requests
        .iter()
        .zip(errors.iter())
        .any(|(r, e)| matches!((r, e), (Some(r), Some(e)) if e > r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CCU: [Option<usize>; 3] = [Some(0), Some(1), Some(2)];

    fn rows(text: &str, dataset: Dataset, mapping: &[Option<usize>]) -> Clean {
        let n = text.split_terminator('\n').count();
        piece(text, n, mapping.len(), mapping, dataset, Tz::UTC, 7).unwrap()
    }

    #[test]
    fn keeps_a_clean_ccu_piece_with_lines() {
        let text = "2026-01-01T00:00:00Z,eu,5\n2026-01-01T00:01:00+01:00, us ,1e1\n";
        let Clean::Rows(df) = rows(text, Dataset::Ccu, &CCU) else {
            panic!("clean")
        };
        assert_eq!(df.height(), 2);
        let region: Vec<Option<&str>> =
            df.column("region").unwrap().str().unwrap().iter().collect();
        assert_eq!(region, vec![Some("eu"), Some("us")]);
        let ccu: Vec<Option<i64>> = df.column("ccu").unwrap().i64().unwrap().iter().collect();
        assert_eq!(ccu, vec![Some(5), Some(10)]);
        let ts = df
            .column("ts")
            .unwrap()
            .datetime()
            .unwrap()
            .physical()
            .get(1);
        assert_eq!(ts, Some(1_767_225_600_000_000 - 3_600_000_000 + 60_000_000));
        let lines: Vec<Option<u64>> = df.column("_line").unwrap().u64().unwrap().iter().collect();
        assert_eq!(lines, vec![Some(7), Some(8)]);
        // the shard column the export lacks is null
        assert_eq!(df.column("shard").unwrap().null_count(), 2);
    }

    #[test]
    fn leaves_any_piece_with_a_rule_to_apply_to_the_validator() {
        for bad in [
            "2026-01-01T00:00:00Z,,5\n",     // required text empty
            "2026-01-01T00:00:00Z,eu,-5\n",  // negative count
            "2026-13-01T00:00:00Z,eu,5\n",   // bad timestamp
            "2026-01-01T00:00:00Z,eu,NaN\n", // not an integer
            "2026-01-01T00:00:00Z,eu,null\n",
        ] {
            assert!(
                matches!(rows(bad, Dataset::Ccu, &CCU), Clean::Rules),
                "{bad}"
            );
        }
        // errors above requests in SLO
        let slo = [Some(0), Some(1), Some(2), Some(3), Some(4)];
        let text = "2026-01-01T00:00:00Z,api,eu,3,4\n";
        assert!(matches!(rows(text, Dataset::Slo, &slo), Clean::Rules));
        // a required column the export lacks
        assert!(matches!(
            rows("2026-01-01T00:00:00Z,eu\n", Dataset::Ccu, &CCU[..2]),
            Clean::Rules
        ));
        // other datasets are always validated row by row
        assert!(!covers(Dataset::Incidents) && covers(Dataset::Ccu));
    }

    #[test]
    fn finds_a_ragged_line_even_after_a_rule() {
        assert!(matches!(
            rows("2026-01-01T00:00:00Z,eu,5,6\n", Dataset::Ccu, &CCU),
            Clean::Ragged
        ));
        let text = "2026-01-01T00:00:00Z,eu,-5\n2026-01-01T00:00:00Z,eu\n";
        assert!(matches!(rows(text, Dataset::Ccu, &CCU), Clean::Ragged));
    }

    #[test]
    fn a_cell_value_is_trimmed_and_null_text_is_none() {
        assert_eq!(value("abc"), Some("abc"));
        assert_eq!(value(" abc\t"), Some("abc"));
        assert_eq!(value("x\u{a0}"), Some("x"));
        assert_eq!(value(" NULL "), None);
        assert_eq!(value("   "), None);
        assert_eq!(value(""), None);
    }
}
