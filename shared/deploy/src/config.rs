//! The hooks' settings from environment variables, read once at start-up by `main`
//! (`from_vars`); every error names the variable. Variables that point at a resource are
//! named for it: `API_FUNCTION_VERSIONS` (the new versions of the API functions),
//! `API_URL` (the HTTP API stage). Pure: no I/O.

use std::time::Duration;

use hangar_lambda::config::{self, ConfigError, Vars};

/// `name=versionArn` pairs, comma separated: the new version of every API function
/// (`name` is its binary name, which says which checks apply).
pub const API_FUNCTION_VERSIONS_VAR: &str = "API_FUNCTION_VERSIONS";
/// Base URL of the live HTTP API stage (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`).
pub const API_URL_VAR: &str = "API_URL";
pub const INVOKE_TIMEOUT_VAR: &str = "HOOK_INVOKE_TIMEOUT_SECONDS";
pub const BUDGET_VAR: &str = "HOOK_BUDGET_SECONDS";
pub const REQUESTS_VAR: &str = "POST_TRAFFIC_REQUESTS";
pub const CONCURRENCY_VAR: &str = "POST_TRAFFIC_CONCURRENCY";
pub const MAX_ERROR_RATE_VAR: &str = "POST_TRAFFIC_MAX_ERROR_RATE";

/// A function version to check: `name` (its binary name) and its version ARN.
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
    /// `API_FUNCTION_VERSIONS` (required); `HOOK_INVOKE_TIMEOUT_SECONDS` (default 10, at
    /// least 1); `HOOK_BUDGET_SECONDS` (default 240).
    pub fn from_vars(vars: &impl Vars) -> Result<Self, ConfigError> {
        let invoke = config::parsed_or::<u64>(vars, INVOKE_TIMEOUT_VAR, 10)?;
        if invoke == 0 {
            return Err(ConfigError::invalid(
                INVOKE_TIMEOUT_VAR,
                "0",
                "must be at least 1",
            ));
        }
        Ok(Self {
            targets: targets(vars)?,
            invoke_timeout: Duration::from_secs(invoke),
            budget: Duration::from_secs(config::parsed_or::<u64>(vars, BUDGET_VAR, 240)?),
        })
    }
}

/// Reads `API_FUNCTION_VERSIONS`: at least one `name=arn:...` pair.
fn targets(vars: &impl Vars) -> Result<Vec<Target>, ConfigError> {
    let raw = config::required(vars, API_FUNCTION_VERSIONS_VAR)?;
    let bad = |pair: &str| {
        ConfigError::invalid(
            API_FUNCTION_VERSIONS_VAR,
            &raw,
            format!("`{pair}` is not name=versionArn"),
        )
    };
    let mut targets = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, arn) = pair.split_once('=').ok_or_else(|| bad(pair))?;
        let (name, arn) = (name.trim(), arn.trim());
        if name.is_empty() || !arn.starts_with("arn:") {
            return Err(bad(pair));
        }
        targets.push(Target {
            name: name.to_string(),
            arn: arn.to_string(),
        });
    }
    if targets.is_empty() {
        return Err(ConfigError::invalid(
            API_FUNCTION_VERSIONS_VAR,
            &raw,
            "names no function",
        ));
    }
    Ok(targets)
}

#[derive(Debug, Clone, PartialEq)]
pub struct PostTrafficConfig {
    /// The API functions (`API_FUNCTION_VERSIONS`): which checks apply to the function a
    /// deployment shifted, found by its function name.
    pub functions: Vec<Target>,
    /// Full URL of the live `/version` route (`API_URL` + `/version`).
    pub url: String,
    pub requests: u32,
    pub concurrency: usize,
    /// Largest tolerated share of failed requests, 0.0..=1.0.
    pub max_error_rate: f64,
    pub request_timeout: Duration,
    pub budget: Duration,
}

impl PostTrafficConfig {
    /// `API_FUNCTION_VERSIONS` (required), `API_URL` (required, http or https), `POST_TRAFFIC_REQUESTS` (default 20, 1..=1000),
    /// `POST_TRAFFIC_CONCURRENCY` (default 4), `POST_TRAFFIC_MAX_ERROR_RATE` (default 0),
    /// `HOOK_INVOKE_TIMEOUT_SECONDS` (per request, default 10), `HOOK_BUDGET_SECONDS`
    /// (default 240).
    pub fn from_vars(vars: &impl Vars) -> Result<Self, ConfigError> {
        let base = config::required(vars, API_URL_VAR)?;
        let url = format!("{}/version", base.trim().trim_end_matches('/'));
        if !(base.starts_with("https://") || base.starts_with("http://"))
            || reqwest::Url::parse(&url).is_err()
        {
            return Err(ConfigError::invalid(
                API_URL_VAR,
                &base,
                "not an http(s) URL",
            ));
        }
        let requests = config::parsed_or::<u32>(vars, REQUESTS_VAR, 20)?;
        if !(1..=1000).contains(&requests) {
            return Err(ConfigError::invalid(
                REQUESTS_VAR,
                &requests.to_string(),
                "must be 1..=1000",
            ));
        }
        let concurrency = config::parsed_or::<usize>(vars, CONCURRENCY_VAR, 4)?;
        if concurrency == 0 {
            return Err(ConfigError::invalid(
                CONCURRENCY_VAR,
                "0",
                "must be at least 1",
            ));
        }
        let max_error_rate = config::parsed_or::<f64>(vars, MAX_ERROR_RATE_VAR, 0.0)?;
        if !(0.0..=1.0).contains(&max_error_rate) {
            return Err(ConfigError::invalid(
                MAX_ERROR_RATE_VAR,
                &max_error_rate.to_string(),
                "must be between 0 and 1",
            ));
        }
        let timeout = config::parsed_or::<u64>(vars, INVOKE_TIMEOUT_VAR, 10)?;
        let budget = config::parsed_or::<u64>(vars, BUDGET_VAR, 240)?;
        Ok(Self {
            functions: targets(vars)?,
            url,
            requests,
            concurrency,
            max_error_rate,
            request_timeout: Duration::from_secs(timeout.max(1)),
            budget: Duration::from_secs(budget),
        })
    }
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
            API_FUNCTION_VERSIONS_VAR,
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
                (n == API_FUNCTION_VERSIONS_VAR).then(|| bad.to_string())
            })
            .unwrap_err()
            .to_string();
            assert!(err.contains(API_FUNCTION_VERSIONS_VAR), "{bad:?}: {err}");
        }
        let err = PreTrafficConfig::from_vars(&vars(&[
            (
                API_FUNCTION_VERSIONS_VAR,
                "version=arn:aws:lambda:r:1:function:v:1",
            ),
            (INVOKE_TIMEOUT_VAR, "0"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains(INVOKE_TIMEOUT_VAR), "{err}");
    }

    #[test]
    fn post_traffic_defaults_and_bad_values_name_the_variable() {
        let c = PostTrafficConfig::from_vars(&|n: &str| match n {
            API_URL_VAR => Some("https://api.example.com/prod/".to_string()),
            API_FUNCTION_VERSIONS_VAR => {
                Some("version=arn:aws:lambda:r:1:function:v:3".to_string())
            }
            _ => None,
        })
        .unwrap();
        assert_eq!(c.functions[0].name, "version");
        assert_eq!(c.url, "https://api.example.com/prod/version");
        assert_eq!(c.requests, 20);
        assert_eq!(c.max_error_rate, 0.0);
        for (name, value) in [
            (API_URL_VAR, "ftp://x"),
            (REQUESTS_VAR, "0"),
            (MAX_ERROR_RATE_VAR, "1.5"),
            (CONCURRENCY_VAR, "0"),
        ] {
            let vars = move |n: &str| {
                if n == name {
                    Some(value.to_string())
                } else if n == API_URL_VAR {
                    Some("https://api.example.com".to_string())
                } else if n == API_FUNCTION_VERSIONS_VAR {
                    Some("version=arn:aws:lambda:r:1:function:v:3".to_string())
                } else {
                    None
                }
            };
            let err = PostTrafficConfig::from_vars(&vars).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
    }
}
