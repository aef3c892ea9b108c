//! Column-at-a-time validation of a piece of an export that breaks no rule: each text column
//! is parsed in one tight loop (the same cell parsers as [`super::validate::FileBuilder`]),
//! and a text column that needs no change is kept as it is, without copying.
//!
//! It only answers for pieces where every cell parses, no cell needs a default, no flag fires
//! and no rule across columns fires; then the row-by-row validator would keep every row with
//! exactly these values. For anything else it returns `None` and the caller validates the
//! piece row by row, which decides quarantines, flags and examples. It must never decide a
//! row's fate itself. It covers the datasets whose rules across columns only ever refuse a
//! row (CCU, activity, SLO): those are the large ones. No I/O.

use chrono::Datelike;
use chrono_tz::Tz;
use polars::prelude::*;

use super::parse;
use super::validate::canonical_dtype;
use crate::error::{PolarsContext, Result};
use crate::schema::{Dataset, Kind};

/// The typed rows of a piece (canonical columns plus `_line`) when none of its rows breaks a
/// rule; `None` when one might (the caller then validates row by row).
///
/// `columns` are the export's text columns, `mapping` gives each one's canonical column, and
/// `first_line` is the line of the piece's first row.
pub fn piece(
    columns: &[&StringChunked],
    mapping: &[Option<usize>],
    dataset: Dataset,
    tz: Tz,
    first_line: u64,
) -> Result<Option<DataFrame>> {
    if !matches!(dataset, Dataset::Ccu | Dataset::Activity | Dataset::Slo) {
        return Ok(None);
    }
    let spec = dataset.spec();
    let n = columns.first().map_or(0, |c| c.len());
    let mut out: Vec<Column> = Vec::with_capacity(spec.columns.len() + 1);
    for (idx, col) in spec.columns.iter().enumerate() {
        let name = PlSmallStr::from_static(col.name);
        let dtype = canonical_dtype(col.kind);
        let source = mapping.iter().position(|m| *m == Some(idx));
        let Some(source) = source else {
            // the export lacks the column: nulls, unless it is required or has a default
            if col.required || col.default.is_some() {
                return Ok(None);
            }
            out.push(Column::full_null(name, n, &dtype));
            continue;
        };
        let ca = columns[source];
        // an optional column without a default may hold null cells; any other null is a rule
        let nullable = !col.required && col.default.is_none();
        let parsed = match col.kind {
            Kind::Text => text(ca, nullable),
            Kind::Timestamp => typed(ca, nullable, |s| {
                parse::parse_timestamp(s, tz)
                    .ok()
                    .filter(|t| !t.ambiguous)
                    .map(|t| t.us)
            }),
            Kind::Count => typed(ca, nullable, |s| parse::parse_count(s).ok()),
            Kind::Real => typed(ca, nullable, |s| parse::parse_real(s).ok()),
            Kind::Date => typed(ca, nullable, |s| {
                parse::parse_date(s)
                    .ok()
                    .map(|d| d.num_days_from_ce() - EPOCH_DAYS_CE)
            }),
            Kind::Money | Kind::Severity | Kind::Status | Kind::Tags => None,
        };
        let Some(series) = parsed else {
            return Ok(None);
        };
        let series = series
            .with_name(name)
            .cast(&dtype)
            .ctx(|| format!("building column `{}` of {dataset}", col.name))?;
        out.push(series.into());
    }
    if dataset == Dataset::Slo && errors_exceed_requests(&out)? {
        return Ok(None);
    }
    out.push(Column::new(
        "_line".into(),
        (first_line..first_line + n as u64).collect::<Vec<u64>>(),
    ));
    Ok(Some(
        DataFrame::new_infer_height(out).ctx(|| format!("building the rows of {dataset}"))?,
    ))
}

/// Days from 0001-01-01 to 1970-01-01 (what `FileBuilder` subtracts too).
const EPOCH_DAYS_CE: i32 = 719_163;

/// A text column: as it is when no cell needs trimming or is null text, else trimmed (null
/// text becoming null where `nullable`); `None` when a null cell is not allowed.
fn text(ca: &StringChunked, nullable: bool) -> Option<Series> {
    let mut changes = false;
    for v in ca.iter() {
        let s = v?;
        if parse::is_null_text(s) {
            if !nullable {
                return None;
            }
            changes = true;
        } else if s.trim().len() != s.len() {
            changes = true;
        }
    }
    if !changes {
        return Some(ca.clone().into_series());
    }
    let trimmed: StringChunked = ca
        .iter()
        .map(|v| v.filter(|s| !parse::is_null_text(s)).map(str::trim))
        .collect();
    Some(trimmed.into_series())
}

/// A column parsed cell by cell with `parse` (given the trimmed text); `None` as soon as a
/// cell does not parse or is null text where that is not allowed.
fn typed<T>(ca: &StringChunked, nullable: bool, parse: impl Fn(&str) -> Option<T>) -> Option<Series>
where
    T: Copy,
    Series: NamedFrom<Vec<Option<T>>, [Option<T>]>,
{
    let mut values: Vec<Option<T>> = Vec::with_capacity(ca.len());
    for v in ca.iter() {
        let s = v?;
        if parse::is_null_text(s) {
            if !nullable {
                return None;
            }
            values.push(None);
        } else {
            values.push(Some(parse(s.trim())?));
        }
    }
    Some(Series::new(PlSmallStr::EMPTY, values))
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

    fn texts(values: &[&[&str]]) -> Vec<StringChunked> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| StringChunked::from_slice(format!("c{i}").into(), v))
            .collect()
    }

    #[test]
    fn keeps_a_clean_ccu_piece_with_lines() {
        let cols = texts(&[
            &["2026-01-01T00:00:00Z", "2026-01-01T00:01:00+01:00"],
            &["eu", " us "],
            &["5", "1e1"],
        ]);
        let refs: Vec<&StringChunked> = cols.iter().collect();
        let df = piece(
            &refs,
            &[Some(0), Some(1), Some(2)],
            Dataset::Ccu,
            Tz::UTC,
            7,
        )
        .unwrap()
        .unwrap();
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
    fn declines_any_piece_with_a_rule_to_apply() {
        let map = [Some(0), Some(1), Some(2)];
        for bad in [
            ["2026-01-01T00:00:00Z", "", "5"],     // required text empty
            ["2026-01-01T00:00:00Z", "eu", "-5"],  // negative count
            ["2026-13-01T00:00:00Z", "eu", "5"],   // bad timestamp
            ["2026-01-01T00:00:00Z", "eu", "NaN"], // not an integer
        ] {
            let cols = texts(&[&[bad[0]], &[bad[1]], &[bad[2]]]);
            let refs: Vec<&StringChunked> = cols.iter().collect();
            assert!(
                piece(&refs, &map, Dataset::Ccu, Tz::UTC, 2)
                    .unwrap()
                    .is_none(),
                "{bad:?}"
            );
        }
        // errors above requests in SLO
        let cols = texts(&[&["2026-01-01T00:00:00Z"], &["api"], &["eu"], &["3"], &["4"]]);
        let refs: Vec<&StringChunked> = cols.iter().collect();
        let map = [Some(0), Some(1), Some(2), Some(3), Some(4)];
        assert!(
            piece(&refs, &map, Dataset::Slo, Tz::UTC, 2)
                .unwrap()
                .is_none()
        );
        // other datasets are always validated row by row
        assert!(
            piece(&refs, &map, Dataset::Incidents, Tz::UTC, 2)
                .unwrap()
                .is_none()
        );
    }
}
