//! Build and fleet lifecycles, capacity, game sessions and simulated game servers, through
//! the real aws-sdk-gamelift against an in-process emulator.

use aws_sdk_gamelift::types::{
    BuildStatus, FleetStatus, GameSessionStatus, LocationConfiguration, PlayerSessionStatus,
};
use hangar_tests::gamelift::{
    active_fleet, create_game_session, fleet_status, ready_build, scale_fleet,
    wait_active_instances, wait_game_session_status, POLL, WAIT,
};
use hangar_tests::{gamelift_client, start_emulator, start_emulator_with, unique_name, wait_until};

#[tokio::test]
async fn build_goes_from_initialized_to_ready_on_the_simulated_clock() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let id = ready_build(&gl).await;
    let listed = gl
        .list_builds()
        .status(BuildStatus::Ready)
        .send()
        .await
        .unwrap();
    assert!(listed
        .builds()
        .iter()
        .any(|b| b.build_id() == Some(id.as_str())));
    assert!(listed.builds()[0].creation_time().is_some());
    emu.shutdown().await;
}

#[tokio::test]
async fn fleet_walks_every_status_to_active_in_each_location_and_lists_only_remote_locations() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let build = ready_build(&gl).await;
    // Frozen clock: every status is observed, one 10-second step at a time.
    emu.admin().set_speed(0.0).await.unwrap();
    let created = gl
        .create_fleet()
        .name(unique_name("fleet"))
        .build_id(&build)
        .ec2_instance_type(aws_sdk_gamelift::types::Ec2InstanceType::C5Large)
        .locations(
            LocationConfiguration::builder()
                .location("us-west-2")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let fleet_id = created
        .fleet_attributes()
        .unwrap()
        .fleet_id()
        .unwrap()
        .to_string();
    let states: Vec<_> = created
        .location_states()
        .iter()
        .map(|l| (l.location().unwrap().to_string(), l.status().cloned()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("us-east-1".to_string(), Some(FleetStatus::New)),
            ("us-west-2".to_string(), Some(FleetStatus::New))
        ]
    );

    let order = [
        FleetStatus::New,
        FleetStatus::Downloading,
        FleetStatus::Validating,
        FleetStatus::Building,
        FleetStatus::Activating,
        FleetStatus::Active,
    ];
    for want in order {
        let d = gl
            .describe_fleet_location_attributes()
            .fleet_id(&fleet_id)
            .send()
            .await
            .unwrap();
        let statuses: Vec<_> = d
            .location_attributes()
            .iter()
            .map(|a| {
                let s = a.location_state().unwrap();
                (
                    s.location().unwrap().to_string(),
                    s.status().unwrap().clone(),
                )
            })
            .collect();
        assert_eq!(
            statuses,
            vec![("us-west-2".to_string(), want.clone())],
            "the remote location steps with the home one, which is never listed"
        );
        assert_eq!(
            fleet_status(&gl, &fleet_id).await,
            want,
            "fleet status is the home location's"
        );
        emu.admin().advance(10.0).await.unwrap();
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn update_fleet_capacity_per_location_reaches_the_desired_instance_count() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &["eu-west-1"]).await;
    gl.update_fleet_capacity()
        .fleet_id(&fleet)
        .location("eu-west-1")
        .min_size(0)
        .max_size(4)
        .desired_instances(3)
        .send()
        .await
        .unwrap();
    wait_active_instances(&gl, &fleet, Some("eu-west-1"), 3).await;
    let c = gl
        .describe_fleet_location_capacity()
        .fleet_id(&fleet)
        .location("eu-west-1")
        .send()
        .await
        .unwrap();
    let counts = c.fleet_capacity().unwrap().instance_counts().unwrap();
    assert_eq!((counts.desired(), counts.maximum()), (Some(3), Some(4)));
    // The home location kept its own capacity.
    let home = gl
        .describe_fleet_capacity()
        .fleet_ids(&fleet)
        .send()
        .await
        .unwrap();
    let home = home.fleet_capacity()[0].instance_counts().unwrap();
    assert_eq!(home.desired(), Some(1));
    // Desired outside [min, max] is refused.
    let err = gl
        .update_fleet_capacity()
        .fleet_id(&fleet)
        .desired_instances(9)
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_invalid_request_exception());
    emu.shutdown().await;
}

#[tokio::test]
async fn game_sessions_beyond_runtime_capacity_are_fleet_capacity_exceeded() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    // One instance with two concurrent server processes: two game sessions fit.
    let (fleet, _) = active_fleet(&gl, 2, &[]).await;
    for _ in 0..2 {
        create_game_session(&gl, &fleet, 4).await;
    }
    let err = gl
        .create_game_session()
        .fleet_id(&fleet)
        .maximum_player_session_count(4)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_fleet_capacity_exceeded_exception(),
        "{err:?}"
    );
    // A second instance makes room for two more.
    scale_fleet(&gl, &fleet, 2).await;
    create_game_session(&gl, &fleet, 4).await;
    emu.shutdown().await;
}

#[tokio::test]
async fn game_session_fills_up_and_rejects_players_beyond_its_maximum() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    emu.admin().set_speed(0.0).await.unwrap();
    let gs_id = create_game_session(&gl, &fleet, 2).await;
    // Not ACTIVE yet: player sessions are refused.
    let early = gl
        .create_player_session()
        .game_session_id(&gs_id)
        .player_id("p0")
        .send()
        .await
        .unwrap_err();
    assert!(early
        .as_service_error()
        .unwrap()
        .is_invalid_game_session_status_exception());
    emu.admin().advance(5.0).await.unwrap();
    wait_game_session_status(&gl, &gs_id, GameSessionStatus::Active).await;
    emu.admin()
        .set_speed(hangar_tests::TEST_SPEED)
        .await
        .unwrap();
    let made = gl
        .create_player_sessions()
        .game_session_id(&gs_id)
        .player_ids("p1")
        .player_ids("p2")
        .send()
        .await
        .unwrap();
    assert_eq!(made.player_sessions().len(), 2);
    assert_eq!(
        made.player_sessions()[0].status(),
        Some(&PlayerSessionStatus::Reserved)
    );
    let err = gl
        .create_player_session()
        .game_session_id(&gs_id)
        .player_id("p3")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_game_session_full_exception());
    // The simulated server accepts the reservations.
    wait_until(WAIT, POLL, || async {
        let d = gl
            .describe_player_sessions()
            .game_session_id(&gs_id)
            .send()
            .await
            .unwrap();
        d.player_sessions()
            .iter()
            .all(|p| p.status() == Some(&PlayerSessionStatus::Active))
            .then_some(())
    })
    .await
    .expect("player sessions never became ACTIVE");
    emu.shutdown().await;
}

#[tokio::test]
async fn delete_fleet_ends_its_game_sessions_then_terminates() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    let gs_id = create_game_session(&gl, &fleet, 2).await;
    // An alias routing to the fleet does not stop the deletion (the workflow guards that).
    gl.create_alias()
        .name(unique_name("alias"))
        .routing_strategy(
            aws_sdk_gamelift::types::RoutingStrategy::builder()
                .r#type(aws_sdk_gamelift::types::RoutingStrategyType::Simple)
                .fleet_id(&fleet)
                .build(),
        )
        .send()
        .await
        .unwrap();
    emu.admin().set_speed(0.0).await.unwrap();
    gl.delete_fleet().fleet_id(&fleet).send().await.unwrap();
    let d = gl
        .describe_fleet_attributes()
        .fleet_ids(&fleet)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.fleet_attributes()[0].status(),
        Some(&FleetStatus::Deleting)
    );
    let g = gl
        .describe_game_sessions()
        .game_session_id(&gs_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        g.game_sessions()[0].status(),
        Some(&GameSessionStatus::Terminated)
    );
    emu.admin().advance(10.0).await.unwrap();
    assert_eq!(fleet_status(&gl, &fleet).await, FleetStatus::Terminated);
    emu.shutdown().await;
}

#[tokio::test]
async fn delete_fleet_is_refused_with_invalid_fleet_status_while_the_fleet_is_still_activating() {
    let emu = start_emulator_with(|c| c.speed = 1.0).await;
    let gl = gamelift_client(&emu);
    emu.admin().set_speed(1000.0).await.unwrap();
    let build = ready_build(&gl).await;
    emu.admin().set_speed(0.0).await.unwrap();
    let f = gl
        .create_fleet()
        .name(unique_name("fleet"))
        .build_id(build)
        .ec2_instance_type(aws_sdk_gamelift::types::Ec2InstanceType::C5Large)
        .send()
        .await
        .unwrap();
    let err = gl
        .delete_fleet()
        .fleet_id(f.fleet_attributes().unwrap().fleet_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_invalid_fleet_status_exception(),
        "{err:?}"
    );
    emu.shutdown().await;
}

/// What a fake server API received: (method, decoded game session id, authorization, body).
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String, String, String)>>>;

async fn fake_server_api() -> (String, Received, tokio::task::JoinHandle<()>) {
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, Method};
    let received: Received = Default::default();
    async fn record(
        State(r): State<Received>,
        method: Method,
        Path(id): Path<String>,
        headers: HeaderMap,
        body: String,
    ) -> &'static str {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        r.lock().unwrap().push((method.to_string(), id, auth, body));
        "{}"
    }
    let app = axum::Router::new()
        .route(
            "/v1/server/sessions/{id}",
            axum::routing::put(record).delete(record),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, received, task)
}

#[tokio::test]
async fn simulated_server_reports_player_count_and_session_end_to_the_callback_with_its_token() {
    let (url, received, server) = fake_server_api().await;
    let emu = start_emulator_with(|c| {
        c.server.callback_url = Some(url.clone());
        c.server.callback_token = Some("server-secret".to_string());
        c.server.session_duration_ms = 86_400_000;
    })
    .await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    let gs_id = create_game_session(&gl, &fleet, 4).await;
    wait_until(WAIT, POLL, || async {
        gl.create_player_sessions()
            .game_session_id(&gs_id)
            .player_ids("a")
            .player_ids("b")
            .send()
            .await
            .ok()
    })
    .await
    .expect("player sessions not created");
    let put = wait_until(WAIT, POLL, || async {
        received
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.0 == "PUT" && r.3.contains("2"))
            .cloned()
    })
    .await
    .expect("no player count reported");
    assert_eq!(
        put.1, gs_id,
        "the path carries the url-encoded game session id"
    );
    assert_eq!(put.2, "Bearer server-secret");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&put.3).unwrap(),
        serde_json::json!({"playerCount": 2})
    );
    emu.admin().advance(86_400.0).await.unwrap();
    let delete = wait_until(WAIT, POLL, || async {
        received
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.0 == "DELETE")
            .cloned()
    })
    .await
    .expect("session end not reported");
    assert_eq!(
        (delete.1.as_str(), delete.2.as_str()),
        (gs_id.as_str(), "Bearer server-secret")
    );
    let d = gl
        .describe_game_sessions()
        .game_session_id(&gs_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.game_sessions()[0].status(),
        Some(&GameSessionStatus::Terminated)
    );
    let p = gl
        .describe_player_sessions()
        .game_session_id(&gs_id)
        .send()
        .await
        .unwrap();
    assert!(p
        .player_sessions()
        .iter()
        .all(|p| p.status() == Some(&PlayerSessionStatus::Completed)));
    emu.shutdown().await;
    server.abort();
}

#[tokio::test]
async fn an_unreachable_callback_is_logged_and_the_emulator_keeps_serving() {
    let emu =
        start_emulator_with(|c| c.server.callback_url = Some("http://127.0.0.1:9".to_string()))
            .await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    let gs = gl
        .create_game_session()
        .fleet_id(&fleet)
        .maximum_player_session_count(4)
        .send()
        .await
        .unwrap();
    emu.admin().advance(7200.0).await.unwrap();
    let d = gl
        .describe_game_sessions()
        .game_session_id(gs.game_session().unwrap().game_session_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.game_sessions()[0].status(),
        Some(&GameSessionStatus::Terminated)
    );
    emu.shutdown().await;
}
