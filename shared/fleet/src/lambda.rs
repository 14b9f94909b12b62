//! Start-up of a stage function: logging, configuration from the environment (read and
//! checked once, errors naming the variable), SDK clients, then the Lambda runtime.

use std::sync::Arc;

use hangar_lambda::config::required_env;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use crate::stages::{Deps, Stage};

pub use lambda_runtime::Error;

/// The environment variable naming the lock table.
pub const LOCK_TABLE_VAR: &str = "LOCK_TABLE";

impl Deps {
    /// Clients from `hangar_aws::sdk_config` (so `AWS_ENDPOINT_URL_GAMELIFT` /
    /// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` select local endpoints) and the
    /// lock table from `LOCK_TABLE`.
    pub async fn from_env() -> Result<Deps, Error> {
        let lock_table = required_env(LOCK_TABLE_VAR)?;
        let sdk = hangar_aws::sdk_config().await;
        Deps::from_sdk_config(&sdk, lock_table)
    }

    pub fn from_sdk_config(sdk: &aws_config::SdkConfig, lock_table: String) -> Result<Deps, Error> {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or("AWS_REGION is not set; the stages need the region")?;
        Ok(Deps {
            gamelift: aws_sdk_gamelift::Client::new(sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            lock_table,
            region,
        })
    }
}

/// Why a stage function stopped; printed as its message (`main` shows errors with `Debug`).
pub struct Stopped(String);

impl std::fmt::Debug for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `main` of a stage function.
pub fn main(stage: Stage) -> Result<(), Stopped> {
    let stopped = |e: Error| Stopped(format!("{}: {e}", stage.function_name()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| stopped(e.into()))?;
    runtime.block_on(serve(stage)).map_err(stopped)
}

async fn serve(stage: Stage) -> Result<(), Error> {
    hangar_lambda::init_tracing();
    let deps = Arc::new(Deps::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let deps = deps.clone();
        async move { stage.run(&deps, event.payload).await }
    }))
    .await
}
