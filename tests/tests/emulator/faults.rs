//! Every fault of the emulator's admin interface, shown through its effect on real
//! aws-sdk-gamelift calls (and on published placement events).

use aws_sdk_gamelift::config::retry::RetryConfig;
use aws_sdk_gamelift::error::ProvideErrorMetadata;
use aws_sdk_gamelift::types::{
    BuildStatus, Ec2InstanceType, FleetStatus, GameSessionPlacementState, GameSessionStatus,
};
use aws_sdk_gamelift::Client;
use hangar_tests::gamelift::{
    active_fleet, create_fleet, create_game_session, create_queue, fleet_status, ready_build,
    scale_fleet, start_placement, wait_fleet_status, wait_placement, POLL, WAIT,
};
use hangar_tests::{
    gamelift_client, gamelift_client_with_retries, start_emulator, unique_name, wait_until,
};
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_and_surfaces_as_throttling_when_retries_run_out() {
    let emu = start_emulator().await;
    let admin = emu.admin();
    let gl = gamelift_client_with_retries(
        &emu,
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(5)),
    );
    admin.throttle("ListBuilds", 1.0).await.unwrap();
    let err = gl.list_builds().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ThrottlingException"), "{err:?}");
    // The SDK classified it as retryable throttling and tried three times.
    assert_eq!(admin.calls("ListBuilds").await.unwrap(), 3);
    // Other operations are not throttled.
    gl.create_build().name("x").send().await.unwrap();
    admin.throttle("ListBuilds", 0.0).await.unwrap();
    gl.list_builds().send().await.unwrap();
    assert_eq!(admin.calls("ListBuilds").await.unwrap(), 4);
    emu.shutdown().await;
}

#[tokio::test]
async fn fail_next_n_answers_internal_service_exception_exactly_n_times() {
    let emu = start_emulator().await;
    let gl = gamelift_client_with_retries(&emu, RetryConfig::disabled());
    emu.admin()
        .fail_next("DescribeGameSessionQueues", 2)
        .await
        .unwrap();
    for _ in 0..2 {
        let err = gl.describe_game_session_queues().send().await.unwrap_err();
        assert!(
            err.as_service_error()
                .unwrap()
                .is_internal_service_exception(),
            "{err:?}"
        );
    }
    gl.describe_game_session_queues().send().await.unwrap();
    // With the SDK's retries, a single injected failure is absorbed.
    let retrying = gamelift_client(&emu);
    emu.admin()
        .fail_next("DescribeGameSessionQueues", 1)
        .await
        .unwrap();
    retrying
        .describe_game_session_queues()
        .send()
        .await
        .unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn fleet_error_fault_sends_a_fleet_to_error_and_its_game_sessions_with_it() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    let gs_id = create_game_session(&gl, &fleet, 2).await;
    emu.admin().fleet_error(&fleet, None).await.unwrap();
    assert_eq!(fleet_status(&gl, &fleet).await, FleetStatus::Error);
    let g = gl
        .describe_game_sessions()
        .game_session_id(&gs_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        g.game_sessions()[0].status(),
        Some(&GameSessionStatus::Error)
    );
    let err = gl
        .create_game_session()
        .fleet_id(&fleet)
        .maximum_player_session_count(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidFleetStatusException"));
    // An ERROR fleet can be deleted.
    gl.delete_fleet().fleet_id(&fleet).send().await.unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn fleet_error_fault_on_one_location_leaves_the_others_running() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let build = ready_build(&gl).await;
    let (fleet, _) = create_fleet(&gl, &build, 1, &["us-west-2"]).await;
    wait_fleet_status(&gl, &fleet, FleetStatus::Active).await;
    emu.admin()
        .fleet_error(&fleet, Some("us-west-2"))
        .await
        .unwrap();
    let d = gl
        .describe_fleet_location_attributes()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap();
    let by_location: Vec<_> = d
        .location_attributes()
        .iter()
        .map(|a| {
            (
                a.location_state().unwrap().location().unwrap().to_string(),
                a.location_state().unwrap().status().unwrap().clone(),
            )
        })
        .collect();
    assert_eq!(
        by_location,
        vec![("us-west-2".to_string(), FleetStatus::Error)],
        "the home region is not listed; its status is the fleet's"
    );
    assert_eq!(fleet_status(&gl, &fleet).await, FleetStatus::Active);
    emu.shutdown().await;
}

#[tokio::test]
async fn build_failed_fault_marks_the_build_failed_and_fleets_cannot_use_it() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let b = gl
        .create_build()
        .name(unique_name("build"))
        .send()
        .await
        .unwrap();
    let id = b.build_value().unwrap().build_id().unwrap().to_string();
    emu.admin().build_failed(&id).await.unwrap();
    let d = gl.describe_build().build_id(&id).send().await.unwrap();
    assert_eq!(
        d.build_value().unwrap().status(),
        Some(&BuildStatus::Failed)
    );
    // It stays FAILED as the clock moves on.
    emu.admin().advance(600.0).await.unwrap();
    let d = gl.describe_build().build_id(&id).send().await.unwrap();
    assert_eq!(
        d.build_value().unwrap().status(),
        Some(&BuildStatus::Failed)
    );
    let err = gl
        .create_fleet()
        .name("f")
        .build_id(&id)
        .ec2_instance_type(Ec2InstanceType::C5Large)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_invalid_request_exception(),
        "{err:?}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn slow_activation_keeps_fleets_activating_until_the_extra_time_passes() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let build = ready_build(&gl).await;
    // For every new fleet: an hour of extra simulated activation time.
    emu.admin().slow_activation(None, 3600.0).await.unwrap();
    let (slow, _) = create_fleet(&gl, &build, 1, &[]).await;
    emu.admin().slow_activation(None, 0.0).await.unwrap();
    let (normal, _) = create_fleet(&gl, &build, 1, &[]).await;
    wait_fleet_status(&gl, &normal, FleetStatus::Active).await;
    wait_fleet_status(&gl, &slow, FleetStatus::Activating).await;
    emu.admin().advance(120.0).await.unwrap();
    assert_eq!(fleet_status(&gl, &slow).await, FleetStatus::Activating);
    emu.admin().advance(3600.0).await.unwrap();
    assert_eq!(fleet_status(&gl, &slow).await, FleetStatus::Active);

    // For one existing fleet, set while it is still being built (frozen clock).
    emu.admin().set_speed(0.0).await.unwrap();
    let (one, _) = create_fleet(&gl, &build, 1, &[]).await;
    emu.admin()
        .slow_activation(Some(&one), 3600.0)
        .await
        .unwrap();
    emu.admin().advance(45.0).await.unwrap();
    assert_eq!(fleet_status(&gl, &one).await, FleetStatus::Activating);
    emu.admin().advance(120.0).await.unwrap();
    assert_eq!(fleet_status(&gl, &one).await, FleetStatus::Activating);
    emu.admin().advance(3600.0).await.unwrap();
    assert_eq!(fleet_status(&gl, &one).await, FleetStatus::Active);
    emu.shutdown().await;
}

/// Status of each location of a fleet, by name: the home region's (the fleet's status,
/// us-east-1) first, then the remote ones as DescribeFleetLocationAttributes lists them.
async fn location_statuses(gl: &Client, fleet: &str) -> Vec<(String, String)> {
    let home = (
        "us-east-1".to_string(),
        fleet_status(gl, fleet).await.as_str().to_string(),
    );
    let d = gl
        .describe_fleet_location_attributes()
        .fleet_id(fleet)
        .send()
        .await
        .unwrap();
    std::iter::once(home)
        .chain(d.location_attributes().iter().map(|l| {
            let s = l.location_state().unwrap();
            (
                s.location().unwrap().to_string(),
                s.status().unwrap().as_str().to_string(),
            )
        }))
        .collect()
}

#[tokio::test]
async fn slow_activation_of_one_location_holds_it_in_activating_while_the_home_location_serves() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let admin = emu.admin();
    let build = ready_build(&gl).await;
    // For fleets created from now on: eu-west-1 never activates.
    admin
        .slow_location_activation(None, "eu-west-1", None)
        .await
        .unwrap();
    let (stuck, _) = create_fleet(&gl, &build, 1, &["eu-west-1", "ap-south-1"]).await;
    wait_fleet_status(&gl, &stuck, FleetStatus::Active).await;
    wait_until(WAIT, POLL, || async {
        let s = location_statuses(&gl, &stuck).await;
        s.iter()
            .any(|(l, st)| l == "ap-south-1" && st == "ACTIVE")
            .then_some(())
    })
    .await
    .expect("the other remote location activates");
    admin.advance(30.0 * 24.0 * 3600.0).await.unwrap();
    let statuses = location_statuses(&gl, &stuck).await;
    assert_eq!(
        statuses,
        vec![
            ("us-east-1".to_string(), "ACTIVE".to_string()),
            ("eu-west-1".to_string(), "ACTIVATING".to_string()),
            ("ap-south-1".to_string(), "ACTIVE".to_string()),
        ],
        "a simulated month later the location is still ACTIVATING"
    );
    let err = gl
        .create_game_session()
        .fleet_id(&stuck)
        .location("eu-west-1")
        .maximum_player_session_count(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidFleetStatusException"), "{err:?}");
    create_game_session(&gl, &stuck, 2).await;

    // Lifting the fault on that fleet's location releases it.
    admin
        .slow_location_activation(Some(&stuck), "eu-west-1", Some(0.0))
        .await
        .unwrap();
    assert!(location_statuses(&gl, &stuck)
        .await
        .iter()
        .all(|(_, s)| s == "ACTIVE"));

    // A fleet of its own, set while it is being built: extra time, then ACTIVE.
    admin
        .slow_location_activation(None, "eu-west-1", Some(0.0))
        .await
        .unwrap();
    admin.set_speed(0.0).await.unwrap();
    let (slow, _) = create_fleet(&gl, &build, 1, &["eu-west-1"]).await;
    admin
        .slow_location_activation(Some(&slow), "eu-west-1", Some(600.0))
        .await
        .unwrap();
    admin.advance(60.0).await.unwrap();
    let at = |s: &[(String, String)], l: &str| {
        s.iter()
            .find(|(n, _)| n == l)
            .map(|(_, st)| st.clone())
            .unwrap()
    };
    let s = location_statuses(&gl, &slow).await;
    assert_eq!(
        (at(&s, "us-east-1"), at(&s, "eu-west-1")),
        ("ACTIVE".into(), "ACTIVATING".into())
    );
    admin.advance(500.0).await.unwrap();
    let s = location_statuses(&gl, &slow).await;
    assert_eq!(at(&s, "eu-west-1"), "ACTIVATING");
    admin.advance(100.0).await.unwrap();
    let s = location_statuses(&gl, &slow).await;
    assert_eq!(at(&s, "eu-west-1"), "ACTIVE");

    // Refusals name the problem.
    let none = admin
        .slow_location_activation(Some(&slow), "mars-north-1", None)
        .await
        .unwrap_err();
    assert!(none.to_string().contains("LocationNotFound"), "{none}");
    let both = admin
        .post(
            "faults/slow-activation",
            serde_json::json!({"location": "eu-west-1", "extraSeconds": 5, "forever": true}),
        )
        .await
        .unwrap_err();
    assert!(both.to_string().contains("InvalidExtra"), "{both}");
    emu.shutdown().await;
}

/// A queue over an ACTIVE fleet with ten instances, its events going to a topic that
/// does not exist (the admin interface still records them); returns the queue name.
async fn placement_queue(gl: &Client) -> String {
    let (fleet, arn) = active_fleet(gl, 1, &[]).await;
    scale_fleet(gl, &fleet, 10).await;
    create_queue(
        gl,
        &[&arn],
        600,
        Some("arn:aws:sns:us-east-1:123456789012:unused-topic"),
    )
    .await
}

fn placement_ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            e["event"]["detail"]["placementId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn duplicate_event_fault_publishes_every_placement_event_twice() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let q = placement_queue(&gl).await;
    emu.admin().event_faults(1, 0.0, 0).await.unwrap();
    let id = start_placement(&gl, &q, &[]).await;
    let events = wait_until(WAIT, POLL, || async {
        let e = emu.admin().events().await.unwrap();
        (e.len() == 2).then_some(e)
    })
    .await
    .expect("expected two copies of the event");
    assert_eq!(placement_ids(&events), vec![id.clone(), id]);
    assert_eq!(
        events[0]["event"]["id"], events[1]["event"]["id"],
        "a duplicate keeps the event id"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn delay_event_fault_holds_events_until_the_simulated_delay_passes() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let q = placement_queue(&gl).await;
    emu.admin().set_speed(1.0).await.unwrap();
    emu.admin().event_faults(0, 3600.0, 0).await.unwrap();
    let id = start_placement(&gl, &q, &[]).await;
    emu.admin().advance(5.0).await.unwrap();
    wait_placement(&gl, &id, GameSessionPlacementState::Fulfilled).await;
    assert!(
        emu.admin().events().await.unwrap().is_empty(),
        "event published before its delay"
    );
    emu.admin().advance(3600.0).await.unwrap();
    let events = wait_until(WAIT, POLL, || async {
        let e = emu.admin().events().await.unwrap();
        (!e.is_empty()).then_some(e)
    })
    .await
    .expect("delayed event never published");
    assert_eq!(placement_ids(&events), vec![id]);
    emu.shutdown().await;
}

#[tokio::test]
async fn reorder_event_fault_publishes_a_window_of_events_newest_first() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let q = placement_queue(&gl).await;
    emu.admin().event_faults(0, 0.0, 3).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = start_placement(&gl, &q, &[]).await;
        wait_placement(&gl, &id, GameSessionPlacementState::Fulfilled).await;
        ids.push(id);
        if ids.len() < 3 {
            assert!(
                emu.admin().events().await.unwrap().is_empty(),
                "released before the window filled"
            );
        }
    }
    let events = wait_until(WAIT, POLL, || async {
        let e = emu.admin().events().await.unwrap();
        (e.len() == 3).then_some(e)
    })
    .await
    .expect("reordered events never published");
    ids.reverse();
    assert_eq!(placement_ids(&events), ids);
    emu.shutdown().await;
}
