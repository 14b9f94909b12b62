//! Paging, SearchGameSessions, typed errors and the JSON 1.1 protocol of the emulator.

use aws_sdk_gamelift::error::ProvideErrorMetadata;
use aws_sdk_gamelift::types::{
    BuildStatus, GameProperty, GameSessionStatus, RoutingStrategy, RoutingStrategyType,
};
use hangar_tests::gamelift::{active_fleet, create_game_session, wait_active_game_sessions};
use hangar_tests::{gamelift_client, start_emulator, unique_name};
use std::collections::HashSet;

#[tokio::test]
async fn list_builds_pages_with_next_token_and_returns_every_build_once() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let mut created = HashSet::new();
    for _ in 0..7 {
        let b = gl
            .create_build()
            .name(unique_name("build"))
            .send()
            .await
            .unwrap();
        created.insert(b.build_value().unwrap().build_id().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let page = gl
            .list_builds()
            .limit(3)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.builds().len() <= 3);
        seen.extend(
            page.builds()
                .iter()
                .map(|b| b.build_id().unwrap().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 7);
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), created);
    // The SDK paginator walks the same pages.
    let all: Vec<_> = gl
        .list_builds()
        .limit(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(all.len(), 7);
    // Status filter.
    let ready = gl
        .list_builds()
        .status(BuildStatus::Failed)
        .send()
        .await
        .unwrap();
    assert!(ready.builds().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn describe_game_sessions_pages_and_filters_by_status() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 30, &[]).await;
    for _ in 0..5 {
        create_game_session(&gl, &fleet, 4).await;
    }
    wait_active_game_sessions(&gl, &fleet, 5).await;
    let first = gl
        .describe_game_sessions()
        .fleet_id(&fleet)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.game_sessions().len(), 2);
    let token = first
        .next_token()
        .expect("a first page of 2 out of 5 has a NextToken")
        .to_string();
    let second = gl
        .describe_game_sessions()
        .fleet_id(&fleet)
        .limit(2)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.game_sessions().len(), 2);
    assert_ne!(
        first.game_sessions()[0].game_session_id(),
        second.game_sessions()[0].game_session_id()
    );
    let details = gl
        .describe_game_session_details()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap();
    assert_eq!(details.game_session_details().len(), 5);
    let terminated = gl
        .describe_game_sessions()
        .fleet_id(&fleet)
        .status_filter("TERMINATED")
        .send()
        .await
        .unwrap();
    assert!(terminated.game_sessions().is_empty());
    let bad = gl
        .describe_game_sessions()
        .fleet_id(&fleet)
        .status_filter("SLEEPING")
        .send()
        .await
        .unwrap_err();
    assert!(bad
        .as_service_error()
        .unwrap()
        .is_invalid_request_exception());
    let forged = gl
        .describe_game_sessions()
        .fleet_id(&fleet)
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert!(forged
        .as_service_error()
        .unwrap()
        .is_invalid_request_exception());
    emu.shutdown().await;
}

#[tokio::test]
async fn search_game_sessions_filters_sorts_and_pages_twenty_at_a_time() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 30, &[]).await;
    for i in 0..25 {
        let mode = if i % 5 == 0 { "casual" } else { "ranked" };
        gl.create_game_session()
            .fleet_id(&fleet)
            .name(format!("game-{i:02}"))
            .maximum_player_session_count(10 + i)
            .game_properties(GameProperty::builder().key("mode").value(mode).build())
            .send()
            .await
            .unwrap();
    }
    wait_active_game_sessions(&gl, &fleet, 25).await;
    // 20 ranked sessions, sorted by maximumSessions descending: one full page of 20.
    let ranked = gl
        .search_game_sessions()
        .fleet_id(&fleet)
        .filter_expression(
            "gameSessionProperties.mode = 'ranked' AND hasAvailablePlayerSessions = true",
        )
        .sort_expression("maximumSessions DESC")
        .send()
        .await
        .unwrap();
    let maxes: Vec<i32> = ranked
        .game_sessions()
        .iter()
        .map(|g| g.maximum_player_session_count().unwrap())
        .collect();
    assert_eq!(maxes.len(), 20);
    assert!(
        maxes.windows(2).all(|w| w[0] >= w[1]),
        "not sorted: {maxes:?}"
    );
    assert!(ranked.next_token().is_none());
    // All 25 by name: 20 then 5.
    let p1 = gl
        .search_game_sessions()
        .fleet_id(&fleet)
        .sort_expression("gameSessionName ASC")
        .send()
        .await
        .unwrap();
    assert_eq!(p1.game_sessions().len(), 20);
    let p2 = gl
        .search_game_sessions()
        .fleet_id(&fleet)
        .sort_expression("gameSessionName ASC")
        .next_token(p1.next_token().unwrap())
        .send()
        .await
        .unwrap();
    let names: Vec<_> = p1
        .game_sessions()
        .iter()
        .chain(p2.game_sessions())
        .map(|g| g.name().unwrap().to_string())
        .collect();
    let expected: Vec<_> = (0..25).map(|i| format!("game-{i:02}")).collect();
    assert_eq!(names, expected);
    // A limit above 20 is capped at 20.
    let capped = gl
        .search_game_sessions()
        .fleet_id(&fleet)
        .limit(50)
        .send()
        .await
        .unwrap();
    assert_eq!(capped.game_sessions().len(), 20);
    // A malformed filter is InvalidRequestException naming the problem.
    let err = gl
        .search_game_sessions()
        .fleet_id(&fleet)
        .filter_expression("maximumSessions >")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_invalid_request_exception());
    assert!(
        err.message().unwrap().contains("FilterExpression"),
        "{:?}",
        err.message()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_answered_with_the_gamelift_error_codes() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let nf = gl
        .describe_build()
        .build_id("build-does-not-exist")
        .send()
        .await
        .unwrap_err();
    assert!(nf.as_service_error().unwrap().is_not_found_exception());
    let nf = gl
        .describe_fleet_attributes()
        .fleet_ids("fleet-missing")
        .send()
        .await
        .unwrap();
    assert!(
        nf.fleet_attributes().is_empty(),
        "unknown fleet ids are left out of DescribeFleetAttributes"
    );
    let bad_queue = gl
        .create_game_session_queue()
        .name("not a valid name!")
        .send()
        .await
        .unwrap_err();
    assert!(bad_queue
        .as_service_error()
        .unwrap()
        .is_invalid_request_exception());
    let no_fleet = gl
        .create_alias()
        .name("a")
        .routing_strategy(
            RoutingStrategy::builder()
                .r#type(RoutingStrategyType::Simple)
                .fleet_id("fleet-missing")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(no_fleet
        .as_service_error()
        .unwrap()
        .is_invalid_request_exception());
    let terminal = gl
        .create_alias()
        .name("closed")
        .routing_strategy(
            RoutingStrategy::builder()
                .r#type(RoutingStrategyType::Terminal)
                .message("game closed")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = terminal.alias().unwrap().alias_id().unwrap();
    let err = gl.resolve_alias().alias_id(id).send().await.unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_terminal_routing_strategy_exception());
    assert_eq!(err.message(), Some("game closed"));
    let err = gl
        .create_game_session()
        .alias_id(id)
        .maximum_player_session_count(2)
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_terminal_routing_strategy_exception());
    let err = gl
        .start_game_session_placement()
        .placement_id("p1")
        .game_session_queue_name("missing")
        .maximum_player_session_count(2)
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_not_found_exception());
    let err = gl.describe_player_sessions().send().await.unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_invalid_request_exception());
    let err = gl
        .update_game_session()
        .game_session_id("arn:aws:gamelift:us-east-1::gamesession/fleet-x/gsess-y")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_not_found_exception());
    let err = gl
        .list_tags_for_resource()
        .resource_arn("arn:aws:gamelift:us-east-1:123456789012:build/build-none")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_not_found_exception());
    emu.shutdown().await;
}

#[tokio::test]
async fn ended_game_sessions_stay_terminated_and_refuse_updates() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    emu.admin()
        .game_servers(serde_json::json!({"sessionDurationSeconds": 30}))
        .await
        .unwrap();
    let (fleet, _) = active_fleet(&gl, 2, &[]).await;
    let id = create_game_session(&gl, &fleet, 2).await;
    emu.admin().advance(60.0).await.unwrap();
    let d = gl
        .describe_game_sessions()
        .game_session_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.game_sessions()[0].status(),
        Some(&GameSessionStatus::Terminated)
    );
    assert!(d.game_sessions()[0].termination_time().is_some());
    let err = gl
        .update_game_session()
        .game_session_id(&id)
        .name("late")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_invalid_game_session_status_exception());
    emu.shutdown().await;
}

#[tokio::test]
async fn tags_and_scaling_policies_round_trip() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    let arn = gl
        .describe_fleet_attributes()
        .fleet_ids(&fleet)
        .send()
        .await
        .unwrap()
        .fleet_attributes()[0]
        .fleet_arn()
        .unwrap()
        .to_string();
    gl.tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_gamelift::types::Tag::builder()
                .key("team")
                .value("core")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let tags = gl
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].key(), Some("team"));
    gl.put_scaling_policy()
        .fleet_id(&fleet)
        .name("keep-free")
        .policy_type(aws_sdk_gamelift::types::PolicyType::TargetBased)
        .metric_name(aws_sdk_gamelift::types::MetricName::PercentAvailableGameSessions)
        .target_configuration(
            aws_sdk_gamelift::types::TargetConfiguration::builder()
                .target_value(20.0)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let p = gl
        .describe_scaling_policies()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap();
    assert_eq!(p.scaling_policies()[0].name(), Some("keep-free"));
    assert_eq!(
        p.scaling_policies()[0]
            .target_configuration()
            .unwrap()
            .target_value(),
        Some(20.0)
    );
    let rc = gl
        .describe_runtime_configuration()
        .fleet_id(&fleet)
        .send()
        .await
        .unwrap();
    assert_eq!(
        rc.runtime_configuration().unwrap().server_processes()[0].concurrent_executions(),
        Some(1)
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn json_protocol_requests_with_x_amz_target_work_and_unknown_targets_are_clear_errors() {
    let emu = start_emulator().await;
    let http = reqwest::Client::new();
    let call = |target: &'static str, body: serde_json::Value| {
        http.post(emu.endpoint_url())
            .header("X-Amz-Target", target)
            .header("Content-Type", "application/x-amz-json-1.1")
            .body(body.to_string())
            .send()
    };
    let ok = call("GameLift.CreateBuild", serde_json::json!({"Name": "json"}))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert!(
        body["Build"]["CreationTime"].is_number(),
        "timestamps are epoch seconds: {body}"
    );
    let unknown = call("GameLift.LaunchRocket", serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert_eq!(
        unknown.headers()["x-amzn-errortype"],
        "UnknownOperationException"
    );
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(body["__type"], "UnknownOperationException");
    let missing = call("GameLift.DescribeBuild", serde_json::json!({}))
        .await
        .unwrap();
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["__type"], "InvalidRequestException");
    assert_eq!(
        body["message"],
        "1 validation error detected: Value null at 'buildId' failed to satisfy constraint: Member must not be null"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn admin_refuses_bad_bodies_by_name_and_reset_forgets_everything() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    gl.create_build().name("before-reset").send().await.unwrap();
    let http = reqwest::Client::new();
    let bad = http
        .post(format!("{}/faults/throttle", emu.admin_url()))
        .body(r#"{"operation": "ListBuilds", "fraction": 0.5, "typo": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidBody");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("typo"),
        "{body}"
    );
    let unknown_op = emu.admin().throttle("LaunchRocket", 0.5).await.unwrap_err();
    assert!(
        unknown_op.to_string().contains("UnknownOperation"),
        "{unknown_op}"
    );
    emu.admin().reset().await.unwrap();
    assert!(gl.list_builds().send().await.unwrap().builds().is_empty());
    emu.shutdown().await;
}
