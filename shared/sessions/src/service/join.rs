//! `POST /v1/sessions/{sessionId}/join`: seats through GameLift, never over-filling, for
//! the caller alone or for a party (all seats or none).
//!
//! The answer tells the truth: an ended session is 410 before any stored reservation is
//! looked at; a session GameLift still activates is 409 `SessionNotReady`. The seats are
//! taken in our table first, in one transaction with the reservations (a conditional
//! update of the session's counter: the seats fit and the session is ACTIVE), then
//! reserved in GameLift; a refusal gives them back. A stored reservation whose GameLift
//! player session lapsed (TIMEDOUT, COMPLETED) gives its seat back and is replaced.

use hangar_lambda::clock::now_ms;

use super::{expiry_secs, pause, Sessions, WRITE_RETRIES};
use crate::gamelift::{JoinRefused, PlayerSessionInfo};
use crate::ids::decode_session_id;
use crate::model::PlacedPlayerSession;
use crate::model::*;
use crate::store::{Held, Reserve};
use crate::validate::{self, PlayerSeat};
use crate::SessionsError;

/// A reservation still without a GameLift player session after this long was abandoned
/// (the request that made it died); its seat is given back.
const ABANDONED_RESERVATION_MS: u64 = 30_000;
/// A stored player session is asked of GameLift again at most this often.
const RECHECK_MS: u64 = 5_000;

/// What to do with the caller's stored reservation.
enum Stored {
    /// Still good: answer it.
    Answer(JoinView),
    /// Gone or given back: reserve anew.
    Reserve,
    /// Another request of this player is reserving right now: wait and look again.
    Wait,
}

impl Sessions {
    pub async fn join(
        &self,
        caller: &str,
        api_id: &str,
        body: &[u8],
    ) -> Result<JoinView, SessionsError> {
        let id = decode_session_id(api_id).map_err(|_| SessionsError::BadSessionId)?;
        let req = validate::join(body, caller)?;
        let party = !req.players.is_empty();
        let players = if party {
            req.players.clone()
        } else {
            vec![PlayerSeat {
                player_id: caller.to_string(),
                data: req.data.clone(),
            }]
        };
        let mut taken = None;
        for attempt in 0..WRITE_RETRIES {
            let now = now_ms();
            let session = self
                .store
                .get_session(&id)
                .await?
                .ok_or(SessionsError::NotFound("session"))?;
            if session.status.is_ended() {
                return Err(SessionsError::Ended);
            }
            if !party {
                match self.stored(&session, api_id, caller, now).await? {
                    Stored::Answer(view) => return Ok(view),
                    Stored::Wait => {
                        pause(attempt, 25).await;
                        continue;
                    }
                    Stored::Reserve => {}
                }
            }
            if session.status != SessionStatus::Active {
                return Err(SessionsError::NotReady);
            }
            let reservations: Vec<ReservationItem> = players
                .iter()
                .map(|p| ReservationItem {
                    pk: session.pk.clone(),
                    sk: reservation_sk(&p.player_id),
                    player_id: p.player_id.clone(),
                    player_session_id: None,
                    created_at_millis: now,
                    checked_at_millis: None,
                    ttl: expiry_secs(now, self.settings.ttl_secs),
                })
                .collect();
            match self.store.reserve_seats(&session, &reservations).await? {
                Reserve::Taken => {
                    taken = Some((session, now));
                    break;
                }
                Reserve::Conflict => pause(attempt, 5).await,
                // The caller's other request holds the reservation: wait for it.
                Reserve::AlreadyReserved(_) if !party => pause(attempt, 5).await,
                Reserve::AlreadyReserved(i) => {
                    return Err(SessionsError::AlreadyJoined(
                        players
                            .get(i)
                            .map(|p| p.player_id.clone())
                            .unwrap_or_default(),
                    ))
                }
                Reserve::NoSeat => {
                    let fresh = self.store.get_session(&id).await?;
                    return Err(match fresh {
                        Some(s) if s.status.is_ended() => SessionsError::Ended,
                        Some(s) if s.status != SessionStatus::Active => SessionsError::NotReady,
                        Some(s) if s.player_session_count == session.player_session_count => {
                            SessionsError::Full
                        }
                        // The count moved meanwhile: the caller may retry at once.
                        Some(_) => SessionsError::Full,
                        None => SessionsError::NotFound("session"),
                    });
                }
            }
        }
        let Some((session, reserved_at)) = taken else {
            return Err(SessionsError::Busy("the session is busy"));
        };
        self.store.close_if_full(&id).await?;

        let reserved = if party {
            self.gamelift.create_player_sessions(&id, &players).await
        } else {
            self.gamelift
                .create_player_session(&id, caller, req.data.as_deref())
                .await
                .map(|ps| vec![ps])
        };
        match reserved {
            Ok(sessions) => {
                for ps in &sessions {
                    self.store
                        .confirm_reservation(&id, &ps.player_id, &ps.player_session_id)
                        .await?;
                }
                self.view(&session, api_id, caller, party, sessions)
            }
            Err(refused) => {
                let held: Vec<(&str, Held)> = players
                    .iter()
                    .map(|p| {
                        (
                            p.player_id.as_str(),
                            Held::Pending {
                                created_at_millis: reserved_at,
                            },
                        )
                    })
                    .collect();
                self.give_back_seats(&session, &held).await;
                Err(match refused {
                    JoinRefused::Full => SessionsError::Full,
                    JoinRefused::NotActive => self.why_not_active(&session).await?,
                    JoinRefused::NotFound => SessionsError::NotFound("session"),
                    JoinRefused::Failed(e) => e,
                })
            }
        }
    }

    /// Looks at the caller's stored reservation of `session`.
    async fn stored(
        &self,
        session: &SessionItem,
        api_id: &str,
        caller: &str,
        now: u64,
    ) -> Result<Stored, SessionsError> {
        let Some(r) = self
            .store
            .get_reservation(&session.game_session_id, caller)
            .await?
        else {
            return Ok(Stored::Reserve);
        };
        let Some(ps) = r.player_session_id.clone() else {
            if now.saturating_sub(r.created_at_millis) <= ABANDONED_RESERVATION_MS {
                return Ok(Stored::Wait);
            }
            // A join that stopped half-way (its process died): its seat comes back.
            self.give_back_seats(
                session,
                &[(
                    caller,
                    Held::Pending {
                        created_at_millis: r.created_at_millis,
                    },
                )],
            )
            .await;
            return Ok(Stored::Wait);
        };
        let checked = r.checked_at_millis.unwrap_or(r.created_at_millis);
        if now.saturating_sub(checked) > RECHECK_MS {
            use aws_sdk_gamelift::types::PlayerSessionStatus as S;
            match self.gamelift.player_session_status(&ps).await? {
                Some(S::Reserved | S::Active) => {
                    self.store
                        .touch_reservation(&session.game_session_id, caller, now)
                        .await?;
                }
                // TIMEDOUT, COMPLETED, or unknown to GameLift: the seat is free again.
                _ => {
                    self.give_back_seats(
                        session,
                        &[(
                            caller,
                            Held::Confirmed {
                                player_session_id: &ps,
                            },
                        )],
                    )
                    .await;
                    return Ok(Stored::Wait);
                }
            }
        }
        Ok(Stored::Answer(JoinView {
            session_id: api_id.to_string(),
            player_session_id: ps,
            player_sessions: Vec::new(),
            ip_address: session.ip_address.clone(),
            dns_name: session.dns_name.clone(),
            port: session.port,
        }))
    }

    /// Why GameLift found a session we hold ACTIVE not accepting players: still
    /// activating (409, retry), or ended (recorded, 410).
    async fn why_not_active(&self, session: &SessionItem) -> Result<SessionsError, SessionsError> {
        match self
            .gamelift
            .game_session_status(&session.game_session_id)
            .await?
        {
            Some(status) if status.is_ended() => {
                self.end_session_with(session, status, now_ms()).await?;
                Ok(SessionsError::Ended)
            }
            None => {
                self.end_session_with(session, SessionStatus::Terminated, now_ms())
                    .await?;
                Ok(SessionsError::Ended)
            }
            Some(_) => Ok(SessionsError::NotReady),
        }
    }

    fn view(
        &self,
        session: &SessionItem,
        api_id: &str,
        caller: &str,
        party: bool,
        sessions: Vec<PlayerSessionInfo>,
    ) -> Result<JoinView, SessionsError> {
        let mine = sessions
            .iter()
            .find(|ps| ps.player_id == caller)
            .cloned()
            .ok_or(SessionsError::Decode(
                "GameLift answered no player session for the caller".into(),
            ))?;
        Ok(JoinView {
            session_id: api_id.to_string(),
            player_session_id: mine.player_session_id,
            player_sessions: if party {
                sessions
                    .iter()
                    .map(|ps| PlacedPlayerSession {
                        player_id: ps.player_id.clone(),
                        player_session_id: ps.player_session_id.clone(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            ip_address: mine.ip_address.or(session.ip_address.clone()),
            dns_name: mine.dns_name.or(session.dns_name.clone()),
            port: mine.port.or(session.port),
        })
    }
}
