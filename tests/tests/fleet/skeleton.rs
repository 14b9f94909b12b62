//! The seed's own input files: deployment.py's documented invocation
//! (`-r REGION -f FLEET_ID -a ALIAS_ID -bj BUILD_JSON -fj FLEET_JSON`), with the build and
//! fleet files made by the AWS CLI (`aws gamelift create-build/create-fleet
//! --generate-cli-skeleton`, the pinned CLI in `.venv`) and filled in, run by the `hangar`
//! binary on the AWS path against the local Step Functions endpoint, the GameLift emulator
//! and moto, with nothing but the environment a user sets for the local stack.

use std::path::Path;
use std::process::Output;

use crate::support::*;
use hangar_tests::{unique_name, REGION};
use serde_json::{json, Value};

/// The AWS CLI's skeleton of a GameLift operation's input.
fn skeleton(operation: &str) -> Value {
    let root = repo_root();
    let out = std::process::Command::new(root.join(".venv/bin/aws"))
        .args(["gamelift", operation, "--generate-cli-skeleton"])
        .env("AWS_DEFAULT_REGION", REGION)
        .output()
        .expect("the AWS CLI from scripts/bootstrap");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Sets `patch`'s members on `base` (a filled-in skeleton).
fn fill(mut base: Value, patch: Value) -> Value {
    for (k, v) in patch.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn build_file(version: &str) -> Value {
    fill(
        skeleton("create-build"),
        json!({
            "Name": "arena", "Version": version,
            "StorageLocation": {"Bucket": "builds", "Key": "arena-v2.zip",
                "RoleArn": "arn:aws:iam::123456789012:role/gl", "ObjectVersion": "1"},
            "OperatingSystem": "AMAZON_LINUX_2023",
            "Tags": [{"Key": "team", "Value": "arena"}],
            "ServerSdkVersion": "5.1.0"
        }),
    )
}

/// The fleet skeleton filled in for a build fleet: every member kept and given a value,
/// except those of other kinds of fleet (Realtime script, Anywhere) and the deprecated
/// launch path (RuntimeConfiguration replaces it), which are deleted as the CLI's
/// documentation says of members one does not use. `BuildId` keeps the old fleet's build:
/// the replacement puts the new one there.
fn fleet_file(name: &str, old_build: &str) -> Value {
    let mut f = fill(
        skeleton("create-fleet"),
        json!({
            "Name": name, "Description": "arena v2", "BuildId": old_build,
            "LogPaths": ["/local/game/logs"],
            "EC2InstanceType": "c5.large",
            "EC2InboundPermissions": [{"FromPort": 7777, "ToPort": 7800, "IpRange": "0.0.0.0/0", "Protocol": "UDP"}],
            "NewGameSessionProtectionPolicy": "NoProtection",
            "RuntimeConfiguration": {"ServerProcesses": [{"LaunchPath": "/local/game/server", "Parameters": "-port 7777", "ConcurrentExecutions": 25}],
                "MaxConcurrentGameSessionActivations": 2, "GameSessionActivationTimeoutSeconds": 300},
            "ResourceCreationLimitPolicy": {"NewGameSessionsPerCreator": 3, "PolicyPeriodInMinutes": 15},
            "MetricGroups": ["arena"],
            "PeerVpcAwsAccountId": "111122223333", "PeerVpcId": "vpc-0abc",
            "FleetType": "ON_DEMAND",
            "InstanceRoleArn": "arn:aws:iam::123456789012:role/arena",
            "CertificateConfiguration": {"CertificateType": "GENERATED"},
            "Locations": [{"Location": REMOTE}],
            "Tags": [{"Key": "team", "Value": "arena"}],
            "ComputeType": "EC2"
        }),
    );
    let obj = f.as_object_mut().unwrap();
    for gone in [
        "ScriptId",
        "AnywhereConfiguration",
        "ServerLaunchPath",
        "ServerLaunchParameters",
    ] {
        obj.remove(gone);
    }
    f
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(v).unwrap()).unwrap();
    path.display().to_string()
}

/// `hangar fleet replace -r -f -a -bj -fj` with the environment of the local stack.
async fn deployment_py_invocation(rig: &Rig, old: &Serving, build: &str, fleet: &str) -> Output {
    // Async: the local endpoint serves from this test's runtime meanwhile.
    hangar_command(rig)
        .args([
            "fleet",
            "replace",
            "-r",
            REGION,
            "-f",
            &old.fleet_id,
            "-a",
            &old.alias_id,
        ])
        .args(["-bj", build, "-fj", fleet])
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn deployment_py_invocation_with_cli_skeleton_files_replaces_the_fleet_passing_every_member_through(
) {
    let rig = rig().await;
    let old = serving_fleet(&rig).await;
    let old_build = rig
        .gl
        .describe_fleet_attributes()
        .fleet_ids(&old.fleet_id)
        .send()
        .await
        .unwrap()
        .fleet_attributes()[0]
        .build_id()
        .unwrap()
        .to_string();
    let dir = std::env::temp_dir().join(unique_name("deployment-py"));
    std::fs::create_dir_all(&dir).unwrap();
    let name = unique_name("arena-v2");

    // A member that cannot work for a replacement is refused before anything starts.
    let script = fill(
        fleet_file(&name, &old_build),
        json!({"ScriptId": "script-1"}),
    );
    let out = deployment_py_invocation(
        &rig,
        &old,
        &write(&dir, "build.json", &build_file(&name)),
        &write(&dir, "fleet-script.json", &script),
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("fleet.ScriptId"), "{stderr}");
    assert!(fleets_named(&rig.gl, &name).await.is_empty());

    let out = deployment_py_invocation(
        &rig,
        &old,
        &write(&dir, "build.json", &build_file(&name)),
        &write(&dir, "fleet.json", &fleet_file(&name, &old_build)),
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for stage in [
        "build",
        "fleet",
        "capacity",
        "smoke test",
        "alias swap",
        "drain old fleet",
    ] {
        assert!(stderr.contains(stage), "progress shows {stage}: {stderr}");
    }
    let new_id = fleet_named(&rig.gl, &name).await;
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, new_id);
    let f = rig
        .gl
        .describe_fleet_attributes()
        .fleet_ids(&new_id)
        .send()
        .await
        .unwrap()
        .fleet_attributes()[0]
        .clone();
    let new_build = builds_named(&rig.gl, &name).await[0].0.clone();
    assert_eq!(f.build_id(), Some(new_build.as_str()), "BuildId replaced");
    assert_eq!(f.log_paths(), ["/local/game/logs".to_string()]);
    assert_eq!(f.metric_groups(), ["arena".to_string()]);
    assert_eq!(
        f.certificate_configuration()
            .and_then(|c| c.certificate_type())
            .map(|t| t.as_str()),
        Some("GENERATED")
    );
    assert_eq!(
        f.instance_role_arn(),
        Some("arn:aws:iam::123456789012:role/arena")
    );
    assert_eq!(
        f.new_game_session_protection_policy().map(|p| p.as_str()),
        Some("NoProtection")
    );
    let build_arn = rig
        .gl
        .describe_build()
        .build_id(&new_build)
        .send()
        .await
        .unwrap()
        .build_value()
        .unwrap()
        .build_arn()
        .unwrap()
        .to_string();
    let tags = rig
        .gl
        .list_tags_for_resource()
        .resource_arn(build_arn)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("team") && t.value() == Some("arena")),
        "the build JSON's Tags reach CreateBuild: {tags:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
