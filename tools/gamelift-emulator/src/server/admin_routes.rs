//! The admin routes under `/admin/`: inspect the state, move the clock, inject faults,
//! change the simulated game servers (see `docs/gamelift-emulator.md`).

use crate::faults::{EventFaults, ExtraActivation, Faults, ANY_OPERATION};
use crate::model::{BuildStatus, FleetStatus, State};
use crate::ops;
use crate::server::core::Core;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

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

pub(crate) async fn admin_state(AxState(core): AxState<Arc<Core>>) -> Response {
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

pub(crate) async fn admin_events(AxState(core): AxState<Arc<Core>>) -> Response {
    core.tick();
    Json(json!({"events": &core.lock().state.events_sent})).into_response()
}

pub(crate) async fn admin_reset(AxState(core): AxState<Arc<Core>>) -> Response {
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

pub(crate) async fn admin_clock(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
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

pub(crate) async fn admin_get_clock(AxState(core): AxState<Arc<Core>>) -> Response {
    Json(json!({"now": core.clock.now(), "speed": core.clock.speed()})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ThrottleBody {
    operation: String,
    fraction: f64,
}

pub(crate) async fn admin_throttle(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
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
    if op == ANY_OPERATION || ops::OPERATIONS.contains(&op) {
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

pub(crate) async fn admin_fail_next(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
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

pub(crate) async fn admin_fleet_error(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
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
            Some(l) => l.status = FleetStatus::Error,
            None => {
                return admin_error(
                    StatusCode::NOT_FOUND,
                    "LocationNotFound",
                    format!("fleet {} has no location {name}", b.fleet_id),
                )
            }
        },
        None => f
            .locations
            .iter_mut()
            .for_each(|l| l.status = FleetStatus::Error),
    }
    let now = core.clock.now();
    let code = match &b.location {
        Some(l) if f.home().is_some_and(|h| &h.name != l) => "LOCATION_STATE_ERROR",
        _ => "FLEET_STATE_ERROR",
    };
    let message = format!("Fleet {} went to ERROR (admin fault)", f.id);
    f.record(code, message, now);
    drop(g);
    core.tick();
    Json(json!({"fleetId": b.fleet_id, "location": b.location, "status": FleetStatus::Error}))
        .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BuildFailedBody {
    build_id: String,
}

pub(crate) async fn admin_build_failed(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
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
    build.status = BuildStatus::Failed;
    Json(json!({"buildId": b.build_id, "status": BuildStatus::Failed})).into_response()
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

pub(crate) async fn admin_slow_activation(
    AxState(core): AxState<Arc<Core>>,
    body: Bytes,
) -> Response {
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
                .unwrap_or_else(|| ANY_OPERATION.to_string());
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

pub(crate) async fn admin_event_faults(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
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

pub(crate) async fn admin_clear_faults(AxState(core): AxState<Arc<Core>>) -> Response {
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
    /// `{"property": "<game property>", "header": "<request header>"}` or null.
    #[serde(default, with = "double_option")]
    callback_credential: Option<Option<CallbackCredential>>,
    callback_session_id: Option<crate::model::settings::CallbackSessionId>,
    admit_over_maximum: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackCredential {
    property: String,
    header: String,
}

mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

pub(crate) async fn admin_game_servers(AxState(core): AxState<Arc<Core>>, body: Bytes) -> Response {
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
    if let Some(c) = b.callback_credential {
        g.settings.callback_credential_property = c.as_ref().map(|c| c.property.clone());
        g.settings.callback_credential_header = c.map(|c| c.header);
    }
    if let Some(i) = b.callback_session_id {
        g.settings.callback_session_id = i;
    }
    if let Some(a) = b.admit_over_maximum {
        g.settings.admit_over_maximum = a;
    }
    Json(json!({"settings": &g.settings})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlacementFailedBody {
    queue_name: Option<String>,
    count: u32,
}

/// The next `count` placements of a queue (or of every queue) fail: FAILED, with a
/// PlacementFailed event.
pub(crate) async fn admin_placement_failed(
    AxState(core): AxState<Arc<Core>>,
    body: Bytes,
) -> Response {
    let b: PlacementFailedBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let mut g = core.lock();
    let key = match b.queue_name {
        Some(name) => {
            let name = name.rsplit('/').next().unwrap_or(&name).to_string();
            if !g.state.queues.iter().any(|q| q.name == name) {
                return admin_error(
                    StatusCode::NOT_FOUND,
                    "QueueNotFound",
                    format!("game session queue {name} not found"),
                );
            }
            name
        }
        None => ANY_OPERATION.to_string(),
    };
    if b.count == 0 {
        g.faults.placement_failures.remove(&key);
    } else {
        g.faults.placement_failures.insert(key, b.count);
    }
    Json(json!({"placementFailures": &g.faults.placement_failures})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActivationBody {
    fleet_id: Option<String>,
    never: bool,
}

/// Game sessions started from now on, on one fleet (or every fleet), never activate
/// (`never: true`) or activate as usual again (`never: false`).
pub(crate) async fn admin_game_session_activation(
    AxState(core): AxState<Arc<Core>>,
    body: Bytes,
) -> Response {
    let b: ActivationBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let mut g = core.lock();
    let key = match &b.fleet_id {
        Some(id) => match g.state.fleet_index(id) {
            Some(idx) => g.state.fleets[idx].id.clone(),
            None => {
                return admin_error(
                    StatusCode::NOT_FOUND,
                    "FleetNotFound",
                    format!("fleet {id} not found"),
                )
            }
        },
        None => ANY_OPERATION.to_string(),
    };
    if b.never {
        g.faults.never_activate.insert(key);
    } else {
        g.faults.never_activate.remove(&key);
    }
    Json(json!({"neverActivate": &g.faults.never_activate})).into_response()
}

pub(crate) async fn not_found() -> Response {
    admin_error(StatusCode::NOT_FOUND, "NotFound", "no such route; GameLift requests go to POST / or POST /service/GameLift/operation/<Operation>, admin requests to /admin/...")
}
