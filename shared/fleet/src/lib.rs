//! Fleet replacement: replace the GameLift fleet behind an alias with a fleet on a new
//! build, as a Step Functions workflow whose every stage is a Lambda function.
//!
//! Pure decisions (no I/O, unit-tested): [`request`] (input validation and defaults),
//! [`start`] (fresh or resume), [`plan`], [`progress`] (polling stages and timeouts),
//! [`capacity`], [`drain`], [`rollback`].

pub mod capacity;
pub mod drain;
pub mod error;
pub mod gamelift;
pub mod lambda;
pub mod lock;
pub mod plan;
pub mod progress;
pub mod request;
pub mod rollback;
pub mod stages;
pub mod start;
pub mod state;

pub use error::StageError;
pub use stages::{Deps, Stage};
