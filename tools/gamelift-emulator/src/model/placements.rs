//! A game session placement: a request to a queue for a new game session, and its result.

use crate::clock::SimMillis;
use crate::model::status::PlacementStatus;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    pub id: String,
    pub queue_name: String,
    pub status: PlacementStatus,
    pub game_properties: Value,
    pub maximum_player_session_count: i64,
    pub game_session_name: Option<String>,
    pub game_session_data: Option<String>,
    pub player_latencies: Value,
    pub desired: Vec<(String, Option<String>)>,
    pub start: SimMillis,
    pub end: Option<SimMillis>,
    /// The game session being started (while PENDING) or started (once FULFILLED).
    pub game_session_id: Option<String>,
    pub location: Option<String>,
    pub ip: Option<String>,
    pub dns: Option<String>,
    pub port: Option<i64>,
    pub placed: Vec<(String, String)>,
}

impl Placement {
    /// A new PENDING placement with no properties, players or result yet.
    pub fn pending(
        id: &str,
        queue_name: &str,
        maximum_player_session_count: i64,
        start: SimMillis,
    ) -> Self {
        Self {
            id: id.to_string(),
            queue_name: queue_name.to_string(),
            status: PlacementStatus::Pending,
            game_properties: Value::Array(Vec::new()),
            maximum_player_session_count,
            game_session_name: None,
            game_session_data: None,
            player_latencies: Value::Array(Vec::new()),
            desired: Vec::new(),
            start,
            end: None,
            game_session_id: None,
            location: None,
            ip: None,
            dns: None,
            port: None,
            placed: Vec::new(),
        }
    }
}
