//! GET /v1/sessions: Lists game sessions from the table with GameLift's filter/sort grammar and signed cursors (player route).
//! The logic is `hangar_sessions::api::list`.

use hangar_lambda::config::Env;
use hangar_sessions::config::Need;
use hangar_sessions::{api, Sessions};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let sessions = Sessions::from_vars(&Env, &sdk, &[Need::CursorKey])?;
    lambda_http::run(lambda_http::service_fn(|req| api::list(&sessions, req))).await
}
