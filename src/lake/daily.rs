//! Materialised per-day aggregates, so a nightly run costs what the new data costs: today the
//! CCU summed over shards per (region, sample time), which the impact, cost and forecast stages
//! read ([`Lake::ccu_samples`]).
//!
//! Layout: `LAKE/_derived/daily/ccu_samples/date=YYYY-MM-DD/KEY.parquet`, one file per CCU
//! partition day, columns `region`, `ts` (Int64 µs), `ccu` (Int64), sorted by (region, ts).
//! `KEY` is a SHA-256 of the aggregate's version and the names and sizes of the partition's
//! files. The lake names every file it commits after its run (`part-RUN_ID.parquet`), so any
//! change to a day (new rows, a restated or late row, `--force`, `lake compact`, a retention
//! prune) gives the day a new key and only that day is recomputed; an unchanged day is read
//! back. A run therefore reads the aggregates of untouched days and scans only touched
//! partitions. The figures do not depend on whether a day came from here or was recomputed:
//! the aggregate is exact integer sums (a test proves the outputs byte-identical).
//!
//! The cache is not part of the lake's commit protocol and takes no lock: readers of the lake
//! (`metrics`, `report`, `gate`) fill it as they go. A file is written under a temporary name
//! and renamed, so a reader sees a whole file or none; one that cannot be read is recomputed,
//! and one that cannot be written (a read-only lake) is only a warning. Stale keys of a day and
//! days whose partition is gone are removed when noticed. Paths are built from parsed dates
//! and hex digests only, never from data.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{DAY_US, Lake, scan_files};
use crate::error::{PolarsContext, Result};
use crate::metrics::samples::CcuSamples;
use crate::schema::Dataset;

/// Bump when the aggregate's definition or layout changes: every day is then recomputed.
const CCU_SAMPLES_VERSION: &str = "ccu_samples/1";

/// What a call found: how many days were read back and how many recomputed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DailyStats {
    pub reused: usize,
    pub recomputed: usize,
}

fn cache_dir(root: &Path) -> PathBuf {
    root.join("_derived").join("daily").join("ccu_samples")
}

/// The key of a partition day: the version and each file's name and size.
fn day_key(files: &[PathBuf]) -> Result<String> {
    let mut h = Sha256::new();
    h.update(CCU_SAMPLES_VERSION.as_bytes());
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let size = fs_err::metadata(f)?.len();
        h.update(format!("\n{name}\t{size}").as_bytes());
    }
    Ok(format!("{:x}", h.finalize()))
}

impl Lake {
    /// The CCU summed over shards per (region, ts), for every partition day up to `as_of`'s
    /// (the stages cut at `as_of` themselves), with how many days came from the materialised
    /// aggregates. `None` when the lake has no CCU.
    pub fn ccu_samples(&self, as_of: DateTime<Utc>) -> Result<Option<(CcuSamples, DailyStats)>> {
        let mut days = self.files_by_date(Dataset::Ccu)?;
        if days.is_empty() {
            return Ok(None);
        }
        days.reverse(); // oldest first
        let last_day = as_of.date_naive();
        let dir = cache_dir(&self.root);
        let mut stats = DailyStats::default();
        let mut parts: Vec<(NaiveDate, PathBuf)> = Vec::new();
        let mut todo: Vec<(NaiveDate, Vec<PathBuf>, PathBuf)> = Vec::new();
        for (date, files) in days.iter().filter(|(d, _)| *d <= last_day) {
            let path = dir
                .join(format!("date={}", date.format("%Y-%m-%d")))
                .join(format!("{}.parquet", day_key(files)?));
            if path.exists() {
                parts.push((*date, path));
            } else {
                todo.push((*date, files.clone(), path));
            }
        }
        // read back the kept days in one scan; a damaged file sends its day to `todo`
        let kept = read_kept(&parts);
        let mut frames: Vec<(NaiveDate, DataFrame)> = Vec::new();
        match kept {
            Ok(df) => {
                stats.reused = parts.len();
                if df.height() > 0 {
                    frames.push((parts[0].0, df));
                }
            }
            Err(e) => {
                tracing::warn!("re-computing the daily ccu aggregates: {e}");
                for (date, path) in parts.drain(..) {
                    let files = days
                        .iter()
                        .find(|(d, _)| *d == date)
                        .map(|(_, f)| f.clone())
                        .unwrap_or_default();
                    todo.push((date, files, path));
                }
                todo.sort_by_key(|t| t.0);
            }
        }
        if !todo.is_empty() {
            stats.recomputed = todo.len();
            for (date, df) in self.compute_days(&todo)? {
                frames.push((date, df));
            }
        }
        let mut samples = CcuSamples::default();
        for (_, df) in &frames {
            samples.extend(df)?;
        }
        let samples = samples.finish();
        let present: BTreeSet<NaiveDate> = days.iter().map(|(d, _)| *d).collect();
        let recomputed: Vec<PathBuf> = todo.iter().map(|t| t.2.clone()).collect();
        remove_stale(&dir, &present, &recomputed);
        tracing::debug!(
            reused = stats.reused,
            recomputed = stats.recomputed,
            "daily ccu aggregates"
        );
        Ok(Some((samples, stats)))
    }

    /// Sum the partitions of the days in `todo` per (region, ts) and store each day's
    /// aggregate; returns them by day. Days are scanned in groups of about
    /// [`GROUP_FILE_BYTES`] of partition files, one group after the other: one scan per group
    /// keeps the per-scan cost low, and memory follows a group, not the history. A partition
    /// day without rows gets an empty aggregate, so it is not recomputed nightly.
    fn compute_days(
        &self,
        todo: &[(NaiveDate, Vec<PathBuf>, PathBuf)],
    ) -> Result<Vec<(NaiveDate, DataFrame)>> {
        type Day = (NaiveDate, Vec<PathBuf>, PathBuf);
        let mut groups: Vec<Vec<&Day>> = Vec::new();
        let mut bytes = 0u64;
        for t in todo {
            let size: u64 =
                t.1.iter()
                    .map(|f| fs_err::metadata(f).map(|m| m.len()).unwrap_or(0))
                    .sum();
            match groups.last_mut() {
                Some(g) if bytes + size <= GROUP_FILE_BYTES => g.push(t),
                _ => {
                    groups.push(vec![t]);
                    bytes = 0;
                }
            }
            bytes += size;
        }
        // a few groups at a time, each on its own thread (polars spreads each scan over the
        // cores; these threads are no rayon workers, so scans never pile up while one waits)
        let next = std::sync::atomic::AtomicUsize::new(0);
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, SCANS_AT_ONCE);
        let mut done: Vec<(usize, Result<DayFrames>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(g) = groups.get(i) else {
                                break;
                            };
                            mine.push((i, compute_group(g)));
                        }
                        mine
                    })
                })
                .collect();
            let mut all = Vec::new();
            for h in handles {
                match h.join() {
                    Ok(mine) => all.extend(mine),
                    Err(_) => all.push((
                        usize::MAX,
                        Err(crate::error::Error::Usage(
                            "internal: a thread computing ccu aggregates panicked".into(),
                        )),
                    )),
                }
            }
            all
        });
        done.sort_by_key(|(i, _)| *i);
        let mut out = Vec::with_capacity(todo.len());
        for (_, r) in done {
            out.extend(r?);
        }
        Ok(out)
    }
}

/// Partition file bytes scanned at once when recomputing aggregates: zstd Parquet of CCU holds
/// about a million rows in 1.4 MB. Measured on the cold `metrics` of the benchmark lakes: a
/// day per scan cost 0.97 s at 10 M rows (90 small scans), 8 MB per scan cost 2.4 s and
/// 500 MB at 100 M; 2 MB gave 0.68–0.75 s / 180 MB and 1.85–1.95 s / 240 MB.
const GROUP_FILE_BYTES: u64 = 2 << 20;

/// Aggregates by day, as computed.
type DayFrames = Vec<(NaiveDate, DataFrame)>;

/// Groups scanned at the same time (at most; fewer on a machine with fewer cores).
const SCANS_AT_ONCE: usize = 2;

/// One scan of a group of days: sums, cut by day, sorted, stored.
fn compute_group(
    group: &[&(NaiveDate, Vec<PathBuf>, PathBuf)],
) -> Result<Vec<(NaiveDate, DataFrame)>> {
    let files: Vec<PathBuf> = group.iter().flat_map(|t| t.1.iter().cloned()).collect();
    let rows = scan_files(Dataset::Ccu, &files)?
        .select([
            col("region"),
            col("ts").dt().timestamp(TimeUnit::Microseconds).alias("ts"),
            col("ccu").cast(DataType::Int64),
        ])
        .collect()
        .ctx(|| "reading ccu samples".into())?;
    // partition files are in (ts, region, shard) order: one pass sums them
    if let Some(days) = super::daily_sums::by_day(&rows)? {
        let mut out: Vec<(NaiveDate, DataFrame)> = days
            .into_iter()
            .map(|(day, df)| (super::day_to_date(day as i32), df))
            .collect();
        add_empty_days(group, &mut out)?;
        return Ok(out);
    }
    let summed = rows
        .lazy()
        .drop_nulls(None)
        .group_by([col("region"), col("ts")])
        .agg([col("ccu").sum()])
        .with_column((col("ts").floor_div(lit(DAY_US))).alias("_day"))
        .collect()
        .ctx(|| "ccu summed over shards per sample".into())?
        .partition_by(["_day"], true)
        .ctx(|| "ccu samples by day".into())?;
    let mut out: Vec<(NaiveDate, DataFrame)> = summed
        .into_par_iter()
        .map(|part| {
            let day = part
                .column("_day")
                .and_then(|c| c.i64().cloned())
                .ctx(|| "ccu sample day".into())?
                .get(0)
                .unwrap_or_default();
            let date = super::day_to_date(day as i32);
            let df = part
                .lazy()
                .select([col("region"), col("ts"), col("ccu")])
                .sort(["region", "ts"], SortMultipleOptions::default())
                .collect()
                .ctx(|| format!("sorting the ccu samples of {date}"))?;
            Ok((date, df))
        })
        .collect::<Result<_>>()?;
    add_empty_days(group, &mut out)?;
    Ok(out)
}

/// An empty aggregate for each day of the group without rows (so it is not recomputed
/// nightly), then every day's aggregate stored.
fn add_empty_days(
    group: &[&(NaiveDate, Vec<PathBuf>, PathBuf)],
    out: &mut Vec<(NaiveDate, DataFrame)>,
) -> Result<()> {
    for (date, _, _) in group {
        if !out.iter().any(|(d, _)| d == date) {
            let empty = DataFrame::new_infer_height(vec![
                Column::new_empty("region".into(), &DataType::String),
                Column::new_empty("ts".into(), &DataType::Int64),
                Column::new_empty("ccu".into(), &DataType::Int64),
            ])
            .ctx(|| "an empty ccu aggregate".into())?;
            out.push((*date, empty));
        }
    }
    for (date, df) in out.iter_mut() {
        if let Some((_, _, path)) = group.iter().find(|t| t.0 == *date)
            && let Err(e) = write_cache(df, path)
        {
            tracing::warn!("could not keep the daily ccu aggregate of {date}: {e}");
        }
    }
    Ok(())
}

/// Read the kept days' files (in parallel: they are small and many), in day order, as one
/// frame.
fn read_kept(parts: &[(NaiveDate, PathBuf)]) -> Result<DataFrame> {
    let frames: Vec<Result<DataFrame>> = parts
        .par_iter()
        .map(|(_, path)| {
            let file = fs_err::File::open(path)?;
            ParquetReader::new(file.into_parts().0)
                .finish()
                .ctx(|| format!("reading `{}`", path.display()))
        })
        .collect();
    let mut out: Option<DataFrame> = None;
    for f in frames {
        let f = f?;
        match &mut out {
            None => out = Some(f),
            Some(o) => {
                o.vstack_mut_owned(f)
                    .ctx(|| "joining the daily ccu aggregates".into())?;
            }
        }
    }
    Ok(out.unwrap_or_else(DataFrame::empty))
}

/// Write a cache file (here, and `monthly`'s copies) under a temporary name and rename it (no
/// fsync: a file lost in a crash is only recomputed).
pub(super) fn write_cache(df: &mut DataFrame, path: &Path) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    // unique per writer: two threads of one command may make the same file at once
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{seq}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    {
        let file = fs_err::File::create(&tmp)?;
        let mut out = std::io::BufWriter::new(file);
        ParquetWriter::new(&mut out)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)
            .ctx(|| format!("writing `{}`", tmp.display()))?;
        std::io::Write::flush(&mut out)?;
    }
    fs_err::rename(&tmp, path)?;
    Ok(())
}

/// Remove the other keys of the days just recomputed (only a recomputed day can have a stale
/// key), and the days whose partition is gone. Best effort: the cache is only ever a shortcut.
fn remove_stale(dir: &Path, present: &BTreeSet<NaiveDate>, recomputed: &[PathBuf]) {
    for path in recomputed {
        let Some(day_dir) = path.parent() else {
            continue;
        };
        let Ok(keys) = std::fs::read_dir(day_dir) else {
            continue;
        };
        for k in keys.flatten() {
            let p = k.path();
            if p != *path && !k.file_name().to_string_lossy().starts_with('.') {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let date = name
            .strip_prefix("date=")
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if date.is_some_and(|d| !present.contains(&d)) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
