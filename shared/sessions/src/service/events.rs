//! The placement-events consumer's operation: one decoded GameLift placement event into
//! the table, idempotent.

use hangar_lambda::clock::now_ms;

use super::{expiry_secs, fleet_of, Sessions};
use crate::events::PlacementEvent;
use crate::model::*;
use crate::SessionsError;

impl Sessions {
    /// Records one placement event (or a lookup's answer, shaped as its event).
    /// Duplicates, stale events and events that contradict the recorded outcome change
    /// nothing: the first final state wins, and only the game session the placement was
    /// fulfilled with becomes a session. Returns whether the placement changed.
    pub async fn record_placement_event(&self, e: &PlacementEvent) -> Result<bool, SessionsError> {
        let now = now_ms();
        let changed = self
            .store
            .apply_placement_event(e, now, self.settings.ttl_secs)
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
            if p.status != PlacementStatus::Fulfilled
                || p.game_session_id.as_deref() != Some(f.game_session_id.as_str())
            {
                tracing::warn!(placement = %e.placement_id, event_session = %f.game_session_id, "a fulfilled event contradicts the recorded placement; ignored");
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
                list_shard: listing_shard(&f.game_session_id, self.settings.listing_shards),
                open_pk: None,
                active_pk: None,
                list_sk: String::new(),
                ttl: None,
                credential_fingerprint: p.credential_fingerprint.clone(),
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
                    checked_at_millis: None,
                    ttl: expiry_secs(now, self.settings.ttl_secs),
                })
                .collect();
            self.store.insert_session(&session, &reservations).await?;
        }
        Ok(changed)
    }
}
