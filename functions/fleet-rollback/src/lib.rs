//! Fleet replacement stage `fleet-rollback`: undo a failed replacement: alias back, new fleet and created build deleted, old fleet kept.
//! The logic lives in `hangar_fleet::stages`; this crate is the Lambda function around it.

use hangar_fleet::{Deps, Stage, StageError};

pub const STAGE: Stage = Stage::Rollback;

/// Handles one invocation: the execution state in, this stage's result out.
pub async fn handler(
    deps: &Deps,
    state: serde_json::Value,
) -> Result<serde_json::Value, StageError> {
    STAGE.run(deps, state).await
}
