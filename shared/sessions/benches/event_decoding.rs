//! Placement-event decoding throughput on one core: SNS-enveloped and raw EventBridge
//! GameLift placement events, as the consumer receives them.
//!
//! `cargo bench -p hangar-sessions --bench event_decoding` (BENCH_EVENTS, default 500000).

use std::hint::black_box;
use std::time::Instant;

use hangar_sessions::events::decode_sqs_body;

const FULFILLED: &str = include_str!("../../../events/placement-events/fulfilled-eventbridge.json");

fn envelope(message: &str) -> String {
    serde_json::json!({
        "Type": "Notification",
        "MessageId": "6a1b2c3d-0000-4000-8000-000000000001",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:hangar-placements",
        "Message": message,
        "Timestamp": "2026-01-01T12:00:05.123Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"
    })
    .to_string()
}

fn run(label: &str, body: &str, n: usize) {
    // warm-up
    for _ in 0..n / 10 {
        black_box(decode_sqs_body(black_box(body)).is_ok());
    }
    let started = Instant::now();
    let mut ok = 0usize;
    for _ in 0..n {
        ok += usize::from(decode_sqs_body(black_box(body)).is_ok());
    }
    let elapsed = started.elapsed();
    assert_eq!(ok, n, "every event decodes");
    println!(
        "{label}: {n} events in {:.3} s = {:.0} events/s ({} bytes each)",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        body.len()
    );
}

fn main() {
    let n: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000);
    let raw = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(FULFILLED).unwrap())
        .unwrap();
    run("raw EventBridge, PlacementFulfilled", &raw, n);
    run("SNS envelope, PlacementFulfilled", &envelope(&raw), n);
    let timed_out = raw.replace("PlacementFulfilled", "PlacementTimedOut");
    run("SNS envelope, PlacementTimedOut", &envelope(&timed_out), n);
}
