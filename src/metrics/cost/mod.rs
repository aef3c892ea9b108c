//! Cost per player from FOCUS bills (issue 4): the daily cost ledger and the five cost tables
//! `cost_per_player`, `cost_trends`, `cost_anomalies`, `cost_efficiency` and `cost_restated`.
//!
//! Pure: no I/O, no clock, no environment. The caller scans the lake's `cost`, `activity` and
//! `ccu` datasets, and hands over plain rows; the window and `as_of` are parameters. In order:
//!
//! 1. [`parse_cost`] reads `[cost]` from the config into [`CostSettings`].
//! 2. [`cost_rows_from_frame`] reads the lake's cost rows; [`activity_days_from_frame`] the
//!    `activity` rows; [`ccu_days_from_frame`] a daily CCU aggregate the caller computed
//!    (`date`, `region`, `peak_ccu`, `player_hours`; `*` for the whole game).
//!    [`PlayerActivity::new`] resolves the player side per (day, region).
//! 3. [`CostLedger::build`] splits every charge into UTC days, maps it to a game region and a
//!    service, converts currencies and shares cost out: the one place money is allocated.
//! 4. [`cost_per_player`], [`cost_trends`], [`cost_anomalies`], [`cost_efficiency`] and
//!    [`cost_restated`] (with the previous run's totals, [`previous_totals_from_frame`]) give
//!    the rows; each has a `*_frame` function that makes the table (money as
//!    `Decimal(38, 12)`, ratios `f64`), described in `reports/README.md`.
//!
//! Money is exact throughout ([`money`]): amounts are `i128` at scale 12, splits use the
//! largest-remainder method, so Σ allocated = Σ input to the last 1e-12, and the window's
//! `(*, *)` cost reconciles to the bill.

pub mod anomalies;
pub mod efficiency;
pub mod ledger;
pub mod money;
pub mod per_player;
pub mod players;
pub mod restated;
pub mod rows;
pub mod settings;
pub mod trends;

pub use anomalies::{AnomalyRow, cost_anomalies, cost_anomalies_frame};
pub use efficiency::{EfficiencyRow, cost_efficiency, cost_efficiency_frame};
pub use ledger::{CostLedger, SliceCost};
pub use money::Money;
pub use per_player::{CostPerPlayerRow, CostWindow, cost_per_player, cost_per_player_frame};
pub use players::{
    ActivityDay, CcuDay, PlayerActivity, PlayerDay, activity_days_from_frame, ccu_days_from_frame,
};
pub use restated::{
    DayTotal, RestatedRow, cost_restated, cost_restated_frame, previous_totals_from_frame,
};
pub use rows::{ChargeCategory, CommitmentStatus, CostRow, Tags, cost_rows_from_frame};
pub use settings::{Basis, CostSettings, Share, parse_cost};
pub use trends::{TrendRow, cost_trends, cost_trends_frame};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod focus_tests;

#[cfg(test)]
mod props_tests;
