//! The endpoint: AWS Step Functions' JSON 1.0 protocol on loopback (`POST /` with
//! `X-Amz-Target: AWSStepFunctions.<Operation>`), for any SDK or CLI pointed at it with
//! `AWS_ENDPOINT_URL_SFN`, plus the same operations in-process and [`LocalExecution`],
//! an in-process follower of one execution's engine events.
//!
//! Who may call it: anyone who can reach the loopback address (it refuses any other
//! bind address); requests are not authenticated, as on the GameLift emulator.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::engine::EngineOptions;
use crate::error::SfnError;
use crate::executions;
use crate::history::EngineEvent;
use crate::state_machines;
use crate::store::{Control, Status, Store};

const JSON_1_0: &str = "application/x-amz-json-1.0";
const TARGET_PREFIX: &str = "AWSStepFunctions.";

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the local Step Functions endpoint must listen on a loopback address, not {0}")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running endpoint; stops on [`LocalStepFunctions::shutdown`] or when dropped.
pub struct LocalStepFunctions {
    store: Arc<Store>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Runs one operation on the store, as the HTTP front does.
pub async fn call(store: &Arc<Store>, operation: &str, input: &Value) -> Result<Value, SfnError> {
    match operation {
        "CreateStateMachine" => state_machines::create(store, input).await,
        "StartExecution" => executions::start(store, input).await,
        "DescribeExecution" => executions::describe(store, input),
        "GetExecutionHistory" => executions::history(store, input),
        "StopExecution" => executions::stop(store, input).await,
        "ListExecutions" => executions::list(store, input),
        other => Err(SfnError::new(
            "UnknownOperationException",
            format!("the local Step Functions endpoint does not implement {other}"),
        )),
    }
}

fn error_response(e: &SfnError) -> Response {
    let mut r = (
        StatusCode::BAD_REQUEST,
        [("content-type", JSON_1_0)],
        json!({"__type": e.code, "message": e.message}).to_string(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(e.code) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

async fn handle(State(store): State<Arc<Store>>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(operation) = target.strip_prefix(TARGET_PREFIX) else {
        return error_response(&SfnError::new(
            "UnknownOperationException",
            format!("unknown X-Amz-Target {target:?}; expected {TARGET_PREFIX}<Operation>"),
        ));
    };
    let input: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error_response(&SfnError::new(
                    "SerializationException",
                    format!("the body is not JSON: {e}"),
                ))
            }
        }
    };
    match call(&store, operation, &input).await {
        Ok(out) => (
            StatusCode::OK,
            [("content-type", JSON_1_0)],
            out.to_string(),
        )
            .into_response(),
        Err(e) => {
            tracing::debug!(operation, code = e.code, "{}", e.message);
            error_response(&e)
        }
    }
}

impl LocalStepFunctions {
    /// Starts the endpoint on `addr` (loopback only; port 0 picks a free port).
    pub async fn serve(
        addr: SocketAddr,
        options: EngineOptions,
    ) -> Result<LocalStepFunctions, ServeError> {
        if !addr.ip().is_loopback() {
            return Err(ServeError::NotLoopback(addr));
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr, source })?;
        let store = Store::new(options);
        let app = Router::new()
            .route("/", post(handle))
            .with_state(store.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "local Step Functions endpoint stopped");
            }
        });
        Ok(LocalStepFunctions {
            store,
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SFN`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Lambda endpoint executions' Task states call from now on.
    pub fn set_lambda_endpoint(&self, url: String) {
        self.store.set_lambda_endpoint(url);
    }

    /// One operation in-process (`"StartExecution"`, `{...}`), answered as over HTTP.
    pub async fn call(&self, operation: &str, input: &Value) -> Result<Value, SfnError> {
        call(&self.store, operation, input).await
    }

    /// Follows the engine events of execution `arn` from its first event.
    pub fn follow(&self, arn: &str) -> Result<LocalExecution, SfnError> {
        let watch = self
            .store
            .lock()
            .execution(arn)
            .map(|e| e.watch())
            .ok_or_else(|| {
                SfnError::new(
                    "ExecutionDoesNotExist",
                    format!("Execution Does Not Exist: '{arn}'"),
                )
            })?;
        Ok(LocalExecution {
            store: self.store.clone(),
            arn: arn.to_string(),
            next: 0,
            watch,
        })
    }

    pub async fn shutdown(mut self) {
        self.stop_executions();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn stop_executions(&self) {
        for e in self.store.lock().executions() {
            if e.status == Status::Running {
                let _ = e.control.send(Control::Kill);
            }
        }
    }
}

impl Drop for LocalStepFunctions {
    fn drop(&mut self) {
        self.stop_executions();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded(Value),
    Failed { error: String, cause: String },
}

/// An in-process follower of one execution: its engine events as they happen.
pub struct LocalExecution {
    store: Arc<Store>,
    arn: String,
    next: usize,
    watch: watch::Receiver<u64>,
}

impl LocalExecution {
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The next engine event, or `None` once the execution has ended and every event
    /// has been read.
    pub async fn next_event(&mut self) -> Option<EngineEvent> {
        loop {
            {
                let locked = self.store.lock();
                let e = locked.execution(&self.arn)?;
                if let Some(event) = e.events.get(self.next) {
                    self.next += 1;
                    return Some(event.clone());
                }
                if e.status != Status::Running {
                    return None;
                }
            }
            if self.watch.changed().await.is_err() {
                return None;
            }
        }
    }

    /// Ends the execution's engine abruptly, as a crash would: the execution fails
    /// with `States.Runtime` and nothing after (no rollback, no lock release) runs.
    pub async fn kill(mut self) {
        let sent = self
            .store
            .lock()
            .execution(&self.arn)
            .map(|e| e.control.send(Control::Kill).is_ok())
            .unwrap_or(false);
        if sent {
            while self.next_event().await.is_some() {}
        }
    }

    /// Reads events until the execution ends; `on_event` sees each one.
    pub async fn finish(mut self, mut on_event: impl FnMut(&EngineEvent)) -> Outcome {
        while let Some(event) = self.next_event().await {
            on_event(&event);
        }
        let locked = self.store.lock();
        match locked.execution(&self.arn) {
            Some(e) if e.status == Status::Succeeded => Outcome::Succeeded(
                e.output
                    .as_deref()
                    .and_then(|o| serde_json::from_str(o).ok())
                    .unwrap_or(Value::Null),
            ),
            Some(e) => Outcome::Failed {
                error: e
                    .error
                    .clone()
                    .unwrap_or_else(|| format!("States.{}", e.status.as_str())),
                cause: e.cause.clone().unwrap_or_default(),
            },
            None => Outcome::Failed {
                error: "States.Runtime".into(),
                cause: "the execution is gone".into(),
            },
        }
    }
}
