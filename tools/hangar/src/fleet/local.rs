//! `--local`: the replacement run by the local ASL engine against the local stack.

use std::path::{Path, PathBuf};

use hangar_fleet::{Fleet, FleetConfig};
use local_stepfunctions::{EngineEvent, LocalEngine, RunOptions};
use serde_json::Value;

use super::view::{Update, View};
use super::FleetCliError;

/// Runs `input` with the local engine; `options` may shorten Wait states (tests).
pub async fn replace(
    sdk: &aws_config::SdkConfig,
    lock_table: &str,
    input: &Value,
    options: &RunOptions,
) -> Result<u8, FleetCliError> {
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    ensure_lock_table(&ddb, lock_table).await?;
    let config = FleetConfig {
        lock_table: lock_table.to_string(),
    };
    let fleet = Fleet::new(&config, sdk).map_err(|e| FleetCliError::Usage(e.to_string()))?;
    let root =
        repo_root(&std::env::current_dir().map_err(|e| FleetCliError::Usage(e.to_string()))?)?;
    let engine = LocalEngine::start(fleet, &root)
        .await
        .map_err(|e| FleetCliError::Engine(e.to_string()))?;
    let mut execution = engine
        .start_execution(input, options)
        .await
        .map_err(|e| FleetCliError::Engine(e.to_string()))?;
    let mut view = View::new();
    let code = loop {
        match execution
            .next_event()
            .await
            .map_err(|e| FleetCliError::Engine(e.to_string()))?
        {
            Some(event) => {
                if let Some(code) = update_of(&event).and_then(|u| view.show(&u)) {
                    break code;
                }
            }
            None => {
                return Err(FleetCliError::Engine(
                    "the engine stopped before the execution ended".into(),
                ))
            }
        }
    };
    engine.shutdown().await;
    Ok(code)
}

/// An engine event as a progress update.
pub fn update_of(event: &EngineEvent) -> Option<Update> {
    let name = || event.state.as_ref().map(|s| s.name.clone());
    match event.kind.as_str() {
        "StateEntered" => name().map(Update::Entered),
        "StateExited" => {
            name().map(|n| Update::Exited(n, event.state.as_ref().and_then(|s| s.output.clone())))
        }
        "StateRetried" => name().map(Update::Retried),
        "ExecutionSucceeded" => Some(Update::Succeeded(
            event.output.clone().unwrap_or(Value::Null),
        )),
        "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimeout" => Some(Update::Failed {
            error: event.error.clone().unwrap_or_else(|| event.kind.clone()),
            cause: match &event.cause {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            },
        }),
        _ => None,
    }
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

/// The repository root (holding the state machine definition), from `start` upwards.
pub fn repo_root(start: &Path) -> Result<PathBuf, FleetCliError> {
    start
        .ancestors()
        .find(|d| d.join(local_stepfunctions::DEFINITION).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            FleetCliError::Usage(format!(
                "--local runs from the Hangar repository: no {} above {}",
                local_stepfunctions::DEFINITION,
                start.display()
            ))
        })
}
