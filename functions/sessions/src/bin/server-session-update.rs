//! PUT /v1/server/sessions/{sessionId}: A game server's partial update of its session (server route, IAM).
//! The logic is `hangar_sessions::api::server_update`.

use hangar_lambda::config::Env;
use hangar_sessions::{api, Sessions};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let sessions = Sessions::from_vars(&Env, &sdk, &[])?;
    lambda_http::run(lambda_http::service_fn(|req| {
        api::server_update(&sessions, req)
    }))
    .await
}
