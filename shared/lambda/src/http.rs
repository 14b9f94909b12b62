//! The one place where errors become HTTP responses: a status and a JSON body
//! `{"error":{"code","message"}}`. Internal detail is logged, never sent. Every
//! unexpected failure (a 5xx nobody designed) is also counted in the
//! `Hangar/UnexpectedErrors` metric ([`crate::metrics`]), which gates deployments;
//! designed answers (4xx, a 503 asking to retry later) are not.

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

    /// A failure nobody designed: a 5xx, except a 503 that asks the client to retry
    /// later ([`ApiError::unavailable`]: no free server, busy, throttled).
    pub fn is_unexpected(&self) -> bool {
        self.status >= 500 && !(self.status == 503 && self.retry_after.is_some())
    }

    /// The response for this error; an unexpected one is counted first.
    pub fn into_response(self) -> Response<Body> {
        if self.is_unexpected() {
            crate::metrics::count(crate::metrics::UNEXPECTED_ERRORS);
        }
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

    /// Lines the metric sink received for `function`, counted while `f` ran in its scope.
    async fn unexpected_errors_while<F: std::future::Future<Output = ()>>(
        function: &str,
        f: F,
    ) -> usize {
        use std::sync::{Mutex, OnceLock};
        static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
        let lines = LINES.get_or_init(Default::default);
        crate::metrics::set_sink(|line| {
            if let Some(lines) = LINES.get() {
                lines
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line.to_string());
            }
        });
        let id = crate::metrics::FunctionVersion {
            function: function.to_string(),
            version: "1".into(),
        };
        crate::metrics::scope(id, f).await;
        let needle = format!("\"FunctionName\":\"{function}\"");
        let lines = lines.lock().unwrap();
        lines
            .iter()
            .filter(|l| l.contains(&needle) && l.contains("\"UnexpectedErrors\":1"))
            .count()
    }

    #[tokio::test]
    async fn designed_answers_are_not_counted_as_unexpected_errors() {
        let counted = unexpected_errors_while("designed", async {
            for e in [
                ApiError::bad_request("InvalidBody", "x"),
                ApiError::unauthorized("sign in"),
                ApiError::forbidden("no"),
                ApiError::not_found("none"),
                ApiError::conflict("SessionFull", "full"),
                ApiError::gone("ended"),
                ApiError::too_many_requests("slow down", 1),
                ApiError::unavailable("no game server has a free slot", 5),
            ] {
                assert!(!e.is_unexpected(), "{e}");
                respond(Err(e));
            }
        })
        .await;
        assert_eq!(counted, 0);
    }

    #[tokio::test]
    async fn an_internal_error_or_an_undesigned_5xx_is_counted_once_each() {
        let counted = unexpected_errors_while("faulty", async {
            respond(Err(ApiError::internal("the table does not exist")));
            respond(Err(ApiError::new(
                503,
                "ServiceUnavailable",
                "no retry asked",
            )));
            respond(Ok(json(200, &serde_json::json!({}))));
        })
        .await;
        assert_eq!(counted, 2);
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
