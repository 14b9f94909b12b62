//! Against AWS: start the deployed state machine and follow its execution history.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_sfn::types::HistoryEvent;
use serde_json::Value;

use super::view::{Update, View};
use super::FleetCliError;

fn aws_error<E: std::error::Error + 'static>(what: &str) -> impl Fn(E) -> FleetCliError + '_ {
    move |e| {
        FleetCliError::Aws(format!(
            "{what}: {}",
            aws_sdk_sfn::error::DisplayErrorContext(e)
        ))
    }
}

pub async fn replace(
    sdk: &aws_config::SdkConfig,
    state_machine_arn: &str,
    input: &Value,
) -> Result<u8, FleetCliError> {
    let sfn = aws_sdk_sfn::Client::new(sdk);
    let alias = input["alias_id"].as_str().unwrap_or("alias");
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let out = sfn
        .start_execution()
        .state_machine_arn(state_machine_arn)
        .name(format!(
            "{}-{secs}",
            alias.chars().take(60).collect::<String>()
        ))
        .input(input.to_string())
        .send()
        .await
        .map_err(aws_error("StartExecution"))?;
    let arn = out.execution_arn();
    eprintln!("execution {arn}\n(reattach with: hangar fleet status {arn})");
    follow(&sfn, arn, false).await
}

pub async fn status(
    sdk: &aws_config::SdkConfig,
    execution_arn: &str,
    once: bool,
) -> Result<u8, FleetCliError> {
    follow(&aws_sdk_sfn::Client::new(sdk), execution_arn, once).await
}

async fn follow(sfn: &aws_sdk_sfn::Client, arn: &str, once: bool) -> Result<u8, FleetCliError> {
    let mut view = View::new();
    let mut last_id = 0;
    loop {
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
                if event.id() <= last_id {
                    continue;
                }
                last_id = event.id();
                if let Some(code) = update_of(event).and_then(|u| view.show(&u)) {
                    return Ok(code);
                }
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        if once {
            let d = sfn
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .map_err(aws_error("DescribeExecution"))?;
            eprintln!("execution is {}", d.status().as_str());
            return Ok(0);
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
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
