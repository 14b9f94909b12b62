//! The background workers: placement events published to SNS in order, and the
//! simulated game servers' callbacks to the server API.

use crate::events::{Outgoing, SentEvent};
use crate::model::{Effect, ServerSettings};
use crate::server::core::Core;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Publishes placement events in order; records every attempt.
pub(crate) async fn publisher(
    core: Arc<Core>,
    sns: Option<aws_sdk_sns::Client>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
) {
    while let Some(o) = rx.recv().await {
        let message = o.event.to_string();
        let (published, error) = match (&sns, &o.topic_arn, core.publish_events) {
            (Some(client), Some(topic), true) => match client
                .publish()
                .topic_arn(topic)
                .message(&message)
                .send()
                .await
            {
                Ok(_) => (true, None),
                Err(e) => {
                    let detail = format!("{}", aws_sdk_sns::error::DisplayErrorContext(&e));
                    tracing::warn!(topic = %topic, error = %detail, "placement event not published");
                    (false, Some(detail))
                }
            },
            (_, None, _) => (false, Some("queue has no NotificationTarget".to_string())),
            _ => (false, Some("event publishing is off".to_string())),
        };
        core.lock().state.events_sent.push(SentEvent {
            topic_arn: o.topic_arn,
            event: o.event,
            published,
            error,
        });
    }
}

/// Reports player counts and session ends to the configured server API.
pub(crate) async fn callbacks(mut rx: mpsc::UnboundedReceiver<(Effect, ServerSettings)>) {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    while let Some((effect, settings)) = rx.recv().await {
        let Some(base) = settings.callback_url.as_deref() else {
            continue;
        };
        let (id, method, body) = match &effect {
            Effect::PlayerCount {
                game_session_id,
                count,
            } => (
                game_session_id,
                reqwest::Method::PUT,
                Some(json!({"playerCount": count})),
            ),
            Effect::SessionEnded { game_session_id } => {
                (game_session_id, reqwest::Method::DELETE, None)
            }
        };
        let Ok(mut url) = reqwest::Url::parse(base) else {
            tracing::warn!(url = base, "callback URL does not parse");
            continue;
        };
        match url.path_segments_mut() {
            Ok(mut segs) => {
                segs.pop_if_empty()
                    .extend(["v1", "server", "sessions", id.as_str()]);
            }
            Err(()) => {
                tracing::warn!(url = base, "callback URL cannot take a path");
                continue;
            }
        }
        let mut req = http.request(method, url.clone());
        if let Some(token) = &settings.callback_token {
            req = req.bearer_auth(token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => {
                tracing::debug!(%url, "game-server callback delivered")
            }
            Ok(r) => tracing::warn!(%url, status = %r.status(), "game-server callback refused"),
            Err(e) => tracing::warn!(%url, error = %e, "game-server callback failed"),
        }
    }
}
