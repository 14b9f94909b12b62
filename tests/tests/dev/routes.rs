//! The local gateway's route table is the HTTP API that `template.yaml` deploys: the
//! same (method, path, authorizer) for every `HttpApi` event of every function, and no
//! route the template lacks.

use std::collections::BTreeSet;

use hangar::dev::routes::{api_routes, RouteContext};
use hangar::dev::DevResources;
use local_gateway::Authorizer;
use serde_norway::Value;

/// (method, path, authorizer) as `template.yaml` declares them: `Auth.Authorizer` NONE is
/// public, AWS_IAM is the game servers' IAM authorizer, absent is the API's default
/// authorizer (the players' JWT authorizer).
fn template_routes() -> BTreeSet<(String, String, &'static str)> {
    let text = std::fs::read_to_string(hangar_tests::functions::repo_root().join("template.yaml"))
        .unwrap();
    let doc: Value = serde_norway::from_str(&text).unwrap();
    let default = doc["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"]
        .as_str()
        .unwrap();
    assert_eq!(
        default, "PlayerJwt",
        "player routes use the JWT authorizer by default"
    );
    let mut routes = BTreeSet::new();
    for (_, resource) in doc["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let p = &event["Properties"];
            let authorizer = match p["Auth"]["Authorizer"].as_str() {
                None => "player",
                Some("NONE") => "public",
                Some("AWS_IAM") => "server",
                Some(other) => panic!("unknown authorizer {other}"),
            };
            routes.insert((
                p["Method"].as_str().unwrap().to_ascii_uppercase(),
                p["Path"].as_str().unwrap().to_string(),
                authorizer,
            ));
        }
    }
    routes
}

#[tokio::test]
async fn local_route_table_is_exactly_the_templates_http_api() {
    let mut resources = DevResources::default();
    for area in ["sessions", "gameservers"] {
        resources
            .tables
            .insert(area.to_string(), format!("t-{area}"));
    }
    resources.game_session_queue_name = "q".into();
    for var in ["CURSOR_SECRET_ARN", "SERVER_CREDENTIAL_SECRET_ARN"] {
        // Named only: building the routes reads no secret.
        resources.secrets.insert(
            var.to_string(),
            format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{var}"),
        );
    }
    let ctx = RouteContext {
        sdk_config: hangar::dev::local_sdk_config("http://127.0.0.1:9", "us-east-1").await,
        gamelift_endpoint: "http://127.0.0.1:9".into(),
        resources,
    };
    let local: BTreeSet<(String, String, &'static str)> = api_routes(&ctx)
        .await
        .iter()
        .map(|r| {
            let authorizer = match r.authorizer {
                Authorizer::None => "public",
                Authorizer::Player => "player",
                Authorizer::Server => "server",
            };
            (r.method.to_string(), r.path.clone(), authorizer)
        })
        .collect();
    let deployed = template_routes();
    assert!(deployed.len() >= 10, "{deployed:?}");
    assert_eq!(local, deployed);
}

/// (method, path, authorizer) of every operation in `openapi.yaml`: `security: []` is
/// public, `gameServerSigV4` (game servers) and `operatorSigV4` (operators) the IAM
/// authorizer, the document's default the players' JWT authorizer.
fn openapi_routes() -> BTreeSet<(String, String, &'static str)> {
    let text =
        std::fs::read_to_string(hangar_tests::functions::repo_root().join("openapi.yaml")).unwrap();
    let doc: Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(
        doc["security"][0]["playerJwt"],
        Value::Sequence(vec![]),
        "operations use the players' JWT by default"
    );
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if !["get", "put", "post", "delete", "patch"].contains(&method) {
                continue;
            }
            let authorizer = match op.get("security").and_then(Value::as_sequence) {
                None => "player",
                Some(s) if s.is_empty() => "public",
                Some(s)
                    if s.iter().any(|r| {
                        r.get("gameServerSigV4").is_some() || r.get("operatorSigV4").is_some()
                    }) =>
                {
                    "server"
                }
                Some(s) => panic!("{method} {path:?}: unknown security {s:?}"),
            };
            routes.insert((
                method.to_ascii_uppercase(),
                path.as_str().unwrap().to_string(),
                authorizer,
            ));
        }
    }
    routes
}

#[test]
fn openapi_document_describes_exactly_the_templates_http_api() {
    // /openapi.json included: the deployed API serves the document too.
    assert!(template_routes().contains(&(
        "GET".to_string(),
        "/openapi.json".to_string(),
        "public"
    )));
    assert_eq!(openapi_routes(), template_routes());
}
