//! Helpers for the functions' unit tests: operations wired to clients that are never
//! called, and checks of the sample events in `events/`.

use lambda_http::{Request, RequestExt};

use crate::cursor::CursorKey;
use crate::gamelift::GameLift;
use crate::service::{Sessions, Settings};
use crate::store::Store;

/// Operations over clients built from `sdk` (no endpoint is contacted unless used).
pub fn offline(sdk: &aws_config::SdkConfig) -> Sessions {
    Sessions {
        store: Store::new(aws_sdk_dynamodb::Client::new(sdk), "unit-test-table"),
        gamelift: GameLift::new(aws_sdk_gamelift::Client::new(sdk)),
        settings: Settings {
            queue: Some("unit-test-queue".into()),
            alias: None,
            cursor_key: CursorKey::new(&[1u8; 32]).ok(),
            ttl_seconds: 86_400,
            reconcile_page_size: 100,
        },
    }
}

/// The `authorizer` block API Gateway sends for a player (JWT).
pub fn player_authorizer() -> serde_json::Value {
    serde_json::json!({"jwt": {"claims": {"sub": "mallory"}, "scopes": null}})
}

/// The `authorizer` block API Gateway sends for an IAM caller (a game server).
pub fn server_authorizer() -> serde_json::Value {
    serde_json::json!({"iam": {"userArn": "arn:aws:sts::123456789012:assumed-role/gs/i-1", "callerId": "AROA:i-1"}})
}

/// Checks that a sample event decodes as the route expects: method, path parameter and
/// the caller kind the route requires.
pub fn assert_sample_event(req: &Request, method: &str, path_param: Option<&str>, player: bool) {
    assert_eq!(req.method().as_str(), method);
    if let Some(name) = path_param {
        let params = req.path_parameters();
        assert!(
            params.first(name).is_some(),
            "sample event lacks path parameter {name}"
        );
    }
    if player {
        assert!(
            hangar_lambda::require_player(req).is_ok(),
            "sample event is not from a player"
        );
    } else {
        assert!(
            hangar_lambda::require_server(req).is_ok(),
            "sample event is not from a game server"
        );
    }
}
