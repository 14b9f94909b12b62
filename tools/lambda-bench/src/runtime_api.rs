//! The Lambda Runtime API (2018-06-01) on loopback, serving the event a fixed number of
//! times (once for a cold start): each of the first `count` `GET /runtime/invocation/next`
//! gets it under a new request id, every later one is held open (the function is idle,
//! as it would be between invocations). Every call the function makes is reported,
//! timed, on a channel.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the function did, in the order it did it.
#[derive(Debug)]
pub enum ApiEvent {
    /// A `GET .../invocation/next` arrived (`count` = 1 for the first).
    Next { at: Instant, count: u32 },
    /// The event of the first `/next` left the handler (just before it is written).
    Served { at: Instant },
    /// `POST .../invocation/{id}/response`, body fully received.
    Response { at: Instant, body: Bytes },
    /// `POST .../invocation/{id}/error`.
    Error {
        at: Instant,
        error_type: Option<String>,
        body: Bytes,
    },
    /// `POST .../init/error`.
    InitError {
        error_type: Option<String>,
        body: Bytes,
    },
}

/// The invocation served to the function.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub event: Bytes,
    /// The first invocation's request id (later ones get fresh ones).
    pub request_id: String,
    /// How many invocations to serve.
    pub count: u32,
    pub function_arn: String,
    pub timeout: Duration,
}

impl Invocation {
    pub fn new(function_name: &str, region: &str, event: Bytes, timeout: Duration) -> Invocation {
        Invocation {
            event,
            request_id: uuid::Uuid::new_v4().to_string(),
            count: 1,
            function_arn: format!("arn:aws:lambda:{region}:123456789012:function:{function_name}"),
            timeout,
        }
    }
}

impl Shared {
    /// The request id of the `count`-th invocation, remembered as issued.
    fn issue(&self, count: u32) -> String {
        let id = if count == 1 {
            self.invocation.request_id.clone()
        } else {
            uuid::Uuid::new_v4().to_string()
        };
        self.issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(id.clone());
        id
    }

    /// Whether `id` is the request id of one of the invocations served.
    fn issued(&self, id: &str) -> bool {
        self.issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|i| i == id)
    }
}

struct Shared {
    issued: std::sync::Mutex<Vec<String>>,
    invocation: Invocation,
    nexts: AtomicU32,
    events: mpsc::UnboundedSender<ApiEvent>,
}

pub struct RuntimeApi {
    port: u16,
    task: JoinHandle<()>,
}

impl RuntimeApi {
    /// Binds 127.0.0.1:0 and serves until dropped.
    pub async fn start(
        invocation: Invocation,
    ) -> std::io::Result<(RuntimeApi, mpsc::UnboundedReceiver<ApiEvent>)> {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            issued: std::sync::Mutex::default(),
            invocation,
            nexts: AtomicU32::new(0),
            events: tx,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok((RuntimeApi { port, task }, rx))
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn next(State(s): State<Arc<Shared>>) -> Response {
    let at = Instant::now();
    let count = s.nexts.fetch_add(1, Ordering::SeqCst) + 1;
    let _ = s.events.send(ApiEvent::Next { at, count });
    let inv = &s.invocation;
    if count > inv.count {
        // idle: the invocations are done; hold the request until the process ends
        std::future::pending::<()>().await;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let deadline_ms = (now + inv.timeout).as_millis();
    let mut headers = HeaderMap::new();
    let header = |v: String| HeaderValue::from_str(&v).ok();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", header(s.issue(count))),
        (
            "lambda-runtime-deadline-ms",
            header(deadline_ms.to_string()),
        ),
        (
            "lambda-runtime-invoked-function-arn",
            header(inv.function_arn.clone()),
        ),
        ("lambda-runtime-trace-id", header(trace_id(now))),
        ("content-type", header("application/json".into())),
    ] {
        if let Some(value) = value {
            headers.insert(name, value);
        }
    }
    let _ = s.events.send(ApiEvent::Served { at: Instant::now() });
    (StatusCode::OK, headers, inv.event.clone()).into_response()
}

/// An X-Ray trace header in the format Lambda passes (`Root=1-<epoch hex>-<96 bits>`).
fn trace_id(now: Duration) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        now.as_secs(),
        &id[..24],
        &id[16..32]
    )
}

fn unknown_request(id: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"errorMessage": format!("Invalid request ID: {id}"), "errorType": "InvalidRequestID"})),
    )
        .into_response()
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, Json(json!({"status": "OK"}))).into_response()
}

fn error_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn response(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    let at = Instant::now();
    if !s.issued(&id) {
        return unknown_request(&id);
    }
    let _ = s.events.send(ApiEvent::Response { at, body });
    accepted()
}

async fn error(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    if !s.issued(&id) {
        return unknown_request(&id);
    }
    let _ = s.events.send(ApiEvent::Error {
        at,
        error_type: error_type(&headers),
        body,
    });
    accepted()
}

async fn init_error(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let _ = s.events.send(ApiEvent::InitError {
        error_type: error_type(&headers),
        body,
    });
    accepted()
}
