//! A local sessions stack per test: its own GameLift emulator (port 0), its own resources
//! on the suite's moto server (unique prefix: SNS topic, SQS queue + DLQ, sessions table,
//! GameLift build/fleet/alias/queue), and the `hangar dev` gateway (port 0) serving the
//! sessions routes with the same handlers the Lambda functions run, its tokens checked
//! by the same JWT/IAM authorizer stand-ins. Requests go over real loopback HTTP.

use std::time::Duration;

use gamelift_emulator::RunningEmulator;
use hangar::dev::resources;
use hangar::dev::sessions;
use hangar::dev::DevResources;
use hangar_sessions::Sessions;
use hangar_tests::{aws_config, start_emulator_with, unique_name, wait_until};
use local_gateway::{serve, RunningGateway, TokenKey, TokenKind};
use reqwest::Method;
use serde_json::Value;
use tokio::task::JoinHandle;

pub struct Stack {
    pub emulator: RunningEmulator,
    pub api: RunningGateway,
    pub key: TokenKey,
    pub sessions: Sessions,
    pub resources: DevResources,
    pub sdk: aws_config::SdkConfig,
    pub http: reqwest::Client,
    poller: Option<JoinHandle<()>>,
}

pub struct Options {
    /// Run the SQS poller feeding the placement-events consumer.
    pub poller: bool,
    pub adjust: fn(&mut gamelift_emulator::Config),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            poller: true,
            // Sessions outlive a slow run (the test clock runs 200x real time).
            adjust: |c| c.server.session_duration_ms = 24 * 3_600_000,
        }
    }
}

impl Stack {
    pub async fn start() -> Stack {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Stack {
        let emulator = start_emulator_with(options.adjust).await;
        let sdk = aws_config().await;
        let prefix = unique_name("s");
        let resources = resources::create(&sdk, &emulator.endpoint_url(), &prefix)
            .await
            .unwrap_or_else(|e| panic!("local resources: {e}"));
        let sessions = sessions::build(&sdk, &emulator.endpoint_url(), &resources)
            .expect("sessions table registered");
        let key = TokenKey::random();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = serve(listener, sessions::routes(sessions.clone()), key.clone()).unwrap();
        let poller = options.poller.then(|| {
            sessions::spawn_poller(
                aws_sdk_sqs::Client::new(&sdk),
                resources.placement_queue_url.clone(),
                resources.placement_queue_arn.clone(),
                sessions.clone(),
            )
        });
        Stack {
            emulator,
            api,
            key,
            sessions,
            resources,
            sdk,
            http: reqwest::Client::new(),
            poller,
        }
    }

    pub fn player(&self, id: &str) -> String {
        self.key
            .issue(TokenKind::Player, id, Duration::from_secs(600))
    }

    pub fn server(&self, name: &str) -> String {
        self.key
            .issue(TokenKind::Server, name, Duration::from_secs(600))
    }

    /// One HTTP request to the local API; the status and the JSON body (Null if none).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call_with(method, path, token, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.api.url()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("local API answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sends a raw body (not necessarily JSON).
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: &str,
    ) -> (u16, Value) {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.api.url()))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("local API answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Polls the placement until it leaves PENDING (the event went GameLift -> SNS -> SQS ->
    /// consumer -> table); returns the last view.
    pub async fn wait_placement(&self, token: &str, placement_id: &str) -> Value {
        let path = format!("/v1/placements/{placement_id}");
        wait_until(
            Duration::from_secs(30),
            Duration::from_millis(50),
            || async {
                let (status, body) = self.call(Method::GET, &path, Some(token), None).await;
                (status == 200 && body["status"] != "PENDING").then_some(body)
            },
        )
        .await
        .unwrap_or_else(|| panic!("placement {placement_id} stayed PENDING"))
    }

    /// Creates a session for `player` and waits until it is placed; the placement view.
    pub async fn create_session(&self, player: &str, body: Value) -> Value {
        let token = self.player(player);
        let (status, created) = self
            .call(Method::POST, "/v1/sessions", Some(&token), Some(body))
            .await;
        assert_eq!(status, 202, "{created}");
        let placed = self
            .wait_placement(&token, created["placementId"].as_str().unwrap())
            .await;
        assert_eq!(placed["status"], "FULFILLED", "{placed}");
        // The session item is written right after the placement; wait for it too.
        let sid = placed["sessionId"].as_str().unwrap().to_string();
        wait_until(
            Duration::from_secs(10),
            Duration::from_millis(20),
            || async {
                let (s, _) = self
                    .call(
                        Method::GET,
                        &format!("/v1/sessions/{sid}"),
                        Some(&token),
                        None,
                    )
                    .await;
                (s == 200).then_some(())
            },
        )
        .await
        .expect("session recorded");
        placed
    }

    pub fn gamelift(&self) -> aws_sdk_gamelift::Client {
        hangar_tests::gamelift_client(&self.emulator)
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(p) = self.poller.take() {
            p.abort();
        }
    }
}

impl Stack {
    /// Creates `n` game sessions directly in GameLift (as another backend would), waits
    /// until they are ACTIVE, and runs the reconciler so our table has them. Their ids.
    pub async fn gamelift_sessions(
        &self,
        n: usize,
        max_players: i32,
        properties: &[(&str, &str)],
    ) -> Vec<String> {
        let gl = self.gamelift();
        let mut ids = Vec::new();
        for i in 0..n {
            let mut req = gl
                .create_game_session()
                .fleet_id(&self.resources.fleet_id)
                .maximum_player_session_count(max_players)
                .name(format!("direct-{i}"));
            for (k, v) in properties {
                req = req.game_properties(
                    aws_sdk_gamelift::types::GameProperty::builder()
                        .key(*k)
                        .value(*v)
                        .build(),
                );
            }
            let out = req.send().await.expect("CreateGameSession");
            ids.push(
                out.game_session()
                    .and_then(|g| g.game_session_id())
                    .unwrap()
                    .to_string(),
            );
        }
        self.wait_gamelift_active(&ids).await;
        self.sessions.reconcile().await.expect("reconcile");
        ids
    }

    /// Scales the fleet to `instances` (two game sessions each) and waits for them.
    pub async fn scale_fleet(&self, instances: i32) {
        let gl = self.gamelift();
        gl.update_fleet_capacity()
            .fleet_id(&self.resources.fleet_id)
            .desired_instances(instances)
            .max_size(instances.max(1))
            .send()
            .await
            .expect("UpdateFleetCapacity");
        wait_until(
            Duration::from_secs(20),
            Duration::from_millis(20),
            || async {
                let out = gl
                    .describe_fleet_capacity()
                    .fleet_ids(&self.resources.fleet_id)
                    .send()
                    .await
                    .ok()?;
                let active = out.fleet_capacity().first()?.instance_counts()?.active()?;
                (active >= instances).then_some(())
            },
        )
        .await
        .expect("fleet scaled");
    }

    pub async fn wait_gamelift_active(&self, ids: &[String]) {
        let gl = self.gamelift();
        for id in ids {
            wait_until(
                Duration::from_secs(20),
                Duration::from_millis(20),
                || async {
                    let out = gl
                        .describe_game_sessions()
                        .game_session_id(id)
                        .send()
                        .await
                        .ok()?;
                    let status = out.game_sessions().first()?.status()?.as_str().to_string();
                    (status == "ACTIVE").then_some(())
                },
            )
            .await
            .unwrap_or_else(|| panic!("{id} never became ACTIVE"));
        }
    }
}

impl Stack {
    /// The server credential GameLift hands the game server hosting `game_session_id`
    /// (a game property of its game session), as a server would read it.
    pub async fn server_credential(&self, game_session_id: &str) -> String {
        let out = self
            .gamelift()
            .describe_game_sessions()
            .game_session_id(game_session_id)
            .send()
            .await
            .expect("DescribeGameSessions");
        out.game_sessions()[0]
            .game_properties()
            .iter()
            .find(|p| p.key() == Some(hangar_sessions::credential::PROPERTY))
            .and_then(|p| p.value())
            .expect("the game session carries the server credential")
            .to_string()
    }
}

/// The API's URL-safe id of a GameLift game session id.
pub fn api_id(gamelift_id: &str) -> String {
    hangar_sessions::ids::encode_session_id(gamelift_id)
}
