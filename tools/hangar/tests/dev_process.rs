//! The `hangar` binary: `hangar dev` stops its moto server on SIGTERM, a taken port ends
//! start-up with exit code 3 and a message naming the flag, `hangar dev token` finds the
//! running stack from any folder, and with only the environment `hangar dev` prints,
//! the AWS CLI, boto3, `hangar sessions` and the local API work against the stack.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn venv() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv");
    assert!(
        venv.join("bin/moto_server").is_file(),
        "run scripts/bootstrap first: {} has no moto_server",
        venv.display()
    );
    venv
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hangar-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn answers(url: &str) -> bool {
    let addr = url.trim_start_matches("http://");
    std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_millis(500)).is_ok()
}

#[test]
fn sigterm_stops_hangar_dev_and_the_moto_server_it_started() {
    let dir = temp_dir("sigterm");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args([
            "dev",
            "--moto-port",
            "0",
            "--emulator-port",
            "0",
            "--api-port",
            "0",
            "--console-port",
            "0",
            "--clock-speed",
            "500",
        ])
        .env("HANGAR_STATE_HOME", dir.join("home"))
        .arg("--state-dir")
        .arg(&dir)
        .arg("--venv")
        .arg(venv())
        .arg("--prefix")
        .arg(format!(
            "sig{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let info_path = dir.join("dev.json");
    let deadline = Instant::now() + Duration::from_secs(90);
    while !info_path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "hangar dev exited early ({status}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(Instant::now() < deadline, "hangar dev did not get ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&info_path).unwrap()).unwrap();
    let moto = info["moto_url"].as_str().unwrap().to_string();
    let api = info["api_url"].as_str().unwrap().to_string();
    assert!(answers(&moto) && answers(&api));

    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "hangar dev ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.success(),
        "exit {status}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ready"), "{stdout}");
    assert!(stdout.contains("stopped"), "{stdout}");
    assert!(
        !answers(&moto),
        "moto server still running after hangar dev stopped"
    );
    assert!(
        !answers(&api),
        "local API still running after hangar dev stopped"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn taken_api_port_exits_with_code_8_naming_the_port_and_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = temp_dir("taken");
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args([
            "dev",
            "--api-port",
            &port,
            "--moto-port",
            "0",
            "--emulator-port",
            "0",
        ])
        .arg("--state-dir")
        .arg(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(
        stderr.contains(&format!("port {port}")) && stderr.contains("--api-port"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A `hangar dev` process started as `scripts/dev` starts it (all ports free), its
/// per-user record of running stacks in `home`.
struct DevProcess {
    child: std::process::Child,
    dir: PathBuf,
    home: PathBuf,
    info: serde_json::Value,
}

impl DevProcess {
    fn start(name: &str) -> DevProcess {
        let dir = temp_dir(name);
        let home = temp_dir(&format!("{name}-home"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_hangar"))
            .args([
                "dev",
                "--moto-port",
                "0",
                "--emulator-port",
                "0",
                "--api-port",
                "0",
                "--console-port",
                "0",
            ])
            .arg("--state-dir")
            .arg(dir.join(".hangar"))
            .arg("--venv")
            .arg(venv())
            .arg("--prefix")
            .arg(format!(
                "{name}{}",
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ))
            .env("HANGAR_STATE_HOME", &home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let info_path = dir.join(".hangar/dev.json");
        let deadline = Instant::now() + Duration::from_secs(90);
        while !info_path.exists() {
            if let Some(status) = child.try_wait().unwrap() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "hangar dev exited early ({status}): {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(Instant::now() < deadline, "hangar dev did not get ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        let info = serde_json::from_str(&std::fs::read_to_string(&info_path).unwrap()).unwrap();
        DevProcess {
            child,
            dir,
            home,
            info,
        }
    }

    /// `hangar ARGS` run from `cwd` with only the printed environment (plus the record of
    /// running stacks), nothing inherited that points at AWS.
    fn hangar(&self, cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hangar"));
        command
            .args(args)
            .current_dir(cwd)
            .env("HANGAR_STATE_HOME", &self.home);
        printed_env(&mut command, &self.info);
        command.output().unwrap()
    }

    fn stop(self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let out = self.child.wait_with_output().unwrap();
        std::fs::remove_dir_all(&self.dir).unwrap();
        let _ = std::fs::remove_dir_all(&self.home);
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}

/// Clears every AWS variable of this process and sets exactly the stack's printed ones.
fn printed_env(command: &mut Command, info: &serde_json::Value) {
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("HANGAR_API") {
            command.env_remove(k);
        }
    }
    command
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in info["env"].as_object().unwrap() {
        command.env(k, v.as_str().unwrap());
    }
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn token_from_another_folder_is_signed_with_the_running_stacks_secret_and_after_stop_none_is_issued(
) {
    let stack = DevProcess::start("token");
    let elsewhere = temp_dir("elsewhere");
    let secret = stack.dir.join(".hangar/dev-secret");
    let key = local_gateway::TokenKey::load(&secret).unwrap();

    // From a folder with no .hangar/ of its own, and from a subfolder of the project.
    let sub = stack.dir.join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    for cwd in [&elsewhere, &sub] {
        let token = ok(&stack.hangar(cwd, &["dev", "token", "player-42", "--ttl", "5m"]));
        let claims = key
            .verify(token.trim(), local_gateway::TokenKind::Player)
            .unwrap();
        assert_eq!(claims["sub"], "player-42");
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            300
        );
    }
    assert!(
        !elsewhere.join(".hangar").exists(),
        "token created a secret of its own"
    );
    let server = ok(&stack.hangar(&elsewhere, &["dev", "token", "--server", "gs-1"]));
    key.verify(server.trim(), local_gateway::TokenKind::Server)
        .unwrap();
    let out = stack.hangar(&elsewhere, &["dev", "token"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hangar dev token <PLAYER_ID>"));

    // A token signed with another secret: API Gateway's 401 body, the reason in the header.
    let api = stack.info["api_url"].as_str().unwrap().to_string();
    let foreign = local_gateway::TokenKey::random().issue(
        local_gateway::TokenKind::Player,
        "p",
        Duration::from_secs(60),
    );
    let out = Command::new("curl")
        .args([
            "-s",
            "-i",
            "-H",
            &format!("Authorization: Bearer {foreign}"),
            &format!("{api}/v1/sessions"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(text.starts_with("http/1.1 401"), "{text}");
    assert!(text.contains("{\"message\":\"unauthorized\"}"), "{text}");
    assert!(
        text.contains("www-authenticate: bearer") && text.contains("signing secret"),
        "{text}"
    );

    let stdout = stack.stop();
    assert!(stdout.contains("AWS_DEFAULT_REGION"), "{stdout}");
    // Nothing runs any more: the token command says so and where it looked.
    let home = temp_dir("token-after");
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["dev", "token", "player-42"])
        .current_dir(&elsewhere)
        .env("HANGAR_STATE_HOME", &home)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("no running local stack") && stderr.contains(&home.display().to_string()),
        "{stderr}"
    );
    std::fs::remove_dir_all(elsewhere).unwrap();
    std::fs::remove_dir_all(home).unwrap();
}

#[test]
fn with_only_the_printed_environment_the_aws_cli_boto3_hangar_sessions_and_the_allocation_route_work(
) {
    let stack = DevProcess::start("env");
    let elsewhere = temp_dir("env-elsewhere");
    let fleet = stack.info["resources"]["fleet_id"]
        .as_str()
        .unwrap()
        .to_string();

    // boto3 (what the AWS CLI is built on) reads AWS_DEFAULT_REGION and the endpoints.
    let script = r#"
import json, os, sys, boto3
gl = boto3.client("gamelift")
fleets = gl.describe_fleet_attributes(FleetIds=[sys.argv[1]])["FleetAttributes"]
tables = boto3.client("dynamodb").list_tables()["TableNames"]
queues = boto3.client("sqs").list_queues().get("QueueUrls", [])
print(json.dumps({"fleet": fleets[0]["Status"], "tables": tables, "queues": queues}))
"#;
    let mut python = Command::new(venv().join("bin/python"));
    python.args(["-c", script, &fleet]).current_dir(&elsewhere);
    printed_env(&mut python, &stack.info);
    let seen: serde_json::Value = serde_json::from_str(&ok(&python.output().unwrap())).unwrap();
    assert_eq!(seen["fleet"], "ACTIVE");
    let sessions_table = stack.info["resources"]["tables"]["sessions"]
        .as_str()
        .unwrap();
    assert!(
        seen["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == sessions_table),
        "{seen}"
    );
    let queue = stack.info["resources"]["placement_queue_url"]
        .as_str()
        .unwrap();
    assert!(
        seen["queues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q == queue),
        "{seen}"
    );

    // The AWS CLI (the project's .venv) with the same environment and nothing else.
    let aws = |args: &[&str]| {
        let mut cli = Command::new(venv().join("bin/aws"));
        cli.args(args)
            .args(["--output", "json"])
            .current_dir(&elsewhere);
        printed_env(&mut cli, &stack.info);
        serde_json::from_str::<serde_json::Value>(&ok(&cli.output().unwrap())).unwrap()
    };
    let described = aws(&[
        "gamelift",
        "describe-fleet-attributes",
        "--fleet-ids",
        &fleet,
    ]);
    assert_eq!(
        described["FleetAttributes"][0]["Status"], "ACTIVE",
        "{described}"
    );
    let alias = stack.info["resources"]["alias_id"].as_str().unwrap();
    let resolved = aws(&["gamelift", "resolve-alias", "--alias-id", alias]);
    assert_eq!(resolved["FleetId"], fleet.as_str(), "{resolved}");
    let tables = aws(&["dynamodb", "list-tables"]);
    assert!(
        tables["TableNames"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == sessions_table),
        "{tables}"
    );

    // hangar sessions: create (waits for the placement), list, get, join, end as server.
    let created = ok(&stack.hangar(
        &elsewhere,
        &[
            "sessions",
            "--json",
            "create",
            "--property",
            "mode=ranked",
            "--name",
            "duel",
        ],
    ));
    let placement: serde_json::Value = serde_json::from_str(&created).unwrap();
    assert_eq!(placement["status"], "FULFILLED", "{placement}");
    let session = placement["sessionId"].as_str().unwrap().to_string();
    let listed = ok(&stack.hangar(
        &elsewhere,
        &[
            "sessions",
            "list",
            "--filter",
            "gameSessionProperties.mode = 'ranked'",
        ],
    ));
    assert!(
        listed.lines().next().unwrap().starts_with("session")
            && listed.contains(&session)
            && listed.contains("mode=ranked"),
        "{listed}"
    );
    let none = ok(&stack.hangar(
        &elsewhere,
        &[
            "sessions",
            "list",
            "--filter",
            "gameSessionProperties.mode = 'casual'",
        ],
    ));
    assert_eq!(none.lines().count(), 1, "{none}");
    let got = ok(&stack.hangar(&elsewhere, &["sessions", "get", &session]));
    assert!(got.contains("duel") && got.contains("ACTIVE"), "{got}");
    let joined: serde_json::Value = serde_json::from_str(&ok(&stack.hangar(
        &elsewhere,
        &["sessions", "--json", "--player", "bob", "join", &session],
    )))
    .unwrap();
    assert!(
        joined["playerSessionId"]
            .as_str()
            .unwrap()
            .starts_with("psess-"),
        "{joined}"
    );
    let ended = ok(&stack.hangar(
        &elsewhere,
        &["sessions", "end", &session, "--server", "gs-1"],
    ));
    assert!(ended.contains("TERMINATED"), "{ended}");

    // Documented exit codes with messages naming the field.
    let bad = stack.hangar(
        &elsewhere,
        &["sessions", "list", "--filter", "nonsense = 1"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("filter"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let gone = stack.hangar(
        &elsewhere,
        &["sessions", "--player", "carol", "join", &session],
    );
    assert_eq!(gone.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("410"));
    let missing = stack.hangar(&elsewhere, &["sessions", "create", "--property", "mode"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--property"));

    // The local scaler starts a game server and probes it; from then the allocation
    // route hands a player its address, asked with only the printed environment
    // ($HANGAR_API_URL) and a player token, and a game server answers there.
    let token = ok(&stack.hangar(&elsewhere, &["dev", "token", "alice"]));
    let deadline = Instant::now() + Duration::from_secs(60);
    let allocated: serde_json::Value = loop {
        let mut curl = Command::new("sh");
        curl.args([
            "-c",
            "curl -s -w '\\n%{http_code}' -H \"Authorization: Bearer $1\" \"$HANGAR_API_URL/v1/gameservers/available\"",
            "curl",
            token.trim(),
        ]);
        printed_env(&mut curl, &stack.info);
        let out = curl.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
        match status {
            "200" => break serde_json::from_str(body).unwrap(),
            "503" => {}
            other => panic!("GET /v1/gameservers/available answered {other}: {body}"),
        }
        assert!(
            Instant::now() < deadline,
            "no game server became available within a minute: {body}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(allocated["backup"], false, "{allocated}");
    let address = allocated["address"].as_str().unwrap();
    let probe = Command::new("curl")
        .args([
            "-s",
            "--noproxy",
            "*",
            &format!("http://{address}/capacity"),
        ])
        .output()
        .unwrap();
    let load: serde_json::Value = serde_json::from_slice(&probe.stdout)
        .unwrap_or_else(|e| panic!("{address} did not answer as a game server ({e})"));
    assert_eq!(load["capacity"], 10, "{load}");

    stack.stop();
    std::fs::remove_dir_all(elsewhere).unwrap();
}

#[test]
fn probe_command_writes_json_lines_prints_the_report_and_exits_1_on_failures() {
    // Nothing listens on this port: every request fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = temp_dir("probe");
    let out_file = dir.join("probe.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args([
            "probe",
            "--url",
            &format!("http://127.0.0.1:{port}/version"),
        ])
        .args(["--rate", "50", "--duration", "300ms", "--concurrency", "2"])
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("connection failed"), "{stdout}");
    let lines = std::fs::read_to_string(&out_file).unwrap();
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["error"], "connection failed");
    let requests: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("requests"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(lines.lines().count() as u64, requests);

    let bad = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["probe", "--url", "ftp://example.com/version"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--url"));
    std::fs::remove_dir_all(dir).unwrap();
}
