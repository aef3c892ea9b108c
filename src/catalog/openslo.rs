//! OpenSLO v1 documents (`slo_files`): each objective of a `kind: SLO` document becomes one
//! [`Slo`], keyed by (file, `metadata.name`, objective index).
//!
//! What is read (OpenSLO v1, <https://github.com/OpenSLO/OpenSLO>):
//! - files may hold several YAML documents separated by `---`; documents are numbered from 1
//!   in the file (empty documents are skipped and not counted). Documents of kind `SLI` can be
//!   referred to by `spec.indicatorRef` from any loaded file; `Service`, `DataSource`,
//!   `AlertPolicy`, `AlertCondition` and `AlertNotificationTarget` are skipped. Only
//!   `apiVersion: openslo/v1` is read.
//! - `spec.service`; `spec.budgetingMethod` (`Occurrences`, `Timeslices`, `RatioTimeslices`,
//!   in any case); `spec.timeWindow`: exactly one window, rolling (`isRolling: true`) or
//!   calendar-aligned (`calendar.startTime`, `calendar.timeZone`, default UTC); absent, the
//!   window is opsbench's default, 28 days rolling. Durations as in [`super::window`]: `1m` is
//!   one minute.
//! - per objective: `target` or `targetPercent` (one of them, in (0, 1) and (0, 100));
//!   `timeSliceTarget` (Timeslices, in (0, 1]); `timeSliceWindow` (both slice methods: a
//!   duration of minutes, hours, days or weeks, or a number of minutes); `op` and `value`
//!   (threshold SLIs); `displayName`.
//!
//! The `indicator` is not run. Its kind decides what is read from the `slo` dataset
//! ([`crate::metrics::slo_budget`]): a `ratioMetric` is availability, (requests − errors) /
//! requests; a `thresholdMetric` is the rows' `latency_p99_ms` compared with `value` by `op`,
//! each row one time slice. A threshold is taken to be on latency when the SLO's or the SLI's
//! `metadata.annotations` say `opsbench/column: latency_p99_ms` (annotations are the spec's
//! place for implementation-specific metadata), or else when the indicator's name or
//! `displayName` contains `latency`.
//!
//! Refused, naming the file, the document and the field (a config error, exit 2): YAML that
//! does not parse, another `apiVersion`, an unknown `kind` or budgeting method, no window or
//! more than one in `timeWindow`, a window shorter than one day or not a whole number of days
//! (opsbench's SLO windows are days; `1m` — one minute — is the usual slip for `1M`), a
//! `timeSliceWindow` longer than the window, a threshold on any metric but latency (the
//! dataset has no other), a threshold SLI with more than one objective (the spec allows one),
//! composite objectives (an `indicator` inside an objective), a target outside (0, 1), an
//! SLO name repeated in a file.
//!
//! YAML crate: `serde-saphyr` (deserialize only). `serde_yaml` is deprecated and unmaintained;
//! `serde_yaml_ng` and `serde_norway` are maintained forks of it but still parse through
//! `unsafe-libyaml`, a machine translation of C libyaml; `saphyr` is the pure-Rust YAML 1.2
//! parser without serde. `serde-saphyr` is serde on top of that parser: pure Rust
//! (`forbid(unsafe_code)`), actively released, built to be panic-free on any input, with
//! budgets against alias bombs, and errors that carry line and column. It is MIT OR
//! Apache-2.0, like opsbench, and added no feature to any crate already in the tree. Documents
//! are read into `serde_json::Value` (already a dependency) and walked by hand, so every error
//! names its field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::window::{SloWindow, SpecDuration, parse_start_time};
use super::{Slo, SloSource};
use crate::error::{Error, Result};
use crate::metrics::slo_budget::{BudgetingMethod, Sli, ThresholdOp};

/// The annotation naming the `slo` column a threshold SLI reads.
pub const COLUMN_ANNOTATION: &str = "opsbench/column";

/// The one column a threshold SLI may read.
pub const LATENCY_COLUMN: &str = "latency_p99_ms";

/// Kinds that are skipped without a word.
const SKIPPED_KINDS: [&str; 5] = [
    "Service",
    "DataSource",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
];

/// The window when a document gives none.
const DEFAULT_WINDOW_DAYS: u32 = 28;

/// Read the SLOs of every file matching `globs` (relative to `config_dir` unless absolute),
/// in path order. `origin` names the config file in errors about the globs themselves. A glob
/// that matches no file is an error: SLO targets decide the deploy gate, and a typo must not
/// fall back to defaults in silence.
pub fn load_slo_files(origin: &str, config_dir: &Path, globs: &[String]) -> Result<Vec<Slo>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for g in globs {
        // the folder is a path, not a pattern: a `[` in it must match itself
        let dir = config_dir.to_string_lossy();
        let pattern = if Path::new(g).is_absolute() || dir.is_empty() {
            g.clone()
        } else {
            Path::new(&glob::Pattern::escape(&dir))
                .join(g)
                .to_string_lossy()
                .into_owned()
        };
        let bad = |message: String| Error::config(origin, "slo_files", message);
        let mut matched = 0;
        for p in glob::glob(&pattern).map_err(|e| bad(format!("`{g}` is not a valid glob: {e}")))? {
            let p = p.map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
            if p.is_file() {
                matched += 1;
                files.push(p);
            }
        }
        if matched == 0 {
            return Err(bad(format!(
                "no file matches `{pattern}`; hint: fix the glob, or remove it from `slo_files`"
            )));
        }
    }
    files.sort();
    files.dedup();
    let mut texts = Vec::with_capacity(files.len());
    for f in files {
        let text = fs_err::read_to_string(&f)?;
        texts.push((f.display().to_string(), text));
    }
    parse_documents(&texts)
}

/// The SLOs of OpenSLO files given as (label, text): pure, for tests and for callers that read
/// the files themselves. The label names the file in errors and in [`SloSource::File`].
pub fn parse_documents(files: &[(String, String)]) -> Result<Vec<Slo>> {
    let mut docs: Vec<Doc<'_>> = Vec::new();
    let parsed: Vec<(&str, Vec<Value>)> = files
        .iter()
        .map(|(label, text)| Ok((label.as_str(), parse_yaml(label, text)?)))
        .collect::<Result<_>>()?;
    for (label, values) in &parsed {
        for (i, value) in values.iter().enumerate() {
            docs.push(Doc::new(label, i + 1, value)?);
        }
    }
    // SLIs by name, for `indicatorRef`
    let mut slis: BTreeMap<&str, &Doc<'_>> = BTreeMap::new();
    for d in docs.iter().filter(|d| d.kind == "SLI") {
        let name = d
            .name
            .ok_or_else(|| d.err("metadata.name", "an SLI needs a name"))?;
        if let Some(first) = slis.insert(name, d) {
            return Err(d.err(
                "metadata.name",
                format!(
                    "SLI `{name}` is also defined in `{}` document {}; an `indicatorRef` must name one SLI",
                    first.label, first.index
                ),
            ));
        }
    }
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut out = Vec::new();
    for d in docs.iter().filter(|d| d.kind == "SLO") {
        let name = d
            .name
            .ok_or_else(|| d.err("metadata.name", "an SLO needs a name"))?;
        if let Some(first) = seen.insert((d.label, name), d.index) {
            return Err(d.err(
                "metadata.name",
                format!(
                    "SLO `{name}` is also document {first} of this file; an SLO is keyed by (file, `metadata.name`, objective), so names must differ"
                ),
            ));
        }
        out.extend(parse_slo(d, name, &slis)?);
    }
    Ok(out)
}

/// The YAML documents of one file, as values.
fn parse_yaml(label: &str, text: &str) -> Result<Vec<Value>> {
    let values: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| Error::Refused {
        path: PathBuf::from(label),
        message: format!(
            "not valid YAML: {}",
            one_line(
                &e.without_snippet()
                    .to_string()
                    .trim_start_matches("error: ")
                    // advice for the library's caller, not for the file's author
                    .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
            )
        ),
    })?;
    if values.is_empty() {
        return Err(Error::Refused {
            path: PathBuf::from(label),
            message: "holds no YAML document; hint: an OpenSLO file holds one or more documents separated by `---`".into(),
        });
    }
    Ok(values)
}

/// The lines of a message joined with `; `, at most 300 characters.
fn one_line(s: &str) -> String {
    let joined = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    shorten(&joined, 300)
}

fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A value as shown in an error: strings as they are, the rest as JSON; one line, short.
fn shown(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    shorten(&text.escape_debug().to_string(), 80)
}

/// `v[key]`, with a YAML null (an empty value) read as absent.
fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object()?.get(key).filter(|x| !x.is_null())
}

/// One YAML document of a file.
struct Doc<'a> {
    label: &'a str,
    /// 1-based.
    index: usize,
    kind: &'a str,
    name: Option<&'a str>,
    value: &'a Value,
}

impl<'a> Doc<'a> {
    fn new(label: &'a str, index: usize, value: &'a Value) -> Result<Doc<'a>> {
        let mut d = Doc {
            label,
            index,
            kind: "",
            name: None,
            value,
        };
        if !value.is_object() {
            return Err(d.err(
                "",
                "expected a mapping with `apiVersion`, `kind`, `metadata` and `spec`",
            ));
        }
        d.name = get(value, "metadata")
            .and_then(|m| get(m, "name"))
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty());
        match get(value, "apiVersion") {
            Some(Value::String(v)) if v == "openslo/v1" => {}
            Some(other) => {
                return Err(d.err(
                    "apiVersion",
                    format!(
                        "`{}` is not supported; opsbench reads `openslo/v1` documents",
                        shown(other)
                    ),
                ));
            }
            None => return Err(d.err("apiVersion", "missing; expected `openslo/v1`")),
        }
        d.kind = match get(value, "kind") {
            Some(Value::String(k))
                if k == "SLO" || k == "SLI" || SKIPPED_KINDS.contains(&k.as_str()) =>
            {
                k
            }
            Some(other) => {
                return Err(d.err(
                    "kind",
                    format!(
                        "unknown kind `{}`; expected `SLO`, `SLI`, or one opsbench skips ({})",
                        shown(other),
                        SKIPPED_KINDS.map(|k| format!("`{k}`")).join(", ")
                    ),
                ));
            }
            None => return Err(d.err("kind", "missing; expected `SLO`")),
        };
        Ok(d)
    }

    /// A config error at `field` of this document.
    fn err(&self, field: &str, message: impl Into<String>) -> Error {
        let origin = match self.name {
            Some(n) => format!("{}: document {} (`{n}`)", self.label, self.index),
            None => format!("{}: document {}", self.label, self.index),
        };
        Error::config(origin, field, message)
    }

    /// A required mapping at `field` (`a.b`) of `v`.
    fn mapping<'v>(&self, v: &'v Value, key: &str, field: &str) -> Result<&'v Value> {
        match get(v, key) {
            Some(m) if m.is_object() => Ok(m),
            Some(other) => Err(self.err(
                field,
                format!("expected a mapping, found `{}`", shown(other)),
            )),
            None => Err(self.err(field, "missing")),
        }
    }

    /// An optional string.
    fn opt_str<'v>(&self, v: &'v Value, key: &str, field: &str) -> Result<Option<&'v str>> {
        match get(v, key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(self.err(
                field,
                format!("expected a string, found `{}`", shown(other)),
            )),
        }
    }

    /// An optional finite number.
    fn opt_num(&self, v: &Value, key: &str, field: &str) -> Result<Option<f64>> {
        match get(v, key) {
            None => Ok(None),
            Some(n) => n
                .as_f64()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| self.err(field, format!("expected a number, found `{}`", shown(n)))),
        }
    }
}

/// The SLI kind of a document, from its inline `indicator` or its `indicatorRef`.
fn parse_sli(d: &Doc<'_>, spec: &Value, slis: &BTreeMap<&str, &Doc<'_>>) -> Result<SliKind> {
    let inline = get(spec, "indicator");
    let by_ref = d.opt_str(spec, "indicatorRef", "spec.indicatorRef")?;
    let (indicator, field, sli_doc): (&Value, String, Option<&Doc<'_>>) = match (inline, by_ref) {
        (Some(_), Some(_)) => {
            return Err(d.err(
                "spec.indicatorRef",
                "give `spec.indicator` or `spec.indicatorRef`, not both",
            ));
        }
        (None, None) => {
            return Err(d.err(
                "spec.indicator",
                "missing; give `spec.indicator` or `spec.indicatorRef`",
            ));
        }
        (Some(i), None) => (i, "spec.indicator".into(), None),
        (None, Some(r)) => {
            let sli = slis.get(r).ok_or_else(|| {
                d.err(
                    "spec.indicatorRef",
                    format!("no SLI document named `{r}` in the `slo_files`"),
                )
            })?;
            (sli.value, "spec.indicatorRef".into(), Some(*sli))
        }
    };
    let ispec = match get(indicator, "spec") {
        Some(s) if s.is_object() => s,
        _ => {
            return Err(d.err(
                &format!("{field}.spec"),
                "missing; expected `ratioMetric` or `thresholdMetric`",
            ));
        }
    };
    let ratio = get(ispec, "ratioMetric");
    let threshold = get(ispec, "thresholdMetric");
    match (ratio, threshold) {
        (Some(_), Some(_)) => Err(d.err(
            &format!("{field}.spec"),
            "give `ratioMetric` or `thresholdMetric`, not both",
        )),
        (None, None) => Err(d.err(
            &format!("{field}.spec"),
            "expected `ratioMetric` or `thresholdMetric`",
        )),
        (Some(_), None) => Ok(SliKind::Ratio),
        (None, Some(_)) => {
            // an annotation on the SLO, then on the SLI, names the column
            let annotated = [d.value, indicator].iter().find_map(|v| {
                get(v, "metadata")
                    .and_then(|m| get(m, "annotations"))
                    .and_then(|a| get(a, COLUMN_ANNOTATION))
            });
            if let Some(col) = annotated {
                return match col.as_str() {
                    Some(LATENCY_COLUMN) => Ok(SliKind::Latency),
                    _ => Err(d.err(
                        &format!("metadata.annotations.{COLUMN_ANNOTATION}"),
                        format!(
                            "the `slo` dataset has no metric `{}` for a threshold; opsbench reads `{LATENCY_COLUMN}` only",
                            shown(col)
                        ),
                    )),
                };
            }
            let names: Vec<&str> = ["name", "displayName"]
                .iter()
                .filter_map(|k| {
                    get(indicator, "metadata")
                        .and_then(|m| get(m, k))
                        .and_then(Value::as_str)
                })
                .collect();
            if names
                .iter()
                .any(|n| n.to_ascii_lowercase().contains("latency"))
            {
                return Ok(SliKind::Latency);
            }
            let what = names
                .first()
                .map_or_else(|| "unnamed".to_string(), |n| format!("`{n}`"));
            let field = match sli_doc {
                Some(_) => "spec.indicatorRef".to_string(),
                None => format!("{field}.spec.thresholdMetric"),
            };
            Err(d.err(
                &field,
                format!(
                    "a threshold on a metric the `slo` dataset lacks: the indicator ({what}) is not latency, and latency (`{LATENCY_COLUMN}`) is the only threshold metric; hint: annotate the SLO `{COLUMN_ANNOTATION}: {LATENCY_COLUMN}` if it is latency"
                ),
            ))
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum SliKind {
    Ratio,
    Latency,
}

/// `spec.timeWindow`.
fn parse_window(d: &Doc<'_>, spec: &Value) -> Result<SloWindow> {
    let Some(tw) = get(spec, "timeWindow") else {
        return Ok(SloWindow::Rolling(SpecDuration::days(DEFAULT_WINDOW_DAYS)));
    };
    let items = tw.as_array().ok_or_else(|| {
        d.err(
            "spec.timeWindow",
            format!("expected a list of one window, found `{}`", shown(tw)),
        )
    })?;
    if items.len() != 1 {
        return Err(d.err(
            "spec.timeWindow",
            format!(
                "{} windows given; OpenSLO allows exactly one, and opsbench budgets over one",
                items.len()
            ),
        ));
    }
    let w = &items[0];
    let f = |k: &str| format!("spec.timeWindow[0].{k}");
    if !w.is_object() {
        return Err(d.err(
            "spec.timeWindow[0]",
            format!("expected a mapping, found `{}`", shown(w)),
        ));
    }
    let text = d
        .opt_str(w, "duration", &f("duration"))?
        .ok_or_else(|| d.err(&f("duration"), "missing; expected a duration such as `28d`"))?;
    let duration = SpecDuration::parse(text).ok_or_else(|| {
        d.err(
            &f("duration"),
            format!(
                "`{}` is not a duration; expected a whole number and one of `m` (minutes), `h`, `d`, `w`, `M` (months), `Q`, `Y`, such as `28d`",
                text.escape_debug()
            ),
        )
    })?;
    match duration.fixed_minutes() {
        Some(min) if min < 1440 => {
            let hint = if duration.unit == super::window::DurationUnit::Minute {
                format!(
                    "; hint: for {} month(s) write `{}M`",
                    duration.count, duration.count
                )
            } else {
                String::new()
            };
            return Err(d.err(
                &f("duration"),
                format!(
                    "`{duration}` is {} (OpenSLO: `m` minutes, `M` months), and opsbench needs an SLO window of at least one day{hint}",
                    duration.words()
                ),
            ));
        }
        Some(_) if duration.whole_days().is_none() => {
            return Err(d.err(
                &f("duration"),
                format!(
                    "`{duration}` is not a whole number of days; opsbench's SLO windows are days"
                ),
            ));
        }
        _ => {}
    }
    let rolling = match get(w, "isRolling") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(d.err(
                &f("isRolling"),
                format!("expected `true` or `false`, found `{}`", shown(other)),
            ));
        }
    };
    let Some(cal) = get(w, "calendar") else {
        if rolling == Some(false) {
            return Err(d.err(
                &f("calendar"),
                "missing; a calendar-aligned window (`isRolling: false`) needs `calendar.startTime`",
            ));
        }
        return Ok(SloWindow::Rolling(duration));
    };
    if rolling == Some(true) {
        return Err(d.err(
            &f("isRolling"),
            "`true` with a `calendar`: a window is rolling or calendar-aligned, not both",
        ));
    }
    if !cal.is_object() {
        return Err(d.err(
            &f("calendar"),
            format!("expected a mapping, found `{}`", shown(cal)),
        ));
    }
    let start_text = d
        .opt_str(cal, "startTime", &f("calendar.startTime"))?
        .ok_or_else(|| {
            d.err(
                &f("calendar.startTime"),
                "missing; expected a local time such as `2026-01-01 00:00:00`",
            )
        })?;
    let start = parse_start_time(start_text).ok_or_else(|| {
        d.err(
            &f("calendar.startTime"),
            format!(
                "expected a local time `YYYY-MM-DD HH:MM:SS`, found `{}`",
                start_text.escape_debug()
            ),
        )
    })?;
    let tz = match d.opt_str(cal, "timeZone", &f("calendar.timeZone"))? {
        None => chrono_tz::Tz::UTC,
        Some(z) => crate::config::parse_tz(z).ok_or_else(|| {
            d.err(
                &f("calendar.timeZone"),
                format!(
                    "expected an IANA time zone such as `America/New_York`, found `{}`",
                    z.escape_debug()
                ),
            )
        })?,
    };
    Ok(SloWindow::Calendar {
        duration,
        start,
        tz,
    })
}

/// The method named by `spec.budgetingMethod` (its settings come from each objective).
fn parse_method_name(d: &Doc<'_>, spec: &Value) -> Result<&'static str> {
    let field = "spec.budgetingMethod";
    let name = d.opt_str(spec, "budgetingMethod", field)?.ok_or_else(|| {
        d.err(
            field,
            "missing; expected `Occurrences`, `Timeslices` or `RatioTimeslices`",
        )
    })?;
    ["Occurrences", "Timeslices", "RatioTimeslices"]
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            d.err(
                field,
                format!(
                    "unknown budgeting method `{}`; expected `Occurrences`, `Timeslices` or `RatioTimeslices`",
                    name.escape_debug()
                ),
            )
        })
}

/// `timeSliceWindow`: a duration of fixed length, or a number of minutes.
fn parse_slice(d: &Doc<'_>, o: &Value, field: &str, window: &SloWindow) -> Result<u32> {
    let v = get(o, "timeSliceWindow").ok_or_else(|| {
        d.err(
            field,
            "missing; the budgeting method needs a time slice such as `1m` or `5m`",
        )
    })?;
    let minutes = match v {
        Value::Number(n) => n
            .as_u64()
            .filter(|m| *m > 0)
            .and_then(|m| i64::try_from(m).ok()),
        Value::String(s) => SpecDuration::parse(s).and_then(|x| x.fixed_minutes()),
        _ => None,
    };
    let minutes = minutes.ok_or_else(|| {
        d.err(
            field,
            format!(
                "expected a duration of minutes, hours, days or weeks such as `5m`, or a number of minutes, found `{}`",
                shown(v)
            ),
        )
    })?;
    if let Some(w) = window.duration().fixed_minutes()
        && minutes > w
    {
        return Err(d.err(
            field,
            format!(
                "the time slice `{}` is longer than the window `{}`",
                shown(v),
                window.duration()
            ),
        ));
    }
    u32::try_from(minutes)
        .map_err(|_| d.err(field, format!("the time slice `{}` is too long", shown(v))))
}

/// The SLOs of one `kind: SLO` document: one per objective.
fn parse_slo(d: &Doc<'_>, name: &str, slis: &BTreeMap<&str, &Doc<'_>>) -> Result<Vec<Slo>> {
    let metadata = d.mapping(d.value, "metadata", "metadata")?;
    let doc_title = d
        .opt_str(metadata, "displayName", "metadata.displayName")?
        .unwrap_or(name);
    let spec = d.mapping(d.value, "spec", "spec")?;
    let service = d
        .opt_str(spec, "service", "spec.service")?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            d.err(
                "spec.service",
                "missing; expected the name of the service the SLO is for",
            )
        })?;
    let kind = parse_sli(d, spec, slis)?;
    let window = parse_window(d, spec)?;
    let method_name = parse_method_name(d, spec)?;
    let objectives = match get(spec, "objectives") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(other) if !other.is_array() => {
            return Err(d.err(
                "spec.objectives",
                format!("expected a list, found `{}`", shown(other)),
            ));
        }
        _ => {
            return Err(d.err(
                "spec.objectives",
                "missing; expected at least one objective with a `target`",
            ));
        }
    };
    if kind == SliKind::Latency && objectives.len() > 1 {
        return Err(d.err(
            "spec.objectives",
            format!(
                "{} objectives on a threshold SLI; OpenSLO v1 allows one",
                objectives.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, o) in objectives.iter().enumerate() {
        let f = |k: &str| format!("spec.objectives[{i}].{k}");
        if !o.is_object() {
            return Err(d.err(
                &format!("spec.objectives[{i}]"),
                format!("expected a mapping, found `{}`", shown(o)),
            ));
        }
        for k in ["indicator", "indicatorRef"] {
            if get(o, k).is_some() {
                return Err(d.err(
                    &f(k),
                    "composite SLOs (an indicator per objective) are not supported; hint: write one SLO document per indicator",
                ));
            }
        }
        let objective_name = d.opt_str(o, "displayName", &f("displayName"))?;
        let target = match (
            d.opt_num(o, "target", &f("target"))?,
            d.opt_num(o, "targetPercent", &f("targetPercent"))?,
        ) {
            (Some(_), Some(_)) => {
                return Err(d.err(
                    &f("targetPercent"),
                    "give `target` or `targetPercent`, not both",
                ));
            }
            (None, None) => {
                return Err(d.err(
                    &f("target"),
                    "missing; expected `target` (such as `0.999`) or `targetPercent` (`99.9`)",
                ));
            }
            (Some(t), None) => (t, f("target"), t),
            (None, Some(p)) => (p / 100.0, f("targetPercent"), p),
        };
        let (target, target_field, written) = target;
        if !(target > 0.0 && target < 1.0) {
            let range = if target_field.ends_with("Percent") {
                "0 and 100"
            } else {
                "0 and 1"
            };
            return Err(d.err(
                &target_field,
                format!("expected a target strictly between {range}, found `{written}`"),
            ));
        }
        let sli = match kind {
            SliKind::Ratio => Sli::Availability,
            SliKind::Latency => {
                let op_text = d
                    .opt_str(o, "op", &f("op"))?
                    .ok_or_else(|| d.err(&f("op"), "missing; a threshold SLI needs `op` (`lt`, `lte`, `gt`, `gte`) and `value`"))?;
                let op = ThresholdOp::parse(op_text).ok_or_else(|| {
                    d.err(
                        &f("op"),
                        format!(
                            "unknown operator `{}`; expected `lt`, `lte`, `gt` or `gte`",
                            op_text.escape_debug()
                        ),
                    )
                })?;
                let threshold_ms = d.opt_num(o, "value", &f("value"))?.ok_or_else(|| {
                    d.err(
                        &f("value"),
                        "missing; a threshold SLI needs the threshold in ms",
                    )
                })?;
                Sli::Latency { op, threshold_ms }
            }
        };
        let method = match method_name {
            "Timeslices" => {
                let slice_target = d
                    .opt_num(o, "timeSliceTarget", &f("timeSliceTarget"))?
                    .ok_or_else(|| d.err(&f("timeSliceTarget"), "missing; `Timeslices` needs the share a slice must reach, such as `0.95`"))?;
                if !(slice_target > 0.0 && slice_target <= 1.0) {
                    return Err(d.err(
                        &f("timeSliceTarget"),
                        format!("expected a share above 0 and at most 1, found `{slice_target}`"),
                    ));
                }
                let slice_min = parse_slice(d, o, &f("timeSliceWindow"), &window)?;
                BudgetingMethod::Timeslices {
                    slice_target,
                    slice_min,
                }
            }
            "RatioTimeslices" => BudgetingMethod::RatioTimeslices {
                slice_min: parse_slice(d, o, &f("timeSliceWindow"), &window)?,
            },
            _ => BudgetingMethod::Occurrences,
        };
        let title = match objective_name {
            Some(n) => format!("{doc_title}: {n}"),
            None => doc_title.to_string(),
        };
        out.push(Slo {
            service: service.to_string(),
            sli,
            target,
            method,
            window: window.clone(),
            source: SloSource::File {
                path: d.label.to_string(),
                document: d.index,
                name: name.to_string(),
                objective: i,
                objective_name: objective_name.map(str::to_string),
            },
            title,
        });
    }
    Ok(out)
}
