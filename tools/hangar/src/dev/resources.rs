//! The resources of a local deployment: what `sam deploy` would create in AWS, created on
//! moto and the GameLift emulator. Every area registers its DynamoDB tables in
//! `create_tables`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_gamelift::types::{
    BuildStatus, Ec2InstanceType, FleetStatus, FleetType, GameSessionQueueDestination,
    OperatingSystem, RoutingStrategy, RoutingStrategyType, RuntimeConfiguration, S3Location,
    ServerProcess,
};
use aws_types::SdkConfig;

use super::resource_names::DevResources;

/// How long start-up waits for the build to be READY and the fleet ACTIVE (real time).
const LIFECYCLE_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error("{what}: {message}")]
    Aws { what: String, message: String },
    #[error("{what} did not reach {wanted} within {secs} s (last status {last})", secs = LIFECYCLE_TIMEOUT.as_secs())]
    Lifecycle {
        what: String,
        wanted: &'static str,
        last: String,
    },
}

fn aws_error<E>(what: impl Into<String>) -> impl FnOnce(E) -> ResourceError
where
    E: std::error::Error,
{
    let what = what.into();
    move |e| ResourceError::Aws {
        what,
        message: aws_sdk_sns::error::DisplayErrorContext(e).to_string(),
    }
}

fn missing(what: &str) -> ResourceError {
    ResourceError::Aws {
        what: what.to_string(),
        message: "the response lacks the expected field".to_string(),
    }
}

/// Creates every resource; names start with `prefix`. `sdk` points at moto, `gamelift_url`
/// at the emulator.
pub async fn create(
    sdk: &SdkConfig,
    gamelift_url: &str,
    prefix: &str,
) -> Result<DevResources, ResourceError> {
    let sns = aws_sdk_sns::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let gamelift = aws_sdk_gamelift::Client::from_conf(
        aws_sdk_gamelift::config::Builder::from(sdk)
            .endpoint_url(gamelift_url)
            .build(),
    );
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let secretsmanager = aws_sdk_secretsmanager::Client::new(sdk);

    let mut r = DevResources::default();
    create_placement_events(&sns, &sqs, prefix, &mut r).await?;
    let storage = upload_build(sdk, prefix).await?;
    create_gamelift_chain(&gamelift, prefix, storage, &mut r).await?;
    r.tables = create_tables(&dynamodb, prefix).await?;
    r.secrets = super::sessions::create_secrets(&secretsmanager, prefix)
        .await
        .map_err(|message| ResourceError::Aws {
            what: "create the sessions area's secrets".into(),
            message,
        })?;
    Ok(r)
}

/// SNS topic for GameLift placement events -> SQS queue (SNS envelope, raw delivery off)
/// with a dead-letter queue after 3 receives.
async fn create_placement_events(
    sns: &aws_sdk_sns::Client,
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
    r: &mut DevResources,
) -> Result<(), ResourceError> {
    use aws_sdk_sqs::types::QueueAttributeName as Attr;
    let name = format!("{prefix}-placement-events");
    let topic = sns
        .create_topic()
        .name(&name)
        .send()
        .await
        .map_err(aws_error(format!("create SNS topic {name}")))?;
    r.placement_topic_arn = topic
        .topic_arn()
        .ok_or_else(|| missing("TopicArn"))?
        .to_string();

    let dlq_name = format!("{name}-dlq");
    let dlq = sqs
        .create_queue()
        .queue_name(&dlq_name)
        .attributes(Attr::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(aws_error(format!("create SQS queue {dlq_name}")))?;
    r.placement_dlq_url = dlq
        .queue_url()
        .ok_or_else(|| missing("QueueUrl"))?
        .to_string();
    r.placement_dlq_arn = queue_arn(sqs, &r.placement_dlq_url).await?;

    let redrive = serde_json::json!({
        "deadLetterTargetArn": r.placement_dlq_arn,
        "maxReceiveCount": 3,
    });
    let queue = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(Attr::RedrivePolicy, redrive.to_string())
        .attributes(Attr::VisibilityTimeout, "30")
        .send()
        .await
        .map_err(aws_error(format!("create SQS queue {name}")))?;
    r.placement_queue_url = queue
        .queue_url()
        .ok_or_else(|| missing("QueueUrl"))?
        .to_string();
    r.placement_queue_arn = queue_arn(sqs, &r.placement_queue_url).await?;

    // Only the topic may send to the queue, as the deployed queue policy says.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": r.placement_queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": r.placement_topic_arn}},
        }],
    });
    sqs.set_queue_attributes()
        .queue_url(&r.placement_queue_url)
        .attributes(Attr::Policy, policy.to_string())
        .send()
        .await
        .map_err(aws_error(format!("set the policy of SQS queue {name}")))?;

    sns.subscribe()
        .topic_arn(&r.placement_topic_arn)
        .protocol("sqs")
        .endpoint(&r.placement_queue_arn)
        .attributes("RawMessageDelivery", "false")
        .send()
        .await
        .map_err(aws_error(format!("subscribe {name} to its topic")))?;
    Ok(())
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, ResourceError> {
    use aws_sdk_sqs::types::QueueAttributeName as Attr;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(Attr::QueueArn)
        .send()
        .await
        .map_err(aws_error(format!("read the ARN of SQS queue {url}")))?;
    attrs
        .attributes()
        .and_then(|a| a.get(&Attr::QueueArn))
        .cloned()
        .ok_or_else(|| missing("QueueArn"))
}

/// An empty zip archive: the dev build's files (the emulator's servers are simulated).
const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// Puts the dev build's archive into S3 (moto's, at the stack's endpoint) as `sam deploy`'s
/// user would before CreateBuild, and returns its StorageLocation.
async fn upload_build(sdk: &SdkConfig, prefix: &str) -> Result<S3Location, ResourceError> {
    let endpoint = sdk
        .endpoint_url()
        .ok_or_else(|| missing("the local S3 endpoint"))?
        .trim_end_matches('/')
        .to_string();
    let bucket = format!("{prefix}-builds");
    let key = "build.zip";
    let http = reqwest::Client::new();
    let put = |url: String, body: Vec<u8>| {
        let http = http.clone();
        async move {
            let what = format!("upload the dev build (PUT {url})");
            let response =
                http.put(&url)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| ResourceError::Aws {
                        what: what.clone(),
                        message: e.to_string(),
                    })?;
            // 409: the bucket exists (a restart with the same prefix).
            if !response.status().is_success() && response.status() != reqwest::StatusCode::CONFLICT
            {
                return Err(ResourceError::Aws {
                    what,
                    message: format!("answered {}", response.status()),
                });
            }
            Ok(())
        }
    };
    put(format!("{endpoint}/{bucket}"), Vec::new()).await?;
    put(format!("{endpoint}/{bucket}/{key}"), EMPTY_ZIP.to_vec()).await?;
    Ok(S3Location::builder()
        .bucket(bucket)
        .key(key)
        .role_arn("arn:aws:iam::123456789012:role/hangar-dev-gamelift-build")
        .build())
}

/// Build -> fleet -> alias -> game session queue (notifying the placement topic).
async fn create_gamelift_chain(
    gamelift: &aws_sdk_gamelift::Client,
    prefix: &str,
    storage: S3Location,
    r: &mut DevResources,
) -> Result<(), ResourceError> {
    let build = gamelift
        .create_build()
        .name(format!("{prefix}-build"))
        .version("local")
        .operating_system(OperatingSystem::AmazonLinux2023)
        .storage_location(storage)
        .send()
        .await
        .map_err(aws_error("create GameLift build"))?;
    r.build_id = build
        .build_value()
        .and_then(|b| b.build_id())
        .ok_or_else(|| missing("Build.BuildId"))?
        .to_string();
    wait_until(&format!("build {}", r.build_id), "READY", || async {
        let out = gamelift
            .describe_build()
            .build_id(&r.build_id)
            .send()
            .await
            .map_err(aws_error("describe GameLift build"))?;
        let status = out.build_value().and_then(|b| b.status()).cloned();
        Ok((status == Some(BuildStatus::Ready), format!("{status:?}")))
    })
    .await?;

    let process = ServerProcess::builder()
        .launch_path("/local/game/server")
        .concurrent_executions(super::clock::SESSIONS_PER_INSTANCE as i32)
        .build();
    let fleet = gamelift
        .create_fleet()
        .name(format!("{prefix}-fleet"))
        .build_id(&r.build_id)
        .ec2_instance_type(Ec2InstanceType::C5Large)
        .fleet_type(FleetType::OnDemand)
        .runtime_configuration(
            RuntimeConfiguration::builder()
                .server_processes(process)
                .build(),
        )
        .send()
        .await
        .map_err(aws_error("create GameLift fleet"))?;
    let attributes = fleet
        .fleet_attributes()
        .ok_or_else(|| missing("FleetAttributes"))?;
    r.fleet_id = attributes
        .fleet_id()
        .ok_or_else(|| missing("FleetId"))?
        .to_string();
    r.fleet_arn = attributes
        .fleet_arn()
        .ok_or_else(|| missing("FleetArn"))?
        .to_string();
    wait_until(&format!("fleet {}", r.fleet_id), "ACTIVE", || async {
        let out = gamelift
            .describe_fleet_attributes()
            .fleet_ids(&r.fleet_id)
            .send()
            .await
            .map_err(aws_error("describe GameLift fleet"))?;
        let status = out
            .fleet_attributes()
            .first()
            .and_then(|f| f.status())
            .cloned();
        if status == Some(FleetStatus::Error) {
            return Err(ResourceError::Lifecycle {
                what: format!("fleet {}", r.fleet_id),
                wanted: "ACTIVE",
                last: "ERROR".into(),
            });
        }
        Ok((status == Some(FleetStatus::Active), format!("{status:?}")))
    })
    .await?;

    let alias = gamelift
        .create_alias()
        .name(format!("{prefix}-alias"))
        .routing_strategy(
            RoutingStrategy::builder()
                .r#type(RoutingStrategyType::Simple)
                .fleet_id(&r.fleet_id)
                .build(),
        )
        .send()
        .await
        .map_err(aws_error("create GameLift alias"))?;
    let alias = alias.alias().ok_or_else(|| missing("Alias"))?;
    r.alias_id = alias
        .alias_id()
        .ok_or_else(|| missing("AliasId"))?
        .to_string();
    r.alias_arn = alias
        .alias_arn()
        .ok_or_else(|| missing("AliasArn"))?
        .to_string();

    let queue_name = format!("{prefix}-queue");
    let queue = gamelift
        .create_game_session_queue()
        .name(&queue_name)
        .timeout_in_seconds(super::clock::QUEUE_TIMEOUT_MAX_SECS as i32)
        .destinations(
            GameSessionQueueDestination::builder()
                .destination_arn(&r.alias_arn)
                .build(),
        )
        .notification_target(&r.placement_topic_arn)
        .send()
        .await
        .map_err(aws_error("create GameLift game session queue"))?;
    let queue = queue
        .game_session_queue()
        .ok_or_else(|| missing("GameSessionQueue"))?;
    r.game_session_queue_name = queue.name().unwrap_or(&queue_name).to_string();
    r.game_session_queue_arn = queue
        .game_session_queue_arn()
        .ok_or_else(|| missing("GameSessionQueueArn"))?
        .to_string();
    Ok(())
}

async fn wait_until<F, Fut>(
    what: &str,
    wanted: &'static str,
    mut check: F,
) -> Result<(), ResourceError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(bool, String), ResourceError>>,
{
    let started = Instant::now();
    loop {
        let (done, last) = check().await?;
        if done {
            return Ok(());
        }
        if started.elapsed() > LIFECYCLE_TIMEOUT {
            return Err(ResourceError::Lifecycle {
                what: what.to_string(),
                wanted,
                last,
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The DynamoDB tables of every area, by area name. Each area's crate owns its table
/// definition (an `ensure_table`-style function); register it here with one line.
async fn create_tables(
    dynamodb: &aws_sdk_dynamodb::Client,
    prefix: &str,
) -> Result<BTreeMap<String, String>, ResourceError> {
    let mut tables = BTreeMap::new();
    let sessions = super::sessions::create_table(dynamodb, prefix)
        .await
        .map_err(|message| ResourceError::Aws {
            what: "create the sessions table".into(),
            message,
        })?;
    tables.insert(super::sessions::AREA.to_string(), sessions);
    let gameservers = super::gameservers::create_table(dynamodb, prefix)
        .await
        .map_err(|message| ResourceError::Aws {
            what: "create the game-servers table".into(),
            message,
        })?;
    tables.insert(super::gameservers::AREA.to_string(), gameservers);
    // Register each area's table here, e.g.
    //   tables.insert("sessions".into(), hangar_sessions::ensure_table(dynamodb, &format!("{prefix}-sessions")).await?);
    Ok(tables)
}
