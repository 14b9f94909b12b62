//! The area's entry points, called by the Lambda binaries (`functions/deploy`) and
//! `hangar dev`:
//! - [`version`]: `GET /version`, the deployed build's version, git commit and build
//!   time. Public: no caller identity is needed and nothing secret is returned; it needs
//!   no state (everything it answers is fixed at build time).
//! - [`hook`]: a CodeDeploy lifecycle event for either traffic hook (`Deploy<PreTraffic>`
//!   or `Deploy<PostTraffic>`): the checks, then one report to CodeDeploy. Called only by
//!   CodeDeploy (its service role may invoke `CodeDeployHook_*`).

use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use lambda_http::{Body, Error, Request, Response};
use lambda_runtime::LambdaEvent;

use crate::build_info::BuildInfo;
use crate::error::DeployError;
use crate::hook::{Checks, Deploy};

/// Answers `{"version", "commit", "buildTime"}`.
pub async fn version(_req: Request) -> Result<Response<Body>, Error> {
    Ok(hangar_lambda::http::json(200, &BuildInfo::current()))
}

/// Runs the hook for one lifecycle event; answers `{"status", "reason"}` (what was
/// reported to CodeDeploy). An `Err` is reported by Lambda as the invocation's error.
pub async fn hook<C: Checks>(
    deploy: &Deploy<C>,
    event: LambdaEvent<CodeDeployLifecycleEvent>,
) -> Result<serde_json::Value, DeployError> {
    let outcome = deploy
        .handle(&event.payload, event.context.deadline)
        .await?;
    Ok(serde_json::json!({
        "status": outcome.status().as_str(),
        "reason": outcome.reason(),
    }))
}
