//! The operations common tools call beyond the core flows, through the real
//! aws-sdk-gamelift: ListFleets, UpdateFleetAttributes, DescribeFleetEvents,
//! DescribeFleetUtilization, DescribeInstances, Stop/StartFleetActions, UpdateBuild,
//! DeleteAlias, Update/DeleteGameSessionQueue, DeleteScalingPolicy, UntagResource; the
//! ResourceCreationLimitPolicy and idempotency rules of CreateGameSession; and
//! UnknownOperationException for what the emulator does not implement.

use aws_sdk_gamelift::error::ProvideErrorMetadata;
use aws_sdk_gamelift::types::{
    FleetAction, MetricName, PlayerLatencyPolicy, PolicyType, ResourceCreationLimitPolicy,
    RoutingStrategy, RoutingStrategyType, Tag, TargetConfiguration,
};
use aws_sdk_gamelift::Client;
use hangar_tests::gamelift::{active_fleet, create_queue, ready_build, scale_fleet};
use hangar_tests::{gamelift_client, start_emulator, unique_name};
use serde_json::Value;

async fn create_session(
    gl: &Client,
    fleet: &str,
    creator: Option<&str>,
    token: Option<&str>,
    max: i32,
) -> Result<String, String> {
    gl.create_game_session()
        .fleet_id(fleet)
        .maximum_player_session_count(max)
        .set_creator_id(creator.map(str::to_string))
        .set_idempotency_token(token.map(str::to_string))
        .send()
        .await
        .map(|o| {
            o.game_session()
                .unwrap()
                .game_session_id()
                .unwrap()
                .to_string()
        })
        .map_err(|e| e.code().unwrap_or_default().to_string())
}

#[tokio::test]
async fn list_fleets_filters_by_build_and_update_fleet_attributes_changes_what_describe_answers() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (a, _) = active_fleet(&gl, 1, &[]).await;
    let (b, _) = active_fleet(&gl, 1, &[]).await;
    let all = gl.list_fleets().send().await.unwrap();
    assert_eq!(all.fleet_ids(), [a.clone(), b.clone()]);
    let build_a = gl
        .describe_fleet_attributes()
        .fleet_ids(&a)
        .send()
        .await
        .unwrap()
        .fleet_attributes()[0]
        .build_id()
        .unwrap()
        .to_string();
    let by_build = gl.list_fleets().build_id(&build_a).send().await.unwrap();
    assert_eq!(by_build.fleet_ids(), std::slice::from_ref(&a));
    let paged = gl.list_fleets().limit(1).send().await.unwrap();
    assert_eq!(paged.fleet_ids().len(), 1);
    assert!(paged.next_token().is_some());

    gl.update_fleet_attributes()
        .fleet_id(&a)
        .name("renamed")
        .description("the arena")
        .send()
        .await
        .unwrap();
    let d = gl
        .describe_fleet_attributes()
        .fleet_ids(&a)
        .send()
        .await
        .unwrap();
    let f = &d.fleet_attributes()[0];
    assert_eq!(
        (f.name(), f.description()),
        (Some("renamed"), Some("the arena"))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn fleet_events_utilization_and_instances_follow_the_fleet() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 2, &[]).await;
    scale_fleet(&gl, &fleet, 2).await;
    let events = gl
        .describe_fleet_events()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap();
    let codes: Vec<_> = events
        .events()
        .iter()
        .map(|e| e.event_code().unwrap().as_str().to_string())
        .collect();
    for want in [
        "FLEET_CREATED",
        "FLEET_STATE_DOWNLOADING",
        "FLEET_STATE_ACTIVATING",
        "FLEET_STATE_ACTIVE",
        "FLEET_SCALING_EVENT",
    ] {
        assert!(
            codes.iter().any(|c| c == want),
            "{want} missing from {codes:?}"
        );
    }
    let times: Vec<_> = events
        .events()
        .iter()
        .map(|e| e.event_time().unwrap().secs())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    let gs = create_session(&gl, &fleet, None, None, 8).await.unwrap();
    hangar_tests::gamelift::wait_game_session_status(
        &gl,
        &gs,
        aws_sdk_gamelift::types::GameSessionStatus::Active,
    )
    .await;
    gl.create_player_sessions()
        .game_session_id(&gs)
        .player_ids("a")
        .player_ids("b")
        .send()
        .await
        .unwrap();
    let u = gl
        .describe_fleet_utilization()
        .fleet_ids(&fleet)
        .send()
        .await
        .unwrap();
    let u = &u.fleet_utilization()[0];
    assert_eq!(
        u.active_server_process_count(),
        Some(4),
        "2 instances x 2 processes"
    );
    assert_eq!(u.active_game_session_count(), Some(1));
    assert_eq!(u.current_player_session_count(), Some(2));
    assert_eq!(u.maximum_player_session_count(), Some(8));

    let i = gl
        .describe_instances()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap();
    assert_eq!(i.instances().len(), 2);
    let ids: Vec<_> = i
        .instances()
        .iter()
        .map(|x| x.instance_id().unwrap().to_string())
        .collect();
    let again = gl
        .describe_instances()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap();
    let again: Vec<_> = again
        .instances()
        .iter()
        .map(|x| x.instance_id().unwrap().to_string())
        .collect();
    assert_eq!(ids, again, "instance ids are stable");
    let one = gl
        .describe_instances()
        .fleet_id(&fleet)
        .instance_id(&ids[1])
        .send()
        .await
        .unwrap();
    assert_eq!(one.instances().len(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn stop_and_start_fleet_actions_show_in_the_fleet_and_location_attributes() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &["eu-west-1"]).await;
    gl.stop_fleet_actions()
        .fleet_id(&fleet)
        .actions(FleetAction::AutoScaling)
        .send()
        .await
        .unwrap();
    gl.stop_fleet_actions()
        .fleet_id(&fleet)
        .location("eu-west-1")
        .actions(FleetAction::AutoScaling)
        .send()
        .await
        .unwrap();
    let a = gl
        .describe_fleet_attributes()
        .fleet_ids(&fleet)
        .send()
        .await
        .unwrap();
    assert_eq!(
        a.fleet_attributes()[0].stopped_actions(),
        [FleetAction::AutoScaling]
    );
    let l = gl
        .describe_fleet_location_attributes()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap();
    assert_eq!(
        l.location_attributes()[0].stopped_actions(),
        [FleetAction::AutoScaling]
    );
    gl.start_fleet_actions()
        .fleet_id(&fleet)
        .actions(FleetAction::AutoScaling)
        .send()
        .await
        .unwrap();
    let a = gl
        .describe_fleet_attributes()
        .fleet_ids(&fleet)
        .send()
        .await
        .unwrap();
    assert!(a.fleet_attributes()[0].stopped_actions().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn update_build_delete_alias_queue_scaling_policy_and_untag_do_what_they_say() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let build = ready_build(&gl).await;
    let b = gl
        .update_build()
        .build_id(&build)
        .name("v2")
        .version("2.0")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            b.build_value().unwrap().name(),
            b.build_value().unwrap().version()
        ),
        (Some("v2"), Some("2.0"))
    );

    let (fleet, fleet_arn) = active_fleet(&gl, 1, &[]).await;
    let alias = gl
        .create_alias()
        .name(unique_name("alias"))
        .routing_strategy(
            RoutingStrategy::builder()
                .r#type(RoutingStrategyType::Simple)
                .fleet_id(&fleet)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let alias_id = alias.alias().unwrap().alias_id().unwrap().to_string();
    gl.delete_alias().alias_id(&alias_id).send().await.unwrap();
    let gone = gl
        .describe_alias()
        .alias_id(&alias_id)
        .send()
        .await
        .unwrap_err();
    assert!(gone.as_service_error().unwrap().is_not_found_exception());

    let q = create_queue(&gl, &[&fleet_arn], 60, None).await;
    let updated = gl
        .update_game_session_queue()
        .name(&q)
        .timeout_in_seconds(90)
        .player_latency_policies(
            PlayerLatencyPolicy::builder()
                .maximum_individual_player_latency_milliseconds(100)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let uq = updated.game_session_queue().unwrap();
    assert_eq!(uq.timeout_in_seconds(), Some(90));
    assert_eq!(
        uq.destinations().len(),
        1,
        "destinations not given are kept"
    );
    assert_eq!(uq.player_latency_policies().len(), 1);
    gl.delete_game_session_queue()
        .name(&q)
        .send()
        .await
        .unwrap();
    let d = gl
        .describe_game_session_queues()
        .names(&q)
        .send()
        .await
        .unwrap_err();
    assert!(d.as_service_error().unwrap().is_not_found_exception());

    gl.put_scaling_policy()
        .fleet_id(&fleet)
        .name("target")
        .policy_type(PolicyType::TargetBased)
        .metric_name(MetricName::PercentAvailableGameSessions)
        .target_configuration(TargetConfiguration::builder().target_value(10.0).build())
        .send()
        .await
        .unwrap();
    gl.delete_scaling_policy()
        .fleet_id(&fleet)
        .name("target")
        .send()
        .await
        .unwrap();
    assert!(gl
        .describe_scaling_policies()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap()
        .scaling_policies()
        .is_empty());
    let again = gl
        .delete_scaling_policy()
        .fleet_id(&fleet)
        .name("target")
        .send()
        .await
        .unwrap_err();
    assert!(again.as_service_error().unwrap().is_not_found_exception());

    gl.tag_resource()
        .resource_arn(&fleet_arn)
        .tags(Tag::builder().key("a").value("1").build())
        .tags(Tag::builder().key("b").value("2").build())
        .send()
        .await
        .unwrap();
    gl.untag_resource()
        .resource_arn(&fleet_arn)
        .tag_keys("a")
        .send()
        .await
        .unwrap();
    let tags = gl
        .list_tags_for_resource()
        .resource_arn(&fleet_arn)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = tags.tags().iter().map(|t| t.key().unwrap()).collect();
    assert_eq!(keys, ["b"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_resource_creation_limit_policy_caps_game_sessions_per_creator_in_its_period() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 10, &[]).await;
    gl.update_fleet_attributes()
        .fleet_id(&fleet)
        .resource_creation_limit_policy(
            ResourceCreationLimitPolicy::builder()
                .new_game_sessions_per_creator(2)
                .policy_period_in_minutes(10)
                .build(),
        )
        .send()
        .await
        .unwrap();
    emu.admin().set_speed(0.0).await.unwrap();
    for _ in 0..2 {
        create_session(&gl, &fleet, Some("alice"), None, 4)
            .await
            .unwrap();
    }
    // The SDK retries LimitExceededException (as throttling), then answers it.
    assert_eq!(
        create_session(&gl, &fleet, Some("alice"), None, 4)
            .await
            .unwrap_err(),
        "LimitExceededException"
    );
    create_session(&gl, &fleet, Some("bob"), None, 4)
        .await
        .unwrap();
    assert_eq!(
        create_session(&gl, &fleet, None, None, 4)
            .await
            .unwrap_err(),
        "InvalidRequestException",
        "a fleet with the policy needs a CreatorId"
    );
    // Ten minutes later alice may create again.
    emu.admin().advance(601.0).await.unwrap();
    create_session(&gl, &fleet, Some("alice"), None, 4)
        .await
        .unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn a_reused_idempotency_token_returns_the_same_session_unless_the_parameters_differ() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 4, &[]).await;
    let first = create_session(&gl, &fleet, None, Some("match-42"), 4)
        .await
        .unwrap();
    assert!(first.ends_with("/match-42"), "{first}");
    let again = create_session(&gl, &fleet, None, Some("match-42"), 4)
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(
        create_session(&gl, &fleet, None, Some("match-42"), 5)
            .await
            .unwrap_err(),
        "IdempotentParameterMismatchException"
    );
    let all = gl
        .describe_game_sessions()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap();
    assert_eq!(all.game_sessions().len(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn operations_the_emulator_does_not_implement_answer_unknown_operation_naming_them() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let e = gl
        .list_compute()
        .fleet_id("fleet-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("UnknownOperationException"), "{e:?}");
    assert!(e.message().unwrap().contains("ListCompute"), "{e:?}");
    let r = reqwest::Client::new()
        .post(emu.endpoint_url())
        .header("X-Amz-Target", "GameLift.CreateMatchmakingRuleSet")
        .header("Content-Type", "application/x-amz-json-1.1")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["__type"], "UnknownOperationException");
    assert_eq!(
        b["message"],
        "the GameLift emulator does not implement operation CreateMatchmakingRuleSet"
    );
    emu.shutdown().await;
}
