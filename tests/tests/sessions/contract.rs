//! The contract, checked by an outside client: schemathesis (pinned in
//! `scripts/requirements.txt`) against `hangar dev` (every route of the local API, the
//! same handlers the functions run), once with a player's token over the player and
//! public operations and once with a game server's token and session credential over
//! the server operations. It fails on any 5xx, any answer the schema does not describe
//! (status, content type, headers, body) and any accepted input the schema forbids.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hangar::dev::{self, MotoSource, StackConfig};
use hangar_tests::{moto_endpoint, unique_name, wait_until};
use local_gateway::{TokenKey, TokenKind};
use reqwest::Method;
use serde_json::{json, Value};

/// Every check of a response and of input handling.
const ALL_CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs one schemathesis pass; its exit status and its summary lines.
fn schemathesis(api: &str, checks: &str, args: &[&str]) -> (bool, String) {
    let bin = repo().join(".venv/bin/schemathesis");
    assert!(
        bin.exists(),
        "{} missing: run scripts/bootstrap",
        bin.display()
    );
    let out = Command::new(&bin)
        .current_dir(repo())
        .arg("run")
        .arg("openapi.yaml")
        .args(["--url", api])
        .args(["--checks", checks])
        .args(["--max-examples", "25", "--workers", "2", "--seed", "17"])
        .args(["--generation-with-security-parameters", "false"])
        // The coverage phase stops on an internal error of hypothesis 6.170 on this document
        // ("AST constructor recursion depth mismatch"), so examples and fuzzing run.
        .args(["--phases", "examples,fuzzing"])
        .args([
            "--no-color",
            "--request-timeout",
            "30",
            "--generation-database",
            "none",
        ])
        .args(args)
        .output()
        .expect("schemathesis runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn schemathesis_finds_no_failure_over_every_operation_with_player_and_server_credentials() {
    let state = std::env::temp_dir().join(unique_name("hangar-contract"));
    let stack = dev::start(StackConfig {
        moto: MotoSource::External {
            url: moto_endpoint(),
        },
        emulator_port: 0,
        api_port: 0,
        console_port: None,
        state_dir: state.clone(),
        prefix: unique_name("c"),
        clock_speed: 200.0,
        session_seconds: 600.0,
        region: "us-east-1".into(),
        registry_dir: None,
    })
    .await
    .unwrap_or_else(|e| panic!("hangar dev: {e}"));
    let api = stack.info.api_url.clone();
    let key = TokenKey::load_or_create(&state.join("dev-secret")).unwrap();
    let player = key.issue(TokenKind::Player, "fuzzer", Duration::from_secs(3600));
    let server = key.issue(TokenKind::Server, "fuzz-server", Duration::from_secs(3600));

    // One placed session, so that listings and the server's credential are real.
    let http = reqwest::Client::new();
    let created: Value = http
        .request(Method::POST, format!("{api}/v1/sessions"))
        .bearer_auth(&player)
        .json(&json!({"maxPlayers": 8, "properties": {"mode": "ranked"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let placement = created["placementId"].as_str().unwrap().to_string();
    let placed = wait_until(
        Duration::from_secs(30),
        Duration::from_millis(100),
        || async {
            let v: Value = http
                .get(format!("{api}/v1/placements/{placement}"))
                .bearer_auth(&player)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (v["status"] == "FULFILLED").then_some(v)
        },
    )
    .await
    .expect("placed");
    let sdk = dev::local_sdk_config(&stack.info.moto_url, "us-east-1").await;
    let gamelift = aws_sdk_gamelift::Client::from_conf(
        aws_sdk_gamelift::config::Builder::from(&sdk)
            .endpoint_url(&stack.info.gamelift_url)
            .build(),
    );
    let described = gamelift
        .describe_game_sessions()
        .game_session_id(placed["gameSessionId"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let credential = described.game_sessions()[0]
        .game_properties()
        .iter()
        .find(|p| p.key() == Some(hangar_sessions::credential::PROPERTY))
        .and_then(|p| p.value())
        .unwrap()
        .to_string();

    let player_header = format!("Authorization: Bearer {player}");
    let (players_ok, players) = schemathesis(
        &api,
        ALL_CHECKS,
        &[
            "--exclude-path-regex",
            "^/v1/(server|gameservers|operator)",
            "-H",
            &player_header,
        ],
    );
    // Until the local scaler has started and probed a server the allocation route answers
    // its documented 503 with Retry-After ("no game server has a free slot"); every other
    // check holds there too.
    let (gameservers_ok, gameservers) = schemathesis(
        &api,
        &ALL_CHECKS.replace("not_a_server_error,", ""),
        &[
            "--include-path-regex",
            "^/v1/gameservers",
            "-H",
            &player_header,
        ],
    );
    let server_header = format!("Authorization: Bearer {server}");
    let credential_header = format!("{}: {credential}", hangar_sessions::credential::HEADER);
    let (servers_ok, servers) = schemathesis(
        &api,
        ALL_CHECKS,
        &[
            "--include-path-regex",
            "^/v1/(server|operator)/",
            "-H",
            &server_header,
            "-H",
            &credential_header,
        ],
    );
    stack.shutdown().await;
    let _ = std::fs::remove_dir_all(&state);
    let summary = |text: &str| {
        text.lines()
            .filter(|l| {
                let l = l.trim_start();
                l.starts_with("Selected:") || l.starts_with("Tested:") || l.contains(" generated")
            })
            .map(str::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    };
    println!("schemathesis, player pass:\n{}", summary(&players));
    println!("schemathesis, server pass:\n{}", summary(&servers));
    println!(
        "schemathesis, game-server allocation pass:\n{}",
        summary(&gameservers)
    );
    assert!(players_ok, "schemathesis (player) failed:\n{players}");
    assert!(
        gameservers_ok,
        "schemathesis (gameservers) failed:\n{gameservers}"
    );
    assert!(servers_ok, "schemathesis (server) failed:\n{servers}");
}
