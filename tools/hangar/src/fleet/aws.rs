//! The Step Functions path (AWS, or any endpoint in `AWS_ENDPOINT_URL_SFN`): start the
//! state machine, or attach to the running execution of the same request; follow an
//! execution's history; cancel; list an alias's replacements.
//!
//! One runner per alias: an execution is named after its replacement id (attempts after
//! the first get `-2`, `-3`...), so the same request started twice at once is one
//! execution (StartExecution answers a RUNNING execution of that name and input with
//! itself), and a request whose execution runs is followed, not started again. The
//! alias lock in DynamoDB, which names its execution, stops any other.

use std::time::Duration;

use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus, HistoryEvent};
use hangar_fleet::request::{parse_request, validate_request};
use serde_json::Value;

use super::error::FleetCliError;
use super::view::{code, Update, View};

/// Where replacements run.
pub struct Target<'a> {
    pub sfn: &'a aws_sdk_sfn::Client,
    pub state_machine_arn: &'a str,
    /// The alias lock table (`FLEET_LOCK_TABLE`), for `cancel`.
    pub lock_table: &'a str,
    /// The fleets' home region (the request is validated against it).
    pub region: String,
}

/// Whether following an execution ends on Ctrl-C (detaching) or only at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// Ctrl-C detaches: the replacement goes on, the follow-up commands are printed.
    Detachable,
    /// Print what there is and return (`status --once`).
    Once,
}

/// An SDK error of Step Functions operation `what`, with its whole context.
pub(super) fn aws_error<E: std::error::Error + 'static>(
    what: &str,
) -> impl Fn(E) -> FleetCliError + '_ {
    move |e| {
        FleetCliError::Aws(format!(
            "{what}: {}",
            aws_sdk_sfn::error::DisplayErrorContext(e)
        ))
    }
}

/// The execution name of attempt `n` (from 1) of replacement `id`.
pub fn attempt_name(id: &str, n: u32) -> String {
    if n <= 1 {
        id.to_string()
    } else {
        format!("{id}-{n}")
    }
}

/// Whether `name` is an attempt of replacement `id`.
pub fn is_attempt_of(name: &str, id: &str) -> bool {
    name == id
        || name
            .strip_prefix(id)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

async fn executions(
    target: &Target<'_>,
    status: Option<ExecutionStatus>,
) -> Result<Vec<ExecutionListItem>, FleetCliError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = target
            .sfn
            .list_executions()
            .state_machine_arn(target.state_machine_arn)
            .set_status_filter(status.clone())
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(aws_error("ListExecutions"))?;
        out.extend(page.executions().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Starts `input` (or attaches to its running execution) and follows it.
pub async fn replace(
    target: &Target<'_>,
    input: &Value,
    follow: Follow,
) -> Result<u8, FleetCliError> {
    let arn = start_or_attach(target, input).await?;
    follow_execution(target.sfn, &arn, follow).await
}

/// Starts `input`, or finds its running execution; the execution's ARN.
pub(super) async fn start_or_attach(
    target: &Target<'_>,
    input: &Value,
) -> Result<String, FleetCliError> {
    // The same checks the Validate stage makes, before anything starts; the replacement
    // id names the execution.
    let config = parse_request(input)
        .and_then(|r| validate_request(&r, &target.region))
        .map_err(|e| FleetCliError::Refused(e.to_string()))?;
    let id = &config.replacement_id;
    let running = executions(target, Some(ExecutionStatus::Running)).await?;
    if let Some(e) = running.iter().find(|e| is_attempt_of(e.name(), id)) {
        let arn = e.execution_arn();
        eprintln!("replacement {id} is already running as execution {arn}: following it");
        return Ok(arn.to_string());
    }
    let earlier = executions(target, None)
        .await?
        .iter()
        .filter(|e| is_attempt_of(e.name(), id))
        .count() as u32;
    let mut n = earlier + 1;
    let arn = loop {
        let started = target
            .sfn
            .start_execution()
            .state_machine_arn(target.state_machine_arn)
            .name(attempt_name(id, n))
            .input(input.to_string())
            .send()
            .await;
        match started {
            Ok(out) => break out.execution_arn().to_string(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_execution_already_exists())
                    && n < earlier + 100 =>
            {
                n += 1
            }
            Err(e) => return Err(aws_error("StartExecution")(e)),
        }
    };
    eprintln!("execution {arn}");
    Ok(arn)
}

/// Prints how to follow or stop a replacement that goes on without this process.
fn detached(arn: &str) -> u8 {
    eprintln!(
        "\nDetached; the replacement goes on.\n  follow it:  hangar fleet status {arn}\n  stop it:    hangar fleet cancel {arn}"
    );
    code::STILL_RUNNING
}

/// Follows execution `arn`'s history until it ends (or Ctrl-C, or once); returns the exit code.
pub async fn follow_execution(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
    follow: Follow,
) -> Result<u8, FleetCliError> {
    match follow {
        Follow::Detachable => Ok(follow_until_interrupted(sfn, arn)
            .await?
            .unwrap_or_else(|| detached(arn))),
        Follow::Once => {
            if let Some(code) = show_history(sfn, arn, &mut View::new(), &mut 0).await? {
                return Ok(code);
            }
            let d = sfn
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .map_err(aws_error("DescribeExecution"))?;
            eprintln!("execution is {}", d.status().as_str());
            Ok(code::STILL_RUNNING)
        }
    }
}

/// Follows execution `arn`'s history until it ends (its exit code) or Ctrl-C (`None`).
pub(super) async fn follow_until_interrupted(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
) -> Result<Option<u8>, FleetCliError> {
    let mut view = View::new();
    let mut last_id = 0;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            shown = show_history(sfn, arn, &mut view, &mut last_id) => {
                if let Some(code) = shown? {
                    return Ok(Some(code));
                }
            }
            _ = &mut ctrl_c => return Ok(None),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = &mut ctrl_c => return Ok(None),
        }
    }
}

/// Shows the events of `arn`'s history after `last_id`; the exit code once it has ended.
async fn show_history(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
    view: &mut View,
    last_id: &mut i64,
) -> Result<Option<u8>, FleetCliError> {
    let mut token = None;
    loop {
        let page = sfn
            .get_execution_history()
            .execution_arn(arn)
            .max_results(200)
            .set_next_token(token)
            .send()
            .await
            .map_err(aws_error("GetExecutionHistory"))?;
        for event in page.events() {
            if event.id() <= *last_id {
                continue;
            }
            *last_id = event.id();
            if let Some(code) = update_of(event).and_then(|u| view.show(&u)) {
                return Ok(Some(code));
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(None);
        }
    }
}

fn json(text: Option<&str>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

/// A Step Functions history event as a progress update.
pub fn update_of(e: &HistoryEvent) -> Option<Update> {
    if let Some(d) = e.state_entered_event_details() {
        return Some(Update::Entered(d.name().to_string()));
    }
    if let Some(d) = e.state_exited_event_details() {
        return Some(Update::Exited(d.name().to_string(), json(d.output())));
    }
    if let Some(d) = e.execution_succeeded_event_details() {
        return Some(Update::Succeeded(json(d.output()).unwrap_or(Value::Null)));
    }
    if let Some(d) = e.execution_failed_event_details() {
        return Some(Update::Failed {
            error: d.error().unwrap_or("Failed").to_string(),
            cause: d.cause().unwrap_or_default().to_string(),
        });
    }
    if e.execution_aborted_event_details().is_some() {
        return Some(Update::Failed {
            error: "States.Aborted".into(),
            cause: "the execution was stopped".into(),
        });
    }
    if e.execution_timed_out_event_details().is_some() {
        return Some(Update::Failed {
            error: "States.Timeout".into(),
            cause: "the execution timed out".into(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::primitives::DateTime;
    use aws_sdk_sfn::types::{
        ExecutionFailedEventDetails, HistoryEventType, StateEnteredEventDetails,
        StateExitedEventDetails,
    };

    fn event(kind: HistoryEventType) -> aws_sdk_sfn::types::builders::HistoryEventBuilder {
        HistoryEvent::builder()
            .id(1)
            .timestamp(DateTime::from_secs(0))
            .r#type(kind)
    }

    #[test]
    fn history_events_become_progress_updates() {
        let entered = event(HistoryEventType::TaskStateEntered)
            .state_entered_event_details(
                StateEnteredEventDetails::builder()
                    .name("WaitForFleet")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            update_of(&entered),
            Some(Update::Entered("WaitForFleet".into()))
        );
        let exited = event(HistoryEventType::TaskStateExited)
            .state_exited_event_details(
                StateExitedEventDetails::builder()
                    .name("WaitForFleet")
                    .output(r#"{"fleet_wait": {"fleet_status": "ACTIVE"}}"#)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let Some(Update::Exited(name, Some(output))) = update_of(&exited) else {
            panic!()
        };
        assert_eq!(name, "WaitForFleet");
        assert_eq!(output["fleet_wait"]["fleet_status"], "ACTIVE");
        let failed = event(HistoryEventType::ExecutionFailed)
            .execution_failed_event_details(
                ExecutionFailedEventDetails::builder()
                    .error("Hangar.RolledBack")
                    .cause("build b is FAILED")
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(
            update_of(&failed),
            Some(Update::Failed {
                error: "Hangar.RolledBack".into(),
                cause: "build b is FAILED".into()
            })
        );
        assert_eq!(
            update_of(
                &event(HistoryEventType::LambdaFunctionScheduled)
                    .build()
                    .unwrap()
            ),
            None
        );
    }
}
