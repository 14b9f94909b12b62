//! PreTraffic: before any traffic shifts, invoke the new version of every API function
//! directly with its smoke-test requests ([`crate::smoke`]) and check its answers: a
//! version that cannot reach its table or lacks a permission answers 500 (or fails) on
//! its read path and fails the hook.

use std::time::Duration;

use futures::future::join_all;

use crate::build_info::BuildInfo;
use crate::checks::{check, parse_api_response, CheckReport};
use crate::config::PreTrafficConfig;
use crate::lambda::Lambda;
use crate::smoke;

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

/// Runs the smoke checks of `name` (a binary name) against `function` (a version or
/// alias ARN, or `name:qualifier`), concurrently; one result per check, and a failure
/// when the table knows no checks for `name`.
pub async fn check_function(
    lambda: &Lambda,
    name: &str,
    function: &str,
    invoke_timeout: Duration,
    this_build: &BuildInfo,
) -> Vec<(String, Result<(), String>)> {
    let checks = smoke::checks_for(name);
    if checks.is_empty() {
        return vec![(
            name.to_string(),
            Err(format!("no smoke checks are known for {name}")),
        )];
    }
    let calls = checks.into_iter().map(|c| async move {
        let event = c.request.event(hangar_lambda::clock::now_ms()).to_string();
        let result =
            match tokio::time::timeout(invoke_timeout, invoke(lambda, function, &event)).await {
                Ok(Ok(payload)) => {
                    parse_api_response(&payload).and_then(|r| check(c.expect, &r, this_build))
                }
                Ok(Err(e)) => Err(e),
                Err(_) => Err(format!("no answer within {} s", invoke_timeout.as_secs())),
            };
        (c.name, result)
    });
    join_all(calls).await
}

/// Checks every target, concurrently; every check is recorded.
pub async fn run(
    lambda: &Lambda,
    config: &PreTrafficConfig,
    this_build: &BuildInfo,
) -> CheckReport {
    let calls = config.targets.iter().map(|target| {
        check_function(
            lambda,
            &target.name,
            &target.arn,
            config.invoke_timeout,
            this_build,
        )
    });
    let mut report = CheckReport::default();
    for (name, result) in join_all(calls).await.into_iter().flatten() {
        report.record(&name, result);
    }
    report
}

impl crate::hook::Checks for PreTraffic {
    fn budget(&self) -> Duration {
        self.config.budget
    }

    async fn run(self, _deployment_id: String) -> CheckReport {
        run(&self.lambda, &self.config, &BuildInfo::current()).await
    }
}

/// The function's answer, or why there is none (the Invoke call failed, or the function
/// itself failed: Lambda's `FunctionError` with its `errorMessage`).
async fn invoke(lambda: &Lambda, function: &str, event: &str) -> Result<Vec<u8>, String> {
    let invoked = lambda
        .invoke(function, event.as_bytes())
        .await
        .map_err(|e| format!("invoking {function} failed: {e}"))?;
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
