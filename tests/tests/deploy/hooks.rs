//! CodeDeploy traffic hooks against local stand-ins, reached by the real aws-sdk-codedeploy
//! and aws-sdk-lambda clients over loopback: CodeDeploy (`local-codedeploy`: the
//! deployment, its hook executions, PutLifecycleEventHookExecutionStatus,
//! ListDeploymentTargets, GetDeploymentTarget) and Lambda Invoke (`local-lambda`) in
//! front of the API functions of the local stack, with their tables on the suite's moto
//! server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use axum::http::StatusCode;
use hangar_deploy::codedeploy::CodeDeploy;
use hangar_deploy::config::{PostTrafficConfig, PreTrafficConfig};
use hangar_deploy::lambda::Lambda;
use hangar_deploy::post_traffic::PostTraffic;
use hangar_deploy::pre_traffic::PreTraffic;
use hangar_deploy::{BuildInfo, Deploy, HookOutcome};
use lambda_runtime::Diagnostic;
use local_codedeploy::{LambdaTarget, LocalCodeDeploy, Report};
use serde_json::{json, Value};

use crate::stack::{self, ARN};

fn json_answer(status: u16, body: Value) -> Value {
    json!({"statusCode": status, "headers": {"content-type": "application/json"}, "body": body.to_string(), "isBase64Encoded": false})
}

/// A local Lambda with version 2 of every API function over `tables`, version 6 of them
/// over tables that do not exist, the same as `live` aliases, and broken versions of
/// `version`: 1 reports an old build, 3 fails, 4 answers the wrong shape, 5 hangs.
async fn local_lambda(tables_exist: bool) -> local_lambda::LocalLambda {
    let mut registry = local_lambda::Registry::new();
    let prefix = stack::prefix("hook");
    let good = stack::version("2", stack::tables(&prefix, tables_exist).await).await;
    stack::register(&mut registry, &good);
    let mut live = good.clone();
    live.number = "live".into();
    stack::register(&mut registry, &live);
    stack::register(
        &mut registry,
        &stack::version("6", stack::tables(&prefix, false).await).await,
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
    local_lambda::serve(registry, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// A deployment of `function` in the local CodeDeploy and a started hook execution.
fn lifecycle_event(
    codedeploy: &LocalCodeDeploy,
    function: &str,
    hook: &str,
) -> CodeDeployLifecycleEvent {
    let id = codedeploy.create_deployment(LambdaTarget {
        function_name: function.into(),
        alias: "live".into(),
        current_version: "1".into(),
        target_version: "2".into(),
    });
    let execution = codedeploy.start_hook(&id, hook).unwrap();
    serde_json::from_value(execution.event()).unwrap()
}

fn vars(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

/// Every API function at `version`.
fn all_functions(version: &str) -> String {
    stack::api_functions()
        .iter()
        .map(|f| format!("{b}={ARN}:{b}:{version}", b = f.binary))
        .collect::<Vec<_>>()
        .join(",")
}

/// Runs the PreTraffic hook once; returns its outcome and what CodeDeploy received.
async fn pre_traffic(
    targets: &str,
    budget_secs: u64,
    tables_exist: bool,
) -> (HookOutcome, Vec<Report>, CodeDeployLifecycleEvent) {
    let codedeploy = LocalCodeDeploy::start().await.unwrap();
    let lambda_service = local_lambda(tables_exist).await;
    let lambda = Lambda::new(&stack::sdk(&lambda_service.endpoint_url()).await);
    let event = lifecycle_event(&codedeploy, "version", "BeforeAllowTraffic");
    let checks = PreTrafficConfig::from_vars(&vars(vec![
        ("API_FUNCTION_VERSIONS", targets.to_string()),
        ("HOOK_BUDGET_SECONDS", budget_secs.to_string()),
    ]))
    .map(|config| PreTraffic::new(config, lambda));
    let deploy = Deploy::new(
        CodeDeploy::new(&stack::sdk(&codedeploy.url()).await),
        checks,
    );
    let outcome = deploy.handle(&event, 0).await.unwrap();
    (outcome, codedeploy.reports(), event)
}

fn assert_reported(reports: &[Report], event: &CodeDeployLifecycleEvent, status: &str) {
    assert_eq!(reports.len(), 1, "exactly one report: {reports:?}");
    assert_eq!(reports[0].deployment_id, event.deployment_id);
    assert_eq!(
        reports[0].execution_id,
        event.lifecycle_event_hook_execution_id
    );
    assert_eq!(reports[0].status, status);
}

#[tokio::test]
async fn pre_traffic_passes_every_api_function_through_its_read_paths_and_reports_succeeded() {
    let (outcome, reports, event) = pre_traffic(&all_functions("2"), 60, true).await;
    assert!(matches!(outcome, HookOutcome::Succeeded(_)), "{outcome:?}");
    // /version; list, get (404) and placement (404) of the sessions table and the
    // game-server list, each also refusing an anonymous request; the five writing
    // functions refusing an anonymous request.
    assert_eq!(outcome.reason(), "14 passed, 0 failed");
    assert_reported(&reports, &event, "Succeeded");
}

#[tokio::test]
async fn pre_traffic_reports_failed_for_a_version_whose_table_does_not_exist() {
    let (outcome, reports, event) = pre_traffic(&all_functions("6"), 60, true).await;
    assert!(matches!(outcome, HookOutcome::Failed(_)), "{outcome:?}");
    let reason = outcome.reason();
    for read in [
        "sessions-list GET",
        "sessions-get GET",
        "placement-status GET",
        "gameservers-list GET",
    ] {
        assert!(reason.contains(read), "{read}: {reason}");
    }
    assert!(reason.contains("status 500"), "{reason}");
    assert!(reason.starts_with("10 passed, 4 failed"), "{reason}");
    assert_reported(&reports, &event, "Failed");
}

#[tokio::test]
async fn pre_traffic_reports_failed_when_the_new_version_errors() {
    let (outcome, reports, event) =
        pre_traffic(&format!("version={ARN}:version:3"), 30, true).await;
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
    let (outcome, reports, event) =
        pre_traffic(&format!("version={ARN}:version:4"), 30, true).await;
    assert!(
        outcome.reason().contains("not {\"version\""),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
}

#[tokio::test]
async fn pre_traffic_reports_failed_when_the_new_version_reports_the_old_version() {
    let (outcome, reports, event) =
        pre_traffic(&format!("version={ARN}:version:1"), 30, true).await;
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
    let (outcome, reports, event) = pre_traffic(&format!("version={ARN}:version:5"), 1, true).await;
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
    let (outcome, reports, event) = pre_traffic("version=not-an-arn", 30, true).await;
    assert!(
        outcome.reason().contains("API_FUNCTION_VERSIONS"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
    // The function it must invoke does not exist (its Invoke call fails).
    let (outcome, reports, event) =
        pre_traffic(&format!("version={ARN}:no-such-function:2"), 30, true).await;
    assert!(
        outcome.reason().contains("invoking"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
}

#[tokio::test]
async fn a_hook_execution_is_reported_once_and_only_with_succeeded_or_failed() {
    // The stand-in holds the hook to CodeDeploy's rules, so the tests above prove the
    // hook's one report is one CodeDeploy accepts.
    let codedeploy = LocalCodeDeploy::start().await.unwrap();
    let client = aws_sdk_codedeploy::Client::new(&stack::sdk(&codedeploy.url()).await);
    let event = lifecycle_event(&codedeploy, "version", "BeforeAllowTraffic");
    let put = |status: &str| {
        client
            .put_lifecycle_event_hook_execution_status()
            .deployment_id(&event.deployment_id)
            .lifecycle_event_hook_execution_id(&event.lifecycle_event_hook_execution_id)
            .status(status.into())
            .send()
    };
    let e = put("InProgress").await.unwrap_err();
    assert_eq!(
        aws_sdk_codedeploy::error::ProvideErrorMetadata::code(&e),
        Some("InvalidLifecycleEventHookExecutionStatusException")
    );
    put("Succeeded").await.unwrap();
    let e = put("Failed").await.unwrap_err();
    assert_eq!(
        aws_sdk_codedeploy::error::ProvideErrorMetadata::code(&e),
        Some("LifecycleEventAlreadyCompletedException")
    );
    let e = client
        .put_lifecycle_event_hook_execution_status()
        .deployment_id("d-NOSUCHONE")
        .lifecycle_event_hook_execution_id("x")
        .status("Failed".into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_codedeploy::error::ProvideErrorMetadata::code(&e),
        Some("DeploymentDoesNotExistException")
    );
}

/// A live API whose `/version` answers `answer(n)` for the n-th request; its base URL.
async fn live_api(answer: fn(usize) -> (u16, Value)) -> String {
    let count = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/version",
        axum::routing::get(move || {
            let n = count.fetch_add(1, Ordering::SeqCst);
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

/// Runs the PostTraffic hook once for a deployment of `function`.
async fn post_traffic_of(
    function: &str,
    url: &str,
    max_error_rate: &str,
) -> (HookOutcome, Vec<Report>, CodeDeployLifecycleEvent) {
    let codedeploy = LocalCodeDeploy::start().await.unwrap();
    let lambda_service = local_lambda(true).await;
    let config = PostTrafficConfig::from_vars(&vars(vec![
        ("API_FUNCTION_VERSIONS", all_functions("2")),
        ("API_URL", url.to_string()),
        ("POST_TRAFFIC_REQUESTS", "20".into()),
        ("POST_TRAFFIC_MAX_ERROR_RATE", max_error_rate.to_string()),
    ]));
    let codedeploy_client = CodeDeploy::new(&stack::sdk(&codedeploy.url()).await);
    let lambda = Lambda::new(&stack::sdk(&lambda_service.endpoint_url()).await);
    let checks = config.map(|config| {
        PostTraffic::new(
            config,
            codedeploy_client.clone(),
            lambda,
            reqwest::Client::new(),
        )
    });
    let event = lifecycle_event(&codedeploy, function, "AfterAllowTraffic");
    let deploy = Deploy::new(codedeploy_client, checks);
    let outcome = deploy.handle(&event, 0).await.unwrap();
    (outcome, codedeploy.reports(), event)
}

async fn post_traffic(
    url: &str,
    max_error_rate: &str,
) -> (HookOutcome, Vec<Report>, CodeDeployLifecycleEvent) {
    post_traffic_of("version", url, max_error_rate).await
}

fn this_build() -> Value {
    serde_json::to_value(BuildInfo::current()).unwrap()
}

#[tokio::test]
async fn post_traffic_passes_when_every_call_reaches_the_new_version() {
    let url = live_api(|_| (200, this_build())).await;
    let (outcome, reports, event) = post_traffic(&url, "0").await;
    // GET /version through the live alias, the error rate and the version of the live API.
    assert_eq!(outcome, HookOutcome::Succeeded("3 passed, 0 failed".into()));
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

#[tokio::test]
async fn post_traffic_checks_the_function_its_deployment_shifted_through_the_live_alias() {
    let url = live_api(|_| (500, json!({}))).await;
    // The game-server list: its read path through `gameservers-list:live`; the live
    // /version is not asked (it is not the version function's deployment).
    let (outcome, reports, event) = post_traffic_of("gameservers-list", &url, "0").await;
    assert_eq!(outcome, HookOutcome::Succeeded("2 passed, 0 failed".into()));
    assert_reported(&reports, &event, "Succeeded");
    // A function that is not an API function of the template.
    let (outcome, reports, event) = post_traffic_of("fleet-validate", &url, "0").await;
    assert!(
        outcome
            .reason()
            .contains("fleet-validate: not one of the API functions"),
        "{}",
        outcome.reason()
    );
    assert_reported(&reports, &event, "Failed");
}
