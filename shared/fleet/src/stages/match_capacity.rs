//! Stage `fleet-match-capacity`: set each location of the new fleet to the old fleet's
//! desired/min/max (or the request's explicit capacity).

use super::guard::{self, Phase};
use crate::capacity;
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::state::{CapacityOut, ExecutionState};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<CapacityOut, FleetError> {
    guard::hold(fleet, state, Phase::BeforeSwap).await?;
    let config = state.config()?;
    let new_id = state.require_new_fleet_id()?;
    let old_id = state.old_fleet_id()?;
    let gl = &fleet.gamelift;
    let home = &fleet.region;
    let new_locations = gl::location_names(gl, new_id, home).await?;
    let old = match &config.capacity {
        Some(_) => Default::default(),
        None => gl::capacities(gl, old_id, home).await?,
    };
    let targets = capacity::targets(&old, &new_locations, config.capacity.as_ref(), home);
    for (location, target) in &targets {
        gl::set_capacity(gl, new_id, location, home, *target).await?;
    }
    Ok(CapacityOut { targets })
}
