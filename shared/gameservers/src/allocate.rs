//! Hands a player the address of a game server with a free slot, reserving the slot
//! atomically (see [`crate::store::Store::reserve_slot`]), and lists the servers for
//! operators.
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
use crate::store::{PlayerHold, ServerRecord};

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

    /// Every server of the group, for operators (`GET /v1/gameservers`).
    pub async fn servers(&self) -> Result<Listing, GameServersError> {
        let mut servers: Vec<ServerSummary> = self
            .store
            .servers()
            .await?
            .iter()
            .map(ServerSummary::from)
            .collect();
        servers.sort_by(|a, b| a.task_arn.cmp(&b.task_arn));
        let available = servers
            .iter()
            .filter(|s| s.state == ServerState::Active.as_str() && s.free > 0)
            .filter_map(|s| s.address.clone())
            .collect();
        Ok(Listing { servers, available })
    }
}

/// `GET /v1/gameservers`: every server, and the addresses with a free slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    pub servers: Vec<ServerSummary>,
    /// Addresses of the active servers with a free slot (what the
    /// `available-gameserver-list` of the ECS manager this replaces answered).
    pub available: Vec<String>,
}

/// One server as operators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerSummary {
    pub task_arn: String,
    pub address: Option<String>,
    pub state: &'static str,
    pub capacity: u32,
    pub players: u32,
    pub free: u32,
    pub reserved: u32,
    pub ready_to_close: bool,
    pub failures: u32,
    pub protected: bool,
    pub updated_at_ms: u64,
}

impl From<&ServerRecord> for ServerSummary {
    fn from(r: &ServerRecord) -> Self {
        ServerSummary {
            task_arn: r.task_arn().to_string(),
            address: r.address(),
            state: r.state.as_str(),
            capacity: r.capacity,
            players: r.capacity.saturating_sub(r.reported_free),
            free: r.free,
            reserved: r.reserved,
            ready_to_close: r.ready_to_close,
            failures: r.failures,
            protected: r.protected,
            updated_at_ms: r.updated_at_ms,
        }
    }
}
