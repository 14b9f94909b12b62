//! POST /v1/sessions: Starts a GameLift queue placement for a new game session (player route).
//! The logic is `hangar_sessions::api::create`.

use hangar_lambda::config::Env;
use hangar_sessions::config::Need;
use hangar_sessions::{api, Sessions};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let sessions = Sessions::from_vars(&Env, &sdk, &[Need::Queue, Need::ServerCredential])?;
    lambda_http::run(lambda_http::service_fn(|req| api::create(&sessions, req))).await
}
