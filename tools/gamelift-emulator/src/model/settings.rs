//! What the simulation runs on: lifecycle durations ([`Timing`]), simulated game-server
//! behaviour ([`ServerSettings`]) and the emulated account and region ([`Identity`]).

use serde::Serialize;

/// Durations of the simulated lifecycles, in simulated milliseconds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    pub build_ready_ms: i64,
    /// Time spent in each of NEW, DOWNLOADING, VALIDATING, BUILDING, ACTIVATING.
    pub fleet_step_ms: i64,
    /// Time for a location's instances to reach a new desired count.
    pub instance_change_ms: i64,
    pub fleet_deleting_ms: i64,
    pub session_activation_ms: i64,
    /// Time a game session ended with TRIGGER_ON_PROCESS_TERMINATE spends in TERMINATING
    /// (the server process's own shutdown sequence).
    pub session_termination_ms: i64,
    pub placement_delay_ms: i64,
    pub player_reservation_ms: i64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            build_ready_ms: 5_000,
            fleet_step_ms: 10_000,
            instance_change_ms: 10_000,
            fleet_deleting_ms: 10_000,
            session_activation_ms: 2_000,
            session_termination_ms: 2_000,
            placement_delay_ms: 1_000,
            player_reservation_ms: 60_000,
        }
    }
}

/// How the simulated game servers behave; settable through the admin interface.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerSettings {
    /// A game session ends this long after it became ACTIVE.
    pub session_duration_ms: i64,
    /// The simulated server accepts a reserved player session this long after the game
    /// session is ACTIVE; `None`: never (reservations time out).
    pub accept_players_after_ms: Option<i64>,
    /// Base URL of the server API that receives player counts and session ends.
    pub callback_url: Option<String>,
    #[serde(skip_serializing)]
    pub callback_token: Option<String>,
    /// A game property whose value the simulated server sends back with each callback,
    /// in the header of the same name as `callback_credential_header`.
    pub callback_credential_property: Option<String>,
    pub callback_credential_header: Option<String>,
    /// How the game session is named in the callback's path: its id (ARN, one
    /// percent-encoded segment) or the unpadded base64url of its id.
    pub callback_session_id: CallbackSessionId,
    /// Admit player sessions beyond a game session's maximum (for testing a caller's
    /// own seat limit); GameLift never does.
    pub admit_over_maximum: bool,
}

/// How a callback names the game session in its path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallbackSessionId {
    #[default]
    GameSessionId,
    Base64Url,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            session_duration_ms: 3_600_000,
            accept_players_after_ms: Some(1_000),
            callback_url: None,
            callback_token: None,
            callback_credential_property: None,
            callback_credential_header: None,
            callback_session_id: CallbackSessionId::GameSessionId,
            admit_over_maximum: false,
        }
    }
}

/// Identity of the emulated account and region.
#[derive(Debug, Clone)]
pub struct Identity {
    pub region: String,
    pub account_id: String,
}

impl Identity {
    pub fn arn(&self, kind: &str, id: &str) -> String {
        format!(
            "arn:aws:gamelift:{}:{}:{kind}/{id}",
            self.region, self.account_id
        )
    }

    /// The S3 bucket (on the local S3) that build uploads go to.
    pub fn upload_bucket(&self) -> String {
        format!("gamelift-emulator-{}-{}", self.region, self.account_id)
    }
}
