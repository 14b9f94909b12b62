//! The one place where errors become HTTP responses: a status and a JSON body
//! `{"error":{"code","message"}}`. Internal detail is logged, never sent.

use lambda_http::{http::StatusCode, Body, Request, Response};
use serde::{de::DeserializeOwned, Serialize};

/// An error a client may see: its status, a stable machine-readable code and a
/// human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Seconds for a `Retry-After` header (429 and 503).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
        }
    }
    /// 400 for a body, query or path that is not acceptable.
    pub fn bad_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }
    /// 401: no credentials or credentials that do not verify.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "Unauthorized", message)
    }
    /// 403: a known caller who may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "Forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "NotFound", message)
    }
    pub fn conflict(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Gone", message)
    }
    pub fn too_many_requests(message: impl Into<String>, retry_after: u32) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(429, "TooManyRequests", message)
        }
    }
    pub fn unavailable(message: impl Into<String>, retry_after: u32) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(503, "ServiceUnavailable", message)
        }
    }
    /// 500. `detail` goes to the log with the error; the client sees a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            500,
            "InternalError",
            "internal error; the request may be retried",
        )
    }

    /// The response for this error.
    pub fn into_response(self) -> Response<Body> {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        let mut builder = Response::builder()
            .status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .header("content-type", "application/json");
        if let Some(seconds) = self.retry_after {
            builder = builder.header("retry-after", seconds.to_string());
        }
        builder
            .body(Body::from(body.to_string()))
            .unwrap_or_else(|_| Response::new(Body::Empty))
    }
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(text) => Response::builder()
            .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
            .header("content-type", "application/json")
            .body(Body::from(text))
            .unwrap_or_else(|_| Response::new(Body::Empty)),
        Err(e) => ApiError::internal(format!("serialising a response: {e}")).into_response(),
    }
}

/// Turns a handler's result into the response API Gateway returns; never fails, so
/// every error reaches the client in the same JSON shape.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(ApiError::into_response)
}

/// Parses a JSON request body into `T`. An empty body, bad JSON, a missing or mistyped
/// field give 400 `InvalidBody` with serde's message, which names the field.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "InvalidBody",
            "the request body must be a JSON object",
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("InvalidBody", format!("invalid request body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(resp: &Response<Body>) -> serde_json::Value {
        match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn error_response_has_status_json_body_and_retry_after() {
        let resp = ApiError::unavailable("no server free", 5).into_response();
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers()["retry-after"], "5");
        assert_eq!(resp.headers()["content-type"], "application/json");
        assert_eq!(
            body_json(&resp),
            serde_json::json!({"error": {"code": "ServiceUnavailable", "message": "no server free"}})
        );
    }

    #[test]
    fn internal_error_hides_its_detail_from_the_client() {
        let resp = ApiError::internal("dynamodb said: secret table arn").into_response();
        assert_eq!(resp.status(), 500);
        assert!(!body_json(&resp).to_string().contains("secret"));
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Create {
        max_players: u32,
    }

    #[test]
    fn bad_bodies_are_400_naming_the_field() {
        let cases = [
            ("", "must be a JSON object"),
            ("{", "invalid request body"),
            ("{}", "maxPlayers"),
            (r#"{"maxPlayers":"x"}"#, "invalid type"),
            (r#"{"maxPlayers":1,"other":2}"#, "other"),
        ];
        for (body, fragment) in cases {
            let req = lambda_http::http::Request::builder()
                .body(Body::from(body))
                .unwrap();
            let err = json_body::<Create>(&req).unwrap_err();
            assert_eq!(err.status, 400);
            assert!(err.message.contains(fragment), "{body:?}: {}", err.message);
        }
        let ok = lambda_http::http::Request::builder()
            .body(Body::from(r#"{"maxPlayers":4}"#))
            .unwrap();
        assert_eq!(json_body::<Create>(&ok).unwrap().max_players, 4);
    }
}
