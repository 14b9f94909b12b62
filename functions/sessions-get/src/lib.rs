//! `GET /v1/sessions/{sessionId}`: One game session from the table (player route).
//!
//! The Lambda binary and `hangar dev` both call [`handler`].

use hangar_sessions::config::Need;
use hangar_sessions::service::Sessions;
use lambda_http::{Body, Error, Request, Response};

/// Configuration this function needs beyond `SESSIONS_TABLE`.
pub const NEEDS: &[Need] = &[];

pub async fn handler(sessions: &Sessions, req: Request) -> Result<Response<Body>, Error> {
    hangar_sessions::api::get(sessions, req).await
}

/// The sample event is a player's `GET`; without its authorizer it is refused (401), from a
/// game server it is forbidden (403).
#[cfg(test)]
mod tests {
    hangar_sessions::sample_event_tests! {
        handler: super::handler,
        event: include_str!("../../../events/sessions-get.json"),
        method: "GET",
        path_parameter: Some("sessionId"),
        caller: Player,
    }
}
