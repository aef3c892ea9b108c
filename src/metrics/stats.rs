//! Order statistics used by the metrics: mean, median (interpolated or lower), quantiles, max.
//!
//! Interpolated quantiles follow the common "linear" definition (NumPy's default, polars'
//! `linear`, Four Keys' `PERCENTILE_CONT`): position `q × (n − 1)` between the sorted values.
//! The lower median is DevLake's: the largest value whose percent rank is at most 0.5, which
//! is the sorted value at index `⌊(n − 1) / 2⌋`. Every function returns `None` for no values.

/// How medians (and other quantiles) are taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MedianKind {
    /// Linear interpolation between the two middle values.
    #[default]
    Interpolated,
    /// The lower of the two middle values (DevLake's convention).
    Lower,
}

impl MedianKind {
    pub fn parse(s: &str) -> Option<MedianKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "interpolated" => Some(MedianKind::Interpolated),
            "lower" => Some(MedianKind::Lower),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MedianKind::Interpolated => "interpolated",
            MedianKind::Lower => "lower",
        }
    }
}

/// Sort a copy of the values (NaN never occurs: durations are finite by construction).
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// The `q` quantile (0 ≤ q ≤ 1).
pub fn quantile(values: &[f64], q: f64, kind: MedianKind) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let v = sorted(values);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    Some(match kind {
        MedianKind::Lower => v[lo],
        MedianKind::Interpolated => {
            let hi = pos.ceil() as usize;
            v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
        }
    })
}

/// The median.
pub fn median(values: &[f64], kind: MedianKind) -> Option<f64> {
    quantile(values, 0.5, kind)
}

/// The arithmetic mean.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The largest value.
pub fn max(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn interpolated_and_lower_medians_on_even_and_odd_counts() {
        let odd = [30.0, 10.0, 20.0];
        let even = [40.0, 10.0, 30.0, 20.0];
        assert_eq!(median(&odd, MedianKind::Interpolated), Some(20.0));
        assert_eq!(median(&odd, MedianKind::Lower), Some(20.0));
        assert_eq!(median(&even, MedianKind::Interpolated), Some(25.0));
        assert_eq!(median(&even, MedianKind::Lower), Some(20.0));
        assert_eq!(median(&[], MedianKind::Lower), None);
    }

    #[test]
    fn p90_interpolates_between_ranks() {
        // positions 0..9; 0.9 × 9 = 8.1 → 80 + 0.1 × (90 − 80) = 81
        let v: Vec<f64> = (0..10).map(|i| f64::from(i) * 10.0).collect();
        assert!((quantile(&v, 0.9, MedianKind::Interpolated).unwrap() - 81.0).abs() < 1e-9);
        assert_eq!(quantile(&v, 0.9, MedianKind::Lower), Some(80.0));
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(max(&[1.0, 7.0, 6.0]), Some(7.0));
    }

    proptest! {
        #[test]
        fn quantiles_lie_within_the_values_and_ignore_order(mut v in proptest::collection::vec(0.0f64..1e6, 1..50), q in 0.0f64..=1.0) {
            let a = quantile(&v, q, MedianKind::Interpolated).unwrap();
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(a >= lo - 1e-9 && a <= hi + 1e-9);
            v.reverse();
            prop_assert_eq!(quantile(&v, q, MedianKind::Interpolated).unwrap(), a);
            prop_assert!(median(&v, MedianKind::Lower).unwrap() <= median(&v, MedianKind::Interpolated).unwrap());
        }
    }
}
