//! Stage `fleet-create-build`: create the build from S3 (tagged with the replacement),
//! reuse the one an earlier run created, or pass on the `BuildId` the request reuses.

use super::guard::{self, Phase};
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::request::BuildSource;
use crate::state::{BuildOut, ExecutionState};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<BuildOut, FleetError> {
    guard::hold(fleet, state, Phase::BeforeSwap).await?;
    let config = state.config()?;
    let upload = match &config.build {
        BuildSource::Existing { build_id } => {
            return Ok(BuildOut {
                build_id: build_id.clone(),
                created: false,
            })
        }
        BuildSource::Upload(u) => u,
    };
    let gl = &fleet.gamelift;
    if let Some(build_id) =
        gl::find_our_build(gl, &upload.name, &upload.version, &config.replacement_id).await?
    {
        return Ok(BuildOut {
            build_id,
            created: true,
        });
    }
    let build_id = gl::create_build(gl, upload, config.workflow_tags()).await?;
    tracing::info!(build_id, "created build");
    Ok(BuildOut {
        build_id,
        created: true,
    })
}
