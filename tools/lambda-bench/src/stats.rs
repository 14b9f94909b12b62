//! Order statistics over the runs of one function.

/// Median (the mean of the two middle values for an even count) and 90th percentile
/// (nearest rank: the smallest value with at least 90% of the samples at or below it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub p90: f64,
    pub max: f64,
}

/// `None` for no samples.
pub fn summarize(samples: &[f64]) -> Option<Summary> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() || sorted.len() != samples.len() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    // nearest rank: ceil(0.9 * n), 1-based
    let rank = (n * 9).div_ceil(10).max(1);
    Some(Summary {
        median,
        p90: sorted[rank - 1],
        max: sorted[n - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_count_is_the_middle_value_whatever_the_order() {
        let s = summarize(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!(s.median, 3.0);
        assert_eq!(s.max, 5.0);
    }

    #[test]
    fn median_of_even_count_is_the_mean_of_the_two_middle_values() {
        assert_eq!(summarize(&[4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
    }

    #[test]
    fn p90_is_nearest_rank() {
        // 20 samples 1..=20: rank ceil(18) = 18
        let samples: Vec<f64> = (1..=20).rev().map(f64::from).collect();
        assert_eq!(summarize(&samples).unwrap().p90, 18.0);
        // 10 samples: rank 9
        let samples: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(summarize(&samples).unwrap().p90, 9.0);
        // 3 samples: rank ceil(2.7) = 3
        assert_eq!(summarize(&[1.0, 2.0, 3.0]).unwrap().p90, 3.0);
        // 1 sample
        assert_eq!(summarize(&[7.0]).unwrap().p90, 7.0);
    }

    #[test]
    fn no_samples_or_a_non_finite_sample_gives_no_summary() {
        assert_eq!(summarize(&[]), None);
        assert_eq!(summarize(&[1.0, f64::NAN]), None);
    }
}
