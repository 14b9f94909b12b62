//! PreTraffic: before any traffic shifts, invoke the new version of every API function
//! directly and check its answers.

use std::time::Duration;

use futures::future::join_all;

use crate::build_info::BuildInfo;
use crate::checks::{check, parse_api_response, CheckReport, Expect};
use crate::config::PreTrafficConfig;
use crate::lambda::Lambda;

/// `GET /version`, no authorizer (public route).
pub const VERSION_EVENT: &str = include_str!("../../../events/version.json");
/// `GET /v1/sessions` as a signed-in player: a real read of the sessions table.
pub const SESSIONS_LIST_EVENT: &str = include_str!("../../../events/sessions-list.json");
/// A request without an authorizer: every protected function must refuse it with the
/// project's error shape, before doing any work (no writes during a deployment check).
pub const ANONYMOUS_EVENT: &str = include_str!("../../../events/hook-anonymous.json");

/// The PreTraffic checks: the settings and the Lambda client that invokes the versions.
#[derive(Debug, Clone)]
pub struct PreTraffic {
    pub config: PreTrafficConfig,
    pub lambda: Lambda,
}

impl PreTraffic {
    pub fn new(config: PreTrafficConfig, lambda: Lambda) -> Self {
        PreTraffic { config, lambda }
    }
}

/// The requests sent to a function and what its answers must look like.
pub fn checks_for(target: &str) -> Vec<(&'static str, &'static str, Expect)> {
    match target {
        "version" => vec![("GET /version", VERSION_EVENT, Expect::ThisBuild)],
        "sessions-list" => vec![
            ("GET /v1/sessions", SESSIONS_LIST_EVENT, Expect::SessionList),
            (
                "anonymous request refused",
                ANONYMOUS_EVENT,
                Expect::ClientError,
            ),
        ],
        _ => vec![(
            "anonymous request refused",
            ANONYMOUS_EVENT,
            Expect::ClientError,
        )],
    }
}

/// Invokes every target with its checks' requests, concurrently; every check is recorded.
pub async fn run(
    lambda: &Lambda,
    config: &PreTrafficConfig,
    this_build: &BuildInfo,
) -> CheckReport {
    let calls = config.targets.iter().flat_map(|target| {
        checks_for(&target.name)
            .into_iter()
            .map(move |(what, event, expect)| async move {
                let name = format!("{} {what}", target.name);
                let result = match tokio::time::timeout(
                    config.invoke_timeout,
                    invoke(lambda, &target.arn, event),
                )
                .await
                {
                    Ok(Ok(payload)) => {
                        parse_api_response(&payload).and_then(|r| check(expect, &r, this_build))
                    }
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(format!(
                        "no answer within {} s",
                        config.invoke_timeout.as_secs()
                    )),
                };
                (name, result)
            })
    });
    let mut report = CheckReport::default();
    for (name, result) in join_all(calls).await {
        report.record(&name, result);
    }
    report
}

impl crate::hook::Checks for PreTraffic {
    fn budget(&self) -> Duration {
        self.config.budget
    }

    async fn run(self) -> CheckReport {
        run(&self.lambda, &self.config, &BuildInfo::current()).await
    }
}

/// The function's answer, or why there is none (the Invoke call failed, or the function
/// itself failed: Lambda's `FunctionError` with its `errorMessage`).
async fn invoke(lambda: &Lambda, arn: &str, event: &str) -> Result<Vec<u8>, String> {
    let invoked = lambda
        .invoke(arn, event.as_bytes())
        .await
        .map_err(|e| format!("invoking {arn} failed: {e}"))?;
    if let Some(kind) = invoked.function_error {
        let detail: serde_json::Value =
            serde_json::from_slice(&invoked.payload).unwrap_or_default();
        let message = detail
            .get("errorMessage")
            .and_then(|m| m.as_str())
            .unwrap_or("no message");
        return Err(format!("the function failed ({kind}): {message}"));
    }
    Ok(invoked.payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_events_are_payload_v2_requests() {
        for event in [VERSION_EVENT, SESSIONS_LIST_EVENT, ANONYMOUS_EVENT] {
            lambda_http_request(event);
        }
        let anonymous: serde_json::Value = serde_json::from_str(ANONYMOUS_EVENT).unwrap();
        assert!(anonymous["requestContext"].get("authorizer").is_none());
    }

    fn lambda_http_request(event: &str) {
        let v: serde_json::Value = serde_json::from_str(event).unwrap();
        assert_eq!(v["version"], "2.0");
        assert!(v["requestContext"]["http"]["method"].is_string());
    }
}
