//! The ECS game-server area in the local stack: its table and the allocation routes (the
//! same handlers the Lambda functions run). The scaler needs ECS tasks with reachable
//! game servers, which the local stack does not run; the integration tests drive it
//! against moto's ECS with simulated game servers (`tests/src/ecs.rs`).

use std::sync::Arc;

use aws_types::SdkConfig;
use hangar_scaler::AllocatorConfig;
use lambda_http::http::Method;
use lambda_http::Request;

use super::resource_names::DevResources;
use local_gateway::{handler, Authorizer, Route};

/// Key of the game-servers table in [`DevResources::tables`].
pub const AREA: &str = "gameservers";

/// Group the local routes read (what `GAMESERVER_GROUP` defaults to).
const GROUP: &str = "default";

/// Creates the game-servers table (schema from `hangar-scaler`, as template.yaml declares it).
pub async fn create_table(
    dynamodb: &aws_sdk_dynamodb::Client,
    prefix: &str,
) -> Result<String, String> {
    let name = format!("{prefix}-gameservers");
    match hangar_scaler::store::create_table(dynamodb, &name).await {
        Ok(()) => Ok(name),
        Err(e) if e.to_string().contains("ResourceInUseException") => Ok(name),
        Err(e) => Err(e.to_string()),
    }
}

/// `GET /v1/gameservers/available` and `GET /v1/gameservers`, player JWT.
pub fn routes(sdk: &SdkConfig, resources: &DevResources) -> Vec<Route> {
    let Some(table) = resources.tables.get(AREA) else {
        return Vec::new();
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let config = AllocatorConfig {
        table: table.clone(),
        group: GROUP.into(),
        strategy: hangar_scaler::decision::Strategy::Packing,
        backup_server: None,
        retry_after_seconds: 5,
        hold: std::time::Duration::from_secs(60),
    };
    let allocate = Arc::new(hangar_scaler::api::Allocation::new(
        config,
        dynamodb.clone(),
    ));
    let list = Arc::new(hangar_scaler::api::Listing {
        store: hangar_scaler::store::Store::new(dynamodb, table.clone(), GROUP),
    });
    vec![
        Route::new(
            Method::GET,
            "/v1/gameservers/available",
            Authorizer::Player,
            handler(move |req: Request| {
                let app = Arc::clone(&allocate);
                async move { Ok::<_, lambda_http::Error>(hangar_scaler::api::allocate(&app, req).await) }
            }),
        ),
        Route::new(
            Method::GET,
            "/v1/gameservers",
            Authorizer::Player,
            handler(move |req: Request| {
                let app = Arc::clone(&list);
                async move { Ok::<_, lambda_http::Error>(hangar_scaler::api::list(&app, req).await) }
            }),
        ),
    ]
}
