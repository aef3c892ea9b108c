//! Schema evolution: how the lake's files, written by older opsbench versions, are read with
//! today's canonical schema, from their Parquet footers only (never the data).
//!
//! - A column the canonical schema has and a file lacks (an optional column added later)
//!   reads as null in that file's rows; `lake status` lists the partitions that predate it.
//! - A column whose stored type differs is read through a cast when the cast is lossless
//!   (an integer widened, an integer or real read as a decimal with at least its scale… see
//!   [`lossless`]); any other change would lose data and is refused with an error naming the
//!   dataset, the column, the file and both types.
//! - A stored column the canonical schema no longer has is ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, PolarsContext, Result};
use crate::schema::Dataset;

/// A file's columns and their types, from its footer.
pub fn file_schema(path: &Path) -> Result<Schema> {
    let mut reader = ParquetReader::new(fs_err::File::open(path)?.into_parts().0);
    let arrow = reader
        .schema()
        .ctx(|| format!("reading the footer of {}", path.display()))?;
    Ok(arrow
        .iter_values()
        .map(|f| Field::new(f.name.clone(), DataType::from_arrow_field(f)))
        .collect())
}

/// Whether reading a `stored` column as `wanted` keeps every value.
pub fn lossless(stored: &DataType, wanted: &DataType) -> bool {
    use DataType::*;
    if stored == wanted {
        return true;
    }
    match (stored, wanted) {
        (Int8 | Int16 | Int32 | UInt8 | UInt16 | UInt32, Int64) => true,
        (Int8 | Int16 | Int32 | UInt8 | UInt16 | Float32, Float64) => true,
        (Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32, Decimal(_, _)) => true,
        (Decimal(p1, s1), Decimal(p2, s2)) => s2 >= s1 && (p2 - s2) >= (p1 - s1),
        (String, String) => true,
        (Date, Datetime(_, _)) => true,
        (Datetime(u1, _), Datetime(u2, _)) => {
            // a finer unit keeps every value
            let rank = |u: &TimeUnit| match u {
                TimeUnit::Milliseconds => 0,
                TimeUnit::Microseconds => 1,
                TimeUnit::Nanoseconds => 2,
            };
            rank(u2) >= rank(u1)
        }
        (Categorical(_, _), String) => true,
        _ => false,
    }
}

/// How one file differs from the canonical schema.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileDiff {
    /// Canonical columns the file lacks (they read as null).
    pub missing: Vec<String>,
    /// Columns stored with another, losslessly castable type.
    pub cast: Vec<String>,
}

/// Compare a file's schema with the canonical one; `Err` on a change that would lose data.
pub fn diff(
    dataset: Dataset,
    path: &Path,
    stored: &Schema,
    canonical: &Schema,
) -> Result<FileDiff> {
    let mut out = FileDiff::default();
    for (name, wanted) in canonical.iter() {
        match stored.get(name) {
            None => out.missing.push(name.to_string()),
            Some(t) if t == wanted => {}
            Some(t) if lossless(t, wanted) => out.cast.push(name.to_string()),
            Some(t) => {
                return Err(Error::Lake {
                    path: path.to_path_buf(),
                    message: format!(
                        "the {dataset} column `{name}` is stored as `{t}` but opsbench now reads it as `{wanted}`, which would lose data; hint: re-ingest the exports of {dataset} into a new lake with this version, or keep the older opsbench for this lake"
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// Scan `files` with the canonical schema: one scan for the files that only lack columns, one
/// per group of files with castable types, each cast and concatenated.
pub fn scan(
    dataset: Dataset,
    files: &[PathBuf],
    canonical: &Schema,
    one: impl Fn(&[PathBuf]) -> Result<LazyFrame>,
) -> Result<LazyFrame> {
    let mut plain = Vec::new();
    let mut castable: BTreeMap<Vec<String>, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        let stored = file_schema(f)?;
        let d = diff(dataset, f, &stored, canonical)?;
        if d.cast.is_empty() {
            plain.push(f.clone());
        } else {
            castable.entry(d.cast).or_default().push(f.clone());
        }
    }
    if castable.is_empty() {
        return one(files);
    }
    let mut parts = Vec::new();
    if !plain.is_empty() {
        parts.push(one(&plain)?);
    }
    for group in castable.values() {
        // read the group with its own stored types, then cast to the canonical ones
        let stored = file_schema(&group[0])?;
        let mut exprs = Vec::new();
        for (name, wanted) in canonical.iter() {
            exprs.push(match stored.get(name) {
                Some(_) => col(name.clone()).cast(wanted.clone()),
                None => lit(NULL).cast(wanted.clone()).alias(name.clone()),
            });
        }
        let paths: Vec<PlRefPath> = group
            .iter()
            .map(|p| PlRefPath::new(p.to_string_lossy().as_ref()))
            .collect();
        let args = ScanArgsParquet {
            allow_missing_columns: true,
            glob: false,
            ..Default::default()
        };
        let lf = LazyFrame::scan_parquet_files(paths.into(), args)
            .ctx(|| format!("scanning older {dataset} files"))?
            .select(exprs);
        parts.push(lf);
    }
    concat(parts, UnionArgs::default()).ctx(|| format!("reading the {dataset} files of the lake"))
}

/// Per canonical column a file lacks, the partitions (`date=…` folder names) that lack it.
pub fn predating(
    dataset: Dataset,
    files: &[PathBuf],
    canonical: &Schema,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        let stored = file_schema(f)?;
        let d = diff(dataset, f, &stored, canonical)?;
        let part = f
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        for c in d.missing {
            let v = out.entry(c).or_default();
            if !v.contains(&part) {
                v.push(part.clone());
            }
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_is_lossless_narrowing_is_not() {
        use DataType::*;
        assert!(lossless(&Int32, &Int64));
        assert!(lossless(&Int64, &Decimal(38, 12)));
        assert!(!lossless(&Decimal(38, 6), &Decimal(38, 12)));
        assert!(lossless(&Decimal(20, 6), &Decimal(38, 12)));
        assert!(!lossless(&Float64, &Int64));
        assert!(!lossless(&String, &Int64));
        assert!(!lossless(&Datetime(TimeUnit::Microseconds, None), &Date));
        assert!(lossless(&Date, &Datetime(TimeUnit::Microseconds, None)));
    }
}
