//! Helpers for the functions' unit tests: operations wired to clients that are never
//! called, and checks of the sample events in `events/`.

use lambda_http::{Request, RequestExt};

use crate::config::{self, Need};
use crate::Sessions;

/// Operations over clients built from `sdk` (no endpoint is contacted unless used),
/// configured through [`Sessions::from_vars`] as every function is.
pub fn offline(sdk: &aws_config::SdkConfig) -> Sessions {
    let vars = |name: &str| {
        Some(match name {
            config::TABLE_VAR => "unit-test-table".to_string(),
            config::QUEUE_VAR => "unit-test-queue".to_string(),
            config::CURSOR_SECRET_VAR => "unit-test-cursor-secret-of-32-bytes!".to_string(),
            config::CREDENTIAL_SECRET_VAR => "unit-test-credential-secret-32-bytes".to_string(),
            config::TTL_DAYS_VAR => "1".to_string(),
            _ => return None,
        })
    };
    Sessions::from_vars(
        &vars,
        sdk,
        &[Need::Queue, Need::CursorKey, Need::ServerCredential],
    )
    .expect("the unit-test variables are complete")
}

/// [`offline`] over a bare SDK configuration (no region, no credentials, no endpoint).
pub fn offline_sessions() -> Sessions {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    offline(&sdk)
}

/// The kind of caller a route admits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A game client, authenticated by a JWT.
    Player,
    /// A game server, authenticated by IAM.
    Server,
}

impl Caller {
    /// The `authorizer` block API Gateway sends for this kind of caller.
    pub fn authorizer(self) -> serde_json::Value {
        match self {
            Caller::Player => {
                serde_json::json!({"jwt": {"claims": {"sub": "mallory"}, "scopes": null}})
            }
            Caller::Server => serde_json::json!({
                "iam": {"userArn": "arn:aws:sts::123456789012:assumed-role/gs/i-1", "callerId": "AROA:i-1"}
            }),
        }
    }
}

/// Checks that a sample event decodes as the route expects: method, path parameter and
/// the caller kind the route requires.
pub fn assert_sample_event(event: &str, method: &str, path_param: Option<&str>, caller: Caller) {
    let req = lambda_http::request::from_str(event).unwrap();
    assert_eq!(req.method().as_str(), method);
    if let Some(name) = path_param {
        let params = req.path_parameters();
        assert!(
            params.first(name).is_some(),
            "sample event lacks path parameter {name}"
        );
    }
    match caller {
        Caller::Player => assert!(
            hangar_lambda::require_player(&req).is_ok(),
            "sample event is not from a player"
        ),
        Caller::Server => assert!(
            hangar_lambda::require_server(&req).is_ok(),
            "sample event is not from a game server"
        ),
    }
}

/// The sample event with its `authorizer` block removed.
pub fn without_authorizer(event: &str) -> Request {
    let mut event: serde_json::Value = serde_json::from_str(event).unwrap();
    event["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// The sample event as if sent by `caller`.
pub fn from_caller(event: &str, caller: Caller) -> Request {
    let mut event: serde_json::Value = serde_json::from_str(event).unwrap();
    event["requestContext"]["authorizer"] = caller.authorizer();
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// The unit tests every HTTP function of this area carries, for its sample event in
/// `events/`: the event decodes as the route expects (method, path parameter, caller
/// kind); the handler refuses it without its authorizer (401) before any work; the
/// handler forbids the other kind of caller (403).
///
/// ```text
/// hangar_sessions::sample_event_tests! {
///     handler: super::handler,
///     event: include_str!("../../../events/sessions-get.json"),
///     method: "GET",
///     path_parameter: Some("sessionId"),
///     caller: Player,
/// }
/// ```
#[macro_export]
macro_rules! sample_event_tests {
    (
        handler: $handler:path,
        event: $event:expr,
        method: $method:literal,
        path_parameter: $param:expr,
        caller: Player $(,)?
    ) => {
        $crate::sample_event_tests!(
            @checks $handler, $event, $method, $param, Player,
            sample_event_from_a_server_is_forbidden, Server
        );
    };
    (
        handler: $handler:path,
        event: $event:expr,
        method: $method:literal,
        path_parameter: $param:expr,
        caller: Server $(,)?
    ) => {
        $crate::sample_event_tests!(
            @checks $handler, $event, $method, $param, Server,
            sample_event_from_a_player_is_forbidden, Player
        );
    };
    (
        @checks $handler:path, $event:expr, $method:literal, $param:expr, $caller:ident,
        $forbidden_test:ident, $other:ident
    ) => {
        #[test]
        fn sample_event_is_routed_with_its_authorizer_and_parameters() {
            $crate::testing::assert_sample_event(
                $event,
                $method,
                $param,
                $crate::testing::Caller::$caller,
            );
        }

        #[tokio::test]
        async fn sample_event_without_its_authorizer_is_refused_before_any_work() {
            let req = $crate::testing::without_authorizer($event);
            let resp = $handler(&$crate::testing::offline_sessions(), req)
                .await
                .unwrap();
            assert_eq!(resp.status(), 401);
        }

        #[tokio::test]
        async fn $forbidden_test() {
            let req = $crate::testing::from_caller($event, $crate::testing::Caller::$other);
            let resp = $handler(&$crate::testing::offline_sessions(), req)
                .await
                .unwrap();
            assert_eq!(resp.status(), 403);
        }
    };
}
