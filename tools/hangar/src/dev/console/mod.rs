//! The console of the local stack: a web page served by `hangar dev` on 127.0.0.1 that
//! shows, live (the page polls `/api/state`), the sessions, placements and their events,
//! the emulator's fleets, aliases and queues, the ECS game servers, fleet replacements
//! and the emulator's faults, which the page can switch.
//!
//! The page, its script and its style sheet are compiled into the binary, so the console
//! works offline and loads nothing from elsewhere (its Content-Security-Policy says so).
//! Who may call it: see [`guard`]. Routes:
//! - `GET /`, `/console.js`, `/console.css`: the page;
//! - `GET /api/state?filter=&sort=`: everything shown ([`snapshot`]);
//! - `POST /api/faults/<name>` (JSON body as the emulator's admin route takes it) and
//!   `DELETE /api/faults`: switch the emulator's faults.

pub mod guard;
pub mod snapshot;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Json;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use guard::{Guard, RequestFacts, TOKEN_HEADER};
use snapshot::{Sources, StateQuery};

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");
/// Replaced by this run's token in the served page.
const TOKEN_PLACEHOLDER: &str = "{{CONSOLE_TOKEN}}";
/// Nothing is loaded from anywhere but the console; no page may frame it.
const CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The emulator fault routes the page may switch (see docs/gamelift-emulator.md).
pub const FAULTS: &[&str] = &[
    "throttle",
    "fail-next",
    "fleet-error",
    "build-failed",
    "slow-activation",
    "events",
    "placement-failed",
    "game-session-activation",
];

struct Console {
    guard: Guard,
    sources: Sources,
    page: String,
}

/// The console, serving until [`RunningConsole::shutdown`].
pub struct RunningConsole {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningConsole {
    /// `http://127.0.0.1:<port>/`
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.task).await {
            tracing::warn!(error = %e, "console task failed");
        }
    }
}

/// Serves the console on `listener` (a loopback address) reading from `sources`.
pub fn serve(listener: TcpListener, sources: Sources) -> std::io::Result<RunningConsole> {
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::other(format!(
            "the console listens on loopback only, not {addr}"
        )));
    }
    let mut secret = [0u8; 24];
    rand::fill(&mut secret[..]);
    let token: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let console = Arc::new(Console {
        page: INDEX.replace(TOKEN_PLACEHOLDER, &token),
        guard: Guard::new(addr.port(), token),
        sources,
    });
    let app = axum::Router::new()
        .route("/", get(index))
        .route("/console.js", get(script))
        .route("/console.css", get(style))
        .route("/api/state", get(state))
        .route("/api/faults", delete(clear_faults))
        .route("/api/faults/{name}", post(set_fault))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&console),
            check_request,
        ))
        .with_state(console);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningConsole {
        addr,
        stop: Some(stop),
        task,
    })
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The guard in front of every route, and the headers every answer carries.
async fn check_request(
    State(console): State<Arc<Console>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let facts = RequestFacts {
        method: request.method().as_str(),
        host: header_str(headers, header::HOST),
        origin: header_str(headers, header::ORIGIN),
        token: header_str(headers, TOKEN_HEADER),
        content_type: header_str(headers, header::CONTENT_TYPE),
    };
    let mut response = match console.guard.check(&facts) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(%refusal, method = facts.method, origin = ?facts.origin, "console refused a request");
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN);
            error(status, "Refused", &refusal.to_string())
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn asset(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn index(State(console): State<Arc<Console>>) -> Response {
    asset("text/html; charset=utf-8", console.page.clone())
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT.to_string())
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE.to_string())
}

async fn state(State(console): State<Arc<Console>>, Query(query): Query<StateQuery>) -> Response {
    Json(snapshot::snapshot(&console.sources, &query).await).into_response()
}

async fn set_fault(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    if !FAULTS.contains(&name.as_str()) {
        return error(
            StatusCode::NOT_FOUND,
            "UnknownFault",
            &format!("no fault named {name:?}; known: {}", FAULTS.join(", ")),
        );
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidBody",
                "the body must be a JSON object",
            )
        }
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidBody",
                &format!("body: {e}"),
            )
        }
    };
    tracing::info!(fault = %name, %body, "console switched a fault");
    forward(
        console
            .sources
            .admin
            .post(&format!("faults/{name}"), body)
            .await,
    )
}

async fn clear_faults(State(console): State<Arc<Console>>, method: Method) -> Response {
    tracing::info!(%method, "console cleared every fault");
    forward(console.sources.admin.clear_faults().await)
}

/// The emulator's answer, passed on (its refusal keeps its status and message).
fn forward(result: Result<Value, gamelift_emulator::admin::AdminError>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(gamelift_emulator::admin::AdminError::Refused { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let body: Value = serde_json::from_str(&body)
                .unwrap_or(json!({"error": {"code": "Refused", "message": body}}));
            (status, Json(body)).into_response()
        }
        Err(e) => error(
            StatusCode::BAD_GATEWAY,
            "EmulatorUnavailable",
            &e.to_string(),
        ),
    }
}
