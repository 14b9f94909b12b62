//! GET /v1/gameservers/available: reserve a slot on an ECS game server for the calling player.
//! The logic is `hangar_scaler::api::allocate`.

use hangar_lambda::config::Env;
use hangar_scaler::api::{self, Allocation};
use hangar_scaler::AllocatorConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hangar_lambda::init_tracing();
    let config = AllocatorConfig::from_vars(&Env)?;
    let sdk = hangar_aws::sdk_config().await;
    let allocation = Allocation::new(config, aws_sdk_dynamodb::Client::new(&sdk));
    lambda_http::run(lambda_http::service_fn(|req| async {
        Ok::<_, lambda_http::Error>(api::allocate(&allocation, req).await)
    }))
    .await
}
