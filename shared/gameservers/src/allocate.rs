//! Hands a player the address of a game server with a free slot, reserving the slot
//! atomically (see [`Store::reserve_slot`]).

use serde::Serialize;

use crate::decision::{allocation_order, ServerState};
use crate::error::GameServersError;
use crate::service::GameServers;
use crate::store::{PlayerHold, ServerRecord, Store};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    /// `host:port` to connect to.
    pub address: String,
    /// The ECS task behind the address; absent for the backup server.
    pub task_arn: Option<String>,
    /// True when every server was full and the configured backup server is answered.
    pub backup: bool,
}

/// Passes over the table: a pass only fails when every candidate filled up under us,
/// the second sees servers a concurrent scaler run may just have activated.
const PASSES: usize = 2;

impl GameServers {
    /// Hands `player` a slot. A player who already holds an unexpired slot on a live
    /// server gets that one again instead of a second slot, so one player cannot drain
    /// the fleet.
    pub async fn allocate(
        &self,
        player: &str,
        now_ms: u64,
    ) -> Result<Allocation, GameServersError> {
        allocate(self, player, now_ms).await
    }

    /// Every server of the group, for `GET /v1/gameservers`.
    pub async fn servers(&self) -> Result<Vec<ServerSummary>, GameServersError> {
        list(&self.store).await
    }
}

async fn allocate(
    gs: &GameServers,
    player: &str,
    now_ms: u64,
) -> Result<Allocation, GameServersError> {
    let (store, config) = (&gs.store, &gs.allocation);
    if let Some(held) = live_hold(store, player, now_ms).await? {
        return Ok(held);
    }
    let hold_ms = config.hold.as_millis() as u64;
    for _ in 0..PASSES {
        let records: Vec<ServerRecord> = store
            .servers()
            .await?
            .into_iter()
            .filter(|r| r.host.is_some())
            .collect();
        let views: Vec<_> = records.iter().map(ServerRecord::view).collect();
        let order = allocation_order(&views, config.strategy);
        if order.is_empty() {
            break;
        }
        for v in order {
            let Some(address) = records
                .iter()
                .find(|r| r.task_arn() == v.id)
                .and_then(ServerRecord::address)
            else {
                continue;
            };
            if !store.reserve_slot(&v.id, now_ms).await? {
                continue;
            }
            let hold = PlayerHold::new(store.group(), player, &v.id, &address, now_ms + hold_ms);
            if store.put_hold(&hold, now_ms).await? {
                return Ok(Allocation {
                    address,
                    task_arn: Some(v.id.clone()),
                    backup: false,
                });
            }
            // The same player won a concurrent request: give our slot back, answer theirs.
            store.release_slot(&v.id).await?;
            if let Some(held) = live_hold(store, player, now_ms).await? {
                return Ok(held);
            }
        }
    }
    // Full, or every free slot was briefly taken by this player's own concurrent requests.
    if let Some(held) = live_hold(store, player, now_ms).await? {
        return Ok(held);
    }
    match &config.backup_server {
        Some(b) => Ok(Allocation {
            address: b.clone(),
            task_arn: None,
            backup: true,
        }),
        None => Err(GameServersError::NoCapacity {
            retry_after_seconds: config.retry_after_seconds,
        }),
    }
}

/// The player's unexpired slot, if its server is still there and not unhealthy.
async fn live_hold(
    store: &Store,
    player: &str,
    now_ms: u64,
) -> Result<Option<Allocation>, GameServersError> {
    let Some(hold) = store.hold(player).await? else {
        return Ok(None);
    };
    if hold.expires_at_ms <= now_ms {
        return Ok(None);
    }
    let alive = store
        .server(&hold.task_arn)
        .await?
        .is_some_and(|r| r.state != ServerState::Unhealthy);
    Ok(alive.then_some(Allocation {
        address: hold.address,
        task_arn: Some(hold.task_arn),
        backup: false,
    }))
}

/// One server as `GET /v1/gameservers` shows it.
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

async fn list(store: &Store) -> Result<Vec<ServerSummary>, GameServersError> {
    let mut out: Vec<ServerSummary> = store
        .servers()
        .await?
        .iter()
        .map(ServerSummary::from)
        .collect();
    out.sort_by(|a, b| a.task_arn.cmp(&b.task_arn));
    Ok(out)
}
