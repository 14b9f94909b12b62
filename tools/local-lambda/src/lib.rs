//! A local AWS Lambda service for tests and local runs.
//!
//! It speaks Lambda's Invoke REST API (`POST /2015-03-31/functions/{name}/invocations`)
//! on a loopback address, so a real Lambda client (the AWS SDKs, the Step Functions
//! engine's client, the AWS CLI) reaches in-process Rust handlers over a real
//! connection when pointed at it with `AWS_ENDPOINT_URL_LAMBDA`.
//!
//! - Functions are registered by name: `name -> async fn(serde_json::Value) -> Result<Value, E>`
//!   with `E: Into<lambda_runtime::Diagnostic>` (the same error mapping the Lambda runtime uses).
//! - `{name}` may be a name, `name:qualifier`, or a function ARN (with or without a
//!   qualifier); the `Qualifier` query parameter is honoured too. A handler registered
//!   as `name:qualifier` serves only that qualifier; one registered as `name` serves all.
//! - `X-Amz-Invocation-Type`: `RequestResponse` (default), `Event` (202, run in the
//!   background) or `DryRun` (204).
//! - A handler error answers 200 with `X-Amz-Function-Error: Unhandled` and the body
//!   `{"errorType", "errorMessage"}`, as Lambda does; a panic is reported the same way.
//! - Unknown function: 404 `ResourceNotFoundException`; a body that is not JSON: 400
//!   `InvalidRequestContentException`.
//!
//! ```no_run
//! # async fn run() -> Result<(), local_lambda::ServeError> {
//! let mut registry = local_lambda::Registry::new();
//! registry.register("echo", |v: serde_json::Value| async move { Ok::<_, lambda_runtime::Diagnostic>(v) });
//! let server = local_lambda::serve(registry, "127.0.0.1:0".parse().unwrap()).await?;
//! std::env::set_var("AWS_ENDPOINT_URL_LAMBDA", server.endpoint_url());
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use lambda_runtime::Diagnostic;
use serde_json::{json, Value};

type BoxFuture = Pin<Box<dyn Future<Output = Result<Value, Diagnostic>> + Send>>;
type Handler = Arc<dyn Fn(Value) -> BoxFuture + Send + Sync>;

/// Handlers by function name (or `name:qualifier`).
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` as function `name` (any qualifier) or `name:qualifier`.
    pub fn register<F, Fut, E>(&mut self, name: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, E>> + Send + 'static,
        E: Into<Diagnostic> + 'static,
    {
        let handler = Arc::new(handler);
        self.handlers.insert(
            name.into(),
            Arc::new(move |event| {
                let fut = handler(event);
                Box::pin(async move { fut.await.map_err(Into::into) })
            }),
        );
        self
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }

    fn find(&self, name: &str, qualifier: Option<&str>) -> Option<&Handler> {
        qualifier
            .and_then(|q| self.handlers.get(&format!("{name}:{q}")))
            .or_else(|| self.handlers.get(name))
    }
}

/// Splits a function reference into name and qualifier: `name`, `name:qualifier`,
/// `arn:aws:lambda:region:account:function:name[:qualifier]`.
pub fn parse_function_ref(reference: &str) -> (String, Option<String>) {
    let rest = match reference.split_once(":function:") {
        Some((_, rest)) if reference.starts_with("arn:") => rest,
        _ => reference,
    };
    match rest.split_once(':') {
        Some((name, qualifier)) => (name.to_string(), Some(qualifier.to_string())),
        None => (rest.to_string(), None),
    }
}

/// A running local Lambda service; stops when dropped or on [`LocalLambda::shutdown`].
pub struct LocalLambda {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl LocalLambda {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_LAMBDA`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LocalLambda {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("local Lambda must listen on a loopback address, not {0}")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Starts the service on `addr` (loopback only; port 0 picks a free port).
pub async fn serve(registry: Registry, addr: SocketAddr) -> Result<LocalLambda, ServeError> {
    if !addr.ip().is_loopback() {
        return Err(ServeError::NotLoopback(addr));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let app = Router::new()
        .route("/2015-03-31/functions/{function}/invocations", post(invoke))
        .with_state(Arc::new(registry));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "local Lambda service stopped");
        }
    });
    Ok(LocalLambda {
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

fn aws_error(status: StatusCode, kind: &str, message: String) -> Response {
    let mut response = (
        status,
        axum::Json(json!({"Type": "User", "message": message})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(kind) {
        response.headers_mut().insert("x-amzn-errortype", v);
    }
    response
}

async fn invoke(
    State(registry): State<Arc<Registry>>,
    Path(function): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (name, arn_qualifier) = parse_function_ref(&function);
    let qualifier = query.get("Qualifier").cloned().or(arn_qualifier);
    let Some(handler) = registry.find(&name, qualifier.as_deref()).cloned() else {
        let shown = qualifier.map(|q| format!("{name}:{q}")).unwrap_or(name);
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("Function not found: {shown}"),
        );
    };
    let event: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return aws_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    format!("Could not parse request body into json: {e}"),
                )
            }
        }
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let invocation_type = headers
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse");
    match invocation_type {
        "DryRun" => return with_ids(StatusCode::NO_CONTENT.into_response(), &request_id),
        "Event" => {
            tokio::spawn(async move {
                if let Err(e) = handler(event).await {
                    tracing::warn!(function = %name, error_type = %e.error_type, "asynchronous invocation failed: {}", e.error_message);
                }
            });
            return with_ids(StatusCode::ACCEPTED.into_response(), &request_id);
        }
        "RequestResponse" => {}
        other => {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                format!("Unsupported X-Amz-Invocation-Type {other}"),
            )
        }
    }
    // A panicking handler must not take the service down: run it as its own task.
    let outcome = match tokio::spawn(handler(event)).await {
        Ok(result) => result,
        Err(join) => Err(Diagnostic {
            error_type: "Runtime.Panic".into(),
            error_message: join.to_string(),
        }),
    };
    let response = match outcome {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(d) => {
            tracing::debug!(function = %name, error_type = %d.error_type, "function error: {}", d.error_message);
            let mut r = (
                StatusCode::OK,
                axum::Json(json!({"errorType": d.error_type, "errorMessage": d.error_message})),
            )
                .into_response();
            r.headers_mut().insert(
                "x-amz-function-error",
                HeaderValue::from_static("Unhandled"),
            );
            r
        }
    };
    with_ids(response, &request_id)
}

fn with_ids(mut response: Response, request_id: &str) -> Response {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    h.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    response
}

#[cfg(test)]
mod invoke_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_references_split_into_name_and_qualifier() {
        assert_eq!(
            parse_function_ref("fleet-validate"),
            ("fleet-validate".into(), None)
        );
        assert_eq!(
            parse_function_ref("fleet-validate:live"),
            ("fleet-validate".into(), Some("live".into()))
        );
        assert_eq!(
            parse_function_ref("arn:aws:lambda:us-east-1:123456789012:function:fleet-validate"),
            ("fleet-validate".into(), None)
        );
        assert_eq!(
            parse_function_ref(
                "arn:aws:lambda:us-east-1:123456789012:function:fleet-validate:$LATEST"
            ),
            ("fleet-validate".into(), Some("$LATEST".into()))
        );
    }
}
