//! Stage `fleet-smoke-test`: place a game session directly on the new fleet, see it
//! ACTIVE, end it. One poll per call.

use super::guard::{self, Phase};
use super::poll::{now_secs, poll};
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::progress::{smoke_progress, smoke_session_ended_by_us, PollClock};
use crate::state::{ExecutionState, PollOut};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<PollOut, FleetError> {
    guard::hold(fleet, state, Phase::BeforeSwap).await?;
    let config = state.config()?;
    let fleet_id = state.require_new_fleet_id()?;
    let gl = &fleet.gamelift;
    let previous = state.smoke.as_ref();
    let Some(session_id) = previous.and_then(|p| p.game_session_id.clone()) else {
        let t = now_secs();
        let token = format!("{}-smoke-{t}", config.replacement_id);
        let session_id = gl::create_smoke_session(gl, fleet_id, &token).await?;
        let mut out = PollOut::new(
            false,
            PollClock::tick(None, t),
            format!("smoke-test session {session_id} placed"),
        );
        out.game_session_id = Some(session_id);
        return Ok(out);
    };
    let (status, reason) = gl::game_session_status(gl, &session_id).await?;
    let progress = smoke_progress(fleet_id, &session_id, &status, reason.as_deref());
    let mut out = poll(
        "smoke test",
        previous,
        config.timeouts.smoke,
        progress,
        FleetError::SmokeTestFailed,
    )?;
    if out.done && smoke_session_ended_by_us(&status, reason.as_deref()) {
        out.status = format!("smoke-test session {session_id} was ACTIVE and has been ended");
    } else if out.done {
        // The session proved the build serves; end it so it holds no capacity. A failure
        // to end it does not condemn a fleet that works: it is reported, not fatal.
        //
        // FORCE_TERMINATE, not TRIGGER_ON_PROCESS_TERMINATE: the session has no players and
        // no state worth a graceful shutdown, and FORCE ends it (and frees its server
        // process) at once, before the alias moves. TRIGGER only asks the server process
        // to end (OnProcessTerminate -> ProcessEnding); a build that does not implement
        // that callback would leave the session TERMINATING, holding a slot on the fleet
        // that is about to take all the players. Its StatusReason FORCE_TERMINATED also
        // lets a retried poll recognise the session as ended by this stage.
        out.status = match gl::force_terminate_game_session(gl, &session_id).await {
            Ok(()) => format!("smoke-test session {session_id} was ACTIVE and has been ended"),
            Err(e) if e.is_retryable() => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, session_id, "could not end the smoke-test session");
                format!("smoke-test session {session_id} was ACTIVE; ending it failed ({e}); it ends with its server process")
            }
        };
    }
    out.game_session_id = Some(session_id);
    Ok(out)
}
