//! Running a traffic hook: the area's state [`Deploy`] (where to report, and the checks of
//! one kind of hook), the checks under a time budget, then exactly one report to
//! CodeDeploy, whatever happened (checks failed, errored, crashed or ran out of time, or
//! the hook's own configuration was bad).

use std::future::Future;
use std::time::Duration;

use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use aws_sdk_codedeploy::types::LifecycleEventStatus;
use hangar_lambda::ConfigError;

use crate::checks::CheckReport;
use crate::codedeploy::CodeDeploy;
use crate::error::DeployError;

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

/// The checks of one kind of hook, with what they call (a Lambda client, an HTTP client).
pub trait Checks: Clone + Send + Sync + 'static {
    /// Time the checks may take (capped by the Lambda deadline).
    fn budget(&self) -> Duration;
    /// The checks for the lifecycle event of `deployment_id`.
    fn run(self, deployment_id: String) -> impl Future<Output = CheckReport> + Send + 'static;
}

/// The area's state, built once in `main`: where hooks report, and the checks of this
/// hook, or the configuration error that keeps it from checking anything (reported as
/// Failed on every event, so a deployment stops at once instead of waiting out
/// CodeDeploy's timeout).
pub struct Deploy<C> {
    codedeploy: CodeDeploy,
    checks: Result<C, ConfigError>,
}

/// Time kept back from the Lambda deadline for the report to CodeDeploy.
pub const REPORT_MARGIN: Duration = Duration::from_secs(5);

/// The time a hook may spend on its checks: `configured`, but never past the Lambda
/// deadline (`deadline_epoch_ms`, 0 for none) less `margin` (kept for the report itself).
pub fn budget(configured: Duration, deadline_epoch_ms: u64, margin: Duration) -> Duration {
    if deadline_epoch_ms == 0 {
        return configured;
    }
    let now_ms = hangar_lambda::clock::now_ms();
    let left = Duration::from_millis(deadline_epoch_ms.saturating_sub(now_ms));
    configured.min(left.saturating_sub(margin))
}

impl<C: Checks> Deploy<C> {
    /// A bad configuration is logged here, once.
    pub fn new(codedeploy: CodeDeploy, checks: Result<C, ConfigError>) -> Self {
        if let Err(e) = &checks {
            tracing::error!("{e}");
        }
        Deploy { codedeploy, checks }
    }

    pub fn codedeploy(&self) -> &CodeDeploy {
        &self.codedeploy
    }

    /// One lifecycle event: the checks under their budget (capped by the Lambda deadline
    /// `deadline_epoch_ms`), then one report. `Err` only when there is nothing to report
    /// to (a malformed event) or the report itself failed.
    pub async fn handle(
        &self,
        event: &CodeDeployLifecycleEvent,
        deadline_epoch_ms: u64,
    ) -> Result<HookOutcome, DeployError> {
        if event.deployment_id.is_empty() {
            return Err(DeployError::BadEvent("DeploymentId"));
        }
        if event.lifecycle_event_hook_execution_id.is_empty() {
            return Err(DeployError::BadEvent("LifecycleEventHookExecutionId"));
        }
        crate::guard::begin(
            &event.deployment_id,
            &event.lifecycle_event_hook_execution_id,
        );
        let outcome = match &self.checks {
            Ok(checks) => {
                let budget = budget(checks.budget(), deadline_epoch_ms, REPORT_MARGIN);
                run_checks(checks.clone(), event.deployment_id.clone(), budget).await
            }
            Err(e) => HookOutcome::Failed(format!(
                "the hook could not run its checks: configuration: {e}"
            )),
        };
        if !crate::guard::claim(&event.lifecycle_event_hook_execution_id) {
            // The panic hook reported Failed already (a panic under the unwind strategy).
            return Ok(outcome);
        }
        self.report(event, &outcome).await?;
        Ok(outcome)
    }

    async fn report(
        &self,
        event: &CodeDeployLifecycleEvent,
        outcome: &HookOutcome,
    ) -> Result<(), DeployError> {
        match outcome {
            HookOutcome::Succeeded(r) => {
                tracing::info!(deployment = %event.deployment_id, "hook succeeded: {r}")
            }
            HookOutcome::Failed(r) => {
                tracing::warn!(deployment = %event.deployment_id, "hook failed: {r}")
            }
        }
        self.codedeploy
            .report(
                &event.deployment_id,
                &event.lifecycle_event_hook_execution_id,
                outcome.status(),
            )
            .await
            .map_err(|source| DeployError::Report {
                status: outcome.status().as_str().to_string(),
                source,
            })
    }
}

/// Runs `checks` in their own task for at most `budget`: a crash in them (with the
/// unwind panic strategy) or a timeout is a Failed outcome too.
async fn run_checks<C: Checks>(checks: C, deployment_id: String, budget: Duration) -> HookOutcome {
    let mut task = tokio::spawn(checks.run(deployment_id));
    match tokio::time::timeout(budget, &mut task).await {
        Ok(Ok(report)) if report.ok() => HookOutcome::Succeeded(report.summary()),
        Ok(Ok(report)) => HookOutcome::Failed(report.summary()),
        Ok(Err(e)) => HookOutcome::Failed(format!("the hook's checks crashed: {e}")),
        Err(_) => {
            task.abort();
            HookOutcome::Failed(format!(
                "the checks did not finish within the hook's budget of {} ms",
                budget.as_millis()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_keeps_a_margin_before_the_lambda_deadline() {
        let now_ms = hangar_lambda::clock::now_ms();
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
