//! The capacity-forecast chart of one region, as inline SVG (plotters' SVG backend): the
//! hourly peak history as a thin line, the forecast daily peak (median) with its 80 % and 95 %
//! bands, the capacity line, event windows shaded and the earliest plausible exhaustion date
//! marked by a vertical line.
//!
//! It draws what it is given and computes no figure; the caller passes the tables' values.
//! Time is µs since the epoch (UTC) throughout; the x axis is labelled in UTC dates.

use chrono::DateTime;
use plotters::prelude::*;

use super::charts::{accessible, chart_err};
use crate::error::Result;

const DAY_US: f64 = 86_400_000_000.0;
const BLUE: RGBColor = RGBColor(0, 114, 178);
const VERMILLION: RGBColor = RGBColor(213, 94, 0);
const GREY: RGBColor = RGBColor(110, 110, 110);
const ORANGE: RGBColor = RGBColor(230, 159, 0);

/// One forecast day: its UTC start (µs) and the daily peak's median and bands.
#[derive(Clone, Debug, PartialEq)]
pub struct BandDay {
    pub day_us: i64,
    pub median: f64,
    pub lo80: f64,
    pub hi80: f64,
    pub lo95: f64,
    pub hi95: f64,
}

/// What one region's chart shows.
#[derive(Clone, Debug, Default)]
pub struct ForecastChart {
    /// Hourly peak history: (hour start µs, value); `None` is a gap and is not drawn.
    pub history: Vec<(i64, Option<f64>)>,
    pub forecast: Vec<BandDay>,
    /// Capacity in CCU per day: (day start µs, capacity); `None` = no capacity row in force.
    pub capacity: Vec<(i64, Option<f64>)>,
    /// Event windows `[start, end)` in µs.
    pub events: Vec<(i64, i64)>,
    /// The earliest plausible exhaustion day (µs), if inside the horizon.
    pub exhaustion_us: Option<i64>,
}

fn date_label(x_days: f64, origin_us: i64) -> String {
    let us = origin_us as f64 + x_days * DAY_US;
    DateTime::from_timestamp_micros(us as i64)
        .map(|d| d.format("%m-%d").to_string())
        .unwrap_or_default()
}

/// Draw the chart; `id` must be unique in the report (ours, never from data).
pub fn forecast_chart(id: &str, title: &str, desc: &str, c: &ForecastChart) -> Result<String> {
    let xs = c
        .history
        .iter()
        .map(|h| h.0)
        .chain(c.forecast.iter().map(|f| f.day_us + DAY_US as i64))
        .chain(c.capacity.iter().map(|p| p.0));
    let (Some(lo_us), Some(hi_us)) = (xs.clone().min(), xs.max()) else {
        return Ok(String::new());
    };
    let x = |us: i64| (us - lo_us) as f64 / DAY_US;
    let x_max = x(hi_us).max(1.0);
    let y_max = c
        .history
        .iter()
        .filter_map(|h| h.1)
        .chain(c.forecast.iter().map(|f| f.hi95))
        .chain(c.capacity.iter().filter_map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.08 } else { 1.0 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_labels(10)
            .x_label_formatter(&|d| date_label(*d, lo_us))
            .y_desc("concurrent players")
            .y_label_formatter(&|v| crate::report::html::fmt_int(v.round().max(0.0) as u64))
            .label_style(("sans-serif", 13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(chart_err)?;
        // event windows, shaded behind everything
        chart
            .draw_series(c.events.iter().map(|(s, e)| {
                Rectangle::new(
                    [(x(*s).max(0.0), 0.0), (x(*e).min(x_max), y_max)],
                    ORANGE.mix(0.15).filled(),
                )
            }))
            .map_err(chart_err)?;
        // bands: 95 % light, 80 % darker, as polygons over the forecast days
        type Edge = fn(&BandDay) -> f64;
        let bands: [(f64, Edge, Edge); 2] = [
            (0.15, |f| f.lo95, |f| f.hi95),
            (0.30, |f| f.lo80, |f| f.hi80),
        ];
        for (alpha, lo, hi) in bands {
            if c.forecast.is_empty() {
                break;
            }
            let mut poly: Vec<(f64, f64)> = Vec::new();
            for f in &c.forecast {
                poly.push((x(f.day_us), hi(f)));
                poly.push((x(f.day_us) + 1.0, hi(f)));
            }
            for f in c.forecast.iter().rev() {
                poly.push((x(f.day_us) + 1.0, lo(f)));
                poly.push((x(f.day_us), lo(f)));
            }
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    BLUE.mix(alpha).filled(),
                )))
                .map_err(chart_err)?;
        }
        // history: thin grey line, broken at gaps
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let mut segments = Vec::new();
        for (ts, v) in &c.history {
            match v {
                Some(v) => segment.push((x(*ts), *v)),
                None => segments.push(std::mem::take(&mut segment)),
            }
        }
        segments.push(segment);
        let mut labelled = false;
        for seg in segments.into_iter().filter(|s| !s.is_empty()) {
            let drawn = chart
                .draw_series(LineSeries::new(seg, GREY.stroke_width(1)))
                .map_err(chart_err)?;
            if !labelled {
                drawn
                    .label("hourly peak (history)")
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], GREY.stroke_width(1)));
                labelled = true;
            }
        }
        // forecast median, as steps per day
        let median: Vec<(f64, f64)> = c
            .forecast
            .iter()
            .flat_map(|f| [(x(f.day_us), f.median), (x(f.day_us) + 1.0, f.median)])
            .collect();
        if !median.is_empty() {
            chart
                .draw_series(LineSeries::new(median, BLUE.stroke_width(2)))
                .map_err(chart_err)?
                .label("daily peak forecast (median; bands 80 % and 95 %)")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        }
        // capacity, dashed steps
        let capacity: Vec<(f64, f64)> = c
            .capacity
            .iter()
            .filter_map(|(d, v)| v.map(|v| [(x(*d), v), (x(*d) + 1.0, v)]))
            .flatten()
            .collect();
        if !capacity.is_empty() {
            chart
                .draw_series(DashedLineSeries::new(
                    capacity,
                    8,
                    5,
                    VERMILLION.stroke_width(2),
                ))
                .map_err(chart_err)?
                .label("capacity")
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], VERMILLION.stroke_width(2))
                });
        }
        if let Some(ex) = c.exhaustion_us {
            let xe = x(ex);
            chart
                .draw_series(DashedLineSeries::new(
                    [(xe, 0.0), (xe, y_max)],
                    3,
                    3,
                    BLACK.stroke_width(2),
                ))
                .map_err(chart_err)?
                .label("earliest plausible exhaustion")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(2)));
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
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000_000;

    #[test]
    fn draws_every_part_and_escapes_the_title() {
        let c = ForecastChart {
            history: (0..48)
                .map(|h| (h * DAY / 24, Some(100.0 + h as f64)))
                .collect(),
            forecast: (2..5)
                .map(|d| BandDay {
                    day_us: d * DAY,
                    median: 150.0,
                    lo80: 140.0,
                    hi80: 160.0,
                    lo95: 130.0,
                    hi95: 170.0,
                })
                .collect(),
            capacity: (0..5).map(|d| (d * DAY, Some(165.0))).collect(),
            events: vec![(3 * DAY, 4 * DAY)],
            exhaustion_us: Some(3 * DAY),
        };
        let svg = forecast_chart("fc-eu", "eu <region>", "desc", &c).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("eu &lt;region&gt;"));
        assert!(!svg.contains("eu <region>"));
        for label in ["capacity", "earliest plausible exhaustion", "hourly peak"] {
            assert!(svg.contains(label), "{label}");
        }
        assert!(svg.contains("<polygon"), "bands drawn as polygons");
    }

    #[test]
    fn nothing_to_draw_gives_nothing() {
        let svg = forecast_chart("x", "t", "d", &ForecastChart::default()).unwrap();
        assert!(svg.is_empty());
    }
}
