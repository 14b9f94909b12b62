//! The smoke tests of each API function: which requests the hooks send it and what its
//! answers must look like. Pure: no I/O, unit-tested.
//!
//! Requests are API Gateway HTTP API (payload 2.0) events, the public request shape every
//! API function reads, built here rather than kept as files so that each function gets
//! a request for its own route. The hooks invoke a function version directly, so the
//! event carries the caller identity API Gateway's authorizer would have added: a player
//! named [`SMOKE_TEST_PLAYER`] for the read paths, none for the refusal checks. Reads
//! only: list, get and placement of an id that does not exist (404), the game-server
//! list; every function that writes is only asked to refuse an anonymous request, which
//! it does before any work.

use serde_json::{json, Map, Value};

use crate::checks::Expect;

/// The player the read checks run as (the `sub` claim of the smoke-test requests).
pub const SMOKE_TEST_PLAYER: &str = "codedeploy-smoke-test";
/// A placement id that is valid but never issued (placement ids are UUIDs).
pub const MISSING_PLACEMENT_ID: &str = "codedeploy-smoke-test";
/// A session id in the API's encoding (base64url of a GameLift game session ARN) that
/// names no session: `arn:aws:gamelift:us-east-1::gamesession/fleet-codedeploy-smoke-test/gsess-codedeploy-smoke-test`.
pub const MISSING_SESSION_ID: &str = "YXJuOmF3czpnYW1lbGlmdDp1cy1lYXN0LTE6OmdhbWVzZXNzaW9uL2ZsZWV0LWNvZGVkZXBsb3ktc21va2UtdGVzdC9nc2Vzcy1jb2RlZGVwbG95LXNtb2tlLXRlc3Q";

/// Who a smoke-test request claims to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No authorizer context (what a function sees if API Gateway let a request through
    /// unauthenticated): protected functions must refuse it.
    Anonymous,
    /// A player signed in with a JWT: `requestContext.authorizer.jwt.claims.sub`.
    Player,
}

/// One request of a smoke test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    /// The route's path template, as in `template.yaml` (`/v1/sessions/{sessionId}`).
    pub route: &'static str,
    pub path_parameters: &'static [(&'static str, &'static str)],
    pub query: &'static [(&'static str, &'static str)],
    pub caller: Caller,
}

/// One check: a name for the log, the request, what the answer must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub request: Request,
    pub expect: Expect,
}

/// A route: its method, its path template, the path parameters of its smoke requests.
pub type SmokeRoute = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The route of each API function (binary name), with the path parameters its smoke
/// requests use.
pub fn route_of(function: &str) -> Option<SmokeRoute> {
    const SESSION: &[(&str, &str)] = &[("sessionId", MISSING_SESSION_ID)];
    const PLACEMENT: &[(&str, &str)] = &[("placementId", MISSING_PLACEMENT_ID)];
    Some(match function {
        "version" => ("GET", "/version", &[]),
        "sessions-create" => ("POST", "/v1/sessions", &[]),
        "sessions-list" => ("GET", "/v1/sessions", &[]),
        "sessions-get" => ("GET", "/v1/sessions/{sessionId}", SESSION),
        "sessions-join" => ("POST", "/v1/sessions/{sessionId}/join", SESSION),
        "placement-status" => ("GET", "/v1/placements/{placementId}", PLACEMENT),
        "server-session-update" => ("PUT", "/v1/server/sessions/{sessionId}", SESSION),
        "server-session-end" => ("DELETE", "/v1/server/sessions/{sessionId}", SESSION),
        "gameservers-allocate" => ("GET", "/v1/gameservers/available", &[]),
        "gameservers-list" => ("GET", "/v1/gameservers", &[]),
        _ => return None,
    })
}

/// The checks of `function` (its binary name); empty for a function this table does not
/// know, which the hook reports as a failure.
pub fn checks_for(function: &str) -> Vec<Check> {
    let Some((method, route, path_parameters)) = route_of(function) else {
        return Vec::new();
    };
    let request = |caller, query| Request {
        method,
        route,
        path_parameters,
        query,
        caller,
    };
    let check = |what: &str, request, expect| Check {
        name: format!("{function} {what}"),
        request,
        expect,
    };
    let read = |expect| {
        check(
            &format!("{method} {route} as {SMOKE_TEST_PLAYER}"),
            request(Caller::Player, &[]),
            expect,
        )
    };
    let refused = || {
        check(
            "anonymous request refused",
            request(Caller::Anonymous, &[]),
            Expect::ClientError,
        )
    };
    match function {
        "version" => vec![check(
            &format!("{method} {route}"),
            request(Caller::Anonymous, &[]),
            Expect::ThisBuild,
        )],
        "sessions-list" => vec![
            check(
                &format!("{method} {route} as {SMOKE_TEST_PLAYER}"),
                request(Caller::Player, &[("limit", "1")]),
                Expect::List("sessions"),
            ),
            refused(),
        ],
        "sessions-get" | "placement-status" => vec![read(Expect::NotFound), refused()],
        "gameservers-list" => vec![read(Expect::List("servers")), refused()],
        _ => vec![refused()],
    }
}

impl Request {
    /// The path with its parameters filled in.
    pub fn path(&self) -> String {
        let mut path = self.route.to_string();
        for (name, value) in self.path_parameters {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        path
    }

    /// The API Gateway HTTP API payload-2.0 event of this request, at `time_epoch_ms`.
    pub fn event(&self, time_epoch_ms: u64) -> Value {
        let path = self.path();
        let route_key = format!("{} {}", self.method, self.route);
        let raw_query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut context = json!({
            "accountId": "anonymous",
            "apiId": "codedeploy-hook",
            "domainName": "codedeploy-hook.invalid",
            "domainPrefix": "codedeploy-hook",
            "http": {
                "method": self.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "hangar-codedeploy-hook",
            },
            "requestId": uuid_like(time_epoch_ms),
            "routeKey": route_key,
            "stage": "$default",
            "time": "01/Jan/1970:00:00:00 +0000",
            "timeEpoch": time_epoch_ms,
        });
        if self.caller == Caller::Player {
            context["authorizer"] = json!({
                "jwt": {"claims": {"sub": SMOKE_TEST_PLAYER}, "scopes": null}
            });
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": raw_query.join("&"),
            "headers": {
                "content-type": "application/json",
                "user-agent": "hangar-codedeploy-hook",
            },
            "requestContext": context,
            "isBase64Encoded": false,
        });
        if !self.path_parameters.is_empty() {
            let params: Map<String, Value> = self
                .path_parameters
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            event["pathParameters"] = Value::Object(params);
        }
        if !self.query.is_empty() {
            let params: Map<String, Value> = self
                .query
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            event["queryStringParameters"] = Value::Object(params);
        }
        event
    }
}

/// A request id that differs between requests of one run (not a secret, not random).
fn uuid_like(time_epoch_ms: u64) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        time_epoch_ms & 0xffff_ffff,
        n
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;

    const API_FUNCTIONS: [&str; 10] = [
        "version",
        "sessions-create",
        "sessions-list",
        "sessions-get",
        "sessions-join",
        "placement-status",
        "server-session-update",
        "server-session-end",
        "gameservers-allocate",
        "gameservers-list",
    ];

    #[test]
    fn every_api_function_has_checks_and_unknown_ones_have_none() {
        for f in API_FUNCTIONS {
            assert!(!checks_for(f).is_empty(), "{f}");
        }
        assert!(checks_for("fleet-validate").is_empty());
    }

    #[test]
    fn the_missing_session_id_decodes_to_a_gamelift_arn() {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(MISSING_SESSION_ID)
            .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "arn:aws:gamelift:us-east-1::gamesession/fleet-codedeploy-smoke-test/gsess-codedeploy-smoke-test"
        );
    }

    #[test]
    fn events_are_what_lambda_http_reads_with_the_route_parameters_and_caller() {
        for f in API_FUNCTIONS {
            for c in checks_for(f) {
                let event = c.request.event(1_767_268_800_000).to_string();
                let req = lambda_http::request::from_str(&event).unwrap();
                assert_eq!(req.method().as_str(), c.request.method, "{}", c.name);
                assert_eq!(req.uri().path(), c.request.path(), "{}", c.name);
                for (k, v) in c.request.path_parameters {
                    assert_eq!(req.path_parameters().first(k), Some(*v), "{}", c.name);
                }
                let claims = match req.request_context() {
                    lambda_http::request::RequestContext::ApiGatewayV2(ctx) => ctx
                        .authorizer
                        .and_then(|a| a.jwt)
                        .map(|j| j.claims.get("sub").cloned()),
                    other => panic!("not an HTTP API request: {other:?}"),
                };
                match c.request.caller {
                    Caller::Player => assert_eq!(claims, Some(Some(SMOKE_TEST_PLAYER.into()))),
                    Caller::Anonymous => assert_eq!(claims, None, "{}", c.name),
                }
            }
        }
        let list = &checks_for("sessions-list")[0];
        let req = lambda_http::request::from_str(&list.request.event(0).to_string()).unwrap();
        assert_eq!(req.query_string_parameters().first("limit"), Some("1"));
    }
}
