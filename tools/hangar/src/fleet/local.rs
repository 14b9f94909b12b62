//! `--local`: the local Step Functions endpoint (`local-stepfunctions`) started in this
//! process, with the fleet state machine created from `template.yaml`, then the same
//! AWS path as against Step Functions ([`super::aws`]) pointed at it. The stages talk to
//! the endpoints in `AWS_ENDPOINT_URL_GAMELIFT` / `AWS_ENDPOINT_URL`.

use std::path::{Path, PathBuf};

use hangar_fleet::{Clients, Fleet, FleetConfig};
use local_stepfunctions::{EngineOptions, LocalEngine};
use serde_json::Value;

use super::aws;
use super::cancel;
use super::error::FleetCliError;

/// The state machine's name on the local endpoint.
pub const STATE_MACHINE_NAME: &str = "hangar-fleet-replacement";

/// Overrides of every Wait state and Retry pause (milliseconds), for tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pauses {
    pub wait_ms: Option<u64>,
    pub retry_ms: Option<u64>,
}

/// An SDK client of Step Functions at `url`, the rest of its configuration from `sdk`.
pub fn sfn_client(sdk: &aws_config::SdkConfig, url: &str) -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::from_conf(
        aws_sdk_sfn::config::Builder::from(sdk)
            .endpoint_url(url)
            .build(),
    )
}

/// Starts the local endpoint on `sfn_port` (0: any free port) with the fleet state
/// machine and its stage functions, the stages' GameLift client `gamelift`, their other
/// clients from `sdk`, and the lock table `lock_table` (created when missing).
pub async fn start_engine(
    sdk: &aws_config::SdkConfig,
    gamelift: aws_sdk_gamelift::Client,
    lock_table: &str,
    sfn_port: u16,
    pauses: Pauses,
) -> Result<LocalEngine, FleetCliError> {
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    ensure_lock_table(&ddb, lock_table).await?;
    let config = FleetConfig {
        lock_table: lock_table.to_string(),
    };
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or_else(|| FleetCliError::Usage("no region: set --region or AWS_REGION".into()))?;
    let root =
        repo_root(&std::env::current_dir().map_err(|e| FleetCliError::Usage(e.to_string()))?)?;
    let options = EngineOptions {
        root,
        lambda_endpoint: None,
        region: region.clone(),
        wait_ms: pauses.wait_ms,
        retry_ms: pauses.retry_ms,
    };
    let clients = Clients {
        gamelift,
        dynamodb: ddb,
        sfn: aws_sdk_sfn::Client::new(sdk),
    };
    let mut fleet = Fleet::with_clients(&config, clients, Some(region))
        .map_err(|e| FleetCliError::Usage(e.to_string()))?;
    // The stages ask this endpoint whether an execution holding a lock still runs.
    let engine = LocalEngine::start(STATE_MACHINE_NAME, sfn_port, options, |url| {
        fleet.sfn = sfn_client(sdk, url);
        fleet
    })
    .await
    .map_err(|e| FleetCliError::Engine(e.to_string()))?;
    Ok(engine)
}

/// Runs `input` on a local endpoint started for this run, exactly as against AWS, except
/// that Ctrl-C cancels it at a safe point (the endpoint cannot outlive the command).
pub async fn replace(
    sdk: &aws_config::SdkConfig,
    lock_table: &str,
    input: &Value,
    pauses: Pauses,
) -> Result<u8, FleetCliError> {
    let gamelift = aws_sdk_gamelift::Client::new(sdk);
    let engine = start_engine(sdk, gamelift, lock_table, 0, pauses).await?;
    let sfn = sfn_client(sdk, &engine.sfn_endpoint_url());
    let target = aws::Target {
        sfn: &sfn,
        state_machine_arn: engine.state_machine_arn(),
        lock_table,
        region: sdk.region().map(|r| r.to_string()).unwrap_or_default(),
    };
    // The endpoint ends with this command: Ctrl-C cancels the replacement at a safe point
    // rather than detaching from it.
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let code = match aws::start_or_attach(&target, input).await {
        Ok(arn) => cancel::follow_cancelling_on_ctrl_c(&sfn, &ddb, lock_table, &arn).await,
        Err(e) => Err(e),
    };
    engine.shutdown().await;
    code
}

async fn ensure_lock_table(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(), FleetCliError> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    if ddb.describe_table().table_name(table).send().await.is_ok() {
        return Ok(());
    }
    let attr = AttributeDefinition::builder()
        .attribute_name("alias_id")
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| FleetCliError::Aws(e.to_string()))?;
    let key = KeySchemaElement::builder()
        .attribute_name("alias_id")
        .key_type(KeyType::Hash)
        .build()
        .map_err(|e| FleetCliError::Aws(e.to_string()))?;
    ddb.create_table()
        .table_name(table)
        .attribute_definitions(attr)
        .key_schema(key)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| {
            FleetCliError::Aws(format!(
                "cannot create lock table {table}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            ))
        })?;
    Ok(())
}

/// The repository root (holding `template.yaml` and the ASL runner), from `start` upwards.
pub fn repo_root(start: &Path) -> Result<PathBuf, FleetCliError> {
    let marker = local_stepfunctions::engine::RUNNER;
    start
        .ancestors()
        .find(|d| {
            d.join(marker).is_file() && d.join(local_stepfunctions::fleet::TEMPLATE).is_file()
        })
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            FleetCliError::Usage(format!(
                "--local runs from the Hangar repository: no {marker} above {}",
                start.display()
            ))
        })
}
