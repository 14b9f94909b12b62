//! `POST /v1/sessions`: starts a queue placement for a new game session.
//!
//! The placement (PENDING, with its expiry) and the `Idempotency-Key` claim are written in
//! one transaction before GameLift is asked, so a crash at any point leaves a retry with
//! the same key (or the same caller-supplied `placementId`) a placement that resolves:
//! its event, the lookup fallback or the reconciler records what GameLift did with it,
//! FAILED when GameLift never got it. A StartGameSessionPlacement whose outcome is
//! unknown (a timeout) is kept, never undone, so it is never started twice; only a
//! request GameLift refused (nothing placed) is removed again.

use std::collections::BTreeMap;

use hangar_lambda::clock::now_ms;

use super::{expiry_secs, Sessions};
use crate::credential;
use crate::cursor;
use crate::model::*;
use crate::store::Claim;
use crate::validate;
use crate::SessionsError;

/// Idempotency records live a day: long enough for any client retry.
const IDEMPOTENCY_TTL_SECS: u64 = 86_400;
/// A placement still PENDING after a day is gone (GameLift's queue timeout is at most
/// 600 s by default; the fallback and the reconciler resolve it long before).
const PENDING_TTL_SECS: u64 = 86_400;

fn valid_idempotency_key(k: &str) -> bool {
    (1..=128).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

impl Sessions {
    /// Starts a placement for `caller`; a retry with the same `Idempotency-Key` (or the
    /// same `placementId` and body) answers the placement the first request started.
    pub async fn create(
        &self,
        caller: &str,
        body: &[u8],
        idempotency_key: Option<&str>,
    ) -> Result<PlacementView, SessionsError> {
        let req = validate::create_session(body, caller)?;
        if let Some(key) = idempotency_key {
            if !valid_idempotency_key(key) {
                return Err(SessionsError::BadIdempotencyKey);
            }
        }
        let queue = self.queue()?.to_string();
        let credentials = self
            .settings
            .credential_key
            .as_ref()
            .ok_or(SessionsError::NotConfigured("SERVER_CREDENTIAL_SECRET"))?;
        let now = now_ms();
        let placement_id = req
            .placement_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let credential = credentials.issue(&placement_id);
        let body_hash = cursor::body_hash(body);

        let claim = idempotency_key.map(|key| IdempotencyItem {
            pk: idempotency_pk(caller, key),
            sk: IDEMPOTENCY_SK.into(),
            placement_id: placement_id.clone(),
            body_hash: body_hash.clone(),
            ttl: expiry_secs(now, IDEMPOTENCY_TTL_SECS),
        });
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
            ttl: Some(expiry_secs(now, PENDING_TTL_SECS)),
            body_hash: Some(body_hash.clone()),
            credential_fingerprint: Some(credential::fingerprint(&credential)),
            described_at_millis: None,
            active_pk: Some(index_pk(
                PENDING_INDEX_PK,
                listing_shard(&placement_id, self.settings.listing_shards),
            )),
            list_sk: Some(list_sk(now, &placement_id)),
        };
        match self
            .store
            .insert_placement(&placement, claim.as_ref())
            .await?
        {
            Claim::Inserted => {}
            Claim::KeyTaken(existing) => {
                if existing.body_hash != body_hash {
                    return Err(SessionsError::IdempotencyMismatch);
                }
                return self.existing(caller, &existing.placement_id).await;
            }
            Claim::PlacementTaken => {
                return match self.store.get_placement(&placement_id).await? {
                    Some(p)
                        if p.creator_id == caller && p.body_hash.as_deref() == Some(&body_hash) =>
                    {
                        Ok(p.view_for(caller))
                    }
                    _ => Err(SessionsError::PlacementIdTaken(placement_id)),
                };
            }
        }

        match self
            .gamelift
            .start_placement(&queue, &placement_id, &req, Some(&credential))
            .await
        {
            Ok(()) => Ok(placement.view_for(caller)),
            Err(e) if e.placed_nothing() => {
                // GameLift refused or throttled the request: nothing was placed, so a
                // retry with the same key may place it.
                if let Err(cleanup) = self
                    .store
                    .delete_placement(&placement_id, claim.as_ref().map(|c| c.pk.as_str()))
                    .await
                {
                    tracing::warn!(error = %cleanup, "removing an unstarted placement");
                }
                Err(e)
            }
            Err(e) => {
                // GameLift may have accepted it: keep it PENDING, the lookup resolves it.
                tracing::warn!(error = %e, placement = %placement_id, "placement outcome unknown; kept PENDING");
                Ok(placement.view_for(caller))
            }
        }
    }

    /// The placement an earlier request with the same key started (PENDING if its
    /// record is gone).
    async fn existing(
        &self,
        caller: &str,
        placement_id: &str,
    ) -> Result<PlacementView, SessionsError> {
        Ok(match self.store.get_placement(placement_id).await? {
            Some(p) => p.view_for(caller),
            None => PlacementView {
                placement_id: placement_id.to_string(),
                status: PlacementStatus::Pending,
                session_id: None,
                game_session_id: None,
                ip_address: None,
                dns_name: None,
                port: None,
                player_session_id: None,
            },
        })
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
        assert!(!valid_idempotency_key("clé"));
    }
}
