//! Stage `fleet-release-lock`: give the alias lock back, if this execution holds it.

use serde::Serialize;

use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::lock;
use crate::state::ExecutionState;

#[derive(Debug, Serialize)]
pub struct ReleaseOut {
    released: bool,
}

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<ReleaseOut, FleetError> {
    let Some(v) = state.validated.as_ref().filter(|v| v.locked) else {
        return Ok(ReleaseOut { released: false });
    };
    let released = lock::release(
        &fleet.dynamodb,
        &fleet.lock_table,
        &v.config.alias_id,
        state.execution_arn()?,
    )
    .await?;
    Ok(ReleaseOut { released })
}
