//! Hands a player the address of a game server with a free slot, reserving the slot
//! atomically (see [`Store::reserve_slot`]).

use serde::Serialize;

use crate::decision::{allocation_order, Strategy};
use crate::store::{ServerRecord, Store, StoreError};

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

#[derive(Debug, thiserror::Error)]
pub enum AllocateError {
    #[error("no game server has a free slot")]
    NoCapacity,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Passes over the table: a pass only fails when every candidate filled up under us,
/// the second sees servers a concurrent scaler run may just have activated.
const PASSES: usize = 2;

pub async fn allocate(
    store: &Store,
    strategy: Strategy,
    backup: Option<&str>,
    now_ms: u64,
) -> Result<Allocation, AllocateError> {
    for _ in 0..PASSES {
        let records: Vec<ServerRecord> = store
            .servers()
            .await?
            .into_iter()
            .filter(|r| r.host.is_some())
            .collect();
        let views: Vec<_> = records.iter().map(ServerRecord::view).collect();
        let order = allocation_order(&views, strategy);
        if order.is_empty() {
            break;
        }
        for v in order {
            if store.reserve_slot(&v.id, now_ms).await? {
                let address = records
                    .iter()
                    .find(|r| r.task_arn == v.id)
                    .and_then(ServerRecord::address);
                if let Some(address) = address {
                    return Ok(Allocation {
                        address,
                        task_arn: Some(v.id.clone()),
                        backup: false,
                    });
                }
            }
        }
    }
    match backup {
        Some(b) => Ok(Allocation {
            address: b.to_string(),
            task_arn: None,
            backup: true,
        }),
        None => Err(AllocateError::NoCapacity),
    }
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
            task_arn: r.task_arn.clone(),
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

pub async fn list(store: &Store) -> Result<Vec<ServerSummary>, StoreError> {
    let mut out: Vec<ServerSummary> = store
        .servers()
        .await?
        .iter()
        .map(ServerSummary::from)
        .collect();
    out.sort_by(|a, b| a.task_arn.cmp(&b.task_arn));
    Ok(out)
}
