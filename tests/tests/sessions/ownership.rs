//! A game server acts only on the sessions it hosts: the server API wants, besides the
//! IAM signature, the session's credential, which GameLift hands to the hosting server as
//! a game property and which no player-facing answer carries.

use crate::support::Stack;
use hangar_sessions::credential;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_acts_only_on_the_session_whose_credential_it_holds() {
    let stack = Stack::start().await;
    let a = stack
        .create_session("alice", json!({"maxPlayers": 4}))
        .await;
    let b = stack.create_session("bob", json!({"maxPlayers": 4})).await;
    let (sid_a, sid_b) = (
        a["sessionId"].as_str().unwrap().to_string(),
        b["sessionId"].as_str().unwrap().to_string(),
    );
    // What each hosting server got from GameLift with its game session.
    let cred_a = stack
        .server_credential(a["gameSessionId"].as_str().unwrap())
        .await;
    let cred_b = stack
        .server_credential(b["gameSessionId"].as_str().unwrap())
        .await;
    assert_ne!(cred_a, cred_b);
    let server = stack.server("game-server-b");
    let update = |sid: &str| format!("/v1/server/sessions/{sid}");

    // Server B, with B's credential, on session A: refused, and A is unchanged.
    for (method, body) in [
        (Method::PUT, Some(json!({"playerCount": 3}))),
        (Method::DELETE, None),
    ] {
        let (status, answer) = stack
            .call_with(
                method.clone(),
                &update(&sid_a),
                Some(&server),
                body.clone(),
                &[(credential::HEADER, cred_b.as_str())],
            )
            .await;
        assert_eq!(
            status, 403,
            "{method} with another session's credential: {answer}"
        );
        let (status, _) = stack
            .call(method.clone(), &update(&sid_a), Some(&server), body.clone())
            .await;
        assert_eq!(status, 403, "{method} without a credential");
    }
    let (_, got) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{sid_a}"),
            Some(&stack.player("carol")),
            None,
        )
        .await;
    assert_eq!(got["status"], "ACTIVE");
    assert_eq!(got["currentPlayerSessionCount"], 1);

    // With its own credential, B updates and ends B.
    let (status, updated) = stack
        .call_with(
            Method::PUT,
            &update(&sid_b),
            Some(&server),
            Some(json!({"playerCount": 2})),
            &[(credential::HEADER, cred_b.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["currentPlayerSessionCount"], 2);
    let (status, ended) = stack
        .call_with(
            Method::DELETE,
            &update(&sid_b),
            Some(&server),
            None,
            &[(credential::HEADER, cred_b.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["status"], "TERMINATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_player_facing_answer_carries_the_credential() {
    let stack = Stack::start().await;
    let alice = stack.player("alice");
    let placed = stack
        .create_session(
            "alice",
            json!({"maxPlayers": 4, "properties": {"mode": "ranked"}}),
        )
        .await;
    let cred = stack
        .server_credential(placed["gameSessionId"].as_str().unwrap())
        .await;
    let sid = placed["sessionId"].as_str().unwrap();
    let answers: Vec<Value> = vec![
        placed.clone(),
        stack
            .call(
                Method::GET,
                &format!("/v1/sessions/{sid}"),
                Some(&alice),
                None,
            )
            .await
            .1,
        stack
            .call(Method::GET, "/v1/sessions", Some(&alice), None)
            .await
            .1,
        stack
            .call(
                Method::GET,
                "/v1/sessions?filter=gameSessionProperties.mode%20%3D%20%27ranked%27",
                Some(&alice),
                None,
            )
            .await
            .1,
        stack
            .call(
                Method::POST,
                &format!("/v1/sessions/{sid}/join"),
                Some(&stack.player("bob")),
                None,
            )
            .await
            .1,
    ];
    for a in answers {
        let text = a.to_string();
        assert!(!text.contains(&cred), "{text}");
        assert!(!text.contains(credential::PROPERTY), "{text}");
    }
}
