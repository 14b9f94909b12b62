//! PreTraffic: invoke the new version of every API function directly and check its answers.

use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use futures::future::join_all;
use hangar_build_info::BuildInfo;
use hangar_lambda::config::{self, ConfigError, Vars};

use crate::checks::{check, parse_api_response, CheckReport, Expect};

/// `GET /version`, no authorizer (public route).
pub const VERSION_EVENT: &str = include_str!("../../../events/version.json");
/// `GET /v1/sessions` as a signed-in player: a real read of the sessions table.
pub const SESSIONS_LIST_EVENT: &str = include_str!("../../../events/sessions-list.json");
/// A request without an authorizer: every protected function must refuse it with the
/// project's error shape, before doing any work (no writes during a deployment check).
pub const ANONYMOUS_EVENT: &str = include_str!("../../../events/hook-anonymous.json");

/// A function version to check: `name` (the function crate's name) and its version ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreTrafficConfig {
    pub targets: Vec<Target>,
    /// Time allowed for one invocation.
    pub invoke_timeout: Duration,
    /// Time allowed for all checks (also capped by the Lambda deadline).
    pub budget: Duration,
}

impl PreTrafficConfig {
    /// `HOOK_TARGETS`: `name=versionArn` pairs separated by commas (required);
    /// `HOOK_INVOKE_TIMEOUT_SECONDS` (default 10); `HOOK_BUDGET_SECONDS` (default 240).
    pub fn from_vars(vars: &impl Vars) -> Result<Self, ConfigError> {
        let raw = config::required(vars, "HOOK_TARGETS")?;
        let mut targets = Vec::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, arn)) = pair.split_once('=') else {
                return Err(ConfigError::invalid(
                    "HOOK_TARGETS",
                    &raw,
                    format!("`{pair}` is not name=versionArn"),
                ));
            };
            let (name, arn) = (name.trim(), arn.trim());
            if name.is_empty() || !arn.starts_with("arn:") {
                return Err(ConfigError::invalid(
                    "HOOK_TARGETS",
                    &raw,
                    format!("`{pair}` is not name=versionArn"),
                ));
            }
            targets.push(Target {
                name: name.to_string(),
                arn: arn.to_string(),
            });
        }
        if targets.is_empty() {
            return Err(ConfigError::invalid(
                "HOOK_TARGETS",
                &raw,
                "names no function",
            ));
        }
        let invoke = config::parsed_or::<u64>(vars, "HOOK_INVOKE_TIMEOUT_SECONDS", 10)?;
        let budget = config::parsed_or::<u64>(vars, "HOOK_BUDGET_SECONDS", 240)?;
        if invoke == 0 {
            return Err(ConfigError::invalid(
                "HOOK_INVOKE_TIMEOUT_SECONDS",
                "0",
                "must be at least 1",
            ));
        }
        Ok(Self {
            targets,
            invoke_timeout: Duration::from_secs(invoke),
            budget: Duration::from_secs(budget),
        })
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
    lambda: &aws_sdk_lambda::Client,
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

impl crate::hook::Checks for PreTrafficConfig {
    type Client = aws_sdk_lambda::Client;

    fn budget(&self) -> Duration {
        self.budget
    }

    async fn run(self, lambda: aws_sdk_lambda::Client) -> CheckReport {
        run(&lambda, &self, &BuildInfo::current()).await
    }
}

async fn invoke(
    lambda: &aws_sdk_lambda::Client,
    arn: &str,
    event: &str,
) -> Result<Vec<u8>, String> {
    let out = lambda
        .invoke()
        .function_name(arn)
        .payload(Blob::new(event.as_bytes()))
        .send()
        .await
        .map_err(|e| {
            format!(
                "invoking {arn} failed: {}",
                aws_sdk_lambda::error::DisplayErrorContext(e)
            )
        })?;
    let payload = out
        .payload()
        .map(|p| p.as_ref().to_vec())
        .unwrap_or_default();
    if let Some(kind) = out.function_error() {
        let detail: serde_json::Value = serde_json::from_slice(&payload).unwrap_or_default();
        let message = detail
            .get("errorMessage")
            .and_then(|m| m.as_str())
            .unwrap_or("no message");
        return Err(format!("the function failed ({kind}): {message}"));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn targets_are_read_from_name_arn_pairs() {
        let c = PreTrafficConfig::from_vars(&vars(&[(
            "HOOK_TARGETS",
            "version=arn:aws:lambda:us-east-1:1:function:v:7, sessions-list=arn:aws:lambda:us-east-1:1:function:l:3",
        )]))
        .unwrap();
        assert_eq!(c.targets.len(), 2);
        assert_eq!(c.targets[1].name, "sessions-list");
        assert_eq!(c.targets[1].arn, "arn:aws:lambda:us-east-1:1:function:l:3");
        assert_eq!(c.invoke_timeout, Duration::from_secs(10));
    }

    #[test]
    fn bad_targets_name_the_variable() {
        for bad in ["", "version", "version=notarn", "=arn:x", " , "] {
            let err = PreTrafficConfig::from_vars(&move |n: &str| {
                (n == "HOOK_TARGETS").then(|| bad.to_string())
            })
            .unwrap_err()
            .to_string();
            assert!(err.contains("HOOK_TARGETS"), "{bad:?}: {err}");
        }
    }

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
