//! CodeDeploy traffic hooks against local stand-ins: CodeDeploy's
//! PutLifecycleEventHookExecutionStatus (JSON 1.1, which moto lacks) and Lambda Invoke
//! (`local-lambda`), both on loopback and reached by the real aws-sdk-codedeploy and
//! aws-sdk-lambda clients; the sessions table on the suite's moto server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use axum::http::{HeaderMap, StatusCode};
use hangar_deploy::codedeploy::CodeDeploy;
use hangar_deploy::config::{PostTrafficConfig, PreTrafficConfig};
use hangar_deploy::lambda::Lambda;
use hangar_deploy::post_traffic::PostTraffic;
use hangar_deploy::pre_traffic::PreTraffic;
use hangar_deploy::{BuildInfo, Deploy, HookOutcome};
use lambda_http::{Body, Request, Response};
use lambda_runtime::Diagnostic;
use serde_json::{json, Value};

const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function";

fn moto_url() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL must point at a moto server (scripts/test starts one)")
}

/// CodeDeploy's PutLifecycleEventHookExecutionStatus, recording every report.
struct CodeDeployStandIn {
    url: String,
    reports: Arc<Mutex<Vec<Value>>>,
}

impl CodeDeployStandIn {
    async fn start() -> Self {
        let reports = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&reports);
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let seen = Arc::clone(&seen);
                async move {
                    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
                    let request: Value = serde_json::from_str(&body).unwrap_or_default();
                    let valid = target == "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus"
                        && request["deploymentId"].is_string()
                        && request["lifecycleEventHookExecutionId"].is_string()
                        && ["Succeeded", "Failed"].contains(&request["status"].as_str().unwrap_or_default());
                    if !valid {
                        let error = json!({"__type": "InvalidLifecycleEventHookExecutionStatusException", "message": format!("{target} {body}")});
                        return (StatusCode::BAD_REQUEST, [("content-type", "application/x-amz-json-1.1")], error.to_string());
                    }
                    seen.lock().unwrap().push(request.clone());
                    let answer = json!({"lifecycleEventHookExecutionId": request["lifecycleEventHookExecutionId"]});
                    (StatusCode::OK, [("content-type", "application/x-amz-json-1.1")], answer.to_string())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, reports }
    }

    async fn client(&self) -> aws_sdk_codedeploy::Client {
        let sdk = hangar::dev::local_sdk_config(&self.url, "us-east-1").await;
        aws_sdk_codedeploy::Client::new(&sdk)
    }

    fn reports(&self) -> Vec<Value> {
        self.reports.lock().unwrap().clone()
    }
}

/// Runs an API Gateway (payload 2.0) handler the way the Lambda runtime does.
fn http_function<F, Fut>(
    f: F,
) -> impl Fn(Value) -> futures::future::BoxFuture<'static, Result<Value, Diagnostic>> + Send + Sync
where
    F: Fn(Request) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = Result<Response<Body>, lambda_http::Error>> + Send + 'static,
{
    move |event: Value| {
        let f = f.clone();
        Box::pin(async move {
            let request = lambda_http::request::from_str(&event.to_string())
                .map_err(|e| Diagnostic::from(e.to_string()))?;
            let response = f(request)
                .await
                .map_err(|e| Diagnostic::from(e.to_string()))?;
            let (parts, body) = response.into_parts();
            let body = match body {
                Body::Text(t) => Value::String(t),
                Body::Binary(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
                _ => Value::Null,
            };
            let headers: serde_json::Map<String, Value> = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        Value::String(v.to_str().unwrap_or_default().to_string()),
                    )
                })
                .collect();
            Ok(
                json!({"statusCode": parts.status.as_u16(), "headers": headers, "body": body, "isBase64Encoded": false}),
            )
        })
    }
}

fn json_answer(status: u16, body: Value) -> Value {
    json!({"statusCode": status, "headers": {"content-type": "application/json"}, "body": body.to_string(), "isBase64Encoded": false})
}

/// The sessions functions wired to a fresh sessions table on moto, registered as
/// `<name>:2` (the new version).
async fn register_sessions_functions(registry: &mut local_lambda::Registry) {
    let sdk = hangar::dev::local_sdk_config(&moto_url(), "us-east-1").await;
    let prefix = format!("hook{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let table = hangar::dev::sessions::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &prefix)
        .await
        .unwrap();
    let mut resources = hangar::dev::DevResources::default();
    resources
        .tables
        .insert(hangar::dev::sessions::AREA.to_string(), table);
    resources.game_session_queue_name = format!("{prefix}-queue");
    let sessions =
        Arc::new(hangar::dev::sessions::build(&sdk, "http://127.0.0.1:9", &resources).unwrap());
    macro_rules! register {
        ($name:literal, $handler:path) => {{
            let sessions = Arc::clone(&sessions);
            registry.register(
                concat!($name, ":2"),
                http_function(move |req: Request| {
                    let sessions = Arc::clone(&sessions);
                    async move { $handler(&sessions, req).await }
                }),
            );
        }};
    }
    register!("sessions-list", hangar_sessions::api::list);
    register!("sessions-create", hangar_sessions::api::create);
    register!("sessions-get", hangar_sessions::api::get);
    register!("sessions-join", hangar_sessions::api::join);
    register!("placement-status", hangar_sessions::api::placement_status);
    register!("server-session-update", hangar_sessions::api::server_update);
    register!("server-session-end", hangar_sessions::api::server_end);
}

/// The sessions API functions checked by PreTraffic, at version 2.
const SESSIONS_FUNCTIONS: [&str; 7] = [
    "sessions-list",
    "sessions-create",
    "sessions-get",
    "sessions-join",
    "placement-status",
    "server-session-update",
    "server-session-end",
];

/// A local Lambda with the functions the tests deploy: good, failing, mis-shaped, old,
/// hanging versions of `version`, and the real sessions-list.
async fn local_lambda() -> local_lambda::LocalLambda {
    let mut registry = local_lambda::Registry::new();
    registry.register(
        "version:2",
        http_function(|req: Request| hangar_deploy::api::version(req)),
    );
    registry.register("version:1", |_event: Value| async {
        let old = BuildInfo {
            version: "0.0.9".into(),
            commit: "0ld0ld0".into(),
            build_time: "2025-01-01T00:00:00Z".into(),
        };
        Ok::<_, Diagnostic>(json_answer(200, serde_json::to_value(old).unwrap()))
    });
    registry.register("version:3", |_event: Value| async {
        Err::<Value, _>(Diagnostic::from(
            "panicked at src/lib.rs: table name missing".to_string(),
        ))
    });
    registry.register("version:4", |_event: Value| async {
        Ok::<_, Diagnostic>(json_answer(200, json!({"hello": "world"})))
    });
    registry.register("version:5", |_event: Value| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok::<_, Diagnostic>(json_answer(200, json!({})))
    });
    register_sessions_functions(&mut registry).await;
    local_lambda::serve(registry, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn lifecycle_event() -> CodeDeployLifecycleEvent {
    serde_json::from_value(json!({
        "DeploymentId": format!("d-{}", &uuid::Uuid::new_v4().simple().to_string()[..9].to_uppercase()),
        "LifecycleEventHookExecutionId": uuid::Uuid::new_v4().to_string(),
    }))
    .unwrap()
}

fn pre_config(
    targets: &str,
    budget_secs: u64,
) -> Result<PreTrafficConfig, hangar_deploy::ConfigError> {
    let targets = targets.to_string();
    let budget = budget_secs.to_string();
    PreTrafficConfig::from_vars(&move |name: &str| match name {
        "API_FUNCTION_VERSIONS" => Some(targets.clone()),
        "HOOK_BUDGET_SECONDS" => Some(budget.clone()),
        _ => None,
    })
}

/// Runs the PreTraffic hook once; returns its outcome and what CodeDeploy received.
async fn pre_traffic(
    targets: &str,
    budget_secs: u64,
) -> (HookOutcome, Vec<Value>, CodeDeployLifecycleEvent) {
    let codedeploy = CodeDeployStandIn::start().await;
    let lambda_service = local_lambda().await;
    let sdk = hangar::dev::local_sdk_config(&lambda_service.endpoint_url(), "us-east-1").await;
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let event = lifecycle_event();
    let checks = pre_config(targets, budget_secs)
        .map(|config| PreTraffic::new(config, Lambda::from_client(lambda)));
    let deploy = Deploy::new(CodeDeploy::from_client(codedeploy.client().await), checks);
    let outcome = deploy.handle(&event, 0).await.unwrap();
    (outcome, codedeploy.reports(), event)
}

fn assert_reported(reports: &[Value], event: &CodeDeployLifecycleEvent, status: &str) {
    assert_eq!(reports.len(), 1, "exactly one report: {reports:?}");
    assert_eq!(reports[0]["deploymentId"], event.deployment_id.as_str());
    assert_eq!(
        reports[0]["lifecycleEventHookExecutionId"],
        event.lifecycle_event_hook_execution_id.as_str()
    );
    assert_eq!(reports[0]["status"], status);
}

#[tokio::test]
async fn pre_traffic_passes_new_versions_of_version_and_every_sessions_function_and_reports_succeeded(
) {
    let mut targets = vec![format!("version={ARN}:version:2")];
    targets.extend(
        SESSIONS_FUNCTIONS
            .iter()
            .map(|f| format!("{f}={ARN}:{f}:2")),
    );
    let (outcome, reports, event) = pre_traffic(&targets.join(","), 30).await;
    assert!(matches!(outcome, HookOutcome::Succeeded(_)), "{outcome:?}");
    // /version, the real session list, and an anonymous request refused by each of the
    // seven sessions functions.
    assert_eq!(outcome.reason(), "9 passed, 0 failed");
    assert_reported(&reports, &event, "Succeeded");
}

#[tokio::test]
async fn pre_traffic_reports_failed_when_the_new_version_errors() {
    let (outcome, reports, event) = pre_traffic(&format!("version={ARN}:version:3"), 30).await;
    assert!(matches!(outcome, HookOutcome::Failed(_)), "{outcome:?}");
    assert!(
        outcome.reason().contains("table name missing"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
}

#[tokio::test]
async fn pre_traffic_reports_failed_when_the_new_version_answers_the_wrong_shape() {
    let (outcome, reports, event) = pre_traffic(&format!("version={ARN}:version:4"), 30).await;
    assert!(
        outcome.reason().contains("not {\"version\""),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
}

#[tokio::test]
async fn pre_traffic_reports_failed_when_the_new_version_reports_the_old_version() {
    let (outcome, reports, event) = pre_traffic(&format!("version={ARN}:version:1"), 30).await;
    assert!(
        outcome.reason().contains("0.0.9 (0ld0ld0)"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
}

#[tokio::test]
async fn pre_traffic_reports_failed_when_the_new_version_hangs_past_the_budget() {
    // The function sleeps 60 s; the hook's budget is 1 s and the report comes from it.
    let (outcome, reports, event) = pre_traffic(&format!("version={ARN}:version:5"), 1).await;
    assert!(
        outcome.reason().contains("budget of 1000 ms"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
}

#[tokio::test]
async fn pre_traffic_reports_failed_when_its_own_work_fails() {
    // Its configuration is bad: nothing to check, still a report naming the variable.
    let (outcome, reports, event) = pre_traffic("version=not-an-arn", 30).await;
    assert!(
        outcome.reason().contains("API_FUNCTION_VERSIONS"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
    // The function it must invoke does not exist (its Invoke call fails).
    let (outcome, reports, event) =
        pre_traffic(&format!("version={ARN}:no-such-function:2"), 30).await;
    assert!(
        outcome.reason().contains("invoking"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
}

/// A live API whose `/version` answers `answer(n)` for the n-th request; its base URL.
async fn live_api(answer: fn(usize) -> (u16, Value)) -> String {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/version",
        axum::routing::get(move || {
            let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                let (status, body) = answer(n);
                (
                    StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json")],
                    body.to_string(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn post_traffic(
    url: &str,
    max_error_rate: &str,
) -> (HookOutcome, Vec<Value>, CodeDeployLifecycleEvent) {
    let codedeploy = CodeDeployStandIn::start().await;
    let (url, rate) = (url.to_string(), max_error_rate.to_string());
    let config = PostTrafficConfig::from_vars(&move |name: &str| match name {
        "API_URL" => Some(url.clone()),
        "POST_TRAFFIC_REQUESTS" => Some("20".into()),
        "POST_TRAFFIC_MAX_ERROR_RATE" => Some(rate.clone()),
        _ => None,
    });
    let event = lifecycle_event();
    let checks = config.map(|config| PostTraffic::new(config, reqwest::Client::new()));
    let deploy = Deploy::new(CodeDeploy::from_client(codedeploy.client().await), checks);
    let outcome = deploy.handle(&event, 0).await.unwrap();
    (outcome, codedeploy.reports(), event)
}

fn this_build() -> Value {
    serde_json::to_value(BuildInfo::current()).unwrap()
}

#[tokio::test]
async fn post_traffic_passes_when_every_call_reaches_the_new_version() {
    let url = live_api(|_| (200, this_build())).await;
    let (outcome, reports, event) = post_traffic(&url, "0").await;
    assert_eq!(outcome, HookOutcome::Succeeded("2 passed, 0 failed".into()));
    assert_reported(&reports, &event, "Succeeded");
}

#[tokio::test]
async fn post_traffic_fails_on_errors_above_the_allowed_rate_and_passes_within_it() {
    let url = live_api(|n| {
        if n % 5 == 0 {
            (502, json!({"message": "Bad Gateway"}))
        } else {
            (200, this_build())
        }
    })
    .await;
    let (outcome, reports, event) = post_traffic(&url, "0.1").await;
    assert!(
        outcome.reason().contains("4 of 20 requests failed")
            && outcome.reason().contains("status 502"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
    let (outcome, _, _) = post_traffic(&url, "0.25").await;
    assert!(matches!(outcome, HookOutcome::Succeeded(_)), "{outcome:?}");
}

#[tokio::test]
async fn post_traffic_fails_when_the_old_version_still_answers() {
    let url = live_api(|n| {
        if n % 2 == 0 {
            (200, this_build())
        } else {
            (200, json!({"version": "0.0.9", "commit": "0ld0ld0", "buildTime": "2025-01-01T00:00:00Z"}))
        }
    })
    .await;
    let (outcome, reports, event) = post_traffic(&url, "0").await;
    assert!(
        outcome
            .reason()
            .contains("10 of 20 answers came from another version (0.0.9 (0ld0ld0))"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
}
