//! Exponential smoothing fits: the non-seasonal trend model of MSTL (simple exponential
//! smoothing or Holt's damped additive trend, whichever has the lower AIC) and additive
//! Holt-Winters with a damped trend and one seasonal period.
//!
//! Error-correction form (Hyndman et al., "Forecasting with exponential smoothing", 2008,
//! ETS(A,Ad,A)): with one-step error `e = y − (l + φb + s)`,
//! `l ← l + φb + αe`, `b ← φb + βe`, `s ← s + γe`; the h-step forecast is
//! `l + (φ + … + φʰ)·b + s`. Parameters are chosen by a grid search on the in-sample sum of
//! squared one-step errors (no likelihood optimiser: the grid is coarse but every point is
//! stable, and the damping is capped at 0.98 so a trend never runs away over a 4-week horizon
//! — the reference saw statsforecast's AutoETS diverge to MASE 20).
//!
//! Input must be complete (no gaps). Pure arithmetic: no I/O.

/// A fitted non-seasonal model (SES when `beta` = 0 and `trend` = 0).
#[derive(Clone, Debug)]
pub(crate) struct TrendFit {
    pub level: f64,
    pub trend: f64,
    pub phi: f64,
}

impl TrendFit {
    /// Forecast `h` steps ahead (1-based: `h = 1` is the next value).
    pub fn at(&self, h: usize) -> f64 {
        // φ + φ² + … + φʰ
        let damp = if (self.phi - 1.0).abs() < 1e-12 {
            h as f64
        } else {
            self.phi * (1.0 - self.phi.powi(h as i32)) / (1.0 - self.phi)
        };
        self.level + damp * self.trend
    }
}

const ALPHAS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 0.9,
];
const BETA_FRACTIONS: [f64; 4] = [0.001, 0.01, 0.05, 0.2];
const PHIS: [f64; 4] = [0.8, 0.9, 0.95, 0.98];

fn run_trend(y: &[f64], alpha: f64, beta: f64, phi: f64, l0: f64, b0: f64) -> (f64, TrendFit) {
    let (mut l, mut b, mut sse) = (l0, b0, 0.0);
    for &v in y {
        let f = l + phi * b;
        let e = v - f;
        sse += e * e;
        l = f + alpha * e;
        b = phi * b + beta * e;
    }
    (
        sse,
        TrendFit {
            level: l,
            trend: b,
            phi,
        },
    )
}

/// The initial level and trend that minimise the squared one-step errors for given
/// parameters. The filter is linear in its initial state, so the one-step forecasts are
/// `c_t + g_t·l0 + k_t·b0` (`c` run from a zero state, `g` and `k` from a unit level or trend
/// on a zero series): a 2×2 least-squares problem (1×1 without trend).
fn best_start(y: &[f64], alpha: f64, beta: f64, phi: f64, with_trend: bool) -> (f64, f64) {
    let step = |(l, b): (f64, f64), v: f64| {
        let f = l + phi * b;
        let e = v - f;
        (f, (f + alpha * e, phi * b + beta * e))
    };
    let (mut c, mut g, mut k) = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0));
    let (mut rg, mut rk, mut gg, mut gk, mut kk) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &v in y {
        let (fc, nc) = step(c, v);
        let (fg, ng) = step(g, 0.0);
        let (fk, nk) = step(k, 0.0);
        let r = v - fc;
        rg += r * fg;
        rk += r * fk;
        gg += fg * fg;
        gk += fg * fk;
        kk += fk * fk;
        (c, g, k) = (nc, ng, nk);
    }
    let det = gg * kk - gk * gk;
    if with_trend && det.abs() > 1e-12 * (gg * kk).max(1e-300) {
        ((rg * kk - rk * gk) / det, (rk * gg - rg * gk) / det)
    } else if gg > 0.0 {
        (rg / gg, 0.0)
    } else {
        (y.first().copied().unwrap_or(0.0), 0.0)
    }
}

/// Fit SES and damped Holt to a complete series, the initial state optimised for each
/// parameter set; keep the one with the lower AIC. `None` for an empty series.
pub(crate) fn fit_trend(y: &[f64]) -> Option<TrendFit> {
    let n = y.len();
    if n == 0 {
        return None;
    }
    let aic = |sse: f64, k: f64| n as f64 * (sse / n as f64).max(1e-300).ln() + 2.0 * k;
    let mut best: Option<(f64, TrendFit)> = None;
    let mut consider = |score: f64, fit: TrendFit| {
        if score.is_finite() && best.as_ref().is_none_or(|(s, _)| score < *s) {
            best = Some((score, fit));
        }
    };
    for &a in &ALPHAS {
        let (l0, _) = best_start(y, a, 0.0, 1.0, false);
        let (sse, fit) = run_trend(y, a, 0.0, 1.0, l0, 0.0);
        consider(aic(sse, 2.0), fit);
        if n >= 4 {
            for &bf in &BETA_FRACTIONS {
                for &phi in &PHIS {
                    let (l0, b0) = best_start(y, a, a * bf, phi, true);
                    let (sse, fit) = run_trend(y, a, a * bf, phi, l0, b0);
                    consider(aic(sse, 5.0), fit);
                }
            }
        }
    }
    best.map(|(_, f)| f)
}

/// A fitted additive damped Holt-Winters model with period `m`.
#[derive(Clone, Debug)]
pub(crate) struct SeasonalFit {
    pub trend: TrendFit,
    /// Seasonal state of each phase, indexed by absolute position modulo `m`.
    pub season: Vec<f64>,
    /// Length of the fitted series (so phases line up for the forecast).
    pub n: usize,
}

impl SeasonalFit {
    /// Forecast `h` steps ahead (1-based).
    pub fn at(&self, h: usize) -> f64 {
        let m = self.season.len();
        self.trend.at(h) + self.season[(self.n + h - 1) % m]
    }
}

const HW_ALPHAS: [f64; 6] = [0.005, 0.02, 0.05, 0.1, 0.2, 0.4];
const HW_BETA_FRACTIONS: [f64; 3] = [0.0, 0.001, 0.005];
const HW_GAMMAS: [f64; 5] = [0.01, 0.05, 0.1, 0.2, 0.35];
const HW_PHIS: [f64; 2] = [0.9, 0.98];

/// Fit additive damped Holt-Winters with period `m` to a complete series of at least `2m`
/// values; `None` when shorter.
pub(crate) fn fit_holt_winters(y: &[f64], m: usize) -> Option<SeasonalFit> {
    let n = y.len();
    if m == 0 || n < 2 * m {
        return None;
    }
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let l0 = mean(&y[..m]);
    let b0 = (mean(&y[m..2 * m]) - l0) / m as f64;
    // Level l0 sits at the middle of the first cycle; seasonal = first cycle less that line.
    let s0: Vec<f64> = (0..m)
        .map(|i| y[i] - (l0 + (i as f64 - (m as f64 - 1.0) / 2.0) * b0))
        .collect();
    let l_start = l0 - (m as f64 + 1.0) / 2.0 * b0;
    let mut best: Option<(f64, SeasonalFit)> = None;
    let mut season = vec![0.0; m];
    for &a in &HW_ALPHAS {
        for &bf in &HW_BETA_FRACTIONS {
            for &g in &HW_GAMMAS {
                let g = g * (1.0 - a);
                for &phi in &HW_PHIS {
                    season.copy_from_slice(&s0);
                    let (mut l, mut b, mut sse) = (l_start, b0, 0.0);
                    for (t, &v) in y.iter().enumerate() {
                        let k = t % m;
                        let f = l + phi * b;
                        let e = v - f - season[k];
                        sse += e * e;
                        l = f + a * e;
                        b = phi * b + a * bf * e;
                        season[k] += g * e;
                    }
                    if sse.is_finite() && best.as_ref().is_none_or(|(s, _)| sse < *s) {
                        best = Some((
                            sse,
                            SeasonalFit {
                                trend: TrendFit {
                                    level: l,
                                    trend: b,
                                    phi,
                                },
                                season: season.clone(),
                                n,
                            },
                        ));
                    }
                }
            }
        }
    }
    best.map(|(_, f)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_followed_and_a_constant_stays_flat() {
        let y: Vec<f64> = (0..200).map(|t| 10.0 + 2.0 * t as f64).collect();
        let f = fit_trend(&y).unwrap();
        // Damped: the first step is almost exactly the next point of the line.
        assert!((f.at(1) - 410.0).abs() < 1.0, "{}", f.at(1));
        let c = fit_trend(&[7.0; 100]).unwrap();
        assert!((c.at(1) - 7.0).abs() < 1e-9 && (c.at(500) - 7.0).abs() < 1e-9);
        assert!(fit_trend(&[]).is_none());
    }

    #[test]
    fn holt_winters_repeats_a_pure_cycle() {
        let y: Vec<f64> = (0..48 * 3).map(|t| 5.0 + (t % 48) as f64).collect();
        let f = fit_holt_winters(&y, 48).unwrap();
        for h in 1..=96 {
            assert!(
                (f.at(h) - (5.0 + ((y.len() + h - 1) % 48) as f64)).abs() < 1e-6,
                "{h}"
            );
        }
        assert!(fit_holt_winters(&y[..50], 48).is_none());
    }
}
