//! The sessions area in the local stack: its table, its routes in the local API (the same
//! handlers the Lambda functions run), the SQS poller that feeds the placement-events
//! consumer as Lambda's event source mapping does, and the reconciler on a timer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use aws_types::origin::Origin;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use aws_types::SdkConfig;
use hangar_sessions::config::{self, Need};
use hangar_sessions::Sessions;
use lambda_http::http::Method;
use lambda_http::Request;
use rand::RngCore;
use tokio::task::JoinHandle;

use super::resource_names::DevResources;
use local_gateway::{handler, Authorizer, Route};

/// Key of the sessions table in [`DevResources::tables`].
pub const AREA: &str = "sessions";

/// Creates the sessions table (schema from `hangar-sessions`, as template.yaml declares it).
pub async fn create_table(
    dynamodb: &aws_sdk_dynamodb::Client,
    prefix: &str,
) -> Result<String, String> {
    hangar_sessions::store::ensure_table(dynamodb, &format!("{prefix}-sessions"))
        .await
        .map_err(|e| e.to_string())
}

/// GameLift's endpoint for clients built from an [`SdkConfig`], as
/// `AWS_ENDPOINT_URL_GAMELIFT` gives it in a deployed function's environment.
#[derive(Debug)]
struct GameLiftEndpoint(String);

impl LoadServiceConfig for GameLiftEndpoint {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        (key.service_id() == "GameLift" && key.env() == "AWS_ENDPOINT_URL").then(|| self.0.clone())
    }
}

/// The variables the sessions functions get from the template, for the local stack:
/// its table, queue and alias, and fresh cursor and server-credential secrets for this
/// run.
pub fn vars(resources: &DevResources) -> Option<BTreeMap<&'static str, String>> {
    let table = resources.tables.get(AREA)?.clone();
    let secret = || {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let mut vars = BTreeMap::from([
        (config::TABLE_VAR, table),
        (config::QUEUE_VAR, resources.game_session_queue_name.clone()),
        (config::CURSOR_SECRET_VAR, secret()),
        (config::CREDENTIAL_SECRET_VAR, secret()),
    ]);
    if !resources.alias_id.is_empty() {
        vars.insert(config::ALIAS_VAR, resources.alias_id.clone());
    }
    // The template's setting, from the environment of `hangar dev` as a Lambda would get it.
    if let Ok(shards) = std::env::var(config::LISTING_SHARDS_VAR) {
        vars.insert(config::LISTING_SHARDS_VAR, shards);
    }
    Some(vars)
}

/// The sessions operations wired to the local stack (DynamoDB on moto, GameLift on the
/// emulator), configured through [`Sessions::from_vars`] as the functions are. `None`
/// when the stack has no sessions table.
pub fn build(
    sdk: &SdkConfig,
    gamelift_endpoint: &str,
    resources: &DevResources,
) -> Option<Sessions> {
    let vars = vars(resources)?;
    // The local stack's one endpoint for every service stands where AWS_ENDPOINT_URL
    // would, so the GameLift endpoint wins for GameLift, as AWS_ENDPOINT_URL_GAMELIFT does.
    let mut builder = sdk.to_builder();
    builder.insert_origin("endpoint_url", Origin::shared_environment_variable());
    let sdk = builder
        .service_config(GameLiftEndpoint(gamelift_endpoint.to_string()))
        .build();
    let lookup = |name: &str| vars.get(name).cloned();
    let needs = [Need::Queue, Need::CursorKey, Need::ServerCredential];
    match Sessions::from_vars(&lookup, &sdk, &needs) {
        Ok(sessions) => Some(sessions),
        Err(e) => {
            tracing::error!(error = %e, "configuring the sessions area");
            None
        }
    }
}

macro_rules! route {
    ($method:expr, $path:expr, $auth:expr, $s:expr, $f:path) => {{
        let s = Arc::clone(&$s);
        Route::new(
            $method,
            $path,
            $auth,
            handler(move |req: Request| {
                let s = Arc::clone(&s);
                async move { $f(&s, req).await }
            }),
        )
    }};
}

/// The sessions API and the server API, with their authorizers as in template.yaml.
pub fn routes(sessions: Sessions) -> Vec<Route> {
    let s = Arc::new(sessions);
    vec![
        route!(
            Method::POST,
            "/v1/sessions",
            Authorizer::Player,
            s,
            hangar_sessions::api::create
        ),
        route!(
            Method::GET,
            "/v1/sessions",
            Authorizer::Player,
            s,
            hangar_sessions::api::list
        ),
        route!(
            Method::GET,
            "/v1/sessions/{sessionId}",
            Authorizer::Player,
            s,
            hangar_sessions::api::get
        ),
        route!(
            Method::POST,
            "/v1/sessions/{sessionId}/join",
            Authorizer::Player,
            s,
            hangar_sessions::api::join
        ),
        route!(
            Method::GET,
            "/v1/placements/{placementId}",
            Authorizer::Player,
            s,
            hangar_sessions::api::placement_status
        ),
        route!(
            Method::PUT,
            "/v1/server/sessions/{sessionId}",
            Authorizer::Server,
            s,
            hangar_sessions::api::server_update
        ),
        route!(
            Method::DELETE,
            "/v1/server/sessions/{sessionId}",
            Authorizer::Server,
            s,
            hangar_sessions::api::server_end
        ),
    ]
}

/// What one poll did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PollOutcome {
    pub received: usize,
    pub deleted: usize,
    pub failed: usize,
}

/// Receives up to 10 messages, hands them to the consumer as one `SqsEvent`, and deletes
/// only the ones not reported in `batchItemFailures`: the others become visible again
/// and, after the queue's maxReceiveCount, move to its dead-letter queue.
pub async fn poll_once(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    queue_arn: &str,
    sessions: &Sessions,
    wait_seconds: i32,
) -> Result<PollOutcome, String> {
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
    let messages = out.messages();
    if messages.is_empty() {
        return Ok(PollOutcome::default());
    }
    let region = sqs.config().region().map(|r| r.to_string());
    let mut event = SqsEvent::default();
    let mut handles: HashMap<String, String> = HashMap::new();
    for m in messages {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id().map(str::to_string);
        record.receipt_handle = m.receipt_handle().map(str::to_string);
        record.body = m.body().map(str::to_string);
        record.md5_of_body = m.md5_of_body().map(str::to_string);
        record.attributes = m
            .attributes()
            .map(|a| {
                a.iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        record.event_source = Some("aws:sqs".into());
        record.event_source_arn = Some(queue_arn.to_string());
        record.aws_region = region.clone();
        if let (Some(id), Some(handle)) = (m.message_id(), m.receipt_handle()) {
            handles.insert(id.to_string(), handle.to_string());
        }
        event.records.push(record);
    }
    let received = event.records.len();
    let response = hangar_sessions::api::placement_events(sessions, event).await;
    let failed: HashSet<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    let entries: Vec<DeleteMessageBatchRequestEntry> = handles
        .iter()
        .filter(|(id, _)| !failed.contains(id.as_str()))
        .enumerate()
        .filter_map(|(i, (_, handle))| {
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("m{i}"))
                .receipt_handle(handle)
                .build()
                .ok()
        })
        .collect();
    let deleted = entries.len();
    if !entries.is_empty() {
        sqs.delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
    }
    Ok(PollOutcome {
        received,
        deleted,
        failed: failed.len(),
    })
}

/// Polls the placement-events queue until aborted.
pub fn spawn_poller(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    sessions: Sessions,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match poll_once(&sqs, &queue_url, &queue_arn, &sessions, 1).await {
                Ok(o) if o.received > 0 => tracing::debug!(?o, "placement events"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "polling placement events");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

/// Runs the reconciler every `every` until aborted.
pub fn spawn_reconciler(sessions: Sessions, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match hangar_sessions::api::reconcile(&sessions).await {
                Ok(report) => tracing::debug!(?report, "reconciler"),
                Err(e) => tracing::warn!(error = %e, "reconciler"),
            }
        }
    })
}

/// The poller and the reconciler of a running local stack.
pub fn spawn_background(
    sdk: &SdkConfig,
    gamelift_endpoint: &str,
    resources: &DevResources,
) -> Vec<JoinHandle<()>> {
    let Some(sessions) = build(sdk, gamelift_endpoint, resources) else {
        return Vec::new();
    };
    vec![
        spawn_poller(
            aws_sdk_sqs::Client::new(sdk),
            resources.placement_queue_url.clone(),
            resources.placement_queue_arn.clone(),
            sessions.clone(),
        ),
        spawn_reconciler(sessions, Duration::from_secs(60)),
    ]
}

/// Points the emulator's simulated game servers at the local server API, as game servers
/// hosting Hangar's sessions call it: with a server token (the IAM stand-in), the
/// session's credential from its game properties, and the API's session id.
pub async fn wire_game_servers(
    gamelift_url: &str,
    api_url: &str,
    server_token: &str,
) -> Result<(), String> {
    gamelift_emulator::AdminClient::new(gamelift_url)
        .game_servers(serde_json::json!({
            "callbackUrl": api_url,
            "serverToken": server_token,
            "callbackCredential": {
                "property": hangar_sessions::credential::PROPERTY,
                "header": hangar_sessions::credential::HEADER,
            },
            "callbackSessionId": "base64Url",
        }))
        .await
        .map(|_| ())
        .map_err(|e| format!("wiring the simulated game servers: {e}"))
}

/// The server credential of `session` (an API session id or a GameLift game session
/// ARN) in the running local stack: what GameLift handed the game server hosting it.
pub async fn server_credential(info: &super::DevInfo, session: &str) -> Result<String, String> {
    let arn =
        hangar_sessions::ids::decode_session_id(session).unwrap_or_else(|_| session.to_string());
    let sdk = super::local_sdk_config(&info.moto_url, &info.region).await;
    let gamelift = aws_sdk_gamelift::Client::from_conf(
        aws_sdk_gamelift::config::Builder::from(&sdk)
            .endpoint_url(&info.gamelift_url)
            .build(),
    );
    let out = gamelift
        .describe_game_sessions()
        .game_session_id(&arn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "session {session}: {}",
                aws_sdk_gamelift::error::DisplayErrorContext(e)
            )
        })?;
    out.game_sessions()
        .first()
        .and_then(|g| {
            g.game_properties()
                .iter()
                .find(|p| p.key() == Some(hangar_sessions::credential::PROPERTY))
                .and_then(|p| p.value())
        })
        .map(str::to_string)
        .ok_or_else(|| {
            format!("session {session}: no such game session placed by Hangar in this stack")
        })
}
