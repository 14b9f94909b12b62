//! What the polling stages share: the clock in seconds and one poll's outcome (done,
//! waiting until the stage timeout, or failed).

use crate::error::FleetError;
use crate::progress::{timeout_message, PollClock, Progress};
use crate::state::PollOut;

/// Unix seconds now, from the one clock.
pub fn now_secs() -> u64 {
    hangar_lambda::clock::now_ms() / 1000
}

/// One poll of a polling stage: done, waiting (until the timeout), or failed.
pub fn poll(
    stage: &str,
    previous: Option<&PollOut>,
    timeout_secs: u64,
    progress: Progress,
    fail: fn(String) -> FleetError,
) -> Result<PollOut, FleetError> {
    let t = now_secs();
    let clock = PollClock::tick(previous.map(|p| p.clock), t);
    match progress {
        Progress::Done => Ok(PollOut::new(true, clock, "done")),
        Progress::Failed(m) => Err(fail(m)),
        Progress::Waiting(m) if clock.expired(t, timeout_secs) => Err(FleetError::StageTimeout(
            timeout_message(stage, timeout_secs, &m),
        )),
        Progress::Waiting(m) => Ok(PollOut::new(false, clock, m)),
    }
}
