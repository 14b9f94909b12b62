//! The background workers: placement events published to SNS in order, the simulated
//! game servers' callbacks to the server API, and the watcher that sees build uploads
//! arrive in the local S3.

use crate::events::{Outgoing, SentEvent};
use crate::model::{Effect, ServerSettings};
use crate::server::core::Core;
use crate::server::local_s3::LocalS3;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Publishes placement events in order; records every attempt in `/admin/events`. The
/// first failure after a success (or at start) is logged as a warning saying so, and the
/// recovery too; each failure in between is only recorded.
pub(crate) async fn publisher(
    core: Arc<Core>,
    sns: Option<aws_sdk_sns::Client>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut failing = false;
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
                Ok(_) => {
                    if failing {
                        failing = false;
                        tracing::info!(topic = %topic, "placement events reach SNS again");
                    }
                    (true, None)
                }
                Err(e) => {
                    let detail = format!("{}", aws_sdk_sns::error::DisplayErrorContext(&e));
                    if !failing {
                        failing = true;
                        tracing::warn!(
                            "placement events are not reaching SNS (topic {topic}): {detail}; \
                             each unpublished event is listed with its error in /admin/events"
                        );
                    } else {
                        tracing::debug!(topic = %topic, error = %detail, "placement event not published");
                    }
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
pub(crate) async fn callbacks(
    core: Arc<Core>,
    mut rx: mpsc::UnboundedReceiver<(Effect, ServerSettings)>,
) {
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
        let segment = match settings.callback_session_id {
            crate::model::settings::CallbackSessionId::GameSessionId => id.clone(),
            crate::model::settings::CallbackSessionId::Base64Url => {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
            }
        };
        match url.path_segments_mut() {
            Ok(mut segs) => {
                segs.pop_if_empty()
                    .extend(["v1", "server", "sessions", segment.as_str()]);
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
        if let (Some(property), Some(header)) = (
            &settings.callback_credential_property,
            &settings.callback_credential_header,
        ) {
            let value = core
                .lock()
                .state
                .game_sessions
                .iter()
                .find(|g| &g.id == id)
                .and_then(|g| {
                    g.game_properties.as_array()?.iter().find_map(|p| {
                        (p["Key"].as_str()? == property.as_str())
                            .then(|| p["Value"].as_str().map(str::to_string))
                            .flatten()
                    })
                });
            if let Some(v) = value {
                req = req.header(header.as_str(), v);
            }
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

/// How often the upload watcher looks for uploaded builds (real time).
const UPLOAD_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Creates the upload bucket on the local S3, then watches the upload location of every
/// build waiting for its files: once an object is there, the build is told (it turns
/// READY `timing.build_ready_ms` later).
pub(crate) async fn uploads(core: Arc<Core>, s3: LocalS3) {
    let bucket = core.who.upload_bucket();
    let mut warned = false;
    loop {
        match s3.create_bucket(&bucket).await {
            Ok(()) => break,
            Err(e) if !warned => {
                warned = true;
                tracing::warn!(
                    "build uploads cannot work yet: creating bucket {bucket} on {} failed: {e}; retrying every 5 s",
                    s3.base
                );
            }
            Err(_) => {}
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
    if warned {
        tracing::info!(%bucket, "build upload bucket created; uploads work now");
    }
    loop {
        tokio::time::sleep(UPLOAD_POLL).await;
        let waiting: Vec<(String, String, String)> = core
            .lock()
            .state
            .builds
            .iter()
            .filter(|b| b.awaits_upload())
            .map(|b| (b.id.clone(), b.upload.0.clone(), b.upload.1.clone()))
            .collect();
        for (id, bucket, key) in waiting {
            let Some(size) = s3.object_size(&bucket, &key).await else {
                continue;
            };
            let now = core.clock.now();
            let ready_ms = core.timing.build_ready_ms;
            if let Some(b) = core.lock().state.builds.iter_mut().find(|b| b.id == id) {
                b.upload_seen(now, size, ready_ms);
                tracing::info!(build = %id, bytes = size, "build upload arrived");
            }
        }
    }
}
