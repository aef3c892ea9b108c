//! The report's view model: plain data that the HTML template shows.
//!
//! The command that writes the report fills a [`ReportView`] from the figures it computed;
//! [`super::html::render_html`] turns it into the page. Everything here is already decided:
//! strings are the text to show (dates and timestamps as RFC 3339, in UTC unless the field
//! says otherwise) and counts are plain integers that the renderer formats with thousands
//! separators. This module must not compute figures, read files, read the clock or format
//! HTML: it only describes what the page holds, so a test can build one by hand and a
//! snapshot can show it as JSON.

use serde::Serialize;

/// Everything the HTML report shows, in page order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportView {
    /// The page title, e.g. `opsbench report`.
    pub title: String,
    /// The opsbench version that wrote the report.
    pub version: String,
    /// When the report was written (RFC 3339, UTC).
    pub generated_at: String,
    /// The `as_of` cut: rows whose event time is after it are ignored (RFC 3339, UTC).
    pub as_of: String,
    /// First day of the report window (inclusive), `YYYY-MM-DD`.
    pub window_from: String,
    /// End of the report window (exclusive), `YYYY-MM-DD`.
    pub window_to: String,
    /// The time zone periods are cut in (`report_tz`), e.g. `UTC`.
    pub report_tz: String,
    /// Headline figures at the top of the report.
    pub headline: Vec<Headline>,
    /// What needs action (the `actions` table); may be empty.
    pub actions: Vec<ActionItem>,
    /// One entry per input dataset, in the order the report lists them.
    pub datasets: Vec<DatasetQuality>,
    /// One entry per dataset × rule that matched any rows.
    pub rules: Vec<RuleQuality>,
    /// Provenance: every export ingested.
    pub inputs: Vec<InputFile>,
    /// The resolved settings, key → value, in display order.
    pub settings: Vec<(String, String)>,
    /// Plain-text notes shown under provenance (for example the `as_of` caveat).
    pub notes: Vec<String>,
    /// Metric sections, in order, between the headline figures and data quality.
    pub sections: Vec<Section>,
    /// The Services section: one block per catalogue service (none: no section).
    pub services: Vec<ServiceBlock>,
}

/// One service's block in the Services section ([`super::services_section`]).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceBlock {
    /// The service's name (from the config or a document: shown escaped, never as an id).
    pub service: String,
    /// The owning team; empty when not given.
    pub owner: String,
    /// The tier; empty when not given.
    pub tier: String,
    /// Regions, joined with `, `; empty when not given.
    pub regions: String,
    /// `rotation (channel)`; empty when not given.
    pub escalation: String,
    /// The runbook as a link target: only an `http(s)` URL ([`super::safe_href`]).
    pub runbook_href: Option<String>,
    /// A runbook that is not an `http(s)` URL, shown as plain text; empty otherwise.
    pub runbook_text: String,
    /// Services it depends on.
    pub depends_on: Vec<String>,
    /// Services that depend on it.
    pub depended_on_by: Vec<String>,
    /// Its SLOs, availability first.
    pub slos: Vec<ServiceSlo>,
    /// Its latest incidents (at most five), one line each.
    pub recent_incidents: Vec<String>,
    /// Its deploy-gate history in one line; empty when the gate was never asked.
    pub gate: String,
}

/// One SLO row of a service block: text to show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceSlo {
    /// The SLO's title (document and objective name, or `availability`/`latency`).
    pub title: String,
    /// What it measures: `availability`, `latency p99 < 500 ms`.
    pub measures: String,
    /// The target as a percentage, `99.95 %`.
    pub target: String,
    /// The window in words, `28d rolling`.
    pub window: String,
    /// The budgeting method and its slice: `Timeslices (1 min slices ≥ 95 %)`.
    pub method: String,
    /// Error budget left, `42.0 %` (negative when overspent), or `no data`.
    pub budget_left: String,
    /// Where it is defined: `config`, `default`, or the document.
    pub source: String,
}

/// A metric section: a heading, paragraphs of plain text (what the figures mean, or why
/// they are missing), and tables.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Section {
    /// The section's HTML id (ours, never from data).
    pub id: String,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub charts: Vec<Chart>,
    pub tables: Vec<Table>,
}

/// A chart: inline SVG made by `report::charts` (our own markup, data escaped inside) and the
/// plain-text summary shown beside it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Chart {
    pub svg: String,
    pub summary: String,
}

/// A table of text cells; `numeric[i]` right-aligns column `i`. The first column heads rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

/// One headline figure: a label, its value as text and a line of detail.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Headline {
    /// What the figure is, e.g. `MTTR (median)`.
    pub label: String,
    /// The value, already formatted with its unit, e.g. `42 min`.
    pub value: String,
    /// One line of context, e.g. `over 17 resolved incidents`; may be empty.
    pub detail: String,
}

/// One row of the `actions` table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ActionItem {
    /// `error`, `warning` or `info`; anything else is shown as given, styled as `info`.
    pub severity: String,
    /// The kind of action, e.g. `capacity_order`, `stale_data`.
    pub kind: String,
    /// What it is about: a region, a service, a dataset.
    pub subject: String,
    /// One sentence saying what to do and why.
    pub message: String,
    /// `YYYY-MM-DD` by which to act (capacity orders, retrospectives); empty when none.
    pub due_date: String,
}

/// Row counts of one input dataset for this run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DatasetQuality {
    /// Dataset name, e.g. `ccu`.
    pub dataset: String,
    /// Export files read.
    pub files: u64,
    /// Data rows read from those files.
    pub rows_read: u64,
    /// Rows loaded into the lake (flagged rows included).
    pub rows_loaded: u64,
    /// Rows kept out of the lake by a quarantine rule.
    pub rows_quarantined: u64,
    /// Rows loaded with a flag (a rule that warns).
    pub rows_flagged: u64,
    /// `ok`, `problems` or `missing` (no export of this dataset has been loaded).
    pub status: String,
}

/// One dataset × rule that matched rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleQuality {
    /// Dataset name.
    pub dataset: String,
    /// Rule id, e.g. `resolved_before_opened`.
    pub rule: String,
    /// What the rule checks, in one sentence.
    pub rule_doc: String,
    /// `quarantined` or `flagged`.
    pub outcome: String,
    /// Rows the rule matched.
    pub rows: u64,
    /// A few rows it matched; the report shows at most three.
    pub examples: Vec<Example>,
}

/// One offending cell, for the reader to find it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Example {
    /// Export file, as given on the command line or in the config.
    pub file: String,
    /// 1-based line in that file.
    pub line: u64,
    /// Column name as in the export.
    pub column: String,
    /// The cell's text as read.
    pub value: String,
}

/// One export file ingested (provenance).
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputFile {
    /// Dataset it was loaded as.
    pub dataset: String,
    /// Path as given.
    pub path: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
    /// File size in bytes.
    pub size_bytes: u64,
    /// Rows loaded from it.
    pub rows_loaded: u64,
    /// Rows quarantined from it.
    pub rows_quarantined: u64,
    /// When it was ingested (RFC 3339, UTC).
    pub ingested_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_serialises_to_json_with_field_names() {
        let view = ReportView {
            title: "opsbench report".into(),
            settings: vec![("report_tz".into(), "UTC".into())],
            datasets: vec![DatasetQuality {
                dataset: "ccu".into(),
                status: "missing".into(),
                ..DatasetQuality::default()
            }],
            ..ReportView::default()
        };
        let json = serde_json::to_value(&view).expect("a view always serialises");
        assert_eq!(json["title"], "opsbench report");
        assert_eq!(json["datasets"][0]["status"], "missing");
        assert_eq!(json["settings"][0][0], "report_tz");
        assert_eq!(json["settings"][0][1], "UTC");
    }
}
