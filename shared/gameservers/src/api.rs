//! The area's entry points: `GET /v1/gameservers/available` ([`allocate`]),
//! `GET /v1/gameservers` and `GET /v1/operator/gameservers` ([`list`]) and the scheduled scaler run ([`scale`]). The Lambda
//! binaries (`functions/gameservers`) and `hangar dev` call these same functions; this
//! is also the one place a [`GameServersError`] becomes an HTTP answer.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use hangar_lambda::auth::{caller, Caller};
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

/// `GET /v1/gameservers` (player JWT) and `GET /v1/operator/gameservers` (IAM): the
/// servers of the group. An IAM caller (an operator; the template's
/// `OperatorGameServersPolicy` grants the route) gets every server with its task and
/// address and the addresses with a free slot; a player gets state and load only.
pub async fn list(gs: &GameServers, req: Request) -> Response<Body> {
    respond(servers(gs, &req).await)
}

async fn servers(gs: &GameServers, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = caller(req)?;
    let listing = gs.servers().await?;
    Ok(match caller {
        Caller::Server(principal) => {
            tracing::info!(principal = %principal, "game servers listed for an operator");
            json(200, &listing)
        }
        Caller::Player(_) => json(200, &listing.for_players()),
    })
}

/// What the scaler's schedule sends: EventBridge Scheduler's default notification
/// (`source` `aws.scheduler`, `detail` the string `"{}"`), since the template sets no
/// `Input`; an EventBridge rule's scheduled event (`detail` an object) decodes too.
pub type ScheduleEvent = EventBridgeEvent<serde_json::Value>;

/// The scheduled scaler: one [`GameServers::tick`] per invocation. Failing to read the
/// table or ECS fails the invocation (the next schedule retries); single failed actions
/// are logged and retried next run. The event carries nothing the run needs.
pub async fn scale(
    gs: &GameServers,
    _event: ScheduleEvent,
) -> Result<TickOutcome, GameServersError> {
    let outcome = gs.tick().await?;
    if let TickOutcome::Done(report) = &outcome {
        let shown = serde_json::to_string(report).unwrap_or_default();
        tracing::info!(report = %shown, "scaler run done");
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `events/ecs-scaler.json` is EventBridge Scheduler's default notification; the
    /// scaler's function decodes its payload into [`ScheduleEvent`] (as
    /// `lambda_runtime` does, with serde_json).
    #[test]
    fn the_scheduler_default_notification_decodes_as_the_scaler_event() {
        let sample = include_str!("../../../events/ecs-scaler.json");
        let event: ScheduleEvent = serde_json::from_str(sample).unwrap();
        assert_eq!(event.source, "aws.scheduler");
        assert_eq!(event.detail_type, "Scheduled Event");
        assert_eq!(event.detail, serde_json::Value::String("{}".into()));
        assert!(event.resources.unwrap_or_default()[0].starts_with("arn:aws:scheduler:"));
        // An EventBridge rule's scheduled event (detail an object) decodes too.
        let mut rule: serde_json::Value = serde_json::from_str(sample).unwrap();
        rule["source"] = "aws.events".into();
        rule["detail"] = serde_json::json!({});
        assert!(serde_json::from_value::<ScheduleEvent>(rule).is_ok());
    }
}
