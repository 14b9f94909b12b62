//! Scheduled capacity-margin autoscaler for game servers running as ECS tasks.
//! The logic is `hangar_scaler::api::scale`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use hangar_lambda::config::Env;
use hangar_scaler::{api, Scaler, ScalerConfig};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let config = ScalerConfig::from_vars(&Env)?;
    let sdk = hangar_aws::sdk_config().await;
    let scaler = Scaler::from_config(
        &config,
        aws_sdk_ecs::Client::new(&sdk),
        aws_sdk_dynamodb::Client::new(&sdk),
    )?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<EventBridgeEvent>| {
        api::scale(&scaler, event.payload)
    }))
    .await
}
