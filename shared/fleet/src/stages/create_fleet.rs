//! Stage `fleet-create-fleet`: create the new fleet from the operator's CreateFleet JSON
//! on the new build (tagged with the replacement), or reuse the one an earlier run created.

use super::guard::{self, Phase};
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::state::{ExecutionState, FleetOut};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<FleetOut, FleetError> {
    guard::hold(fleet, state, Phase::BeforeSwap).await?;
    let config = state.config()?;
    let gl = &fleet.gamelift;
    if let Some(id) = state.validated()?.start.new_fleet_id() {
        return Ok(FleetOut {
            fleet_id: id.to_string(),
        });
    }
    // A CreateFleet whose response was lost (timeout, crash) left a tagged fleet: reuse it.
    if let Some(found) = gl::find_our_fleet(gl, &config.fleet.name, &config.replacement_id).await? {
        return Ok(FleetOut {
            fleet_id: found.fleet_id,
        });
    }
    let fleet_id =
        gl::create_fleet(gl, &config.fleet, state.build_id()?, config.workflow_tags()).await?;
    tracing::info!(fleet_id, "created fleet");
    Ok(FleetOut { fleet_id })
}
