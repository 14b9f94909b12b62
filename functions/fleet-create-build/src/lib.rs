//! Fleet replacement stage `fleet-create-build`: create the build from S3 (or reuse the given BuildId or the one an earlier run created).
//! The logic lives in `hangar_fleet::stages`; this crate is the Lambda function around it.

use hangar_fleet::{Deps, Stage, StageError};

pub const STAGE: Stage = Stage::CreateBuild;

/// Handles one invocation: the execution state in, this stage's result out.
pub async fn handler(
    deps: &Deps,
    state: serde_json::Value,
) -> Result<serde_json::Value, StageError> {
    STAGE.run(deps, state).await
}
