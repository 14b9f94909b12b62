//! Hands a player the address of a game server with a free slot, reserving the slot
//! atomically (see [`crate::store::Store::reserve_slot`]).
//!
//! An allocation reads a bounded number of items whatever the size of the fleet: the
//! player's hold, then at most [`CANDIDATES`] servers per pass from the open index
//! (see [`crate::store::Store::open_servers`]), over at most [`PASSES`] passes. A pass
//! only fails when every candidate filled up under it, and each such failure is
//! another allocation's success.

use serde::Serialize;

use crate::decision::{Hold, ServerState};
use crate::error::GameServersError;
use crate::service::GameServers;
use crate::store::PlayerHold;

/// What a player is handed: where to connect, nothing about the fleet behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    /// `host:port` to connect to.
    pub address: String,
    /// True when every server was full and the configured backup server is answered.
    pub backup: bool,
    /// The ECS task behind the address (kept for logs; never sent to players).
    #[serde(skip)]
    pub task_arn: Option<String>,
}

/// Servers read from the open index per pass.
pub const CANDIDATES: i32 = 3;
/// Passes over the open index before answering that no slot is free.
pub const PASSES: usize = 4;

impl GameServers {
    /// Hands `player` a slot. A player who already holds an unexpired slot on a live
    /// server gets that one again instead of a second slot, so one player cannot drain
    /// the fleet.
    pub async fn allocate(
        &self,
        player: &str,
        now_ms: u64,
    ) -> Result<Allocation, GameServersError> {
        let (store, config) = (&self.store, &self.allocation);
        if let Some(held) = self.live_hold(player, now_ms).await? {
            return Ok(held);
        }
        let expires_at_ms = now_ms + config.hold.as_millis() as u64;
        for _ in 0..PASSES {
            let candidates = store.open_servers(config.strategy, CANDIDATES).await?;
            if candidates.is_empty() {
                break;
            }
            for c in candidates {
                let Some(address) = c.address() else {
                    continue;
                };
                let hold = Hold {
                    id: uuid::Uuid::new_v4().simple().to_string()[..16].to_string(),
                    expires_at_ms,
                };
                if !store.reserve_slot(c.task_arn(), &hold).await? {
                    continue;
                }
                let mine = PlayerHold::new(
                    store.group(),
                    player,
                    c.task_arn(),
                    &address,
                    &hold.id,
                    expires_at_ms,
                );
                if store.put_hold(&mine, now_ms).await? {
                    return Ok(Allocation {
                        address,
                        backup: false,
                        task_arn: Some(c.task_arn().to_string()),
                    });
                }
                // The same player won a concurrent request: give our slot back, answer
                // theirs.
                store.release_slot(c.task_arn(), &hold.id).await?;
                if let Some(held) = self.live_hold(player, now_ms).await? {
                    return Ok(held);
                }
            }
        }
        // Full, or every free slot was briefly taken by this player's own requests.
        if let Some(held) = self.live_hold(player, now_ms).await? {
            return Ok(held);
        }
        match &config.backup_server {
            Some(b) => Ok(Allocation {
                address: b.clone(),
                backup: true,
                task_arn: None,
            }),
            None => Err(GameServersError::NoCapacity {
                retry_after_seconds: config.retry_after_seconds,
            }),
        }
    }

    /// The player's unexpired slot, if its server is still there and not unhealthy.
    async fn live_hold(
        &self,
        player: &str,
        now_ms: u64,
    ) -> Result<Option<Allocation>, GameServersError> {
        let Some(hold) = self.store.hold(player).await? else {
            return Ok(None);
        };
        if hold.expires_at_ms <= now_ms {
            return Ok(None);
        }
        let alive = self
            .store
            .server(&hold.task_arn)
            .await?
            .is_some_and(|r| r.state != ServerState::Unhealthy);
        Ok(alive.then_some(Allocation {
            address: hold.address,
            backup: false,
            task_arn: Some(hold.task_arn),
        }))
    }
}
