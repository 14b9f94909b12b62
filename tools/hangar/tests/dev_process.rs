//! The `hangar` binary: `hangar dev` stops its moto server on SIGTERM, and a taken port
//! ends start-up with exit code 3 and a message naming the flag.

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
            "--clock-speed",
            "500",
        ])
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
fn taken_api_port_exits_with_code_3_naming_the_port_and_flag() {
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
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("port {port}")) && stderr.contains("--api-port"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn token_subcommand_prints_a_token_the_local_secret_verifies() {
    let dir = temp_dir("token");
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["dev", "token", "player-42", "--ttl", "5m"])
        .arg("--state-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    let key = local_gateway::TokenKey::load_or_create(&dir.join("dev-secret")).unwrap();
    let claims = key
        .verify(token.trim(), local_gateway::TokenKind::Player)
        .unwrap();
    assert_eq!(claims["sub"], "player-42");
    let ttl = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert_eq!(ttl, 300);

    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["dev", "token"])
        .arg("--state-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("hangar dev token <PLAYER_ID>"));
    std::fs::remove_dir_all(dir).unwrap();
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
