//! Stage `fleet-smoke-test`: place a game session directly on the new fleet in every
//! location that has desired capacity, see each ACTIVE, end them. One poll per call:
//! a location whose server processes are not ready yet (FleetCapacityExceeded) is tried
//! again on the next poll; a session that ends or fails before ACTIVE fails the stage
//! (and the replacement rolls back); the stage timeout bounds the whole.

use super::guard::{self, Phase};
use super::poll::{now_secs, poll};
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::progress::{smoke_overall, smoke_progress, smoke_session_ended_by_us, Progress};
use crate::state::{ExecutionState, PollOut};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<PollOut, FleetError> {
    guard::hold(fleet, state, Phase::BeforeSwap).await?;
    let config = state.config()?;
    let fleet_id = state.require_new_fleet_id()?;
    let gl = &fleet.gamelift;
    let targets = &state
        .capacity
        .as_ref()
        .ok_or_else(|| FleetError::BadState("the state has no `capacity` result".into()))?
        .targets;
    let locations: Vec<&String> = targets
        .iter()
        .filter(|(_, t)| t.desired > 0)
        .map(|(l, _)| l)
        .collect();
    if locations.is_empty() {
        return Err(FleetError::SmokeTestFailed(format!(
            "no location of fleet {fleet_id} has desired capacity, so no game session can be \
             placed to test it; give one a desired count (--capacity LOCATION=DESIRED/MIN/MAX)"
        )));
    }
    let previous = state.smoke.as_ref();
    let mut sessions = previous
        .map(|p| p.game_sessions.clone())
        .unwrap_or_default();
    let mut per_location = Vec::new();
    let mut statuses = Vec::new();
    for location in locations {
        let session_id = match sessions.get(location) {
            Some(id) => id.clone(),
            None => {
                let token = format!("{}-smoke-{location}-{}", config.replacement_id, now_secs());
                match gl::create_smoke_session(gl, fleet_id, location, &token).await? {
                    Some(id) => {
                        sessions.insert(location.clone(), id.clone());
                        id
                    }
                    None => {
                        per_location.push((
                            location.clone(),
                            Progress::Waiting(
                                "no server process ready yet (FleetCapacityExceeded); placing again".into(),
                            ),
                        ));
                        continue;
                    }
                }
            }
        };
        let (status, reason) = gl::game_session_status(gl, &session_id).await?;
        per_location.push((
            location.clone(),
            smoke_progress(fleet_id, &session_id, &status, reason.as_deref()),
        ));
        statuses.push((session_id, status, reason));
    }
    let mut out = poll(
        "smoke test",
        previous,
        config.timeouts.smoke,
        smoke_overall(per_location),
        FleetError::SmokeTestFailed,
    )?;
    if out.done {
        // The sessions proved the build serves; end them so they hold no capacity. A
        // failure to end one does not condemn a fleet that works: it is reported, not fatal.
        //
        // FORCE_TERMINATE, not TRIGGER_ON_PROCESS_TERMINATE: the sessions have no players
        // and no state worth a graceful shutdown, and FORCE ends them (and frees their
        // server processes) at once, before the alias moves. TRIGGER only asks the server
        // process to end; a build that does not implement that callback would leave the
        // session TERMINATING, holding a slot on the fleet that is about to take all the
        // players. Its StatusReason FORCE_TERMINATED also lets a retried poll recognise a
        // session as ended by this stage.
        let mut ended = Vec::new();
        for (session_id, status, reason) in &statuses {
            if smoke_session_ended_by_us(status, reason.as_deref()) {
                ended.push(format!("{session_id} ended"));
                continue;
            }
            match gl::force_terminate_game_session(gl, session_id).await {
                Ok(()) => ended.push(format!("{session_id} ended")),
                Err(e) if e.is_retryable() => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, session_id, "could not end the smoke-test session");
                    ended.push(format!(
                        "{session_id} could not be ended ({e}); it ends with its server process"
                    ));
                }
            }
        }
        out.status = format!(
            "smoke-test sessions were ACTIVE in {}: {}",
            sessions.keys().cloned().collect::<Vec<_>>().join(", "),
            ended.join(", ")
        );
    }
    out.game_sessions = sessions;
    Ok(out)
}
