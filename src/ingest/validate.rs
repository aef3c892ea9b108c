//! Validating records and building the typed frame of one file.
//!
//! A [`FileBuilder`] takes the records of one export (cells already mapped to canonical
//! columns), parses each cell with [`super::parse`], applies the cross-column rules, and
//! either appends the row to typed column buffers or keeps it for the quarantine with its
//! line, column, rule, raw value and whole raw record. Flags (rules that keep the row) are
//! counted with examples. It does no I/O; the caller decides what to do with the result.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use polars::prelude::*;

use super::parse;
use super::read::Record;
use crate::error::{PolarsContext, Result};
use crate::schema::{Dataset, Kind, Rule};

/// One problem found, with where it was.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Example {
    pub line: u64,
    pub column: String,
    pub value: String,
}

/// How often a rule fired in a file, with the first examples.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct RuleCount {
    pub rows: u64,
    pub examples: Vec<Example>,
}

/// A quarantined row.
#[derive(Clone, Debug)]
pub struct BadRow {
    pub line: u64,
    pub column: String,
    pub rule: Rule,
    pub value: String,
    pub record: String,
}

/// How many examples of each rule are kept per file.
pub const EXAMPLES_PER_RULE: usize = 3;

/// Add the rule counts of a later part of a file to those of the parts before it: counts
/// add up, and examples stay the first of the file.
pub fn absorb_rules(into: &mut BTreeMap<Rule, RuleCount>, later: BTreeMap<Rule, RuleCount>) {
    for (rule, rc) in later {
        let e = into.entry(rule).or_default();
        e.rows += rc.rows;
        let room = EXAMPLES_PER_RULE.saturating_sub(e.examples.len());
        e.examples.extend(rc.examples.into_iter().take(room));
    }
}

const EPOCH_DAYS_CE: i32 = 719_163;

enum Buf {
    Text(StringChunkedBuilder),
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Date(Vec<Option<i32>>),
}

/// A parsed cell.
#[derive(Clone, Debug, PartialEq)]
enum Val<'a> {
    Null,
    Text(std::borrow::Cow<'a, str>),
    Int(i64),
    Real(f64),
    Date(i32),
}

impl Val<'_> {
    fn int(&self) -> Option<i64> {
        match self {
            Val::Int(v) => Some(*v),
            _ => None,
        }
    }
    fn real(&self) -> Option<f64> {
        match self {
            Val::Real(v) => Some(*v),
            _ => None,
        }
    }
}

/// Builds the typed rows and the quarantine of one file.
pub struct FileBuilder {
    dataset: Dataset,
    tz: Tz,
    bufs: Vec<Buf>,
    lines: Vec<u64>,
    /// Rows quarantined, in file order.
    pub bad: Vec<BadRow>,
    /// Rules that fired, quarantine and flags alike.
    pub rules: BTreeMap<Rule, RuleCount>,
    /// Records read.
    pub rows_read: u64,
}

impl FileBuilder {
    pub fn new(dataset: Dataset, tz: Tz) -> Self {
        Self::with_capacity(dataset, tz, 1024)
    }

    /// [`FileBuilder::new`] with room for `rows` rows, so the column buffers of a large export
    /// do not grow by copying (room never written to costs address space, not memory).
    pub fn with_capacity(dataset: Dataset, tz: Tz, rows: usize) -> Self {
        let bufs = dataset
            .spec()
            .columns
            .iter()
            .map(|c| match c.kind {
                Kind::Timestamp | Kind::Count => Buf::Int(Vec::with_capacity(rows)),
                Kind::Real => Buf::Real(Vec::with_capacity(rows)),
                Kind::Date => Buf::Date(Vec::with_capacity(rows)),
                _ => Buf::Text(StringChunkedBuilder::new(
                    PlSmallStr::from_static(c.name),
                    rows,
                )),
            })
            .collect();
        FileBuilder {
            dataset,
            tz,
            bufs,
            lines: Vec::with_capacity(rows),
            bad: Vec::new(),
            rules: BTreeMap::new(),
            rows_read: 0,
        }
    }

    fn count(&mut self, rule: Rule, line: u64, column: &str, value: &str) {
        let rc = self.rules.entry(rule).or_default();
        rc.rows += 1;
        if rc.examples.len() < EXAMPLES_PER_RULE {
            rc.examples.push(Example {
                line,
                column: column.to_string(),
                value: value.to_string(),
            });
        }
    }

    fn quarantine(&mut self, rec: &Record<'_>, column: &str, rule: Rule, value: &str) {
        self.count(rule, rec.line, column, value);
        self.bad.push(BadRow {
            line: rec.line,
            column: column.to_string(),
            rule,
            value: value.to_string(),
            record: (rec.raw)(),
        });
    }

    /// Validate one record: append it to the typed rows, or quarantine it.
    pub fn push(&mut self, rec: Record<'_>) {
        self.rows_read += 1;
        let spec = self.dataset.spec();
        if rec.cells.len() != spec.columns.len() {
            self.quarantine(&rec, "", Rule::MalformedRecord, "");
            return;
        }
        let mut row: Vec<Val<'_>> = Vec::with_capacity(spec.columns.len());
        let mut flags: Vec<(Rule, &'static str, String)> = Vec::new();
        for (col, cell) in spec.columns.iter().zip(rec.cells) {
            let raw = cell.filter(|c| !parse::is_null_text(c)).map(str::trim);
            let Some(raw) = raw else {
                if let Some(d) = col.default {
                    row.push(Val::Text(d.into()));
                    continue;
                }
                let required_here = cell.is_some()
                    && crate::schema::REQUIRED_WHEN_PRESENT
                        .iter()
                        .any(|(d, c)| *d == self.dataset && *c == col.name);
                if col.required || required_here {
                    self.quarantine(&rec, col.name, Rule::MissingRequired, cell.unwrap_or(""));
                    return;
                }
                row.push(Val::Null);
                continue;
            };
            let parsed = match col.kind {
                Kind::Text => {
                    if col.name == "kind" && self.dataset == Dataset::Events {
                        match parse::normalize_event_kind(raw) {
                            Ok(k) => Ok(Val::Text(k.into())),
                            Err(rule) => {
                                flags.push((rule, col.name, raw.to_string()));
                                Ok(Val::Text("other".into()))
                            }
                        }
                    } else {
                        Ok(Val::Text(raw.into()))
                    }
                }
                Kind::Timestamp => parse::parse_timestamp(raw, self.tz).map(|t| {
                    if t.ambiguous {
                        flags.push((Rule::AmbiguousLocalTime, col.name, raw.to_string()));
                    }
                    Val::Int(t.us)
                }),
                Kind::Date => {
                    parse::parse_date(raw).map(|d| Val::Date(d.num_days_from_ce() - EPOCH_DAYS_CE))
                }
                Kind::Count => parse::parse_count(raw).map(Val::Int),
                Kind::Real => parse::parse_real(raw).map(Val::Real),
                Kind::Money => parse::parse_money(raw).map(|m| Val::Text(m.into())),
                Kind::Severity => parse::normalize_severity(raw).map(|s| Val::Text(s.into())),
                Kind::Status => parse::normalize_status(raw).map(|s| Val::Text(s.into())),
                Kind::Tags => match parse::normalize_tags(raw) {
                    Ok(t) => Ok(t.map(|t| Val::Text(t.into())).unwrap_or(Val::Null)),
                    Err(rule) => {
                        flags.push((rule, col.name, raw.to_string()));
                        Ok(Val::Null)
                    }
                },
            };
            match parsed {
                Ok(v) => row.push(v),
                Err(rule) => {
                    self.quarantine(&rec, col.name, rule, raw);
                    return;
                }
            }
        }
        if let Some((column, rule)) = self.cross_rules(&mut row, &mut flags) {
            let idx = spec
                .columns
                .iter()
                .position(|c| c.name == column)
                .unwrap_or(0);
            let value = rec
                .cells
                .get(idx)
                .copied()
                .flatten()
                .unwrap_or("")
                .to_string();
            self.quarantine(&rec, column, rule, &value);
            return;
        }
        for (rule, column, value) in flags {
            self.count(rule, rec.line, column, &value);
        }
        for (buf, v) in self.bufs.iter_mut().zip(row.drain(..)) {
            match (buf, v) {
                (Buf::Text(b), Val::Text(s)) => b.append_value(s.as_ref()),
                (Buf::Text(b), _) => b.append_null(),
                (Buf::Int(b), Val::Int(i)) => b.push(Some(i)),
                (Buf::Int(b), _) => b.push(None),
                (Buf::Real(b), Val::Real(r)) => b.push(Some(r)),
                (Buf::Real(b), _) => b.push(None),
                (Buf::Date(b), Val::Date(d)) => b.push(Some(d)),
                (Buf::Date(b), _) => b.push(None),
            }
        }
        self.lines.push(rec.line);
    }

    /// Rules across columns. Returns the quarantine rule that fired, if any; flags are
    /// pushed to `flags` and the spoilt value is nulled so no figure uses it.
    fn cross_rules(
        &self,
        row: &mut [Val],
        flags: &mut Vec<(Rule, &'static str, String)>,
    ) -> Option<(&'static str, Rule)> {
        let spec = self.dataset.spec();
        let idx = |name: &str| {
            spec.columns
                .iter()
                .position(|c| c.name == name)
                .expect("column in spec")
        };
        let ts = |row: &[Val], name: &str| row[idx(name)].int();
        match self.dataset {
            Dataset::Incidents => {
                let opened = ts(row, "opened_at")?;
                if ts(row, "resolved_at").is_some_and(|r| r < opened) {
                    return Some(("resolved_at", Rule::EndBeforeStart));
                }
                for (name, rule) in [
                    ("detected_at", Rule::DetectedBeforeOpened),
                    ("acknowledged_at", Rule::AcknowledgedBeforeOpened),
                    ("mitigated_at", Rule::MitigatedBeforeOpened),
                ] {
                    if let Some(t) = ts(row, name).filter(|t| *t < opened) {
                        flags.push((rule, name, us_text(t)));
                        row[idx(name)] = Val::Null;
                    }
                }
            }
            Dataset::Deployments => {
                let finished = ts(row, "finished_at")?;
                for (name, rule) in [
                    ("started_at", Rule::StartedAfterFinished),
                    ("first_commit_at", Rule::CommitAfterFinished),
                ] {
                    if let Some(t) = ts(row, name).filter(|t| *t > finished) {
                        flags.push((rule, name, us_text(t)));
                        row[idx(name)] = Val::Null;
                    }
                }
            }
            Dataset::Cost => {
                let start = ts(row, "ChargePeriodStart")?;
                if ts(row, "ChargePeriodEnd").is_some_and(|e| e <= start) {
                    return Some(("ChargePeriodEnd", Rule::EndBeforeStart));
                }
                let bps = idx("BillingPeriodStart");
                if row[bps] == Val::Null {
                    row[bps] = Val::Int(month_start_us(start));
                }
            }
            Dataset::Slo => {
                if let (Some(r), Some(e)) = (ts(row, "requests"), ts(row, "errors"))
                    && e > r
                {
                    return Some(("errors", Rule::ErrorsExceedRequests));
                }
            }
            Dataset::Capacity => {
                if row[idx("players_per_instance")].int() == Some(0) {
                    return Some(("players_per_instance", Rule::NotPositive));
                }
            }
            Dataset::Events => {
                let start = ts(row, "starts_at")?;
                if ts(row, "ends_at").is_some_and(|e| e <= start) {
                    return Some(("ends_at", Rule::EndBeforeStart));
                }
                if row[idx("expected_uplift")].real().is_some_and(|u| u <= 0.0) {
                    return Some(("expected_uplift", Rule::NotPositive));
                }
                let id = idx("event_id");
                if row[id] == Val::Null
                    && let Val::Text(name) = &row[idx("name")]
                {
                    row[id] = Val::Text(format!("{name}@{}", us_text(start)).into());
                }
            }
            Dataset::Ccu | Dataset::Activity => {}
        }
        None
    }

    /// The typed rows as a frame with the canonical schema, plus a `_line` column.
    pub fn finish(self) -> Result<DataFrame> {
        let spec = self.dataset.spec();
        let mut columns: Vec<Column> = Vec::with_capacity(spec.columns.len() + 1);
        for (col, buf) in spec.columns.iter().zip(self.bufs) {
            let name = PlSmallStr::from_static(col.name);
            let series = match buf {
                Buf::Text(b) => b.finish().into_series().with_name(name),
                Buf::Int(v) => Series::new(name, v),
                Buf::Real(v) => Series::new(name, v),
                Buf::Date(v) => Series::new(name, v),
            };
            let series = series
                .cast(&canonical_dtype(col.kind))
                .ctx(|| format!("building column `{}` of {}", col.name, spec.name))?;
            columns.push(series.into());
        }
        columns.push(Series::new("_line".into(), self.lines).into());
        DataFrame::new_infer_height(columns).ctx(|| format!("building the rows of {}", spec.name))
    }
}

/// The polars type a column is stored as.
pub fn canonical_dtype(kind: Kind) -> DataType {
    match kind {
        Kind::Timestamp => DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
        Kind::Date => DataType::Date,
        Kind::Count => DataType::Int64,
        Kind::Real => DataType::Float64,
        Kind::Money => DataType::Decimal(38, 12),
        Kind::Text | Kind::Severity | Kind::Status | Kind::Tags => DataType::String,
    }
}

/// The canonical schema of a dataset.
pub fn canonical_schema(dataset: Dataset) -> Schema {
    dataset
        .spec()
        .columns
        .iter()
        .map(|c| Field::new(PlSmallStr::from_static(c.name), canonical_dtype(c.kind)))
        .collect()
}

fn us_text(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| us.to_string())
}

fn month_start_us(us: i64) -> i64 {
    let Some(t) = chrono::DateTime::from_timestamp_micros(us) else {
        return us;
    };
    NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_micros())
        .unwrap_or(us)
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
