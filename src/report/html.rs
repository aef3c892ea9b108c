//! Renders the HTML report (`OUT/report.html`) from a [`ReportView`].
//!
//! The page is one self-contained file: the stylesheet (`reports/style.css`) is embedded
//! inline, charts are inline SVG from [`super::svg`], there is no script, and a
//! Content-Security-Policy forbids every request but inline styles and `data:` images. The
//! template is `reports/report.html` (askama; `askama.toml` points it at `reports/`), which
//! escapes every value; only the stylesheet and our own SVG are inserted unescaped. This module
//! turns the view into display rows (numbers with thousands separators, status words and their
//! CSS classes) and renders; it must not compute figures, do I/O or read the clock, and it
//! must never mark text from the data as safe. Only `http(s)` URLs may become links
//! ([`safe_href`]).

use askama::Template;

use super::svg;
use super::view::{DatasetQuality, ReportView};
use crate::error::Result;

/// The stylesheet, embedded so the page needs nothing else.
const CSS: &str = include_str!("../../reports/style.css");

/// How many examples a rule shows at most.
const EXAMPLES_SHOWN: usize = 3;

/// How many hex digits of a SHA-256 the page shows (the full value is in a tooltip).
const SHA_SHOWN: usize = 12;

/// Render the report page.
pub fn render_html(view: &ReportView) -> Result<String> {
    Ok(Page::new(view).render()?)
}

/// `url` if it may be used as a link target: an `http://` or `https://` URL (scheme in any
/// case) with something after the scheme and no whitespace or control characters anywhere.
/// Everything else (`javascript:`, `data:`, relative paths, a leading space) gives `None`.
pub fn safe_href(url: &str) -> Option<&str> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let rest = strip_prefix_ignore_case(url, "https://")
        .or_else(|| strip_prefix_ignore_case(url, "http://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return None;
    }
    Some(url)
}

/// `text` without `prefix` when it starts with it, ASCII case-insensitively.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `n` with `,` between groups of three digits: `1204` → `1,204`.
pub fn fmt_int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: `512 B`, `1.5 KiB`, `12.3 MiB` (binary units, one decimal).
pub fn fmt_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit_size: u128 = 1024;
    let mut unit = 0;
    // Move up while the rounded value would reach 1024 of this unit.
    while unit + 1 < UNITS.len() && u128::from(bytes) * 10 + unit_size / 2 >= unit_size * 10 * 1024
    {
        unit_size *= 1024;
        unit += 1;
    }
    let tenths = (u128::from(bytes) * 10 + unit_size / 2) / unit_size;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// `n` followed by `row` or `rows`.
fn rows_phrase(n: u64) -> String {
    if n == 1 {
        "1 row".to_owned()
    } else {
        format!("{} rows", fmt_int(n))
    }
}

/// `part / whole` as a percentage with two decimals, e.g. `0.39 %`; `< 0.01 %` when a
/// non-zero part rounds to zero. `whole` must not be 0.
fn fmt_percent(part: u64, whole: u64) -> String {
    let whole = u128::from(whole.max(1));
    let hundredths = (u128::from(part) * 10_000 + whole / 2) / whole;
    if hundredths == 0 && part > 0 {
        return "< 0.01 %".to_owned();
    }
    format!("{}.{:02} %", hundredths / 100, hundredths % 100)
}

/// The sentence beside the data-quality chart, e.g.
/// `1,204 of 311,040 rows (0.39 %) were quarantined, most in ccu.`
pub(crate) fn quality_summary(datasets: &[DatasetQuality]) -> String {
    let present: Vec<&DatasetQuality> = datasets.iter().filter(|d| !is_missing(d)).collect();
    let missing: Vec<&str> = datasets
        .iter()
        .filter(|d| is_missing(d))
        .map(|d| d.dataset.as_str())
        .collect();
    let mut text = if present.is_empty() {
        "No export has been loaded yet.".to_owned()
    } else {
        let read: u64 = present.iter().map(|d| d.rows_read).sum();
        let quarantined: u64 = present.iter().map(|d| d.rows_quarantined).sum();
        let flagged: u64 = present.iter().map(|d| d.rows_flagged).sum();
        let mut text = if read == 0 {
            "No rows were read.".to_owned()
        } else if quarantined == 0 {
            format!("None of the {} read were quarantined.", rows_phrase(read))
        } else {
            // The first dataset with the most quarantined rows.
            let worst = present
                .iter()
                .fold(None::<&DatasetQuality>, |best, d| match best {
                    Some(b) if b.rows_quarantined >= d.rows_quarantined => Some(b),
                    _ => Some(d),
                })
                .map_or("", |d| d.dataset.as_str());
            let verb = if quarantined == 1 { "was" } else { "were" };
            format!(
                "{} of {} ({}) {verb} quarantined, most in {worst}.",
                fmt_int(quarantined),
                rows_phrase(read),
                fmt_percent(quarantined, read)
            )
        };
        if flagged > 0 {
            let verb = if flagged == 1 { "was" } else { "were" };
            text.push_str(&format!(
                " {} {verb} loaded with a flag.",
                rows_phrase(flagged)
            ));
        }
        text
    };
    if !missing.is_empty() {
        text.push_str(&format!(
            " No export of {} has been loaded.",
            missing.join(", ")
        ));
    }
    text
}

/// Whether the dataset has no export loaded at all.
fn is_missing(d: &DatasetQuality) -> bool {
    d.status == "missing"
}

/// CSS class for a dataset status word.
fn status_class(status: &str) -> &'static str {
    match status {
        "ok" => "status-ok",
        "problems" => "status-problems",
        "missing" => "status-missing",
        _ => "status-other",
    }
}

/// CSS class for an action's severity word.
fn severity_class(severity: &str) -> &'static str {
    match severity {
        "error" => "sev-error",
        "warning" => "sev-warning",
        _ => "sev-info",
    }
}

/// CSS class for a rule outcome word.
fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "quarantined" => "outcome-quarantined",
        "flagged" => "outcome-flagged",
        _ => "outcome-other",
    }
}

/// The page as the template sees it: the view plus display rows.
#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    view: &'a ReportView,
    css: &'static str,
    actions: Vec<ActionRow<'a>>,
    actions_count: String,
    datasets: Vec<DatasetRow<'a>>,
    chart: String,
    quality_summary: String,
    rules: Vec<RuleRow<'a>>,
    inputs: Vec<InputRow<'a>>,
    settings: Vec<SettingRow<'a>>,
}

struct ActionRow<'a> {
    severity: &'a str,
    sev_class: &'static str,
    kind: &'a str,
    subject: &'a str,
    message: &'a str,
    due_date: &'a str,
}

struct DatasetRow<'a> {
    dataset: &'a str,
    missing: bool,
    files: String,
    rows_read: String,
    rows_loaded: String,
    rows_quarantined: String,
    rows_flagged: String,
    status: &'a str,
    status_class: &'static str,
}

struct RuleRow<'a> {
    dataset: &'a str,
    rule: &'a str,
    rule_doc: &'a str,
    outcome: &'a str,
    outcome_class: &'static str,
    rows: String,
    examples: Vec<ExampleRow<'a>>,
}

struct ExampleRow<'a> {
    location: String,
    column: &'a str,
    value: &'a str,
}

struct InputRow<'a> {
    dataset: &'a str,
    path: &'a str,
    sha256: &'a str,
    sha_short: &'a str,
    size: String,
    size_exact: String,
    rows_loaded: String,
    rows_quarantined: String,
    ingested_at: &'a str,
}

struct SettingRow<'a> {
    key: &'a str,
    value: &'a str,
}

impl<'a> Page<'a> {
    fn new(view: &'a ReportView) -> Self {
        let actions = view
            .actions
            .iter()
            .map(|a| ActionRow {
                severity: &a.severity,
                sev_class: severity_class(&a.severity),
                kind: &a.kind,
                subject: &a.subject,
                message: &a.message,
                due_date: &a.due_date,
            })
            .collect::<Vec<_>>();
        let actions_count = match actions.len() {
            1 => "1 item".to_owned(),
            n => format!("{} items", fmt_int(u64::try_from(n).unwrap_or(u64::MAX))),
        };
        let datasets = view
            .datasets
            .iter()
            .map(|d| DatasetRow {
                dataset: &d.dataset,
                missing: is_missing(d),
                files: fmt_int(d.files),
                rows_read: fmt_int(d.rows_read),
                rows_loaded: fmt_int(d.rows_loaded),
                rows_quarantined: fmt_int(d.rows_quarantined),
                rows_flagged: fmt_int(d.rows_flagged),
                status: &d.status,
                status_class: status_class(&d.status),
            })
            .collect();
        let bars: Vec<(String, u64, u64)> = view
            .datasets
            .iter()
            .filter(|d| !is_missing(d))
            .map(|d| (d.dataset.clone(), d.rows_loaded, d.rows_quarantined))
            .collect();
        let rules = view
            .rules
            .iter()
            .map(|r| RuleRow {
                dataset: &r.dataset,
                rule: &r.rule,
                rule_doc: &r.rule_doc,
                outcome: &r.outcome,
                outcome_class: outcome_class(&r.outcome),
                rows: fmt_int(r.rows),
                examples: r
                    .examples
                    .iter()
                    .take(EXAMPLES_SHOWN)
                    .map(|e| ExampleRow {
                        location: format!("{}:{}", e.file, e.line),
                        column: &e.column,
                        value: &e.value,
                    })
                    .collect(),
            })
            .collect();
        let inputs = view
            .inputs
            .iter()
            .map(|i| InputRow {
                dataset: &i.dataset,
                path: &i.path,
                sha256: &i.sha256,
                sha_short: i.sha256.get(..SHA_SHOWN).unwrap_or(&i.sha256),
                size: fmt_bytes(i.size_bytes),
                size_exact: fmt_int(i.size_bytes),
                rows_loaded: fmt_int(i.rows_loaded),
                rows_quarantined: fmt_int(i.rows_quarantined),
                ingested_at: &i.ingested_at,
            })
            .collect();
        let settings = view
            .settings
            .iter()
            .map(|(k, v)| SettingRow { key: k, value: v })
            .collect();
        Page {
            view,
            css: CSS,
            actions,
            actions_count,
            datasets,
            chart: svg::quality_bars(&bars),
            quality_summary: quality_summary(&view.datasets),
            rules,
            inputs,
            settings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::view::{ActionItem, Example, Headline, InputFile, RuleQuality};

    fn dataset(
        name: &str,
        read: u64,
        quarantined: u64,
        flagged: u64,
        status: &str,
    ) -> DatasetQuality {
        DatasetQuality {
            dataset: name.into(),
            files: 2,
            rows_read: read,
            rows_loaded: read - quarantined,
            rows_quarantined: quarantined,
            rows_flagged: flagged,
            status: status.into(),
        }
    }

    fn sample_view() -> ReportView {
        ReportView {
            title: "opsbench report".into(),
            version: "0.1.0".into(),
            generated_at: "2026-11-01T03:00:00Z".into(),
            as_of: "2026-11-01T00:00:00Z".into(),
            window_from: "2026-08-03".into(),
            window_to: "2026-11-01".into(),
            report_tz: "UTC".into(),
            headline: vec![Headline {
                label: "MTTR (median)".into(),
                value: "42 min".into(),
                detail: "over 17 resolved incidents".into(),
            }],
            actions: vec![ActionItem {
                severity: "error".into(),
                kind: "capacity_order".into(),
                subject: "eu-west".into(),
                message: "order 12 instances by 2026-11-14 <now>".into(),
                ..Default::default()
            }],
            datasets: vec![
                dataset("ccu", 311_040, 1_204, 0, "problems"),
                dataset("incidents", 120, 0, 3, "ok"),
                DatasetQuality {
                    dataset: "billing".into(),
                    status: "missing".into(),
                    ..DatasetQuality::default()
                },
            ],
            rules: vec![RuleQuality {
                dataset: "ccu".into(),
                rule: "negative_ccu".into(),
                rule_doc: "CCU must be zero or more".into(),
                outcome: "quarantined".into(),
                rows: 1_204,
                examples: (1..=5)
                    .map(|line| Example {
                        file: "exports/ccu/part-0001.csv".into(),
                        line,
                        column: "ccu".into(),
                        value: format!("-{line}"),
                    })
                    .collect(),
            }],
            inputs: vec![InputFile {
                dataset: "ccu".into(),
                path: "exports/ccu/part-0001.csv".into(),
                sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
                size_bytes: 1_572_864,
                rows_loaded: 309_836,
                rows_quarantined: 1_204,
                ingested_at: "2026-11-01T02:59:00Z".into(),
            }],
            settings: vec![
                ("report_tz".into(), "UTC".into()),
                ("horizon_days".into(), "28".into()),
            ],
            notes: vec!["as_of cuts by event time, not by what was known then.".into()],
            sections: vec![],
            services: vec![],
        }
    }

    #[test]
    fn numbers_are_formatted_for_people() {
        let ints = [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (311_040, "311,040"),
        ];
        for (n, text) in ints {
            assert_eq!(fmt_int(n), text);
        }
        assert_eq!(fmt_int(u64::MAX), "18,446,744,073,709,551,615");
        let bytes = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
        ];
        for (n, text) in bytes {
            assert_eq!(fmt_bytes(n), text);
        }
        assert_eq!(fmt_bytes(1_572_864), "1.5 MiB");
        assert_eq!(fmt_bytes(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(fmt_bytes(u64::MAX), "16.0 EiB");
        assert_eq!(fmt_percent(1_204, 311_040), "0.39 %");
        assert_eq!(fmt_percent(1, 1), "100.00 %");
        assert_eq!(fmt_percent(1, 1_000_000), "< 0.01 %");
        assert_eq!(fmt_percent(0, 10), "0.00 %");
    }

    #[test]
    fn safe_href_accepts_only_http_and_https() {
        assert_eq!(
            safe_href("https://runbooks.example/api"),
            Some("https://runbooks.example/api")
        );
        assert_eq!(
            safe_href("http://wiki.example/x?y=1"),
            Some("http://wiki.example/x?y=1")
        );
        assert_eq!(
            safe_href("HTTPS://Example.com"),
            Some("HTTPS://Example.com")
        );
        assert_eq!(safe_href("javascript:alert(1)"), None);
        assert_eq!(safe_href("JavaScript:alert(1)"), None);
        assert_eq!(safe_href(" https://example.com"), None);
        assert_eq!(safe_href("https://example.com/a b"), None);
        assert_eq!(safe_href("https://exa\tmple.com"), None);
        assert_eq!(safe_href("https://example.com\n"), None);
        assert_eq!(safe_href("data:text/html,<script>"), None);
        assert_eq!(safe_href("//example.com"), None);
        assert_eq!(safe_href("/runbooks/api"), None);
        assert_eq!(safe_href("https://"), None);
        assert_eq!(safe_href("https:///path"), None);
        assert_eq!(safe_href("ftp://example.com"), None);
        assert_eq!(safe_href("httpx://example.com"), None);
        assert_eq!(safe_href("é"), None);
    }

    #[test]
    fn quality_summary_names_the_worst_dataset_and_the_missing_ones() {
        let view = sample_view();
        assert_eq!(
            quality_summary(&view.datasets),
            "1,204 of 311,160 rows (0.39 %) were quarantined, most in ccu. \
             3 rows were loaded with a flag. No export of billing has been loaded."
        );
        assert_eq!(
            quality_summary(&[dataset("ccu", 10, 0, 1, "ok")]),
            "None of the 10 rows read were quarantined. 1 row was loaded with a flag."
        );
        assert_eq!(
            quality_summary(&[
                dataset("a", 5, 1, 0, "problems"),
                dataset("b", 5, 1, 0, "problems")
            ]),
            "2 of 10 rows (20.00 %) were quarantined, most in a."
        );
        assert_eq!(quality_summary(&[]), "No export has been loaded yet.");
    }

    #[test]
    fn page_has_the_required_structure() -> Result<()> {
        let html = render_html(&sample_view())?;
        assert!(
            html.starts_with("<!DOCTYPE html>"),
            "{}",
            &html[..80.min(html.len())]
        );
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains(
            "<meta http-equiv=\"Content-Security-Policy\" \
             content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        ));
        assert!(html.contains("name=\"viewport\""));
        assert_eq!(html.matches("<h1").count(), 1);
        for landmark in ["<header>", "<main id=\"main\"", "<nav ", "<footer>"] {
            assert!(html.contains(landmark), "missing {landmark}");
        }
        assert!(html.contains("href=\"#main\""), "skip link");
        // Sections in order.
        let order = [
            "Needs action</h2>",
            "Headline figures</h2>",
            "Data quality</h2>",
            "Provenance</h2>",
        ];
        let positions: Vec<usize> = order.iter().map(|h| html.find(h).expect(h)).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        assert!(html.contains("<caption>Data quality by dataset</caption>"));
        assert!(html.contains("<th scope=\"col\""));
        assert!(html.contains("<th scope=\"row\">ccu</th>"));
        assert!(html.contains("<td class=\"num\">311,040</td>"));
        assert!(html.contains("<svg role=\"img\""));
        assert!(html.contains("1,204 of 311,160 rows (0.39 %) were quarantined, most in ccu."));
        assert!(!html.contains("<script"));
        // At most three examples per rule.
        assert!(html.contains("<code>exports/ccu/part-0001.csv:3</code>"));
        assert!(!html.contains("<code>exports/ccu/part-0001.csv:4</code>"));
        Ok(())
    }

    #[test]
    fn page_escapes_data_and_shortens_checksums() -> Result<()> {
        let mut view = sample_view();
        view.title = "<script>alert('x')</script>".into();
        view.notes.push("a & b <b>bold</b>".into());
        let html = render_html(&view)?;
        assert!(!html.contains("<script>alert"));
        // askama writes numeric character references.
        assert!(html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"));
        assert!(html.contains("order 12 instances by 2026-11-14 &#60;now&#62;"));
        assert!(html.contains("a &#38; b &#60;b&#62;bold&#60;/b&#62;"));
        assert!(html.contains(
            "<code title=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\">0123456789ab</code>"
        ));
        assert!(html.contains(">1.5 MiB</td>"));
        Ok(())
    }

    #[test]
    fn missing_dataset_says_so_in_words_without_zeros() -> Result<()> {
        let html = render_html(&sample_view())?;
        let row_start = html
            .find("<th scope=\"row\">billing</th>")
            .expect("billing row");
        let row = &html[row_start..row_start + html[row_start..].find("</tr>").expect("row end")];
        assert!(
            row.contains("no export of billing has been loaded"),
            "{row}"
        );
        assert!(row.contains(">missing</span>"), "{row}");
        assert!(!row.contains(">0<"), "{row}");
        Ok(())
    }

    #[test]
    fn empty_view_says_nothing_needs_action() -> Result<()> {
        let html = render_html(&ReportView::default())?;
        assert!(html.contains("Nothing needs action."));
        assert!(!html.contains("<svg"));
        assert_eq!(html.matches("<h1").count(), 1);
        Ok(())
    }

    #[test]
    fn status_words_have_classes_but_stay_words() {
        assert_eq!(status_class("ok"), "status-ok");
        assert_eq!(status_class("problems"), "status-problems");
        assert_eq!(status_class("missing"), "status-missing");
        assert_eq!(status_class("weird\"><script>"), "status-other");
        assert_eq!(severity_class("error"), "sev-error");
        assert_eq!(severity_class("warning"), "sev-warning");
        assert_eq!(severity_class("info"), "sev-info");
        assert_eq!(outcome_class("flagged"), "outcome-flagged");
    }
}
