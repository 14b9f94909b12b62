//! The sessions API end to end over HTTP: create -> placement fulfilled (emulator ->
//! SNS -> SQS on moto -> consumer) -> list and filter -> get -> join -> server updates
//! the player count -> server ends the session.

use crate::support::Stack;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_place_list_get_join_update_and_end_a_session() {
    let stack = Stack::start().await;
    let alice = stack.player("alice");
    let carol = stack.player("carol");
    let server = stack.server("game-server-1");

    let placed = stack
        .create_session(
            "alice",
            json!({"maxPlayers": 4, "name": "dune-ranked", "properties": {"mode": "ranked", "map": "dune"},
                   "players": [{"playerId": "alice"}, {"playerId": "bob", "data": "blue"}]}),
        )
        .await;
    let sid = placed["sessionId"].as_str().unwrap().to_string();
    assert!(
        placed["playerSessionId"]
            .as_str()
            .unwrap()
            .starts_with("psess-"),
        "{placed}"
    );
    assert!(placed["port"].as_u64().unwrap() > 0);
    // the URL-safe id is the base64url of the GameLift ARN
    assert!(placed["gameSessionId"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:gamelift:"));
    assert!(sid
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));

    // Listing: the default (open sessions) and by one property.
    let (status, listed) = stack
        .call(Method::GET, "/v1/sessions", Some(&carol), None)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(listed["sessions"][0]["sessionId"], sid.as_str());
    assert_eq!(listed["sessions"][0]["currentPlayerSessionCount"], 2);
    let filter = "/v1/sessions?filter=gameSessionProperties.mode%20%3D%20%27ranked%27";
    let (status, by_mode) = stack.call(Method::GET, filter, Some(&carol), None).await;
    assert_eq!(status, 200, "{by_mode}");
    assert_eq!(by_mode["sessions"].as_array().unwrap().len(), 1);
    let other = "/v1/sessions?filter=gameSessionProperties.mode%20%3D%20%27casual%27";
    let (_, none) = stack.call(Method::GET, other, Some(&carol), None).await;
    assert_eq!(none["sessions"].as_array().unwrap().len(), 0);

    let (status, got) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{sid}"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["name"], "dune-ranked");
    assert_eq!(got["status"], "ACTIVE");
    assert_eq!(got["maximumPlayerSessionCount"], 4);

    // Join: a new player gets a GameLift player session; joining again returns the same.
    let join = format!("/v1/sessions/{sid}/join");
    let (status, joined) = stack
        .call(
            Method::POST,
            &join,
            Some(&carol),
            Some(json!({"data": "red"})),
        )
        .await;
    assert_eq!(status, 200, "{joined}");
    let psess = joined["playerSessionId"].as_str().unwrap().to_string();
    assert!(psess.starts_with("psess-"));
    assert!(joined["port"].as_u64().unwrap() > 0);
    let (status, again) = stack.call(Method::POST, &join, Some(&carol), None).await;
    assert_eq!(status, 200);
    assert_eq!(again["playerSessionId"], psess.as_str());
    // alice holds a seat from the placement: joining returns that reservation
    let (status, alice_seat) = stack.call(Method::POST, &join, Some(&alice), None).await;
    assert_eq!(status, 200);
    assert_eq!(alice_seat["playerSessionId"], placed["playerSessionId"]);
    let (_, got) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{sid}"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(got["currentPlayerSessionCount"], 3);

    // The game server hosting the session reports its player count and properties, with
    // the credential GameLift handed it.
    let server_path = format!("/v1/server/sessions/{sid}");
    let cred = stack
        .server_credential(placed["gameSessionId"].as_str().unwrap())
        .await;
    let hosting = [(hangar_sessions::credential::HEADER, cred.as_str())];
    let (status, updated) = stack
        .call_with(
            Method::PUT,
            &server_path,
            Some(&server),
            Some(json!({"playerCount": 4, "properties": {"phase": "playing"}})),
            &hosting,
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["currentPlayerSessionCount"], 4);
    assert_eq!(updated["hasAvailablePlayerSessions"], false);
    assert_eq!(updated["properties"]["mode"], "ranked");
    assert_eq!(updated["properties"]["phase"], "playing");
    // full: gone from the default listing, still listed by property, now by the new one too
    let (_, open) = stack
        .call(Method::GET, "/v1/sessions", Some(&carol), None)
        .await;
    assert_eq!(open["sessions"].as_array().unwrap().len(), 0, "{open}");
    let (_, by_phase) = stack
        .call(
            Method::GET,
            "/v1/sessions?filter=gameSessionProperties.phase%3D%27playing%27",
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(
        by_phase["sessions"][0]["currentPlayerSessionCount"], 4,
        "{by_phase}"
    );
    let dave = stack.player("dave");
    let (status, full) = stack.call(Method::POST, &join, Some(&dave), None).await;
    assert_eq!(status, 409, "{full}");
    assert_eq!(full["error"]["code"], "SessionFull");

    // The game server ends the session.
    let (status, ended) = stack
        .call_with(Method::DELETE, &server_path, Some(&server), None, &hosting)
        .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["status"], "TERMINATED");
    let (status, _) = stack
        .call_with(Method::DELETE, &server_path, Some(&server), None, &hosting)
        .await;
    assert_eq!(status, 200, "ending twice is harmless");
    let (status, gone) = stack.call(Method::POST, &join, Some(&dave), None).await;
    assert_eq!(status, 410, "{gone}");
    let (_, by_mode) = stack.call(Method::GET, filter, Some(&carol), None).await;
    assert_eq!(
        by_mode["sessions"].as_array().unwrap().len(),
        0,
        "ended sessions leave every listing"
    );
    let (status, _) = stack
        .call_with(
            Method::PUT,
            &server_path,
            Some(&server),
            Some(json!({"playerCount": 1})),
            &hosting,
        )
        .await;
    assert_eq!(status, 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_create_with_the_same_idempotency_key_returns_the_same_placement() {
    let stack = Stack::start().await;
    let alice = stack.player("alice");
    let body = json!({"maxPlayers": 2});
    let headers = [("idempotency-key", "create-once-1")];
    let (s1, first) = stack
        .call_with(
            Method::POST,
            "/v1/sessions",
            Some(&alice),
            Some(body.clone()),
            &headers,
        )
        .await;
    let (s2, second) = stack
        .call_with(
            Method::POST,
            "/v1/sessions",
            Some(&alice),
            Some(body),
            &headers,
        )
        .await;
    assert_eq!((s1, s2), (202, 202), "{first} {second}");
    assert_eq!(first["placementId"], second["placementId"]);
    // the same key with another body is refused
    let (s3, other) = stack
        .call_with(
            Method::POST,
            "/v1/sessions",
            Some(&alice),
            Some(json!({"maxPlayers": 3})),
            &headers,
        )
        .await;
    assert_eq!(s3, 422, "{other}");
    assert_eq!(other["error"]["code"], "IdempotencyKeyReused");
    // another player's same key is another placement
    let bob = stack.player("bob");
    let (_, bobs) = stack
        .call_with(
            Method::POST,
            "/v1/sessions",
            Some(&bob),
            Some(json!({"maxPlayers": 2})),
            &headers,
        )
        .await;
    assert_ne!(bobs["placementId"], first["placementId"]);
    // GameLift saw exactly two placements
    let placed = stack
        .emulator
        .admin()
        .calls("StartGameSessionPlacement")
        .await
        .unwrap();
    assert_eq!(placed, 2);
}
