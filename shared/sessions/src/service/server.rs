//! The server API: `PUT /v1/server/sessions/{sessionId}` (a game server's partial
//! update) and `DELETE /v1/server/sessions/{sessionId}` (its session ended).
//!
//! Besides IAM (which admits any game server), each request must carry the session's
//! server credential ([`crate::credential`]), which only the server hosting it holds:
//! a server acts on its own sessions only.

use hangar_lambda::clock::now_ms;

use super::Sessions;
use crate::credential;
use crate::model::{SessionItem, SessionStatus, SessionView};
use crate::validate::{self, FieldError};
use crate::SessionsError;

/// Refuses a caller without the session's credential.
fn check_credential(session: &SessionItem, presented: Option<&str>) -> Result<(), SessionsError> {
    let Some(presented) = presented.filter(|c| !c.is_empty()) else {
        return Err(SessionsError::WrongCredential(
            "the hangar-session-credential header is missing",
        ));
    };
    match &session.credential_fingerprint {
        Some(stored) if credential::matches(stored, presented) => Ok(()),
        Some(_) => Err(SessionsError::WrongCredential(
            "the session credential is not this session's",
        )),
        None => Err(SessionsError::WrongCredential(
            "this session was not placed by Hangar, so no game server holds its credential",
        )),
    }
}

impl Sessions {
    /// A game server's partial update: player count, name, data, properties (merged).
    pub async fn server_update(
        &self,
        api_id: &str,
        credential: Option<&str>,
        body: &[u8],
    ) -> Result<SessionView, SessionsError> {
        let update = validate::server_update(body)?;
        self.modify_session(api_id, |old| {
            check_credential(old, credential)?;
            if old.status.is_ended() {
                return Err(SessionsError::Ended);
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
            new.updated_at_millis = now_ms();
            new.refresh_index_keys();
            Ok(Some(new))
        })
        .await
    }

    /// The session ended (idempotent: ending an ended session changes nothing).
    pub async fn server_end(
        &self,
        api_id: &str,
        credential: Option<&str>,
    ) -> Result<SessionView, SessionsError> {
        let ttl = self.settings.ttl_secs;
        self.modify_session(api_id, |old| {
            check_credential(old, credential)?;
            if old.status.is_ended() {
                return Ok(None);
            }
            let mut new = old.clone();
            new.end(SessionStatus::Terminated, now_ms(), ttl);
            Ok(Some(new))
        })
        .await
    }
}
