//! Fleet replacement stage `fleet-wait-capacity`: one poll of the new fleet's instances; copies the old fleet's scaling policies once reached.
//! The logic lives in `hangar_fleet::stages`; this crate is the Lambda function around it.

use hangar_fleet::{Deps, Stage, StageError};

pub const STAGE: Stage = Stage::WaitCapacity;

/// Handles one invocation: the execution state in, this stage's result out.
pub async fn handler(
    deps: &Deps,
    state: serde_json::Value,
) -> Result<serde_json::Value, StageError> {
    STAGE.run(deps, state).await
}
