//! Pure checks of API responses: status codes and shapes. No I/O.

use crate::build_info::BuildInfo;
use serde::Serialize;
use serde_json::Value;

/// An API Gateway payload-2.0 response as a function returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
}

/// What a good answer looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// 200 with `{"version","commit","buildTime"}` of this very build.
    ThisBuild,
    /// 200 with an array under this key (a real read of the function's table).
    List(&'static str),
    /// 404 with the project's error shape: a real lookup of an id that does not exist.
    NotFound,
    /// A 4xx with the project's error shape `{"error":{"code","message"}}`.
    ClientError,
}

/// One failed check, with the reason an operator reads in the hook's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckFailure {
    pub check: String,
    pub reason: String,
}

/// The result of every check a hook ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub passed: Vec<String>,
    pub failed: Vec<CheckFailure>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && !self.passed.is_empty()
    }

    pub fn record(&mut self, check: &str, result: Result<(), String>) {
        match result {
            Ok(()) => self.passed.push(check.to_string()),
            Err(reason) => self.failed.push(CheckFailure {
                check: check.to_string(),
                reason,
            }),
        }
    }

    /// One line for CodeDeploy's log and ours.
    pub fn summary(&self) -> String {
        let mut text = format!("{} passed, {} failed", self.passed.len(), self.failed.len());
        for f in &self.failed {
            text.push_str(&format!("; {}: {}", f.check, f.reason));
        }
        text
    }
}

/// Reads a payload-2.0 response (`{"statusCode","headers","body","isBase64Encoded"}`).
pub fn parse_api_response(payload: &[u8]) -> Result<ApiResponse, String> {
    let value: Value = serde_json::from_slice(payload)
        .map_err(|e| format!("the function's answer is not JSON: {e}"))?;
    let status = value
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .ok_or("the function's answer has no numeric statusCode")?;
    let body = match value.get("body") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(text)) => {
            let text = if value.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| "the function's body is not valid base64")?;
                String::from_utf8(bytes).map_err(|_| "the function's body is not UTF-8")?
            } else {
                text.clone()
            };
            serde_json::from_str(&text)
                .map_err(|_| "the function's body is not JSON".to_string())?
        }
        Some(_) => return Err("the function's body is not a string".into()),
    };
    Ok(ApiResponse { status, body })
}

/// Checks `response` against `expect`; `Err` says what is wrong.
pub fn check(expect: Expect, response: &ApiResponse, this_build: &BuildInfo) -> Result<(), String> {
    match expect {
        Expect::ThisBuild => {
            expect_status(response, 200)?;
            let seen: BuildInfo = serde_json::from_value(response.body.clone()).map_err(|_| {
                "the body is not {\"version\",\"commit\",\"buildTime\"}".to_string()
            })?;
            if seen.same_code(this_build) {
                Ok(())
            } else {
                Err(format!(
                    "it reports version {} ({}), not the version being deployed, {} ({})",
                    seen.version, seen.commit, this_build.version, this_build.commit
                ))
            }
        }
        Expect::List(key) => {
            expect_status(response, 200)?;
            match response.body.get(key) {
                Some(Value::Array(_)) => Ok(()),
                _ => Err(format!("the body has no \"{key}\" array")),
            }
        }
        Expect::NotFound => {
            expect_status(response, 404)?;
            error_shape(response)
        }
        Expect::ClientError => {
            if !(400..500).contains(&response.status) {
                return Err(format!("status {}, expected a 4xx", response.status));
            }
            error_shape(response)
        }
    }
}

/// The body is `{"error":{"code","message"}}` with both non-empty.
fn error_shape(response: &ApiResponse) -> Result<(), String> {
    let error = response.body.get("error");
    let code = error.and_then(|e| e.get("code")).and_then(Value::as_str);
    let message = error.and_then(|e| e.get("message")).and_then(Value::as_str);
    match (code, message) {
        (Some(c), Some(m)) if !c.is_empty() && !m.is_empty() => Ok(()),
        _ => Err("the body is not {\"error\":{\"code\",\"message\"}}".into()),
    }
}

fn expect_status(response: &ApiResponse, status: u16) -> Result<(), String> {
    if response.status == status {
        Ok(())
    } else {
        Err(format!("status {}, expected {status}", response.status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn this() -> BuildInfo {
        BuildInfo {
            version: "1.2.0".into(),
            commit: "abc".into(),
            build_time: "2026-01-01T00:00:00Z".into(),
        }
    }

    fn resp(status: u16, body: Value) -> ApiResponse {
        ApiResponse { status, body }
    }

    #[test]
    fn version_check_passes_only_for_this_build() {
        let good =
            json!({"version": "1.2.0", "commit": "abc", "buildTime": "2026-02-02T00:00:00Z"});
        assert_eq!(
            check(Expect::ThisBuild, &resp(200, good.clone()), &this()),
            Ok(())
        );
        let old = json!({"version": "1.1.0", "commit": "old", "buildTime": "x"});
        let err = check(Expect::ThisBuild, &resp(200, old), &this()).unwrap_err();
        assert!(err.contains("1.1.0"), "{err}");
        assert!(check(Expect::ThisBuild, &resp(500, good), &this()).is_err());
        assert!(check(Expect::ThisBuild, &resp(200, json!({"v": 1})), &this()).is_err());
    }

    #[test]
    fn list_and_error_shapes_are_checked() {
        assert!(check(
            Expect::List("sessions"),
            &resp(200, json!({"sessions": []})),
            &this()
        )
        .is_ok());
        assert!(check(
            Expect::List("sessions"),
            &resp(200, json!({"items": []})),
            &this()
        )
        .is_err());
        assert!(check(
            Expect::List("sessions"),
            &resp(403, json!({"sessions": []})),
            &this()
        )
        .is_err());
        let e = json!({"error": {"code": "unauthorized", "message": "sign in"}});
        assert!(check(Expect::ClientError, &resp(401, e.clone()), &this()).is_ok());
        assert!(check(Expect::ClientError, &resp(500, e), &this()).is_err());
        assert!(check(
            Expect::ClientError,
            &resp(401, json!({"message": "x"})),
            &this()
        )
        .is_err());
    }

    #[test]
    fn not_found_needs_a_404_with_the_error_shape() {
        let e = json!({"error": {"code": "NotFound", "message": "no such session"}});
        assert!(check(Expect::NotFound, &resp(404, e.clone()), &this()).is_ok());
        let err = check(Expect::NotFound, &resp(500, e.clone()), &this()).unwrap_err();
        assert!(err.contains("status 500"), "{err}");
        assert!(check(Expect::NotFound, &resp(400, e), &this()).is_err());
        assert!(check(
            Expect::NotFound,
            &resp(404, json!({"message": "Not Found"})),
            &this()
        )
        .is_err());
    }

    #[test]
    fn payload_v2_responses_are_read_with_text_or_base64_bodies() {
        let text = br#"{"statusCode":200,"headers":{},"body":"{\"a\":1}","isBase64Encoded":false}"#;
        assert_eq!(
            parse_api_response(text).unwrap(),
            resp(200, json!({"a": 1}))
        );
        let b64 = br#"{"statusCode":201,"body":"eyJhIjoyfQ==","isBase64Encoded":true}"#;
        assert_eq!(parse_api_response(b64).unwrap(), resp(201, json!({"a": 2})));
        assert!(parse_api_response(b"not json").is_err());
        assert!(parse_api_response(br#"{"body":"{}"}"#).is_err());
        assert!(parse_api_response(br#"{"statusCode":200,"body":"<html>"}"#).is_err());
    }

    #[test]
    fn report_is_ok_only_with_checks_and_no_failures() {
        let mut r = CheckReport::default();
        assert!(!r.ok(), "no checks is not a pass");
        r.record("a", Ok(()));
        assert!(r.ok());
        r.record("b", Err("bad".into()));
        assert!(!r.ok());
        assert_eq!(r.summary(), "1 passed, 1 failed; b: bad");
    }
}
