//! GET /v1/gameservers/available: reserve a slot on an ECS game server for the calling player.
//! The logic is `hangar_gameservers::api::allocate`.

use hangar_gameservers::{api, config, GameServers};
use hangar_lambda::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hangar_lambda::init_tracing();
    let config = config::from_vars(&Env, &[])?;
    let sdk = hangar_aws::sdk_config().await;
    let gameservers = GameServers::new(config, &sdk)?;
    lambda_http::run(lambda_http::service_fn(|req| async {
        Ok::<_, lambda_http::Error>(api::allocate(&gameservers, req).await)
    }))
    .await
}
