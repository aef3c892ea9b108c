//! The fast path for plain CSV exports: the file (already in memory, just hashed) is cut into
//! pieces at line ends, and on every core each piece is split into cells and validated in the
//! same pass: a piece that breaks no rule goes straight into typed columns ([`clean`]), any
//! other through the row-by-row validator ([`FileBuilder`], the rules every format gets).
//! Nothing reads the file twice. It does no I/O of its own: the caller falls back to the
//! record reader of `read.rs` when this returns `None`.
//!
//! Only files where every record is one physical line, so that a row's index gives its line
//! for the quarantine, take this path: no `"` anywhere (no quoted field can span lines), no
//! `\r`, no blank line, a header of two columns or more naming every required column, valid
//! UTF-8, and every line holding exactly the header's number of fields. A file that breaks any
//! of these is read by the record reader, which quarantines ragged rows and gives the refusal
//! messages; the result is the same, only slower. It must never decide a row's fate itself.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use polars::prelude::*;
use rayon::prelude::*;

use super::clean::{self, Clean};
use super::read::{self, Mapper, Record};
use super::validate::{self, BadRow, FileBuilder, RuleCount};
use crate::error::{PolarsContext, Result};
use crate::schema::{Dataset, Rule};

/// Bytes per piece (one piece per task on the thread pool), cut at the next line end.
const PIECE_BYTES: usize = 2 << 20;

/// The largest export read whole into memory; a larger one streams through the record reader.
pub const MAX_BYTES: u64 = 256 << 20;

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
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(None);
    };
    let pieces = cut(text);
    let lines: Vec<usize> = pieces
        .par_iter()
        .map(|p| p.bytes().filter(|b| *b == b'\n').count() + usize::from(!p.ends_with('\n')))
        .collect();
    // the header is line 1 and every record is one line
    let mut first_line = Vec::with_capacity(pieces.len());
    let mut next = 2u64;
    for n in &lines {
        first_line.push(next);
        next += *n as u64;
    }
    let job = Job {
        header: &header,
        mapping: &mapping,
        dataset,
        tz,
    };
    let pieces: Vec<Result<Option<Piece>>> = pieces
        .par_iter()
        .zip(lines)
        .zip(first_line)
        .map(|((text, rows), first)| job.piece(text, rows, first))
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
        let Some(piece) = piece? else {
            return Ok(None);
        };
        frames.push(piece.frame);
        out.bad.extend(piece.bad);
        validate::absorb_rules(&mut out.rules, piece.rules);
        out.rows_read += piece.rows_read;
    }
    out.frame = stack(frames)?;
    Ok(Some(out))
}

/// `text` in pieces of about [`PIECE_BYTES`], each ending at a line end (but the last).
fn cut(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end = match bytes.get(start + PIECE_BYTES..) {
            Some(rest) => {
                memchr::memchr(b'\n', rest).map_or(bytes.len(), |i| start + PIECE_BYTES + i + 1)
            }
            None => bytes.len(),
        };
        // a line end is ASCII, so `end` is a character boundary
        pieces.push(&text[start..end]);
        start = end;
    }
    pieces
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

/// What every piece of one file shares.
struct Job<'a> {
    header: &'a [String],
    mapping: &'a [Option<usize>],
    dataset: Dataset,
    tz: Tz,
}

impl Job<'_> {
    /// Validate the `rows` lines of one piece, the first being line `first`; `None` when a
    /// line is ragged (the file is then not plain).
    fn piece(&self, text: &str, rows: usize, first: u64) -> Result<Option<Piece>> {
        let width = self.header.len();
        if clean::covers(self.dataset) {
            match clean::piece(
                text,
                rows,
                width,
                self.mapping,
                self.dataset,
                self.tz,
                first,
            )? {
                Clean::Rows(frame) => {
                    return Ok(Some(Piece {
                        rows_read: frame.height() as u64,
                        frame,
                        bad: Vec::new(),
                        rules: BTreeMap::new(),
                    }));
                }
                Clean::Ragged => return Ok(None),
                Clean::Rules => {}
            }
        }
        let ncols = self.dataset.spec().columns.len();
        let mut builder = FileBuilder::with_capacity(self.dataset, self.tz, rows);
        let mut texts: Vec<&str> = Vec::with_capacity(width);
        let mut cells: Vec<Option<&str>> = vec![None; ncols];
        for (i, line) in text.split_terminator('\n').enumerate() {
            texts.clear();
            texts.extend(line.split(','));
            if texts.len() != width {
                return Ok(None);
            }
            cells.iter_mut().for_each(|c| *c = None);
            for (t, m) in texts.iter().zip(self.mapping) {
                if let Some(idx) = m {
                    cells[*idx] = Some(t);
                }
            }
            let raw = || read::raw_record(self.header, &texts);
            builder.push(Record {
                line: first + i as u64,
                cells: &cells,
                raw: &raw,
            });
        }
        let bad = std::mem::take(&mut builder.bad);
        let rules = std::mem::take(&mut builder.rules);
        let rows_read = builder.rows_read;
        Ok(Some(Piece {
            frame: builder.finish()?,
            bad,
            rules,
            rows_read,
        }))
    }
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
