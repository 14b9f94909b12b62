//! Everything the emulator knows ([`State`]) and the changes that span resources: capacity,
//! opening and ending game sessions, seating players. No I/O: side effects (game-server
//! callbacks) are returned as [`Effect`]s.

use crate::clock::SimMillis;
use crate::events::{Outbox, SentEvent};
use crate::model::aliases::Alias;
use crate::model::builds::Build;
use crate::model::fleets::Fleet;
use crate::model::game_sessions::GameSession;
use crate::model::placements::Placement;
use crate::model::player_sessions::PlayerSession;
use crate::model::queues::Queue;
use crate::model::scaling::ScalingPolicy;
use crate::model::settings::{ServerSettings, Timing};
use crate::model::status::{
    FleetStatus, GameSessionStatus, GameSessionStatusReason, PlayerSessionCreationPolicy,
    PlayerSessionStatus, ProtectionPolicy,
};
use serde::Serialize;
use serde_json::Value;

/// A side effect for the I/O layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    PlayerCount { game_session_id: String, count: i64 },
    SessionEnded { game_session_id: String },
}

/// Everything the emulator knows.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub builds: Vec<Build>,
    pub fleets: Vec<Fleet>,
    pub aliases: Vec<Alias>,
    pub queues: Vec<Queue>,
    pub placements: Vec<Placement>,
    pub game_sessions: Vec<GameSession>,
    pub player_sessions: Vec<PlayerSession>,
    pub scaling_policies: Vec<ScalingPolicy>,
    pub tags: Vec<(String, Vec<(String, String)>)>,
    pub events_sent: Vec<SentEvent>,
    #[serde(skip)]
    pub outbox: Outbox,
    /// Effects produced by operations, collected by the next tick.
    #[serde(skip)]
    pub pending_effects: Vec<Effect>,
    pub next_port: i64,
}

impl State {
    pub fn fleet_index(&self, id_or_arn: &str) -> Option<usize> {
        self.fleets
            .iter()
            .position(|f| f.id == id_or_arn || f.arn == id_or_arn)
    }

    /// Free game-session slots in a fleet location (0 unless the location is ACTIVE).
    pub fn free_slots(&self, fleet: &Fleet, location: &str) -> i64 {
        let Some(loc) = fleet.location(location) else {
            return 0;
        };
        if loc.status != FleetStatus::Active || fleet.is_gone() {
            return 0;
        }
        let used = self.sessions_in(&fleet.id, location);
        (loc.active * fleet.sessions_per_instance - used).max(0)
    }

    pub fn sessions_in(&self, fleet_id: &str, location: &str) -> i64 {
        self.game_sessions
            .iter()
            .filter(|g| g.fleet_id == fleet_id && g.location == location && g.occupies_capacity())
            .count() as i64
    }

    pub fn player_count(&self, game_session_id: &str) -> i64 {
        self.player_sessions
            .iter()
            .filter(|p| p.game_session_id == game_session_id && p.counts())
            .count() as i64
    }

    fn allocate_port(&mut self) -> i64 {
        self.next_port = if (7000..59_999).contains(&self.next_port) {
            self.next_port + 1
        } else {
            7000
        };
        self.next_port
    }

    /// Starts a game session on a fleet location; the caller has checked capacity.
    #[allow(clippy::too_many_arguments)]
    pub fn open_game_session(
        &mut self,
        fleet_idx: usize,
        location: &str,
        id_suffix: Option<&str>,
        max_players: i64,
        name: Option<String>,
        props: Value,
        data: Option<String>,
        now: SimMillis,
        t: &Timing,
        settings: &ServerSettings,
    ) -> usize {
        let port = self.allocate_port();
        let fleet = &self.fleets[fleet_idx];
        let suffix = id_suffix
            .map(str::to_string)
            .unwrap_or_else(|| format!("gsess-{}", uuid::Uuid::new_v4()));
        let protection = fleet
            .attributes
            .get("NewGameSessionProtectionPolicy")
            .and_then(Value::as_str)
            .and_then(ProtectionPolicy::from_wire)
            .unwrap_or(ProtectionPolicy::NoProtection);
        let active_at = now + t.session_activation_ms;
        let activation_timeout_secs = fleet
            .runtime_configuration
            .get("GameSessionActivationTimeoutSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(300);
        let gs = GameSession {
            id: format!(
                "arn:aws:gamelift:{location}::gamesession/{}/{suffix}",
                fleet.id
            ),
            name,
            fleet_id: fleet.id.clone(),
            fleet_arn: fleet.arn.clone(),
            location: location.to_string(),
            created: now,
            active_at,
            ends_at: Some(active_at + settings.session_duration_ms),
            terminated: None,
            status: GameSessionStatus::Activating,
            status_reason: None,
            maximum_player_session_count: max_players,
            game_properties: props,
            ip: "127.0.0.1".to_string(),
            dns: "localhost".to_string(),
            port,
            creation_policy: PlayerSessionCreationPolicy::AcceptAll,
            creator_id: None,
            game_session_data: data,
            protection,
            idempotency_token: None,
            request: Value::Null,
            reported_players: 0,
            never_activates: false,
            activation_deadline: now + activation_timeout_secs * 1000,
        };
        self.game_sessions.push(gs);
        self.game_sessions.len() - 1
    }

    pub fn add_player_session(
        &mut self,
        gs_idx: usize,
        player_id: &str,
        data: Option<String>,
        now: SimMillis,
    ) -> usize {
        let gs = &self.game_sessions[gs_idx];
        let ps = PlayerSession {
            id: format!("psess-{}", uuid::Uuid::new_v4()),
            player_id: player_id.to_string(),
            game_session_id: gs.id.clone(),
            fleet_id: gs.fleet_id.clone(),
            fleet_arn: gs.fleet_arn.clone(),
            created: now,
            terminated: None,
            status: PlayerSessionStatus::Reserved,
            ip: gs.ip.clone(),
            dns: gs.dns.clone(),
            port: gs.port,
            player_data: data,
        };
        self.player_sessions.push(ps);
        self.player_sessions.len() - 1
    }

    /// Ends a game session and its player sessions.
    pub fn end_game_session(&mut self, idx: usize, now: SimMillis, effects: &mut Vec<Effect>) {
        let gs = &mut self.game_sessions[idx];
        if gs.status == GameSessionStatus::Terminated {
            return;
        }
        gs.status = GameSessionStatus::Terminated;
        gs.terminated = Some(now);
        let id = gs.id.clone();
        for p in self
            .player_sessions
            .iter_mut()
            .filter(|p| p.game_session_id == id)
        {
            if p.counts() {
                p.status = if p.status == PlayerSessionStatus::Reserved {
                    PlayerSessionStatus::Timedout
                } else {
                    PlayerSessionStatus::Completed
                };
                p.terminated = Some(now);
            }
        }
        effects.push(Effect::SessionEnded {
            game_session_id: id,
        });
    }

    /// TerminateGameSession on an ACTIVE or ACTIVATING session (the caller checks):
    /// `force` (FORCE_TERMINATE) ends it and its player sessions now; otherwise
    /// (TRIGGER_ON_PROCESS_TERMINATE) it is TERMINATING while the server process shuts
    /// down and ends `t.session_termination_ms` later.
    pub fn terminate_game_session(
        &mut self,
        idx: usize,
        force: bool,
        now: SimMillis,
        t: &Timing,
        effects: &mut Vec<Effect>,
    ) {
        let gs = &mut self.game_sessions[idx];
        if force {
            gs.status_reason = Some(GameSessionStatusReason::ForceTerminated);
            self.end_game_session(idx, now, effects);
        } else {
            gs.status_reason = Some(GameSessionStatusReason::TriggeredOnProcessTerminate);
            gs.status = GameSessionStatus::Terminating;
            gs.ends_at = Some(now + t.session_termination_ms);
        }
    }
}
