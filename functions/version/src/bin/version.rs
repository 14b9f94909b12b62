//! GET /version (the deployed build's version, git commit and build time) and
//! GET /openapi.json (the API's contract). The logic is `hangar_deploy::api::public`.
//! Public: no caller identity is needed and nothing secret is returned.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hangar_lambda::init_tracing();
    lambda_http::run(lambda_http::service_fn(hangar_deploy::api::public)).await
}
