//! PostTraffic: call the live API's `/version` through its public URL and check the error
//! rate and that this build answers.

use std::time::Duration;

use futures::stream::{self, StreamExt};
use hangar_build_info::BuildInfo;
use hangar_lambda::config::{self, ConfigError, Vars};

use crate::checks::CheckReport;

#[derive(Debug, Clone, PartialEq)]
pub struct PostTrafficConfig {
    /// Full URL of the live `/version` route.
    pub url: String,
    pub requests: u32,
    pub concurrency: usize,
    /// Largest tolerated share of failed requests, 0.0..=1.0.
    pub max_error_rate: f64,
    pub request_timeout: Duration,
    pub budget: Duration,
}

impl PostTrafficConfig {
    /// `POST_TRAFFIC_URL` (required, http or https), `POST_TRAFFIC_REQUESTS` (default 20,
    /// 1..=1000), `POST_TRAFFIC_CONCURRENCY` (default 4), `POST_TRAFFIC_MAX_ERROR_RATE`
    /// (default 0), `HOOK_INVOKE_TIMEOUT_SECONDS` (per request, default 10),
    /// `HOOK_BUDGET_SECONDS` (default 240).
    pub fn from_vars(vars: &impl Vars) -> Result<Self, ConfigError> {
        let url = config::required(vars, "POST_TRAFFIC_URL")?;
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || reqwest::Url::parse(&url).is_err()
        {
            return Err(ConfigError::invalid(
                "POST_TRAFFIC_URL",
                &url,
                "not an http(s) URL",
            ));
        }
        let requests = config::parsed_or::<u32>(vars, "POST_TRAFFIC_REQUESTS", 20)?;
        if !(1..=1000).contains(&requests) {
            return Err(ConfigError::invalid(
                "POST_TRAFFIC_REQUESTS",
                &requests.to_string(),
                "must be 1..=1000",
            ));
        }
        let concurrency = config::parsed_or::<usize>(vars, "POST_TRAFFIC_CONCURRENCY", 4)?;
        if concurrency == 0 {
            return Err(ConfigError::invalid(
                "POST_TRAFFIC_CONCURRENCY",
                "0",
                "must be at least 1",
            ));
        }
        let max_error_rate = config::parsed_or::<f64>(vars, "POST_TRAFFIC_MAX_ERROR_RATE", 0.0)?;
        if !(0.0..=1.0).contains(&max_error_rate) {
            return Err(ConfigError::invalid(
                "POST_TRAFFIC_MAX_ERROR_RATE",
                &max_error_rate.to_string(),
                "must be between 0 and 1",
            ));
        }
        let timeout = config::parsed_or::<u64>(vars, "HOOK_INVOKE_TIMEOUT_SECONDS", 10)?;
        let budget = config::parsed_or::<u64>(vars, "HOOK_BUDGET_SECONDS", 240)?;
        Ok(Self {
            url,
            requests,
            concurrency,
            max_error_rate,
            request_timeout: Duration::from_secs(timeout.max(1)),
            budget: Duration::from_secs(budget),
        })
    }
}

enum Answer {
    ThisBuild,
    OtherBuild(String),
    Failed(String),
}

/// Sends the requests and checks the error rate and the version that answered.
pub async fn run(
    http: &reqwest::Client,
    config: &PostTrafficConfig,
    this_build: &BuildInfo,
) -> CheckReport {
    let answers: Vec<Answer> = stream::iter(0..config.requests)
        .map(|_| call(http, config, this_build))
        .buffer_unordered(config.concurrency)
        .collect()
        .await;
    let mut failures: Vec<&str> = Vec::new();
    let mut others: Vec<&str> = Vec::new();
    for answer in &answers {
        match answer {
            Answer::ThisBuild => {}
            Answer::OtherBuild(v) => others.push(v),
            Answer::Failed(reason) => failures.push(reason),
        }
    }
    let mut report = CheckReport::default();
    let rate = failures.len() as f64 / f64::from(config.requests);
    report.record(
        "error rate",
        if rate <= config.max_error_rate {
            Ok(())
        } else {
            let mut reasons: Vec<&str> = failures.clone();
            reasons.sort_unstable();
            reasons.dedup();
            Err(format!(
                "{} of {} requests failed (allowed {:.1}%): {}",
                failures.len(),
                config.requests,
                config.max_error_rate * 100.0,
                reasons.join(" | ")
            ))
        },
    );
    report.record(
        "version",
        match others.first() {
            None if failures.len() < answers.len() => Ok(()),
            None => Err("no request answered".into()),
            Some(v) => Err(format!(
                "{} of {} answers came from another version ({v}), not {} ({})",
                others.len(),
                config.requests,
                this_build.version,
                this_build.commit
            )),
        },
    );
    report
}

impl crate::hook::Checks for PostTrafficConfig {
    type Client = reqwest::Client;

    fn budget(&self) -> Duration {
        self.budget
    }

    async fn run(self, http: reqwest::Client) -> CheckReport {
        run(&http, &self, &BuildInfo::current()).await
    }
}

async fn call(
    http: &reqwest::Client,
    config: &PostTrafficConfig,
    this_build: &BuildInfo,
) -> Answer {
    let response = match http
        .get(&config.url)
        .timeout(config.request_timeout)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return Answer::Failed("timed out".into()),
        Err(e) => return Answer::Failed(format!("request failed: {}", e.without_url())),
    };
    let status = response.status();
    if !status.is_success() {
        return Answer::Failed(format!("status {}", status.as_u16()));
    }
    match response.json::<BuildInfo>().await {
        Ok(seen) if seen.same_code(this_build) => Answer::ThisBuild,
        Ok(seen) => Answer::OtherBuild(format!("{} ({})", seen.version, seen.commit)),
        Err(_) => Answer::Failed("the body is not {\"version\",\"commit\",\"buildTime\"}".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_bad_values_name_the_variable() {
        let c = PostTrafficConfig::from_vars(&|n: &str| {
            (n == "POST_TRAFFIC_URL").then(|| "https://api.example.com/version".to_string())
        })
        .unwrap();
        assert_eq!(c.requests, 20);
        assert_eq!(c.max_error_rate, 0.0);
        for (name, value) in [
            ("POST_TRAFFIC_URL", "ftp://x"),
            ("POST_TRAFFIC_REQUESTS", "0"),
            ("POST_TRAFFIC_MAX_ERROR_RATE", "1.5"),
            ("POST_TRAFFIC_CONCURRENCY", "0"),
        ] {
            let vars = move |n: &str| {
                if n == name {
                    Some(value.to_string())
                } else if n == "POST_TRAFFIC_URL" {
                    Some("https://api.example.com/version".to_string())
                } else {
                    None
                }
            };
            let err = PostTrafficConfig::from_vars(&vars).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
    }
}
