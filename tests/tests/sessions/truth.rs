//! Join answers the truth: right after a placement is FULFILLED (the emulator's clock at
//! real speed) a join succeeds, after 409 SessionNotReady with Retry-After while GameLift
//! still activates the session, never 410; a reservation whose GameLift player session
//! lapsed is replaced by a fresh RESERVED one; a party gets all its seats or none.

use std::time::{Duration, Instant};

use crate::support::{api_id, Options, Stack};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_right_after_fulfilment_at_real_speed_succeeds_and_never_says_gone() {
    let stack = Stack::start_with(Options {
        adjust: |c| {
            c.speed = 1.0;
            c.server.session_duration_ms = 3_600_000;
        },
        ..Default::default()
    })
    .await;
    let placed = stack
        .create_session("alice", json!({"maxPlayers": 4}))
        .await;
    let path = format!(
        "/v1/sessions/{}/join",
        placed["sessionId"].as_str().unwrap()
    );
    let bob = stack.player("bob");
    let started = Instant::now();
    loop {
        let resp = stack
            .http
            .post(format!("{}{path}", stack.api.url()))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        match status {
            200 => {
                assert!(body["playerSessionId"]
                    .as_str()
                    .unwrap()
                    .starts_with("psess-"));
                break;
            }
            409 => {
                assert_eq!(body["error"]["code"], "SessionNotReady", "{body}");
                let wait = retry_after.expect("SessionNotReady carries Retry-After");
                tokio::time::sleep(Duration::from_secs(wait)).await;
            }
            other => panic!("join right after fulfilment answered {other}: {body}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the session never took players"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_reservation_is_replaced_by_a_fresh_reserved_one_and_gives_its_seat_back() {
    let stack = Stack::start_with(Options {
        poller: false,
        ..Default::default()
    })
    .await;
    // The simulated servers never accept players: reservations time out after 60 s.
    stack
        .emulator
        .admin()
        .game_servers(json!({"acceptPlayersAfterSeconds": null}))
        .await
        .unwrap();
    let ids = stack.gamelift_sessions(1, 2, &[]).await;
    let path = format!("/v1/sessions/{}/join", api_id(&ids[0]));
    let carol = stack.player("carol");
    let (status, first) = stack.call(Method::POST, &path, Some(&carol), None).await;
    assert_eq!(status, 200, "{first}");
    let first_ps = first["playerSessionId"].as_str().unwrap().to_string();

    let admin = stack.emulator.admin();
    admin.advance(61.0).await.unwrap();
    let gl = stack.gamelift();
    let status_of = |ps: String| {
        let gl = gl.clone();
        async move {
            gl.describe_player_sessions()
                .player_session_id(ps)
                .send()
                .await
                .unwrap()
                .player_sessions()[0]
                .status()
                .unwrap()
                .as_str()
                .to_string()
        }
    };
    assert_eq!(status_of(first_ps.clone()).await, "TIMEDOUT");
    // A stored reservation is asked of GameLift again at most every 5 s.
    tokio::time::sleep(Duration::from_millis(5_200)).await;
    let (status, second) = stack.call(Method::POST, &path, Some(&carol), None).await;
    assert_eq!(status, 200, "{second}");
    let second_ps = second["playerSessionId"].as_str().unwrap().to_string();
    assert_ne!(
        second_ps, first_ps,
        "a lapsed player session is never answered"
    );
    assert_eq!(status_of(second_ps).await, "RESERVED");
    // The lapsed seat was given back first: one seat taken, not two.
    let (_, got) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{}", api_id(&ids[0])),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(got["currentPlayerSessionCount"], 1, "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_is_gone_even_for_a_player_holding_a_reservation() {
    let stack = Stack::start_with(Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let ids = stack.gamelift_sessions(1, 4, &[]).await;
    let sid = api_id(&ids[0]);
    let dave = stack.player("dave");
    let (status, _) = stack
        .call(
            Method::POST,
            &format!("/v1/sessions/{sid}/join"),
            Some(&dave),
            None,
        )
        .await;
    assert_eq!(status, 200);
    stack
        .gamelift()
        .terminate_game_session()
        .game_session_id(&ids[0])
        .termination_mode(aws_sdk_gamelift::types::TerminationMode::ForceTerminate)
        .send()
        .await
        .unwrap();
    stack.sessions.reconcile().await.unwrap();
    let (status, body) = stack
        .call(
            Method::POST,
            &format!("/v1/sessions/{sid}/join"),
            Some(&dave),
            None,
        )
        .await;
    assert_eq!(status, 410, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_of_four_gets_four_seats_or_none() {
    let stack = Stack::start_with(Options {
        poller: false,
        ..Default::default()
    })
    .await;
    stack.scale_fleet(2).await;
    let ids = stack.gamelift_sessions(2, 5, &[]).await;
    let party = json!({"players": [
        {"playerId": "p1"}, {"playerId": "p2", "data": "blue"}, {"playerId": "p3"}, {"playerId": "p4"}
    ]});
    let p1 = stack.player("p1");

    // Two seats of five taken: a party of four does not fit, and nobody gets a seat.
    let (tight, roomy) = (api_id(&ids[0]), api_id(&ids[1]));
    for p in ["x", "y"] {
        let (s, _) = stack
            .call(
                Method::POST,
                &format!("/v1/sessions/{tight}/join"),
                Some(&stack.player(p)),
                None,
            )
            .await;
        assert_eq!(s, 200);
    }
    let (status, body) = stack
        .call(
            Method::POST,
            &format!("/v1/sessions/{tight}/join"),
            Some(&p1),
            Some(party.clone()),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "SessionFull");
    let (_, got) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{tight}"),
            Some(&p1),
            None,
        )
        .await;
    assert_eq!(
        got["currentPlayerSessionCount"], 2,
        "no seat was taken: {got}"
    );
    let gl = stack.gamelift();
    let count = |id: String| {
        let gl = gl.clone();
        async move {
            gl.describe_game_sessions()
                .game_session_id(id)
                .send()
                .await
                .unwrap()
                .game_sessions()[0]
                .current_player_session_count()
                .unwrap()
        }
    };
    assert_eq!(count(ids[0].clone()).await, 2);

    // Where it fits, the party gets four seats in one CreatePlayerSessions.
    let (status, joined) = stack
        .call(
            Method::POST,
            &format!("/v1/sessions/{roomy}/join"),
            Some(&p1),
            Some(party),
        )
        .await;
    assert_eq!(status, 200, "{joined}");
    let seats = joined["playerSessions"].as_array().unwrap();
    assert_eq!(seats.len(), 4, "{joined}");
    assert_eq!(seats[0]["playerId"], "p1");
    assert_eq!(joined["playerSessionId"], seats[0]["playerSessionId"]);
    assert_eq!(count(ids[1].clone()).await, 4);
    assert_eq!(
        stack
            .emulator
            .admin()
            .calls("CreatePlayerSessions")
            .await
            .unwrap(),
        1
    );
    let (_, got) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{roomy}"),
            Some(&p1),
            None,
        )
        .await;
    assert_eq!(got["currentPlayerSessionCount"], 4);
    // A party whose member already holds a seat is refused whole, even with a seat free.
    let (status, body) = stack
        .call(
            Method::POST,
            &format!("/v1/sessions/{roomy}/join"),
            Some(&stack.player("p2")),
            Some(json!({"players": [{"playerId": "p2"}]})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "PlayerAlreadyJoined");
    assert_eq!(count(ids[1].clone()).await, 4);
}
