//! The console of `hangar dev` in headless Chromium (Debian's chromium driven by
//! playwright-core, `console.mjs` beside this file): each view shows what the stack's APIs
//! hold, the sessions filter is the API's, a throttle switched on the page throttles
//! GameLift for the API too, a page of another origin cannot switch a fault (neither through
//! the console nor through the emulator's admin routes), and the
//! console's guard refuses cross-origin and tokenless changes. Screenshots of every view
//! are kept in `target/console-screenshots/`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use hangar::dev::{start, MotoSource, RunningStack, StackConfig};
use local_gateway::{TokenKey, TokenKind};
use serde_json::{json, Value};

fn moto_url() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL must point at a moto server (scripts/test starts one)")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn console_stack() -> (RunningStack, PathBuf) {
    let dir = std::env::temp_dir().join(format!("hangar-console-{}", uuid::Uuid::new_v4()));
    let stack = start(StackConfig {
        moto: MotoSource::External { url: moto_url() },
        emulator_port: 0,
        api_port: 0,
        console_port: Some(0),
        state_dir: dir.clone(),
        prefix: format!("c{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        clock_speed: 60.0,
        session_seconds: 600.0,
        region: "us-east-1".into(),
        registry_dir: None,
    })
    .await
    .unwrap();
    (stack, dir)
}

struct Api {
    url: String,
    key: TokenKey,
    http: reqwest::Client,
}

impl Api {
    fn token(&self, player: &str) -> String {
        self.key
            .issue(TokenKind::Player, player, Duration::from_secs(600))
    }

    async fn create(&self, player: &str, mode: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/sessions", self.url))
            .bearer_auth(self.token(player))
            .json(&json!({"maxPlayers": 4, "properties": {"mode": mode}}))
            .send()
            .await
            .unwrap()
    }

    /// Creates a session and waits for its placement; (placement id, session id).
    async fn placed(&self, player: &str, mode: &str) -> (String, String) {
        let r = self.create(player, mode).await;
        assert_eq!(r.status(), 202);
        let id = r.json::<Value>().await.unwrap()["placementId"]
            .as_str()
            .unwrap()
            .to_string();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let p: Value = self
                .http
                .get(format!("{}/v1/placements/{id}", self.url))
                .bearer_auth(self.token(player))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if p["status"] == "FULFILLED" {
                return (id, p["sessionId"].as_str().unwrap().to_string());
            }
            assert_eq!(p["status"], "PENDING", "{p}");
            assert!(Instant::now() < deadline, "placement {id} stayed PENDING");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Runs `console.mjs` for `phase` (off the runtime, which keeps serving the console);
/// what the page saw.
async fn browser(phase: &'static str, input: Value) -> Value {
    tokio::task::spawn_blocking(move || run_browser(phase, input))
        .await
        .unwrap()
}

fn run_browser(phase: &str, input: Value) -> Value {
    assert!(
        std::path::Path::new("/usr/bin/chromium").is_file(),
        "Debian's chromium is not installed: run scripts/bootstrap"
    );
    let mut input = input;
    input["phase"] = json!(phase);
    input["screenshots"] = json!(repo()
        .join("target/console-screenshots")
        .display()
        .to_string());
    let out = Command::new("node")
        .arg(repo().join("tests/tests/dev/console.mjs"))
        .arg(input.to_string())
        .current_dir(repo())
        .output()
        .expect("node runs (Node.js 20, scripts/bootstrap installs playwright-core)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "console test failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_views_show_what_the_apis_hold_and_a_fault_switched_on_the_page_takes_effect() {
    let (stack, dir) = console_stack().await;
    let info = stack.info.clone();
    let r = &info.resources;
    let sdk = hangar::dev::local_sdk_config(&moto_url(), "us-east-1").await;
    let api = Api {
        url: info.api_url.clone(),
        key: TokenKey::load(&dir.join("dev-secret")).unwrap(),
        http: reqwest::Client::new(),
    };

    // Two sessions through the API, each placed by the emulator.
    let (ranked_placement, ranked) = api.placed("alice", "ranked").await;
    let (casual_placement, casual) = api.placed("bob", "casual").await;

    // The game server the local scaler started and probed (the ECS lab's simulated one).
    let store = hangar_gameservers::store::Store::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        r.tables["gameservers"].clone(),
        "default",
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let server = loop {
        let active = store
            .servers()
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.state == hangar_gameservers::decision::ServerState::Active);
        if let Some(s) = active {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the local scaler put no active game server in the table within a minute"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let task = server.task_arn().to_string();

    // A fleet replacement execution of the project's state machine definition.
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let definition =
        std::fs::read_to_string(repo().join("statemachines/fleet-replacement.asl.json")).unwrap();
    let machine = sfn
        .create_state_machine()
        .name(format!("{}-fleet-replacement", r.game_session_queue_name))
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/hangar-fleet")
        .send()
        .await
        .unwrap();
    let execution = sfn
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .name(format!("replace-{}", uuid::Uuid::new_v4().simple()))
        .input(json!({"aliasId": r.alias_id}).to_string())
        .send()
        .await
        .unwrap();
    let history = sfn
        .get_execution_history()
        .execution_arn(execution.execution_arn())
        .send()
        .await
        .unwrap();
    let mut stages: Vec<String> = Vec::new();
    for e in history.events() {
        if let Some(d) = e.state_entered_event_details() {
            if !stages.iter().any(|s| s == d.name()) {
                stages.push(d.name().to_string());
            }
        }
    }
    assert!(!stages.is_empty(), "the execution history names no state");

    let expect = json!({
        "sessions": [
            {"id": ranked, "mode": "ranked", "status": "ACTIVE"},
            {"id": casual, "mode": "casual", "status": "ACTIVE"},
        ],
        "filter": "gameSessionProperties.mode = 'ranked'",
        "filtered": [ranked],
        "placements": [ranked_placement, casual_placement],
        "fleets": [{"id": r.fleet_id, "status": "ACTIVE", "gameSessions": 2, "freeSlots": 48}],
        "aliases": [{"id": r.alias_id, "fleetId": r.fleet_id}],
        "queues": [r.game_session_queue_name],
        "gameServers": [{"key": format!("server#{task}"), "state": "active", "free": server.free}],
        "replacements": [{"arn": execution.execution_arn(), "stages": stages}],
        "throttle": "StartGameSessionPlacement",
    });
    let seen = browser(
        "views",
        json!({
            "consoleUrl": info.console_url,
            "otherOrigin": format!("{}/moto-api/", moto_url()),
            "emulatorUrl": info.gamelift_url,
            "expect": expect,
        }),
    )
    .await;

    // The other origin's attempts changed nothing: the page showed no fault before its own.
    assert_eq!(seen["faultsBefore"].as_array().unwrap().len(), 1, "{seen}");
    assert!(
        seen["faultsBefore"][0]
            .as_str()
            .unwrap()
            .contains("no faults"),
        "{seen}"
    );
    let admin = gamelift_emulator::AdminClient::new(&info.gamelift_url);
    let faults = admin.state().await.unwrap()["faults"].clone();
    assert_eq!(
        faults["throttle"],
        json!({"StartGameSessionPlacement": 1.0}),
        "{faults}"
    );

    // The fault takes effect: GameLift throttles placements, the API answers 503.
    let gamelift = aws_sdk_gamelift::Client::from_conf(
        aws_sdk_gamelift::config::Builder::from(&sdk)
            .endpoint_url(&info.gamelift_url)
            .retry_config(aws_sdk_gamelift::config::retry::RetryConfig::disabled())
            .build(),
    );
    let err = gamelift
        .start_game_session_placement()
        .placement_id(uuid::Uuid::new_v4().to_string())
        .game_session_queue_name(&r.game_session_queue_name)
        .maximum_player_session_count(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_gamelift::error::ProvideErrorMetadata::code(&err),
        Some("ThrottlingException")
    );
    let refused = api.create("carol", "ranked").await;
    assert_eq!(refused.status(), 503);

    // Cleared from the page: placements work again.
    let seen = browser("clear", json!({"consoleUrl": info.console_url})).await;
    assert!(
        seen["faultsAfter"][0]
            .as_str()
            .unwrap()
            .contains("no faults"),
        "{seen}"
    );
    assert_eq!(
        admin.state().await.unwrap()["faults"]["throttle"],
        json!({})
    );
    api.placed("carol", "ranked").await;

    stack.shutdown().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn console_refuses_changes_from_other_origins_without_its_token_or_by_another_host_name() {
    let (stack, dir) = console_stack().await;
    let url = stack.info.console_url.trim_end_matches('/').to_string();
    let http = reqwest::Client::new();
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"hangar-console-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    assert_eq!(token.len(), 48, "{token}");

    let body = json!({"operation": "*", "fraction": 1}).to_string();
    let post = |origin: Option<&str>, token: Option<&str>, content_type: &str| {
        let mut r = http
            .post(format!("{url}/api/faults/throttle"))
            .header("content-type", content_type)
            .body(body.clone());
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(t) = token {
            r = r.header("x-hangar-console", t);
        }
        r.send()
    };
    let own = url.clone();
    let cases = [
        (
            Some("https://evil.example"),
            Some(token.as_str()),
            "application/json",
            403,
        ),
        (Some(own.as_str()), None, "application/json", 403),
        (Some(own.as_str()), Some("0000"), "application/json", 403),
        (Some(own.as_str()), Some(token.as_str()), "text/plain", 415),
    ];
    for (origin, tok, ct, want) in cases {
        let answer = post(origin, tok, ct).await.unwrap();
        assert_eq!(
            answer.status(),
            want,
            "origin {origin:?} token {tok:?} {ct}"
        );
    }
    // Nor can a page go round the console to the emulator's admin routes.
    let direct = http
        .post(format!("{}/admin/faults/throttle", stack.info.gamelift_url))
        .header("origin", "https://evil.example")
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 403);
    let admin = gamelift_emulator::AdminClient::new(&stack.info.gamelift_url);
    assert_eq!(
        admin.state().await.unwrap()["faults"]["throttle"],
        json!({})
    );

    // A DNS name rebound to 127.0.0.1 cannot even read.
    let rebound = http
        .get(format!("{url}/api/state"))
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);

    // The page's own request passes and switches the fault; an unknown fault is named.
    let ok = post(Some(own.as_str()), Some(token.as_str()), "application/json")
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        admin.state().await.unwrap()["faults"]["throttle"],
        json!({"*": 1.0})
    );
    let unknown = http
        .post(format!("{url}/api/faults/meteor"))
        .header("content-type", "application/json")
        .header("x-hangar-console", &token)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("meteor"));

    stack.shutdown().await;
    std::fs::remove_dir_all(dir).unwrap();
}
