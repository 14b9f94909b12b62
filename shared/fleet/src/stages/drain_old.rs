//! Stage `fleet-drain-old`: one poll of the old fleet until no game session is ACTIVE or
//! ACTIVATING (every location, every page), then scale it to zero.

use super::guard::{self, Phase};
use super::poll::now_secs;
use crate::capacity;
use crate::drain::{drain_decision, live_sessions, Drain, GONE_STATUSES};
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::progress::PollClock;
use crate::state::{ExecutionState, PollOut};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<PollOut, FleetError> {
    guard::hold(fleet, state, Phase::Drain).await?;
    let config = state.config()?;
    let old_id = state.old_fleet_id()?;
    let gl = &fleet.gamelift;
    let t = now_secs();
    let clock = PollClock::tick(state.drain.as_ref().map(|p| p.clock), t);
    let status = gl::fleet(gl, old_id).await?.map(|f| gl::fleet_status(&f));
    if status.as_deref().is_none_or(|s| GONE_STATUSES.contains(&s)) {
        return Ok(PollOut::new(
            true,
            clock,
            format!("old fleet {old_id} is already gone"),
        ));
    }
    let statuses = gl::session_statuses(gl, old_id, &fleet.region).await?;
    let live = live_sessions(statuses.iter().map(String::as_str));
    match drain_decision(live, clock.expired(t, config.timeouts.drain)) {
        Drain::Drained => {
            let locations = gl::location_names(gl, old_id, &fleet.region).await?;
            for (location, target) in capacity::zero(&locations) {
                gl::set_capacity(gl, old_id, &location, &fleet.region, target).await?;
            }
            let mut out = PollOut::new(
                true,
                clock,
                format!("old fleet {old_id} drained and scaled to zero"),
            );
            out.live_sessions = Some(0);
            Ok(out)
        }
        Drain::Waiting(n) => {
            let mut out = PollOut::new(
                false,
                clock,
                format!("old fleet {old_id}: {n} live game session(s)"),
            );
            out.live_sessions = Some(n);
            Ok(out)
        }
        Drain::TimedOut(n) => Err(FleetError::DrainTimedOut(format!(
            "old fleet {old_id} still had {n} ACTIVE/ACTIVATING game session(s) after the {}s drain timeout",
            config.timeouts.drain
        ))),
    }
}
