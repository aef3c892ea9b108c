//! Charts for the report as inline SVG, drawn with plotters' SVG backend.
//!
//! Every chart is an `<svg role="img">` with a `<title>` and a `<desc>` (the caller also puts a
//! text summary beside it), labelled axes with units, the Okabe–Ito palette, and a second cue
//! besides colour (dashes and marker shapes) so it reads in print and in grey. Labels from the
//! data are escaped (plotters escapes text; our title and description are escaped here). No
//! figure is computed here: the caller passes table rows.

use plotters::prelude::*;

use crate::error::{Error, Result};

/// Okabe–Ito: blue, vermillion, bluish green, orange.
const PALETTE: [RGBColor; 4] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(230, 159, 0),
];

/// One line of a line chart; `None` leaves a gap.
pub struct Line {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

pub(crate) fn chart_err(e: impl std::fmt::Display) -> Error {
    Error::Chart(e.to_string())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The label of the category at `x` (categories sit at 0, 1, 2, …; between them, nothing).
fn category_label(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-6 && i >= 0.0 {
        labels.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// Give the SVG plotters wrote a role, a title and a description for screen readers.
pub(crate) fn accessible(svg: String, id: &str, title: &str, desc: &str) -> String {
    let Some(end) = svg.find('>') else { return svg };
    let (open, rest) = svg.split_at(end);
    format!(
        "{open} role=\"img\" aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>{}",
        escape(title),
        escape(desc),
        &rest[1..]
    )
}

/// A line chart over categories (`x_labels`, e.g. months), one line per series.
pub fn line_chart(
    id: &str,
    title: &str,
    desc: &str,
    x_labels: &[String],
    y_label: &str,
    lines: &[Line],
) -> Result<String> {
    let n = x_labels.len().max(1);
    let y_max = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten())
        .copied()
        .fold(0.0f64, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y_max)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_labels(n.min(24))
            .x_label_formatter(&|x| category_label(x_labels, *x))
            .y_desc(y_label)
            .label_style(("sans-serif", 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(chart_err)?;
        for (k, line) in lines.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let style = colour.stroke_width(2);
            // split at gaps so a missing value is never drawn as zero
            let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (i, v) in line.values.iter().enumerate() {
                match v {
                    Some(v) => segments
                        .last_mut()
                        .expect("one segment")
                        .push((i as f64, *v)),
                    None => segments.push(Vec::new()),
                }
            }
            let points: Vec<(f64, f64)> = segments.iter().flatten().copied().collect();
            for seg in segments.into_iter().filter(|s| !s.is_empty()) {
                if k % 2 == 0 {
                    chart
                        .draw_series(LineSeries::new(seg, style))
                        .map_err(chart_err)?;
                } else {
                    chart
                        .draw_series(DashedLineSeries::new(seg, 8, 5, style))
                        .map_err(chart_err)?;
                }
            }
            let name = line.name.clone();
            if k % 2 == 0 {
                chart
                    .draw_series(points.iter().map(|p| Circle::new(*p, 4, colour.filled())))
                    .map_err(chart_err)?
                    .label(name)
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
            } else {
                chart
                    .draw_series(
                        points
                            .iter()
                            .map(|p| TriangleMarker::new(*p, 5, colour.filled())),
                    )
                    .map_err(chart_err)?
                    .label(name)
                    .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 5, colour.filled()));
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(chart_err)?;
        root.present().map_err(chart_err)?;
    }
    Ok(accessible(svg, id, title, desc))
}

/// Horizontal bars, one per label, longest first as given.
pub fn bar_chart(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    values: &[f64],
    x_label: &str,
) -> Result<String> {
    let n = labels.len().max(1);
    let x_max = values.iter().copied().fold(0.0f64, f64::max);
    let x_max = if x_max > 0.0 { x_max * 1.1 } else { 1.0 };
    let mut svg = String::new();
    {
        let height = (60 + 28 * n) as u32;
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(180)
            .build_cartesian_2d(0f64..x_max, -0.5f64..(n as f64 - 0.5))
            .map_err(chart_err)?;
        let names = labels.to_vec();
        chart
            .configure_mesh()
            .y_labels(n)
            .y_label_formatter(&|y| {
                let i = y.round();
                if (y - i).abs() < 1e-6 && i >= 0.0 {
                    // the first label at the top
                    names.get(n - 1 - i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc(x_label)
            .disable_y_mesh()
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(chart_err)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                let y = (n - 1 - i) as f64;
                Rectangle::new([(0.0, y - 0.35), (*v, y + 0.35)], PALETTE[0].filled())
            }))
            .map_err(chart_err)?;
        root.present().map_err(chart_err)?;
    }
    Ok(accessible(svg, id, title, desc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_charts_are_accessible_svg_with_escaped_labels() {
        let svg = line_chart(
            "mttr",
            "MTTR <by> month",
            "median & p90",
            &["2026-09".into(), "2026-10".into(), "<b>x</b>".into()],
            "minutes",
            &[
                Line {
                    name: "median".into(),
                    values: vec![Some(10.0), None, Some(30.0)],
                },
                Line {
                    name: "p90".into(),
                    values: vec![Some(20.0), Some(40.0), Some(50.0)],
                },
            ],
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"mttr-t\">MTTR &lt;by&gt; month</title>"));
        assert!(svg.contains("<desc id=\"mttr-d\">median &amp; p90</desc>"));
        assert!(!svg.contains("<b>x</b>"), "labels from data are escaped");
        assert!(svg.contains("minutes"));
        assert!(!svg.contains("http://") || svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    }

    #[test]
    fn bar_charts_draw_one_bar_per_label() {
        let svg = bar_chart(
            "top",
            "Top",
            "desc",
            &["INC-1".into(), "INC-2".into()],
            &[100.0, 50.0],
            "player-minutes",
        )
        .unwrap();
        assert!(svg.matches("<rect").count() >= 2);
        assert!(svg.contains("INC-1") && svg.contains("player-minutes"));
    }
}

/// Okabe–Ito's eight colours, for charts with more series than [`PALETTE`].
const PALETTE8: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// Vertical bars per category (`x_labels`, e.g. months), each stacked from the series in order
/// (a missing value stacks nothing; negative values are drawn as 0: the caller's table shows
/// them). Series are told apart by colour and by the legend's order, which is the stack's.
pub fn stacked_bar_chart(
    id: &str,
    title: &str,
    desc: &str,
    x_labels: &[String],
    y_label: &str,
    series: &[Line],
) -> Result<String> {
    let n = x_labels.len().max(1);
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().flatten().unwrap_or(0.0).max(0.0))
                .sum()
        })
        .collect();
    let y_max = totals.iter().copied().fold(0.0f64, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 340)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y_max)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_labels(n.min(24))
            .x_label_formatter(&|x| category_label(x_labels, *x))
            .y_desc(y_label)
            .y_label_formatter(&|v| crate::report::html::fmt_int(v.round().max(0.0) as u64))
            .label_style(("sans-serif", 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(chart_err)?;
        let mut base = vec![0.0f64; n];
        for (k, s) in series.iter().enumerate() {
            let colour = PALETTE8[k % PALETTE8.len()];
            let bars: Vec<Rectangle<(f64, f64)>> = (0..n)
                .filter_map(|i| {
                    let v = s.values.get(i).copied().flatten().unwrap_or(0.0).max(0.0);
                    (v > 0.0).then(|| {
                        let r = Rectangle::new(
                            [(i as f64 - 0.35, base[i]), (i as f64 + 0.35, base[i] + v)],
                            colour.filled(),
                        );
                        base[i] += v;
                        r
                    })
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(chart_err)?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 12))
            .draw()
            .map_err(chart_err)?;
        root.present().map_err(chart_err)?;
    }
    Ok(accessible(svg, id, title, desc))
}

#[cfg(test)]
mod stacked_tests {
    use super::*;

    #[test]
    fn stacks_every_series_and_escapes_names() {
        let svg = stacked_bar_chart(
            "s",
            "cost <by> service",
            "d",
            &["2026-09".into(), "2026-10".into()],
            "USD",
            &[
                Line {
                    name: "a<b>".into(),
                    values: vec![Some(1.0), Some(2.0)],
                },
                Line {
                    name: "c".into(),
                    values: vec![None, Some(3.0)],
                },
            ],
        )
        .unwrap();
        assert!(svg.contains("cost &lt;by&gt; service"));
        assert!(!svg.contains("a<b>"));
        // a: two bars and its legend swatch; c: one bar (no empty bar for its gap) and its swatch
        assert_eq!(svg.matches("fill=\"#0072B2\"").count(), 3, "{svg}");
        assert_eq!(svg.matches("fill=\"#D55E00\"").count(), 2, "{svg}");
    }
}
