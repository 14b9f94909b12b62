//! `POST /v1/sessions`: starts a queue placement for a new game session.

use std::collections::BTreeMap;

use hangar_lambda::clock::now_ms;

use super::{expiry_secs, Sessions};
use crate::cursor;
use crate::model::*;
use crate::validate;
use crate::SessionsError;

/// Idempotency records live a day: long enough for any client retry.
const IDEMPOTENCY_TTL_SECS: u64 = 86_400;

fn valid_idempotency_key(k: &str) -> bool {
    (1..=128).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

impl Sessions {
    /// Starts a placement for `caller`; with an `Idempotency-Key`, a retry answers the
    /// placement the first request started.
    pub async fn create(
        &self,
        caller: &str,
        body: &[u8],
        idempotency_key: Option<&str>,
    ) -> Result<PlacementView, SessionsError> {
        let req = validate::create_session(body, caller)?;
        let queue = self.queue()?.to_string();
        let now = now_ms();
        let placement_id = uuid::Uuid::new_v4().to_string();

        let mut claimed = None;
        if let Some(key) = idempotency_key {
            if !valid_idempotency_key(key) {
                return Err(SessionsError::BadIdempotencyKey);
            }
            let rec = IdempotencyItem {
                pk: idempotency_pk(caller, key),
                sk: IDEMPOTENCY_SK.into(),
                placement_id: placement_id.clone(),
                body_hash: cursor::body_hash(body),
                ttl: expiry_secs(now, IDEMPOTENCY_TTL_SECS),
            };
            if let Some(existing) = self.store.claim_idempotency(&rec).await? {
                if existing.body_hash != rec.body_hash {
                    return Err(SessionsError::IdempotencyMismatch);
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
                return Err(SessionsError::Busy("placement id collision"));
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_bounded_printable_ascii() {
        assert!(valid_idempotency_key("retry-1"));
        assert!(!valid_idempotency_key(""));
        assert!(!valid_idempotency_key("has space"));
        assert!(!valid_idempotency_key(&"k".repeat(129)));
    }
}
