//! STL and MSTL decomposition (Cleveland et al. 1990, "STL: a seasonal-trend decomposition
//! procedure based on loess"; Bandara, Hyndman & Bergmeir 2021, "MSTL"), as statsmodels'
//! `STL`/`MSTL` run them with their defaults: loess of degree 1 everywhere, two inner passes,
//! no robustness passes, seasonal windows 7 + 4·i for the i-th period (11 for daily, 15 for
//! weekly), trend window the next odd number ≥ 1.5·p / (1 − 1.5 / seasonal window), low-pass
//! window the next odd number > p, and two MSTL iterations.
//!
//! Input must be complete (no gaps: fill first). Pure arithmetic: no I/O.

/// A decomposition `y = trend + Σ seasonal + remainder`.
#[derive(Clone, Debug)]
pub(crate) struct Decomposition {
    /// The trend of the last STL pass (MSTL forecasts trend + remainder together, so only the
    /// tests read it).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests only"))]
    pub trend: Vec<f64>,
    /// One seasonal component per period, in the order of the periods given.
    pub seasonal: Vec<Vec<f64>>,
}

fn next_odd(x: f64) -> usize {
    let n = x.ceil().max(1.0) as usize;
    if n.is_multiple_of(2) { n + 1 } else { n }
}

/// The fit of one loess window shape, kept for the next point: every interior point of a
/// series has the same window shape (the same offsets and bandwidth), and a local linear fit is
/// then the same weighted sum of the window's values, so its coefficients are computed once
/// and each point costs one pass over its window.
#[derive(Default)]
struct WeightCache {
    /// (x − left, right − x, h, n − 1) as bits.
    key: Option<(u64, u64, u64, u64)>,
    /// The fitted value at `x` is `Σ coef[k] · y[left + k]`; empty when every weight is zero.
    coef: Vec<f64>,
}

/// Tricube-weighted local linear fit of `y` (at positions 0..n) evaluated at `x`, using the `q`
/// nearest points. `None` when every weight is zero.
#[cfg(test)]
fn loess_at(y: &[f64], q: usize, x: f64) -> Option<f64> {
    loess_at_with(y, q, x, &mut WeightCache::default())
}

/// [`loess_at`], reusing the coefficients of the previous point when its window has the same
/// shape. Positions are taken relative to the window's left end, so the coefficients depend
/// on the shape only.
fn loess_at_with(y: &[f64], q: usize, x: f64, cache: &mut WeightCache) -> Option<f64> {
    let n = y.len();
    if n == 0 {
        return None;
    }
    let (left, right) = if q >= n {
        (0, n - 1)
    } else {
        let half = (q - 1) as f64 / 2.0;
        let l = (x - half).round().clamp(0.0, (n - q) as f64) as usize;
        (l, l + q - 1)
    };
    let mut h = (x - left as f64).max(right as f64 - x);
    if q > n {
        h += ((q - n) / 2) as f64;
    }
    let h = h.max(1e-9);
    let range = (n - 1) as f64;
    let xr = x - left as f64;
    let key = Some((
        xr.to_bits(),
        (right as f64 - x).to_bits(),
        h.to_bits(),
        range.to_bits(),
    ));
    if cache.key != key {
        let (h9, h1) = (0.999 * h, 0.001 * h);
        let weight = |k: usize| {
            let r = (k as f64 - xr).abs();
            if r <= h1 {
                1.0
            } else if r <= h9 {
                let u = r / h;
                let t = 1.0 - u * u * u;
                t * t * t
            } else {
                0.0
            }
        };
        let weights: Vec<f64> = (0..=right - left).map(weight).collect();
        let sw = weights.iter().fold(0.0, |s, w| s + w);
        cache.coef.clear();
        if sw > 0.0 {
            let a = weights
                .iter()
                .enumerate()
                .fold(0.0, |s, (k, w)| s + w * k as f64)
                / sw;
            let c = weights.iter().enumerate().fold(0.0, |s, (k, w)| {
                let d = k as f64 - a;
                s + w / sw * d * d
            });
            let slope = if c.sqrt() > 0.001 * range {
                (xr - a) / c
            } else {
                0.0
            };
            cache.coef.extend(
                weights
                    .iter()
                    .enumerate()
                    .map(|(k, w)| w / sw * (slope * (k as f64 - a) + 1.0)),
            );
        }
        cache.key = key;
    }
    if cache.coef.is_empty() {
        return None;
    }
    Some(
        y[left..=right]
            .iter()
            .zip(&cache.coef)
            .fold(0.0, |v, (yj, cj)| v + cj * yj),
    )
}

/// Loess smoothing of `y` at every position.
fn loess(y: &[f64], q: usize) -> Vec<f64> {
    let mut cache = WeightCache::default();
    (0..y.len())
        .map(|i| loess_at_with(y, q, i as f64, &mut cache).unwrap_or(y[i]))
        .collect()
}

/// Moving average of length `len` (output `y.len() − len + 1` values).
fn moving_average(y: &[f64], len: usize) -> Vec<f64> {
    if len == 0 || y.len() < len {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(y.len() - len + 1);
    let mut s: f64 = y[..len].iter().sum();
    out.push(s / len as f64);
    for i in len..y.len() {
        s += y[i] - y[i - len];
        out.push(s / len as f64);
    }
    out
}

/// One STL decomposition (trend, seasonal) of a complete series with period `p` (≥ 2, and
/// `y.len() ≥ 2p`), seasonal window `ns` (odd).
pub(crate) fn stl(y: &[f64], p: usize, ns: usize) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    let nt = next_odd(1.5 * p as f64 / (1.0 - 1.5 / ns as f64));
    let nl = next_odd(p as f64 + 0.5);
    let mut trend = vec![0.0; n];
    let mut seasonal = vec![0.0; n];
    let mut c = vec![0.0; n + 2 * p];
    let mut sub = Vec::with_capacity(n / p + 1);
    for _inner in 0..2 {
        // Cycle-subseries smoothing of the detrended series, extended one cycle each side.
        for k in 0..p {
            sub.clear();
            sub.extend((k..n).step_by(p).map(|t| y[t] - trend[t]));
            let m = sub.len();
            let mut cache = WeightCache::default();
            for j in 0..=m + 1 {
                let x = j as f64 - 1.0;
                let v = loess_at_with(&sub, ns, x, &mut cache)
                    .unwrap_or_else(|| sub[(j.max(1) - 1).min(m - 1)]);
                let idx = k + j * p; // position k + (j − 1)·p, shifted by p
                if idx < c.len() {
                    c[idx] = v;
                }
            }
        }
        // Low-pass filter of the cycle-subseries: MA(p), MA(p), MA(3), loess(nl).
        let l1 = moving_average(&c, p);
        let l2 = moving_average(&l1, p);
        let l3 = moving_average(&l2, 3);
        let low = loess(&l3, nl);
        for t in 0..n {
            seasonal[t] = c[p + t] - low[t];
        }
        let deseason: Vec<f64> = (0..n).map(|t| y[t] - seasonal[t]).collect();
        trend = loess(&deseason, nt);
    }
    (trend, seasonal)
}

/// MSTL of a complete series over `periods` (ascending; periods without two full cycles in the
/// data are dropped, and their component is all zeros).
pub(crate) fn mstl(y: &[f64], periods: &[usize]) -> Decomposition {
    let n = y.len();
    let mut seasonal = vec![vec![0.0; n]; periods.len()];
    let usable: Vec<usize> = (0..periods.len())
        .filter(|&i| periods[i] >= 2 && n >= 2 * periods[i])
        .collect();
    if usable.is_empty() {
        return Decomposition {
            trend: loess(y, next_odd(n as f64 / 2.0)),
            seasonal,
        };
    }
    let mut deseas = y.to_vec();
    let mut trend = vec![0.0; n];
    for _iter in 0..2 {
        for (rank, &i) in usable.iter().enumerate() {
            for t in 0..n {
                deseas[t] += seasonal[i][t];
            }
            let (tr, s) = stl(&deseas, periods[i], 7 + 4 * (rank + 1));
            seasonal[i] = s;
            trend = tr;
            for t in 0..n {
                deseas[t] -= seasonal[i][t];
            }
        }
    }
    Decomposition { trend, seasonal }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loess_reproduces_a_line_inside_and_beyond_the_ends() {
        let y: Vec<f64> = (0..20).map(|i| 3.0 + 0.5 * i as f64).collect();
        for x in [-1.0, 0.0, 7.0, 19.0, 20.0] {
            let v = loess_at(&y, 7, x).unwrap();
            assert!((v - (3.0 + 0.5 * x)).abs() < 1e-9, "{x}: {v}");
        }
        assert_eq!(
            moving_average(&[1.0, 2.0, 3.0, 4.0], 2),
            vec![1.5, 2.5, 3.5]
        );
    }

    #[test]
    fn stl_splits_a_cycle_from_a_line() {
        let p = 24;
        let y: Vec<f64> = (0..p * 10)
            .map(|t| {
                50.0 + 0.1 * t as f64
                    + 10.0 * ((t % p) as f64 / p as f64 * std::f64::consts::TAU).sin()
            })
            .collect();
        let (trend, seasonal) = stl(&y, p, 11);
        for t in p..y.len() - p {
            assert!(
                (trend[t] - (50.0 + 0.1 * t as f64)).abs() < 0.05,
                "trend {t}: {}",
                trend[t]
            );
            let s = 10.0 * ((t % p) as f64 / p as f64 * std::f64::consts::TAU).sin();
            assert!((seasonal[t] - s).abs() < 0.05, "seasonal {t}");
        }
    }
}
