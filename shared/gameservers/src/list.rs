//! `GET /v1/gameservers` and `GET /v1/operator/gameservers`: the servers of the group as
//! each kind of caller may see them. Operators (IAM) get every server with its task and
//! address, and the addresses with a free slot (what the `available-gameserver-list` of
//! the ECS manager this replaces answered). Players get state and load only: no task
//! ARN, no address (a player is handed one address by the allocation, nothing more).

use serde::Serialize;

use crate::decision::ServerState;
use crate::error::GameServersError;
use crate::service::GameServers;
use crate::store::ServerRecord;

/// What operators see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    pub servers: Vec<ServerSummary>,
    /// Addresses (`host:port`) of the active servers with a free slot.
    pub available: Vec<String>,
}

/// One server as operators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerSummary {
    pub task_arn: String,
    pub address: Option<String>,
    #[serde(flatten)]
    pub load: ServerLoad,
    pub reserved: u32,
    pub ready_to_close: bool,
    pub failures: u32,
    pub protected: bool,
    pub updated_at_ms: u64,
}

/// A server's state and load: all a player sees of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerLoad {
    pub state: &'static str,
    pub capacity: u32,
    pub players: u32,
    /// Slots the allocator may still hand out.
    pub free: u32,
}

/// What players see: the servers' state and load, and the free slots in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayerListing {
    pub servers: Vec<ServerLoad>,
    /// Free slots on active servers.
    pub free_slots: u32,
}

impl From<&ServerRecord> for ServerSummary {
    fn from(r: &ServerRecord) -> Self {
        ServerSummary {
            task_arn: r.task_arn().to_string(),
            address: r.address(),
            load: ServerLoad {
                state: r.state.as_str(),
                capacity: r.capacity,
                players: r.capacity.saturating_sub(r.reported_free),
                free: r.free,
            },
            reserved: r.reserved,
            ready_to_close: r.ready_to_close,
            failures: r.failures,
            protected: r.protected,
            updated_at_ms: r.updated_at_ms,
        }
    }
}

impl Listing {
    /// The same servers without what only operators may see.
    pub fn for_players(&self) -> PlayerListing {
        PlayerListing {
            servers: self.servers.iter().map(|s| s.load).collect(),
            free_slots: self
                .servers
                .iter()
                .filter(|s| s.load.state == ServerState::Active.as_str())
                .map(|s| s.load.free)
                .sum(),
        }
    }
}

impl GameServers {
    /// Every server of the group (sorted by task), with the free addresses.
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
            .filter(|s| s.load.state == ServerState::Active.as_str() && s.load.free > 0)
            .filter_map(|s| s.address.clone())
            .collect();
        Ok(Listing { servers, available })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn players_see_state_and_load_but_no_task_or_address() {
        let mut r = ServerRecord::new("g", "arn:aws:ecs:us-east-1:1:task/c/abc", false, 1);
        (r.host, r.port) = (Some("10.0.0.9".into()), 7777);
        r.state = ServerState::Active;
        (r.capacity, r.reported_free, r.free) = (10, 6, 4);
        let listing = Listing {
            servers: vec![ServerSummary::from(&r)],
            available: vec!["10.0.0.9:7777".into()],
        };
        let operator = serde_json::to_string(&listing).unwrap();
        assert!(
            operator.contains("taskArn") && operator.contains("10.0.0.9"),
            "{operator}"
        );
        let player = serde_json::to_value(listing.for_players()).unwrap();
        let text = player.to_string();
        assert!(
            !text.contains("arn:") && !text.contains("10.0.0.9"),
            "{text}"
        );
        assert_eq!(
            player,
            serde_json::json!({"servers": [{"state": "active", "capacity": 10, "players": 4, "free": 4}], "freeSlots": 4})
        );
    }
}
