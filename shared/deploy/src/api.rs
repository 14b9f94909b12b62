//! The area's entry points, called by the Lambda binaries (`functions/deploy`,
//! `functions/version`) and `hangar dev`:
//! - [`version`]: `GET /version`, the deployed build's version, git commit and build
//!   time. Public: no caller identity is needed and nothing secret is returned; it needs
//!   no state (everything it answers is fixed at build time).
//! - [`openapi`]: `GET /openapi.json`, the API's contract (`openapi.yaml` as JSON, fixed
//!   into the build). Public, like the document in the repository.
//! - [`public`]: either of the two by path, for the one function that serves both.
//! - [`hook`]: a CodeDeploy lifecycle event for either traffic hook (`Deploy<PreTraffic>`
//!   or `Deploy<PostTraffic>`): the checks, then one report to CodeDeploy. Called only by
//!   CodeDeploy (its service role may invoke `CodeDeployHook_*`).
//! - [`run_hook`]: the rest of a hook binary's `main` once its checks are configured.

#[cfg(feature = "hooks")]
use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use lambda_http::{Body, Error, Request, Response};
#[cfg(feature = "hooks")]
use lambda_runtime::LambdaEvent;

#[cfg(feature = "hooks")]
use hangar_lambda::ConfigError;

use crate::build_info::BuildInfo;
#[cfg(feature = "hooks")]
use crate::codedeploy::CodeDeploy;
#[cfg(feature = "hooks")]
use crate::error::DeployError;
#[cfg(feature = "hooks")]
use crate::hook::{Checks, Deploy};

/// Answers `{"version", "commit", "buildTime"}`.
pub async fn version(_req: Request) -> Result<Response<Body>, Error> {
    Ok(hangar_lambda::http::json(200, &BuildInfo::current()))
}

/// The repository's `openapi.yaml` as JSON, converted when this crate was built.
pub const OPENAPI_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// Answers the OpenAPI document of this build.
pub async fn openapi(_req: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(OPENAPI_JSON))?)
}

/// `GET /openapi.json` or `GET /version`, by the request's path (the function behind both
/// routes; a stage name before the path is allowed).
pub async fn public(req: Request) -> Result<Response<Body>, Error> {
    if req.uri().path().ends_with("/openapi.json") {
        openapi(req).await
    } else {
        version(req).await
    }
}

#[cfg(feature = "hooks")]
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

#[cfg(feature = "hooks")]
/// The rest of a hook binary's `main`: installs the panic guard ([`crate::guard`], so a
/// panic still reports Failed in the build that aborts on panic), builds the area state
/// over `checks` and serves lifecycle events until the Lambda runtime stops. The hook
/// binaries and the panic test's hook share it, so the test runs this very path.
pub async fn run_hook<C: Checks>(
    sdk: &aws_config::SdkConfig,
    checks: Result<C, ConfigError>,
) -> Result<(), lambda_runtime::Error> {
    crate::guard::install(sdk);
    let deploy = Deploy::new(CodeDeploy::new(sdk), checks);
    lambda_runtime::run(lambda_runtime::service_fn(|event| hook(&deploy, event))).await
}
