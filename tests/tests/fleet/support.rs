//! Shared set-up of the fleet-replacement tests: an emulator with a serving fleet behind
//! an alias, a lock table on moto, the local engine, and GameLift look-ups.

use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_gamelift::config::retry::RetryConfig;
use aws_sdk_gamelift::types::{
    Ec2InstanceType, LocationConfiguration, PolicyType, RoutingStrategy, RoutingStrategyType,
    RuntimeConfiguration, S3Location, ServerProcess, TargetConfiguration,
};
use gamelift_emulator::{AdminClient, RunningEmulator};
use hangar_fleet::{Clients, Fleet, FleetConfig};
use hangar_tests::{
    aws_config, gamelift_client, gamelift_client_with_retries, start_emulator_with, unique_name,
    wait_until, REGION,
};
use local_stepfunctions::{EngineEvent, EngineOptions, LocalEngine, LocalExecution, Outcome};
use serde_json::{json, Value};

pub const REMOTE: &str = "us-west-2";

/// How long a test waits for something the workflow or the emulator must do: generous,
/// because each execution starts a Node process, slow on a loaded machine.
pub const WAIT: Duration = Duration::from_secs(120);

pub struct Rig {
    pub emulator: RunningEmulator,
    pub gl: aws_sdk_gamelift::Client,
    pub admin: AdminClient,
    pub ddb: aws_sdk_dynamodb::Client,
    pub table: String,
    pub engine: LocalEngine,
    /// An SDK client of the local Step Functions endpoint (the AWS path).
    pub sfn: aws_sdk_sfn::Client,
}

/// Wait states and Retry pauses shortened; the emulator's clock runs 200x.
pub fn pauses() -> hangar::fleet::Pauses {
    hangar::fleet::Pauses {
        wait_ms: Some(40),
        retry_ms: Some(10),
    }
}

pub fn repo_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// An SDK client of Step Functions at `url`.
pub async fn sfn_client(url: &str) -> aws_sdk_sfn::Client {
    hangar::fleet::sfn_client(&aws_config().await, url)
}

/// Game sessions last 400 simulated seconds (2 s real): long enough for the smoke test to
/// see one ACTIVE, short enough for a drain to finish quickly.
pub async fn rig() -> Rig {
    rig_with(|c| c.server.session_duration_ms = 400_000).await
}

pub async fn rig_with(adjust: impl FnOnce(&mut gamelift_emulator::Config)) -> Rig {
    rig_with_stage_retries(adjust, None).await
}

/// A rig whose stage functions' GameLift client retries as `retry` says (default: the
/// test client's standard retries).
pub async fn rig_with_stage_retries(
    adjust: impl FnOnce(&mut gamelift_emulator::Config),
    retry: Option<RetryConfig>,
) -> Rig {
    let emulator = start_emulator_with(adjust).await;
    let gl = gamelift_client(&emulator);
    let stage_gl = match retry {
        Some(r) => gamelift_client_with_retries(&emulator, r),
        None => gl.clone(),
    };
    let admin = emulator.admin();
    let ddb = aws_sdk_dynamodb::Client::new(&aws_config().await);
    let table = lock_table(&ddb).await;
    let vars = |name: &str| (name == hangar_fleet::config::LOCK_TABLE_VAR).then(|| table.clone());
    let config = FleetConfig::from_vars(&vars).unwrap();
    let sdk = aws_config().await;
    let clients = Clients {
        gamelift: stage_gl,
        dynamodb: ddb.clone(),
        sfn: aws_sdk_sfn::Client::new(&sdk),
    };
    let mut fleet = Fleet::with_clients(&config, clients, Some(REGION.into())).unwrap();
    let p = pauses();
    let options = EngineOptions {
        root: repo_root(),
        lambda_endpoint: None,
        region: REGION.into(),
        wait_ms: p.wait_ms,
        retry_ms: p.retry_ms,
    };
    let engine = LocalEngine::start("fleet-replacement", 0, options, |url| {
        fleet.sfn = hangar::fleet::sfn_client(&sdk, url);
        fleet
    })
    .await
    .unwrap();
    let sfn = hangar::fleet::sfn_client(&sdk, &engine.sfn_endpoint_url());
    Rig {
        sfn,
        emulator,
        gl,
        admin,
        ddb,
        table,
        engine,
    }
}

/// A fresh alias lock table on moto, shaped as `template.yaml`'s (key `alias_id`).
pub async fn lock_table(ddb: &aws_sdk_dynamodb::Client) -> String {
    let table = unique_name("fleet-locks");
    ddb.create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("alias_id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("alias_id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    table
}

/// The `hangar` binary beside this test binary (`scripts/test` builds every binary).
pub fn hangar_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("hangar");
    assert!(
        bin.is_file(),
        "{} (scripts/test builds every binary)",
        bin.display()
    );
    bin
}

/// The `hangar` binary with the environment a user sets for the local stack (the Step
/// Functions endpoint, state machine and lock table; the rest inherited from the test).
pub fn hangar_command(rig: &Rig) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(hangar_binary());
    c.env("AWS_ENDPOINT_URL_SFN", rig.engine.sfn_endpoint_url())
        .env(
            "HANGAR_FLEET_STATE_MACHINE_ARN",
            rig.engine.state_machine_arn(),
        )
        .env("FLEET_LOCK_TABLE", &rig.table)
        .env("AWS_REGION", REGION)
        .kill_on_drop(true);
    c
}

/// [`hangar_command`] with its stderr written to `log` (read while it runs).
pub fn hangar_logged(rig: &Rig, log: &std::path::Path) -> tokio::process::Command {
    let mut c = hangar_command(rig);
    c.stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    c
}

/// Sends SIGINT (Ctrl-C) to `child` and waits for it to exit.
pub async fn interrupt(child: &mut tokio::process::Child) -> std::process::ExitStatus {
    let pid = child.id().expect("the child runs").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -INT {pid}");
    tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("the CLI exits on Ctrl-C")
        .unwrap()
}

/// Waits until the CLI writing `log` shows the build stage: it follows the execution's
/// history (it is past StartExecution, and its Ctrl-C handling is in place).
pub async fn wait_following(log: &std::path::Path) {
    let text = || std::fs::read_to_string(log).unwrap_or_default();
    wait_until(WAIT, Duration::from_millis(20), || async {
        text()
            .lines()
            .any(|l| l.starts_with("build "))
            .then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("the CLI follows the execution: {}", text()));
}

pub struct Serving {
    pub alias_id: String,
    pub fleet_id: String,
}

pub fn runtime() -> RuntimeConfiguration {
    RuntimeConfiguration::builder()
        .server_processes(
            ServerProcess::builder()
                .launch_path("/local/game/server")
                .concurrent_executions(25)
                .build(),
        )
        .build()
}

pub async fn fleet_active(gl: &aws_sdk_gamelift::Client, fleet_id: &str) -> bool {
    let f = gl
        .describe_fleet_attributes()
        .fleet_ids(fleet_id)
        .send()
        .await
        .unwrap();
    let status = f.fleet_attributes()[0]
        .status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let locs = gl
        .describe_fleet_location_attributes()
        .fleet_id(fleet_id)
        .send()
        .await
        .unwrap();
    status == "ACTIVE"
        && locs.location_attributes().iter().all(|l| {
            l.location_state()
                .and_then(|s| s.status())
                .map(|s| s.as_str())
                == Some("ACTIVE")
        })
}

pub async fn fleet_status(gl: &aws_sdk_gamelift::Client, fleet_id: &str) -> String {
    let f = gl
        .describe_fleet_attributes()
        .fleet_ids(fleet_id)
        .send()
        .await
        .unwrap();
    f.fleet_attributes()
        .first()
        .and_then(|a| a.status())
        .map(|s| s.as_str().to_string())
        .unwrap_or("GONE".into())
}

pub async fn active_instances(
    gl: &aws_sdk_gamelift::Client,
    fleet_id: &str,
    location: &str,
) -> (i32, i32) {
    let c = gl
        .describe_fleet_location_capacity()
        .fleet_id(fleet_id)
        .location(location)
        .send()
        .await
        .unwrap();
    let counts = c.fleet_capacity().unwrap().instance_counts().unwrap();
    (counts.desired().unwrap_or(0), counts.active().unwrap_or(0))
}

/// An ACTIVE fleet in two locations with capacity set and a scaling policy, behind an alias.
pub async fn serving_fleet(rig: &Rig) -> Serving {
    let gl = &rig.gl;
    let build = gl
        .create_build()
        .name("arena")
        .version("v1")
        .storage_location(
            S3Location::builder()
                .bucket("builds")
                .key("arena-v1.zip")
                .role_arn("arn:aws:iam::123456789012:role/gl")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let build_id = build.build_value().unwrap().build_id().unwrap().to_string();
    wait_until(WAIT, Duration::from_millis(10), || async {
        let b = gl
            .describe_build()
            .build_id(&build_id)
            .send()
            .await
            .unwrap();
        (b.build_value().unwrap().status().unwrap().as_str() == "READY").then_some(())
    })
    .await
    .expect("old build READY");
    let fleet = gl
        .create_fleet()
        .name(unique_name("arena-v1"))
        .build_id(&build_id)
        .ec2_instance_type(Ec2InstanceType::C5Large)
        .runtime_configuration(runtime())
        .locations(LocationConfiguration::builder().location(REMOTE).build())
        .send()
        .await
        .unwrap();
    let fleet_id = fleet
        .fleet_attributes()
        .unwrap()
        .fleet_id()
        .unwrap()
        .to_string();
    wait_until(WAIT, Duration::from_millis(20), || async {
        fleet_active(gl, &fleet_id).await.then_some(())
    })
    .await
    .expect("old fleet became ACTIVE");
    gl.update_fleet_capacity()
        .fleet_id(&fleet_id)
        .desired_instances(2)
        .min_size(1)
        .max_size(4)
        .send()
        .await
        .unwrap();
    gl.update_fleet_capacity()
        .fleet_id(&fleet_id)
        .location(REMOTE)
        .desired_instances(1)
        .min_size(1)
        .max_size(3)
        .send()
        .await
        .unwrap();
    gl.put_scaling_policy()
        .fleet_id(&fleet_id)
        .name("keep-20-percent-free")
        .policy_type(PolicyType::TargetBased)
        .metric_name(aws_sdk_gamelift::types::MetricName::PercentAvailableGameSessions)
        .target_configuration(TargetConfiguration::builder().target_value(20.0).build())
        .send()
        .await
        .unwrap();
    wait_until(WAIT, Duration::from_millis(20), || async {
        (active_instances(gl, &fleet_id, REGION).await.1 == 2).then_some(())
    })
    .await
    .expect("old fleet instances up");
    let alias = gl
        .create_alias()
        .name(unique_name("arena"))
        .routing_strategy(
            RoutingStrategy::builder()
                .r#type(RoutingStrategyType::Simple)
                .fleet_id(&fleet_id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let alias_id = alias.alias().unwrap().alias_id().unwrap().to_string();
    Serving { alias_id, fleet_id }
}

pub fn new_fleet_json(name: &str) -> Value {
    json!({
        "Name": name,
        "EC2InstanceType": "c5.large",
        "EC2InboundPermissions": [{"FromPort": 7777, "ToPort": 7800, "IpRange": "0.0.0.0/0", "Protocol": "UDP"}],
        "RuntimeConfiguration": {"ServerProcesses": [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 25}]},
        "Locations": [{"Location": REMOTE}]
    })
}

/// A request uploading build v2 and creating fleet `name`, with 1 s polls and short timeouts.
pub fn request(s: &Serving, name: &str) -> Value {
    json!({
        "alias_id": s.alias_id,
        "fleet_id": s.fleet_id,
        "build": {"Name": "arena", "Version": name, "StorageLocation": {"Bucket": "builds", "Key": "arena-v2.zip", "RoleArn": "arn:aws:iam::123456789012:role/gl"}},
        "fleet": new_fleet_json(name),
        "drain_timeout_seconds": 20,
        "poll": {
            "intervals": {"build": 1, "fleet": 1, "capacity": 1, "smoke": 1, "drain": 1},
            "timeouts": {"build": 20, "fleet": 20, "capacity": 20, "smoke": 20}
        }
    })
}

pub async fn start(rig: &Rig, input: &Value) -> LocalExecution {
    rig.engine.start_execution(input).await.unwrap()
}

pub async fn run(rig: &Rig, input: &Value) -> (Outcome, Vec<EngineEvent>) {
    let mut events = Vec::new();
    let outcome = start(rig, input)
        .await
        .finish(|e| events.push(e.clone()))
        .await;
    (outcome, events)
}

pub fn entered(events: &[EngineEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.kind == "StateEntered")
        .filter_map(|e| e.state.as_ref().map(|s| s.name.clone()))
        .collect()
}

pub fn failed(outcome: &Outcome) -> (&str, &str) {
    match outcome {
        Outcome::Failed { error, cause } => (error, cause),
        Outcome::Succeeded(v) => panic!("expected the execution to fail, it succeeded with {v}"),
    }
}

pub async fn alias_target(gl: &aws_sdk_gamelift::Client, alias_id: &str) -> String {
    let a = gl.describe_alias().alias_id(alias_id).send().await.unwrap();
    a.alias()
        .unwrap()
        .routing_strategy()
        .unwrap()
        .fleet_id()
        .unwrap_or_default()
        .to_string()
}

/// Fleets (any status but TERMINATED) named `name`.
pub async fn fleets_named(gl: &aws_sdk_gamelift::Client, name: &str) -> Vec<(String, String)> {
    let out = gl
        .describe_fleet_attributes()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    out.iter()
        .flat_map(|p| p.fleet_attributes())
        .filter(|f| f.name() == Some(name))
        .map(|f| {
            (
                f.fleet_id().unwrap().to_string(),
                f.status().unwrap().as_str().to_string(),
            )
        })
        .filter(|(_, s)| s != "TERMINATED")
        .collect()
}

pub async fn fleet_named(gl: &aws_sdk_gamelift::Client, name: &str) -> String {
    wait_until(WAIT, Duration::from_millis(10), || async {
        fleets_named(gl, name).await.first().map(|f| f.0.clone())
    })
    .await
    .expect("the workflow created the fleet")
}

pub async fn lock_held(rig: &Rig, alias_id: &str) -> bool {
    let out = rig
        .ddb
        .get_item()
        .table_name(&rig.table)
        .key(
            "alias_id",
            aws_sdk_dynamodb::types::AttributeValue::S(alias_id.into()),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.item.is_some()
}

pub async fn builds_named(gl: &aws_sdk_gamelift::Client, version: &str) -> Vec<(String, String)> {
    let out = gl
        .list_builds()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    out.iter()
        .flat_map(|p| p.builds())
        .filter(|b| b.version() == Some(version))
        .map(|b| {
            (
                b.build_id().unwrap().to_string(),
                b.status().unwrap().as_str().to_string(),
            )
        })
        .collect()
}

/// Status and StatusReason of every smoke-test game session (name `hangar-smoke-test`)
/// on a fleet, in its home location and `REMOTE`.
pub async fn smoke_sessions(
    gl: &aws_sdk_gamelift::Client,
    fleet_id: &str,
) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for location in [REGION, REMOTE] {
        let mut token = None;
        loop {
            let page = gl
                .describe_game_sessions()
                .fleet_id(fleet_id)
                .location(location)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            out.extend(
                page.game_sessions()
                    .iter()
                    .filter(|g| g.name() == Some("hangar-smoke-test"))
                    .map(|g| {
                        (
                            g.status().unwrap().as_str().to_string(),
                            g.status_reason().map(|r| r.as_str().to_string()),
                        )
                    }),
            );
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    out
}

/// After a rollback before the swap: the cause reports the new fleet deleted, it is
/// going or gone, the alias still routes to the old fleet, which serves, and the lock is
/// released.
pub async fn assert_rolled_back_to_old(rig: &Rig, old: &Serving, new_id: &str, cause: &str) {
    assert!(
        cause.contains(&format!("deleted new fleet {new_id}")),
        "{cause}"
    );
    let status = fleet_status(&rig.gl, new_id).await;
    assert!(
        ["DELETING", "TERMINATED", "GONE"].contains(&status.as_str()),
        "the new fleet is deleted: {status}"
    );
    assert_eq!(alias_target(&rig.gl, &old.alias_id).await, old.fleet_id);
    assert_eq!(fleet_status(&rig.gl, &old.fleet_id).await, "ACTIVE");
    assert!(!lock_held(rig, &old.alias_id).await);
}
