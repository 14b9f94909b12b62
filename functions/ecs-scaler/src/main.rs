use hangar_lambda::config::Env;
use hangar_scaler::{Scaler, ScalerConfig};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hangar_lambda::init_tracing();
    let cfg = ScalerConfig::from_vars(&Env)?;
    let aws = hangar_aws::sdk_config().await;
    let scaler = Scaler::from_config(
        &cfg,
        aws_sdk_ecs::Client::new(&aws),
        aws_sdk_dynamodb::Client::new(&aws),
    )?;
    let scaler = &scaler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        ecs_scaler::handle(scaler, event)
    }))
    .await
}
