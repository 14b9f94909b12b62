//! GET /v1/placements/{placementId}: Placement status from the table; only the creator and reserved players may read it (player route).
//! The logic is `hangar_sessions::api::placement_status`.

use hangar_lambda::config::Env;
use hangar_sessions::{api, Sessions};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let sessions = Sessions::from_vars(&Env, &sdk, &[])?;
    lambda_http::run(lambda_http::service_fn(|req| {
        api::placement_status(&sessions, req)
    }))
    .await
}
