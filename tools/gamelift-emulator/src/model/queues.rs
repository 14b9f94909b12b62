//! A game session queue: destinations tried for placements, its timeout and where its
//! placement events go.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    pub name: String,
    pub arn: String,
    pub timeout_seconds: i64,
    pub destinations: Vec<String>,
    pub notification_target: Option<String>,
    pub custom_event_data: Option<String>,
    /// Members kept as sent: PlayerLatencyPolicies, FilterConfiguration, PriorityConfiguration.
    pub extra: Value,
}
