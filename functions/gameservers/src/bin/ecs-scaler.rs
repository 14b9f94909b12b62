//! Scheduled capacity-margin autoscaler for game servers running as ECS tasks.
//! The logic is `hangar_gameservers::api::scale`.

use hangar_gameservers::api::{self, ScheduleEvent};
use hangar_gameservers::config::{self, Need};
use hangar_gameservers::GameServers;
use hangar_lambda::config::Env;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let config = config::from_vars(&Env, &[Need::Scaling])?;
    let sdk = hangar_aws::sdk_config().await;
    let gameservers = GameServers::new(config, &sdk)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<ScheduleEvent>| {
        api::scale(&gameservers, event.payload)
    }))
    .await
}
