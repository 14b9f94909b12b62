//! The HTTP layer: the two GameLift protocols, the admin routes, and the background tasks
//! (lifecycle ticks, event publishing, game-server callbacks).

use crate::clock::SimClock;
use crate::error::ApiError;
use crate::events::Outgoing;
use crate::faults::{EventFaults, Faults};
use crate::model::{Effect, ExtraActivation, Identity, SentEvent, ServerSettings, State, Timing};
use crate::ops::{self, Ctx};
use crate::{wire, Config};
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    #[error("port {port} on {ip} is already in use; choose another port (for example --port 0 for any free port)")]
    PortInUse { ip: std::net::IpAddr, port: u16 },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

struct Inner {
    state: State,
    /// Requests received per operation (including refused and throttled ones).
    calls: std::collections::BTreeMap<String, u64>,
    faults: Faults,
    settings: ServerSettings,
}

pub(crate) struct Core {
    inner: Mutex<Inner>,
    clock: SimClock,
    timing: Timing,
    who: Identity,
    initial_settings: ServerSettings,
    publish_events: bool,
    events_tx: mpsc::UnboundedSender<Outgoing>,
    effects_tx: mpsc::UnboundedSender<(Effect, ServerSettings)>,
}

impl Core {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Advances lifecycles and hands due events and effects to their workers.
    fn tick(&self) {
        let now = self.clock.now();
        let mut g = self.lock();
        let Inner {
            state,
            faults,
            settings,
            ..
        } = &mut *g;
        let effects = state.tick(now, &self.timing, settings, faults, &self.who);
        let due = state.outbox.take_due(now, &faults.events);
        let settings = settings.clone();
        drop(g);
        for e in effects {
            let _ = self.effects_tx.send((e, settings.clone()));
        }
        for o in due {
            let _ = self.events_tx.send(o);
        }
    }

    fn call(&self, op: &str, body: &Value) -> Result<Value, ApiError> {
        if !ops::OPERATIONS.contains(&op) {
            return Err(ApiError::unknown_operation(op));
        }
        self.tick();
        let now = self.clock.now();
        let mut g = self.lock();
        *g.calls.entry(op.to_string()).or_default() += 1;
        g.faults.check(op, rand::random::<f64>())?;
        let Inner {
            state,
            faults,
            settings,
            ..
        } = &mut *g;
        let ctx = Ctx {
            now,
            timing: &self.timing,
            settings,
            who: &self.who,
            faults,
        };
        ops::dispatch(state, &ctx, op, body)
    }
}

/// A running emulator. Dropping it does not stop it; call [`RunningEmulator::shutdown`].
pub struct RunningEmulator {
    addr: SocketAddr,
    core: Arc<Core>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
}

impl RunningEmulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The GameLift endpoint URL, for an SDK's `endpoint_url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Base URL of the admin interface (`.../admin`).
    pub fn admin_url(&self) -> String {
        format!("http://{}/admin", self.addr)
    }
    /// A client for the admin interface of this emulator.
    pub fn admin(&self) -> crate::AdminClient {
        crate::AdminClient::new(&self.endpoint_url())
    }
    /// Current simulated time, epoch milliseconds.
    pub fn now_millis(&self) -> i64 {
        self.core.clock.now()
    }
    /// Stops serving and the background tasks.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Open connections get a few seconds to finish; then the server is stopped hard.
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
        for w in &self.workers {
            w.abort();
        }
    }
}

/// Starts the emulator on `config.bind`.
pub async fn start(config: Config) -> Result<RunningEmulator, StartError> {
    config.validate().map_err(StartError::Config)?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AddrInUse {
                StartError::PortInUse {
                    ip: config.bind.ip(),
                    port: config.bind.port(),
                }
            } else {
                StartError::Bind {
                    addr: config.bind,
                    source,
                }
            }
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.bind,
        source,
    })?;

    let sns = if config.publish_events {
        let sdk = match &config.aws {
            Some(c) => c.clone(),
            None => hangar_aws::sdk_config().await,
        };
        Some(aws_sdk_sns::Client::new(&sdk))
    } else {
        None
    };
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (effects_tx, effects_rx) = mpsc::unbounded_channel();
    let core = Arc::new(Core {
        inner: Mutex::new(Inner {
            state: State::default(),
            calls: Default::default(),
            faults: Faults::default(),
            settings: config.server.clone(),
        }),
        clock: SimClock::new(config.speed),
        timing: config.timing.clone(),
        who: Identity {
            region: config.region.clone(),
            account_id: config.account_id.clone(),
        },
        initial_settings: config.server.clone(),
        publish_events: config.publish_events,
        events_tx,
        effects_tx,
    });

    let mut workers = Vec::new();
    let ticker = core.clone();
    let period = config.tick;
    workers.push(tokio::spawn(async move {
        let mut iv = tokio::time::interval(period);
        iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            iv.tick().await;
            ticker.tick();
        }
    }));
    workers.push(tokio::spawn(publisher(core.clone(), sns, events_rx)));
    workers.push(tokio::spawn(callbacks(effects_rx)));

    let app = router(core.clone());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let r = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "emulator server stopped with an error");
        }
    });
    tracing::info!(%addr, "GameLift emulator listening");
    Ok(RunningEmulator {
        addr,
        core,
        stop: Some(stop_tx),
        server,
        workers,
    })
}

/// Publishes placement events in order; records every attempt.
async fn publisher(
    core: Arc<Core>,
    sns: Option<aws_sdk_sns::Client>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
) {
    while let Some(o) = rx.recv().await {
        let message = o.event.to_string();
        let (published, error) = match (&sns, &o.topic_arn, core.publish_events) {
            (Some(client), Some(topic), true) => match client
                .publish()
                .topic_arn(topic)
                .message(&message)
                .send()
                .await
            {
                Ok(_) => (true, None),
                Err(e) => {
                    let detail = format!("{}", aws_sdk_sns::error::DisplayErrorContext(&e));
                    tracing::warn!(topic = %topic, error = %detail, "placement event not published");
                    (false, Some(detail))
                }
            },
            (_, None, _) => (false, Some("queue has no NotificationTarget".to_string())),
            _ => (false, Some("event publishing is off".to_string())),
        };
        core.lock().state.events_sent.push(SentEvent {
            topic_arn: o.topic_arn,
            event: o.event,
            published,
            error,
        });
    }
}

/// Reports player counts and session ends to the configured server API.
async fn callbacks(mut rx: mpsc::UnboundedReceiver<(Effect, ServerSettings)>) {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    while let Some((effect, settings)) = rx.recv().await {
        let Some(base) = settings.callback_url.as_deref() else {
            continue;
        };
        let (id, method, body) = match &effect {
            Effect::PlayerCount {
                game_session_id,
                count,
            } => (
                game_session_id,
                reqwest::Method::PUT,
                Some(json!({"playerCount": count})),
            ),
            Effect::SessionEnded { game_session_id } => {
                (game_session_id, reqwest::Method::DELETE, None)
            }
        };
        let Ok(mut url) = reqwest::Url::parse(base) else {
            tracing::warn!(url = base, "callback URL does not parse");
            continue;
        };
        match url.path_segments_mut() {
            Ok(mut segs) => {
                segs.pop_if_empty()
                    .extend(["v1", "server", "sessions", id.as_str()]);
            }
            Err(()) => {
                tracing::warn!(url = base, "callback URL cannot take a path");
                continue;
            }
        }
        let mut req = http.request(method, url.clone());
        if let Some(token) = &settings.callback_token {
            req = req.bearer_auth(token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => {
                tracing::debug!(%url, "game-server callback delivered")
            }
            Ok(r) => tracing::warn!(%url, status = %r.status(), "game-server callback refused"),
            Err(e) => tracing::warn!(%url, error = %e, "game-server callback failed"),
        }
    }
}

// ---------------------------------------------------------------- GameLift protocols

#[derive(Clone, Copy)]
enum Protocol {
    Json,
    Cbor,
}

fn respond(protocol: Protocol, result: Result<Value, ApiError>, op: &str) -> Response {
    let (status, body, error_type) = match result {
        Ok(v) => (StatusCode::OK, v, None),
        Err(e) => {
            if e.status() >= 500 {
                tracing::warn!(operation = op, error = %e, "GameLift operation failed");
            } else {
                tracing::debug!(operation = op, error = %e, "GameLift operation refused");
            }
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                json!({"__type": e.code, "message": e.message}),
                Some(e.code),
            )
        }
    };
    let (bytes, content_type) = match protocol {
        Protocol::Json => (wire::encode_json(&body), "application/x-amz-json-1.1"),
        Protocol::Cbor => (wire::encode_cbor(&body), "application/cbor"),
    };
    let mut resp = (status, bytes).into_response();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(content_type));
    h.insert(
        "x-amzn-requestid",
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .unwrap_or(HeaderValue::from_static("0")),
    );
    if let Protocol::Cbor = protocol {
        h.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    }
    if let Some(code) = error_type {
        if let Ok(v) = HeaderValue::from_str(code) {
            h.insert("x-amzn-errortype", v);
        }
    }
    resp
}

async fn json_protocol(
    AxState(core): AxState<Arc<Core>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(op) = target.strip_prefix("GameLift.") else {
        let e = ApiError::new(
            "UnknownOperationException",
            format!(
                "X-Amz-Target {target:?} does not name a GameLift operation (GameLift.<Operation>)"
            ),
        );
        return respond(Protocol::Json, Err(e), target);
    };
    let result = wire::decode_json(&body).and_then(|input| core.call(op, &input));
    respond(Protocol::Json, result, op)
}

async fn cbor_protocol(
    AxState(core): AxState<Arc<Core>>,
    Path((service, op)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if service != "GameLift" {
        return respond(
            Protocol::Cbor,
            Err(ApiError::unknown_operation(&format!("{service}.{op}"))),
            &op,
        );
    }
    let result = wire::decode_cbor(&body).and_then(|input| core.call(&op, &input));
    respond(Protocol::Cbor, result, &op)
}

// ---------------------------------------------------------------- admin

/// Decodes an admin request body; a bad body is a 400 naming the problem.
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidBody",
            format!("request body: {e}"),
        ))
    })
}

fn admin_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

async fn admin_state(AxState(core): AxState<Arc<Core>>) -> Response {
    core.tick();
    let now = core.clock.now();
    let g = core.lock();
    Json(json!({
        "now": now,
        "speed": core.clock.speed(),
        "state": &g.state,
        "faults": &g.faults,
        "calls": &g.calls,
        "settings": &g.settings,
        "heldEvents": g.state.outbox.len(),
    }))
    .into_response()
}

async fn admin_events(AxState(core): AxState<Arc<Core>>) -> Response {
    core.tick();
    Json(json!({"events": &core.lock().state.events_sent})).into_response()
}

async fn admin_reset(AxState(core): AxState<Arc<Core>>) -> Response {
    let mut g = core.lock();
    g.state = State::default();
    g.calls.clear();
    g.faults = Faults::default();
    g.settings = core.initial_settings.clone();
    Json(json!({"reset": true})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClockBody {
    speed: Option<f64>,
    advance_seconds: Option<f64>,
}

async fn admin_clock(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
    let b: Option<ClockBody> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match parse_body(&body) {
            Ok(b) => Some(b),
            Err(r) => return *r,
        }
    };
    let Some(b) = b else {
        return Json(json!({"now": core.clock.now(), "speed": core.clock.speed()})).into_response();
    };
    if let Some(s) = b.speed {
        if !s.is_finite() || s < 0.0 {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidSpeed",
                "speed must be a number >= 0",
            );
        }
        core.clock.set_speed(s);
    }
    if let Some(a) = b.advance_seconds {
        if !a.is_finite() || a < 0.0 {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidAdvance",
                "advanceSeconds must be a number >= 0",
            );
        }
        core.clock.advance((a * 1000.0) as i64);
    }
    core.tick();
    Json(json!({"now": core.clock.now(), "speed": core.clock.speed()})).into_response()
}

async fn admin_get_clock(AxState(core): AxState<Arc<Core>>) -> Response {
    Json(json!({"now": core.clock.now(), "speed": core.clock.speed()})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ThrottleBody {
    operation: String,
    fraction: f64,
}

async fn admin_throttle(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
    let b: ThrottleBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    if !(0.0..=1.0).contains(&b.fraction) {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidFraction",
            "fraction must be between 0 and 1",
        );
    }
    if let Err(r) = known_operation(&b.operation) {
        return *r;
    }
    let mut g = core.lock();
    if b.fraction == 0.0 {
        g.faults.throttle.remove(&b.operation);
    } else {
        g.faults.throttle.insert(b.operation, b.fraction);
    }
    Json(json!({"throttle": &g.faults.throttle})).into_response()
}

fn known_operation(op: &str) -> Result<(), Box<Response>> {
    if op == crate::faults::ANY_OPERATION || ops::OPERATIONS.contains(&op) {
        Ok(())
    } else {
        Err(Box::new(admin_error(
            StatusCode::BAD_REQUEST,
            "UnknownOperation",
            format!("operation {op:?} is not a GameLift operation of the emulator (or \"*\")"),
        )))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FailNextBody {
    operation: String,
    count: u32,
}

async fn admin_fail_next(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
    let b: FailNextBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    if let Err(r) = known_operation(&b.operation) {
        return *r;
    }
    let mut g = core.lock();
    g.faults.fail_next.insert(b.operation, b.count);
    Json(json!({"failNext": &g.faults.fail_next})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FleetErrorBody {
    fleet_id: String,
    location: Option<String>,
}

async fn admin_fleet_error(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
    let b: FleetErrorBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let mut g = core.lock();
    let Some(idx) = g.state.fleet_index(&b.fleet_id) else {
        return admin_error(
            StatusCode::NOT_FOUND,
            "FleetNotFound",
            format!("fleet {} not found", b.fleet_id),
        );
    };
    let f = &mut g.state.fleets[idx];
    if f.is_gone() {
        return admin_error(
            StatusCode::CONFLICT,
            "FleetGone",
            format!("fleet {} is {}", f.id, f.status),
        );
    }
    match &b.location {
        Some(name) => match f.location_mut(name) {
            Some(l) => l.status = "ERROR",
            None => {
                return admin_error(
                    StatusCode::NOT_FOUND,
                    "LocationNotFound",
                    format!("fleet {} has no location {name}", b.fleet_id),
                )
            }
        },
        None => f.locations.iter_mut().for_each(|l| l.status = "ERROR"),
    }
    drop(g);
    core.tick();
    Json(json!({"fleetId": b.fleet_id, "location": b.location, "status": "ERROR"})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BuildFailedBody {
    build_id: String,
}

async fn admin_build_failed(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
    let b: BuildFailedBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let mut g = core.lock();
    let Some(build) = g
        .state
        .builds
        .iter_mut()
        .find(|x| x.id == b.build_id || x.arn == b.build_id)
    else {
        return admin_error(
            StatusCode::NOT_FOUND,
            "BuildNotFound",
            format!("build {} not found", b.build_id),
        );
    };
    build.status = "FAILED";
    Json(json!({"buildId": b.build_id, "status": "FAILED"})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SlowBody {
    fleet_id: Option<String>,
    location: Option<String>,
    extra_seconds: Option<f64>,
    #[serde(default)]
    forever: bool,
}

async fn admin_slow_activation(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
    let b: SlowBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let extra = match (b.extra_seconds, b.forever) {
        (Some(_), true) | (None, false) => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidExtra",
                "give either extraSeconds or \"forever\": true",
            )
        }
        (None, true) => ExtraActivation::Forever,
        (Some(x), false) if x.is_finite() && x >= 0.0 => {
            ExtraActivation::Millis((x * 1000.0) as i64)
        }
        (Some(_), false) => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidExtra",
                "extraSeconds must be a number >= 0",
            )
        }
    };
    let mut g = core.lock();
    match &b.fleet_id {
        None => {
            let key = b
                .location
                .clone()
                .unwrap_or_else(|| crate::faults::ANY_OPERATION.to_string());
            if extra == ExtraActivation::default() {
                g.faults.slow_activation.remove(&key);
            } else {
                g.faults.slow_activation.insert(key, extra);
            }
        }
        Some(id) => {
            let Some(idx) = g.state.fleet_index(id) else {
                return admin_error(
                    StatusCode::NOT_FOUND,
                    "FleetNotFound",
                    format!("fleet {id} not found"),
                );
            };
            let f = &mut g.state.fleets[idx];
            // A location already ACTIVATING is held (or released) at once too.
            match &b.location {
                Some(name) => match f.location_mut(name) {
                    Some(l) => l.extra_activation = extra,
                    None => {
                        return admin_error(
                            StatusCode::NOT_FOUND,
                            "LocationNotFound",
                            format!("fleet {id} has no location {name}"),
                        )
                    }
                },
                None => f
                    .locations
                    .iter_mut()
                    .for_each(|l| l.extra_activation = extra),
            }
        }
    }
    drop(g);
    core.tick();
    Json(json!({"fleetId": b.fleet_id, "location": b.location, "extraActivation": extra}))
        .into_response()
}

async fn admin_event_faults(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
    let b: EventFaultsBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    if !b.delay_seconds.is_finite() || b.delay_seconds < 0.0 {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidDelay",
            "delaySeconds must be a number >= 0",
        );
    }
    let mut g = core.lock();
    g.faults.events = EventFaults {
        duplicate: b.duplicate,
        delay_ms: (b.delay_seconds * 1000.0) as i64,
        reorder_window: b.reorder_window,
    };
    Json(json!({"events": &g.faults.events})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EventFaultsBody {
    #[serde(default)]
    duplicate: u32,
    #[serde(default)]
    delay_seconds: f64,
    #[serde(default)]
    reorder_window: u32,
}

async fn admin_clear_faults(AxState(core): AxState<Arc<Core>>) -> Response {
    let mut g = core.lock();
    g.faults = Faults::default();
    Json(json!({"faults": &g.faults})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GameServerBody {
    session_duration_seconds: Option<f64>,
    /// Seconds after activation the server accepts reserved players; null: never.
    #[serde(default, with = "double_option")]
    accept_players_after_seconds: Option<Option<f64>>,
    #[serde(default, with = "double_option")]
    callback_url: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    server_token: Option<Option<String>>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

async fn admin_game_servers(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
    let b: GameServerBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let mut g = core.lock();
    if let Some(d) = b.session_duration_seconds {
        if !d.is_finite() || d <= 0.0 {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidDuration",
                "sessionDurationSeconds must be > 0",
            );
        }
        g.settings.session_duration_ms = (d * 1000.0) as i64;
    }
    if let Some(a) = b.accept_players_after_seconds {
        if a.is_some_and(|x| !x.is_finite() || x < 0.0) {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidAccept",
                "acceptPlayersAfterSeconds must be >= 0 or null",
            );
        }
        g.settings.accept_players_after_ms = a.map(|x| (x * 1000.0) as i64);
    }
    if let Some(u) = b.callback_url {
        if let Some(url) = &u {
            if reqwest::Url::parse(url).is_err() {
                return admin_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidCallbackUrl",
                    "callbackUrl must be an absolute URL",
                );
            }
        }
        g.settings.callback_url = u;
    }
    if let Some(t) = b.server_token {
        g.settings.callback_token = t;
    }
    Json(json!({"settings": &g.settings})).into_response()
}

async fn not_found() -> Response {
    admin_error(StatusCode::NOT_FOUND, "NotFound", "no such route; GameLift requests go to POST / or POST /service/GameLift/operation/<Operation>, admin requests to /admin/...")
}

fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route("/", post(json_protocol))
        .route("/service/{service}/operation/{op}", post(cbor_protocol))
        .route("/admin/state", get(admin_state))
        .route("/admin/events", get(admin_events))
        .route("/admin/reset", post(admin_reset))
        .route("/admin/clock", get(admin_get_clock).post(admin_clock))
        .route("/admin/faults", axum::routing::delete(admin_clear_faults))
        .route("/admin/faults/throttle", post(admin_throttle))
        .route("/admin/faults/fail-next", post(admin_fail_next))
        .route("/admin/faults/fleet-error", post(admin_fleet_error))
        .route("/admin/faults/build-failed", post(admin_build_failed))
        .route("/admin/faults/slow-activation", post(admin_slow_activation))
        .route("/admin/faults/events", post(admin_event_faults))
        .route("/admin/game-servers", post(admin_game_servers))
        .fallback(not_found)
        .with_state(core)
}
