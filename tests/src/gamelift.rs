//! GameLift fixtures for tests against the emulator: builds, fleets, queues and
//! placements brought to a wanted state through the real aws-sdk-gamelift client.

use crate::{unique_name, wait_until};
use aws_sdk_gamelift::types::{
    BuildStatus, DesiredPlayerSession, Ec2InstanceType, FleetStatus, GameSessionPlacement,
    GameSessionPlacementState, GameSessionQueueDestination, GameSessionStatus,
    LocationConfiguration, RuntimeConfiguration, S3Location, ServerProcess,
};
use aws_sdk_gamelift::Client;
use std::time::Duration;

/// Longest real time a fixture waits for a state (the test clock runs fast).
pub const WAIT: Duration = Duration::from_secs(10);
/// Real time between polls.
pub const POLL: Duration = Duration::from_millis(20);

/// Where a build's files are, for CreateBuild (a build with a StorageLocation becomes
/// READY on the emulator's clock; one without waits for its upload).
pub fn storage_location(name: &str) -> S3Location {
    S3Location::builder()
        .bucket("game-builds")
        .key(format!("{name}.zip"))
        .role_arn("arn:aws:iam::123456789012:role/gamelift-build-access")
        .build()
}

/// A build that has become READY; returns its id.
pub async fn ready_build(gl: &Client) -> String {
    let name = unique_name("build");
    let b = gl
        .create_build()
        .name(&name)
        .version("1.0")
        .storage_location(storage_location(&name))
        .send()
        .await
        .unwrap();
    let id = b.build_value().unwrap().build_id().unwrap().to_string();
    wait_until(WAIT, POLL, || async {
        let d = gl.describe_build().build_id(&id).send().await.unwrap();
        (d.build_value().unwrap().status() == Some(&BuildStatus::Ready)).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("build {id} never became READY"));
    id
}

/// A runtime configuration with `concurrent` game sessions per instance.
pub fn runtime(concurrent: i32) -> RuntimeConfiguration {
    RuntimeConfiguration::builder()
        .server_processes(
            ServerProcess::builder()
                .launch_path("/local/game/server")
                .concurrent_executions(concurrent)
                .build(),
        )
        .build()
}

/// Creates a fleet (home region plus `locations`); returns (fleet id, fleet ARN).
pub async fn create_fleet(
    gl: &Client,
    build: &str,
    concurrent: i32,
    locations: &[&str],
) -> (String, String) {
    let mut req = gl
        .create_fleet()
        .name(unique_name("fleet"))
        .build_id(build)
        .ec2_instance_type(Ec2InstanceType::C5Large)
        .runtime_configuration(runtime(concurrent));
    for l in locations {
        req = req.locations(LocationConfiguration::builder().location(*l).build());
    }
    let f = req.send().await.unwrap();
    let a = f.fleet_attributes().unwrap();
    (
        a.fleet_id().unwrap().to_string(),
        a.fleet_arn().unwrap().to_string(),
    )
}

pub async fn fleet_status(gl: &Client, id: &str) -> FleetStatus {
    let d = gl
        .describe_fleet_attributes()
        .fleet_ids(id)
        .send()
        .await
        .unwrap();
    d.fleet_attributes()[0].status().unwrap().clone()
}

pub async fn wait_fleet_status(gl: &Client, id: &str, want: FleetStatus) {
    wait_until(WAIT, POLL, || async {
        (fleet_status(gl, id).await == want).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("fleet {id} never became {want:?}"));
}

/// Waits until `n` instances are ACTIVE in a location (home when `None`).
pub async fn wait_active_instances(gl: &Client, id: &str, location: Option<&str>, n: i32) {
    wait_until(WAIT, POLL, || async {
        let counts = match location {
            Some(l) => {
                let c = gl
                    .describe_fleet_location_capacity()
                    .fleet_id(id)
                    .location(l)
                    .send()
                    .await
                    .unwrap();
                c.fleet_capacity()
                    .unwrap()
                    .instance_counts()
                    .unwrap()
                    .clone()
            }
            None => {
                let c = gl
                    .describe_fleet_capacity()
                    .fleet_ids(id)
                    .send()
                    .await
                    .unwrap();
                c.fleet_capacity()[0].instance_counts().unwrap().clone()
            }
        };
        (counts.active() == Some(n)).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("fleet {id} never had {n} active instances in {location:?}"));
}

/// A READY build and an ACTIVE fleet with its first instance running; returns (id, ARN).
pub async fn active_fleet(gl: &Client, concurrent: i32, locations: &[&str]) -> (String, String) {
    let build = ready_build(gl).await;
    let (id, arn) = create_fleet(gl, &build, concurrent, locations).await;
    wait_fleet_status(gl, &id, FleetStatus::Active).await;
    wait_active_instances(gl, &id, None, 1).await;
    (id, arn)
}

/// Sets the home location to `n` instances (max at least 1) and waits for them.
pub async fn scale_fleet(gl: &Client, id: &str, n: i32) {
    gl.update_fleet_capacity()
        .fleet_id(id)
        .min_size(0)
        .max_size(n.max(1))
        .desired_instances(n)
        .send()
        .await
        .unwrap();
    wait_active_instances(gl, id, None, n).await;
}

/// A queue over `destinations` (fleet or alias ARNs); returns its name.
pub async fn create_queue(
    gl: &Client,
    destinations: &[&str],
    timeout_seconds: i32,
    topic: Option<&str>,
) -> String {
    let name = unique_name("queue");
    let mut q = gl
        .create_game_session_queue()
        .name(&name)
        .timeout_in_seconds(timeout_seconds);
    for d in destinations {
        q = q.destinations(
            GameSessionQueueDestination::builder()
                .destination_arn(*d)
                .build(),
        );
    }
    if let Some(t) = topic {
        q = q.notification_target(t);
    }
    q.send().await.unwrap();
    name
}

/// Starts a placement for `players` (maximum 4 players); returns its id.
pub async fn start_placement(gl: &Client, queue: &str, players: &[&str]) -> String {
    let id = unique_name("placement");
    let mut req = gl
        .start_game_session_placement()
        .placement_id(&id)
        .game_session_queue_name(queue)
        .maximum_player_session_count(4);
    for p in players {
        req = req.desired_player_sessions(DesiredPlayerSession::builder().player_id(*p).build());
    }
    req.send().await.unwrap();
    id
}

pub async fn wait_placement(
    gl: &Client,
    id: &str,
    want: GameSessionPlacementState,
) -> GameSessionPlacement {
    wait_until(WAIT, POLL, || async {
        let p = gl
            .describe_game_session_placement()
            .placement_id(id)
            .send()
            .await
            .unwrap();
        let p = p.game_session_placement().unwrap().clone();
        (p.status() == Some(&want)).then_some(p)
    })
    .await
    .unwrap_or_else(|| panic!("placement {id} never became {want:?}"))
}

pub async fn wait_game_session_status(gl: &Client, game_session_id: &str, want: GameSessionStatus) {
    wait_until(WAIT, POLL, || async {
        let d = gl
            .describe_game_sessions()
            .game_session_id(game_session_id)
            .send()
            .await
            .unwrap();
        (d.game_sessions()[0].status() == Some(&want)).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("game session {game_session_id} never became {want:?}"));
}

/// Waits until a fleet has exactly `n` ACTIVE game sessions.
pub async fn wait_active_game_sessions(gl: &Client, fleet: &str, n: usize) {
    wait_until(WAIT, POLL, || async {
        let d = gl
            .describe_game_sessions()
            .fleet_id(fleet)
            .status_filter("ACTIVE")
            .limit(100)
            .send()
            .await
            .unwrap();
        (d.game_sessions().len() == n).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("fleet {fleet} never had {n} ACTIVE game sessions"));
}

/// Creates a game session on a fleet's home location; returns its id.
pub async fn create_game_session(gl: &Client, fleet: &str, max_players: i32) -> String {
    let gs = gl
        .create_game_session()
        .fleet_id(fleet)
        .maximum_player_session_count(max_players)
        .send()
        .await
        .unwrap();
    gs.game_session()
        .unwrap()
        .game_session_id()
        .unwrap()
        .to_string()
}

/// Puts `bytes` at `bucket/key` on moto's S3 (path-style, SigV4-signed with
/// `credentials`), as a build upload does; returns the HTTP status.
pub async fn put_on_local_s3(
    bucket: &str,
    key: &str,
    bytes: &[u8],
    credentials: aws_sdk_gamelift::config::Credentials,
) -> u16 {
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
        SigningSettings, UriPathNormalizationMode,
    };
    let url = format!(
        "{}/{bucket}/{key}",
        crate::moto_endpoint().trim_end_matches('/')
    );
    let identity: aws_smithy_runtime_api::client::identity::Identity = credentials.into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(crate::REGION)
        .name("s3")
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "PUT",
        url.as_str(),
        std::iter::empty(),
        SignableBody::Bytes(bytes),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = reqwest::Client::new().put(&url).body(bytes.to_vec());
    for (name, value) in instructions.headers() {
        req = req.header(name, value);
    }
    req.send().await.unwrap().status().as_u16()
}
