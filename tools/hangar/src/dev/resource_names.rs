//! The names and ids of a local deployment's resources, as `hangar dev` created them and
//! writes them to `.hangar/dev.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Names and ids of the local deployment's resources.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DevResources {
    pub placement_topic_arn: String,
    pub placement_queue_url: String,
    pub placement_queue_arn: String,
    pub placement_dlq_url: String,
    pub placement_dlq_arn: String,
    pub build_id: String,
    pub fleet_id: String,
    pub fleet_arn: String,
    pub alias_id: String,
    pub alias_arn: String,
    pub game_session_queue_name: String,
    pub game_session_queue_arn: String,
    /// DynamoDB tables by area (e.g. `sessions`), as each area's crate names them.
    pub tables: BTreeMap<String, String>,
    /// Secrets Manager secrets (their ARNs) by the variable that names them to a
    /// function (e.g. `CURSOR_SECRET_ARN`).
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}
