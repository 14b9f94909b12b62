//! The emulator's state and the lifecycle rules that move it along the simulated clock:
//! one module per resource (builds, fleets, aliases, queues, placements, game sessions,
//! player sessions, scaling policies), their statuses ([`status`]), the whole [`State`]
//! with the changes that span resources, the clock-driven [`lifecycle`] and queue
//! [`placing`]. No I/O here.

pub mod aliases;
pub mod builds;
pub mod fleets;
pub mod game_sessions;
pub mod lifecycle;
pub mod placements;
pub mod placing;
pub mod player_sessions;
pub mod queues;
pub mod scaling;
pub mod settings;
pub mod state;
pub mod status;

pub use aliases::Alias;
pub use builds::Build;
pub use fleets::{Fleet, Location, FLEET_STEPS};
pub use game_sessions::GameSession;
pub use placements::Placement;
pub use player_sessions::PlayerSession;
pub use queues::Queue;
pub use scaling::ScalingPolicy;
pub use settings::{Identity, ServerSettings, Timing};
pub use state::{Effect, State};
pub use status::{
    BuildStatus, FleetStatus, GameSessionStatus, GameSessionStatusReason, PlacementStatus,
    PlayerSessionCreationPolicy, PlayerSessionStatus, ProtectionPolicy, RoutingStrategyType,
    ScalingStatus,
};
