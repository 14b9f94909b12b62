//! `hangar fleet` against `hangar dev` with nothing but the environment the stack prints:
//! the dev stack starts the local Step Functions endpoint with the state machine from
//! `template.yaml`, and the `hangar` binary replaces the dev fleet on the AWS path and
//! lists the replacement.

use crate::support::hangar_binary;
use hangar::dev::{start, MotoSource, StackConfig};
use serde_json::json;

#[tokio::test]
async fn hangar_fleet_replace_and_list_work_against_hangar_dev_with_only_its_printed_environment() {
    let dir = std::env::temp_dir().join(hangar_tests::unique_name("dev-fleet"));
    std::fs::create_dir_all(&dir).unwrap();
    let stack = start(StackConfig {
        moto: MotoSource::External {
            url: std::env::var("AWS_ENDPOINT_URL").expect("scripts/test starts moto"),
        },
        emulator_port: 0,
        api_port: 0,
        console_port: None,
        state_dir: dir.clone(),
        prefix: format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        clock_speed: 200.0,
        session_seconds: 600.0,
        region: "us-east-1".into(),
        registry_dir: None,
    })
    .await
    .unwrap();
    let info = stack.info.clone();
    for var in [
        "AWS_ENDPOINT_URL_SFN",
        "HANGAR_FLEET_STATE_MACHINE_ARN",
        "FLEET_LOCK_TABLE",
    ] {
        assert!(
            info.env.contains_key(var),
            "the printed environment sets {var}"
        );
    }
    let r = &info.resources;
    let name = hangar_tests::unique_name("dev-v2");
    let fleet = json!({
        "Name": name, "EC2InstanceType": "c5.large",
        "RuntimeConfiguration": {"ServerProcesses": [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 2}]}
    });
    // Async: the stack serves from this test's runtime meanwhile.
    let hangar = |args: &[&str]| {
        tokio::process::Command::new(hangar_binary())
            .args(args)
            .env_clear()
            .envs(&info.env)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
    };
    let build = json!({"BuildId": r.build_id}).to_string();
    let out = hangar(&[
        "fleet",
        "replace",
        "-a",
        &r.alias_id,
        "-bj",
        &build,
        "-fj",
        &fleet.to_string(),
        "--drain-timeout",
        "120",
    ])
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("alias swap"), "{stderr}");

    let out = hangar(&["fleet", "list", "-a", &r.alias_id, "--json"])
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["outcome"], "replaced");
    assert_eq!(listed[0]["status"], "SUCCEEDED");
    stack.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
