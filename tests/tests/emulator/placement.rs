//! Game session placements through queues: fulfilled with the event arriving in SQS (via
//! moto's SNS) in GameLift's event shape, timed out, cancelled; reserved player sessions.

use aws_sdk_gamelift::types::{
    DesiredPlayerSession, GameProperty, GameSessionPlacementState, PlayerSessionStatus,
    RoutingStrategy, RoutingStrategyType,
};
use aws_sdk_gamelift::Client;
use hangar_tests::gamelift::{
    active_fleet, create_queue, scale_fleet, start_placement, wait_placement, POLL, WAIT,
};
use hangar_tests::{aws_config, gamelift_client, start_emulator, unique_name, wait_until};
use serde_json::Value;

/// An ACTIVE fleet with `instances` instances; returns (fleet id, fleet ARN).
async fn fleet(gl: &Client, instances: i32) -> (String, String) {
    let (id, arn) = active_fleet(gl, 1, &[]).await;
    if instances != 1 {
        scale_fleet(gl, &id, instances).await;
    }
    (id, arn)
}

/// An SNS topic on moto with an SQS queue subscribed; returns (topic ARN, queue URL).
async fn topic_with_queue() -> (String, String, aws_sdk_sqs::Client) {
    let aws = aws_config().await;
    let sns = aws_sdk_sns::Client::new(&aws);
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let topic = sns
        .create_topic()
        .name(unique_name("placements"))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let url = sqs
        .create_queue()
        .queue_name(unique_name("placements"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(arn)
        .send()
        .await
        .unwrap();
    (topic, url, sqs)
}

/// Receives the next SNS envelope from the queue and returns the event inside `Message`.
async fn next_event(sqs: &aws_sdk_sqs::Client, url: &str) -> Value {
    wait_until(WAIT, POLL, || async {
        let r = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(1)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let m = r.messages().first()?;
        sqs.delete_message()
            .queue_url(url)
            .receipt_handle(m.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
        let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
        assert_eq!(envelope["Type"], "Notification");
        let message = envelope["Message"]
            .as_str()
            .expect("SNS Message must be a string");
        Some(serde_json::from_str(message).unwrap())
    })
    .await
    .expect("no placement event arrived in SQS")
}

#[tokio::test]
async fn placement_is_fulfilled_and_its_event_arrives_in_sqs_in_gamelift_shape() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet_id, fleet_arn) = fleet(&gl, 1).await;
    let (topic, url, sqs) = topic_with_queue().await;
    let q = create_queue(&gl, &[&fleet_arn], 60, Some(&topic)).await;
    let placement_id = unique_name("placement");
    let started = gl
        .start_game_session_placement()
        .placement_id(&placement_id)
        .game_session_queue_name(&q)
        .maximum_player_session_count(4)
        .game_session_name("duel")
        .game_properties(GameProperty::builder().key("mode").value("ranked").build())
        .desired_player_sessions(DesiredPlayerSession::builder().player_id("alice").build())
        .desired_player_sessions(DesiredPlayerSession::builder().player_id("bob").build())
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.game_session_placement().unwrap().status(),
        Some(&GameSessionPlacementState::Pending)
    );

    let event = next_event(&sqs, &url).await;
    assert_eq!(event["detail-type"], "GameLift Queue Placement Event");
    assert_eq!(event["source"], "aws.gamelift");
    assert_eq!(event["account"], "123456789012");
    assert_eq!(event["region"], "us-east-1");
    assert!(event["resources"][0]
        .as_str()
        .unwrap()
        .ends_with(&format!(":gamesessionqueue/{q}")));
    let d = &event["detail"];
    assert_eq!(d["type"], "PlacementFulfilled");
    assert_eq!(d["placementId"], placement_id.as_str());
    assert!(d["port"].is_string(), "port must be a string: {d}");
    assert_eq!(d["ipAddress"], "127.0.0.1");
    assert!(d["startTime"].as_str().unwrap().ends_with('Z') && d["endTime"].is_string());
    let placed = d["placedPlayerSessions"].as_array().unwrap();
    assert_eq!(placed.len(), 2);

    let p = gl
        .describe_game_session_placement()
        .placement_id(&placement_id)
        .send()
        .await
        .unwrap();
    let p = p.game_session_placement().unwrap();
    assert_eq!(p.status(), Some(&GameSessionPlacementState::Fulfilled));
    assert_eq!(d["gameSessionArn"], p.game_session_arn().unwrap());
    assert_eq!(d["port"], p.port().unwrap().to_string());
    let gs = gl
        .describe_game_sessions()
        .game_session_id(p.game_session_id().unwrap())
        .send()
        .await
        .unwrap();
    let gs = &gs.game_sessions()[0];
    assert_eq!(gs.fleet_id(), Some(fleet_id.as_str()));
    assert_eq!(gs.name(), Some("duel"));
    let players = gl
        .describe_player_sessions()
        .game_session_id(gs.game_session_id().unwrap())
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = players
        .player_sessions()
        .iter()
        .map(|p| p.player_session_id().unwrap().to_string())
        .collect();
    for pp in placed {
        assert!(ids.contains(&pp["playerSessionId"].as_str().unwrap().to_string()));
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn placement_through_an_alias_skips_a_full_first_destination() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (_, empty_arn) = fleet(&gl, 0).await;
    let (second, _) = fleet(&gl, 1).await;
    let alias = gl
        .create_alias()
        .name(unique_name("alias"))
        .routing_strategy(
            RoutingStrategy::builder()
                .r#type(RoutingStrategyType::Simple)
                .fleet_id(&second)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let alias_arn = alias.alias().unwrap().alias_arn().unwrap().to_string();
    let q = create_queue(&gl, &[&empty_arn, &alias_arn], 60, None).await;
    let id = start_placement(&gl, &q, &[]).await;
    let placed = wait_placement(&gl, &id, GameSessionPlacementState::Fulfilled).await;
    let gs_id = placed.game_session_id().unwrap().to_string();
    assert!(
        gs_id.contains(&second),
        "placed on {gs_id}, expected fleet {second}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn placement_without_capacity_times_out_after_the_queue_timeout() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (_, arn) = fleet(&gl, 0).await;
    let (topic, url, sqs) = topic_with_queue().await;
    let q = create_queue(&gl, &[&arn], 30, Some(&topic)).await;
    let id = start_placement(&gl, &q, &[]).await;
    let event = next_event(&sqs, &url).await;
    let d = event["detail"].as_object().unwrap();
    assert_eq!(d["type"], "PlacementTimedOut");
    for absent in [
        "gameSessionArn",
        "ipAddress",
        "dnsName",
        "port",
        "placedPlayerSessions",
    ] {
        assert!(
            !d.contains_key(absent),
            "{absent} must not be in a timed-out event"
        );
    }
    let p = gl
        .describe_game_session_placement()
        .placement_id(&id)
        .send()
        .await
        .unwrap();
    let p = p.game_session_placement().unwrap();
    assert_eq!(p.status(), Some(&GameSessionPlacementState::TimedOut));
    let waited = p.end_time().unwrap().secs() - p.start_time().unwrap().secs();
    assert!(
        waited >= 30,
        "timed out after {waited} simulated seconds, queue timeout is 30"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn stopping_a_pending_placement_cancels_it_and_publishes_placement_cancelled() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (_, arn) = fleet(&gl, 0).await;
    let (topic, url, sqs) = topic_with_queue().await;
    let q = create_queue(&gl, &[&arn], 600, Some(&topic)).await;
    // Frozen clock: the placement cannot time out before it is stopped.
    emu.admin().set_speed(0.0).await.unwrap();
    let id = start_placement(&gl, &q, &[]).await;
    let stopped = gl
        .stop_game_session_placement()
        .placement_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stopped.game_session_placement().unwrap().status(),
        Some(&GameSessionPlacementState::Cancelled)
    );
    let event = next_event(&sqs, &url).await;
    assert_eq!(event["detail"]["type"], "PlacementCancelled");
    assert!(event["detail"].get("port").is_none());
    emu.shutdown().await;
}

#[tokio::test]
async fn reserved_player_sessions_time_out_when_the_server_never_accepts_them() {
    let emu = start_emulator().await;
    emu.admin()
        .game_servers(serde_json::json!({"acceptPlayersAfterSeconds": null}))
        .await
        .unwrap();
    let gl = gamelift_client(&emu);
    let (_, arn) = fleet(&gl, 1).await;
    let q = create_queue(&gl, &[&arn], 60, None).await;
    let id = start_placement(&gl, &q, &["carol"]).await;
    let placed = wait_placement(&gl, &id, GameSessionPlacementState::Fulfilled).await;
    let gs = placed.game_session_id().unwrap().to_string();
    // Frozen clock: the reservation is seen before it expires.
    emu.admin().set_speed(0.0).await.unwrap();
    let first = gl
        .describe_player_sessions()
        .game_session_id(&gs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.player_sessions()[0].status(),
        Some(&PlayerSessionStatus::Reserved)
    );
    emu.admin().advance(61.0).await.unwrap();
    let later = gl
        .describe_player_sessions()
        .game_session_id(&gs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        later.player_sessions()[0].status(),
        Some(&PlayerSessionStatus::Timedout)
    );
    emu.shutdown().await;
}
