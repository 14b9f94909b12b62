//! Running a traffic hook: the checks under a time budget, then exactly one report to
//! CodeDeploy, whatever happened (checks failed, errored, crashed or ran out of time).

use std::future::Future;
use std::time::Duration;

use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use aws_sdk_codedeploy::types::LifecycleEventStatus;

use crate::checks::CheckReport;

/// What the hook told CodeDeploy, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    Succeeded(String),
    Failed(String),
}

impl HookOutcome {
    pub fn status(&self) -> LifecycleEventStatus {
        match self {
            HookOutcome::Succeeded(_) => LifecycleEventStatus::Succeeded,
            HookOutcome::Failed(_) => LifecycleEventStatus::Failed,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            HookOutcome::Succeeded(r) | HookOutcome::Failed(r) => r,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("the lifecycle event has no {0}")]
    BadEvent(&'static str),
    #[error("reporting {status:?} to CodeDeploy failed: {message}")]
    Report {
        status: LifecycleEventStatus,
        message: String,
    },
}

/// Time kept back from the Lambda deadline for the report to CodeDeploy.
pub const REPORT_MARGIN: Duration = Duration::from_secs(5);

/// The time a hook may spend on its checks: `configured`, but never past the Lambda
/// deadline less `margin` (kept for the report itself).
pub fn budget(configured: Duration, deadline_epoch_ms: u64, margin: Duration) -> Duration {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    if deadline_epoch_ms == 0 {
        return configured;
    }
    let left = Duration::from_millis(deadline_epoch_ms.saturating_sub(now_ms));
    configured.min(left.saturating_sub(margin))
}

/// Runs `checks` for at most `budget`, then reports the outcome to CodeDeploy for `event`.
/// The checks run in their own task, so a crash in them is reported as a failure too.
pub async fn run_hook<F>(
    codedeploy: &aws_sdk_codedeploy::Client,
    event: &CodeDeployLifecycleEvent,
    budget: Duration,
    checks: F,
) -> Result<HookOutcome, HookError>
where
    F: Future<Output = Result<CheckReport, String>> + Send + 'static,
{
    if event.deployment_id.is_empty() {
        return Err(HookError::BadEvent("DeploymentId"));
    }
    if event.lifecycle_event_hook_execution_id.is_empty() {
        return Err(HookError::BadEvent("LifecycleEventHookExecutionId"));
    }
    let mut task = tokio::spawn(checks);
    let outcome = match tokio::time::timeout(budget, &mut task).await {
        Ok(Ok(Ok(report))) if report.ok() => HookOutcome::Succeeded(report.summary()),
        Ok(Ok(Ok(report))) => HookOutcome::Failed(report.summary()),
        Ok(Ok(Err(e))) => HookOutcome::Failed(format!("the hook could not run its checks: {e}")),
        Ok(Err(e)) => HookOutcome::Failed(format!("the hook's checks crashed: {e}")),
        Err(_) => {
            task.abort();
            HookOutcome::Failed(format!(
                "the checks did not finish within the hook's budget of {} ms",
                budget.as_millis()
            ))
        }
    };
    report(codedeploy, event, &outcome).await?;
    Ok(outcome)
}

/// The checks of one kind of hook, built from its configuration.
pub trait Checks: Clone + Send + Sync + 'static {
    /// What the checks call: the Lambda client, an HTTP client, ...
    type Client: Clone + Send + Sync + 'static;
    /// Time the checks may take (capped by the Lambda deadline).
    fn budget(&self) -> Duration;
    fn run(self, client: Self::Client) -> impl Future<Output = CheckReport> + Send;
}

/// A hook's whole invocation: with a good configuration, its checks under the configured
/// budget (capped by the Lambda deadline); with a bad one, no checks and a Failed report
/// naming the problem. Either way CodeDeploy hears back.
pub async fn handle<C: Checks>(
    codedeploy: &aws_sdk_codedeploy::Client,
    client: &C::Client,
    config: &Result<C, hangar_lambda::ConfigError>,
    event: &CodeDeployLifecycleEvent,
    deadline_epoch_ms: u64,
) -> Result<HookOutcome, HookError> {
    let (future, configured): (
        futures::future::BoxFuture<'static, Result<CheckReport, String>>,
        Duration,
    ) = match config {
        Ok(c) => {
            let future = c.clone().run(client.clone());
            (Box::pin(async move { Ok(future.await) }), c.budget())
        }
        Err(e) => {
            let message = format!("configuration: {e}");
            (
                Box::pin(async move { Err(message) }),
                Duration::from_secs(1),
            )
        }
    };
    let budget = budget(configured, deadline_epoch_ms, REPORT_MARGIN);
    run_hook(codedeploy, event, budget, future).await
}

/// The Lambda function of a hook: serves CodeDeploy's lifecycle events with [`handle`].
/// A bad configuration is logged once and reported as Failed on every event, so the
/// deployment stops at once instead of waiting out CodeDeploy's timeout.
pub async fn serve<C: Checks>(
    sdk: &aws_config::SdkConfig,
    client: C::Client,
    config: Result<C, hangar_lambda::ConfigError>,
) -> Result<(), lambda_runtime::Error> {
    if let Err(e) = &config {
        tracing::error!("{e}");
    }
    let codedeploy = aws_sdk_codedeploy::Client::new(sdk);
    let (codedeploy, client, config) = (&codedeploy, &client, &config);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<CodeDeployLifecycleEvent>| async move {
            let outcome = handle(
                codedeploy,
                client,
                config,
                &event.payload,
                event.context.deadline,
            )
            .await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({
                "status": outcome.status().as_str(),
                "reason": outcome.reason(),
            }))
        },
    ))
    .await
}

/// Reports `outcome` to CodeDeploy (the SDK retries transient errors).
pub async fn report(
    codedeploy: &aws_sdk_codedeploy::Client,
    event: &CodeDeployLifecycleEvent,
    outcome: &HookOutcome,
) -> Result<(), HookError> {
    match outcome {
        HookOutcome::Succeeded(r) => {
            tracing::info!(deployment = %event.deployment_id, "hook succeeded: {r}")
        }
        HookOutcome::Failed(r) => {
            tracing::warn!(deployment = %event.deployment_id, "hook failed: {r}")
        }
    }
    codedeploy
        .put_lifecycle_event_hook_execution_status()
        .deployment_id(&event.deployment_id)
        .lifecycle_event_hook_execution_id(&event.lifecycle_event_hook_execution_id)
        .status(outcome.status())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| HookError::Report {
            status: outcome.status(),
            message: aws_sdk_codedeploy::error::DisplayErrorContext(e).to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_keeps_a_margin_before_the_lambda_deadline() {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let b = budget(
            Duration::from_secs(600),
            now_ms + 30_000,
            Duration::from_secs(5),
        );
        assert!(
            b <= Duration::from_secs(25) && b > Duration::from_secs(20),
            "{b:?}"
        );
        assert_eq!(
            budget(
                Duration::from_secs(10),
                now_ms + 60_000,
                Duration::from_secs(5)
            ),
            Duration::from_secs(10)
        );
        assert_eq!(
            budget(
                Duration::from_secs(10),
                now_ms + 1_000,
                Duration::from_secs(5)
            ),
            Duration::ZERO
        );
        assert_eq!(
            budget(Duration::from_secs(7), 0, Duration::from_secs(5)),
            Duration::from_secs(7)
        );
    }
}
