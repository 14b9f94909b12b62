//! Gradual deployments of Hangar's API: `GET /version` and CodeDeploy's traffic hooks.
//! Called by the Lambda binaries of `functions/deploy` (the hooks) and `functions/version`,
//! and by `hangar dev`.
//!
//! The default feature `hooks` holds everything but [`build_info`] and [`api::version`]
//! (and the AWS SDK the hooks call); `functions/version` turns it off, so `sam build` of
//! GET /version compiles no SDK crate.
//!
//! - [`api`]: the entry points (`version`, `hook`).
//! - [`hook`]: the area's state [`Deploy`] and the one way a hook runs: its checks under
//!   a time budget, then exactly one report to CodeDeploy, whatever happened, so no
//!   deployment waits for CodeDeploy's one-hour timeout.
//! - [`pre_traffic`]: before any traffic shifts, invoke the new version of every API
//!   function directly (its version ARN) with its smoke checks ([`smoke`]: the real read
//!   paths as a smoke-test player, an anonymous request refused, `/version` reporting
//!   this very build).
//! - [`post_traffic`]: after the shift of a function, its smoke checks through its live
//!   alias; for the version function also the live API's `/version`, a number of times
//!   (the error rate, and that this build answers).
//! - [`guard`]: a panicking hook still reports Failed, in the build that aborts on panic.
//! - [`config`]: every setting, from `from_vars`.
//! - Adapters (the only modules that call `.send()` on an SDK client): [`codedeploy`],
//!   [`lambda`]. Pure modules: [`checks`], [`build_info`] (version, commit and build time
//!   fixed by the crate's `build.rs`).

pub mod api;
pub mod build_info;
#[cfg(feature = "hooks")]
pub mod checks;
#[cfg(feature = "hooks")]
pub mod codedeploy;
#[cfg(feature = "hooks")]
pub mod config;
#[cfg(feature = "hooks")]
pub mod error;
#[cfg(feature = "hooks")]
pub mod guard;
#[cfg(feature = "hooks")]
pub mod hook;
#[cfg(feature = "hooks")]
pub mod lambda;
#[cfg(feature = "hooks")]
pub mod post_traffic;
#[cfg(feature = "hooks")]
pub mod pre_traffic;
#[cfg(feature = "hooks")]
pub mod smoke;

pub use build_info::BuildInfo;
#[cfg(feature = "hooks")]
pub use checks::{CheckFailure, CheckReport};
#[cfg(feature = "hooks")]
pub use error::DeployError;
pub use hangar_lambda::ConfigError;
#[cfg(feature = "hooks")]
pub use hook::{Deploy, HookOutcome};
