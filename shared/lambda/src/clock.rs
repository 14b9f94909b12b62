//! The one clock every area reads: milliseconds since the Unix epoch. Other units are
//! derived from it by the caller and carry their unit in their name (`now_secs`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now. A clock set before 1970 reads 0.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_ms_is_after_2024_and_moves_forward() {
        let a = super::now_ms();
        assert!(a > 1_704_067_200_000, "{a}");
        assert!(super::now_ms() >= a);
    }
}
