//! `hangar fleet` on the AWS path: the CLI's Step Functions calls (StartExecution,
//! ListExecutions, DescribeExecution, GetExecutionHistory, StopExecution) against the
//! local Step Functions endpoint, which runs the state machine from `template.yaml` with
//! the real ASL engine and the stage functions, against the GameLift emulator and moto.
//! Exit codes: 0 replaced, 2 refused, 3 rolled back, 4 needs a person, 10 cancelled after
//! the swap, 11 detached (Ctrl-C on the `hangar` binary).

use std::time::Duration;

use crate::support::*;
use hangar::fleet::{
    cancel_replacement, code, follow_execution, list_replacements, replace_aws, Follow, Target,
};
use hangar_tests::{unique_name, wait_until, REGION};
use serde_json::{json, Value};

fn target(rig: &Rig) -> Target<'_> {
    Target {
        sfn: &rig.sfn,
        state_machine_arn: rig.engine.state_machine_arn(),
        lock_table: &rig.table,
        region: REGION.into(),
    }
}

async fn replace(rig: &Rig, input: &Value) -> u8 {
    replace_aws(&target(rig), input, Follow::Detachable)
        .await
        .unwrap()
}

/// `hangar fleet replace` on the AWS path in a task of its own (as a second terminal).
fn spawn_replace(rig: &Rig, input: &Value) -> tokio::task::JoinHandle<u8> {
    let (sfn, arn, table, input) = (
        rig.sfn.clone(),
        rig.engine.state_machine_arn().to_string(),
        rig.table.clone(),
        input.clone(),
    );
    tokio::spawn(async move {
        let t = Target {
            sfn: &sfn,
            state_machine_arn: &arn,
            lock_table: &table,
            region: REGION.into(),
        };
        replace_aws(&t, &input, Follow::Detachable).await.unwrap()
    })
}

async fn executions(rig: &Rig) -> Vec<(String, String)> {
    let out = rig
        .sfn
        .list_executions()
        .state_machine_arn(rig.engine.state_machine_arn())
        .send()
        .await
        .unwrap();
    out.executions()
        .iter()
        .map(|e| {
            (
                e.execution_arn().to_string(),
                e.status().as_str().to_string(),
            )
        })
        .collect()
}

/// The first RUNNING execution's ARN, once there is one.
async fn running_execution(rig: &Rig) -> String {
    wait_until(WAIT, Duration::from_millis(20), || async {
        executions(rig)
            .await
            .into_iter()
            .find(|(_, s)| s == "RUNNING")
            .map(|(arn, _)| arn)
    })
    .await
    .expect("an execution runs")
}

#[tokio::test]
async fn the_aws_path_replaces_and_a_smoke_session_that_never_activates_rolls_back_with_exit_3() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    assert_eq!(replace(&rig, &request(&old, &name)).await, code::DONE);
    let new_id = fleet_named(&rig.gl, &name).await;
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, new_id);
    let history = rig
        .sfn
        .get_execution_history()
        .execution_arn(&executions(&rig).await[0].0)
        .send()
        .await
        .unwrap();
    assert!(
        history
            .events()
            .iter()
            .any(|e| e.state_entered_event_details().map(|d| d.name()) == Some("SwapAlias")),
        "the history the CLI followed names the states"
    );

    // Game sessions on every fleet from now on never activate: the next replacement's
    // smoke test fails and rolls back, and the command exits 3.
    let serving = Serving {
        alias_id: old.alias_id.clone(),
        fleet_id: new_id.clone(),
    };
    rig.admin.never_activate(None, true).await.unwrap();
    let next = unique_name("arena-v3");
    let mut input = request(&serving, &next);
    input["poll"]["timeouts"]["smoke"] = json!(60);
    assert_eq!(replace(&rig, &input).await, code::ROLLED_BACK);
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, new_id);
    assert!(fleets_named(&rig.gl, &next)
        .await
        .iter()
        .all(|(_, s)| s == "DELETING"));
    assert!(!lock_held(&rig, &old.alias_id).await);
}

#[tokio::test]
async fn the_same_request_started_twice_at_once_is_one_execution_one_fleet_and_one_swap() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let input = request(&old, &name);
    let swaps_before = rig.admin.calls("UpdateAlias").await.unwrap();
    let (a, b) = tokio::join!(replace(&rig, &input), replace(&rig, &input));
    assert_eq!((a, b), (code::DONE, code::DONE));
    assert_eq!(executions(&rig).await.len(), 1, "one execution for both");
    assert_eq!(
        rig.admin.calls("CreateFleet").await.unwrap(),
        2,
        "the old fleet's and one new"
    );
    assert_eq!(
        rig.admin.calls("UpdateAlias").await.unwrap() - swaps_before,
        1
    );
    assert_eq!(
        alias_target(&rig.gl, &old.alias_id).await,
        fleet_named(&rig.gl, &name).await
    );
}

/// The same request in two executions at once (named apart, so StartExecution does not
/// make them one: as when started from the console, or by two CLIs that both saw no
/// running execution): the alias lock admits one; the other is refused before it
/// creates anything and leaves the winner's lock alone.
#[tokio::test]
async fn the_same_request_in_two_executions_at_once_is_admitted_once_one_fleet_one_swap() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let input = request(&old, &name).to_string();
    let swaps_before = rig.admin.calls("UpdateAlias").await.unwrap();
    let start = |n: &'static str| {
        rig.sfn
            .start_execution()
            .state_machine_arn(rig.engine.state_machine_arn())
            .name(n)
            .input(&input)
            .send()
    };
    let (a, b) = tokio::join!(start("same-request-a"), start("same-request-b"));
    let arns = [
        a.unwrap().execution_arn().to_string(),
        b.unwrap().execution_arn().to_string(),
    ];
    let (ca, cb) = tokio::join!(
        follow_execution(&rig.sfn, &arns[0], Follow::Detachable),
        follow_execution(&rig.sfn, &arns[1], Follow::Detachable),
    );
    let mut codes = [ca.unwrap(), cb.unwrap()];
    codes.sort();
    assert_eq!(
        codes,
        [code::DONE, code::REFUSED],
        "one replaced, one refused"
    );
    for arn in &arns {
        let d = rig
            .sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .unwrap();
        if d.status().as_str() == "FAILED" {
            assert_eq!(
                d.error(),
                Some("Hangar.Locked"),
                "refused by the lock, not stopped later: {:?}",
                d.cause()
            );
        }
    }
    assert_eq!(
        rig.admin.calls("CreateFleet").await.unwrap(),
        2,
        "the old fleet's and one new"
    );
    assert_eq!(builds_named(&rig.gl, &name).await.len(), 1, "one build");
    assert_eq!(
        rig.admin.calls("UpdateAlias").await.unwrap() - swaps_before,
        1,
        "one swap"
    );
    assert_eq!(
        alias_target(&rig.gl, &old.alias_id).await,
        fleet_named(&rig.gl, &name).await
    );
    assert!(!lock_held(&rig, &old.alias_id).await);
}

#[tokio::test]
async fn a_running_request_is_attached_to_and_a_crashed_executions_lock_is_taken_over() {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let input = request(&old, &name);
    // Nearly stop the clock: the first run (started by the engine, as another operator's
    // CLI would) waits for its build far longer than this test runs.
    rig.admin.set_speed(0.001).await.unwrap();
    let first = spawn_replace(&rig, &input);
    let arn = running_execution(&rig).await;
    let build_id = wait_until(WAIT, Duration::from_millis(10), || async {
        builds_named(&rig.gl, &name)
            .await
            .first()
            .map(|b| b.0.clone())
    })
    .await
    .expect("the first run created its build");
    assert!(lock_held(&rig, &old.alias_id).await);
    // The first CLI goes away (the execution goes on); the same request run again while
    // the execution runs follows it: kill the execution meanwhile, the follower sees it end.
    first.abort();
    let follower = spawn_replace(&rig, &input);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        executions(&rig).await.len(),
        1,
        "the second run attached, started nothing"
    );
    rig.engine.endpoint().follow(&arn).unwrap().kill().await;
    assert_eq!(
        follower.await.unwrap(),
        code::NEEDS_A_PERSON,
        "a crashed execution needs a person"
    );
    assert!(
        lock_held(&rig, &old.alias_id).await,
        "the crash left the lock"
    );

    // The next run takes the lock over and resumes with the same build.
    rig.admin.set_speed(hangar_tests::TEST_SPEED).await.unwrap();
    assert_eq!(replace(&rig, &input).await, code::DONE);
    assert_eq!(
        builds_named(&rig.gl, &name).await,
        vec![(build_id, "READY".to_string())]
    );
    assert_eq!(fleets_named(&rig.gl, &name).await.len(), 1);
    assert_eq!(
        alias_target(&rig.gl, &old.alias_id).await,
        fleet_named(&rig.gl, &name).await
    );
    let names: Vec<String> = executions(&rig)
        .await
        .iter()
        .map(|(arn, _)| arn.rsplit(':').next().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names[0].ends_with("-2"),
        "the second attempt's name: {names:?}"
    );
    assert!(!lock_held(&rig, &old.alias_id).await);
}

#[tokio::test]
async fn sigint_on_hangar_fleet_replace_detaches_with_exit_11_and_the_execution_goes_on_holding_the_lock(
) {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let req = request(&old, &name);
    let log = std::env::temp_dir().join(format!("{}.log", unique_name("fleet-sigint")));
    // Nearly stop the clock: the replacement waits for its build while the CLI follows it.
    rig.admin.set_speed(0.001).await.unwrap();
    let mut cli = hangar_logged(&rig, &log)
        .args(["fleet", "replace", "-f", &old.fleet_id, "-a", &old.alias_id])
        .args([
            "-bj",
            &req["build"].to_string(),
            "-fj",
            &req["fleet"].to_string(),
        ])
        .args(["--drain-timeout", "20"])
        .spawn()
        .unwrap();
    let stderr = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_following(&log).await;
    let arn = running_execution(&rig).await;
    assert!(stderr().contains(&arn), "{}", stderr());
    wait_until(WAIT, Duration::from_millis(20), || async {
        lock_held(&rig, &old.alias_id).await.then_some(())
    })
    .await
    .expect("the execution took the alias lock");

    let status = interrupt(&mut cli).await;
    let text = stderr();
    assert_eq!(
        status.code(),
        Some(i32::from(code::STILL_RUNNING)),
        "{text}"
    );
    assert!(text.contains("Detached; the replacement goes on"), "{text}");
    assert!(
        text.contains(&format!("hangar fleet status {arn}"))
            && text.contains(&format!("hangar fleet cancel {arn}")),
        "{text}"
    );
    // Not cancelled: the execution runs on and still holds the alias lock.
    let d = rig
        .sfn
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status().as_str(), "RUNNING");
    let held = hangar_fleet::lock::get(&rig.ddb, &rig.table, &old.alias_id)
        .await
        .unwrap()
        .expect("the lock is still held");
    assert_eq!(held.execution_arn, arn);
    assert_eq!(held.cancel_requested_by, None, "Ctrl-C asked no cancel");

    // The printed `status` command follows it to the end: the fleet is replaced.
    rig.admin.set_speed(hangar_tests::TEST_SPEED).await.unwrap();
    let status_log = log.with_extension("status.log");
    let followed = hangar_logged(&rig, &status_log)
        .args(["fleet", "status", &arn])
        .status()
        .await
        .unwrap();
    let text = std::fs::read_to_string(&status_log).unwrap_or_default();
    assert_eq!(followed.code(), Some(i32::from(code::DONE)), "{text}");
    assert_eq!(
        alias_target(&rig.gl, &old.alias_id).await,
        fleet_named(&rig.gl, &name).await
    );
    assert!(!lock_held(&rig, &old.alias_id).await);
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&status_log);
}

/// Runs `hangar fleet replace` (the binary, AWS path) to its end: exit code and stderr.
async fn replace_binary(rig: &Rig, args: &[&str], build: &str, fleet: &str) -> (i32, String) {
    let log = std::env::temp_dir().join(format!("{}.log", unique_name("fleet-replace")));
    let status = hangar_logged(rig, &log)
        .args(["fleet", "replace"])
        .args(args)
        .args(["-bj", build, "-fj", fleet])
        .status()
        .await
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    (status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn every_refusal_of_hangar_fleet_replace_exits_2_with_a_message_naming_the_field_or_resource()
{
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let req = request(&old, &name);
    let (build, fleet) = (req["build"].clone(), req["fleet"].clone());
    let unknown_alias = "alias-00000000-0000-0000-0000-000000000000";
    let other_fleet = "fleet-00000000-0000-0000-0000-000000000000";
    let mut no_type = fleet.clone();
    no_type.as_object_mut().unwrap().remove("EC2InstanceType");
    let mut script = fleet.clone();
    script["ScriptId"] = json!("script-1");
    let mut anywhere = fleet.clone();
    anywhere["ComputeType"] = json!("ANYWHERE");
    let alias = old.alias_id.as_str();
    let (b, f) = (build.to_string(), fleet.to_string());
    let unknown_build =
        json!({"BuildId": "build-00000000-0000-0000-0000-000000000000"}).to_string();
    let cases: Vec<(&str, Vec<&str>, String, String, &str)> = vec![
        (
            "fleet JSON that is not JSON",
            vec!["-a", alias],
            b.clone(),
            "{nope".into(),
            "--fleet-json",
        ),
        (
            "fleet JSON missing a required member",
            vec!["-a", alias],
            b.clone(),
            no_type.to_string(),
            "EC2InstanceType",
        ),
        (
            "unsupported member ScriptId",
            vec!["-a", alias],
            b.clone(),
            script.to_string(),
            "fleet.ScriptId",
        ),
        (
            "unsupported ComputeType",
            vec!["-a", alias],
            b.clone(),
            anywhere.to_string(),
            "fleet.ComputeType",
        ),
        (
            "unknown alias",
            vec!["-a", unknown_alias],
            b.clone(),
            f.clone(),
            unknown_alias,
        ),
        (
            "a fleet the alias does not route to",
            vec!["-a", alias, "-f", other_fleet],
            b.clone(),
            f.clone(),
            other_fleet,
        ),
        (
            "unknown build",
            vec!["-a", alias],
            unknown_build,
            f.clone(),
            "build.BuildId",
        ),
    ];
    for (what, args, build, fleet, needle) in cases {
        let (code, text) = replace_binary(&rig, &args, &build, &fleet).await;
        assert_eq!(code, i32::from(code::REFUSED), "{what}: {text}");
        assert!(text.contains(needle), "{what}: names {needle}: {text}");
    }
    assert!(
        fleets_named(&rig.gl, &name).await.is_empty(),
        "nothing was created"
    );

    // Locked: another replacement of the alias is running (its clock nearly stopped).
    rig.admin.set_speed(0.001).await.unwrap();
    let holder = spawn_replace(&rig, &request(&old, &unique_name("arena-v3")));
    let holder_arn = running_execution(&rig).await;
    wait_until(WAIT, Duration::from_millis(20), || async {
        lock_held(&rig, alias).await.then_some(())
    })
    .await
    .expect("the other replacement took the lock");
    let (code, text) = replace_binary(&rig, &["-a", alias], &b, &f).await;
    assert_eq!(code, i32::from(code::REFUSED), "locked: {text}");
    assert!(
        text.contains("Hangar.Locked") && text.contains(alias) && text.contains(&holder_arn),
        "names the alias and the execution holding it: {text}"
    );
    assert!(
        fleets_named(&rig.gl, &name).await.is_empty(),
        "nothing was created"
    );
    holder.abort();
}

#[tokio::test]
async fn cancel_before_the_swap_rolls_back_and_cancel_during_the_drain_leaves_both_fleets_serving()
{
    // Game sessions last a hundred simulated hours: a drain cannot finish on its own.
    let rig = rig_with(|c| c.server.session_duration_ms = 360_000_000).await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let input = request(&old, &name);
    // Nearly stop the clock: the replacement waits for its build until it is cancelled.
    rig.admin.set_speed(0.001).await.unwrap();
    let run = spawn_replace(&rig, &input);
    let arn = running_execution(&rig).await;
    wait_until(WAIT, Duration::from_millis(10), || async {
        (!builds_named(&rig.gl, &name).await.is_empty()).then_some(())
    })
    .await
    .expect("the replacement created its build");
    assert_eq!(
        cancel_replacement(&rig.sfn, &rig.ddb, &rig.table, &arn)
            .await
            .unwrap(),
        code::ROLLED_BACK
    );
    assert_eq!(run.await.unwrap(), code::ROLLED_BACK);
    rig.admin.set_speed(hangar_tests::TEST_SPEED).await.unwrap();
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, old.fleet_id);
    assert!(
        builds_named(&rig.gl, &name).await.is_empty(),
        "its build was deleted"
    );
    assert!(fleets_named(&rig.gl, &name).await.is_empty());
    assert!(!lock_held(&rig, &old.alias_id).await);

    // After the swap: a game session on the old fleet holds the drain; cancel stops the
    // drain and both fleets keep serving.
    rig.gl
        .create_game_session()
        .fleet_id(&old.fleet_id)
        .maximum_player_session_count(2)
        .send()
        .await
        .unwrap();
    let next = unique_name("arena-v3");
    let mut input = request(&old, &next);
    input["drain_timeout_seconds"] = json!(3600);
    let run = spawn_replace(&rig, &input);
    let new_id = fleet_named(&rig.gl, &next).await;
    wait_until(WAIT, Duration::from_millis(20), || async {
        (alias_target(&rig.gl, &old.alias_id).await == new_id).then_some(())
    })
    .await
    .expect("the alias moved");
    let arn = running_execution(&rig).await;
    assert_eq!(
        cancel_replacement(&rig.sfn, &rig.ddb, &rig.table, &arn)
            .await
            .unwrap(),
        code::CANCELLED_AFTER_SWAP
    );
    assert_eq!(run.await.unwrap(), code::CANCELLED_AFTER_SWAP);
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, new_id);
    assert_eq!(fleet_status(&rig.gl, &old.fleet_id).await, "ACTIVE");
    assert_eq!(fleet_status(&rig.gl, &new_id).await, "ACTIVE");
    assert!(!lock_held(&rig, &old.alias_id).await);

    // `hangar fleet list`: both replacements, newest first, with outcome and stage.
    let listed = list_replacements(&rig.sfn, rig.engine.state_machine_arn(), &old.alias_id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed[0].outcome().starts_with("cancelled after the swap"),
        "{listed:?}"
    );
    assert!(listed[1].outcome().starts_with("rolled back"), "{listed:?}");
    assert!(listed
        .iter()
        .all(|l| l.stopped.is_some() && !l.started.is_empty()));
    assert_eq!(listed[0].stage, Some("rollback"));
    let other = list_replacements(&rig.sfn, rig.engine.state_machine_arn(), "alias-other")
        .await
        .unwrap();
    assert!(other.is_empty());
}
