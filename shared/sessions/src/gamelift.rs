//! GameLift adapter (aws-sdk-gamelift), with exponential backoff and jitter when
//! GameLift throttles (its limits are low: DescribeGameSessions 20/s,
//! StartGameSessionPlacement 75/s). Whether an error is throttling is asked of
//! `hangar_aws::error::fault`; every error leaves as an [`AwsError`].

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_gamelift::config::http::HttpResponse;
use aws_sdk_gamelift::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_gamelift::operation::create_player_session::CreatePlayerSessionError;
use aws_sdk_gamelift::operation::create_player_sessions::CreatePlayerSessionsError;
use aws_sdk_gamelift::operation::describe_game_session_placement::DescribeGameSessionPlacementError;
use aws_sdk_gamelift::operation::describe_game_sessions::DescribeGameSessionsError;
use aws_sdk_gamelift::operation::start_game_session_placement::StartGameSessionPlacementError;
use aws_sdk_gamelift::types::{
    DesiredPlayerSession, GameProperty, GameSessionPlacementState, PlayerLatency,
    PlayerSessionStatus,
};
use aws_sdk_gamelift::Client;
use aws_smithy_types::retry::ProvideErrorKind;
use hangar_aws::{AwsError, Fault};
use rand::Rng;

use crate::events::{Fulfilment, PlacementEvent};
use crate::model::PlacedPlayerSession;
use crate::model::{PlacementStatus, SessionStatus};
use crate::validate::{CreateSession, FieldError, PlayerSeat};
use crate::SessionsError;

/// How often and how long to back off on throttling.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// For requests a player waits on: a few quick retries.
    pub const INTERACTIVE: Backoff = Backoff {
        attempts: 4,
        base: Duration::from_millis(50),
        cap: Duration::from_millis(800),
    };
    /// For background work (the reconciler): patient.
    pub const BACKGROUND: Backoff = Backoff {
        attempts: 8,
        base: Duration::from_millis(100),
        cap: Duration::from_secs(5),
    };

    /// Delay before retry number `attempt` (0-based): full jitter over an exponential ceiling.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        let ms = ceiling.as_millis().max(1) as u64;
        Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
    }
}

/// Runs `call` again after a backoff while GameLift answers with throttling.
pub async fn with_backoff<T, E, F, Fut>(
    policy: Backoff,
    mut call: F,
) -> Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorKind + ProvideErrorMetadata + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(e)
                if hangar_aws::error::fault(&e) == Fault::Throttling
                    && attempt + 1 < policy.attempts =>
            {
                let delay = policy.delay(attempt);
                tracing::warn!(attempt, ?delay, "GameLift throttled; backing off");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A missing member of a GameLift answer (GameLift's model marks it optional).
fn missing(what: &str) -> SessionsError {
    SessionsError::Decode(format!("GameLift answered without {what}"))
}

/// Why GameLift refused a player session.
#[derive(Debug, thiserror::Error)]
pub enum JoinRefused {
    #[error("the game session is full")]
    Full,
    #[error("the game session is not accepting players")]
    NotActive,
    #[error("the game session does not exist")]
    NotFound,
    #[error(transparent)]
    Failed(#[from] SessionsError),
}

/// A reserved player session.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerSessionInfo {
    pub player_id: String,
    pub player_session_id: String,
    pub ip_address: Option<String>,
    pub dns_name: Option<String>,
    pub port: Option<u16>,
}

/// A game session as GameLift describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct GameSessionInfo {
    pub game_session_id: String,
    pub name: Option<String>,
    pub status: Option<SessionStatus>,
    pub maximum_sessions: u32,
    pub current_sessions: u32,
    pub properties: BTreeMap<String, String>,
    pub data: Option<String>,
    pub ip_address: Option<String>,
    pub dns_name: Option<String>,
    pub port: Option<u16>,
    pub fleet_id: Option<String>,
    pub location: Option<String>,
    pub creator_id: Option<String>,
    pub creation_time_millis: u64,
    /// The server credential among its game properties (kept out of `properties`).
    pub credential: Option<String>,
}

#[derive(Clone)]
pub struct GameLift {
    client: Client,
}

impl GameLift {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// StartGameSessionPlacement for a validated create request.
    /// `credential` goes to the game server as the game property
    /// [`crate::credential::PROPERTY`]. A request GameLift refuses (its input, not its
    /// load) is a [`FieldError`] on `body`: nothing was placed.
    pub async fn start_placement(
        &self,
        queue: &str,
        placement_id: &str,
        req: &CreateSession,
        credential: Option<&str>,
    ) -> Result<(), SessionsError> {
        let mut properties: Vec<GameProperty> = req
            .properties
            .iter()
            .map(|(k, v)| GameProperty::builder().key(k).value(v).build())
            .collect();
        if let Some(c) = credential {
            properties.push(
                GameProperty::builder()
                    .key(crate::credential::PROPERTY)
                    .value(c)
                    .build(),
            );
        }
        let players: Vec<DesiredPlayerSession> = req
            .players
            .iter()
            .map(|p| {
                DesiredPlayerSession::builder()
                    .player_id(&p.player_id)
                    .set_player_data(p.data.clone())
                    .build()
            })
            .collect();
        let latencies: Vec<PlayerLatency> = req
            .latencies
            .iter()
            .map(|l| {
                PlayerLatency::builder()
                    .player_id(&l.player_id)
                    .region_identifier(&l.region)
                    .latency_in_milliseconds(l.ms)
                    .build()
            })
            .collect();
        let out = with_backoff(Backoff::INTERACTIVE, || {
            self.client
                .start_game_session_placement()
                .placement_id(placement_id)
                .game_session_queue_name(queue)
                .maximum_player_session_count(req.max_players as i32)
                .set_game_session_name(req.name.clone())
                .set_game_session_data(req.data.clone())
                .set_game_properties(Some(properties.clone()).filter(|p| !p.is_empty()))
                .set_desired_player_sessions(Some(players.clone()))
                .set_player_latencies(Some(latencies.clone()).filter(|l| !l.is_empty()))
                .send()
        })
        .await;
        match out {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    StartGameSessionPlacementError::InvalidRequestException(_)
                ) =>
            {
                let reason = e.err().message().unwrap_or("invalid request").to_string();
                tracing::info!(%reason, "GameLift refused the placement");
                Err(FieldError {
                    field: "body".into(),
                    message: format!("GameLift refused the request: {reason}"),
                }
                .into())
            }
            Err(e) => Err(AwsError::new("StartGameSessionPlacement", e).into()),
        }
    }

    /// CreatePlayerSession: the reservation of a seat in GameLift.
    pub async fn create_player_session(
        &self,
        game_session_id: &str,
        player_id: &str,
        data: Option<&str>,
    ) -> Result<PlayerSessionInfo, JoinRefused> {
        let out = with_backoff(Backoff::INTERACTIVE, || {
            self.client
                .create_player_session()
                .game_session_id(game_session_id)
                .player_id(player_id)
                .set_player_data(data.map(str::to_string))
                .send()
        })
        .await;
        match out {
            Ok(out) => {
                let ps = out
                    .player_session
                    .ok_or_else(|| missing("a player session"))?;
                Ok(PlayerSessionInfo {
                    player_id: player_id.to_string(),
                    player_session_id: ps
                        .player_session_id
                        .ok_or_else(|| missing("a player session id"))?,
                    ip_address: ps.ip_address,
                    dns_name: ps.dns_name,
                    port: ps.port.and_then(|p| u16::try_from(p).ok()),
                })
            }
            Err(SdkError::ServiceError(e)) => Err(match e.err() {
                CreatePlayerSessionError::GameSessionFullException(_) => JoinRefused::Full,
                CreatePlayerSessionError::InvalidGameSessionStatusException(_) => {
                    JoinRefused::NotActive
                }
                CreatePlayerSessionError::NotFoundException(_) => JoinRefused::NotFound,
                _ => JoinRefused::Failed(
                    AwsError::new("CreatePlayerSession", SdkError::ServiceError(e)).into(),
                ),
            }),
            Err(e) => Err(JoinRefused::Failed(
                AwsError::new("CreatePlayerSession", e).into(),
            )),
        }
    }

    /// CreatePlayerSessions: seats for a party, all or none (GameLift creates every
    /// player session or refuses the request).
    pub async fn create_player_sessions(
        &self,
        game_session_id: &str,
        players: &[PlayerSeat],
    ) -> Result<Vec<PlayerSessionInfo>, JoinRefused> {
        let data: std::collections::HashMap<String, String> = players
            .iter()
            .filter_map(|p| Some((p.player_id.clone(), p.data.clone()?)))
            .collect();
        let out = with_backoff(Backoff::INTERACTIVE, || {
            self.client
                .create_player_sessions()
                .game_session_id(game_session_id)
                .set_player_ids(Some(players.iter().map(|p| p.player_id.clone()).collect()))
                .set_player_data_map(Some(data.clone()).filter(|d| !d.is_empty()))
                .send()
        })
        .await;
        match out {
            Ok(out) => out
                .player_sessions()
                .iter()
                .map(|ps| {
                    Ok(PlayerSessionInfo {
                        player_id: ps
                            .player_id()
                            .ok_or_else(|| missing("a player id"))?
                            .to_string(),
                        player_session_id: ps
                            .player_session_id()
                            .ok_or_else(|| missing("a player session id"))?
                            .to_string(),
                        ip_address: ps.ip_address().map(str::to_string),
                        dns_name: ps.dns_name().map(str::to_string),
                        port: ps.port().and_then(|p| u16::try_from(p).ok()),
                    })
                })
                .collect::<Result<Vec<_>, SessionsError>>()
                .map_err(JoinRefused::Failed),
            Err(SdkError::ServiceError(e)) => Err(match e.err() {
                CreatePlayerSessionsError::GameSessionFullException(_) => JoinRefused::Full,
                CreatePlayerSessionsError::InvalidGameSessionStatusException(_) => {
                    JoinRefused::NotActive
                }
                CreatePlayerSessionsError::NotFoundException(_) => JoinRefused::NotFound,
                _ => JoinRefused::Failed(
                    AwsError::new("CreatePlayerSessions", SdkError::ServiceError(e)).into(),
                ),
            }),
            Err(e) => Err(JoinRefused::Failed(
                AwsError::new("CreatePlayerSessions", e).into(),
            )),
        }
    }

    /// The status of one player session (DescribePlayerSessions); `None` when GameLift
    /// does not know it.
    pub async fn player_session_status(
        &self,
        player_session_id: &str,
    ) -> Result<Option<PlayerSessionStatus>, SessionsError> {
        let out = with_backoff(Backoff::INTERACTIVE, || {
            self.client
                .describe_player_sessions()
                .player_session_id(player_session_id)
                .send()
        })
        .await;
        match out {
            Ok(out) => Ok(out
                .player_sessions()
                .first()
                .and_then(|p| p.status())
                .cloned()),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    aws_sdk_gamelift::operation::describe_player_sessions::DescribePlayerSessionsError::NotFoundException(_)
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(AwsError::new("DescribePlayerSessions", e).into()),
        }
    }

    /// The status of one game session (DescribeGameSessions); `None` when GameLift does
    /// not know it.
    pub async fn game_session_status(
        &self,
        game_session_id: &str,
    ) -> Result<Option<SessionStatus>, SessionsError> {
        let out = with_backoff(Backoff::INTERACTIVE, || {
            self.client
                .describe_game_sessions()
                .game_session_id(game_session_id)
                .send()
        })
        .await;
        match out {
            Ok(out) => Ok(out
                .game_sessions()
                .first()
                .and_then(|g| g.status())
                .and_then(|s| SessionStatus::from_gamelift(s.as_str()))),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), DescribeGameSessionsError::NotFoundException(_)) =>
            {
                Ok(None)
            }
            Err(e) => Err(AwsError::new("DescribeGameSessions", e).into()),
        }
    }

    /// DescribeGameSessionPlacement, as the placement event GameLift would have sent:
    /// `None` while the placement is PENDING. A placement GameLift does not know (it
    /// never accepted the request) is FAILED.
    pub async fn describe_placement(
        &self,
        placement_id: &str,
    ) -> Result<Option<PlacementEvent>, SessionsError> {
        let out = self
            .client
            .describe_game_session_placement()
            .placement_id(placement_id)
            .send()
            .await;
        let p = match out {
            Ok(out) => out.game_session_placement,
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    DescribeGameSessionPlacementError::NotFoundException(_)
                ) =>
            {
                return Ok(Some(PlacementEvent {
                    placement_id: placement_id.to_string(),
                    status: PlacementStatus::Failed,
                    time_millis: 0,
                    fulfilment: None,
                }))
            }
            Err(e) => return Err(AwsError::new("DescribeGameSessionPlacement", e).into()),
        };
        let Some(p) = p else {
            return Err(missing("a game session placement"));
        };
        let status = match p.status() {
            Some(GameSessionPlacementState::Fulfilled) => PlacementStatus::Fulfilled,
            Some(GameSessionPlacementState::Cancelled) => PlacementStatus::Cancelled,
            Some(GameSessionPlacementState::TimedOut) => PlacementStatus::TimedOut,
            Some(GameSessionPlacementState::Failed) => PlacementStatus::Failed,
            _ => return Ok(None),
        };
        let time_millis = p
            .end_time()
            .and_then(|t| t.to_millis().ok())
            .and_then(|ms| u64::try_from(ms).ok())
            .unwrap_or(0);
        let fulfilment = if status == PlacementStatus::Fulfilled {
            let game_session_id = p
                .game_session_arn()
                .or(p.game_session_id())
                .ok_or_else(|| missing("the game session of a fulfilled placement"))?
                .to_string();
            Some(Fulfilment {
                game_session_id,
                ip_address: p.ip_address().map(str::to_string),
                dns_name: p.dns_name().map(str::to_string),
                port: p.port().and_then(|p| u16::try_from(p).ok()),
                region: p.game_session_region().map(str::to_string),
                player_sessions: p
                    .placed_player_sessions()
                    .iter()
                    .filter_map(|ps| {
                        Some(PlacedPlayerSession {
                            player_id: ps.player_id()?.to_string(),
                            player_session_id: ps.player_session_id()?.to_string(),
                        })
                    })
                    .collect(),
            })
        } else {
            None
        };
        Ok(Some(PlacementEvent {
            placement_id: placement_id.to_string(),
            status,
            time_millis,
            fulfilment,
        }))
    }

    /// The fleets behind a queue and/or an alias (aliases resolved to their fleet).
    pub async fn fleets_behind(
        &self,
        queue: Option<&str>,
        alias: Option<&str>,
    ) -> Result<Vec<String>, SessionsError> {
        let mut targets: Vec<String> = Vec::new();
        if let Some(queue) = queue {
            let out = with_backoff(Backoff::BACKGROUND, || {
                self.client
                    .describe_game_session_queues()
                    .names(queue)
                    .send()
            })
            .await
            .map_err(|e| AwsError::new("DescribeGameSessionQueues", e))?;
            for q in out.game_session_queues() {
                for d in q.destinations() {
                    if let Some(arn) = d.destination_arn() {
                        targets.push(arn.to_string());
                    }
                }
            }
        }
        if let Some(alias) = alias {
            targets.push(alias.to_string());
        }
        let mut fleets = Vec::new();
        for target in targets {
            let last = target.rsplit('/').next().unwrap_or(&target).to_string();
            let fleet = if last.starts_with("alias-") {
                let out = with_backoff(Backoff::BACKGROUND, || {
                    self.client.resolve_alias().alias_id(&last).send()
                })
                .await
                .map_err(|e| AwsError::new("ResolveAlias", e))?;
                out.fleet_id
            } else {
                Some(last)
            };
            if let Some(f) = fleet {
                if !fleets.contains(&f) {
                    fleets.push(f);
                }
            }
        }
        Ok(fleets)
    }

    /// One page of DescribeGameSessions for a fleet.
    pub async fn game_sessions_page(
        &self,
        fleet_id: &str,
        next_token: Option<String>,
        limit: i32,
    ) -> Result<(Vec<GameSessionInfo>, Option<String>), SessionsError> {
        let out = with_backoff(Backoff::BACKGROUND, || {
            self.client
                .describe_game_sessions()
                .fleet_id(fleet_id)
                .set_next_token(next_token.clone())
                .limit(limit.clamp(1, 100))
                .send()
        })
        .await
        .map_err(|e| AwsError::new("DescribeGameSessions", e))?;
        let sessions = out
            .game_sessions()
            .iter()
            .filter_map(|g| {
                Some(GameSessionInfo {
                    game_session_id: g.game_session_id()?.to_string(),
                    name: g.name().map(str::to_string),
                    status: g
                        .status()
                        .and_then(|s| SessionStatus::from_gamelift(s.as_str())),
                    maximum_sessions: g.maximum_player_session_count().unwrap_or(0).max(0) as u32,
                    current_sessions: g.current_player_session_count().unwrap_or(0).max(0) as u32,
                    properties: g
                        .game_properties()
                        .iter()
                        .filter(|p| p.key() != Some(crate::credential::PROPERTY))
                        .map(|p| {
                            (
                                p.key().unwrap_or_default().to_string(),
                                p.value().unwrap_or_default().to_string(),
                            )
                        })
                        .collect(),
                    credential: g
                        .game_properties()
                        .iter()
                        .find(|p| p.key() == Some(crate::credential::PROPERTY))
                        .and_then(|p| p.value())
                        .map(str::to_string),
                    data: g.game_session_data().map(str::to_string),
                    ip_address: g.ip_address().map(str::to_string),
                    dns_name: g.dns_name().map(str::to_string),
                    port: g.port().and_then(|p| u16::try_from(p).ok()),
                    fleet_id: g.fleet_id().map(str::to_string),
                    location: g.location().map(str::to_string),
                    creator_id: g.creator_id().map(str::to_string),
                    creation_time_millis: g
                        .creation_time()
                        .and_then(|t| t.to_millis().ok())
                        .and_then(|ms| u64::try_from(ms).ok())
                        .unwrap_or(0),
                })
            })
            .collect();
        Ok((sessions, out.next_token.filter(|t| !t.is_empty())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff {
            attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(400),
        };
        assert!(b.delay(0) <= Duration::from_millis(100));
        assert!(b.delay(0) >= Duration::from_millis(50));
        assert!(b.delay(10) <= Duration::from_millis(400));
        assert!(b.delay(10) >= Duration::from_millis(200));
    }
}
