//! Stage `fleet-wait-build`: one poll of the build until it is READY.

use super::guard::{self, Phase};
use super::poll::poll;
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::progress::{build_progress, Progress};
use crate::state::{ExecutionState, PollOut};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<PollOut, FleetError> {
    guard::hold(fleet, state, Phase::BeforeSwap).await?;
    let config = state.config()?;
    let build_id = state.build_id()?;
    let progress = match gl::build_status(&fleet.gamelift, build_id).await? {
        Some(status) => build_progress(build_id, &status),
        None => Progress::Failed(format!("build {build_id} no longer exists")),
    };
    poll(
        "waiting for the build",
        state.build_wait.as_ref(),
        config.timeouts.build,
        progress,
        FleetError::BuildFailed,
    )
}
