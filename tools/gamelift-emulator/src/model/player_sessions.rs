//! A player session: one player's seat in a game session.

use crate::clock::SimMillis;
use crate::model::status::PlayerSessionStatus;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayerSession {
    pub id: String,
    pub player_id: String,
    pub game_session_id: String,
    pub fleet_id: String,
    pub fleet_arn: String,
    pub created: SimMillis,
    pub terminated: Option<SimMillis>,
    pub status: PlayerSessionStatus,
    pub ip: String,
    pub dns: String,
    pub port: i64,
    pub player_data: Option<String>,
}

impl PlayerSession {
    pub fn counts(&self) -> bool {
        self.status.counts()
    }
}
