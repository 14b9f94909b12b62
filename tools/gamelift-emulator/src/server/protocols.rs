//! The two GameLift protocols over HTTP: JSON 1.1 (`POST /` with `X-Amz-Target`) and
//! Smithy RPC v2 CBOR (`POST /service/GameLift/operation/<Operation>`), each decoding the
//! request, calling the core and encoding the answer or the error in its own format.

use crate::error::ApiError;
use crate::server::core::Core;
use crate::wire;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Clone, Copy)]
enum Protocol {
    Json,
    Cbor,
}

fn respond(protocol: Protocol, result: Result<Value, ApiError>, op: &str) -> Response {
    let (status, body, error_type) = match result {
        Ok(v) => (StatusCode::OK, v, None),
        Err(e) => {
            if e.status() >= 500 {
                tracing::warn!(operation = op, error = %e, "GameLift operation failed");
            } else {
                tracing::debug!(operation = op, error = %e, "GameLift operation refused");
            }
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                json!({"__type": e.code, "message": e.message}),
                Some(e.code),
            )
        }
    };
    let (bytes, content_type) = match protocol {
        Protocol::Json => (wire::encode_json(&body), "application/x-amz-json-1.1"),
        Protocol::Cbor => (wire::encode_cbor(&body), "application/cbor"),
    };
    let mut resp = (status, bytes).into_response();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(content_type));
    h.insert(
        "x-amzn-requestid",
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .unwrap_or(HeaderValue::from_static("0")),
    );
    if let Protocol::Cbor = protocol {
        h.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    }
    if let Some(code) = error_type {
        if let Ok(v) = HeaderValue::from_str(code) {
            h.insert("x-amzn-errortype", v);
        }
    }
    resp
}

pub(crate) async fn json_protocol(
    AxState(core): AxState<Arc<Core>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(op) = target.strip_prefix("GameLift.") else {
        let e = ApiError::new(
            "UnknownOperationException",
            format!(
                "X-Amz-Target {target:?} does not name a GameLift operation (GameLift.<Operation>)"
            ),
        );
        return respond(Protocol::Json, Err(e), target);
    };
    let result = wire::decode_json(&body).and_then(|input| core.call(op, &input));
    respond(Protocol::Json, result, op)
}

pub(crate) async fn cbor_protocol(
    AxState(core): AxState<Arc<Core>>,
    Path((service, op)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if service != "GameLift" {
        return respond(
            Protocol::Cbor,
            Err(ApiError::unknown_operation(&format!("{service}.{op}"))),
            &op,
        );
    }
    let result = wire::decode_cbor(&body).and_then(|input| core.call(&op, &input));
    respond(Protocol::Cbor, result, &op)
}
