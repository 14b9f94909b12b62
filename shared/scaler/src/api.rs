//! The area's entry points: `GET /v1/gameservers/available` ([`allocate`]),
//! `GET /v1/gameservers` ([`list`]) and the scheduled scaler run ([`scale`]). The Lambda
//! binaries (`functions/gameservers`) and `hangar dev` call these same functions.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use hangar_lambda::config::{parsed_or, required, ConfigError, Vars};
use hangar_lambda::http::{json, respond};
use hangar_lambda::{require_player, ApiError};
use lambda_http::{Body, Request, Response};

use crate::allocate::{self, AllocateError};
use crate::store::Store;
use crate::tick::now_ms;
use crate::{AllocatorConfig, Scaler, TickOutcome};

/// What the allocation route needs: the table and the allocator's settings.
pub struct Allocation {
    pub store: Store,
    pub config: AllocatorConfig,
}

impl Allocation {
    pub fn new(config: AllocatorConfig, dynamodb: aws_sdk_dynamodb::Client) -> Self {
        Allocation {
            store: Store::new(dynamodb, &config.table, &config.group),
            config,
        }
    }
}

/// What the listing route needs: the table.
pub struct Listing {
    pub store: Store,
}

impl Listing {
    /// Reads `TABLE_NAME` and `GAMESERVER_GROUP` (default `default`).
    pub fn from_vars(
        vars: &impl Vars,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Result<Self, ConfigError> {
        let table = required(vars, "TABLE_NAME")?;
        let group = parsed_or(vars, "GAMESERVER_GROUP", "default".to_string())?;
        Ok(Listing {
            store: Store::new(dynamodb, table, group),
        })
    }
}

/// `GET /v1/gameservers/available` (player JWT): reserves one slot and answers the
/// server's address (the same one again while the player's hold lasts); the backup
/// server when all are full, else 503 with Retry-After.
pub async fn allocate(app: &Allocation, req: Request) -> Response<Body> {
    respond(available(app, &req).await)
}

async fn available(app: &Allocation, req: &Request) -> Result<Response<Body>, ApiError> {
    let player = require_player(req)?;
    match allocate::allocate(&app.store, &app.config, &player, now_ms()).await {
        Ok(a) => {
            tracing::info!(player = %player, address = %a.address, backup = a.backup, "slot allocated");
            Ok(json(200, &a))
        }
        Err(AllocateError::NoCapacity) => Err(ApiError::unavailable(
            "no game server has a free slot; retry later",
            app.config.retry_after_seconds,
        )),
        Err(AllocateError::Store(e)) => Err(ApiError::internal(e)),
    }
}

/// `GET /v1/gameservers` (player JWT): every ECS game server with state and load.
pub async fn list(app: &Listing, req: Request) -> Response<Body> {
    respond(servers(app, &req).await)
}

async fn servers(app: &Listing, req: &Request) -> Result<Response<Body>, ApiError> {
    require_player(req)?;
    let servers = allocate::list(&app.store)
        .await
        .map_err(ApiError::internal)?;
    Ok(json(200, &serde_json::json!({ "servers": servers })))
}

/// The scheduled scaler: one [`Scaler::tick`] per invocation. Failing to read the table
/// or ECS fails the invocation (the next schedule retries); single failed actions are
/// logged and retried next run.
pub async fn scale(
    scaler: &Scaler,
    _event: EventBridgeEvent<serde_json::Value>,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    match scaler.tick().await? {
        TickOutcome::Skipped => Ok(serde_json::json!({ "skipped": true })),
        TickOutcome::Done(report) => {
            let value = serde_json::to_value(&report)?;
            tracing::info!(report = %value, "scaler run done");
            Ok(value)
        }
    }
}
