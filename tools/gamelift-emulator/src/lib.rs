//! A local Amazon GameLift for tests and local development.
//!
//! It speaks both wire protocols GameLift clients use — JSON 1.1 (`POST /` with
//! `X-Amz-Target: GameLift.<Operation>`) and Smithy RPC v2 CBOR
//! (`POST /service/GameLift/operation/<Operation>`, used by current aws-sdk-gamelift and
//! boto3) — and simulates builds, fleets (per location), aliases, queues, placements, game
//! and player sessions on a clock that can run faster than real time. Placement events go
//! to the queue's SNS notification target. An admin interface under `/admin/` inspects
//! state, moves the clock and injects faults; see `docs/gamelift-emulator.md`.
//!
//! ```no_run
//! # async fn run() -> Result<(), gamelift_emulator::StartError> {
//! let emulator = gamelift_emulator::start(gamelift_emulator::Config::default()).await?;
//! println!("GameLift at {}", emulator.endpoint_url());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod api_model;
pub mod clock;
pub mod config;
pub mod error;
pub mod events;
pub mod faults;
pub mod model;
pub mod ops;
pub mod paging;
mod server;
pub mod validate;
pub mod wire;

pub use admin::AdminClient;
pub use config::{Config, ConfigError, Setting, DEFAULT_PORT};
pub use model::{ServerSettings, Timing};
pub use server::{start, RunningEmulator, StartError};
