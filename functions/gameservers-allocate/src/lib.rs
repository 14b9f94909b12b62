//! `GET /v1/gameservers/available` (player JWT): reserves one slot and answers the
//! server's address (the same one again while the player's hold lasts); the backup
//! server when all are full, else 503 with Retry-After.

use hangar_lambda::http::{json, respond};
use hangar_lambda::{require_player, ApiError};
use hangar_scaler::allocate::{allocate, AllocateError};
use hangar_scaler::store::Store;
use hangar_scaler::tick::now_ms;
use hangar_scaler::AllocatorConfig;
use lambda_http::{Body, Request, Response};

pub struct App {
    pub store: Store,
    pub config: AllocatorConfig,
}

impl App {
    pub fn new(config: AllocatorConfig, dynamodb: aws_sdk_dynamodb::Client) -> Self {
        App {
            store: Store::new(dynamodb, &config.table, &config.group),
            config,
        }
    }
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(available(app, &req).await)
}

async fn available(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let player = require_player(req)?;
    match allocate(&app.store, &app.config, &player, now_ms()).await {
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
