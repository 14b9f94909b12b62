//! Game sessions and placements.
//!
//! Pure modules (no I/O, reached by unit tests): [`ids`], [`model`], [`validate`],
//! [`events`], [`cursor`], [`listing`].
//! Adapters: [`store`] (DynamoDB through `serde_dynamo`) and [`gamelift`]
//! (aws-sdk-gamelift with backoff on throttling). [`service`] composes them into the
//! operations the functions expose; [`api`] is their HTTP/SQS/schedule entry points.
//! [`testing`] (feature `test-util`) holds helpers for tests; no Lambda binary links it.

pub mod api;
pub mod config;
pub mod cursor;
pub mod events;
pub mod ids;
pub mod listing;
pub mod model;
pub mod validate;

pub mod gamelift;
pub mod service;
pub mod store;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;

pub use service::Sessions;

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
