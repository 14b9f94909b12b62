//! `GET /v1/gameservers` (player JWT): every ECS game server with state and load.

use hangar_lambda::config::{parsed_or, required, ConfigError, Vars};
use hangar_lambda::http::{json, respond};
use hangar_lambda::{require_player, ApiError};
use hangar_scaler::allocate::list;
use hangar_scaler::store::Store;
use lambda_http::{Body, Request, Response};

pub struct App {
    pub store: Store,
}

impl App {
    /// Reads `TABLE_NAME` and `GAMESERVER_GROUP` (default `default`).
    pub fn from_vars(
        vars: &impl Vars,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Result<Self, ConfigError> {
        let table = required(vars, "TABLE_NAME")?;
        let group = parsed_or(vars, "GAMESERVER_GROUP", "default".to_string())?;
        Ok(App {
            store: Store::new(dynamodb, table, group),
        })
    }
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(servers(app, &req).await)
}

async fn servers(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    require_player(req)?;
    let servers = list(&app.store).await.map_err(ApiError::internal)?;
    Ok(json(200, &serde_json::json!({ "servers": servers })))
}
