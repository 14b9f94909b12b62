//! One execution's engine: `node statemachines/local/run.mjs`, fed the definition, the
//! input and the context object on stdin, printing its event log on stdout. Stopped by
//! an `abort` line (as StopExecution) or killed (as a crash would).

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::history::EngineEvent;

/// The Node runner, relative to the repository root.
pub const RUNNER: &str = "statemachines/local/run.mjs";

/// How executions run: where the runner is, which Lambda endpoint Task states call, and
/// optional overrides of every Wait state and Retry pause (milliseconds).
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// The repository root (holding the runner and `node_modules`).
    pub root: PathBuf,
    /// `AWS_ENDPOINT_URL_LAMBDA` of the engine; `None` leaves the engine's environment alone.
    pub lambda_endpoint: Option<String>,
    pub region: String,
    pub wait_ms: Option<u64>,
    pub retry_ms: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the ASL engine (node {runner}): {source}")]
    Spawn {
        runner: String,
        source: std::io::Error,
    },
    #[error("ASL engine I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("the ASL engine printed something that is not an event: {0}")]
    BadEvent(String),
}

/// A running engine: its events as it prints them, its stdin for `abort`.
pub struct Engine {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
}

fn command(options: &EngineOptions) -> Command {
    let mut cmd = Command::new("node");
    cmd.current_dir(&options.root)
        .arg(options.root.join(RUNNER))
        .env("AWS_REGION", &options.region)
        .env("NODE_NO_WARNINGS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(url) = &options.lambda_endpoint {
        cmd.env("AWS_ENDPOINT_URL_LAMBDA", url);
    }
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
    cmd
}

impl Engine {
    /// Starts the engine on `job` (`{"definition", "input", "context"}` or
    /// `{"definition", "validate": true}`).
    pub async fn spawn(options: &EngineOptions, job: &Value) -> Result<Engine, EngineError> {
        let mut child = command(options)
            .spawn()
            .map_err(|source| EngineError::Spawn {
                runner: options.root.join(RUNNER).display().to_string(),
                source,
            })?;
        let mut stdin = child.stdin.take();
        if let Some(stdin) = stdin.as_mut() {
            stdin.write_all(format!("{job}\n").as_bytes()).await?;
            stdin.flush().await?;
        }
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| EngineError::Io(std::io::Error::other("the engine has no stdout")))?;
        Ok(Engine {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        })
    }

    /// The next event, or `None` once the engine has closed its stdout.
    pub async fn next_event(&mut self) -> Result<Option<EngineEvent>, EngineError> {
        match self.lines.next_line().await? {
            None => Ok(None),
            Some(line) => serde_json::from_str(&line)
                .map(Some)
                .map_err(|_| EngineError::BadEvent(line)),
        }
    }

    /// Asks the engine to abort the execution (it then prints ExecutionAborted).
    pub async fn abort(&mut self) -> Result<(), EngineError> {
        if let Some(stdin) = self.stdin.as_mut() {
            stdin.write_all(b"abort\n").await?;
            stdin.flush().await?;
        }
        Ok(())
    }

    /// Ends the engine at once.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// How the engine process ended.
    pub async fn exit_status(&mut self) -> String {
        match self.child.wait().await {
            Ok(status) => status.to_string(),
            Err(e) => format!("unknown: {e}"),
        }
    }
}

/// Checks a definition with the engine's own validator; `Err` carries its message.
pub async fn validate(options: &EngineOptions, definition: &Value) -> Result<(), String> {
    let job = json!({"definition": definition, "validate": true});
    let mut engine = Engine::spawn(options, &job)
        .await
        .map_err(|e| e.to_string())?;
    let answer = engine.next_event().await;
    let _ = engine.exit_status().await;
    match answer {
        Ok(Some(e)) if e.kind == "Valid" => Ok(()),
        Ok(Some(e)) => Err(e
            .cause_text()
            .or_else(|| e.error.clone())
            .unwrap_or_else(|| "the definition is not valid".into())),
        Ok(None) => Err("the ASL engine stopped without an answer".into()),
        Err(e) => Err(e.to_string()),
    }
}
