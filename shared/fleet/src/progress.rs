//! Decisions of the polling stages: is the build READY, is the fleet and every location
//! ACTIVE, did the smoke-test session come up, has the stage run out of time. Pure.
//!
//! The state machine polls with Wait/Choice loops; each poll calls a stage function
//! once, which returns `done` or raises a failure. Stage timeouts are measured from the
//! first poll of the stage in this execution ([`PollClock`]), carried in the state.

use serde::{Deserialize, Serialize};

/// When a polling stage started in this execution and how often it has polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollClock {
    /// Unix seconds of the first poll.
    pub started_at_secs: u64,
    pub polls: u32,
}

impl PollClock {
    /// The clock after one more poll at `now_secs`; the first poll starts it.
    pub fn tick(previous: Option<PollClock>, now_secs: u64) -> PollClock {
        match previous {
            Some(p) => PollClock {
                started_at_secs: p.started_at_secs,
                polls: p.polls.saturating_add(1),
            },
            None => PollClock {
                started_at_secs: now_secs,
                polls: 1,
            },
        }
    }

    pub fn elapsed_secs(&self, now_secs: u64) -> u64 {
        now_secs.saturating_sub(self.started_at_secs)
    }

    /// True once the stage has run `timeout_secs` seconds or more.
    pub fn expired(&self, now_secs: u64, timeout_secs: u64) -> bool {
        self.elapsed_secs(now_secs) >= timeout_secs
    }
}

/// The outcome of one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Done,
    Waiting(String),
    Failed(String),
}

/// Build status -> progress.
pub fn build_progress(build_id: &str, status: &str) -> Progress {
    match status {
        "READY" => Progress::Done,
        "FAILED" => Progress::Failed(format!(
            "build {build_id} is FAILED: GameLift could not use the uploaded files; check the S3 object, \
             the role GameLift assumes to read it, and the build's install script"
        )),
        other => Progress::Waiting(format!("build {build_id} is {other}")),
    }
}

/// A location of a fleet and its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationStatus {
    pub location: String,
    pub status: String,
}

const FLEET_DEAD: [&str; 3] = ["ERROR", "DELETING", "TERMINATED"];

/// Fleet status plus every location's status -> progress. Done only when the fleet and
/// every location are ACTIVE.
pub fn fleet_progress(fleet_id: &str, status: &str, locations: &[LocationStatus]) -> Progress {
    if FLEET_DEAD.contains(&status) {
        return Progress::Failed(format!(
            "fleet {fleet_id} went to {status} while activating; see its events (DescribeFleetEvents) for the cause"
        ));
    }
    let broken: Vec<String> = locations
        .iter()
        .filter(|l| FLEET_DEAD.contains(&l.status.as_str()))
        .map(|l| format!("{} {}", l.location, l.status))
        .collect();
    if !broken.is_empty() {
        return Progress::Failed(format!(
            "fleet {fleet_id}: location(s) failed to activate: {}",
            broken.join(", ")
        ));
    }
    let pending = pending_locations(locations);
    if status == "ACTIVE" && pending.is_empty() {
        Progress::Done
    } else if pending.is_empty() {
        Progress::Waiting(format!("fleet {fleet_id} is {status}"))
    } else {
        Progress::Waiting(format!(
            "fleet {fleet_id} is {status}; waiting for {pending}"
        ))
    }
}

/// `"eu-west-1 ACTIVATING, ..."` for the locations not yet ACTIVE.
pub fn pending_locations(locations: &[LocationStatus]) -> String {
    locations
        .iter()
        .filter(|l| l.status != "ACTIVE")
        .map(|l| format!("{} {}", l.location, l.status))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Smoke-test game session status -> progress.
pub fn smoke_progress(
    fleet_id: &str,
    session_id: &str,
    status: &str,
    reason: Option<&str>,
) -> Progress {
    match status {
        "ACTIVE" => Progress::Done,
        // Ended by the stage's own TerminateGameSession: a retried poll whose earlier
        // attempt saw the session ACTIVE and ended it, but whose answer was lost. Nothing
        // else force-terminates this session (the stage placed it, with its own token, on
        // a fleet no alias routes to yet).
        _ if smoke_session_ended_by_us(status, reason) => Progress::Done,
        "ACTIVATING" => Progress::Waiting(format!("smoke-test session {session_id} is ACTIVATING")),
        other => Progress::Failed(format!(
            "smoke-test session {session_id} on fleet {fleet_id} went to {other}{} before becoming ACTIVE: \
             the new build's server process did not start a game session; check the server logs",
            reason.map(|r| format!(" ({r})")).unwrap_or_default()
        )),
    }
}

/// The smoke test over every location it places a session in: failed as soon as one
/// location failed, done when all are, else waiting on those that are not.
pub fn smoke_overall(per_location: Vec<(String, Progress)>) -> Progress {
    let mut waiting = Vec::new();
    for (location, p) in per_location {
        match p {
            Progress::Done => {}
            Progress::Failed(m) => return Progress::Failed(format!("{location}: {m}")),
            Progress::Waiting(m) => waiting.push(format!("{location}: {m}")),
        }
    }
    if waiting.is_empty() {
        Progress::Done
    } else {
        Progress::Waiting(waiting.join("; "))
    }
}

/// True when the smoke-test session was ended by the stage's own TerminateGameSession
/// (FORCE_TERMINATE).
pub fn smoke_session_ended_by_us(status: &str, reason: Option<&str>) -> bool {
    status == "TERMINATED" && reason == Some("FORCE_TERMINATED")
}

/// The message of a stage that ran out of time.
pub fn timeout_message(stage: &str, timeout: u64, last: &str) -> String {
    format!("{stage} did not finish within {timeout}s (the stage timeout); last seen: {last}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoke_test_fails_with_any_location_and_is_done_only_with_all() {
        let w = |m: &str| Progress::Waiting(m.into());
        assert_eq!(
            smoke_overall(vec![
                ("a".into(), Progress::Done),
                ("b".into(), w("ACTIVATING"))
            ]),
            w("b: ACTIVATING")
        );
        assert_eq!(
            smoke_overall(vec![
                ("a".into(), w("x")),
                ("b".into(), Progress::Failed("ERROR".into()))
            ]),
            Progress::Failed("b: ERROR".into())
        );
        assert_eq!(
            smoke_overall(vec![
                ("a".into(), Progress::Done),
                ("b".into(), Progress::Done)
            ]),
            Progress::Done
        );
    }

    fn loc(location: &str, status: &str) -> LocationStatus {
        LocationStatus {
            location: location.into(),
            status: status.into(),
        }
    }

    #[test]
    fn poll_clock_starts_on_first_poll_and_keeps_its_start() {
        let first = PollClock::tick(None, 100);
        assert_eq!(
            first,
            PollClock {
                started_at_secs: 100,
                polls: 1
            }
        );
        let later = PollClock::tick(Some(first), 160);
        assert_eq!(
            later,
            PollClock {
                started_at_secs: 100,
                polls: 2
            }
        );
        assert!(!later.expired(159, 60));
        assert!(later.expired(160, 60));
        assert_eq!(later.elapsed_secs(50), 0);
    }

    #[test]
    fn build_ready_is_done_failed_fails_and_initialized_waits() {
        assert_eq!(build_progress("build-1", "READY"), Progress::Done);
        assert!(
            matches!(build_progress("build-1", "FAILED"), Progress::Failed(m) if m.contains("build-1 is FAILED"))
        );
        assert!(matches!(
            build_progress("build-1", "INITIALIZED"),
            Progress::Waiting(_)
        ));
    }

    #[test]
    fn fleet_is_done_only_when_fleet_and_every_location_are_active() {
        assert_eq!(
            fleet_progress(
                "f",
                "ACTIVE",
                &[loc("us-east-1", "ACTIVE"), loc("eu-west-1", "ACTIVE")]
            ),
            Progress::Done
        );
        assert_eq!(fleet_progress("f", "ACTIVE", &[]), Progress::Done);
        match fleet_progress(
            "f",
            "ACTIVE",
            &[loc("us-east-1", "ACTIVE"), loc("eu-west-1", "ACTIVATING")],
        ) {
            Progress::Waiting(m) => assert!(m.contains("eu-west-1 ACTIVATING"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            fleet_progress("f", "BUILDING", &[loc("us-east-1", "BUILDING")]),
            Progress::Waiting(_)
        ));
    }

    #[test]
    fn fleet_error_or_location_error_fails_instead_of_looping() {
        assert!(
            matches!(fleet_progress("f", "ERROR", &[]), Progress::Failed(m) if m.contains("ERROR"))
        );
        match fleet_progress(
            "f",
            "ACTIVE",
            &[loc("us-east-1", "ACTIVE"), loc("eu-west-1", "ERROR")],
        ) {
            Progress::Failed(m) => assert!(m.contains("eu-west-1 ERROR"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            fleet_progress("f", "TERMINATED", &[]),
            Progress::Failed(_)
        ));
    }

    #[test]
    fn smoke_session_active_or_force_terminated_by_the_stage_passes_and_other_ends_fail() {
        assert_eq!(smoke_progress("f", "gs", "ACTIVE", None), Progress::Done);
        assert!(matches!(
            smoke_progress("f", "gs", "ACTIVATING", None),
            Progress::Waiting(_)
        ));
        assert!(
            matches!(smoke_progress("f", "gs", "ERROR", Some("INTERRUPTED")), Progress::Failed(m) if m.contains("INTERRUPTED"))
        );
        assert_eq!(
            smoke_progress("f", "gs", "TERMINATED", Some("FORCE_TERMINATED")),
            Progress::Done,
            "a retried poll after the stage's own FORCE_TERMINATE passes"
        );
        for reason in [None, Some("TRIGGERED_ON_PROCESS_TERMINATE")] {
            assert!(matches!(
                smoke_progress("f", "gs", "TERMINATED", reason),
                Progress::Failed(_)
            ));
        }
    }
}
