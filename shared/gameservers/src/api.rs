//! The area's entry points: `GET /v1/gameservers/available` ([`allocate`]),
//! `GET /v1/gameservers` ([`list`]) and the scheduled scaler run ([`scale`]). The Lambda
//! binaries (`functions/gameservers`) and `hangar dev` call these same functions; this
//! is also the one place a [`GameServersError`] becomes an HTTP answer.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use hangar_lambda::clock::now_ms;
use hangar_lambda::http::{json, respond};
use hangar_lambda::{require_player, ApiError};
use lambda_http::{Body, Request, Response};

use crate::error::GameServersError;
use crate::service::GameServers;
use crate::tick::TickOutcome;

impl From<GameServersError> for ApiError {
    fn from(e: GameServersError) -> Self {
        match e {
            e @ GameServersError::NoCapacity {
                retry_after_seconds,
            } => ApiError::unavailable(e.to_string(), retry_after_seconds),
            e if e.is_retryable() => {
                tracing::warn!(error = %e, "game-server table busy");
                ApiError::unavailable("the game-server table is busy; retry shortly", 1)
            }
            e => ApiError::internal(e),
        }
    }
}

/// `GET /v1/gameservers/available` (player JWT): reserves one slot and answers the
/// server's address (the same one again while the player's hold lasts); the backup
/// server when all are full, else 503 with Retry-After.
pub async fn allocate(gs: &GameServers, req: Request) -> Response<Body> {
    respond(available(gs, &req).await)
}

async fn available(gs: &GameServers, req: &Request) -> Result<Response<Body>, ApiError> {
    let player = require_player(req)?;
    let a = gs.allocate(&player, now_ms()).await?;
    tracing::info!(player = %player, address = %a.address, backup = a.backup, "slot allocated");
    Ok(json(200, &a))
}

/// `GET /v1/gameservers` (player JWT): every ECS game server with state and load.
pub async fn list(gs: &GameServers, req: Request) -> Response<Body> {
    respond(servers(gs, &req).await)
}

async fn servers(gs: &GameServers, req: &Request) -> Result<Response<Body>, ApiError> {
    require_player(req)?;
    let servers = gs.servers().await?;
    Ok(json(200, &serde_json::json!({ "servers": servers })))
}

/// The scheduled scaler: one [`GameServers::tick`] per invocation. Failing to read the
/// table or ECS fails the invocation (the next schedule retries); single failed actions
/// are logged and retried next run.
pub async fn scale(
    gs: &GameServers,
    _event: EventBridgeEvent<serde_json::Value>,
) -> Result<TickOutcome, GameServersError> {
    let outcome = gs.tick().await?;
    if let TickOutcome::Done(report) = &outcome {
        let shown = serde_json::to_string(report).unwrap_or_default();
        tracing::info!(report = %shown, "scaler run done");
    }
    Ok(outcome)
}
