//! A route handler of the local API served as a Lambda function: the payload-2.0 event
//! in, through `lambda_http` (exactly as the Lambda runtime reads it) to the handler the
//! Lambda binary runs, and its response out as the payload-2.0 answer. With a
//! [`FunctionVersion`], the handler's metrics are attributed to that function version.

use std::time::Instant;

use hangar_lambda::metrics::FunctionVersion;
use lambda_http::Body;
use lambda_runtime::Diagnostic;
use local_gateway::Handler;
use serde_json::{json, Map, Value};

/// What one invocation did, for the local metrics: its duration, and whether it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invocation {
    pub duration_ms: u64,
    pub failed: bool,
}

/// Runs `handler` on `event` the way Lambda does for an HTTP API function.
pub async fn invoke(handler: &Handler, event: Value) -> Result<Value, Diagnostic> {
    let request = lambda_http::request::from_str(&event.to_string())
        .map_err(|e| Diagnostic::from(format!("the event is not an HTTP API request: {e}")))?;
    let response = handler(request)
        .await
        .map_err(|e| Diagnostic::from(e.to_string()))?;
    let (parts, body) = response.into_parts();
    let (body, base64) = match body {
        Body::Empty => (Value::Null, false),
        Body::Text(t) => (Value::String(t), false),
        Body::Binary(b) => {
            use base64::Engine;
            (
                Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
                true,
            )
        }
        _ => (Value::Null, false),
    };
    let headers: Map<String, Value> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), Value::String(v.to_str().ok()?.to_string()))))
        .collect();
    Ok(json!({
        "statusCode": parts.status.as_u16(),
        "headers": headers,
        "body": body,
        "isBase64Encoded": base64,
    }))
}

/// [`invoke`] with the handler's metrics attributed to `id`; also reports how it went.
pub async fn invoke_as(
    handler: &Handler,
    id: FunctionVersion,
    event: Value,
) -> (Result<Value, Diagnostic>, Invocation) {
    let started = Instant::now();
    let handler = handler.clone();
    // Its own task: a panicking handler is a failed invocation, as in Lambda.
    let outcome = tokio::spawn(hangar_lambda::metrics::scope(id, async move {
        invoke(&handler, event).await
    }))
    .await
    .unwrap_or_else(|e| Err(Diagnostic::from(format!("the function panicked: {e}"))));
    let invocation = Invocation {
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        failed: outcome.is_err(),
    };
    (outcome, invocation)
}
