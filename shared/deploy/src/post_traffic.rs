//! PostTraffic: call the live API's `/version` through its public URL and check the error
//! rate and that this build answers.

use std::time::Duration;

use crate::build_info::BuildInfo;
use crate::checks::CheckReport;
use crate::config::PostTrafficConfig;
use futures::stream::{self, StreamExt};

/// The PostTraffic checks: the settings and the HTTP client that calls the live API.
#[derive(Debug, Clone)]
pub struct PostTraffic {
    pub config: PostTrafficConfig,
    pub http: reqwest::Client,
}

impl PostTraffic {
    pub fn new(config: PostTrafficConfig, http: reqwest::Client) -> Self {
        PostTraffic { config, http }
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

impl crate::hook::Checks for PostTraffic {
    fn budget(&self) -> Duration {
        self.config.budget
    }

    async fn run(self) -> CheckReport {
        run(&self.http, &self.config, &BuildInfo::current()).await
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
