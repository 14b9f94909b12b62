//! Placement as GameLift documents it: FULFILLED only once the game session is ACTIVE
//! and its player sessions exist (so a player can join at once, at any clock speed);
//! destinations ordered by the players' latencies within the queue's
//! PlayerLatencyPolicies; PlacementFailed and never-activating game sessions as faults.

use aws_sdk_gamelift::types::{
    DesiredPlayerSession, GameSessionPlacementState, GameSessionStatus, PlayerLatency,
    PlayerLatencyPolicy,
};
use aws_sdk_gamelift::Client;
use gamelift_emulator::RunningEmulator;
use hangar_tests::gamelift::{
    active_fleet, create_game_session, create_queue, wait_game_session_status, POLL, WAIT,
};
use hangar_tests::{gamelift_client, start_emulator, unique_name, wait_until};
use std::time::Duration;

/// Starts a placement for `players` and polls it (every 5 ms real time) until it leaves
/// PENDING; returns it as first seen.
async fn placed(
    gl: &Client,
    queue: &str,
    players: &[&str],
    wait: Duration,
) -> aws_sdk_gamelift::types::GameSessionPlacement {
    let id = unique_name("placement");
    let mut req = gl
        .start_game_session_placement()
        .placement_id(&id)
        .game_session_queue_name(queue)
        .maximum_player_session_count(4);
    for p in players {
        req = req.desired_player_sessions(DesiredPlayerSession::builder().player_id(*p).build());
    }
    req.send().await.unwrap();
    wait_until(wait, Duration::from_millis(5), || async {
        let p = gl
            .describe_game_session_placement()
            .placement_id(&id)
            .send()
            .await
            .unwrap();
        let p = p.game_session_placement().unwrap().clone();
        (p.status() != Some(&GameSessionPlacementState::Pending)).then_some(p)
    })
    .await
    .expect("the placement never left PENDING")
}

/// With the clock at `speed` once the fleet is up: at the first sight of FULFILLED, the
/// game session is ACTIVE, the placed player sessions exist, and a further player can join
/// right away.
async fn join_right_after_fulfilment(emu: &RunningEmulator, speed: f64, wait: Duration) {
    let gl = gamelift_client(emu);
    let (_, arn) = active_fleet(&gl, 1, &[]).await;
    let q = create_queue(&gl, &[&arn], 600, None).await;
    emu.admin().set_speed(speed).await.unwrap();
    let p = placed(&gl, &q, &["alice", "bob"], wait).await;
    assert_eq!(p.status(), Some(&GameSessionPlacementState::Fulfilled));
    let gs = p.game_session_id().unwrap().to_string();
    let joined = gl
        .create_player_session()
        .game_session_id(&gs)
        .player_id("carol")
        .send()
        .await;
    assert!(
        joined.is_ok(),
        "joining right after FULFILLED failed: {joined:?}"
    );
    let d = gl
        .describe_game_sessions()
        .game_session_id(&gs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.game_sessions()[0].status(),
        Some(&GameSessionStatus::Active)
    );
    let players = gl
        .describe_player_sessions()
        .game_session_id(&gs)
        .send()
        .await
        .unwrap();
    let placed_ids: Vec<_> = p
        .placed_player_sessions()
        .iter()
        .map(|x| x.player_session_id().unwrap())
        .collect();
    assert_eq!(placed_ids.len(), 2);
    for id in placed_ids {
        assert!(players
            .player_sessions()
            .iter()
            .any(|x| x.player_session_id() == Some(id)));
    }
}

#[tokio::test]
async fn joining_right_after_fulfilment_succeeds_at_the_test_clock_speed() {
    let emu = start_emulator().await;
    join_right_after_fulfilment(&emu, hangar_tests::TEST_SPEED, WAIT).await;
    emu.shutdown().await;
}

#[tokio::test]
async fn joining_right_after_fulfilment_succeeds_at_real_time_speed_1() {
    let emu = start_emulator().await;
    // At speed 1 the placement takes its real 1 s delay and 2 s activation.
    join_right_after_fulfilment(&emu, 1.0, Duration::from_secs(20)).await;
    emu.shutdown().await;
}

async fn latency_fleet(gl: &Client) -> String {
    let (_, arn) = active_fleet(gl, 1, &["us-west-2", "eu-west-1"]).await;
    // Every location's first instance is up.
    for l in ["us-west-2", "eu-west-1"] {
        hangar_tests::gamelift::wait_active_instances(gl, fleet_id_of(&arn), Some(l), 1).await;
    }
    arn
}

fn fleet_id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

fn latency(player: &str, region: &str, ms: f32) -> PlayerLatency {
    PlayerLatency::builder()
        .player_id(player)
        .region_identifier(region)
        .latency_in_milliseconds(ms)
        .build()
}

async fn place_with_latencies(
    gl: &Client,
    queue: &str,
    latencies: Vec<PlayerLatency>,
) -> aws_sdk_gamelift::types::GameSessionPlacement {
    let id = unique_name("placement");
    gl.start_game_session_placement()
        .placement_id(&id)
        .game_session_queue_name(queue)
        .maximum_player_session_count(4)
        .set_player_latencies(Some(latencies))
        .send()
        .await
        .unwrap();
    wait_until(WAIT, POLL, || async {
        let p = gl
            .describe_game_session_placement()
            .placement_id(&id)
            .send()
            .await
            .unwrap();
        let p = p.game_session_placement().unwrap().clone();
        (p.status() != Some(&GameSessionPlacementState::Pending)).then_some(p)
    })
    .await
    .expect("the placement never left PENDING")
}

#[tokio::test]
async fn placement_goes_where_the_players_average_latency_is_lowest() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let arn = latency_fleet(&gl).await;
    let q = create_queue(&gl, &[&arn], 600, None).await;
    let p = place_with_latencies(
        &gl,
        &q,
        vec![
            latency("a", "us-east-1", 90.0),
            latency("a", "eu-west-1", 30.0),
            latency("a", "us-west-2", 60.0),
            latency("b", "us-east-1", 20.0),
            latency("b", "eu-west-1", 40.0),
            latency("b", "us-west-2", 60.0),
        ],
    )
    .await;
    assert_eq!(p.status(), Some(&GameSessionPlacementState::Fulfilled));
    assert_eq!(
        p.game_session_region(),
        Some("eu-west-1"),
        "averages: us-east-1 55, eu-west-1 35, us-west-2 60"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_latency_policy_keeps_players_out_of_a_location_over_its_cap_until_it_relaxes() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let arn = latency_fleet(&gl).await;
    let q = create_queue(&gl, &[&arn], 600, None).await;
    gl.update_game_session_queue()
        .name(&q)
        .player_latency_policies(
            PlayerLatencyPolicy::builder()
                .maximum_individual_player_latency_milliseconds(50)
                .policy_duration_seconds(60)
                .build(),
        )
        .player_latency_policies(
            PlayerLatencyPolicy::builder()
                .maximum_individual_player_latency_milliseconds(100)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // Lowest average in us-west-2 (45), but player b is at 80 ms there; eu-west-1 has
    // everyone under 50 ms.
    let p = place_with_latencies(
        &gl,
        &q,
        vec![
            latency("a", "us-west-2", 10.0),
            latency("b", "us-west-2", 80.0),
            latency("a", "eu-west-1", 49.0),
            latency("b", "eu-west-1", 49.0),
            latency("a", "us-east-1", 200.0),
            latency("b", "us-east-1", 200.0),
        ],
    )
    .await;
    assert_eq!(p.game_session_region(), Some("eu-west-1"));

    // Nobody under 50 ms anywhere: the placement waits out the first policy (60 s), then
    // the 100 ms cap lets it into us-west-2.
    emu.admin().set_speed(0.0).await.unwrap();
    let id = unique_name("placement");
    gl.start_game_session_placement()
        .placement_id(&id)
        .game_session_queue_name(&q)
        .maximum_player_session_count(4)
        .player_latencies(latency("a", "us-west-2", 70.0))
        .player_latencies(latency("a", "eu-west-1", 300.0))
        .player_latencies(latency("a", "us-east-1", 300.0))
        .send()
        .await
        .unwrap();
    emu.admin().advance(30.0).await.unwrap();
    let p = gl
        .describe_game_session_placement()
        .placement_id(&id)
        .send()
        .await
        .unwrap();
    let p = p.game_session_placement().unwrap();
    assert_eq!(p.status(), Some(&GameSessionPlacementState::Pending));
    assert!(
        p.game_session_id().is_none(),
        "nowhere under the 50 ms cap yet"
    );
    emu.admin().advance(31.0).await.unwrap();
    emu.admin().advance(5.0).await.unwrap();
    let p = gl
        .describe_game_session_placement()
        .placement_id(&id)
        .send()
        .await
        .unwrap();
    let p = p.game_session_placement().unwrap();
    assert_eq!(p.status(), Some(&GameSessionPlacementState::Fulfilled));
    assert_eq!(p.game_session_region(), Some("us-west-2"));
    emu.shutdown().await;
}

#[tokio::test]
async fn the_placement_failed_fault_fails_the_next_placement_with_a_placement_failed_event() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (_, arn) = active_fleet(&gl, 1, &[]).await;
    let q = create_queue(
        &gl,
        &[&arn],
        600,
        Some("arn:aws:sns:us-east-1:123456789012:unused-topic"),
    )
    .await;
    emu.admin().placement_failed(Some(&q), 1).await.unwrap();
    let failed = placed(&gl, &q, &["alice"], WAIT).await;
    assert_eq!(failed.status(), Some(&GameSessionPlacementState::Failed));
    assert!(failed.game_session_id().is_none() && failed.placed_player_sessions().is_empty());
    let events = wait_until(WAIT, POLL, || async {
        let e = emu.admin().events().await.unwrap();
        (!e.is_empty()).then_some(e)
    })
    .await
    .expect("no placement event");
    let d = &events[0]["event"]["detail"];
    assert_eq!(d["type"], "PlacementFailed");
    assert_eq!(d["placementId"], failed.placement_id().unwrap());
    assert!(
        d.get("gameSessionArn").is_none() && d.get("port").is_none(),
        "{d}"
    );
    // Only one: the next placement is fulfilled.
    let next = placed(&gl, &q, &["bob"], WAIT).await;
    assert_eq!(next.status(), Some(&GameSessionPlacementState::Fulfilled));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_game_session_that_never_activates_ends_at_the_activation_timeout_and_fails_its_placement(
) {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, arn) = active_fleet(&gl, 2, &[]).await;
    emu.admin()
        .never_activate(Some(&fleet), true)
        .await
        .unwrap();
    emu.admin().set_speed(0.0).await.unwrap();
    let direct = create_game_session(&gl, &fleet, 4).await;
    let q = create_queue(&gl, &[&arn], 600, None).await;
    let id = unique_name("placement");
    gl.start_game_session_placement()
        .placement_id(&id)
        .game_session_queue_name(&q)
        .maximum_player_session_count(4)
        .desired_player_sessions(DesiredPlayerSession::builder().player_id("alice").build())
        .send()
        .await
        .unwrap();
    // The placement starts its game session at the first tick after its delay.
    emu.admin().advance(2.0).await.unwrap();
    emu.admin().advance(297.0).await.unwrap();
    let d = gl
        .describe_game_sessions()
        .game_session_id(&direct)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.game_sessions()[0].status(),
        Some(&GameSessionStatus::Activating),
        "still activating after 299 s"
    );
    let p = gl
        .describe_game_session_placement()
        .placement_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.game_session_placement().unwrap().status(),
        Some(&GameSessionPlacementState::Pending)
    );
    let join = gl
        .create_player_session()
        .game_session_id(&direct)
        .player_id("x")
        .send()
        .await
        .unwrap_err();
    assert!(join
        .as_service_error()
        .unwrap()
        .is_invalid_game_session_status_exception());
    // The fleet's GameSessionActivationTimeoutSeconds (300 by default) ends both.
    emu.admin().advance(10.0).await.unwrap();
    wait_game_session_status(&gl, &direct, GameSessionStatus::Terminated).await;
    let p = gl
        .describe_game_session_placement()
        .placement_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.game_session_placement().unwrap().status(),
        Some(&GameSessionPlacementState::Failed)
    );
    let players = gl
        .describe_player_sessions()
        .player_id("alice")
        .send()
        .await
        .unwrap();
    assert!(
        players.player_sessions().is_empty(),
        "no player session was created for a failed placement"
    );
    // Lifted: sessions activate again.
    emu.admin()
        .never_activate(Some(&fleet), false)
        .await
        .unwrap();
    emu.admin()
        .set_speed(hangar_tests::TEST_SPEED)
        .await
        .unwrap();
    let ok = create_game_session(&gl, &fleet, 4).await;
    wait_game_session_status(&gl, &ok, GameSessionStatus::Active).await;
    emu.shutdown().await;
}
