//! `GET /v1/placements/{placementId}`: a placement's status, answered from the table.
//!
//! A placement still PENDING well past the time its event should have come (its event
//! was lost or is late, or the queue has no NotificationTarget) is looked up with
//! DescribeGameSessionPlacement and recorded exactly as its event would be. GameLift
//! says that operation is not for continuous polling, so it is a bounded fallback: at
//! most once per placement per `lookup_interval_ms`, and under a global rate of
//! `lookups_per_second` shared by every reader; the reconciler resolves the rest.

use hangar_lambda::clock::now_ms;

use super::Sessions;
use crate::model::{PlacementItem, PlacementStatus, PlacementView};
use crate::SessionsError;

/// The operation whose global rate the lookups share.
const LOOKUP_OPERATION: &str = "DescribeGameSessionPlacement";

impl Sessions {
    /// The placement as `caller` may see it: only its creator and reserved players.
    pub async fn placement(
        &self,
        caller: &str,
        placement_id: &str,
    ) -> Result<PlacementView, SessionsError> {
        let valid = (1..=48).contains(&placement_id.len())
            && placement_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid {
            return Err(SessionsError::NotFound("placement"));
        }
        let mut p = self
            .store
            .get_placement(placement_id)
            .await?
            .ok_or(SessionsError::NotFound("placement"))?;
        if !p.readable_by(caller) {
            return Err(SessionsError::Forbidden(
                "only the creator and the reserved players may read this placement",
            ));
        }
        if p.status == PlacementStatus::Pending && self.look_up(&p, now_ms(), true).await? {
            if let Some(fresh) = self.store.get_placement(placement_id).await? {
                p = fresh;
            }
        }
        Ok(p.view_for(caller))
    }

    /// Asks GameLift about a PENDING placement if it is overdue and the per-placement
    /// and global limits allow, and records the answer. `true` when it recorded one.
    pub(super) async fn look_up(
        &self,
        p: &PlacementItem,
        now: u64,
        rate_limited: bool,
    ) -> Result<bool, SessionsError> {
        let s = &self.settings;
        if now.saturating_sub(p.created_at_millis) < s.lookup_after_ms {
            return Ok(false);
        }
        if !self
            .store
            .claim_lookup(&p.placement_id, now, s.lookup_interval_ms)
            .await?
        {
            return Ok(false);
        }
        if rate_limited
            && !self
                .store
                .take_rate_token(LOOKUP_OPERATION, now, s.lookups_per_second)
                .await?
        {
            return Ok(false);
        }
        if now.saturating_sub(p.created_at_millis) > s.placement_timeout_ms {
            crate::metrics::placement_pending_past_timeout(&p.placement_id);
        }
        match self.gamelift.describe_placement(&p.placement_id).await {
            Ok(Some(event)) => {
                tracing::info!(placement = %p.placement_id, status = ?event.status, "placement resolved by lookup; its event did not arrive in time");
                self.record_placement_event(&event).await?;
                Ok(true)
            }
            Ok(None) => Ok(false),
            // A reader still gets the stored answer; the next lookup tries again.
            Err(e) if e.is_retryable() => {
                tracing::warn!(error = %e, "looking up a pending placement");
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}
