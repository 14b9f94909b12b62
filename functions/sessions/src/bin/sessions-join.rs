//! POST /v1/sessions/{sessionId}/join: Reserves a player session without ever over-filling the game session (player route).
//! The logic is `hangar_sessions::api::join`.

use hangar_lambda::config::Env;
use hangar_sessions::{api, Sessions};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let sessions = Sessions::from_vars(&Env, &sdk, &[])?;
    lambda_http::run(lambda_http::service_fn(|req| api::join(&sessions, req))).await
}
