//! Reading one export file: format and compression from the file name, checks that the
//! content matches, header mapping to canonical columns, and one callback per record with
//! the physical line it starts on.
//!
//! CSV is read with the `csv` crate rather than polars' CSV reader, because only a
//! record-by-record reader can say on which physical line a record starts when a quoted
//! field spans lines, and can quarantine a ragged row instead of padding it or failing the
//! whole file. NDJSON is read line by line with `serde_json` for the same reason. Parquet is
//! read by polars. Everything is decompressed as a stream (the caller hashes the file before:
//! it skips an export already loaded unread). This module writes nothing and never builds a
//! path from data.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use polars::prelude::*;

use crate::schema::DatasetSpec;

/// The format of an export, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
    Parquet,
}

/// The compression of an export, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Format and compression from a file name: `.csv`, `.ndjson`/`.jsonl`, `.parquet`, then
/// optionally `.gz`/`.zst`.
pub fn detect(path: &Path) -> Result<(Format, Compression), String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let (stem, compression) = if let Some(s) = name.strip_suffix(".gz") {
        (s, Compression::Gzip)
    } else if let Some(s) = name.strip_suffix(".zst") {
        (s, Compression::Zstd)
    } else {
        (name.as_str(), Compression::None)
    };
    let format = if stem.ends_with(".csv") {
        Format::Csv
    } else if stem.ends_with(".ndjson") || stem.ends_with(".jsonl") {
        Format::Ndjson
    } else if stem.ends_with(".parquet") {
        Format::Parquet
    } else {
        return Err("unknown file type; hint: name the file `.csv`, `.ndjson`, `.jsonl` or `.parquet`, optionally followed by `.gz` or `.zst`".into());
    };
    Ok((format, compression))
}

/// How an export's columns map onto the canonical ones.
pub struct Mapper<'a> {
    spec: &'a DatasetSpec,
    /// Export name (lowercase) → canonical name, from `[datasets.NAME.columns]`.
    overrides: HashMap<String, &'a str>,
}

impl<'a> Mapper<'a> {
    pub fn new(
        spec: &'a DatasetSpec,
        overrides: &'a std::collections::BTreeMap<String, String>,
    ) -> Self {
        let overrides = overrides
            .iter()
            .map(|(k, v)| (k.trim().to_lowercase(), v.as_str()))
            .collect();
        Mapper { spec, overrides }
    }

    /// Map a header row: for each export column, the canonical column index it fills.
    /// An exact canonical name beats an alias when both are present; other columns are
    /// returned as unknown (kept out, named once in the log).
    pub fn map_header(&self, header: &[String]) -> (Vec<Option<usize>>, Vec<String>) {
        let mut out = vec![None; header.len()];
        let mut taken = vec![false; self.spec.columns.len()];
        // three passes: config mapping, exact names, aliases
        for pass in 0..3 {
            for (i, h) in header.iter().enumerate() {
                if out[i].is_some() {
                    continue;
                }
                let lower = h.trim().trim_start_matches('\u{feff}').to_lowercase();
                let idx = match pass {
                    0 => self
                        .overrides
                        .get(&lower)
                        .and_then(|c| self.spec.columns.iter().position(|s| s.name == *c)),
                    1 => self
                        .spec
                        .columns
                        .iter()
                        .position(|s| s.name.to_lowercase() == lower),
                    _ => self
                        .spec
                        .columns
                        .iter()
                        .position(|s| s.aliases.iter().any(|a| a.to_lowercase() == lower)),
                };
                if let Some(idx) = idx
                    && !taken[idx]
                {
                    taken[idx] = true;
                    out[i] = Some(idx);
                }
            }
        }
        let unknown = header
            .iter()
            .zip(&out)
            .filter(|(_, m)| m.is_none())
            .map(|(h, _)| h.clone())
            .collect();
        (out, unknown)
    }

    /// Map a header row and refuse it when a required column is missing.
    pub fn map_checked(
        &self,
        header: &[String],
    ) -> Result<(Vec<Option<usize>>, Vec<String>), String> {
        let (mapping, unknown) = self.map_header(header);
        let mut filled = vec![false; self.spec.columns.len()];
        for idx in mapping.iter().flatten() {
            filled[*idx] = true;
        }
        match self.missing_required(&filled, header) {
            Some(msg) => Err(msg),
            None => Ok((mapping, unknown)),
        }
    }

    /// The required canonical columns no export column fills, as a refusal message.
    pub fn missing_required(&self, filled: &[bool], found: &[String]) -> Option<String> {
        let missing: Vec<_> = self
            .spec
            .columns
            .iter()
            .zip(filled)
            .filter(|(c, f)| c.required && !**f)
            .map(|(c, _)| format!("`{}`", c.name))
            .collect();
        if missing.is_empty() {
            return None;
        }
        let found = if found.is_empty() {
            "none".to_string()
        } else {
            found
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Some(format!(
            "missing required column{} {}; columns found: {found}; hint: if the export names it differently, map it under [datasets.{}.columns] in the config",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            self.spec.name
        ))
    }
}

/// One record, by canonical column index, with what is needed to quarantine it.
pub struct Record<'r> {
    /// The physical line the record starts on (the header is line 1); for Parquet, the row number (1-based).
    pub line: u64,
    /// Cell text per canonical column (`None` when the export has no such column or the JSON value is null).
    pub cells: &'r [Option<&'r str>],
    /// The whole raw record as a JSON object of text, built on demand.
    pub raw: &'r dyn Fn() -> String,
}

/// What reading a file produced besides the records.
pub struct FileRead {
    pub unknown_columns: Vec<String>,
}

/// Read one file, calling `on_record` for every record. An `Err` refuses the file whole
/// (the caller then discards whatever the callback gathered).
pub fn read_file(
    path: &Path,
    mapper: &Mapper<'_>,
    on_record: &mut dyn FnMut(Record<'_>),
) -> Result<FileRead, String> {
    let (format, compression) = detect(path)?;
    let file = fs_err::File::open(path).map_err(|e| io_message(&e))?;
    let unknown = {
        let mut head = BufReader::with_capacity(1 << 20, file);
        let magic = head.fill_buf().map_err(|e| io_message(&e))?.to_vec();
        check_magic(&magic, format, compression)?;
        let mut decoded: Box<dyn BufRead + '_> = match compression {
            Compression::None => Box::new(head),
            Compression::Gzip => Box::new(BufReader::with_capacity(
                1 << 20,
                flate2::read::MultiGzDecoder::new(head),
            )),
            Compression::Zstd => Box::new(BufReader::with_capacity(
                1 << 20,
                zstd::stream::read::Decoder::with_buffer(head)
                    .map_err(|e| format!("not a valid zstd stream: {e}"))?,
            )),
        };
        let unknown = match format {
            Format::Csv => read_csv(&mut decoded, mapper, on_record)?,
            Format::Ndjson => read_ndjson(&mut decoded, mapper, on_record)?,
            Format::Parquet => read_parquet(&mut decoded, mapper, on_record)?,
        };
        // drain whatever is left, so a corrupt or truncated compressed tail is found
        std::io::copy(&mut decoded, &mut std::io::sink())
            .map_err(|e| decode_message(&e, compression))?;
        unknown
    };
    Ok(FileRead {
        unknown_columns: unknown,
    })
}

fn io_message(e: &std::io::Error) -> String {
    // fs_err already names the path; keep the message lowercase and plain
    e.to_string()
}

fn decode_message(e: &std::io::Error, compression: Compression) -> String {
    match compression {
        Compression::Gzip => format!("the gzip stream is corrupt or truncated: {e}"),
        Compression::Zstd => format!("the zstd stream is corrupt or truncated: {e}"),
        Compression::None => format!("read error: {e}"),
    }
}

fn check_magic(head: &[u8], format: Format, compression: Compression) -> Result<(), String> {
    let is_gzip = head.starts_with(&[0x1f, 0x8b]);
    let is_zstd = head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    let is_parquet = head.starts_with(b"PAR1");
    match compression {
        Compression::Gzip if !is_gzip => {
            return Err("the content is not gzip-compressed; hint: remove the `.gz` suffix".into());
        }
        Compression::Zstd if !is_zstd => {
            return Err(
                "the content is not zstd-compressed; hint: remove the `.zst` suffix".into(),
            );
        }
        Compression::None if is_gzip => {
            return Err(
                "the content is gzip-compressed; hint: name the file with a `.gz` suffix".into(),
            );
        }
        Compression::None if is_zstd => {
            return Err(
                "the content is zstd-compressed; hint: name the file with a `.zst` suffix".into(),
            );
        }
        Compression::None if format != Format::Parquet && is_parquet => {
            return Err("the content is Parquet; hint: name the file `.parquet`".into());
        }
        Compression::None if format == Format::Parquet && !is_parquet => {
            return Err("the content is not Parquet (no `PAR1` magic bytes)".into());
        }
        _ => {}
    }
    Ok(())
}

fn utf8<'a>(bytes: &'a [u8], line: u64, what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("line {line}: {what} is not valid UTF-8 (byte {} of the field); hint: re-export the file as UTF-8", e.valid_up_to() + 1))
}

fn read_csv(
    input: &mut dyn BufRead,
    mapper: &Mapper<'_>,
    on_record: &mut dyn FnMut(Record<'_>),
) -> Result<Vec<String>, String> {
    // strip a UTF-8 byte-order mark
    let head = input.fill_buf().map_err(|e| format!("read error: {e}"))?;
    if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        input.consume(3);
    }
    let newlines = std::rc::Rc::new(std::cell::RefCell::new(std::collections::VecDeque::new()));
    let counting = LineEnds {
        inner: input,
        offset: 0,
        newlines: newlines.clone(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(counting);
    let header_record = reader.byte_headers().map_err(|e| csv_message(&e))?.clone();
    if header_record.is_empty() || (header_record.len() == 1 && header_record[0].is_empty()) {
        return Err("the file is empty; expected a header row naming the columns".into());
    }
    let header: Vec<String> = header_record
        .iter()
        .map(|h| utf8(h, 1, "the header").map(str::to_string))
        .collect::<Result<_, _>>()?;
    let (mapping, unknown) = mapper.map_checked(&header)?;
    let mut record = csv::ByteRecord::new();
    let ncols = mapper.spec.columns.len();
    let mut lines_passed = 0u64;
    // one allocation for every record's fields and cells, rather than two per record
    let mut texts_buf: Vec<&str> = Vec::new();
    let mut cells_buf: Vec<Option<&str>> = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_message(&e)),
        }
        // the physical line: one plus the line ends before the record's first byte (a record
        // never starts with a line end, so one at its start offset, left by a CRLF, counts)
        let start = record.position().map(|p| p.byte()).unwrap_or(0);
        let line = {
            let mut q = newlines.borrow_mut();
            while q.front().is_some_and(|off| *off <= start) {
                q.pop_front();
                lines_passed += 1;
            }
            lines_passed + 1
        };
        let mut texts: Vec<&str> = recycle(std::mem::take(&mut texts_buf));
        for field in record.iter() {
            texts.push(utf8(field, line, "a field")?);
        }
        // a blank line is no record
        if texts.len() == 1 && texts[0].is_empty() && header.len() > 1 {
            texts_buf = recycle(texts);
            continue;
        }
        let mut cells: Vec<Option<&str>> = recycle(std::mem::take(&mut cells_buf));
        cells.resize(ncols, None);
        for (i, t) in texts.iter().enumerate() {
            if let Some(Some(idx)) = mapping.get(i) {
                cells[*idx] = Some(t);
            }
        }
        let ragged = texts.len() != header.len();
        let raw = || raw_record(&header, &texts);
        if ragged {
            // mark the row malformed by handing the validator no cells at all plus the flag
            let empty: Vec<Option<&str>> = vec![None; 0];
            on_record(Record {
                line,
                cells: &empty,
                raw: &raw,
            });
        } else {
            on_record(Record {
                line,
                cells: &cells,
                raw: &raw,
            });
        }
        texts_buf = recycle(texts);
        cells_buf = recycle(cells);
    }
    Ok(unknown)
}

/// A CSV record as the quarantine keeps it: a JSON object of text by header name (fields past
/// the header named `_extra_N`).
pub(super) fn raw_record(header: &[String], texts: &[&str]) -> String {
    let mut map = serde_json::Map::new();
    for (i, t) in texts.iter().enumerate() {
        let key = header
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("_extra_{}", i + 1));
        map.insert(key, serde_json::Value::String((*t).to_string()));
    }
    serde_json::Value::Object(map).to_string()
}

/// An empty vector that reuses `v`'s allocation for items of another lifetime (collecting an
/// iterator of a vector into a vector of the same layout keeps the allocation).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// A reader that notes the offset of every `\n` it passes on, so a record's start offset can
/// be turned into a physical line (the csv crate's own line count skips line ends inside
/// quoted fields). Offsets already behind the reader's position are dropped by the caller.
struct LineEnds<R> {
    inner: R,
    offset: u64,
    newlines: std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>,
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut q = self.newlines.borrow_mut();
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                q.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => format!("read error: {io}; the file may be truncated or corrupt"),
        csv::ErrorKind::Utf8 { pos, .. } => format!(
            "line {}: not valid UTF-8; hint: re-export the file as UTF-8",
            pos.as_ref().map(|p| p.line()).unwrap_or(0)
        ),
        _ => e.to_string().to_lowercase(),
    }
}

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn read_ndjson(
    input: &mut dyn BufRead,
    mapper: &Mapper<'_>,
    on_record: &mut dyn FnMut(Record<'_>),
) -> Result<Vec<String>, String> {
    let ncols = mapper.spec.columns.len();
    let mut seen = vec![false; ncols];
    let mut key_map: HashMap<String, Option<usize>> = HashMap::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut any = false;
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(|e| {
            format!("read error after line {line_no}: {e}; the file may be truncated")
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let mut bytes = buf.as_slice();
        if line_no == 1 && bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
            bytes = &bytes[3..];
        }
        let text = utf8(bytes, line_no, "the line")?.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        any = true;
        let raw_line = text.to_string();
        let raw = || raw_line.clone();
        let parsed: Option<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(text).ok();
        let Some(obj) = parsed else {
            let empty: Vec<Option<&str>> = Vec::new();
            on_record(Record {
                line: line_no,
                cells: &empty,
                raw: &raw,
            });
            continue;
        };
        let mut owned: Vec<Option<String>> = vec![None; ncols];
        for (k, v) in &obj {
            let idx = *key_map.entry(k.clone()).or_insert_with(|| {
                let (m, u) = mapper.map_header(std::slice::from_ref(k));
                unknown.extend(u);
                m[0]
            });
            if let Some(idx) = idx {
                seen[idx] = true;
                if owned[idx].is_none() {
                    owned[idx] = json_text(v);
                }
            }
        }
        let cells: Vec<Option<&str>> = owned.iter().map(|o| o.as_deref()).collect();
        on_record(Record {
            line: line_no,
            cells: &cells,
            raw: &raw,
        });
    }
    if !any {
        return Err("the file is empty; expected one JSON object per line".into());
    }
    let found: Vec<String> = key_map.keys().cloned().collect();
    let mut found = found;
    found.sort();
    if let Some(msg) = mapper.missing_required(&seen, &found) {
        return Err(msg.replace("column", "field"));
    }
    Ok(unknown)
}

fn read_parquet(
    input: &mut dyn BufRead,
    mapper: &Mapper<'_>,
    on_record: &mut dyn FnMut(Record<'_>),
) -> Result<Vec<String>, String> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read error: {e}"))?;
    if bytes.len() < 12 || !bytes.ends_with(b"PAR1") {
        return Err("the Parquet file is truncated (no footer)".into());
    }
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let header: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (mapping, unknown) = mapper.map_checked(&header)?;
    let texts: Vec<StringChunked> = df
        .columns()
        .iter()
        .map(|c| column_as_text(c.as_materialized_series()))
        .collect::<Result<_, _>>()?;
    let mut cells: Vec<Option<&str>> = vec![None; mapper.spec.columns.len()];
    for row in 0..df.height() {
        cells.iter_mut().for_each(|c| *c = None);
        let values: Vec<Option<&str>> = texts.iter().map(|t| t.get(row)).collect();
        for (i, v) in values.iter().enumerate() {
            if let Some(Some(idx)) = mapping.get(i) {
                cells[*idx] = *v;
            }
        }
        let raw = || {
            let mut map = serde_json::Map::new();
            for (h, v) in header.iter().zip(&values) {
                map.insert(
                    h.clone(),
                    v.map(|s| serde_json::Value::String(s.to_string()))
                        .unwrap_or(serde_json::Value::Null),
                );
            }
            serde_json::Value::Object(map).to_string()
        };
        on_record(Record {
            line: row as u64 + 1,
            cells: &cells,
            raw: &raw,
        });
    }
    Ok(unknown)
}

/// A typed Parquet column as text the validator parses: instants with an offset (`Z`),
/// naive datetimes without one (so `input_tz` applies), dates as `YYYY-MM-DD`, numbers and
/// decimals in plain notation.
fn column_as_text(s: &Series) -> Result<StringChunked, String> {
    let fail = |e: PolarsError| format!("column `{}`: cannot read as text: {e}", s.name());
    let out = match s.dtype() {
        DataType::Datetime(_, Some(_)) => {
            let utc = s
                .cast(&DataType::Datetime(
                    TimeUnit::Microseconds,
                    Some(TimeZone::UTC),
                ))
                .map_err(fail)?;
            utc.datetime()
                .map_err(fail)?
                .to_string("%Y-%m-%dT%H:%M:%S%.fZ")
                .map_err(fail)?
                .into_series()
        }
        DataType::Datetime(_, None) => {
            let us = s
                .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                .map_err(fail)?;
            us.datetime()
                .map_err(fail)?
                .to_string("%Y-%m-%dT%H:%M:%S%.f")
                .map_err(fail)?
                .into_series()
        }
        _ => s.cast(&DataType::String).map_err(fail)?,
    };
    out.str().cloned().map_err(fail)
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
