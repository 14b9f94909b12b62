//! `hangar fleet replace --local` through the CLI library (the same code path as the
//! binary) and as the binary for Ctrl-C: the local ASL engine, the GameLift emulator and
//! moto. Exit codes: 0 done, 2 refused, 3 rolled back.
//!
//! The CLI reads GameLift's endpoint from `AWS_ENDPOINT_URL_GAMELIFT`, as under
//! `hangar dev`; one test here sets it in this process (the other sets it on its child
//! process only), so setting it affects nothing else.

use crate::support::*;
use aws_config::Region;
use hangar::fleet::{code, replace_local, request, MachineArgs, ReplaceArgs};
use hangar_tests::{moto_endpoint, unique_name, wait_until, REGION};
use serde_json::json;

fn args(old: &Serving, name: &str) -> ReplaceArgs {
    ReplaceArgs {
        machine: MachineArgs {
            region: Some(REGION.into()),
            state_machine_arn: None,
            lock_table: String::new(),
        },
        fleet_id: None,
        alias_id: old.alias_id.clone(),
        build_json: json!({"Name": "arena", "Version": name, "StorageLocation": {"Bucket": "b", "Key": "k.zip", "RoleArn": "arn:aws:iam::123456789012:role/gl"}}).to_string(),
        fleet_json: new_fleet_json(name).to_string(),
        capacity: vec![format!("{REGION}=1/1/2")],
        drain_timeout: Some(20),
        keep_old_fleet: true,
        no_scaling_policies: false,
        dry_run: false,
        local: true,
        replacement_id: None,
    }
}

#[tokio::test]
async fn cli_dry_run_exits_0_a_refusal_exits_2_and_a_replacement_with_explicit_capacity_and_kept_old_fleet_exits_0(
) {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    // As under `hangar dev`: AWS_ENDPOINT_URL is moto, AWS_ENDPOINT_URL_GAMELIFT the emulator.
    assert!(!moto_endpoint().is_empty());
    std::env::set_var("AWS_ENDPOINT_URL_GAMELIFT", rig.emulator.endpoint_url());
    let sdk = hangar_aws::loader()
        .region(Region::new(REGION))
        .load()
        .await;
    let lock_table = unique_name("cli-locks");
    let name = unique_name("arena-v2");
    let fast = pauses();

    let mut dry = args(&old, &name);
    dry.dry_run = true;
    let code = replace_local(&sdk, &lock_table, &request(&dry).unwrap(), fast)
        .await
        .unwrap();
    assert_eq!(code, 0);
    assert!(
        fleets_named(&rig.gl, &name).await.is_empty(),
        "a dry run creates nothing"
    );

    let mut wrong = args(&old, &name);
    wrong.fleet_id = Some("fleet-00000000-0000-0000-0000-000000000000".into());
    assert_eq!(
        replace_local(&sdk, &lock_table, &request(&wrong).unwrap(), fast)
            .await
            .unwrap(),
        2
    );

    let mut input = request(&args(&old, &name)).unwrap();
    input["poll"] =
        json!({"intervals": {"build": 1, "fleet": 1, "capacity": 1, "smoke": 1, "drain": 1}});
    assert_eq!(
        replace_local(&sdk, &lock_table, &input, fast)
            .await
            .unwrap(),
        0
    );
    let new_id = fleet_named(&rig.gl, &name).await;
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, new_id);
    assert_eq!(
        active_instances(&rig.gl, &new_id, REGION).await,
        (1, 1),
        "explicit capacity applied"
    );
    assert_eq!(
        fleet_status(&rig.gl, &old.fleet_id).await,
        "ACTIVE",
        "--keep-old-fleet keeps it"
    );
    assert_eq!(
        active_instances(&rig.gl, &old.fleet_id, REGION).await.0,
        0,
        "scaled to zero"
    );
}

/// `--local`'s endpoint ends with the command, so a detached replacement could not go on:
/// Ctrl-C cancels it at its next stage and the command follows it through the rollback.
#[tokio::test]
async fn sigint_on_hangar_fleet_replace_local_cancels_the_replacement_which_rolls_back_with_exit_3()
{
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let name = unique_name("arena-v2");
    let req = crate::support::request(&old, &name);
    let log = std::env::temp_dir().join(format!("{}.log", unique_name("fleet-local-sigint")));
    // Nearly stop the clock: the replacement waits for its build until it is cancelled.
    rig.admin.set_speed(0.001).await.unwrap();
    let mut cli = hangar_logged(&rig, &log)
        .env_remove("AWS_ENDPOINT_URL_SFN")
        .env("AWS_ENDPOINT_URL_GAMELIFT", rig.emulator.endpoint_url())
        .current_dir(repo_root())
        .args([
            "fleet",
            "replace",
            "--local",
            "-f",
            &old.fleet_id,
            "-a",
            &old.alias_id,
        ])
        .args([
            "-bj",
            &req["build"].to_string(),
            "-fj",
            &req["fleet"].to_string(),
        ])
        .args(["--lock-table", &rig.table])
        .spawn()
        .unwrap();
    wait_following(&log).await;
    wait_until(WAIT, std::time::Duration::from_millis(20), || async {
        (lock_held(&rig, &old.alias_id).await && !builds_named(&rig.gl, &name).await.is_empty())
            .then_some(())
    })
    .await
    .expect("the replacement took the lock and created its build");
    let status = interrupt(&mut cli).await;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(i32::from(code::ROLLED_BACK)), "{text}");
    assert!(text.contains("cancelling it at its next stage"), "{text}");
    assert!(!text.contains("Detached"), "{text}");
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, old.fleet_id);
    assert!(
        builds_named(&rig.gl, &name).await.is_empty(),
        "its build was deleted"
    );
    assert!(fleets_named(&rig.gl, &name).await.is_empty());
    assert!(!lock_held(&rig, &old.alias_id).await);
    let _ = std::fs::remove_file(&log);
}
