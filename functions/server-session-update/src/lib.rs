//! `PUT /v1/server/sessions/{sessionId}`: A game server's partial update of its session (server route, IAM).
//!
//! The Lambda binary and `hangar dev` both call [`handler`].

use hangar_sessions::config::Need;
use hangar_sessions::service::Sessions;
use lambda_http::{Body, Error, Request, Response};

/// Configuration this function needs beyond `SESSIONS_TABLE`.
pub const NEEDS: &[Need] = &[];

pub async fn handler(sessions: &Sessions, req: Request) -> Result<Response<Body>, Error> {
    hangar_sessions::api::server_update(sessions, req).await
}

/// The sample event is a game server's `PUT`; without its authorizer it is refused (401), from a
/// player it is forbidden (403).
#[cfg(test)]
mod tests {
    hangar_sessions::sample_event_tests! {
        handler: super::handler,
        event: include_str!("../../../events/server-session-update.json"),
        method: "PUT",
        path_parameter: Some("sessionId"),
        caller: Server,
    }
}
