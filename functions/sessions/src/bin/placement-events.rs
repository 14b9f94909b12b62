//! SQS consumer: GameLift queue placement events (SNS envelope or raw EventBridge) into the sessions table, idempotent, with partial batch responses.
//! The logic is `hangar_sessions::api::placement_events`.

use aws_lambda_events::sqs::SqsEvent;
use hangar_lambda::config::Env;
use hangar_sessions::{api, Sessions};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let sessions = Sessions::from_vars(&Env, &sdk, &[])?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async {
        Ok::<_, lambda_runtime::Error>(api::placement_events(&sessions, event.payload).await)
    }))
    .await
}
