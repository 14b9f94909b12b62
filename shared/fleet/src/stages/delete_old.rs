//! Stage `fleet-delete-old`: delete the drained old fleet, refused while any alias
//! routes to it; kept (scaled to zero) when the request says so.

use super::guard::{self, Phase};
use serde::Serialize;

use crate::drain::{aliases_routing_to, GONE_STATUSES};
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::state::ExecutionState;

#[derive(Debug, Serialize)]
pub struct DeleteOut {
    fleet_id: String,
    deleted: bool,
    status: String,
}

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<DeleteOut, FleetError> {
    guard::hold(fleet, state, Phase::AfterDrain).await?;
    let config = state.config()?;
    let old_id = state.old_fleet_id()?.to_string();
    let gl = &fleet.gamelift;
    if config.keep_old_fleet {
        let status = format!("old fleet {old_id} kept (scaled to zero) as asked");
        return Ok(DeleteOut {
            fleet_id: old_id,
            deleted: false,
            status,
        });
    }
    let status = gl::fleet(gl, &old_id).await?.map(|f| gl::fleet_status(&f));
    if status.as_deref().is_none_or(|s| GONE_STATUSES.contains(&s)) {
        let status = format!("old fleet {old_id} is already gone");
        return Ok(DeleteOut {
            fleet_id: old_id,
            deleted: true,
            status,
        });
    }
    let routing = aliases_routing_to(&gl::all_aliases(gl).await?, &old_id);
    if !routing.is_empty() {
        return Err(FleetError::Unsafe(format!(
            "old fleet {old_id} was not deleted: alias(es) {} still route to it",
            routing.join(", ")
        )));
    }
    gl::delete_fleet(gl, &old_id).await?;
    tracing::info!(fleet_id = old_id, "old fleet deleted");
    Ok(DeleteOut {
        status: format!("old fleet {old_id} deleted"),
        fleet_id: old_id,
        deleted: true,
    })
}
