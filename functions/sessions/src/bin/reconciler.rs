//! Scheduled: repairs drift between the sessions table and GameLift, paging DescribeGameSessions through every page of every fleet behind the queue/alias.
//! The logic is `hangar_sessions::api::reconcile`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use hangar_lambda::config::Env;
use hangar_sessions::config::Need;
use hangar_sessions::{api, Sessions};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let sessions = Sessions::from_vars(&Env, &sdk, &[Need::Queue])?;
    // A failure is reported as a diagnostic whose type says whether it is retryable.
    lambda_runtime::run(service_fn(|_event: LambdaEvent<EventBridgeEvent>| {
        api::reconcile(&sessions)
    }))
    .await
}
