//! Glue every Hangar function shares: logging set-up, configuration from the
//! environment, the one mapping of errors to HTTP responses (and the metric of unexpected
//! ones), who is calling, and the clock.

pub mod auth;
pub mod clock;
pub mod config;
pub mod http;
pub mod metrics;

pub use auth::{require_player, require_server, Caller};
pub use config::ConfigError;
pub use http::ApiError;

/// Starts logging the way Lambda's advanced logging controls ask: JSON lines when
/// `AWS_LAMBDA_LOG_FORMAT=JSON`, level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`
/// (default INFO). The runtime opens one span per invocation carrying the request id.
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}
