//! Local execution of the fleet-replacement state machine: the same ASL file the
//! template deploys, run by a real ASL engine (`aws-local-stepfunctions`, through
//! `statemachines/local/run.mjs` under Node), whose Task states invoke the stage
//! functions over Lambda's Invoke API served by `local-lambda` on loopback.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use hangar_fleet::{api, Fleet, Stage};

/// The definition file, relative to the repository root.
pub const DEFINITION: &str = "statemachines/fleet-replacement.asl.json";
/// The Node runner, relative to the repository root.
pub const RUNNER: &str = "statemachines/local/run.mjs";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("local Lambda service: {0}")]
    Lambda(#[from] local_lambda::ServeError),
    #[error("cannot start the ASL engine (node {runner}): {source}")]
    Spawn {
        runner: String,
        source: std::io::Error,
    },
    #[error("ASL engine I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("the ASL engine printed something that is not an event: {0}")]
    BadEvent(String),
    #[error("the ASL engine stopped without finishing the execution (exit status {0})")]
    Stopped(String),
}

/// One event of the engine's execution log.
#[derive(Debug, Clone, Deserialize)]
pub struct EngineEvent {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub state: Option<EventState>,
    #[serde(rename = "Error", default)]
    pub error: Option<String>,
    #[serde(rename = "Cause", default)]
    pub cause: Option<Value>,
    #[serde(default)]
    pub output: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventState {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub output: Option<Value>,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded(Value),
    Failed { error: String, cause: String },
}

/// Options of one local run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides every Wait state's duration (milliseconds); `None` waits as the input says.
    pub wait_ms: Option<u64>,
    /// Overrides every Retry pause (milliseconds).
    pub retry_ms: Option<u64>,
}

/// The stage functions served on loopback plus the engine that runs the definition.
pub struct LocalEngine {
    lambda: local_lambda::LocalLambda,
    root: PathBuf,
    region: String,
}

/// The local Lambda registry of every stage, each running `hangar_fleet::api::run` with `fleet`.
pub fn registry(fleet: Fleet) -> local_lambda::Registry {
    let mut registry = local_lambda::Registry::new();
    for stage in Stage::ALL {
        let fleet = fleet.clone();
        registry.register(stage.function_name(), move |input: Value| {
            let fleet = fleet.clone();
            async move { api::run(&fleet, stage, input).await }
        });
    }
    registry
}

/// `DefinitionSubstitutions` for local runs: each stage's ARN in `region`.
pub fn substitutions(region: &str) -> BTreeMap<String, String> {
    Stage::ALL
        .iter()
        .map(|s| {
            (
                s.substitution_key(),
                format!(
                    "arn:aws:lambda:{region}:000000000000:function:{}",
                    s.function_name()
                ),
            )
        })
        .collect()
}

impl LocalEngine {
    /// Serves the stages with `fleet` on a free loopback port. `root` is the repository
    /// root (holding the definition, the runner and `node_modules`).
    pub async fn start(fleet: Fleet, root: &Path) -> Result<LocalEngine, EngineError> {
        let region = fleet.region.clone();
        let loopback = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
        let lambda = local_lambda::serve(registry(fleet), loopback).await?;
        Ok(LocalEngine {
            lambda,
            root: root.to_path_buf(),
            region,
        })
    }

    pub fn lambda_endpoint(&self) -> String {
        self.lambda.endpoint_url()
    }

    /// Starts one execution with `input`.
    pub async fn start_execution(
        &self,
        input: &Value,
        options: &RunOptions,
    ) -> Result<LocalExecution, EngineError> {
        let runner = self.root.join(RUNNER);
        let substitutions = serde_json::to_string(&substitutions(&self.region)).unwrap_or_default();
        let mut cmd = Command::new("node");
        cmd.current_dir(&self.root)
            .arg(&runner)
            .arg("--definition")
            .arg(self.root.join(DEFINITION))
            .arg("--substitutions")
            .arg(substitutions)
            .env("AWS_ENDPOINT_URL_LAMBDA", self.lambda.endpoint_url())
            .env("AWS_REGION", &self.region)
            .env("NODE_NO_WARNINGS", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            // The local Lambda service does not check signatures; the SDK still wants keys.
            cmd.env("AWS_ACCESS_KEY_ID", "local")
                .env("AWS_SECRET_ACCESS_KEY", "local");
        }
        if let Some(ms) = options.wait_ms {
            cmd.arg("--wait-ms").arg(ms.to_string());
        }
        if let Some(ms) = options.retry_ms {
            cmd.arg("--retry-ms").arg(ms.to_string());
        }
        let mut child = cmd.spawn().map_err(|source| EngineError::Spawn {
            runner: runner.display().to_string(),
            source,
        })?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input.to_string().as_bytes()).await?;
            stdin.shutdown().await?;
        }
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| EngineError::Stopped("no stdout".into()))?;
        Ok(LocalExecution {
            child,
            lines: BufReader::new(stdout).lines(),
        })
    }

    pub async fn shutdown(self) {
        self.lambda.shutdown().await;
    }
}

/// A running local execution: its events as they happen.
pub struct LocalExecution {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl LocalExecution {
    /// The next event, or `None` once the engine has exited.
    pub async fn next_event(&mut self) -> Result<Option<EngineEvent>, EngineError> {
        match self.lines.next_line().await? {
            None => Ok(None),
            Some(line) => serde_json::from_str(&line)
                .map(Some)
                .map_err(|_| EngineError::BadEvent(line)),
        }
    }

    /// Stops the engine abruptly, as a crash would.
    pub async fn kill(mut self) -> Result<(), EngineError> {
        self.child.kill().await?;
        Ok(())
    }

    /// Reads events until the execution ends; `on_event` sees each one.
    pub async fn finish(
        mut self,
        mut on_event: impl FnMut(&EngineEvent),
    ) -> Result<Outcome, EngineError> {
        while let Some(event) = self.next_event().await? {
            on_event(&event);
            match event.kind.as_str() {
                "ExecutionSucceeded" => {
                    return Ok(Outcome::Succeeded(event.output.unwrap_or(Value::Null)))
                }
                "ExecutionFailed" => {
                    let cause = match event.cause {
                        Some(Value::String(s)) => s,
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    return Ok(Outcome::Failed {
                        error: event.error.unwrap_or_default(),
                        cause,
                    });
                }
                _ => {}
            }
        }
        let status = self.child.wait().await?;
        Err(EngineError::Stopped(status.to_string()))
    }
}
