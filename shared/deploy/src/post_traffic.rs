//! PostTraffic, after the shift of one function (CodeDeploy's deployment target): its
//! smoke checks ([`crate::smoke`]) through its live alias, now serving the new version;
//! for the version function also the live API's `/version` through its public URL, a
//! number of times: the error rate, and that this build answers.

use std::time::Duration;

use futures::stream::{self, StreamExt};

use crate::build_info::BuildInfo;
use crate::checks::CheckReport;
use crate::codedeploy::CodeDeploy;
use crate::config::PostTrafficConfig;
use crate::lambda::Lambda;

/// The PostTraffic checks: the settings, and the clients they call (CodeDeploy for the
/// deployment's target, Lambda for its alias, HTTP for the live API).
#[derive(Debug, Clone)]
pub struct PostTraffic {
    pub config: PostTrafficConfig,
    pub codedeploy: CodeDeploy,
    pub lambda: Lambda,
    pub http: reqwest::Client,
}

impl PostTraffic {
    pub fn new(
        config: PostTrafficConfig,
        codedeploy: CodeDeploy,
        lambda: Lambda,
        http: reqwest::Client,
    ) -> Self {
        PostTraffic {
            config,
            codedeploy,
            lambda,
            http,
        }
    }
}

/// The function name in a Lambda function ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`).
pub fn function_name_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(6).filter(|n| !n.is_empty())
}

/// Checks the function(s) `deployment_id` shifted.
pub async fn run(checks: &PostTraffic, deployment_id: &str, this_build: &BuildInfo) -> CheckReport {
    let mut report = CheckReport::default();
    let targets = match checks.codedeploy.lambda_targets(deployment_id).await {
        Ok(t) if !t.is_empty() => t,
        Ok(_) => {
            report.record(
                "deployment target",
                Err(format!("{deployment_id} shifts no Lambda function")),
            );
            return report;
        }
        Err(e) => {
            report.record("deployment target", Err(e.to_string()));
            return report;
        }
    };
    let config = &checks.config;
    for target in targets {
        let known = config
            .functions
            .iter()
            .find(|f| function_name_of(&f.arn) == Some(target.function_name.as_str()));
        let Some(function) = known else {
            report.record(
                &target.function_name,
                Err("not one of the API functions in API_FUNCTION_VERSIONS".into()),
            );
            continue;
        };
        let alias = format!("{}:{}", target.function_name, target.alias);
        for (name, result) in crate::pre_traffic::check_function(
            &checks.lambda,
            &function.name,
            &alias,
            config.request_timeout,
            this_build,
        )
        .await
        {
            report.record(&format!("{name} (alias {})", target.alias), result);
        }
        if function.name == "version" {
            let live = probe_version(&checks.http, config, this_build).await;
            report.passed.extend(live.passed);
            report.failed.extend(live.failed);
        }
    }
    report
}

enum Answer {
    ThisBuild,
    OtherBuild(String),
    Failed(String),
}

/// Calls the live `/version` `requests` times; checks the error rate and the version
/// that answered.
pub async fn probe_version(
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

impl crate::hook::Checks for PostTraffic {
    fn budget(&self) -> Duration {
        self.config.budget
    }

    async fn run(self, deployment_id: String) -> CheckReport {
        run(&self, &deployment_id, &BuildInfo::current()).await
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
    fn the_function_name_is_read_from_a_version_or_alias_arn() {
        assert_eq!(
            function_name_of("arn:aws:lambda:us-east-1:1:function:hangar-dev-sessions-get:7"),
            Some("hangar-dev-sessions-get")
        );
        assert_eq!(
            function_name_of("arn:aws:lambda:us-east-1:1:function:f"),
            Some("f")
        );
        assert_eq!(function_name_of("sessions-get:2"), None);
    }
}
