//! Stage `fleet-wait-fleet`: one poll of the new fleet until it and every location are ACTIVE.

use super::guard::{self, Phase};
use super::poll::poll;
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::progress::{fleet_progress, Progress};
use crate::state::{ExecutionState, PollOut};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<PollOut, FleetError> {
    guard::hold(fleet, state, Phase::BeforeSwap).await?;
    let config = state.config()?;
    let fleet_id = state.require_new_fleet_id()?;
    let gl = &fleet.gamelift;
    let (status, locations, progress) = match gl::fleet(gl, fleet_id).await? {
        None => (
            None,
            vec![],
            Progress::Failed(format!("fleet {fleet_id} no longer exists")),
        ),
        Some(f) => {
            let status = gl::fleet_status(&f);
            let locations = gl::locations(gl, fleet_id).await?;
            let progress = fleet_progress(fleet_id, &status, &locations);
            (Some(status), locations, progress)
        }
    };
    let mut out = poll(
        "waiting for the fleet",
        state.fleet_wait.as_ref(),
        config.timeouts.fleet,
        progress,
        FleetError::FleetFailed,
    )?;
    out.fleet_status = status;
    out.locations = locations;
    Ok(out)
}
