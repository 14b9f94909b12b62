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

/// The binary with a clean AWS environment plus `vars`, stdout and stderr piped.
fn spawn_with(args: &[&str], vars: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    for v in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SNS",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Collects the lines a pipe prints, in a thread, for `contains` checks.
fn collect(pipe: impl std::io::Read + Send + 'static) -> std::sync::Arc<std::sync::Mutex<String>> {
    let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = out.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    out
}

async fn wait_for(text: &std::sync::Arc<std::sync::Mutex<String>>, needle: &str) -> bool {
    for _ in 0..300 {
        if text.lock().unwrap().contains(needle) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

async fn gamelift(
    client: &reqwest::Client,
    endpoint: &str,
    op: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = client
        .post(endpoint)
        .header("x-amz-target", format!("GameLift.{op}"))
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(status.is_success(), "{op}: {v}");
    v
}

#[tokio::test]
async fn binary_without_credentials_uses_test_credentials_and_reports_unpublished_events_plainly() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // SNS on loopback that nobody serves: every publish fails.
    let mut child = spawn_with(
        &["--port", &port.to_string(), "--speed", "1000"],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    let stdout = collect(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    let _running = Running(child);
    assert!(
        wait_for(&stdout, "listening on").await,
        "no banner: {}{}",
        stdout.lock().unwrap(),
        stderr.lock().unwrap()
    );
    assert!(
        stdout.lock().unwrap().contains("using test credentials"),
        "{}",
        stdout.lock().unwrap()
    );

    let endpoint = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let b = gamelift(&http, &endpoint, "CreateBuild", serde_json::json!({"Name": "b", "StorageLocation": {"Bucket": "b", "Key": "k", "RoleArn": "arn:aws:iam::123456789012:role/r"}})).await;
    let build = b["Build"]["BuildId"].as_str().unwrap().to_string();
    let mut fleet = serde_json::Value::Null;
    for _ in 0..200 {
        let f = http
            .post(&endpoint)
            .header("x-amz-target", "GameLift.CreateFleet")
            .header("content-type", "application/x-amz-json-1.1")
            .body(
                serde_json::json!({"Name": "f", "BuildId": build, "EC2InstanceType": "c5.large"})
                    .to_string(),
            )
            .send()
            .await
            .unwrap();
        if f.status().is_success() {
            fleet = f.json().await.unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let fleet_arn = fleet["FleetAttributes"]["FleetArn"]
        .as_str()
        .expect("fleet never created")
        .to_string();
    gamelift(&http, &endpoint, "CreateGameSessionQueue", serde_json::json!({"Name": "q", "Destinations": [{"DestinationArn": fleet_arn}], "NotificationTarget": "arn:aws:sns:us-east-1:123456789012:placements"})).await;
    gamelift(&http, &endpoint, "StartGameSessionPlacement", serde_json::json!({"PlacementId": "p1", "GameSessionQueueName": "q", "MaximumPlayerSessionCount": 2})).await;
    assert!(
        wait_for(&stdout, "placement events are not reaching SNS").await,
        "no plain log line: {}",
        stdout.lock().unwrap()
    );
    let events: serde_json::Value = http
        .get(format!("{endpoint}/admin/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = &events["events"][0];
    assert_eq!(e["published"], false, "{events}");
    assert!(
        e["error"].as_str().is_some_and(|m| !m.is_empty()),
        "{events}"
    );
}

#[test]
fn binary_refuses_to_publish_events_to_aws_itself_and_says_what_to_set() {
    let child = spawn_with(&["--port", "0"], &[]);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("AWS_ENDPOINT_URL") && stderr.contains("--no-sns"),
        "stderr: {stderr}"
    );
}
