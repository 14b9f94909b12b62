//! `GET /v1/sessions/{sessionId}`: one game session, answered from the table.

use super::Sessions;
use crate::ids::decode_session_id;
use crate::model::SessionView;
use crate::SessionsError;

impl Sessions {
    pub async fn session(&self, api_id: &str) -> Result<SessionView, SessionsError> {
        let id = decode_session_id(api_id).map_err(|_| SessionsError::BadSessionId)?;
        let s = self
            .store
            .get_session(&id)
            .await?
            .ok_or(SessionsError::NotFound("session"))?;
        Ok(s.view())
    }
}
