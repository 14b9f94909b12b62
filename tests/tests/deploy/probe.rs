//! `hangar probe` against local servers over loopback: one whose version changes during
//! the run, one that fails some requests, one that never reaches the expected version.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use hangar::probe::{run, ProbeConfig, Report, Sample};
use serde_json::{json, Value};

/// Serves GET /version with `answer(n)` for the n-th request.
async fn server(answer: fn(usize) -> (u16, Value)) -> String {
    let count = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/version",
        axum::routing::get(move || {
            let n = count.fetch_add(1, Ordering::SeqCst);
            async move {
                let (status, body) = answer(n);
                (StatusCode::from_u16(status).unwrap(), body.to_string())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/version", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn config(url: String, expect: Option<&str>) -> ProbeConfig {
    ProbeConfig {
        url,
        rate: 200.0,
        duration: Duration::from_millis(500),
        concurrency: 1,
        timeout: Duration::from_secs(5),
        expect_version: expect.map(str::to_string),
    }
}

async fn probe(config: &ProbeConfig) -> (Report, Vec<String>) {
    let mut lines = Vec::new();
    let samples = run(
        config,
        |s: &Sample| lines.push(serde_json::to_string(s).unwrap()),
        |_, _| {},
    )
    .await
    .unwrap();
    (
        Report::from_samples(&samples, config.expect_version.as_deref()),
        lines,
    )
}

#[tokio::test]
async fn probe_shows_the_version_switch_with_zero_failures_and_writes_every_result() {
    let url = server(|n| {
        let commit = if n < 5 { "1111111aaaa" } else { "2222222bbbb" };
        let version = if n < 5 { "1.0.0" } else { "1.1.0" };
        (
            200,
            json!({"version": version, "commit": commit, "buildTime": "2026-01-01T00:00:00Z"}),
        )
    })
    .await;
    let (report, lines) = probe(&config(url, Some("1.1.0"))).await;
    assert!(
        report.requests > 5,
        "too few requests to see the switch: {}",
        report.requests
    );
    assert_eq!(report.failures, 0, "{}", report.render());
    let versions: Vec<&str> = report.versions.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(versions, ["1.0.0+1111111", "1.1.0+2222222"]);
    assert_eq!(report.versions[0].count, 5);
    assert!(report.versions[0].last_ms <= report.versions[1].first_ms);
    assert_eq!(
        report.mixed_window_ms,
        Some(0),
        "one request at a time: a clean switch"
    );
    assert_eq!(report.expected_version_seen, Some(true));
    assert_eq!(report.exit_code(), 0);
    let rendered = report.render();
    assert!(
        rendered.contains("1.1.0+2222222") && rendered.contains("mixed window 0.000 s"),
        "{rendered}"
    );

    assert_eq!(
        lines.len() as u64,
        report.requests,
        "one JSON line per request"
    );
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["status"], 200);
    assert_eq!(first["version"], "1.0.0+1111111");
    assert!(first["latency_ms"].is_number() && first.get("error").is_none());
}

#[tokio::test]
async fn probe_lists_failures_with_reasons_and_exits_non_zero() {
    let url = server(|n| match n % 4 {
        1 => (503, json!({"message": "Service Unavailable"})),
        2 => (200, json!({"hello": "world"})),
        _ => (200, json!({"version": "1.0.0"})),
    })
    .await;
    let (report, lines) = probe(&config(url, None)).await;
    assert!(report.requests >= 4, "{}", report.requests);
    assert!(
        report.failure_reasons["status 503"] >= 1,
        "{:?}",
        report.failure_reasons
    );
    assert!(
        report.failure_reasons["answer has no JSON \"version\""] >= 1,
        "{:?}",
        report.failure_reasons
    );
    assert_eq!(
        report.failures,
        report.failure_reasons.values().sum::<u64>(),
        "every failure has a reason"
    );
    assert_eq!(report.failed[0].seq, 1);
    assert_ne!(report.exit_code(), 0);
    assert!(report.render().contains("status 503"));
    let failed_line: Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(failed_line["error"], "status 503");
}

#[tokio::test]
async fn probe_exits_non_zero_when_the_expected_version_never_answers() {
    let url = server(|_| (200, json!({"version": "1.0.0"}))).await;
    let (report, _) = probe(&config(url, Some("2.0.0"))).await;
    assert_eq!(report.failures, 0);
    assert_eq!(report.expected_version_seen, Some(false));
    assert_eq!(report.exit_code(), 2);
}

#[tokio::test]
async fn probe_counts_refused_connections_as_failures() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (report, _) = probe(&config(format!("http://127.0.0.1:{port}/version"), None)).await;
    assert!(report.requests >= 1);
    assert_eq!(report.failures, report.requests);
    assert!(
        report.failure_reasons.contains_key("connection failed"),
        "{:?}",
        report.failure_reasons
    );
    assert_ne!(report.exit_code(), 0);
}
