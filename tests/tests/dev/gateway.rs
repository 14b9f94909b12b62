//! The local API gateway of `hangar dev`: requests become API Gateway HTTP API (payload 2.0)
//! events with the authorizer context, over a real loopback connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hangar::dev::routes::{api_routes, RouteContext};
use lambda_http::http::Method;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use local_gateway::auth::{ISSUER, PLAYER_AUDIENCE};
use local_gateway::{handler, serve, Authorizer, Route, RunningGateway, TokenKey, TokenKind};
use serde_json::{json, Value};

/// A function that answers with what it received, and counts its calls.
fn echo(calls: Arc<AtomicUsize>) -> local_gateway::Handler {
    handler(move |req: Request| {
        let calls = Arc::clone(&calls);
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            let ctx = match req.request_context() {
                RequestContext::ApiGatewayV2(ctx) => ctx,
                _ => {
                    return Err::<Response<Body>, lambda_http::Error>(
                        "not an HTTP API request".into(),
                    )
                }
            };
            let authorizer = ctx.authorizer.as_ref();
            let body = match req.body() {
                Body::Text(t) => t.clone(),
                Body::Binary(b) => format!("{} binary bytes", b.len()),
                _ => String::new(),
            };
            let answer = json!({
                "routeKey": ctx.route_key,
                "method": ctx.http.method.as_str(),
                "path": req.uri().path(),
                "requestId": ctx.request_id,
                "lambdaRequestId": req.lambda_context_ref().map(|c| c.request_id.clone()),
                "jwtClaims": authorizer.and_then(|a| a.jwt.as_ref()).map(|j| j.claims.clone()),
                "iamUserArn": authorizer.and_then(|a| a.iam.as_ref()).and_then(|i| i.user_arn.clone()),
                "pathParameters": req.path_parameters().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<std::collections::BTreeMap<_, _>>(),
                "query": req.query_string_parameters().all("tag").unwrap_or_default(),
                "header": req.headers().get("x-game").and_then(|v| v.to_str().ok()),
                "body": body,
            });
            Ok(Response::builder()
                .status(201)
                .header("content-type", "application/json")
                .header("x-handler", "echo")
                .body(Body::from(answer.to_string()))?)
        }
    })
}

struct Api {
    gateway: RunningGateway,
    key: TokenKey,
    calls: Arc<AtomicUsize>,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        let key = TokenKey::random();
        let calls = Arc::new(AtomicUsize::new(0));
        let ctx = RouteContext {
            sdk_config: hangar::dev::local_sdk_config("http://127.0.0.1:9", "us-east-1").await,
            gamelift_endpoint: "http://127.0.0.1:9".into(),
            resources: Default::default(),
        };
        let mut routes = api_routes(&ctx).await;
        routes.push(Route::new(
            Method::POST,
            "/players/{playerId}/things",
            Authorizer::Player,
            echo(calls.clone()),
        ));
        routes.push(Route::new(
            Method::POST,
            "/server/sessions/{sessionId}",
            Authorizer::Server,
            echo(calls.clone()),
        ));
        routes.push(Route::new(
            Method::GET,
            "/fails",
            Authorizer::None,
            handler(|_req: Request| async {
                Err::<Response<Body>, lambda_http::Error>("database unreachable at 10.0.0.1".into())
            }),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = serve(listener, routes, key.clone()).unwrap();
        Api {
            gateway,
            key,
            calls,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.gateway.url(), path)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn player_token_reaches_handler_with_claims_path_query_headers_and_body() {
    let api = Api::start().await;
    let token = api
        .key
        .issue(TokenKind::Player, "player-7", Duration::from_secs(60));
    let resp = api
        .http
        .post(api.url("/players/player%207/things?tag=a&tag=b"))
        .bearer_auth(&token)
        .header("x-game", "chess")
        .body(r#"{"n":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-handler"], "echo");
    let apigw_request_id = resp.headers()["apigw-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["routeKey"], "POST /players/{playerId}/things");
    assert_eq!(body["method"], "POST");
    assert_eq!(body["path"], "/players/player%207/things");
    assert_eq!(body["pathParameters"]["playerId"], "player 7");
    assert_eq!(body["query"], json!(["a", "b"]));
    assert_eq!(body["header"], "chess");
    assert_eq!(body["body"], r#"{"n":1}"#);
    assert_eq!(body["jwtClaims"]["sub"], "player-7");
    assert_eq!(body["jwtClaims"]["iss"], ISSUER);
    assert_eq!(body["jwtClaims"]["aud"], PLAYER_AUDIENCE);
    assert!(
        body["jwtClaims"]["exp"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok(),
        "claims are strings, as API Gateway sends them"
    );
    assert!(body["iamUserArn"].is_null());
    assert_eq!(body["requestId"], apigw_request_id.as_str());
    assert_eq!(body["lambdaRequestId"], apigw_request_id.as_str());
    assert_eq!(api.calls(), 1);
}

#[tokio::test]
async fn missing_expired_forged_or_malformed_player_tokens_get_401_before_the_handler_runs() {
    let api = Api::start().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expired = api
        .key
        .sign(&json!({"iss": ISSUER, "aud": PLAYER_AUDIENCE, "sub": "p", "exp": now - 5}));
    let forged = TokenKey::random().issue(TokenKind::Player, "p", Duration::from_secs(60));
    let server = api
        .key
        .issue(TokenKind::Server, "gs-1", Duration::from_secs(60));
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("expired", Some(format!("Bearer {expired}"))),
        ("forged", Some(format!("Bearer {forged}"))),
        ("server token", Some(format!("Bearer {server}"))),
        ("not a JWT", Some("Bearer abc.def".into())),
        (
            "wrong scheme",
            Some(format!(
                "Basic {}",
                api.key
                    .issue(TokenKind::Player, "p", Duration::from_secs(60))
            )),
        ),
    ];
    for (case, authorization) in cases {
        let mut req = api.http.post(api.url("/players/p/things")).body("{}");
        if let Some(a) = authorization {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{case}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body, json!({"message": "Unauthorized"}), "{case}");
    }
    assert_eq!(api.calls(), 0, "no handler may run for a refused request");
}

#[tokio::test]
async fn server_route_takes_only_server_tokens_and_fills_the_iam_context() {
    let api = Api::start().await;
    let player = api
        .key
        .issue(TokenKind::Player, "player-1", Duration::from_secs(60));
    let resp = api
        .http
        .post(api.url("/server/sessions/gs1"))
        .bearer_auth(&player)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"message": "Forbidden"})
    );
    let resp = api
        .http
        .post(api.url("/server/sessions/gs1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(api.calls(), 0);

    let server = api
        .key
        .issue(TokenKind::Server, "gs-eu-1", Duration::from_secs(60));
    let resp = api
        .http
        .post(api.url("/server/sessions/gs1"))
        .bearer_auth(&server)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["iamUserArn"],
        "arn:aws:sts::123456789012:assumed-role/hangar-game-server/gs-eu-1"
    );
    assert!(body["jwtClaims"].is_null());
    assert_eq!(body["pathParameters"]["sessionId"], "gs1");
    assert_eq!(api.calls(), 1);
}

#[tokio::test]
async fn version_route_is_public_and_served_by_the_version_function() {
    let api = Api::start().await;
    let resp = api.http.get(api.url("/version")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn unknown_route_or_method_is_404_and_failing_function_is_a_bare_500() {
    let api = Api::start().await;
    let resp = api.http.get(api.url("/nope")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"message": "Not Found"})
    );
    let resp = api.http.delete(api.url("/version")).send().await.unwrap();
    assert_eq!(resp.status(), 404);

    let resp = api.http.get(api.url("/fails")).send().await.unwrap();
    assert_eq!(resp.status(), 500);
    let text = resp.text().await.unwrap();
    assert_eq!(text, r#"{"message":"Internal Server Error"}"#);
    assert!(!text.contains("10.0.0.1"), "internal detail must not leak");
}

#[tokio::test]
async fn openapi_json_is_the_repositorys_openapi_yaml_served_without_a_token() {
    let api = Api::start().await;
    let resp = api.http.get(api.url("/openapi.json")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let served: Value = resp.json().await.unwrap();
    let yaml =
        std::fs::read_to_string(hangar_tests::functions::repo_root().join("openapi.yaml")).unwrap();
    let written: Value = serde_norway::from_str(&yaml).unwrap();
    assert_eq!(
        served, written,
        "the document served is openapi.yaml as it is now"
    );
    assert!(served["paths"]["/v1/sessions"].is_object(), "{served}");
}
