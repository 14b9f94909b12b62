//! Scheduled reconciler: ends sessions GameLift ended, adds sessions GameLift has and the
//! table lacks, across every page of DescribeGameSessions of every fleet behind the
//! configured queue (`GAMELIFT_QUEUE`) and alias (`GAMELIFT_ALIAS`), backing off when
//! GameLift throttles. A failure is reported to Lambda (retryable: the next schedule
//! repeats the whole pass).
//!
//! The Lambda binary and `hangar dev`'s timer both call [`handler`].

use aws_lambda_events::eventbridge::EventBridgeEvent;
use hangar_sessions::config::Need;
use hangar_sessions::service::{ReconcileReport, ServiceError, Sessions};

/// Configuration this function needs beyond `SESSIONS_TABLE`.
pub const NEEDS: &[Need] = &[Need::Queue];

pub async fn handler(
    sessions: &Sessions,
    _event: EventBridgeEvent<serde_json::Value>,
) -> Result<ReconcileReport, ServiceError> {
    hangar_sessions::api::reconcile(sessions).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_schedule_event_decodes() {
        let e: EventBridgeEvent<serde_json::Value> =
            serde_json::from_str(include_str!("../../../events/reconciler.json")).unwrap();
        assert_eq!(e.detail_type, "Scheduled Event");
        assert_eq!(e.source, "aws.events");
    }
}
