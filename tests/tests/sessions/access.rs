//! Who may call what, and what bad input gets: every route refuses callers without a
//! token, players on server routes and servers on player routes; placements are
//! readable by their players only; bad bodies, filters, sorts, limits, cursors and ids
//! get 400 naming the problem. Also: paging with signed cursors.

use std::collections::HashSet;

use crate::support::{api_id, Stack};
use reqwest::Method;
use serde_json::{json, Value};

const SID: &str = "YXJuOmF3czpnYW1lbGlmdDp1cy1lYXN0LTE6OmdhbWVzZXNzaW9uL2ZsZWV0LTEvZ3Nlc3MtMQ";

fn routes() -> Vec<(Method, String, bool)> {
    vec![
        (Method::POST, "/v1/sessions".into(), true),
        (Method::GET, "/v1/sessions".into(), true),
        (Method::GET, format!("/v1/sessions/{SID}"), true),
        (Method::POST, format!("/v1/sessions/{SID}/join"), true),
        (Method::GET, "/v1/placements/p-1".into(), true),
        (Method::PUT, format!("/v1/server/sessions/{SID}"), false),
        (Method::DELETE, format!("/v1/server/sessions/{SID}"), false),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_missing_forged_and_wrong_kind_tokens() {
    let stack = Stack::start_with(crate::support::Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let player = stack.player("alice");
    let server = stack.server("gs-1");
    let forged = format!("{}x", &player[..player.len() - 1]);
    for (method, path, player_route) in routes() {
        let body = Some(json!({"maxPlayers": 2, "playerCount": 1}));
        // API Gateway answers 401 from the JWT authorizer, 403 from IAM authorization.
        let (status, _) = stack.call(method.clone(), &path, None, body.clone()).await;
        assert_eq!(
            status,
            if player_route { 401 } else { 403 },
            "{method} {path} without a token"
        );
        let (status, _) = stack
            .call(method.clone(), &path, Some(&forged), body.clone())
            .await;
        assert!(
            status == 401 || status == 403,
            "{method} {path} with a forged token: {status}"
        );
        let wrong = if player_route { &server } else { &player };
        let (status, _) = stack.call(method.clone(), &path, Some(wrong), body).await;
        assert!(
            status == 401 || status == 403,
            "{method} {path} with the wrong kind of token: {status}"
        );
    }
    // nothing reached GameLift
    assert_eq!(
        stack
            .emulator
            .admin()
            .calls("StartGameSessionPlacement")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_is_readable_only_by_its_creator_and_reserved_players() {
    let stack = Stack::start_with(crate::support::Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let alice = stack.player("alice");
    let (status, created) = stack
        .call(
            Method::POST,
            "/v1/sessions",
            Some(&alice),
            Some(json!({"maxPlayers": 4, "players": [{"playerId": "alice"}, {"playerId": "bob"}]})),
        )
        .await;
    assert_eq!(status, 202, "{created}");
    let path = format!(
        "/v1/placements/{}",
        created["placementId"].as_str().unwrap()
    );
    for (who, want) in [("alice", 200), ("bob", 200), ("mallory", 403)] {
        let (status, body) = stack
            .call(Method::GET, &path, Some(&stack.player(who)), None)
            .await;
        assert_eq!(status, want, "{who}: {body}");
    }
    let (status, _) = stack
        .call(
            Method::GET,
            "/v1/placements/no-such-placement",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

async fn expect_400(
    stack: &Stack,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&str>,
    code: &str,
    fragment: &str,
) {
    let (status, answer): (u16, Value) = match body {
        Some(b) => stack.call_raw(method.clone(), path, token, b).await,
        None => stack.call(method.clone(), path, Some(token), None).await,
    };
    assert_eq!(status, 400, "{method} {path} {body:?}: {answer}");
    assert_eq!(answer["error"]["code"], code, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(fragment),
        "{message:?} should mention {fragment:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_filters_sorts_limits_cursors_and_ids_get_400_naming_the_problem() {
    let stack = Stack::start_with(crate::support::Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let p = stack.player("alice");
    let s = stack.server("gs-1");
    let post = Method::POST;
    expect_400(
        &stack,
        post.clone(),
        "/v1/sessions",
        &p,
        Some("{not json"),
        "InvalidRequest",
        "body",
    )
    .await;
    expect_400(
        &stack,
        post.clone(),
        "/v1/sessions",
        &p,
        Some("{}"),
        "InvalidRequest",
        "maxPlayers",
    )
    .await;
    expect_400(
        &stack,
        post.clone(),
        "/v1/sessions",
        &p,
        Some(r#"{"maxPlayers":0}"#),
        "InvalidRequest",
        "maxPlayers",
    )
    .await;
    expect_400(
        &stack,
        post.clone(),
        "/v1/sessions",
        &p,
        Some(r#"{"maxPlayers":4,"colour":"red"}"#),
        "InvalidRequest",
        "colour",
    )
    .await;
    expect_400(
        &stack,
        post.clone(),
        "/v1/sessions",
        &p,
        Some(r#"{"maxPlayers":4,"properties":{"mode":7}}"#),
        "InvalidRequest",
        "properties.mode",
    )
    .await;
    expect_400(
        &stack,
        post.clone(),
        "/v1/sessions",
        &p,
        Some(r#"{"maxPlayers":4,"players":[{"playerId":"bob"}]}"#),
        "InvalidRequest",
        "players",
    )
    .await;
    expect_400(
        &stack,
        Method::GET,
        "/v1/sessions?filter=playerSessionCount%20%3E%3E%201",
        &p,
        None,
        "InvalidFilter",
        "position",
    )
    .await;
    expect_400(
        &stack,
        Method::GET,
        "/v1/sessions?filter=nonsense%20%3D%201",
        &p,
        None,
        "InvalidFilter",
        "position",
    )
    .await;
    expect_400(
        &stack,
        Method::GET,
        "/v1/sessions?sort=playerSessionCount%20SIDEWAYS",
        &p,
        None,
        "InvalidSort",
        "position",
    )
    .await;
    expect_400(
        &stack,
        Method::GET,
        "/v1/sessions?limit=0",
        &p,
        None,
        "InvalidLimit",
        "limit",
    )
    .await;
    expect_400(
        &stack,
        Method::GET,
        "/v1/sessions?limit=101",
        &p,
        None,
        "InvalidLimit",
        "limit",
    )
    .await;
    expect_400(
        &stack,
        Method::GET,
        "/v1/sessions?cursor=bm90LWEtY3Vyc29y.AAAA",
        &p,
        None,
        "InvalidCursor",
        "cursor",
    )
    .await;
    expect_400(
        &stack,
        Method::GET,
        "/v1/sessions/%21%21",
        &p,
        None,
        "InvalidSessionId",
        "sessionId",
    )
    .await;
    expect_400(
        &stack,
        post.clone(),
        &format!("/v1/sessions/{SID}/join"),
        &p,
        Some(r#"{"data":""}"#),
        "InvalidRequest",
        "data",
    )
    .await;
    expect_400(
        &stack,
        Method::PUT,
        &format!("/v1/server/sessions/{SID}"),
        &s,
        Some("{}"),
        "InvalidRequest",
        "playerCount",
    )
    .await;
    expect_400(
        &stack,
        Method::PUT,
        &format!("/v1/server/sessions/{SID}"),
        &s,
        Some(r#"{"playerCount":-3}"#),
        "InvalidRequest",
        "playerCount",
    )
    .await;
    // a well-formed id nobody knows is 404, on every route that takes one
    let (status, _) = stack
        .call(Method::GET, &format!("/v1/sessions/{SID}"), Some(&p), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = stack
        .call(post, &format!("/v1/sessions/{SID}/join"), Some(&p), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = stack
        .call(
            Method::PUT,
            &format!("/v1/server/sessions/{SID}"),
            Some(&s),
            Some(json!({"playerCount": 1})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = stack
        .call(
            Method::DELETE,
            &format!("/v1/server/sessions/{SID}"),
            Some(&s),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_with_signed_cursors_visits_every_session_once_and_refuses_altered_or_foreign_cursors(
) {
    let stack = Stack::start_with(crate::support::Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let p = stack.player("alice");
    stack.scale_fleet(4).await;
    let ranked = stack.gamelift_sessions(5, 4, &[("mode", "ranked")]).await;
    let casual = stack.gamelift_sessions(2, 4, &[("mode", "casual")]).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let base = "/v1/sessions?filter=gameSessionProperties.mode%3D%27ranked%27&limit=2";
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("{base}&cursor={c}"),
            None => base.to_string(),
        };
        let (status, page) = stack.call(Method::GET, &path, Some(&p), None).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for s in page["sessions"].as_array().unwrap() {
            seen.push(s["gameSessionId"].as_str().unwrap().to_string());
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>(),
        ranked.iter().collect::<HashSet<_>>()
    );
    assert!(pages >= 3);

    // The default listing holds all 7 (all have free seats), newest first with DESC.
    let (_, all) = stack
        .call(
            Method::GET,
            "/v1/sessions?limit=100&sort=creationTimeMillis%20DESC",
            Some(&p),
            None,
        )
        .await;
    let all = all["sessions"].as_array().unwrap();
    assert_eq!(all.len(), 7);
    let times: Vec<i64> = all
        .iter()
        .map(|s| s["creationTimeMillis"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert!(all
        .iter()
        .any(|s| s["sessionId"] == api_id(&casual[0]).as_str()));

    // Sorting by another attribute happens in memory, paging by offset.
    let (_, sorted) = stack
        .call(
            Method::GET,
            "/v1/sessions?sort=gameSessionName%20ASC&limit=3",
            Some(&p),
            None,
        )
        .await;
    assert_eq!(sorted["sessions"].as_array().unwrap().len(), 3);
    assert!(sorted["nextCursor"].is_string());

    // A cursor from one query is refused by another, and a tampered cursor is refused.
    let (_, first) = stack.call(Method::GET, base, Some(&p), None).await;
    let c = first["nextCursor"].as_str().unwrap();
    let foreign =
        format!("/v1/sessions?filter=gameSessionProperties.mode%3D%27casual%27&limit=2&cursor={c}");
    let (status, body) = stack.call(Method::GET, &foreign, Some(&p), None).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("different query"));
    let (payload, sig) = c.split_once('.').unwrap();
    let tampered = format!("{}A.{sig}", &payload[..payload.len() - 1]);
    let (status, _) = stack
        .call(
            Method::GET,
            &format!("{base}&cursor={tampered}"),
            Some(&p),
            None,
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn every_sessions_route_is_described_in_openapi() {
    // The document as the deployed API and `hangar dev` serve it at /openapi.json.
    let doc: Value = serde_json::from_str(hangar_deploy::api::OPENAPI_JSON).unwrap();
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let routes = hangar::dev::sessions::routes(hangar_sessions::testing::offline(&sdk));
    assert_eq!(routes.len(), 7);
    for r in routes {
        let op = &doc["paths"][r.path.as_str()][r.method.as_str().to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is missing from openapi.yaml",
            r.method,
            r.path
        );
    }
}
