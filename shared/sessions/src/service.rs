//! The operations behind the functions, composed from the pure modules and the
//! adapters. Errors are [`ServiceError`]; the API layer maps them to HTTP once.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde::Serialize;

use crate::cursor::{self, CursorKey, Position};
use crate::events::PlacementEvent;
use crate::gamelift::{GameLift, GameLiftError, GameSessionInfo, JoinRefused};
use crate::ids::decode_session_id;
use crate::listing::{self, PlanError, Source, MAX_SORT_WINDOW};
use crate::model::*;
use crate::now_millis;
use crate::store::{position_after, Store, StoreError};
use crate::validate::{self, FieldError};

/// Idempotency records live a day: long enough for any client retry.
const IDEMPOTENCY_TTL_SECONDS: i64 = 86_400;
/// Most index items one listing request reads before answering with a cursor.
const MAX_SCANNED_PER_REQUEST: usize = 2_000;
const WRITE_RETRIES: usize = 8;
/// A reservation still without a GameLift player session after this long was abandoned.
const ABANDONED_RESERVATION_MILLIS: i64 = 30_000;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Listing(#[from] PlanError),
    #[error("cursor: {0}")]
    Cursor(#[from] cursor::CursorError),
    #[error("sessionId is not a session id returned by this API")]
    BadSessionId,
    #[error("Idempotency-Key must be 1 to 128 printable ASCII characters")]
    BadIdempotencyKey,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the game session is full")]
    Full,
    #[error("the game session has ended")]
    Ended,
    #[error("the game session is not accepting players yet")]
    NotReady,
    #[error("this Idempotency-Key was used with a different request body")]
    IdempotencyMismatch,
    #[error(
        "too many sessions match to sort by {0}; narrow the filter or sort by creationTimeMillis"
    )]
    SortWindow(String),
    #[error("busy, retry shortly: {0}")]
    Busy(&'static str),
    #[error("GameLift is throttling; retry shortly")]
    Throttled,
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

impl From<GameLiftError> for ServiceError {
    fn from(e: GameLiftError) -> Self {
        match e {
            GameLiftError::Throttled(_) => ServiceError::Throttled,
            GameLiftError::Other(m) => ServiceError::Internal(m),
        }
    }
}

/// Settings read once at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// GameLift queue name or ARN placements go to (create, reconciler).
    pub queue: Option<String>,
    /// GameLift alias whose fleet the reconciler also covers.
    pub alias: Option<String>,
    /// Cursor signing key (list).
    pub cursor_key: Option<CursorKey>,
    /// Lifetime of ended sessions and finished placements.
    pub ttl_seconds: i64,
    /// DescribeGameSessions page size of the reconciler (1 to 100).
    pub reconcile_page_size: i32,
}

/// Everything an operation needs; built once per process.
#[derive(Clone)]
pub struct Sessions {
    pub store: Store,
    pub gamelift: GameLift,
    pub settings: Settings,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListView {
    pub sessions: Vec<SessionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A listing with the DynamoDB read count behind it (for measurement).
#[derive(Debug, Clone)]
pub struct Listed {
    pub view: ListView,
    pub items_read: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub fleets: usize,
    pub pages: usize,
    pub seen: usize,
    pub added: usize,
    pub ended: usize,
    /// Active sessions whose seat count was corrected from GameLift's.
    pub synced: usize,
}

/// The fleet id inside a game session ARN (`.../gamesession/fleet-x/gsess-y`).
pub fn fleet_of(game_session_id: &str) -> Option<String> {
    game_session_id
        .split('/')
        .find(|p| p.starts_with("fleet-"))
        .map(str::to_string)
}

fn valid_idempotency_key(k: &str) -> bool {
    (1..=128).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

impl Sessions {
    fn queue(&self) -> Result<&str, ServiceError> {
        self.settings
            .queue
            .as_deref()
            .ok_or_else(|| ServiceError::Internal("no GameLift queue configured".into()))
    }

    /// `POST /v1/sessions`: starts a queue placement.
    pub async fn create(
        &self,
        caller: &str,
        body: &[u8],
        idempotency_key: Option<&str>,
    ) -> Result<PlacementView, ServiceError> {
        let req = validate::create_session(body, caller)?;
        let queue = self.queue()?.to_string();
        let now = now_millis();
        let placement_id = uuid::Uuid::new_v4().to_string();

        let mut claimed = None;
        if let Some(key) = idempotency_key {
            if !valid_idempotency_key(key) {
                return Err(ServiceError::BadIdempotencyKey);
            }
            let rec = IdempotencyItem {
                pk: idempotency_pk(caller, key),
                sk: IDEMPOTENCY_SK.into(),
                placement_id: placement_id.clone(),
                body_hash: cursor::body_hash(body),
                ttl: now / 1000 + IDEMPOTENCY_TTL_SECONDS,
            };
            if let Some(existing) = self.store.claim_idempotency(&rec).await? {
                if existing.body_hash != rec.body_hash {
                    return Err(ServiceError::IdempotencyMismatch);
                }
                return Ok(
                    match self.store.get_placement(&existing.placement_id).await? {
                        Some(p) => p.view_for(caller),
                        None => PlacementView {
                            placement_id: existing.placement_id,
                            status: PlacementStatus::Pending,
                            session_id: None,
                            game_session_id: None,
                            ip_address: None,
                            dns_name: None,
                            port: None,
                            player_session_id: None,
                        },
                    },
                );
            }
            claimed = Some(rec.pk);
        }

        let placement = PlacementItem {
            pk: placement_pk(&placement_id),
            sk: PLACEMENT_SK.into(),
            placement_id: placement_id.clone(),
            status: PlacementStatus::Pending,
            rank: PlacementStatus::Pending.rank(),
            creator_id: caller.to_string(),
            player_ids: req.players.iter().map(|p| p.player_id.clone()).collect(),
            maximum_sessions: req.max_players,
            name: req.name.clone(),
            properties: req.properties.clone(),
            data: req.data.clone(),
            game_session_id: None,
            ip_address: None,
            dns_name: None,
            port: None,
            player_sessions: BTreeMap::new(),
            created_at_millis: now,
            updated_at_millis: now,
            event_time_millis: None,
            ttl: None,
        };
        let started = async {
            if !self.store.insert_placement(&placement).await? {
                return Err(ServiceError::Internal("placement id collision".into()));
            }
            self.gamelift
                .start_placement(&queue, &placement_id, &req)
                .await?;
            Ok(())
        }
        .await;
        if let Err(e) = started {
            // Undo, so that a retry with the same key can succeed.
            if let Err(cleanup) = self.store.delete_placement(&placement_id).await {
                tracing::warn!(error = %cleanup, "removing an unstarted placement");
            }
            if let Some(pk) = claimed {
                if let Err(cleanup) = self.store.release_idempotency(&pk).await {
                    tracing::warn!(error = %cleanup, "releasing an idempotency record");
                }
            }
            return Err(e);
        }
        Ok(placement.view_for(caller))
    }

    /// `GET /v1/placements/{placementId}`, answered from the table.
    pub async fn placement(
        &self,
        caller: &str,
        placement_id: &str,
    ) -> Result<PlacementView, ServiceError> {
        let valid = (1..=48).contains(&placement_id.len())
            && placement_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid {
            return Err(ServiceError::NotFound("placement"));
        }
        let p = self
            .store
            .get_placement(placement_id)
            .await?
            .ok_or(ServiceError::NotFound("placement"))?;
        if !p.readable_by(caller) {
            return Err(ServiceError::Forbidden(
                "only the creator and the reserved players may read this placement",
            ));
        }
        Ok(p.view_for(caller))
    }

    /// `GET /v1/sessions/{sessionId}`.
    pub async fn session(&self, api_id: &str) -> Result<SessionView, ServiceError> {
        let id = decode_session_id(api_id).map_err(|_| ServiceError::BadSessionId)?;
        let s = self
            .store
            .get_session(&id)
            .await?
            .ok_or(ServiceError::NotFound("session"))?;
        Ok(s.view())
    }

    /// `GET /v1/sessions?filter=&sort=&limit=&cursor=`, answered from the table.
    pub async fn list(
        &self,
        filter: Option<&str>,
        sort: Option<&str>,
        limit: Option<&str>,
        cursor_text: Option<&str>,
    ) -> Result<Listed, ServiceError> {
        let plan = listing::plan(filter, sort, limit)?;
        let key = self
            .settings
            .cursor_key
            .as_ref()
            .ok_or_else(|| ServiceError::Internal("no cursor key configured".into()))?;
        let fingerprint =
            cursor::query_fingerprint(filter.unwrap_or("").trim(), sort.unwrap_or("").trim());
        let start = match cursor_text.filter(|c| !c.is_empty()) {
            Some(c) => Some(cursor::decode(key, &fingerprint, c)?),
            None => None,
        };
        if let Some(sort) = &plan.memory_sort {
            return self
                .list_sorted_in_memory(&plan, sort, key, &fingerprint, start)
                .await;
        }

        let mut out: Vec<SessionItem> = Vec::new();
        let mut pos = start;
        let mut read = 0;
        let mut more = true;
        while out.len() < plan.limit && read < MAX_SCANNED_PER_REQUEST {
            let want = plan.limit - out.len();
            let page = self
                .store
                .list_page(&plan.source, plan.descending, pos.clone(), want)
                .await?;
            read += page.scanned;
            // Every item read is consumed, so the next position is right after the last.
            let last = page.items.last().map(|i| position_after(&plan.source, i));
            out.extend(page.items.into_iter().filter(|i| plan.filter.matches(i)));
            more = page.last_key.is_some();
            pos = last.or(page.last_key);
            if !more {
                break;
            }
        }
        let next_cursor = (more && pos.is_some())
            .then(|| pos.map(|p| cursor::encode(key, &fingerprint, &p)))
            .flatten();
        Ok(Listed {
            view: ListView {
                sessions: out.iter().map(SessionItem::view).collect(),
                next_cursor,
            },
            items_read: read,
        })
    }

    async fn list_sorted_in_memory(
        &self,
        plan: &listing::Plan,
        sort: &hangar_domain::search::Sort,
        key: &CursorKey,
        fingerprint: &str,
        start: Option<Position>,
    ) -> Result<Listed, ServiceError> {
        let offset: usize = match start {
            None => 0,
            Some(p) => p
                .get("offset")
                .and_then(|o| o.parse().ok())
                .ok_or(ServiceError::Cursor(cursor::CursorError::Malformed))?,
        };
        let mut all: Vec<SessionItem> = Vec::new();
        let mut pos = None;
        let mut read = 0;
        loop {
            let page = self.store.list_page(&plan.source, false, pos, 1000).await?;
            read += page.scanned;
            all.extend(page.items.into_iter().filter(|i| plan.filter.matches(i)));
            if all.len() > MAX_SORT_WINDOW {
                return Err(ServiceError::SortWindow(sort.attribute.to_string()));
            }
            match page.last_key {
                Some(k) => pos = Some(k),
                None => break,
            }
        }
        all.sort_by(|a, b| {
            sort.compare(a, b)
                .then_with(|| a.creation_time_millis.cmp(&b.creation_time_millis))
                .then_with(|| a.game_session_id.cmp(&b.game_session_id))
        });
        let end = (offset + plan.limit).min(all.len());
        let sessions = all
            .get(offset.min(end)..end)
            .unwrap_or_default()
            .iter()
            .map(SessionItem::view)
            .collect();
        let next_cursor = (end < all.len()).then(|| {
            cursor::encode(
                key,
                fingerprint,
                &Position::from([("offset".to_string(), end.to_string())]),
            )
        });
        Ok(Listed {
            view: ListView {
                sessions,
                next_cursor,
            },
            items_read: read,
        })
    }

    /// `POST /v1/sessions/{sessionId}/join`: a seat through GameLift, never over-filling.
    pub async fn join(
        &self,
        caller: &str,
        api_id: &str,
        body: &[u8],
    ) -> Result<JoinView, ServiceError> {
        let id = decode_session_id(api_id).map_err(|_| ServiceError::BadSessionId)?;
        let req = validate::join(body)?;
        let now = now_millis();
        let mut taken = None;
        for attempt in 0..WRITE_RETRIES {
            let session = self
                .store
                .get_session(&id)
                .await?
                .ok_or(ServiceError::NotFound("session"))?;
            if let Some(r) = self.store.get_reservation(&id, caller).await? {
                if let Some(ps) = r.player_session_id {
                    return Ok(JoinView {
                        session_id: api_id.to_string(),
                        player_session_id: ps,
                        ip_address: session.ip_address,
                        dns_name: session.dns_name,
                        port: session.port,
                    });
                }
                if now - r.created_at_millis > ABANDONED_RESERVATION_MILLIS {
                    // A join that stopped half-way (its process died): clear it.
                    self.store
                        .drop_pending_reservation(&id, caller, r.created_at_millis)
                        .await?;
                } else {
                    // The same player's other request is reserving right now.
                    tokio::time::sleep(Duration::from_millis(25 << attempt.min(4))).await;
                }
                continue;
            }
            if session.status.is_ended() {
                return Err(ServiceError::Ended);
            }
            if session.status != SessionStatus::Active {
                return Err(ServiceError::NotReady);
            }
            let reservation = ReservationItem {
                pk: session.pk.clone(),
                sk: reservation_sk(caller),
                player_id: caller.to_string(),
                player_session_id: None,
                created_at_millis: now,
                ttl: now / 1000 + self.settings.ttl_seconds,
            };
            if !self.store.reserve(&reservation).await? {
                // Another request of this player holds the reservation: wait for it.
                tokio::time::sleep(Duration::from_millis(5 << attempt.min(4))).await;
                continue;
            }
            if self.store.take_seat(&session).await? {
                taken = Some(session);
                break;
            }
            self.store
                .drop_pending_reservation(&id, caller, now)
                .await?;
            let fresh = self.store.get_session(&id).await?;
            return Err(match fresh {
                Some(s) if s.status.is_ended() => ServiceError::Ended,
                Some(s) if s.status != SessionStatus::Active => ServiceError::NotReady,
                Some(_) => ServiceError::Full,
                None => ServiceError::NotFound("session"),
            });
        }
        let Some(session) = taken else {
            return Err(ServiceError::Busy("the session is busy"));
        };
        self.store.close_if_full(&id).await?;

        match self
            .gamelift
            .create_player_session(&id, caller, req.data.as_deref())
            .await
        {
            Ok(ps) => {
                self.store
                    .confirm_reservation(&id, caller, &ps.player_session_id)
                    .await?;
                Ok(JoinView {
                    session_id: api_id.to_string(),
                    player_session_id: ps.player_session_id,
                    ip_address: ps.ip_address.or(session.ip_address),
                    dns_name: ps.dns_name.or(session.dns_name),
                    port: ps.port.or(session.port),
                })
            }
            Err(refused) => {
                self.give_back_seat(&session, caller).await;
                Err(match refused {
                    JoinRefused::Full => ServiceError::Full,
                    JoinRefused::NotActive => ServiceError::Ended,
                    JoinRefused::NotFound => ServiceError::NotFound("session"),
                    JoinRefused::Failed(e) => e.into(),
                })
            }
        }
    }

    async fn give_back_seat(&self, session: &SessionItem, player: &str) {
        match self.store.release_seat(session, player).await {
            Ok(()) => {
                if let Err(e) = self.store.reopen_if_free(&session.game_session_id).await {
                    tracing::warn!(error = %e, "reopening a session in the listing");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, session = %session.game_session_id, player, "releasing a seat failed")
            }
        }
    }

    /// Reads, changes and conditionally writes a session until no concurrent write intervenes.
    async fn modify_session<F>(&self, api_id: &str, change: F) -> Result<SessionView, ServiceError>
    where
        F: Fn(&SessionItem) -> Result<Option<SessionItem>, ServiceError>,
    {
        let id = decode_session_id(api_id).map_err(|_| ServiceError::BadSessionId)?;
        for attempt in 0..WRITE_RETRIES {
            let old = self
                .store
                .get_session(&id)
                .await?
                .ok_or(ServiceError::NotFound("session"))?;
            let Some(new) = change(&old)? else {
                return Ok(old.view());
            };
            if self.store.replace_session(&old, &new).await? {
                return Ok(new.view());
            }
            tokio::time::sleep(Duration::from_millis(5 << attempt.min(4))).await;
        }
        Err(ServiceError::Busy("the session kept changing"))
    }

    /// `PUT /v1/server/sessions/{sessionId}`: a game server's partial update.
    pub async fn server_update(
        &self,
        api_id: &str,
        body: &[u8],
    ) -> Result<SessionView, ServiceError> {
        let update = validate::server_update(body)?;
        self.modify_session(api_id, |old| {
            if old.status.is_ended() {
                return Err(ServiceError::Ended);
            }
            let mut new = old.clone();
            if let Some(count) = update.player_count {
                if count > old.maximum_sessions {
                    return Err(FieldError {
                        field: "playerCount".into(),
                        message: format!(
                            "exceeds the session's maximum of {}",
                            old.maximum_sessions
                        ),
                    }
                    .into());
                }
                new.player_session_count = count;
            }
            if let Some(name) = &update.name {
                new.name = Some(name.clone());
            }
            if let Some(data) = &update.data {
                new.data = Some(data.clone());
            }
            new.properties = validate::merge_properties(&old.properties, &update.properties)?;
            new.updated_at_millis = now_millis();
            new.refresh_index_keys();
            Ok(Some(new))
        })
        .await
    }

    /// `DELETE /v1/server/sessions/{sessionId}`: the session ended (idempotent).
    pub async fn server_end(&self, api_id: &str) -> Result<SessionView, ServiceError> {
        let ttl = self.settings.ttl_seconds;
        self.modify_session(api_id, |old| {
            if old.status.is_ended() {
                return Ok(None);
            }
            let mut new = old.clone();
            new.end(SessionStatus::Terminated, now_millis(), ttl);
            Ok(Some(new))
        })
        .await
    }

    /// Records one placement event. Duplicates and stale events change nothing.
    /// Returns whether the placement changed.
    pub async fn record_placement_event(&self, e: &PlacementEvent) -> Result<bool, ServiceError> {
        let now = now_millis();
        let changed = self
            .store
            .apply_placement_event(e, now, self.settings.ttl_seconds)
            .await?;
        // Creating the session is itself idempotent, so it runs on redelivery too (the
        // first delivery may have failed between the two writes).
        if let Some(f) = &e.fulfilment {
            let Some(p) = self.store.get_placement(&e.placement_id).await? else {
                return Ok(changed);
            };
            if p.maximum_sessions == 0 {
                tracing::info!(placement = %e.placement_id, "fulfilled placement not started here; the reconciler adds its session");
                return Ok(changed);
            }
            let created = if e.time_millis > 0 {
                e.time_millis
            } else {
                now
            };
            let mut session = SessionItem {
                pk: session_pk(&f.game_session_id),
                sk: SESSION_SK.into(),
                game_session_id: f.game_session_id.clone(),
                name: p.name.clone(),
                status: SessionStatus::Active,
                maximum_sessions: p.maximum_sessions,
                player_session_count: f.player_sessions.len() as u32,
                properties: p.properties.clone(),
                data: p.data.clone(),
                ip_address: f.ip_address.clone(),
                dns_name: f.dns_name.clone(),
                port: f.port,
                fleet_id: fleet_of(&f.game_session_id),
                location: f.region.clone(),
                placement_id: Some(p.placement_id.clone()),
                creator_id: Some(p.creator_id.clone()),
                creation_time_millis: created,
                updated_at_millis: now,
                ended_at_millis: None,
                version: 0,
                open_pk: None,
                active_pk: None,
                list_sk: String::new(),
                ttl: None,
            };
            session.refresh_index_keys();
            let reservations: Vec<ReservationItem> = f
                .player_sessions
                .iter()
                .map(|ps| ReservationItem {
                    pk: session.pk.clone(),
                    sk: reservation_sk(&ps.player_id),
                    player_id: ps.player_id.clone(),
                    player_session_id: Some(ps.player_session_id.clone()),
                    created_at_millis: now,
                    ttl: now / 1000 + self.settings.ttl_seconds,
                })
                .collect();
            self.store.insert_session(&session, &reservations).await?;
        }
        Ok(changed)
    }

    /// Repairs drift: every page of DescribeGameSessions of every fleet behind the
    /// configured queue/alias; ends what GameLift ended (or no longer knows), adds what
    /// we lack.
    pub async fn reconcile(&self) -> Result<ReconcileReport, ServiceError> {
        let fleets = self
            .gamelift
            .fleets_behind(
                self.settings.queue.as_deref(),
                self.settings.alias.as_deref(),
            )
            .await?;
        let mut report = ReconcileReport {
            fleets: fleets.len(),
            ..Default::default()
        };
        let mut seen: HashSet<String> = HashSet::new();
        let now = now_millis();
        for fleet in &fleets {
            let mut token = None;
            loop {
                let (sessions, next) = self
                    .gamelift
                    .game_sessions_page(fleet, token, self.settings.reconcile_page_size)
                    .await?;
                report.pages += 1;
                for g in sessions {
                    seen.insert(g.game_session_id.clone());
                    report.seen += 1;
                    match (self.store.get_session(&g.game_session_id).await?, g.status) {
                        (None, Some(SessionStatus::Active)) => {
                            let added = self
                                .store
                                .insert_session(&session_from_gamelift(&g, now), &[])
                                .await?;
                            report.added += usize::from(added);
                        }
                        (Some(ours), Some(status))
                            if status.is_ended() && !ours.status.is_ended() =>
                        {
                            let ended = self.end_session_with(&ours, status, now).await?;
                            report.ended += usize::from(ended);
                        }
                        (Some(ours), Some(SessionStatus::Active))
                            if ours.status == SessionStatus::Active
                                && ours.player_session_count != g.current_sessions =>
                        {
                            // Seats GameLift freed (reservations that timed out, players
                            // who left) or took without us: GameLift's count wins.
                            let mut synced = ours.clone();
                            synced.player_session_count =
                                g.current_sessions.min(ours.maximum_sessions);
                            synced.updated_at_millis = now;
                            synced.refresh_index_keys();
                            if self.store.replace_session(&ours, &synced).await? {
                                report.synced += 1;
                            }
                        }
                        _ => {}
                    }
                }
                match next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
        // Active sessions of those fleets that GameLift no longer lists at all.
        let mut pos = None;
        loop {
            let page = self
                .store
                .list_page(&Source::Active, false, pos, 500)
                .await?;
            for ours in page.items {
                let ours_fleet = ours
                    .fleet_id
                    .clone()
                    .or_else(|| fleet_of(&ours.game_session_id));
                let covered = ours_fleet.map(|f| fleets.contains(&f)).unwrap_or(false);
                if covered
                    && !seen.contains(&ours.game_session_id)
                    && self
                        .end_session_with(&ours, SessionStatus::Terminated, now)
                        .await?
                {
                    report.ended += 1;
                }
            }
            match page.last_key {
                Some(k) => pos = Some(k),
                None => break,
            }
        }
        Ok(report)
    }

    async fn end_session_with(
        &self,
        ours: &SessionItem,
        status: SessionStatus,
        now: i64,
    ) -> Result<bool, ServiceError> {
        let mut current = ours.clone();
        for _ in 0..WRITE_RETRIES {
            if current.status.is_ended() {
                return Ok(false);
            }
            let mut ended = current.clone();
            ended.end(status, now, self.settings.ttl_seconds);
            if self.store.replace_session(&current, &ended).await? {
                return Ok(true);
            }
            match self.store.get_session(&ours.game_session_id).await? {
                Some(s) => current = s,
                None => return Ok(false),
            }
        }
        Err(ServiceError::Busy("the session kept changing"))
    }
}

/// Our record of a session GameLift knows and we lack.
pub fn session_from_gamelift(g: &GameSessionInfo, now: i64) -> SessionItem {
    let mut s = SessionItem {
        pk: session_pk(&g.game_session_id),
        sk: SESSION_SK.into(),
        game_session_id: g.game_session_id.clone(),
        name: g.name.clone(),
        status: g.status.unwrap_or(SessionStatus::Active),
        maximum_sessions: g.maximum_sessions,
        player_session_count: g.current_sessions,
        properties: g.properties.clone(),
        data: g.data.clone(),
        ip_address: g.ip_address.clone(),
        dns_name: g.dns_name.clone(),
        port: g.port,
        fleet_id: g.fleet_id.clone().or_else(|| fleet_of(&g.game_session_id)),
        location: g.location.clone(),
        placement_id: None,
        creator_id: g.creator_id.clone(),
        creation_time_millis: if g.creation_time_millis > 0 {
            g.creation_time_millis
        } else {
            now
        },
        updated_at_millis: now,
        ended_at_millis: None,
        version: 0,
        open_pk: None,
        active_pk: None,
        list_sk: String::new(),
        ttl: None,
    };
    s.refresh_index_keys();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_is_read_from_a_game_session_arn() {
        assert_eq!(
            fleet_of("arn:aws:gamelift:us-east-1::gamesession/fleet-123/gsess-9").as_deref(),
            Some("fleet-123")
        );
        assert_eq!(fleet_of("gsess-9"), None);
    }

    #[test]
    fn idempotency_keys_are_bounded_printable_ascii() {
        assert!(valid_idempotency_key("retry-1"));
        assert!(!valid_idempotency_key(""));
        assert!(!valid_idempotency_key("has space"));
        assert!(!valid_idempotency_key(&"k".repeat(129)));
    }

    #[test]
    fn sessions_from_gamelift_are_listed_only_while_active() {
        let mut g = GameSessionInfo {
            game_session_id: "arn:aws:gamelift:r::gamesession/fleet-1/gsess-1".into(),
            name: None,
            status: Some(SessionStatus::Active),
            maximum_sessions: 4,
            current_sessions: 1,
            properties: BTreeMap::new(),
            data: None,
            ip_address: None,
            dns_name: None,
            port: None,
            fleet_id: None,
            location: None,
            creator_id: None,
            creation_time_millis: 5,
        };
        let s = session_from_gamelift(&g, 10);
        assert_eq!(s.fleet_id.as_deref(), Some("fleet-1"));
        assert!(s.open_pk.is_some());
        g.status = Some(SessionStatus::Activating);
        assert!(session_from_gamelift(&g, 10).active_pk.is_none());
    }
}
