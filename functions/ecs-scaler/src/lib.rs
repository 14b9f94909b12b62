//! The scheduled scaler: one [`Scaler::tick`] per invocation.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use hangar_scaler::{Scaler, TickOutcome};
use lambda_runtime::{Error, LambdaEvent};

/// Runs one tick. Failing to read the table or ECS fails the invocation (the next
/// schedule retries); single failed actions are logged and retried next run.
pub async fn handle(
    scaler: &Scaler,
    _event: LambdaEvent<EventBridgeEvent>,
) -> Result<serde_json::Value, Error> {
    match scaler.tick().await? {
        TickOutcome::Skipped => Ok(serde_json::json!({ "skipped": true })),
        TickOutcome::Done(report) => {
            tracing::info!(report = %serde_json::to_string(&report).unwrap_or_default(), "scaler run done");
            Ok(serde_json::to_value(&report)?)
        }
    }
}
