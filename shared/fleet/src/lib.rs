//! Fleet replacement: replace the GameLift fleet behind an alias with a fleet on a new
//! build, as a Step Functions workflow whose every stage is a Lambda function.
//!
//! - Entry point: [`api::run`] (every stage function, the local engine, `hangar dev`),
//!   with the state [`Fleet`] built from [`FleetConfig`] and the SDK configuration;
//!   errors are [`FleetError`].
//! - [`stages`]: one file per stage; [`Stage`] names each once.
//! - Adapters (the only modules that call AWS): [`gamelift`], [`lock`] (DynamoDB),
//!   [`stepfunctions`].
//! - Pure decisions (no I/O, unit-tested): [`request`] (input validation and defaults),
//!   [`start`] (fresh or resume), [`plan`], [`progress`] (polling stages and timeouts),
//!   [`capacity`], [`drain`], [`rollback`]; [`state`] is the execution state.

pub mod api;
pub mod capacity;
pub mod config;
pub mod drain;
pub mod error;
pub mod fleet;
pub mod gamelift;
pub mod lock;
pub mod plan;
pub mod progress;
pub mod request;
pub mod rollback;
pub mod stages;
pub mod start;
pub mod state;
pub mod stepfunctions;

pub use config::FleetConfig;
pub use error::FleetError;
pub use fleet::{Clients, Fleet};
pub use stages::Stage;
