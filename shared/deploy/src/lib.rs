//! Gradual deployments of Hangar's API: `GET /version`, the checks CodeDeploy's traffic
//! hooks run and the one way they report.
//!
//! - [`api`]: `GET /version`, the deployed build's version, commit and build time.
//! - [`pre_traffic`]: before any traffic shifts, invoke the new version of every API
//!   function directly (its version ARN) with sample requests from `events/` and check
//!   status codes and response shapes, including a real read (list sessions) and
//!   `/version` reporting this very build.
//! - [`post_traffic`]: after the shift, call the live API's `/version` a number of times and
//!   check the error rate and that this build answers.
//! - [`hook`]: runs either under a time budget and always reports Succeeded or Failed to
//!   CodeDeploy (`PutLifecycleEventHookExecutionStatus`), whatever happened, so no
//!   deployment waits for CodeDeploy's one-hour timeout.

pub mod api;
pub mod checks;
pub mod hook;
pub mod post_traffic;
pub mod pre_traffic;

pub use checks::{CheckFailure, CheckReport};
pub use hangar_lambda::ConfigError;
pub use hook::{run_hook, HookOutcome};
