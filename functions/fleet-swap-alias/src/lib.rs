//! Fleet replacement stage `fleet-swap-alias`: point the alias at the new fleet (only if it still routes to the old one).
//! The logic lives in `hangar_fleet::stages`; this crate is the Lambda function around it.

use hangar_fleet::{Deps, Stage, StageError};

pub const STAGE: Stage = Stage::SwapAlias;

/// Handles one invocation: the execution state in, this stage's result out.
pub async fn handler(
    deps: &Deps,
    state: serde_json::Value,
) -> Result<serde_json::Value, StageError> {
    STAGE.run(deps, state).await
}
