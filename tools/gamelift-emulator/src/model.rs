//! The emulator's state: builds, fleets (per location), aliases, queues, placements, game
//! sessions and player sessions, and the lifecycle rules that move them along the
//! simulated clock. No I/O here: side effects (events to publish, game-server callbacks)
//! are returned as [`Effect`]s.

use crate::clock::SimMillis;
use crate::events::{self, Fulfilled, Outbox, PlacementOutcome};
use crate::faults::{EventFaults, Faults};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            session_duration_ms: 3_600_000,
            accept_players_after_ms: Some(1_000),
            callback_url: None,
            callback_token: None,
        }
    }
}

/// A side effect for the I/O layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    PlayerCount { game_session_id: String, count: i64 },
    SessionEnded { game_session_id: String },
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Build {
    pub id: String,
    pub arn: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub status: &'static str,
    pub operating_system: Option<String>,
    pub server_sdk_version: Option<String>,
    pub created: SimMillis,
    pub ready_at: SimMillis,
}

pub const FLEET_STEPS: [&str; 6] = [
    "NEW",
    "DOWNLOADING",
    "VALIDATING",
    "BUILDING",
    "ACTIVATING",
    "ACTIVE",
];

/// Extra time a fleet location spends in ACTIVATING (the slow-activation fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExtraActivation {
    /// This many simulated milliseconds longer than `timing.fleet_step_ms`.
    Millis(i64),
    /// The location never leaves ACTIVATING (until the fault is changed).
    Forever,
}

impl Default for ExtraActivation {
    fn default() -> Self {
        Self::Millis(0)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub name: String,
    pub status: &'static str,
    /// When the next lifecycle step happens (for ACTIVATING, before `extra_activation`).
    pub next_at: SimMillis,
    pub extra_activation: ExtraActivation,
    pub desired: i64,
    pub min: i64,
    pub max: i64,
    pub active: i64,
    /// When `active` reaches `desired`.
    pub instances_at: Option<SimMillis>,
}

impl Location {
    pub fn new(name: &str, now: SimMillis, t: &Timing) -> Self {
        Self {
            name: name.to_string(),
            status: "NEW",
            next_at: now + t.fleet_step_ms,
            extra_activation: ExtraActivation::default(),
            desired: 1,
            min: 0,
            max: 1,
            active: 0,
            instances_at: None,
        }
    }

    /// Moves the lifecycle on to `now`; `extra_activation` lengthens ACTIVATING. Changing
    /// `extra_activation` while the location is ACTIVATING applies to it at once.
    pub fn advance(&mut self, now: SimMillis, t: &Timing) {
        while let Some(i) = FLEET_STEPS.iter().position(|s| *s == self.status) {
            if i + 1 >= FLEET_STEPS.len() {
                break;
            }
            let due = match (self.status, self.extra_activation) {
                ("ACTIVATING", ExtraActivation::Forever) => break,
                ("ACTIVATING", ExtraActivation::Millis(extra)) => self.next_at + extra.max(0),
                _ => self.next_at,
            };
            if now < due {
                break;
            }
            self.status = FLEET_STEPS[i + 1];
            let at = due;
            self.next_at = at + t.fleet_step_ms;
            if self.status == "ACTIVE" {
                self.instances_at = Some(at);
            }
        }
        if self.status == "ACTIVE" {
            if let Some(at) = self.instances_at {
                if now >= at {
                    self.active = self.desired;
                    self.instances_at = None;
                }
            }
        }
    }

    pub fn set_capacity(&mut self, desired: i64, min: i64, max: i64, now: SimMillis, t: &Timing) {
        self.desired = desired;
        self.min = min;
        self.max = max;
        if self.status == "ACTIVE" && self.active != desired {
            self.instances_at = Some(now + t.instance_change_ms);
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fleet {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub attributes: Value,
    pub runtime_configuration: Value,
    pub sessions_per_instance: i64,
    pub created: SimMillis,
    pub terminated: Option<SimMillis>,
    pub deleting_until: Option<SimMillis>,
    pub status: &'static str,
    pub locations: Vec<Location>,
}

impl Fleet {
    pub fn home(&self) -> Option<&Location> {
        self.locations.first()
    }
    pub fn location(&self, name: &str) -> Option<&Location> {
        self.locations.iter().find(|l| l.name == name)
    }
    pub fn location_mut(&mut self, name: &str) -> Option<&mut Location> {
        self.locations.iter_mut().find(|l| l.name == name)
    }
    pub fn is_gone(&self) -> bool {
        matches!(self.status, "DELETING" | "TERMINATED")
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alias {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub description: Option<String>,
    pub routing_type: String,
    pub fleet_id: Option<String>,
    pub message: Option<String>,
    pub created: SimMillis,
    pub updated: SimMillis,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    pub name: String,
    pub arn: String,
    pub timeout_seconds: i64,
    pub destinations: Vec<String>,
    pub notification_target: Option<String>,
    pub custom_event_data: Option<String>,
    pub extra: Value,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    pub id: String,
    pub queue_name: String,
    pub status: &'static str,
    pub game_properties: Value,
    pub maximum_player_session_count: i64,
    pub game_session_name: Option<String>,
    pub game_session_data: Option<String>,
    pub player_latencies: Value,
    pub desired: Vec<(String, Option<String>)>,
    pub start: SimMillis,
    pub end: Option<SimMillis>,
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
            status: "PENDING",
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
    pub status: &'static str,
    /// GameLift's GameSessionStatusReason (set by TerminateGameSession).
    pub status_reason: Option<&'static str>,
    pub maximum_player_session_count: i64,
    pub game_properties: Value,
    pub ip: String,
    pub dns: String,
    pub port: i64,
    pub creation_policy: String,
    pub creator_id: Option<String>,
    pub game_session_data: Option<String>,
    pub protection: String,
    pub idempotency_token: Option<String>,
    pub reported_players: i64,
}

impl GameSession {
    pub fn occupies_capacity(&self) -> bool {
        matches!(self.status, "ACTIVATING" | "ACTIVE" | "TERMINATING")
    }
}

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
    pub status: &'static str,
    pub ip: String,
    pub dns: String,
    pub port: i64,
    pub player_data: Option<String>,
}

impl PlayerSession {
    pub fn counts(&self) -> bool {
        matches!(self.status, "RESERVED" | "ACTIVE")
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingPolicy {
    pub fleet_id: String,
    pub name: String,
    pub location: String,
    pub wire: Value,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentEvent {
    pub topic_arn: Option<String>,
    pub event: Value,
    pub published: bool,
    pub error: Option<String>,
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
        if loc.status != "ACTIVE" || fleet.is_gone() {
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
            .unwrap_or("NoProtection")
            .to_string();
        let active_at = now + t.session_activation_ms;
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
            status: "ACTIVATING",
            status_reason: None,
            maximum_player_session_count: max_players,
            game_properties: props,
            ip: "127.0.0.1".to_string(),
            dns: "localhost".to_string(),
            port,
            creation_policy: "ACCEPT_ALL".to_string(),
            creator_id: None,
            game_session_data: data,
            protection,
            idempotency_token: None,
            reported_players: 0,
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
            status: "RESERVED",
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
        if gs.status == "TERMINATED" {
            return;
        }
        gs.status = "TERMINATED";
        gs.terminated = Some(now);
        let id = gs.id.clone();
        for p in self
            .player_sessions
            .iter_mut()
            .filter(|p| p.game_session_id == id)
        {
            if p.counts() {
                p.status = if p.status == "RESERVED" {
                    "TIMEDOUT"
                } else {
                    "COMPLETED"
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
            gs.status_reason = Some("FORCE_TERMINATED");
            self.end_game_session(idx, now, effects);
        } else {
            gs.status_reason = Some("TRIGGERED_ON_PROCESS_TERMINATE");
            gs.status = "TERMINATING";
            gs.ends_at = Some(now + t.session_termination_ms);
        }
    }

    /// Moves every lifecycle on to `now`.
    pub fn tick(
        &mut self,
        now: SimMillis,
        t: &Timing,
        settings: &ServerSettings,
        faults: &Faults,
        who: &Identity,
    ) -> Vec<Effect> {
        let mut effects = std::mem::take(&mut self.pending_effects);
        for b in &mut self.builds {
            if b.status == "INITIALIZED" && now >= b.ready_at {
                b.status = "READY";
            }
        }
        let mut ended_fleets = Vec::new();
        for f in &mut self.fleets {
            if let Some(until) = f.deleting_until {
                if now >= until && f.status == "DELETING" {
                    f.status = "TERMINATED";
                    f.terminated = Some(until);
                    for l in &mut f.locations {
                        l.status = "TERMINATED";
                        l.active = 0;
                    }
                }
                continue;
            }
            for l in &mut f.locations {
                l.advance(now, t);
            }
            f.status = f.home().map(|l| l.status).unwrap_or("ERROR");
            if f.status == "ERROR" {
                ended_fleets.push(f.id.clone());
            }
        }
        // Game sessions.
        for i in 0..self.game_sessions.len() {
            let gs = &self.game_sessions[i];
            if !gs.occupies_capacity() {
                continue;
            }
            let fleet_broken = ended_fleets.contains(&gs.fleet_id)
                || self
                    .fleets
                    .iter()
                    .find(|f| f.id == gs.fleet_id)
                    .and_then(|f| f.location(&gs.location))
                    .map(|l| l.status == "ERROR")
                    .unwrap_or(false);
            match gs.status {
                "ACTIVATING" | "ACTIVE" if fleet_broken => {
                    let gs = &mut self.game_sessions[i];
                    gs.status = "ERROR";
                    gs.terminated = Some(now);
                    let id = gs.id.clone();
                    for p in self
                        .player_sessions
                        .iter_mut()
                        .filter(|p| p.game_session_id == id && p.counts())
                    {
                        p.status = "COMPLETED";
                        p.terminated = Some(now);
                    }
                }
                "ACTIVATING" if now >= gs.active_at => {
                    self.game_sessions[i].status = "ACTIVE";
                }
                _ => {}
            }
            let gs = &self.game_sessions[i];
            if matches!(gs.status, "ACTIVE" | "TERMINATING") && gs.ends_at.is_some_and(|e| now >= e)
            {
                self.end_game_session(i, now, &mut effects);
            }
        }
        // Player sessions: accepted by the simulated server, or timed out.
        let active_since: std::collections::HashMap<&str, SimMillis> = self
            .game_sessions
            .iter()
            .filter(|g| g.status == "ACTIVE")
            .map(|g| (g.id.as_str(), g.active_at))
            .collect();
        let mut active_players: std::collections::HashMap<String, i64> =
            std::collections::HashMap::new();
        for p in &mut self.player_sessions {
            if p.status == "RESERVED" {
                let accept_at = match (
                    active_since.get(p.game_session_id.as_str()),
                    settings.accept_players_after_ms,
                ) {
                    (Some(active_at), Some(after)) => Some((*active_at).max(p.created) + after),
                    _ => None,
                };
                if accept_at.is_some_and(|a| now >= a) {
                    p.status = "ACTIVE";
                } else if now >= p.created + t.player_reservation_ms {
                    p.status = "TIMEDOUT";
                    p.terminated = Some(p.created + t.player_reservation_ms);
                }
            }
            if p.status == "ACTIVE" {
                *active_players.entry(p.game_session_id.clone()).or_default() += 1;
            }
        }
        // Player counts reported by the simulated servers.
        for gs in self
            .game_sessions
            .iter_mut()
            .filter(|g| g.status == "ACTIVE")
        {
            let count = active_players.get(&gs.id).copied().unwrap_or(0);
            if count != gs.reported_players {
                gs.reported_players = count;
                effects.push(Effect::PlayerCount {
                    game_session_id: gs.id.clone(),
                    count,
                });
            }
        }
        self.tick_placements(now, t, settings, faults, who);
        effects
    }

    fn tick_placements(
        &mut self,
        now: SimMillis,
        t: &Timing,
        settings: &ServerSettings,
        faults: &Faults,
        who: &Identity,
    ) {
        for i in 0..self.placements.len() {
            let p = &self.placements[i];
            if p.status != "PENDING" || now < p.start + t.placement_delay_ms {
                continue;
            }
            let Some(queue) = self.queues.iter().find(|q| q.name == p.queue_name).cloned() else {
                continue;
            };
            match self.find_capacity(&queue) {
                Some((fleet_idx, location)) => {
                    let p = self.placements[i].clone();
                    let gs_idx = self.open_game_session(
                        fleet_idx,
                        &location,
                        None,
                        p.maximum_player_session_count,
                        p.game_session_name.clone(),
                        p.game_properties.clone(),
                        p.game_session_data.clone(),
                        now,
                        t,
                        settings,
                    );
                    let mut placed = Vec::new();
                    for (player, data) in &p.desired {
                        let ps = self.add_player_session(gs_idx, player, data.clone(), now);
                        placed.push((player.clone(), self.player_sessions[ps].id.clone()));
                    }
                    let gs = &self.game_sessions[gs_idx];
                    let pl = &mut self.placements[i];
                    pl.status = "FULFILLED";
                    pl.end = Some(now);
                    pl.game_session_id = Some(gs.id.clone());
                    pl.location = Some(location.clone());
                    pl.ip = Some(gs.ip.clone());
                    pl.dns = Some(gs.dns.clone());
                    pl.port = Some(gs.port);
                    pl.placed = placed;
                    self.emit(i, "PlacementFulfilled", &queue, now, &faults.events, who);
                }
                None if now >= p.start + queue.timeout_seconds * 1000 => {
                    let pl = &mut self.placements[i];
                    pl.status = "TIMED_OUT";
                    pl.end = Some(now);
                    self.emit(i, "PlacementTimedOut", &queue, now, &faults.events, who);
                }
                None => {}
            }
        }
    }

    /// The first destination (in queue order) with a free game-session slot, and where.
    pub fn find_capacity(&self, queue: &Queue) -> Option<(usize, String)> {
        let allowed: Option<Vec<&str>> = queue
            .extra
            .get("FilterConfiguration")
            .and_then(|f| f.get("AllowedLocations"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect());
        for dest in &queue.destinations {
            let fleet_id = if dest.contains(":alias/") {
                let alias = self.aliases.iter().find(|a| &a.arn == dest)?;
                match (&alias.routing_type[..], &alias.fleet_id) {
                    ("SIMPLE", Some(f)) => f.clone(),
                    _ => continue,
                }
            } else {
                dest.clone()
            };
            let Some(idx) = self.fleet_index(&fleet_id) else {
                continue;
            };
            let fleet = &self.fleets[idx];
            for loc in &fleet.locations {
                if allowed
                    .as_ref()
                    .is_some_and(|a| !a.contains(&loc.name.as_str()))
                {
                    continue;
                }
                if self.free_slots(fleet, &loc.name) > 0 {
                    return Some((idx, loc.name.clone()));
                }
            }
        }
        None
    }

    /// Queues the placement event of placement `i` for publishing.
    pub fn emit(
        &mut self,
        i: usize,
        kind: &'static str,
        queue: &Queue,
        now: SimMillis,
        faults: &EventFaults,
        who: &Identity,
    ) {
        let p = &self.placements[i];
        let fulfilled = match (&p.game_session_id, &p.ip, &p.dns, p.port, &p.location) {
            (Some(gs), Some(ip), Some(dns), Some(port), Some(loc))
                if kind == "PlacementFulfilled" =>
            {
                Some(Fulfilled {
                    game_session_arn: gs,
                    ip_address: ip,
                    dns_name: dns,
                    port,
                    game_session_region: loc,
                    placed: &p.placed,
                })
            }
            _ => None,
        };
        let outcome = PlacementOutcome {
            kind,
            placement_id: &p.id,
            start: p.start,
            end: p.end.unwrap_or(now),
            custom_event_data: queue.custom_event_data.as_deref(),
            fulfilled,
        };
        let event = events::placement_event(
            &uuid::Uuid::new_v4().to_string(),
            now,
            &who.account_id,
            &who.region,
            &queue.arn,
            &outcome,
        );
        self.outbox
            .push(queue.notification_target.clone(), event, now, faults);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_walks_every_fleet_status_in_order_then_reaches_desired_instances() {
        let t = Timing::default();
        let mut l = Location::new("us-east-1", 0, &t);
        let mut seen = vec![l.status];
        for k in 1..=6 {
            l.advance(k * t.fleet_step_ms, &t);
            seen.push(l.status);
        }
        assert_eq!(seen[..6], FLEET_STEPS);
        assert_eq!(l.active, 1);
    }

    #[test]
    fn extra_activation_time_keeps_a_location_activating_longer() {
        let t = Timing::default();
        let mut l = Location::new("x", 0, &t);
        l.extra_activation = ExtraActivation::Millis(30_000);
        l.advance(5 * t.fleet_step_ms + 29_999, &t);
        assert_eq!(l.status, "ACTIVATING");
        l.advance(5 * t.fleet_step_ms + 30_000, &t);
        assert_eq!(l.status, "ACTIVE");
    }

    #[test]
    fn a_location_activating_forever_stays_until_the_fault_is_lifted() {
        let t = Timing::default();
        let mut l = Location::new("x", 0, &t);
        l.extra_activation = ExtraActivation::Forever;
        l.advance(1_000_000_000, &t);
        assert_eq!(l.status, "ACTIVATING");
        assert_eq!(l.active, 0);
        l.extra_activation = ExtraActivation::Millis(0);
        l.advance(1_000_000_000, &t);
        assert_eq!(l.status, "ACTIVE");
        assert_eq!(l.active, 1);
    }

    #[test]
    fn a_capacity_change_takes_effect_after_the_instance_change_time() {
        let t = Timing::default();
        let mut l = Location::new("x", 0, &t);
        l.advance(60_000, &t);
        l.set_capacity(3, 0, 5, 60_000, &t);
        l.advance(60_000 + t.instance_change_ms - 1, &t);
        assert_eq!(l.active, 1);
        l.advance(60_000 + t.instance_change_ms, &t);
        assert_eq!(l.active, 3);
    }

    fn world() -> (State, Timing, ServerSettings, Faults, Identity) {
        let who = Identity {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
        };
        (
            State::default(),
            Timing::default(),
            ServerSettings::default(),
            Faults::default(),
            who,
        )
    }

    fn add_fleet(s: &mut State, id: &str, active_instances: i64, per_instance: i64, t: &Timing) {
        let mut loc = Location::new("us-east-1", 0, t);
        loc.advance(10 * t.fleet_step_ms, t);
        loc.desired = active_instances;
        loc.active = active_instances;
        s.fleets.push(Fleet {
            id: id.into(),
            arn: format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{id}"),
            name: id.into(),
            attributes: serde_json::json!({}),
            runtime_configuration: serde_json::json!({}),
            sessions_per_instance: per_instance,
            created: 0,
            terminated: None,
            deleting_until: None,
            status: "ACTIVE",
            locations: vec![loc],
        });
    }

    fn queue(dest: &[&str], timeout_seconds: i64) -> Queue {
        Queue {
            name: "q".into(),
            arn: "arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/q".into(),
            timeout_seconds,
            destinations: dest
                .iter()
                .map(|d| format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{d}"))
                .collect(),
            notification_target: None,
            custom_event_data: None,
            extra: serde_json::json!({}),
        }
    }

    fn pending(id: &str, players: &[&str]) -> Placement {
        Placement {
            desired: players.iter().map(|p| (p.to_string(), None)).collect(),
            ..Placement::pending(id, "q", 4, 0)
        }
    }

    #[test]
    fn capacity_is_instances_times_concurrent_executions_minus_open_sessions() {
        let (mut s, t, set, _, _) = world();
        add_fleet(&mut s, "fleet-a", 2, 3, &t);
        assert_eq!(s.free_slots(&s.fleets[0], "us-east-1"), 6);
        for _ in 0..4 {
            s.open_game_session(
                0,
                "us-east-1",
                None,
                2,
                None,
                serde_json::json!([]),
                None,
                0,
                &t,
                &set,
            );
        }
        assert_eq!(s.free_slots(&s.fleets[0], "us-east-1"), 2);
        assert_eq!(s.free_slots(&s.fleets[0], "eu-west-1"), 0);
    }

    #[test]
    fn placement_takes_the_first_destination_with_room_and_reserves_players() {
        let (mut s, t, set, f, who) = world();
        add_fleet(&mut s, "fleet-full", 0, 1, &t);
        add_fleet(&mut s, "fleet-free", 1, 1, &t);
        s.queues.push(queue(&["fleet-full", "fleet-free"], 60));
        s.placements.push(pending("p1", &["alice"]));
        s.tick(t.placement_delay_ms, &t, &set, &f, &who);
        let p = &s.placements[0];
        assert_eq!(p.status, "FULFILLED");
        assert!(p.game_session_id.as_deref().unwrap().contains("fleet-free"));
        assert_eq!(s.player_sessions[0].status, "RESERVED");
        assert_eq!(s.outbox.len(), 1);
    }

    #[test]
    fn placement_without_room_stays_pending_until_the_queue_timeout() {
        let (mut s, t, set, f, who) = world();
        add_fleet(&mut s, "fleet-full", 0, 1, &t);
        s.queues.push(queue(&["fleet-full"], 30));
        s.placements.push(pending("p1", &[]));
        s.tick(29_999, &t, &set, &f, &who);
        assert_eq!(s.placements[0].status, "PENDING");
        s.tick(30_000, &t, &set, &f, &who);
        assert_eq!(s.placements[0].status, "TIMED_OUT");
    }

    fn one_session(s: &mut State, t: &Timing, set: &ServerSettings) -> usize {
        let gs = s.open_game_session(
            0,
            "us-east-1",
            None,
            2,
            None,
            serde_json::json!([]),
            None,
            0,
            t,
            set,
        );
        s.add_player_session(gs, "alice", None, 0);
        gs
    }

    #[test]
    fn force_terminate_ends_the_session_and_its_players_at_once() {
        let (mut s, t, set, _, _) = world();
        add_fleet(&mut s, "fleet-a", 1, 1, &t);
        let gs = one_session(&mut s, &t, &set);
        let mut effects = Vec::new();
        s.terminate_game_session(gs, true, 500, &t, &mut effects);
        let g = &s.game_sessions[gs];
        assert_eq!(
            (g.status, g.status_reason),
            ("TERMINATED", Some("FORCE_TERMINATED"))
        );
        assert_eq!(g.terminated, Some(500));
        assert_eq!(s.player_sessions[0].status, "TIMEDOUT");
        assert_eq!(s.free_slots(&s.fleets[0], "us-east-1"), 1);
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::SessionEnded { .. })));
    }

    #[test]
    fn trigger_terminate_holds_capacity_while_terminating_then_ends_on_the_clock() {
        let (mut s, t, set, f, who) = world();
        add_fleet(&mut s, "fleet-a", 1, 1, &t);
        let gs = one_session(&mut s, &t, &set);
        s.tick(t.session_activation_ms + 1_000, &t, &set, &f, &who);
        assert_eq!(s.player_sessions[0].status, "ACTIVE");
        let at = t.session_activation_ms + 2_000;
        s.terminate_game_session(gs, false, at, &t, &mut Vec::new());
        s.tick(at + t.session_termination_ms - 1, &t, &set, &f, &who);
        assert_eq!(s.game_sessions[gs].status, "TERMINATING");
        assert_eq!(s.player_sessions[0].status, "ACTIVE");
        assert_eq!(s.free_slots(&s.fleets[0], "us-east-1"), 0);
        let effects = s.tick(at + t.session_termination_ms, &t, &set, &f, &who);
        let g = &s.game_sessions[gs];
        assert_eq!(
            (g.status, g.status_reason),
            ("TERMINATED", Some("TRIGGERED_ON_PROCESS_TERMINATE"))
        );
        assert_eq!(s.player_sessions[0].status, "COMPLETED");
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::SessionEnded { .. })));
    }

    #[test]
    fn game_session_ends_after_the_configured_duration_and_reports_it() {
        let (mut s, t, mut set, f, who) = world();
        set.session_duration_ms = 10_000;
        add_fleet(&mut s, "fleet-a", 1, 1, &t);
        s.open_game_session(
            0,
            "us-east-1",
            None,
            2,
            None,
            serde_json::json!([]),
            None,
            0,
            &t,
            &set,
        );
        s.tick(t.session_activation_ms, &t, &set, &f, &who);
        assert_eq!(s.game_sessions[0].status, "ACTIVE");
        let effects = s.tick(t.session_activation_ms + 10_000, &t, &set, &f, &who);
        assert_eq!(s.game_sessions[0].status, "TERMINATED");
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::SessionEnded { .. })));
    }
}
