//! Conformal bands from rolling-origin residuals (split conformal prediction on the forecast
//! errors of earlier windows; Vovk et al. 2005, as statsforecast's `ConformalIntervals` but on
//! the daily peak and conditioned on lead time).
//!
//! **Daily peak.** For every earlier window (cut-off `c − k·H` for the forecast at `c`) and
//! every lead day `d` of it (the 24 hours from `cut-off + 24·d`), the score is the ratio
//! `actual peak / forecast peak`, where the forecast peak is the maximum of the model's 24
//! hourly values and the actual peak the maximum of the observed hours (a day with fewer
//! than [`MIN_OBSERVED_HOURS`] observed hours gives no score). Scores are pooled per lead week
//! (days 0–6, 7–13, …); a lead week with fewer than [`MIN_SCORES`] scores is merged with the
//! ones before it. A forecast day's quantile τ is its forecast peak × the conformal quantile τ
//! of its pool's ratios: for τ ≥ ½ the ⌈(n+1)τ⌉-th smallest of n (the largest when that is
//! past n), for τ < ½ the ⌊(n+1)τ⌋-th (the smallest when 0), for the median the middle one.
//! Ratios rather than differences carry over between levels (a region that grew 20 % has
//! errors 20 % bigger).
//!
//! **Hourly.** Scores `(actual − forecast) / forecast peak of that day`, pooled per UTC hour of
//! the day over all lead days (all hours pooled when an hour has fewer than [`MIN_SCORES`]);
//! an hour's band is its point forecast + quantile × its day's forecast peak, clamped at 0.
//! The point forecast stays the median. Hourly bands are indicative; capacity is planned on the
//! daily-peak bands.
//!
//! **Fallback** when no earlier window fits in the history: the weekly seasonal naive's own
//! daily-peak ratios in the history (each day's peak / the peak 7 days earlier), one pool.
//! With fewer than 2 scores the band collapses onto the forecast.
//!
//! Pure arithmetic: no I/O.

use super::DAY_H;

/// Least observed hours for a day's peak to count.
pub(crate) const MIN_OBSERVED_HOURS: usize = 18;

/// Least scores in a pool before it is merged with its neighbours.
pub(crate) const MIN_SCORES: usize = 20;

/// The quantile levels of the bands: lo95, lo80, median, hi80, hi95.
pub(crate) const LEVELS: [f64; 5] = [0.05, 0.20, 0.5, 0.80, 0.95];

/// Peak of each 24-hour block of `values` (`None` when too few hours are observed).
pub(crate) fn day_peaks(values: &[Option<f64>]) -> Vec<Option<f64>> {
    values
        .chunks(DAY_H)
        .map(|d| {
            let obs: Vec<f64> = d
                .iter()
                .flatten()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            (obs.len() >= MIN_OBSERVED_HOURS.min(d.len()))
                .then(|| obs.iter().copied().fold(f64::MIN, f64::max))
        })
        .collect()
}

/// Peak of each 24-hour block of a complete forecast.
pub(crate) fn forecast_peaks(fc: &[f64]) -> Vec<f64> {
    fc.chunks(DAY_H)
        .map(|d| d.iter().copied().fold(f64::MIN, f64::max))
        .collect()
}

/// Scores gathered from earlier windows.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scores {
    /// Daily-peak ratios, per lead day.
    pub daily: Vec<Vec<f64>>,
    /// Hourly normalised errors, per UTC hour of the day.
    pub hourly: Vec<Vec<f64>>,
}

impl Scores {
    pub(crate) fn new(lead_days: usize) -> Scores {
        Scores {
            daily: vec![Vec::new(); lead_days],
            hourly: vec![Vec::new(); DAY_H],
        }
    }

    /// Add one window: forecast `fc`, the actuals of the same hours, and the UTC hour of the
    /// day of its first hour.
    pub(crate) fn add_window(
        &mut self,
        fc: &[f64],
        actual: &[Option<f64>],
        first_hour_of_day: usize,
    ) {
        let fpk = forecast_peaks(fc);
        let apk = day_peaks(actual);
        for (d, (f, a)) in fpk.iter().zip(&apk).enumerate() {
            if let (Some(a), true) = (a, *f > 0.0)
                && let Some(pool) = self.daily.get_mut(d)
            {
                pool.push(a / f);
            }
        }
        for (i, (f, a)) in fc.iter().zip(actual).enumerate() {
            let peak = fpk[i / DAY_H];
            if let (Some(a), true) = (a, peak > 0.0) {
                self.hourly[(first_hour_of_day + i) % DAY_H].push((a - f) / peak);
            }
        }
    }

    /// The fallback scores from a history (module doc).
    pub(crate) fn naive_fallback(history: &[Option<f64>], lead_days: usize) -> Scores {
        let mut s = Scores::new(lead_days);
        let pk = day_peaks(history);
        let ratios: Vec<f64> = (7..pk.len())
            .filter_map(|d| match (pk[d], pk[d - 7]) {
                (Some(a), Some(f)) if f > 0.0 => Some(a / f),
                _ => None,
            })
            .collect();
        if let Some(first) = s.daily.first_mut() {
            *first = ratios;
        }
        s
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.daily.iter().all(Vec::is_empty)
    }
}

/// Conformal quantile `tau` of sorted scores (module doc); 1 (no change) for fewer than 2.
fn conformal(sorted: &[f64], tau: f64, neutral: f64) -> f64 {
    let n = sorted.len();
    if n < 2 {
        return neutral;
    }
    if (tau - 0.5).abs() < 1e-12 {
        return if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
    }
    let k = if tau > 0.5 {
        (((n + 1) as f64 * tau - 1e-9).ceil() as usize).clamp(1, n)
    } else {
        (((n + 1) as f64 * tau + 1e-9).floor() as usize).clamp(1, n)
    };
    sorted[k - 1]
}

fn quantiles(pool: &mut [f64], neutral: f64) -> [f64; 5] {
    pool.sort_by(f64::total_cmp);
    LEVELS.map(|t| conformal(pool, t, neutral))
}

/// The calibrated quantile multipliers.
#[derive(Clone, Debug)]
pub(crate) struct Calibration {
    /// Per lead day: ratio quantiles at [`LEVELS`].
    pub daily: Vec<[f64; 5]>,
    /// Per UTC hour of the day: normalised-error quantiles at [`LEVELS`].
    pub hourly: Vec<[f64; 5]>,
}

impl Calibration {
    pub(crate) fn from_scores(scores: &Scores) -> Calibration {
        let lead_days = scores.daily.len();
        let mut daily = vec![[1.0; 5]; lead_days];
        // Lead weeks, merged forwards until a pool is big enough; a small tail joins the last.
        let weeks: Vec<Vec<usize>> = (0..lead_days)
            .collect::<Vec<_>>()
            .chunks(7)
            .map(<[usize]>::to_vec)
            .collect();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut cur: Vec<usize> = Vec::new();
        let count = |days: &[usize]| days.iter().map(|&d| scores.daily[d].len()).sum::<usize>();
        for w in weeks {
            cur.extend(w);
            if count(&cur) >= MIN_SCORES {
                groups.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            match groups.last_mut() {
                Some(g) => g.extend(cur),
                None => groups.push(cur),
            }
        }
        for g in groups {
            let mut pool: Vec<f64> = g
                .iter()
                .flat_map(|&d| scores.daily[d].iter().copied())
                .collect();
            let q = quantiles(&mut pool, 1.0);
            for d in g {
                daily[d] = q;
            }
        }
        let small = scores.hourly.iter().any(|p| p.len() < MIN_SCORES);
        let hourly = if small {
            let mut pool: Vec<f64> = scores.hourly.iter().flatten().copied().collect();
            vec![quantiles(&mut pool, 0.0); DAY_H]
        } else {
            scores
                .hourly
                .iter()
                .map(|p| quantiles(&mut p.clone(), 0.0))
                .collect()
        };
        Calibration { daily, hourly }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conformal_ranks() {
        let s: Vec<f64> = (1..=19).map(f64::from).collect();
        // (19 + 1)·0.95 = 19 → the 19th; (20)·0.8 = 16; (20)·0.05 = 1; (20)·0.2 = 4.
        assert_eq!(conformal(&s, 0.95, 1.0), 19.0);
        assert_eq!(conformal(&s, 0.80, 1.0), 16.0);
        assert_eq!(conformal(&s, 0.05, 1.0), 1.0);
        assert_eq!(conformal(&s, 0.20, 1.0), 4.0);
        assert_eq!(conformal(&s, 0.5, 1.0), 10.0);
        assert_eq!(conformal(&[3.0], 0.95, 1.0), 1.0);
    }

    #[test]
    fn day_peaks_need_enough_hours() {
        let mut v: Vec<Option<f64>> = (0..48).map(|i| Some(i as f64)).collect();
        for x in v.iter_mut().take(6) {
            *x = None;
        }
        assert_eq!(day_peaks(&v), vec![Some(23.0), Some(47.0)]);
        for x in v.iter_mut().take(7) {
            *x = None;
        }
        assert_eq!(day_peaks(&v), vec![None, Some(47.0)]);
    }

    #[test]
    fn lead_weeks_pool_until_big_enough() {
        let mut s = Scores::new(14);
        for d in 0..14 {
            s.daily[d] = vec![1.0 + d as f64 / 100.0; 3]; // 21 per lead week
        }
        let c = Calibration::from_scores(&s);
        assert_eq!(c.daily[0][4], 1.06);
        assert_eq!(c.daily[13][4], 1.13);
        s.daily[13].clear(); // second week now has 18 → merged with the first
        let c = Calibration::from_scores(&s);
        assert_eq!(c.daily[0][4], c.daily[13][4]);
    }
}
