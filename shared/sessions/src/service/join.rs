//! `POST /v1/sessions/{sessionId}/join`: a seat through GameLift, never over-filling.
//!
//! The seat is taken first in our table (a conditional update of the session's counter:
//! below the maximum and ACTIVE), then reserved in GameLift; a refusal gives it back.

use hangar_lambda::clock::now_ms;

use super::{expiry_secs, pause, Sessions, WRITE_RETRIES};
use crate::gamelift::JoinRefused;
use crate::ids::decode_session_id;
use crate::model::*;
use crate::validate;
use crate::SessionsError;

/// A reservation still without a GameLift player session after this long was abandoned.
const ABANDONED_RESERVATION_MS: u64 = 30_000;

impl Sessions {
    pub async fn join(
        &self,
        caller: &str,
        api_id: &str,
        body: &[u8],
    ) -> Result<JoinView, SessionsError> {
        let id = decode_session_id(api_id).map_err(|_| SessionsError::BadSessionId)?;
        let req = validate::join(body)?;
        let now = now_ms();
        let mut taken = None;
        for attempt in 0..WRITE_RETRIES {
            let session = self
                .store
                .get_session(&id)
                .await?
                .ok_or(SessionsError::NotFound("session"))?;
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
                if now.saturating_sub(r.created_at_millis) > ABANDONED_RESERVATION_MS {
                    // A join that stopped half-way (its process died): clear it.
                    self.store
                        .drop_pending_reservation(&id, caller, r.created_at_millis)
                        .await?;
                } else {
                    // The same player's other request is reserving right now.
                    pause(attempt, 25).await;
                }
                continue;
            }
            if session.status.is_ended() {
                return Err(SessionsError::Ended);
            }
            if session.status != SessionStatus::Active {
                return Err(SessionsError::NotReady);
            }
            let reservation = ReservationItem {
                pk: session.pk.clone(),
                sk: reservation_sk(caller),
                player_id: caller.to_string(),
                player_session_id: None,
                created_at_millis: now,
                ttl: expiry_secs(now, self.settings.ttl_secs),
            };
            if !self.store.reserve(&reservation).await? {
                // Another request of this player holds the reservation: wait for it.
                pause(attempt, 5).await;
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
                Some(s) if s.status.is_ended() => SessionsError::Ended,
                Some(s) if s.status != SessionStatus::Active => SessionsError::NotReady,
                Some(_) => SessionsError::Full,
                None => SessionsError::NotFound("session"),
            });
        }
        let Some(session) = taken else {
            return Err(SessionsError::Busy("the session is busy"));
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
                    JoinRefused::Full => SessionsError::Full,
                    JoinRefused::NotActive => SessionsError::Ended,
                    JoinRefused::NotFound => SessionsError::NotFound("session"),
                    JoinRefused::Failed(e) => e,
                })
            }
        }
    }
}
