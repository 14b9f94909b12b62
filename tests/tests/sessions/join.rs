//! Joining never over-fills a session, whatever the concurrency.

use std::collections::HashSet;

use crate::support::{api_id, Stack};
use reqwest::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_joins_on_an_eight_seat_session_give_exactly_eight_seats() {
    let stack = Stack::start_with(crate::support::Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let ids = stack.gamelift_sessions(1, 8, &[]).await;
    let sid = api_id(&ids[0]);
    let path = format!("/v1/sessions/{sid}/join");

    let tokens: Vec<String> = (0..50)
        .map(|i| stack.player(&format!("player-{i}")))
        .collect();
    let results = futures::future::join_all(
        tokens
            .iter()
            .map(|t| stack.call(Method::POST, &path, Some(t), None)),
    )
    .await;

    let ok: Vec<_> = results.iter().filter(|(s, _)| *s == 200).collect();
    let full = results
        .iter()
        .filter(|(s, b)| *s == 409 && b["error"]["code"] == "SessionFull")
        .count();
    assert_eq!(ok.len(), 8, "{results:?}");
    assert_eq!(full, 42, "{results:?}");
    let distinct: HashSet<_> = ok
        .iter()
        .map(|(_, b)| b["playerSessionId"].as_str().unwrap())
        .collect();
    assert_eq!(distinct.len(), 8);

    // GameLift holds exactly 8 player sessions.
    let gl = stack
        .gamelift()
        .describe_game_sessions()
        .game_session_id(&ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        gl.game_sessions()[0].current_player_session_count(),
        Some(8)
    );
    // DynamoDB's conditional update admits exactly 8 to GameLift. moto evaluates
    // conditions and increments without a lock, so here GameLift may see a 9th request
    // (refused, its seat given back) and the counter may lose an increment; the
    // reconciler takes GameLift's count, after which the session reads 8 of 8, full.
    stack.sessions.reconcile().await.unwrap();
    let (_, got) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{sid}"),
            Some(&tokens[0]),
            None,
        )
        .await;
    assert_eq!(got["currentPlayerSessionCount"], 8);
    assert_eq!(got["hasAvailablePlayerSessions"], false);
    let (_, open) = stack
        .call(Method::GET, "/v1/sessions", Some(&tokens[0]), None)
        .await;
    assert_eq!(
        open["sessions"].as_array().unwrap().len(),
        0,
        "a full session is not listed as open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_player_joining_concurrently_gets_one_reservation() {
    let stack = Stack::start_with(crate::support::Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let ids = stack.gamelift_sessions(1, 8, &[]).await;
    let path = format!("/v1/sessions/{}/join", api_id(&ids[0]));
    let token = stack.player("eager");
    let results = futures::future::join_all(
        (0..10).map(|_| stack.call(Method::POST, &path, Some(&token), None)),
    )
    .await;
    let seats: HashSet<_> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b["playerSessionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seats.len(), 1, "{results:?}");
    assert!(
        results.iter().all(|(s, _)| *s == 200 || *s == 503),
        "{results:?}"
    );
    assert_eq!(
        stack
            .emulator
            .admin()
            .calls("CreatePlayerSession")
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_seat_gamelift_refuses_is_given_back() {
    let stack = Stack::start_with(crate::support::Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let ids = stack.gamelift_sessions(1, 2, &[]).await;
    let sid = api_id(&ids[0]);
    // GameLift fills the session behind our back (another backend reserved both seats).
    let gl = stack.gamelift();
    for p in ["x", "y"] {
        gl.create_player_session()
            .game_session_id(&ids[0])
            .player_id(p)
            .send()
            .await
            .unwrap();
    }
    let token = stack.player("late");
    let (status, body) = stack
        .call(
            Method::POST,
            &format!("/v1/sessions/{sid}/join"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    // our counter was given back: still 0 taken by us
    let (_, got) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{sid}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(got["currentPlayerSessionCount"], 0, "{got}");
    // and the refused player holds no reservation: a retry asks GameLift again
    let (status, _) = stack
        .call(
            Method::POST,
            &format!("/v1/sessions/{sid}/join"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        stack
            .emulator
            .admin()
            .calls("CreatePlayerSession")
            .await
            .unwrap(),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_seat_gate_alone_admits_exactly_the_maximum_when_gamelift_admits_anyone() {
    let stack = Stack::start_with(crate::support::Options {
        poller: false,
        ..Default::default()
    })
    .await;
    // GameLift (the emulator) set to admit any number of player sessions: only our
    // DynamoDB seat condition stands between 50 players and 8 seats.
    stack
        .emulator
        .admin()
        .game_servers(serde_json::json!({"admitOverMaximum": true}))
        .await
        .unwrap();
    let ids = stack.gamelift_sessions(1, 8, &[]).await;
    let path = format!("/v1/sessions/{}/join", api_id(&ids[0]));
    let tokens: Vec<String> = (0..50)
        .map(|i| stack.player(&format!("player-{i}")))
        .collect();
    let results = futures::future::join_all(
        tokens
            .iter()
            .map(|t| stack.call(Method::POST, &path, Some(t), None)),
    )
    .await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 8, "{results:?}");
    let gl = stack
        .gamelift()
        .describe_game_sessions()
        .game_session_id(&ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        gl.game_sessions()[0].current_player_session_count(),
        Some(8),
        "GameLift was asked for exactly the seats our table gave"
    );
}
