//! SQS consumer of GameLift queue placement events. Each message is recorded on its own;
//! the ones that fail are returned in `batchItemFailures` (the event source mapping has
//! `ReportBatchItemFailures`), so only they are retried and, after the queue's
//! maxReceiveCount, land in the DLQ.
//!
//! The Lambda binary and `hangar dev`'s SQS poller both call [`handler`].

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use hangar_sessions::config::Need;
use hangar_sessions::service::Sessions;

/// Configuration this function needs beyond `SESSIONS_TABLE`.
pub const NEEDS: &[Need] = &[];

pub async fn handler(sessions: &Sessions, event: SqsEvent) -> SqsBatchResponse {
    hangar_sessions::api::placement_events(sessions, event).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = include_str!("../../../events/placement-events.json");

    #[tokio::test]
    async fn undecodable_messages_of_the_sample_batch_fail_alone_before_any_write() {
        // Only the malformed record is examined here: the offline clients would fail the
        // others, which the integration tests cover against DynamoDB.
        let mut event: SqsEvent = serde_json::from_str(EVENT).unwrap();
        event.records.retain(|r| {
            r.message_id
                .as_deref()
                .unwrap_or("")
                .starts_with("00000003")
        });
        assert_eq!(event.records.len(), 1);
        let response = handler(&hangar_sessions::testing::offline_sessions(), event).await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, vec!["00000003-aaaa-4bbb-8ccc-dddddddddddd"]);
    }
}
