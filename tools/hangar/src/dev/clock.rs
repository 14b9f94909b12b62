//! The local stack's clock: how the emulator's simulated time maps to wall time, and what
//! that means for a person trying the stack (session length, placement and reservation
//! timeouts, capacity). Pure: `hangar dev` prints [`ClockPlan::lines`] at start-up.

use serde::{Deserialize, Serialize};

/// GameLift's bounds on a game session queue's `TimeoutInSeconds` (CreateGameSessionQueue).
pub const QUEUE_TIMEOUT_MIN_SECS: u32 = 10;
pub const QUEUE_TIMEOUT_MAX_SECS: u32 = 600;
/// Game sessions per instance of the dev fleet: one runtime configuration of 50 concurrent
/// server processes, GameLift's maximum per instance.
pub const SESSIONS_PER_INSTANCE: u32 = 50;
/// GameLift times out a RESERVED player session this long after it was created.
pub const RESERVATION_TIMEOUT_SIM_SECS: f64 = 60.0;

/// The clock settings of a local stack and what follows from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockPlan {
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
    /// How long a game session lasts, in wall-clock seconds, unless its server ends it.
    pub session_wall_secs: f64,
    /// The same in simulated milliseconds (what the emulator is given).
    pub session_sim_ms: i64,
    /// The game session queue's `TimeoutInSeconds` (simulated).
    pub queue_timeout_sim_secs: u32,
    /// How long a placement waits for a free server, in wall-clock seconds.
    pub placement_timeout_wall_secs: f64,
    /// How long a RESERVED player session lives unless the server accepts it, wall-clock.
    pub reservation_timeout_wall_secs: f64,
    /// Game sessions the dev fleet holds at once.
    pub fleet_sessions: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ClockError {
    #[error("--clock-speed must be a number greater than 0 (got {0})")]
    Speed(f64),
    #[error("--session-seconds must be a number greater than 0 (got {0})")]
    Session(f64),
}

impl ClockPlan {
    /// The plan for `speed` and a session length of `session_wall_secs` wall seconds. The
    /// queue timeout is GameLift's maximum, so a placement waits as long as GameLift allows.
    pub fn new(speed: f64, session_wall_secs: f64) -> Result<Self, ClockError> {
        if !speed.is_finite() || speed <= 0.0 {
            return Err(ClockError::Speed(speed));
        }
        if !session_wall_secs.is_finite() || session_wall_secs <= 0.0 {
            return Err(ClockError::Session(session_wall_secs));
        }
        let queue_timeout_sim_secs = QUEUE_TIMEOUT_MAX_SECS;
        Ok(Self {
            speed,
            session_wall_secs,
            session_sim_ms: (session_wall_secs * speed * 1000.0).round().max(1.0) as i64,
            queue_timeout_sim_secs,
            placement_timeout_wall_secs: f64::from(queue_timeout_sim_secs) / speed,
            reservation_timeout_wall_secs: RESERVATION_TIMEOUT_SIM_SECS / speed,
            fleet_sessions: SESSIONS_PER_INSTANCE,
        })
    }

    /// What the clock means, one line each, for the start-up banner.
    pub fn lines(&self) -> Vec<String> {
        vec![
            format!(
                "emulator clock x{} ({} of simulated time per second): fleet and build lifecycles take seconds",
                trim(self.speed),
                human(self.speed)
            ),
            format!(
                "a game session lasts {} unless its server ends it (--session-seconds)",
                human(self.session_wall_secs)
            ),
            format!(
                "the dev fleet holds {} game sessions at once; a placement that finds no free server times out after {} (queue timeout {} s simulated, GameLift's maximum)",
                self.fleet_sessions,
                human(self.placement_timeout_wall_secs),
                self.queue_timeout_sim_secs
            ),
            format!(
                "a reserved player session the server does not accept times out after {} (GameLift's 60 s simulated)",
                human(self.reservation_timeout_wall_secs)
            ),
        ]
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `0.5 s`, `10 s`, `10 min`, `1 h 30 min`.
pub fn human(secs: f64) -> String {
    if secs < 60.0 {
        return format!("{} s", trim((secs * 10.0).round() / 10.0));
    }
    let total = secs.round() as u64;
    let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
    match (h, m, s) {
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_clock_gives_ten_minute_sessions_and_the_longest_placement_gamelift_allows() {
        let plan = ClockPlan::new(60.0, 600.0).unwrap();
        assert_eq!(plan.session_sim_ms, 36_000_000);
        assert_eq!(plan.queue_timeout_sim_secs, 600);
        assert_eq!(plan.placement_timeout_wall_secs, 10.0);
        assert_eq!(plan.reservation_timeout_wall_secs, 1.0);
        let text = plan.lines().join("\n");
        assert!(
            text.contains("x60 (1 min of simulated time per second)"),
            "{text}"
        );
        assert!(text.contains("lasts 10 min"), "{text}");
        assert!(text.contains("holds 50 game sessions"), "{text}");
        assert!(text.contains("times out after 10 s"), "{text}");
    }

    #[test]
    fn slower_clock_stretches_placement_and_reservation_timeouts() {
        let plan = ClockPlan::new(2.0, 90.0).unwrap();
        assert_eq!(plan.session_sim_ms, 180_000);
        assert_eq!(plan.placement_timeout_wall_secs, 300.0);
        assert_eq!(plan.reservation_timeout_wall_secs, 30.0);
        assert!(plan.lines()[1].contains("1 min 30 s"));
        assert!(plan.lines()[2].contains("after 5 min"));
    }

    #[test]
    fn zero_negative_or_nan_clock_and_session_are_refused_naming_the_flag() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = ClockPlan::new(bad, 600.0).unwrap_err();
            assert!(e.to_string().contains("--clock-speed"), "{e}");
            let e = ClockPlan::new(60.0, bad).unwrap_err();
            assert!(e.to_string().contains("--session-seconds"), "{e}");
        }
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(0.5), "0.5 s");
        assert_eq!(human(10.0), "10 s");
        assert_eq!(human(600.0), "10 min");
        assert_eq!(human(5400.0), "1 h 30 min");
        assert_eq!(human(7200.0), "2 h");
    }
}
