//! The simulated clock: simulated time runs `speed` times faster than real time and can be
//! moved forward on demand. Simulated time starts at the real wall-clock time.

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, in simulated time.
pub type SimMillis = i64;

#[derive(Debug)]
pub struct SimClock {
    inner: Mutex<Anchor>,
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    real: Instant,
    sim: SimMillis,
    speed: f64,
}

impl Anchor {
    fn now(&self) -> SimMillis {
        let real_ms = self.real.elapsed().as_secs_f64() * 1000.0;
        self.sim + (real_ms * self.speed) as i64
    }
}

impl SimClock {
    pub fn new(speed: f64) -> Self {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self {
            inner: Mutex::new(Anchor {
                real: Instant::now(),
                sim: wall,
                speed,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Anchor> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn now(&self) -> SimMillis {
        self.lock().now()
    }

    pub fn speed(&self) -> f64 {
        self.lock().speed
    }

    /// Changes the speed from now on; simulated time already passed is kept.
    pub fn set_speed(&self, speed: f64) {
        let mut a = self.lock();
        let now = a.now();
        *a = Anchor {
            real: Instant::now(),
            sim: now,
            speed,
        };
    }

    /// Moves simulated time forward by `ms`.
    pub fn advance(&self, ms: SimMillis) {
        let mut a = self.lock();
        a.sim += ms.max(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_simulated_time_forward_without_waiting() {
        let c = SimClock::new(0.0);
        let t0 = c.now();
        c.advance(60_000);
        assert_eq!(c.now() - t0, 60_000);
    }

    #[test]
    fn speed_zero_freezes_time_and_speed_change_keeps_elapsed_time() {
        let c = SimClock::new(0.0);
        let t0 = c.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.now(), t0);
        c.set_speed(1000.0);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(c.now() >= t0 + 5_000);
    }
}
