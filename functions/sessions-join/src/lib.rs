//! `POST /v1/sessions/{sessionId}/join`: Reserves a player session without ever over-filling the game session (player route).
//!
//! The Lambda binary and `hangar dev` both call [`handler`].

use hangar_sessions::config::Need;
use hangar_sessions::service::Sessions;
use lambda_http::{Body, Error, Request, Response};

/// Configuration this function needs beyond `SESSIONS_TABLE`.
pub const NEEDS: &[Need] = &[];

pub async fn handler(sessions: &Sessions, req: Request) -> Result<Response<Body>, Error> {
    hangar_sessions::api::join(sessions, req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = include_str!("../../../events/sessions-join.json");

    async fn offline_sessions() -> Sessions {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        hangar_sessions::testing::offline(&sdk)
    }

    #[tokio::test]
    async fn sample_event_is_routed_with_its_authorizer_and_parameters() {
        let req = lambda_http::request::from_str(EVENT).unwrap();
        hangar_sessions::testing::assert_sample_event(&req, "POST", Some("sessionId"), true);
    }

    #[tokio::test]
    async fn sample_event_without_its_authorizer_is_refused_before_any_work() {
        let mut event: serde_json::Value = serde_json::from_str(EVENT).unwrap();
        event["requestContext"]
            .as_object_mut()
            .unwrap()
            .remove("authorizer");
        let req = lambda_http::request::from_str(&event.to_string()).unwrap();
        let resp = handler(&offline_sessions().await, req).await.unwrap();
        assert_eq!(resp.status(), 401);
    }

    #[tokio::test]
    async fn sample_event_from_a_server_is_forbidden() {
        let mut event: serde_json::Value = serde_json::from_str(EVENT).unwrap();
        event["requestContext"]["authorizer"] = hangar_sessions::testing::server_authorizer();
        let req = lambda_http::request::from_str(&event.to_string()).unwrap();
        let resp = handler(&offline_sessions().await, req).await.unwrap();
        assert_eq!(resp.status(), 403);
    }
}
