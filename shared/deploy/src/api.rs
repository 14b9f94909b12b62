//! The area's HTTP entry point: `GET /version`, the deployed build's version, git commit
//! and build time, fixed when the build ran (`hangar-build-info`). The Lambda binary
//! (`functions/deploy`), `hangar dev` and the PreTraffic hook's checks run the same code.
//! Public: no caller identity is needed and nothing secret is returned.

use lambda_http::{Body, Error, Request, Response};

/// Answers `{"version", "commit", "buildTime"}`.
pub async fn version(_req: Request) -> Result<Response<Body>, Error> {
    Ok(hangar_lambda::http::json(
        200,
        &hangar_build_info::BuildInfo::current(),
    ))
}
