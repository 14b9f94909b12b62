//! The game-servers area in the local stack: its table and the allocation routes (the
//! same handlers the Lambda functions run), configured through the area's `from_vars`
//! as the functions are.

use std::collections::HashMap;
use std::sync::Arc;

use aws_types::SdkConfig;
use hangar_gameservers::config::{self, GROUP_VAR, TABLE_VAR};
use hangar_gameservers::{api, GameServers};
use lambda_http::http::Method;
use lambda_http::Request;

use super::resource_names::DevResources;
use local_gateway::{handler, Authorizer, Route};

/// Key of the game-servers table in [`DevResources::tables`].
pub const AREA: &str = "gameservers";

/// Group the local routes read (what `GAMESERVER_GROUP` defaults to).
const GROUP: &str = "default";

/// Creates the game-servers table (schema from `hangar-gameservers`, as template.yaml
/// declares it); an existing table of that name is kept.
pub async fn create_table(
    dynamodb: &aws_sdk_dynamodb::Client,
    prefix: &str,
) -> Result<String, String> {
    let name = format!("{prefix}-gameservers");
    hangar_gameservers::store::create_table(dynamodb, &name)
        .await
        .map_err(|e| e.to_string())?;
    Ok(name)
}

/// `GET /v1/gameservers/available` and `GET /v1/gameservers`, player JWT.
pub fn routes(sdk: &SdkConfig, resources: &DevResources) -> Vec<Route> {
    let Some(table) = resources.tables.get(AREA) else {
        return Vec::new();
    };
    let vars = HashMap::from([(TABLE_VAR, table.clone()), (GROUP_VAR, GROUP.to_string())]);
    let built = config::from_vars(&|name: &str| vars.get(name).cloned(), &[])
        .map_err(|e| e.to_string())
        .and_then(|c| GameServers::new(c, sdk).map_err(|e| e.to_string()));
    let gameservers = match built {
        Ok(g) => Arc::new(g),
        Err(e) => {
            tracing::error!(error = %e, "game-server routes not served");
            return Vec::new();
        }
    };
    let list = Arc::clone(&gameservers);
    vec![
        Route::new(
            Method::GET,
            "/v1/gameservers/available",
            Authorizer::Player,
            handler(move |req: Request| {
                let gs = Arc::clone(&gameservers);
                async move { Ok::<_, lambda_http::Error>(api::allocate(&gs, req).await) }
            }),
        ),
        Route::new(
            Method::GET,
            "/v1/gameservers",
            Authorizer::Player,
            handler(move |req: Request| {
                let gs = Arc::clone(&list);
                async move { Ok::<_, lambda_http::Error>(api::list(&gs, req).await) }
            }),
        ),
    ]
}
