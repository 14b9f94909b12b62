//! A game session: where it runs, its status and what players see of it.

use crate::clock::SimMillis;
use crate::model::status::{
    GameSessionStatus, GameSessionStatusReason, PlayerSessionCreationPolicy, ProtectionPolicy,
};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GameSession {
    pub id: String,
    pub name: Option<String>,
    pub fleet_id: String,
    pub fleet_arn: String,
    pub location: String,
    pub created: SimMillis,
    pub active_at: SimMillis,
    pub ends_at: Option<SimMillis>,
    pub terminated: Option<SimMillis>,
    pub status: GameSessionStatus,
    /// GameLift's GameSessionStatusReason (set by TerminateGameSession).
    pub status_reason: Option<GameSessionStatusReason>,
    pub maximum_player_session_count: i64,
    pub game_properties: Value,
    pub ip: String,
    pub dns: String,
    pub port: i64,
    pub creation_policy: PlayerSessionCreationPolicy,
    pub creator_id: Option<String>,
    pub game_session_data: Option<String>,
    pub protection: ProtectionPolicy,
    pub idempotency_token: Option<String>,
    /// The members of the CreateGameSession request that a reused idempotency token must
    /// repeat.
    pub request: Value,
    pub reported_players: i64,
    /// The never-activates fault: the server process never reports ready.
    pub never_activates: bool,
    /// A session still ACTIVATING at this time is ended (the fleet's
    /// GameSessionActivationTimeoutSeconds).
    pub activation_deadline: SimMillis,
}

impl GameSession {
    pub fn occupies_capacity(&self) -> bool {
        self.status.occupies_capacity()
    }
}
