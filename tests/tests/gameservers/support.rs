//! What the game-servers tests share: one scaler run, a server's item, the function
//! events with another caller.

use hangar_gameservers::store::{ServerRecord, Store};
use hangar_gameservers::{GameServers, TickOutcome, TickReport};
use lambda_http::{Body, Request, Response};
use serde_json::Value;

pub const ALLOCATE_EVENT: &str = include_str!("../../../events/gameservers-allocate.json");
pub const LIST_EVENT: &str = include_str!("../../../events/gameservers-list/operator.json");

/// One scaler run that acts (the lease is free).
pub async fn tick(scaler: &GameServers) -> TickReport {
    match scaler.tick().await.unwrap() {
        TickOutcome::Done(r) => *r,
        TickOutcome::Skipped => panic!("tick skipped: lease held"),
    }
}

pub async fn record(store: &Store, arn: &str) -> ServerRecord {
    store
        .server(arn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no item for {arn}"))
}

/// The allocation sample as `player` sends it, or with no authorizer at all.
pub fn request(event: &str, player: Option<&str>) -> Request {
    let mut v: Value = serde_json::from_str(event).unwrap();
    match player {
        Some(p) => {
            v["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = Value::String(p.into())
        }
        None => {
            v["requestContext"]
                .as_object_mut()
                .unwrap()
                .remove("authorizer");
        }
    }
    lambda_http::request::from_str(&v.to_string()).unwrap()
}

/// `GET /v1/gameservers/available` for `player`.
pub async fn allocate(gs: &GameServers, player: &str) -> Response<Body> {
    hangar_gameservers::api::allocate(gs, request(ALLOCATE_EVENT, Some(player))).await
}

pub fn body(resp: &Response<Body>) -> Value {
    match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}
