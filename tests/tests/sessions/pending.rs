//! No placement stays PENDING: when its event is late (here, an hour), GET looks the
//! placement up with GameLift and records it as its event would; a second Fulfilled
//! event naming another game session changes nothing.

use std::time::{Duration, Instant};

use crate::support::{Options, Stack};
use hangar_tests::wait_until;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_whose_events_are_an_hour_late_resolves_through_get_within_seconds() {
    let stack = Stack::start_with(Options {
        adjust: |c| {
            c.speed = 1.0;
            c.server.session_duration_ms = 24 * 3_600_000;
        },
        ..Default::default()
    })
    .await;
    let admin = stack.emulator.admin();
    admin.event_faults(0, 3600.0, 0).await.unwrap();
    let alice = stack.player("alice");
    let (status, created) = stack
        .call(
            Method::POST,
            "/v1/sessions",
            Some(&alice),
            Some(json!({"maxPlayers": 4})),
        )
        .await;
    assert_eq!(status, 202, "{created}");
    let path = format!(
        "/v1/placements/{}",
        created["placementId"].as_str().unwrap()
    );
    let started = Instant::now();
    let placed = wait_until(
        Duration::from_secs(20),
        Duration::from_millis(250),
        || async {
            let (s, b) = stack.call(Method::GET, &path, Some(&alice), None).await;
            (s == 200 && b["status"] != "PENDING").then_some(b)
        },
    )
    .await
    .expect("the placement resolved");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(placed["status"], "FULFILLED", "{placed}");
    assert!(placed["playerSessionId"]
        .as_str()
        .unwrap()
        .starts_with("psess-"));
    // The event itself has not been published yet: the lookup did it.
    let published = admin.events().await.unwrap();
    assert!(
        published.iter().all(|e| e["published"] != true),
        "{published:?}"
    );
    // Recorded as the event would: the session is listed and joinable.
    let sid = placed["sessionId"].as_str().unwrap();
    let (status, _) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{sid}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, listed) = stack
        .call(Method::GET, "/v1/sessions", Some(&alice), None)
        .await;
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1);
    // However many times it is read, GameLift is asked at most once per interval.
    for _ in 0..20 {
        stack.call(Method::GET, &path, Some(&alice), None).await;
    }
    assert!(
        admin.calls("DescribeGameSessionPlacement").await.unwrap() <= 4,
        "the lookup is a bounded fallback"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_fulfilled_event_with_another_session_creates_no_phantom() {
    let stack = Stack::start().await;
    let placed = stack
        .create_session("alice", json!({"maxPlayers": 4}))
        .await;
    let alice = stack.player("alice");
    let placement = placed["placementId"].as_str().unwrap();
    let other = format!(
        "arn:aws:gamelift:us-east-1::gamesession/{}/gsess-phantom",
        stack.resources.fleet_id
    );
    let event = json!({
        "version": "0", "id": "e-2", "detail-type": "GameLift Queue Placement Event",
        "source": "aws.gamelift", "account": "123456789012", "time": "2026-01-01T00:00:05Z",
        "region": "us-east-1", "resources": [],
        "detail": {"type": "PlacementFulfilled", "placementId": placement, "port": "7001",
                   "gameSessionArn": other, "ipAddress": "127.0.0.1", "dnsName": "localhost",
                   "placedPlayerSessions": [{"playerId": "alice", "playerSessionId": "psess-x"}]}
    });
    stack
        .sqs()
        .send_message()
        .queue_url(&stack.resources.placement_queue_url)
        .message_body(event.to_string())
        .send()
        .await
        .unwrap();
    // The poller consumes it (the queue drains); the phantom never appears.
    let sqs = stack.sqs();
    let drained = wait_until(
        Duration::from_secs(20),
        Duration::from_millis(100),
        || async {
            use aws_sdk_sqs::types::QueueAttributeName as A;
            let out = sqs
                .get_queue_attributes()
                .queue_url(&stack.resources.placement_queue_url)
                .attribute_names(A::ApproximateNumberOfMessages)
                .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
                .send()
                .await
                .ok()?;
            let a = out.attributes()?;
            (a.get(&A::ApproximateNumberOfMessages)? == "0"
                && a.get(&A::ApproximateNumberOfMessagesNotVisible)? == "0")
                .then_some(())
        },
    )
    .await;
    assert!(drained.is_some(), "the contradicting event was consumed");
    let (status, _) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{}", crate::support::api_id(&other)),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (_, listed) = stack
        .call(Method::GET, "/v1/sessions", Some(&alice), None)
        .await;
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1);
    let (_, view) = stack
        .call(
            Method::GET,
            &format!("/v1/placements/{placement}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(view["gameSessionId"], placed["gameSessionId"]);
}
