//! Fleet replacement run end to end by a real ASL engine (aws-local-stepfunctions under
//! Node) executing `statemachines/fleet-replacement.asl.json`, whose Task states invoke
//! the stage functions through the local Lambda service, against the GameLift emulator
//! (fast clock) and moto's DynamoDB (alias lock). Each test has its own emulator, lock
//! table and local Lambda port, so tests run in parallel.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use aws_sdk_gamelift::config::retry::RetryConfig;
use aws_sdk_gamelift::types::{RoutingStrategy, RoutingStrategyType};
use hangar_tests::{unique_name, wait_until, REGION};
use local_stepfunctions::Outcome;
use serde_json::{json, Value};

#[tokio::test]
async fn replacement_swaps_alias_only_after_new_fleet_is_active_with_matched_capacity_and_deletes_old_only_when_drained(
) {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");

    // Players keep arriving through the alias for the whole run.
    let stop = Arc::new(AtomicBool::new(false));
    let placer = {
        let (gl, alias_id, stop) = (rig.gl.clone(), old.alias_id.clone(), stop.clone());
        tokio::spawn(async move {
            let mut placed = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let r = gl
                    .create_game_session()
                    .alias_id(&alias_id)
                    .maximum_player_session_count(4)
                    .send()
                    .await;
                let s = r.expect("a player's game session through the alias is always placed");
                let gs = s.game_session().unwrap();
                placed.push((
                    gs.fleet_id().unwrap().to_string(),
                    gs.status().unwrap().as_str().to_string(),
                ));
                tokio::time::sleep(Duration::from_millis(60)).await;
            }
            placed
        })
    };

    let mut exec = start(&rig, &request(&old, &name)).await;
    let mut events = Vec::new();
    let mut outcome = None;
    while let Some(event) = exec.next_event().await {
        let state = event
            .state
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        if event.kind == "StateEntered" && state == "SwapAlias" {
            let new_id = fleet_named(&rig.gl, &name).await;
            // One smoke session in each location with desired capacity (home and
            // remote), each ended by the stage itself (FORCE_TERMINATE), not by its
            // simulated server running out its lifetime, before the alias moves.
            let ended = (
                "TERMINATED".to_string(),
                Some("FORCE_TERMINATED".to_string()),
            );
            assert_eq!(
                smoke_sessions(&rig.gl, &new_id).await,
                vec![ended.clone(), ended],
                "the smoke-test sessions are ended before the swap"
            );
            assert!(
                fleet_active(&rig.gl, &new_id).await,
                "new fleet and every location ACTIVE before the swap"
            );
            assert_eq!(
                active_instances(&rig.gl, &new_id, REGION).await,
                (2, 2),
                "home capacity matched before the swap"
            );
            assert_eq!(
                active_instances(&rig.gl, &new_id, REMOTE).await,
                (1, 1),
                "remote capacity matched before the swap"
            );
        }
        if event.kind == "StateEntered" && state == "DeleteOldFleet" {
            let sessions = rig
                .gl
                .describe_game_sessions()
                .fleet_id(&old.fleet_id)
                .send()
                .await
                .unwrap();
            let live = sessions.game_sessions().iter().filter(|g| {
                matches!(
                    g.status().map(|s| s.as_str()),
                    Some("ACTIVE") | Some("ACTIVATING")
                )
            });
            assert_eq!(live.count(), 0, "old fleet is drained before its deletion");
        }
        if event.kind == "StateEntered"
            && ["Validate", "CreateBuild", "WaitForFleet", "SmokeTest"].contains(&state.as_str())
        {
            assert_eq!(
                alias_target(&rig.gl, &old.alias_id).await,
                old.fleet_id,
                "alias unmoved during {state}"
            );
        }
        let end = matches!(
            event.kind.as_str(),
            "ExecutionSucceeded" | "ExecutionFailed"
        );
        events.push(event.clone());
        if end {
            outcome = Some(event);
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let placed = placer.await.unwrap();
    let outcome = outcome.expect("the execution ended");
    assert_eq!(outcome.kind, "ExecutionSucceeded", "{outcome:?}");

    let new_id = fleet_named(&rig.gl, &name).await;
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, new_id);
    let smoke = smoke_sessions(&rig.gl, &new_id).await;
    assert_eq!(
        smoke.len(),
        2,
        "one smoke-test session per location: {smoke:?}"
    );
    assert!(
        smoke
            .iter()
            .all(|(s, _)| s != "ACTIVE" && s != "ACTIVATING"),
        "no smoke-test session left running on the new fleet: {smoke:?}"
    );
    let old_status = fleet_status(&rig.gl, &old.fleet_id).await;
    assert!(
        ["DELETING", "TERMINATED", "GONE"].contains(&old_status.as_str()),
        "old fleet deleted: {old_status}"
    );
    assert!(!lock_held(&rig, &old.alias_id).await, "lock released");
    let policies = rig
        .gl
        .describe_scaling_policies()
        .fleet_id(&new_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        policies.scaling_policies()[0].name(),
        Some("keep-20-percent-free"),
        "scaling policy copied"
    );
    let fleets: BTreeSet<&str> = placed.iter().map(|(f, _)| f.as_str()).collect();
    assert!(placed.len() > 5, "players kept arriving: {placed:?}");
    assert!(
        fleets.iter().all(|f| *f == old.fleet_id || *f == new_id),
        "{fleets:?}"
    );
    assert!(
        fleets.contains(new_id.as_str()),
        "players reached the new fleet after the swap"
    );
    assert_eq!(
        entered(&events).iter().filter(|s| *s == "Rollback").count(),
        0
    );
}

#[tokio::test]
async fn dry_run_returns_the_plan_and_creates_nothing() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let mut input = request(&old, &name);
    input["dry_run"] = json!(true);
    let (outcome, _) = run(&rig, &input).await;
    let Outcome::Succeeded(plan) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(plan["old_fleet_id"], json!(old.fleet_id));
    assert_eq!(plan["start"]["mode"], json!("fresh"));
    assert!(plan["steps"].as_array().unwrap().len() >= 9, "{plan}");
    assert!(fleets_named(&rig.gl, &name).await.is_empty());
    assert!(builds_named(&rig.gl, &name).await.is_empty());
    assert!(!lock_held(&rig, &old.alias_id).await);
}

#[tokio::test]
async fn a_build_that_fails_rolls_back_and_deletes_the_build_it_created() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    // Nearly stop the clock so the new build stays INITIALIZED until it is failed.
    rig.admin.set_speed(0.001).await.unwrap();
    let exec = start(&rig, &request(&old, &name)).await;
    let build_id = wait_until(WAIT, Duration::from_millis(10), || async {
        builds_named(&rig.gl, &name)
            .await
            .first()
            .map(|b| b.0.clone())
    })
    .await
    .expect("the workflow created the build");
    rig.admin.build_failed(&build_id).await.unwrap();
    rig.admin.set_speed(hangar_tests::TEST_SPEED).await.unwrap();
    let outcome = exec.finish(|_| {}).await;
    let (error, cause) = failed(&outcome);
    assert_eq!(error, "Hangar.RolledBack", "{cause}");
    assert!(
        cause.contains("FAILED") && cause.contains(&format!("deleted build {build_id}")),
        "{cause}"
    );
    assert!(
        fleets_named(&rig.gl, &name).await.is_empty(),
        "no fleet created on a failed build"
    );
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, old.fleet_id);
    assert!(!lock_held(&rig, &old.alias_id).await);
}

#[tokio::test]
async fn a_new_fleet_that_goes_to_error_is_deleted_and_the_old_fleet_keeps_serving() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    rig.admin.slow_activation(None, 100_000.0).await.unwrap();
    let exec = start(&rig, &request(&old, &name)).await;
    let new_id = fleet_named(&rig.gl, &name).await;
    rig.admin.fleet_error(&new_id, None).await.unwrap();
    let outcome = exec.finish(|_| {}).await;
    let (error, cause) = failed(&outcome);
    assert_eq!(error, "Hangar.RolledBack", "{cause}");
    assert!(
        cause.contains(&format!("fleet {new_id}")) && cause.contains("ERROR"),
        "{cause}"
    );
    assert_rolled_back_to_old(&rig, &old, &new_id, cause).await;
}

#[tokio::test]
async fn a_remote_location_that_never_activates_ends_at_the_stage_timeout_and_rolls_back() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    // Fleets created from now on: the home location activates, the remote one never does.
    rig.admin
        .slow_location_activation(None, REMOTE, None)
        .await
        .unwrap();
    let mut input = request(&old, &name);
    input["poll"]["timeouts"]["fleet"] = json!(2);
    let (outcome, events) = run(&rig, &input).await;
    let (error, cause) = failed(&outcome);
    assert_eq!(error, "Hangar.RolledBack", "{cause}");
    // The stage's last poll saw the fleet (its home location) ACTIVE and only the remote
    // location still ACTIVATING.
    let new_id = cause
        .split_whitespace()
        .find(|w| w.starts_with("fleet-"))
        .map(|w| w.trim_end_matches([';', ',', ':']).to_string())
        .expect("the cause names the new fleet");
    assert!(
        cause.contains("did not finish within 2s")
            && cause.contains(&format!(
                "fleet {new_id} is ACTIVE; waiting for {REMOTE} ACTIVATING"
            )),
        "the cause names the stage timeout and the one stuck location: {cause}"
    );
    let named = rig
        .gl
        .describe_fleet_attributes()
        .fleet_ids(&new_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        named.fleet_attributes()[0].name(),
        Some(name.as_str()),
        "the fleet in the cause is the one the run created"
    );
    let states = entered(&events);
    assert!(
        !states.contains(&"SmokeTest".to_string()) && !states.contains(&"SwapAlias".to_string()),
        "{states:?}"
    );
    assert_rolled_back_to_old(&rig, &old, &new_id, cause).await;
}

#[tokio::test]
async fn a_whole_fleet_stuck_activating_ends_at_the_stage_timeout_and_the_undeletable_fleet_is_reported(
) {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    rig.admin.slow_activation(None, 10_000_000.0).await.unwrap();
    let mut input = request(&old, &name);
    input["poll"]["timeouts"]["fleet"] = json!(2);
    let (outcome, events) = run(&rig, &input).await;
    let (error, cause) = failed(&outcome);
    // GameLift deletes only ACTIVE or ERROR fleets: the stuck fleet is reported, not hidden.
    assert_eq!(error, "Hangar.RollbackIncomplete", "{cause}");
    assert!(cause.contains("did not finish within 2s"), "{cause}");
    assert!(
        cause.contains("delete-fleet"),
        "the cause says what to do: {cause}"
    );
    assert!(!entered(&events).contains(&"SwapAlias".to_string()));
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, old.fleet_id);
    assert!(!lock_held(&rig, &old.alias_id).await);
}

#[tokio::test]
async fn throttling_on_every_gamelift_call_is_retried_by_the_state_machine_and_the_replacement_completes(
) {
    // The stages' client tries each call at most twice, so throttles reach the state
    // machine, whose Retry (backoff) must carry the replacement through.
    let retry = RetryConfig::standard()
        .with_max_attempts(2)
        .with_initial_backoff(Duration::from_millis(10));
    let rig = rig_with_stage_retries(|c| c.server.session_duration_ms = 400_000, Some(retry)).await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    rig.admin.throttle("*", 0.25).await.unwrap();
    let (outcome, events) = run(&rig, &request(&old, &name)).await;
    rig.admin.clear_faults().await.unwrap();
    let retried: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "StateRetried")
        .filter_map(|e| e.state.as_ref().map(|s| s.name.as_str()))
        .collect();
    assert!(matches!(outcome, Outcome::Succeeded(_)), "{outcome:?}");
    assert!(
        !retried.is_empty(),
        "throttles reached the state machine and were retried"
    );
    let new_id = fleet_named(&rig.gl, &name).await;
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, new_id);
    assert_eq!(
        fleets_named(&rig.gl, &name).await.len(),
        1,
        "retries never created a second fleet"
    );
    assert_eq!(
        builds_named(&rig.gl, &name).await.len(),
        1,
        "nor a second build"
    );
}

#[tokio::test]
async fn a_crash_mid_run_then_the_same_request_resumes_without_a_second_fleet() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let input = request(&old, &name);
    let mut exec = start(&rig, &input).await;
    while let Some(event) = exec.next_event().await {
        if event.kind == "StateEntered"
            && event
                .state
                .as_ref()
                .is_some_and(|s| s.name == "MatchCapacity")
        {
            break;
        }
    }
    exec.kill().await;
    assert_eq!(fleets_named(&rig.gl, &name).await.len(), 1);
    assert!(
        lock_held(&rig, &old.alias_id).await,
        "the crashed run still holds the lock"
    );

    let (outcome, events) = run(&rig, &input).await;
    assert!(matches!(outcome, Outcome::Succeeded(_)), "{outcome:?}");
    let fleets = fleets_named(&rig.gl, &name).await;
    assert_eq!(fleets.len(), 1, "resume reused the fleet: {fleets:?}");
    assert_eq!(
        builds_named(&rig.gl, &name).await.len(),
        1,
        "resume reused the build"
    );
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, fleets[0].0);
    assert!(entered(&events).contains(&"CreateFleet".to_string()));
    assert!(!lock_held(&rig, &old.alias_id).await);
}

#[tokio::test]
async fn a_crash_after_the_swap_resumes_at_the_drain_and_deletes_the_old_fleet() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let mut input = request(&old, &name);
    input.as_object_mut().unwrap().remove("fleet_id");
    let mut exec = start(&rig, &input).await;
    while let Some(event) = exec.next_event().await {
        if event.kind == "StateEntered"
            && event
                .state
                .as_ref()
                .is_some_and(|s| s.name == "DrainOldFleet")
        {
            break;
        }
    }
    exec.kill().await;
    let new_id = fleet_named(&rig.gl, &name).await;
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, new_id);

    let (outcome, events) = run(&rig, &input).await;
    assert!(matches!(outcome, Outcome::Succeeded(_)), "{outcome:?}");
    let states = entered(&events);
    assert!(
        !states.contains(&"CreateFleet".to_string())
            && states.contains(&"DeleteOldFleet".to_string()),
        "{states:?}"
    );
    let status = fleet_status(&rig.gl, &old.fleet_id).await;
    assert!(
        ["DELETING", "TERMINATED", "GONE"].contains(&status.as_str()),
        "{status}"
    );
    assert_eq!(fleets_named(&rig.gl, &name).await.len(), 1);
}

#[tokio::test]
async fn a_drain_that_times_out_keeps_the_new_fleet_serving_and_the_old_fleet_running() {
    // Game sessions last a hundred simulated hours: the drain cannot finish.
    let rig = rig_with(|c| c.server.session_duration_ms = 360_000_000).await;
    let old = serving_fleet(&rig).await;
    rig.gl
        .create_game_session()
        .alias_id(&old.alias_id)
        .maximum_player_session_count(4)
        .send()
        .await
        .unwrap();
    let name = unique_name("arena-v2");
    let mut input = request(&old, &name);
    input["drain_timeout_seconds"] = json!(2);
    let (outcome, _) = run(&rig, &input).await;
    let (error, cause) = failed(&outcome);
    assert_eq!(error, "Hangar.DrainTimedOut", "{cause}");
    assert!(
        cause.contains(&old.fleet_id) && cause.contains("left running"),
        "{cause}"
    );
    let new_id = fleet_named(&rig.gl, &name).await;
    assert_eq!(
        alias_target(&rig.gl, &old.alias_id).await,
        new_id,
        "the new fleet keeps serving"
    );
    assert_eq!(
        fleet_status(&rig.gl, &old.fleet_id).await,
        "ACTIVE",
        "the old fleet is not deleted"
    );
    assert_eq!(
        active_instances(&rig.gl, &old.fleet_id, REGION).await.0,
        2,
        "nor scaled down"
    );
    assert!(!lock_held(&rig, &old.alias_id).await);
}

#[tokio::test]
async fn a_second_replacement_on_a_locked_alias_is_refused() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    rig.admin.slow_activation(None, 10_000_000.0).await.unwrap();
    // The first replacement waits for its fleet far longer than this test runs.
    let mut holder = request(&old, &unique_name("arena-v2"));
    holder["poll"]["timeouts"]["fleet"] = json!(3600);
    let first = start(&rig, &holder).await;
    wait_until(WAIT, Duration::from_millis(10), || async {
        lock_held(&rig, &old.alias_id).await.then_some(())
    })
    .await
    .expect("the first replacement took the lock");
    let other = unique_name("arena-v3");
    let (outcome, _) = run(&rig, &request(&old, &other)).await;
    let (error, cause) = failed(&outcome);
    assert_eq!(error, "Hangar.Locked", "{cause}");
    assert!(cause.contains(&old.alias_id), "{cause}");
    assert!(fleets_named(&rig.gl, &other).await.is_empty());
    assert!(
        lock_held(&rig, &old.alias_id).await,
        "the refused run left the holder's lock alone"
    );
    first.kill().await;
}

#[tokio::test]
async fn each_validation_refusal_stops_before_anything_is_created() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let terminal = rig
        .gl
        .create_alias()
        .name(unique_name("closed"))
        .routing_strategy(
            RoutingStrategy::builder()
                .r#type(RoutingStrategyType::Terminal)
                .message("closed")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let terminal_id = terminal.alias().unwrap().alias_id().unwrap().to_string();
    let name = unique_name("arena-v2");
    let base = request(&old, &name);
    let mut cases: Vec<(&str, Value, &str)> = Vec::new();
    let mut v = base.clone();
    v["fleet_id"] = json!("fleet-00000000-0000-0000-0000-000000000000");
    cases.push(("alias not on the given fleet", v, "not to fleet"));
    let mut v = base.clone();
    v["alias_id"] = json!(terminal_id);
    v.as_object_mut().unwrap().remove("fleet_id");
    cases.push(("terminal alias", v, "TERMINAL"));
    let mut v = base.clone();
    v["fleet"]
        .as_object_mut()
        .unwrap()
        .remove("EC2InstanceType");
    cases.push(("bad fleet JSON", v, "EC2InstanceType"));
    let mut v = base.clone();
    v["build"] = json!({"BuildId": "build-00000000-0000-0000-0000-000000000000"});
    cases.push(("unknown build", v, "does not exist"));
    let mut v = base.clone();
    v["alias_id"] = json!("alias-00000000-0000-0000-0000-000000000000");
    cases.push(("unknown alias", v, "does not exist"));
    for (what, input, needle) in cases {
        let (outcome, events) = run(&rig, &input).await;
        let (error, cause) = failed(&outcome);
        assert_eq!(error, "Hangar.Refused", "{what}: {cause}");
        assert!(cause.contains(needle), "{what}: {cause}");
        assert_eq!(
            entered(&events),
            vec!["Start", "Validate", "Refused"],
            "{what}"
        );
    }
    // Last: the old fleet not ACTIVE.
    rig.admin.fleet_error(&old.fleet_id, None).await.unwrap();
    let (outcome, _) = run(&rig, &base).await;
    let (error, cause) = failed(&outcome);
    assert_eq!(error, "Hangar.Refused");
    assert!(
        cause.contains("ERROR") && cause.contains("ACTIVE"),
        "{cause}"
    );
    assert!(fleets_named(&rig.gl, &name).await.is_empty());
    assert!(builds_named(&rig.gl, &name).await.is_empty());
    assert!(!lock_held(&rig, &old.alias_id).await);
}

#[tokio::test]
async fn explicit_capacity_only_in_a_remote_location_smoke_tests_there_and_still_copies_policies_and_suspended_actions(
) {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    rig.gl
        .stop_fleet_actions()
        .fleet_id(&old.fleet_id)
        .actions(aws_sdk_gamelift::types::FleetAction::AutoScaling)
        .send()
        .await
        .unwrap();
    let name = unique_name("arena-v2");
    let mut input = request(&old, &name);
    // Home desired 0, the remote location 1: the smoke test must place its session there.
    input["capacity"] = json!({REGION: {"desired": 0, "min": 0, "max": 2}, REMOTE: {"desired": 1, "min": 1, "max": 2}});
    let (outcome, _) = run(&rig, &input).await;
    assert!(matches!(outcome, Outcome::Succeeded(_)), "{outcome:?}");
    let new_id = fleet_named(&rig.gl, &name).await;
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, new_id);
    let policies = rig
        .gl
        .describe_scaling_policies()
        .fleet_id(&new_id)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = policies
        .scaling_policies()
        .iter()
        .filter_map(|p| p.name())
        .collect();
    assert_eq!(
        names,
        ["keep-20-percent-free"],
        "copied with explicit capacity"
    );
    let attrs = rig
        .gl
        .describe_fleet_attributes()
        .fleet_ids(&new_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attrs.fleet_attributes()[0].stopped_actions(),
        [aws_sdk_gamelift::types::FleetAction::AutoScaling],
        "suspended as on the old fleet"
    );

    // --no-scaling-policies: neither is copied.
    let serving = Serving {
        alias_id: old.alias_id.clone(),
        fleet_id: new_id.clone(),
    };
    let next = unique_name("arena-v3");
    let mut input = request(&serving, &next);
    input["no_scaling_policies"] = json!(true);
    let (outcome, _) = run(&rig, &input).await;
    assert!(matches!(outcome, Outcome::Succeeded(_)), "{outcome:?}");
    let third = fleet_named(&rig.gl, &next).await;
    let policies = rig
        .gl
        .describe_scaling_policies()
        .fleet_id(&third)
        .send()
        .await
        .unwrap();
    assert!(policies.scaling_policies().is_empty());
}
