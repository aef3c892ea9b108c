//! The `data_quality` table (dataset × rule), from the lake's manifest.
//!
//! Per dataset, a `rule = *` row holds the totals over every export the lake has ingested:
//! files, rows read, loaded, quarantined and flagged. Then one row per rule that fired, with
//! the rows it quarantined or flagged and up to three examples (`file:line column=value`).
//! A dataset with no export ingested has a `*` row with empty counts (never zeros: nothing
//! was read) so a reader sees it is missing. Pure: the manifest is passed in.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::error::{PolarsContext, Result};
use crate::ingest::{Example, RuleCount};
use crate::lake::Manifest;
use crate::schema::{Dataset, Rule};

/// Totals of one dataset over the manifest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatasetTotals {
    pub files: u64,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_quarantined: u64,
    pub rows_flagged: u64,
    /// Rule → rows and examples (with the file of each example).
    pub rules: BTreeMap<Rule, (u64, Vec<(String, Example)>)>,
}

/// Sum the manifest per dataset (datasets never ingested are absent).
pub fn totals(manifest: &Manifest, examples_per_rule: usize) -> BTreeMap<Dataset, DatasetTotals> {
    let mut out: BTreeMap<Dataset, DatasetTotals> = BTreeMap::new();
    for f in &manifest.files {
        let Some(d) = Dataset::from_name(&f.dataset) else {
            continue;
        };
        let t = out.entry(d).or_default();
        t.files += 1;
        t.rows_read += f.rows_read;
        t.rows_loaded += f.rows_loaded;
        t.rows_quarantined += f.rows_quarantined;
        t.rows_flagged += f.rows_flagged;
        for (rule, RuleCount { rows, examples }) in &f.rules {
            let Some(rule) = Rule::from_id(rule) else {
                continue;
            };
            let e = t.rules.entry(rule).or_default();
            e.0 += rows;
            for ex in examples {
                if e.1.len() < examples_per_rule {
                    e.1.push((f.path.clone(), ex.clone()));
                }
            }
        }
    }
    out
}

/// One example as text: `file:line column=value`.
pub fn example_text(file: &str, e: &Example) -> String {
    if e.column.is_empty() {
        format!("{file}:{}", e.line)
    } else {
        format!("{file}:{} {}=`{}`", e.line, e.column, e.value)
    }
}

/// A problem found while computing a metric (not at ingest): the row was kept and counted, for
/// example an unknown incident `cause` (rule `unknown_cause`).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricFlag {
    pub dataset: Dataset,
    pub rule: &'static str,
    pub rows: u64,
    /// Up to three examples, `id=`value``.
    pub example: Option<String>,
}

/// The `data_quality` table.
pub fn data_quality(manifest: &Manifest) -> Result<DataFrame> {
    data_quality_with(manifest, &[])
}

/// The `data_quality` table with the flags the metric stage raised (after the dataset's
/// ingest rules; they add to its totals row's `rows_flagged`).
pub fn data_quality_with(manifest: &Manifest, extra: &[MetricFlag]) -> Result<DataFrame> {
    let totals = totals(manifest, 3);
    let mut dataset = Vec::new();
    let mut rule = Vec::new();
    let mut outcome = Vec::new();
    let mut files: Vec<Option<u64>> = Vec::new();
    let mut read: Vec<Option<u64>> = Vec::new();
    let mut loaded: Vec<Option<u64>> = Vec::new();
    let mut quarantined: Vec<Option<u64>> = Vec::new();
    let mut flagged: Vec<Option<u64>> = Vec::new();
    let mut example: Vec<Option<String>> = Vec::new();
    for d in Dataset::ALL {
        let t = totals.get(&d);
        dataset.push(d.name().to_string());
        rule.push("*".to_string());
        outcome.push(if t.is_some() { "*" } else { "missing" }.to_string());
        files.push(Some(t.map(|t| t.files).unwrap_or(0)));
        read.push(t.map(|t| t.rows_read));
        loaded.push(t.map(|t| t.rows_loaded));
        quarantined.push(t.map(|t| t.rows_quarantined));
        let extra_rows: u64 = extra
            .iter()
            .filter(|f| f.dataset == d)
            .map(|f| f.rows)
            .sum();
        flagged.push(t.map(|t| t.rows_flagged + extra_rows));
        example.push(None);
        let Some(t) = t else { continue };
        for (r, (rows, examples)) in &t.rules {
            dataset.push(d.name().to_string());
            rule.push(r.id().to_string());
            outcome.push(
                if r.is_flag() {
                    "flagged"
                } else {
                    "quarantined"
                }
                .to_string(),
            );
            files.push(Some(t.files));
            read.push(Some(t.rows_read));
            loaded.push(Some(t.rows_loaded));
            quarantined.push(Some(if r.is_flag() { 0 } else { *rows }));
            flagged.push(Some(if r.is_flag() { *rows } else { 0 }));
            let text: Vec<String> = examples.iter().map(|(f, e)| example_text(f, e)).collect();
            example.push((!text.is_empty()).then(|| text.join("; ")));
        }
        for f in extra.iter().filter(|f| f.dataset == d) {
            dataset.push(d.name().to_string());
            rule.push(f.rule.to_string());
            outcome.push("flagged".to_string());
            files.push(Some(t.files));
            read.push(Some(t.rows_read));
            loaded.push(Some(t.rows_loaded));
            quarantined.push(Some(0));
            flagged.push(Some(f.rows));
            example.push(f.example.clone());
        }
    }
    DataFrame::new_infer_height(vec![
        Column::new("dataset".into(), dataset),
        Column::new("rule".into(), rule),
        Column::new("outcome".into(), outcome),
        Column::new("files".into(), files),
        Column::new("rows_read".into(), read),
        Column::new("rows_loaded".into(), loaded),
        Column::new("rows_quarantined".into(), quarantined),
        Column::new("rows_flagged".into(), flagged),
        Column::new("example".into(), example),
    ])
    .ctx(|| "building data_quality".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::manifest::IngestedFile;

    fn file(
        dataset: &str,
        path: &str,
        read: u64,
        q: u64,
        rules: &[(&str, u64, u64)],
    ) -> IngestedFile {
        IngestedFile {
            dataset: dataset.into(),
            path: path.into(),
            size_bytes: 1,
            modified_ns: None,
            sha256: path.into(),
            rows_read: read,
            rows_loaded: read - q,
            rows_quarantined: q,
            rows_flagged: 0,
            rules: rules
                .iter()
                .map(|(r, n, line)| {
                    (
                        r.to_string(),
                        RuleCount {
                            rows: *n,
                            examples: vec![Example {
                                line: *line,
                                column: "ccu".into(),
                                value: "abc".into(),
                            }],
                        },
                    )
                })
                .collect(),
            ingested_at: "2026-11-01T00:00:00Z".into(),
            run_id: "r".into(),
        }
    }

    fn strs(df: &DataFrame, c: &str) -> Vec<String> {
        crate::metrics::columns::texts(df, c)
            .unwrap()
            .into_iter()
            .flatten()
            .collect()
    }

    #[test]
    fn totals_per_dataset_and_rule_with_missing_datasets_empty() {
        let m = Manifest {
            files: vec![
                file(
                    "ccu",
                    "a.csv",
                    100,
                    3,
                    &[("unparseable_number", 2, 7), ("negative_value", 1, 9)],
                ),
                file("ccu", "b.csv", 50, 1, &[("unparseable_number", 1, 4)]),
            ],
            ..Default::default()
        };
        let df = data_quality(&m).unwrap();
        // 8 dataset rows + 2 rule rows for ccu
        assert_eq!(df.height(), 10);
        let ds = strs(&df, "dataset");
        let rules = strs(&df, "rule");
        let i = ds
            .iter()
            .zip(&rules)
            .position(|(d, r)| *d == "ccu" && *r == "*")
            .unwrap();
        let get = |c: &str, i: usize| df.column(c).unwrap().u64().unwrap().get(i);
        assert_eq!(get("files", i), Some(2));
        assert_eq!(get("rows_read", i), Some(150));
        assert_eq!(get("rows_loaded", i), Some(146));
        assert_eq!(get("rows_quarantined", i), Some(4));
        let j = ds
            .iter()
            .zip(&rules)
            .position(|(d, r)| *d == "ccu" && *r == "unparseable_number")
            .unwrap();
        assert_eq!(get("rows_quarantined", j), Some(3));
        let ex = df.column("example").unwrap().str().unwrap().get(j).unwrap();
        assert_eq!(ex, "a.csv:7 ccu=`abc`; b.csv:4 ccu=`abc`");
        // a dataset never ingested: empty counts, outcome `missing`
        let k = ds.iter().position(|d| *d == "cost").unwrap();
        assert_eq!(get("rows_read", k), None);
        assert_eq!(
            df.column("outcome").unwrap().str().unwrap().get(k),
            Some("missing")
        );
    }
}
