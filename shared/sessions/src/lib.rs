//! Game sessions and placements: the sessions API (create, list, get, join, placement
//! status), the server API, the placement-events consumer and the reconciler. The
//! Lambda binaries of `functions/sessions` and `hangar dev` call [`api`].
//!
//! Pure modules (no I/O, reached by unit tests): [`ids`], [`model`], [`validate`],
//! [`events`], [`cursor`], [`listing`], [`search`] (GameLift's filter and sort grammar),
//! [`credential`] (the per-session server credential), [`metrics`] (EMF lines).
//! Adapters, the only modules that call `.send()`: [`store`] (DynamoDB through
//! `serde_dynamo`) and [`gamelift`] (aws-sdk-gamelift with backoff on throttling).
//! [`service`] composes them into the operations, one module each; [`config`] reads the
//! settings and builds [`Sessions`]; [`error`] is the area's one error type.
//! [`testing`] (feature `test-util`) holds helpers for tests; no Lambda binary links it.

pub mod api;
pub mod config;
pub mod credential;
pub mod cursor;
pub mod error;
pub mod events;
pub mod ids;
pub mod listing;
pub mod merge;
pub mod metrics;
pub mod model;
pub mod search;
pub mod validate;

pub mod gamelift;
pub mod service;
pub mod store;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;

pub use error::SessionsError;
pub use service::Sessions;
