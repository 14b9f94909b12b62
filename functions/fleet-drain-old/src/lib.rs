//! Fleet replacement stage `fleet-drain-old`: one poll of the old fleet's live game sessions; scales it to zero once drained.
//! The logic lives in `hangar_fleet::stages`; this crate is the Lambda function around it.

use hangar_fleet::{Deps, Stage, StageError};

pub const STAGE: Stage = Stage::DrainOldFleet;

/// Handles one invocation: the execution state in, this stage's result out.
pub async fn handler(
    deps: &Deps,
    state: serde_json::Value,
) -> Result<serde_json::Value, StageError> {
    STAGE.run(deps, state).await
}
