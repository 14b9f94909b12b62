//! Placement events through the real path (GameLift emulator -> SNS -> SQS on moto ->
//! the `hangar dev` poller -> consumer): duplicates change nothing, an older or later
//! contradicting event never overwrites the recorded state, raw EventBridge events are
//! recorded too, and a malformed message fails alone and reaches the DLQ.

use std::time::Duration;

use crate::support::{Options, Stack};
use aws_sdk_sqs::types::QueueAttributeName;
use hangar::dev::sessions::poll_once;
use hangar_tests::wait_until;
use reqwest::Method;
use serde_json::{json, Value};

/// Receives the one message the emulator published for a placement.
async fn take_message(stack: &Stack) -> String {
    let sqs = stack.sqs();
    wait_until(
        Duration::from_secs(20),
        Duration::from_millis(10),
        || async {
            let out = sqs
                .receive_message()
                .queue_url(&stack.resources.placement_queue_url)
                .max_number_of_messages(1)
                .send()
                .await
                .ok()?;
            let m = out.messages().first()?.clone();
            sqs.delete_message()
                .queue_url(&stack.resources.placement_queue_url)
                .receipt_handle(m.receipt_handle()?)
                .send()
                .await
                .ok()?;
            m.body().map(str::to_string)
        },
    )
    .await
    .expect("the emulator published a placement event")
}

async fn send(stack: &Stack, body: &str) {
    stack
        .sqs()
        .send_message()
        .queue_url(&stack.resources.placement_queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap();
}

/// Polls until the queue is drained; (deleted, failed) totals.
async fn drain(stack: &Stack) -> (usize, usize) {
    let sqs = stack.sqs();
    let (mut deleted, mut failed) = (0, 0);
    for _ in 0..20 {
        let o = poll_once(
            &sqs,
            &stack.resources.placement_queue_url,
            &stack.resources.placement_queue_arn,
            &stack.sessions,
            0,
        )
        .await
        .unwrap();
        deleted += o.deleted;
        failed += o.failed;
        if o.received == 0 {
            break;
        }
    }
    (deleted, failed)
}

fn with_detail(event: &Value, kind: &str, time: &str) -> Value {
    let mut e = event.clone();
    e["time"] = json!(time);
    e["detail"]["type"] = json!(kind);
    for k in [
        "gameSessionArn",
        "ipAddress",
        "dnsName",
        "port",
        "placedPlayerSessions",
    ] {
        e["detail"].as_object_mut().unwrap().remove(k);
    }
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_reordered_and_raw_placement_events_are_recorded_once_in_order() {
    let stack = Stack::start_with(Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let alice = stack.player("alice");
    let (_, created) = stack
        .call(
            Method::POST,
            "/v1/sessions",
            Some(&alice),
            Some(json!({"maxPlayers": 4})),
        )
        .await;
    let placement = created["placementId"].as_str().unwrap().to_string();
    let envelope = take_message(&stack).await;
    let sns: Value = serde_json::from_str(&envelope).unwrap();
    assert_eq!(
        sns["Type"], "Notification",
        "placement events arrive in the SNS envelope"
    );
    let event: Value = serde_json::from_str(sns["Message"].as_str().unwrap()).unwrap();
    assert_eq!(event["detail"]["type"], "PlacementFulfilled");

    // The fulfilled event three times, plus contradicting final events before and after it.
    let earlier = with_detail(&event, "PlacementTimedOut", "2000-01-01T00:00:00Z");
    let later = with_detail(&event, "PlacementCancelled", "2100-01-01T00:00:00Z");
    for body in [
        envelope.clone(),
        envelope.clone(),
        later.to_string(),
        envelope.clone(),
    ] {
        send(&stack, &body).await;
    }
    let (deleted, failed) = drain(&stack).await;
    assert_eq!((deleted, failed), (4, 0));
    let path = format!("/v1/placements/{placement}");
    let (_, view) = stack.call(Method::GET, &path, Some(&alice), None).await;
    assert_eq!(view["status"], "FULFILLED", "{view}");
    let sid = view["sessionId"].as_str().unwrap().to_string();

    // The game server moves on; a redelivered fulfilled event must not reset the session.
    let server = stack.server("gs");
    let cred = stack
        .server_credential(view["gameSessionId"].as_str().unwrap())
        .await;
    let (status, _) = stack
        .call_with(
            Method::PUT,
            &format!("/v1/server/sessions/{sid}"),
            Some(&server),
            Some(json!({"playerCount": 3})),
            &[(hangar_sessions::credential::HEADER, cred.as_str())],
        )
        .await;
    assert_eq!(status, 200);
    send(&stack, &envelope).await;
    send(&stack, &earlier.to_string()).await;
    assert_eq!(drain(&stack).await, (2, 0));
    let (_, session) = stack
        .call(
            Method::GET,
            &format!("/v1/sessions/{sid}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(session["currentPlayerSessionCount"], 3, "{session}");
    let (_, view) = stack.call(Method::GET, &path, Some(&alice), None).await;
    assert_eq!(view["status"], "FULFILLED");
    let (_, listed) = stack
        .call(Method::GET, "/v1/sessions", Some(&alice), None)
        .await;
    assert_eq!(
        listed["sessions"].as_array().unwrap().len(),
        1,
        "one session, however many events"
    );

    // A raw EventBridge event (an EventBridge rule targeting the queue) is recorded too.
    let (_, second) = stack
        .call(
            Method::POST,
            "/v1/sessions",
            Some(&alice),
            Some(json!({"maxPlayers": 2})),
        )
        .await;
    let raw_envelope = take_message(&stack).await;
    let raw: Value = serde_json::from_str(
        serde_json::from_str::<Value>(&raw_envelope).unwrap()["Message"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    send(&stack, &raw.to_string()).await;
    assert_eq!(drain(&stack).await, (1, 0));
    let (_, view) = stack
        .call(
            Method::GET,
            &format!("/v1/placements/{}", second["placementId"].as_str().unwrap()),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(view["status"], "FULFILLED", "{view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_message_fails_alone_and_reaches_the_dead_letter_queue() {
    let stack = Stack::start_with(Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let sqs = stack.sqs();
    // Quick redelivery for the test: visible again after 1 s, DLQ after 2 receives.
    let redrive =
        json!({"deadLetterTargetArn": stack.resources.placement_dlq_arn, "maxReceiveCount": 2});
    sqs.set_queue_attributes()
        .queue_url(&stack.resources.placement_queue_url)
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .unwrap();
    let alice = stack.player("alice");
    let (_, created) = stack
        .call(
            Method::POST,
            "/v1/sessions",
            Some(&alice),
            Some(json!({"maxPlayers": 4})),
        )
        .await;
    let good = take_message(&stack).await;
    // One batch: the malformed message between two good ones.
    send(
        &stack,
        "{\"Type\":\"Notification\",\"Message\":\"not an event\"}",
    )
    .await;
    send(&stack, &good).await;
    send(&stack, "]]]").await;
    let o = poll_once(
        &sqs,
        &stack.resources.placement_queue_url,
        &stack.resources.placement_queue_arn,
        &stack.sessions,
        1,
    )
    .await
    .unwrap();
    assert_eq!(o.received, 3, "{o:?}");
    assert_eq!((o.deleted, o.failed), (1, 2), "{o:?}");
    let (_, view) = stack
        .call(
            Method::GET,
            &format!(
                "/v1/placements/{}",
                created["placementId"].as_str().unwrap()
            ),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        view["status"], "FULFILLED",
        "the good message was recorded despite its neighbours"
    );

    // The failures come back, fail again, and move to the DLQ.
    let dlq = wait_until(
        Duration::from_secs(20),
        Duration::from_millis(200),
        || async {
            let _ = poll_once(
                &sqs,
                &stack.resources.placement_queue_url,
                &stack.resources.placement_queue_arn,
                &stack.sessions,
                0,
            )
            .await;
            let attrs = sqs
                .get_queue_attributes()
                .queue_url(&stack.resources.placement_dlq_url)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .send()
                .await
                .ok()?;
            let n: usize = attrs
                .attributes()?
                .get(&QueueAttributeName::ApproximateNumberOfMessages)?
                .parse()
                .ok()?;
            (n == 2).then_some(n)
        },
    )
    .await;
    assert_eq!(dlq, Some(2), "both malformed messages reach the DLQ");
}
