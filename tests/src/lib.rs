//! Integration-test support: the local stack's endpoints, AWS configuration for it, an
//! in-process GameLift emulator per test, unique names and polling.
//!
//! Tests run under `scripts/test`, which starts one moto server and exports
//! `AWS_ENDPOINT_URL`, test credentials and `AWS_REGION`. Every test starts its own
//! emulator on port 0 (own clock, own faults) and uses [`unique_name`] for anything it
//! creates on the shared moto server.

pub mod ecs;
pub mod functions;
pub mod gamelift;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_gamelift::config::retry::RetryConfig;
use gamelift_emulator::{Config as EmulatorConfig, RunningEmulator};
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

/// Region every test uses.
pub const REGION: &str = "us-east-1";

/// Simulated seconds per real second in test emulators: a fleet is ACTIVE after ~0.25 s.
pub const TEST_SPEED: f64 = 200.0;

/// The moto server's URL, from `AWS_ENDPOINT_URL`.
///
/// # Panics
/// When `AWS_ENDPOINT_URL` is not set: run the tests through `scripts/test`.
pub fn moto_endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: integration tests need the local moto server; \
             run them with `scripts/test` (it starts moto and exports AWS_ENDPOINT_URL)"
        ),
    }
}

fn test_credentials() -> aws_sdk_gamelift::config::Credentials {
    aws_sdk_gamelift::config::Credentials::new("test", "test", None, None, "hangar-tests")
}

/// AWS configuration pointing every service at moto: test credentials, us-east-1.
pub async fn aws_config() -> SdkConfig {
    hangar_aws::loader()
        .region(Region::new(REGION))
        .credentials_provider(test_credentials())
        .endpoint_url(moto_endpoint())
        .load()
        .await
}

/// Starts an in-process emulator on a free loopback port, clock at [`TEST_SPEED`],
/// publishing placement events to moto's SNS.
pub async fn start_emulator() -> RunningEmulator {
    start_emulator_with(|_| {}).await
}

/// Like [`start_emulator`], with the configuration adjusted by `adjust` first.
pub async fn start_emulator_with(adjust: impl FnOnce(&mut EmulatorConfig)) -> RunningEmulator {
    let mut config = EmulatorConfig {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        speed: TEST_SPEED,
        aws: Some(aws_config().await),
        ..EmulatorConfig::default()
    };
    adjust(&mut config);
    gamelift_emulator::start(config)
        .await
        .unwrap_or_else(|e| panic!("GameLift emulator did not start: {e}"))
}

/// A real aws-sdk-gamelift client for `emulator` (standard retries, short backoff).
pub fn gamelift_client(emulator: &RunningEmulator) -> aws_sdk_gamelift::Client {
    gamelift_client_with_retries(
        emulator,
        RetryConfig::standard().with_initial_backoff(Duration::from_millis(20)),
    )
}

/// A GameLift client with the given retry configuration.
pub fn gamelift_client_with_retries(
    emulator: &RunningEmulator,
    retry: RetryConfig,
) -> aws_sdk_gamelift::Client {
    let config = aws_sdk_gamelift::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(hangar_aws::https_client())
        .region(Region::new(REGION))
        .credentials_provider(test_credentials())
        .endpoint_url(emulator.endpoint_url())
        .retry_config(retry)
        .build();
    aws_sdk_gamelift::Client::from_conf(config)
}

/// `prefix` plus a random suffix: names that never collide between tests or runs.
/// Only letters, digits and '-' (valid for SNS, SQS, DynamoDB and GameLift names).
pub fn unique_name(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..12])
}

/// Polls `check` every `poll` until it returns `Some`, for at most `timeout`.
/// Returns `None` when time runs out.
pub async fn wait_until<T, F, Fut>(timeout: Duration, poll: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(poll).await;
    }
}
