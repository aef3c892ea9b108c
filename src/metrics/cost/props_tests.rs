//! Property tests of the ledger: sharing conserves every amount exactly, under every mode; a
//! day costs the same whether the bill has one row per hour or one per day.

use chrono::DateTime;
use proptest::prelude::*;

use super::tests::{DAY, HOUR, act, in_region, row, settings, t, tagged, window};
use super::*;

/// Random bill rows over three days, regions and services.
fn arb_rows() -> impl Strategy<Value = Vec<CostRow>> {
    let one = (
        0i64..72,                                              // start hour
        1i64..60,                                              // length in hours
        -1_000_000_000_000_000i128..1_000_000_000_000_000i128, // raw amount
        0usize..3,                                             // region id
        0usize..3,                                             // service tag
        any::<bool>(),                                         // credit
    );
    proptest::collection::vec(one, 0..20).prop_map(|v| {
        let base = t("2026-10-01T00:00:00Z").timestamp_micros();
        v.into_iter()
            .map(|(h, len, raw, region, service, credit)| {
                let mut r = CostRow::usage(
                    base + h * HOUR,
                    base + (h + len) * HOUR,
                    Money::from_raw(raw),
                    "USD",
                );
                if region < 2 {
                    r = in_region(r, ["eu-west-1", "us-east-1"][region]);
                }
                if service < 2 {
                    r = tagged(r, "svc", ["game", "chat"][service]);
                }
                if credit {
                    r.category = ChargeCategory::Credit;
                }
                r
            })
            .collect()
    })
}

const MAP: &str = "[cost.region_map]\n\"eu-west-1\" = \"eu\"\n\"us-east-1\" = \"na\"\n[[cost.service_map]]\ntag = \"svc\"\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Σ allocated = Σ input, for every amount, under every sharing mode.
    #[test]
    fn allocation_conserves_the_total_exactly(
        rows in arb_rows(),
        share in 0usize..3,
        ph in proptest::collection::vec(0.0f64..1e6, 6),
    ) {
        let mode = ["none", "player_hours", "direct_cost"][share];
        let s = settings(&format!("[cost]\nshare = \"{mode}\"\n{MAP}"));
        let acts: Vec<ActivityDay> = (0..6)
            .map(|k| act(["2026-10-01", "2026-10-02", "2026-10-03"][k / 2], ["eu", "na"][k % 2], 10, Some(ph[k])))
            .collect();
        let players = PlayerActivity::new(&acts, &[]);
        let ledger = CostLedger::build(&rows, &s, &players).unwrap();
        let input: Money = rows.iter().map(|r| r.effective_cost).sum();
        let credits: Money = rows.iter().filter(|r| r.category == ChargeCategory::Credit).map(|r| r.effective_cost).sum();
        let total = |f: fn(&SliceCost) -> Money| ledger.slices.values().map(f).sum::<Money>();
        prop_assert_eq!(total(|s| s.cost), input);
        prop_assert_eq!(total(|s| s.credits), credits);
        // unallocated is counted before sharing, whatever the mode
        let untagged: Money = rows.iter().filter(|r| r.tags.is_empty()).map(|r| r.effective_cost).sum();
        prop_assert_eq!(total(|s| s.unallocated), untagged);
        // and the window's (*, *) row is the bill
        let w = window("2026-10-01T00:00:00Z", "2026-10-07T00:00:00Z", "2026-11-01T00:00:00Z");
        let cpp = cost_per_player(&ledger, &players, &w);
        let win = row(&cpp, "window", "*", "*");
        prop_assert_eq!(win.cost, Some(input).filter(|_| !ledger.covered.is_empty()));
    }

    /// A day costs the same whether the bill has one row per hour or one row per day.
    #[test]
    fn a_day_costs_the_same_billed_hourly_or_daily(
        hours in proptest::collection::vec(-1_000_000_000_000_000i128..1_000_000_000_000_000i128, 72),
        offset in 0i64..3,
    ) {
        let base = t("2026-10-01T00:00:00Z").timestamp_micros() + offset * DAY;
        let hourly: Vec<CostRow> = hours
            .iter()
            .enumerate()
            .map(|(h, raw)| CostRow::usage(base + h as i64 * HOUR, base + (h as i64 + 1) * HOUR, Money::from_raw(*raw), "USD"))
            .collect();
        let daily: Vec<CostRow> = hours
            .chunks(24)
            .enumerate()
            .map(|(k, c)| {
                let sum: Money = c.iter().map(|r| Money::from_raw(*r)).sum();
                CostRow::usage(base + k as i64 * DAY, base + (k as i64 + 1) * DAY, sum, "USD")
            })
            .collect();
        let s = CostSettings::default();
        let players = PlayerActivity::default();
        let a = CostLedger::build(&hourly, &s, &players).unwrap();
        let b = CostLedger::build(&daily, &s, &players).unwrap();
        for k in 0..3 {
            let date = (DateTime::from_timestamp_micros(base + k * DAY).unwrap()).date_naive();
            let on = |l: &CostLedger| l.slices.iter().filter(|(key, _)| key.0 == date).map(|(_, v)| v.cost).sum::<Money>();
            prop_assert_eq!(on(&a), on(&b));
        }
        // and a uniform 72-hour row equals 72 equal hourly rows, day by day
        let unit = Money::from_raw(hours[0]);
        let one = [CostRow::usage(base, base + 72 * HOUR, Money::from_raw(hours[0] * 72), "USD")];
        let many: Vec<CostRow> = (0..72).map(|h| CostRow::usage(base + h * HOUR, base + (h + 1) * HOUR, unit, "USD")).collect();
        let (a, b) = (CostLedger::build(&one, &s, &players).unwrap(), CostLedger::build(&many, &s, &players).unwrap());
        prop_assert_eq!(a.slices, b.slices);
    }
}
