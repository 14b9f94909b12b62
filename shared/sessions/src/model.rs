//! Sessions, placements and player reservations as stored, and their API views.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::encode_session_id;

/// GameLift game session status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionStatus {
    Activating,
    Active,
    Terminating,
    Terminated,
    Error,
}

impl SessionStatus {
    /// Parses GameLift's wire value.
    pub fn from_gamelift(s: &str) -> Option<Self> {
        Some(match s {
            "ACTIVATING" => Self::Activating,
            "ACTIVE" => Self::Active,
            "TERMINATING" => Self::Terminating,
            "TERMINATED" => Self::Terminated,
            "ERROR" => Self::Error,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activating => "ACTIVATING",
            Self::Active => "ACTIVE",
            Self::Terminating => "TERMINATING",
            Self::Terminated => "TERMINATED",
            Self::Error => "ERROR",
        }
    }

    /// The session is over: nobody joins it any more.
    pub fn is_ended(self) -> bool {
        matches!(self, Self::Terminating | Self::Terminated | Self::Error)
    }
}

/// GameLift game session placement status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlacementStatus {
    Pending,
    Fulfilled,
    Cancelled,
    TimedOut,
    Failed,
}

impl PlacementStatus {
    /// Ordering rank: a placement only moves to a higher rank. PENDING is the only
    /// non-final state; every final state has the same rank, so the first final state
    /// recorded wins and a later, different final event changes nothing.
    pub fn rank(self) -> u8 {
        match self {
            Self::Pending => 0,
            _ => 1,
        }
    }

    pub fn is_final(self) -> bool {
        self.rank() > 0
    }
}

/// Seat holders and the session's place in the listing indexes are kept in the item
/// so that one conditional write keeps them consistent.
pub const OPEN_INDEX_PK: &str = "OPEN";
pub const ACTIVE_INDEX_PK: &str = "ACTIVE";

/// Most listing shards (a listing queries every shard, so each one costs reads).
pub const MAX_LISTING_SHARDS: u32 = 32;

/// The listing shard of a session or placement: a stable hash of its id over `shards`.
/// Shard 0's keys are the unsharded keys, so rows written before sharding are shard 0.
pub fn listing_shard(id: &str, shards: u32) -> u32 {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(id.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(head) % u64::from(shards.max(1))) as u32
}

/// The partition key of shard `shard` of a listing index partition (`OPEN`, `ACTIVE`,
/// `PENDING`): the bare name for shard 0, `<name>#<shard>` for the others.
pub fn index_pk(name: &str, shard: u32) -> String {
    if shard == 0 {
        name.to_string()
    } else {
        format!("{name}#{shard}")
    }
}

/// Key of a session's main item.
pub fn session_pk(gamelift_id: &str) -> String {
    format!("S#{gamelift_id}")
}
pub const SESSION_SK: &str = "S";

/// Key of the listing copy of a session in shard `shard` of the partition of one
/// property value: `X#<len>#<key>=<value>` for shard 0 (the unsharded key),
/// `X<shard>#<len>#<key>=<value>` for the others. The key length prefix keeps `a`+`b=c`
/// and `a=b`+`c` apart; the shard before the first `#` keeps shards apart whatever the
/// value holds.
pub fn property_pk(key: &str, value: &str, shard: u32) -> String {
    if shard == 0 {
        format!("X#{}#{key}={value}", key.len())
    } else {
        format!("X{shard}#{}#{key}={value}", key.len())
    }
}

/// Sort key used by every listing index: creation time (zero padded, so the string
/// order is the time order) then the id.
pub fn list_sk(creation_time_millis: u64, gamelift_id: &str) -> String {
    format!("{creation_time_millis:015}#{gamelift_id}")
}

/// Key of a player's reservation. A DynamoDB sort key holds at most 1,024 bytes and
/// GameLift player ids may be 1,024 bytes long, so long ids (and ids starting with `#`,
/// which could be mistaken for one) are keyed by their SHA-256.
pub fn reservation_sk(player_id: &str) -> String {
    if player_id.len() <= 960 && !player_id.starts_with('#') {
        format!("R#{player_id}")
    } else {
        let digest: String = <sha2::Sha256 as sha2::Digest>::digest(player_id.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("R##{digest}")
    }
}

pub fn placement_pk(placement_id: &str) -> String {
    format!("P#{placement_id}")
}
pub const PLACEMENT_SK: &str = "P";

pub fn idempotency_pk(caller: &str, key: &str) -> String {
    format!("I#{}#{caller}#{key}", caller.len())
}
pub const IDEMPOTENCY_SK: &str = "I";

/// A game session as stored: the main item (`pk = S#<id>`, `sk = S`) and, while the
/// session is active, one listing copy per property (`pk = X#...`, `sk = list_sk`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionItem {
    pub pk: String,
    pub sk: String,
    /// GameLift game session id (an ARN).
    pub game_session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: SessionStatus,
    pub maximum_sessions: u32,
    /// Player sessions reserved or in use (GameLift's CurrentPlayerSessionCount).
    pub player_session_count: u32,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_id: Option<String>,
    pub creation_time_millis: u64,
    pub updated_at_millis: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at_millis: Option<u64>,
    /// Bumped by every write to the main item (optimistic concurrency).
    #[serde(default)]
    pub version: u64,
    /// The listing shard the session's index keys and listing copies are in, fixed when
    /// the session is first recorded (absent: shard 0, as rows written before sharding).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub list_shard: u32,
    /// Sparse key of the "open" index: present while ACTIVE with a free seat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_pk: Option<String>,
    /// Sparse key of the "active" index: present while ACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_pk: Option<String>,
    pub list_sk: String,
    /// DynamoDB TTL (epoch seconds), set once the session ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// SHA-256 of the server credential of the game server hosting the session
    /// ([`crate::credential`]); never shown to players.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_fingerprint: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl SessionItem {
    pub fn has_free_seat(&self) -> bool {
        self.player_session_count < self.maximum_sessions
    }

    /// Recomputes the sparse listing keys from status and seats.
    pub fn refresh_index_keys(&mut self) {
        let active = self.status == SessionStatus::Active;
        self.active_pk = active.then(|| index_pk(ACTIVE_INDEX_PK, self.list_shard));
        self.open_pk =
            (active && self.has_free_seat()).then(|| index_pk(OPEN_INDEX_PK, self.list_shard));
        self.list_sk = list_sk(self.creation_time_millis, &self.game_session_id);
    }

    /// The listing copies this item should have (none unless ACTIVE).
    pub fn property_copies(&self) -> Vec<SessionItem> {
        if self.status != SessionStatus::Active {
            return Vec::new();
        }
        self.properties
            .iter()
            .map(|(k, v)| {
                let mut copy = self.clone();
                copy.pk = property_pk(k, v, self.list_shard);
                copy.sk = self.list_sk.clone();
                copy.open_pk = None;
                copy.active_pk = None;
                // The listing answers without `data` (up to 256 KiB): one copy per
                // property must not repeat it, or a session's writes would pass
                // DynamoDB's 4 MB transaction limit.
                copy.data = None;
                copy.credential_fingerprint = None;
                copy
            })
            .collect()
    }

    /// Marks the session ended at `now_ms`, expiring `ttl_secs` later.
    pub fn end(&mut self, status: SessionStatus, now_ms: u64, ttl_secs: u64) {
        self.status = status;
        self.ended_at_millis.get_or_insert(now_ms);
        self.updated_at_millis = now_ms;
        self.ttl = Some(now_ms / 1000 + ttl_secs);
        self.refresh_index_keys();
    }

    pub fn view(&self) -> SessionView {
        SessionView {
            session_id: encode_session_id(&self.game_session_id),
            game_session_id: self.game_session_id.clone(),
            name: self.name.clone(),
            status: self.status,
            maximum_player_session_count: self.maximum_sessions,
            current_player_session_count: self.player_session_count,
            has_available_player_sessions: self.status == SessionStatus::Active
                && self.has_free_seat(),
            properties: self.properties.clone(),
            data: self.data.clone(),
            ip_address: self.ip_address.clone(),
            dns_name: self.dns_name.clone(),
            port: self.port,
            location: self.location.clone(),
            creation_time_millis: self.creation_time_millis,
        }
    }
}

/// What the API answers for a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// URL-safe id used in `/v1/sessions/{sessionId}`.
    pub session_id: String,
    pub game_session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: SessionStatus,
    pub maximum_player_session_count: u32,
    pub current_player_session_count: u32,
    pub has_available_player_sessions: bool,
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub creation_time_millis: u64,
}

/// A player's seat in a session (`pk = S#<id>`, `sk = R#<playerId>`).
/// `player_session_id` is empty while the reservation with GameLift is in flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationItem {
    pub pk: String,
    pub sk: String,
    pub player_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub player_session_id: Option<String>,
    pub created_at_millis: u64,
    /// When GameLift last said the player session was still RESERVED or ACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at_millis: Option<u64>,
    pub ttl: u64,
}

/// A queue placement (`pk = P#<placementId>`, `sk = P`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacementItem {
    pub pk: String,
    pub sk: String,
    pub placement_id: String,
    pub status: PlacementStatus,
    pub rank: u8,
    pub creator_id: String,
    /// Players with a seat reserved by the placement (the creator is one of them).
    #[serde(default)]
    pub player_ids: Vec<String>,
    pub maximum_sessions: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// playerId -> playerSessionId, from the fulfilled event.
    #[serde(default)]
    pub player_sessions: BTreeMap<String, String>,
    pub created_at_millis: u64,
    pub updated_at_millis: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time_millis: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// SHA-256 (hex) of the create request's body, to tell a retry from another request
    /// with the same caller-supplied placement id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hash: Option<String>,
    /// Fingerprint of the server credential issued with the placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_fingerprint: Option<String>,
    /// When DescribeGameSessionPlacement was last asked about this placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub described_at_millis: Option<u64>,
    /// Sparse key of the pending-placements partition of the `active` index (set while
    /// PENDING, so the reconciler finds placements whose event never came).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_sk: Option<String>,
}

/// The partition of the `active` index that holds PENDING placements.
pub const PENDING_INDEX_PK: &str = "PENDING";

impl PlacementItem {
    /// Whether `player_id` may read this placement.
    pub fn readable_by(&self, player_id: &str) -> bool {
        self.creator_id == player_id || self.player_ids.iter().any(|p| p == player_id)
    }

    pub fn view_for(&self, player_id: &str) -> PlacementView {
        let fulfilled = self.status == PlacementStatus::Fulfilled;
        PlacementView {
            placement_id: self.placement_id.clone(),
            status: self.status,
            session_id: self
                .game_session_id
                .as_deref()
                .filter(|_| fulfilled)
                .map(encode_session_id),
            game_session_id: self.game_session_id.clone().filter(|_| fulfilled),
            ip_address: self.ip_address.clone().filter(|_| fulfilled),
            dns_name: self.dns_name.clone().filter(|_| fulfilled),
            port: self.port.filter(|_| fulfilled),
            player_session_id: self
                .player_sessions
                .get(player_id)
                .cloned()
                .filter(|_| fulfilled),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacementView {
    pub placement_id: String,
    pub status: PlacementStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub player_session_id: Option<String>,
}

/// Idempotency record (`pk = I#<caller>#<key>`, `sk = I`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyItem {
    pub pk: String,
    pub sk: String,
    pub placement_id: String,
    /// SHA-256 (hex) of the request body.
    pub body_hash: String,
    pub ttl: u64,
}

/// A player's seat in a placement or a party join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedPlayerSession {
    pub player_id: String,
    pub player_session_id: String,
}

/// The answer to a join: the caller's player session, and with a party every member's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinView {
    pub session_id: String,
    pub player_session_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub player_sessions: Vec<PlacedPlayerSession>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn session(id: &str, max: u32, count: u32) -> SessionItem {
        let mut s = SessionItem {
            pk: session_pk(id),
            sk: SESSION_SK.into(),
            game_session_id: id.into(),
            name: Some("room".into()),
            status: SessionStatus::Active,
            maximum_sessions: max,
            player_session_count: count,
            properties: BTreeMap::from([("mode".into(), "ranked".into())]),
            data: None,
            ip_address: Some("10.0.0.1".into()),
            dns_name: None,
            port: Some(7777),
            fleet_id: None,
            location: None,
            placement_id: None,
            creator_id: None,
            creation_time_millis: 1_700_000_000_000,
            updated_at_millis: 1_700_000_000_000,
            ended_at_millis: None,
            version: 0,
            list_shard: 0,
            open_pk: None,
            active_pk: None,
            list_sk: String::new(),
            ttl: None,
            credential_fingerprint: None,
        };
        s.refresh_index_keys();
        s
    }

    #[test]
    fn index_keys_follow_status_and_free_seats() {
        let open = session("a", 4, 3);
        assert_eq!(open.open_pk.as_deref(), Some(OPEN_INDEX_PK));
        assert_eq!(open.active_pk.as_deref(), Some(ACTIVE_INDEX_PK));
        let full = session("b", 4, 4);
        assert_eq!(full.open_pk, None);
        assert_eq!(full.active_pk.as_deref(), Some(ACTIVE_INDEX_PK));
        let mut ended = session("c", 4, 0);
        ended.end(SessionStatus::Terminated, 5_000, 30 * 86_400);
        assert_eq!(
            (ended.open_pk.clone(), ended.active_pk.clone()),
            (None, None)
        );
        assert_eq!(ended.ttl, Some(5 + 30 * 86_400));
        assert!(ended.property_copies().is_empty());
    }

    #[test]
    fn property_copies_live_in_one_partition_per_value() {
        let s = session("a", 4, 1);
        let copies = s.property_copies();
        assert_eq!(copies.len(), 1);
        assert_eq!(copies[0].pk, property_pk("mode", "ranked", 0));
        assert_eq!(copies[0].sk, s.list_sk);
        assert_eq!(copies[0].open_pk, None);
        assert_ne!(property_pk("a", "b=c", 0), property_pk("a=b", "c", 0));
    }

    #[test]
    fn shard_zero_keys_are_the_unsharded_keys_and_other_shards_never_collide() {
        assert_eq!(index_pk(OPEN_INDEX_PK, 0), "OPEN");
        assert_eq!(index_pk(OPEN_INDEX_PK, 3), "OPEN#3");
        assert_eq!(property_pk("mode", "ranked", 0), "X#4#mode=ranked");
        // a value that looks like a shard suffix stays in shard 0's own partition
        assert_ne!(property_pk("mo", "x", 4), property_pk("2#mo", "x", 0));
        assert_ne!(property_pk("mode", "r#3", 0), property_pk("mode", "r", 3));
        let mut s = session("a", 4, 1);
        s.list_shard = 2;
        s.refresh_index_keys();
        assert_eq!(s.open_pk.as_deref(), Some("OPEN#2"));
        assert_eq!(s.active_pk.as_deref(), Some("ACTIVE#2"));
        assert_eq!(s.property_copies()[0].pk, "X2#4#mode=ranked");
    }

    #[test]
    fn sessions_spread_over_every_shard() {
        let mut counts = [0usize; 8];
        for i in 0..8000 {
            counts[listing_shard(&format!("gsess-{i}"), 8) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(listing_shard("anything", 1), 0);
    }

    #[test]
    fn list_sort_keys_sort_by_creation_time() {
        assert!(list_sk(999, "z") < list_sk(1000, "a"));
    }

    #[test]
    fn final_placement_states_outrank_pending_and_each_other_equally() {
        assert!(PlacementStatus::Fulfilled.rank() > PlacementStatus::Pending.rank());
        assert_eq!(
            PlacementStatus::Failed.rank(),
            PlacementStatus::Fulfilled.rank()
        );
        assert!(!PlacementStatus::Pending.is_final());
    }

    #[test]
    fn placement_view_hides_connection_until_fulfilled_and_shows_own_seat_only() {
        let mut p = PlacementItem {
            pk: placement_pk("p1"),
            sk: PLACEMENT_SK.into(),
            placement_id: "p1".into(),
            status: PlacementStatus::Pending,
            rank: 0,
            creator_id: "alice".into(),
            player_ids: vec!["alice".into(), "bob".into()],
            maximum_sessions: 4,
            name: None,
            properties: BTreeMap::new(),
            data: None,
            game_session_id: Some("gs".into()),
            ip_address: Some("1.2.3.4".into()),
            dns_name: None,
            port: Some(1),
            player_sessions: BTreeMap::from([
                ("alice".into(), "psess-a".into()),
                ("bob".into(), "psess-b".into()),
            ]),
            created_at_millis: 0,
            updated_at_millis: 0,
            event_time_millis: None,
            ttl: None,
            body_hash: None,
            credential_fingerprint: None,
            described_at_millis: None,
            active_pk: None,
            list_sk: None,
        };
        assert_eq!(p.view_for("alice").ip_address, None);
        p.status = PlacementStatus::Fulfilled;
        assert_eq!(
            p.view_for("bob").player_session_id.as_deref(),
            Some("psess-b")
        );
        assert!(p.readable_by("bob"));
        assert!(!p.readable_by("mallory"));
    }
}
