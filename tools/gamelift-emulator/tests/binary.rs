//! The `gamelift-emulator` binary as a person (and `scripts/test`) runs it.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gamelift-emulator");

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port and returns it with the endpoint it printed.
fn start() -> (Running, String) {
    let child = Command::new(BIN)
        .args(["--port", "0", "--no-sns"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stdout = running.0.stdout.take().unwrap();
    // Log lines may come first; the banner names the endpoint.
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the emulator exited before its banner"
        );
        if let Some(endpoint) = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
        {
            return (running, endpoint.to_string());
        }
    }
}

#[tokio::test]
async fn binary_serves_the_json_protocol_on_loopback_with_gamelift_errors() {
    let (_emulator, endpoint) = start();
    let client = reqwest::Client::new();
    let resp = client
        .post(&endpoint)
        .header("x-amz-target", "GameLift.DescribeBuild")
        .header("content-type", "application/x-amz-json-1.1")
        .body(r#"{"BuildId":"build-00000000-0000-0000-0000-000000000000"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["__type"], "NotFoundException", "{body}");

    let resp = client
        .post(&endpoint)
        .header("x-amz-target", "GameLift.ListBuilds")
        .header("content-type", "application/x-amz-json-1.1")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["Builds"], serde_json::json!([]), "{body}");
}

#[test]
fn binary_refuses_a_taken_port_with_a_message_naming_it() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(BIN)
        .args(["--port", &port.to_string(), "--no-sns"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&port.to_string()), "stderr: {stderr}");
}

#[test]
fn binary_refuses_to_listen_beyond_loopback() {
    let out = Command::new(BIN)
        .args(["--host", "0.0.0.0", "--port", "0", "--no-sns"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--host"), "stderr: {stderr}");
}
