//! Small inline SVG charts for the HTML report, written as text.
//!
//! [`quality_bars`] draws rows loaded vs quarantined per dataset. The markup is meant to be
//! placed inline in the page (the template includes it unescaped), so every piece of text that
//! comes from data goes through [`escape_xml`] here, and nothing else may be interpolated. The
//! charts use the Okabe–Ito palette and never rely on colour alone: each bar carries a text
//! label and the quarantined bars are hatched. This module must not do I/O, load fonts, link to
//! anything outside the document (no `href`, no external `url(…)`), or emit script.

use std::fmt::Write as _;

use super::html::fmt_int;

/// Okabe–Ito blue: rows loaded.
const COLOUR_LOADED: &str = "#0072B2";
/// Okabe–Ito vermillion: rows quarantined (drawn hatched).
const COLOUR_QUARANTINED: &str = "#D55E00";
/// Text colour (contrast about 17:1 on white).
const COLOUR_TEXT: &str = "#1a1a1a";

/// Chart width in user units (the page scales it down on narrow screens).
const WIDTH: u32 = 600;
/// Where the dataset labels end (they are right-aligned to this x).
const LABEL_RIGHT: u32 = 140;
/// Where the bars start.
const BAR_LEFT: u32 = 150;
/// The longest bar, for the largest value in the chart.
const BAR_MAX: u32 = 300;
/// Height of one bar.
const BAR_HEIGHT: u32 = 14;
/// Height of the block for one dataset (two bars and spacing).
const ROW_HEIGHT: u32 = 44;
/// Height of the legend strip at the top.
const LEGEND_HEIGHT: u32 = 30;
/// A non-zero value is drawn at least this wide so it stays visible.
const MIN_BAR: u32 = 2;

/// Escape text for use in XML (and HTML) text and attribute values.
///
/// Replaces `&`, `<`, `>`, `"` and `'`; everything else is kept as is.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Horizontal bars of rows loaded and rows quarantined, one pair per dataset.
///
/// `rows` holds `(dataset, rows_loaded, rows_quarantined)` in display order; leave out
/// datasets with no export (the chart would show them as zeros). The scale is linear from 0
/// to the largest value in the chart. Returns an empty string when `rows` is empty. The ids
/// inside (`qb-title`, `qb-desc`, `qb-hatch`) assume the chart appears once per page.
pub fn quality_bars(rows: &[(String, u64, u64)]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let max = rows
        .iter()
        .map(|(_, loaded, quarantined)| (*loaded).max(*quarantined))
        .max();
    let max = max.unwrap_or(0).max(1);
    let rows_u32 = u32::try_from(rows.len()).unwrap_or(u32::MAX / ROW_HEIGHT);
    let height = LEGEND_HEIGHT + rows_u32.saturating_mul(ROW_HEIGHT) + 8;

    let desc = rows
        .iter()
        .map(|(dataset, loaded, quarantined)| {
            format!(
                "{}: {} rows loaded, {} quarantined",
                dataset,
                fmt_int(*loaded),
                fmt_int(*quarantined)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");

    let mut svg = String::with_capacity(1024 + rows.len() * 600);
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = write!(
        svg,
        "<svg role=\"img\" aria-labelledby=\"qb-title qb-desc\" width=\"{WIDTH}\" \
         height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" font-size=\"13\" \
         fill=\"{COLOUR_TEXT}\">\
         <title id=\"qb-title\">Rows loaded and quarantined per dataset</title>\
         <desc id=\"qb-desc\">{}.</desc>\
         <defs><pattern id=\"qb-hatch\" width=\"6\" height=\"6\" \
         patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"6\" height=\"6\" fill=\"{COLOUR_QUARANTINED}\"/>\
         <rect width=\"2\" height=\"6\" fill=\"#ffffff\"/></pattern></defs>",
        escape_xml(&desc)
    );
    // Legend: a swatch and a word for each series.
    let _ = write!(
        svg,
        "<g aria-hidden=\"true\">\
         <rect x=\"{BAR_LEFT}\" y=\"8\" width=\"14\" height=\"14\" fill=\"{COLOUR_LOADED}\"/>\
         <text x=\"{}\" y=\"19\">loaded</text>\
         <rect x=\"{}\" y=\"8\" width=\"14\" height=\"14\" fill=\"url(#qb-hatch)\" \
         stroke=\"{COLOUR_QUARANTINED}\"/>\
         <text x=\"{}\" y=\"19\">quarantined (hatched)</text></g>",
        BAR_LEFT + 20,
        BAR_LEFT + 90,
        BAR_LEFT + 110
    );
    for (i, (dataset, loaded, quarantined)) in rows.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let top = LEGEND_HEIGHT + i.saturating_mul(ROW_HEIGHT);
        let _ = write!(
            svg,
            "<g><text x=\"{LABEL_RIGHT}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            top + BAR_HEIGHT + 6,
            escape_xml(dataset)
        );
        bar(&mut svg, top + 4, *loaded, max, COLOUR_LOADED, "loaded");
        bar(
            &mut svg,
            top + 4 + BAR_HEIGHT + 4,
            *quarantined,
            max,
            "url(#qb-hatch)",
            "quarantined",
        );
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// One bar at `y` with its value written after it.
fn bar(svg: &mut String, y: u32, value: u64, max: u64, fill: &str, word: &str) {
    let width = bar_width(value, max);
    if width > 0 {
        let _ = write!(
            svg,
            "<rect x=\"{BAR_LEFT}\" y=\"{y}\" width=\"{width}\" height=\"{BAR_HEIGHT}\" \
             fill=\"{fill}\"/>"
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\">{} {}</text>",
        BAR_LEFT + width + 6,
        y + BAR_HEIGHT - 2,
        fmt_int(value),
        escape_xml(word)
    );
}

/// Bar length for `value` on a linear scale where `max` maps to [`BAR_MAX`].
fn bar_width(value: u64, max: u64) -> u32 {
    if value == 0 || max == 0 {
        return 0;
    }
    let scaled = u128::from(value) * u128::from(BAR_MAX) / u128::from(max);
    let scaled = u32::try_from(scaled).unwrap_or(BAR_MAX).min(BAR_MAX);
    scaled.max(MIN_BAR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_xml_replaces_markup_characters() {
        assert_eq!(
            escape_xml("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(escape_xml("a & b"), "a &amp; b");
        assert_eq!(escape_xml("\"q\" 'a'"), "&quot;q&quot; &#39;a&#39;");
        assert_eq!(escape_xml("ccu café"), "ccu café");
    }

    #[test]
    fn empty_input_gives_no_chart() {
        assert_eq!(quality_bars(&[]), "");
    }

    #[test]
    fn chart_is_accessible_and_labels_values() {
        let svg = quality_bars(&[("ccu".into(), 311_040, 1_204), ("activity".into(), 90, 0)]);
        assert!(svg.starts_with("<svg role=\"img\" aria-labelledby=\"qb-title qb-desc\""));
        assert!(svg.contains("<title id=\"qb-title\">"));
        assert!(svg.contains("<desc id=\"qb-desc\">ccu: 311,040 rows loaded, 1,204 quarantined;"));
        assert!(svg.contains(">311,040 loaded</text>"));
        assert!(svg.contains(">1,204 quarantined</text>"));
        assert!(svg.contains(">0 quarantined</text>"));
        assert!(svg.ends_with("</svg>"));
        assert!(
            !svg.contains("http"),
            "no namespace or link is needed inline: {svg}"
        );
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn chart_escapes_dataset_names() {
        let svg = quality_bars(&[("<script>x</script>&".into(), 1, 1)]);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;x&lt;/script&gt;&amp;"));
    }

    #[test]
    fn bar_width_is_linear_with_a_visible_minimum() {
        assert_eq!(bar_width(0, 100), 0);
        assert_eq!(bar_width(100, 100), BAR_MAX);
        assert_eq!(bar_width(50, 100), BAR_MAX / 2);
        assert_eq!(bar_width(1, 1_000_000), MIN_BAR);
        assert_eq!(bar_width(u64::MAX, u64::MAX), BAR_MAX);
        assert_eq!(bar_width(5, 0), 0);
    }
}
