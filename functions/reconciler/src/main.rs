use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let sessions = hangar_sessions::api::init(reconciler::NEEDS).await?;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| async {
            reconciler::handler(&sessions, event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        },
    ))
    .await
}
