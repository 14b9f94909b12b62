//! Stage `fleet-swap-alias`: point the alias at the new fleet, only if it still routes
//! to the old one (or already to the new one, on a retry).

use super::guard::{self, Phase};
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::state::{ExecutionState, SwapOut};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<SwapOut, FleetError> {
    guard::hold(fleet, state, Phase::BeforeSwap).await?;
    let config = state.config()?;
    let old_id = state.old_fleet_id()?;
    let new_id = state.require_new_fleet_id()?;
    let gl = &fleet.gamelift;
    let routed = gl::alias(gl, &config.alias_id)
        .await?
        .and_then(|a| a.fleet_id);
    match routed.as_deref() {
        Some(id) if id == new_id => {}
        Some(id) if id == old_id => gl::point_alias(gl, &config.alias_id, new_id).await?,
        other => {
            return Err(FleetError::Unsafe(format!(
                "alias {} now routes to {} instead of {old_id}: someone changed it during the replacement; \
                 it was left as it is",
                config.alias_id,
                other.unwrap_or("no fleet")
            )))
        }
    }
    tracing::info!(
        alias_id = config.alias_id,
        from = old_id,
        to = new_id,
        "alias swapped"
    );
    Ok(SwapOut {
        alias_id: config.alias_id.clone(),
        from_fleet_id: old_id.to_string(),
        to_fleet_id: new_id.to_string(),
    })
}
