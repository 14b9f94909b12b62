//! Game servers on Amazon ECS: capacity-margin autoscaling of game-server tasks (the
//! scheduled scaler run) and the slot allocation behind `GET /v1/gameservers/available`.
//!
//! - [`config`]: every setting, from environment variables.
//! - [`error`]: [`GameServersError`], the area's one error type.
//! - [`service`]: [`GameServers`], the state every entry point borrows.
//! - [`api`]: the entry points the Lambda binaries and `hangar dev` call.
//! - [`decision`]: pure decisions (margins, min/max, standby, reservations, strategy).
//! - [`store`]: the DynamoDB table (servers, holds, lease, atomic slot reservation,
//!   the open index an allocation reads).
//! - [`ecs`]: finding, starting, stopping and protecting tasks.
//! - [`ec2`]: the addresses ECS does not report (container instances, public IPs).
//! - [`address`]: where a server is reached (awsvpc, bridge, host; private or public).
//! - [`probe`]: the game-server contract (`GET /capacity` or a seed-style
//!   `GET /health/`), probed concurrently.
//! - [`tick`]: one scaler run tying these together under a lease.
//! - [`allocate`]: handing out slots.
//! - [`list`]: the servers as operators and as players may see them.

pub mod address;
pub mod allocate;
pub mod api;
pub mod config;
pub mod decision;
pub mod ec2;
pub mod ecs;
pub mod error;
pub mod list;
pub mod probe;
pub mod service;
pub mod store;
pub mod tick;

pub use error::GameServersError;
pub use service::{Clients, GameServers};
pub use tick::{TickOutcome, TickReport};
