//! Capacity plan arithmetic on hand-made cases.

use chrono::NaiveDate;

use super::*;
use crate::forecast::{
    DAY_H, DayPoint, EventWindow, ForecastConfig, HOUR_US, HourlySeries, Prepared, forecast_region,
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

/// Five days from 2026-03-10: medians 100, 110, 120, 130, 140; hi95 = 1.2 × median
/// (120, 132, 144, 156, 168).
fn forecast() -> RegionForecast {
    let daily = (0..5)
        .map(|i| {
            let m = 100.0 + 10.0 * i as f64;
            DayPoint {
                date: day(10 + i),
                median: m,
                lo80: 0.9 * m,
                hi80: 1.1 * m,
                lo95: 0.8 * m,
                hi95: 1.2 * m,
                event: None,
            }
        })
        .collect();
    RegionForecast {
        model: "mstl".into(),
        hourly: vec![],
        daily,
        backtest: vec![],
        backtest_mase: Some(0.6),
        backtest_cov95: Some(0.95),
    }
}

fn row(from: NaiveDate, instances: u64) -> CapacityRow {
    CapacityRow {
        effective_from: from,
        instances,
        players_per_instance: 100.0,
        max_instances: None,
        provisioning_lead_days: Some(2),
        instance_cost_per_hour: Some(0.5),
    }
}

#[test]
fn required_instances_formula() {
    let k = PlanKnobs::default(); // headroom 0.2, utilisation 0.8, redundancy 1
    // 168 × 1.2 / (100 × 0.8) = 2.52 → 3, + 1.
    assert_eq!(required_instances(168.0, 100.0, &k), 4);
    // Exactly 2.0 stays 2, + 1.
    let plain = PlanKnobs {
        headroom: 0.0,
        target_utilisation: 1.0,
        ..k.clone()
    };
    assert_eq!(required_instances(200.0, 100.0, &plain), 3);
    assert_eq!(required_instances(0.0, 100.0, &k), 1);
    assert_eq!(required_instances(f64::NAN, 100.0, &k), 1);
    assert_eq!(required_instances(10.0, 0.0, &k), u64::MAX);
}

#[test]
fn exhaustion_and_order_by_dates() {
    // 3 instances: capacity = (3 − 1) × 100 × 0.8 / 1.2 = 133.3 CCU.
    let p = capacity_plan(
        "eu",
        day(9),
        &forecast(),
        &[row(day(1), 3)],
        &PlanKnobs::default(),
    );
    assert!((p.current_capacity_ccu.unwrap() - 400.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        (p.forecast_peak_ccu, p.hi95_peak_ccu),
        (Some(140.0), Some(168.0))
    );
    // hi95 144 > 133.3 on the third day; the median 140 on the fifth.
    assert_eq!(p.exhaustion_date_hi95, Some(day(12)));
    assert_eq!(p.exhaustion_date_median, Some(day(14)));
    // Lead 2 days.
    assert_eq!(p.order_by_date, Some(day(10)));
    // Largest need: ⌈168 × 1.2 / 80⌉ + 1 = 4, one more than the 3 there.
    assert_eq!(
        (p.required_instances, p.instances_to_add),
        (Some(4), Some(1))
    );
    assert_eq!(p.order_cost_per_month, Some(0.5 * 730.0));
    assert!(!p.cannot_cover);
    assert_eq!(
        (p.model.as_str(), p.backtest_mase, p.backtest_cov95),
        ("mstl", Some(0.6), Some(0.95))
    );
}

#[test]
fn scheduled_capacity_and_max_instances() {
    // 10 instances from the 12th (scheduled): the 12th is covered, nothing runs out.
    let rows = [row(day(1), 3), row(day(12), 10)];
    let p = capacity_plan("eu", day(9), &forecast(), &rows, &PlanKnobs::default());
    assert_eq!(
        (
            p.exhaustion_date_hi95,
            p.exhaustion_date_median,
            p.order_by_date
        ),
        (None, None, None)
    );
    assert_eq!(p.instances_to_add, Some(0));
    // Scheduled from the 13th instead: the 12th still runs out.
    let rows = [row(day(1), 3), row(day(13), 10)];
    let p = capacity_plan("eu", day(9), &forecast(), &rows, &PlanKnobs::default());
    assert_eq!(p.exhaustion_date_hi95, Some(day(12)));
    assert_eq!(p.exhaustion_date_median, None);
    // At most 3 instances: the 4 needed cannot be had.
    let capped = CapacityRow {
        max_instances: Some(3),
        ..row(day(1), 3)
    };
    let p = capacity_plan("eu", day(9), &forecast(), &[capped], &PlanKnobs::default());
    assert!(p.cannot_cover);
    assert_eq!(p.instances_to_add, Some(0));
    // No capacity rows: every capacity figure empty.
    let p = capacity_plan("eu", day(9), &forecast(), &[], &PlanKnobs::default());
    assert_eq!(
        (
            p.current_capacity_ccu,
            p.exhaustion_date_hi95,
            p.required_instances
        ),
        (None, None, None)
    );
    assert_eq!(p.hi95_peak_ccu, Some(168.0));
}

#[test]
fn capacity_in_force_each_day() {
    let rows = [row(day(5), 1), row(day(1), 2), row(day(5), 3)];
    let got: Vec<Option<u64>> = capacity_by_day(&rows, &[day(1), day(4), day(5), day(30)])
        .iter()
        .map(|r| r.as_ref().map(|r| r.instances))
        .collect();
    // Of the two rows from the 5th, the later given wins.
    assert_eq!(got, [Some(2), Some(2), Some(3), Some(3)]);
    assert_eq!(
        capacity_by_day(&rows, &[NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()]),
        vec![None]
    );
}

#[test]
fn an_event_uplift_moves_exhaustion_earlier() {
    // A flat weekly cycle peaking at 1000 (no noise), from 2026-01-05 for 12 weeks.
    let start_us = 1_767_571_200_000_000;
    let values = (0..12 * 7 * DAY_H)
        .map(|t| {
            Some(
                600.0
                    + 400.0 * if t % DAY_H == 20 { 1.0 } else { 0.5 }
                    + if (t / DAY_H) % 7 == 5 { 0.0 } else { -50.0 },
            )
        })
        .collect();
    let s = HourlySeries { start_us, values };
    let cfg = ForecastConfig::default();
    let knobs = PlanKnobs {
        headroom: 0.0,
        target_utilisation: 1.0,
        redundancy_instances: 0,
        default_lead_days: 7,
    };
    // 11 instances of 100 carry 1100 CCU: the plain forecast (peak 1000) never runs out.
    let cap = [CapacityRow {
        provisioning_lead_days: None,
        ..row(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), 11)
    }];
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 30).unwrap();
    let plain = forecast_region(&Prepared::unmasked(&s), &[], &cfg).unwrap();
    let p = capacity_plan("na", as_of, &plain, &cap, &knobs);
    assert_eq!(
        (p.exhaustion_date_hi95, p.exhaustion_date_median),
        (None, None)
    );
    // +30 % from the 10th day of the horizon for three days.
    let day_us = DAY_H as i64 * HOUR_US;
    let ev = EventWindow {
        start_us: s.end_us() + 9 * day_us,
        end_us: s.end_us() + 12 * day_us,
        uplift: 1.3,
    };
    let with = forecast_region(&Prepared::unmasked(&s), &[ev], &cfg).unwrap();
    let p = capacity_plan("na", as_of, &with, &cap, &knobs);
    let tenth = NaiveDate::from_ymd_opt(2026, 4, 8).unwrap();
    assert_eq!(with.daily[9].date, tenth);
    assert_eq!(
        (p.exhaustion_date_hi95, p.exhaustion_date_median),
        (Some(tenth), Some(tenth))
    );
    assert_eq!(p.order_by_date, NaiveDate::from_ymd_opt(2026, 4, 1));
    // 1300 CCU needs 13 instances.
    assert_eq!(
        (p.required_instances, p.instances_to_add),
        (Some(13), Some(2))
    );
}
