//! Stage `fleet-wait-capacity`: one poll until every location has its desired active
//! instances; then the old fleet's scaling policies and suspended actions are copied
//! (unless the request says `no_scaling_policies`).

use super::guard::{self, Phase};
use super::poll::poll;
use crate::capacity;
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::progress::Progress;
use crate::state::{ExecutionState, PollOut};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<PollOut, FleetError> {
    guard::hold(fleet, state, Phase::BeforeSwap).await?;
    let config = state.config()?;
    let new_id = state.require_new_fleet_id()?;
    let targets = &state
        .capacity
        .as_ref()
        .ok_or_else(|| FleetError::BadState("the state has no `capacity` result".into()))?
        .targets;
    let gl = &fleet.gamelift;
    let now_counts = gl::capacities(gl, new_id, &fleet.region).await?;
    let short = capacity::shortfall(targets, &now_counts);
    let progress = if short.is_empty() {
        Progress::Done
    } else {
        Progress::Waiting(format!("waiting for instances: {}", short.join(", ")))
    };
    let mut out = poll(
        "waiting for capacity",
        state.capacity_wait.as_ref(),
        config.timeouts.capacity,
        progress,
        FleetError::FleetFailed,
    )?;
    if out.done {
        // Policies go on only now: a policy acting on an empty fleet could move the
        // desired counts before the matched instances are up.
        if config.copy_scaling_policies {
            let old_id = state.old_fleet_id()?;
            let copied = gl::copy_scaling_policies(gl, old_id, new_id).await?;
            let stopped = gl::copy_stopped_actions(gl, old_id, new_id, &fleet.region).await?;
            let policies = if copied.is_empty() {
                "the old fleet has no scaling policies".to_string()
            } else {
                format!("scaling policies copied: {}", copied.join(", "))
            };
            let actions = if stopped.is_empty() {
                String::new()
            } else {
                format!("; suspended as on the old fleet: {}", stopped.join(", "))
            };
            out.status = format!("capacity reached; {policies}{actions}");
        } else {
            out.status = "capacity reached; scaling policies not copied (as asked)".into();
        }
    }
    Ok(out)
}
