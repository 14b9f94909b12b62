//! TerminateGameSession in the emulator, through the real aws-sdk-gamelift client (RPC v2
//! CBOR) and over the JSON 1.1 protocol: both termination modes, player sessions ending
//! with their game session, capacity, and the refusals GameLift answers with.

use aws_sdk_gamelift::error::ProvideErrorMetadata;
use aws_sdk_gamelift::types::{
    GameSession, GameSessionStatus, GameSessionStatusReason, PlayerSessionStatus, TerminationMode,
};
use aws_sdk_gamelift::Client;
use hangar_tests::gamelift::{active_fleet, create_game_session, wait_game_session_status};
use hangar_tests::{gamelift_client, start_emulator};
use serde_json::{json, Value};

/// Player session statuses of a game session.
async fn player_statuses(gl: &Client, game_session_id: &str) -> Vec<PlayerSessionStatus> {
    let d = gl
        .describe_player_sessions()
        .game_session_id(game_session_id)
        .send()
        .await
        .unwrap();
    d.player_sessions()
        .iter()
        .map(|p| p.status().unwrap().clone())
        .collect()
}

async fn game_session(
    gl: &Client,
    id: &str,
) -> (GameSessionStatus, Option<GameSessionStatusReason>) {
    let d = gl
        .describe_game_sessions()
        .game_session_id(id)
        .send()
        .await
        .unwrap();
    let g = &d.game_sessions()[0];
    (g.status().unwrap().clone(), g.status_reason().cloned())
}

/// TerminateGameSession: the game session after the call, or the error (code, message).
async fn terminate(
    gl: &Client,
    id: &str,
    mode: TerminationMode,
) -> Result<GameSession, (String, String)> {
    gl.terminate_game_session()
        .game_session_id(id)
        .termination_mode(mode)
        .send()
        .await
        .map(|o| o.game_session().unwrap().clone())
        .map_err(|e| {
            (
                e.code().unwrap_or_default().to_string(),
                e.message().unwrap_or_default().to_string(),
            )
        })
}

/// CreateGameSession on a fleet: Ok, or the error code.
async fn try_create(gl: &Client, fleet: &str) -> Result<(), String> {
    gl.create_game_session()
        .fleet_id(fleet)
        .maximum_player_session_count(4)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.code().unwrap_or_default().to_string())
}

#[tokio::test]
async fn force_terminate_ends_the_session_and_its_players_at_once_and_frees_the_slot() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    // One instance, one game session per instance: the fleet has exactly one slot.
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    let id = create_game_session(&gl, &fleet, 4).await;
    wait_game_session_status(&gl, &id, GameSessionStatus::Active).await;
    gl.create_player_sessions()
        .game_session_id(&id)
        .player_ids("alice")
        .player_ids("bob")
        .send()
        .await
        .unwrap();
    assert_eq!(
        try_create(&gl, &fleet).await.unwrap_err(),
        "FleetCapacityExceededException"
    );

    emu.admin().set_speed(0.0).await.unwrap();
    let g = terminate(&gl, &id, TerminationMode::ForceTerminate)
        .await
        .unwrap();
    assert_eq!(g.status(), Some(&GameSessionStatus::Terminated));
    assert_eq!(
        g.status_reason(),
        Some(&GameSessionStatusReason::ForceTerminated)
    );
    assert!(g.termination_time().is_some());
    assert_eq!(g.current_player_session_count(), Some(0));
    // Ended at once (the clock is frozen), players with it.
    assert_eq!(
        game_session(&gl, &id).await,
        (
            GameSessionStatus::Terminated,
            Some(GameSessionStatusReason::ForceTerminated)
        )
    );
    let players = player_statuses(&gl, &id).await;
    assert_eq!(players.len(), 2);
    assert!(
        players.iter().all(|s| matches!(
            s,
            PlayerSessionStatus::Completed | PlayerSessionStatus::Timedout
        )),
        "{players:?}"
    );
    // The slot is free again.
    try_create(&gl, &fleet).await.unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn trigger_on_process_terminate_is_terminating_then_terminated_on_the_clock() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    let id = create_game_session(&gl, &fleet, 4).await;
    wait_game_session_status(&gl, &id, GameSessionStatus::Active).await;
    gl.create_player_session()
        .game_session_id(&id)
        .player_id("alice")
        .send()
        .await
        .unwrap();
    // Let the simulated server accept the player, then freeze the clock.
    emu.admin().advance(5.0).await.unwrap();
    emu.admin().set_speed(0.0).await.unwrap();
    assert_eq!(
        player_statuses(&gl, &id).await,
        vec![PlayerSessionStatus::Active]
    );

    let g = terminate(&gl, &id, TerminationMode::TriggerOnProcessTerminate)
        .await
        .unwrap();
    assert_eq!(g.status(), Some(&GameSessionStatus::Terminating));
    // While the server process shuts down: players still in, slot still held, no new players.
    assert_eq!(
        player_statuses(&gl, &id).await,
        vec![PlayerSessionStatus::Active]
    );
    assert_eq!(
        try_create(&gl, &fleet).await.unwrap_err(),
        "FleetCapacityExceededException"
    );
    let err = gl
        .create_player_session()
        .game_session_id(&id)
        .player_id("late")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidGameSessionStatusException"));
    // A second termination of a TERMINATING session is refused.
    let (code, _) = terminate(&gl, &id, TerminationMode::ForceTerminate)
        .await
        .unwrap_err();
    assert_eq!(code, "InvalidGameSessionStatusException");

    emu.admin().advance(5.0).await.unwrap();
    assert_eq!(
        game_session(&gl, &id).await,
        (
            GameSessionStatus::Terminated,
            Some(GameSessionStatusReason::TriggeredOnProcessTerminate)
        )
    );
    assert_eq!(
        player_statuses(&gl, &id).await,
        vec![PlayerSessionStatus::Completed]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn an_activating_session_can_be_terminated_but_ended_or_failed_sessions_cannot() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 3, &[]).await;
    emu.admin().set_speed(0.0).await.unwrap();
    let activating = create_game_session(&gl, &fleet, 4).await;
    assert_eq!(
        game_session(&gl, &activating).await.0,
        GameSessionStatus::Activating
    );
    let g = terminate(&gl, &activating, TerminationMode::TriggerOnProcessTerminate)
        .await
        .unwrap();
    assert_eq!(g.status(), Some(&GameSessionStatus::Terminating));
    emu.admin().advance(60.0).await.unwrap();
    assert_eq!(
        game_session(&gl, &activating).await.0,
        GameSessionStatus::Terminated,
        "a terminating session never becomes ACTIVE"
    );
    // The SDK maps the refusal to its typed error.
    let err = gl
        .terminate_game_session()
        .game_session_id(&activating)
        .termination_mode(TerminationMode::ForceTerminate)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_invalid_game_session_status_exception(),
        "{err:?}"
    );
    assert!(err.message().unwrap().contains("TERMINATED"), "{err:?}");

    let failed = create_game_session(&gl, &fleet, 4).await;
    emu.admin().fleet_error(&fleet, None).await.unwrap();
    assert_eq!(game_session(&gl, &failed).await.0, GameSessionStatus::Error);
    let (code, _) = terminate(&gl, &failed, TerminationMode::ForceTerminate)
        .await
        .unwrap_err();
    assert_eq!(code, "InvalidGameSessionStatusException");

    let unknown = format!("arn:aws:gamelift:us-east-1::gamesession/{fleet}/gsess-missing");
    let (code, _) = terminate(&gl, &unknown, TerminationMode::ForceTerminate)
        .await
        .unwrap_err();
    assert_eq!(code, "NotFoundException");
    emu.shutdown().await;
}

#[tokio::test]
async fn terminate_game_session_over_json_1_1_and_its_bad_requests_name_the_member() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    let id = create_game_session(&gl, &fleet, 4).await;
    let http = reqwest::Client::new();
    let call = |body: Value| {
        http.post(emu.endpoint_url())
            .header("X-Amz-Target", "GameLift.TerminateGameSession")
            .header("Content-Type", "application/x-amz-json-1.1")
            .body(body.to_string())
            .send()
    };
    for (body, needle) in [
        (
            json!({"GameSessionId": id}),
            "Value null at 'terminationMode' failed to satisfy constraint: Member must not be null",
        ),
        (
            json!({"GameSessionId": id, "TerminationMode": "GENTLY"}),
            "Value 'GENTLY' at 'terminationMode' failed to satisfy constraint: Member must satisfy enum value set: [TRIGGER_ON_PROCESS_TERMINATE, FORCE_TERMINATE]",
        ),
        (
            json!({"TerminationMode": "FORCE_TERMINATE"}),
            "Value null at 'gameSessionId' failed to satisfy constraint: Member must not be null",
        ),
    ] {
        let r = call(body).await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["x-amzn-errortype"], "InvalidRequestException");
        let b: Value = r.json().await.unwrap();
        assert!(b["message"].as_str().unwrap().contains(needle), "{b}");
    }
    assert_ne!(
        game_session(&gl, &id).await.0,
        GameSessionStatus::Terminated,
        "bad requests changed nothing"
    );
    let ok = call(json!({"GameSessionId": id, "TerminationMode": "FORCE_TERMINATE"}))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let b: Value = ok.json().await.unwrap();
    assert_eq!(b["GameSession"]["Status"], "TERMINATED", "{b}");
    assert_eq!(b["GameSession"]["StatusReason"], "FORCE_TERMINATED", "{b}");
    assert!(b["GameSession"]["TerminationTime"].is_number(), "{b}");
    emu.shutdown().await;
}
