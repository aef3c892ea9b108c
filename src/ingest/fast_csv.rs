//! The fast path for plain CSV exports: polars' multi-threaded CSV reader splits the file into
//! text columns, and the validator ([`FileBuilder`], the same rules as every other format)
//! runs over those columns in pieces on every core. It does no I/O of its own: the caller
//! hands it the file's bytes (which it has just hashed) and falls back to the record reader of
//! `read.rs` when this returns `None`.
//!
//! Only files where every record is one physical line, so that a row's index gives its line
//! for the quarantine, take this path: no `"` anywhere (no quoted field can span lines), no
//! `\r`, no blank line, a header of two columns or more naming every required column, valid
//! UTF-8, and every line holding exactly the header's number of fields. A file that breaks any
//! of these is read by the record reader, which quarantines ragged rows and gives the refusal
//! messages; the result is the same, only slower. It must never decide a row's fate itself.

use std::collections::BTreeMap;
use std::io::Cursor;

use chrono_tz::Tz;
use polars::prelude::*;
use rayon::prelude::*;

use super::clean;
use super::read::{Mapper, Record};
use super::validate::{self, BadRow, FileBuilder, RuleCount};
use crate::error::{PolarsContext, Result};
use crate::schema::{Dataset, Rule};

/// Rows validated per piece (one piece per task on the thread pool).
const PIECE_ROWS: usize = 1 << 16;

/// The largest export read whole into memory; a larger one streams through the record reader.
pub const MAX_BYTES: u64 = 512 << 20;

/// What reading and validating one file gave.
pub struct Validated {
    /// The good rows, canonical columns plus `_line`, in file order.
    pub frame: DataFrame,
    /// Quarantined rows, in file order.
    pub bad: Vec<BadRow>,
    /// Rules that fired, with counts and the first examples in file order.
    pub rules: BTreeMap<Rule, RuleCount>,
    pub rows_read: u64,
    pub unknown_columns: Vec<String>,
}

/// Read and validate a plain CSV export held in `bytes`; `None` when the file is not of the
/// plain shape this path handles (see the module doc).
pub fn read(
    bytes: &[u8],
    mapper: &Mapper<'_>,
    dataset: Dataset,
    tz: Tz,
) -> Result<Option<Validated>> {
    let Some((header, data)) = plain_parts(bytes) else {
        return Ok(None);
    };
    let Ok((mapping, unknown_columns)) = mapper.map_checked(&header) else {
        return Ok(None);
    };
    let schema: Schema = (1..=header.len())
        .map(|i| Field::new(format!("column_{i}").into(), DataType::String))
        .collect();
    let Ok(text) = CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .map_parse_options(|p| p.with_missing_is_null(false).with_quote_char(None))
        .into_reader_with_file_handle(Cursor::new(data))
        .finish()
    else {
        return Ok(None);
    };
    // polars refuses a line with too many fields and fills a short one, so the file is one
    // record per line, each of the header's width, exactly when the row count is the line
    // count and the separators are (width - 1) per line
    let (mut newlines, mut separators) = (0usize, 0usize);
    for b in data {
        newlines += usize::from(*b == b'\n');
        separators += usize::from(*b == b',');
    }
    let lines = newlines + usize::from(!data.ends_with(b"\n"));
    if text.height() != lines
        || separators != lines * (header.len() - 1)
        || text.columns().iter().any(|c| c.null_count() > 0)
    {
        return Ok(None);
    }
    let pieces: Vec<Result<Piece>> = (0..text.height().div_ceil(PIECE_ROWS))
        .into_par_iter()
        .map(|p| {
            let start = p * PIECE_ROWS;
            let len = PIECE_ROWS.min(text.height() - start);
            validate_piece(
                &text.slice(start as i64, len),
                start,
                &header,
                &mapping,
                dataset,
                tz,
            )
        })
        .collect();
    let mut out = Validated {
        frame: DataFrame::empty(),
        bad: Vec::new(),
        rules: BTreeMap::new(),
        rows_read: 0,
        unknown_columns,
    };
    let mut frames = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let piece = piece?;
        frames.push(piece.frame);
        out.bad.extend(piece.bad);
        validate::absorb_rules(&mut out.rules, piece.rules);
        out.rows_read += piece.rows_read;
    }
    out.frame = stack(frames)?;
    Ok(Some(out))
}

/// The header fields and the data lines of a file of the plain shape, if it is one.
fn plain_parts(bytes: &[u8]) -> Option<(Vec<String>, &[u8])> {
    if memchr::memchr2(b'"', b'\r', bytes).is_some()
        || memchr::memmem::find(bytes, b"\n\n").is_some()
    {
        return None;
    }
    let end = memchr::memchr(b'\n', bytes)?;
    let head = bytes[..end]
        .strip_prefix(&[0xef, 0xbb, 0xbf])
        .unwrap_or(&bytes[..end]);
    let header: Vec<String> = std::str::from_utf8(head)
        .ok()?
        .split(',')
        .map(str::to_string)
        .collect();
    let data = &bytes[end + 1..];
    (header.len() > 1 && !data.is_empty()).then_some((header, data))
}

struct Piece {
    frame: DataFrame,
    bad: Vec<BadRow>,
    rules: BTreeMap<Rule, RuleCount>,
    rows_read: u64,
}

/// Validate the rows of one piece (`first` is the index of its first row in the file).
fn validate_piece(
    text: &DataFrame,
    first: usize,
    header: &[String],
    mapping: &[Option<usize>],
    dataset: Dataset,
    tz: Tz,
) -> Result<Piece> {
    let columns: Vec<&StringChunked> = text
        .columns()
        .iter()
        .map(|c| c.str())
        .collect::<PolarsResult<_>>()
        .ctx(|| "reading the text columns".into())?;
    // the header is line 1 and every record is one line
    let first_line = first as u64 + 2;
    if let Some(frame) = clean::piece(&columns, mapping, dataset, tz, first_line)? {
        return Ok(Piece {
            rows_read: frame.height() as u64,
            frame,
            bad: Vec::new(),
            rules: BTreeMap::new(),
        });
    }
    let mut iters: Vec<_> = columns.iter().map(|c| c.iter()).collect();
    let ncols = dataset.spec().columns.len();
    let mut builder = FileBuilder::with_capacity(dataset, tz, text.height());
    let mut texts: Vec<&str> = Vec::with_capacity(header.len());
    let mut cells: Vec<Option<&str>> = vec![None; ncols];
    for row in 0..text.height() {
        texts.clear();
        texts.extend(iters.iter_mut().map(|it| it.next().flatten().unwrap_or("")));
        cells.iter_mut().for_each(|c| *c = None);
        for (t, m) in texts.iter().zip(mapping) {
            if let Some(idx) = m {
                cells[*idx] = Some(t);
            }
        }
        let raw = || {
            let map: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(&texts)
                .map(|(h, t)| (h.clone(), serde_json::Value::String((*t).to_string())))
                .collect();
            serde_json::Value::Object(map).to_string()
        };
        builder.push(Record {
            line: first_line + row as u64,
            cells: &cells,
            raw: &raw,
        });
    }
    let bad = std::mem::take(&mut builder.bad);
    let rules = std::mem::take(&mut builder.rules);
    let rows_read = builder.rows_read;
    Ok(Piece {
        frame: builder.finish()?,
        bad,
        rules,
        rows_read,
    })
}

fn stack(frames: Vec<DataFrame>) -> Result<DataFrame> {
    let mut it = frames.into_iter();
    let Some(mut first) = it.next() else {
        return Ok(DataFrame::empty());
    };
    for f in it {
        first
            .vstack_mut_owned(f)
            .ctx(|| "joining the pieces of a file".into())?;
    }
    Ok(first)
}

#[cfg(test)]
#[path = "fast_csv_tests.rs"]
mod tests;
