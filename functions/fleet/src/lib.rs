//! The one `main` every fleet-replacement stage function runs (`src/bin/<stage>.rs` is
//! only a call to it): start tracing, read the configuration (`FLEET_LOCK_TABLE`), build
//! the SDK configuration once and the [`Fleet`] state, then serve the stage with
//! `hangar_fleet::api::run`.

use hangar_fleet::{api, Fleet, FleetConfig, Stage};
use hangar_lambda::config::Env;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

pub use lambda_runtime::Error;

/// `main` of the stage function `stage`.
pub fn main(stage: Stage) -> Result<(), Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(stage))
}

async fn serve(stage: Stage) -> Result<(), Error> {
    hangar_lambda::init_tracing();
    let config = FleetConfig::from_vars(&Env)?;
    let sdk = hangar_aws::sdk_config().await;
    let fleet = Fleet::new(&config, &sdk)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        api::run(&fleet, stage, event.payload)
    }))
    .await
}
