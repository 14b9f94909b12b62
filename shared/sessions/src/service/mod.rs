//! The operations behind the functions, one module each, composed from the pure modules
//! and the adapters; [`Sessions`] holds what they share. Errors are
//! [`SessionsError`]; `api.rs` maps them to HTTP once.

mod create;
mod events;
mod get;
mod join;
mod list;
mod placement;
mod reconcile;
mod server;

use std::time::Duration;

use crate::config::{Need, Settings};
use crate::gamelift::GameLift;
use crate::ids::decode_session_id;
use crate::model::{SessionItem, SessionView};
use crate::store::{Held, Store};
use crate::SessionsError;

pub use list::{ListView, Listed};
pub use reconcile::{fleet_of, session_from_gamelift, ReconcileReport};

/// Conditional writes of one item are retried this often before answering busy.
const WRITE_RETRIES: usize = 8;

/// Everything an operation needs; built once per process by
/// [`Sessions::from_vars`].
#[derive(Clone)]
pub struct Sessions {
    pub store: Store,
    pub gamelift: GameLift,
    pub settings: Settings,
}

impl Sessions {
    /// The area's state from its variables and the SDK configuration (clients honour
    /// `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`, or the configuration's own
    /// per-service endpoints).
    pub fn from_vars(
        vars: &impl hangar_lambda::config::Vars,
        sdk: &aws_config::SdkConfig,
        needs: &[Need],
    ) -> Result<Sessions, hangar_lambda::config::ConfigError> {
        let settings = Settings::from_vars(vars, needs)?;
        Ok(Sessions {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(sdk),
                settings.table.clone(),
                settings.listing_shards,
            ),
            gamelift: GameLift::new(aws_sdk_gamelift::Client::new(sdk)),
            settings,
        })
    }
}

/// Epoch seconds at which an item written at `now_ms` expires, `ttl_secs` later.
fn expiry_secs(now_ms: u64, ttl_secs: u64) -> u64 {
    now_ms / 1000 + ttl_secs
}

/// A short pause before retrying a write that lost a race: 5 ms, doubling, at most 80 ms.
async fn pause(attempt: usize, base_ms: u64) {
    tokio::time::sleep(Duration::from_millis(base_ms << attempt.min(4))).await;
}

impl Sessions {
    fn queue(&self) -> Result<&str, SessionsError> {
        self.settings
            .queue
            .as_deref()
            .ok_or(SessionsError::NotConfigured("GAMELIFT_QUEUE"))
    }

    /// Reads, changes and conditionally writes a session until no concurrent write
    /// intervenes. `change` answers `None` for "nothing to write".
    async fn modify_session<F>(&self, api_id: &str, change: F) -> Result<SessionView, SessionsError>
    where
        F: Fn(&SessionItem) -> Result<Option<SessionItem>, SessionsError>,
    {
        let id = decode_session_id(api_id).map_err(|_| SessionsError::BadSessionId)?;
        for attempt in 0..WRITE_RETRIES {
            let old = self
                .store
                .get_session(&id)
                .await?
                .ok_or(SessionsError::NotFound("session"))?;
            let Some(new) = change(&old)? else {
                return Ok(old.view());
            };
            if self.store.replace_session(&old, &new).await? {
                return Ok(new.view());
            }
            pause(attempt, 5).await;
        }
        Err(SessionsError::Busy("the session kept changing"))
    }

    /// Gives back the seats `players` hold in `session` and puts it back in the open
    /// listing (GameLift refused them, or their reservations lapsed).
    async fn give_back_seats(&self, session: &SessionItem, players: &[(&str, Held<'_>)]) {
        match self.store.release_seats(session, players).await {
            Ok(_) => {
                if let Err(e) = self.store.reopen_if_free(session).await {
                    tracing::warn!(error = %e, "reopening a session in the listing");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, session = %session.game_session_id, "giving back seats failed")
            }
        }
    }

    /// Ends `ours` with `status` unless it has ended meanwhile; `true` when this call
    /// ended it.
    async fn end_session_with(
        &self,
        ours: &SessionItem,
        status: crate::model::SessionStatus,
        now_ms: u64,
    ) -> Result<bool, SessionsError> {
        let mut current = ours.clone();
        for _ in 0..WRITE_RETRIES {
            if current.status.is_ended() {
                return Ok(false);
            }
            let mut ended = current.clone();
            ended.end(status, now_ms, self.settings.ttl_secs);
            if self.store.replace_session(&current, &ended).await? {
                return Ok(true);
            }
            match self.store.get_session(&ours.game_session_id).await? {
                Some(s) => current = s,
                None => return Ok(false),
            }
        }
        Err(SessionsError::Busy("the session kept changing"))
    }
}
