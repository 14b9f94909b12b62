//! GET /v1/gameservers: the ECS game servers with state and load.
//! The logic is `hangar_scaler::api::list`.

use hangar_lambda::config::Env;
use hangar_scaler::api::{self, Listing};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let listing = Listing::from_vars(&Env, aws_sdk_dynamodb::Client::new(&sdk))?;
    lambda_http::run(lambda_http::service_fn(|req| async {
        Ok::<_, lambda_http::Error>(api::list(&listing, req).await)
    }))
    .await
}
