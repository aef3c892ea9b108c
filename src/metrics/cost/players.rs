//! The player side of cost per player: daily active players, player-hours and peak CCU per
//! UTC day and game region, from the `activity` export and from CCU samples.
//!
//! The caller computes both inputs (in polars, from the lake) and passes plain rows:
//! - [`ActivityDay`]: the `activity` dataset as it is (`date`, `region`, `dau`, optional
//!   `player_hours` and `peak_ccu`); `region = "*"` is the whole game (players active in
//!   several regions count once).
//! - [`CcuDay`]: per UTC day and region, the peak of the CCU samples (summed over shards) and
//!   their integral over the day in player-hours; `region = "*"` for the whole game (the peak
//!   of the sum over regions, not the sum of the regions' peaks).
//!
//! [`PlayerActivity`] resolves, per (day, region): DAU from `activity`; player-hours from
//! `activity.player_hours`, else the CCU integral; peak CCU from `activity.peak_ccu`, else the
//! CCU peak. For `*`: the `*` activity row, else the sum of the regions' DAU (flagged as
//! summed: a player active in two regions counts twice) and player-hours; peak CCU only from a
//! `*` row of either input (the sum of regional peaks would overstate it), else none.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::settings::{ALL, GLOBAL};
use crate::error::{PolarsContext, Result};

/// One row of the `activity` dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityDay {
    pub date: NaiveDate,
    /// Game region, or `*` for the whole game.
    pub region: String,
    pub dau: u64,
    pub player_hours: Option<f64>,
    pub peak_ccu: Option<u64>,
}

/// One day of one region's CCU samples.
#[derive(Clone, Debug, PartialEq)]
pub struct CcuDay {
    pub date: NaiveDate,
    /// Game region, or `*` for the whole game.
    pub region: String,
    /// The day's largest sample (summed over shards; for `*`, over regions).
    pub peak_ccu: u64,
    /// The samples integrated over the day, in player-hours.
    pub player_hours: f64,
}

/// The player figures of one (day, region).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PlayerDay {
    pub dau: Option<u64>,
    pub player_hours: Option<f64>,
    pub peak_ccu: Option<u64>,
    /// `*` only: the DAU is the sum of the regions' (no `*` activity row that day).
    pub dau_summed: bool,
}

/// The player figures by day and region, resolved as the module doc says.
#[derive(Clone, Debug, Default)]
pub struct PlayerActivity {
    days: HashMap<NaiveDate, HashMap<String, PlayerDay>>,
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
}

impl PlayerActivity {
    /// Resolve the two inputs (later rows of one (date, region) replace earlier ones).
    pub fn new(activity: &[ActivityDay], ccu: &[CcuDay]) -> PlayerActivity {
        let mut days: HashMap<NaiveDate, HashMap<String, PlayerDay>> = HashMap::new();
        for c in ccu {
            let d = days
                .entry(c.date)
                .or_default()
                .entry(c.region.clone())
                .or_default();
            d.player_hours = finite(Some(c.player_hours));
            d.peak_ccu = Some(c.peak_ccu);
        }
        for a in activity {
            let d = days
                .entry(a.date)
                .or_default()
                .entry(a.region.clone())
                .or_default();
            d.dau = Some(a.dau);
            if let Some(ph) = finite(a.player_hours) {
                d.player_hours = Some(ph);
            }
            if let Some(p) = a.peak_ccu {
                d.peak_ccu = Some(p);
            }
        }
        for regions in days.values_mut() {
            let mut dau_sum: Option<u64> = None;
            let mut ph_sum: Option<f64> = None;
            for (r, d) in regions.iter() {
                if r == ALL {
                    continue;
                }
                if let Some(v) = d.dau {
                    dau_sum = Some(dau_sum.unwrap_or(0).saturating_add(v));
                }
                if let Some(v) = d.player_hours {
                    ph_sum = Some(ph_sum.unwrap_or(0.0) + v);
                }
            }
            let all = regions.entry(ALL.to_string()).or_default();
            if all.dau.is_none() && dau_sum.is_some() {
                all.dau = dau_sum;
                all.dau_summed = true;
            }
            if all.player_hours.is_none() {
                all.player_hours = ph_sum;
            }
        }
        PlayerActivity { days }
    }

    /// The figures of `region` (or `*`) on `date`; all empty when there are none.
    pub fn get(&self, date: NaiveDate, region: &str) -> PlayerDay {
        self.days
            .get(&date)
            .and_then(|r| r.get(region))
            .copied()
            .unwrap_or_default()
    }

    /// The game regions (not `*`, not `global`) with player-hours above zero on `date`, in
    /// name order.
    pub fn regions_with_player_hours(&self, date: NaiveDate) -> Vec<(&str, f64)> {
        let mut out: Vec<(&str, f64)> = self
            .days
            .get(&date)
            .map(|regions| {
                regions
                    .iter()
                    .filter(|(r, _)| r.as_str() != ALL && r.as_str() != GLOBAL)
                    .filter_map(|(r, d)| {
                        d.player_hours.filter(|p| *p > 0.0).map(|p| (r.as_str(), p))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
}

const EPOCH_DAYS_CE: i32 = 719_163;

fn dates(df: &DataFrame, c: &str) -> Result<Vec<Option<NaiveDate>>> {
    let s = df
        .column(c)
        .ctx(|| format!("column `{c}`"))?
        .cast(&DataType::Date)
        .ctx(|| format!("column `{c}` as a date"))?
        .cast(&DataType::Int32)
        .ctx(|| format!("column `{c}` as a date"))?;
    Ok(s.i32()
        .ctx(|| format!("column `{c}` as a date"))?
        .iter()
        .map(|d| {
            d.and_then(|d| NaiveDate::from_num_days_from_ce_opt(d.checked_add(EPOCH_DAYS_CE)?))
        })
        .collect())
}

fn optional_reals(df: &DataFrame, c: &str) -> Result<Vec<Option<f64>>> {
    if df.column(c).is_err() {
        return Ok(vec![None; df.height()]);
    }
    crate::metrics::columns::reals(df, c)
}

fn optional_counts(df: &DataFrame, c: &str) -> Result<Vec<Option<u64>>> {
    if df.column(c).is_err() {
        return Ok(vec![None; df.height()]);
    }
    Ok(optional_reals(df, c)?
        .into_iter()
        .map(|v| v.filter(|x| x.is_finite() && *x >= 0.0).map(|x| x as u64))
        .collect())
}

/// The rows of a frame with the canonical `activity` columns (`date`, `region`, `dau`;
/// `player_hours` and `peak_ccu` may be absent). Rows without a date, region or DAU are
/// skipped.
pub fn activity_days_from_frame(df: &DataFrame) -> Result<Vec<ActivityDay>> {
    let date = dates(df, "date")?;
    let region = crate::metrics::columns::texts(df, "region")?;
    let dau = optional_counts(df, "dau")?;
    df.column("dau").ctx(|| "column `dau`".into())?;
    let ph = optional_reals(df, "player_hours")?;
    let peak = optional_counts(df, "peak_ccu")?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let (Some(date), Some(region), Some(dau)) = (date[i], region[i].clone(), dau[i]) else {
            continue;
        };
        out.push(ActivityDay {
            date,
            region,
            dau,
            player_hours: ph[i],
            peak_ccu: peak[i],
        });
    }
    Ok(out)
}

/// The rows of a frame with columns `date` (a date), `region`, `peak_ccu` and `player_hours`
/// (the caller's daily CCU aggregate). Rows with a null in any of them are skipped.
pub fn ccu_days_from_frame(df: &DataFrame) -> Result<Vec<CcuDay>> {
    let date = dates(df, "date")?;
    let region = crate::metrics::columns::texts(df, "region")?;
    df.column("peak_ccu").ctx(|| "column `peak_ccu`".into())?;
    df.column("player_hours")
        .ctx(|| "column `player_hours`".into())?;
    let peak = optional_counts(df, "peak_ccu")?;
    let ph = optional_reals(df, "player_hours")?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let (Some(date), Some(region), Some(peak_ccu), Some(player_hours)) =
            (date[i], region[i].clone(), peak[i], ph[i])
        else {
            continue;
        };
        out.push(CcuDay {
            date,
            region,
            peak_ccu,
            player_hours,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn act(date: &str, region: &str, dau: u64, ph: Option<f64>, peak: Option<u64>) -> ActivityDay {
        ActivityDay {
            date: d(date),
            region: region.into(),
            dau,
            player_hours: ph,
            peak_ccu: peak,
        }
    }

    #[test]
    fn activity_first_then_ccu_and_the_whole_game() {
        let p = PlayerActivity::new(
            &[
                act("2026-10-01", "eu", 100, Some(250.0), None),
                act("2026-10-01", "na", 50, None, Some(20)),
                act("2026-10-02", "eu", 10, None, None),
                act("2026-10-02", "*", 12, None, None),
            ],
            &[
                CcuDay {
                    date: d("2026-10-01"),
                    region: "eu".into(),
                    peak_ccu: 40,
                    player_hours: 999.0,
                },
                CcuDay {
                    date: d("2026-10-01"),
                    region: "na".into(),
                    peak_ccu: 30,
                    player_hours: 80.0,
                },
                CcuDay {
                    date: d("2026-10-01"),
                    region: "*".into(),
                    peak_ccu: 65,
                    player_hours: 330.0,
                },
            ],
        );
        // eu: activity's player-hours beat the CCU integral; CCU gives the peak
        assert_eq!(
            p.get(d("2026-10-01"), "eu"),
            PlayerDay {
                dau: Some(100),
                player_hours: Some(250.0),
                peak_ccu: Some(40),
                dau_summed: false
            }
        );
        // na: activity's peak beats the CCU peak; CCU gives the player-hours
        assert_eq!(p.get(d("2026-10-01"), "na").player_hours, Some(80.0));
        assert_eq!(p.get(d("2026-10-01"), "na").peak_ccu, Some(20));
        // the whole game: DAU summed (flagged), player-hours and peak from the `*` CCU row
        let all = p.get(d("2026-10-01"), "*");
        assert_eq!(
            (all.dau, all.dau_summed, all.player_hours, all.peak_ccu),
            (Some(150), true, Some(330.0), Some(65))
        );
        // a `*` activity row is the global DAU; no `*` peak anywhere → none
        let all = p.get(d("2026-10-02"), "*");
        assert_eq!(
            (all.dau, all.dau_summed, all.player_hours, all.peak_ccu),
            (Some(12), false, None, None)
        );
        assert_eq!(p.get(d("2026-10-03"), "eu"), PlayerDay::default());
        assert_eq!(
            p.regions_with_player_hours(d("2026-10-01")),
            vec![("eu", 250.0), ("na", 80.0)]
        );
    }

    #[test]
    fn from_frames() {
        let df = df!(
            "date" => ["2026-10-01", "2026-10-01"],
            "region" => [Some("eu"), None],
            "dau" => [Some(5i64), Some(1)],
            "player_hours" => [Some(2.5f64), None],
        )
        .unwrap();
        let rows = activity_days_from_frame(&df).unwrap();
        assert_eq!(rows, vec![act("2026-10-01", "eu", 5, Some(2.5), None)]);
        let df = df!("date" => ["2026-10-01"], "region" => ["*"], "peak_ccu" => [7i64], "player_hours" => [3.0f64]).unwrap();
        assert_eq!(ccu_days_from_frame(&df).unwrap()[0].peak_ccu, 7);
        let e = ccu_days_from_frame(&df.drop("player_hours").unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`player_hours`"), "{e}");
    }
}
