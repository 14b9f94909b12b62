//! `hangar dev` start-up against the suite's moto server (`AWS_ENDPOINT_URL`): the local
//! deployment's resources exist and are wired together, a placement's event reaches the
//! SQS queue, and a taken port is reported instead of hanging.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hangar::dev::{
    start, DevError, DevInfo, MotoSource, RunningStack, StackConfig, EXIT_PORT_IN_USE,
};
use serde_json::Value;

fn moto_url() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL must point at a moto server (scripts/test starts one)")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hangar-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(state_dir: PathBuf) -> StackConfig {
    StackConfig {
        moto: MotoSource::External { url: moto_url() },
        emulator_port: 0,
        api_port: 0,
        console_port: None,
        state_dir,
        prefix: format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        clock_speed: 200.0,
        session_seconds: 600.0,
        region: "us-east-1".into(),
        registry_dir: None,
    }
}

async fn start_stack(name: &str) -> (RunningStack, PathBuf) {
    let dir = temp_dir(name);
    let stack = start(config(dir.clone())).await.unwrap();
    (stack, dir)
}

fn gamelift(info: &DevInfo, sdk: &aws_config::SdkConfig) -> aws_sdk_gamelift::Client {
    aws_sdk_gamelift::Client::from_conf(
        aws_sdk_gamelift::config::Builder::from(sdk)
            .endpoint_url(&info.gamelift_url)
            .build(),
    )
}

#[tokio::test]
async fn dev_stack_creates_topic_queue_with_dlq_subscription_and_fleet_alias_queue_chain() {
    let (stack, dir) = start_stack("resources").await;
    let info = stack.info.clone();
    let r = &info.resources;
    let sdk = hangar::dev::local_sdk_config(&moto_url(), "us-east-1").await;

    // dev.json says what the stack says.
    let written: DevInfo =
        serde_json::from_str(&std::fs::read_to_string(dir.join("dev.json")).unwrap()).unwrap();
    assert_eq!(
        serde_json::to_value(&written).unwrap(),
        serde_json::to_value(&info).unwrap()
    );
    assert_eq!(info.env["AWS_ENDPOINT_URL_GAMELIFT"], info.gamelift_url);

    // SNS -> SQS, envelope kept (raw delivery off).
    let sns = aws_sdk_sns::Client::new(&sdk);
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&r.placement_topic_arn)
        .send()
        .await
        .unwrap();
    let subs = subs.subscriptions();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].protocol(), Some("sqs"));
    assert_eq!(subs[0].endpoint(), Some(r.placement_queue_arn.as_str()));
    let attrs = sns
        .get_subscription_attributes()
        .subscription_arn(subs[0].subscription_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        attrs
            .attributes()
            .unwrap()
            .get("RawMessageDelivery")
            .map(String::as_str),
        Some("false")
    );

    // Queue -> DLQ after 3 receives; only the topic may send.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&r.placement_queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes().unwrap();
    let redrive: Value =
        serde_json::from_str(&attrs[&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy])
            .unwrap();
    assert_eq!(redrive["deadLetterTargetArn"], r.placement_dlq_arn.as_str());
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "3"
    );
    let policy = &attrs[&aws_sdk_sqs::types::QueueAttributeName::Policy];
    assert!(policy.contains(&r.placement_topic_arn), "{policy}");

    // Emulator: queue -> alias -> ACTIVE fleet of the build; events to the topic.
    let gl = gamelift(&info, &sdk);
    let queues = gl
        .describe_game_session_queues()
        .names(&r.game_session_queue_name)
        .send()
        .await
        .unwrap();
    let queue = &queues.game_session_queues()[0];
    assert_eq!(
        queue.notification_target(),
        Some(r.placement_topic_arn.as_str())
    );
    assert_eq!(
        queue.destinations()[0].destination_arn(),
        Some(r.alias_arn.as_str())
    );
    let alias = gl
        .describe_alias()
        .alias_id(&r.alias_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        alias
            .alias()
            .unwrap()
            .routing_strategy()
            .unwrap()
            .fleet_id(),
        Some(r.fleet_id.as_str())
    );
    let fleets = gl
        .describe_fleet_attributes()
        .fleet_ids(&r.fleet_id)
        .send()
        .await
        .unwrap();
    let fleet = &fleets.fleet_attributes()[0];
    assert_eq!(
        fleet.status(),
        Some(&aws_sdk_gamelift::types::FleetStatus::Active)
    );
    assert_eq!(fleet.build_id(), Some(r.build_id.as_str()));

    // The local API is up; after shutdown nothing listens any more.
    let version = reqwest::get(format!("{}/version", info.api_url))
        .await
        .unwrap();
    assert_eq!(version.status(), 200);
    stack.shutdown().await;
    assert!(
        reqwest::get(format!("{}/version", info.api_url))
            .await
            .is_err(),
        "API still answering after shutdown"
    );
    assert!(
        reqwest::get(&info.gamelift_url).await.is_err(),
        "emulator still answering after shutdown"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `hangar dev` consumes its own placement queue (the sessions area's poller), so this test
/// listens on a second queue subscribed to the same topic the same way.
#[tokio::test]
async fn placement_on_the_dev_queue_reaches_topic_subscribers_as_gamelift_event_in_sns_envelope() {
    let (stack, dir) = start_stack("placement").await;
    let info = stack.info.clone();
    let r = &info.resources;
    let sdk = hangar::dev::local_sdk_config(&moto_url(), "us-east-1").await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let listener_url = sqs
        .create_queue()
        .queue_name(format!("{}-listener", r.game_session_queue_name))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let listener_arn = sqs
        .get_queue_attributes()
        .queue_url(&listener_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    aws_sdk_sns::Client::new(&sdk)
        .subscribe()
        .topic_arn(&r.placement_topic_arn)
        .protocol("sqs")
        .endpoint(&listener_arn)
        .send()
        .await
        .unwrap();

    let placement_id = format!("p-{}", uuid::Uuid::new_v4());
    gamelift(&info, &sdk)
        .start_game_session_placement()
        .placement_id(&placement_id)
        .game_session_queue_name(&r.game_session_queue_name)
        .maximum_player_session_count(4)
        .send()
        .await
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let event = loop {
        assert!(
            Instant::now() < deadline,
            "no placement event reached {listener_url}"
        );
        let out = sqs
            .receive_message()
            .queue_url(&listener_url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if let Some(message) = out.messages().first() {
            break serde_json::from_str::<Value>(message.body().unwrap()).unwrap();
        }
    };
    assert_eq!(event["Type"], "Notification");
    assert_eq!(event["TopicArn"], r.placement_topic_arn.as_str());
    let detail: Value = serde_json::from_str(event["Message"].as_str().unwrap()).unwrap();
    assert_eq!(detail["detail"]["placementId"], placement_id.as_str());
    assert_eq!(detail["detail"]["type"], "PlacementFulfilled");
    assert!(
        detail["detail"]["port"].is_string(),
        "GameLift sends the port as a string"
    );
    stack.shutdown().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn taken_api_or_emulator_port_stops_start_up_with_a_message_naming_port_and_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = temp_dir("port");

    let mut cfg = config(dir.clone());
    cfg.api_port = port;
    let err = match start(cfg).await {
        Err(e) => e,
        Ok(_) => panic!("start-up succeeded on a taken API port"),
    };
    assert!(
        matches!(err, DevError::PortInUse { port: p, flag: "--api-port" } if p == port),
        "{err}"
    );
    assert_eq!(err.exit_code(), EXIT_PORT_IN_USE);
    assert!(err.to_string().contains(&format!("port {port}")), "{err}");

    let mut cfg = config(dir.clone());
    cfg.emulator_port = port;
    let err = match start(cfg).await {
        Err(e) => e,
        Ok(_) => panic!("start-up succeeded on a taken emulator port"),
    };
    assert!(
        matches!(
            err,
            DevError::PortInUse {
                flag: "--emulator-port",
                ..
            }
        ),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The traffic hooks' own code (`hangar_deploy`) run against the stack with only its
/// printed endpoint: the stand-in starts a hook execution, the hook reports to it with
/// PutLifecycleEventHookExecutionStatus, and the report shows in `GET /deployments`.
#[tokio::test]
async fn a_traffic_hook_run_against_the_dev_stack_reports_to_its_codedeploy_stand_in() {
    let (stack, dir) = start_stack("codedeploy").await;
    let url = stack.info.env["AWS_ENDPOINT_URL_CODEDEPLOY"].clone();
    let http = reqwest::Client::new();

    let event: Value = http
        .post(format!("{url}/hooks"))
        .body(
            serde_json::json!({
                "functionName": "hangar-dev-sessions-list",
                "alias": "live",
                "currentVersion": "1",
                "targetVersion": "2",
                "lifecycleEvent": "BeforeAllowTraffic",
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let deployment_id = event["DeploymentId"].as_str().unwrap().to_string();

    // The PreTraffic hook as its binary builds it, unconfigured here (no
    // API_FUNCTION_VERSIONS): it reports Failed at once rather than leave CodeDeploy waiting.
    let sdk = hangar::dev::local_sdk_config(&url, "us-east-1").await;
    let checks =
        hangar_deploy::config::PreTrafficConfig::from_vars(&|_: &str| None::<String>).map(|c| {
            hangar_deploy::pre_traffic::PreTraffic::new(c, hangar_deploy::lambda::Lambda::new(&sdk))
        });
    let hook = hangar_deploy::Deploy::new(hangar_deploy::codedeploy::CodeDeploy::new(&sdk), checks);
    let lifecycle: aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent =
        serde_json::from_value(event.clone()).unwrap();
    let outcome = hook.handle(&lifecycle, 0).await.unwrap();
    assert_eq!(outcome.status().as_str(), "Failed");

    let seen: Value = http
        .get(format!("{url}/deployments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let deployment = seen["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["deploymentId"] == deployment_id.as_str())
        .unwrap_or_else(|| panic!("{seen}"));
    assert_eq!(deployment["functionName"], "hangar-dev-sessions-list");
    assert_eq!(
        deployment["hooks"][0]["lifecycleEvent"],
        "BeforeAllowTraffic"
    );
    assert_eq!(deployment["hooks"][0]["status"], "Failed");
    assert_eq!(
        deployment["hooks"][0]["lifecycleEventHookExecutionId"],
        event["LifecycleEventHookExecutionId"]
    );

    // A second report of the same execution is refused, as CodeDeploy refuses it.
    let again = hook.handle(&lifecycle, 0).await;
    assert!(again.is_err(), "{again:?}");

    // A request that lacks a field is refused naming it.
    let bad = http
        .post(format!("{url}/hooks"))
        .body(r#"{"functionName":"f","alias":"live","currentVersion":"1","lifecycleEvent":"BeforeAllowTraffic"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("targetVersion"));

    stack.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
