//! Cleaning a region's hourly series before fitting: gaps found, incident hours, outliers and
//! past event hours masked (set to `None`), never filled here and never with zeros.
//!
//! - **Gaps**: each run of `None` (or a non-finite value) in the input, as `[start, end)` µs.
//! - **Incidents**: every hour overlapping an incident window `[start, end)` is masked (an
//!   outage dents CCU; the dent is not demand).
//! - **Past events**: every hour overlapping an event window is masked, not de-weighted: the
//!   baseline is fitted without the event and a *future* event multiplies the forecast by its
//!   uplift, so an event's hours in history would only distort the baseline.
//! - **Outliers**, on what is left: an hour is an outlier when it lies more than
//!   [`OUTLIER_MAD_FACTOR`] robust standard deviations from the median of the same hour of the
//!   week in the four weeks before and after it (at least three of those present). The robust
//!   standard deviation is 1.4826 × the MAD of those neighbours, floored at 1.4826 × the median
//!   absolute deviation of all hours from their own neighbour medians (so a very regular hour
//!   of the week does not flag ordinary noise) and at 5 % of the neighbour median. Both dips
//!   and spikes are masked; a lasting level shift is not flagged, because after a few weeks
//!   the neighbour median follows it.
//!
//! Pure: no I/O, no clock.

use super::{EventWindow, HOUR_US, HourlySeries, Prepared, WEEK_H};

/// How many robust standard deviations from the same-hour-of-week median make an outlier.
pub const OUTLIER_MAD_FACTOR: f64 = 6.0;

/// Weeks looked at on each side for the same-hour-of-week median.
const OUTLIER_WEEKS: usize = 4;

/// Mask incidents, past events and outliers (see the module doc).
pub fn prepare(
    series: &HourlySeries,
    incidents: &[(i64, i64)],
    events: &[EventWindow],
) -> Prepared {
    let mut values: Vec<Option<f64>> = series
        .values
        .iter()
        .map(|v| v.filter(|x| x.is_finite()))
        .collect();
    let gaps = gap_runs(series.start_us, &values);
    let hour_us = |i: usize| series.start_us + i as i64 * HOUR_US;
    let mut masked_incident_hours = 0u32;
    let mut masked_event_hours = 0u32;
    for (i, v) in values.iter_mut().enumerate() {
        if v.is_none() {
            continue;
        }
        let t = hour_us(i);
        if incidents
            .iter()
            .any(|&(s, e)| s < t + HOUR_US && t < e && s < e)
        {
            *v = None;
            masked_incident_hours += 1;
        } else if events.iter().any(|e| e.overlaps_hour(t)) {
            *v = None;
            masked_event_hours += 1;
        }
    }
    let outliers = outlier_hours(&values);
    for &i in &outliers {
        values[i] = None;
    }
    Prepared {
        series: HourlySeries {
            start_us: series.start_us,
            values,
        },
        gaps,
        masked_incident_hours,
        masked_outlier_hours: outliers.len() as u32,
        masked_event_hours,
    }
}

/// `[start, end)` µs of every run of `None` in `values`.
pub(crate) fn gap_runs(start_us: i64, values: &[Option<f64>]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut run: Option<usize> = None;
    for (i, v) in values.iter().enumerate() {
        match (v.is_none(), run) {
            (true, None) => run = Some(i),
            (false, Some(s)) => {
                out.push((start_us + s as i64 * HOUR_US, start_us + i as i64 * HOUR_US));
                run = None;
            }
            _ => {}
        }
    }
    if let Some(s) = run {
        out.push((
            start_us + s as i64 * HOUR_US,
            start_us + values.len() as i64 * HOUR_US,
        ));
    }
    out
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Indices of the outlier hours (module doc).
fn outlier_hours(values: &[Option<f64>]) -> Vec<usize> {
    // (index, value, neighbour median, neighbour MAD) of every hour with enough neighbours.
    let mut cand = Vec::new();
    let mut nb = Vec::with_capacity(2 * OUTLIER_WEEKS);
    for (i, v) in values.iter().enumerate() {
        let Some(y) = *v else { continue };
        nb.clear();
        for k in 1..=OUTLIER_WEEKS {
            if let Some(Some(x)) = i.checked_sub(k * WEEK_H).map(|j| values[j]) {
                nb.push(x);
            }
            if let Some(Some(x)) = values.get(i + k * WEEK_H) {
                nb.push(*x);
            }
        }
        if nb.len() < 3 {
            continue;
        }
        let m = median(&mut nb);
        let mut dev: Vec<f64> = nb.iter().map(|x| (x - m).abs()).collect();
        let mad = median(&mut dev);
        cand.push((i, y, m, mad));
    }
    if cand.is_empty() {
        return Vec::new();
    }
    let mut all_dev: Vec<f64> = cand.iter().map(|&(_, y, m, _)| (y - m).abs()).collect();
    let global_mad = median(&mut all_dev);
    cand.into_iter()
        .filter(|&(_, y, m, mad)| {
            let sd = (1.4826 * mad).max(1.4826 * global_mad).max(0.05 * m.abs());
            sd > 0.0 && (y - m).abs() > OUTLIER_MAD_FACTOR * sd
        })
        .map(|(i, ..)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(weeks: usize) -> Vec<Option<f64>> {
        (0..weeks * WEEK_H)
            .map(|i| {
                Some(
                    100.0
                        + 30.0 * ((i % 24) as f64 / 24.0 * std::f64::consts::TAU).sin()
                        + (i % 7) as f64,
                )
            })
            .collect()
    }

    #[test]
    fn gaps_incidents_events_and_a_dip_are_masked() {
        let mut v = weekly(10);
        v[5] = None;
        v[6] = None;
        v[9] = Some(f64::NAN);
        let last = v.len() - 1;
        v[last] = None;
        let dip = 5 * WEEK_H + 22;
        v[dip] = Some(40.0);
        let s = HourlySeries {
            start_us: 0,
            values: v,
        };
        let inc = [(10 * HOUR_US + 1, 12 * HOUR_US)]; // hours 10 and 11
        let ev = [EventWindow {
            start_us: 100 * HOUR_US,
            end_us: 103 * HOUR_US,
            uplift: 1.5,
        }];
        let p = prepare(&s, &inc, &ev);
        assert_eq!(
            p.gaps,
            vec![
                (5 * HOUR_US, 7 * HOUR_US),
                (9 * HOUR_US, 10 * HOUR_US),
                (last as i64 * HOUR_US, (last as i64 + 1) * HOUR_US)
            ]
        );
        assert_eq!(p.masked_incident_hours, 2);
        assert_eq!(p.masked_event_hours, 3);
        assert_eq!(p.masked_outlier_hours, 1);
        assert_eq!(p.series.values[dip], None);
        assert_eq!(p.series.values[10], None);
        assert_eq!(p.series.values[101], None);
        assert!(p.series.values[12].is_some());
        // A regular cycle with noise-free data has no other outlier.
        let clean = prepare(
            &HourlySeries {
                start_us: 0,
                values: weekly(10),
            },
            &[],
            &[],
        );
        assert_eq!(clean.masked_outlier_hours, 0);
    }

    #[test]
    fn empty_and_all_none_inputs() {
        let p = prepare(
            &HourlySeries {
                start_us: 0,
                values: vec![],
            },
            &[],
            &[],
        );
        assert!(p.gaps.is_empty());
        let p = prepare(
            &HourlySeries {
                start_us: 7 * HOUR_US,
                values: vec![None; 3],
            },
            &[],
            &[],
        );
        assert_eq!(p.gaps, vec![(7 * HOUR_US, 10 * HOUR_US)]);
    }
}
