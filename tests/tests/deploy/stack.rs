//! The API functions of the local stack for the deployment tests: the route table of
//! `hangar dev` (the same handlers the Lambda binaries run), wired to tables on the
//! suite's moto server, as versions of the functions template.yaml declares. The tests
//! reach them only through the public request shape (API Gateway payload-2.0 events and
//! HTTP), never through an area's internals.

use std::collections::BTreeMap;
use std::sync::Arc;

use hangar::dev::routes::{api_routes, RouteContext};
use hangar::rollout::{ApiFunction, Version};
use local_gateway::Handler;
use serde_json::{json, Value};

pub const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function";

pub fn moto_url() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL must point at a moto server (scripts/test starts one)")
}

pub async fn sdk(endpoint: &str) -> aws_types::SdkConfig {
    hangar::dev::local_sdk_config(endpoint, "us-east-1").await
}

/// The API functions of template.yaml.
pub fn api_functions() -> Vec<ApiFunction> {
    let text = std::fs::read_to_string(hangar_tests::functions::repo_root().join("template.yaml"))
        .expect("template.yaml is readable");
    hangar::rollout::template::api_functions(&text).expect("template.yaml's API functions")
}

/// A unique prefix for one test's tables.
pub fn prefix(what: &str) -> String {
    format!("{what}{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// Tables of a version: real ones (created on moto), or names of tables that do not
/// exist (a version that cannot reach its tables).
pub async fn tables(prefix: &str, exist: bool) -> BTreeMap<String, String> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk(&moto_url()).await);
    if !exist {
        return BTreeMap::from([
            (
                hangar::dev::sessions::AREA.to_string(),
                format!("{prefix}-missing-sessions"),
            ),
            (
                hangar::dev::gameservers::AREA.to_string(),
                format!("{prefix}-missing-gameservers"),
            ),
        ]);
    }
    BTreeMap::from([
        (
            hangar::dev::sessions::AREA.to_string(),
            hangar::dev::sessions::create_table(&dynamodb, prefix)
                .await
                .unwrap(),
        ),
        (
            hangar::dev::gameservers::AREA.to_string(),
            hangar::dev::gameservers::create_table(&dynamodb, prefix)
                .await
                .unwrap(),
        ),
    ])
}

/// Every API function of `hangar dev`'s route table over `tables`, as `number`, with
/// signing-key secrets of its own on moto's Secrets Manager.
pub async fn version(number: &str, tables: BTreeMap<String, String>) -> Version {
    let sdk_config = sdk(&moto_url()).await;
    let secrets = hangar::dev::sessions::create_secrets(
        &aws_sdk_secretsmanager::Client::new(&sdk_config),
        &prefix("keys"),
    )
    .await
    .unwrap();
    let resources = hangar::dev::DevResources {
        tables,
        secrets,
        game_session_queue_name: "hangar-test-queue".into(),
        ..Default::default()
    };
    let ctx = RouteContext {
        sdk_config,
        gamelift_endpoint: "http://127.0.0.1:9".into(),
        resources,
    };
    let routes = api_routes(&ctx).await;
    let mut handlers = BTreeMap::new();
    for f in api_functions() {
        let route = routes
            .iter()
            .find(|r| r.route_key() == f.route_key())
            .unwrap_or_else(|| panic!("hangar dev serves no {}", f.route_key()));
        handlers.insert(f.binary.clone(), route.handler.clone());
    }
    Version {
        number: number.to_string(),
        handlers,
    }
}

/// A `/version` handler that reports an older build (the running version of a rollout).
pub fn old_version_handler() -> Handler {
    local_gateway::handler(|_req: lambda_http::Request| async {
        let old =
            json!({"version": "0.0.9", "commit": "0ld0ld0", "buildTime": "2025-01-01T00:00:00Z"});
        lambda_http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(lambda_http::Body::from(old.to_string()))
    })
}

/// Registers every handler of `version` in `registry` as `<binary>:<number>`.
pub fn register(registry: &mut local_lambda::Registry, version: &Version) {
    for (binary, handler) in &version.handlers {
        let handler = Arc::clone(handler);
        registry.register(
            format!("{binary}:{}", version.number),
            move |event: Value| {
                let handler = Arc::clone(&handler);
                async move { hangar::rollout::function::invoke(&handler, event).await }
            },
        );
    }
}
