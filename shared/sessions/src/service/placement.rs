//! `GET /v1/placements/{placementId}`: a placement's status, answered from the table.

use super::Sessions;
use crate::model::PlacementView;
use crate::SessionsError;

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
        let p = self
            .store
            .get_placement(placement_id)
            .await?
            .ok_or(SessionsError::NotFound("placement"))?;
        if !p.readable_by(caller) {
            return Err(SessionsError::Forbidden(
                "only the creator and the reserved players may read this placement",
            ));
        }
        Ok(p.view_for(caller))
    }
}
