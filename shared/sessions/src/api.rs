//! The area's entry points: HTTP routes (API Gateway payload v2 via `lambda_http`), the
//! SQS placement-event consumer and the scheduled reconciler. The Lambda binaries
//! (`functions/sessions`) and `hangar dev` call these same functions.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use hangar_lambda::http::{json, respond};
use hangar_lambda::{require_player, require_server, ApiError};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::events::{decode_sqs_body, PlacementEvent};
use crate::listing::PlanError;
use crate::service::ReconcileReport;
use crate::{Sessions, SessionsError};

/// The one mapping of the area's errors to HTTP answers. Internal detail (AWS errors,
/// undecodable items, missing settings) is logged here and never sent.
impl From<SessionsError> for ApiError {
    fn from(e: SessionsError) -> Self {
        match e {
            SessionsError::Invalid(f) => ApiError::bad_request("InvalidRequest", f.to_string()),
            SessionsError::Listing(PlanError::Filter(p)) => ApiError::bad_request(
                "InvalidFilter",
                format!("filter: {} at position {}", p.message, p.position),
            ),
            SessionsError::Listing(PlanError::Sort(p)) => ApiError::bad_request(
                "InvalidSort",
                format!("sort: {} at position {}", p.message, p.position),
            ),
            SessionsError::Listing(l @ PlanError::Limit) => {
                ApiError::bad_request("InvalidLimit", l.to_string())
            }
            SessionsError::Cursor(c) => {
                ApiError::bad_request("InvalidCursor", format!("cursor: {c}"))
            }
            e @ SessionsError::BadSessionId => {
                ApiError::bad_request("InvalidSessionId", e.to_string())
            }
            e @ SessionsError::BadIdempotencyKey => {
                ApiError::bad_request("InvalidIdempotencyKey", e.to_string())
            }
            e @ SessionsError::SortWindow(_) => {
                ApiError::bad_request("SortTooBroad", e.to_string())
            }
            SessionsError::Forbidden(m) => ApiError::forbidden(m),
            e @ SessionsError::NotFound(_) => ApiError::not_found(e.to_string()),
            e @ SessionsError::Full => ApiError::conflict("SessionFull", e.to_string()),
            e @ SessionsError::NotReady => ApiError {
                retry_after: Some(1),
                ..ApiError::conflict("SessionNotReady", e.to_string())
            },
            e @ SessionsError::AlreadyJoined(_) => {
                ApiError::conflict("PlayerAlreadyJoined", e.to_string())
            }
            e @ SessionsError::PlacementIdTaken(_) => {
                ApiError::conflict("PlacementIdTaken", e.to_string())
            }
            SessionsError::WrongCredential(m) => ApiError::forbidden(m),
            e @ SessionsError::Ended => ApiError::gone(e.to_string()),
            e @ SessionsError::IdempotencyMismatch => {
                ApiError::new(422, "IdempotencyKeyReused", e.to_string())
            }
            e @ SessionsError::Busy(_) => ApiError::unavailable(e.to_string(), 1),
            SessionsError::Aws(e) if e.is_throttling() => {
                tracing::warn!(error = %e, "throttled");
                ApiError::unavailable(format!("{} is throttling; retry shortly", e.operation), 1)
            }
            e @ (SessionsError::Aws(_)
            | SessionsError::Decode(_)
            | SessionsError::NotConfigured(_)
            | SessionsError::BadSecret { .. }) => ApiError::internal(e),
        }
    }
}

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    }
}

fn path_param(req: &Request, name: &str) -> Result<String, ApiError> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::bad_request(
                "MissingPathParameter",
                format!("path parameter {name} is missing"),
            )
        })
}

/// The session credential a game server presented (see [`crate::credential`]).
fn credential(req: &Request) -> Option<String> {
    req.headers()
        .get(crate::credential::HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

type Reply = Result<Response<Body>, lambda_http::Error>;

/// `POST /v1/sessions` (player).
pub async fn create(s: &Sessions, req: Request) -> Reply {
    Ok(respond(
        async {
            let player = require_player(&req)?;
            // Any bytes reach the check (which refuses what is not printable ASCII), so a
            // key is never silently dropped.
            let key = req
                .headers()
                .get("idempotency-key")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let view = s.create(&player, body_bytes(&req), key.as_deref()).await?;
            Ok(json(202, &view))
        }
        .await,
    ))
}

/// `GET /v1/placements/{placementId}` (creator and reserved players only).
pub async fn placement_status(s: &Sessions, req: Request) -> Reply {
    Ok(respond(
        async {
            let player = require_player(&req)?;
            let id = path_param(&req, "placementId")?;
            Ok(json(200, &s.placement(&player, &id).await?))
        }
        .await,
    ))
}

/// `GET /v1/sessions` (player).
pub async fn list(s: &Sessions, req: Request) -> Reply {
    Ok(respond(
        async {
            require_player(&req)?;
            let listed = s
                .list(
                    query_param(&req, "filter").as_deref(),
                    query_param(&req, "sort").as_deref(),
                    query_param(&req, "limit").as_deref(),
                    query_param(&req, "cursor").as_deref(),
                )
                .await?;
            Ok(json(200, &listed.view))
        }
        .await,
    ))
}

/// `GET /v1/sessions/{sessionId}` (player).
pub async fn get(s: &Sessions, req: Request) -> Reply {
    Ok(respond(
        async {
            require_player(&req)?;
            let id = path_param(&req, "sessionId")?;
            Ok(json(200, &s.session(&id).await?))
        }
        .await,
    ))
}

/// `POST /v1/sessions/{sessionId}/join` (player).
pub async fn join(s: &Sessions, req: Request) -> Reply {
    Ok(respond(
        async {
            let player = require_player(&req)?;
            let id = path_param(&req, "sessionId")?;
            Ok(json(200, &s.join(&player, &id, body_bytes(&req)).await?))
        }
        .await,
    ))
}

/// `PUT /v1/server/sessions/{sessionId}` (game server, with the session's credential).
pub async fn server_update(s: &Sessions, req: Request) -> Reply {
    Ok(respond(
        async {
            require_server(&req)?;
            let id = path_param(&req, "sessionId")?;
            let credential = credential(&req);
            Ok(json(
                200,
                &s.server_update(&id, credential.as_deref(), body_bytes(&req))
                    .await?,
            ))
        }
        .await,
    ))
}

/// `DELETE /v1/server/sessions/{sessionId}` (game server, with the session's credential).
pub async fn server_end(s: &Sessions, req: Request) -> Reply {
    Ok(respond(
        async {
            require_server(&req)?;
            let id = path_param(&req, "sessionId")?;
            let credential = credential(&req);
            Ok(json(200, &s.server_end(&id, credential.as_deref()).await?))
        }
        .await,
    ))
}

/// The SQS consumer: records each placement event; a message that does not decode or
/// cannot be recorded is reported alone in `batchItemFailures` (it returns to the queue
/// and, after maxReceiveCount, to the DLQ) without failing the rest of the batch.
pub async fn placement_events(s: &Sessions, event: SqsEvent) -> SqsBatchResponse {
    // The events of one placement are recorded one after the other, in the batch's order,
    // so duplicates of one placement never race each other; different placements are
    // recorded concurrently (a batch is at most 10 messages), so a batch waits about as
    // long as its longest chain, not the sum of its writes.
    let mut failed = vec![false; event.records.len()];
    let mut chains: Vec<(String, Vec<(usize, PlacementEvent)>)> = Vec::new();
    for (i, record) in event.records.iter().enumerate() {
        match decode_sqs_body(record.body.as_deref().unwrap_or("")) {
            Ok(e) => match chains.iter_mut().find(|(id, _)| *id == e.placement_id) {
                Some((_, chain)) => chain.push((i, e)),
                None => chains.push((e.placement_id.clone(), vec![(i, e)])),
            },
            Err(e) => {
                let message_id = record.message_id.as_deref().unwrap_or_default();
                tracing::warn!(message_id, reason = %e, "placement event failed");
                failed[i] = true;
            }
        }
    }
    let records = &event.records;
    let chains = chains.into_iter().map(|(_, chain)| async move {
        let mut failures = Vec::new();
        for (i, e) in chain {
            let message_id = records[i].message_id.as_deref().unwrap_or_default();
            match s.record_placement_event(&e).await {
                Ok(changed) => tracing::debug!(message_id, changed, "placement event recorded"),
                Err(e) => {
                    tracing::warn!(message_id, reason = %e, "placement event failed");
                    failures.push(i);
                }
            }
        }
        failures
    });
    for i in futures::future::join_all(chains)
        .await
        .into_iter()
        .flatten()
    {
        failed[i] = true;
    }
    let outcomes = records
        .iter()
        .zip(failed)
        .map(|(r, failed)| failed.then(|| r.message_id.clone().unwrap_or_default()));
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = outcomes
        .into_iter()
        .flatten()
        .map(|id| {
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            f
        })
        .collect();
    response
}

/// The scheduled reconciler.
pub async fn reconcile(s: &Sessions) -> Result<ReconcileReport, SessionsError> {
    let report = s.reconcile().await?;
    tracing::info!(?report, "reconciled");
    Ok(report)
}

/// The sample event of every function in `events/`, through its entry point: each HTTP
/// event decodes as its route expects (method, path parameter, caller kind), is refused
/// without its authorizer (401) before any work and forbidden to the other kind of
/// caller (403); the SQS batch fails its malformed record alone; the schedule event
/// decodes.
#[cfg(test)]
mod tests {
    mod sessions_create {
        crate::sample_event_tests! {
            handler: crate::api::create,
            event: include_str!("../../../events/sessions-create.json"),
            method: "POST",
            path_parameter: None,
            caller: Player,
        }
    }
    mod sessions_list {
        crate::sample_event_tests! {
            handler: crate::api::list,
            event: include_str!("../../../events/sessions-list.json"),
            method: "GET",
            path_parameter: None,
            caller: Player,
        }
    }
    mod sessions_get {
        crate::sample_event_tests! {
            handler: crate::api::get,
            event: include_str!("../../../events/sessions-get.json"),
            method: "GET",
            path_parameter: Some("sessionId"),
            caller: Player,
        }
    }
    mod sessions_join {
        crate::sample_event_tests! {
            handler: crate::api::join,
            event: include_str!("../../../events/sessions-join.json"),
            method: "POST",
            path_parameter: Some("sessionId"),
            caller: Player,
        }
    }
    mod placement_status {
        crate::sample_event_tests! {
            handler: crate::api::placement_status,
            event: include_str!("../../../events/placement-status.json"),
            method: "GET",
            path_parameter: Some("placementId"),
            caller: Player,
        }
    }
    mod server_session_update {
        crate::sample_event_tests! {
            handler: crate::api::server_update,
            event: include_str!("../../../events/server-session-update.json"),
            method: "PUT",
            path_parameter: Some("sessionId"),
            caller: Server,
        }
    }
    mod server_session_end {
        crate::sample_event_tests! {
            handler: crate::api::server_end,
            event: include_str!("../../../events/server-session-end.json"),
            method: "DELETE",
            path_parameter: Some("sessionId"),
            caller: Server,
        }
    }

    mod placement_events {
        use aws_lambda_events::sqs::SqsEvent;

        const EVENT: &str = include_str!("../../../events/placement-events.json");

        #[tokio::test]
        async fn undecodable_messages_of_the_sample_batch_fail_alone_before_any_write() {
            // Only the malformed record is examined here: the offline clients would fail
            // the others, which the integration tests cover against DynamoDB.
            let mut event: SqsEvent = serde_json::from_str(EVENT).unwrap();
            event.records.retain(|r| {
                r.message_id
                    .as_deref()
                    .unwrap_or("")
                    .starts_with("00000003")
            });
            assert_eq!(event.records.len(), 1);
            let response =
                crate::api::placement_events(&crate::testing::offline_sessions(), event).await;
            let failed: Vec<_> = response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.as_str())
                .collect();
            assert_eq!(failed, vec!["00000003-aaaa-4bbb-8ccc-dddddddddddd"]);
        }
    }

    mod reconciler {
        use aws_lambda_events::eventbridge::EventBridgeEvent;

        #[test]
        fn sample_schedule_event_decodes() {
            let e: EventBridgeEvent<serde_json::Value> =
                serde_json::from_str(include_str!("../../../events/reconciler.json")).unwrap();
            assert_eq!(e.detail_type, "Scheduled Event");
            assert_eq!(e.source, "aws.events");
        }
    }
}
