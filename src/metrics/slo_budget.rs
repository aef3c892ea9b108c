//! Error budget of one SLO over a set of `slo` rows, under OpenSLO's three budgeting methods.
//!
//! The SLI is never queried from a metric source: it comes from the `slo` dataset's rows
//! (`ts`, `requests`, `errors`, `latency_p99_ms`), as [`crate::catalog`] documents:
//! - [`Sli::Availability`] (an OpenSLO `ratioMetric`): good events = `requests − errors`,
//!   total events = `requests`;
//! - [`Sli::Latency`] (a `thresholdMetric` on latency): a row is good when its
//!   `latency_p99_ms` `op` the threshold (`lt 500`: p99 < 500 ms). A row has no per-request
//!   latencies, so each row is one event (one time slice), whatever the budgeting method; rows
//!   without a p99 are left out. This is the same reading as `latency_slo_attainment` in
//!   `slo_metrics`.
//!
//! Methods (OpenSLO v1, `budgetingMethod`), with `target` the objective's target:
//! - **Occurrences**: SLI = good / total events; allowed bad = (1 − target) × total;
//!   bad = total − good.
//! - **Timeslices**: rows are grouped into slices of `timeSliceWindow` aligned on `origin` (the
//!   SLO window's start); a slice's ratio is its good / total events; a slice is good when its
//!   ratio ≥ `timeSliceTarget`. SLI = good slices / slices; allowed bad = (1 − target) × slices;
//!   bad = slices − good slices.
//! - **RatioTimeslices**: the same slices; SLI = the mean of the slices' ratios; bad = slices −
//!   Σ ratios; allowed bad = (1 − target) × slices.
//!
//! In every method, error budget remaining = 1 − bad / allowed bad (1 = untouched, 0 = spent,
//! negative = overspent) and is `None` without events or slices. A slice without events (no
//! requests, or for latency no row with a p99) is no slice: it is neither good nor bad. A row
//! that covers more than one slice (rows coarser than `timeSliceWindow`, e.g. 5-minute rows
//! with 1-minute slices) falls in the slice its `ts` is in, so each such row is one slice.
//! Rows with `errors` above `requests` (ingest quarantines them) count `errors = requests`;
//! negative counts count as 0.
//!
//! Pure: no I/O, no clock; the caller picks the rows of the window (see
//! [`crate::catalog::SloWindow::bounds`]).

use chrono::{DateTime, Utc};

/// The comparison of a threshold SLI (`op` in OpenSLO).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdOp {
    /// `lt`: good when the value is below the threshold.
    Lt,
    /// `lte`: good when the value is at most the threshold.
    Lte,
    /// `gt`: good when the value is above the threshold.
    Gt,
    /// `gte`: good when the value is at least the threshold.
    Gte,
}

impl ThresholdOp {
    /// Parse OpenSLO's `lt`, `lte`, `gt`, `gte`.
    pub fn parse(s: &str) -> Option<ThresholdOp> {
        match s {
            "lt" => Some(ThresholdOp::Lt),
            "lte" => Some(ThresholdOp::Lte),
            "gt" => Some(ThresholdOp::Gt),
            "gte" => Some(ThresholdOp::Gte),
            _ => None,
        }
    }

    /// The OpenSLO spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ThresholdOp::Lt => "lt",
            ThresholdOp::Lte => "lte",
            ThresholdOp::Gt => "gt",
            ThresholdOp::Gte => "gte",
        }
    }

    /// The mathematical symbol, for people.
    pub fn symbol(self) -> &'static str {
        match self {
            ThresholdOp::Lt => "<",
            ThresholdOp::Lte => "≤",
            ThresholdOp::Gt => ">",
            ThresholdOp::Gte => "≥",
        }
    }

    /// Whether `value op threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            ThresholdOp::Lt => value < threshold,
            ThresholdOp::Lte => value <= threshold,
            ThresholdOp::Gt => value > threshold,
            ThresholdOp::Gte => value >= threshold,
        }
    }
}

/// What an SLO measures, read from the `slo` dataset.
#[derive(Clone, Debug, PartialEq)]
pub enum Sli {
    /// (requests − errors) / requests.
    Availability,
    /// Rows whose `latency_p99_ms` `op` `threshold_ms`.
    Latency {
        /// The comparison.
        op: ThresholdOp,
        /// The threshold in milliseconds.
        threshold_ms: f64,
    },
}

impl Sli {
    /// The kind, without the threshold: two SLOs of one service with the same kind are the
    /// same SLO for the config/document duplicate check.
    pub fn kind(&self) -> &'static str {
        match self {
            Sli::Availability => "availability",
            Sli::Latency { .. } => "latency",
        }
    }
}

/// OpenSLO's `budgetingMethod`, with the per-objective settings it needs.
#[derive(Clone, Debug, PartialEq)]
pub enum BudgetingMethod {
    /// Good events / all events.
    Occurrences,
    /// Good slices / all slices; a slice is good when its ratio ≥ `slice_target`.
    Timeslices {
        /// `timeSliceTarget`, in (0, 1].
        slice_target: f64,
        /// `timeSliceWindow` in minutes, at least 1.
        slice_min: u32,
    },
    /// The mean of the slices' ratios.
    RatioTimeslices {
        /// `timeSliceWindow` in minutes, at least 1.
        slice_min: u32,
    },
}

impl BudgetingMethod {
    /// The OpenSLO name: `Occurrences`, `Timeslices`, `RatioTimeslices`.
    pub fn name(&self) -> &'static str {
        match self {
            BudgetingMethod::Occurrences => "Occurrences",
            BudgetingMethod::Timeslices { .. } => "Timeslices",
            BudgetingMethod::RatioTimeslices { .. } => "RatioTimeslices",
        }
    }

    /// The slice length in minutes; `None` for Occurrences.
    pub fn slice_min(&self) -> Option<u32> {
        match self {
            BudgetingMethod::Occurrences => None,
            BudgetingMethod::Timeslices { slice_min, .. }
            | BudgetingMethod::RatioTimeslices { slice_min } => Some(*slice_min),
        }
    }
}

/// One `slo` row, as the budget reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliRow {
    /// Start of the row's interval.
    pub ts: DateTime<Utc>,
    pub requests: i64,
    pub errors: i64,
    /// The row's p99 latency in ms, if the export has one.
    pub latency_p99_ms: Option<f64>,
}

/// The figures of one SLO's error budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Good events (Occurrences), good slices (Timeslices) or the sum of slice ratios
    /// (RatioTimeslices).
    pub good: f64,
    /// Events (Occurrences) or slices (the two slice methods).
    pub total: f64,
    /// total − good.
    pub bad: f64,
    /// (1 − target) × total.
    pub allowed_bad: f64,
    /// The attained SLI: good / total; `None` when total = 0.
    pub sli: Option<f64>,
    /// 1 − bad / allowed bad; `None` when total = 0.
    pub remaining: Option<f64>,
}

/// The error budget of an SLO with `sli`, `target` (in (0, 1)) and `method` over `rows`.
/// Slices are aligned on `origin` (the window's start); rows are taken as given, in any order.
pub fn error_budget(
    rows: &[SliRow],
    sli: &Sli,
    target: f64,
    method: &BudgetingMethod,
    origin: DateTime<Utc>,
) -> Budget {
    let (good, total) = match method {
        BudgetingMethod::Occurrences => rows
            .iter()
            .filter_map(|r| row_events(r, sli))
            .fold((0.0, 0.0), |(g, t), (rg, rt)| (g + rg, t + rt)),
        BudgetingMethod::Timeslices {
            slice_target,
            slice_min,
        } => {
            let ratios = slice_ratios(rows, sli, *slice_min, origin);
            let good = ratios.iter().filter(|r| **r >= *slice_target).count();
            (good as f64, ratios.len() as f64)
        }
        BudgetingMethod::RatioTimeslices { slice_min } => {
            let ratios = slice_ratios(rows, sli, *slice_min, origin);
            (ratios.iter().sum(), ratios.len() as f64)
        }
    };
    let allowed_bad = (1.0 - target) * total;
    let bad = total - good;
    let has = total > 0.0;
    Budget {
        good,
        total,
        bad,
        allowed_bad,
        sli: has.then(|| good / total),
        remaining: (has && allowed_bad > 0.0).then(|| 1.0 - bad / allowed_bad),
    }
}

/// A row's (good, total) events; `None` when it holds none.
fn row_events(row: &SliRow, sli: &Sli) -> Option<(f64, f64)> {
    match sli {
        Sli::Availability => {
            let requests = row.requests.max(0);
            let errors = row.errors.clamp(0, requests);
            (requests > 0).then(|| ((requests - errors) as f64, requests as f64))
        }
        Sli::Latency { op, threshold_ms } => {
            let p99 = row.latency_p99_ms.filter(|v| v.is_finite())?;
            Some((f64::from(u8::from(op.holds(p99, *threshold_ms))), 1.0))
        }
    }
}

/// The ratio of each slice that holds events, in slice order.
fn slice_ratios(rows: &[SliRow], sli: &Sli, slice_min: u32, origin: DateTime<Utc>) -> Vec<f64> {
    let slice_us = i64::from(slice_min.max(1)) * 60_000_000;
    let mut slices: std::collections::BTreeMap<i64, (f64, f64)> = Default::default();
    for row in rows {
        let Some((good, total)) = row_events(row, sli) else {
            continue;
        };
        let offset = row.ts.timestamp_micros() - origin.timestamp_micros();
        let slot = slices.entry(offset.div_euclid(slice_us)).or_default();
        slot.0 += good;
        slot.1 += total;
    }
    slices.values().map(|(g, t)| g / t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap()
    }

    /// Ten one-minute rows of 100 requests; minute 2 has 5 errors, minute 6 has 2.
    fn minutes() -> Vec<SliRow> {
        let errors = [0, 0, 5, 0, 0, 0, 2, 0, 0, 0];
        errors
            .iter()
            .enumerate()
            .map(|(i, e)| SliRow {
                ts: t0() + chrono::Duration::minutes(i as i64),
                requests: 100,
                errors: *e,
                latency_p99_ms: Some(if *e > 0 { 900.0 } else { 120.0 }),
            })
            .collect()
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("a figure");
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn occurrences_and_timeslices_on_the_same_minutes() {
        let rows = minutes();
        // Occurrences, target 0.9: 1000 requests, 7 errors.
        // allowed bad = (1 − 0.9) × 1000 = 100; remaining = 1 − 7 / 100 = 0.93.
        let b = error_budget(
            &rows,
            &Sli::Availability,
            0.9,
            &BudgetingMethod::Occurrences,
            t0(),
        );
        assert_eq!((b.good, b.total), (993.0, 1000.0));
        close(b.sli, 0.993);
        close(Some(b.allowed_bad), 100.0);
        close(b.remaining, 0.93);

        // Timeslices, target 0.9, 1-minute slices, slice target 0.99: the slices' ratios are
        // 1, 1, 0.95, 1, 1, 1, 0.98, 1, 1, 1 → 2 bad slices of 10 (0.95 and 0.98 < 0.99).
        // allowed bad = (1 − 0.9) × 10 = 1; remaining = 1 − 2 / 1 = −1 (overspent), where
        // Occurrences still had 93 % left: the same 7 errors, counted as two bad minutes.
        let ts = BudgetingMethod::Timeslices {
            slice_target: 0.99,
            slice_min: 1,
        };
        let b = error_budget(&rows, &Sli::Availability, 0.9, &ts, t0());
        assert_eq!((b.good, b.total, b.bad), (8.0, 10.0, 2.0));
        close(b.sli, 0.8);
        close(b.remaining, -1.0);

        // Timeslices with 5-minute slices: slice 0 = minutes 0–4, 495 / 500 = 0.99 ≥ 0.99
        // (good: the comparison is inclusive); slice 1 = minutes 5–9, 498 / 500 = 0.996 (good).
        // 0 bad of 2 slices: remaining = 1 − 0 / 0.2 = 1.
        let ts5 = BudgetingMethod::Timeslices {
            slice_target: 0.99,
            slice_min: 5,
        };
        let b = error_budget(&rows, &Sli::Availability, 0.9, &ts5, t0());
        assert_eq!((b.good, b.total), (2.0, 2.0));
        close(b.remaining, 1.0);

        // RatioTimeslices, 1-minute slices: mean ratio = (8 + 0.95 + 0.98) / 10 = 0.993;
        // bad = 10 − 9.93 = 0.07; allowed = 1; remaining = 1 − 0.07 = 0.93 (equal to
        // Occurrences here because every slice has the same number of requests).
        let rt = BudgetingMethod::RatioTimeslices { slice_min: 1 };
        let b = error_budget(&rows, &Sli::Availability, 0.9, &rt, t0());
        close(b.sli, 0.993);
        close(b.remaining, 0.93);
    }

    #[test]
    fn latency_threshold_counts_rows_as_slices() {
        let rows = minutes();
        // p99 is 900 ms in minutes 2 and 6, 120 ms elsewhere; `lt 500` → 8 good rows of 10.
        let sli = Sli::Latency {
            op: ThresholdOp::Lt,
            threshold_ms: 500.0,
        };
        // target 0.75: allowed bad = 0.25 × 10 = 2.5; remaining = 1 − 2 / 2.5 = 0.2.
        let b = error_budget(&rows, &sli, 0.75, &BudgetingMethod::Occurrences, t0());
        close(b.sli, 0.8);
        close(b.remaining, 0.2);
        // 5-minute slices, slice target 0.9: each slice has 4 good rows of 5 (ratio 0.8 < 0.9)
        // → 2 bad slices of 2; allowed = 0.25 × 2 = 0.5; remaining = 1 − 2 / 0.5 = −3.
        let ts5 = BudgetingMethod::Timeslices {
            slice_target: 0.9,
            slice_min: 5,
        };
        let b = error_budget(&rows, &sli, 0.75, &ts5, t0());
        assert_eq!((b.good, b.total), (0.0, 2.0));
        close(b.remaining, -3.0);
    }

    #[test]
    fn no_events_no_budget_and_bad_rows_do_not_panic() {
        let b = error_budget(
            &[],
            &Sli::Availability,
            0.999,
            &BudgetingMethod::Occurrences,
            t0(),
        );
        assert_eq!((b.sli, b.remaining), (None, None));
        let odd = [
            SliRow {
                ts: t0() - chrono::Duration::minutes(3),
                requests: 10,
                errors: 50,
                latency_p99_ms: Some(f64::NAN),
            },
            SliRow {
                ts: t0(),
                requests: -4,
                errors: -1,
                latency_p99_ms: None,
            },
        ];
        // errors above requests count as requests: 0 good of 10; the negative row is empty.
        let b = error_budget(
            &odd,
            &Sli::Availability,
            0.9,
            &BudgetingMethod::Occurrences,
            t0(),
        );
        assert_eq!((b.good, b.total), (0.0, 10.0));
        close(b.remaining, -9.0);
        let sli = Sli::Latency {
            op: ThresholdOp::Lte,
            threshold_ms: 1.0,
        };
        let b = error_budget(&odd, &sli, 0.9, &BudgetingMethod::Occurrences, t0());
        assert_eq!(b.remaining, None, "a NaN p99 is no event");
        // a row before the origin falls in slice −1, not in slice 0
        let rt = BudgetingMethod::RatioTimeslices { slice_min: 60 };
        let b = error_budget(&odd, &Sli::Availability, 0.9, &rt, t0());
        assert_eq!(b.total, 1.0);
    }

    #[test]
    fn ops_compare_as_named() {
        assert!(ThresholdOp::Lt.holds(1.0, 2.0) && !ThresholdOp::Lt.holds(2.0, 2.0));
        assert!(ThresholdOp::Lte.holds(2.0, 2.0));
        assert!(ThresholdOp::Gt.holds(3.0, 2.0) && !ThresholdOp::Gt.holds(2.0, 2.0));
        assert!(ThresholdOp::Gte.holds(2.0, 2.0));
        for op in ["lt", "lte", "gt", "gte"] {
            assert_eq!(ThresholdOp::parse(op).map(ThresholdOp::as_str), Some(op));
        }
        assert_eq!(ThresholdOp::parse("le"), None);
    }
}
