//! A fleet's scaling policy, kept as its wire form.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingPolicy {
    pub fleet_id: String,
    pub name: String,
    pub location: String,
    pub wire: Value,
}
