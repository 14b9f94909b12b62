//! The game-servers area in the local stack: its table, the allocation and listing
//! routes (the same handlers the Lambda functions run), and the ECS scaler run on a
//! schedule against the ECS lab (`tools/ecs-lab`: moto's ECS behind a front that starts
//! a simulated game server on loopback for every task), all configured through the
//! area's `from_vars` as the functions are. `GET /v1/gameservers/available` answers an
//! address once the scaler has started a server and probed it (two runs).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_types::SdkConfig;
use ecs_lab::{Contract, EcsLab, LabConfig, Launch, NewServers};
use hangar_gameservers::config::{self, Need, GROUP_VAR, TABLE_VAR};
use hangar_gameservers::{api, Clients, GameServers, TickOutcome};
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

/// How often the local scaler runs (the template schedules it every minute; locally
/// more often, so scaling can be watched).
pub const SCALER_EVERY: Duration = Duration::from_secs(5);

/// Slots of each simulated game server.
const SERVER_CAPACITY: u32 = 10;

/// The scaler's settings in the local stack: keep 5 to 25 slots free on 1 to 5 servers.
const SCALER_VARS: [(&str, &str); 5] = [
    ("SERVER_CAPACITY", "10"),
    ("UPSCALE_MARGIN", "5"),
    ("DOWNSCALE_MARGIN", "25"),
    ("MIN_TASKS", "1"),
    ("MAX_TASKS", "5"),
];

/// Starts the ECS lab on moto (cluster and task definition `<prefix>-gameservers`) and
/// the scaler on it; its servers speak `contract` (Hangar's `GET /capacity`, or the
/// seed-style `GET /health/`, which the scaler is then configured for). The task runs
/// the scaler every [`SCALER_EVERY`] and owns the lab: aborting it stops both.
pub async fn spawn_scaler(
    sdk: &SdkConfig,
    moto_url: &str,
    resources: &DevResources,
    prefix: &str,
    contract: Contract,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let Some(table) = resources.tables.get(AREA) else {
        return Err("no game-servers table".into());
    };
    let lab = EcsLab::start(LabConfig {
        moto_url: moto_url.to_string(),
        sdk: sdk.clone(),
        launch: Launch::Fargate,
        servers: NewServers {
            contract,
            ..NewServers::with_capacity(SERVER_CAPACITY)
        },
        cluster: format!("{prefix}-gameservers"),
        family: format!("{prefix}-gameserver"),
    })
    .await
    .map_err(|e| format!("the ECS lab did not start: {e}"))?;
    let mut vars = lab.scaler_vars();
    vars.insert(TABLE_VAR.into(), table.clone());
    vars.insert(GROUP_VAR.into(), GROUP.into());
    for (k, v) in SCALER_VARS {
        vars.insert(k.into(), v.into());
    }
    if contract == Contract::Health {
        vars.insert("PROBE_PROFILE".into(), "health".into());
    }
    let config = config::from_vars(&|name: &str| vars.get(name).cloned(), &[Need::Scaling])
        .map_err(|e| e.to_string())?;
    let scaler = GameServers::with_clients(config, Clients::new(&lab.sdk_config(sdk)))
        .map_err(|e| e.to_string())?;
    Ok(tokio::spawn(async move {
        let _lab = lab;
        let mut every = tokio::time::interval(SCALER_EVERY);
        loop {
            every.tick().await;
            match scaler.tick().await {
                Ok(TickOutcome::Done(r)) => {
                    tracing::debug!(servers = r.servers, launched = ?r.launched, stopped = ?r.stopped, standby = ?r.standby, "local scaler run")
                }
                Ok(TickOutcome::Skipped) => {}
                Err(e) => tracing::warn!(error = %e, "local scaler run failed; next run retries"),
            }
        }
    }))
}

/// `GET /v1/gameservers/available` and `GET /v1/gameservers` (player JWT), and
/// `GET /v1/operator/gameservers` (IAM).
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
    let operators = Arc::clone(&gameservers);
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
        Route::new(
            Method::GET,
            "/v1/operator/gameservers",
            Authorizer::Server,
            handler(move |req: Request| {
                let gs = Arc::clone(&operators);
                async move { Ok::<_, lambda_http::Error>(api::list(&gs, req).await) }
            }),
        ),
    ]
}
