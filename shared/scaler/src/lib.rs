//! Capacity-margin autoscaling of game servers running as ECS tasks, and the slot
//! allocation behind `GET /v1/gameservers/available`.
//!
//! - [`decision`]: pure decisions (margins, min/max, standby, reservations, strategy).
//! - [`store`]: the DynamoDB table (servers, lease, atomic slot reservation).
//! - [`ecs`]: finding, starting, stopping and protecting tasks.
//! - [`probe`]: the `GET /capacity` game-server contract, probed concurrently.
//! - [`tick`]: one scaler run tying these together under a lease.
//! - [`allocate`]: handing out slots and listing servers.

pub mod allocate;
pub mod api;
pub mod config;
pub mod decision;
pub mod ecs;
pub mod probe;
pub mod store;
pub mod tick;

pub use config::{AllocatorConfig, EcsTarget, ScalerConfig};
pub use tick::{Scaler, TickOutcome, TickReport, TickSettings};
