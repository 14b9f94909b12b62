//! `GET /version`: the deployed build's version.
//!
//! The handler is a library function so the Lambda binary (`main.rs`) and the local API of
//! `hangar dev` run the same code.

use lambda_http::{Body, Error, Request, Response};

/// Answers `{"version": ...}` for any request routed here.
pub async fn handler(_req: Request) -> Result<Response<Body>, Error> {
    let body = serde_json::json!({ "version": env!("CARGO_PKG_VERSION") });
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?)
}
